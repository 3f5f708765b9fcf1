// The expiry job, run as the real command against the simulator over
// loopback. Every assertion that matters is on the simulator's state (which
// snapshots exist), not on what the job printed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DAY_S, DAY_MS, startSim, tempDir, writeConfig, service, runJob, names, deleteRequests, managed,
} from './cron-harness.mjs';

/** @type {(() => Promise<unknown>)[]} */
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/**
 * A simulator plus config and temp dir, all closed after the file.
 * @param {object} seed
 * @param {{services: object[], job?: object, products?: object, simOptions?: import('../simulator/index.mjs').SimulatorOptions}} options
 */
async function setup(seed, { services, job, products, simOptions }) {
  const sim = await startSim(seed, simOptions);
  const tmp = await tempDir('cron-expire-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const config = await writeConfig(tmp.dir, { url: sim.url, services, job, products });
  // No --now: expiry is judged by the Proxmox node's clock, which is the
  // simulator's (cron-clock.test.mjs covers the clock sources).
  const run = (/** @type {string[]} */ ...args) => runJob(['--config', config, '--json', ...args]);
  return { sim, config, dir: tmp.dir, run };
}

/** @param {number} vmid @param {string} node @param {object[]} snapshots @param {object} [extra] */
const guest = (vmid, node, snapshots, extra = {}) => ({ vmid, type: 'qemu', node, name: `vm${vmid}`, status: 'running', storage: 'lvmthin', snapshots, ...extra });
/** @param {string} name @param {number} ageSeconds */
const snap = (name, ageSeconds) => ({ name, description: '', ageSeconds, vmstate: 0 });

test('expired managed snapshots go; unexpired, foreign, vzdump and current stay, as the clock moves on', async () => {
  const { sim, run } = await setup({
    nodes: ['pve1', 'pve2'],
    guests: [
      guest(101, 'pve1', [snap(managed(1), 4 * DAY_S), snap(managed(2), 2.5 * DAY_S), snap(managed(3), 3600),
        snap('admin-before-upgrade', 30 * DAY_S), snap('snapshot1', 30 * DAY_S), snap('snap20260101T100000x', 30 * DAY_S)]),
      guest(201, 'pve2', [snap('vzdump', 30 * DAY_S), snap(managed(1), 5 * DAY_S), snap(managed(2), DAY_S)], { type: 'lxc', storage: 'zfs' }),
    ],
  }, { services: [service(101), service(201, 'lxc')] });
  const foreign101 = ['admin-before-upgrade', 'snap20260101T100000x', 'snapshot1'];

  let r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 101), [...foreign101, managed(2), managed(3)].sort());
  assert.deepEqual(names(sim, 201), [managed(2), 'vzdump']);
  assert.equal(r.json.counts.deleted, 2);
  assert.deepEqual(r.json.vms.map((/** @type {{vmid: number, deleted: string[]}} */ v) => [v.vmid, v.deleted]).sort(), [[101, [managed(1)]], [201, [managed(1)]]]);

  sim.clock.advance(DAY_MS); // managed(2) on 101 is now 3.5 days old, on 201 2 days
  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 101), [...foreign101, managed(3)].sort());
  assert.deepEqual(names(sim, 201), [managed(2), 'vzdump']);

  sim.clock.advance(10 * DAY_MS);
  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 101), foreign101);
  assert.deepEqual(names(sim, 201), ['vzdump']);
  // Nothing else was ever asked to be deleted (not `current`, not a foreign one).
  assert.deepEqual(deleteRequests(sim).sort(), [
    `101 ${managed(1)}`, `101 ${managed(2)}`, `101 ${managed(3)}`, `201 ${managed(1)}`, `201 ${managed(2)}`,
  ].sort());

  r = await run();
  assert.equal(r.code, 0);
  assert.equal(r.json.counts.deleted, 0, 'a run with nothing to do deletes nothing');
});

test('a locked VM is skipped and cleaned on the next run', async () => {
  const { sim, run } = await setup({ nodes: ['pve1'], guests: [guest(102, 'pve1', [snap(managed(1), 4 * DAY_S), snap(managed(2), 3600)], { lock: 'backup' })] },
    { services: [service(102)] });
  let r = await run();
  assert.equal(r.code, 0, 'a lock is routine: retried next run, not a failure');
  assert.deepEqual(names(sim, 102), [managed(1), managed(2)]);
  assert.equal(r.json.counts.skipped, 1);
  assert.equal(r.json.vms[0].skipped[0].code, 'VM_LOCKED');
  assert.match(r.json.vms[0].skipped[0].message, /backup/);
  assert.equal(deleteRequests(sim).length, 0);

  sim.setLock(102, null);
  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 102), [managed(2)]);
});

test('a migrated VM is found on its new node', async () => {
  const { sim, run } = await setup({ nodes: ['pve1', 'pve2'], guests: [guest(103, 'pve1', [snap(managed(1), 4 * DAY_S)])] },
    { services: [service(103)] });
  sim.migrate(103, 'pve2');
  const r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 103), []);
  const del = sim.requests.find((q) => q.method === 'DELETE');
  assert.match(String(del?.path), /\/nodes\/pve2\/qemu\/103\/snapshot\//);
  assert.equal(r.json.vms[0].node, 'pve2');
});

test('a failing delete is reported with Proxmox\'s message; the other VMs still get cleaned', async () => {
  const { sim, run } = await setup({
    nodes: ['pve1'],
    guests: [guest(104, 'pve1', [snap(managed(1), 4 * DAY_S), snap(managed(2), 5 * DAY_S)]), guest(105, 'pve1', [snap(managed(1), 4 * DAY_S)])],
  }, { services: [service(104), service(105)] });
  sim.failNextTask(104, "lvremove snapshot 'pve/snap_vm-104-disk-0' error: Logical volume in use.");
  let r = await run();
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.counts.failed, 1);
  const failure = r.json.failures[0];
  assert.equal(failure.vmid, 104);
  assert.equal(failure.code, 'TASK_FAILED');
  assert.match(failure.message, /Logical volume in use/);
  assert.match(r.stdout + r.stderr, /FAILED svc-104 .*Logical volume in use/);
  assert.equal(names(sim, 104).length, 1, 'the one after the failure was still tried');
  assert.deepEqual(names(sim, 105), []);

  const status = JSON.parse(await readFile(join(r.json.lock.path, '..', 'last-run.json'), 'utf8'));
  assert.equal(status.exitCode, 1);
  assert.equal(status.counts.failed, 1);
  assert.match(status.failures[0].message, /Logical volume in use/);
  assert.ok(Date.parse(status.startedAt) <= Date.parse(status.finishedAt));

  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 104), []);
});

test('a hung delete task is reported as still running, never as failed, and not deleted over', async () => {
  const { sim, run } = await setup({
    nodes: ['pve1'],
    guests: [guest(106, 'pve1', [snap(managed(1), 4 * DAY_S), snap(managed(2), 5 * DAY_S)])],
  }, { services: [service(106)], job: { taskTimeoutMs: 800 } });
  sim.faults.set({ hangTasks: [106] });
  const r = await run();
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.counts.stillRunning, 1);
  assert.equal(r.json.counts.failed, 0);
  assert.equal(r.json.stillRunning[0].code, 'TASK_RUNNING');
  assert.match(r.json.stillRunning[0].upid, /^UPID:pve1:/);
  assert.equal(deleteRequests(sim).length, 1, 'no second delete while the first task runs');
  // The VM is held by the running task: the next run waits for it.
  const again = await run();
  assert.equal(deleteRequests(sim).length, 1);
  assert.ok(again.json.counts.skipped >= 1);
});

test('a snapshot stuck in snapstate "delete" is reported for an operator, never forced', async () => {
  const { sim, run } = await setup({ nodes: ['pve1'], guests: [guest(107, 'pve1', [snap(managed(1), 4 * DAY_S)])] }, { services: [service(107)] });
  sim.stuckDelete(107, managed(1));
  const r = await run();
  assert.equal(r.code, 0);
  assert.equal(deleteRequests(sim).length, 0);
  assert.deepEqual(names(sim, 107), [managed(1)]);
  assert.equal(r.json.counts.stuck, 1);
  assert.equal(r.json.counts.skipped, 0, 'counted apart from skipped');
  assert.equal(r.json.vms[0].stuck[0].code, 'SNAPSHOT_BUSY', JSON.stringify(r.json.vms[0]));
  assert.match(r.json.stuck[0].message, /snapstate 'delete'.*never forced/);
});

test('--dry-run lists what would go and changes nothing', async () => {
  const { sim, run, dir } = await setup({ nodes: ['pve1'], guests: [guest(108, 'pve1', [snap(managed(1), 4 * DAY_S), snap(managed(2), 3600), snap('keep', 9 * DAY_S)])] },
    { services: [service(108)] });
  const r = await run('--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 108), ['keep', managed(1), managed(2)].sort());
  assert.equal(sim.requests.filter((q) => q.method !== 'GET').length, 0, 'only reads');
  assert.equal(r.json.dryRun, true);
  assert.deepEqual(r.json.vms[0].wouldDelete, [managed(1)]);
  assert.match(r.stderr, new RegExp(`would delete svc-108 vm 108 on pve1 ${managed(1)}`));
  await assert.rejects(readFile(join(dir, 'state', 'last-run.json')), { code: 'ENOENT' });
});

test('--service and --node limit the run; a VM missing from the cluster is reported, not fatal', async () => {
  const { sim, run } = await setup({
    nodes: ['pve1', 'pve2'],
    guests: [guest(110, 'pve1', [snap(managed(1), 4 * DAY_S)]), guest(111, 'pve2', [snap(managed(1), 4 * DAY_S)]), guest(112, 'pve2', [snap(managed(1), 4 * DAY_S)])],
  }, { services: [service(110), service(111), service(112), service(199)] });
  let r = await run('--service', 'svc-111');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([names(sim, 110).length, names(sim, 111).length, names(sim, 112).length], [1, 0, 1]);
  r = await run('--node', 'pve1');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([names(sim, 110).length, names(sim, 112).length], [0, 1]);
  assert.equal(r.json.counts.missing, 1, 'svc-199 has no VM');
  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(names(sim, 112).length, 0);
  assert.equal(r.json.counts.missing, 1);
  assert.equal(r.json.vms.find((/** @type {{vmid: number}} */ v) => v.vmid === 199).outcome, 'missing');
  r = await run('--service', 'svc-nope');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--service svc-nope: no such service/);
});

test('many VMs on two nodes with small bounds all get cleaned', async () => {
  const vmids = Array.from({ length: 12 }, (_, i) => 120 + i);
  const { sim, run } = await setup({
    nodes: ['pve1', 'pve2'],
    guests: vmids.map((v, i) => guest(v, i % 2 ? 'pve2' : 'pve1', [snap(managed(1), 4 * DAY_S), snap(managed(2), 3 * DAY_S + 60), snap(managed(3), 3600)])),
  }, { services: vmids.map((v) => service(v)) });
  const r = await run('--concurrency', '3', '--per-node', '1');
  assert.equal(r.code, 0, r.stderr);
  for (const v of vmids) assert.deepEqual(names(sim, v), [managed(3)], `vm ${v}`);
  assert.equal(r.json.counts.deleted, 24);
});

test('a type mismatch between config and cluster fails that VM only', async () => {
  const { sim, run } = await setup({ nodes: ['pve1'], guests: [guest(113, 'pve1', [snap(managed(1), 4 * DAY_S)]), guest(114, 'pve1', [snap(managed(1), 4 * DAY_S)])] },
    { services: [service(113, 'lxc'), service(114)] });
  const r = await run();
  assert.equal(r.code, 1);
  assert.equal(r.json.failures[0].code, 'TYPE_MISMATCH');
  assert.deepEqual(names(sim, 113), [managed(1)]);
  assert.deepEqual(names(sim, 114), []);
});
