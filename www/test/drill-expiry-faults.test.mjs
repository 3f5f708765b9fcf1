// Fault drills for the expiry job, part 1: Proxmox misbehaving under the
// real command (random 5xx, timeouts, hung tasks, hung requests) and the
// cluster changing under it (a backup lock set mid-run, a VM migrating
// mid-run). Each row of the table is one drill; runDrill asserts on the
// simulator's state after every run: no protected snapshot deleted or even
// asked for, and every expired one gone once the faults stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDrill, summaryLine } from './helpers/drill-expiry.mjs';

/** @typedef {import('./helpers/drill-expiry.mjs').Drill} Drill */
/** @typedef {import('./helpers/drill-expiry.mjs').EventContext} EventContext */

/** Up to `n` VMs (seeded) that are unlocked and still hold an expired snapshot. @param {EventContext} ctx @param {number} n */
function pickBusyVms(ctx, n) {
  const open = ctx.vmids.filter((v) => {
    const vm = ctx.sim.vm(v);
    return !vm.lock && vm.snapshots.some((s) => /^snap20260101T10000[124]$/.test(s.name));
  });
  return ctx.rng.shuffle(open).slice(0, n);
}

/** @param {EventContext} ctx @param {number} share */
const someVmids = (ctx, share) => ctx.rng.shuffle(ctx.vmids).slice(0, Math.max(1, Math.round(ctx.vmids.length * share)));

/** @param {EventContext} ctx */
function finishMigrations(ctx) {
  for (const { vmid, to } of ctx.bag.migrating ?? []) {
    ctx.sim.migrate(vmid, to);
    ctx.sim.setLock(vmid, null);
    ctx.note('migrations');
  }
  ctx.bag.migrating = [];
}

/** @type {Drill[]} */
const DRILLS = [
  {
    name: 'random-5xx-and-timeouts', seed: 11, runs: 3,
    // Jitter past the client's timeout: some deletes happen after the job gave up on them.
    faults: { errorRate: 0.2, jitterMs: 150 }, pve: { timeoutMs: 100 },
    proof: (s) => {
      assert.ok(s.http5xx > 0, 'the drill injected 5xx answers');
      assert.ok((s.notes['summary.failed'] ?? 0) > 0, 'the faults made deletes or reads fail');
    },
  },
  {
    name: '5xx-on-deletes-and-task-polls', seed: 12, runs: 3,
    faults: { errorRate: 0.4, errorPaths: ['/snapshot/', '/tasks/'] },
    proof: (s) => {
      assert.ok(s.http5xx > 0, 'the drill injected 5xx answers');
      assert.ok(s.exitCodes.slice(0, s.faultRuns).some((c) => c !== 0), 'some fault run was hurt');
    },
  },
  {
    name: 'hung-tasks', seed: 13, runs: 3,
    // A third of the VMs' delete tasks never end; the job waits 300 ms for each.
    faults: (ctx) => { ctx.bag.hung ??= someVmids(ctx, 1 / 3); return { hangTasks: ctx.bag.hung }; },
    job: { taskTimeoutMs: 300 },
    proof: (s) => {
      assert.ok((s.notes['summary.stillRunning'] ?? 0) > 0, 'the job met tasks still running');
      // The snapshot a hung task is deleting sits in snapstate "delete": reported as stuck.
      assert.ok((s.notes['summary.skipped'] ?? 0) + (s.notes['summary.stuck'] ?? 0) > 0, 'later runs left alone the VMs a hung task holds');
    },
  },
  {
    name: 'hung-delete-requests', seed: 14, runs: 2,
    faults: (ctx) => {
      ctx.bag.hung ??= someVmids(ctx, 1 / 4);
      return { hang: { methods: ['DELETE'], paths: ctx.bag.hung.map((/** @type {number} */ v) => `/${v}/snapshot/`) } };
    },
    pve: { timeoutMs: 300 },
    proof: (s) => assert.ok((s.notes['summary.failed'] ?? 0) > 0, 'the hung DELETEs were reported'),
  },
  {
    name: 'backup-lock-mid-run', seed: 15, runs: 3,
    events: [{
      afterRequests: [4, 60],
      do: (ctx) => {
        for (const vmid of pickBusyVms(ctx, 4)) {
          ctx.sim.setLock(vmid, 'backup');
          ctx.freeze(vmid);
          ctx.note('backupLocks');
        }
      },
    }],
    proof: (s) => {
      assert.ok((s.notes.backupLocks ?? 0) > 0, 'backup locks were set mid-run');
      assert.ok((s.notes.skippedLocked ?? 0) + (s.notes['summary.failed'] ?? 0) > 0, 'the locks stopped some deletes');
    },
  },
  {
    name: 'migration-mid-run', seed: 16, runs: 3,
    events: [
      {
        afterRequests: [4, 30],
        do: (ctx) => {
          ctx.bag.migrating = pickBusyVms(ctx, 4).map((vmid) => {
            const from = ctx.sim.vm(vmid).node;
            ctx.sim.setLock(vmid, 'migrate');
            return { vmid, to: ctx.sim.nodes().find((n) => n !== from) };
          });
        },
      },
      { afterRequests: [40, 90], do: finishMigrations },
    ],
    afterRun: finishMigrations,
    proof: (s) => assert.ok((s.notes.migrations ?? 0) > 0, 'VMs migrated mid-run'),
  },
];

for (const drill of DRILLS) {
  test(`drill ${drill.name}: no protected snapshot touched; all expired gone once faults stop`, async () => {
    const stats = await runDrill(drill);
    const line = summaryLine(drill, stats);
    console.log(line);
    assert.equal(stats.wrongDeletes, 0);
  });
}
