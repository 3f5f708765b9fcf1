// The simulator over HTTPS with a self-signed certificate made at test time,
// as hosting companies run Proxmox.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../simulator/index.mjs';

/** @type {string | undefined} */
let dir;
/** @type {import('../simulator/index.mjs').Simulator} */
let sim;
/** @type {Buffer} */
let cert;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'));
  sim = await startSimulator({ tls: { key: readFileSync(join(dir, 'key.pem')), cert }, taskDurationMs: 20 });
});
after(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** @param {string} path @param {https.RequestOptions} opts */
function get(path, opts) {
  return new Promise((resolve, reject) => {
    const req = https.request(`${sim.url}/api2/json${path}`, { headers: { Authorization: 'PVEAPIToken=root@pam!panel=SECRET' }, timeout: 20_000, ...opts }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the API over HTTPS with the given certificate', async () => {
  assert.match(sim.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const r = await get('/nodes/pve1/qemu/101/snapshot', { ca: cert, agent: false });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.at(-1).name, 'current');
});

test('a client that does not trust the self-signed certificate is refused', async () => {
  await assert.rejects(get('/version', { agent: false }), (/** @type {{code?: string, message: string}} */ err) => /self[- ]signed|unable to verify/i.test(err.message));
});
