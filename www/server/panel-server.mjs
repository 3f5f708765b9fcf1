// The panel's HTTP server: static page + wasm package, and the JSON API.
// `startPanelServer` is what main.mjs runs and what the tests start.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import * as core from '../core.mjs';
import { ApiError, contentSecurityPolicy, errorResponse, sendJson, setSecurityHeaders } from './http-io.mjs';
import { createSessionStore } from './sessions.mjs';
import { createRateLimiter } from './rate-limiter.mjs';
import { createTaskRegistry } from './task-registry.mjs';
import { createNodeResolver } from './node-resolver.mjs';
import { createSnapshotActions } from './snapshot-actions.mjs';
import { createStaticFiles } from './static-files.mjs';
import { createApi } from './api-routes.mjs';
import { openStore } from '../store/index.mjs';
import { createDirectory } from './directory.mjs';
import { createStoreRegistry } from '../store/host-registry-store.mjs';
import { createConfigCatalog, seedFromConfig } from '../store/catalog.mjs';
import { createHostApi } from './host-api.mjs';
import { createServerMetrics, countLogged, customerApiOutcome } from './metrics.mjs';
import { createAdminApi } from './admin-routes.mjs';
import { createOperatorDirectory } from './admin-auth.mjs';

/**
 * @typedef {{loginFailures?: number, loginFailuresPerIp?: number, loginWindowMs?: number, actions?: number,
 *   actionWindowMs?: number, hostWrongKeys?: number, hostWrongKeyWindowMs?: number}} Limits  failed sign-ins per
 *   IP+username and per IP; actions per customer; calls with a wrong host API key per IP
 * @typedef {{
 *   config: {pve: {tokenSecret?: string}, products: Record<string, object>, services: any[], customers?: unknown,
 *     hostApi?: import('./host-api.mjs').HostApiConfig, operators?: import('../config-schema.mjs').Operator[]},
 *   registry?: import('./host-registry.mjs').HostRegistry,
 *   pve: {request(d: object): Promise<any>, waitForTask(upid: string, o: object): Promise<any>},
 *   port?: number, host?: string, now?: () => number,
 *   tls?: {key: string | Buffer, cert: string | Buffer}, trustProxy?: boolean,
 *   limits?: Limits, bodyLimit?: number, taskTimeoutMs?: number, taskIntervalMs?: number,
 *   sessionIdleMs?: number, panelDir?: string, pkgDir?: string, basePath?: string, frameAncestors?: string,
 *   store?: import('../store/index.mjs').Store, leaseTtlMs?: number, instanceId?: string,
 *   log?: (event: string, fields: object) => void
 * }} PanelServerOptions
 *   `store`: where sessions, counters, leases, tasks and the audit log live
 *   (default: a private in-memory SQLite store, gone with the server; the
 *   caller that passes a store closes it). `leaseTtlMs`: how long after its
 *   last renewal another instance may take over a VM's lease (10–60 s).
 */

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * A path prefix like "/snapshots" or "/panel/snapshots": no trailing slash,
 * no dot segments, nothing that needs encoding.
 * @param {string} basePath
 */
export function checkBasePath(basePath) {
  if (basePath !== '' && (!BASE_PATH.test(basePath) || basePath.split('/').some((s) => s === '.' || s === '..'))) {
    throw Object.assign(new Error(`--base-path must look like /snapshots (letters, digits, . _ ~ -; no trailing slash), got ${JSON.stringify(basePath)}`), { code: 'INVALID_INPUT' });
  }
}

/**
 * A CSP source list for frame-ancestors: 'self', 'none' or origins, nothing
 * that could end the directive.
 * @param {string} value
 */
export function checkFrameAncestors(value) {
  const sources = value.trim().split(/\s+/);
  const ok = sources.every((s) => s === "'self'" || s === "'none'" || /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/.test(s));
  if (!ok || (sources.includes("'none'") && sources.length > 1)) {
    throw Object.assign(new Error(`--frame-ancestors must be 'self', 'none' or origins like https://billing.example.net, got ${JSON.stringify(value)}`), { code: 'INVALID_INPUT' });
  }
}

/** @param {string} event @param {object} fields */
function defaultLog(event, fields) {
  process.stderr.write(`${new Date().toISOString()} panel ${event} ${JSON.stringify(fields)}\n`);
}

// The old rows the store keeps: ended tasks, expired sessions, old counts.
const CHORE_MS = 60_000;
const RATE_RETAIN_MS = 3_600_000;

/**
 * Starts the panel server. Resolves once it listens.
 * @param {PanelServerOptions} options
 * @returns {Promise<{url: string, server: import('node:http').Server, instanceId: string,
 *   metrics: ReturnType<typeof createServerMetrics>, drain(graceMs?: number): Promise<void>, close(): Promise<void>}>}
 *   `metrics` is served by main.mjs on --metrics-listen
 */
export async function startPanelServer(options) {
  const {
    config, pve: untimedPve, port = 0, host = '127.0.0.1', now = Date.now, tls, trustProxy = false, limits = {},
    bodyLimit = 16 * 1024, taskTimeoutMs = 10 * 60_000, taskIntervalMs = 500, sessionIdleMs = 30 * 60_000,
    log: writeLog = defaultLog, basePath = '', frameAncestors = "'self'",
    leaseTtlMs = 30_000, instanceId = `i-${randomBytes(9).toString('base64url')}`,
  } = options;
  if (!(leaseTtlMs >= 10_000 && leaseTtlMs <= 60_000)) {
    throw Object.assign(new Error('leaseTtlMs must be from 10000 to 60000'), { code: 'INVALID_INPUT' });
  }
  checkBasePath(basePath);
  checkFrameAncestors(frameAncestors);
  const csp = contentSecurityPolicy(frameAncestors);
  // The operator's page is never framed: its one action must not be clickjacked.
  const adminCsp = contentSecurityPolicy("'none'");
  const cookiePath = basePath || '/';
  const secret = config.pve?.tokenSecret;
  const ownStore = options.store ? null : await openStore({ memory: true });
  /** @type {(event: string, fields: object) => void} */
  const log = (event, fields) => {
    countLogged(metrics, event, /** @type {Record<string, unknown>} */ (fields));
    writeLog(event, fields);
  };
  const metrics = createServerMetrics({ activeSessions: () => sessions.count() });
  const pve = metrics.instrumentPve(untimedPve);
  const store = metrics.instrumentStore(options.store ?? /** @type {import('../store/index.mjs').Store} */ (ownStore));
  // The file's products, customers and services go into the store first; from
  // then on the store is the one source, beside what the host pushes there.
  try {
    await seedFromConfig(store, config, { now: now() });
  } catch (err) {
    if (ownStore) await ownStore.close();
    throw err;
  }
  const registry = config.hostApi ? options.registry ?? createStoreRegistry(store, { now }) : null;
  const directory = createDirectory(createConfigCatalog(store), registry);
  const sessions = createSessionStore({ store, now, idleMs: sessionIdleMs });
  const tasks = createTaskRegistry({ store, now });
  const resolver = createNodeResolver({ pve, core, now });
  const actions = createSnapshotActions({
    pve, core, resolver, store, tasks, owner: instanceId, now, taskTimeoutMs, taskIntervalMs, leaseTtlMs, log,
  });
  const chores = setInterval(() => {
    Promise.all([sessions.prune(), tasks.prune(), store.pruneRateHits(now() - RATE_RETAIN_MS)])
      .catch((err) => log('store-chores-failed', { code: err?.code, message: err?.message }));
  }, CHORE_MS);
  chores.unref();
  const statics = createStaticFiles({ panelDir: options.panelDir, pkgDir: options.pkgDir });

  /** @param {import('node:http').IncomingMessage} req */
  const isSecure = (req) => Boolean(tls) || (trustProxy && String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim() === 'https');
  /** @param {import('node:http').IncomingMessage} req */
  const clientIp = (req) => {
    const forwarded = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',').pop()?.trim() : '';
    return forwarded || req.socket.remoteAddress || 'unknown';
  };

  const loginLimiter = createRateLimiter({ store, name: 'login', limit: limits.loginFailures ?? 5, windowMs: limits.loginWindowMs ?? 15 * 60_000, now });
  const loginIpLimiter = createRateLimiter({ store, name: 'login-ip', limit: limits.loginFailuresPerIp ?? 50, windowMs: limits.loginWindowMs ?? 15 * 60_000, now });
  const api = createApi({
    core, directory, sessions, actions, tasks, store, now, bodyLimit, isSecure, clientIp, cookiePath,
    loginLimiter, loginIpLimiter,
    actionLimiter: createRateLimiter({ store, name: 'action', limit: limits.actions ?? 10, windowMs: limits.actionWindowMs ?? 60_000, now }),
  });

  const operators = createOperatorDirectory(config.operators);
  const adminApi = createAdminApi({
    core, store, config, registry, directory, actions, resolver, operators, sessions, loginLimiter, loginIpLimiter,
    now, log, basePath, isSecure, clientIp, bodyLimit,
  });

  const hostApi = config.hostApi && registry ? createHostApi({
    core, registry, hostApi: config.hostApi, actions, pve, sessions, now, bodyLimit, trustProxy, tls: Boolean(tls),
    isSecure, clientIp, log, cookiePath, operators,
    wrongKeyLimiter: createRateLimiter({ store, name: 'host-key', limit: limits.hostWrongKeys ?? 20, windowMs: limits.hostWrongKeyWindowMs ?? 15 * 60_000, now }),
  }) : null;

  // Last line of defence: no error text we pass on may carry the token secret.
  /** @param {string} text */
  const redact = (text) => (secret && text.includes(secret) ? text.split(secret).join('[redacted]') : text);

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {unknown} err
   */
  function fail(req, res, err) {
    const { status, body } = errorResponse(err);
    body.error.message = redact(body.error.message);
    const where = { method: req.method, path: (req.url ?? '').split('?')[0] };
    const e = /** @type {any} */ (err);
    if (status === 500) log('internal-error', { ...where, error: redact(String(e?.stack ?? e)) });
    else if (status === 503) log('store-unavailable', { ...where, error: redact(String(e?.message)) });
    // The operator needs the full client message (node, path) the customer does not get.
    else if (status === 502 || status === 504) log('pve-error', { ...where, code: e?.code, error: redact(String(e?.message)) });
    if (status === 413) {
      // The client may still be sending; close instead of reading the rest.
      res.setHeader('Connection', 'close');
      req.resume();
    }
    res.setHeader('Cache-Control', 'no-store');
    sendJson(res, status, body);
  }

  /** @type {import('node:http').RequestListener} */
  async function onRequest(req, res) {
    setSecurityHeaders(res, csp);
    try {
      let raw = req.url ?? '/';
      if (!raw.startsWith('/')) throw new ApiError('NOT_FOUND', 'no such path');
      if (basePath) {
        // Behind a reverse proxy under a prefix: only paths below it are ours.
        const rest = raw.slice(basePath.length);
        if (!raw.startsWith(basePath) || !(rest === '' || rest.startsWith('/') || rest.startsWith('?'))) {
          throw new ApiError('NOT_FOUND', 'no such path');
        }
        if (rest === '' || rest.startsWith('?')) {
          // The page's relative URLs need the trailing slash.
          res.writeHead(308, { Location: `${basePath}/`, 'Content-Length': 0 });
          res.end();
          return;
        }
        raw = rest;
      }
      const q = raw.indexOf('?');
      // Raw, undecoded segments: dot segments and %2F stay visible and fail to match.
      const segments = (q === -1 ? raw : raw.slice(0, q)).slice(1).split('/');
      if (hostApi && segments[0] === 'host' && segments[1] === 'v1') {
        await hostApi.handle(req, res, segments.slice(2));
        return;
      }
      if (hostApi && segments[0] === 'sso' && segments.length === 2) {
        await hostApi.redeem(req, res, segments[1]);
        return;
      }
      if (segments[0] === 'admin') {
        res.setHeader('Content-Security-Policy', adminCsp);
        if (segments.length === 1) {
          // The page's relative URLs need the trailing slash.
          res.writeHead(308, { Location: `${basePath}/admin/`, 'Content-Length': 0 });
          res.end();
          return;
        }
        if (segments[1] === 'api') {
          res.setHeader('Cache-Control', 'no-store');
          // An operator's removal counts like a customer's (a sign-in is counted from its log line).
          res.once('finish', () => {
            const counted = customerApiOutcome(req.method, segments.slice(2), res.statusCode);
            if (counted?.action === 'remove') metrics.action(counted.action, counted.outcome);
          });
          await adminApi(req, res, segments.slice(2));
          return;
        }
        if (hostApi && segments[1] === 'sso' && segments.length === 3) {
          await hostApi.redeemAdmin(req, res, segments[2], basePath);
          return;
        }
      }
      if (segments[0] === 'api') {
        res.setHeader('Cache-Control', 'no-store');
        res.once('finish', () => {
          const counted = customerApiOutcome(req.method, segments.slice(1), res.statusCode);
          if (counted) metrics.action(counted.action, counted.outcome);
        });
        await api(req, res, segments.slice(1));
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        throw new ApiError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here`);
      }
      const file = await statics(req.method, segments);
      if (!file) throw new ApiError('NOT_FOUND', 'no such path');
      res.writeHead(file.status, {
        'Content-Type': file.type,
        'Content-Length': Buffer.byteLength(file.body),
        'Cache-Control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    } catch (err) {
      fail(req, res, err);
    }
  }

  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest) : http.createServer(onRequest);
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${address.port}`;

  /** @type {Promise<void> | null} */
  let closing = null;
  /** @param {number | null} graceMs null: hand over running tasks at once */
  const shutdown = (graceMs) => {
    closing ??= (async () => {
      clearInterval(chores);
      const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
      server.closeIdleConnections();
      if (graceMs === null) await actions.close();
      else await actions.drain(graceMs);
      server.closeAllConnections();
      await closed;
      if (ownStore) await ownStore.close();
    })();
    return closing;
  };
  return {
    url,
    server,
    metrics,
    instanceId,
    /**
     * SIGTERM: take no new actions, follow running tasks for up to `graceMs`
     * (outcomes recorded), hand over the rest, stop.
     * @param {number} [graceMs]
     */
    drain: (graceMs = 10_000) => shutdown(graceMs),
    close: () => shutdown(null),
  };
}
