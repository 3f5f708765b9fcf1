// The operator's reports: the expiry job's runs and their events, the audit
// search with its CSV export, and the alerts. Read-only. Query strings are
// checked like request bodies (unknown or repeated parameters, values out
// of range: 400 INVALID_INPUT with every problem listed), and every value
// reaches the database as a bound parameter.
import { z } from 'zod';
import { ApiError, sendJson } from './http-io.mjs';
import { parseBody } from './body-schema.mjs';
import { ACTIONS, ACTORS, OUTCOMES } from './metrics.mjs';
import { CSV_BOM, CSV_CONTENT_TYPE, csvRecord } from './csv.mjs';
import { SKEW_WARNING_MS } from '../cron/proxmox-clock.mjs';
import { JOB_DEFAULTS } from '../config-schema.mjs';
import { readFleet } from './admin-fleet.mjs';

const DAY_MS = 86_400_000;

/** The limits of a report query (see www/server/README.md, the operator's reports). */
export const REPORT_LIMITS = Object.freeze({
  /** Rows on one page of the audit search or the job runs. */
  pageSizeMax: 200,
  pageSizeDefault: 50,
  /** The widest time range one audit search or export may cover. */
  rangeDaysMax: 366,
  /** The range searched when `from` is not given: this many days before `to`. */
  rangeDaysDefault: 30,
  /** Events shown with one job run; the rest are counted. */
  runEventsMax: 5000,
  /** Rows read from the store at a time while an export streams. */
  exportBatch: 1000,
});

// ---- query strings ------------------------------------------------------------

/** @param {number} max */
const word = (max) => z.string({ error: 'must be given once' })
  .min(1, { error: `must be 1 to ${max} characters` })
  .max(max, { error: `must be 1 to ${max} characters` })
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]*$/, { error: 'must not contain control characters' });

// A date, or a date and time with its zone: a time without a zone would mean
// the server's zone, which the operator does not see.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const TIME_MIN = Date.UTC(2000, 0, 1);
const TIME_MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const time = z.string({ error: 'must be given once' })
  .regex(ISO_TIME, { error: 'must be a date (2026-12-01) or a date and time with its zone (2026-12-01T08:00:00Z)' })
  .transform((value, ctx) => {
    const ms = Date.parse(value);
    if (!Number.isFinite(ms) || ms < TIME_MIN || ms > TIME_MAX || !onCalendar(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be a real time between the years 2000 and 9999' });
      return z.NEVER;
    }
    return ms;
  });

/**
 * Whether the date and time fields exist as written (Date.parse turns
 * 2026-02-30 into 2 March and accepts 24:00).
 * @param {string} value  matching ISO_TIME
 */
function onCalendar(value) {
  const [y, m, d, hh = 0, mm = 0, ss = 0] = (value.match(/\d+/g) ?? []).map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCMonth() === m - 1 && day.getUTCDate() === d && hh <= 23 && mm <= 59 && ss <= 59;
}

const pageSize = z.string({ error: 'must be given once' })
  .regex(/^\d{1,4}$/, { error: `must be a whole number from 1 to ${REPORT_LIMITS.pageSizeMax}` })
  .transform(Number)
  .refine((n) => n >= 1 && n <= REPORT_LIMITS.pageSizeMax, { error: `must be a whole number from 1 to ${REPORT_LIMITS.pageSizeMax}` });

/** @param {readonly string[]} values */
const oneOf = (values) => z.enum(/** @type {[string, ...string[]]} */ ([...values]), { error: `must be one of ${values.join(', ')}` });

// Cursors are the last row of the previous page, as "<time ms>.<id>".
const auditCursor = z.string({ error: 'must be given once' })
  .regex(/^\d{1,15}\.\d{1,15}$/, { error: 'must be the "next" value of the previous page' })
  .transform((c) => { const [at, id] = c.split('.'); return { at: Number(at), id: Number(id) }; });
const runCursor = z.string({ error: 'must be given once' })
  .regex(/^\d{1,15}\.j-[A-Za-z0-9_-]{1,64}$/, { error: 'must be the "next" value of the previous page' })
  .transform((c) => { const dot = c.indexOf('.'); return { startedAt: Number(c.slice(0, dot)), id: c.slice(dot + 1) }; });

/**
 * A query string with exactly these parameters.
 * @template {z.core.$ZodLooseShape} S
 * @param {S} shape
 */
const query = (shape) => z.strictObject(shape, { error: `unknown parameter (allowed: ${Object.keys(shape).join(', ') || 'none'})` });

const AUDIT_FILTER_FIELDS = {
  customer: word(256).optional(),
  service: word(256).optional(),
  action: oneOf(ACTIONS).optional(),
  outcome: oneOf(OUTCOMES).optional(),
  actor: oneOf(ACTORS).optional(),
  from: time.optional(),
  to: time.optional(),
};
export const auditQuery = query({ ...AUDIT_FILTER_FIELDS, limit: pageSize.optional(), before: auditCursor.optional() });
export const auditExportQuery = query(AUDIT_FILTER_FIELDS);
export const jobRunsQuery = query({ limit: pageSize.optional(), before: runCursor.optional() });
const emptyQuery = query({});

/**
 * The query string as an object for a schema: a parameter given twice is
 * refused (which one would count?) rather than one silently winning.
 * @template {z.ZodType} S
 * @param {S} schema
 * @param {URLSearchParams} params
 * @returns {z.output<S>}
 */
export function parseQuery(schema, params) {
  /** @type {Record<string, unknown>} */
  const value = {};
  for (const [k, v] of params) value[k] = Object.hasOwn(value, k) ? [value[k], v] : v;
  return parseBody(schema, value);
}

/**
 * The time range of a search: `to` defaults to now, `from` to
 * `rangeDaysDefault` before `to`; `from` must come before `to` and the range
 * may span at most `rangeDaysMax` days.
 * @param {{from?: number, to?: number}} q @param {number} now
 */
export function searchRange({ from, to }, now) {
  const end = to ?? now;
  const start = from ?? end - REPORT_LIMITS.rangeDaysDefault * DAY_MS;
  /** @type {{field: string, code: string, message: string}[]} */
  const problems = [];
  if (start >= end) problems.push({ field: 'from', code: 'INVALID_INPUT', message: 'must be before to' });
  else if (end - start > REPORT_LIMITS.rangeDaysMax * DAY_MS) {
    problems.push({ field: 'to', code: 'INVALID_INPUT', message: `the range from … to may span at most ${REPORT_LIMITS.rangeDaysMax} days` });
  }
  if (problems.length) {
    throw new ApiError('INVALID_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { field: problems[0].field, problems });
  }
  return { from: start, to: end };
}

// ---- the CSV export --------------------------------------------------------------

/** @typedef {import('../store/store.mjs').AuditRow} AuditRow */

/** @type {Array<{header: string, value: (e: AuditRow) => unknown}>} */
export const AUDIT_CSV_COLUMNS = [
  { header: 'time', value: (e) => new Date(e.at).toISOString() },
  { header: 'actor_kind', value: (e) => e.actorKind },
  { header: 'actor', value: (e) => e.actorId },
  { header: 'customer', value: (e) => e.customer },
  { header: 'service', value: (e) => e.serviceId },
  { header: 'vmid', value: (e) => e.vmid },
  { header: 'node', value: (e) => e.node },
  { header: 'action', value: (e) => e.action },
  { header: 'snapshot', value: (e) => e.snapshot },
  { header: 'description', value: (e) => e.description ?? null },
  { header: 'outcome', value: (e) => e.outcome },
  { header: 'code', value: (e) => e.code },
  { header: 'message', value: (e) => e.message },
  { header: 'task', value: (e) => e.taskId },
  { header: 'id', value: (e) => e.id },
];

/** @param {number} ms */
const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]|\.\d+/g, '');

/**
 * @param {import('node:http').ServerResponse} res
 * @param {string} chunk
 */
function write(res, chunk) {
  if (res.destroyed) return Promise.reject(new Error('the client went away'));
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => { res.off('close', onClose); resolve(undefined); };
    const onClose = () => { res.off('drain', onDrain); reject(new Error('the client went away')); };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

// ---- the reports ------------------------------------------------------------------

/**
 * @typedef {{kind: 'stuck-delete'|'no-snaptime'|'clock-skew'|'job-overdue'|'job-never-succeeded'|'notice-given-up'|'notice-failing'|'fleet-unreadable',
 *   message: string, service?: string|null, customer?: string|null, vmid?: number|null, node?: string|null,
 *   snapshot?: string|null, at?: number|null, details?: object}} Alert
 * @typedef {{service: string, customer: string|null, vmid: number, node: string|null,
 *   rows: Array<{name: string, managed: boolean, createdAt: number|null, busy: string|null}> | null,
 *   error?: {code: string, message: string} | null}} FleetVm
 *   one service's VM as the fleet reader saw it (the core's page rows); `rows` null when it could not be read
 * @typedef {import('../store/notice-store.mjs').NoticeProblem} NoticeProblem
 * @typedef {import('../store/index.mjs').Store} Store
 */

/** @template {{startedAt: number, endedAt: number|null}} R @param {R} r */
const withDuration = (r) => ({ ...r, durationMs: r.endedAt === null ? null : r.endedAt - r.startedAt });

/**
 * A page of job runs, newest first.
 * @param {Store} store @param {URLSearchParams} params
 */
export async function jobRunsReport(store, params) {
  const q = parseQuery(jobRunsQuery, params);
  const limit = q.limit ?? REPORT_LIMITS.pageSizeDefault;
  const runs = (await store.jobRunList({ before: q.before, limit })).map(withDuration);
  const last = runs.length === limit ? runs[runs.length - 1] : null;
  return { runs, next: last ? `${last.startedAt}.${last.id}` : null };
}

/**
 * One job run with its events.
 * @param {Store} store @param {string} id  raw path segment @param {URLSearchParams} params
 */
export async function jobRunReport(store, id, params) {
  parseQuery(emptyQuery, params);
  const run = /^j-[A-Za-z0-9_-]{1,64}$/.test(id) ? await store.jobRunDetail(id, { limit: REPORT_LIMITS.runEventsMax }) : null;
  if (!run) throw new ApiError('NOT_FOUND', 'no such job run');
  return { run: withDuration(run) };
}

/**
 * @param {{customer?: string, service?: string, action?: string, outcome?: string, actor?: string, from?: number, to?: number}} q
 * @param {number} now
 */
function auditFilter(q, now) {
  const { from, to } = searchRange(q, now);
  return { customer: q.customer, serviceId: q.service, action: q.action, outcome: q.outcome, actorKind: q.actor, from, to };
}

/**
 * A page of the audit search, newest first.
 * @param {Store} store @param {URLSearchParams} params @param {number} now
 */
export async function auditReport(store, params, now) {
  const q = parseQuery(auditQuery, params);
  const limit = q.limit ?? REPORT_LIMITS.pageSizeDefault;
  const filter = auditFilter(q, now);
  const entries = await store.auditSearch({ ...filter, before: q.before, limit });
  const last = entries.length === limit ? entries[entries.length - 1] : null;
  return { entries, next: last ? `${last.at}.${last.id}` : null, range: { from: filter.from, to: filter.to } };
}

/**
 * Streams the matching entries as CSV, newest first, batch by batch (no
 * cap: the range limit bounds it, and memory holds one batch). Entries
 * written after the request started are not in it. If the store fails
 * midway the connection is cut, so the download is visibly incomplete
 * rather than silently short.
 * @param {Store} store @param {URLSearchParams} params @param {number} now
 * @param {import('node:http').ServerResponse} res
 */
export async function auditExport(store, params, now, res) {
  const filter = auditFilter(parseQuery(auditExportQuery, params), now);
  // The first batch is read before answering, so a store that is down gets a proper error status.
  let batch = await store.auditSearch({ ...filter, limit: REPORT_LIMITS.exportBatch });
  res.writeHead(200, {
    'Content-Type': CSV_CONTENT_TYPE,
    'Content-Disposition': `attachment; filename="audit-${stamp(filter.from)}-${stamp(filter.to)}.csv"`,
  });
  try {
    await write(res, CSV_BOM + csvRecord(AUDIT_CSV_COLUMNS.map((c) => c.header)));
    for (;;) {
      let text = '';
      for (const e of batch) text += csvRecord(AUDIT_CSV_COLUMNS.map((c) => c.value(e)));
      if (text) await write(res, text);
      if (batch.length < REPORT_LIMITS.exportBatch) break;
      const last = batch[batch.length - 1];
      batch = await store.auditSearch({ ...filter, before: { at: last.at, id: last.id }, limit: REPORT_LIMITS.exportBatch });
    }
    res.end();
  } catch (err) {
    res.destroy(/** @type {Error} */ (err));
  }
}

/**
 * Everything an operator should look at now: the job's health first, then
 * what the fleet's VMs show, then the clocks and the notices.
 * @param {{store: Store, now: number, intervalMinutes: number, fleet: FleetVm[] | null, notices: NoticeProblem[]}} o
 *   `fleet` null: not read (no reader); `notices`: the ones given up or failing (store.noticeProblems)
 */
export async function alertsReport({ store, now, intervalMinutes, fleet, notices }) {
  /** @type {Alert[]} */
  const out = [];
  const health = await store.jobHealth();
  if (health.lastSuccess === null) {
    out.push({ kind: 'job-never-succeeded', at: null,
      message: 'no expiry job run over the whole fleet has succeeded yet: is it in cron, and does it reach Proxmox and the store?' });
  } else if (now - health.lastSuccess.endedAt > 2 * intervalMinutes * 60_000) {
    out.push({
      kind: 'job-overdue', at: health.lastSuccess.endedAt,
      message: `no successful expiry job run for ${duration(now - health.lastSuccess.endedAt)}, more than twice its interval of ${intervalMinutes} min`,
      details: { lastSuccessRun: health.lastSuccess.id, intervalMinutes },
    });
  }
  for (const vm of fleet ?? []) {
    for (const row of vm.rows ?? []) {
      const where = { service: vm.service, customer: vm.customer, vmid: vm.vmid, node: vm.node, snapshot: row.name };
      if (row.busy === 'delete') {
        out.push({ kind: 'stuck-delete', ...where, at: row.createdAt,
          message: `snapshot ${row.name} of VM ${vm.vmid} is stuck in snapstate "delete": if no task is running for the VM, clear it (qm/pct unlock) and remove the snapshot` });
      }
      if (row.managed && row.createdAt === null) {
        out.push({ kind: 'no-snaptime', ...where, at: null,
          message: `managed snapshot ${row.name} of VM ${vm.vmid} has no creation time (snaptime): it never expires automatically` });
      }
    }
  }
  const unread = (fleet ?? []).filter((vm) => vm.rows === null);
  if (unread.length) {
    out.push({ kind: 'fleet-unreadable', at: now,
      message: `${unread.length} service(s) could not be read from Proxmox: their stuck deletes and missing creation times are unknown`,
      details: { services: unread.slice(0, 50).map((vm) => ({ service: vm.service, code: vm.error?.code ?? null })) } });
  }
  for (const [node, skew] of Object.entries(health.lastFinished?.clock?.skewMs ?? {})) {
    if (Math.abs(skew) > SKEW_WARNING_MS) {
      out.push({ kind: 'clock-skew', node, at: health.lastFinished?.endedAt ?? null,
        message: `the clock of node ${node} was ${Math.round(skew / 1000)} s off the job host's in the last run (the warning is above ${SKEW_WARNING_MS / 1000} s)`,
        details: { skewMs: skew, run: health.lastFinished?.id ?? null } });
    }
  }
  for (const n of notices) {
    const givenUp = n.state === 'given-up';
    const why = n.lastError ? ` (last: ${n.lastError.code}, ${n.lastError.message})` : '';
    out.push({
      kind: givenUp ? 'notice-given-up' : 'notice-failing', service: n.service, customer: n.customer, vmid: n.vmid, snapshot: n.snapshot, at: n.lastAttemptAt,
      message: givenUp
        ? `the ${n.type} notice about snapshot ${n.snapshot} was given up after ${n.attempts} attempts: the host never confirmed it${why}`
        : `the ${n.type} notice about snapshot ${n.snapshot} failed ${n.attempts} ${n.attempts === 1 ? 'time' : 'times'}; the job tries again in ${n.runsUntilRetry} ${n.runsUntilRetry === 1 ? 'run' : 'runs'}${why}`,
      details: { id: n.id, type: n.type, code: n.lastError?.code ?? null },
    });
  }
  return { alerts: out, checkedAt: now, fleetRead: fleet !== null, intervalMinutes };
}

/** @param {number} ms */
function duration(ms) {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return h ? `${h} h ${m} min` : `${m} min`;
}

/** What the audit search accepts, for the page's form. */
export function auditFilters() {
  return {
    actions: ACTIONS, outcomes: OUTCOMES, actors: ACTORS,
    limits: { pageSizeMax: REPORT_LIMITS.pageSizeMax, pageSizeDefault: REPORT_LIMITS.pageSizeDefault,
      rangeDaysMax: REPORT_LIMITS.rangeDaysMax, rangeDaysDefault: REPORT_LIMITS.rangeDaysDefault },
  };
}

/**
 * The reports' routes in the admin route table (operators only, GET only).
 * @type {import('./admin-routes.mjs').AdminRoute[]}
 */
export const REPORT_ROUTES = [
  { pattern: 'job-runs', methods: { async GET(ctx) { sendJson(ctx.res, 200, await jobRunsReport(ctx.app.store, ctx.query)); } } },
  { pattern: 'job-runs/:id', methods: { async GET(ctx) { sendJson(ctx.res, 200, await jobRunReport(ctx.app.store, ctx.params.id, ctx.query)); } } },
  { pattern: 'audit', methods: { async GET(ctx) { sendJson(ctx.res, 200, await auditReport(ctx.app.store, ctx.query, ctx.app.now())); } } },
  { pattern: 'audit/filters', methods: { async GET(ctx) { parseQuery(emptyQuery, ctx.query); sendJson(ctx.res, 200, auditFilters()); } } },
  { pattern: 'audit.csv', methods: { GET: (ctx) => auditExport(ctx.app.store, ctx.query, ctx.app.now(), ctx.res) } },
  {
    pattern: 'alerts',
    methods: {
      async GET(ctx) {
        parseQuery(emptyQuery, ctx.query);
        const { app } = ctx;
        const fleet = (await readFleet(app)).map((e) => ({
          service: e.view.id, customer: e.view.customer, vmid: e.view.vmid, node: e.node, rows: e.rows, error: e.error,
        }));
        sendJson(ctx.res, 200, await alertsReport({
          store: app.store, now: app.now(), intervalMinutes: app.config.job?.intervalMinutes ?? JOB_DEFAULTS.intervalMinutes, fleet,
          notices: await app.store.noticeProblems(),
        }));
      },
    },
  },
];
