// The panel server under load, on each store engine: 32 clients with
// keep-alive loop GET /api/services/svc-101/snapshots (session check, lease
// look-up for the active task, two Proxmox reads) for --seconds after a 2 s
// warm-up. The server runs in demo mode in its own process (the simulator
// in it); the clients run in this one. Target: at least 2,400 requests/s
// on SQLite, so that the store costs nothing a customer notices. Usage: node bench/server.mjs [--seconds 10] [--clients 32]
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPgCluster, freePort } from '../www/test/helpers/pg-cluster.mjs';

const MAIN = fileURLToPath(new URL('../www/server/main.mjs', import.meta.url));
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, clients: { type: 'string', default: '32' } } });
const seconds = Number(values.seconds);
const clients = Number(values.clients);

/**
 * @param {string} base
 * @returns {Promise<{rps: number, errors: number}>}
 */
async function load(base) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const u = new URL(base);
  /** @param {string} method @param {string} path @param {Record<string, string>} [headers] @param {string} [body] */
  const request = (method, path, headers = {}, body = undefined) => new Promise(
    /** @param {(r: {status: number, headers: import('node:http').IncomingHttpHeaders}) => void} resolve */
    (resolve, reject) => {
      const r = http.request({ host: u.hostname, port: u.port, method, path, headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: /** @type {number} */ (res.statusCode), headers: res.headers }));
      });
      r.on('error', reject);
      r.end(body);
    });
  const login = await request('POST', '/api/login', { 'Content-Type': 'application/json' }, JSON.stringify({ username: 'alice', password: 'alice-demo' }));
  const sid = /sid=([^;]+)/.exec(String(login.headers['set-cookie']?.[0]))?.[1];
  const headers = { Cookie: `sid=${sid}` };
  let ok = 0;
  let errors = 0;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const r = await request('GET', '/api/services/svc-101/snapshots', headers);
      if (r.status === 200) ok++;
      else errors++;
    }
  };
  /** @param {number} ms */
  const run = async (ms) => {
    stop = false;
    const loops = Array.from({ length: clients }, loop);
    await new Promise((r) => setTimeout(r, ms));
    stop = true;
    await Promise.all(loops);
  };
  await run(2000);
  ok = 0;
  errors = 0;
  const t0 = performance.now();
  await run(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  return { rps: Math.round(ok / elapsed), errors };
}

/** @param {Record<string, string>} env @param {string[]} args */
async function withServer(env, args) {
  const port = await freePort();
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.PVE_URL;
  const child = spawn(process.execPath, [MAIN, '--port', String(port), ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  for (let i = 0; i < 200 && !out.includes('pve-snapshots panel:'); i++) await new Promise((r) => setTimeout(r, 50));
  try {
    return await load(`http://127.0.0.1:${port}`);
  } finally {
    child.kill('SIGKILL');
  }
}

const rows = [];
const dir = mkdtempSync(join(tmpdir(), 'bench-server-'));
try {
  rows.push(['SQLite', await withServer({}, ['--data-dir', dir])]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const cluster = await startPgCluster();
try {
  rows.push(['PostgreSQL', await withServer({ DATABASE_URL: await cluster.createDatabase() }, [])]);
} finally {
  await cluster.close();
}
console.log(`| Store | GET …/snapshots, ${clients} clients (requests/s) | errors |`);
console.log('|---|---|---|');
for (const [name, r] of rows) console.log(`| ${name} | ${/** @type {any} */ (r).rps} | ${/** @type {any} */ (r).errors} |`);
