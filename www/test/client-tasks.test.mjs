// waitForTask against a loopback server that plays a task's life exactly:
// which node is polled, how the core reads the end, and that a wait that
// ends first (deadline or abort) says "running", never "failed".
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createPveClient, PveError } from '../pve/client.mjs';

/** Per UPID: the answers to successive polls; the last one repeats. */
/** @type {Record<string, Array<object|string>>} */
let script = {};
/** @type {string[]} */
let polled = [];
/** @type {http.Server} */
let server;
/** @type {import('../pve/client.mjs').PveClient} */
let pve;

/** @param {string} node @param {number} n */
const upidOf = (node, n) => `UPID:${node}:0000${1000 + n}:00005678:6745A0B0:qmsnapshot:101:snap@pve!panel:`;
const running = { status: 'running' };
/** @param {string} exitstatus */
const stopped = (exitstatus) => ({ status: 'stopped', exitstatus });

before(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    const path = decodeURIComponent((req.url ?? '').replace('/api2/json', ''));
    polled.push(path);
    const m = /^\/nodes\/([^/]+)\/tasks\/(UPID:[^/]+)\/status$/.exec(path);
    const steps = m ? script[m[2]] : undefined;
    if (!m || !steps) {
      res.writeHead(400, 'Parameter verification failed.', { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ data: null, errors: { upid: 'unable to parse worker upid\n' } }));
      return;
    }
    const count = polled.filter((p) => p === path).length;
    const step = steps[Math.min(count - 1, steps.length - 1)];
    if (step === 'hang') return;
    if (step === 'reset') { req.socket.resetAndDestroy(); return; }
    if (step === '503') { res.writeHead(503, 'Service Unavailable'); res.end(); return; }
    if (step === '401') { res.writeHead(401, 'Authentication failed!'); res.end(); return; }
    if (step === 'nosuchtask') {
      res.writeHead(400, 'Parameter verification failed.', { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ data: null, errors: { upid: 'no such task\n' } }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ data: { upid: m[2], node: m[1], type: 'qmsnapshot', id: '101', user: 'snap@pve', tokenid: 'panel', ...(/** @type {object} */ (step)) } }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  pve = createPveClient({ url: `http://127.0.0.1:${port}`, tokenId: 'snap@pve!panel', tokenSecret: 'SECRET', timeoutMs: 2000 });
});

beforeEach(() => {
  script = {};
  polled = [];
});

after(async () => {
  pve?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});


/**
 * Waits until `condition()` holds, but never past `pending` settling or 20 s:
 * an unbounded loop would outlive a failed test and keep the file running.
 * @param {() => boolean} condition
 * @param {Promise<unknown>} pending
 */
async function waitUntil(condition, pending) {
  let settled = false;
  pending.then(() => { settled = true; }, () => { settled = true; });
  const deadline = Date.now() + 20000;
  while (!condition() && !settled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

test('a task that ends OK: polled on the node named in the UPID, progress reported while running', async () => {
  const upid = upidOf('pve2', 1);
  script[upid] = [running, running, stopped('OK')];
  /** @type {Array<{elapsedMs: number, status: any}>} */
  const progress = [];
  const result = await pve.waitForTask(upid, { intervalMs: 20, onProgress: (p) => progress.push(p) });
  assert.deepEqual(result, { state: 'ok', upid, warnings: 0, message: null, lock: null, timedOut: false, aborted: false, lastError: null });
  assert.deepEqual(polled, Array(3).fill(`/nodes/pve2/tasks/${upid}/status`));
  assert.equal(progress.length, 2);
  assert.equal(progress[0].status.status, 'running');
  assert.equal(typeof progress[1].elapsedMs, 'number');
  assert.ok(progress[1].elapsedMs >= progress[0].elapsedMs);
});

test('WARNINGS: n is success with the count', async () => {
  const upid = upidOf('pve1', 2);
  script[upid] = [stopped('WARNINGS: 3')];
  const result = await pve.waitForTask(upid, { intervalMs: 20 });
  assert.equal(result.state, 'ok');
  assert.equal(result.warnings, 3);
});

test('a failing task is "failed" with Proxmox\'s message and the lock', async () => {
  const upid = upidOf('pve1', 3);
  script[upid] = [running, stopped('VM is locked (backup)')];
  const result = await pve.waitForTask(upid, { intervalMs: 20 });
  assert.deepEqual(result, { state: 'failed', upid, warnings: 0, message: 'VM is locked (backup)', lock: 'backup', timedOut: false, aborted: false, lastError: null });
});

test('a task that outlives the wait is "running" with timedOut, never "failed"', async () => {
  const upid = upidOf('pve1', 4);
  script[upid] = [running];
  const result = await pve.waitForTask(upid, { timeoutMs: 400, intervalMs: 50 });
  assert.equal(result.state, 'running');
  assert.equal(result.timedOut, true);
  assert.equal(result.aborted, false);
  assert.equal(result.message, null);
  assert.ok(polled.length >= 1);
});

test('a poll that hangs past the deadline still ends the wait as "running"', async () => {
  const upid = upidOf('pve1', 5);
  script[upid] = ['hang'];
  const result = await pve.waitForTask(upid, { timeoutMs: 300, intervalMs: 50 });
  assert.equal(result.state, 'running');
  assert.equal(result.timedOut, true);
  assert.equal(result.lastError?.code, 'PVE_TIMEOUT');
});

test('transient errors while polling are retried, not reported as failure', async () => {
  const upid = upidOf('pve1', 6);
  script[upid] = ['nosuchtask', '503', 'reset', running, stopped('OK')];
  const result = await pve.waitForTask(upid, { intervalMs: 20, timeoutMs: 20000 });
  assert.equal(result.state, 'ok');
  assert.equal(polled.length, 5);
});

test('only transient errors until the deadline: "running" with the last error', async () => {
  const upid = upidOf('pve1', 7);
  script[upid] = ['503'];
  const result = await pve.waitForTask(upid, { intervalMs: 20, timeoutMs: 300 });
  assert.equal(result.state, 'running');
  assert.equal(result.timedOut, true);
  assert.ok(result.lastError instanceof PveError);
  // The last poll may also be cut by the deadline itself on a loaded machine.
  assert.ok(['PVE_SERVER', 'PVE_TIMEOUT'].includes(result.lastError.code), result.lastError.code);
  assert.equal(result.lastError.retryable, true);
  assert.ok(polled.length >= 1);
});

test('a permanent error (401) while polling is thrown', async () => {
  const upid = upidOf('pve1', 8);
  script[upid] = ['401'];
  await assert.rejects(pve.waitForTask(upid, { intervalMs: 20 }), { code: 'PVE_AUTH', status: 401 });
  assert.equal(polled.length, 1);
});

test('an AbortSignal ends the wait as "running" (aborted), also mid-request', async () => {
  const upid = upidOf('pve1', 9);
  script[upid] = [running, 'hang'];
  const controller = new AbortController();
  const pending = pve.waitForTask(upid, { intervalMs: 20, timeoutMs: 30000, signal: controller.signal });
  await waitUntil(() => polled.length >= 2, pending);
  controller.abort();
  const result = await pending;
  assert.equal(result.state, 'running');
  assert.equal(result.aborted, true);
  assert.equal(result.timedOut, false);
});

test('an already aborted signal returns at once without polling', async () => {
  const result = await pve.waitForTask(upidOf('pve1', 10), { signal: AbortSignal.abort() });
  assert.equal(result.state, 'running');
  assert.equal(result.aborted, true);
  assert.equal(polled.length, 0);
});

test('a malformed UPID is the core\'s error and nothing is sent', async () => {
  await assert.rejects(pve.waitForTask('UPID:../../etc:x'), { code: 'INVALID_TARGET' });
  await assert.rejects(pve.waitForTask(/** @type {any} */ (42)), (err) => /** @type {any} */ (err).code !== undefined);
  assert.equal(polled.length, 0);
});

test('bad wait options are INVALID_REQUEST', async () => {
  for (const options of [{ timeoutMs: -1 }, { intervalMs: 0 }, { onProgress: 'x' }]) {
    await assert.rejects(pve.waitForTask(upidOf('pve1', 11), /** @type {any} */ (options)), { code: 'INVALID_REQUEST' });
  }
  assert.equal(polled.length, 0);
});
