// Every PveError class, from answers shaped like Proxmox's (FACTS.md §6) and
// from broken connections, served by a loopback server that answers exactly
// as told. Retries are off here; client-retry.test.mjs counts them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createPveClient, PveError } from '../pve/client.mjs';

const SECRET = 'a2b0c9d8-0000-4e4e-8f8f-secretsecret';
/** @type {Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>} */
const ROUTES = {
  '/param': (req, res) => json(res, 400, 'Parameter verification failed.',
    { data: null, errors: { snapname: "invalid format - invalid configuration ID 'a b'\n", vmstate: "type check ('boolean') failed - got 'true'\n" }, message: 'Parameter verification failed.\n' }),
  '/bad': (req, res) => json(res, 400, 'unable to parse worker upid', { data: null, message: 'unable to parse worker upid\n' }),
  '/auth': (req, res) => { res.writeHead(401, 'Authentication failed!'); res.end(); },
  '/forbidden': (req, res) => json(res, 403, 'Permission check failed (/vms/101, VM.Snapshot)',
    { data: null, message: 'Permission check failed (/vms/101, VM.Snapshot)\n' }),
  '/notimpl': (req, res) => json(res, 501, "Unexpected content for method 'DELETE'", { data: null, message: "Unexpected content for method 'DELETE'\n" }),
  // Proxmox before libpve-http-server-perl 5.2: the text only in the reason phrase.
  '/reason500': (req, res) => { res.writeHead(500, 'VM is locked (backup)'); res.end(); },
  '/json500': (req, res) => json(res, 500, 'snapshot x does not exist', { data: null, message: "snapshot 'x' does not exist\n" }),
  '/html502': (req, res) => { res.writeHead(502, 'Bad Gateway', { 'Content-Type': 'text/html' }); res.end('<html><body>nginx</body></html>'); },
  '/html200': (req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end('<html>login</html>'); },
  '/array200': (req, res) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('[1,2]'); },
  '/notfound': (req, res) => json(res, 404, 'Not Found', { data: null }),
  '/reset': (req) => req.socket.resetAndDestroy(),
  '/halfbody': (req, res) => { res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' }); res.write('{"data":'); setTimeout(() => req.socket.destroy(), 20); },
  '/hang': () => { /* never answers */ },
};

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {string} reason
 * @param {unknown} body
 */
function json(res, status, reason, body) {
  res.writeHead(status, reason, { 'Content-Type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}

/** @type {http.Server} */
let server;
/** @type {import('../pve/client.mjs').PveClient} */
let pve;
let port = 0;

before(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    const route = ROUTES[(req.url ?? '').replace('/api2/json', '').split('?')[0]];
    if (route) route(req, res); else json(res, 501, 'no route', { data: null });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  port = /** @type {net.AddressInfo} */ (server.address()).port;
  pve = createPveClient({ url: `http://127.0.0.1:${port}`, tokenId: 'snap@pve!panel', tokenSecret: SECRET, retries: 0, timeoutMs: 5000 });
});

after(async () => {
  pve?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/**
 * Runs the request and checks the error against `expected` (every listed field exactly).
 * @param {any} desc
 * @param {Record<string, unknown>} expected
 * @param {import('../pve/client.mjs').PveClient} [client]
 */
async function expectError(desc, expected, client = pve) {
  const err = await client.request(desc).then(() => assert.fail('request should have failed'), (e) => e);
  assert.ok(err instanceof PveError, `got ${err}`);
  assert.ok(err instanceof Error);
  const fields = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (err));
  for (const [key, value] of Object.entries(expected)) {
    if (value instanceof RegExp) assert.match(String(fields[key]), value, key);
    else assert.deepEqual(fields[key], value, key);
  }
  assert.ok(!err.message.includes(SECRET));
  return err;
}

test('400 with per-parameter errors is PVE_PARAMETER with the trimmed errors object', async () => {
  await expectError({ method: 'POST', path: '/param', params: { snapname: 'a b' } }, {
    code: 'PVE_PARAMETER', status: 400, retryable: false,
    pveMessage: 'Parameter verification failed.',
    errors: { snapname: "invalid format - invalid configuration ID 'a b'", vmstate: "type check ('boolean') failed - got 'true'" },
    message: "POST /param: HTTP 400: Parameter verification failed. (snapname: invalid format - invalid configuration ID 'a b'; vmstate: type check ('boolean') failed - got 'true')",
  });
});

test('other 400 is PVE_BAD_REQUEST', async () => {
  await expectError({ method: 'GET', path: '/bad' }, {
    code: 'PVE_BAD_REQUEST', status: 400, errors: null, pveMessage: 'unable to parse worker upid',
    message: 'GET /bad: HTTP 400: unable to parse worker upid', retryable: false,
  });
});

test('401 without a body is PVE_AUTH with the reason phrase', async () => {
  await expectError({ method: 'GET', path: '/auth' }, {
    code: 'PVE_AUTH', status: 401, pveMessage: 'Authentication failed!', retryable: false,
    message: 'GET /auth: HTTP 401: Authentication failed! (check the API token id and secret)',
  });
});

test('403 is PVE_FORBIDDEN naming the missing privilege', async () => {
  await expectError({ method: 'POST', path: '/forbidden' }, {
    code: 'PVE_FORBIDDEN', status: 403, pveMessage: 'Permission check failed (/vms/101, VM.Snapshot)',
    message: 'POST /forbidden: HTTP 403: Permission check failed (/vms/101, VM.Snapshot)',
  });
});

test('501 is PVE_NOT_IMPLEMENTED and not retryable even for GET', async () => {
  await expectError({ method: 'GET', path: '/notimpl' }, {
    code: 'PVE_NOT_IMPLEMENTED', status: 501, retryable: false, pveMessage: "Unexpected content for method 'DELETE'",
  });
});

test('500 with only a reason phrase (Proxmox < 5.2) is PVE_SERVER with that text', async () => {
  await expectError({ method: 'GET', path: '/reason500' }, {
    code: 'PVE_SERVER', status: 500, pveMessage: 'VM is locked (backup)', retryable: true, errors: null,
    message: 'GET /reason500: HTTP 500: VM is locked (backup)',
  });
});

test('500 with a JSON message prefers the JSON text; POST is never retryable', async () => {
  await expectError({ method: 'PUT', path: '/json500' }, {
    code: 'PVE_SERVER', status: 500, pveMessage: "snapshot 'x' does not exist", retryable: false,
    message: "PUT /json500: HTTP 500: snapshot 'x' does not exist",
  });
});

test('a non-JSON 5xx (a proxy page) is PVE_SERVER', async () => {
  await expectError({ method: 'GET', path: '/html502' }, {
    code: 'PVE_SERVER', status: 502, pveMessage: 'Bad Gateway', message: 'GET /html502: HTTP 502: Bad Gateway (answer is not JSON)',
  });
});

test('a 200 that is not the JSON envelope is PVE_SERVER, not data', async () => {
  await expectError({ method: 'GET', path: '/html200' }, { code: 'PVE_SERVER', status: 200, retryable: false, message: /not the JSON \{data\} envelope/ });
  await expectError({ method: 'GET', path: '/array200' }, { code: 'PVE_SERVER', status: 200 });
});

test('a 4xx Proxmox never sends (404 from a proxy) is PVE_SERVER, not retryable', async () => {
  await expectError({ method: 'GET', path: '/notfound' }, { code: 'PVE_SERVER', status: 404, pveMessage: 'Not Found', retryable: false });
});

test('a connection reset is PVE_NETWORK', async () => {
  const err = await expectError({ method: 'GET', path: '/reset' }, { code: 'PVE_NETWORK', status: null, retryable: true, message: /^GET \/reset: cannot talk to http:\/\/127\.0\.0\.1:\d+: .*ECONNRESET/ });
  assert.equal(err.details?.errorCode, 'ECONNRESET');
});

test('a connection closed in the middle of the answer is PVE_NETWORK', async () => {
  await expectError({ method: 'GET', path: '/halfbody' }, { code: 'PVE_NETWORK', status: null });
});

test('a refused connection is PVE_NETWORK naming ECONNREFUSED', async () => {
  // A port that was just free: listen, note it, close.
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', () => resolve(undefined)));
  const freePort = /** @type {net.AddressInfo} */ (probe.address()).port;
  await new Promise((resolve) => probe.close(resolve));
  const client = createPveClient({ url: `http://127.0.0.1:${freePort}`, tokenId: 'snap@pve!panel', tokenSecret: SECRET, retries: 0 });
  try {
    const err = await expectError({ method: 'POST', path: '/x' }, { code: 'PVE_NETWORK', status: null, retryable: false, message: /ECONNREFUSED/ }, client);
    assert.equal(err.details?.errorCode, 'ECONNREFUSED');
  } finally {
    client.close();
  }
});

test('a hung answer is PVE_TIMEOUT after timeoutMs', async () => {
  const client = createPveClient({ url: `http://127.0.0.1:${port}`, tokenId: 'snap@pve!panel', tokenSecret: SECRET, retries: 0, timeoutMs: 300 });
  try {
    await expectError({ method: 'GET', path: '/hang' }, {
      code: 'PVE_TIMEOUT', status: null, retryable: true,
      message: `GET /hang: no complete answer from http://127.0.0.1:${port} within 300 ms`,
    }, client);
    await expectError({ method: 'POST', path: '/hang' }, { code: 'PVE_TIMEOUT', retryable: false }, client);
  } finally {
    client.close();
  }
});

test('a per-request timeout overrides the client default', async () => {
  await expectError({ method: 'GET', path: '/hang' }, { code: 'PVE_TIMEOUT', message: /within 200 ms$/ }, {
    request: (desc) => pve.request(desc, { timeoutMs: 200 }), waitForTask: pve.waitForTask, close: pve.close,
  });
});

test('an aborted request rejects with the signal reason', async () => {
  const controller = new AbortController();
  const pending = pve.request({ method: 'GET', path: '/hang' }, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('user left')), 50);
  await assert.rejects(pending, /user left/);
});
