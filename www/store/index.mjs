// Opens the store the way the server and the job are told to: env
// DATABASE_URL (PostgreSQL) wins over --data-dir (SQLite file
// DIR/pve-snapshots.db). Migrations are applied on open; a database whose
// schema is newer than this code is refused.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createStore } from './store.mjs';
import { StoreError, maskUrl } from './errors.mjs';
import { SCHEMA_VERSION } from './migrations.mjs';

export { StoreError, maskUrl } from './errors.mjs';
export { SCHEMA_VERSION } from './migrations.mjs';

/** @typedef {import('./store.mjs').Store} Store */

/** Where the SQLite file lives when neither --data-dir nor DATABASE_URL is given. */
export const DEFAULT_DATA_DIR = '/var/lib/pve-snapshots';
export const DB_FILE = 'pve-snapshots.db';

/**
 * @typedef {{dataDir?: string, databaseUrl?: string, memory?: boolean, migrate?: boolean,
 *   startTimeoutMs?: number, log?: (event: string, fields: object) => void}} StoreOptions
 */

/**
 * Which store the options name, for messages.
 * @param {StoreOptions} o
 */
export function describeStore(o) {
  if (o.databaseUrl) return `the PostgreSQL store ${maskUrl(o.databaseUrl)}`;
  if (o.memory) return 'the in-memory SQLite store';
  return `the SQLite store ${join(o.dataDir ?? DEFAULT_DATA_DIR, DB_FILE)}`;
}

/**
 * The data directory, created (mode 0700) when missing.
 * @param {string} dir
 */
function ensureDataDir(dir) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new StoreError(`the data directory ${dir} cannot be used: ${/** @type {Error} */ (err).message}`, { cause: err });
  }
}

/**
 * @param {StoreOptions} options
 * @returns {Promise<Store>}
 */
export async function openStore(options) {
  const { databaseUrl, memory = false, migrate = true, startTimeoutMs = 10_000, log = () => {} } = options;
  /** @type {import('./engine.mjs').Engine} */
  let engine;
  if (databaseUrl) {
    const { openPostgresEngine } = await import('./postgres-engine.mjs');
    engine = openPostgresEngine({ url: databaseUrl, log, connectTimeoutMs: Math.min(5000, startTimeoutMs) });
    // The database may still be starting (both come up together): retry
    // until the deadline, then give up with the last reason.
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      try {
        await engine.ping();
        break;
      } catch (err) {
        if (Date.now() + 1000 > deadline) {
          await engine.close().catch(() => {});
          throw err;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } else {
    const { openSqliteEngine } = await import('./sqlite-engine.mjs');
    let file = ':memory:';
    if (!memory) {
      const dir = options.dataDir ?? DEFAULT_DATA_DIR;
      ensureDataDir(dir);
      file = join(dir, DB_FILE);
    }
    engine = openSqliteEngine({ file });
  }
  try {
    if (migrate) {
      const r = await engine.migrate();
      if (r.tooNew) throw tooNew(engine.label, r.from);
      if (r.applied.length) log('store-migrated', { store: engine.label, from: r.from, to: r.to });
    } else {
      const v = await engine.version();
      if (v > SCHEMA_VERSION) throw tooNew(engine.label, v);
      if (v < SCHEMA_VERSION) throw new StoreError(`${engine.label} is at schema version ${v}, this code needs ${SCHEMA_VERSION}: run node www/store/migrate.mjs`);
    }
  } catch (err) {
    await engine.close().catch(() => {});
    throw err;
  }
  return createStore(engine);
}

/** @param {string} label @param {number} version */
function tooNew(label, version) {
  return new StoreError(`${label} has schema version ${version}, newer than this code's ${SCHEMA_VERSION}: run a release of pve-snapshots that knows it (refusing to touch it)`);
}

/**
 * The store options from a command line's --data-dir and the environment.
 * @param {{dataDir?: string}} args
 * @param {Record<string, string | undefined>} [env]
 * @returns {StoreOptions}
 */
export function storeOptionsFrom(args, env = process.env) {
  return env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { dataDir: args.dataDir ?? DEFAULT_DATA_DIR };
}
