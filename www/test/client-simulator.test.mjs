// The client against the Proxmox simulator over real HTTP(S) on loopback,
// with request descriptions from the real core: the snapshot life cycle,
// Proxmox's error shapes, faults, and retries counted in the simulator's log.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '../core.mjs';
import { startSimulator } from '../simulator/index.mjs';
import { createPveClient, PveError } from '../pve/client.mjs';

const TOKEN = { id: 'snap@pve!panel', secret: 'sim-secret-7f3a' };
const READ_ONLY = { id: 'audit@pve!ro', secret: 'ro-secret-1234', privileges: ['VM.Audit', 'Sys.Audit'] };
const POLICY = core.validatePolicy({ maxSnapshots: 10, lifetimeDays: 3 });
/** @type {import('../core.mjs').Target} */
const VM101 = { node: 'pve1', vmid: 101, type: 'qemu' };

/** @type {Awaited<ReturnType<typeof startSimulator>>} */
let sim;
/** @type {import('../pve/client.mjs').PveClient} */
let pve;

before(async () => {
  sim = await startSimulator({ port: 0, seed: 'demo', tokens: [TOKEN, READ_ONLY], taskDurationMs: 150 });
  pve = createPveClient({ url: sim.url, tokenId: TOKEN.id, tokenSecret: TOKEN.secret, timeoutMs: 5000, retries: 2 });
});

beforeEach(() => {
  sim.faults.clear();
});

after(async () => {
  pve?.close();
  await sim?.close();
});

/** @param {import('../core.mjs').Target} target */
async function fresh(target) {
  const [vmStatus, snapshots] = await Promise.all([
    pve.request(core.vmStatusRequest(target)),
    pve.request(core.listSnapshotsRequest(target)),
  ]);
  return { vmStatus, snapshots };
}

/** Requests the simulator logged for a path (suffix match) since `from`. */
function logged(/** @type {number} */ from, /** @type {string} */ method, /** @type {string} */ pathEnd) {
  return sim.requests.slice(from).filter((r) => r.method === method && decodeURIComponent(r.path).endsWith(pathEnd));
}

test('list and status of the demo VM 101', async () => {
  const { vmStatus, snapshots } = await fresh(VM101);
  assert.equal(vmStatus.status, 'running');
  const names = snapshots.map((/** @type {any} */ s) => s.name);
  assert.ok(names.includes('snap20261124T090000') && names.includes('before-migration'), names.join());
  assert.equal(names.at(-1), 'current');
  assert.equal(typeof snapshots.find((/** @type {any} */ s) => s.name === 'before-migration').snaptime, 'number');
});

test('create → task ok → snapshot present with snaptime; rollback; delete → gone', async () => {
  let { vmStatus, snapshots } = await fresh(VM101);
  const create = core.planCreate(VM101, POLICY, vmStatus, snapshots, { description: 'client test' }, sim.clock.now());
  assert.ok(create.name, 'planCreate names the snapshot it creates');
  const upid = await pve.request(create);
  assert.match(upid, /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:qmsnapshot:101:snap@pve!panel:$/);
  /** @type {number[]} */
  const seen = [];
  const created = await pve.waitForTask(upid, { timeoutMs: 20000, intervalMs: 25, onProgress: ({ elapsedMs }) => seen.push(elapsedMs) });
  assert.equal(created.state, 'ok', JSON.stringify(created));
  assert.equal(created.timedOut, false);

  ({ vmStatus, snapshots } = await fresh(VM101));
  const snap = snapshots.find((/** @type {any} */ s) => s.name === create.name);
  assert.ok(snap, `${create.name} listed`);
  assert.equal(snap.description, 'client test');
  assert.ok(Number.isInteger(snap.snaptime) && snap.snaptime > 0);
  assert.equal(vmStatus.lock, undefined);

  const rollback = core.planRollback(VM101, POLICY, vmStatus, snapshots, create.name, { start: true });
  const rolled = await pve.waitForTask(await pve.request(rollback), { timeoutMs: 20000, intervalMs: 25 });
  assert.equal(rolled.state, 'ok', JSON.stringify(rolled));
  assert.equal(sim.vm(101).status, 'running');

  ({ vmStatus, snapshots } = await fresh(VM101));
  const remove = core.planRemove(VM101, POLICY, vmStatus, snapshots, create.name);
  assert.equal(remove.method, 'DELETE');
  const removed = await pve.waitForTask(await pve.request(remove), { timeoutMs: 20000, intervalMs: 25 });
  assert.equal(removed.state, 'ok', JSON.stringify(removed));
  ({ snapshots } = await fresh(VM101));
  assert.ok(!snapshots.some((/** @type {any} */ s) => s.name === create.name));
});

test('a container (LXC 202 on pve2): create and wait', async () => {
  /** @type {import('../core.mjs').Target} */
  const ct = { node: 'pve2', vmid: 202, type: 'lxc' };
  const { vmStatus, snapshots } = await fresh(ct);
  const create = core.planCreate(ct, POLICY, vmStatus, snapshots, {}, sim.clock.now());
  const upid = await pve.request(create);
  assert.match(upid, /^UPID:pve2:.*:vzsnapshot:202:/);
  const result = await pve.waitForTask(upid, { timeoutMs: 20000, intervalMs: 25 });
  assert.equal(result.state, 'ok');
  assert.ok((await fresh(ct)).snapshots.some((/** @type {any} */ s) => s.name === create.name));
});

test('a VM locked by a backup: HTTP 200 with a UPID, then the task fails with the lock', async () => {
  sim.setLock(201, 'backup');
  try {
    // Sent by hand: the core would refuse this up front (VM_LOCKED).
    const upid = await pve.request({ method: 'POST', path: '/nodes/pve2/qemu/201/snapshot', params: { snapname: 'snapLocked1' } });
    const result = await pve.waitForTask(upid, { timeoutMs: 20000, intervalMs: 25 });
    assert.equal(result.state, 'failed');
    assert.equal(result.message, 'VM is locked (backup)');
    assert.equal(result.lock, 'backup');
    assert.equal(result.timedOut, false);
  } finally {
    sim.setLock(201, null);
  }
});

test('a task that fails for another reason carries Proxmox\'s text', async () => {
  sim.failNextTask(201, 'snapshot feature is not available');
  const upid = await pve.request({ method: 'POST', path: '/nodes/pve2/qemu/201/snapshot', params: { snapname: 'snapFails1' } });
  const result = await pve.waitForTask(upid, { timeoutMs: 20000, intervalMs: 25 });
  assert.deepEqual({ state: result.state, message: result.message, lock: result.lock },
    { state: 'failed', message: 'snapshot feature is not available', lock: null });
});

test('a task that outlives the wait is running + timedOut, not failed', async () => {
  // VM 102 only: a hung task keeps its lock for the rest of the run.
  sim.faults.set({ hangTasks: [102] });
  const upid = await pve.request({ method: 'POST', path: '/nodes/pve1/qemu/102/snapshot', params: { snapname: 'snapHangs1' } });
  const result = await pve.waitForTask(upid, { timeoutMs: 400, intervalMs: 50 });
  assert.equal(result.state, 'running');
  assert.equal(result.timedOut, true);
  assert.equal(result.message, null);
});

test('a fresh UPID that is not yet visible ("no such task") is waited for', async () => {
  sim.faults.set({ taskStatusLagMs: 1000 });
  const from = sim.requests.length;
  const upid = await pve.request({ method: 'POST', path: '/nodes/pve2/qemu/201/snapshot', params: { snapname: 'snapLagged1' } });
  const result = await pve.waitForTask(upid, { timeoutMs: 20000, intervalMs: 25 });
  assert.equal(result.state, 'ok', JSON.stringify(result));
  assert.ok(logged(from, 'GET', '/status').some((r) => r.status === 400), 'at least one early 400 was seen');
  await pve.waitForTask(await pve.request({ method: 'DELETE', path: '/nodes/pve2/qemu/201/snapshot/snapLagged1' }), { timeoutMs: 20000, intervalMs: 25 });
});

test('Proxmox parameter errors: invalid name, 41 characters', async () => {
  for (const snapname of ['a b', `s${'x'.repeat(40)}`]) {
    const err = await pve.request({ method: 'POST', path: '/nodes/pve1/qemu/101/snapshot', params: { snapname } })
      .then(() => assert.fail('should fail'), (e) => e);
    assert.ok(err instanceof PveError);
    assert.equal(err.code, 'PVE_PARAMETER');
    assert.equal(err.status, 400);
    assert.ok(err.errors?.snapname, JSON.stringify(err.errors));
    assert.match(err.message, /^POST \/nodes\/pve1\/qemu\/101\/snapshot: HTTP 400/);
  }
});

test('a wrong secret is PVE_AUTH (401)', async () => {
  const bad = createPveClient({ url: sim.url, tokenId: TOKEN.id, tokenSecret: 'wrong-secret', retries: 0 });
  try {
    await assert.rejects(bad.request(core.listSnapshotsRequest(VM101)), { code: 'PVE_AUTH', status: 401 });
  } finally {
    bad.close();
  }
});

test('a token without VM.Snapshot is PVE_FORBIDDEN (403) naming the privilege', async () => {
  const ro = createPveClient({ url: sim.url, tokenId: READ_ONLY.id, tokenSecret: READ_ONLY.secret, retries: 0 });
  try {
    assert.ok(Array.isArray(await ro.request(core.listSnapshotsRequest(VM101))));
    const err = await ro.request({ method: 'POST', path: '/nodes/pve1/qemu/101/snapshot', params: { snapname: 'snapDenied1' } })
      .then(() => assert.fail('should fail'), (e) => e);
    assert.equal(err.code, 'PVE_FORBIDDEN');
    assert.equal(err.status, 403);
    assert.match(err.pveMessage, /VM\.Snapshot/);
  } finally {
    ro.close();
  }
});

test('an unknown path is PVE_NOT_IMPLEMENTED (501)', async () => {
  await assert.rejects(pve.request({ method: 'GET', path: '/nodes/pve1/nothing-here' }), { code: 'PVE_NOT_IMPLEMENTED', status: 501 });
});

test('GET is retried on server errors (counted by the simulator), POST is not', async () => {
  sim.faults.set({ errorRate: 1, errorPaths: ['/status/current', '/snapshot'] });
  let from = sim.requests.length;
  await assert.rejects(pve.request(core.vmStatusRequest(VM101)), (err) => err instanceof PveError && err.code === 'PVE_SERVER' && err.retryable);
  assert.equal(logged(from, 'GET', '/qemu/101/status/current').length, 3);

  from = sim.requests.length;
  await assert.rejects(pve.request({ method: 'POST', path: '/nodes/pve1/qemu/101/snapshot', params: { snapname: 'snapNoRetry1' } }),
    (err) => err instanceof PveError && err.code === 'PVE_SERVER' && !err.retryable);
  assert.equal(logged(from, 'POST', '/qemu/101/snapshot').length, 1);
});

test('a hung request is PVE_TIMEOUT; GET retried, DELETE sent once', async () => {
  const quick = createPveClient({ url: sim.url, tokenId: TOKEN.id, tokenSecret: TOKEN.secret, timeoutMs: 600, retries: 1 });
  try {
    sim.faults.set({ hang: true });
    let from = sim.requests.length;
    await assert.rejects(quick.request(core.listSnapshotsRequest(VM101)), { code: 'PVE_TIMEOUT' });
    assert.equal(logged(from, 'GET', '/qemu/101/snapshot').length, 2);
    from = sim.requests.length;
    await assert.rejects(quick.request({ method: 'DELETE', path: '/nodes/pve1/qemu/101/snapshot/before-migration' }), { code: 'PVE_TIMEOUT' });
    assert.equal(logged(from, 'DELETE', '/snapshot/before-migration').length, 1);
  } finally {
    sim.faults.clear();
    quick.close();
  }
});

test('over HTTPS with a pinned self-signed certificate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'client-sim-tls-'));
  const tlsSim = await (async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '2',
      '-subj', '/CN=pve1.example.net', '-addext', 'subjectAltName=DNS:pve1.example.net'], { cwd: dir, stdio: 'ignore' });
    const fingerprint = execFileSync('openssl', ['x509', '-in', 'c.pem', '-noout', '-fingerprint', '-sha256'], { cwd: dir }).toString().trim().split('=')[1];
    const s = await startSimulator({ port: 0, tokens: [TOKEN], taskDurationMs: 50, tls: { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) } });
    return { s, fingerprint };
  })();
  const pinned = createPveClient({ url: tlsSim.s.url, tokenId: TOKEN.id, tokenSecret: TOKEN.secret, fingerprint: tlsSim.fingerprint });
  const unpinned = createPveClient({ url: tlsSim.s.url, tokenId: TOKEN.id, tokenSecret: TOKEN.secret, retries: 0 });
  try {
    assert.match(tlsSim.s.url, /^https:/);
    const snapshots = await pinned.request(core.listSnapshotsRequest(VM101));
    assert.equal(snapshots.at(-1).name, 'current');
    const upid = await pinned.request({ method: 'POST', path: '/nodes/pve1/qemu/101/snapshot', params: { snapname: 'snapOverTls1' } });
    assert.equal((await pinned.waitForTask(upid, { timeoutMs: 20000, intervalMs: 25 })).state, 'ok');
    const before = tlsSim.s.requests.length;
    const err = await unpinned.request(core.listSnapshotsRequest(VM101)).then(() => assert.fail('should fail'), (e) => e);
    assert.equal(err.code, 'PVE_TLS');
    assert.ok(err.message.includes(tlsSim.fingerprint));
    assert.equal(tlsSim.s.requests.length, before);
  } finally {
    pinned.close();
    unpinned.close();
    await tlsSim.s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
