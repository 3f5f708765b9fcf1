// The Proxmox client's wire format and its refusal of malformed descriptions,
// against a loopback server that records exactly what arrived.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createPveClient, PveError } from '../pve/client.mjs';

const SECRET = '5e1c2f0a-7d7b-4b1e-9d55-0f6c3a1b9e42';
/** @type {{method: string, url: string, headers: http.IncomingHttpHeaders, body: string}[]} */
const seen = [];
/** @type {http.Server} */
let server;
let url = '';
/** @type {import('../pve/client.mjs').PveClient} */
let pve;

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answers = {
        '/api2/json/upid': { data: 'UPID:pve1:00001234:00005678:6745A0B0:qmsnapshot:101:snap@pve!panel:' },
        '/api2/json/null': { data: null },
        '/api2/json/nodata': {},
      };
      const key = (req.url ?? '').split('?')[0];
      res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' });
      res.end(JSON.stringify(answers[/** @type {keyof typeof answers} */ (key)] ?? { data: { ok: 1, list: [1, 2] } }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  pve = createPveClient({ url, tokenId: 'snap@pve!panel', tokenSecret: SECRET, retries: 0, timeoutMs: 10000 });
});

after(async () => {
  pve?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends one request and returns what the server saw. */
async function roundTrip(/** @type {any} */ desc) {
  const before = seen.length;
  const data = await pve.request(desc);
  assert.equal(seen.length, before + 1, 'exactly one HTTP request');
  return { data, got: seen[seen.length - 1] };
}

test('GET: params in the query string, token header, data unwrapped', async () => {
  const { data, got } = await roundTrip({ method: 'GET', path: '/nodes/pve1/qemu/101/snapshot', params: { a: 'x y&z', n: 7, t: true, f: false, u: undefined, z: null } });
  assert.deepEqual(data, { ok: 1, list: [1, 2] });
  assert.equal(got.method, 'GET');
  const u = new URL(got.url, 'http://x');
  assert.equal(u.pathname, '/api2/json/nodes/pve1/qemu/101/snapshot');
  assert.deepEqual([...u.searchParams], [['a', 'x y&z'], ['n', '7'], ['t', '1'], ['f', '0']]);
  assert.equal(got.headers.authorization, `PVEAPIToken=snap@pve!panel=${SECRET}`);
  assert.equal(got.body, '');
  assert.equal(got.headers['content-type'], undefined);
});

test('POST and PUT: form-urlencoded body, no query string', async () => {
  for (const method of ['POST', 'PUT']) {
    const { got } = await roundTrip({ method, path: '/nodes/pve1/qemu/101/snapshot', params: { snapname: 'snap20261125T113000', description: 'vor Update: ä&=+', vmstate: 1, skip: undefined } });
    assert.equal(got.method, method);
    assert.equal(got.url, '/api2/json/nodes/pve1/qemu/101/snapshot');
    assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual([...new URLSearchParams(got.body)], [['snapname', 'snap20261125T113000'], ['description', 'vor Update: ä&=+'], ['vmstate', '1']]);
    assert.equal(Number(got.headers['content-length']), Buffer.byteLength(got.body));
  }
});

test('DELETE: params in the query string and no body (Proxmox answers 501 to a body)', async () => {
  const { got } = await roundTrip({ method: 'DELETE', path: '/nodes/pve1/qemu/101/snapshot/snap20261125T113000', params: { force: 1 } });
  assert.equal(got.method, 'DELETE');
  assert.equal(got.url, '/api2/json/nodes/pve1/qemu/101/snapshot/snap20261125T113000?force=1');
  assert.equal(got.body, '');
  assert.equal(got.headers['content-type'], undefined);
  assert.ok(!('transfer-encoding' in got.headers));
});

test('string, null and missing data are returned as Proxmox sent them', async () => {
  assert.match((await roundTrip({ method: 'POST', path: '/upid' })).data, /^UPID:pve1:/);
  assert.equal((await roundTrip({ method: 'GET', path: '/null' })).data, null);
  assert.equal((await roundTrip({ method: 'GET', path: '/nodata' })).data, null);
});

test('a description with extra fields (planCreate adds name) is accepted', async () => {
  const { got } = await roundTrip({ method: 'POST', path: '/nodes/pve1/qemu/101/snapshot', params: { snapname: 's1x' }, name: 's1x' });
  assert.equal(got.body, 'snapname=s1x');
});

test('a url with a path prefix (reverse proxy) keeps the prefix', async () => {
  const c = createPveClient({ url: `${url}/pve/`, tokenId: 'snap@pve!panel', tokenSecret: SECRET });
  try {
    await c.request({ method: 'GET', path: '/version' });
    assert.equal(seen[seen.length - 1].url, '/pve/api2/json/version');
  } finally {
    c.close();
  }
});

const BAD_DESCRIPTIONS = [
  ['null', null],
  ['a string', 'GET /version'],
  ['an unknown method', { method: 'PATCH', path: '/version' }],
  ['a lower-case method', { method: 'get', path: '/version' }],
  ['no path', { method: 'GET' }],
  ['a relative path', { method: 'GET', path: 'nodes/pve1' }],
  ['an empty segment', { method: 'GET', path: '/nodes//qemu' }],
  ['a dot-dot segment', { method: 'DELETE', path: '/nodes/pve1/qemu/101/snapshot/../../qemu/102' }],
  ['an encoded dot-dot segment', { method: 'DELETE', path: '/nodes/pve1/qemu/101/snapshot/%2e%2E' }],
  ['a dot segment', { method: 'GET', path: '/nodes/./pve1' }],
  ['a space', { method: 'GET', path: '/nodes/pve 1' }],
  ['a query in the path', { method: 'GET', path: '/nodes?x=1' }],
  ['a fragment', { method: 'GET', path: '/nodes#x' }],
  ['a bad percent-encoding', { method: 'GET', path: '/nodes/%zz' }],
  ['a newline', { method: 'GET', path: '/nodes\r\nX-Evil: 1' }],
  ['array params', { method: 'GET', path: '/nodes', params: ['a'] }],
  ['nested params', { method: 'POST', path: '/nodes', params: { a: { b: 1 } } }],
  ['array param value', { method: 'POST', path: '/nodes', params: { a: [1] } }],
  ['NaN param', { method: 'POST', path: '/nodes', params: { a: Number.NaN } }],
  ['function param', { method: 'POST', path: '/nodes', params: { a: () => 1 } }],
];

for (const [what, desc] of BAD_DESCRIPTIONS) {
  test(`INVALID_REQUEST and nothing sent for ${what}`, async () => {
    const before = seen.length;
    await assert.rejects(pve.request(/** @type {any} */ (desc)), (err) => {
      assert.ok(err instanceof PveError);
      assert.equal(err.code, 'INVALID_REQUEST');
      assert.equal(err.status, null);
      assert.equal(err.retryable, false);
      assert.match(err.message, /^invalid request description: /);
      return true;
    });
    assert.equal(seen.length, before);
  });
}

const BAD_OPTIONS = [
  ['no url', { tokenId: 'a@pve!bb', tokenSecret: SECRET }, 'url'],
  ['an ftp url', { url: 'ftp://pve1:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET }, 'url'],
  ['credentials in the url', { url: 'https://u:p@pve1:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET }, 'url'],
  ['plain http to a remote host', { url: 'http://pve1.example.net:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET }, 'url'],
  ['a pin on plain http', { url: 'http://127.0.0.1:1', tokenId: 'a@pve!bb', tokenSecret: SECRET, fingerprint: 'AB'.repeat(32) }, 'url'],
  ['a token id without realm', { url: 'https://pve1:8006', tokenId: 'root!panel', tokenSecret: SECRET }, 'tokenId'],
  ['a token id with the secret glued on', { url: 'https://pve1:8006', tokenId: `root@pam!panel=${SECRET}`, tokenSecret: SECRET }, 'tokenId'],
  ['an empty secret', { url: 'https://pve1:8006', tokenId: 'a@pve!bb', tokenSecret: '' }, 'tokenSecret'],
  ['a secret with a newline', { url: 'https://pve1:8006', tokenId: 'a@pve!bb', tokenSecret: `${SECRET}\r\nX: y` }, 'tokenSecret'],
  ['a short fingerprint', { url: 'https://pve1:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET, fingerprint: 'AB:CD' }, 'fingerprint'],
  ['a missing caFile', { url: 'https://pve1:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET, caFile: '/nonexistent/ca.pem' }, 'caFile'],
  ['a non-PEM ca', { url: 'https://pve1:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET, ca: 'hello' }, 'ca'],
  ['a string insecure', { url: 'https://pve1:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET, insecure: 'yes' }, 'insecure'],
  ['a zero timeout', { url: 'https://pve1:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET, timeoutMs: 0 }, 'timeoutMs'],
  ['negative retries', { url: 'https://pve1:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET, retries: -1 }, 'retries'],
];

for (const [what, options, field] of BAD_OPTIONS) {
  test(`INVALID_CONFIG naming ${field} for ${what}`, () => {
    assert.throws(() => createPveClient(/** @type {any} */ (options)), (err) => {
      assert.ok(err instanceof PveError);
      assert.equal(err.code, 'INVALID_CONFIG');
      assert.deepEqual(err.details, { field });
      assert.ok(!err.message.includes(SECRET) && !String(err.stack).includes(SECRET));
      return true;
    });
  });
}

test('plain http to loopback needs no opt-in; to a remote host only with insecure', () => {
  for (const u of ['http://127.0.0.1:8006', 'http://localhost:8006', 'http://[::1]:8006']) {
    createPveClient({ url: u, tokenId: 'a@pve!bb', tokenSecret: SECRET }).close();
  }
  createPveClient({ url: 'http://pve1.example.net:8006', tokenId: 'a@pve!bb', tokenSecret: SECRET, insecure: true }).close();
});
