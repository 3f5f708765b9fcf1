// Fault injection knobs, settable at start and at run time. Everything random
// goes through the seeded PRNG so a fault run can be replayed.

/**
 * @typedef {object} RequestMatch
 * @property {(string|RegExp)[]} [paths]   substring of the request path, or a RegExp
 * @property {string[]} [methods]         e.g. ['POST', 'DELETE']
 */

/**
 * @typedef {object} FaultSettings
 * @property {number} [latencyMs]     added before every answer
 * @property {number} [jitterMs]      plus a random 0..jitterMs
 * @property {number} [errorRate]     0..1: share of requests answered with a random 500/503
 * @property {(string|RegExp)[]|null} [errorPaths]   limit errorRate to these paths
 * @property {string[]|null} [errorMethods]          limit errorRate to these methods
 * @property {boolean|RequestMatch} [hang]           matching requests never get an answer
 * @property {boolean|number[]} [hangTasks]          new tasks (of these vmids) never finish
 * @property {boolean|number[]} [stuckDeletes]       delete tasks (of these vmids) fail and leave lock + snapstate
 * @property {number} [taskStatusLagMs] a fresh UPID answers "no such task" for this long (worker not yet logged)
 * @property {Record<string, number>} [nodeClockSkewMs] per node: its clock runs this far ahead (negative: behind)
 *   of the simulated clock; snaptime, UPID start and GET /nodes/{node}/time use it
 */

/** Proxmox-like answers for the random-error knob. */
const RANDOM_ERRORS = [
  { status: 500, message: "can't lock file '/var/lock/pve-manager/pveproxy.lck' - got timeout\n" },
  { status: 500, message: 'cluster not ready - no quorum?\n' },
  { status: 503, message: 'Service Unavailable\n' },
];

/** @returns {Required<FaultSettings>} */
function defaults() {
  return { latencyMs: 0, jitterMs: 0, errorRate: 0, errorPaths: null, errorMethods: null, hang: false, hangTasks: false, stuckDeletes: false, taskStatusLagMs: 0, nodeClockSkewMs: {} };
}

const KNOWN = new Set(Object.keys(defaults()));

/**
 * @param {FaultSettings} initial
 * @param {import('./random.mjs').SimRandom} random
 */
export function createFaults(initial, random) {
  let settings = defaults();
  /** @type {Map<number, string[]>} */
  const failNext = new Map();
  /** @type {Map<number, number[]>} */
  const warnNext = new Map();

  const api = {
    /**
     * Merge new settings over the current ones.
     * @param {FaultSettings} patch
     */
    set(patch = {}) {
      for (const [k, v] of Object.entries(patch)) {
        if (!KNOWN.has(k)) throw Object.assign(new Error(`unknown fault setting '${k}' (known: ${[...KNOWN].join(', ')})`), { code: 'INVALID_INPUT', details: { key: k } });
        if (['latencyMs', 'jitterMs', 'taskStatusLagMs'].includes(k) && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
          throw Object.assign(new Error(`fault '${k}' must be a number >= 0, got ${v}`), { code: 'INVALID_INPUT', details: { key: k } });
        }
        if (k === 'nodeClockSkewMs' && !(v && typeof v === 'object' && Object.values(v).every(Number.isFinite))) {
          throw Object.assign(new Error("fault 'nodeClockSkewMs' must map node names to milliseconds"), { code: 'INVALID_INPUT', details: { key: k } });
        }
        if (k === 'errorRate' && !(typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1)) {
          throw Object.assign(new Error(`fault 'errorRate' must be between 0 and 1, got ${v}`), { code: 'INVALID_INPUT', details: { key: k } });
        }
      }
      settings = { ...settings, ...patch };
      return api.get();
    },
    /** Everything off, armed task failures forgotten. */
    clear() {
      settings = defaults();
      failNext.clear();
      warnNext.clear();
    },
    /** @returns {Required<FaultSettings>} */
    get: () => ({ ...settings }),

    /** @param {number} vmid @param {string} message */
    armFailure(vmid, message) {
      const q = failNext.get(vmid) ?? [];
      q.push(message);
      failNext.set(vmid, q);
    },
    /** @param {number} vmid @returns {string|undefined} */
    takeFailure(vmid) {
      const q = failNext.get(vmid);
      const m = q?.shift();
      if (q && q.length === 0) failNext.delete(vmid);
      return m;
    },
    /** @param {number} vmid @param {number} count */
    armWarnings(vmid, count) {
      const q = warnNext.get(vmid) ?? [];
      q.push(count);
      warnNext.set(vmid, q);
    },
    /** @param {number} vmid @returns {number} */
    takeWarnings(vmid) {
      const q = warnNext.get(vmid);
      const n = q?.shift() ?? 0;
      if (q && q.length === 0) warnNext.delete(vmid);
      return n;
    },

    /** Delay before answering this request, ms. */
    delayMs() {
      const jitter = settings.jitterMs > 0 ? random.next() * settings.jitterMs : 0;
      return settings.latencyMs + jitter;
    },
    /** @param {string} method @param {string} path */
    shouldHang(method, path) {
      const h = settings.hang;
      if (!h) return false;
      return h === true || matches(h, method, path);
    },
    /**
     * A random error for this request, or null.
     * @param {string} method @param {string} path
     * @returns {{status: number, message: string}|null}
     */
    randomError(method, path) {
      if (!(settings.errorRate > 0)) return null;
      if (!matches({ paths: settings.errorPaths ?? undefined, methods: settings.errorMethods ?? undefined }, method, path)) return null;
      if (random.next() >= settings.errorRate) return null;
      return RANDOM_ERRORS[random.int(RANDOM_ERRORS.length)];
    },
    /** @param {string} node */
    skewMs: (node) => settings.nodeClockSkewMs?.[node] ?? 0,
    /** @param {number} vmid */
    tasksHang: (vmid) => listed(settings.hangTasks, vmid),
    /** @param {number} vmid */
    deletesStick: (vmid) => listed(settings.stuckDeletes, vmid),
  };
  api.set(initial);
  return api;
}

/** @param {boolean|number[]} setting @param {number} vmid */
function listed(setting, vmid) {
  return setting === true || (Array.isArray(setting) && setting.map(Number).includes(vmid));
}

/** @param {RequestMatch} m @param {string} method @param {string} path */
function matches(m, method, path) {
  if (m.methods?.length && !m.methods.map((x) => x.toUpperCase()).includes(method)) return false;
  if (m.paths?.length && !m.paths.some((p) => (p instanceof RegExp ? p.test(path) : path.includes(p)))) return false;
  return true;
}

/** @typedef {ReturnType<typeof createFaults>} Faults */
