// The operator's JSON API under /admin/api/. One route table, ADMIN_ROUTES:
// each part of the operator's view contributes a list of routes from its own
// module. A route is signed-in-operator only unless it says `public: true`
// (only sign-in is); the check runs here, for every route, before any
// handler, so a handler never sees a customer's session or none.
//
// Adding routes: export an `AdminRoute[]` from your module and spread it into
// ADMIN_ROUTES below. `pattern` is matched on raw path segments below
// /admin/api/ (":name" is a parameter, at most 256 characters, undecoded);
// handlers get an AdminCtx and answer with sendJson (or write ctx.res
// themselves, e.g. a CSV download). Non-GET routes need the X-CSRF-Token of
// the operator's session and a same-origin Origin; read a JSON body with
// `ctx.app.readBody(ctx.req)`.
import { ApiError, readJsonBody, sendJson } from './http-io.mjs';
import { loginBody, parseBody } from './body-schema.mjs';
import { csrfMatches } from './sessions.mjs';
import { verifyPassword } from './passwords.mjs';
import { adminCookie, adminSessionId } from './admin-auth.mjs';
import { resolveRoute, sameOrigin } from './route-table.mjs';
import { FLEET_ROUTES } from './admin-fleet.mjs';
import { REPORT_ROUTES } from './admin-reports.mjs';

/**
 * @typedef {import('./sessions.mjs').Session} Session
 * @typedef {import('./admin-auth.mjs').Operator} Operator
 * @typedef {ReturnType<typeof import('./rate-limiter.mjs').createRateLimiter>} RateLimiter
 * @typedef {{
 *   core: any,
 *   store: import('../store/index.mjs').Store,
 *   config: {services: import('./customer-directory.mjs').Service[], products: Record<string, object>, job?: {intervalMinutes?: number}},
 *   registry: import('./host-registry.mjs').HostRegistry | null,
 *   directory: ReturnType<typeof import('./directory.mjs').createDirectory>,
 *   actions: ReturnType<typeof import('./snapshot-actions.mjs').createSnapshotActions>,
 *   resolver: ReturnType<typeof import('./node-resolver.mjs').createNodeResolver>,
 *   operators: ReturnType<typeof import('./admin-auth.mjs').createOperatorDirectory>,
 *   sessions: ReturnType<typeof import('./sessions.mjs').createSessionStore>,
 *   loginLimiter: RateLimiter, loginIpLimiter: RateLimiter,
 *   now: () => number, log: (event: string, fields: object) => void, basePath: string,
 *   isSecure: (req: import('node:http').IncomingMessage) => boolean,
 *   clientIp: (req: import('node:http').IncomingMessage) => string,
 *   readBody: (req: import('node:http').IncomingMessage) => Promise<Record<string, unknown>>,
 * }} AdminApp  what handlers may use
 * @typedef {{req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse,
 *   params: Record<string, string>, query: URLSearchParams, session: Session | null, operator: Operator | null,
 *   app: AdminApp}} AdminCtx  `session` and `operator` are set on every route that is not public
 * @typedef {(ctx: AdminCtx) => Promise<void>} AdminHandler
 * @typedef {{pattern: string, public?: boolean, methods: Record<string, AdminHandler>}} AdminRoute
 */

/** @param {Operator} o */
const operatorView = (o) => ({ username: o.username, displayName: o.displayName });

/** @type {AdminRoute[]} */
const SESSION_ROUTES = [
  {
    pattern: 'login',
    public: true,
    methods: {
      async POST(ctx) {
        const { app } = ctx;
        const { username, password } = parseBody(loginBody, await app.readBody(ctx.req));
        const ip = app.clientIp(ctx.req);
        // Counted apart from the customers' sign-ins, with the same limits.
        const key = `operator\n${ip}\n${username.toLowerCase()}`;
        const wait = Math.max(await app.loginLimiter.retryAfter(key), await app.loginIpLimiter.retryAfter(`operator\n${ip}`));
        if (wait > 0) {
          ctx.res.setHeader('Retry-After', String(wait));
          throw new ApiError('RATE_LIMITED', `too many failed sign-in attempts; try again in ${wait} s`, { retryAfterSeconds: wait });
        }
        const operator = app.operators.operator(username);
        const ok = await verifyPassword(password, operator?.passwordHash);
        if (!ok || !operator) {
          await app.loginLimiter.hit(key);
          await app.loginIpLimiter.hit(`operator\n${ip}`);
          app.log('sign-in', { actor: 'operator', outcome: 'refused', code: 'INVALID_CREDENTIALS', ip });
          throw new ApiError('INVALID_CREDENTIALS', 'wrong username or password');
        }
        await app.loginLimiter.reset(key);
        await app.sessions.destroy(adminSessionId(ctx.req));
        const session = await app.sessions.create(app.operators.sessionName(operator));
        await app.store.audit({ actorKind: 'operator', actorId: operator.username, action: 'sign-in', outcome: 'ok' }, app.now());
        app.log('sign-in', { actor: 'operator', outcome: 'ok', operator: operator.username });
        sendJson(ctx.res, 200, { operator: operatorView(operator), csrfToken: session.csrfToken }, {
          'Set-Cookie': adminCookie(session.id, { secure: app.isSecure(ctx.req), basePath: app.basePath }),
        });
      },
    },
  },
  {
    pattern: 'logout',
    methods: {
      async POST(ctx) {
        await ctx.app.readBody(ctx.req);
        await ctx.app.sessions.destroy(/** @type {Session} */ (ctx.session).id);
        sendJson(ctx.res, 204, undefined, {
          'Set-Cookie': adminCookie('', { secure: ctx.app.isSecure(ctx.req), basePath: ctx.app.basePath, clear: true }),
        });
      },
    },
  },
  {
    pattern: 'session',
    methods: {
      async GET(ctx) {
        sendJson(ctx.res, 200, {
          operator: operatorView(/** @type {Operator} */ (ctx.operator)),
          csrfToken: /** @type {Session} */ (ctx.session).csrfToken,
        });
      },
    },
  },
];

/** Every admin API route. */
export const ADMIN_ROUTES = Object.freeze([
  ...SESSION_ROUTES,
  ...FLEET_ROUTES,
  ...REPORT_ROUTES,
]);

/**
 * @param {Omit<AdminApp, 'readBody'> & {bodyLimit: number}} deps
 * @param {readonly AdminRoute[]} [routes]
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, segments: string[]) => Promise<void>}
 *   `segments`: the raw path below /admin/api/
 */
export function createAdminApi({ bodyLimit, ...deps }, routes = ADMIN_ROUTES) {
  /** @type {AdminApp} */
  const app = { ...deps, readBody: (req) => readJsonBody(req, { limit: bodyLimit }) };

  return async (req, res, segments) => {
    const found = resolveRoute(routes, segments, req, res);
    const method = req.method ?? '';
    const unsafe = method !== 'GET' && method !== 'HEAD';
    if (unsafe && !sameOrigin(req, app.isSecure(req))) throw new ApiError('CSRF_FAILED', 'cross-origin request refused');
    /** @type {AdminCtx} */
    const ctx = {
      req, res, params: found.params, query: new URL(req.url ?? '/', 'http://admin.invalid').searchParams,
      session: null, operator: null, app,
    };
    if (!found.route.public) {
      const session = await app.sessions.get(adminSessionId(req));
      // A customer's session (whatever cookie carries it) has no operator.
      const operator = session ? app.operators.ofSession(session) : undefined;
      if (!session || !operator) throw new ApiError('UNAUTHENTICATED', 'sign in as an operator first');
      if (unsafe && !csrfMatches(session, req.headers['x-csrf-token'])) {
        throw new ApiError('CSRF_FAILED', 'missing or wrong X-CSRF-Token header');
      }
      ctx.session = session;
      ctx.operator = operator;
    }
    await found.handler(ctx);
  };
}
