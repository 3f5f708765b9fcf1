// The server engine: PostgreSQL through `pg`, for several panel instances on
// one database. Migrations run under a session advisory lock, so instances
// starting together apply them once; keyed transaction locks serialise
// read-then-write sequences (rate-limit counts) across instances.
import pg from 'pg';
import { MIGRATIONS, SCHEMA_VERSION, migrationSql } from './migrations.mjs';
import { StoreError, StoreRefusal, maskUrl, redactSecret, urlPassword } from './errors.mjs';

/**
 * @typedef {import('./engine.mjs').Engine} Engine
 * @typedef {import('./engine.mjs').Query} Query
 */

// Advisory lock keys: (LOCK_SPACE, n) for whole-store locks, (KEY_SPACE, hash) per key.
export const LOCK_SPACE = 0x7076_7300; // "pvs\0"
const KEY_SPACE = 0x7076_7301;
export const MIGRATION_LOCK = 1;
export const JOB_LOCK = 2;

// Integer columns are BIGINT (milliseconds); pg gives BIGINT as a string by default.
/** @type {Record<number, (v: string) => unknown>} */
const PARSERS = { 20: (v) => Number(v) };
const types = {
  /** @param {number} oid @param {any} [format] */
  getTypeParser: (oid, format) => PARSERS[oid] ?? pg.types.getTypeParser(oid, format),
};

/** `?` placeholders as `$1`, `$2`, …; the store's SQL has no `?` anywhere else. @param {string} sql */
function numbered(sql) {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * @param {{url: string, poolSize?: number, connectTimeoutMs?: number, log?: (event: string, fields: object) => void}} options
 * @returns {Engine}
 */
export function openPostgresEngine({ url, poolSize = 10, connectTimeoutMs = 5000, log = () => {} }) {
  const what = `the PostgreSQL store ${maskUrl(url)}`;
  const secret = urlPassword(url);
  /** @param {unknown} err */
  const storeError = (err) => {
    if (err instanceof StoreError || err instanceof StoreRefusal) return err;
    const e = /** @type {{code?: string, message?: string}} */ (err);
    const code = typeof e?.code === 'string' ? ` (${e.code})` : '';
    return new StoreError(redactSecret(`${what}: ${e?.message || String(err)}${code}`, secret), { cause: err });
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 10_000,
    query_timeout: 15_000,
    application_name: 'pve-snapshots',
    types,
  });
  // An idle connection that the server drops must not crash the process; the
  // pool opens a new one for the next query.
  pool.on('error', (err) => log('store-connection-lost', { store: maskUrl(url), error: redactSecret(String(err?.message), secret) }));

  /** @param {pg.Pool | pg.PoolClient} c @returns {Query} */
  const over = (c) => ({
    async all(sql, params = []) {
      return (await c.query(numbered(sql), params)).rows;
    },
    async get(sql, params = []) {
      return (await c.query(numbered(sql), params)).rows[0] ?? null;
    },
    async run(sql, params = []) {
      const r = await c.query(numbered(sql), params);
      return { changes: r.rowCount ?? 0, rows: r.rows };
    },
  });
  const direct = over(pool);
  /**
   * @template T
   * @param {() => Promise<T>} fn
   * @returns {Promise<T>}
   */
  const wrapped = async (fn) => {
    try {
      return await fn();
    } catch (err) {
      throw storeError(err);
    }
  };

  /**
   * @template T
   * @param {(c: pg.PoolClient) => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async function withClient(fn) {
    const client = await pool.connect();
    let broken = false;
    try {
      return await fn(client);
    } catch (err) {
      broken = true;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * @template T
   * @param {(q: Query) => Promise<T>} fn
   * @returns {Promise<T>}
   */
  const tx = (fn) => wrapped(() => withClient(async (client) => {
    await client.query('BEGIN');
    try {
      const out = await fn(over(client));
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }));

  return {
    kind: 'postgres',
    label: what,
    returning: true,
    all: (sql, params) => wrapped(() => direct.all(sql, params)),
    get: (sql, params) => wrapped(() => direct.get(sql, params)),
    run: (sql, params) => wrapped(() => direct.run(sql, params)),
    tx,
    async lockKey(q, key) {
      await q.get('SELECT pg_advisory_xact_lock(?::int, hashtext(?::text)) AS locked', [KEY_SPACE, key]);
    },
    migrate: (target = SCHEMA_VERSION) => wrapped(() => withClient(async (client) => {
      await client.query('SELECT pg_advisory_lock($1::int, $2::int)', [LOCK_SPACE, MIGRATION_LOCK]);
      try {
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
        const current = Number((await client.query('SELECT max(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
        if (current > target) return { from: current, to: current, applied: [], tooNew: true };
        /** @type {number[]} */
        const applied = [];
        for (const m of MIGRATIONS) {
          if (m.version <= current || m.version > target) continue;
          await client.query('BEGIN');
          try {
            await client.query(migrationSql(m, 'postgres'));
            await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => {});
            throw err;
          }
          applied.push(m.version);
        }
        return { from: current, to: Math.max(current, ...applied), applied, tooNew: false };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [LOCK_SPACE, MIGRATION_LOCK]).catch(() => {});
      }
    })),
    version: () => wrapped(async () => {
      const t = await direct.get("SELECT to_regclass('schema_migrations') AS t");
      if (!t?.t) return 0;
      return Number((await direct.get('SELECT max(version) AS v FROM schema_migrations'))?.v ?? 0);
    }),
    ping: () => wrapped(async () => { await direct.get('SELECT 1 AS one'); }),
    /**
     * A session-level advisory lock on its own connection, held until
     * `release()`; null when another session holds it.
     * @param {number} n
     */
    async tryLock(n) {
      return wrapped(async () => {
        const client = await pool.connect();
        try {
          const r = await client.query('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [LOCK_SPACE, n]);
          if (!r.rows[0]?.ok) {
            client.release();
            return null;
          }
        } catch (err) {
          client.release(true);
          throw err;
        }
        return {
          async release() {
            await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [LOCK_SPACE, n]).catch(() => {});
            client.release();
          },
        };
      });
    },
    async close() {
      await pool.end();
    },
  };
}
