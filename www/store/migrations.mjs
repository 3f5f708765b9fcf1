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
  {
    version: 2,
    name: 'job runs and their events; the customer on audit entries',
    sqlite: `
      CREATE TABLE job_runs (
        id TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        scope TEXT NOT NULL,
        exit_code INTEGER,
        summary TEXT
      );
      CREATE INDEX job_runs_started ON job_runs (started_at);
      CREATE TABLE job_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        customer TEXT,
        service_id TEXT,
        vmid INTEGER,
        node TEXT,
        snapshot TEXT,
        code TEXT,
        message TEXT,
        upid TEXT
      );
      CREATE INDEX job_events_run ON job_events (run_id, id);
      ALTER TABLE audit_log ADD COLUMN customer TEXT;
      UPDATE audit_log SET customer = actor_id WHERE actor_kind = 'customer';
      CREATE INDEX audit_customer ON audit_log (customer, at);
    `,
    postgres: `
      CREATE TABLE job_runs (
        id TEXT PRIMARY KEY,
        started_at BIGINT NOT NULL,
        ended_at BIGINT,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        scope TEXT NOT NULL,
        exit_code INTEGER,
        summary TEXT
      );
      CREATE INDEX job_runs_started ON job_runs (started_at);
      CREATE TABLE job_events (
        id BIGSERIAL PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
        at BIGINT NOT NULL,
        type TEXT NOT NULL,
        customer TEXT,
        service_id TEXT,
        vmid INTEGER,
        node TEXT,
        snapshot TEXT,
        code TEXT,
        message TEXT,
        upid TEXT
      );
      CREATE INDEX job_events_run ON job_events (run_id, id);
      ALTER TABLE audit_log ADD COLUMN customer TEXT;
      UPDATE audit_log SET customer = actor_id WHERE actor_kind = 'customer';
      CREATE INDEX audit_customer ON audit_log (customer, at);
    `,
  },
  {
    version: 3,
    name: 'products, customers and services the host pushes; sign-on links; host calls',
    sqlite: `
      CREATE TABLE products (
        id TEXT PRIMARY KEY,
        policy TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        name TEXT,
        email TEXT,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE services (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        vmid INTEGER NOT NULL UNIQUE,
        type TEXT NOT NULL,
        product TEXT NOT NULL,
        label TEXT,
        suspended INTEGER NOT NULL DEFAULT 0,
        suspend_reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX services_customer ON services (customer_id);
      CREATE TABLE sso_links (
        hash TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        service_id TEXT,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE host_calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        key_name TEXT,
        ip TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        action TEXT NOT NULL,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        code TEXT,
        service_id TEXT
      );
      CREATE INDEX host_calls_at ON host_calls (at);
    `,
    postgres: `
      CREATE TABLE products (
        id TEXT PRIMARY KEY,
        policy TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        name TEXT,
        email TEXT,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE services (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        vmid INTEGER NOT NULL UNIQUE,
        type TEXT NOT NULL,
        product TEXT NOT NULL,
        label TEXT,
        suspended INTEGER NOT NULL DEFAULT 0,
        suspend_reason TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX services_customer ON services (customer_id);
      CREATE TABLE sso_links (
        hash TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        service_id TEXT,
        expires_at BIGINT NOT NULL
      );
      CREATE TABLE host_calls (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        key_name TEXT,
        ip TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        action TEXT NOT NULL,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        code TEXT,
        service_id TEXT
      );
      CREATE INDEX host_calls_at ON host_calls (at);
    `,
  },
  {
    version: 4,
    name: 'the snapshot description a customer gave, on audit entries',
    sql: `
      ALTER TABLE audit_log ADD COLUMN description TEXT;
    `,
  },
  {
    version: 5,
    name: "a job run's success and error code beside its summary",
    sqlite: `
      ALTER TABLE job_runs ADD COLUMN success INTEGER;
      ALTER TABLE job_runs ADD COLUMN error_code TEXT;
      UPDATE job_runs SET success = CASE WHEN json_extract(summary, '$.success') = 1 THEN 1 ELSE 0 END,
        error_code = json_extract(summary, '$.error.code')
        WHERE summary IS NOT NULL AND json_valid(summary);
      CREATE INDEX job_runs_success ON job_runs (success, ended_at);
      CREATE INDEX job_runs_ended ON job_runs (ended_at);
    `,
    postgres: `
      ALTER TABLE job_runs ADD COLUMN success INTEGER;
      ALTER TABLE job_runs ADD COLUMN error_code TEXT;
      UPDATE job_runs SET success = CASE WHEN (summary::jsonb ->> 'success') = 'true' THEN 1 ELSE 0 END,
        error_code = summary::jsonb #>> '{error,code}'
        WHERE summary IS NOT NULL;
      CREATE INDEX job_runs_success ON job_runs (success, ended_at);
      CREATE INDEX job_runs_ended ON job_runs (ended_at);
    `,
  },
  {
    version: 6,
    name: 'who started a task: the customer, or an operator on their behalf',
    sql: `
      ALTER TABLE tasks ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'customer';
      ALTER TABLE tasks ADD COLUMN actor_id TEXT;
    `,
  },
  {
    version: 7,
    name: 'products, customers and services seeded from the config file, marked apart from the host\'s',
    sql: `
      ALTER TABLE products ADD COLUMN source TEXT NOT NULL DEFAULT 'host';
      ALTER TABLE customers ADD COLUMN source TEXT NOT NULL DEFAULT 'host';
      ALTER TABLE customers ADD COLUMN password_hash TEXT;
      ALTER TABLE services ADD COLUMN source TEXT NOT NULL DEFAULT 'host';
      CREATE INDEX services_source ON services (source, customer_id);
    `,
  },
  {
    version: 8,
    name: 'the expiry notices: one row per snapshot and type, the run counter their backoff counts in',
    sql: `
      CREATE TABLE notices (
        key TEXT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        service_id TEXT NOT NULL,
        vmid INTEGER NOT NULL,
        snapshot TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_run INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        last_attempt_at BIGINT,
        last_error_code TEXT,
        last_error_message TEXT,
        claimed_by TEXT,
        claimed_until BIGINT
      );
      CREATE INDEX notices_due ON notices (state, next_run);
      CREATE TABLE notice_runs (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        run INTEGER NOT NULL
      );
      INSERT INTO notice_runs (id, run) VALUES (1, 0);
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
