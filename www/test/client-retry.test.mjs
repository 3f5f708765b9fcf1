// Retries, counted at the server: idempotent GETs are retried on transient
// failures, writes never (a retried create could make two snapshots).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createPveClient, PveError } from '../pve/client.mjs';

/** How the next requests are answered, by path: a list consumed one per request, the last one repeats. */
/** @type {Record<string, string[]>} */
let script = {};
/** @type {Record<string, number>} */
let hits = {};
/** @type {http.Server} */
let server;
/** @type {import('../pve/client.mjs').PveClient} */
let pve;

const UPID = 'UPID:pve1:00001234:00005678:6745A0B0:qmsnapshot:101:snap@pve!panel:';
const TASK_PATH = `/nodes/pve1/tasks/${UPID}/status`; // as the server sees it, decoded

before(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    const path = decodeURIComponent((req.url ?? '').replace('/api2/json', '').split('?')[0]);
    hits[path] = (hits[path] ?? 0) + 1;
    const steps = script[path] ?? ['ok'];
    const step = steps[Math.min(hits[path] - 1, steps.length - 1)];
    const send = (/** @type {number} */ status, /** @type {string} */ reason, /** @type {unknown} */ body) => {
      res.writeHead(status, reason, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    switch (step) {
      case 'ok': return send(200, 'OK', { data: { n: hits[path] } });
      case '503': return send(503, 'Service Unavailable', { data: null });
      case '500': return send(500, 'got timeout', { data: null, message: 'got timeout\n' });
      case '400': return send(400, 'Parameter verification failed.', { data: null, errors: { snapname: 'invalid format\n' } });
      case '401': res.writeHead(401, 'Authentication failed!'); return res.end();
      case '403': return send(403, 'Permission check failed', { data: null });
      case '501': return send(501, 'Method not implemented', { data: null });
      case 'nosuchtask': return send(400, 'Parameter verification failed.', { data: null, errors: { upid: 'no such task\n' }, message: 'Parameter verification failed.\n' });
      case 'badupid': return send(400, 'Parameter verification failed.', { data: null, errors: { upid: 'unable to parse worker upid\n' } });
      case 'reset': return req.socket.resetAndDestroy();
      case 'hang': return undefined;
      default: throw new Error(`unknown step ${step}`);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  pve = createPveClient({ url: `http://127.0.0.1:${port}`, tokenId: 'snap@pve!panel', tokenSecret: 'SECRET', retries: 2, timeoutMs: 800 }); // hung attempts must still reach the server on a loaded machine
});

beforeEach(() => {
  script = {};
  hits = {};
});

after(async () => {
  pve?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/**
 * @param {any} desc
 * @param {string} code
 */
async function rejectsWith(desc, code) {
  const err = await pve.request(desc).then(() => assert.fail('should fail'), (e) => e);
  assert.ok(err instanceof PveError);
  assert.equal(err.code, code);
  return err;
}

for (const [step, code] of [['503', 'PVE_SERVER'], ['500', 'PVE_SERVER'], ['reset', 'PVE_NETWORK'], ['hang', 'PVE_TIMEOUT']]) {
  test(`GET is sent 1 + retries times on ${step} (${code})`, async () => {
    script['/a'] = [step];
    const err = await rejectsWith({ method: 'GET', path: '/a' }, code);
    assert.equal(err.retryable, true);
    assert.equal(hits['/a'], 3);
  });

  for (const method of ['POST', 'PUT', 'DELETE']) {
    test(`${method} is sent exactly once on ${step} (${code})`, async () => {
      script['/w'] = [step];
      const err = await rejectsWith({ method, path: '/w', params: { snapname: 'x1' } }, code);
      assert.equal(err.retryable, false);
      assert.equal(hits['/w'], 1);
    });
  }
}


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

test('GET recovers when a retry succeeds', async () => {
  script['/a'] = ['503', 'reset', 'ok'];
  assert.deepEqual(await pve.request({ method: 'GET', path: '/a' }), { n: 3 });
  assert.equal(hits['/a'], 3);
});

for (const [step, code] of [['400', 'PVE_PARAMETER'], ['401', 'PVE_AUTH'], ['403', 'PVE_FORBIDDEN'], ['501', 'PVE_NOT_IMPLEMENTED']]) {
  test(`GET is not retried on a permanent ${step} (${code})`, async () => {
    script['/a'] = [step, 'ok'];
    await rejectsWith({ method: 'GET', path: '/a' }, code);
    assert.equal(hits['/a'], 1);
  });
}

test('retries: 0 (per request) sends a GET once', async () => {
  script['/a'] = ['503', 'ok'];
  await assert.rejects(pve.request({ method: 'GET', path: '/a' }, { retries: 0 }), { code: 'PVE_SERVER' });
  assert.equal(hits['/a'], 1);
});

test('a fresh UPID: task status answered "no such task" (400) is retried', async () => {
  script[TASK_PATH] = ['nosuchtask', 'nosuchtask', 'ok'];
  const data = await pve.request({ method: 'GET', path: `/nodes/pve1/tasks/${encodeURIComponent(UPID)}/status` });
  assert.deepEqual(data, { n: 3 });
  assert.equal(hits[TASK_PATH], 3);
});

test('task status: "unable to parse worker upid" (400) is not retried', async () => {
  script[TASK_PATH] = ['badupid', 'ok'];
  await rejectsWith({ method: 'GET', path: `/nodes/pve1/tasks/${encodeURIComponent(UPID)}/status` }, 'PVE_PARAMETER');
  assert.equal(hits[TASK_PATH], 1);
});

test('"no such task" outside the task status path is not retried', async () => {
  script['/nodes/pve1/qemu'] = ['nosuchtask', 'ok'];
  await rejectsWith({ method: 'GET', path: '/nodes/pve1/qemu' }, 'PVE_PARAMETER');
  assert.equal(hits['/nodes/pve1/qemu'], 1);
});

test('an abort (in backoff or in flight) stops the retries with the abort reason', async () => {
  script['/a'] = ['503'];
  const controller = new AbortController();
  const client = createPveClient({ url: `http://127.0.0.1:${/** @type {any} */ (server.address()).port}`, tokenId: 'snap@pve!panel', tokenSecret: 'SECRET', retries: 10 });
  try {
    const pending = client.request({ method: 'GET', path: '/a' }, { signal: controller.signal });
    await waitUntil(() => (hits['/a'] ?? 0) >= 1, pending);
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    assert.ok(hits['/a'] < 11, `sent ${hits['/a']} times`);
  } finally {
    client.close();
  }
});
