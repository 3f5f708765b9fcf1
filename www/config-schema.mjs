// The shared JSON config of the panel server and the expiry job, as one zod
// schema. Rules the core owns are asked of the core (a product's policy,
// a service's VM id and type), so the config, the job, the server and the
// page agree on them. The token secret is not part of the file; config.mjs
// reads it from the environment or the file named by pve.tokenSecretFile.
import { access, constants as fsConstants } from 'node:fs/promises';
import { z } from 'zod';
import * as core from './core.mjs';
import { coreChecked } from './core-schema.mjs';
import { isLoopbackHost, isTokenId } from './pve/endpoint.mjs';
import { normaliseFingerprint } from './pve/tls-agent.mjs';
import { isPasswordHash } from './server/passwords.mjs';

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
  // The job removes audit entries older than this.
  auditRetentionDays: 400,
  // How often cron starts the job (hourly in the README's cron line): the
  // operator's view alerts when no run has succeeded for twice this.
  intervalMinutes: 60,
});

const PRODUCT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

// Services name no node (VMs migrate; the node comes from the cluster at run
// time), but the core checks a whole target: a valid stand-in fills the gap.
const STAND_IN_NODE = 'localhost';

// A check that must also report when a sibling field failed, so every
// problem in the file is listed at once. Its argument is then the partly
// parsed value: a failed field holds its raw input or an aborted marker, so
// it reads only what it has checked the type of.
const ALWAYS = { when: () => true };

/**
 * An object with exactly these keys; `what` is the message when the value is
 * not an object at all. Keys in `hidden` are accepted by the shape (to give
 * them a message of their own) but not listed as settings.
 * @template {z.core.$ZodLooseShape} S
 * @param {S} shape @param {string} what @param {string[]} [hidden]
 */
function section(shape, what, hidden = []) {
  const known = Object.keys(shape).filter((k) => !hidden.includes(k)).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown setting (known: ${known})` : what),
  });
}

// Checks after nonBlank skip a blank string: it already has its problem.
// (An aborting refine would stop the ALWAYS checks of the enclosing object.)
/** @param {string} s */
const blank = (s) => s.trim() === '';

/** A string with something other than spaces in it. @param {string} message */
function nonBlank(message) {
  return z.string({ error: message }).refine((s) => !blank(s), { error: message });
}

/** @param {number} min @param {number} max @param {number} fallback */
function integerIn(min, max, fallback) {
  const error = `must be an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error }).default(fallback);
}

/** @param {unknown} v @returns {v is Record<string, unknown>} */
function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A URL field's text parsed, or null with the problem reported on the field.
 * @param {string} text @param {z.core.$RefinementCtx<string>} ctx
 * @returns {URL | null}
 */
function parsedUrl(text, ctx) {
  try {
    return new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not a URL: ${JSON.stringify(text)}` });
    return null;
  }
}

/**
 * The Proxmox base URL, normalised to its origin.
 * @param {string} text @param {z.core.$RefinementCtx<string>} ctx
 */
function baseUrl(text, ctx) {
  const url = parsedUrl(text, ctx);
  if (!url) return z.NEVER;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    ctx.addIssue({ code: 'custom', message: `must start with https:// (or http:// for a local simulator), got ${url.protocol}` });
  } else if (url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must not contain credentials: use pve.tokenId and the token secret' });
  } else if (url.pathname !== '/' || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must be the base URL only (scheme, host, port), without /api2/json or any path' });
  } else {
    return url.origin;
  }
  return z.NEVER;
}

/** @param {string} file @param {z.core.$RefinementCtx<string>} ctx */
async function readable(file, ctx) {
  if (blank(file)) return;
  try {
    await access(file, fsConstants.R_OK);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${JSON.stringify(file)}: ${/** @type {any} */ (err).code ?? /** @type {Error} */ (err).message}` });
  }
}

const pveSchema = section({
  url: nonBlank('missing: the Proxmox URL, e.g. "https://pve1.example.net:8006"').transform(baseUrl),
  tokenId: nonBlank('missing: the API token id, e.g. "snap@pve!panel"')
    .refine((id) => blank(id) || isTokenId(id), { error: (issue) => `must look like user@realm!tokenid, got ${JSON.stringify(issue.input)}` }),
  tokenSecret: z.never({ error: 'the token secret must not be in the config: set env PVE_TOKEN_SECRET or pve.tokenSecretFile' }).optional(),
  tokenSecretFile: nonBlank('must be a file path').nullish(),
  fingerprint: z.unknown().optional().transform((value, ctx) => {
    if (value === undefined || value === null) return null;
    const pin = normaliseFingerprint(value);
    if (pin === null) ctx.addIssue({ code: 'custom', message: 'must be a SHA-256 certificate fingerprint: 64 hex digits, in pairs separated by ":" or not' });
    return pin ?? z.NEVER;
  }),
  caFile: nonBlank('must be a file path or null').superRefine(readable).nullish().transform((v) => v ?? null),
  insecure: z.boolean({ error: 'must be true or false' }).default(false),
  timeoutMs: integerIn(100, 600_000, 15_000),
}, 'missing or not an object (needs url and tokenId)', ['tokenSecret']).superRefine((pve, ctx) => {
  // The token would cross the network in clear text (the client refuses it too).
  if (!isPlainObject(pve)) return;
  const { url, insecure } = pve;
  if (typeof url !== 'string' || insecure === true) return;
  let parsed;
  try { parsed = new URL(url); } catch { return; }
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'plain http:// is only for a simulator on this machine (127.0.0.1, ::1, localhost): use https:// (or set pve.insecure)' });
  }
}, ALWAYS);

const policySchema = coreChecked('policy', (policy) => core.validatePolicy(/** @type {any} */ (policy)));

const productsSchema = z.record(
  z.string().regex(PRODUCT_ID_RE, { error: 'product ids are 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit' }),
  policySchema,
  { error: 'must be an object mapping product ids to policies' },
);

const serviceSchema = section({
  id: nonBlank('must be a non-empty string'),
  customer: nonBlank('must be a non-empty string (the customer\'s username)'),
  vmid: coreChecked('target.vmid', (vmid) => core.validateTarget({ node: STAND_IN_NODE, vmid: /** @type {number} */ (vmid) }).vmid),
  // The core fills in "qemu" when absent; its answer always has a type.
  type: coreChecked('target.type', (type) => /** @type {'qemu'|'lxc'} */ (core.validateTarget({
    node: STAND_IN_NODE, vmid: core.limits().vmidMin, type: /** @type {any} */ (type),
  }).type)),
  product: nonBlank('must name a product'),
  name: z.string({ error: 'must be a string' }).nullish().transform((v) => v ?? null),
}, 'must be an object {id, customer, vmid, type, product, name}');

const servicesSchema = z.array(serviceSchema, { error: 'must be an array of services' }).superRefine((services, ctx) => {
  /** @type {Map<string, number>} */
  const ids = new Map();
  /** @type {Map<number, number>} */
  const vmids = new Map();
  if (!Array.isArray(services)) return;
  services.forEach((entry, i) => {
    if (!isPlainObject(entry)) return;
    const { id, vmid, type } = entry;
    if (typeof id === 'string' && id.trim() !== '') {
      const first = ids.get(id);
      if (first === undefined) ids.set(id, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate service id ${JSON.stringify(id)} (also services[${first}])` });
    }
    // Only a VM id the core accepted is a number here.
    if (typeof vmid === 'number') {
      const first = vmids.get(vmid);
      // VM ids are unique across qemu and lxc in a Proxmox cluster, so the
      // same id twice is a mistake even with different types.
      if (first === undefined) vmids.set(vmid, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'vmid'], message: `duplicate VM ${typeof type === 'string' ? type : '?'}/${vmid} (also services[${first}]; VM ids are unique in a cluster)` });
    }
  });
}, ALWAYS);

const jobSchema = section({
  concurrency: integerIn(1, 256, JOB_DEFAULTS.concurrency),
  perNode: integerIn(1, 64, JOB_DEFAULTS.perNode),
  taskTimeoutMs: integerIn(100, 86_400_000, JOB_DEFAULTS.taskTimeoutMs),
  maxRunMs: integerIn(1000, 7 * 86_400_000, JOB_DEFAULTS.maxRunMs),
  maxClockSkewMs: integerIn(1000, 3650 * 86_400_000, JOB_DEFAULTS.maxClockSkewMs),
  stateDir: nonBlank('must be a directory path').default(JOB_DEFAULTS.stateDir),
  auditRetentionDays: integerIn(1, 36_500, JOB_DEFAULTS.auditRetentionDays),
  intervalMinutes: integerIn(1, 7 * 24 * 60, JOB_DEFAULTS.intervalMinutes),
}, 'must be an object');

const hostKeySchema = section({
  name: z.string({ error: 'must be a string' }).regex(PRODUCT_ID_RE, { error: 'must be 1 to 64 letters, digits, ".", "_" or "-"' }),
  sha256: z.string({ error: 'must be a string' })
    .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be the 64 hex digits of the key\'s SHA-256 (make a key with node www/server/host-key.mjs)' })
    .transform((h) => h.toLowerCase()),
}, 'must be an object {name, sha256}');

/** @param {string} text @param {z.core.$RefinementCtx<string>} ctx */
function publicUrl(text, ctx) {
  const url = parsedUrl(text, ctx);
  if (!url) return z.NEVER;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    ctx.addIssue({ code: 'custom', message: 'must start with https:// (http:// only for this machine): sign-on links carry a secret' });
  } else if (url.username || url.password || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must be the address customers open the panel at, without credentials, query or fragment' });
  } else {
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  }
  return z.NEVER;
}

// The host API (a billing panel provisioning services): keys as SHA-256
// hashes only, the URL sign-on links are built from, and their lifetime.
const hostApiSchema = section({
  keys: z.array(hostKeySchema, { error: 'must be an array of {name, sha256}' })
    .min(1, { error: 'needs at least one key (node www/server/host-key.mjs prints one)' })
    .superRefine((keys, ctx) => {
      /** @type {Set<string>} */
      const seen = new Set();
      keys.forEach((k, i) => {
        if (!isPlainObject(k) || typeof k.name !== 'string') return;
        if (seen.has(k.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate key name ${JSON.stringify(k.name)}` });
        seen.add(k.name);
      });
    }, ALWAYS),
  publicUrl: nonBlank('missing: where customers open the panel, e.g. "https://snapshots.example.net"').transform(publicUrl),
  ssoTtlSeconds: integerIn(1, 60, 60),
}, 'must be an object {keys, publicUrl, ssoTtlSeconds}');

// Operators sign in to /admin. Their usernames share the customers' shape
// (no ":"), so the server's "operator:" session namespace is theirs alone.
const OPERATOR_USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const operatorSchema = section({
  username: z.string({ error: 'must be a string' })
    .regex(OPERATOR_USERNAME_RE, { error: 'must be 1 to 64 characters of letters, digits, . _ @ - starting with a letter or digit' }),
  displayName: z.string({ error: 'must be a string' }).max(100, { error: 'must be at most 100 characters' }).optional(),
  passwordHash: z.string({ error: 'must be a string' }).refine(isPasswordHash, {
    error: 'must be "scrypt$<salt b64>$<hash b64>" (make one with node www/server/hash-password.mjs)',
  }),
}, 'must be an object {username, displayName, passwordHash}');

const operatorsSchema = z.array(operatorSchema, { error: 'must be an array of {username, displayName, passwordHash}' })
  .superRefine((operators, ctx) => {
    /** @type {Set<string>} */
    const seen = new Set();
    if (!Array.isArray(operators)) return;
    operators.forEach((o, i) => {
      if (!isPlainObject(o) || typeof o.username !== 'string') return;
      if (seen.has(o.username)) ctx.addIssue({ code: 'custom', path: [i, 'username'], message: `duplicate operator ${JSON.stringify(o.username)}` });
      seen.add(o.username);
    });
  }, ALWAYS);

/** Defaults and bounds of the `notify` section (notices before expiry). */
export const NOTIFY_DEFAULTS = Object.freeze({
  beforeHours: 24,
  // One request, and all notices of a run together: a slow or dead receiver
  // must never hold a run for long.
  timeoutMs: 10_000,
  budgetMs: 30_000,
});

/**
 * The receiver's URL: https, or plain http only to this machine (the notice
 * is signed, but its content would cross the network in clear text).
 * @param {string} text @param {z.core.$RefinementCtx<string>} ctx
 */
function noticeUrl(text, ctx) {
  const url = parsedUrl(text, ctx);
  if (!url) return z.NEVER;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    ctx.addIssue({ code: 'custom', message: `must start with https://, got ${url.protocol}` });
  } else if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    ctx.addIssue({ code: 'custom', message: 'plain http:// is only for a receiver on this machine (127.0.0.1, ::1, localhost): use https://' });
  } else if (url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must not contain credentials: notices are signed with the notify secret' });
  } else if (url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must not contain a #fragment' });
  } else {
    return url.href;
  }
  return z.NEVER;
}

const notifySchema = section({
  url: nonBlank('missing: the URL notices are POSTed to, e.g. "https://billing.example.net/pve-snapshots/notice"').transform(noticeUrl),
  secret: z.never({ error: 'the notify secret must not be in the config: set env NOTIFY_SECRET or notify.secretFile' }).optional(),
  secretFile: nonBlank('must be a file path').nullish(),
  caFile: nonBlank('must be a file path or null').superRefine(readable).nullish().transform((v) => v ?? null),
  beforeHours: integerIn(1, 240, NOTIFY_DEFAULTS.beforeHours),
  timeoutMs: integerIn(100, 10_000, NOTIFY_DEFAULTS.timeoutMs),
  budgetMs: integerIn(100, 30_000, NOTIFY_DEFAULTS.budgetMs),
}, 'must be an object (needs url) or null', ['secret']);

/**
 * The config file. Top-level sections it does not name (e.g. one the server
 * adds for itself) are not checked here; loadConfig passes them through.
 */
export const configSchema = z.object({
  pve: pveSchema,
  products: productsSchema.default(() => ({})),
  services: servicesSchema.default(() => []),
  // The server checks its customers itself.
  customers: z.unknown().optional(),
  job: jobSchema.prefault({}),
  hostApi: hostApiSchema.optional(),
  // Who may sign in to /admin; absent or empty: nobody (the page still loads).
  operators: operatorsSchema.default(() => []),
  // Absent or null: no notices.
  notify: notifySchema.nullish().transform((v) => v ?? null),
}, { error: 'must be a JSON object' }).superRefine((config, ctx) => {
  // A service's product must be one the file declares. One whose policy the
  // core refused is declared: it is reported once, at the product.
  if (!isPlainObject(config)) return;
  const { products, services } = config;
  if (!Array.isArray(services)) return;
  const declared = isPlainObject(products) ? Object.keys(products) : [];
  services.forEach((entry, i) => {
    const product = isPlainObject(entry) ? entry.product : undefined;
    if (typeof product !== 'string' || product.trim() === '' || declared.includes(product)) return;
    ctx.addIssue({ code: 'custom', path: ['services', i, 'product'], message: `unknown product ${JSON.stringify(product)} (known: ${declared.join(', ') || 'none'})` });
  });
}, ALWAYS);

/** @typedef {z.output<typeof configSchema>} ConfigFile  the file as the schema returns it */
/** @typedef {ConfigFile['products'][string]} Policy */
/** @typedef {ConfigFile['services'][number]} Service */
/** @typedef {ConfigFile['job']} JobSettings */
/** @typedef {NonNullable<ConfigFile['notify']>} NotifyFile */
/** @typedef {NonNullable<ConfigFile['hostApi']>} HostApiSettings */
/** @typedef {ConfigFile['operators'][number]} Operator */
