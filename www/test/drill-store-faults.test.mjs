// Drills for a SQLite store in trouble: the file locked by another program
// (a child process holding a write transaction or an exclusive lock), and a
// full database. Each write is refused with STORE_UNAVAILABLE, nothing is
// half-written, reads and the server go on answering, and writes work again
// once the trouble is gone.
//
// The full disk is simulated with SQLite's `PRAGMA max_page_count` on the
// store's own connection, not with a small tmpfs: mounting one needs root
// and mount rights that a CI container may not have, and a WAL file that
// has already grown takes new writes without asking the filesystem for
// space, so ENOSPC would come at a moment the test cannot choose. What the
// store sees is the same SQLITE_FULL either way.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, DB_FILE } from '../store/index.mjs';
import { startStack, DEMO_CONFIG, TOKEN_ID } from './server-harness.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator } from '../simulator/index.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../server/main.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'pve-drill-faults-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Another program on the same file: it opens it, takes the lock when told
// ("lock" on stdin), says so, and lets go when its stdin closes.
// `exclusive` also keeps readers out (locking_mode).
const HOLDER = `
const Database = require('better-sqlite3');
const [file, mode] = process.argv.slice(1);
const db = new Database(file, { timeout: 0 });
if (mode === 'exclusive') db.pragma('locking_mode = EXCLUSIVE');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (!d.includes('lock') || db.inTransaction) return;
  db.exec('BEGIN EXCLUSIVE');
  db.exec('CREATE TABLE IF NOT EXISTS other_program (x)');
  process.stdout.write('locked\\n');
});
process.stdin.on('end', () => { if (db.inTransaction) db.exec('ROLLBACK'); db.close(); process.exit(0); });
process.stdout.write('ready\\n');
`;

/**
 * Another program with the file open, ready to lock it.
 * @param {string} file @param {'transaction' | 'exclusive'} mode
 * @returns {Promise<{lock(): Promise<void>, release(): Promise<void>}>}
 */
async function lockHolder(file, mode) {
  const child = spawn(process.execPath, ['-e', HOLDER, file, mode], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let out = '';
  /** @param {string} word */
  const said = (word) => new Promise((resolve, reject) => {
    const check = () => { if (out.includes(word)) resolve(undefined); };
    child.stdout.on('data', (d) => { out += d; check(); });
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code}) before saying ${word}`)));
    check();
  });
  await said('ready');
  return {
    async lock() {
      child.stdin.write('lock\n');
      await said('locked');
    },
    async release() {
      child.stdin.end();
      await exited;
    },
  };
}

/**
 * @param {string} file @param {'transaction' | 'exclusive'} mode
 * @returns {Promise<{release(): Promise<void>}>}
 */
async function holdLock(file, mode) {
  const holder = await lockHolder(file, mode);
  await holder.lock();
  return holder;
}

/** @param {unknown} err @param {RegExp} reason */
function storeUnavailable(err, reason) {
  const e = /** @type {{code?: string, message?: string}} */ (err);
  assert.equal(e.code, 'STORE_UNAVAILABLE', String(e.message));
  assert.match(String(e.message), reason);
  return true;
}

const T0 = 1_800_000_000_000;
const taskRow = (/** @type {string} */ id) => ({
  id, customer: 'alice', serviceId: 'svc-101', vmKey: 'qemu/101', vmid: 101, node: 'pve1',
  kind: /** @type {const} */ ('create'), name: 'snap1', upid: `UPID:pve1:${id}`, startedAt: T0,
});
const accepted = /** @type {const} */ ({ actorKind: 'customer', actorId: 'alice', serviceId: 'svc-101', vmid: 101, action: 'create', outcome: 'accepted' });

test('a write transaction held by another program: writes refused after the busy timeout, reads go on, nothing half-written', async () => {
  const dataDir = join(tmp, 'held');
  const store = await openStore({ dataDir });
  try {
    await store.acquireLease('qemu/101', { owner: 'i1', now: T0, ttlMs: 30_000 });
    await store.audit(accepted, T0);
    const lock = await holdLock(join(dataDir, DB_FILE), 'transaction');
    try {
      await assert.rejects(store.addTask(taskRow('t-held'), { owner: 'i1', now: T0, audit: accepted }), (e) => storeUnavailable(e, /SQLite store .*database is locked/));
      await assert.rejects(store.audit(accepted, T0), (e) => storeUnavailable(e, /database is locked/));
      // WAL: readers are not blocked by a writer.
      assert.equal((await store.auditLog()).length, 1);
      assert.equal(await store.task('t-held'), null, 'no task row without its lease update and audit entry');
      assert.equal((await store.lease('qemu/101'))?.taskId, null);
    } finally {
      await lock.release();
    }
    await store.addTask(taskRow('t-after'), { owner: 'i1', now: T0, audit: accepted });
    assert.equal((await store.task('t-after'))?.state, 'running');
    assert.equal((await store.auditLog()).length, 2);
  } finally {
    await store.close();
  }
});

test('a file locked exclusively by another program at start: one clear line, exit 1, no stack', async (t) => {
  const dataDir = join(tmp, 'exclusive');
  await (await openStore({ dataDir })).close();
  const lock = await holdLock(join(dataDir, DB_FILE), 'exclusive');
  t.after(() => lock.release());
  const secret = 'x'.repeat(32);
  const sim = await startSimulator({ port: 0, seed: 'demo', tokens: [{ id: TOKEN_ID, secret }] });
  t.after(() => sim.close());
  /** @type {Record<string, string | undefined>} */
  const env = { ...process.env, PVE_URL: sim.url, PVE_TOKEN_ID: TOKEN_ID, PVE_TOKEN_SECRET: secret, DATABASE_URL: undefined };
  const child = spawn(process.execPath, [MAIN, '--config', DEMO_CONFIG, '--port', '0', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  assert.equal(signal, null, 'exited by itself within 15 s');
  assert.equal(code, 1, stderr);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^pve-snapshots panel: STORE_UNAVAILABLE: cannot open the SQLite store .*pve-snapshots\.db: database is locked/);
});

/**
 * Grows the store to its page limit: every table the flows below write gets
 * rows until SQLite answers SQLITE_FULL.
 * @param {import('../store/index.mjs').Store} store
 */
async function fill(store) {
  const { engine } = store;
  const pages = Number((await engine.get('PRAGMA page_count'))?.page_count);
  await engine.all(`PRAGMA max_page_count = ${pages + 8}`);
  // Large rows take the free pages, then small ones the room left in each page.
  for (const size of [3000, 200, 1]) {
    const pad = 'x'.repeat(size);
    /** @type {Array<(i: number) => Promise<unknown>>} */
    const writers = [
      (i) => engine.run('INSERT INTO sessions (id_hash, username, created_at, seen_at) VALUES (?, ?, ?, ?)', [`fill-${size}-${i}-${pad}`, 'nobody', 0, 0]),
      (i) => engine.run('INSERT INTO audit_log (at, actor_kind, actor_id, action, outcome, message) VALUES (?, ?, ?, ?, ?, ?)', [i, 'job', 'fill', 'remove', 'ok', pad]),
      (i) => engine.run('INSERT INTO rate_hits (key, at) VALUES (?, ?)', [`fill-${pad}`, i]),
    ];
    for (const write of writers) {
      for (let i = 0; ; i++) {
        try {
          await write(i);
        } catch (err) {
          storeUnavailable(err, /full/);
          break;
        }
        if (i > 100_000) throw new Error('the page limit did not stop the writes');
      }
    }
  }
  return {
    /** Lifts the limit again, as freeing the disk would. */
    free: () => engine.all('PRAGMA max_page_count = 1073741823'),
  };
}

test('a full database: a multi-row change fails whole, with STORE_UNAVAILABLE', async () => {
  const store = await openStore({ dataDir: join(tmp, 'full-store') });
  try {
    await store.acquireLease('qemu/101', { owner: 'i1', now: T0, ttlMs: 30_000 });
    const disk = await fill(store);
    const before = (await store.auditLog()).length;
    // The task row fits; the audit entry with a long message does not: neither stays.
    const audit = { ...accepted, message: 'y'.repeat(20_000) };
    await assert.rejects(store.addTask(taskRow('t-full'), { owner: 'i1', now: T0, audit }), (e) => storeUnavailable(e, /database or disk is full/));
    assert.equal(await store.task('t-full'), null);
    assert.equal((await store.lease('qemu/101'))?.taskId, null);
    assert.equal((await store.auditLog()).length, before);
    await disk.free();
    await store.addTask(taskRow('t-full'), { owner: 'i1', now: T0, audit });
    assert.equal((await store.task('t-full'))?.state, 'running');
  } finally {
    await store.close();
  }
});

test('a full database under the running server: sign-in refused with STORE_UNAVAILABLE, the server keeps answering, then recovers', async (t) => {
  const store = await openStore({ dataDir: join(tmp, 'full-server') });
  const stack = await startStack({ serverOptions: { store } });
  t.after(async () => { await stack.close(); await store.close(); });
  const alice = await stack.browser('alice');
  assert.equal((await alice.send('GET', '/api/services')).status, 200);
  const disk = await fill(store);

  const bob = await stack.browser();
  const refused = await bob.login('bob', 'bob-demo');
  assert.equal(refused.status, 503, refused.text);
  assert.equal(refused.json.error.code, 'STORE_UNAVAILABLE');
  assert.equal((await store.engine.all("SELECT id_hash FROM sessions WHERE username = 'bob'")).length, 0, 'no session was half-made');
  // The signed-in customer still reads.
  const list = await alice.send('GET', '/api/services');
  assert.equal(list.status, 200, list.text);
  const page = await alice.send('GET', '/api/services/svc-101/snapshots');
  assert.equal(page.status, 200, page.text);

  await disk.free();
  const again = await bob.login('bob', 'bob-demo');
  assert.equal(again.status, 200, again.text);
});

test('the store lost right after Proxmox accepted an action: 503 STORE_UNAVAILABLE saying it was sent, then recorded and followed once the store is back', async (t) => {
  const dataDir = join(tmp, 'late');
  const store = await openStore({ dataDir });
  const stack = await startStack({ serverOptions: { store } });
  t.after(async () => { await stack.close(); await store.close(); });
  const alice = await stack.browser('alice');
  assert.equal((await alice.send('GET', '/api/services/svc-101/snapshots')).status, 200);
  const holder = await lockHolder(join(dataDir, DB_FILE), 'transaction');
  t.after(() => holder.release());

  // Slow answers give the test time to lock the file while Proxmox takes the create.
  stack.sim.faults.set({ latencyMs: 2500 });
  const creating = alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 'while the store goes away' } });
  const isCreate = (/** @type {{method: string, path: string}} */ r) => r.method === 'POST' && /\/qemu\/101\/snapshot$/.test(r.path);
  while (!stack.sim.requests.some(isCreate)) await sleep(10);
  await holder.lock();
  const r = await creating;
  stack.sim.faults.clear();
  assert.equal(r.status, 503, r.text);
  assert.equal(r.json.error.code, 'STORE_UNAVAILABLE');
  assert.equal(r.json.error.details?.sent, true);
  assert.match(r.json.error.message, /accepted the action.*records it and follows it/);
  assert.equal(stack.sim.requests.filter(isCreate).length, 1);
  await holder.release();

  // Once the store answers, the heartbeat records the task and follows it to its end.
  /** @type {string[]} */
  let outcomes = [];
  for (let i = 0; i < 300 && !outcomes.includes('ok'); i++) {
    outcomes = (await store.auditLog({ serviceId: 'svc-101' })).filter((e) => e.action === 'create').map((e) => e.outcome);
    await sleep(100);
  }
  assert.deepEqual(outcomes, ['accepted', 'ok']);
  const made = stack.sim.vm(101).snapshots.filter((/** @type {{description?: string}} */ s) => s.description === 'while the store goes away');
  assert.equal(made.length, 1);
  // The lease went with the task: the next action on the VM goes through.
  const next = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(next.status, 202, next.text);
  assert.equal((await alice.waitTask('svc-101', next.json.task.id)).json.task.state, 'ok');
});
