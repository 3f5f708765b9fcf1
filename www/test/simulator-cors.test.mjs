// CORS for the core's browser tests: off by default (Proxmox answers none),
// and when switched on only ever for pages on loopback origins.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../simulator/index.mjs';
import { isLoopbackOrigin } from '../simulator/http-server.mjs';

const CLI = fileURLToPath(new URL('../simulator/cli.mjs', import.meta.url));
const TOKEN = 'PVEAPIToken=root@pam!panel=SECRET';
const LIST = '/api2/json/nodes/pve1/qemu/101/snapshot';

const LOOPBACK = ['http://127.0.0.1:8000', 'http://localhost:3000', 'http://[::1]:8080', 'https://127.0.0.2', 'http://localhost'];
// Look-alikes and near misses: other hosts, spellings a browser never sends,
// schemes that are not web pages, and the opaque origin of a sandboxed page.
const FOREIGN = [
  'http://example.com', 'https://pve.example.net:8006', 'http://10.0.0.1:8000', 'http://192.168.1.5',
  'http://127.0.0.1.example.com', 'http://localhost.example.com', 'http://evil-localhost', 'http://128.0.0.1',
  'http://127.1', 'http://127.0.0.1:8000/', 'http://127.0.0.1:8000/page', 'http://user@127.0.0.1:8000',
  'HTTP://LOCALHOST:8000', 'file://', 'ws://127.0.0.1:8000', 'null', '', 'http://[::2]:8000', 'http://0.0.0.0:8000',
];

/**
 * One raw request (node:http: no fetch rules about which headers may be set).
 * @param {string} url @param {string} method @param {Record<string, string>} headers
 * @returns {Promise<{status: number|undefined, headers: http.IncomingHttpHeaders, body: string}>}
 */
function raw(url, method, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** @param {http.IncomingHttpHeaders} headers */
const corsHeaders = (headers) => Object.keys(headers).filter((h) => h.startsWith('access-control-'));

/** @param {string} origin @param {string} [method] */
const preflight = (origin, method = 'DELETE') => ({
  Origin: origin,
  'Access-Control-Request-Method': method,
  'Access-Control-Request-Headers': 'authorization,content-type',
});

/** @type {import('../simulator/index.mjs').Simulator} */
let plain;
/** @type {import('../simulator/index.mjs').Simulator} */
let cors;
before(async () => {
  plain = await startSimulator();
  cors = await startSimulator({ corsLoopback: true });
});
after(async () => {
  await plain?.close();
  await cors?.close();
});

test('the origin check accepts loopback pages and nothing else', () => {
  for (const o of LOOPBACK) assert.equal(isLoopbackOrigin(o), true, o);
  for (const o of FOREIGN) assert.equal(isLoopbackOrigin(o), false, o);
});

test('off by default: no CORS headers for a loopback page, and a preflight fails as on Proxmox', async () => {
  const get = await raw(plain.url + LIST, 'GET', { Authorization: TOKEN, Origin: 'http://127.0.0.1:8000' });
  assert.equal(get.status, 200);
  assert.deepEqual(corsHeaders(get.headers), []);
  assert.equal(get.headers.vary, undefined);
  const pre = await raw(plain.url + LIST, 'OPTIONS', preflight('http://127.0.0.1:8000'));
  assert.equal(pre.status, 501);
  assert.deepEqual(corsHeaders(pre.headers), []);
});

test('on: a loopback page may read answers, errors included, and its preflight is answered without a token', async () => {
  for (const origin of LOOPBACK) {
    const pre = await raw(cors.url + LIST, 'OPTIONS', preflight(origin));
    assert.equal(pre.status, 204, origin);
    assert.equal(pre.headers['access-control-allow-origin'], origin);
    assert.deepEqual(pre.headers['access-control-allow-methods']?.split(/,\s*/), ['GET', 'POST', 'PUT', 'DELETE']);
    assert.deepEqual(pre.headers['access-control-allow-headers']?.split(/,\s*/).map((h) => h.toLowerCase()), ['authorization', 'content-type']);
    assert.equal(pre.headers['access-control-allow-credentials'], undefined, 'the token travels in a header, never in cookies');
    assert.equal(pre.body, '');

    const ok = await raw(cors.url + LIST, 'GET', { Authorization: TOKEN, Origin: origin });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], origin);
    assert.equal(ok.headers.vary, 'Origin');
    assert.ok(Array.isArray(JSON.parse(ok.body).data));

    // The page must be able to see why a call failed, not just that it did.
    const denied = await raw(cors.url + LIST, 'GET', { Authorization: 'PVEAPIToken=root@pam!panel=WRONG', Origin: origin });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['access-control-allow-origin'], origin);
  }
});

test('on: other origins never get CORS headers, and their preflight fails as on Proxmox', async () => {
  for (const origin of FOREIGN.filter((o) => o !== '')) {
    const pre = await raw(cors.url + LIST, 'OPTIONS', preflight(origin));
    assert.equal(pre.status, 501, origin);
    assert.deepEqual(corsHeaders(pre.headers), [], origin);
    const get = await raw(cors.url + LIST, 'GET', { Authorization: TOKEN, Origin: origin });
    assert.equal(get.status, 200, origin);
    assert.deepEqual(corsHeaders(get.headers), [], origin);
  }
  const noOrigin = await raw(cors.url + LIST, 'GET', { Authorization: TOKEN });
  assert.deepEqual(corsHeaders(noOrigin.headers), []);
});

test('on: an OPTIONS request that is no preflight is still refused like any unknown method', async () => {
  const res = await raw(cors.url + LIST, 'OPTIONS', { Origin: 'http://127.0.0.1:8000' });
  assert.equal(res.status, 501);
  assert.equal(res.headers['access-control-allow-methods'], undefined);
});

test('corsLoopback must be a boolean', async () => {
  await assert.rejects(startSimulator({ corsLoopback: /** @type {any} */ ('yes') }), { code: 'INVALID_INPUT', message: /corsLoopback/ });
});

test('the CLI switches it on with --cors-loopback only', async (t) => {
  /** @type {{args: string[], expected: string|undefined}[]} */
  const runs = [{ args: ['--cors-loopback'], expected: 'http://localhost:9000' }, { args: [], expected: undefined }];
  for (const { args, expected } of runs) {
    const child = spawn(process.execPath, [CLI, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', (c) => {
        out += c;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const pre = await raw(url + LIST, 'OPTIONS', preflight('http://localhost:9000', 'POST'));
    assert.equal(pre.headers['access-control-allow-origin'], expected, args.join(' ') || 'no flag');
    assert.equal(pre.status, expected ? 204 : 501);
    child.kill('SIGTERM');
    assert.equal((await once(child, 'exit'))[0], 0);
  }
});
