// The HTTP edge of the panel API: coded errors to statuses, JSON in and out,
// and the headers every response carries.

import * as core from '../core.mjs';

/** Coded error in the project's shape (`code`, `message`, `details`). */
export class ApiError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {object} [details]
   * @param {number} [httpStatus] a status other than the code's own (e.g. 403 for a HOST_UNAUTHORIZED over plain http)
   */
  constructor(code, message, details, httpStatus) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    if (details !== undefined) this.details = details;
    if (httpStatus !== undefined) this.httpStatus = httpStatus;
  }
}

/** Every stable code and its status, as the core defines them. */
const STATUS = new Map(core.errorCodes().map(({ code, status }) => [/** @type {string} */ (code), status]));

/**
 * The HTTP status for a coded error (core refusals, PveError, ApiError);
 * 500 for anything not in the core's list.
 * @param {string | undefined} code
 * @returns {number}
 */
export function statusForCode(code) {
  return (typeof code === 'string' && STATUS.get(code)) || 500;
}

/**
 * The page's CSP; `frameAncestors` names who may frame it (a host panel
 * that shows the page inside its own).
 * @param {string} [frameAncestors]
 */
export function contentSecurityPolicy(frameAncestors = "'self'") {
  return "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    + `img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors ${frameAncestors}; form-action 'self'`;
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/**
 * Headers for every response, static or API, success or error.
 * @param {import('node:http').ServerResponse} res
 * @param {string} [csp]
 */
export function setSecurityHeaders(res, csp = CONTENT_SECURITY_POLICY) {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body `undefined` sends no body (204)
 * @param {Record<string, string>} [headers]
 */
export function sendJson(res, status, body, headers = {}) {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

const SERVER_FAULTS = new Set(['INVALID_TARGET', 'INVALID_POLICY', 'CONFIG_INVALID']);

/**
 * Turns any thrown value into the API's error body. Unknown errors become a
 * generic 500 so internals (paths, stack traces) never reach the browser.
 * @param {unknown} err
 * @returns {{status: number, body: {error: {code: string, message: string, details?: unknown}}}}
 */
export function errorResponse(err) {
  const e = /** @type {{code?: unknown, name?: unknown, message?: unknown, details?: unknown, httpStatus?: unknown}} */ (err ?? {});
  const code = typeof e.code === 'string' ? e.code : undefined;
  // Codes that mean the server (its config or its own call) is wrong, not the
  // customer's input: the customer gets a plain 500, the log gets the details.
  // An ApiError was raised on purpose about the request, so its code stands.
  const serverFault = e.name !== 'ApiError'
    && (SERVER_FAULTS.has(String(code)) || (e.name === 'PveError' && !String(code).startsWith('PVE_')));
  const own = e.name === 'ApiError' && typeof e.httpStatus === 'number' ? e.httpStatus : undefined;
  const status = serverFault ? 500 : own ?? statusForCode(code);
  if (status === 500 || code === undefined) {
    return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal server error' } } };
  }
  if (code.startsWith('PVE_')) return { status, body: { error: pveError(code, /** @type {any} */ (e)) } };
  // The store's own message names the database (file, host): for the log only.
  if (e.name === 'StoreError') return { status, body: { error: { code, message: "the panel's database cannot be reached; nothing was sent to Proxmox" } } };
  /** @type {{code: string, message: string, details?: unknown}} */
  const error = { code, message: typeof e.message === 'string' ? e.message : code };
  if (e.details !== undefined && e.details !== null) error.details = e.details;
  return { status, body: { error } };
}

const PVE_WORDING = new Map([
  ['PVE_TIMEOUT', 'Proxmox VE did not answer in time'],
  ['PVE_NETWORK', 'Proxmox VE cannot be reached'],
  ['PVE_TLS', 'the connection to Proxmox VE failed its certificate check'],
  ['PVE_AUTH', 'the panel is not authorised at Proxmox VE'],
  ['PVE_FORBIDDEN', 'the panel lacks a permission at Proxmox VE'],
]);

/**
 * A Proxmox failure as the browser sees it: Proxmox's own reason, but not the
 * client's message, which names internal hosts, nodes and request paths.
 * @param {string} code
 * @param {{pveMessage?: unknown, status?: unknown}} e
 */
function pveError(code, e) {
  const said = typeof e.pveMessage === 'string' && e.pveMessage !== '' && code !== 'PVE_AUTH' ? `: ${e.pveMessage}` : '';
  const message = `${PVE_WORDING.get(code) ?? 'Proxmox VE refused the request'}${said}`;
  return typeof e.status === 'number' ? { code, message, details: { pveStatus: e.status } } : { code, message };
}

const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Reads a JSON object body under the API's rules: only application/json
 * (else 415), at most `limit` bytes (else 413), an object (else 400). A
 * request without a body and without a content type reads as `{}`.
 * @param {import('node:http').IncomingMessage} req
 * @param {{limit?: number}} [options]
 * @returns {Promise<Record<string, unknown>>}
 */
export async function readJsonBody(req, { limit = 16 * 1024 } = {}) {
  const type = req.headers['content-type'];
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  const hasBody = chunked || (length !== undefined && length !== '0');
  if (type !== undefined && !JSON_TYPE.test(type)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json', { contentType: type.slice(0, 100) });
  }
  if (!hasBody) return {};
  if (type === undefined) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json');
  if (length !== undefined && !(Number(length) <= limit)) {
    throw new ApiError('TOO_LARGE', `request body must be at most ${limit} bytes`, { limit });
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new ApiError('TOO_LARGE', `request body must be at most ${limit} bytes`, { limit });
    chunks.push(chunk);
  }
  let value;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError('INVALID_INPUT', 'request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError('INVALID_INPUT', 'request body must be a JSON object');
  }
  return value;
}
