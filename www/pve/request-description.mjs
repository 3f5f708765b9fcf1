// Checks a request description {method, path, params} before it leaves the
// process and encodes it the way Proxmox reads it. The core already builds
// safe descriptions; this is defence in depth against a caller (or a bug)
// turning a snapshot name into a different request.
import { PveError } from './errors.mjs';

/** @typedef {'GET'|'POST'|'PUT'|'DELETE'} PveMethod */
/** @typedef {Record<string, string|number|boolean|null|undefined>} PveParams */
/** @typedef {{method: PveMethod, path: string, params?: PveParams|null}} RequestDescription */

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);

/** @param {unknown} method @returns {method is PveMethod} */
const isMethod = (method) => typeof method === 'string' && METHODS.has(method);
// RFC 3986 pchar plus '/'; anything else must already be percent-encoded.
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]+$/;

/**
 * @param {string} message
 * @param {Record<string, unknown>} [details]
 */
function invalid(message, details) {
  return new PveError('INVALID_REQUEST', `invalid request description: ${message}`, { details });
}

/**
 * Validates a description and returns what goes on the wire.
 * @param {unknown} desc
 * @returns {{method: PveMethod, path: string, query: string, body: string|null}}
 *   `query` is '' or starts with '?'; `body` is form-urlencoded for POST/PUT.
 */
export function encodeRequest(desc) {
  if (desc === null || typeof desc !== 'object' || Array.isArray(desc)) throw invalid('expected an object {method, path, params}');
  const { method, path, params } = /** @type {any} */ (desc);
  if (!isMethod(method)) {
    throw invalid(`method must be one of GET, POST, PUT, DELETE (got ${JSON.stringify(String(method)).slice(0, 40)})`, { field: 'method' });
  }
  checkPath(path);
  const search = encodeParams(params);
  const text = search.toString();
  if (method === 'GET' || method === 'DELETE') {
    // Proxmox answers 501 to any body on GET/DELETE.
    return { method, path, query: text ? `?${text}` : '', body: null };
  }
  return { method, path, query: '', body: text };
}

/** @param {unknown} path */
function checkPath(path) {
  if (typeof path !== 'string' || !path.startsWith('/')) throw invalid('path must be a string starting with "/"', { field: 'path' });
  if (path.length > 2048) throw invalid('path is longer than 2048 characters', { field: 'path' });
  if (!PATH_CHARS.test(path)) throw invalid('path holds characters that are not percent-encoded (or a query/fragment)', { field: 'path' });
  if (path.includes('//')) throw invalid('path holds an empty segment ("//")', { field: 'path' });
  for (const segment of path.slice(1).split('/')) {
    let decoded;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw invalid('path holds a malformed percent-encoding', { field: 'path' });
    }
    // Servers and proxies normalise dot segments, also percent-encoded ones.
    if (decoded === '.' || decoded === '..' || segment.includes('..')) throw invalid('path holds a dot segment ("." or "..")', { field: 'path' });
  }
}

/**
 * @param {unknown} params
 * @returns {URLSearchParams}
 */
function encodeParams(params) {
  const search = new URLSearchParams();
  if (params === undefined || params === null) return search;
  if (typeof params !== 'object' || Array.isArray(params)) throw invalid('params must be a flat object', { field: 'params' });
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') search.append(key, value);
    else if (typeof value === 'number' && Number.isFinite(value)) search.append(key, String(value));
    // Proxmox's form decoding accepts only 1/0 for booleans ("true" fails).
    else if (typeof value === 'boolean') search.append(key, value ? '1' : '0');
    else throw invalid(`params.${key} must be a string, a finite number or 0/1 (got ${Array.isArray(value) ? 'array' : typeof value})`, { field: `params.${key}` });
  }
  return search;
}
