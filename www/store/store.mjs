// The store's functions: everything the server and the job keep between
// requests, runs and restarts. One SQL text serves both engines (`?`
// placeholders, INSERT … ON CONFLICT, RETURNING); every change that touches
// more than one row or reads before it writes is one transaction.

/**
 * @typedef {import('./engine.mjs').Engine} Engine
 * @typedef {'create'|'rollback'|'remove'} TaskKind
 * @typedef {'running'|'ok'|'failed'} TaskState
 * @typedef {{id: string, customer: string, serviceId: string, vmKey: string, vmid: number, node: string,
 *   kind: TaskKind, name: string, upid: string, state: TaskState, message: string|null, warnings: unknown,
 *   follower: string|null, startedAt: number, endedAt: number|null, actorKind: 'customer'|'operator', actorId: string}} TaskRow
 *   `customer` owns the service; `actorKind`/`actorId` started the task (the customer, or an operator on their behalf)
 * @typedef {{actorKind: 'customer'|'host'|'job'|'operator', actorId: string, customer?: string|null, serviceId?: string|null,
 *   vmid?: number|null, node?: string|null, action: string, snapshot?: string|null, outcome: string,
 *   code?: string|null, message?: string|null, taskId?: string|null, description?: string|null}} AuditEntry
 *   `description`: the snapshot description the customer gave (customer-written text; null when unknown)
 * @typedef {AuditEntry & {id: number, at: number}} AuditRow
 * @typedef {{type: string, customer?: string|null, service?: string|null, vmid?: number|null, node?: string|null, name?: string|null,
 *   code?: string|null, message?: string|null, upid?: string|null}} JobEvent  one entry of a run (see cron/README.md)
 * @typedef {{id: string, startedAt: number, endedAt: number|null, host: string, pid: number,
 *   scope: {service: string|null, node: string|null}, exitCode: number|null, summary: unknown,
 *   events: Array<JobEvent & {at: number}>}} JobRun
 */

import { noticeProblems } from './notice-store.mjs';

// The PostgreSQL advisory lock number of the expiry job (see postgres-engine.mjs).
const JOB_LOCK = 2;

/** @param {any} r @returns {TaskRow} */
function taskRow(r) {
  let warnings = [];
  try { warnings = JSON.parse(r.warnings); } catch { /* stored by us; never fails */ }
  return {
    id: r.id, customer: r.customer, serviceId: r.service_id, vmKey: r.vm_key, vmid: Number(r.vmid), node: r.node,
    kind: r.kind, name: r.name, upid: r.upid, state: r.state, message: r.message ?? null, warnings,
    follower: r.follower ?? null, startedAt: Number(r.started_at), endedAt: r.ended_at === null ? null : Number(r.ended_at),
    actorKind: r.actor_kind === 'operator' ? 'operator' : 'customer', actorId: r.actor_id ?? r.customer,
  };
}

/** @param {any} r @returns {AuditRow} */
function auditRow(r) {
  return {
    id: Number(r.id), at: Number(r.at), actorKind: r.actor_kind, actorId: r.actor_id, customer: r.customer ?? null, serviceId: r.service_id,
    vmid: r.vmid === null ? null : Number(r.vmid), node: r.node, action: r.action, snapshot: r.snapshot,
    outcome: r.outcome, code: r.code, message: r.message, taskId: r.task_id, description: r.description ?? null,
  };
}

const AUDIT_INSERT = `INSERT INTO audit_log (at, actor_kind, actor_id, customer, service_id, vmid, node, action, snapshot, outcome, code, message, task_id, description)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
/** @param {number} at @param {AuditEntry} e */
const auditParams = (at, e) => [at, e.actorKind, e.actorId, e.customer ?? (e.actorKind === 'customer' ? e.actorId : null), e.serviceId ?? null, e.vmid ?? null, e.node ?? null, e.action,
  e.snapshot ?? null, e.outcome, e.code ?? null, e.message ?? null, e.taskId ?? null, e.description ?? null];

/**
 * @param {Engine} engine
 */
export function createStore(engine) {
  return {
    /** 'sqlite' or 'postgres' */
    kind: engine.kind,
    /** Names the store in messages (never the password). */
    label: engine.label,
    ping: () => engine.ping(),
    close: () => engine.close(),
    /** @internal the engine, for the job's lock and the tests */
    engine,

    // ---- sessions: only a hash of the session id is kept -------------------

    /** @param {{idHash: string, username: string, now: number}} s */
    async createSession({ idHash, username, now }) {
      await engine.run('INSERT INTO sessions (id_hash, username, created_at, seen_at) VALUES (?, ?, ?, ?)', [idHash, username, now, now]);
    },
    /**
     * The live session with this id hash, or null (an expired one is removed).
     * `seen_at` is written at most every `touchMs`, so a page polling does not
     * make every read a write.
     * @param {string} idHash
     * @param {{now: number, idleMs: number, absoluteMs: number, touchMs?: number}} o
     * @returns {Promise<{username: string, createdAt: number} | null>}
     */
    async findSession(idHash, { now, idleMs, absoluteMs, touchMs = 5000 }) {
      const r = await engine.get('SELECT username, created_at, seen_at FROM sessions WHERE id_hash = ?', [idHash]);
      if (!r) return null;
      const createdAt = Number(r.created_at);
      const seenAt = Number(r.seen_at);
      if (now - seenAt > idleMs || now - createdAt > absoluteMs) {
        await engine.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
        return null;
      }
      if (now - seenAt >= touchMs) await engine.run('UPDATE sessions SET seen_at = ? WHERE id_hash = ? AND seen_at < ?', [now, idHash, now]);
      return { username: r.username, createdAt };
    },
    /** @param {string} idHash */
    async deleteSession(idHash) {
      await engine.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
    },
    /** @param {{now: number, idleMs: number, absoluteMs: number}} o */
    async pruneSessions({ now, idleMs, absoluteMs }) {
      return (await engine.run('DELETE FROM sessions WHERE seen_at < ? OR created_at < ?', [now - idleMs, now - absoluteMs])).changes;
    },

    /** Sessions neither idle nor past their absolute lifetime. @param {{now: number, idleMs: number, absoluteMs: number}} o */
    async countSessions({ now, idleMs, absoluteMs }) {
      const r = await engine.get('SELECT COUNT(*) AS n FROM sessions WHERE seen_at >= ? AND created_at >= ?', [now - idleMs, now - absoluteMs]);
      return Number(r?.n ?? 0);
    },

    // ---- rate limits: one row per counted attempt --------------------------

    /**
     * Seconds until `key` may try again (0: it may now), counting hits in the window.
     * @param {string} key
     * @param {{now: number, windowMs: number, limit: number}} o
     */
    async rateRetryAfter(key, { now, windowMs, limit }) {
      const rows = await engine.all('SELECT at FROM rate_hits WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?', [key, now - windowMs, limit]);
      if (rows.length < limit) return 0;
      return Math.max(1, Math.ceil((Number(rows[limit - 1].at) + windowMs - now) / 1000));
    },
    /** @param {string} key @param {number} now */
    async rateHit(key, now) {
      await engine.run('INSERT INTO rate_hits (key, at) VALUES (?, ?)', [key, now]);
    },
    /**
     * Counts one attempt unless the limit is reached, in one transaction (so
     * instances sharing the database count together): 0 when counted, else
     * the seconds to wait.
     * @param {string} key
     * @param {{now: number, windowMs: number, limit: number}} o
     */
    async rateTake(key, { now, windowMs, limit }) {
      return engine.tx(async (q) => {
        await engine.lockKey(q, `rate\n${key}`);
        const rows = await q.all('SELECT at FROM rate_hits WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?', [key, now - windowMs, limit]);
        if (rows.length >= limit) return Math.max(1, Math.ceil((Number(rows[limit - 1].at) + windowMs - now) / 1000));
        await q.run('INSERT INTO rate_hits (key, at) VALUES (?, ?)', [key, now]);
        return 0;
      });
    },
    /** @param {string} key */
    async rateReset(key) {
      await engine.run('DELETE FROM rate_hits WHERE key = ?', [key]);
    },
    /** @param {number} before */
    async pruneRateHits(before) {
      return (await engine.run('DELETE FROM rate_hits WHERE at < ?', [before])).changes;
    },

    // ---- per-VM action leases -----------------------------------------------

    /**
     * Takes the VM's lease for `owner`: free, or held by an owner that has not
     * renewed it for `ttlMs`. `takenOverFrom` names that owner.
     * @param {string} vmKey
     * @param {{owner: string, now: number, ttlMs: number}} o
     * @returns {Promise<{acquired: boolean, takenOverFrom: string | null}>}
     */
    async acquireLease(vmKey, { owner, now, ttlMs }) {
      const r = await engine.run(`INSERT INTO leases (vm_key, owner, prev_owner, task_id, acquired_at, renewed_at) VALUES (?, ?, NULL, NULL, ?, ?)
        ON CONFLICT (vm_key) DO UPDATE SET owner = excluded.owner, prev_owner = leases.owner, task_id = NULL,
          acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at
        WHERE leases.renewed_at <= ?
        RETURNING prev_owner`, [vmKey, owner, now, now, now - ttlMs]);
      if (!r.rows.length) return { acquired: false, takenOverFrom: null };
      return { acquired: true, takenOverFrom: r.rows[0].prev_owner ?? null };
    },
    /**
     * Renews the lease if `owner` still holds it; false when it was lost.
     * @param {string} vmKey @param {{owner: string, now: number}} o
     */
    async confirmLease(vmKey, { owner, now }) {
      return (await engine.run('UPDATE leases SET renewed_at = ? WHERE vm_key = ? AND owner = ?', [now, vmKey, owner])).changes > 0;
    },
    /** @param {string} vmKey @param {string} owner */
    async releaseLease(vmKey, owner) {
      await engine.run('DELETE FROM leases WHERE vm_key = ? AND owner = ? AND task_id IS NULL', [vmKey, owner]);
    },
    /**
     * Releases a lease whatever its task (the task could not be followed).
     * @param {string} vmKey @param {string} owner
     */
    async dropLease(vmKey, owner) {
      await engine.run('DELETE FROM leases WHERE vm_key = ? AND owner = ?', [vmKey, owner]);
    },
    /** @param {string} vmKey */
    async lease(vmKey) {
      const r = await engine.get('SELECT owner, task_id, renewed_at FROM leases WHERE vm_key = ?', [vmKey]);
      return r ? { owner: String(r.owner), taskId: r.task_id ?? null, renewedAt: Number(r.renewed_at) } : null;
    },
    /**
     * The owner's heartbeat: its leases and the tasks it follows.
     * @param {string} owner @param {number} now
     */
    async renew(owner, now) {
      await engine.run('UPDATE leases SET renewed_at = ? WHERE owner = ?', [now, owner]);
      await engine.run("UPDATE tasks SET follow_beat = ? WHERE follower = ? AND state = 'running'", [now, owner]);
    },

    // ---- the task registry ---------------------------------------------------

    /**
     * Records a task Proxmox accepted, ties it to the VM's lease and audits
     * the accepted action, in one transaction.
     * @param {Omit<TaskRow, 'state'|'message'|'warnings'|'endedAt'|'follower'|'actorKind'|'actorId'>
     *   & {actorKind?: TaskRow['actorKind'], actorId?: string}} t  no actor: the customer started it
     * @param {{owner: string, now: number, audit: AuditEntry}} o
     */
    async addTask(t, { owner, now, audit }) {
      await engine.tx(async (q) => {
        await q.run(`INSERT INTO tasks (id, customer, service_id, vm_key, vmid, node, kind, name, upid, state, message, warnings, follower, follow_beat, started_at, ended_at,
            actor_kind, actor_id)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', NULL, '[]', ?, ?, ?, NULL, ?, ?)`,
        [t.id, t.customer, t.serviceId, t.vmKey, t.vmid, t.node, t.kind, t.name, t.upid, owner, now, t.startedAt, t.actorKind ?? 'customer', t.actorId ?? null]);
        await q.run('UPDATE leases SET task_id = ?, renewed_at = ? WHERE vm_key = ? AND owner = ?', [t.id, now, t.vmKey, owner]);
        await q.run(AUDIT_INSERT, auditParams(now, { ...audit, taskId: t.id }));
      });
    },
    /** @param {string} id */
    async task(id) {
      const r = await engine.get('SELECT * FROM tasks WHERE id = ?', [id]);
      return r ? taskRow(r) : null;
    },
    /**
     * The task holding this VM's lease, if any.
     * @param {string} vmKey
     */
    async activeTask(vmKey) {
      const r = await engine.get("SELECT t.* FROM leases l JOIN tasks t ON t.id = l.task_id WHERE l.vm_key = ? AND t.state = 'running'", [vmKey]);
      return r ? taskRow(r) : null;
    },
    /**
     * Records a task's end once: only the first caller (of any instance)
     * changes the row, releases the VM's lease and writes the audit entry.
     * @param {string} id
     * @param {{state: 'ok'|'failed', message?: string|null, warnings?: unknown}} outcome
     * @param {{now: number, audit: AuditEntry}} o
     * @returns {Promise<boolean>} whether this call ended it
     */
    async finishTask(id, outcome, { now, audit }) {
      return engine.tx(async (q) => {
        const r = await q.run("UPDATE tasks SET state = ?, message = ?, warnings = ?, ended_at = ?, follower = NULL WHERE id = ? AND state = 'running' RETURNING vm_key",
          [outcome.state, outcome.message ?? null, JSON.stringify(outcome.warnings ?? []), now, id]);
        if (!r.rows.length) return false;
        await q.run('DELETE FROM leases WHERE vm_key = ? AND task_id = ?', [r.rows[0].vm_key, id]);
        await q.run(AUDIT_INSERT, auditParams(now, { ...audit, taskId: id }));
        return true;
      });
    },
    /**
     * Running tasks nobody follows (handed over at shutdown, or their
     * follower stopped renewing), now followed by `owner`.
     * @param {{owner: string, now: number, ttlMs: number}} o
     * @returns {Promise<TaskRow[]>}
     */
    async adoptTasks({ owner, now, ttlMs }) {
      const r = await engine.run(`UPDATE tasks SET follower = ?, follow_beat = ?
        WHERE state = 'running' AND (follower IS NULL OR (follower <> '' AND follower <> ? AND follow_beat <= ?))
        RETURNING *`, [owner, now, owner, now - ttlMs]);
      return r.rows.map(taskRow);
    },
    /**
     * Running tasks `owner` is recorded as following.
     * @param {string} owner
     * @returns {Promise<TaskRow[]>}
     */
    async followedBy(owner) {
      return (await engine.all("SELECT * FROM tasks WHERE follower = ? AND state = 'running'", [owner])).map(taskRow);
    },
    /**
     * Stops following: '' (given up after the wait timed out; the task
     * endpoint still asks Proxmox) or null (handed over to whoever starts next).
     * @param {string} id @param {string} owner @param {'' | null} to
     */
    async unfollowTask(id, owner, to) {
      await engine.run("UPDATE tasks SET follower = ? WHERE id = ? AND follower = ? AND state = 'running'", [to, id, owner]);
    },
    /** @param {number} before */
    async pruneTasks(before) {
      return (await engine.run("DELETE FROM tasks WHERE state <> 'running' AND ended_at < ?", [before])).changes;
    },

    // ---- the audit log (append-only) ----------------------------------------

    /** @param {AuditEntry} entry @param {number} now */
    async audit(entry, now) {
      await engine.run(AUDIT_INSERT, auditParams(now, entry));
    },
    /**
     * Oldest first.
     * @param {{serviceId?: string, actorId?: string, customer?: string, since?: number, limit?: number}} [filter]
     * @returns {Promise<AuditRow[]>}
     */
    async auditLog({ serviceId, actorId, customer, since, limit = 10_000 } = {}) {
      /** @type {string[]} */
      const where = [];
      /** @type {unknown[]} */
      const params = [];
      if (serviceId !== undefined) { where.push('service_id = ?'); params.push(serviceId); }
      if (actorId !== undefined) { where.push('actor_id = ?'); params.push(actorId); }
      if (customer !== undefined) { where.push('customer = ?'); params.push(customer); }
      if (since !== undefined) { where.push('at >= ?'); params.push(since); }
      params.push(limit);
      const rows = await engine.all(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`, params);
      return rows.map(auditRow);
    },
    /**
     * What the customer's history of a service is made of, newest first:
     * their own actions (every outcome), operators' actions other than
     * refusals, and the expiry job's removals (its put-offs and retries are
     * the operator's business). Only entries about `customer`, so a service
     * that changed hands shows the new owner nothing of the old one's.
     * @param {string} serviceId @param {string} customer @param {{limit: number}} o
     * @returns {Promise<AuditRow[]>}
     */
    async serviceHistory(serviceId, customer, { limit }) {
      const rows = await engine.all(`SELECT * FROM audit_log WHERE service_id = ? AND customer = ?
        AND action IN ('create', 'rollback', 'remove', 'expire')
        AND (actor_kind = 'customer' OR (actor_kind = 'operator' AND outcome <> 'refused') OR (actor_kind = 'job' AND outcome = 'ok'))
        ORDER BY id DESC LIMIT ?`, [serviceId, customer, limit]);
      return rows.map(auditRow);
    },
    /**
     * Removes audit entries older than `before` (the retention the job applies).
     * @param {number} before
     */
    async pruneAudit(before) {
      return (await engine.run('DELETE FROM audit_log WHERE at < ?', [before])).changes;
    },

    // ---- expiry job runs ------------------------------------------------------

    /**
     * The job's overlap guard in the database (PostgreSQL: a session advisory
     * lock, held until `release()`); null when another run holds it, or when
     * the engine has none (SQLite: the job's lock file guards it).
     */
    async jobLock() {
      if (!engine.tryLock) return { held: false, lock: null };
      const lock = await engine.tryLock(JOB_LOCK);
      return { held: lock === null, lock };
    },
    /** @param {{id: string, startedAt: number, host: string, pid: number, scope: {service: string|null, node: string|null}}} run */
    async startJobRun(run) {
      await engine.run('INSERT INTO job_runs (id, started_at, ended_at, host, pid, scope, exit_code, summary) VALUES (?, ?, NULL, ?, ?, ?, NULL, NULL)',
        [run.id, run.startedAt, run.host, run.pid, JSON.stringify(run.scope)]);
    },
    /**
     * One event of a run and, when it is a deletion or a refusal, its audit
     * entry, together.
     * @param {string} runId @param {JobEvent} e @param {{at: number, audit: AuditEntry | null}} o
     */
    async jobEvent(runId, e, { at, audit }) {
      await engine.tx(async (q) => {
        await q.run(`INSERT INTO job_events (run_id, at, type, customer, service_id, vmid, node, snapshot, code, message, upid)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [runId, at, e.type, e.customer ?? null, e.service ?? null, e.vmid ?? null, e.node ?? null, e.name ?? null,
          e.code ?? null, e.message ?? null, e.upid ?? null]);
        if (audit) await q.run(AUDIT_INSERT, auditParams(at, audit));
      });
    },
    /**
     * The expiry notices that did not get through: given up, or failing and
     * waiting for their next attempt (see notice-store.mjs).
     * @param {{limit?: number}} [options]
     */
    noticeProblems(options) {
      return noticeProblems(engine, options);
    },
    /**
     * Whether the run succeeded and why it stopped are kept beside the
     * summary, so the operator's list and alerts need not parse it.
     * @param {string} id @param {{endedAt: number, exitCode: number, summary: unknown}} end
     */
    async finishJobRun(id, { endedAt, exitCode, summary }) {
      const s = /** @type {{success?: unknown, error?: {code?: unknown} | null} | null} */ (summary);
      const errorCode = typeof s?.error?.code === 'string' ? s.error.code : null;
      await engine.run('UPDATE job_runs SET ended_at = ?, exit_code = ?, summary = ?, success = ?, error_code = ? WHERE id = ?',
        [endedAt, exitCode, JSON.stringify(summary), s?.success === true ? 1 : 0, errorCode, id]);
    },
    /**
     * Runs, newest last, with their events; with a service or customer
     * filter, only the runs that acted on it, with only those events.
     * @param {{since?: number, serviceId?: string, customer?: string, limit?: number}} [filter]
     * @returns {Promise<JobRun[]>}
     */
    async jobRuns({ since, serviceId, customer, limit = 1000 } = {}) {
      const runs = await engine.all(`SELECT * FROM (SELECT * FROM job_runs ${since === undefined ? '' : 'WHERE started_at >= ?'} ORDER BY started_at DESC LIMIT ?) r ORDER BY started_at`,
        since === undefined ? [limit] : [since, limit]);
      /** @type {JobRun[]} */
      const out = [];
      for (const r of runs) {
        const where = ['run_id = ?'];
        const params = [r.id];
        if (serviceId !== undefined) { where.push('service_id = ?'); params.push(serviceId); }
        if (customer !== undefined) { where.push('customer = ?'); params.push(customer); }
        const events = await engine.all(`SELECT * FROM job_events WHERE ${where.join(' AND ')} ORDER BY id`, params);
        if ((serviceId !== undefined || customer !== undefined) && !events.length) continue;
        let summary = null;
        try { summary = r.summary === null ? null : JSON.parse(r.summary); } catch { /* written by us */ }
        let scope = { service: null, node: null };
        try { scope = JSON.parse(r.scope); } catch { /* written by us */ }
        out.push({
          id: r.id, startedAt: Number(r.started_at), endedAt: r.ended_at === null ? null : Number(r.ended_at), host: r.host, pid: Number(r.pid),
          scope, exitCode: r.exit_code === null ? null : Number(r.exit_code), summary,
          events: events.map((e) => ({
            at: Number(e.at), type: e.type, customer: e.customer ?? null, service: e.service_id, vmid: e.vmid === null ? null : Number(e.vmid), node: e.node,
            name: e.snapshot, code: e.code, message: e.message, upid: e.upid,
          })),
        });
      }
      return out;
    },

    // ---- the operator's reports -------------------------------------------------

    /**
     * Audit entries matching every given filter, newest first: `at` in
     * [from, to), and after the cursor `before` (the last row of the previous
     * page) when given. Every value is a bound parameter.
     * @param {AuditQuery} q
     * @returns {Promise<AuditRow[]>}
     */
    async auditSearch({ customer, serviceId, action, outcome, actorKind, from, to, before, limit }) {
      const where = ['at >= ?', 'at < ?'];
      /** @type {unknown[]} */
      const params = [from, to];
      if (customer !== undefined) { where.push('customer = ?'); params.push(customer); }
      if (serviceId !== undefined) { where.push('service_id = ?'); params.push(serviceId); }
      if (action !== undefined) { where.push('action = ?'); params.push(action); }
      if (outcome !== undefined) { where.push('outcome = ?'); params.push(outcome); }
      if (actorKind !== undefined) { where.push('actor_kind = ?'); params.push(actorKind); }
      if (before !== undefined) { where.push('(at < ? OR (at = ? AND id < ?))'); params.push(before.at, before.at, before.id); }
      params.push(limit);
      const rows = await engine.all(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`, params);
      return rows.map(auditRow);
    },
    /**
     * Job runs, newest first, without their events but with the events
     * counted by type; after the cursor `before` (the previous page's last run).
     * @param {{before?: {startedAt: number, id: string}, limit: number}} q
     * @returns {Promise<JobRunListing[]>}
     */
    async jobRunList({ before, limit }) {
      const rows = before === undefined
        ? await engine.all(`SELECT ${RUN_COLUMNS} FROM job_runs ORDER BY started_at DESC, id DESC LIMIT ?`, [limit])
        : await engine.all(`SELECT ${RUN_COLUMNS} FROM job_runs WHERE started_at < ? OR (started_at = ? AND id < ?) ORDER BY started_at DESC, id DESC LIMIT ?`,
          [before.startedAt, before.startedAt, before.id, limit]);
      if (!rows.length) return [];
      /** @type {Map<string, Record<string, number>>} */
      const counts = new Map(rows.map((r) => [String(r.id), {}]));
      const tally = await engine.all(`SELECT run_id, type, COUNT(*) AS n FROM job_events WHERE run_id IN (${rows.map(() => '?').join(', ')}) GROUP BY run_id, type`,
        rows.map((r) => r.id));
      for (const t of tally) /** @type {Record<string, number>} */ (counts.get(String(t.run_id)))[t.type] = Number(t.n);
      return rows.map((r) => runListing(r, /** @type {Record<string, number>} */ (counts.get(String(r.id)))));
    },
    /**
     * One run with its first `limit` events (oldest first), or null.
     * @param {string} id @param {{limit: number}} o
     * @returns {Promise<(JobRunListing & {events: JobRun['events'], eventsTotal: number}) | null>}
     */
    async jobRunDetail(id, { limit }) {
      const r = await engine.get(`SELECT ${RUN_COLUMNS} FROM job_runs WHERE id = ?`, [id]);
      if (!r) return null;
      const tally = await engine.all('SELECT type, COUNT(*) AS n FROM job_events WHERE run_id = ? GROUP BY type', [id]);
      /** @type {Record<string, number>} */
      const counts = {};
      for (const t of tally) counts[t.type] = Number(t.n);
      const events = await engine.all('SELECT * FROM job_events WHERE run_id = ? ORDER BY id LIMIT ?', [id, limit]);
      return {
        ...runListing(r, counts),
        eventsTotal: Object.values(counts).reduce((a, b) => a + b, 0),
        events: events.map((e) => ({
          at: Number(e.at), type: e.type, customer: e.customer ?? null, service: e.service_id, vmid: e.vmid === null ? null : Number(e.vmid), node: e.node,
          name: e.snapshot, code: e.code, message: e.message, upid: e.upid,
        })),
      };
    },
    /**
     * The newest successful run over the whole fleet (no --service or
     * --node scope), or null; and the newest finished run of that kind with
     * its clock readings (per node: Proxmox time minus the job host's).
     * @returns {Promise<{lastSuccess: {id: string, endedAt: number} | null,
     *   lastFinished: {id: string, endedAt: number, clock: {source: string, skewMs: Record<string, number>} | null} | null}>}
     */
    async jobHealth() {
      /** @param {any} r */
      const fleetWide = (r) => {
        try { const s = JSON.parse(r.scope); return s.service === null && s.node === null; } catch { return false; }
      };
      let lastSuccess = null;
      for (const r of await engine.all('SELECT id, ended_at, scope FROM job_runs WHERE success = 1 ORDER BY ended_at DESC LIMIT 200')) {
        if (fleetWide(r)) { lastSuccess = { id: String(r.id), endedAt: Number(r.ended_at) }; break; }
      }
      let lastFinished = null;
      for (const r of await engine.all('SELECT id, ended_at, scope FROM job_runs WHERE ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 200')) {
        if (!fleetWide(r)) continue;
        const full = await engine.get('SELECT summary FROM job_runs WHERE id = ?', [r.id]);
        let clock = null;
        try { clock = JSON.parse(full.summary)?.clock ?? null; } catch { /* written by us */ }
        lastFinished = { id: String(r.id), endedAt: Number(r.ended_at), clock };
        break;
      }
      return { lastSuccess, lastFinished };
    },
  };
}

/**
 * @typedef {{customer?: string, serviceId?: string, action?: string, outcome?: string, actorKind?: string,
 *   from: number, to: number, before?: {at: number, id: number}, limit: number}} AuditQuery
 * @typedef {{id: string, startedAt: number, endedAt: number|null, host: string, pid: number,
 *   scope: {service: string|null, node: string|null}, exitCode: number|null, success: boolean|null, errorCode: string|null,
 *   counts: {deleted: number, skipped: number, stuck: number, failed: number, stillRunning: number, missing: number}}} JobRunListing
 *   `success` is null while the run has not ended (or was killed before it could say)
 */

const RUN_COLUMNS = 'id, started_at, ended_at, host, pid, scope, exit_code, success, error_code';

/** @param {any} r @param {Record<string, number>} counts @returns {JobRunListing} */
function runListing(r, counts) {
  let scope = { service: null, node: null };
  try { scope = JSON.parse(r.scope); } catch { /* written by us */ }
  return {
    id: String(r.id), startedAt: Number(r.started_at), endedAt: r.ended_at === null ? null : Number(r.ended_at), host: r.host, pid: Number(r.pid),
    scope, exitCode: r.exit_code === null ? null : Number(r.exit_code),
    success: r.success === null || r.success === undefined ? null : Number(r.success) === 1, errorCode: r.error_code ?? null,
    counts: {
      deleted: counts.deleted ?? 0, skipped: counts.skipped ?? 0, stuck: counts.stuck ?? 0, failed: counts.failed ?? 0,
      stillRunning: counts['still-running'] ?? 0, missing: counts.missing ?? 0,
    },
  };
}

/** @typedef {ReturnType<typeof createStore>} Store */
