// The session cookie gets `Secure` when the panel is served over https:
// directly (TLS in the server) or behind a trusted TLS-terminating proxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from './server-harness.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let proxied;
/** @type {Awaited<ReturnType<typeof startStack>>} */
let direct;
const dir = mkdtempSync(join(tmpdir(), 'panel-tls-'));
/** @type {Buffer} */
let cert;

before(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'));
  proxied = await startStack({ serverOptions: { trustProxy: true } });
  direct = await startStack({ serverOptions: { tls: { cert, key: readFileSync(join(dir, 'key.pem')) } } });
});
after(async () => {
  await proxied?.close();
  await direct?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Secure cookie behind X-Forwarded-Proto: https when the proxy is trusted, not without it', async () => {
  const b = await proxied.browser();
  const r = await b.send('POST', '/api/login', {
    json: { username: 'alice', password: 'alice-demo' },
    headers: { 'X-Forwarded-Proto': 'https' },
  });
  assert.equal(r.status, 200);
  assert.match(/** @type {string[]} */ (r.headers['set-cookie'])[0], /; Secure/);

  const plain = await b.send('POST', '/api/login', { json: { username: 'alice', password: 'alice-demo' } });
  assert.doesNotMatch(/** @type {string[]} */ (plain.headers['set-cookie'])[0], /Secure/);
});

test('an untrusted X-Forwarded-Proto does not change anything', async () => {
  const stack = await startStack();
  try {
    const b = await stack.browser();
    const r = await b.send('POST', '/api/login', { json: { username: 'alice', password: 'alice-demo' }, headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(r.status, 200);
    assert.doesNotMatch(/** @type {string[]} */ (r.headers['set-cookie'])[0], /Secure/);
  } finally {
    await stack.close();
  }
});

test('served over https itself: Secure cookie and the security headers', async () => {
  assert.match(direct.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const body = JSON.stringify({ username: 'alice', password: 'alice-demo' });
  /** @type {import('node:http').IncomingMessage} */
  const res = await new Promise((resolve, reject) => {
    const req = https.request(`${direct.url}/api/login`, {
      method: 'POST', ca: cert, agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Origin: direct.url },
    }, resolve);
    req.on('error', reject);
    req.end(body);
  });
  res.resume();
  assert.equal(res.statusCode, 200);
  assert.match(/** @type {string[]} */ (res.headers['set-cookie'])[0], /^sid=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
});
