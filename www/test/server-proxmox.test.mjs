// Panel server when Proxmox does something other than succeed: a migrated
// VM, failed tasks, errors, timeouts, and a task that outlives the wait.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, leakedInReplies } from './server-harness.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('./server-harness.mjs').Browser} */
let alice;
/** @type {import('./server-harness.mjs').Browser} */
let bob;

before(async () => {
  stack = await startStack({
    limits: { actions: 1000 },
    pveOptions: { timeoutMs: 1500, retries: 0 },
    serverOptions: { taskTimeoutMs: 200 },
  });
  alice = await stack.browser('alice');
  bob = await stack.browser('bob');
});
after(async () => {
  await stack?.close();
});

test('a VM that migrated is found on its new node (cached node dropped on "config file does not exist")', async () => {
  assert.equal((await alice.send('GET', '/api/services/svc-101/snapshots')).status, 200);
  stack.sim.migrate(101, 'pve2');
  const seen = stack.sim.requests.length;
  const r = await alice.send('GET', '/api/services/svc-101/snapshots');
  assert.equal(r.status, 200, r.text);
  const paths = stack.sim.requests.slice(seen).map((/** @type {any} */ q) => `${q.status} ${q.path}`);
  assert.ok(paths.some((p) => p.startsWith('500 /api2/json/nodes/pve1/qemu/101/')), paths.join('\n'));
  assert.ok(paths.includes('200 /api2/json/cluster/resources'), paths.join('\n'));
  assert.ok(paths.some((p) => p.startsWith('200 /api2/json/nodes/pve2/qemu/101/')), paths.join('\n'));

  // Actions go to the new node as well.
  stack.sim.migrate(101, 'pve1');
  const sent = stack.writes().length;
  const c = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(c.status, 202, c.text);
  assert.deepEqual(stack.writes().slice(sent).map((/** @type {any} */ w) => w.path), ['/api2/json/nodes/pve1/qemu/101/snapshot']);
  const done = await alice.waitTask('svc-101', c.json.task.id);
  assert.equal(done.json.task.state, 'ok');
});

test('a task that fails in Proxmox reports Proxmox\'s reason', async () => {
  stack.sim.failNextTask(202, "snapshot feature is not available");
  const r = await bob.send('POST', '/api/services/svc-202/snapshots', { json: {} });
  assert.equal(r.status, 202, r.text);
  const done = await bob.waitTask('svc-202', r.json.task.id);
  assert.equal(done.json.task.state, 'failed');
  assert.match(done.json.task.message, /snapshot feature is not available/);
});

test('a task that outlives the server\'s wait stays "running" and is read again from Proxmox when polled', async () => {
  stack.sim.setTaskDuration({ create: 1200 });
  try {
    const r = await bob.send('POST', '/api/services/svc-202/snapshots', { json: {} });
    assert.equal(r.status, 202, r.text);
    // The server stops waiting after 200 ms; polling must still see the end.
    const done = await bob.waitTask('svc-202', r.json.task.id);
    assert.equal(done.json.task.state, 'ok');
  } finally {
    stack.sim.setTaskDuration(300);
  }
});

test('Proxmox errors are 502 PVE_*, without internal hosts or paths in the message', async () => {
  stack.sim.faults.set({ errorRate: 1 });
  try {
    const r = await alice.send('GET', '/api/services/svc-102/snapshots');
    assert.equal(r.status, 502, r.text);
    assert.match(r.json.error.code, /^PVE_/);
    assert.doesNotMatch(r.json.error.message, /127\.0\.0\.1|api2|\/nodes\//);
    const c = await alice.send('POST', '/api/services/svc-102/snapshots', { json: {} });
    assert.equal(c.status, 502);
  } finally {
    stack.sim.faults.clear();
  }
});

test('a Proxmox that does not answer is 504 PVE_TIMEOUT, and the VM is free again afterwards', async () => {
  stack.sim.faults.set({ hang: { paths: ['/qemu/102/snapshot'], methods: ['GET'] } });
  try {
    const r = await alice.send('GET', '/api/services/svc-102/snapshots');
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json.error.code, 'PVE_TIMEOUT');
    const c = await alice.send('POST', '/api/services/svc-102/snapshots/snap20261124T200000/rollback', { json: {} });
    assert.equal(c.status, 504);
  } finally {
    stack.sim.faults.clear();
  }
  const r = await alice.send('POST', '/api/services/svc-102/snapshots/snap20261124T200000/rollback', { json: {} });
  assert.equal(r.status, 202, `the mutex was released after the failed attempt: ${r.text}`);
  assert.equal((await alice.waitTask('svc-102', r.json.task.id)).json.task.state, 'ok');
});

test('the token secret, token id and UPIDs never appear in any response of this suite', () => {
  assert.deepEqual(leakedInReplies(stack.replies, stack.secret), []);
});
