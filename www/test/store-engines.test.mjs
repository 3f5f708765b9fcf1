// The store's contract, run against both engines: SQLite in a temporary
// directory and a throwaway PostgreSQL cluster. Same calls, same answers.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, SCHEMA_VERSION, DB_FILE } from '../store/index.mjs';
import { MIGRATIONS } from '../store/migrations.mjs';
import { openSqliteEngine } from '../store/sqlite-engine.mjs';
import { openPostgresEngine } from '../store/postgres-engine.mjs';
import { maskUrl } from '../store/errors.mjs';
import { startPgCluster, freePort } from './helpers/pg-cluster.mjs';

/** @typedef {import('../store/index.mjs').Store} Store */
/** @typedef {{name: string, options(): Promise<import('../store/index.mjs').StoreOptions>}} EngineCase */

/** @type {import('./helpers/pg-cluster.mjs').PgCluster} */
let cluster;
const tmp = mkdtempSync(join(tmpdir(), 'pve-store-'));
let dirs = 0;

before(async () => { cluster = await startPgCluster(); });
after(async () => {
  await cluster?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** @type {EngineCase[]} */
const ENGINES = [
  { name: 'sqlite', options: async () => ({ dataDir: join(tmp, `d${++dirs}`) }) },
  { name: 'postgres', options: async () => ({ databaseUrl: await cluster.createDatabase() }) },
];

const T0 = 1_800_000_000_000;
const task = (/** @type {Partial<import('../store/store.mjs').TaskRow>} */ o = {}) => ({
  id: `t-${Math.random().toString(36).slice(2).padEnd(22, 'x').slice(0, 22)}`, customer: 'alice', serviceId: 'web-1',
  vmKey: 'qemu/101', vmid: 101, node: 'pve1', kind: /** @type {const} */ ('create'), name: 'snap1', upid: 'UPID:pve1:1', startedAt: T0, ...o,
});
const accepted = /** @type {const} */ ({ actorKind: 'customer', actorId: 'alice', serviceId: 'web-1', vmid: 101, action: 'create', outcome: 'accepted' });

for (const engine of ENGINES) {
  describe(`store on ${engine.name}`, () => {
    /**
     * @param {(store: Store, options: import('../store/index.mjs').StoreOptions) => Promise<void>} fn
     */
    const withStore = async (fn) => {
      const options = await engine.options();
      const store = await openStore(options);
      try { await fn(store, options); } finally { await store.close(); }
    };

    test('migrations: applied once, reopening changes nothing, a newer schema is refused', async () => {
      const options = await engine.options();
      const a = await openStore(options);
      const rows = await a.engine.all('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version));
      await a.close();
      const b = await openStore(options);
      assert.equal((await b.engine.all('SELECT version FROM schema_migrations')).length, MIGRATIONS.length);
      await b.engine.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [SCHEMA_VERSION + 1, 'from the future', 0]);
      await b.close();
      await assert.rejects(openStore(options), (err) => {
        const e = /** @type {any} */ (err);
        assert.equal(e.code, 'STORE_UNAVAILABLE');
        assert.match(e.message, new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this code's ${SCHEMA_VERSION}`));
        assert.match(e.message, engine.name === 'sqlite' ? /SQLite store/ : /PostgreSQL store/);
        return true;
      });
    });

    test('two stores opening an empty database at once migrate it once and both work', async () => {
      const options = await engine.options();
      const stores = await Promise.all([openStore(options), openStore(options), openStore(options)]);
      try {
        const rows = await stores[0].engine.all('SELECT version FROM schema_migrations');
        assert.equal(rows.length, MIGRATIONS.length);
        for (const s of stores) await s.ping();
      } finally {
        for (const s of stores) await s.close();
      }
    });

    test('an older database is migrated step by step and keeps its rows', async () => {
      const options = await engine.options();
      const old = options.databaseUrl
        ? openPostgresEngine({ url: options.databaseUrl })
        : openSqliteEngine({ file: (mkdirSync(/** @type {string} */ (options.dataDir), { recursive: true }), join(/** @type {string} */ (options.dataDir), DB_FILE)) });
      assert.deepEqual((await old.migrate(1)).applied, [1]);
      await old.run("INSERT INTO audit_log (at, actor_kind, actor_id, service_id, action, outcome) VALUES (?, 'customer', 'alice', 'web-1', 'create', 'accepted')", [T0]);
      await old.close();
      const store = await openStore(options);
      try {
        const [row] = await store.auditLog();
        assert.equal(row.actorId, 'alice');
        assert.equal(row.customer, 'alice', 'filled in by the migration');
        assert.equal(await store.engine.version(), SCHEMA_VERSION);
      } finally {
        await store.close();
      }
    });

    test('sessions: found while live, gone when idle, too old or deleted', async () => withStore(async (store) => {
      const limits = { idleMs: 1000, absoluteMs: 5000 };
      await store.createSession({ idHash: 'h1', username: 'alice', now: T0 });
      assert.deepEqual(await store.findSession('h1', { now: T0 + 900, ...limits, touchMs: 0 }), { username: 'alice', createdAt: T0 });
      // Seen at T0 + 900: still live at T0 + 1800.
      assert.ok(await store.findSession('h1', { now: T0 + 1800, ...limits }));
      assert.equal(await store.findSession('h1', { now: T0 + 3000, ...limits }), null);
      assert.equal(await store.findSession('h1', { now: T0 + 900, ...limits }), null, 'an expired session is removed');
      await store.createSession({ idHash: 'h2', username: 'bob', now: T0 });
      for (let t = T0; t < T0 + 5000; t += 800) assert.ok(await store.findSession('h2', { now: t, ...limits, touchMs: 0 }));
      assert.equal(await store.findSession('h2', { now: T0 + 5001, ...limits, touchMs: 0 }), null, 'absolute limit');
      await store.createSession({ idHash: 'h3', username: 'bob', now: T0 });
      await store.deleteSession('h3');
      assert.equal(await store.findSession('h3', { now: T0, ...limits }), null);
      await store.createSession({ idHash: 'h4', username: 'bob', now: T0 });
      assert.equal(await store.pruneSessions({ now: T0 + 2000, ...limits }), 1);
    }));

    test('rate limits: concurrent takes count exactly up to the limit, across two connections', async () => {
      const options = await engine.options();
      const a = await openStore(options);
      const b = await openStore(options);
      try {
        const o = { now: T0, windowMs: 60_000, limit: 5 };
        const waits = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).rateTake('alice', o)));
        assert.equal(waits.filter((w) => w === 0).length, 5);
        assert.ok(waits.filter((w) => w > 0).every((w) => w === 60));
        assert.equal(await a.rateRetryAfter('alice', { ...o, now: T0 + 30_000 }), 30);
        assert.equal(await a.rateRetryAfter('alice', { ...o, now: T0 + 60_000 }), 0);
        assert.equal(await a.rateRetryAfter('bob', o), 0);
        await a.rateHit('bob', T0);
        await a.rateReset('alice');
        assert.equal(await b.rateRetryAfter('alice', o), 0);
        assert.equal(await a.pruneRateHits(T0 + 1), 1);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('leases: one holder; taken over only after the ttl; a lost lease cannot be confirmed', async () => withStore(async (store) => {
      const ttlMs = 30_000;
      assert.deepEqual(await store.acquireLease('qemu/101', { owner: 'A', now: T0, ttlMs }), { acquired: true, takenOverFrom: null });
      assert.deepEqual(await store.acquireLease('qemu/101', { owner: 'B', now: T0 + 10_000, ttlMs }), { acquired: false, takenOverFrom: null });
      assert.equal((await store.acquireLease('qemu/101', { owner: 'A', now: T0 + 1, ttlMs })).acquired, false, 'one action per VM, even for its holder');
      await store.renew('A', T0 + 20_000);
      assert.equal((await store.acquireLease('qemu/101', { owner: 'B', now: T0 + 49_999, ttlMs })).acquired, false);
      assert.deepEqual(await store.acquireLease('qemu/101', { owner: 'B', now: T0 + 50_000, ttlMs }), { acquired: true, takenOverFrom: 'A' });
      assert.equal(await store.confirmLease('qemu/101', { owner: 'A', now: T0 + 50_001 }), false);
      assert.equal(await store.confirmLease('qemu/101', { owner: 'B', now: T0 + 50_001 }), true);
      await store.releaseLease('qemu/101', 'A');
      assert.equal((await store.lease('qemu/101'))?.owner, 'B');
      await store.releaseLease('qemu/101', 'B');
      assert.equal(await store.lease('qemu/101'), null);
      const all = await Promise.all(['A', 'B', 'C', 'D'].map((owner) => store.acquireLease('lxc/200', { owner, now: T0, ttlMs })));
      assert.equal(all.filter((r) => r.acquired).length, 1);
    }));

    test('tasks: recorded with the lease; the end is recorded once, releases the lease, audits once', async () => withStore(async (store) => {
      await store.acquireLease('qemu/101', { owner: 'A', now: T0, ttlMs: 30_000 });
      const t = task();
      await store.addTask(t, { owner: 'A', now: T0, audit: accepted });
      assert.equal((await store.lease('qemu/101'))?.taskId, t.id);
      assert.equal((await store.activeTask('qemu/101'))?.id, t.id);
      const saved = await store.task(t.id);
      assert.equal(saved?.state, 'running');
      assert.equal(saved?.upid, 'UPID:pve1:1');
      assert.deepEqual((await store.followedBy('A')).map((x) => x.id), [t.id]);
      const audit = { ...accepted, outcome: 'ok' };
      const ends = await Promise.all([
        store.finishTask(t.id, { state: 'ok', warnings: ['w'] }, { now: T0 + 5, audit }),
        store.finishTask(t.id, { state: 'failed', message: 'late' }, { now: T0 + 6, audit }),
      ]);
      assert.deepEqual(ends.sort(), [false, true]);
      const done = await store.task(t.id);
      assert.equal(done?.state, 'ok');
      assert.deepEqual(done?.warnings, ['w']);
      assert.equal(await store.lease('qemu/101'), null);
      assert.equal(await store.activeTask('qemu/101'), null);
      const log = await store.auditLog({ serviceId: 'web-1' });
      assert.deepEqual(log.map((r) => [r.outcome, r.taskId]), [['accepted', t.id], ['ok', t.id]]);
      assert.equal(await store.pruneTasks(T0 + 6), 1);
      assert.equal(await store.task(t.id), null);
    }));

    test('tasks: handed over or unrenewed ones are adopted by one instance; given-up ones are not', async () => withStore(async (store) => {
      const ttlMs = 30_000;
      const handed = task({ vmKey: 'qemu/1' });
      const stale = task({ vmKey: 'qemu/2' });
      const fresh = task({ vmKey: 'qemu/3' });
      const givenUp = task({ vmKey: 'qemu/4' });
      for (const t of [handed, stale, fresh, givenUp]) await store.addTask(t, { owner: 'A', now: T0, audit: accepted });
      await store.unfollowTask(handed.id, 'A', null);
      await store.unfollowTask(givenUp.id, 'A', '');
      await store.renew('A', T0 + 20_000);
      await store.engine.run('UPDATE tasks SET follow_beat = ? WHERE id = ?', [T0, stale.id]);
      const [b, c] = await Promise.all([
        store.adoptTasks({ owner: 'B', now: T0 + 40_000, ttlMs }),
        store.adoptTasks({ owner: 'C', now: T0 + 40_000, ttlMs }),
      ]);
      const adopted = [...b, ...c].map((t) => t.id).sort();
      assert.deepEqual(adopted, [handed.id, stale.id].sort(), 'each adopted once; the renewed and the given-up ones stay');
      assert.equal((await store.task(fresh.id))?.follower, 'A');
    }));

    test('audit log: append, filter by service, actor and time', async () => withStore(async (store) => {
      await store.audit({ actorKind: 'customer', actorId: 'alice', serviceId: 'web-1', vmid: 101, action: 'create', outcome: 'refused', code: 'QUOTA_EXCEEDED', message: 'quota' }, T0);
      await store.audit({ actorKind: 'customer', actorId: 'bob', serviceId: 'db-1', vmid: 102, action: 'remove', snapshot: 's', outcome: 'refused', code: 'NOT_MANAGED' }, T0 + 10);
      await store.audit({ actorKind: 'job', actorId: 'expire', serviceId: 'web-1', vmid: 101, action: 'remove', snapshot: 'old', outcome: 'ok' }, T0 + 20);
      assert.equal((await store.auditLog()).length, 3);
      assert.deepEqual((await store.auditLog({ serviceId: 'web-1' })).map((r) => r.actorId), ['alice', 'expire']);
      assert.deepEqual((await store.auditLog({ actorId: 'bob' })).map((r) => r.code), ['NOT_MANAGED']);
      assert.deepEqual((await store.auditLog({ since: T0 + 10 })).map((r) => r.at), [T0 + 10, T0 + 20]);
      const first = (await store.auditLog())[0];
      assert.equal(first.message, 'quota');
      assert.equal(first.vmid, 101);
      assert.equal(first.snapshot, null);
      assert.equal(first.description, null);
    }));

    test('audit log: the snapshot description a customer gave is kept as written', async () => withStore(async (store) => {
      const text = '=before "deploy"; ünïcode 😀\nsecond line\ttab';
      await store.audit({ ...accepted, snapshot: 'snap1', description: text }, T0);
      const t = task({ id: 't-described-aaaaaaaaaaaaa' });
      await store.addTask(t, { owner: 'A', now: T0 + 1, audit: { ...accepted, description: 'with the task' } });
      const log = await store.auditLog({ serviceId: 'web-1' });
      assert.deepEqual(log.map((r) => r.description), [text, 'with the task']);
      assert.equal(log[1].taskId, t.id);
    }));
  });
}

test('sqlite: the data directory is created 0700; the file sits in it', async () => {
  const dir = join(tmp, 'new', 'deeper');
  const store = await openStore({ dataDir: dir });
  await store.close();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.ok(statSync(join(dir, DB_FILE)).isFile());
});

test('sqlite: a file that is not a database is refused with a clear message', async () => {
  const dir = join(tmp, 'corrupt');
  const store = await openStore({ dataDir: dir });
  await store.close();
  for (const f of ['-wal', '-shm']) rmSync(join(dir, DB_FILE + f), { force: true });
  writeFileSync(join(dir, DB_FILE), Buffer.alloc(8192, 0x41));
  await assert.rejects(openStore({ dataDir: dir }), (err) => {
    const e = /** @type {any} */ (err);
    assert.equal(e.code, 'STORE_UNAVAILABLE');
    assert.match(e.message, /SQLite store .*pve-snapshots\.db.*not a database/);
    return true;
  });
});

test('sqlite: a data directory that cannot be created is refused', async () => {
  writeFileSync(join(tmp, 'a-file'), '');
  await assert.rejects(openStore({ dataDir: join(tmp, 'a-file', 'sub') }), /data directory .* cannot be used/);
});

test('postgres: unreachable or wrong password: refused in time, the password in no message', async () => {
  const port = await freePort();
  const url = `postgres://panel:${cluster.password}@127.0.0.1:${port}/nothing`;
  const t0 = Date.now();
  await assert.rejects(openStore({ databaseUrl: url, startTimeoutMs: 3000 }), (err) => {
    const e = /** @type {any} */ (err);
    assert.equal(e.code, 'STORE_UNAVAILABLE');
    assert.ok(!e.message.includes(cluster.password), e.message);
    assert.ok(e.message.includes(maskUrl(url)), e.message);
    assert.match(e.message, /ECONNREFUSED/);
    return true;
  });
  assert.ok(Date.now() - t0 < 15_000);
  const wrong = cluster.urlFor('postgres').replace(cluster.password, 'not-the-password');
  await assert.rejects(openStore({ databaseUrl: wrong, startTimeoutMs: 1500 }), (err) => {
    const e = /** @type {any} */ (err);
    assert.ok(!e.message.includes('not-the-password'), e.message);
    assert.match(e.message, /password authentication failed/);
    return true;
  });
});
