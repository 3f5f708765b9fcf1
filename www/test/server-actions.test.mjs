// Panel server: reading snapshot data and create / rollback / remove with
// their task follow-up, the rules re-checked by the server, and one action
// per VM at a time, over real HTTP against the simulator (demo seed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as core from '../core.mjs';
import { startStack, leakedInReplies } from './server-harness.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('./server-harness.mjs').Browser} */
let alice;
/** @type {import('./server-harness.mjs').Browser} */
let bob;

before(async () => {
  stack = await startStack({ limits: { actions: 1000 } });
  alice = await stack.browser('alice');
  bob = await stack.browser('bob');
});
after(async () => {
  await stack?.close();
});

/** @param {string} serviceId */
async function pageOf(serviceId) {
  const r = await alice.send('GET', `/api/services/${serviceId}/snapshots`);
  assert.equal(r.status, 200, r.text);
  return { data: r.json, view: core.snapshotPage(r.json.policy, r.json.vmStatus, r.json.snapshots, r.json.serverTime) };
}

/** @param {number} vmid @param {string} suffix */
const writesTo = (vmid, suffix = '') => stack.writes().filter((r) => r.path.includes(`/${vmid}/snapshot${suffix}`));

test('services: each customer sees exactly their own', async () => {
  const a = await alice.send('GET', '/api/services');
  assert.equal(a.status, 200);
  assert.deepEqual(a.json.services, [
    { id: 'svc-101', name: 'web-alice', vmid: 101, type: 'qemu', product: 'vps-s' },
    { id: 'svc-102', name: 'db-alice', vmid: 102, type: 'qemu', product: 'vps-zfs' },
    { id: 'svc-103', name: 'mail-alice', vmid: 103, type: 'qemu', product: 'vps-s' },
  ]);
  const b = await bob.send('GET', '/api/services');
  assert.deepEqual(b.json.services.map((/** @type {any} */ s) => s.id), ['svc-201', 'svc-202']);
});

test('snapshot data: policy, Proxmox status and list as is, server time; the core shows 1/3 for web-alice', async () => {
  const before_ = stack.sim.clock.now();
  const { data, view } = await pageOf('svc-101');
  const after_ = stack.sim.clock.now();
  assert.deepEqual(data.service, { id: 'svc-101', name: 'web-alice', vmid: 101, type: 'qemu' });
  assert.deepEqual(data.policy, stack.config.products['vps-s']);
  assert.equal(data.vmStatus.status, 'running');
  assert.equal(data.snapshots.at(-1).name, 'current');
  assert.ok(data.serverTime >= before_ && data.serverTime <= after_);
  assert.equal(data.activeTask, null);
  assert.equal(view.quota.label, '1/3');
  assert.equal(view.rows.filter((r) => !r.managed).length, 1, 'the foreign snapshot is listed');
});

test('create: 202 with a task, the task ends ok, the snapshot is there with its description', async () => {
  const sent = stack.writes().length;
  const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 'before <b>upgrade</b>' } });
  assert.equal(r.status, 202, r.text);
  const { task } = r.json;
  assert.equal(task.kind, 'create');
  assert.match(task.name, /^snap\d{8}T\d{6}(-\d+)?$/);
  assert.match(task.id, /^t-[A-Za-z0-9_-]{20,}$/);
  const done = await alice.waitTask('svc-101', task.id);
  assert.equal(done.status, 200);
  assert.deepEqual(done.json.task, { id: task.id, kind: 'create', name: task.name, state: 'ok', message: null, warnings: 0 });

  const writes = stack.writes().slice(sent);
  assert.equal(writes.length, 1);
  assert.equal(writes[0].method, 'POST');
  assert.equal(writes[0].path, '/api2/json/nodes/pve1/qemu/101/snapshot');
  const { data, view } = await pageOf('svc-101');
  const made = data.snapshots.find((/** @type {any} */ s) => s.name === task.name);
  assert.equal(made.description, 'before <b>upgrade</b>');
  assert.equal(view.quota.label, '2/3');
});

test('quota full: the third managed snapshot is the last, then 409 QUOTA_EXCEEDED and nothing sent', async () => {
  const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(r.status, 202, r.text);
  assert.equal((await alice.waitTask('svc-101', r.json.task.id)).json.task.state, 'ok');
  assert.equal((await pageOf('svc-101')).view.quota.label, '3/3');

  const sent = stack.writes().length;
  const full = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 'one too many' } });
  assert.equal(full.status, 409);
  assert.equal(full.json.error.code, 'QUOTA_EXCEEDED');
  assert.deepEqual(full.json.error.details, { used: 3, limit: 3 });
  assert.equal(stack.writes().length, sent);
});

test('remove: 202, the task ends ok and frees quota; foreign snapshots are refused with NOT_MANAGED', async () => {
  const { view } = await pageOf('svc-101');
  const foreign = view.rows.find((row) => !row.managed);
  assert.ok(foreign);
  const sent = stack.writes().length;
  const refused = await alice.send('DELETE', `/api/services/svc-101/snapshots/${foreign.name}`);
  assert.equal(refused.status, 409);
  assert.equal(refused.json.error.code, 'NOT_MANAGED');
  assert.equal(stack.writes().length, sent);

  const victim = view.rows.find((row) => row.managed);
  assert.ok(victim);
  const r = await alice.send('DELETE', `/api/services/svc-101/snapshots/${victim.name}`);
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(Object.keys(r.json.task).sort(), ['id', 'kind', 'name']);
  assert.equal(r.json.task.kind, 'remove');
  assert.equal(r.json.task.name, victim.name);
  assert.equal((await alice.waitTask('svc-101', r.json.task.id)).json.task.state, 'ok');
  const writes = stack.writes().slice(sent);
  assert.deepEqual(writes.map((w) => `${w.method} ${w.path}`), [`DELETE /api2/json/nodes/pve1/qemu/101/snapshot/${victim.name}`]);
  const after_ = await pageOf('svc-101');
  assert.equal(after_.view.quota.label, '2/3');
  assert.ok(!after_.data.snapshots.some((/** @type {any} */ s) => s.name === victim.name));
});

test('remove of a snapshot that does not exist is 404 NOT_FOUND', async () => {
  const r = await alice.send('DELETE', '/api/services/svc-101/snapshots/snap20200101T000000');
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'NOT_FOUND');
});

test('rollback of a running VM: 202, the task ends ok, the VM runs again', async () => {
  const { view } = await pageOf('svc-101');
  const target = view.rows.filter((row) => row.managed).at(-1);
  assert.ok(target);
  const sent = stack.writes().length;
  const r = await alice.send('POST', `/api/services/svc-101/snapshots/${target.name}/rollback`, { json: {} });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.task.kind, 'rollback');
  assert.equal((await alice.waitTask('svc-101', r.json.task.id)).json.task.state, 'ok');
  const writes = stack.writes().slice(sent);
  assert.equal(writes.length, 1);
  assert.equal(writes[0].path, `/api2/json/nodes/pve1/qemu/101/snapshot/${target.name}/rollback`);
  assert.equal((await pageOf('svc-101')).data.vmStatus.status, 'running');
});

test('ZFS product: rollback to an older snapshot is ROLLBACK_NOT_LATEST, create is QUOTA_EXCEEDED (2/2)', async () => {
  const { view } = await pageOf('svc-102');
  assert.equal(view.quota.label, '2/2');
  const managed = view.rows.filter((row) => row.managed);
  assert.equal(managed.length, 2);
  const sent = stack.writes().length;
  const older = await alice.send('POST', `/api/services/svc-102/snapshots/${managed[0].name}/rollback`, { json: { start: false } });
  assert.equal(older.status, 409);
  assert.equal(older.json.error.code, 'ROLLBACK_NOT_LATEST');
  const full = await alice.send('POST', '/api/services/svc-102/snapshots', { json: {} });
  assert.equal(full.status, 409);
  assert.equal(full.json.error.code, 'QUOTA_EXCEEDED');
  assert.equal(stack.writes().length, sent);
});

test('a VM locked by a backup: 409 VM_LOCKED for every action, nothing sent', async () => {
  const { data, view } = await pageOf('svc-103');
  assert.equal(data.vmStatus.lock, 'backup');
  assert.equal(view.createBlocked?.code, 'VM_LOCKED');
  const sent = stack.writes().length;
  const r = await alice.send('POST', '/api/services/svc-103/snapshots', { json: { description: 'x' } });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'VM_LOCKED');
  assert.deepEqual(r.json.error.details, { lock: 'backup' });
  const managed = view.rows.find((row) => row.managed);
  if (managed) {
    const d = await alice.send('DELETE', `/api/services/svc-103/snapshots/${managed.name}`);
    assert.equal(d.status, 409);
    assert.equal(d.json.error.code, 'VM_LOCKED');
  }
  assert.equal(stack.writes().length, sent);
});

test('tasks: unknown ids and ids of another service are 404', async () => {
  const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(r.status, 202, r.text);
  const id = r.json.task.id;
  assert.equal((await alice.waitTask('svc-101', id)).json.task.state, 'ok');
  for (const path of [`/api/services/svc-102/tasks/${id}`, '/api/services/svc-101/tasks/t-doesnotexist',
    `/api/services/svc-101/tasks/${id}x`, `/api/services/svc-201/tasks/${id}`]) {
    const t = await alice.send('GET', path);
    assert.equal(t.status, 404, path);
    assert.equal(t.json.error.code, 'NOT_FOUND');
  }
  assert.equal((await bob.send('GET', `/api/services/svc-101/tasks/${id}`)).status, 404);
});

test('double submit: one 202, one 409 SNAPSHOT_BUSY, exactly one snapshot request; activeTask names the running task', async () => {
  // The task never ends in the simulator, so "still running" is certain, not a race.
  stack.sim.faults.set({ hangTasks: [201] });
  const before_ = writesTo(201).length;
  const [a, b] = await Promise.all([
    bob.send('POST', '/api/services/svc-201/snapshots', { json: { description: 'click' } }),
    bob.send('POST', '/api/services/svc-201/snapshots', { json: { description: 'click' } }),
  ]);
  const statuses = [a.status, b.status].sort();
  assert.deepEqual(statuses, [202, 409]);
  const busy = a.status === 409 ? a : b;
  const ok = a.status === 202 ? a : b;
  assert.equal(busy.json.error.code, 'SNAPSHOT_BUSY');
  assert.equal(writesTo(201).length - before_, 1);

  const page = await bob.send('GET', '/api/services/svc-201/snapshots');
  assert.deepEqual(page.json.activeTask, ok.json.task);
  const t = await bob.send('GET', `/api/services/svc-201/tasks/${ok.json.task.id}`);
  assert.equal(t.json.task.state, 'running');

  // Remove and rollback on the same VM wait too.
  const third = await bob.send('DELETE', `/api/services/svc-201/snapshots/${ok.json.task.name}`);
  assert.equal(third.status, 409);
  assert.equal(third.json.error.code, 'SNAPSHOT_BUSY');
  assert.equal(writesTo(201).length - before_, 1);
  // Other VMs are not blocked by it.
  const other = await bob.send('POST', '/api/services/svc-202/snapshots', { json: {} });
  assert.equal(other.status, 202, other.text);
  assert.equal((await bob.waitTask('svc-202', other.json.task.id)).json.task.state, 'ok');
});

test('the token secret, token id and UPIDs never appear in any response of this suite', () => {
  assert.ok(stack.replies.length > 20);
  assert.deepEqual(leakedInReplies(stack.replies, stack.secret), []);
});
