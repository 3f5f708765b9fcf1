// The host API (/host/v1/…): how a billing panel (WHMCS, …) provisions
// products and services, suspends and terminates them, and signs its
// customers in with single-use links. Server to server only: a Bearer key
// whose SHA-256 is in the config, no cookies, no CORS, every call audited.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ApiError, errorResponse, readJsonBody, sendJson } from './http-io.mjs';
import { adminSsoBody, parseBody, productBody, serviceBody, ssoBody, suspendBody, unsuspendBody } from './body-schema.mjs';
import { readCookie, sessionCookie } from './sessions.mjs';
import { OPERATOR_PREFIX, adminCookie, adminSessionId } from './admin-auth.mjs';

/**
 * @typedef {import('./host-registry.mjs').HostRegistry} HostRegistry
 * @typedef {import('./host-registry.mjs').HostService} HostService
 * @typedef {import('./customer-directory.mjs').Service} Service
 * @typedef {{keys: Array<{name: string, sha256: string}>, publicUrl: string, ssoTtlSeconds: number}} HostApiConfig
 * @typedef {{req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse,
 *   params: Record<string, string>, query: URLSearchParams, keyName: string, audit: {serviceId: string | null, action: string}}} HostCtx
 */

/** Host customers are a namespace apart from the config's usernames (which cannot contain ":"). */
export const HOST_USER_PREFIX = 'host:';

const ID = /^[A-Za-z0-9._-]{1,64}$/;
const SSO_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

const VERSION = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../pkg/package.json', import.meta.url), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();

/**
 * A host service as the customer side sees it (the directory's Service,
 * plus its suspension).
 * @param {HostService} s
 * @returns {Service & {suspended: boolean, suspendReason: string | null}}
 */
export function customerService(s) {
  return {
    id: s.id, customer: `${HOST_USER_PREFIX}${s.customerId}`, vmid: s.vmid, type: s.type, product: s.product,
    name: s.label ?? `VM ${s.vmid}`, suspended: s.suspended, suspendReason: s.suspendReason,
  };
}

/** @param {string} address */
function isLoopback(address) {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/** @param {string} text */
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest();

/**
 * @param {string} what
 * @param {string} value
 */
function checkedId(what, value) {
  if (!ID.test(value) || value === '.' || value === '..') {
    throw new ApiError('INVALID_INPUT', `${what} must be 1 to 64 letters, digits, ".", "_" or "-" (not "." or "..")`, { field: what });
  }
  return value;
}

/**
 * @param {{core: any, registry: HostRegistry, hostApi: HostApiConfig,
 *   actions: ReturnType<typeof import('./snapshot-actions.mjs').createSnapshotActions>,
 *   pve: {request(d: object): Promise<any>},
 *   sessions: ReturnType<typeof import('./sessions.mjs').createSessionStore>,
 *   wrongKeyLimiter: ReturnType<typeof import('./rate-limiter.mjs').createRateLimiter>,
 *   now: () => number, bodyLimit: number, trustProxy: boolean, tls: boolean,
 *   isSecure: (req: import('node:http').IncomingMessage) => boolean,
 *   clientIp: (req: import('node:http').IncomingMessage) => string,
 *   log: (event: string, fields: object) => void, cookiePath: string,
 *   operators: ReturnType<typeof import('./admin-auth.mjs').createOperatorDirectory>}} deps
 */
export function createHostApi(deps) {
  const { core, registry, hostApi, actions, pve, sessions, wrongKeyLimiter, now, bodyLimit, log } = deps;
  const keys = hostApi.keys.map((k) => ({ name: k.name, hash: Buffer.from(k.sha256, 'hex') }));

  /**
   * The key's name, or null. Every configured key is compared, in constant
   * time, whatever matched before.
   * @param {import('node:http').IncomingMessage} req
   */
  function keyOf(req) {
    const m = BEARER.exec(String(req.headers.authorization ?? ''));
    if (!m) return null;
    const hash = sha256(m[1]);
    let found = null;
    for (const k of keys) if (timingSafeEqual(hash, k.hash) && found === null) found = k.name;
    return found;
  }

  /**
   * Plain HTTP only from this machine, or from a proxy that says it took
   * the call over https.
   * @param {import('node:http').IncomingMessage} req
   */
  function transportAllowed(req) {
    if (deps.tls) return true;
    const proto = req.headers['x-forwarded-proto'];
    if (deps.trustProxy && proto !== undefined) return deps.isSecure(req);
    return isLoopback(req.socket.remoteAddress ?? '');
  }

  /**
   * @param {string} id
   * @returns {Promise<HostService>}
   */
  async function knownService(id) {
    const s = await registry.service(id);
    if (!s) throw new ApiError('NOT_FOUND', `no service "${id}"`);
    return s;
  }

  /** @param {HostService} s */
  const view = (s) => ({
    id: s.id, customer: s.customerId, vmid: s.vmid, type: s.type, product: s.product, label: s.label,
    suspended: s.suspended, suspendReason: s.suspendReason,
  });

  /**
   * The guest's type from /cluster/resources.
   * @param {number} vmid
   * @returns {Promise<'qemu'|'lxc'>}
   */
  async function typeOnCluster(vmid) {
    const list = await pve.request(core.clusterVmsRequest());
    const found = (Array.isArray(list) ? list : []).find((r) => r && Number(r.vmid) === vmid && (r.type === 'qemu' || r.type === 'lxc'));
    if (!found) throw new ApiError('NOT_FOUND', `no virtual machine or container ${vmid} on the cluster: create it first, or pass "type"`);
    return found.type;
  }

  // What each call does, in the vocabulary the audit log shares (actor "host").
  /** @type {Record<string, string>} */
  const ACTIONS = {
    'GET ping': 'ping', 'PUT products/:productId': 'provision', 'PUT services/:serviceId': 'provision',
    'GET services/:serviceId': 'read', 'DELETE services/:serviceId': 'terminate',
    'POST services/:serviceId/suspend': 'suspend', 'POST services/:serviceId/unsuspend': 'unsuspend', 'POST sso': 'sign-in',
    'POST admin-sso': 'sign-in',
  };

  /** @type {Array<{pattern: string[], methods: Record<string, (ctx: HostCtx) => Promise<void>>}>} */
  const routes = [
    {
      pattern: ['ping'],
      methods: {
        async GET(ctx) {
          sendJson(ctx.res, 200, { version: VERSION, api: 'v1' });
        },
      },
    },
    {
      pattern: ['products', ':productId'],
      methods: {
        async PUT(ctx) {
          const id = checkedId('productId', ctx.params.productId);
          const body = parseBody(productBody, await readJsonBody(ctx.req, { limit: bodyLimit }));
          let policy;
          try {
            policy = core.validatePolicy(body);
          } catch (err) {
            // The host sent it: a refused policy is the request's fault here, not the server's.
            const e = /** @type {{code?: string, message?: string, details?: object}} */ (err);
            if (e?.code !== 'INVALID_POLICY') throw err;
            throw new ApiError('INVALID_POLICY', String(e.message), e.details ?? undefined);
          }
          const put = await registry.putProduct(id, policy);
          if (put.conflict !== null) {
            throw new ApiError('CONFLICT', `product "${id}" is defined in the panel's own config; the host API cannot change it (use another id)`, { field: 'productId' });
          }
          sendJson(ctx.res, 200, { id, policy });
        },
      },
    },
    {
      pattern: ['services', ':serviceId'],
      methods: {
        async PUT(ctx) {
          const id = checkedId('serviceId', ctx.params.serviceId);
          ctx.audit.serviceId = id;
          const body = parseBody(serviceBody, await readJsonBody(ctx.req, { limit: bodyLimit }));
          if (!(await registry.product(body.product))) {
            throw new ApiError('NOT_FOUND', `unknown product "${body.product}": PUT /host/v1/products/${body.product} first`, { field: 'product' });
          }
          const before = await registry.service(id);
          const type = body.type ?? (before && before.vmid === body.vmid ? before.type : await typeOnCluster(body.vmid));
          const result = await registry.putService({
            id, customer: { id: body.customer.id, name: body.customer.name ?? null, email: body.customer.email ?? null },
            vmid: body.vmid, type, product: body.product, label: body.label ?? null,
          }, now());
          if (result.conflict !== null || !result.service) {
            if (result.field === 'id') throw new ApiError('CONFLICT', `service "${id}" is defined in the panel's own config; the host API cannot change it`, { field: 'serviceId' });
            if (result.field === 'customer') {
              throw new ApiError('CONFLICT', `customer "${body.customer.id}" is a customer of the panel's own config; the host API cannot use that id`, { field: 'customer.id' });
            }
            const holder = result.conflict === 'config' ? 'a service in the panel\'s own config' : `service "${result.conflict}"`;
            throw new ApiError('CONFLICT', `VMID ${body.vmid} already belongs to ${holder}`, { field: 'vmid' });
          }
          sendJson(ctx.res, result.created ? 201 : 200, view(result.service));
        },
        async GET(ctx) {
          const service = await knownService(checkedId('serviceId', ctx.params.serviceId));
          ctx.audit.serviceId = service.id;
          const policy = /** @type {object} */ (await registry.product(service.product));
          const { vmStatus, snapshots } = await actions.read(customerService(service));
          const page = core.snapshotPage(policy, vmStatus, snapshots, now());
          sendJson(ctx.res, 200, { ...view(service), snapshots: { used: page.quota.used, limit: page.quota.limit } });
        },
        async DELETE(ctx) {
          const id = checkedId('serviceId', ctx.params.serviceId);
          ctx.audit.serviceId = id;
          const extra = [...ctx.query.keys()].filter((k) => k !== 'purgeSnapshots');
          if (extra.length) throw new ApiError('INVALID_INPUT', `unknown query parameter "${extra[0]}" (allowed: purgeSnapshots)`, { field: extra[0] });
          const purgeValue = ctx.query.get('purgeSnapshots') ?? '0';
          if (purgeValue !== '0' && purgeValue !== '1') throw new ApiError('INVALID_INPUT', 'purgeSnapshots must be 1 or 0', { field: 'purgeSnapshots' });
          const service = await knownService(id);
          /** @type {{removed: string[], kept: string[], failed: Array<{name: string, message: string}>}} */
          let result = { removed: [], kept: [], failed: [] };
          if (purgeValue === '1') {
            const policy = /** @type {object} */ (await registry.product(service.product));
            result = await actions.purge(customerService(service), policy);
          }
          // With a failure the service stays, so the host's retry can finish the job.
          if (result.failed.length === 0) await registry.deleteService(id);
          sendJson(ctx.res, 200, result);
        },
      },
    },
    {
      pattern: ['services', ':serviceId', 'suspend'],
      methods: {
        async POST(ctx) {
          const id = checkedId('serviceId', ctx.params.serviceId);
          ctx.audit.serviceId = id;
          const { reason } = parseBody(suspendBody, await readJsonBody(ctx.req, { limit: bodyLimit }));
          await knownService(id);
          const s = await registry.setSuspended(id, { suspended: true, reason: reason ?? null }, now());
          sendJson(ctx.res, 200, view(/** @type {HostService} */ (s)));
        },
      },
    },
    {
      pattern: ['services', ':serviceId', 'unsuspend'],
      methods: {
        async POST(ctx) {
          const id = checkedId('serviceId', ctx.params.serviceId);
          ctx.audit.serviceId = id;
          parseBody(unsuspendBody, await readJsonBody(ctx.req, { limit: bodyLimit }));
          await knownService(id);
          const s = await registry.setSuspended(id, { suspended: false, reason: null }, now());
          sendJson(ctx.res, 200, view(/** @type {HostService} */ (s)));
        },
      },
    },
    {
      pattern: ['sso'],
      methods: {
        async POST(ctx) {
          const { customerId, serviceId } = parseBody(ssoBody, await readJsonBody(ctx.req, { limit: bodyLimit }));
          ctx.audit.serviceId = serviceId ?? null;
          if (!(await registry.customer(customerId))) throw new ApiError('NOT_FOUND', `no customer "${customerId}"`, { field: 'customerId' });
          if (serviceId !== undefined) {
            const s = await registry.service(serviceId);
            // Another customer's service is answered like a missing one.
            if (!s || s.customerId !== customerId) throw new ApiError('NOT_FOUND', `customer "${customerId}" has no service "${serviceId}"`, { field: 'serviceId' });
          }
          const token = randomBytes(32).toString('base64url');
          const expiresAt = now() + hostApi.ssoTtlSeconds * 1000;
          await registry.addSsoLink({ hash: sha256(token).toString('hex'), customerId, serviceId: serviceId ?? null, expiresAt }, now());
          sendJson(ctx.res, 200, { url: `${hostApi.publicUrl.replace(/\/+$/, '')}/sso/${token}`, expiresAt: new Date(expiresAt).toISOString() });
        },
      },
    },
    {
      // An operator's link to /admin: kept with the customers' links, under
      // the "operator:" name no host customer id can have, so neither
      // redemption accepts the other's link.
      pattern: ['admin-sso'],
      methods: {
        async POST(ctx) {
          const { username } = parseBody(adminSsoBody, await readJsonBody(ctx.req, { limit: bodyLimit }));
          if (!deps.operators.operator(username)) throw new ApiError('NOT_FOUND', `no operator "${username}" in the panel's config`, { field: 'username' });
          const token = randomBytes(32).toString('base64url');
          const expiresAt = now() + hostApi.ssoTtlSeconds * 1000;
          await registry.addSsoLink({ hash: sha256(token).toString('hex'), customerId: `${OPERATOR_PREFIX}${username}`, serviceId: null, expiresAt }, now());
          sendJson(ctx.res, 200, { url: `${hostApi.publicUrl.replace(/\/+$/, '')}/admin/sso/${token}`, expiresAt: new Date(expiresAt).toISOString() });
        },
      },
    },
  ];

  /**
   * @param {string[]} segments
   */
  function match(segments) {
    for (const route of routes) {
      if (route.pattern.length !== segments.length) continue;
      /** @type {Record<string, string>} */
      const params = {};
      if (route.pattern.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = segments[i]), true) : p === segments[i]))) {
        return { route, params };
      }
    }
    return null;
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {string[]} segments the path after /host/v1
   */
  async function handle(req, res, segments) {
    res.setHeader('Cache-Control', 'no-store');
    const ip = deps.clientIp(req);
    /** @type {{serviceId: string | null, action: string}} */
    const audit = { serviceId: null, action: 'unknown' };
    /** @type {string | null} */
    let keyName = null;
    const path = (req.url ?? '').split('?')[0];
    try {
      if (!transportAllowed(req)) {
        throw new ApiError('HOST_UNAUTHORIZED', 'the host API must be called over https (plain http only from this machine)', undefined, 403);
      }
      keyName = keyOf(req);
      if (keyName === null) {
        // Only wrong keys count, so a valid key is never refused by this limit.
        // Awaited: the limiter and the sessions may live in a database.
        const wait = await wrongKeyLimiter.retryAfter(ip);
        if (wait > 0) {
          res.setHeader('Retry-After', String(wait));
          throw new ApiError('RATE_LIMITED', `too many calls with a wrong host API key; try again in ${wait} s`, { retryAfterSeconds: wait });
        }
        await wrongKeyLimiter.hit(ip);
        res.setHeader('WWW-Authenticate', 'Bearer realm="pve-snapshots host API"');
        throw new ApiError('HOST_UNAUTHORIZED', req.headers.authorization === undefined
          ? 'missing Authorization: Bearer <host API key>' : 'the host API key is malformed or not one of the configured keys');
      }
      const found = match(segments);
      if (!found) throw new ApiError('NOT_FOUND', 'no such host API endpoint');
      const method = req.method ?? '';
      audit.action = ACTIONS[`${method} ${found.route.pattern.join('/')}`] ?? 'unknown';
      const handler = Object.hasOwn(found.route.methods, method) ? found.route.methods[method] : undefined;
      if (!handler) {
        res.setHeader('Allow', Object.keys(found.route.methods).join(', '));
        throw new ApiError('METHOD_NOT_ALLOWED', `${method} is not allowed here`);
      }
      const query = new URL(req.url ?? '/', 'http://host.invalid').searchParams;
      await handler({ req, res, params: found.params, query, keyName, audit });
      await record(res.statusCode, null);
    } catch (err) {
      const { status, body } = errorResponse(err);
      await record(status, body.error.code).catch(() => {});
      throw err;
    }

    /** @param {number} status @param {string | null} code */
    async function record(status, code) {
      /** @type {import('./host-registry.mjs').HostCall} */
      const call = {
        at: now(), key: keyName, ip, method: req.method ?? '', path, action: audit.action, status,
        outcome: status < 400 ? 'ok' : 'refused', code, serviceId: audit.serviceId,
      };
      log('host-call', call);
      await registry.recordCall(call);
    }
  }

  /**
   * GET /sso/<token>: a fresh session for the link's customer, then the
   * service's Snapshots page. Any link that is not a live, unused one gets
   * a plain page and signs nobody in.
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {string} token
   */
  async function redeem(req, res, token) {
    linkRequest(req, res);
    // HEAD must not spend a link (link checkers and previews send it).
    const link = SSO_TOKEN.test(token) && req.method === 'GET' ? await registry.takeSsoLink(sha256(token).toString('hex')) : null;
    const live = link !== null && link.expiresAt > now() && (await registry.customer(link.customerId)) !== null;
    if (!link || !live) {
      log('sign-in', { actor: 'customer', via: 'sso', outcome: 'refused', code: 'SSO_INVALID', ip: deps.clientIp(req) });
      linkRefused(req, res, 'Go back to your client area and open the snapshots page again.');
      return;
    }
    await sessions.destroy(readCookie(req.headers.cookie, 'sid'));
    const session = await sessions.create(`${HOST_USER_PREFIX}${link.customerId}`);
    const service = link.serviceId ? await registry.service(link.serviceId) : null;
    const target = service && service.customerId === link.customerId ? `#/services/${encodeURIComponent(service.id)}` : '#/';
    log('sign-in', { actor: 'customer', via: 'sso', outcome: 'ok', customer: link.customerId, serviceId: link.serviceId });
    // Relative to /…/sso/<token>, so it lands on the page under any path prefix.
    res.writeHead(303, {
      Location: `../${target}`,
      'Set-Cookie': sessionCookie(session.id, { secure: deps.isSecure(req), path: deps.cookiePath }),
      'Content-Length': 0,
    });
    res.end();
  }

  /**
   * A sign-in link is opened by a browser: GET redeems it, HEAD (link
   * checkers, previews) only looks; nothing else is allowed, and no answer
   * is cached.
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  function linkRequest(req, res) {
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new ApiError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here`);
    }
  }

  /**
   * The page a person sees for a spent, expired or unknown link: a browser
   * shows HTML, not the API's JSON.
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {string} advice  where to get a new link
   */
  function linkRefused(req, res, advice) {
    const page = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link no longer valid</title></head>'
      + '<body><h1>This sign-in link is no longer valid</h1><p>Links work once and only for a short time. '
      + `${advice}</p></body></html>`;
    res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) });
    res.end(req.method === 'HEAD' ? undefined : page);
  }

  /**
   * GET /admin/sso/<token>: a fresh operator session, then the operator's
   * page. Anything but a live, unused operator link signs nobody in.
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {string} token
   * @param {string} basePath
   */
  async function redeemAdmin(req, res, token, basePath) {
    linkRequest(req, res);
    const link = SSO_TOKEN.test(token) && req.method === 'GET' ? await registry.takeSsoLink(sha256(token).toString('hex')) : null;
    const operator = link && link.customerId.startsWith(OPERATOR_PREFIX) && link.expiresAt > now()
      ? deps.operators.operator(link.customerId.slice(OPERATOR_PREFIX.length)) : undefined;
    if (!operator) {
      log('sign-in', { actor: 'operator', via: 'sso', outcome: 'refused', code: 'SSO_INVALID', ip: deps.clientIp(req) });
      linkRefused(req, res, 'Open the operator\'s view from your billing panel again, or sign in with your password.');
      return;
    }
    await sessions.destroy(adminSessionId(req));
    const session = await sessions.create(deps.operators.sessionName(operator));
    log('sign-in', { actor: 'operator', via: 'sso', outcome: 'ok', operator: operator.username });
    // Relative to /…/admin/sso/<token>: the operator's page under any path prefix.
    res.writeHead(303, {
      Location: '../',
      'Set-Cookie': adminCookie(session.id, { secure: deps.isSecure(req), basePath }),
      'Content-Length': 0,
    });
    res.end();
  }

  return { handle, redeem, redeemAdmin };
}
