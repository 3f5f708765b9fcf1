// The expiry job's notice ledger (the NoticeLedger interface of
// www/cron/notice-ledger.mjs) kept in the store: one row per snapshot and
// type, and the run counter the backoff counts in. Every step is a
// transaction or a single statement, and a notice is claimed before it is
// sent (a conditional update only one caller wins), so two job hosts on one
// PostgreSQL never send the same notice twice even if their runs overlapped
// (the job lock already keeps them apart). A claim left by a run that died
// lapses after `claimMs`; the notice then goes out again with the same id,
// which is what a receiver deduplicates on.
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { LEDGER_NAME, openJsonLedger } from '../cron/notice-ledger.mjs';

/**
 * @typedef {import('../cron/notice-ledger.mjs').NoticeLedger} NoticeLedger
 * @typedef {import('../cron/notice-ledger.mjs').NoticeRecord} NoticeRecord
 * @typedef {import('./store.mjs').Store} Store
 * @typedef {{id: string, type: NoticeRecord['type'], service: string, customer: string | null, vmid: number, snapshot: string,
 *   state: 'pending' | 'given-up', attempts: number, nextRun: number | null, runsUntilRetry: number | null,
 *   createdAt: number, lastAttemptAt: number | null, lastError: {code: string, message: string} | null}} NoticeProblem
 */

// Sent and given-up records are kept this long, well past any snapshot's
// lifetime (at most 10 days) plus the notice window (at most 10 days), so a
// snapshot cannot outlive the record that says its notice went out.
const KEEP_MS = 90 * 86_400_000;
/** The notices.json of an earlier release, once moved into the store, is renamed to this. */
export const IMPORTED_SUFFIX = '.imported';
// SQLite's limit on bound parameters is far above this; PostgreSQL's too.
const CHUNK = 500;

/** @param {any} r @returns {NoticeRecord} */
function record(r) {
  return {
    key: r.key, id: r.id, type: r.type, service: r.service_id, vmid: Number(r.vmid), snapshot: r.snapshot, body: r.body,
    state: r.state, attempts: Number(r.attempts), nextRun: Number(r.next_run), createdAt: new Date(Number(r.created_at)).toISOString(),
    lastAttemptAt: r.last_attempt_at === null ? null : new Date(Number(r.last_attempt_at)).toISOString(),
    lastError: r.last_error_code === null ? null : { code: r.last_error_code, message: r.last_error_message ?? '' },
  };
}

/** @param {string | null} iso */
const ms = (iso) => (iso === null ? null : Date.parse(iso));

const INSERT = `INSERT INTO notices (key, id, type, service_id, vmid, snapshot, body, state, attempts, next_run, created_at,
  last_attempt_at, last_error_code, last_error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`;
/** @param {NoticeRecord} r */
const insertParams = (r) => [r.key, r.id, r.type, r.service, r.vmid, r.snapshot, r.body, r.state, r.attempts, r.nextRun,
  Date.parse(r.createdAt), ms(r.lastAttemptAt), r.lastError?.code ?? null, r.lastError?.message ?? null];

/**
 * Opens the ledger for one run. With `importFrom` (the job's state
 * directory) a notices.json an earlier release kept there is moved in first,
 * once: its records are added (a key already in the store wins), the run
 * counter takes the larger number, and the file is renamed
 * `notices.json.imported`. A damaged file stops the notices (NOTIFY_LEDGER)
 * rather than risk sending them all again.
 * @param {Store} store
 * @param {{owner: string, importFrom?: string | null, now?: () => number, claimMs?: number}} options
 *   owner: this run's id, written on the notices it claims
 * @returns {Promise<NoticeLedger>}
 */
export async function openStoreLedger(store, { owner, importFrom = null, now = Date.now, claimMs = 120_000 }) {
  const { engine } = store;
  if (importFrom !== null) await importJsonLedger(store, importFrom);

  return {
    async beginRun() {
      return engine.tx(async (q) => {
        await q.run("DELETE FROM notices WHERE state <> 'pending' AND COALESCE(last_attempt_at, created_at) < ?", [now() - KEEP_MS]);
        const r = await q.run('UPDATE notice_runs SET run = run + 1 WHERE id = 1 RETURNING run');
        return Number(r.rows[0].run);
      });
    },
    async known(keys) {
      /** @type {Set<string>} */
      const found = new Set();
      for (let i = 0; i < keys.length; i += CHUNK) {
        const part = keys.slice(i, i + CHUNK);
        const rows = await engine.all(`SELECT key FROM notices WHERE key IN (${part.map(() => '?').join(', ')})`, part);
        for (const r of rows) found.add(String(r.key));
      }
      return found;
    },
    async add(records) {
      await engine.tx(async (q) => {
        for (const r of records) await q.run(INSERT, insertParams(r));
      });
    },
    async due(run) {
      // One statement: of two callers, each pending notice goes to one.
      const at = now();
      const r = await engine.run(`UPDATE notices SET claimed_by = ?, claimed_until = ?
        WHERE state = 'pending' AND next_run <= ? AND (claimed_until IS NULL OR claimed_until < ?) RETURNING *`, [owner, at + claimMs, run, at]);
      return r.rows.map(record).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.key.localeCompare(b.key));
    },
    async put(records) {
      await engine.tx(async (q) => {
        for (const r of records) {
          // Only a notice this run claimed: an attempt's outcome never overwrites another run's.
          await q.run(`UPDATE notices SET state = ?, attempts = ?, next_run = ?, last_attempt_at = ?, last_error_code = ?,
            last_error_message = ?, claimed_by = NULL, claimed_until = NULL WHERE key = ? AND claimed_by = ?`,
          [r.state, r.attempts, r.nextRun, ms(r.lastAttemptAt), r.lastError?.code ?? null, r.lastError?.message ?? null, r.key, owner]);
        }
      });
    },
    async totals() {
      const rows = await engine.all('SELECT state, COUNT(*) AS n FROM notices GROUP BY state');
      const count = (/** @type {string} */ s) => Number(rows.find((r) => r.state === s)?.n ?? 0);
      return { pending: count('pending'), givenUp: count('given-up') };
    },
    async close() {
      // What this run claimed and did not attempt (budget spent, interrupted) is free for the next.
      await engine.run('UPDATE notices SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?', [owner]);
    },
  };
}

/**
 * Moves a notices.json into the store, once (see openStoreLedger).
 * @param {Store} store @param {string} dir
 */
async function importJsonLedger(store, dir) {
  const file = await openJsonLedger(dir);
  if (!file.exists) return;
  const { run, records } = file.contents();
  await store.engine.tx(async (q) => {
    for (const r of records) await q.run(INSERT, insertParams(r));
    await q.run('UPDATE notice_runs SET run = ? WHERE id = 1 AND run < ?', [run, run]);
  });
  const path = join(dir, LEDGER_NAME);
  try {
    await rename(path, `${path}${IMPORTED_SUFFIX}`);
  } catch (err) {
    // Imported already: importing it again adds nothing, so the next run just tries the rename again.
    const e = /** @type {NodeJS.ErrnoException} */ (err);
    throw Object.assign(new Error(`the notice ledger ${path} was moved into the store but cannot be renamed: ${e.code ?? e.message}`), { code: 'NOTIFY_LEDGER' });
  }
}

/**
 * Notices that did not get through: given up (after the last attempt) or
 * failing (waiting for their next attempt), most recently tried first. For
 * the operator's view.
 * @param {import('./engine.mjs').Engine} engine
 * @param {{limit?: number}} [options]
 * @returns {Promise<NoticeProblem[]>}
 */
export async function noticeProblems(engine, { limit = 200 } = {}) {
  const run = Number((await engine.get('SELECT run FROM notice_runs WHERE id = 1'))?.run ?? 0);
  const rows = await engine.all(`SELECT * FROM notices WHERE state = 'given-up' OR (state = 'pending' AND attempts > 0)
    ORDER BY last_attempt_at DESC, key LIMIT ?`, [limit]);
  return rows.map((r) => {
    let customer = null;
    try { customer = JSON.parse(r.body)?.customer?.id ?? null; } catch { /* written by the job */ }
    const givenUp = r.state === 'given-up';
    return {
      id: r.id, type: r.type, service: r.service_id, customer, vmid: Number(r.vmid), snapshot: r.snapshot,
      state: givenUp ? 'given-up' : 'pending', attempts: Number(r.attempts),
      nextRun: givenUp ? null : Number(r.next_run), runsUntilRetry: givenUp ? null : Math.max(0, Number(r.next_run) - run),
      createdAt: Number(r.created_at), lastAttemptAt: r.last_attempt_at === null ? null : Number(r.last_attempt_at),
      lastError: r.last_error_code === null ? null : { code: r.last_error_code, message: r.last_error_message ?? '' },
    };
  });
}
