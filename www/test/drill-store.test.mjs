// Drills for the durable store, with real panel processes (www/server/main.mjs)
// in front of one simulator, sharing a SQLite directory or a throwaway
// PostgreSQL database: restart and SIGTERM during a running Proxmox task,
// kill -9 of one of two instances mid-action, the database lost while
// running and unreachable at start, two instances migrating at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { startSimulator } from '../simulator/index.mjs';
import { openStore } from '../store/index.mjs';
import { MIGRATIONS } from '../store/migrations.mjs';
import { Browser, DEMO_CONFIG, TOKEN_ID } from './server-harness.mjs';
import { startPgCluster, freePort } from './helpers/pg-cluster.mjs';

const MAIN = fileURLToPath(new URL('../server/main.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'pve-drill-store-'));
/** @type {import('./helpers/pg-cluster.mjs').PgCluster} */
let cluster;
/** @type {Array<() => void>} */
const kills = [];

before(async () => { cluster = await startPgCluster(); });
after(async () => {
  for (const k of kills) k();
  await cluster?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {import('node:test').TestContext} t
 * @param {number | {create?: number, delete?: number, rollback?: number, default?: number}} taskDurationMs
 */
async function simulator(t, taskDurationMs) {
  const secret = randomBytes(24).toString('hex');
  const sim = await startSimulator({ port: 0, seed: 'demo', tokens: [{ id: TOKEN_ID, secret }], taskDurationMs });
  t.after(() => sim.close());
  return {
    sim,
    secret,
    /** Snapshot-creating requests that reached Proxmox. */
    creates: () => sim.requests.filter((r) => r.method === 'POST' && /\/snapshot$/.test(r.path.split('?')[0])).length,
  };
}

/**
 * @typedef {{url: string, child: import('node:child_process').ChildProcess, stderr: () => string,
 *   exited: Promise<{code: number | null, signal: string | null}>}} Panel
 */

/**
 * Starts `node www/server/main.mjs` against the simulator.
 * @param {{sim: {url: string}, secret: string}} s
 * @param {{dataDir?: string, databaseUrl?: string}} store
 * @returns {Promise<Panel>}
 */
async function startPanel({ sim, secret }, { dataDir, databaseUrl }) {
  const { child, stdout, stderr, exited } = spawnMain(['--config', DEMO_CONFIG, '--port', '0', ...(dataDir ? ['--data-dir', dataDir] : [])], {
    PVE_URL: sim.url, PVE_TOKEN_ID: TOKEN_ID, PVE_TOKEN_SECRET: secret, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  for (let i = 0; i < 300; i++) {
    const m = /pve-snapshots panel: (http:\/\/\S+)\//.exec(stdout());
    if (m) return { url: m[1], child, stderr, exited };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`the panel did not start:\n${stderr()}`);
}

/**
 * @param {string[]} args
 * @param {Record<string, string>} env
 */
function spawnMain(args, env) {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.PVE_URL;
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  kills.push(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  /** @type {Promise<{code: number | null, signal: string | null}>} */
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * A browser that signs in on one panel and may then be pointed at another
 * (same cookie, same CSRF token).
 * @param {string} url
 */
async function signedIn(url, user = 'alice') {
  const b = new Browser(url, []);
  const r = await b.login(user, `${user}-demo`);
  assert.equal(r.status, 200, r.text);
  return b;
}

/**
 * @param {Browser} b @param {string} service @param {string} taskId @param {number} [limitMs]
 */
async function finalState(b, service, taskId, limitMs = 90_000) {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    const r = await b.send('GET', `/api/services/${service}/tasks/${taskId}`);
    if (r.status === 200 && r.json.task.state !== 'running') return r.json.task;
    await sleep(250);
  }
  throw new Error(`task ${taskId} still running after the test's safety net`);
}

/** @param {{dataDir?: string, databaseUrl?: string}} where */
async function auditOf(where) {
  const store = await openStore(where);
  try { return await store.auditLog(); } finally { await store.close(); }
}

test('SIGTERM then restart during a running task: followed again, real outcome, lease released, audited once (SQLite)', async (t) => {
  const s = await simulator(t, { create: 14_000, default: 300 });
  const dataDir = join(tmp, 'restart');
  const a = await startPanel(s, { dataDir });
  const alice = await signedIn(a.url);
  const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 'across a restart' } });
  assert.equal(r.status, 202, r.text);
  const taskId = r.json.task.id;

  a.child.kill('SIGTERM');
  // While draining, a new action is refused and nothing is sent.
  const during = await alice.send('POST', '/api/services/svc-202/snapshots', { json: {} }).catch(() => null);
  if (during) assert.notEqual(during.status, 202);
  const end = await a.exited;
  assert.equal(end.code, 0, a.stderr());
  assert.equal(s.creates(), 1);

  const b = await startPanel(s, { dataDir });
  t.after(() => { b.child.kill('SIGKILL'); });
  alice.base = b.url; // the session survived the restart
  const busy = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(busy.status, 409, 'the VM is still busy with the task');
  assert.equal(busy.json.error.code, 'SNAPSHOT_BUSY');
  const task = await finalState(alice, 'svc-101', taskId);
  assert.equal(task.state, 'ok');
  // The lease went with the task: the next action on that VM goes through.
  const next = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(next.status, 202, next.text);
  assert.equal((await finalState(alice, 'svc-101', next.json.task.id)).state, 'ok');
  b.child.kill('SIGTERM');
  await b.exited;
  const log = (await auditOf({ dataDir })).filter((e) => e.taskId === taskId);
  assert.deepEqual(log.map((e) => e.outcome), ['accepted', 'ok']);
  assert.equal(s.creates(), 2);
});

test('SIGTERM: a task ending within 10 s is recorded before the exit', async (t) => {
  const s = await simulator(t, { create: 3000, default: 300 });
  const dataDir = join(tmp, 'sigterm');
  const a = await startPanel(s, { dataDir });
  const alice = await signedIn(a.url);
  const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(r.status, 202, r.text);
  a.child.kill('SIGTERM');
  assert.equal((await a.exited).code, 0);
  const log = (await auditOf({ dataDir })).filter((e) => e.taskId === r.json.task.id);
  assert.deepEqual(log.map((e) => e.outcome), ['accepted', 'ok']);
});

test('two instances on one PostgreSQL: shared sessions, one action per VM, kill -9 mid-action, nothing sent twice', async (t) => {
  const s = await simulator(t, { create: 12_000, default: 300 });
  const databaseUrl = await cluster.createDatabase();
  const [a, b] = await Promise.all([startPanel(s, { databaseUrl }), startPanel(s, { databaseUrl })]);
  t.after(() => { b.child.kill('SIGKILL'); });

  // A session made on one works on the other; sign-out on one ends it on both.
  const bob = await signedIn(a.url, 'bob');
  bob.base = b.url;
  assert.equal((await bob.send('GET', '/api/session')).status, 200);
  assert.equal((await bob.send('POST', '/api/logout', { json: {} })).status, 204);
  const sid = bob.sid;
  bob.base = a.url;
  bob.sid = sid;
  assert.equal((await bob.send('GET', '/api/session')).status, 401);

  const alice = await signedIn(a.url);
  const bob2 = await signedIn(b.url, 'bob');

  // Failed sign-ins count across both instances.
  const guesser = new Browser(a.url, []);
  for (let i = 0; i < 5; i++) {
    guesser.base = i % 2 ? a.url : b.url;
    assert.equal((await guesser.login('alice', 'wrong')).status, 401);
  }
  guesser.base = b.url;
  assert.equal((await guesser.login('alice', 'alice-demo')).status, 429);

  // 10 concurrent creates spread across both: exactly one accepted.
  const clicks = await Promise.all(Array.from({ length: 10 }, (_, i) => {
    const c = new Browser(i % 2 ? a.url : b.url, []);
    c.sid = alice.sid;
    c.csrf = alice.csrf;
    return c.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  }));
  const accepted = clicks.filter((c) => c.status === 202);
  assert.equal(accepted.length, 1, clicks.map((c) => c.status).join(' '));
  assert.ok(clicks.filter((c) => c.status !== 202).every((c) => c.json.error.code === 'SNAPSHOT_BUSY'));
  assert.equal(s.creates(), 1);
  const first = accepted[0].json.task.id;
  await finalState(alice, 'svc-101', first);

  // kill -9 of the instance that sends the next action, right after Proxmox accepted it.
  bob2.base = a.url;
  const r = await bob2.send('POST', '/api/services/svc-202/snapshots', { json: {} });
  assert.equal(r.status, 202, r.text);
  a.child.kill('SIGKILL');
  await a.exited;
  bob2.base = b.url;
  const refused = await bob2.send('POST', '/api/services/svc-202/snapshots', { json: {} });
  assert.equal(refused.status, 409);
  assert.equal(refused.json.error.code, 'SNAPSHOT_BUSY');
  // The other instance answers for the killed one's task and ends it once.
  assert.equal((await finalState(bob2, 'svc-202', r.json.task.id)).state, 'ok');
  let after;
  for (let i = 0; i < 8; i++) {
    after = await bob2.send('POST', '/api/services/svc-202/snapshots', { json: {} });
    if (after.status === 202) break;
    assert.equal(after.json.error.code, 'SNAPSHOT_BUSY', after.text);
    await sleep(3000);
  }
  assert.equal(after?.status, 202, 'proceeds once the task has ended or the lease expired');
  assert.equal(s.creates(), 3, 'nothing was sent twice');
  const log = (await auditOf({ databaseUrl })).filter((e) => e.taskId === r.json.task.id);
  assert.deepEqual(log.map((e) => e.outcome), ['accepted', 'ok']);
});

test('PostgreSQL stopped while running: 503 STORE_UNAVAILABLE, nothing sent, recovers by itself', async (t) => {
  const s = await simulator(t, 300);
  const databaseUrl = await cluster.createDatabase();
  const a = await startPanel(s, { databaseUrl });
  t.after(() => { a.child.kill('SIGKILL'); });
  const alice = await signedIn(a.url);
  assert.equal((await alice.send('GET', '/api/services')).status, 200);
  const before = s.sim.requests.length;
  await cluster.stop();
  try {
    for (const [method, path] of [['GET', '/api/session'], ['GET', '/api/services'], ['POST', '/api/services/svc-101/snapshots']]) {
      const r = await alice.send(method, path, method === 'POST' ? { json: {} } : {});
      assert.equal(r.status, 503, `${method} ${path}: ${r.text}`);
      assert.equal(r.json.error.code, 'STORE_UNAVAILABLE');
      assert.ok(!r.text.includes(cluster.password) && !r.text.includes('127.0.0.1'), r.text);
    }
    assert.equal(s.sim.requests.length, before, 'nothing was sent to Proxmox');
  } finally {
    await cluster.start();
  }
  let r;
  for (let i = 0; i < 60; i++) {
    r = await alice.send('GET', '/api/session');
    if (r.status === 200) break;
    await sleep(500);
  }
  assert.equal(r?.status, 200, 'the session survived and the store came back');
  assert.ok(!a.stderr().includes(cluster.password), 'the password is in no log line');
});

test('store unreachable at start: one clear line, non-zero exit, no password, no stack', async (t) => {
  const s = await simulator(t, 300);
  const port = await freePort();
  const password = `secret-${randomBytes(6).toString('hex')}`;
  const { child, stdout, stderr, exited } = spawnMain(['--config', DEMO_CONFIG, '--port', '0'], {
    PVE_URL: s.sim.url, PVE_TOKEN_ID: TOKEN_ID, PVE_TOKEN_SECRET: s.secret, DATABASE_URL: `postgres://panel:${password}@127.0.0.1:${port}/panel`,
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const end = await exited;
  clearTimeout(timer);
  assert.equal(end.signal, null, 'exited by itself within 15 s');
  assert.notEqual(end.code, 0);
  const lines = stderr().trim().split('\n');
  assert.equal(lines.length, 1, stderr());
  assert.match(lines[0], /STORE_UNAVAILABLE: the PostgreSQL store postgres:\/\/panel:\*\*\*@127\.0\.0\.1:\d+\/panel/);
  assert.ok(!stderr().includes(password) && !stdout().includes(password));
  assert.ok(!/\n\s+at /.test(stderr()), 'no stack trace');
});

test('two instances starting at once on an empty database: migrated once, both come up (PostgreSQL and SQLite)', async (t) => {
  const s = await simulator(t, 300);
  const targets = [{ databaseUrl: await cluster.createDatabase() }, { dataDir: join(tmp, 'twice') }];
  for (const where of targets) {
    const panels = await Promise.all([startPanel(s, where), startPanel(s, where)]);
    for (const p of panels) {
      const alice = await signedIn(p.url);
      assert.equal((await alice.send('GET', '/api/services')).status, 200);
    }
    for (const p of panels) p.child.kill('SIGTERM');
    await Promise.all(panels.map((p) => p.exited));
    const store = await openStore(where);
    assert.equal((await store.engine.all('SELECT version FROM schema_migrations')).length, MIGRATIONS.length);
    await store.close();
  }
});
