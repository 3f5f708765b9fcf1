// Test support: an HTTP client for the operator's API (/admin/api/…) that
// keeps the operator's cookie and CSRF token, like one browser tab on /admin.
import { rawRequest } from '../server-harness.mjs';

/** The demo config's operator (www/server/demo-config.json). */
export const DEMO_OPERATOR = Object.freeze({ username: 'admin', password: 'admin-demo' });

export class AdminClient {
  /** @param {string} base the panel's URL */
  constructor(base) {
    this.base = base;
    /** @type {string | null} */
    this.asid = null;
    /** @type {string | null} */
    this.csrf = null;
  }

  /**
   * @param {string} method
   * @param {string} path below /admin/api, e.g. "/services"
   * @param {{json?: unknown, headers?: Record<string, string>, csrf?: boolean}} [options]
   */
  async send(method, path, { json, headers = {}, csrf = true } = {}) {
    /** @type {Record<string, string>} */
    const h = { ...headers };
    if (this.asid && !('Cookie' in h)) h.Cookie = `asid=${this.asid}`;
    if (csrf && this.csrf && method !== 'GET' && !('X-CSRF-Token' in h)) h['X-CSRF-Token'] = this.csrf;
    let body;
    if (json !== undefined) {
      body = JSON.stringify(json);
      h['Content-Type'] ??= 'application/json';
    }
    const reply = await rawRequest(this.base, method, `/admin/api${path}`, { headers: h, body });
    const set = reply.headers['set-cookie']?.find((c) => c.startsWith('asid='));
    if (set) {
      const value = set.slice(5, set.indexOf(';'));
      this.asid = value === '' ? null : value;
    }
    return reply;
  }

  /** @param {string} [username] @param {string} [password] */
  async login(username = DEMO_OPERATOR.username, password = DEMO_OPERATOR.password) {
    const r = await this.send('POST', '/login', { json: { username, password } });
    if (r.status === 200) this.csrf = r.json.csrfToken;
    return r;
  }
}
