// Fault knobs of the simulator: latency, random errors (reproducible with a
// seed), hung requests, hung and failing tasks, stuck removals, status lag.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator } from '../simulator/index.mjs';
import { call, data, snapshots, waitTask } from './helpers/sim-client.mjs';

/** @typedef {import('./helpers/sim-client.mjs').PveEntry} PveEntry */

/** @type {import('../simulator/index.mjs').Simulator} */
let sim;
before(async () => {
  sim = await startSimulator({ taskDurationMs: 30, random: 7 });
});
after(async () => {
  await sim?.close();
});

/** true when the request got no answer before the client gave up */
async function noAnswerWithin(/** @type {number} */ ms, /** @type {string} */ path) {
  try {
    await fetch(`${sim.url}/api2/json${path}`, { headers: { Authorization: 'PVEAPIToken=root@pam!panel=SECRET' }, signal: AbortSignal.timeout(ms) });
    return false;
  } catch (err) {
    return /** @type {Error} */ (err).name === 'TimeoutError';
  }
}

test('latency holds the answer back; clearing it lets requests through', async () => {
  sim.faults.set({ latencyMs: 60_000 });
  try {
    assert.equal(await noAnswerWithin(300, '/version'), true);
  } finally {
    sim.faults.clear();
  }
  assert.equal((await call(sim, 'GET', '/version')).status, 200);
});

test('errorRate 1 answers every matching request with a Proxmox-like 500/503', async () => {
  sim.faults.set({ errorRate: 1, errorPaths: ['/snapshot'], errorMethods: ['GET'] });
  try {
    for (let i = 0; i < 8; i++) {
      const r = await call(sim, 'GET', '/nodes/pve1/qemu/101/snapshot');
      assert.ok([500, 503].includes(r.status), `status ${r.status}`);
      assert.equal(r.json.data, null);
      assert.equal(typeof r.json.message, 'string');
      assert.equal(r.statusText, r.json.message.split('\n')[0]);
    }
    assert.equal((await call(sim, 'GET', '/nodes/pve1/qemu/101/status/current')).status, 200, 'other paths unaffected');
    const post = await call(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'notHit' } });
    assert.equal(post.status, 200, 'other methods unaffected');
    await waitTask(sim, post.json.data);
  } finally {
    sim.faults.clear();
  }
});

test('the same random seed gives the same fault sequence', async () => {
  const run = async () => {
    const s = await startSimulator({ random: 'replay', faults: { errorRate: 0.5 } });
    try {
      const statuses = [];
      for (let i = 0; i < 20; i++) statuses.push((await call(s, 'GET', '/version')).status);
      return statuses;
    } finally {
      await s.close();
    }
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a, b);
  assert.ok(a.includes(200) && a.some((x) => x >= 500), `a mix of answers: ${a}`);
});

test('hung requests never answer, other paths still do, and close() ends them', async () => {
  const s = await startSimulator({ faults: { hang: { paths: ['/status/current'] } } });
  const pending = fetch(`${s.url}/api2/json/nodes/pve1/qemu/101/status/current`, { headers: { Authorization: 'PVEAPIToken=root@pam!panel=SECRET' } })
    .then(() => 'answered', () => 'connection closed');
  assert.equal((await call(s, 'GET', '/version')).status, 200);
  const hung = s.requests.find((r) => r.path.endsWith('/status/current'));
  assert.ok(hung);
  assert.equal(hung.status, null);
  await s.close();
  assert.equal(await pending, 'connection closed');
});

test('hangTasks: the task stays running and holds the lock; idle() does not wait for it', async () => {
  sim.faults.set({ hangTasks: [201] });
  try {
    const upid = await data(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: 'forever' } });
    await sim.idle();
    const st = await data(sim, 'GET', `/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`);
    assert.equal(st.status, 'running');
    assert.equal(st.exitstatus, undefined);
    assert.equal(sim.vm(201).lock, 'snapshot');
    // Stopping the task (DELETE on the task) ends it and cleans up like an interrupted worker.
    assert.equal((await call(sim, 'DELETE', `/nodes/pve2/tasks/${encodeURIComponent(upid)}`)).status, 200);
    const stopped = await data(sim, 'GET', `/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`);
    assert.equal(stopped.exitstatus, 'received interrupt');
    assert.equal(sim.vm(201).lock, null);
    assert.ok(!(await snapshots(sim, 'pve2', 201)).has('forever'));
  } finally {
    sim.faults.clear();
  }
});

test('failNextTask: the next task ends with that error and changes nothing', async () => {
  sim.failNextTask(101, 'snapshot feature is not available');
  const upid = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'failing' } });
  assert.equal((await waitTask(sim, upid)).exitstatus, 'snapshot feature is not available');
  assert.ok(!(await snapshots(sim, 'pve1', 101)).has('failing'));
  assert.equal(sim.vm(101).lock, null);
  const again = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'failing' } });
  assert.equal((await waitTask(sim, again)).exitstatus, 'OK', 'only the next task fails');
});

test('warnNextTask: exitstatus WARNINGS: n, and the operation still happened', async () => {
  sim.warnNextTask(101, 2);
  const upid = await data(sim, 'DELETE', '/nodes/pve1/qemu/101/snapshot/failing');
  assert.equal((await waitTask(sim, upid)).exitstatus, 'WARNINGS: 2');
  assert.ok(!(await snapshots(sim, 'pve1', 101)).has('failing'));
});

test('stuckDeletes fault: the removal fails and leaves snapstate delete + lock snapshot-delete', async () => {
  sim.addSnapshot(201, { name: 'sticky', ageSeconds: 10 });
  sim.faults.set({ stuckDeletes: [201] });
  try {
    const upid = await data(sim, 'DELETE', '/nodes/pve2/qemu/201/snapshot/sticky');
    const st = await waitTask(sim, upid);
    assert.match(st.exitstatus, /^lvremove snapshot 'pve\/snap_vm-201-disk-0_sticky' error/);
    assert.equal((await snapshots(sim, 'pve2', 201)).get('sticky')?.snapstate, 'delete');
    assert.equal((await data(sim, 'GET', '/nodes/pve2/qemu/201/status/current')).lock, 'snapshot-delete');
    // force=1 does not get past the stale lock either.
    const retry = await data(sim, 'DELETE', '/nodes/pve2/qemu/201/snapshot/sticky', { query: { force: 1 } });
    assert.equal((await waitTask(sim, retry)).exitstatus, 'VM is locked (snapshot-delete)');
  } finally {
    sim.faults.clear();
    sim.setLock(201, null);
  }
});

test('stuckDeletes with force=1: the storage error is a warning and the snapshot goes', async () => {
  sim.addSnapshot(201, { name: 'forced', ageSeconds: 5 });
  sim.faults.set({ stuckDeletes: [201] });
  try {
    const upid = await data(sim, 'DELETE', '/nodes/pve2/qemu/201/snapshot/forced', { query: { force: 1 } });
    assert.equal((await waitTask(sim, upid)).exitstatus, 'WARNINGS: 1');
    assert.ok(!(await snapshots(sim, 'pve2', 201)).has('forced'));
    assert.equal(sim.vm(201).lock, null);
    const log = await data(sim, 'GET', `/nodes/pve2/tasks/${encodeURIComponent(upid)}/log`);
    assert.ok(log.some((/** @type {PveEntry} */ l) => l.t.startsWith("WARN: lvremove snapshot 'pve/snap_vm-201-disk-0_forced' error")));
  } finally {
    sim.faults.clear();
  }
});

test('stuckDelete(vmid, name) plants the stale state of a crashed removal', async () => {
  const upid = sim.stuckDelete(102, 'snap20261124T200000');
  const st = await data(sim, 'GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`);
  assert.equal(st.status, 'stopped');
  assert.equal(st.type, 'qmdelsnapshot');
  assert.equal(st.exitstatus, 'zfs error: could not find any snapshots to destroy; check the dataset names.');
  assert.equal(sim.vm(102).lock, 'snapshot-delete');
  assert.equal(sim.vm(102).snapshots.find((s) => s.name === 'snap20261124T200000')?.snapstate, 'delete');
  const rb = await data(sim, 'POST', '/nodes/pve1/qemu/102/snapshot/snap20261124T200000/rollback');
  assert.equal((await waitTask(sim, rb)).exitstatus, 'unable to rollback to incomplete snapshot (snapstate = delete)');
});

test('taskStatusLagMs: a fresh UPID is "no such task" during the lag, then known', async () => {
  sim.faults.set({ taskStatusLagMs: 600_000 });
  try {
    const upid = await data(sim, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'lagged' } });
    const early = await call(sim, 'GET', `/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`);
    assert.equal(early.status, 400);
    assert.deepEqual(early.json.errors, { upid: 'no such task' });
    // Once the lag is over the same UPID is known.
    sim.faults.set({ taskStatusLagMs: 0 });
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
  } finally {
    sim.faults.clear();
  }
});

test('setLock / unlock: a backup lock fails tasks until it is lifted', async () => {
  sim.setLock(202, 'backup');
  let upid = await data(sim, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'duringBackup' } });
  assert.equal((await waitTask(sim, upid)).exitstatus, 'CT is locked (backup)');
  sim.setLock(202, null);
  upid = await data(sim, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'duringBackup' } });
  assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
});

test('per-operation task durations', async () => {
  const s = await startSimulator({ taskDurationMs: { create: 10, delete: 600_000 } });
  try {
    const del = await data(s, 'DELETE', '/nodes/pve2/qemu/201/snapshot/snap20261125T010000');
    const create = await data(s, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'quick' } });
    assert.equal((await waitTask(s, create)).exitstatus, 'OK');
    assert.equal((await data(s, 'GET', `/nodes/pve2/tasks/${encodeURIComponent(del)}/status`)).status, 'running');
  } finally {
    await s.close();
  }
});

test('faults.set refuses unknown knobs and bad values', () => {
  // @ts-expect-error: an unknown fault setting, on purpose
  assert.throws(() => sim.faults.set({ latency: 5 }), { code: 'INVALID_INPUT' });
  assert.throws(() => sim.faults.set({ errorRate: 2 }), { code: 'INVALID_INPUT' });
});

test('authFailDelayMs holds a 401 back like Proxmox\'s 3-second delay; good tokens are not delayed', async () => {
  const s = await startSimulator({ authFailDelayMs: 60_000 });
  try {
    const slow = fetch(`${s.url}/api2/json/version`, { headers: { Authorization: 'PVEAPIToken=root@pam!panel=WRONG' }, signal: AbortSignal.timeout(300) })
      .then(() => 'answered', (err) => err.name);
    assert.equal(await slow, 'TimeoutError');
    assert.equal((await call(s, 'GET', '/version')).status, 200);
  } finally {
    await s.close();
  }
});

test('finishTasks ends held tasks now with their normal outcome', async () => {
  sim.faults.set({ hangTasks: true });
  try {
    const a = await data(sim, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'heldA' } });
    const b = await data(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: 'heldB' } });
    assert.equal(sim.finishTasks(202), 1);
    assert.equal((await waitTask(sim, a)).exitstatus, 'OK');
    assert.equal(sim.tasks().find((t) => t.upid === b)?.status, 'running');
    assert.equal(sim.finishTasks(), 1);
    assert.equal((await waitTask(sim, b)).exitstatus, 'OK');
    assert.equal(sim.finishTasks(), 0);
  } finally {
    sim.faults.clear();
  }
});
