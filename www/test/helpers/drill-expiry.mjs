// Fault drills for the expiry job (used by www/test/drill-*.test.mjs): a
// simulator seeded with VMs whose snapshots are either expired-and-managed
// (the only ones the job may delete) or protected (unexpired managed, foreign,
// look-alikes, vzdump), the real command run as a child process while faults
// and mid-run events hit it, and the verdict read from the simulator's state
// after every run, never from the job's log.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createRandom } from '../../simulator/random.mjs';
import { DAY_S, startSim, tempDir, writeConfig, service, runJob, managed } from '../cron-harness.mjs';

const NODES = ['pve1', 'pve2', 'pve3'];
const FIRST_VMID = 500;

/**
 * @typedef {import('../../simulator/index.mjs').Simulator} Simulator
 * @typedef {import('../../simulator/http-server.mjs').RequestLogEntry} RequestLogEntry
 * @typedef {{vmid: number, type: 'qemu'|'lxc', expired: Set<string>, protected: Set<string>}} VmPlan
 * @typedef {{rng: import('../../simulator/random.mjs').SimRandom, sim: Simulator, vmids: number[],
 *   note: (key: string, n?: number) => void, freeze: (vmid: number) => void, bag: Record<string, any>}} EventContext
 *   `freeze` records a VM's snapshots when a backup locks it: none may vanish until the run ends
 * @typedef {{afterRequests: [number, number], do: (ctx: EventContext) => void}} MidRunEvent
 *   fires once per run when the run has sent a seeded number (in the range) of requests
 * @typedef {object} Drill
 * @property {string} name
 * @property {number} seed              seeds the simulator and every choice the drill makes
 * @property {number} [vms]             default 18
 * @property {number} runs              fault runs before the faults stop
 * @property {import('../../simulator/faults.mjs').FaultSettings | ((ctx: EventContext) => import('../../simulator/faults.mjs').FaultSettings)} [faults]
 * @property {MidRunEvent[]} [events]
 * @property {number} [kills]           SIGKILL points per run (each kill is followed by a restart)
 * @property {[number, number]} [killRange] requests after which a kill lands (default [3, 150])
 * @property {'shared-lock'|'separate-lock'} [parallel]  two jobs at once per run
 * @property {object} [pve]             config overrides during the faults (e.g. a short timeoutMs)
 * @property {object} [job]             job overrides during the faults
 * @property {number} [taskDurationMs]
 * @property {(ctx: EventContext) => void} [afterRun]  after each fault run (before its backup locks end)
 * @property {(stats: DrillStats) => void} proof  asserts the fault really happened
 */

/**
 * @typedef {object} DrillStats
 * @property {number} runs       job processes started (fault and calm)
 * @property {number} faultRuns
 * @property {number} calmRuns
 * @property {number} kills      processes killed with SIGKILL mid-run
 * @property {number} killsAtDelete kills that landed on a DELETE request
 * @property {number} deletes    snapshots that disappeared (all expired managed ones)
 * @property {number} deleteRequests DELETEs Proxmox received
 * @property {number} wrongDeletes DELETEs or disappearances of protected snapshots (must be 0)
 * @property {number} http5xx    answers >= 500 the simulator gave
 * @property {Record<string, number>} notes counters the drill's events and the summaries keep
 * @property {number[]} exitCodes
 */

/**
 * Seed with `count` VMs over three nodes, qemu and lxc, lvmthin and zfs,
 * running and stopped.
 * @param {number} count
 * @returns {{seed: object, plans: Map<number, VmPlan>}}
 */
export function drillSeed(count) {
  /** @type {Map<number, VmPlan>} */
  const plans = new Map();
  const guests = [];
  for (let i = 0; i < count; i++) {
    const vmid = FIRST_VMID + i;
    const type = i % 3 === 2 ? 'lxc' : 'qemu';
    const expired = [
      { name: managed(1), ageSeconds: 6 * DAY_S },
      { name: managed(2), ageSeconds: 3 * DAY_S + 600 },
      ...(i % 2 ? [{ name: managed(4), ageSeconds: 4 * DAY_S }] : []),
    ];
    const kept = [
      // Expires an hour after the drill starts: must survive every run here.
      { name: managed(3), ageSeconds: 3 * DAY_S - 3600 },
      { name: managed(5), ageSeconds: 60 },
      { name: 'admin-old', ageSeconds: 60 * DAY_S },
      // Looks managed but is not the generated pattern (suffix, other prefix).
      { name: 'snap20260101T100000x', ageSeconds: 30 * DAY_S },
      { name: 'auto20260101T100001', ageSeconds: 30 * DAY_S },
      ...(type === 'lxc' ? [{ name: 'vzdump', ageSeconds: 60 * DAY_S }] : []),
    ];
    plans.set(vmid, { vmid, type, expired: new Set(expired.map((s) => s.name)), protected: new Set(kept.map((s) => s.name)) });
    guests.push({
      vmid, type, node: NODES[i % NODES.length], name: `vm${vmid}`, status: i % 4 ? 'running' : 'stopped',
      storage: i % 2 ? 'zfs' : 'lvmthin',
      snapshots: [...expired, ...kept].map((s) => ({ ...s, description: '' })),
    });
  }
  return { seed: { nodes: NODES, guests }, plans };
}

/**
 * Calls `fn(entry)` synchronously whenever the simulator logs a request. The
 * log's push is the one point every request passes before it is handled, so
 * a kill or a lock lands exactly between two Proxmox requests (polling the
 * log from a timer would miss the point on a loaded machine).
 * @param {Simulator} sim
 * @param {(entry: RequestLogEntry) => void} fn
 * @returns {() => void} removes the hook
 */
export function onRequest(sim, fn) {
  const log = sim.requests;
  log.push = function push(...items) {
    const n = Array.prototype.push.apply(this, items);
    for (const item of items) fn(item);
    return n;
  };
  // Removing the own push brings back the array's.
  return () => { Reflect.deleteProperty(log, 'push'); };
}

/** @param {string} path raw request path @returns {{vmid: number, name: string} | null} */
function deleteTarget(path) {
  const m = /\/(?:qemu|lxc)\/(\d+)\/snapshot\/([^/?]+)$/.exec(decodeURIComponent(path));
  return m ? { vmid: Number(m[1]), name: m[2] } : null;
}

/**
 * Runs one drill end to end and returns its figures; throws (assert) on any
 * wrong delete, on a protected snapshot gone, or when expired ones are left
 * once the faults have stopped.
 * @param {Drill} drill
 * @returns {Promise<DrillStats>}
 */
export async function runDrill(drill) {
  const { seed, plans } = drillSeed(drill.vms ?? 18);
  const vmids = [...plans.keys()];
  const sim = await startSim(seed, { random: drill.seed, taskDurationMs: drill.taskDurationMs ?? 30 });
  const tmp = await tempDir(`drill-${drill.name}-`);
  const rng = createRandom(`${drill.name}:${drill.seed}`);
  /** @type {DrillStats} */
  const stats = { runs: 0, faultRuns: 0, calmRuns: 0, kills: 0, killsAtDelete: 0, deletes: 0, deleteRequests: 0, wrongDeletes: 0, http5xx: 0, notes: {}, exitCodes: [] };
  const note = (/** @type {string} */ key, n = 1) => { stats.notes[key] = (stats.notes[key] ?? 0) + n; };
  /** @type {string[]} */
  const wrong = [];
  // Names a backup lock froze: nothing of that VM may vanish while it holds.
  /** @type {Map<number, string[]>} */
  const frozen = new Map();
  /** @type {EventContext} */
  const ectx = {
    rng, sim, vmids, note, bag: {},
    freeze: (vmid) => { frozen.set(vmid, sim.vm(vmid).snapshots.map((s) => s.name)); },
  };
  /** @type {((entry: RequestLogEntry) => void) | null} */
  let current = null; // hook state of the job process(es) now running
  const unhook = onRequest(sim, (entry) => {
    if (entry.method === 'DELETE') {
      stats.deleteRequests += 1;
      const t = deleteTarget(entry.path);
      if (!t || !plans.get(t.vmid)?.expired.has(t.name)) {
        wrong.push(`DELETE ${entry.path}`);
        stats.wrongDeletes += 1;
      }
    }
    current?.(entry);
  });

  try {
    const services = vmids.map((v) => service(v, plans.get(v)?.type));
    const faultConfig = await writeConfig(tmp.dir, {
      url: sim.url, services, pve: { timeoutMs: 3000, ...drill.pve },
      job: { taskTimeoutMs: 4000, concurrency: 9, perNode: 3, ...drill.job },
    });
    const otherHost = await writeConfig(tmp.dir, {
      url: sim.url, services, name: 'other-host.json', pve: { timeoutMs: 3000, ...drill.pve },
      job: { taskTimeoutMs: 4000, concurrency: 9, perNode: 3, ...drill.job, stateDir: join(tmp.dir, 'state-other') },
    });
    // After the faults a sane client timeout: a loaded test machine must not
    // turn the clean-up runs into fault runs of their own.
    const calmConfig = await writeConfig(tmp.dir, { url: sim.url, services, name: 'calm.json', job: { taskTimeoutMs: 15_000, concurrency: 9, perNode: 3 } });

    const checkState = (/** @type {string} */ label) => {
      for (const [vmid, plan] of plans) {
        const left = new Set(sim.vm(vmid).snapshots.map((s) => s.name));
        for (const p of plan.protected) {
          if (!left.has(p)) {
            stats.wrongDeletes += 1;
            wrong.push(`${label}: ${vmid} ${p} gone`);
          }
        }
        const held = frozen.get(vmid);
        if (held) for (const n of held) if (!left.has(n)) wrong.push(`${label}: ${vmid} ${n} vanished while the VM was locked by a backup`);
      }
      assert.deepEqual(wrong, [], `${drill.name}: protected snapshots touched`);
    };

    /**
     * One job process, with the run's mid-run events and (optionally) a
     * SIGKILL after `killAfter` requests.
     * @param {string} config @param {number|null} killAfter
     */
    const oneJob = (config, killAfter) => {
      let seen = 0;
      /** @type {import('node:child_process').ChildProcess | null} */
      let child = null;
      let killed = false;
      const pending = (drill.events ?? []).map((e) => ({ e, at: e.afterRequests[0] + rng.int(e.afterRequests[1] - e.afterRequests[0] + 1), done: false }));
      const hook = (/** @type {RequestLogEntry} */ entry) => {
        seen += 1;
        for (const p of pending) if (!p.done && seen >= p.at) { p.done = true; p.e.do(ectx); }
        if (killAfter !== null && !killed && seen >= killAfter && child) {
          killed = true;
          child.kill('SIGKILL');
          stats.kills += 1;
          if (entry.method === 'DELETE') stats.killsAtDelete += 1;
        }
      };
      return { hook, run: runJob(['--config', config, '--json'], { onSpawn: (c) => { child = c; } }) };
    };

    /** @param {Awaited<ReturnType<typeof runJob>>} r @param {string} label */
    const account = (r, label) => {
      stats.runs += 1;
      stats.exitCodes.push(r.code ?? -9);
      if (r.json?.counts) {
        note('summary.deleted', r.json.counts.deleted);
        note('summary.failed', r.json.counts.failed);
        note('summary.stillRunning', r.json.counts.stillRunning);
        note('summary.skipped', r.json.counts.skipped);
        note('summary.stuck', r.json.counts.stuck);
        if (r.json.lock?.tookOver) note('lockTakeovers');
        for (const v of r.json.vms ?? []) for (const s of v.skipped ?? []) if (s.code === 'VM_LOCKED') note('skippedLocked');
      }
      // Killed (null), or one of the job's documented codes; a crash (e.g. 70 or a trap) is a defect.
      assert.ok(r.code === null || [0, 1, 3, 4].includes(r.code), `${label}: exit ${r.code}\n${r.stderr.slice(-2000)}`);
      if (r.code !== null && r.code !== 3) assert.ok(r.json, `${label}: no JSON summary\n${r.stderr.slice(-2000)}`);
    };

    for (let run = 1; run <= drill.runs; run++) {
      const label = `${drill.name} run ${run}`;
      if (drill.faults) sim.faults.set(typeof drill.faults === 'function' ? drill.faults(ectx) : drill.faults);
      const [lo, hi] = drill.killRange ?? [3, 150];
      for (let k = 0; k <= (drill.kills ?? 0); k++) {
        const killAfter = k < (drill.kills ?? 0) ? lo + rng.int(hi - lo + 1) : null;
        const jobs = [oneJob(faultConfig, killAfter)];
        if (drill.parallel) jobs.push(oneJob(drill.parallel === 'shared-lock' ? faultConfig : otherHost, null));
        current = (entry) => { for (const j of jobs) j.hook(entry); };
        const results = await Promise.all(jobs.map((j) => j.run));
        current = null;
        stats.faultRuns += results.length;
        results.forEach((r, i) => account(r, `${label}${k ? ` restart ${k}` : ''}${i ? ' (second job)' : ''}`));
        if (drill.parallel === 'shared-lock' && results.some((r) => r.code === 3)) note('lockRefusals');
        checkState(label);
      }
      drill.afterRun?.(ectx);
      for (const [vmid] of frozen) {
        // The backup ends between runs.
        sim.setLock(vmid, null);
      }
      frozen.clear();
    }

    stats.http5xx = sim.requests.filter((q) => q.status !== null && q.status >= 500).length;
    // The faults stop: no injected errors, hung tasks end, locks the drill set are gone.
    sim.faults.clear();
    sim.finishTasks();
    await sim.idle();
    for (const vmid of vmids) {
      const lock = sim.vm(vmid).lock;
      if (lock === 'backup' || lock === 'migrate') sim.setLock(vmid, null);
    }
    for (let calm = 1; calm <= 4; calm++) {
      const r = await runJob(['--config', calmConfig, '--json']);
      account(r, `${drill.name} calm run ${calm}`);
      stats.calmRuns += 1;
      checkState(`${drill.name} calm run ${calm}`);
      const left = vmids.flatMap((v) => sim.vm(v).snapshots.filter((s) => plans.get(v)?.expired.has(s.name)).map((s) => `${v} ${s.name}`));
      // Done when the state says so and the run had nothing to report.
      if (left.length === 0 && r.code === 0 && r.json.counts.failed === 0 && r.json.counts.stillRunning === 0) break;
      await sim.idle();
    }
    for (const [vmid, plan] of plans) {
      const left = sim.vm(vmid).snapshots.map((s) => s.name).filter((n) => n !== 'current').sort();
      assert.deepEqual(left, [...plan.protected].sort(), `${drill.name}: vm ${vmid} holds exactly its protected snapshots once the faults stop`);
    }
    stats.deletes = [...plans.values()].reduce((n, p) => n + p.expired.size, 0);
    assert.equal(stats.wrongDeletes, 0);
    drill.proof(stats);
    return stats;
  } finally {
    unhook();
    await sim.close();
    await tmp.cleanup();
  }
}

/**
 * The one-line summary a drill prints.
 * @param {Drill} drill @param {DrillStats} s
 */
export function summaryLine(drill, s) {
  const notes = Object.entries(s.notes).map(([k, v]) => `${k}=${v}`).join(' ');
  return `drill ${drill.name} (seed ${drill.seed}): runs=${s.runs} (fault ${s.faultRuns}, calm ${s.calmRuns}) kills=${s.kills} (at a DELETE ${s.killsAtDelete}) `
    + `deleted=${s.deletes} DELETE requests=${s.deleteRequests} 5xx=${s.http5xx} wrong deletes=${s.wrongDeletes} exits=[${s.exitCodes.join(',')}] ${notes}`;
}
