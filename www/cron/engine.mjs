// The expiry run: find each service's VM, ask the rules core which snapshots
// have expired, and delete them one at a time, re-checking each with fresh
// Proxmox data right before its delete. It decides nothing itself: "managed
// and expired" is the core's planExpiry, asked again before every delete.
// Safety first: any doubt (unknown outcome, changed data, a lock) means
// "leave it for the next run", never "delete anyway".
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { seedFromConfig, withStoreServices } from '../store/catalog.mjs';
import * as core from '../core.mjs';
import { createPveClient } from '../pve/client.mjs';
import { acquireRunLock, LockBusyError } from './run-lock.mjs';
import { writeLastRun, readLastRun } from './status-file.mjs';
import { checkMetricsPath, writeMetricsFile, jobMetrics } from './metrics-file.mjs';
import { createNotifier } from './notify.mjs';
import { openJsonLedger } from './notice-ledger.mjs';
import { openStoreLedger } from '../store/notice-store.mjs';
import { runBounded } from './limiter.mjs';
import { createProxmoxClock } from './proxmox-clock.mjs';

/** Exit codes of the job (cron/README.md). */
export const EXIT = Object.freeze({ OK: 0, FAILED: 1, CONFIG: 2, RUNNING: 3, UNREACHABLE: 4 });

// Codes of a request whose outcome we cannot know: Proxmox may have started
// the delete.
/** @type {ReadonlySet<string|undefined>} */
const UNKNOWN_OUTCOME = new Set(['PVE_TIMEOUT', 'PVE_NETWORK']);
const ABORTED = Object.freeze({ exitCode: EXIT.FAILED, error: { code: 'ABORTED', message: 'the run was interrupted; what was not done is left for the next run' } });

/**
 * Whether `name` can be a Proxmox node: the core's rule, the one every
 * request path it builds is checked with (a bad name is INVALID_TARGET).
 * @param {string} name
 */
function isNodeName(name) {
  try {
    core.nodeTimeRequest(name);
    return true;
  } catch (err) {
    if (/** @type {Thrown} */ (err)?.code === 'INVALID_TARGET') return false;
    throw err;
  }
}

/**
 * @typedef {import('../config.mjs').Config} Config
 * @typedef {import('../config.mjs').Service} Service
 * @typedef {import('../pve/client.mjs').PveClient} PveClient
 * @typedef {import('../pve/client.mjs').RequestDescription} RequestDescription
 * @typedef {ReturnType<typeof createProxmoxClock>} ProxmoxClock
 * @typedef {'missing'|'skipped'|'stuck'|'failed'|'still-running'|'would-delete'|'deleted'} EntryType
 * @typedef {{type: 'start', vms: number, services: number, dryRun: boolean}
 *   | {type: 'vm-done', service: string, vmid: number, done: number, total: number, outcome: VmResult['outcome']}
 *   | {type: 'warning', message: string}
 *   | ({type: EntryType} & Entry & {description?: string})} RunEvent  progress (see cron/README.md); `description`:
 *   the snapshot's own description when Proxmox's list had one (for the audit log, not printed)
 * @typedef {(event: RunEvent) => void} Emit
 *
 * @typedef {{code?: string, message?: string, stack?: string}|null|undefined} Thrown
 *   a caught value, read defensively: it need not be an Error
 *
 * @typedef {object} ClusterVm  an entry of GET /cluster/resources as Proxmox sends it; only type and vmid are checked
 * @property {'qemu'|'lxc'} type
 * @property {number|string} vmid
 * @property {string} node
 *
 * @typedef {object} Entry  one snapshot-level (or VM-level, name null) result
 * @property {string} service
 * @property {number} vmid
 * @property {string|null} node
 * @property {string|null} name
 * @property {string} code
 * @property {string} message
 * @property {string} [upid]
 *
 * @typedef {object} VmResult
 * @property {string} service
 * @property {number} vmid
 * @property {'qemu'|'lxc'} type
 * @property {string|null} node
 * @property {'ok'|'failed'|'still-running'|'missing'} outcome
 * @property {string[]} deleted
 * @property {string[]} wouldDelete
 * @property {Entry[]} skipped
 * @property {Entry[]} stuck  expired snapshots found in snapstate "delete": an operator must clear them
 * @property {Entry[]} failures
 * @property {Entry[]} stillRunning
 *
 * @typedef {object} RunSummary  the --json output and the body of last-run.json
 * @property {number} exitCode
 * @property {boolean} ok
 * @property {boolean} success  the run finished (no run-wide error) with no failed delete
 * @property {string|null} lastSuccessAt  when the last successful run (this one or an earlier one) ended, kept across runs in last-run.json
 * @property {boolean} dryRun
 * @property {string} startedAt
 * @property {string} finishedAt
 * @property {number} durationMs
 * @property {{service: string|null, node: string|null}} scope
 * @property {string} host
 * @property {number} pid
 * @property {{source: string, skewMs: Record<string, number>}|null} clock
 * @property {{services: number, vms: number, deleted: number, wouldDelete: number, skipped: number,
 *   stuck: number, failed: number, stillRunning: number, missing: number}} counts
 * @property {Entry[]} stuck
 * @property {Entry[]} failures
 * @property {Entry[]} stillRunning
 * @property {VmResult[]} vms
 * @property {{code: string, message: string, details?: object}|null} error  why the run as a whole stopped
 * @property {{path: string, tookOver: object|null}|null} lock
 * @property {string|null} [runId]  this run's id in the store's job runs (not for --dry-run)
 * @property {import('./notify.mjs').NoticeReport|null} notices  null when notify is not configured (or a dry run)
 *
 * @typedef {object} RunOptions
 * @property {Config} config            from loadConfig
 * @property {boolean} [dryRun]         plan only: no lock, no delete, no last-run.json
 * @property {string|null} [service]    only this service id
 * @property {string|null} [node]       only VMs currently on this node
 * @property {number} [concurrency]     VMs at once overall (default config.job.concurrency)
 * @property {number} [perNode]         VMs at once per node (default config.job.perNode)
 * @property {string} [stateDir]        lock and last-run.json (default config.job.stateDir)
 * @property {string|null} [metricsFile] node_exporter textfile written after the run (not for a dry run)
 * @property {number|null} [now]        fixed "now" in ms instead of the Proxmox clock
 * @property {number} [retries]         client retries for reads (default 2)
 * @property {PveClient} [pve]          a ready client (tests); default: created from config.pve
 * @property {AbortSignal} [signal]     stop starting deletes, stop waiting, release the lock
 * @property {Emit} [onEvent]           progress (see cron/README.md)
 * @property {import('../store/index.mjs').Store|null} [store]  records the run, its events and the
 *   audit entries, prunes the audit log; on PostgreSQL its advisory lock keeps job hosts apart
 *
 * @typedef {object} RunContext  what one run's VMs share
 * @property {Config} config
 * @property {Service[]} services
 * @property {{service: string|null, node: string|null}} scope
 * @property {number} concurrency
 * @property {number} perNode
 * @property {boolean} dryRun
 * @property {PveClient} pve
 * @property {(desc: RequestDescription) => Promise<any>} read  a GET under the run's abort signal
 * @property {ProxmoxClock} clock
 * @property {number} deadline  ms since the epoch
 * @property {AbortSignal} [signal]
 * @property {Emit} emit
 * @property {RunSummary} summary
 * @property {ReturnType<typeof createNotifier>|null} notifier
 */

/** Entry types that go to the audit log (with a snapshot name), and their outcome there. */
const AUDITED = new Map([['deleted', 'ok'], ['failed', 'failed'], ['skipped', 'refused'], ['stuck', 'refused'], ['still-running', 'still-running'], ['missing', 'refused']]);

/**
 * Runs the expiry job once. Never throws for operational problems: the
 * summary's `exitCode` and `error` say what happened.
 * @param {RunOptions} options
 * @returns {Promise<RunSummary>}
 */
export async function runExpiry(options) {
  const { dryRun = false, signal, onEvent = () => {} } = options;
  let config = options.config;
  const started = Date.now();
  const job = config.job;
  const scope = { service: options.service ?? null, node: options.node ?? null };
  /** @type {RunSummary} */
  const summary = {
    exitCode: EXIT.OK, ok: true, success: false, lastSuccessAt: null, dryRun, startedAt: new Date(started).toISOString(), finishedAt: '', durationMs: 0,
    scope, host: hostname(), pid: process.pid, clock: null,
    counts: { services: 0, vms: 0, deleted: 0, wouldDelete: 0, skipped: 0, stuck: 0, failed: 0, stillRunning: 0, missing: 0 },
    stuck: [], failures: [], stillRunning: [], vms: [], error: null, lock: null, notices: null,
  };
  /** @type {Emit | null} set once the run is recorded in the store */
  let recordEvent = null;
  /** @type {Emit} */
  const emit = (event) => {
    recordEvent?.(event);
    try { onEvent(event); } catch { /* a broken reporter must not stop deletes midway */ }
  };
  /** @param {number} exitCode @param {RunSummary['error']} [error] */
  const finish = (exitCode, error = null) => {
    const finishedAt = Date.now();
    summary.finishedAt = new Date(finishedAt).toISOString();
    summary.durationMs = finishedAt - started;
    summary.error = error;
    summary.exitCode = exitCode !== EXIT.OK ? exitCode
      : summary.counts.failed > 0 || summary.counts.stillRunning > 0 ? EXIT.FAILED : EXIT.OK;
    summary.ok = summary.exitCode === EXIT.OK;
    summary.success = error === null && summary.counts.failed === 0;
    if (summary.success && !dryRun) summary.lastSuccessAt = summary.finishedAt;
    return summary;
  };

  if (options.store && !dryRun) {
    // The file seeds the store, then the store is the one source: the
    // services the host panel provisioned expire like the file's.
    try {
      await seedFromConfig(options.store, config, { customersOptional: true });
      config = await withStoreServices(config, options.store);
    } catch (err) {
      const e = /** @type {Thrown} */ (err);
      if (e?.code === 'CONFIG_INVALID') return finish(EXIT.CONFIG, { code: 'CONFIG_INVALID', message: `${e.message}; nothing was done` });
      return finish(EXIT.UNREACHABLE, { code: 'STORE_UNAVAILABLE', message: `${e?.message ?? err}; nothing was done` });
    }
  }
  // Command-line scope problems are config errors: caught before any lock or request.
  const services = config.services.filter((s) => scope.service === null || s.id === scope.service);
  if (scope.service !== null && services.length === 0) {
    return finish(EXIT.CONFIG, { code: 'CONFIG_INVALID', message: `--service ${scope.service}: no such service in ${config.file ?? 'the config'}` });
  }
  if (scope.node !== null && !isNodeName(scope.node)) {
    return finish(EXIT.CONFIG, { code: 'CONFIG_INVALID', message: `--node ${JSON.stringify(scope.node)}: not a Proxmox node name` });
  }
  const concurrency = options.concurrency ?? job.concurrency;
  const perNode = options.perNode ?? job.perNode;
  for (const [flag, v] of /** @type {[string, number][]} */ ([['--concurrency', concurrency], ['--per-node', perNode]])) {
    if (!Number.isSafeInteger(v) || v < 1 || v > 256) {
      return finish(EXIT.CONFIG, { code: 'CONFIG_INVALID', message: `${flag}: must be an integer from 1 to 256, got ${v}` });
    }
  }
  const stateDir = options.stateDir ?? job.stateDir;
  const notify = dryRun ? null : config.notify ?? null;
  if (notify && !notify.secret) {
    return finish(EXIT.CONFIG, { code: 'CONFIG_INVALID', message: 'notify: no secret (set env NOTIFY_SECRET or notify.secretFile; a library caller loads the config with notifySecret: true)' });
  }
  const metricsFile = dryRun ? null : options.metricsFile ?? null;
  summary.counts.services = services.length;
  if (metricsFile !== null) {
    // Found out now, not after the deletes: a run monitoring cannot see is a config mistake.
    try {
      await checkMetricsPath(metricsFile);
    } catch (err) {
      const e = /** @type {{code: string, message: string}} */ (err);
      return finish(EXIT.CONFIG, { code: e.code, message: e.message });
    }
  }

  const ownClient = !options.pve;
  let pve;
  try {
    pve = options.pve ?? createPveClient({ ...config.pve, retries: options.retries ?? 2 });
  } catch (err) {
    // e.g. plain http:// to a host that is not loopback without pve.insecure.
    return finish(EXIT.CONFIG, { code: 'CONFIG_INVALID', message: `pve: ${/** @type {Thrown} */ (err)?.message ?? err}` });
  }

  const store = dryRun ? null : options.store ?? null;
  /** @type {{release(): Promise<void>} | null} */
  let dbLock = null;
  if (store) {
    // On PostgreSQL two job hosts share one database: its lock keeps them
    // apart (the lock file only sees this host).
    try {
      const taken = await store.jobLock();
      if (taken.held) {
        if (ownClient) pve.close?.();
        return finish(EXIT.RUNNING, { code: 'ALREADY_RUNNING', message: `another run holds the job lock in ${store.label}` });
      }
      dbLock = taken.lock;
    } catch (err) {
      if (ownClient) pve.close?.();
      return finish(EXIT.UNREACHABLE, { code: 'STORE_UNAVAILABLE', message: `${/** @type {Thrown} */ (err)?.message ?? err}; nothing was done` });
    }
  }
  let lock = null;
  if (!dryRun) {
    try {
      // A run may hold the lock for maxRunMs, finish its last task wait, and
      // have some slack for the final reads; only after that is it abandoned.
      lock = await acquireRunLock(stateDir, { staleAfterMs: job.maxRunMs + job.taskTimeoutMs + 5 * 60_000 });
    } catch (err) {
      if (ownClient) pve.close?.();
      await dbLock?.release();
      if (err instanceof LockBusyError) return finish(EXIT.RUNNING, { code: err.code, message: err.message, details: err.details });
      const e = /** @type {NodeJS.ErrnoException} */ (err);
      return finish(EXIT.CONFIG, { code: 'STATE_DIR', message: `cannot use the state directory ${stateDir}: ${e.code ?? e.message}` });
    }
    summary.lock = { path: lock.path, tookOver: lock.tookOver };
    // Carried forward so "no successful run for too long" stays visible after failed runs.
    summary.lastSuccessAt = (await readLastRun(stateDir))?.lastSuccessAt ?? null;
    if (lock.tookOver) {
      emit({ type: 'warning', message: `took over a stale lock from pid ${lock.tookOver.pid} on ${lock.tookOver.hostname} (started ${lock.tookOver.startedAt}): ${lock.tookOver.staleReason}` });
    }
  }

  // Reads carry the run's abort signal, and none starts once it has fired
  // (the client cannot take an already-aborted signal, see the final report).
  /** @param {RequestDescription} desc */
  const read = (desc) => (signal?.aborted
    ? Promise.reject(Object.assign(new Error('the run was interrupted'), { code: 'ABORTED' }))
    : pve.request(desc, { signal }));
  const clock = createProxmoxClock({
    pve: { request: read }, fixedNow: options.now ?? null, maxSkewMs: job.maxClockSkewMs ?? Infinity,
    warn: (message) => emit({ type: 'warning', message }),
  });
  /** @type {Promise<void>} */
  let recording = Promise.resolve();
  let unrecorded = 0;
  const runId = store ? `j-${randomBytes(12).toString('base64url')}` : null;
  try {
    if (store && runId) {
      try {
        await store.startJobRun({ id: runId, startedAt: started, host: summary.host, pid: process.pid, scope });
      } catch (err) {
        return finish(EXIT.UNREACHABLE, { code: 'STORE_UNAVAILABLE', message: `${/** @type {Thrown} */ (err)?.message ?? err}; nothing was done` });
      }
      summary.runId = runId;
      const owners = new Map(config.services.map((s) => [s.id, s.customer]));
      recordEvent = (event) => {
        const outcome = AUDITED.get(event.type);
        if (outcome === undefined) return;
        const e = /** @type {Entry & {type: EntryType, description?: string}} */ (event);
        const audit = e.name === null ? null : /** @type {const} */ ({
          actorKind: 'job', actorId: runId, customer: owners.get(e.service) ?? null, serviceId: e.service, vmid: e.vmid,
          node: e.node, action: 'remove', snapshot: e.name, outcome, code: e.code, message: e.message, taskId: null,
          description: e.description ?? null,
        });
        const at = Date.now();
        const row = { ...e, customer: owners.get(e.service) ?? null };
        recording = recording.then(() => store.jobEvent(runId, row, { at, audit }).catch((err) => {
          unrecorded += 1;
          if (unrecorded === 1) emit({ type: 'warning', message: `cannot record the run's events in the store: ${err.message}` });
        }));
      };
    }
    const deadline = started + job.maxRunMs;
    const notifier = notify
      ? createNotifier({
        settings: notify,
        // In the store (an earlier release's notices.json moved in once); a library caller without a store keeps the file.
        openLedger: () => (store && runId ? openStoreLedger(store, { owner: runId, importFrom: stateDir }) : openJsonLedger(stateDir)),
        emit: (message) => emit({ type: 'warning', message }),
      })
      : null;
    const fatal = await expireAll({ config, services, scope, concurrency, perNode, dryRun, pve, read, clock, deadline, signal, emit, summary, notifier });
    summary.clock = clock.info();
    // After every delete of the run: a slow receiver costs at most notify.budgetMs, and never a delete.
    if (notifier) summary.notices = await notifier.flush({ signal });
    return finish(fatal ? fatal.exitCode : EXIT.OK, fatal ? fatal.error : null);
  } catch (err) {
    // A bug, not an operational problem: still release the lock and leave a
    // status that monitoring can see.
    summary.clock = clock.info();
    return finish(EXIT.FAILED, { code: 'INTERNAL', message: `the run stopped on an unexpected error: ${/** @type {Thrown} */ (err)?.stack ?? err}` });
  } finally {
    if (ownClient) pve.close?.();
    if (store && summary.runId) {
      await recording;
      recordEvent = null;
      // An incomplete record is a failed run: the audit must not miss a deletion silently.
      if (unrecorded > 0 && summary.exitCode === EXIT.OK) {
        finish(EXIT.FAILED, { code: 'STORE_UNAVAILABLE', message: `${unrecorded} event(s) of this run could not be recorded in the store` });
      }
      try {
        const pruned = await store.pruneAudit(Date.now() - job.auditRetentionDays * 86_400_000);
        if (pruned > 0) emit({ type: 'warning', message: `removed ${pruned} audit entries older than ${job.auditRetentionDays} days` });
        await store.finishJobRun(summary.runId, {
          endedAt: Date.now(), exitCode: summary.exitCode,
          summary: { ok: summary.ok, counts: summary.counts, error: summary.error, durationMs: summary.durationMs },
        });
      } catch (err) {
        emit({ type: 'warning', message: `cannot record the end of the run in the store: ${/** @type {Thrown} */ (err)?.message ?? err}` });
      }
    }
    await dbLock?.release();
    if (lock) {
      if (!dryRun) {
        // Monitoring must see this run even if it failed: write before letting go.
        if (metricsFile !== null) {
          await writeMetricsFile(metricsFile, jobMetrics(summary))
            .catch((err) => emit({ type: 'warning', message: `${err.message} [${err.code}]` }));
        }
        await writeLastRun(stateDir, summary).catch((err) => emit({ type: 'warning', message: `cannot write last-run.json in ${stateDir}: ${err.code ?? err.message}` }));
      }
      await lock.release().catch(() => {});
    }
  }
}

/**
 * @param {RunContext} ctx
 * @returns {Promise<{exitCode: number, error: {code: string, message: string}}|null>} a run-wide failure, if any
 */
async function expireAll(ctx) {
  const { config, services, scope, concurrency, perNode, read, emit, summary, signal } = ctx;
  let resources;
  try {
    resources = await read(core.clusterVmsRequest());
    if (!Array.isArray(resources)) throw Object.assign(new Error('GET /cluster/resources did not answer a list'), { code: 'PVE_SERVER' });
  } catch (err) {
    if (signal?.aborted) return ABORTED;
    const e = /** @type {Thrown} */ (err);
    return {
      exitCode: EXIT.UNREACHABLE,
      error: { code: e?.code ?? 'PVE_UNREACHABLE', message: `cannot list the cluster's VMs, nothing was done: ${e?.message ?? err}` },
    };
  }
  // VMs migrate: the node comes from the cluster now, never from the config.
  /** @type {Map<number, ClusterVm>} */
  const byVmid = new Map();
  for (const r of resources) {
    if (r && (r.type === 'qemu' || r.type === 'lxc') && Number.isSafeInteger(Number(r.vmid))) byVmid.set(Number(r.vmid), r);
  }

  /** @type {{service: Service, resource: ClusterVm}[]} */
  const work = [];
  /** @type {Entry[]} */
  const missing = [];
  for (const service of services) {
    const r = byVmid.get(service.vmid);
    if (!r) {
      const entry = { service: service.id, vmid: service.vmid, node: null, name: null, code: 'VM_NOT_FOUND', message: `${service.type}/${service.vmid} does not exist in the cluster (removed?); nothing to do` };
      missing.push(entry);
      summary.counts.missing += 1;
      summary.vms.push({ ...vmBase(service, null), outcome: 'missing', skipped: [entry] });
    } else if (scope.node === null || r.node === scope.node) {
      work.push({ service, resource: r });
    }
  }
  summary.counts.vms = work.length;
  emit({ type: 'start', vms: work.length, services: services.length, dryRun: ctx.dryRun });
  for (const entry of missing) emit({ type: 'missing', ...entry });

  let finished = 0;
  await runBounded(work, {
    concurrency, perNode, nodeOf: (w) => String(w.resource.node),
    worker: async ({ service, resource }) => {
      const result = await expireVm(ctx, service, resource).catch((/** @type {unknown} */ err) => {
        // A bug or an unexpected answer: this VM is reported, the others go on.
        const r = vmBase(service, String(resource.node));
        const e = /** @type {Thrown} */ (err);
        r.failures.push(entryOf(service, resource.node, null, e?.code ?? 'INTERNAL', String(e?.message ?? err)));
        return r;
      });
      record(summary, result, emit);
      finished += 1;
      emit({ type: 'vm-done', service: service.id, vmid: service.vmid, done: finished, total: work.length, outcome: result.outcome });
    },
  });
  return signal?.aborted ? ABORTED : null;
}

/**
 * The snapshot a planned delete removes: planExpiry names every one.
 * @param {import('../core.mjs').Request} request @returns {string}
 */
function nameOf(request) {
  return /** @type {string} */ (request.name);
}

/** @param {Service} service @param {string|null} node @returns {VmResult} */
function vmBase(service, node) {
  return { service: service.id, vmid: service.vmid, type: service.type, node, outcome: 'ok', deleted: [], wouldDelete: [], skipped: [], stuck: [], failures: [], stillRunning: [] };
}

/**
 * @param {Service} service @param {string|null} node @param {string|null} name @param {string} code @param {string} message
 * @param {{upid?: string}} [extra]
 * @returns {Entry}
 */
function entryOf(service, node, name, code, message, extra = {}) {
  return { service: service.id, vmid: service.vmid, node: node ?? null, name, code, message, ...extra };
}

/** @param {RunSummary} summary @param {VmResult} r @param {Emit} emit */
function record(summary, r, emit) {
  r.outcome = r.failures.length ? 'failed' : r.stillRunning.length ? 'still-running' : 'ok';
  summary.vms.push(r);
  summary.counts.deleted += r.deleted.length;
  summary.counts.wouldDelete += r.wouldDelete.length;
  summary.counts.skipped += r.skipped.length;
  summary.counts.stuck += r.stuck.length;
  summary.counts.failed += r.failures.length;
  summary.counts.stillRunning += r.stillRunning.length;
  summary.stuck.push(...r.stuck);
  summary.failures.push(...r.failures);
  summary.stillRunning.push(...r.stillRunning);
}

/**
 * One VM: plan, then for each candidate re-read, re-plan, delete, wait.
 * @param {RunContext} ctx @param {Service} service @param {ClusterVm} resource
 * @returns {Promise<VmResult>}
 */
async function expireVm(ctx, service, resource) {
  const { config, pve, read, clock, dryRun, deadline, signal, emit, notifier } = ctx;
  const node = String(resource.node);
  const result = vmBase(service, node);
  /**
   * @param {EntryType} type @param {string|null} name @param {string} code @param {string} message
   * @param {{upid?: string}} [extra]
   */
  const say = (type, name, code, message, extra) => {
    const entry = entryOf(service, node, name, code, message, extra);
    emit({ type, ...entry, ...described(name) });
    return entry;
  };
  /** Snapshot name → its description in Proxmox's list, once the list was read. @type {Map<string, string>} */
  const descriptions = new Map();
  /** @param {string|null} name */
  const described = (name) => {
    const description = name === null ? undefined : descriptions.get(name);
    return description === undefined ? {} : { description };
  };
  /** @param {string|null} name @param {unknown} err @param {string} [hint] */
  const fail = (name, err, hint = '') => {
    if (signal?.aborted) {
      // Reads cut short by the interrupt are not Proxmox failures.
      result.skipped.push(say('skipped', name, 'ABORTED', 'the run was interrupted; left for the next run'));
    } else {
      const e = /** @type {Thrown} */ (err);
      result.failures.push(say('failed', name, e?.code ?? 'INTERNAL', `${e?.message ?? err}${hint}`));
    }
    return result;
  };
  if (signal?.aborted) return fail(null, null);

  if (resource.type !== service.type) {
    return fail(null, { code: 'TYPE_MISMATCH', message: `the config says ${service.type}/${service.vmid} but the cluster has ${resource.type}/${service.vmid}; fix the service "${service.id}"` });
  }
  const policy = config.products[service.product];
  const target = { node, vmid: service.vmid, type: service.type };

  /** Fresh status, snapshot list and Proxmox time, planned by the core. */
  const plan = async () => {
    // Read together: one latency instead of two, before every delete
    // (BENCHMARKS.md §5: 78 % -> 94 % of the ideal run time).
    const [vmStatus, snapshots, now] = await Promise.all([
      read(core.vmStatusRequest(target)),
      read(core.listSnapshotsRequest(target)),
      clock.now(node),
    ]);
    const expiry = core.planExpiry(target, policy, vmStatus, snapshots, now);
    // The core skips a snapshot in any snapstate; one left in "delete" is a
    // delete that failed halfway, which no later run will finish by itself.
    // (The list passed the core's checks above, so it is an array of entries.)
    const deleting = new Set(/** @type {{name: string, snapstate?: string}[]} */ (snapshots)
      .filter((s) => s.snapstate === 'delete').map((s) => s.name));
    return { ...expiry, stuck: deleting, inputs: { vmStatus, snapshots, now } };
  };

  let first;
  try {
    first = await plan();
  } catch (err) {
    return fail(null, err);
  }
  // (The list passed the core's checks in plan(), so it is an array of entries.)
  for (const s of /** @type {{name: string, description?: unknown}[]} */ (first.inputs.snapshots)) {
    if (typeof s.description === 'string' && s.description !== '') descriptions.set(s.name, s.description);
  }
  /** @type {Map<string, import('./notify.mjs').SnapshotRow>} */
  const rows = new Map();
  if (notifier) {
    try {
      // The countdowns the customer sees, from the same data the plan used.
      const { vmStatus, snapshots, now } = first.inputs;
      for (const row of core.snapshotPage(policy, vmStatus, snapshots, now).rows) {
        if (!row.managed) continue;
        rows.set(row.name, row);
        notifier.seen(service, service.vmid, row);
      }
    } catch (err) {
      emit({ type: 'warning', message: `${service.id}: no notices for this VM this run: ${/** @type {Thrown} */ (err)?.message ?? err}` });
    }
  }
  for (const s of first.skipped) {
    const stuck = first.stuck.has(s.name);
    (stuck ? result.stuck : result.skipped).push(say(stuck ? 'stuck' : 'skipped', s.name ?? null, s.code, s.message));
  }
  if (dryRun) {
    for (const d of first.deletes) {
      const name = nameOf(d);
      result.wouldDelete.push(name);
      emit({ type: 'would-delete', ...entryOf(service, node, name, 'WOULD_DELETE', `would delete ${name}`) });
    }
    return result;
  }

  for (const candidate of first.deletes) {
    const name = nameOf(candidate);
    if (signal?.aborted || Date.now() > deadline) {
      const why = signal?.aborted ? ['ABORTED', 'the run was interrupted'] : ['RUN_TIME_EXCEEDED', 'the run reached job.maxRunMs'];
      result.skipped.push(say('skipped', name, why[0], `${why[1]}; left for the next run`));
      continue;
    }
    // Right before the delete: is it still managed, expired and deletable?
    let fresh;
    try {
      fresh = await plan();
    } catch (err) {
      return fail(name, err, ' (while re-checking before the delete; nothing was deleted)');
    }
    const request = fresh.deletes.find((d) => d.name === name);
    if (!request) {
      const reason = fresh.skipped.find((s) => s.name === name) ?? fresh.skipped.find((s) => !s.name);
      result.skipped.push(say('skipped', name, reason?.code ?? 'NO_LONGER_EXPIRED',
        `not deleted: the fresh plan no longer lists it${reason ? ` (${reason.message})` : ''}`));
      continue;
    }
    let upid;
    try {
      // No abort signal here: cutting a delete short would only make its outcome unknown.
      upid = await pve.request({ method: request.method, path: request.path, params: request.params });
    } catch (err) {
      // A timeout or lost connection leaves the outcome unknown (Proxmox may
      // have started the task); a 5xx may come from a failed hop between
      // nodes. Either way this VM waits for the next run, which re-reads it.
      const hint = UNKNOWN_OUTCOME.has(/** @type {Thrown} */ (err)?.code) ? '; the delete may have started' : '';
      return fail(name, err, `${hint}; nothing more for this VM in this run, the next run checks again`);
    }
    if (typeof upid !== 'string' || upid === '') {
      return fail(name, { code: 'PVE_SERVER', message: `DELETE ${request.path}: no task id in the answer` });
    }
    let outcome;
    try {
      // Start polling soon (most deletes take a second or two); the client backs off from there.
      outcome = await pve.waitForTask(upid, { timeoutMs: config.job.taskTimeoutMs, intervalMs: 100, signal });
    } catch (err) {
      const e = /** @type {Thrown} */ (err);
      result.stillRunning.push(say('still-running', name, e?.code ?? 'TASK_UNKNOWN',
        `cannot read the outcome of task ${upid}: ${e?.message ?? err}; the next run checks again`, { upid }));
      return result;
    }
    if (outcome.state === 'ok') {
      result.deleted.push(name);
      const row = rows.get(name);
      if (notifier && row) notifier.removed(service, service.vmid, row);
      emit({ type: 'deleted', ...entryOf(service, node, name, 'DELETED', outcome.warnings ? `deleted ${name} (${outcome.message ?? 'with warnings'})` : `deleted ${name}`, { upid }), ...described(name) });
    } else if (outcome.state === 'failed') {
      fail(name, { code: 'TASK_FAILED', message: `Proxmox could not delete ${name}: ${outcome.message ?? 'task failed'}` });
    } else if (outcome.aborted) {
      result.stillRunning.push(say('still-running', name, 'TASK_RUNNING',
        `stopped waiting for the delete of ${name} (the run was interrupted); task ${upid} goes on in Proxmox, the next run checks again`, { upid }));
      return result;
    } else {
      // Still running after the wait: never "failed", and the VM stays locked
      // by that task, so nothing more for this VM in this run.
      result.stillRunning.push(say('still-running', name, 'TASK_RUNNING',
        `the delete of ${name} is still running after ${config.job.taskTimeoutMs} ms (task ${upid}); the next run checks again`, { upid }));
      return result;
    }
  }
  return result;
}
