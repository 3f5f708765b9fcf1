// Waiting for a Proxmox task (UPID) to stop. Which node to poll and what the
// final status means are the core's rules (taskStatusRequest, taskOutcome);
// this file only owns the clock: polling, backoff, deadline and abort.
import { PveError } from './errors.mjs';
import { sleep } from './abortable-sleep.mjs';

/**
 * @typedef {object} WaitOptions
 * @property {number} [timeoutMs]   how long to wait in total, 120000 by default
 * @property {number} [intervalMs]  first poll interval; grows ×1.5 up to 2 s (or intervalMs if larger); 250 by default
 * @property {(progress: {elapsedMs: number, status: any}) => void} [onProgress]
 *   called after each poll that found the task still running, with Proxmox's task status data
 * @property {AbortSignal} [signal] ends the wait early; the result then says `running` with `aborted: true`
 */

/**
 * @typedef {object} TaskResult
 * @property {'ok'|'failed'|'running'} state  `running` when the wait ended first: never `failed` for a timeout
 * @property {string} upid
 * @property {number} warnings       from `WARNINGS: n` (0 otherwise)
 * @property {string|null} message   Proxmox's error text for a failed task
 * @property {string|null} lock      the lock named by "VM is locked (…)", if that is why it failed
 * @property {boolean} timedOut      true when the deadline ended the wait
 * @property {boolean} aborted       true when the signal ended the wait
 * @property {import('./errors.mjs').PveError|null} lastError  the last transient polling error, if any
 */

/** @typedef {(desc: any, options?: {timeoutMs?: number, retries?: number, signal?: AbortSignal}) => Promise<any>} Requester */

const MAX_INTERVAL_MS = 2000;

/** @type {Promise<any>|null} */
let corePromise = null;
// Loaded on first use so that plain requests work without a built pkg/.
function loadCore() {
  corePromise ??= import('../core.mjs');
  return corePromise;
}

/**
 * @param {string} message
 * @param {string} field
 */
function invalid(message, field) {
  return new PveError('INVALID_REQUEST', `waitForTask: ${message}`, { details: { field } });
}

/**
 * Polls `GET /nodes/{node}/tasks/{upid}/status` until the task stops, the
 * deadline passes or the signal aborts. Transient failures while polling
 * (network, timeout, 5xx, "no such task" for a fresh UPID) are retried until
 * the deadline; permanent ones (401, 403, a malformed UPID) are thrown.
 * @param {Requester} request the client's request function
 * @param {string} upid
 * @param {{defaultTimeoutMs: number}} client
 * @param {WaitOptions} [options]
 * @returns {Promise<TaskResult>}
 */
export async function waitForTask(request, upid, client, options = {}) {
  const { timeoutMs = 120000, intervalMs = 250, onProgress, signal } = options ?? {};
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) throw invalid('timeoutMs must be a finite number >= 0', 'timeoutMs');
  if (typeof intervalMs !== 'number' || !(intervalMs > 0) || !Number.isFinite(intervalMs)) throw invalid('intervalMs must be a positive number', 'intervalMs');
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress must be a function', 'onProgress');

  const core = await loadCore();
  const desc = core.taskStatusRequest(upid);
  const started = Date.now();
  const deadline = started + timeoutMs;
  const maxInterval = Math.max(MAX_INTERVAL_MS, intervalMs);
  let interval = intervalMs;
  /** @type {PveError|null} */
  let lastError = null;

  /** @param {{timedOut: boolean, aborted: boolean}} why */
  const stillRunning = ({ timedOut, aborted }) =>
    ({ state: /** @type {const} */ ('running'), upid, warnings: 0, message: null, lock: null, timedOut, aborted, lastError });

  for (;;) {
    if (signal?.aborted) return stillRunning({ timedOut: false, aborted: true });
    const remaining = deadline - Date.now();
    if (remaining <= 0) return stillRunning({ timedOut: true, aborted: false });
    try {
      // The loop does the retrying, so one attempt per poll, bounded by the deadline.
      const data = await request(desc, { timeoutMs: Math.max(1, Math.min(client.defaultTimeoutMs, remaining)), retries: 0, signal });
      const outcome = core.taskOutcome(data);
      if (outcome.state !== 'running') {
        return {
          state: outcome.state, upid, warnings: outcome.warnings ?? 0, message: outcome.message ?? null,
          lock: outcome.lock ?? null, timedOut: false, aborted: false, lastError: null,
        };
      }
      lastError = null;
      onProgress?.({ elapsedMs: Date.now() - started, status: data });
    } catch (error) {
      if (signal?.aborted) return stillRunning({ timedOut: false, aborted: true });
      if (!(error instanceof PveError) || !error.retryable) throw error;
      lastError = error;
    }
    const left = deadline - Date.now();
    if (left <= 0) return stillRunning({ timedOut: true, aborted: false });
    await sleep(Math.min(interval, left), signal);
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
}
