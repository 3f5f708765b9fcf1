// The store's schema, as numbered migrations. Each is applied once, in
// order, inside the migration lock; a database at a higher version than the
// last one here belongs to newer code and is refused.
// SQL is shared where both engines accept it; `sqlite` / `postgres` hold the
// text where they differ (identity columns, integer widths).

/**
 * @typedef {{version: number, name: string, sql?: string, sqlite?: string, postgres?: string}} Migration
 */

/** @type {Migration[]} */
export const MIGRATIONS = [
  {
    version: 1,
    name: 'sessions, rate limits, leases, tasks, audit log',
    sqlite: `
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        seen_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_seen ON sessions (seen_at);
      CREATE TABLE rate_hits (
        key TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX rate_hits_key_at ON rate_hits (key, at);
      CREATE TABLE leases (
        vm_key TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        prev_owner TEXT,
        task_id TEXT,
        acquired_at INTEGER NOT NULL,
        renewed_at INTEGER NOT NULL
      );
      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        customer TEXT NOT NULL,
        service_id TEXT NOT NULL,
        vm_key TEXT NOT NULL,
        vmid INTEGER NOT NULL,
        node TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        upid TEXT NOT NULL,
        state TEXT NOT NULL,
        message TEXT,
        warnings TEXT NOT NULL DEFAULT '[]',
        follower TEXT,
        follow_beat INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER
      );
      CREATE INDEX tasks_running ON tasks (state, follow_beat);
      CREATE INDEX tasks_ended ON tasks (ended_at);
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        service_id TEXT,
        vmid INTEGER,
        node TEXT,
        action TEXT NOT NULL,
        snapshot TEXT,
        outcome TEXT NOT NULL,
        code TEXT,
        message TEXT,
        task_id TEXT
      );
      CREATE INDEX audit_at ON audit_log (at);
      CREATE INDEX audit_service ON audit_log (service_id, at);
      CREATE INDEX audit_actor ON audit_log (actor_id, at);
    `,
    postgres: `
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        seen_at BIGINT NOT NULL
      );
      CREATE INDEX sessions_seen ON sessions (seen_at);
      CREATE TABLE rate_hits (
        key TEXT NOT NULL,
        at BIGINT NOT NULL
      );
      CREATE INDEX rate_hits_key_at ON rate_hits (key, at);
      CREATE TABLE leases (
        vm_key TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        prev_owner TEXT,
        task_id TEXT,
        acquired_at BIGINT NOT NULL,
        renewed_at BIGINT NOT NULL
      );
      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        customer TEXT NOT NULL,
        service_id TEXT NOT NULL,
        vm_key TEXT NOT NULL,
        vmid INTEGER NOT NULL,
        node TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        upid TEXT NOT NULL,
        state TEXT NOT NULL,
        message TEXT,
        warnings TEXT NOT NULL DEFAULT '[]',
        follower TEXT,
        follow_beat BIGINT NOT NULL,
        started_at BIGINT NOT NULL,
        ended_at BIGINT
      );
      CREATE INDEX tasks_running ON tasks (state, follow_beat);
      CREATE INDEX tasks_ended ON tasks (ended_at);
      CREATE TABLE audit_log (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        service_id TEXT,
        vmid INTEGER,
        node TEXT,
        action TEXT NOT NULL,
        snapshot TEXT,
        outcome TEXT NOT NULL,
        code TEXT,
        message TEXT,
        task_id TEXT
      );
      CREATE INDEX audit_at ON audit_log (at);
      CREATE INDEX audit_service ON audit_log (service_id, at);
      CREATE INDEX audit_actor ON audit_log (actor_id, at);
    `,
  },
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * @param {Migration} m
 * @param {'sqlite'|'postgres'} engine
 * @returns {string}
 */
export function migrationSql(m, engine) {
  const sql = m[engine] ?? m.sql;
  if (sql === undefined) throw new Error(`migration ${m.version} has no SQL for ${engine}`);
  return sql;
}
