// HTTP-level behaviour of pve-http-server the simulator reproduces: order of
// checks, transfer and content encodings, connection handling, URL decoding.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startSimulator } from '../simulator/index.mjs';
import { call, waitTask } from './helpers/sim-client.mjs';

/** @type {import('../simulator/index.mjs').Simulator} */
let sim;
before(async () => {
  sim = await startSimulator({ taskDurationMs: 20 });
});
after(async () => {
  await sim?.close();
});

/**
 * One raw request through node:http (no fetch normalisation, no automatic gunzip).
 * @param {string} method @param {string} path full path incl. /api2/json
 * @param {{headers?: Record<string,string>, body?: string|string[]}} [opts] an array body is sent chunked
 */
function raw(method, path, opts = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${sim.url}${path}`, { method, headers: { Authorization: 'PVEAPIToken=root@pam!panel=SECRET', ...(opts.headers ?? {}) }, timeout: 20_000, agent: false }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, statusText: res.statusMessage, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (Array.isArray(opts.body)) {
      for (const part of opts.body) req.write(part);
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

test('chunked request bodies are refused (501), so clients must send Content-Length', async () => {
  const r = await raw('POST', '/api2/json/nodes/pve1/qemu/101/snapshot', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: ['snapname=', 'chunky'] });
  assert.equal(r.status, 501);
  assert.equal(r.statusText, 'chunked transfer encoding not supported');
  assert.equal(r.headers.connection, 'close');
});

test('authentication comes before the body rules', async () => {
  const r = await raw('DELETE', '/api2/json/nodes/pve1/qemu/101/snapshot/before-migration', { headers: { Authorization: 'PVEAPIToken=root@pam!panel=nope', 'Content-Length': '7' }, body: 'force=1' });
  assert.equal(r.status, 401);
});

test('an unsupported Content-Type is 506; JSON that does not parse is 501', async () => {
  const text = await call(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { rawBody: 'snapname=abc', headers: { 'Content-Type': 'text/plain' } });
  assert.equal(text.status, 506);
  assert.equal(text.statusText, "upload 'Content-Type 'text/plain' not implemented");
  const bad = await call(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { rawBody: '{"snapname":', headers: { 'Content-Type': 'application/json' } });
  assert.equal(bad.status, 501);
  assert.equal(bad.text, '');
});

test('a charset on the form Content-Type is fine', async () => {
  const r = await call(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { rawBody: 'snapname=charsetOk', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' } });
  assert.equal(r.status, 200);
  await waitTask(sim, r.json.data);
});

test('bodies over 1 KiB are gzipped only when the client accepts gzip', async () => {
  const plain = await raw('GET', '/api2/json/cluster/resources');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.ok(plain.body.length > 1024);
  const zipped = await raw('GET', '/api2/json/cluster/resources', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.deepEqual(JSON.parse(gunzipSync(zipped.body).toString('utf8')), JSON.parse(plain.body.toString('utf8')));
  const small = await raw('GET', '/api2/json/version', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(small.headers['content-encoding'], undefined);
});

test('errors close the connection', async () => {
  const err = await raw('GET', '/api2/json/nodes/pve2/qemu/101/status/current');
  assert.equal(err.status, 500);
  assert.equal(err.headers.connection, 'close');
  for (const h of ['server', 'cache-control', 'pragma', 'expires']) assert.ok(err.headers[h], h);
  assert.equal(err.headers.server, 'pve-api-daemon/3.0');
});

test('paths outside /api2/json', async () => {
  const file = await raw('GET', '/index.html');
  assert.equal(file.status, 501);
  assert.equal(file.statusText, "no such file '/index.html'");
  const extjs = await raw('GET', '/api2/extjs/version');
  assert.equal(extjs.status, 501);
});

test('empty path fragments are skipped like RESTHandler does', async () => {
  const r = await raw('GET', '/api2/json/nodes//pve1/qemu/101/status/current/');
  assert.equal(r.status, 200);
});

test('a repeated parameter arrives joined with \\0 and fails verification', async () => {
  const r = await raw('POST', '/api2/json/nodes/pve1/qemu/101/snapshot', { headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '23' }, body: 'snapname=ab&snapname=cd' });
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body.toString()).errors.snapname, "invalid format - invalid configuration ID 'ab\0cd'\n");
});

test('form values are decoded the Perl way: "+" is a space, %XX is UTF-8', async () => {
  const body = 'snapname=plusTest&description=caf%C3%A9+au+lait';
  const r = await raw('POST', '/api2/json/nodes/pve2/qemu/201/snapshot', { headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) }, body });
  assert.equal(r.status, 200);
  await sim.idle();
  assert.equal(sim.vm(201).snapshots.find((s) => s.name === 'plusTest')?.description, 'café au lait');
});

test('like Perl, a name with one trailing newline passes the format check', async () => {
  const r = await call(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: 'nl\n' } });
  assert.equal(r.status, 200, 'a client must not rely on the server to catch this');
  await waitTask(sim, r.json.data);
  const two = await call(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: 'nl\n\n' } });
  assert.equal(two.status, 400);
});
