// startSimulator(): a Proxmox VE API simulator on loopback, as a library.
// Tests, the panel's demo mode and the CLI all start it through here.
import { createApiServer } from './http-server.mjs';
import { createClock } from './clock.mjs';
import { createFaults } from './faults.mjs';
import { guestCopy } from './guest-views.mjs';
import { buildState, readSeed } from './guests.mjs';
import { createRandom } from './random.mjs';
import { deleteOperation } from './snapshot-ops.mjs';
import { createTaskRunner } from './tasks.mjs';
import { tokenRegistry } from './tokens.mjs';

const CONFIGID_RE = /^[a-z][a-z0-9_-]+$/i;
const KNOWN_OPTIONS = new Set(['port', 'host', 'seed', 'tokens', 'tls', 'taskDurationMs', 'latencyMs', 'clockMs', 'random', 'authFailDelayMs', 'faults', 'requestLogLimit', 'corsLoopback']);

/**
 * @typedef {object} SimulatorOptions
 * @property {number} [port]      0 (default) = a free port
 * @property {string} [host]      default '127.0.0.1'
 * @property {'demo'|string|import('./guests.mjs').Seed} [seed]  'demo' (default), a JSON file path, or a seed object
 * @property {import('./tokens.mjs').TokenConfig[]} [tokens]   default [{id: 'root@pam!panel', secret: 'SECRET'}]
 * @property {false|{key: string|Buffer, cert: string|Buffer}} [tls]  serve HTTPS
 * @property {number|{create?: number, delete?: number, rollback?: number, default?: number}} [taskDurationMs]  default 300
 * @property {number} [latencyMs]  shorthand for faults.latencyMs
 * @property {number} [clockMs]    simulated time at start, default real time
 * @property {number|string} [random]  PRNG seed for faults, jitter, list order, pids (default 42)
 * @property {number} [authFailDelayMs]  Proxmox waits 3000 ms before a 401; default 0
 * @property {import('./faults.mjs').FaultSettings} [faults]  initial fault settings
 * @property {number} [requestLogLimit]  keep at most this many entries in `requests` (default 50000;
 *   the oldest go first, so a long-running demo does not grow without bound)
 * @property {boolean} [corsLoopback]  answer CORS (and preflights) for pages on loopback origins only;
 *   default false, as Proxmox answers no CORS. For the core's browser tests.
 */

/**
 * @typedef {object} SimInternals
 * @property {{nodes: string[], guests: Map<number, import('./guests.mjs').Guest>}} state
 * @property {import('./clock.mjs').SimClock} clock
 * @property {(node: string) => number} nodeSeconds  a node's own clock, epoch seconds
 * @property {import('./random.mjs').SimRandom} random
 * @property {import('./faults.mjs').Faults} faults
 * @property {ReturnType<typeof createTaskRunner>} tasks
 * @property {ReturnType<typeof tokenRegistry>} tokens
 * @property {import('./http-server.mjs').RequestLogEntry[]} requests
 */

/** @param {string} message @param {string} code @param {unknown} [details] */
function simError(message, code, details) {
  return Object.assign(new Error(message), { code, details });
}

/** @param {unknown} v @param {string} name */
function checkDuration(v, name) {
  if (!(Number.isFinite(v) && /** @type {number} */ (v) >= 0)) throw simError(`${name} must be a number >= 0, got ${v}`, 'INVALID_INPUT', { [name]: v });
  return /** @type {number} */ (v);
}

/**
 * Start a simulator and wait until it listens.
 * @param {SimulatorOptions} [options]
 */
export async function startSimulator(options = {}) {
  const unknown = Object.keys(options).filter((k) => !KNOWN_OPTIONS.has(k));
  if (unknown.length) throw simError(`unknown simulator option(s): ${unknown.join(', ')} (known: ${[...KNOWN_OPTIONS].join(', ')})`, 'INVALID_INPUT', { unknown });
  const clock = createClock(options.clockMs ?? Date.now());
  // Seed ages count from the start time itself, however long the seed takes to read.
  const startMs = clock.now();
  const random = createRandom(options.random ?? 42);
  const faults = createFaults({ ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}), ...(options.faults ?? {}) }, random);
  const state = buildState(await readSeed(options.seed ?? 'demo'), startMs);
  const tokens = tokenRegistry(options.tokens ?? [{ id: 'root@pam!panel', secret: 'SECRET' }]);

  /** @type {{create: number, delete: number, rollback: number}} */
  let durations = { create: 300, delete: 300, rollback: 300 };
  /** @param {SimulatorOptions['taskDurationMs']} d */
  const setTaskDuration = (d) => {
    if (typeof d === 'number') {
      checkDuration(d, 'taskDurationMs');
      durations = { create: d, delete: d, rollback: d };
    } else if (d && typeof d === 'object') {
      const base = d.default !== undefined ? checkDuration(d.default, 'taskDurationMs.default') : undefined;
      for (const k of /** @type {const} */ (['create', 'delete', 'rollback'])) {
        const v = d[k] ?? base;
        if (v !== undefined) durations[k] = checkDuration(v, `taskDurationMs.${k}`);
      }
    } else {
      throw simError('taskDurationMs must be a number or {create, delete, rollback, default}', 'INVALID_INPUT');
    }
  };
  if (options.taskDurationMs !== undefined) setTaskDuration(options.taskDurationMs);

  /** @param {string} node */
  const nodeSeconds = (node) => Math.floor((clock.now() + faults.skewMs(node)) / 1000);
  const tasks = createTaskRunner({ nodeSeconds, random, faults, durationMs: (kind) => durations[kind] ?? 300 });
  /** @type {SimInternals} */
  const internals = { state, clock, nodeSeconds, random, faults, tasks, tokens, requests: [] };
  const requestLogLimit = options.requestLogLimit ?? 50_000;
  if (!(Number.isInteger(requestLogLimit) && requestLogLimit > 0)) throw simError(`requestLogLimit must be a positive integer, got ${requestLogLimit}`, 'INVALID_INPUT');
  const corsLoopback = options.corsLoopback ?? false;
  if (typeof corsLoopback !== 'boolean') throw simError(`corsLoopback must be true or false, got ${corsLoopback}`, 'INVALID_INPUT');
  const api = createApiServer(internals, { tls: options.tls, authFailDelayMs: options.authFailDelayMs ?? 0, requestLogLimit, corsLoopback });
  const address = await api.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  /** @param {number} vmid */
  const guest = (vmid) => {
    const g = state.guests.get(Number(vmid));
    if (!g) throw simError(`no guest with vmid ${vmid}`, 'NOT_FOUND', { vmid });
    return g;
  };

  let closed = false;
  const sim = {
    /** Base URL without /api2/json, e.g. 'http://127.0.0.1:PORT'. */
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    clock,
    faults: {
      /** @param {import('./faults.mjs').FaultSettings} patch */
      set: (patch) => faults.set(patch),
      clear: () => faults.clear(),
      get: () => faults.get(),
    },
    /** Every request received, oldest first: {method, path, query, body, status}. */
    requests: internals.requests,
    /** @param {number} vmid live state copy */
    vm: (vmid) => guestCopy(guest(vmid)),
    vms: () => [...state.guests.values()].map(guestCopy),
    nodes: () => [...state.nodes],
    /** @param {number} vmid @param {string|null} lock e.g. 'backup'; null unlocks */
    setLock(vmid, lock) {
      if (lock !== null && (typeof lock !== 'string' || lock === '')) throw simError(`lock must be a non-empty string or null, got ${lock}`, 'INVALID_INPUT');
      guest(vmid).lock = lock;
    },
    /** @param {number} vmid @param {'running'|'stopped'} status */
    setStatus(vmid, status) {
      if (status !== 'running' && status !== 'stopped') throw simError(`status must be 'running' or 'stopped', got ${status}`, 'INVALID_INPUT');
      const g = guest(vmid);
      if (g.status !== status) g.startedAtMs = status === 'running' ? clock.now() : null;
      g.status = status;
    },
    /** @param {number} vmid @param {string} node */
    migrate(vmid, node) {
      if (!state.nodes.includes(node)) throw simError(`unknown node '${node}' (nodes: ${state.nodes.join(', ')})`, 'INVALID_INPUT', { node });
      guest(vmid).node = node;
    },
    /**
     * Put a snapshot straight into the config, no task.
     * @param {number} vmid
     * @param {{name: string, description?: string, snaptime?: number, ageSeconds?: number, vmstate?: 0|1|boolean, snapstate?: 'prepare'|'delete'|null, parent?: string|null}} s
     */
    addSnapshot(vmid, s) {
      const g = guest(vmid);
      if (typeof s?.name !== 'string' || !CONFIGID_RE.test(s.name) || s.name.length > 40) throw simError(`invalid snapshot name '${s?.name}'`, 'INVALID_NAME', { name: s?.name });
      if (g.snapshots.has(s.name)) throw simError(`snapshot '${s.name}' already exists on ${vmid}`, 'INVALID_INPUT', { name: s.name });
      const snaptime = s.snaptime ?? clock.seconds() - (s.ageSeconds ?? 0);
      if (!Number.isInteger(snaptime)) throw simError('snaptime must be integer epoch seconds', 'INVALID_INPUT');
      const others = [...g.snapshots.values()];
      const newest = others.every((o) => o.snaptime <= snaptime);
      // Default parent: the newest snapshot taken before this one.
      const older = others.filter((o) => o.snaptime <= snaptime).sort((a, b) => b.snaptime - a.snaptime)[0];
      g.snapshots.set(s.name, {
        name: s.name,
        description: s.description ?? '',
        snaptime,
        vmstate: g.type === 'qemu' && s.vmstate ? 1 : 0,
        parent: s.parent !== undefined ? s.parent : older?.name ?? null,
        snapstate: s.snapstate ?? null,
      });
      if (newest && s.parent === undefined) g.parent = s.name;
      return guestCopy(g);
    },
    /** @param {number|{create?: number, delete?: number, rollback?: number, default?: number}} d */
    setTaskDuration,
    /**
     * The next task on this guest ends with `TASK ERROR: message` (state unchanged).
     * @param {number} vmid @param {string} message
     */
    failNextTask(vmid, message) {
      guest(vmid);
      faults.armFailure(Number(vmid), String(message).replace(/\n+$/, ''));
    },
    /** @param {number} vmid @param {number} [count] the next task ends with `WARNINGS: count` */
    warnNextTask(vmid, count = 1) {
      guest(vmid);
      faults.armWarnings(Number(vmid), count);
    },
    /**
     * Leave a removal stuck as a crashed worker does: the snapshot keeps
     * snapstate 'delete', the guest keeps lock 'snapshot-delete', and a failed
     * delete task is on record. Returns that task's UPID.
     * @param {number} vmid @param {string} name
     */
    stuckDelete(vmid, name) {
      const g = guest(vmid);
      const snap = g.snapshots.get(name);
      if (!snap) throw simError(`no snapshot '${name}' on ${vmid}`, 'NOT_FOUND', { vmid, name });
      snap.snapstate = 'delete';
      g.lock = 'snapshot-delete';
      const op = deleteOperation(g, { snapname: name });
      const [firstToken] = tokens.keys();
      return tasks.record({
        node: g.node,
        vmid: g.vmid,
        user: firstToken ?? 'root@pam',
        type: op.taskType,
        exitstatus: op.stuckError ?? 'snapshot delete failed',
      });
    },
    /** @returns {{upid: string, status: string, exitstatus?: string, type: string, vmid: number, node: string, user: string}[]} */
    tasks: () => tasks.all().map((t) => ({ upid: t.upid, status: t.status, exitstatus: t.exitstatus, type: t.type, vmid: t.vmid, node: t.node, user: t.user })),
    /**
     * End running tasks now (hung ones too), as if their duration had passed.
     * @param {number} [vmid] only this guest's tasks
     * @returns {number} how many tasks ended
     */
    finishTasks: (vmid) => tasks.finishNow(vmid === undefined ? undefined : (t) => t.vmid === Number(vmid)),
    /** Resolves when no task is running (tasks hung on purpose do not count). */
    idle: () => tasks.idle(),
    /** Close the server, every socket and every timer. Safe to call twice. */
    async close() {
      if (closed) return;
      closed = true;
      tasks.close();
      await api.close();
    },
  };
  return sim;
}

/** @typedef {Awaited<ReturnType<typeof startSimulator>>} Simulator */
