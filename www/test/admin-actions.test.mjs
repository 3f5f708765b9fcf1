// The operator's one action over real HTTP against the simulator: removing a
// customer's managed snapshot on their behalf goes through the customer's
// own path (lease, fresh read, the core's plan and checks) and is audited as
// the operator; refusals are audited too and send nothing to Proxmox.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './server-harness.mjs';
import { AdminClient } from './helpers/admin-client.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {AdminClient} */
let op;

before(async () => {
  stack = await startStack({ taskDurationMs: 100 });
  op = new AdminClient(stack.url);
  assert.equal((await op.login()).status, 200);
});

after(async () => {
  await stack?.close();
});

/**
 * @param {string} serviceId
 * @param {string} taskId
 */
async function waitTask(serviceId, taskId) {
  for (let i = 0; i < 400; i++) {
    const r = await op.send('GET', `/services/${serviceId}/tasks/${taskId}`);
    assert.equal(r.status, 200, r.text);
    if (r.json.task.state !== 'running') return r.json.task;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('task still running after the safety net');
}

/** @param {number} vmid */
const snapshotNames = (vmid) => stack.sim.vm(vmid).snapshots.map((/** @type {{name: string}} */ s) => s.name);

test('an operator removes a customer\'s managed snapshot: same plan, audited as the operator for that customer', async () => {
  const detail = await op.send('GET', '/services/svc-101');
  const managed = detail.json.rows.find((/** @type {any} */ r) => r.managed);
  assert.ok(managed, 'svc-101 has a managed snapshot');
  const r = await op.send('DELETE', `/services/svc-101/snapshots/${managed.name}`, { json: {} });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.task.kind, 'remove');
  assert.equal(r.json.task.name, managed.name);
  const task = await waitTask('svc-101', r.json.task.id);
  assert.equal(task.state, 'ok');
  assert.ok(!snapshotNames(101).includes(managed.name));
  const exposition = await stack.panel.metrics.render();
  assert.match(exposition, /pve_snapshots_actions_total\{action="remove",outcome="accepted"\} 1\n/);
  assert.match(exposition, /pve_snapshots_actions_total\{action="remove",outcome="ok"\} 1\n/);

  const after = await op.send('GET', '/services/svc-101');
  const mine = after.json.history.filter((/** @type {any} */ e) => e.snapshot === managed.name);
  assert.deepEqual(mine.map((/** @type {any} */ e) => [e.actor, e.actorId, e.action, e.outcome, e.text.what]), [
    ['operator', 'admin', 'remove', 'ok', 'Removed by operator admin'],
  ]);
  // The customer's own history has it, recorded for them, without the operator's name.
  const alice = await stack.browser('alice');
  const theirs = await alice.send('GET', '/api/services/svc-101/history');
  assert.equal(theirs.status, 200);
  const seen = theirs.json.events.filter((/** @type {any} */ e) => e.snapshot === managed.name);
  assert.deepEqual(seen.map((/** @type {any} */ e) => [e.actor, e.action, e.outcome]), [['operator', 'remove', 'ok']]);
  assert.ok(!JSON.stringify(theirs.json).includes('admin'), 'no operator name for the customer');
  // Another operator's (or a customer's) view of the task id: only by service.
  assert.equal((await op.send('GET', `/services/svc-201/tasks/${r.json.task.id}`)).status, 404);
  assert.equal((await op.send('GET', '/services/svc-101/tasks/t-nope')).status, 404);
});

test('refusals keep the core\'s codes, are audited as the operator, and send nothing to Proxmox', async () => {
  const writes = stack.writes().length;
  /** @type {Array<[string, string, number, string]>} */
  const cases = [
    ['svc-101', 'before-migration', 409, 'NOT_MANAGED'],
    ['svc-101', 'snap20200101T000000', 404, 'NOT_FOUND'],
    ['svc-101', '..%2F..%2Fqemu%2F102', 400, 'INVALID_NAME'],
    ['svc-101', '%E0%A4%A', 400, 'INVALID_NAME'],
    ['svc-103', 'snap20261123T120000', 409, 'VM_LOCKED'],
    ['svc-nope', 'snap20261123T120000', 404, 'NOT_FOUND'],
  ];
  for (const [service, name, status, code] of cases) {
    const r = await op.send('DELETE', `/services/${service}/snapshots/${name}`, { json: {} });
    assert.equal(r.status, status, `${service} ${name}: ${r.text}`);
    assert.equal(r.json.error.code, code, `${service} ${name}`);
  }
  assert.equal((await op.send('DELETE', '/services/svc-101/snapshots/before-migration', { json: { force: true } })).status, 400);
  assert.equal(stack.writes().length, writes);
  const exposition = await stack.panel.metrics.render();
  assert.match(exposition, /pve_snapshots_actions_total\{action="remove",outcome="refused"\} [1-9]/);
  const history = (await op.send('GET', '/services/svc-103')).json.history;
  assert.deepEqual([history[0].actor, history[0].actorId, history[0].outcome, history[0].code], ['operator', 'admin', 'refused', 'VM_LOCKED']);
  assert.match(history[0].text.what, /^The removal by operator admin was refused$/);
});

test('the fleet shows a delete stuck in snapstate "delete"; nothing can be removed on that VM meanwhile', async () => {
  stack.sim.stuckDelete(201, 'snap20261125T010000');
  const fleet = await op.send('GET', '/services');
  const bob = fleet.json.services.find((/** @type {any} */ s) => s.id === 'svc-201');
  assert.deepEqual(bob.stuck, ['snap20261125T010000']);
  assert.equal(bob.lock, 'snapshot-delete');
  const r = await op.send('DELETE', '/services/svc-201/snapshots/snap20261125T010000', { json: {} });
  assert.equal(r.status, 409);
});
