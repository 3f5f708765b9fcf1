// The simulator as a library: seeds (demo, file, object, validation), state
// inspection and direct changes, idle/close; and that its answers fit the
// rules core the rest of the project feeds them to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../simulator/index.mjs';
import { call, data, waitTask } from './helpers/sim-client.mjs';

/** @typedef {import('./helpers/sim-client.mjs').PveEntry} PveEntry */

const CLOCK = Date.UTC(2026, 10, 25, 12, 0, 0);
const MANAGED = /^snap\d{8}T\d{6}$/;

test('the demo seed has the VMs the panel demo depends on', async () => {
  const sim = await startSimulator({ clockMs: CLOCK });
  try {
    const now = CLOCK / 1000;
    const byId = new Map(sim.vms().map((g) => [g.vmid, g]));
    assert.deepEqual([...byId.keys()].sort(), [101, 102, 103, 201, 202]);
    const g101 = byId.get(101);
    assert.ok(g101);
    assert.deepEqual([g101.type, g101.node, g101.name, g101.status, g101.storage, g101.lock], ['qemu', 'pve1', 'web-alice', 'running', 'lvmthin', null]);
    assert.deepEqual(g101.snapshots.map((s) => [s.name, now - s.snaptime, s.vmstate, s.description]), [
      ['before-migration', 10 * 86400, 0, 'Taken by support'],
      ['snap20261124T090000', 86400, 1, 'Before PHP upgrade'],
    ]);
    assert.equal(g101.snapshots.filter((s) => MANAGED.test(s.name)).length, 1, 'Alice sees 1/3');
    const g102 = byId.get(102);
    assert.ok(g102);
    assert.deepEqual([g102.status, g102.storage], ['stopped', 'zfs']);
    assert.deepEqual(g102.snapshots.map((s) => [s.name, now - s.snaptime]), [['snap20261121T080000', 3 * 86400 + 7200], ['snap20261124T200000', 12 * 3600]]);
    const g103 = byId.get(103);
    assert.ok(g103);
    assert.deepEqual([g103.node, g103.name, g103.status, g103.lock], ['pve2', 'mail-alice', 'running', 'backup']);
    assert.deepEqual(g103.snapshots.map((s) => [MANAGED.test(s.name), now - s.snaptime]), [[true, 2 * 86400]]);
    const g201 = byId.get(201);
    assert.ok(g201);
    assert.deepEqual([g201.node, g201.name, g201.status], ['pve2', 'shop-bob', 'running']);
    assert.deepEqual(g201.snapshots.map((s) => [s.name, now - s.snaptime]), [['snap20261125T010000', 6 * 3600]]);
    const g202 = byId.get(202);
    assert.ok(g202);
    assert.deepEqual([g202.type, g202.node, g202.name, g202.status, g202.snapshots.length], ['lxc', 'pve2', 'ct-bob', 'running', 0]);
  } finally {
    await sim.close();
  }
});

test('a seed file with absolute snaptimes and explicit parents', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-seed-'));
  try {
    const file = join(dir, 'seed.json');
    writeFileSync(file, JSON.stringify({
      nodes: ['alpha'],
      guests: [{ vmid: 500, type: 'lxc', node: 'alpha', name: 'c1', status: 'stopped', storage: 'zfs', snapshots: [
        { name: 'one', snaptime: 1700000000 },
        { name: 'two', snaptime: 1700000100, parent: 'one', description: 'second' },
      ] }],
    }));
    const sim = await startSimulator({ seed: file });
    try {
      const list = await data(sim, 'GET', '/nodes/alpha/lxc/500/snapshot');
      const two = list.find((/** @type {PveEntry} */ e) => e.name === 'two');
      assert.deepEqual(two, { name: 'two', snaptime: 1700000100, description: 'second', parent: 'one' });
      assert.equal(list.at(-1).parent, 'two');
      // ZFS container volumes are subvols.
      const upid = await data(sim, 'POST', '/nodes/alpha/lxc/500/snapshot/one/rollback');
      assert.equal((await waitTask(sim, upid)).exitstatus, "can't rollback, 'one' is not most recent snapshot on 'local-zfs:subvol-500-disk-0'");
    } finally {
      await sim.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad seeds and options are refused with coded errors naming the problem', async () => {
  const guest = { vmid: 100, type: 'qemu', node: 'n1', name: 'g', status: 'running' };
  const cases = [
    [{ nodes: [], guests: [] }, /nodes/],
    [{ nodes: ['n1'], guests: [{ ...guest, vmid: 99 }] }, /vmid/],
    [{ nodes: ['n1'], guests: [{ ...guest, type: 'kvm' }] }, /type/],
    [{ nodes: ['n1'], guests: [{ ...guest, node: 'n2' }] }, /node 'n2'/],
    [{ nodes: ['n1'], guests: [{ ...guest, storage: 'ceph' }] }, /storage/],
    [{ nodes: ['n1'], guests: [{ ...guest, snapshots: [{ name: 'a b', ageSeconds: 1 }] }] }, /snapshot name 'a b'/],
    [{ nodes: ['n1'], guests: [{ ...guest, snapshots: [{ name: 'ok1' }] }] }, /ageSeconds or snaptime/],
    [{ nodes: ['n1'], guests: [guest, guest] }, /duplicate vmid/],
  ];
  for (const [seed, re] of /** @type {[object, RegExp][]} */ (cases)) {
    // Wrong on purpose: the seed is checked at run time.
    const options = /** @type {import('../simulator/index.mjs').SimulatorOptions} */ ({ seed });
    await assert.rejects(startSimulator(options), (/** @type {{code?: string, message: string}} */ err) => err.code === 'INVALID_SEED' && re.test(err.message), JSON.stringify(seed));
  }
  await assert.rejects(startSimulator({ seed: '/nonexistent/seed.json' }), { code: 'INVALID_SEED' });
  await assert.rejects(startSimulator({ tokens: [{ id: 'nobang@pam', secret: 'x' }] }), { code: 'INVALID_INPUT' });
  await assert.rejects(startSimulator({ taskDurationMs: -1 }), { code: 'INVALID_INPUT' });
  // @ts-expect-error: an unknown option, on purpose
  await assert.rejects(startSimulator({ taskDuration: 5 }), (/** @type {{code?: string, message: string}} */ err) => err.code === 'INVALID_INPUT' && /taskDuration\b/.test(err.message));
});

test('state copies are detached; direct changes show in the API', async () => {
  const sim = await startSimulator({ clockMs: CLOCK, taskDurationMs: 20 });
  try {
    const copy = sim.vm(101);
    copy.snapshots.length = 0;
    copy.lock = 'backup';
    assert.equal(sim.vm(101).snapshots.length, 2);
    assert.equal(sim.vm(101).lock, null);
    assert.throws(() => sim.vm(999), { code: 'NOT_FOUND' });

    sim.setStatus(101, 'stopped');
    assert.equal((await data(sim, 'GET', '/nodes/pve1/qemu/101/status/current')).status, 'stopped');
    assert.equal((await data(sim, 'GET', '/nodes/pve1/qemu/101/snapshot')).at(-1).running, 0);

    const before = Math.floor(sim.clock.now() / 1000);
    sim.addSnapshot(101, { name: 'planted', ageSeconds: 60, snapstate: 'prepare', description: 'half done' });
    const after = Math.floor(sim.clock.now() / 1000);
    const planted = (await data(sim, 'GET', '/nodes/pve1/qemu/101/snapshot')).find((/** @type {PveEntry} */ e) => e.name === 'planted');
    assert.ok(planted.snaptime >= before - 60 && planted.snaptime <= after - 60, `ageSeconds is relative to the simulated clock: ${planted.snaptime}`);
    assert.deepEqual(planted, { name: 'planted', snaptime: planted.snaptime, vmstate: 0, description: 'half done', parent: 'snap20261124T090000', snapstate: 'prepare' });
    assert.throws(() => sim.addSnapshot(101, { name: 'planted' }), { code: 'INVALID_INPUT' });
    assert.throws(() => sim.addSnapshot(101, { name: 'x' }), { code: 'INVALID_NAME' });
    assert.throws(() => sim.migrate(101, 'pve7'), { code: 'INVALID_INPUT' });
    // @ts-expect-error: a status Proxmox does not have, on purpose
    assert.throws(() => sim.setStatus(101, 'paused'), { code: 'INVALID_INPUT' });

    // The simulated clock drives snaptime of new snapshots.
    sim.clock.set(CLOCK + 5 * 86400_000);
    const upid = await data(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: 'future' } });
    await sim.idle();
    assert.equal(sim.tasks().find((t) => t.upid === upid)?.exitstatus, 'OK');
    const future = sim.vm(201).snapshots.find((s) => s.name === 'future');
    assert.ok(future);
    assert.ok(future.snaptime >= CLOCK / 1000 + 5 * 86400 && future.snaptime < CLOCK / 1000 + 5 * 86400 + 600, String(future.snaptime));
  } finally {
    await sim.close();
    await sim.close();
  }
});

test('close() with a task still running and a client still waiting leaves nothing behind', async () => {
  const sim = await startSimulator({ taskDurationMs: 600_000, faults: { latencyMs: 600_000, errorPaths: null } });
  const pending = fetch(`${sim.url}/api2/json/version`).then(() => 'answered', () => 'closed');
  // Wait until the slow request is inside the simulator before speeding the rest up.
  for (let i = 0; i < 2000 && !sim.requests.some((r) => r.path === '/api2/json/version'); i++) await new Promise((r) => setTimeout(r, 10));
  sim.faults.set({ latencyMs: 0 });
  await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'unfinished' } });
  await sim.close();
  assert.equal(await pending, 'closed');
  await sim.idle();
});

test("the simulator's answers fit the rules core (status, list, plans, task outcome)", async () => {
  const core = await import('../core.mjs');
  const sim = await startSimulator({ clockMs: CLOCK, taskDurationMs: 20 });
  try {
    const policy = core.validatePolicy({ maxSnapshots: 3, lifetimeDays: 3 });
    const read = async (/** @type {import('../core.mjs').Target} */ target) => {
      const status = await data(sim, 'GET', `/nodes/${target.node}/${target.type ?? 'qemu'}/${target.vmid}/status/current`);
      const list = await data(sim, 'GET', `/nodes/${target.node}/${target.type ?? 'qemu'}/${target.vmid}/snapshot`);
      return { status, list };
    };
    const t101 = { node: 'pve1', vmid: 101 };
    let { status, list } = await read(t101);
    let page = core.snapshotPage(policy, status, list, sim.clock.now());
    assert.equal(page.quota.used, 1);
    assert.equal(page.quota.limit, 3);
    assert.deepEqual(page.rows.map((r) => [r.name, r.managed]), [['before-migration', false], ['snap20261124T090000', true]]);

    const t103 = { node: 'pve2', vmid: 103 };
    ({ status, list } = await read(t103));
    page = core.snapshotPage(policy, status, list, sim.clock.now());
    assert.equal(page.createBlocked?.code, 'VM_LOCKED');

    const t102 = { node: 'pve1', vmid: 102 };
    ({ status, list } = await read(t102));
    const expiry = core.planExpiry(t102, policy, status, list, sim.clock.now());
    assert.deepEqual(expiry.deletes.map((d) => d.name), ['snap20261121T080000']);

    ({ status, list } = await read(t101));
    const plan = core.planCreate(t101, policy, status, list, { description: 'from core' }, sim.clock.now());
    const upid = await data(sim, plan.method, plan.path, plan.method === 'GET' || plan.method === 'DELETE' ? { query: plan.params } : { form: plan.params });
    const st = await waitTask(sim, upid);
    assert.equal(core.taskOutcome(st).state, 'ok');
    assert.ok(sim.vm(101).snapshots.some((s) => s.name === plan.name && s.description === 'from core'));
    const parsed = core.parseUpid(upid);
    assert.equal(parsed.node, 'pve1');
    assert.equal(parsed.user, 'root@pam!panel');

    const locked = await data(sim, 'POST', '/nodes/pve2/qemu/103/snapshot', { form: { snapname: 'x1' } });
    const outcome = core.taskOutcome(await waitTask(sim, locked));
    assert.equal(outcome.state, 'failed');
    assert.equal(outcome.lock, 'backup');
  } finally {
    await sim.close();
  }
});

test('the request log keeps only the newest requestLogLimit entries', async () => {
  const sim = await startSimulator({ requestLogLimit: 3 });
  try {
    for (let i = 0; i < 5; i++) await call(sim, 'GET', '/version', { query: { i } });
    assert.deepEqual(sim.requests.map((r) => r.query.i), ['2', '3', '4']);
  } finally {
    await sim.close();
  }
});
