// The HTTP(S) face of the simulator: pve-http-server's request handling order
// (method, body rules, auth, route, permissions, parameter verification),
// envelope and error shapes, plus the request-level faults and request log.
import http from 'node:http';
import https from 'node:https';
import { ApiError, paramError } from './api-error.mjs';
import { checkPermissions, findRoute } from './api-routes.mjs';
import { checkParams } from './param-check.mjs';
import { authenticate } from './tokens.mjs';

const API_PREFIX = '/api2/json';
const MAX_POST_BYTES = 512 * 1024; // pve-http-server $limit_max_post

/**
 * @typedef {object} RequestLogEntry
 * @property {string} method
 * @property {string} path     raw path as sent (percent-encoding kept), including /api2/json
 * @property {Record<string,string>} query
 * @property {unknown} body    parsed body (form fields or JSON) or undefined; never headers
 * @property {number|null} status  null while unanswered (e.g. hung)
 */

/**
 * @param {import('./index.mjs').SimInternals} sim
 * @param {{tls?: {key: string|Buffer, cert: string|Buffer}|false, authFailDelayMs?: number}} opts
 */
export function createApiServer(sim, opts) {
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  /** @type {Set<NodeJS.Timeout>} */
  const timers = new Set();
  let closing = false;

  /** @param {number} ms */
  const sleep = (ms) => new Promise((resolve) => {
    if (ms <= 0) return resolve(undefined);
    const t = setTimeout(() => {
      timers.delete(t);
      resolve(undefined);
    }, ms);
    timers.add(t);
  });

  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : http.createServer(listener);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  function listener(req, res) {
    handle(req, res).catch((err) => {
      // A bug in the simulator, not a simulated failure: say so.
      if (!res.headersSent && !res.destroyed) send(res, 500, `simulator internal error: ${err.message}\n`, { data: null, message: `simulator internal error: ${err.message}\n` });
    });
  }

  /**
   * @param {http.ServerResponse} res @param {number} status @param {string} message
   * @param {unknown} [body] JSON body, or undefined for a bare answer
   */
  function send(res, status, message, body) {
    res.statusCode = status;
    // The reason phrase carries the first line of the message, as pve-http-server does.
    res.statusMessage = String(message).split('\n')[0].replace(/[^\x20-\x7e]/g, '?') || 'OK';
    res.setHeader('Server', 'pve-api-daemon/3.0');
    res.setHeader('Cache-Control', 'max-age=0');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Expires', new Date().toUTCString());
    if (body === undefined) {
      res.setHeader('Content-Length', '0');
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.setHeader('Content-Type', 'application/json;charset=UTF-8');
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.end(text);
  }

  /** @param {http.ServerResponse} res @param {ApiError} err */
  function sendError(res, err) {
    if (err.bare) return send(res, err.status, err.message);
    /** @type {Record<string, unknown>} */
    const body = { data: null };
    if (err.errors) body.errors = err.errors;
    body.message = err.message;
    send(res, err.status, err.message, body);
  }

  /** @param {http.IncomingMessage} req @returns {Promise<Buffer|null>} null when too large */
  async function readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_POST_BYTES) return null;
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const qIndex = rawUrl.indexOf('?');
    const path = qIndex >= 0 ? rawUrl.slice(0, qIndex) : rawUrl;
    const query = Object.fromEntries(new URLSearchParams(qIndex >= 0 ? rawUrl.slice(qIndex + 1) : ''));
    /** @type {RequestLogEntry} */
    const entry = { method, path, query, body: undefined, status: null };
    sim.requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });

    if (sim.faults.shouldHang(method, path)) return; // answered never; closed with the server
    await sleep(sim.faults.delayMs());
    if (closing) return;

    if (!['GET', 'POST', 'PUT', 'DELETE'].includes(method)) {
      req.resume();
      return sendError(res, new ApiError(501, `method '${method}' not available`, { bare: true }));
    }
    const raw = await readBody(req);
    if (raw === null) return sendError(res, new ApiError(501, 'for data too large', { bare: true }));
    if (raw.length > 0 && (method === 'GET' || method === 'DELETE')) {
      entry.body = raw.toString('utf8');
      return sendError(res, new ApiError(501, `Unexpected content for method '${method}'`, { bare: true }));
    }

    const auth = authenticate(req.headers.authorization, sim.tokens);
    if ('reason' in auth) {
      await sleep(opts.authFailDelayMs ?? 0);
      return sendError(res, new ApiError(401, auth.reason, { bare: true, code: 'PVE_AUTH' }));
    }

    /** @type {Record<string, unknown>} */
    let bodyParams = {};
    if (raw.length > 0) {
      const type = String(req.headers['content-type'] ?? '');
      if (/^application\/json\b/i.test(type)) {
        try {
          bodyParams = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          entry.body = raw.toString('utf8');
          return sendError(res, new ApiError(400, `malformed JSON string: ${err.message}\n`));
        }
        if (typeof bodyParams !== 'object' || bodyParams === null || Array.isArray(bodyParams)) {
          entry.body = bodyParams;
          return sendError(res, new ApiError(400, 'JSON body must be an object\n'));
        }
      } else {
        bodyParams = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
      }
      entry.body = bodyParams;
    }

    const injected = sim.faults.randomError(method, path);
    if (injected) return sendError(res, new ApiError(injected.status, injected.message, { code: 'PVE_INJECTED' }));

    const rel = path === API_PREFIX ? '/' : path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length) : null;
    const route = rel === null ? null : findRoute(method, rel);
    if (!route) return sendError(res, new ApiError(501, `Method '${method} ${rel ?? path}' not implemented`));

    try {
      // Query parameters override body parameters; path values must not conflict.
      const params = { ...bodyParams, ...query };
      delete params._dc; // ExtJS cache buster; pve-http-server drops it too
      /** @type {Record<string,string>} */
      const conflicts = {};
      for (const [k, v] of Object.entries(route.pathParams)) {
        if (params[k] !== undefined && String(params[k]) !== v) conflicts[k] = 'duplicate parameter (already defined in URI) with conflicting values!';
        params[k] = v;
      }
      if (Object.keys(conflicts).length) throw paramError(conflicts);
      checkPermissions(route.info.permissions, route.pathParams, auth.identity);
      const errors = checkParams(params, route.info.parameters);
      if (errors) throw paramError(errors);
      /** @type {import('./api-routes.mjs').Context & {total?: number}} */
      const ctx = { params, identity: auth.identity, guestType: route.guestType, sim };
      const data = route.handler(ctx);
      /** @type {Record<string, unknown>} */
      const body = { data: data ?? null };
      if (ctx.total !== undefined) body.total = ctx.total;
      send(res, 200, 'OK', body);
    } catch (err) {
      if (err instanceof ApiError) return sendError(res, err);
      throw err;
    }
  }

  return {
    server,
    /** @param {number} port @param {string} host */
    listen: (port, host) => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(/** @type {import('node:net').AddressInfo} */ (server.address()));
      });
    }),
    close: () => new Promise((resolve) => {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.close(() => resolve(undefined));
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
    }),
  };
}
