// Loads and validates the shared JSON config of the panel server and the
// expiry job. Every problem found is reported at once, each with the JSON path
// it concerns, so an administrator fixes the file in one go. The loader reads
// files only (the config, the token secret, the CA file); it never touches the
// network. Product policies are normalised by the rules core, not here, so the
// job, the server and the page agree on what a policy means.
import { readFile, access, constants as fsConstants } from 'node:fs/promises';
import { inspect } from 'node:util';
import { isIPv4 } from 'node:net';

/** Defaults for the `job` section (the expiry job). */
export const JOB_DEFAULTS = Object.freeze({
  concurrency: 8,
  perNode: 2,
  taskTimeoutMs: 600_000,
  // A run stops starting new deletes after this long, and its lock file counts
  // as stale once it is older than maxRunMs + taskTimeoutMs (see cron/README.md).
  maxRunMs: 3_600_000,
  // A node whose clock is further than this from the job host's is not
  // trusted to say what has expired (see cron/README.md, "Which clock").
  maxClockSkewMs: 3_600_000,
  stateDir: '/var/lib/pve-snapshots',
});

const PVE_DEFAULTS = Object.freeze({ timeoutMs: 15_000, insecure: false });

const PVE_KEYS = ['url', 'tokenId', 'tokenSecretFile', 'fingerprint', 'caFile', 'insecure', 'timeoutMs'];
const SERVICE_KEYS = ['id', 'customer', 'vmid', 'type', 'product', 'name'];

// Proxmox's own token id syntax: user@realm!tokenid (pve-access-control
// split_tokenid; see shared/pve-api/FACTS.md §7).
const TOKEN_ID_RE = /^[^\s:/@!]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$/;
const FINGERPRINT_RE = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;
const PRODUCT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Thrown for every problem with the config file or its environment overrides.
 * `details.problems` lists each problem as `{path, message}`.
 */
export class ConfigError extends Error {
  /**
   * @param {string} message
   * @param {{problems?: {path: string, message: string}[], file?: string}} [details]
   */
  constructor(message, details = {}) {
    super(message);
    this.name = 'ConfigError';
    /** @type {'CONFIG_INVALID'} */
    this.code = 'CONFIG_INVALID';
    this.details = details;
  }
}

/**
 * @typedef {object} PveSettings
 * @property {string} url          base URL, e.g. https://pve1.example.net:8006 (no trailing slash)
 * @property {string} tokenId      user@realm!tokenid
 * @property {string} tokenSecret  never printed: JSON.stringify and util.inspect redact it
 * @property {string|null} fingerprint  SHA-256 certificate fingerprint, upper-case AA:BB:…
 * @property {string|null} caFile
 * @property {boolean} insecure
 * @property {number} timeoutMs
 *
 * @typedef {object} Policy
 * @property {number} maxSnapshots
 * @property {number} lifetimeDays
 * @property {boolean} includeRam
 * @property {string} namePrefix
 * @property {boolean} rollbackLatestOnly
 *
 * @typedef {object} Service
 * @property {string} id
 * @property {string} customer
 * @property {number} vmid
 * @property {'qemu'|'lxc'} type
 * @property {string} product
 * @property {string|null} name
 *
 * @typedef {object} JobSettings
 * @property {number} concurrency
 * @property {number} perNode
 * @property {number} taskTimeoutMs
 * @property {number} maxRunMs
 * @property {number} maxClockSkewMs
 * @property {string} stateDir
 *
 * @typedef {object} Config
 * @property {PveSettings} pve
 * @property {Record<string, Policy>} products
 * @property {Service[]} services
 * @property {unknown} customers  passed through unchanged (the server validates it); undefined when absent
 * @property {JobSettings} job
 * @property {string} file  the path the config was read from
 */

/**
 * Reads, validates and normalises the config file.
 * The token secret comes from env PVE_TOKEN_SECRET, else from the file named
 * by pve.tokenSecretFile; env PVE_URL and PVE_TOKEN_ID override pve.url and
 * pve.tokenId. Top-level sections this loader does not know (e.g. one the
 * server adds for itself) are passed through unchanged.
 * @param {string} path
 * @param {{env?: Record<string, string|undefined>}} [options]
 * @returns {Promise<Config>}
 * @throws {ConfigError} with code CONFIG_INVALID for every problem found
 */
export async function loadConfig(path, { env = process.env } = {}) {
  if (typeof path !== 'string' || path === '') {
    throw new ConfigError('config: no config file given (use --config FILE)', { problems: [{ path: 'config', message: 'no config file given' }] });
  }
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw problem(path, '(file)', `cannot read the config file: ${err.code ?? err.message}`);
  }
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw problem(path, '(file)', `not valid JSON: ${err.message}`);
  }
  if (!isPlainObject(raw)) throw problem(path, '(root)', 'must be a JSON object');

  const problems = new Problems();
  const pve = await checkPve(raw.pve, env, problems);
  const products = await checkProducts(raw.products, problems);
  const declared = new Set(isPlainObject(raw.products) ? Object.keys(raw.products) : []);
  const services = checkServices(raw.services, products, problems, declared);
  const job = checkJob(raw.job, problems);
  if (problems.list.length > 0) {
    const shown = problems.list.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new ConfigError(`${path}: ${shown}`, { problems: problems.list, file: path });
  }
  const { pve: _p, products: _pr, services: _s, job: _j, ...others } = raw;
  return { ...others, pve, products, services, customers: raw.customers, job, file: path };
}

class Problems {
  constructor() { /** @type {{path: string, message: string}[]} */ this.list = []; }
  /** @param {string} path @param {string} message */
  add(path, message) { this.list.push({ path, message }); }
}

/** @param {string} file @param {string} path @param {string} message */
function problem(file, path, message) {
  return new ConfigError(`${file}: ${path}: ${message}`, { problems: [{ path, message }], file });
}

/** @param {unknown} v @returns {v is Record<string, unknown>} */
function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** @param {unknown} v @returns {v is string} */
function isNonEmptyString(v) {
  return typeof v === 'string' && v.trim() !== '';
}

/** @param {string} base @param {string} key */
function keyPath(base, key) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/**
 * @param {unknown} value @param {string} path @param {Problems} problems
 * @param {{min: number, max: number, fallback: number}} range
 */
function integerIn(value, path, problems, { min, max, fallback }) {
  if (value === undefined) return fallback;
  const n = /** @type {number} */ (value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    problems.add(path, `must be an integer from ${min} to ${max}`);
    return fallback;
  }
  return n;
}

/** @param {unknown} raw @param {Record<string, string|undefined>} env @param {Problems} problems */
async function checkPve(raw, env, problems) {
  if (!isPlainObject(raw)) {
    problems.add('pve', 'missing or not an object (needs url and tokenId)');
    raw = {};
  }
  const section = /** @type {Record<string, unknown>} */ (raw);
  for (const key of Object.keys(section)) {
    if (key === 'tokenSecret') {
      problems.add('pve.tokenSecret', 'the token secret must not be in the config: set env PVE_TOKEN_SECRET or pve.tokenSecretFile');
    } else if (!PVE_KEYS.includes(key)) {
      problems.add(keyPath('pve', key), `unknown setting (known: ${PVE_KEYS.join(', ')})`);
    }
  }

  const urlFromEnv = isNonEmptyString(env.PVE_URL);
  const urlPath = urlFromEnv ? 'env PVE_URL' : 'pve.url';
  const url = checkUrl(urlFromEnv ? env.PVE_URL : section.url, urlPath, problems);

  const idFromEnv = isNonEmptyString(env.PVE_TOKEN_ID);
  const idPath = idFromEnv ? 'env PVE_TOKEN_ID' : 'pve.tokenId';
  const tokenId = idFromEnv ? env.PVE_TOKEN_ID : section.tokenId;
  if (!isNonEmptyString(tokenId)) {
    problems.add(idPath, 'missing: the API token id, e.g. "snap@pve!panel"');
  } else if (!TOKEN_ID_RE.test(tokenId)) {
    problems.add(idPath, `must look like user@realm!tokenid, got ${JSON.stringify(tokenId)}`);
  }

  const tokenSecret = await readSecret(section.tokenSecretFile, env, problems);

  let fingerprint = null;
  if (section.fingerprint !== undefined && section.fingerprint !== null) {
    const fp = typeof section.fingerprint === 'string' ? section.fingerprint.trim().toUpperCase() : '';
    if (!FINGERPRINT_RE.test(fp)) {
      problems.add('pve.fingerprint', 'must be a SHA-256 certificate fingerprint: 32 hex byte pairs separated by ":"');
    } else {
      fingerprint = fp;
    }
  }

  let caFile = null;
  if (section.caFile !== undefined && section.caFile !== null) {
    if (!isNonEmptyString(section.caFile)) {
      problems.add('pve.caFile', 'must be a file path or null');
    } else {
      try {
        await access(/** @type {string} */ (section.caFile), fsConstants.R_OK);
        caFile = /** @type {string} */ (section.caFile);
      } catch (err) {
        problems.add('pve.caFile', `cannot read ${JSON.stringify(section.caFile)}: ${err.code ?? err.message}`);
      }
    }
  }

  let insecure = /** @type {boolean} */ (PVE_DEFAULTS.insecure);
  if (section.insecure !== undefined) {
    if (typeof section.insecure !== 'boolean') problems.add('pve.insecure', 'must be true or false');
    else insecure = section.insecure;
  }
  // The token would cross the network in clear text (the client refuses it too).
  if (url.startsWith('http:') && !insecure && !isLoopback(new URL(url).hostname)) {
    problems.add(urlPath, 'plain http:// is only for a simulator on this machine (127.0.0.1, ::1, localhost): use https:// (or set pve.insecure)');
  }
  const timeoutMs = integerIn(section.timeoutMs, 'pve.timeoutMs', problems, { min: 100, max: 600_000, fallback: PVE_DEFAULTS.timeoutMs });

  const pve = { url, tokenId: /** @type {string} */ (tokenId), tokenSecret, fingerprint, caFile, insecure, timeoutMs };
  hideSecret(pve);
  return pve;
}

/** @param {string} host */
function isLoopback(host) {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIPv4(h) && h.startsWith('127.'));
}

/** @param {unknown} value @param {string} path @param {Problems} problems */
function checkUrl(value, path, problems) {
  if (!isNonEmptyString(value)) {
    problems.add(path, 'missing: the Proxmox URL, e.g. "https://pve1.example.net:8006"');
    return '';
  }
  let url;
  try {
    url = new URL(/** @type {string} */ (value));
  } catch {
    problems.add(path, `not a URL: ${JSON.stringify(value)}`);
    return '';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.add(path, `must start with https:// (or http:// for a local simulator), got ${url.protocol}`);
  } else if (url.username || url.password) {
    problems.add(path, 'must not contain credentials: use pve.tokenId and the token secret');
  } else if (url.pathname !== '/' || url.search || url.hash) {
    problems.add(path, 'must be the base URL only (scheme, host, port), without /api2/json or any path');
  }
  return url.origin;
}

/**
 * @param {unknown} file @param {Record<string, string|undefined>} env @param {Problems} problems
 * @returns {Promise<string>}
 */
async function readSecret(file, env, problems) {
  if (isNonEmptyString(env.PVE_TOKEN_SECRET)) return /** @type {string} */ (env.PVE_TOKEN_SECRET).trim();
  if (file === undefined || file === null) {
    problems.add('pve.tokenSecretFile', 'no token secret: set env PVE_TOKEN_SECRET or name a file in pve.tokenSecretFile');
    return '';
  }
  if (!isNonEmptyString(file)) {
    problems.add('pve.tokenSecretFile', 'must be a file path');
    return '';
  }
  let secret;
  try {
    secret = (await readFile(/** @type {string} */ (file), 'utf8')).trim();
  } catch (err) {
    // The error code only: never echo anything read from the secret file.
    problems.add('pve.tokenSecretFile', `cannot read ${JSON.stringify(file)}: ${err.code ?? 'read error'}`);
    return '';
  }
  if (secret === '') problems.add('pve.tokenSecretFile', `${JSON.stringify(file)} is empty`);
  else if (/[\s=]/.test(secret)) problems.add('pve.tokenSecretFile', `${JSON.stringify(file)} does not hold a single token secret (found whitespace or "=")`);
  return secret;
}

/**
 * Keeps the secret usable (`pve.tokenSecret`) but out of JSON dumps and
 * console.log output, so a config printed for debugging cannot leak it.
 * @param {Record<string, unknown>} pve
 */
function hideSecret(pve) {
  const redacted = () => ({ ...pve, tokenSecret: pve.tokenSecret ? '[redacted]' : '' });
  Object.defineProperty(pve, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(pve, inspect.custom, { value: () => redacted(), enumerable: false });
}

/** @param {unknown} raw @param {Problems} problems @returns {Promise<Record<string, Policy>>} */
async function checkProducts(raw, problems) {
  /** @type {Record<string, Policy>} */
  const products = {};
  if (raw === undefined) return products;
  if (!isPlainObject(raw)) {
    problems.add('products', 'must be an object mapping product ids to policies');
    return products;
  }
  const entries = Object.entries(raw);
  if (entries.length === 0) return products;
  // Loaded only when there is a policy to check, so the loader works (and
  // reports other problems) even where the wasm package is not built yet.
  const core = await import('./core.mjs');
  for (const [id, policy] of entries) {
    const path = keyPath('products', id);
    if (!PRODUCT_ID_RE.test(id)) {
      problems.add(path, 'product ids are 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit');
      continue;
    }
    if (!isPlainObject(policy)) {
      problems.add(path, 'must be an object such as {"maxSnapshots": 3, "lifetimeDays": 3}');
      continue;
    }
    try {
      products[id] = core.validatePolicy(/** @type {any} */ (policy));
    } catch (err) {
      problems.add(...policyProblem(path, err));
    }
  }
  return products;
}

/**
 * The core names the field as `policy.lifetimeDays` and prefixes its message
 * with it; re-anchor both at the product's place in the config file.
 * @param {string} path @param {any} err @returns {[string, string]}
 */
function policyProblem(path, err) {
  const message = String(err?.message ?? err);
  const field = err?.details?.field;
  if (typeof field !== 'string' || !field.startsWith('policy')) return [path, message];
  const rest = field.slice('policy'.length);
  const stripped = message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  return [`${path}${rest}`, stripped];
}

/**
 * @param {unknown} raw @param {Record<string, Policy>} products @param {Problems} problems
 * @param {Set<string>} declaredProducts  ids present in the file, valid or not (an invalid
 *   policy is reported once, at the product, not again at each service using it)
 * @returns {Service[]}
 */
function checkServices(raw, products, problems, declaredProducts) {
  /** @type {Service[]} */
  const services = [];
  if (raw === undefined) return services;
  if (!Array.isArray(raw)) {
    problems.add('services', 'must be an array of services');
    return services;
  }
  const ids = new Map();
  const vmids = new Map();
  raw.forEach((entry, i) => {
    const path = `services[${i}]`;
    if (!isPlainObject(entry)) {
      problems.add(path, 'must be an object {id, customer, vmid, type, product, name}');
      return;
    }
    const before = problems.list.length;
    for (const key of Object.keys(entry)) {
      if (!SERVICE_KEYS.includes(key)) problems.add(keyPath(path, key), `unknown setting (known: ${SERVICE_KEYS.join(', ')})`);
    }
    const { id, customer, vmid, product, name } = /** @type {Record<string, any>} */ (entry);
    const type = /** @type {'qemu'|'lxc'} */ (entry.type ?? 'qemu');
    if (!isNonEmptyString(id)) problems.add(`${path}.id`, 'must be a non-empty string');
    else if (ids.has(id)) problems.add(`${path}.id`, `duplicate service id ${JSON.stringify(id)} (also services[${ids.get(id)}])`);
    else ids.set(id, i);
    if (!isNonEmptyString(customer)) problems.add(`${path}.customer`, 'must be a non-empty string (the customer\'s username)');
    if (!Number.isSafeInteger(vmid) || vmid < 100 || vmid > 999_999_999) {
      problems.add(`${path}.vmid`, 'must be an integer from 100 to 999999999');
    } else if (vmids.has(vmid)) {
      // VM ids are unique across qemu and lxc in a Proxmox cluster, so the
      // same id twice is a mistake even with different types.
      problems.add(`${path}.vmid`, `duplicate VM ${type}/${vmid} (also services[${vmids.get(vmid)}]; VM ids are unique in a cluster)`);
    } else {
      vmids.set(vmid, i);
    }
    if (type !== 'qemu' && type !== 'lxc') problems.add(`${path}.type`, `must be "qemu" or "lxc", got ${JSON.stringify(type)}`);
    if (!isNonEmptyString(product)) problems.add(`${path}.product`, 'must name a product');
    else if (!Object.hasOwn(products, product) && !declaredProducts.has(product)) {
      problems.add(`${path}.product`, `unknown product ${JSON.stringify(product)} (known: ${[...declaredProducts].join(', ') || 'none'})`);
    }
    if (name !== undefined && name !== null && typeof name !== 'string') problems.add(`${path}.name`, 'must be a string');
    if (problems.list.length === before) {
      services.push({ id, customer, vmid, type, product, name: name ?? null });
    }
  });
  return services;
}

/** @param {unknown} raw @param {Problems} problems @returns {JobSettings} */
function checkJob(raw, problems) {
  if (raw === undefined) return { ...JOB_DEFAULTS };
  if (!isPlainObject(raw)) {
    problems.add('job', 'must be an object');
    return { ...JOB_DEFAULTS };
  }
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(JOB_DEFAULTS, key)) problems.add(keyPath('job', key), `unknown setting (known: ${Object.keys(JOB_DEFAULTS).join(', ')})`);
  }
  const concurrency = integerIn(raw.concurrency, 'job.concurrency', problems, { min: 1, max: 256, fallback: JOB_DEFAULTS.concurrency });
  const perNode = integerIn(raw.perNode, 'job.perNode', problems, { min: 1, max: 64, fallback: JOB_DEFAULTS.perNode });
  const taskTimeoutMs = integerIn(raw.taskTimeoutMs, 'job.taskTimeoutMs', problems, { min: 100, max: 86_400_000, fallback: JOB_DEFAULTS.taskTimeoutMs });
  const maxRunMs = integerIn(raw.maxRunMs, 'job.maxRunMs', problems, { min: 1000, max: 7 * 86_400_000, fallback: JOB_DEFAULTS.maxRunMs });
  const maxClockSkewMs = integerIn(raw.maxClockSkewMs, 'job.maxClockSkewMs', problems, { min: 1000, max: 3650 * 86_400_000, fallback: JOB_DEFAULTS.maxClockSkewMs });
  let stateDir = /** @type {string} */ (JOB_DEFAULTS.stateDir);
  if (raw.stateDir !== undefined) {
    if (!isNonEmptyString(raw.stateDir)) problems.add('job.stateDir', 'must be a directory path');
    else stateDir = /** @type {string} */ (raw.stateDir);
  }
  return { concurrency, perNode, taskTimeoutMs, maxRunMs, maxClockSkewMs, stateDir };
}
