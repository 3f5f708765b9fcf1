// The panel's Prometheus metrics: what customers and the host did (in the
// shared vocabulary of actions and outcomes), how long Proxmox took to
// answer, and how many sessions are open. Served on a listener of its own
// (--metrics-listen), never on the panel's port, so the panel's public
// address cannot expose them.
import http from 'node:http';
import { CONTENT_TYPE, createHistogram, renderMetrics } from '../prometheus-text.mjs';

/** Actors, actions and outcomes as DESIGN.md names them (actor × action × outcome). */
export const ACTORS = Object.freeze(['customer', 'host', 'job', 'operator']);
export const ACTIONS = Object.freeze(['create', 'rollback', 'remove', 'expire', 'provision', 'suspend', 'unsuspend', 'terminate', 'sign-in']);
export const OUTCOMES = Object.freeze(['accepted', 'refused', 'ok', 'failed', 'still-running']);

// A store operation is one query or one short transaction: milliseconds on
// SQLite, a network round trip or a few on PostgreSQL.
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

// Proxmox answers reads in milliseconds and writes (task starts) in well
// under a second; the client's own timeout is 15 s by default.
const PVE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * @param {{activeSessions: () => Promise<number>, now?: () => number}} options
 */
export function createServerMetrics({ activeSessions, now = () => performance.now() }) {
  /** @type {Map<string, number>} */
  const actions = new Map();
  const pveDuration = createHistogram({
    name: 'pve_snapshots_proxmox_request_duration_seconds',
    help: 'How long Proxmox VE requests took (retries included), by method and HTTP status class; "error" when no answer came.',
    buckets: PVE_BUCKETS, labelNames: ['method', 'status_class'],
  });

  const storeDuration = createHistogram({
    name: 'pve_snapshots_store_operation_duration_seconds',
    help: 'How long the store\'s operations took, by operation and outcome (ok, error).',
    buckets: STORE_BUCKETS, labelNames: ['operation', 'outcome'],
  });
  /** @type {Map<string, number>} */
  const leases = new Map([['acquired', 0], ['taken-over', 0], ['busy', 0]]);

  return {
    /**
     * Counts one action. Anything outside the vocabulary is a bug in the caller: ignored, never a label.
     * @param {string} action @param {string} outcome
     */
    action(action, outcome) {
      if (!ACTIONS.includes(action) || !OUTCOMES.includes(outcome)) return;
      const key = `${action} ${outcome}`;
      actions.set(key, (actions.get(key) ?? 0) + 1);
    },

    /**
     * The same client, with every request timed.
     * @template {{request(d: {method: string}, o?: object): Promise<any>}} P
     * @param {P} pve
     * @returns {P}
     */
    instrumentPve(pve) {
      const timed = Object.create(pve);
      timed.request = async (/** @type {{method: string}} */ desc, /** @type {object|undefined} */ opts) => {
        const start = now();
        const method = ['GET', 'POST', 'PUT', 'DELETE'].includes(desc?.method) ? desc.method : 'other';
        try {
          const data = await pve.request(desc, opts);
          pveDuration.observe({ method, status_class: '2xx' }, (now() - start) / 1000);
          return data;
        } catch (err) {
          const status = /** @type {{status?: number|null}} */ (err)?.status;
          const statusClass = typeof status === 'number' && status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'error';
          pveDuration.observe({ method, status_class: statusClass }, (now() - start) / 1000);
          throw err;
        }
      };
      return /** @type {P} */ (timed);
    },

    /**
     * The same store, with every operation timed and lease acquisitions counted.
     * @template {object} S
     * @param {S} store
     * @returns {S}
     */
    instrumentStore(store) {
      const timed = Object.create(store);
      for (const [name, fn] of Object.entries(store)) {
        if (typeof fn !== 'function' || name === 'close') continue;
        timed[name] = async (/** @type {unknown[]} */ ...args) => {
          const start = now();
          try {
            const result = await fn(...args);
            storeDuration.observe({ operation: name, outcome: 'ok' }, (now() - start) / 1000);
            if (name === 'acquireLease') {
              const r = /** @type {{acquired?: boolean, takenOverFrom?: string|null}} */ (result);
              const key = !r?.acquired ? 'busy' : r.takenOverFrom ? 'taken-over' : 'acquired';
              leases.set(key, (leases.get(key) ?? 0) + 1);
            }
            return result;
          } catch (err) {
            storeDuration.observe({ operation: name, outcome: 'error' }, (now() - start) / 1000);
            throw err;
          }
        };
      }
      return /** @type {S} */ (timed);
    },

    /** The exposition; the session count is asked of the store now. */
    async render() {
      /** @type {number|null} */
      let sessions = null;
      try {
        sessions = await activeSessions();
      } catch {
        // The store is away: say so rather than fail the scrape.
      }
      return renderMetrics([
        {
          name: 'pve_snapshots_actions_total', type: 'counter',
          help: 'Snapshot and account actions by action and outcome (accepted/refused when asked, ok/failed/still-running when Proxmox finished).',
          samples: [...actions].map(([key, value]) => {
            const [action, outcome] = key.split(' ');
            return { labels: { action, outcome }, value };
          }),
        },
        pveDuration.family(),
        {
          name: 'pve_snapshots_active_sessions', type: 'gauge', help: 'Signed-in customer sessions that have not ended.',
          samples: sessions === null ? [] : [{ value: sessions }],
        },
        { name: 'pve_snapshots_store_up', type: 'gauge', help: '1 when the store answered this scrape\'s query, else 0.', samples: [{ value: sessions === null ? 0 : 1 }] },
        storeDuration.family(),
        {
          name: 'pve_snapshots_lease_acquisitions_total', type: 'counter',
          help: 'Attempts to take a VM\'s action lease: acquired, taken-over (the holder stopped renewing it) or busy (another action holds it; refused, nothing waits).',
          samples: [...leases].map(([result, value]) => ({ labels: { result }, value })),
        },
      ]);
    },
  };
}

/**
 * Parses --metrics-listen: HOST:PORT, [IPv6]:PORT.
 * @param {string} text
 * @returns {{host: string, port: number}}
 */
export function parseListen(text) {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw Object.assign(new Error(`--metrics-listen: expected HOST:PORT (e.g. 127.0.0.1:9464), got ${JSON.stringify(text)}`), { code: 'INVALID_INPUT' });
  }
  return { host: m[1] ?? m[2], port };
}

/**
 * Serves GET /metrics (and HEAD) on its own listener; everything else is 404
 * or 405. No cookies, no sessions: a scraper needs nothing of the panel's.
 * @param {{metrics: ReturnType<typeof createServerMetrics>, host: string, port: number}} options
 * @returns {Promise<{url: string, close(): Promise<void>}>}
 */
export async function startMetricsServer({ metrics, host, port }) {
  const server = http.createServer(async (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    const body = await metrics.render();
    res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(undefined); });
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/metrics`,
    close() {
      return new Promise((resolve) => { server.close(() => resolve(undefined)); server.closeAllConnections(); });
    },
  };
}

/**
 * What a customer API call was, in the shared vocabulary, or null for reads
 * and calls that are not actions. Asked = accepted (202) or refused (4xx);
 * a 5xx is a failure (Proxmox unreachable, a bug).
 * @param {string|undefined} method @param {string[]} segments  the path below /api
 * @param {number} status
 * @returns {{action: string, outcome: string} | null}
 */
export function customerApiOutcome(method, segments, status) {
  const outcome = status >= 500 ? 'failed' : status >= 400 ? 'refused' : null;
  if (method === 'POST' && segments.length === 1 && segments[0] === 'login') return { action: 'sign-in', outcome: outcome ?? 'ok' };
  if (segments[0] !== 'services' || segments[2] !== 'snapshots') return null;
  let action = null;
  if (method === 'POST' && segments.length === 3) action = 'create';
  else if (method === 'DELETE' && segments.length === 4) action = 'remove';
  else if (method === 'POST' && segments.length === 5 && segments[4] === 'rollback') action = 'rollback';
  return action ? { action, outcome: outcome ?? 'accepted' } : null;
}

/**
 * Counts the actions the server's own log events report: a task's end
 * (the customer's create, rollback, remove), the host API's audited calls,
 * and sign-ins through single-use links.
 * @param {ReturnType<typeof createServerMetrics>} metrics
 * @param {string} event @param {Record<string, unknown>} fields
 */
export function countLogged(metrics, event, fields) {
  if (event === 'task-ended' && typeof fields.kind === 'string') {
    metrics.action(fields.kind, fields.state === 'running' ? 'still-running' : String(fields.state));
  } else if ((event === 'host-call' || event === 'sign-in') && typeof fields.action === 'string') {
    metrics.action(fields.action, String(fields.outcome));
  } else if (event === 'sign-in') {
    metrics.action('sign-in', String(fields.outcome));
  }
}
