// Panel server: what the audit log keeps of a customer's actions (the
// snapshot description they gave) over real HTTP against the simulator
// (demo seed), with the store the test reads back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../store/index.mjs';
import { startStack } from './server-harness.mjs';

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
