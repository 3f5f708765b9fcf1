// The panel's HTTP server: static page + wasm package, and the JSON API.
// `startPanelServer` is what main.mjs runs and what the tests start.
import http from 'node:http';
import https from 'node:https';
import * as core from '../core.mjs';
import { ApiError, contentSecurityPolicy, errorResponse, sendJson, setSecurityHeaders } from './http-io.mjs';
import { createSessionStore } from './sessions.mjs';
import { createRateLimiter } from './rate-limiter.mjs';
import { createTaskRegistry } from './task-registry.mjs';
import { createNodeResolver } from './node-resolver.mjs';
import { createSnapshotActions } from './snapshot-actions.mjs';
import { createCustomerDirectory } from './customer-directory.mjs';
import { createStaticFiles } from './static-files.mjs';
import { createApi } from './api-routes.mjs';
import { createDirectory } from './directory.mjs';
import { createHostRegistry } from './host-registry.mjs';
import { createHostApi } from './host-api.mjs';
import { createServerMetrics, countLogged, customerApiOutcome } from './metrics.mjs';

/**
 * @typedef {{loginFailures?: number, loginFailuresPerIp?: number, loginWindowMs?: number, actions?: number,
 *   actionWindowMs?: number, hostWrongKeys?: number, hostWrongKeyWindowMs?: number}} Limits  failed sign-ins per
 *   IP+username and per IP; actions per customer; calls with a wrong host API key per IP
 * @typedef {{
 *   config: {pve: {tokenSecret?: string}, products: Record<string, object>, services: any[], customers?: unknown,
 *     hostApi?: import('./host-api.mjs').HostApiConfig},
 *   registry?: import('./host-registry.mjs').HostRegistry,
 *   pve: {request(d: object): Promise<any>, waitForTask(upid: string, o: object): Promise<any>},
 *   port?: number, host?: string, now?: () => number,
 *   tls?: {key: string | Buffer, cert: string | Buffer}, trustProxy?: boolean,
 *   limits?: Limits, bodyLimit?: number, taskTimeoutMs?: number, taskIntervalMs?: number,
 *   sessionIdleMs?: number, panelDir?: string, pkgDir?: string, basePath?: string, frameAncestors?: string,
 *   log?: (event: string, fields: object) => void
 * }} PanelServerOptions
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

/**
 * Starts the panel server. Resolves once it listens.
 * @param {PanelServerOptions} options
 * @returns {Promise<{url: string, server: import('node:http').Server,
 *   metrics: ReturnType<typeof createServerMetrics>, close(): Promise<void>}>}  `metrics` is served by main.mjs on --metrics-listen
 */
export async function startPanelServer(options) {
  const {
    config, pve: untimedPve, port = 0, host = '127.0.0.1', now = Date.now, tls, trustProxy = false, limits = {},
    bodyLimit = 16 * 1024, taskTimeoutMs = 10 * 60_000, taskIntervalMs = 500, sessionIdleMs = 30 * 60_000,
    log: writeLog = defaultLog, basePath = '', frameAncestors = "'self'",
  } = options;
  checkBasePath(basePath);
  checkFrameAncestors(frameAncestors);
  const csp = contentSecurityPolicy(frameAncestors);
  const cookiePath = basePath || '/';
  const registry = config.hostApi
    ? options.registry ?? createHostRegistry({ reservedVmids: config.services.map((s) => Number(s.vmid)) })
    : null;
  const directory = createDirectory(createCustomerDirectory(config), registry);
  const secret = config.pve?.tokenSecret;
  const sessions = createSessionStore({ now, idleMs: sessionIdleMs });
  const metrics = createServerMetrics({ activeSessions: () => sessions.size });
  const pve = metrics.instrumentPve(untimedPve);
  /** @type {(event: string, fields: object) => void} */
  const log = (event, fields) => {
    countLogged(metrics, event, /** @type {Record<string, unknown>} */ (fields));
    writeLog(event, fields);
  };
  const tasks = createTaskRegistry({ now });
  const resolver = createNodeResolver({ pve, core, now });
  const actions = createSnapshotActions({ pve, core, resolver, tasks, now, taskTimeoutMs, taskIntervalMs, log });
  const statics = createStaticFiles({ panelDir: options.panelDir, pkgDir: options.pkgDir });

  /** @param {import('node:http').IncomingMessage} req */
  const isSecure = (req) => Boolean(tls) || (trustProxy && String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim() === 'https');
  /** @param {import('node:http').IncomingMessage} req */
  const clientIp = (req) => {
    const forwarded = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',').pop()?.trim() : '';
    return forwarded || req.socket.remoteAddress || 'unknown';
  };

  const api = createApi({
    core, directory, sessions, actions, tasks, now, bodyLimit, isSecure, clientIp, cookiePath,
    loginLimiter: createRateLimiter({ limit: limits.loginFailures ?? 5, windowMs: limits.loginWindowMs ?? 15 * 60_000, now }),
    loginIpLimiter: createRateLimiter({ limit: limits.loginFailuresPerIp ?? 50, windowMs: limits.loginWindowMs ?? 15 * 60_000, now }),
    actionLimiter: createRateLimiter({ limit: limits.actions ?? 10, windowMs: limits.actionWindowMs ?? 60_000, now }),
  });

  const hostApi = config.hostApi && registry ? createHostApi({
    core, registry, hostApi: config.hostApi, actions, pve, sessions, now, bodyLimit, trustProxy, tls: Boolean(tls),
    isSecure, clientIp, log, cookiePath,
    wrongKeyLimiter: createRateLimiter({ limit: limits.hostWrongKeys ?? 20, windowMs: limits.hostWrongKeyWindowMs ?? 15 * 60_000, now }),
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

  let closing = null;
  return {
    url,
    server,
    metrics,
    close() {
      closing ??= (async () => {
        const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
        server.closeAllConnections();
        await actions.close();
        await closed;
      })();
      return closing;
    },
  };
}
