// Notices to the host before a managed snapshot expires and after the job
// has removed it: signed JSON POSTs, each sent once per snapshot and type.
// They go out after the run's deletes, within a time budget, so a slow or
// dead receiver never holds up a delete; what did not get through is
// retried on later runs with a backoff counted in runs, then given up.
import { createHmac, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';

/** Runs to wait after the n-th failed attempt before the next one. */
export const BACKOFF_RUNS = Object.freeze([1, 1, 2, 4, 8]);
/** A notice is given up after this many failed attempts. */
export const MAX_ATTEMPTS = BACKOFF_RUNS.length + 1;

export const TIMESTAMP_HEADER = 'x-pve-snapshots-timestamp';
export const SIGNATURE_HEADER = 'x-pve-snapshots-signature';

/**
 * @typedef {import('./notice-ledger.mjs').NoticeLedger} NoticeLedger
 * @typedef {import('./notice-ledger.mjs').NoticeRecord} NoticeRecord
 * @typedef {import('../config.mjs').NotifySettings} NotifySettings
 * @typedef {{id: string, customer: string}} ServiceRef
 * @typedef {{name: string, description: string, createdAt: number|null, expiresAt: number|null}} SnapshotRow  a row of the core's snapshotPage
 * @typedef {{id: string, type: NoticeRecord['type'], service: string, vmid: number, name: string,
 *   attempts: number, code: string, message: string, nextRun: number|null}} NoticeFailure  `nextRun` null: given up
 * @typedef {object} NoticeReport  `notices` in the run summary
 * @property {number} sent       delivered this run
 * @property {number} failed     attempted this run and not delivered (will be retried)
 * @property {number} givenUp    failed for the last time this run
 * @property {number} deferred   due but not attempted: the run's budget was used up, or the run was interrupted
 * @property {number} pending    waiting for a later attempt after this run
 * @property {NoticeFailure[]} failures
 * @property {{code: string, message: string}|null} error  the ledger could not be used: nothing was sent
 */

/**
 * The signature header's value: HMAC-SHA256 of "<timestamp>.<raw body>".
 * @param {string} secret @param {number|string} timestamp  Unix seconds @param {string} body
 */
export function signNotice(secret, timestamp, body) {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs one notice. Resolves with the HTTP status, or an error code when no
 * answer came; never rejects. Redirects are not followed (a 3xx is a failure).
 * @param {URL} url @param {string} body @param {Record<string, string>} headers
 * @param {{timeoutMs: number, ca?: string}} options
 * @returns {Promise<{status: number} | {code: string, message: string}>}
 */
function post(url, body, headers, { timeoutMs, ca }) {
  return new Promise((resolve) => {
    let settled = false;
    /** @param {{status: number} | {code: string, message: string}} result */
    const settle = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST', agent: false, ...(ca ? { ca } : {}),
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'pve-snapshots-expire' },
    }, (res) => {
      settle({ status: res.statusCode ?? 0 });
      // The answer's body says nothing we act on.
      res.destroy();
    });
    // A timer of our own bounds the whole exchange (connect, TLS, answer).
    const timer = setTimeout(() => {
      settle({ code: 'NOTIFY_TIMEOUT', message: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => settle({ code: 'NOTIFY_NETWORK', message: /** @type {NodeJS.ErrnoException} */ (err).code ?? err.message }));
    req.end(body);
  });
}

/**
 * @param {{settings: NotifySettings, openLedger: () => Promise<NoticeLedger>,
 *   emit?: (message: string) => void, now?: () => number}} options
 */
export function createNotifier({ settings, openLedger, emit = () => {}, now = Date.now }) {
  /** @type {Map<string, Omit<NoticeRecord, 'nextRun'|'state'|'attempts'|'lastAttemptAt'|'lastError'>>} */
  const queued = new Map();
  const url = new URL(settings.url);
  const windowSeconds = settings.beforeHours * 3600;

  /**
   * @param {NoticeRecord['type']} type @param {ServiceRef} service @param {number} vmid
   * @param {SnapshotRow} row @param {number} occurredAt
   */
  const queue = (type, service, vmid, row, occurredAt) => {
    // The creation time tells a snapshot from a later one of the same name.
    const key = [type, service.id, vmid, row.name, row.createdAt ?? ''].join(' ');
    if (queued.has(key)) return;
    const id = randomUUID();
    const body = JSON.stringify({
      id, type, occurredAt: new Date(occurredAt).toISOString(),
      service: { id: service.id }, customer: { id: service.customer }, vmid,
      snapshot: { name: row.name, description: row.description, expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString() },
    });
    queued.set(key, { key, id, type, service: service.id, vmid, snapshot: row.name, body, createdAt: new Date(occurredAt).toISOString() });
  };

  return {
    /**
     * A managed snapshot seen this run: queued when its lifetime ends within
     * notify.beforeHours (not when it has already ended).
     * @param {ServiceRef} service @param {number} vmid
     * @param {SnapshotRow & {expired: boolean, remainingSeconds: number|null}} row
     */
    seen(service, vmid, row) {
      if (row.expired || row.remainingSeconds === null || row.expiresAt === null) return;
      if (row.remainingSeconds <= windowSeconds) queue('snapshot.expiring', service, vmid, row, now());
    },
    /** The job removed it. @param {ServiceRef} service @param {number} vmid @param {SnapshotRow} row */
    removed(service, vmid, row) {
      queue('snapshot.removed', service, vmid, row, now());
    },

    /**
     * Records the new notices, then sends every due one until the budget is
     * spent. Never throws.
     * @param {{signal?: AbortSignal}} [options]
     * @returns {Promise<NoticeReport>}
     */
    async flush({ signal } = {}) {
      /** @type {NoticeReport} */
      const report = { sent: 0, failed: 0, givenUp: 0, deferred: 0, pending: 0, failures: [], error: null };
      let ledger;
      try {
        ledger = await openLedger();
      } catch (err) {
        const e = /** @type {{code?: string, message: string}} */ (err);
        report.error = { code: e.code ?? 'NOTIFY_LEDGER', message: e.message };
        emit(`${e.message}; no notice was sent [${report.error.code}]`);
        return report;
      }
      try {
        const ca = settings.caFile ? await readFile(settings.caFile, 'utf8') : undefined;
        const run = await ledger.beginRun();
        const known = await ledger.known([...queued.keys()]);
        /** @type {NoticeRecord[]} */
        const fresh = [...queued.values()].filter((q) => !known.has(q.key))
          .map((q) => ({ ...q, state: 'pending', attempts: 0, nextRun: run, lastAttemptAt: null, lastError: null }));
        // Recorded before the first attempt: a notice survives a crash with its id.
        if (fresh.length) await ledger.add(fresh);
        const due = await ledger.due(run);
        const deadline = now() + settings.budgetMs;
        for (const record of due) {
          const left = deadline - now();
          if (signal?.aborted || left < 100) {
            report.deferred += 1;
            continue;
          }
          const timestamp = Math.floor(now() / 1000);
          const result = await post(url, record.body, {
            [TIMESTAMP_HEADER]: String(timestamp),
            [SIGNATURE_HEADER]: signNotice(settings.secret, timestamp, record.body),
          }, { timeoutMs: Math.min(settings.timeoutMs, left), ca });
          const attempts = record.attempts + 1;
          const lastAttemptAt = new Date(now()).toISOString();
          if ('status' in result && result.status >= 200 && result.status < 300) {
            await ledger.put([{ ...record, state: 'sent', attempts, lastAttemptAt, lastError: null }]);
            report.sent += 1;
            continue;
          }
          const error = 'status' in result
            ? { code: 'NOTIFY_STATUS', message: `the receiver answered HTTP ${result.status}${result.status >= 300 && result.status < 400 ? ' (redirects are not followed)' : ''}` }
            : result;
          const givenUp = attempts >= MAX_ATTEMPTS;
          const nextRun = givenUp ? null : run + BACKOFF_RUNS[attempts - 1];
          await ledger.put([{ ...record, state: givenUp ? 'given-up' : 'pending', attempts, nextRun: nextRun ?? record.nextRun, lastAttemptAt, lastError: error }]);
          if (givenUp) report.givenUp += 1;
          else report.failed += 1;
          report.failures.push({ id: record.id, type: record.type, service: record.service, vmid: record.vmid, name: record.snapshot, attempts, ...error, nextRun });
          emit(`notice ${record.type} for ${record.service} vm ${record.vmid} ${record.snapshot} not delivered: ${error.message} [${error.code}]; `
            + (givenUp ? `given up after ${attempts} attempts` : `attempt ${attempts} of ${MAX_ATTEMPTS}, next in ${nextRun === null ? 0 : nextRun - run} run(s)`));
        }
        report.pending = (await ledger.totals()).pending;
      } catch (err) {
        const e = /** @type {{code?: string, message: string}} */ (err);
        report.error = { code: e.code ?? 'NOTIFY_LEDGER', message: e.message };
        emit(`notices stopped: ${e.message} [${report.error.code}]`);
      } finally {
        await ledger.close().catch(() => {});
      }
      return report;
    },
  };
}
