// Proxmox answers errors in three shapes; each is one ApiError so the HTTP
// layer has a single place that turns them into bytes.

/**
 * An error the simulator answers with, shaped like Proxmox's.
 * - `bare`: no JSON body, message only in the reason phrase (401, 501 from
 *   pve-http-server's AnyEvent layer).
 * - otherwise `{data: null, message, errors?}` as the JSON formatter sends.
 */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {string} message Proxmox's message (may end in "\n", as Perl dies do)
   * @param {{errors?: Record<string,string>, bare?: boolean, code?: string}} [opts]
   */
  constructor(status, message, opts = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = opts.code ?? `PVE_${status}`;
    /** @type {Record<string,string>|undefined} */
    this.errors = opts.errors;
    this.bare = Boolean(opts.bare);
  }
}

/**
 * `raise_param_exc`: HTTP 400 "Parameter verification failed." with per-parameter texts.
 * @param {Record<string,string>} errors
 */
export function paramError(errors) {
  return new ApiError(400, 'Parameter verification failed.\n', { errors, code: 'PVE_PARAM' });
}

/**
 * A plain `die` in synchronous handler code: HTTP 500 with the die text.
 * @param {string} message
 */
export function dieError(message) {
  return new ApiError(500, message.endsWith('\n') ? message : `${message}\n`, { code: 'PVE_DIE' });
}

/**
 * `raise_perm_exc`: HTTP 403.
 * @param {string} path ACL path, e.g. "/vms/101"
 * @param {string[]} privs any-of list, joined with "|" like check_any does
 */
export function permError(path, privs) {
  return new ApiError(403, `Permission check failed (${path}, ${privs.join('|')})\n`, { code: 'PVE_PERM' });
}
