// The token secret reaches Proxmox and nowhere else: not the client object,
// not any error's message, stack, inspect output or JSON, whatever failed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { inspect } from 'node:util';
import { createPveClient } from '../pve/client.mjs';

const SECRET = 'f00dfeed-6b2c-4c1a-a9d1-0123456789ab';
const TOKEN_ID = 'snap@pve!panel';
/** @type {string[]} */
const authSeen = [];
/** @type {http.Server} */
let server;
let url = '';
let deadUrl = '';

before(async () => {
  server = http.createServer((req, res) => {
    authSeen.push(String(req.headers.authorization));
    req.resume();
    const path = (req.url ?? '').replace('/api2/json', '').split('?')[0];
    if (path === '/ok') { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{"data":1}'); return; }
    if (path === '/401') { res.writeHead(401, 'Authentication failed!'); res.end(); return; }
    if (path === '/400') {
      res.writeHead(400, 'Parameter verification failed.', { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ data: null, errors: { snapname: 'invalid format\n' } }));
      return;
    }
    if (path === '/500') { res.writeHead(500, 'internal error'); res.end('<html>'); return; }
    if (path === '/reset') { req.socket.resetAndDestroy(); return; }
    // /hang: never answers
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  url = `http://127.0.0.1:${/** @type {net.AddressInfo} */ (server.address()).port}`;
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', () => resolve(undefined)));
  deadUrl = `http://127.0.0.1:${/** @type {net.AddressInfo} */ (probe.address()).port}`;
  await new Promise((resolve) => probe.close(resolve));
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/**
 * Every rendering of a value someone might log.
 * @param {any} value
 */
function renderings(value) {
  return [
    String(value), value?.message, value?.stack, JSON.stringify(value), JSON.stringify(value?.details ?? null),
    inspect(value, { depth: Infinity, showHidden: true, getters: true }),
    inspect(value?.cause, { depth: Infinity, showHidden: true }),
  ].map((r) => String(r));
}

/** @param {any} value */
function assertNoSecret(value) {
  for (const text of renderings(value)) {
    assert.ok(!text.includes(SECRET), `secret leaked in: ${text.slice(0, 300)}`);
    assert.ok(!text.includes(`${TOKEN_ID}=`), 'the token header value leaked');
  }
}

test('the secret is sent to Proxmox in the Authorization header', async () => {
  const pve = createPveClient({ url, tokenId: TOKEN_ID, tokenSecret: SECRET });
  try {
    assert.equal(await pve.request({ method: 'GET', path: '/ok' }), 1);
    assert.equal(authSeen.at(-1), `PVEAPIToken=${TOKEN_ID}=${SECRET}`);
  } finally {
    pve.close();
  }
});

test('the client object does not reveal the secret (inspect, JSON, keys)', async () => {
  const pve = createPveClient({ url, tokenId: TOKEN_ID, tokenSecret: SECRET });
  try {
    await pve.request({ method: 'GET', path: '/ok' }); // a live keep-alive socket in the agent, too
    assertNoSecret(pve);
    assert.ok(!inspect(pve, { depth: Infinity, showHidden: true }).includes(SECRET));
    for (const key of Reflect.ownKeys(pve)) assertNoSecret(/** @type {any} */ (pve)[key]);
  } finally {
    pve.close();
  }
});

const FAILURES = [
  ['401', { method: 'GET', path: '/401' }, 'PVE_AUTH'],
  ['400', { method: 'POST', path: '/400', params: { snapname: SECRET } }, 'PVE_PARAMETER'],
  ['500', { method: 'GET', path: '/500' }, 'PVE_SERVER'],
  ['reset', { method: 'GET', path: '/reset' }, 'PVE_NETWORK'],
  ['hang', { method: 'GET', path: '/hang' }, 'PVE_TIMEOUT'],
  ['invalid description', { method: 'GET', path: `/../${SECRET}` }, 'INVALID_REQUEST'],
];

for (const [what, desc, code] of FAILURES) {
  test(`no secret in the ${code} error of a ${what}`, async () => {
    const pve = createPveClient({ url, tokenId: TOKEN_ID, tokenSecret: SECRET, timeoutMs: 300, retries: 1 });
    try {
      const err = await pve.request(/** @type {any} */ (desc)).then(() => assert.fail('should fail'), (e) => e);
      assert.equal(err.code, code);
      assertNoSecret(err);
    } finally {
      pve.close();
    }
  });
}

test('no secret in a refused connection error', async () => {
  const pve = createPveClient({ url: deadUrl, tokenId: TOKEN_ID, tokenSecret: SECRET, retries: 0 });
  try {
    const err = await pve.request({ method: 'GET', path: '/ok' }).then(() => assert.fail('should fail'), (e) => e);
    assert.equal(err.code, 'PVE_NETWORK');
    assertNoSecret(err);
  } finally {
    pve.close();
  }
});

test('no secret in configuration errors', () => {
  for (const options of [
    { url: 'not a url', tokenId: TOKEN_ID, tokenSecret: SECRET },
    { url, tokenId: `${TOKEN_ID}=${SECRET}`, tokenSecret: SECRET },
    { url, tokenId: TOKEN_ID, tokenSecret: `${SECRET} with space` },
    { url: 'https://pve1:8006', tokenId: TOKEN_ID, tokenSecret: SECRET, caFile: `/nonexistent/${'x'}` },
  ]) {
    const err = (() => { try { createPveClient(options); } catch (e) { return e; } return assert.fail('should throw'); })();
    assert.equal(/** @type {any} */ (err).code, 'INVALID_CONFIG');
    assertNoSecret(err);
  }
});
