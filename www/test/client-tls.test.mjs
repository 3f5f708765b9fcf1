// HTTPS as hosting companies run Proxmox: a private CA, a pinned self-signed
// certificate, or (explicitly) no verification. Certificates are made with
// openssl at test time; every server counts the requests that reached it, so
// a refused certificate must also mean the token was never sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPveClient, PveError } from '../pve/client.mjs';

const SECRET = 'tls-secret-0c1d2e3f';
const TOKEN = { tokenId: 'snap@pve!panel', tokenSecret: SECRET };
const dir = mkdtempSync(join(tmpdir(), 'client-tls-'));

/** @param {string[]} args */
function openssl(args) {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/**
 * A key and a certificate signed by the test CA (or self-signed when `ca` is false).
 * @param {string} name
 * @param {string} san
 * @param {boolean} ca
 */
function makeCert(name, san, ca) {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
  if (ca) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
      '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
  } else {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
      '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`]);
  }
  // "sha256 Fingerprint=AA:BB:…" — the form `pvenode cert info` shows.
  const fingerprint = openssl(['x509', '-in', `${name}.crt`, '-noout', '-fingerprint', '-sha256']).trim().split('=')[1];
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.crt`)), fingerprint };
}

/** @type {Record<string, {server: https.Server, url: string, hits: number, fingerprint: string, authHeaders: string[]}>} */
const servers = {};
let caFile = '';

before(async () => {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Proxmox Virtual Environment test CA']);
  caFile = join(dir, 'ca.crt');
  const certs = {
    // Like a node certificate signed by the cluster CA.
    signed: makeCert('pve1', 'DNS:localhost,IP:127.0.0.1', true),
    // Signed by the same CA, but for another host.
    otherHost: makeCert('pve9', 'DNS:pve9.example.net', true),
    selfSigned: makeCert('selfsigned', 'DNS:localhost,IP:127.0.0.1', false),
  };
  for (const [name, { key, cert, fingerprint }] of Object.entries(certs)) {
    const entry = { server: https.createServer({ key, cert }), url: '', hits: 0, fingerprint, authHeaders: /** @type {string[]} */ ([]) };
    entry.server.on('request', (req, res) => {
      entry.hits += 1;
      entry.authHeaders.push(String(req.headers.authorization));
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ data: { server: name } }));
    });
    await new Promise((resolve) => entry.server.listen(0, '127.0.0.1', () => resolve(undefined)));
    entry.url = `https://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (entry.server.address()).port}`;
    servers[name] = entry;
  }
});

after(async () => {
  for (const { server } of Object.values(servers)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

/** @type {import('../pve/client.mjs').RequestDescription} */
const GET = { method: 'GET', path: '/version' };

/**
 * @param {{url: string} & Partial<import('../pve/client.mjs').PveClientOptions>} options the token is added here
 * @param {(pve: import('../pve/client.mjs').PveClient) => Promise<void>} body
 */
async function withClient(options, body) {
  const pve = createPveClient({ ...TOKEN, retries: 0, timeoutMs: 10000, ...options });
  try {
    await body(pve);
  } finally {
    pve.close();
  }
}

/**
 * Expects PVE_TLS and that the server never saw a request.
 * @param {keyof typeof servers} name
 * @param {Partial<import('../pve/client.mjs').PveClientOptions>} options
 */
async function refused(name, options) {
  const entry = servers[name];
  const before = entry.hits;
  /** @type {PveError|undefined} */
  let error;
  await withClient({ url: entry.url, ...TOKEN, ...options }, async (pve) => {
    error = await pve.request(GET).then(() => assert.fail('TLS should have been refused'), (e) => e);
  });
  assert.ok(error instanceof PveError, String(error));
  assert.equal(error.code, 'PVE_TLS');
  assert.equal(error.status, null);
  assert.equal(error.retryable, false);
  assert.match(error.message, /^GET \/version: TLS: /);
  assert.equal(entry.hits, before, 'no request (and no token) reached the server');
  return error;
}

test('trusts a server whose certificate a CA file signed', async () => {
  await withClient({ url: servers.signed.url, caFile }, async (pve) => {
    assert.deepEqual(await pve.request(GET), { server: 'signed' });
    // keep-alive: the second request reuses the verified connection
    assert.deepEqual(await pve.request(GET), { server: 'signed' });
  });
});

test('trusts a CA given as PEM text and checks the DNS name too', async () => {
  const url = servers.signed.url.replace('127.0.0.1', 'localhost');
  await withClient({ url, ca: readFileSync(caFile, 'utf8') }, async (pve) => {
    assert.deepEqual(await pve.request(GET), { server: 'signed' });
  });
});

test('refuses a self-signed certificate by default and shows its fingerprint', async () => {
  const err = await refused('selfSigned', {});
  assert.ok(err.message.includes(servers.selfSigned.fingerprint), err.message);
  assert.match(err.message, /not trusted \(.*self[- ]signed/i);
  assert.equal(err.details?.reason, 'untrusted');
  assert.equal(err.details?.fingerprint, servers.selfSigned.fingerprint);
});

test('refuses a CA-signed certificate without that CA (system store only)', async () => {
  const err = await refused('signed', {});
  assert.ok(err.message.includes(servers.signed.fingerprint));
});

test('refuses a CA-signed certificate for another host name', async () => {
  const err = await refused('otherHost', { caFile });
  assert.equal(err.details?.reason, 'hostname-mismatch');
  assert.match(err.message, /127\.0\.0\.1/);
  assert.ok(err.message.includes(servers.otherHost.fingerprint));
});

test('a correct pin accepts a self-signed certificate', async () => {
  await withClient({ url: servers.selfSigned.url, fingerprint: servers.selfSigned.fingerprint }, async (pve) => {
    assert.deepEqual(await pve.request(GET), { server: 'selfSigned' });
    assert.deepEqual(await pve.request({ method: 'POST', path: '/x', params: { a: 1 } }), { server: 'selfSigned' });
  });
});

test('a pin matches case-insensitively and without colons', async () => {
  const plain = servers.selfSigned.fingerprint.replace(/:/g, '').toLowerCase();
  await withClient({ url: servers.selfSigned.url, fingerprint: plain }, async (pve) => {
    assert.deepEqual(await pve.request(GET), { server: 'selfSigned' });
  });
});

test('a correct pin accepts a certificate for another host name', async () => {
  await withClient({ url: servers.otherHost.url, fingerprint: servers.otherHost.fingerprint }, async (pve) => {
    assert.deepEqual(await pve.request(GET), { server: 'otherHost' });
  });
});

test('a wrong pin is refused, naming the fingerprint the server presented', async () => {
  const wrong = servers.signed.fingerprint;
  const err = await refused('selfSigned', { fingerprint: wrong });
  assert.ok(err.message.includes(`the server presented SHA-256 ${servers.selfSigned.fingerprint}`), err.message);
  assert.ok(err.message.includes(`pinned fingerprint is ${wrong}`), err.message);
  assert.deepEqual(err.details, { reason: 'pin-mismatch', fingerprint: servers.selfSigned.fingerprint, expected: wrong });
});

test('a wrong pin is refused even when the CA would trust the certificate', async () => {
  await refused('signed', { caFile, fingerprint: servers.selfSigned.fingerprint });
});

test('insecure accepts any certificate, but only when asked for', async () => {
  await withClient({ url: servers.selfSigned.url, insecure: true }, async (pve) => {
    assert.deepEqual(await pve.request(GET), { server: 'selfSigned' });
  });
  await withClient({ url: servers.otherHost.url, insecure: true }, async (pve) => {
    assert.deepEqual(await pve.request(GET), { server: 'otherHost' });
  });
});

test('a pin still holds when insecure is also set', async () => {
  await refused('selfSigned', { insecure: true, fingerprint: servers.signed.fingerprint });
});

test('the token goes over the verified connection intact', async () => {
  const before = servers.signed.authHeaders.length;
  await withClient({ url: servers.signed.url, caFile }, async (pve) => {
    await pve.request(GET);
  });
  assert.deepEqual(servers.signed.authHeaders.slice(before), [`PVEAPIToken=snap@pve!panel=${SECRET}`]);
});

test('TLS errors do not reveal the secret', async () => {
  const err = await refused('selfSigned', { fingerprint: servers.signed.fingerprint });
  assert.ok(!err.message.includes(SECRET) && !String(err.stack).includes(SECRET));
});
