// Test support for the panel server tests (not a test file itself): a
// simulator + panel server pair on loopback, and a cookie-keeping HTTP
// client that records every response so a suite can scan them for the
// Proxmox token secret at the end.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../simulator/index.mjs';
import { loadConfig } from '../config.mjs';
import { createPveClient } from '../pve/client.mjs';
import { startPanelServer } from '../server/panel-server.mjs';

export const DEMO_CONFIG = fileURLToPath(new URL('../server/demo-config.json', import.meta.url));
export const TOKEN_ID = 'root@pam!panel';

/**
 * @typedef {{status: number, headers: import('node:http').IncomingHttpHeaders, text: string, json: any}} Reply
 */

/**
 * Starts the simulator (demo seed) and a panel server in front of it.
 * @param {{limits?: object, serverOptions?: object, pveOptions?: object, taskDurationMs?: import('../simulator/index.mjs').SimulatorOptions['taskDurationMs']}} [options]
 */
export async function startStack({ limits, serverOptions = {}, pveOptions = {}, taskDurationMs = 300 } = {}) {
  const secret = randomBytes(24).toString('hex');
  const sim = await startSimulator({ port: 0, seed: 'demo', tokens: [{ id: TOKEN_ID, secret }], taskDurationMs });
  const config = await loadConfig(DEMO_CONFIG, { env: { PVE_URL: sim.url, PVE_TOKEN_ID: TOKEN_ID, PVE_TOKEN_SECRET: secret } });
  const pve = createPveClient({ url: sim.url, tokenId: TOKEN_ID, tokenSecret: secret, timeoutMs: 10_000, ...pveOptions });
  const panel = await startPanelServer({
    config, pve, limits, now: () => sim.clock.now(), taskIntervalMs: 50, taskTimeoutMs: 20_000, log: () => {},
    ...serverOptions,
  });
  /** @type {Reply[]} */
  const replies = [];
  return {
    sim,
    panel,
    secret,
    config,
    url: panel.url,
    replies,
    /** Proxmox requests that change something (anything but GET). */
    writes: () => sim.requests.filter((/** @type {any} */ r) => r.method !== 'GET'),
    /** @param {string} [username] @param {string} [password] */
    async browser(username, password) {
      const b = new Browser(panel.url, replies);
      if (username) await b.login(username, password ?? `${username}-demo`);
      return b;
    },
    async close() {
      await panel.close();
      pve.close();
      await sim.close();
    },
  };
}

/**
 * One HTTP request with a raw path (no URL normalisation, so `..` and `%2F`
 * reach the server as written).
 * @param {string} base
 * @param {string} method
 * @param {string} path
 * @param {{headers?: Record<string, string>, body?: string | Buffer}} [options]
 * @returns {Promise<Reply>}
 */
export function rawRequest(base, method, path, { headers = {}, body } = {}) {
  const { hostname, port } = new URL(base);
  // Node frames a DELETE body only when told its length.
  if (body !== undefined && !Object.keys(headers).some((k) => /^(content-length|transfer-encoding)$/i.test(k))) {
    headers = { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path, headers, agent: false }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: /** @type {number} */ (res.statusCode), headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A client with its own cookie and CSRF token, like one browser tab. */
export class Browser {
  /** @param {string} base @param {Reply[]} replies */
  constructor(base, replies) {
    this.base = base;
    this.replies = replies;
    /** @type {string | null} */
    this.sid = null;
    /** @type {string | null} */
    this.csrf = null;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {{json?: unknown, body?: string | Buffer, headers?: Record<string, string>, csrf?: boolean}} [options]
   * @returns {Promise<Reply>}
   */
  async send(method, path, { json, body, headers = {}, csrf = true } = {}) {
    /** @type {Record<string, string>} */
    const h = { ...headers };
    if (this.sid && !('Cookie' in h)) h.Cookie = `sid=${this.sid}`;
    if (csrf && this.csrf && method !== 'GET' && !('X-CSRF-Token' in h)) h['X-CSRF-Token'] = this.csrf;
    let payload = body;
    if (json !== undefined) {
      payload = JSON.stringify(json);
      h['Content-Type'] ??= 'application/json';
    }
    const reply = await rawRequest(this.base, method, path, { headers: h, body: payload });
    this.replies.push(reply);
    const set = reply.headers['set-cookie']?.find((c) => c.startsWith('sid='));
    if (set) {
      const value = set.slice(4, set.indexOf(';'));
      this.sid = value === '' ? null : value;
    }
    return reply;
  }

  /** @param {string} username @param {string} password */
  async login(username, password) {
    const r = await this.send('POST', '/api/login', { json: { username, password } });
    if (r.status === 200) this.csrf = r.json.csrfToken;
    return r;
  }

  /**
   * Polls a task until it is no longer running.
   * @param {string} serviceId
   * @param {string} taskId
   */
  async waitTask(serviceId, taskId) {
    for (let i = 0; i < 400; i++) {
      const r = await this.send('GET', `/api/services/${serviceId}/tasks/${taskId}`);
      if (r.status !== 200) return r;
      if (r.json.task.state !== 'running') return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`task ${taskId} still running after the test's safety net`);
  }
}

/**
 * Asserts nothing the server sent contains the token secret, the token id
 * or a UPID.
 * @param {Reply[]} replies
 * @param {string} secret
 */
export function leakedInReplies(replies, secret) {
  return replies.filter((r) => {
    const all = `${JSON.stringify(r.headers)}\n${r.text}`;
    return all.includes(secret) || all.includes(TOKEN_ID) || all.includes('UPID:');
  });
}
