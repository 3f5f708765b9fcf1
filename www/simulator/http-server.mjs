// The HTTP(S) face of the simulator: pve-http-server's request handling order
// (method, transfer encoding, auth, body rules, route, permissions, parameter
// verification), envelope and error shapes, request-level faults, request log.
import http from 'node:http';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import { ApiError, paramError } from './api-error.mjs';
import { checkPermissions, findRoute } from './api-routes.mjs';
import { checkParams } from './param-check.mjs';
import { authenticate } from './tokens.mjs';
import { decodeUrlencoded, uriUnescape } from './urlencoded.mjs';

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
 * Whether an Origin header names a page served from this machine: http(s) on
 * localhost, 127.0.0.0/8 or [::1], written exactly as a browser writes it (so
 * `null`, `http://127.1`, a path or a look-alike such as
 * `http://127.0.0.1.example.com` never match).
 * @param {string} origin
 */
export function isLoopbackOrigin(origin) {
  let url;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin !== origin || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * @param {import('./index.mjs').SimInternals} sim
 * @param {{tls?: {key: string|Buffer, cert: string|Buffer}|false, authFailDelayMs?: number, requestLogLimit: number, corsLoopback?: boolean}} opts
 */
export function createApiServer(sim, opts) {
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  /** @type {Set<NodeJS.Timeout>} */
  const timers = new Set();
  let closing = false;
  /** Whether the client sent Accept-Encoding: gzip (bodies over 1 KiB are then compressed). @type {WeakMap<http.ServerResponse, boolean>} */
  const acceptGzip = new WeakMap();

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
    // pve-http-server ends keep-alive after any answer >= 400.
    if (status >= 400) res.setHeader('Connection', 'close');
    res.setHeader('Cache-Control', 'max-age=0');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Expires', new Date().toUTCString());
    if (body === undefined) {
      res.setHeader('Content-Length', '0');
      res.end();
      return;
    }
    let bytes = Buffer.from(JSON.stringify(body), 'utf8');
    res.setHeader('Content-Type', 'application/json;charset=UTF-8');
    if (acceptGzip.get(res) && bytes.length > 1024) {
      bytes = gzipSync(bytes);
      res.setHeader('Content-Encoding', 'gzip');
    }
    res.setHeader('Content-Length', bytes.length);
    res.end(bytes);
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

  /** @param {http.IncomingMessage} req @returns {Promise<Buffer>} */
  async function readBody(req) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /**
   * Same order of checks as pve-http-server (AnyEvent.pm unshift_read_header):
   * method, transfer encoding, authentication, then body rules.
   * @param {http.IncomingMessage} req @param {http.ServerResponse} res
   */
  async function handle(req, res) {
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const qIndex = rawUrl.indexOf('?');
    const path = qIndex >= 0 ? rawUrl.slice(0, qIndex) : rawUrl;
    const query = decodeUrlencoded(qIndex >= 0 ? rawUrl.slice(qIndex + 1) : '');
    /** @type {RequestLogEntry} */
    const entry = { method, path, query, body: undefined, status: null };
    sim.requests.push(entry);
    if (sim.requests.length > opts.requestLogLimit) sim.requests.splice(0, sim.requests.length - opts.requestLogLimit);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    acceptGzip.set(res, /gzip/.test(String(req.headers['accept-encoding'] ?? '')));

    // Proxmox answers no CORS at all. Only the browser tests of the core, whose
    // page is served from another loopback port, need it, so it is opt-in and
    // never extends beyond pages on this machine.
    if (opts.corsLoopback) {
      res.setHeader('Vary', 'Origin');
      const origin = req.headers.origin;
      if (typeof origin === 'string' && isLoopbackOrigin(origin)) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        if (method === 'OPTIONS' && req.headers['access-control-request-method']) {
          // A preflight carries no token: answer it before authentication.
          req.resume();
          res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
          res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
          res.setHeader('Access-Control-Max-Age', '600');
          res.setHeader('Server', 'pve-api-daemon/3.0');
          res.writeHead(204);
          res.end();
          return;
        }
      }
    }

    if (sim.faults.shouldHang(method, path)) return; // answered never; closed with the server
    await sleep(sim.faults.delayMs());
    if (closing) return;

    /** A refusal before routing: the reason in the status line, no body, the request's own body drained. @param {number} status @param {string} message */
    const bare = (status, message) => {
      req.resume();
      sendError(res, new ApiError(status, message, { bare: true }));
    };
    if (!['GET', 'POST', 'PUT', 'DELETE'].includes(method)) return bare(501, `method '${method}' not available`);
    const te = req.headers['transfer-encoding'];
    if (te) return bare(501, String(te).toLowerCase() === 'chunked' ? 'chunked transfer encoding not supported' : `Unknown transfer encoding '${te}'`);
    // The path is unescaped as a whole before routing: %2F is a path separator on Proxmox.
    const fullPath = uriUnescape(path);
    if (!fullPath.startsWith('/api2')) return bare(501, `no such file '${fullPath}'`);
    const format = /^\/api2\/+([a-z][a-z0-9]+)(\/.*)?$/.exec(fullPath);
    if (!format) return bare(501, 'no such uri');
    const rel = format[2] || '/';

    const auth = authenticate(req.headers.authorization, sim.tokens);
    if ('reason' in auth) {
      req.resume();
      await sleep(opts.authFailDelayMs ?? 0);
      return sendError(res, new ApiError(401, auth.reason, { bare: true, code: 'PVE_AUTH' }));
    }

    const length = Number(req.headers['content-length'] ?? 0);
    /** @type {Record<string, unknown>} */
    let bodyParams = {};
    if (length) {
      if (method !== 'PUT' && method !== 'POST') return bare(501, `Unexpected content for method '${method}'`);
      if (length > MAX_POST_BYTES) return bare(501, 'for data too large');
      const ctype = req.headers['content-type'];
      const ct = ctype ? String(ctype).split(/\s*[;,]\s*/)[0] : undefined;
      if (ct && ct !== 'application/x-www-form-urlencoded' && ct !== 'application/json') return bare(506, `upload 'Content-Type '${ctype}' not implemented`);
      const raw = (await readBody(req)).toString('utf8');
      if (ct === 'application/json') {
        try {
          bodyParams = JSON.parse(raw);
        } catch (err) {
          entry.body = raw;
          return bare(501, `malformed JSON string: ${/** @type {Error} */ (err).message}`);
        }
        if (typeof bodyParams !== 'object' || bodyParams === null || Array.isArray(bodyParams)) {
          entry.body = bodyParams;
          return bare(501, 'Not a HASH reference');
        }
      } else {
        bodyParams = decodeUrlencoded(raw);
      }
      entry.body = bodyParams;
    } else {
      req.resume();
    }
    if (format[1] !== 'json') return bare(501, `no formatter for uri ${rel}, ${format[1]} (the simulator serves /api2/json only)`);

    const injected = sim.faults.randomError(method, path);
    if (injected) return sendError(res, new ApiError(injected.status, injected.message, { code: 'PVE_INJECTED' }));

    const route = findRoute(method, rel);
    if (!route) return sendError(res, new ApiError(501, `Method '${method} ${rel}' not implemented`));

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
