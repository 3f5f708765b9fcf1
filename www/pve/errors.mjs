// PveError and the mapping from a Proxmox answer (or a failed exchange) to a
// stable error code. Callers branch on `code`; `message` is for people.

/**
 * @typedef {'INVALID_REQUEST'|'INVALID_CONFIG'|'PVE_PARAMETER'|'PVE_BAD_REQUEST'|'PVE_AUTH'|'PVE_FORBIDDEN'
 *   |'PVE_NOT_IMPLEMENTED'|'PVE_SERVER'|'PVE_TIMEOUT'|'PVE_NETWORK'|'PVE_TLS'} PveErrorCode
 */

/**
 * An error from talking to Proxmox. `retryable` is true only when sending the
 * very same request again is both safe (idempotent: GET) and may succeed.
 */
export class PveError extends Error {
  /**
   * @param {PveErrorCode} code
   * @param {string} message
   * @param {{status?: number|null, pveMessage?: string|null, errors?: Record<string,string>|null,
   *   retryable?: boolean, details?: Record<string, unknown>, cause?: unknown}} [info]
   */
  constructor(code, message, info = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'PveError';
    /** @type {PveErrorCode} */
    this.code = code;
    /** @type {number|null} */
    this.status = info.status ?? null;
    /** @type {string|null} */
    this.pveMessage = info.pveMessage ?? null;
    /** @type {Record<string,string>|null} */
    this.errors = info.errors ?? null;
    /** @type {boolean} */
    this.retryable = info.retryable ?? false;
    /** @type {Record<string, unknown>|undefined} */
    this.details = info.details;
  }
}

/**
 * Proxmox ends most texts with "\n"; keep them single-spaced and trimmed.
 * @param {unknown} text
 * @returns {string|null}
 */
function clean(text) {
  if (typeof text !== 'string') return null;
  const t = text.replace(/\s+/g, ' ').trim();
  return t === '' ? null : t;
}

/**
 * @param {unknown} errors
 * @returns {Record<string,string>|null}
 */
function cleanErrors(errors) {
  if (errors === null || typeof errors !== 'object' || Array.isArray(errors)) return null;
  /** @type {Record<string,string>} */
  const out = {};
  for (const [k, v] of Object.entries(errors)) {
    out[k] = clean(typeof v === 'string' ? v : JSON.stringify(v)) ?? '';
  }
  return Object.keys(out).length ? out : null;
}

/**
 * Turns a non-2xx answer (or a 2xx one we cannot read) into a PveError.
 * Proxmox before libpve-http-server-perl 5.2 puts its text only in the HTTP
 * reason phrase, later ones also in the JSON `message`; prefer the JSON.
 * @param {{method: string, path: string, status: number, reason: string, body: unknown,
 *   bodyKind: 'json'|'empty'|'other', idempotent: boolean}} answer
 * @returns {PveError}
 */
export function errorFromAnswer({ method, path, status, reason, body, bodyKind, idempotent }) {
  const json = bodyKind === 'json' && body !== null && typeof body === 'object' ? /** @type {any} */ (body) : null;
  const pveMessage = clean(json?.message) ?? clean(reason);
  const errors = cleanErrors(json?.errors);
  const where = `${method} ${path}`;
  const said = pveMessage ? `: ${pveMessage}` : '';
  const info = { status, pveMessage, errors };

  if (status >= 200 && status < 300) {
    return new PveError('PVE_SERVER', `${where}: HTTP ${status} answer is not the JSON {data} envelope Proxmox sends`,
      { ...info, details: { reason: 'not-json' } });
  }
  if (status === 400) {
    if (errors) {
      const list = Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ');
      return new PveError('PVE_PARAMETER', `${where}: HTTP 400${said} (${list})`, info);
    }
    return new PveError('PVE_BAD_REQUEST', `${where}: HTTP 400${said}`, info);
  }
  if (status === 401) return new PveError('PVE_AUTH', `${where}: HTTP 401${said} (check the API token id and secret)`, info);
  if (status === 403) return new PveError('PVE_FORBIDDEN', `${where}: HTTP 403${said}`, info);
  if (status === 501) return new PveError('PVE_NOT_IMPLEMENTED', `${where}: HTTP 501${said}`, info);
  if (status >= 500) {
    // 5xx include pveproxy's 59x for a failed hop to another node: worth a retry.
    return new PveError('PVE_SERVER', `${where}: HTTP ${status}${said}${bodyKind === 'other' ? ' (answer is not JSON)' : ''}`,
      { ...info, retryable: idempotent });
  }
  // Proxmox itself uses no other 4xx (unknown paths are 501): something in between answered.
  if (status >= 400) return new PveError('PVE_SERVER', `${where}: HTTP ${status}${said}`, info);
  // 1xx/3xx: Proxmox never redirects the API; something in between answered.
  return new PveError('PVE_SERVER', `${where}: unexpected HTTP ${status}${said}`, info);
}

/**
 * Turns a socket-level failure (no usable HTTP answer) into a PveError.
 * @param {{method: string, path: string, origin: string, error: any, idempotent: boolean}} failure
 * @returns {PveError}
 */
export function errorFromFailure({ method, path, origin, error, idempotent }) {
  if (error instanceof PveError) return error;
  const where = `${method} ${path}`;
  const sysCode = typeof error?.code === 'string' ? error.code : null;
  const text = clean(error?.message) ?? 'connection failed';
  const suffix = sysCode ? ` (${sysCode})` : '';
  // Node's own TLS refusals (we verify ourselves, but keep them classified).
  if (sysCode && /CERT|SSL|TLS|SELF_SIGNED|HOSTNAME/i.test(sysCode)) {
    return new PveError('PVE_TLS', `${where}: TLS failure talking to ${origin}: ${text}${suffix}`,
      { details: { errorCode: sysCode }, cause: error });
  }
  return new PveError('PVE_NETWORK', `${where}: cannot talk to ${origin}: ${text}${suffix}`,
    { retryable: idempotent, details: { errorCode: sysCode }, cause: error });
}
