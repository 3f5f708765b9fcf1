// Loads and validates the shared JSON config of the panel server and the
// expiry job. Every problem found is reported at once, each with the JSON path
// it concerns, so an administrator fixes the file in one go. The loader reads
// files only (the config, the token secret, the CA file); it never touches the
// network. What the file may hold is the schema in config-schema.mjs; this
// module adds what is not in the file: environment overrides and the secret.
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { configSchema } from './config-schema.mjs';
import { pathText, problemsOf } from './core-schema.mjs';

export { JOB_DEFAULTS } from './config-schema.mjs';

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
 * @typedef {import('./config-schema.mjs').ConfigFile} ConfigFile
 * @typedef {import('./config-schema.mjs').Policy} Policy
 * @typedef {import('./config-schema.mjs').Service} Service
 * @typedef {import('./config-schema.mjs').JobSettings} JobSettings
 * @typedef {Omit<import('./config-schema.mjs').NotifyFile, 'secret' | 'secretFile'> & {secret: string}} NotifySettings
 *   `secret` is read only for the job (loadConfig's notifySecret), never printed
 * @typedef {Omit<ConfigFile['pve'], 'tokenSecret' | 'tokenSecretFile'> & {tokenSecret: string}} PveSettings
 *   `tokenSecret` is never printed: JSON.stringify and util.inspect redact it
 * @typedef {Omit<ConfigFile, 'pve' | 'notify'> & {pve: PveSettings, notify: NotifySettings|null, file: string} & Record<string, unknown>} Config
 *   `file` is the path the config was read from; `customers` is passed through
 *   unchanged (the server checks it), as is every top-level section the schema
 *   does not name
 */

/**
 * Reads, validates and normalises the config file.
 * The token secret comes from env PVE_TOKEN_SECRET, else from the file named
 * by pve.tokenSecretFile; env PVE_URL and PVE_TOKEN_ID override pve.url and
 * pve.tokenId. Top-level sections this loader does not know (e.g. one the
 * server adds for itself) are passed through unchanged.
 * The notify secret (env NOTIFY_SECRET, else notify.secretFile) is read only
 * with `notifySecret`: the expiry job sends the notices, the server does not
 * need the secret.
 * @param {string} path
 * @param {{env?: Record<string, string|undefined>, notifySecret?: boolean}} [options]
 * @returns {Promise<Config>}
 * @throws {ConfigError} with code CONFIG_INVALID for every problem found
 */
export async function loadConfig(path, { env = process.env, notifySecret = false } = {}) {
  if (typeof path !== 'string' || path === '') {
    throw new ConfigError('config: no config file given (use --config FILE)', { problems: [{ path: 'config', message: 'no config file given' }] });
  }
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw problem(path, '(file)', `cannot read the config file: ${/** @type {any} */ (err).code ?? /** @type {Error} */ (err).message}`);
  }
  /** @type {unknown} */
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw problem(path, '(file)', `not valid JSON: ${/** @type {Error} */ (err).message}`);
  }
  if (!isPlainObject(raw)) throw problem(path, '(root)', 'must be a JSON object');

  const { input, fromEnv } = withEnvOverrides(raw, env);
  const notifyRaw = raw.notify;
  /** @type {Promise<{value: string, problem?: string}>} */
  const notifySecretRead = notifySecret && isPlainObject(notifyRaw) ? readNotifySecret(notifyRaw, env) : Promise.resolve({ value: '' });
  const [parsed, secret, noticeSecret] = await Promise.all([configSchema.safeParseAsync(input), readSecret(raw.pve, env), notifySecretRead]);
  /** @type {{path: string, message: string}[]} */
  const problems = parsed.success ? [] : problemsOf(parsed.error.issues).map((p) => {
    const at = pathText(p.path);
    return { path: fromEnv.get(at) ?? at, message: p.message };
  });
  if (secret.problem) problems.push({ path: 'pve.tokenSecretFile', message: secret.problem });
  if (noticeSecret.problem) problems.push({ path: 'notify.secretFile', message: noticeSecret.problem });
  if (!parsed.success || problems.length > 0) {
    const shown = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new ConfigError(`${path}: ${shown}`, { problems, file: path });
  }
  const { tokenSecret: _none, tokenSecretFile: _file, ...settings } = parsed.data.pve;
  const pve = { ...settings, tokenSecret: secret.value };
  hideSecret(pve, 'tokenSecret');
  /** @type {NotifySettings|null} */
  let notify = null;
  if (parsed.data.notify) {
    const { secret: _n, secretFile: _f, ...rest } = parsed.data.notify;
    notify = { ...rest, secret: noticeSecret.value };
    hideSecret(notify, 'secret');
  }
  return { ...raw, ...parsed.data, pve, notify, customers: raw.customers, file: path };
}

/**
 * Applies env PVE_URL and PVE_TOKEN_ID to the file's pve section, and
 * remembers which paths they replaced so a problem names the variable.
 * @param {Record<string, unknown>} raw @param {Record<string, string|undefined>} env
 */
function withEnvOverrides(raw, env) {
  /** @type {Map<string, string>} */
  const fromEnv = new Map();
  if (!isPlainObject(raw.pve)) return { input: raw, fromEnv };
  const pve = { ...raw.pve };
  for (const [key, name] of /** @type {const} */ ([['url', 'PVE_URL'], ['tokenId', 'PVE_TOKEN_ID']])) {
    const value = env[name];
    if (typeof value === 'string' && value.trim() !== '') {
      pve[key] = value;
      fromEnv.set(`pve.${key}`, `env ${name}`);
    }
  }
  return { input: { ...raw, pve }, fromEnv };
}

/** @param {string} file @param {string} path @param {string} message */
function problem(file, path, message) {
  return new ConfigError(`${file}: ${path}: ${message}`, { problems: [{ path, message }], file });
}

/** @param {unknown} v @returns {v is Record<string, unknown>} */
function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The token secret: env PVE_TOKEN_SECRET, else the file pve.tokenSecretFile
 * names. The schema checks that the setting is a path; this reads it.
 * @param {unknown} pve  the file's pve section, as written
 * @param {Record<string, string|undefined>} env
 * @returns {Promise<{value: string, problem?: string}>}
 */
async function readSecret(pve, env) {
  const fromEnv = env.PVE_TOKEN_SECRET;
  if (typeof fromEnv === 'string' && fromEnv.trim() !== '') return { value: fromEnv.trim() };
  const file = isPlainObject(pve) ? pve.tokenSecretFile : undefined;
  if (file === undefined || file === null) {
    return { value: '', problem: 'no token secret: set env PVE_TOKEN_SECRET or name a file in pve.tokenSecretFile' };
  }
  // Not a usable path: the schema reports it.
  if (typeof file !== 'string' || file.trim() === '') return { value: '' };
  let secret;
  try {
    secret = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    // The error code only: never echo anything read from the secret file.
    return { value: '', problem: `cannot read ${JSON.stringify(file)}: ${/** @type {any} */ (err).code ?? 'read error'}` };
  }
  if (secret === '') return { value: '', problem: `${JSON.stringify(file)} is empty` };
  if (/[\s=]/.test(secret)) return { value: '', problem: `${JSON.stringify(file)} does not hold a single token secret (found whitespace or "=")` };
  return { value: secret };
}

/** The shortest notify secret accepted: an HMAC key should not be guessable. */
export const NOTIFY_SECRET_MIN_CHARS = 16;

/**
 * The notify secret: env NOTIFY_SECRET, else the file notify.secretFile names.
 * @param {Record<string, unknown>} notify  the file's notify section, as written
 * @param {Record<string, string|undefined>} env
 * @returns {Promise<{value: string, problem?: string}>}
 */
async function readNotifySecret(notify, env) {
  const tooShort = (/** @type {string} */ where) => `${where} is too short: the notify secret needs at least ${NOTIFY_SECRET_MIN_CHARS} characters`;
  const fromEnv = env.NOTIFY_SECRET;
  if (typeof fromEnv === 'string' && fromEnv.trim() !== '') {
    const value = fromEnv.trim();
    return value.length < NOTIFY_SECRET_MIN_CHARS ? { value: '', problem: tooShort('env NOTIFY_SECRET') } : { value };
  }
  const file = notify.secretFile;
  if (file === undefined || file === null) {
    return { value: '', problem: 'no notify secret: set env NOTIFY_SECRET or name a file in notify.secretFile' };
  }
  if (typeof file !== 'string' || file.trim() === '') return { value: '' };
  let value;
  try {
    value = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    // The error code only: never echo anything read from the secret file.
    return { value: '', problem: `cannot read ${JSON.stringify(file)}: ${/** @type {any} */ (err).code ?? 'read error'}` };
  }
  if (value.length < NOTIFY_SECRET_MIN_CHARS) return { value: '', problem: tooShort(JSON.stringify(file)) };
  return { value };
}

/**
 * Keeps a secret usable (`pve.tokenSecret`, `notify.secret`) but out of JSON
 * dumps and console.log output, so a config printed for debugging cannot leak it.
 * @param {Record<string, unknown>} section @param {string} key
 */
function hideSecret(section, key) {
  const redacted = () => ({ ...section, [key]: section[key] ? '[redacted]' : '' });
  Object.defineProperty(section, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(section, inspect.custom, { value: () => redacted(), enumerable: false });
}
