// The run's figures as a node_exporter textfile (--metrics-file), so
// Prometheus can alert on a job that failed, left stuck deletes behind, or
// stopped running. node_exporter may read the file at any moment: it is
// written to a temporary name in the same directory and renamed into place.
import { writeFile, rename, unlink, open, lstat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { renderMetrics } from '../prometheus-text.mjs';

/** The job's own code for a metrics file it cannot write (cron/README.md). */
export const METRICS_FILE = 'METRICS_FILE';

/** Every metric name the job writes starts with this. */
export const PREFIX = 'pve_snapshots_job_';

/**
 * Why the name `path` cannot be a metrics file, or null. node_exporter's textfile
 * collector reads only `*.prom` files: any other name would be ignored in
 * silence.
 * @param {string} path
 */
export function metricsPathProblem(path) {
  if (!basename(path).endsWith('.prom') || basename(path) === '.prom') {
    return `--metrics-file ${JSON.stringify(path)}: must be a file ending in .prom (node_exporter's textfile collector reads only those)`;
  }
  return null;
}

/** @param {string} path @returns {string} a temporary name next to `path` that the collector skips */
function tempName(path) {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Proves, before the run sends anything, that the metrics file can be
 * written: checks the name, then creates and removes a temporary file beside it.
 * @param {string} path
 * @returns {Promise<void>} rejects with an Error whose `code` is METRICS_FILE
 */
export async function checkMetricsPath(path) {
  const problem = metricsPathProblem(path);
  if (problem) throw Object.assign(new Error(problem), { code: METRICS_FILE });
  // The rename at the end would fail on a directory, and replace a symlink
  // (not what it points to): both are mistakes worth hearing about now.
  const existing = await lstat(path).catch(() => null);
  if (existing && !existing.isFile()) {
    throw Object.assign(new Error(`--metrics-file ${path}: exists and is not a regular file`), { code: METRICS_FILE });
  }
  const tmp = tempName(path);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    await handle.close();
    await unlink(tmp);
  } catch (err) {
    const e = /** @type {NodeJS.ErrnoException} */ (err);
    throw Object.assign(new Error(`cannot write the metrics file ${path}: ${e.code ?? e.message} (its directory must exist and be writable)`), { code: METRICS_FILE });
  }
}

/**
 * Atomically replaces `path` with `text`.
 * @param {string} path @param {string} text
 */
export async function writeMetricsFile(path, text) {
  const tmp = tempName(path);
  try {
    // Readable by node_exporter, which runs as another user.
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    const e = /** @type {NodeJS.ErrnoException} */ (err);
    throw Object.assign(new Error(`cannot write the metrics file ${path}: ${e.code ?? e.message}`), { code: METRICS_FILE });
  }
}

/** @param {string|null|undefined} iso @returns {number|null} seconds since the epoch */
function seconds(iso) {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/**
 * The textfile for one finished run.
 * @param {import('./engine.mjs').RunSummary} summary
 * @returns {string}
 */
export function jobMetrics(summary) {
  const c = summary.counts;
  const gauge = (/** @type {string} */ name, /** @type {string} */ help, /** @type {number|null} */ value) => ({
    name: PREFIX + name, help, type: /** @type {const} */ ('gauge'), samples: value === null ? [] : [{ value }],
  });
  /** @type {[string, number][]} */
  const results = [['deleted', c.deleted], ['skipped', c.skipped], ['failed', c.failed], ['stuck', c.stuck], ['still-running', c.stillRunning]];
  return renderMetrics([
    gauge('last_run_start_timestamp_seconds', 'When the last expiry run started (Unix time).', seconds(summary.startedAt)),
    gauge('last_run_end_timestamp_seconds', 'When the last expiry run ended (Unix time).', seconds(summary.finishedAt)),
    gauge('success', '1 when the last run finished with no failed delete, else 0.', summary.success ? 1 : 0),
    gauge('last_success_timestamp_seconds', 'When the last successful run ended (Unix time); absent until one has.', seconds(summary.lastSuccessAt)),
    gauge('exit_code', 'Exit code of the last run (see the job README).', summary.exitCode),
    gauge('duration_seconds', 'How long the last run took.', summary.durationMs / 1000),
    {
      name: `${PREFIX}snapshots`,
      help: 'Expired snapshots in the last run by result; stuck = seen in snapstate delete (needs an operator), counted apart from failed and skipped.',
      type: 'gauge',
      samples: results.map(([result, value]) => ({ labels: { result }, value })),
    },
    gauge('vms', 'VMs the last run checked.', c.vms),
    gauge('vms_missing', 'Services whose VM the last run did not find in the cluster.', c.missing),
    ...noticeFamilies(summary.notices),
  ]);
}

/**
 * Notices of the last run by result, and those waiting for a retry; absent
 * when notify is not configured.
 * @param {import('./notify.mjs').NoticeReport|null} notices
 * @returns {import('../prometheus-text.mjs').Family[]}
 */
function noticeFamilies(notices) {
  if (!notices) return [];
  /** @type {[string, number][]} */
  const results = [['sent', notices.sent], ['failed', notices.failed], ['given-up', notices.givenUp], ['deferred', notices.deferred]];
  return [
    {
      name: `${PREFIX}notices`, type: 'gauge',
      help: 'Notices to the host in the last run by result: failed ones are retried on later runs, given-up ones are not, deferred ones did not fit the time budget.',
      samples: results.map(([result, value]) => ({ labels: { result }, value })),
    },
    { name: `${PREFIX}notices_pending`, type: 'gauge', help: 'Notices waiting for a retry after the last run.', samples: [{ value: notices.pending }] },
    { name: `${PREFIX}notices_ledger_ok`, type: 'gauge', help: '0 when the last run could not use the notice ledger (nothing was sent), else 1.', samples: [{ value: notices.error ? 0 : 1 }] },
  ];
}
