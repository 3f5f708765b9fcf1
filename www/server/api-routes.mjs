// The panel's same-origin JSON API (see /api/* in the task's contract).
// Routing is on raw, undecoded path segments with a fixed table: nothing a
// client puts in the path can turn into a different Proxmox request.
import { ApiError, readJsonBody, sendJson } from './http-io.mjs';
import { createBody, loginBody, parseBody, removeBody, rollbackBody } from './body-schema.mjs';
import { csrfMatches, readCookie, sessionCookie } from './sessions.mjs';
import { verifyPassword } from './passwords.mjs';
import { publicTask } from './task-registry.mjs';
import { resolveRoute, sameOrigin } from './route-table.mjs';
import { HISTORY_LIMIT, historyEvents } from './history.mjs';
import { isOperatorSession } from './admin-auth.mjs';

/**
 * @typedef {import('./sessions.mjs').Session} Session
 * @typedef {import('./directory.mjs').Service} Service
 * @typedef {{req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse,
 *   params: Record<string, string>, session: Session | null, description?: string|null}} Ctx
 *   `description`: a create's snapshot description once its body passed the schema (the audit of a
 *   refusal keeps it; a description refused for itself never gets here)
 * @typedef {(ctx: Ctx) => Promise<void>} Handler
 */

/**
 * @param {{core: any, directory: ReturnType<typeof import('./directory.mjs').createDirectory>,
 *   sessions: ReturnType<typeof import('./sessions.mjs').createSessionStore>,
 *   actions: ReturnType<typeof import('./snapshot-actions.mjs').createSnapshotActions>,
 *   tasks: ReturnType<typeof import('./task-registry.mjs').createTaskRegistry>,
 *   store: import('../store/index.mjs').Store,
 *   loginLimiter: ReturnType<typeof import('./rate-limiter.mjs').createRateLimiter>,
 *   loginIpLimiter: ReturnType<typeof import('./rate-limiter.mjs').createRateLimiter>,
 *   actionLimiter: ReturnType<typeof import('./rate-limiter.mjs').createRateLimiter>,
 *   now: () => number, bodyLimit: number, isSecure: (req: import('node:http').IncomingMessage) => boolean,
 *   clientIp: (req: import('node:http').IncomingMessage) => string, cookiePath: string}} deps
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, segments: string[]) => Promise<void>}
 */
export function createApi(deps) {
  const { core, directory, sessions, actions, tasks, store, loginLimiter, loginIpLimiter, actionLimiter, now, bodyLimit } = deps;

  /** @param {Session} session */
  const userOf = async (session) => {
    const c = await directory.customer(session.username);
    return { username: session.username, displayName: c?.displayName ?? session.username };
  };

  /**
   * The customer's own service, or 404 for anything else (never reveal that
   * another customer's service exists).
   * @param {Ctx} ctx
   * @returns {Promise<Service>}
   */
  async function ownService(ctx) {
    const service = await directory.service(/** @type {Session} */ (ctx.session).username, ctx.params.id);
    if (!service) throw new ApiError('NOT_FOUND', 'no such service');
    return service;
  }

  /**
   * The customer's own service, if it may be changed: a service the host
   * has suspended can be looked at, nothing more.
   * @param {Ctx} ctx
   * @returns {Promise<Service>}
   */
  async function ownActiveService(ctx) {
    const service = await ownService(ctx);
    if (service.suspended) {
      const reason = service.suspendReason ? `: ${service.suspendReason}` : '';
      throw new ApiError('SERVICE_SUSPENDED', `this service is suspended${reason}; snapshots can be viewed but not changed`,
        { reason: service.suspendReason ?? null });
    }
    return service;
  }

  /**
   * Rejects a bad snapshot name before any Proxmox call: the core plans a
   * removal against an empty list; anything but "no such snapshot" is the
   * name's own fault (format, reserved, not one of ours).
   * @param {Ctx} ctx
   * @param {Service} service
   * @returns {Promise<string>}
   */
  async function checkedName(ctx, service) {
    let name;
    try {
      name = decodeURIComponent(ctx.params.name);
    } catch {
      throw new ApiError('INVALID_NAME', 'snapshot name is not valid percent-encoding');
    }
    try {
      core.planRemove({ node: 'localhost', vmid: service.vmid, type: service.type }, await directory.policy(service),
        { status: 'stopped' }, [{ name: 'current', description: 'You are here!', running: 0 }], name);
    } catch (err) {
      const code = /** @type {{code?: string}} */ (err).code;
      if (code === 'INVALID_NAME' || code === 'INVALID_INPUT' || code === 'NOT_MANAGED') throw err;
    }
    return name;
  }

  /** @param {Ctx} ctx */
  async function countAction(ctx) {
    const wait = await actionLimiter.take(/** @type {Session} */ (ctx.session).username);
    if (wait > 0) {
      ctx.res.setHeader('Retry-After', String(wait));
      throw new ApiError('RATE_LIMITED', `too many snapshot actions; try again in ${wait} s`, { retryAfterSeconds: wait });
    }
  }

  /**
   * An action handler whose refusals go to the audit log with their code
   * (accepted actions and their outcomes are recorded with the task). When
   * the store itself failed there is nowhere to write it.
   * @param {'create'|'rollback'|'remove'} action
   * @param {Handler} handler
   * @returns {Handler}
   */
  const audited = (action, handler) => async (ctx) => {
    try {
      await handler(ctx);
    } catch (err) {
      const e = /** @type {{code?: unknown, message?: unknown}} */ (err);
      if (e?.code !== 'STORE_UNAVAILABLE') {
        const service = await directory.service(/** @type {Session} */ (ctx.session).username, ctx.params.id).catch(() => undefined);
        let snapshot = null;
        try { snapshot = ctx.params.name === undefined ? null : decodeURIComponent(ctx.params.name).slice(0, 100); } catch { /* recorded without it */ }
        await store.audit({
          actorKind: 'customer', actorId: /** @type {Session} */ (ctx.session).username, serviceId: ctx.params.id.slice(0, 100),
          vmid: service?.vmid ?? null, action, snapshot, outcome: 'refused',
          code: typeof e?.code === 'string' ? e.code : 'INTERNAL', message: typeof e?.message === 'string' ? e.message.slice(0, 500) : null,
          description: ctx.description ?? null,
        }, now()).catch(() => {});
      }
      throw err;
    }
  };

  /**
   * @param {Ctx} ctx
   * @param {Parameters<typeof actions.start>[0]['action']} action
   * @param {Service} service
   */
  async function startAction(ctx, action, service) {
    const customer = /** @type {Session} */ (ctx.session).username;
    const task = await actions.start({ customer, service, policy: await directory.policy(service), action });
    sendJson(ctx.res, 202, { task: { id: task.id, kind: task.kind, name: task.name } });
  }

  /** @type {Array<{pattern: string, auth: boolean, methods: Record<string, Handler>}>} */
  const routes = [
    {
      pattern: 'login',
      auth: false,
      methods: {
        async POST(ctx) {
          const { username, password } = parseBody(loginBody, await readJsonBody(ctx.req, { limit: bodyLimit }));
          const ip = deps.clientIp(ctx.req);
          const key = `${ip}\n${username.toLowerCase()}`;
          // Per IP+username stops guessing one password; per IP alone stops
          // trying one password against many usernames.
          const wait = Math.max(await loginLimiter.retryAfter(key), await loginIpLimiter.retryAfter(ip));
          if (wait > 0) {
            ctx.res.setHeader('Retry-After', String(wait));
            throw new ApiError('RATE_LIMITED', `too many failed sign-in attempts; try again in ${wait} s`, { retryAfterSeconds: wait });
          }
          const customer = await directory.customer(username);
          const ok = await verifyPassword(password, customer?.passwordHash);
          if (!ok || !customer) {
            await loginLimiter.hit(key);
            await loginIpLimiter.hit(ip);
            throw new ApiError('INVALID_CREDENTIALS', 'wrong username or password');
          }
          await loginLimiter.reset(key);
          await sessions.destroy(readCookie(ctx.req.headers.cookie, 'sid'));
          const session = await sessions.create(customer.username);
          sendJson(ctx.res, 200, { user: await userOf(session), csrfToken: session.csrfToken }, {
            // No Max-Age: the cookie ends with the browser session; the server ends it earlier when idle.
            'Set-Cookie': sessionCookie(session.id, { secure: deps.isSecure(ctx.req), path: deps.cookiePath }),
          });
        },
      },
    },
    {
      pattern: 'logout',
      auth: true,
      methods: {
        async POST(ctx) {
          await readJsonBody(ctx.req, { limit: bodyLimit });
          await sessions.destroy(/** @type {Session} */ (ctx.session).id);
          sendJson(ctx.res, 204, undefined, {
            'Set-Cookie': sessionCookie('', { secure: deps.isSecure(ctx.req), maxAgeSeconds: 0, path: deps.cookiePath }),
          });
        },
      },
    },
    {
      pattern: 'session',
      auth: true,
      methods: {
        async GET(ctx) {
          const session = /** @type {Session} */ (ctx.session);
          sendJson(ctx.res, 200, { user: await userOf(session), csrfToken: session.csrfToken });
        },
      },
    },
    {
      pattern: 'services',
      auth: true,
      methods: {
        async GET(ctx) {
          const services = (await directory.services(/** @type {Session} */ (ctx.session).username))
            .map((s) => ({ id: s.id, name: s.name, vmid: s.vmid, type: s.type, product: s.product }));
          sendJson(ctx.res, 200, { services });
        },
      },
    },
    {
      pattern: 'services/:id/snapshots',
      auth: true,
      methods: {
        async GET(ctx) {
          const service = await ownService(ctx);
          const { vmStatus, snapshots } = await actions.read(service);
          sendJson(ctx.res, 200, {
            service: { id: service.id, name: service.name, vmid: service.vmid, type: service.type },
            policy: await directory.policy(service),
            suspended: service.suspended ? { reason: service.suspendReason ?? null } : null,
            vmStatus,
            snapshots,
            serverTime: now(),
            activeTask: await actions.activeTask(/** @type {Session} */ (ctx.session).username, service),
          });
        },
        POST: audited('create', async (ctx) => {
          await countAction(ctx);
          const raw = await readJsonBody(ctx.req, { limit: bodyLimit });
          const service = await ownActiveService(ctx);
          const { description, includeRam } = parseBody(createBody, raw);
          ctx.description = description || null;
          await startAction(ctx, { kind: 'create', input: { description, includeRam } }, service);
        }),
      },
    },
    {
      pattern: 'services/:id/snapshots/:name',
      auth: true,
      methods: {
        DELETE: audited('remove', async (ctx) => {
          await countAction(ctx);
          const raw = await readJsonBody(ctx.req, { limit: bodyLimit });
          const service = await ownActiveService(ctx);
          parseBody(removeBody, raw);
          await startAction(ctx, { kind: 'remove', name: await checkedName(ctx, service) }, service);
        }),
      },
    },
    {
      pattern: 'services/:id/snapshots/:name/rollback',
      auth: true,
      methods: {
        POST: audited('rollback', async (ctx) => {
          await countAction(ctx);
          const raw = await readJsonBody(ctx.req, { limit: bodyLimit });
          const service = await ownActiveService(ctx);
          const { start } = parseBody(rollbackBody, raw);
          const name = await checkedName(ctx, service);
          await startAction(ctx, { kind: 'rollback', name, input: { start } }, service);
        }),
      },
    },
    {
      pattern: 'services/:id/history',
      auth: true,
      methods: {
        async GET(ctx) {
          const service = await ownService(ctx);
          const customer = /** @type {Session} */ (ctx.session).username;
          // Each action is at most two entries (accepted, then its outcome).
          const rows = await store.serviceHistory(service.id, customer, { limit: 2 * HISTORY_LIMIT });
          sendJson(ctx.res, 200, { events: historyEvents(rows, HISTORY_LIMIT) });
        },
      },
    },
    {
      pattern: 'services/:id/tasks/:taskId',
      auth: true,
      methods: {
        async GET(ctx) {
          const service = await ownService(ctx);
          const found = await tasks.find(ctx.params.taskId, /** @type {Session} */ (ctx.session).username, service.id);
          if (!found) throw new ApiError('NOT_FOUND', 'no such task');
          const task = await actions.refresh(found);
          sendJson(ctx.res, 200, { task: publicTask(task) });
        },
      },
    },
  ];

  return async (req, res, segments) => {
    const found = resolveRoute(routes, segments, req, res);
    const unsafe = req.method !== 'GET';
    if (unsafe && !sameOrigin(req, deps.isSecure(req))) throw new ApiError('CSRF_FAILED', 'cross-origin request refused');
    /** @type {Ctx} */
    const ctx = { req, res, params: found.params, session: null };
    if (found.route.auth) {
      ctx.session = await sessions.get(readCookie(req.headers.cookie, 'sid'));
      // An operator's session id sent as a customer's cookie is no customer.
      if (!ctx.session || isOperatorSession(ctx.session)) throw new ApiError('UNAUTHENTICATED', 'sign in first');
      if (unsafe && !csrfMatches(ctx.session, req.headers['x-csrf-token'])) {
        throw new ApiError('CSRF_FAILED', 'missing or wrong X-CSRF-Token header');
      }
    }
    await found.handler(ctx);
  };
}
