// Panel server: what the audit log keeps of a customer's actions (the
// snapshot description they gave) and the history the owner reads from it,
// over real HTTP against the simulator (demo seed), with the store the test
// reads back and writes to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../store/index.mjs';
import { startStack } from './server-harness.mjs';
import { AdminClient, DEMO_OPERATOR } from './helpers/admin-client.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('../store/index.mjs').Store} */
let store;
/** @type {import('./server-harness.mjs').Browser} */
let alice;

before(async () => {
  store = await openStore({ memory: true });
  stack = await startStack({ limits: { actions: 1000 }, serverOptions: { store } });
  alice = await stack.browser('alice');
});
after(async () => {
  await stack?.close();
  await store?.close();
});

/** @param {string} serviceId */
const auditOf = async (serviceId) => store.auditLog({ serviceId });

test('audit: a create keeps the description as sent to Proxmox; a remove keeps the snapshot\'s own', async () => {
  const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 'before "deploy"\r\n=SUM(A1)' } });
  assert.equal(r.status, 202, r.text);
  const done = await alice.waitTask('svc-101', r.json.task.id);
  assert.equal(done.json.task.state, 'ok');
  const removed = await alice.send('DELETE', '/api/services/svc-101/snapshots/snap20261124T090000', { json: {} });
  assert.equal(removed.status, 202, removed.text);
  await alice.waitTask('svc-101', removed.json.task.id);

  const log = await auditOf('svc-101');
  const accepted = log.filter((e) => e.outcome === 'accepted').map((e) => [e.action, e.snapshot, e.description]);
  assert.deepEqual(accepted, [
    ['create', r.json.task.name, 'before "deploy"\n=SUM(A1)'],
    ['remove', 'snap20261124T090000', 'Before PHP upgrade'],
  ]);
});

test('audit: a refused create keeps the description, unless the description was what was refused', async () => {
  const full = await alice.send('POST', '/api/services/svc-102/snapshots', { json: { description: 'one too many' } });
  assert.equal(full.status, 409, full.text);
  assert.equal(full.json.error.code, 'QUOTA_EXCEEDED');
  const bad = await alice.send('POST', '/api/services/svc-102/snapshots', { json: { description: 'bell \u0007' } });
  assert.equal(bad.json.error.code, 'INVALID_DESCRIPTION');
  const refused = (await auditOf('svc-102')).filter((e) => e.outcome === 'refused').map((e) => [e.code, e.description]);
  assert.deepEqual(refused, [['QUOTA_EXCEEDED', 'one too many'], ['INVALID_DESCRIPTION', null]]);
});

test('history: only the owner may read it (404 for another customer, 401 signed out)', async () => {
  const bob = await stack.browser('bob');
  assert.equal((await bob.send('GET', '/api/services/svc-101/history')).status, 404);
  assert.equal((await bob.send('GET', '/api/services/svc-999/history')).status, 404);
  const nobody = await stack.browser();
  assert.equal((await nobody.send('GET', '/api/services/svc-101/history')).status, 401);
  assert.equal((await alice.send('POST', '/api/services/svc-101/history', { json: {} })).status, 405);
});

test('history: one event per action, newest first, with the outcome and the description', async () => {
  const r = await alice.send('GET', '/api/services/svc-101/history');
  assert.equal(r.status, 200, r.text);
  const { events } = r.json;
  // From the first test: the create, then the remove (each accepted, then ok).
  assert.deepEqual(events.map((/** @type {any} */ e) => [e.actor, e.action, e.outcome, e.snapshot, e.description]), [
    ['customer', 'remove', 'ok', 'snap20261124T090000', 'Before PHP upgrade'],
    ['customer', 'create', 'ok', events[1].snapshot, 'before "deploy"\n=SUM(A1)'],
  ]);
  assert.ok(events[0].at >= events[1].at);
  assert.deepEqual(Object.keys(events[0]).sort(), ['action', 'actor', 'at', 'code', 'description', 'message', 'outcome', 'snapshot']);
});

test('history: the last 50 of this service\'s own events; another owner\'s, other services\' and the job\'s put-offs stay out', async () => {
  const at0 = stack.sim.clock.now();
  /** @param {Partial<import('../store/store.mjs').AuditEntry>} e @param {number} i */
  const put = (e, i) => store.audit({
    actorKind: 'customer', actorId: 'alice', serviceId: 'svc-103', vmid: 103, action: 'create', outcome: 'refused', code: 'VM_LOCKED', ...e,
  }, at0 + i);
  for (let i = 0; i < 60; i++) await put({ message: `n${i}` }, i);
  await put({ actorKind: 'customer', actorId: 'bob', customer: 'bob', message: 'an earlier owner' }, 60);
  await put({ serviceId: 'svc-101', message: 'another service' }, 61);
  await put({ actorKind: 'job', actorId: 'j-1', customer: 'alice', action: 'remove', snapshot: 'snapA', outcome: 'refused', code: 'VM_LOCKED' }, 62);
  await put({ actorKind: 'job', actorId: 'j-1', customer: 'alice', action: 'remove', snapshot: 'snapB', outcome: 'ok', code: 'DELETED', description: 'old' }, 63);
  await put({ action: 'rollback', snapshot: 'snapC', outcome: 'failed', code: null, message: 'VM is locked (backup)' }, 64);

  const r = await alice.send('GET', '/api/services/svc-103/history');
  assert.equal(r.status, 200, r.text);
  const { events } = r.json;
  assert.equal(events.length, 50);
  assert.deepEqual(events.slice(0, 3).map((/** @type {any} */ e) => [e.actor, e.action, e.outcome, e.snapshot, e.code, e.message, e.description]), [
    ['customer', 'rollback', 'failed', 'snapC', null, 'VM is locked (backup)', null],
    ['job', 'remove', 'ok', 'snapB', null, null, 'old'],
    ['customer', 'create', 'refused', null, 'VM_LOCKED', null, null],
  ]);
  const ats = events.map((/** @type {any} */ e) => e.at);
  assert.deepEqual(ats, [...ats].sort((a, b) => b - a), 'newest first');
  assert.equal(ats[2], at0 + 59, 'the newest refusal');
  assert.equal(ats[49], at0 + 12, 'and no older than the 50th event');
});

test('history: an operator\'s removal on the customer\'s behalf says so, without naming the operator', async () => {
  const op = new AdminClient(stack.url);
  assert.equal((await op.login()).status, 200);
  const removed = await op.send('DELETE', '/services/svc-102/snapshots/snap20261121T080000', { json: {} });
  assert.equal(removed.status, 202, removed.text);
  for (let i = 0; i < 400; i++) {
    const t = await op.send('GET', `/services/svc-102/tasks/${removed.json.task.id}`);
    if (t.json.task.state !== 'running') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const r = await alice.send('GET', '/api/services/svc-102/history');
  assert.equal(r.status, 200, r.text);
  const [latest] = r.json.events;
  assert.deepEqual([latest.actor, latest.action, latest.outcome, latest.snapshot, latest.description],
    ['operator', 'remove', 'ok', 'snap20261121T080000', 'Before schema migration']);
  assert.doesNotMatch(r.text, new RegExp(DEMO_OPERATOR.username));
});
