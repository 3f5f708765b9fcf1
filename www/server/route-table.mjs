// Routing shared by the customer API and the operator's API: a fixed table
// matched on raw, undecoded path segments, so nothing a client puts in the
// path can turn into a different request. ":name" is a parameter of at most
// 256 characters; empty, "." and ".." segments match nothing.
import { ApiError } from './http-io.mjs';

/**
 * The route and handler for a request, or NOT_FOUND / METHOD_NOT_ALLOWED
 * (with the Allow header set).
 * @template {{pattern: string, methods: Record<string, any>}} R
 * @param {readonly R[]} routes
 * @param {string[]} segments
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @returns {{route: R, params: Record<string, string>, handler: R['methods'][string]}}
 */
export function resolveRoute(routes, segments, req, res) {
  const found = match(routes, segments);
  if (!found) throw new ApiError('NOT_FOUND', 'no such API endpoint');
  const method = req.method ?? '';
  if (!Object.hasOwn(found.route.methods, method)) {
    res.setHeader('Allow', Object.keys(found.route.methods).join(', '));
    throw new ApiError('METHOD_NOT_ALLOWED', `${method} is not allowed here`);
  }
  return { ...found, handler: found.route.methods[method] };
}

/**
 * @template {{pattern: string}} R
 * @param {readonly R[]} routes
 * @param {string[]} segments
 */
function match(routes, segments) {
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  for (const route of routes) {
    const pattern = route.pattern.split('/');
    if (pattern.length !== segments.length) continue;
    /** @type {Record<string, string>} */
    const params = {};
    const ok = pattern.every((p, i) => {
      if (p.startsWith(':')) {
        params[p.slice(1)] = segments[i];
        return segments[i].length <= 256;
      }
      return p === segments[i];
    });
    if (ok) return { route, params };
  }
  return null;
}

/**
 * Browsers always send Origin on cross-site POSTs; a mismatch is a forged
 * request even before the CSRF token is looked at (covers sign-in, which
 * has no token yet).
 * @param {import('node:http').IncomingMessage} req
 * @param {boolean} secure whether the request reached us over https
 */
export function sameOrigin(req, secure) {
  const origin = req.headers.origin;
  return origin === undefined || origin === `${secure ? 'https' : 'http'}://${req.headers.host}`;
}
