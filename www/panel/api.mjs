// The panel's same-origin JSON API as the page sees it. Every failure becomes
// an Error with the server's stable `code`, so callers branch on codes and
// never on HTTP statuses or message text.

/**
 * @typedef {Error & {code: string, status: number, details?: unknown}} ApiError
 */

/**
 * @typedef {object} Task
 * @property {string} id
 * @property {'create'|'rollback'|'remove'} kind
 * @property {string} name
 * @property {'running'|'ok'|'failed'} [state]
 * @property {string} [message]
 * @property {unknown} [warnings]
 */

/** @typedef {typeof import('/pkg/pve_snapshots.js').snapshotPage} SnapshotPage */

/**
 * What the server sends for one service: the core's inputs, as the server read them from Proxmox.
 * @typedef {object} SnapshotData
 * @property {{id: string, name: string, vmid: number, type: string}} service
 * @property {Parameters<SnapshotPage>[0]} policy
 * @property {Parameters<SnapshotPage>[1]} vmStatus
 * @property {Parameters<SnapshotPage>[2]} snapshots
 * @property {number} serverTime
 * @property {Task|null} activeTask
 * @property {{reason: string | null} | null} [suspended] set while the hosting company has suspended the service
 * @property {number} clockOffsetMs server clock minus client clock, measured around the request
 */

/**
 * Builds an ApiError.
 * @param {string} code
 * @param {string} message
 * @param {number} status
 * @param {unknown} [details]
 * @returns {ApiError}
 */
export function apiError(code, message, status, details) {
  const err = /** @type {ApiError} */ (new Error(message));
  err.code = code;
  err.status = status;
  if (details !== undefined) err.details = details;
  return err;
}

/**
 * A client for one API base, bound to a CSRF token that non-GET requests carry.
 */
export class PanelApi {
  /**
   * @param {{apiBase?: string, csrfToken?: string, fetchImpl?: typeof fetch}} [options]
   */
  constructor({ apiBase = '/api', csrfToken = '', fetchImpl } = {}) {
    this.apiBase = apiBase.replace(/\/+$/, '');
    this.csrfToken = csrfToken;
    // Bound so that `window.fetch` keeps its receiver when called as a method.
    this.fetch = fetchImpl ?? globalThis.fetch.bind(globalThis);
  }

  /**
   * @param {string} method
   * @param {string} path relative to apiBase, already encoded
   * @param {unknown} [body]
   * @returns {Promise<any>} the parsed JSON body, or null for 204
   */
  async request(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    if (method !== 'GET' && this.csrfToken) headers['X-CSRF-Token'] = this.csrfToken;
    /** @type {RequestInit} */
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await this.fetch(this.apiBase + path, init);
    } catch (cause) {
      throw apiError('NETWORK', 'The panel could not be reached.', 0, { cause: String(cause) });
    }
    if (res.status === 204) return null;
    let data = null;
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        throw apiError('BAD_RESPONSE', `The panel answered HTTP ${res.status} with something that is not JSON.`, res.status);
      }
    }
    if (!res.ok) {
      const e = data && typeof data === 'object' && data.error ? data.error : {};
      throw apiError(
        typeof e.code === 'string' ? e.code : `HTTP_${res.status}`,
        typeof e.message === 'string' ? e.message : `HTTP ${res.status}`,
        res.status,
        e.details,
      );
    }
    return data;
  }

  /** @returns {Promise<{user: {username: string, displayName?: string}, csrfToken: string}>} */
  session() {
    return this.request('GET', '/session');
  }

  /**
   * @param {string} username
   * @param {string} password
   * @returns {Promise<{user: {username: string, displayName?: string}, csrfToken: string}>}
   */
  async login(username, password) {
    const out = await this.request('POST', '/login', { username, password });
    this.csrfToken = out.csrfToken;
    return out;
  }

  /** @returns {Promise<null>} */
  logout() {
    return this.request('POST', '/logout');
  }

  /** @returns {Promise<{services: {id: string, name: string, vmid: number, type: string, product: string}[]}>} */
  services() {
    return this.request('GET', '/services');
  }

  /**
   * Reads a service's snapshot data and measures the offset between the
   * server's clock and ours, taking the midpoint of the round trip as the
   * moment the server stamped `serverTime`.
   * @param {string} serviceId
   * @returns {Promise<SnapshotData>}
   */
  async snapshots(serviceId) {
    const sent = Date.now();
    const data = await this.request('GET', `/services/${enc(serviceId)}/snapshots`);
    const received = Date.now();
    const offset = Number.isFinite(data?.serverTime) ? data.serverTime - (sent + received) / 2 : 0;
    return { ...data, clockOffsetMs: offset };
  }

  /**
   * @param {string} serviceId
   * @param {{description?: string, includeRam?: boolean}} options
   * @returns {Promise<{task: Task}>}
   */
  createSnapshot(serviceId, options) {
    return this.request('POST', `/services/${enc(serviceId)}/snapshots`, options);
  }

  /**
   * @param {string} serviceId
   * @param {string} name
   * @param {{start?: boolean}} [options]
   * @returns {Promise<{task: Task}>}
   */
  rollback(serviceId, name, options = {}) {
    return this.request('POST', `/services/${enc(serviceId)}/snapshots/${enc(name)}/rollback`, options);
  }

  /**
   * @param {string} serviceId
   * @param {string} name
   * @returns {Promise<{task: Task}>}
   */
  remove(serviceId, name) {
    return this.request('DELETE', `/services/${enc(serviceId)}/snapshots/${enc(name)}`);
  }

  /**
   * The service's last events, newest first.
   * @param {string} serviceId
   * @returns {Promise<{events: import('./history-wording.mjs').HistoryEvent[]}>}
   */
  history(serviceId) {
    return this.request('GET', `/services/${enc(serviceId)}/history`);
  }

  /**
   * @param {string} serviceId
   * @param {string} taskId
   * @returns {Promise<{task: Task}>}
   */
  task(serviceId, taskId) {
    return this.request('GET', `/services/${enc(serviceId)}/tasks/${enc(taskId)}`);
  }
}

/** @param {string|number} segment */
function enc(segment) {
  return encodeURIComponent(String(segment));
}
