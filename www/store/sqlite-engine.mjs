// The embedded engine: one SQLite file in WAL mode through better-sqlite3.
// Several processes may share the file (WAL, a 5 s busy timeout, every
// change in a BEGIN IMMEDIATE transaction); in this process, statements and
// transactions run one after the other, so an `await` inside a transaction
// never lets another caller's statement into it.
import Database from 'better-sqlite3';
import { resolve } from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION, migrationSql } from './migrations.mjs';
import { StoreError, StoreRefusal } from './errors.mjs';

/**
 * @typedef {import('./engine.mjs').Engine} Engine
 * @typedef {import('./engine.mjs').Query} Query
 */

const BUSY_TIMEOUT_MS = 5000;

/**
 * @param {string} what
 * @param {unknown} err
 */
function storeError(what, err) {
  if (err instanceof StoreError || err instanceof StoreRefusal) return err;
  const e = /** @type {{code?: string, message?: string}} */ (err);
  const code = typeof e?.code === 'string' ? ` (${e.code})` : '';
  return new StoreError(`${what}: ${e?.message ?? err}${code}`, { cause: err });
}

// One connection per file in a process: a transaction runs across `await`s,
// and a second connection of the same process waiting for the file's write
// lock would block the event loop the first one needs to commit.
/** @type {Map<string, {engine: Engine, refs: number}>} */
const shared = new Map();

/**
 * Opens (creating when missing) the SQLite store file.
 * @param {{file: string}} options  `:memory:` for a private in-process store
 * @returns {Engine}
 */
export function openSqliteEngine({ file }) {
  if (file === ':memory:') return openConnection(file, () => {});
  const key = resolve(file);
  let entry = shared.get(key);
  if (!entry) {
    entry = { engine: openConnection(file, () => shared.delete(key)), refs: 0 };
    shared.set(key, entry);
  }
  entry.refs++;
  const { engine } = entry;
  const e = /** @type {{engine: Engine, refs: number}} */ (entry);
  let closed = false;
  return {
    ...engine,
    async close() {
      if (closed) return;
      closed = true;
      if (--e.refs === 0) await engine.close();
    },
  };
}

/**
 * Opens the file in WAL mode and reads its schema. Two processes starting on
 * a new file race for the switch to WAL, and SQLite answers SQLITE_BUSY there
 * at once instead of calling the busy handler (waiting could deadlock), so
 * the whole open is retried within the same busy timeout.
 * @param {string} file
 * @returns {import('better-sqlite3').Database}
 */
function openDatabase(file) {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    /** @type {import('better-sqlite3').Database | undefined} */
    let db;
    try {
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
      if (file !== ':memory:') db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Reading the schema touches the file's header and pages: a file that
      // is not a database fails here, not on the first customer's request.
      db.prepare('SELECT count(*) AS n FROM sqlite_schema').get();
      return db;
    } catch (err) {
      db?.close();
      const code = /** @type {{ code?: unknown }} */ (err).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw err;
      // Start-up only: a synchronous pause keeps the open synchronous.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25 + Math.random() * 50);
    }
  }
}

/**
 * @param {string} file
 * @param {() => void} onClose
 * @returns {Engine}
 */
function openConnection(file, onClose) {
  const what = file === ':memory:' ? 'the in-memory SQLite store' : `the SQLite store ${file}`;
  /** @type {import('better-sqlite3').Database} */
  let db;
  try {
    db = openDatabase(file);
  } catch (err) {
    throw storeError(`cannot open ${what}`, err);
  }
  /** @type {Map<string, import('better-sqlite3').Statement>} */
  const statements = new Map();
  /** @param {string} sql */
  const prepared = (sql) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  /** @type {Query} */
  const direct = {
    async all(sql, params = []) {
      return /** @type {any[]} */ (prepared(sql).all(...params));
    },
    async get(sql, params = []) {
      return /** @type {any} */ (prepared(sql).get(...params)) ?? null;
    },
    async run(sql, params = []) {
      const s = prepared(sql);
      if (s.reader) {
        const rows = /** @type {any[]} */ (s.all(...params));
        return { changes: rows.length, rows };
      }
      return { changes: s.run(...params).changes, rows: [] };
    },
  };

  let queue = Promise.resolve();
  let closed = false;
  /**
   * @template T
   * @param {() => Promise<T>} fn
   * @returns {Promise<T>}
   */
  function exclusive(fn) {
    const result = queue.then(async () => {
      if (closed) throw new StoreError(`${what} is closed`);
      try {
        return await fn();
      } catch (err) {
        throw storeError(what, err);
      }
    });
    queue = result.then(() => undefined, () => undefined);
    return result;
  }

  /**
   * @template T
   * @param {(q: Query) => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async function transaction(fn) {
    prepared('BEGIN IMMEDIATE').run();
    try {
      const out = await fn(direct);
      prepared('COMMIT').run();
      return out;
    } catch (err) {
      if (db.inTransaction) prepared('ROLLBACK').run();
      throw err;
    }
  }

  return {
    kind: 'sqlite',
    label: what,
    all: (sql, params) => exclusive(() => direct.all(sql, params)),
    get: (sql, params) => exclusive(() => direct.get(sql, params)),
    run: (sql, params) => exclusive(() => direct.run(sql, params)),
    tx: (fn) => exclusive(() => transaction(fn)),
    // BEGIN IMMEDIATE serialises every writer of the file already.
    async lockKey() {},
    returning: true,
    migrate: (target = SCHEMA_VERSION) => exclusive(() => transaction(async (q) => {
      await q.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      const row = await q.get('SELECT max(version) AS v FROM schema_migrations');
      const current = Number(row?.v ?? 0);
      if (current > target) return { from: current, to: current, applied: [], tooNew: true };
      /** @type {number[]} */
      const applied = [];
      for (const m of MIGRATIONS) {
        if (m.version <= current || m.version > target) continue;
        db.exec(migrationSql(m, 'sqlite'));
        await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        applied.push(m.version);
      }
      return { from: current, to: Math.max(current, ...applied), applied, tooNew: false };
    })),
    async version() {
      return exclusive(async () => {
        const t = await direct.get("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
        if (!t) return 0;
        return Number((await direct.get('SELECT max(version) AS v FROM schema_migrations'))?.v ?? 0);
      });
    },
    async ping() {
      await exclusive(() => direct.get('SELECT 1 AS one'));
    },
    async close() {
      await queue;
      closed = true;
      onClose();
      if (db.open) db.close();
    },
  };
}
