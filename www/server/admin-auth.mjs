// Who is an operator, and how an operator's session is told apart from a
// customer's. Both live in the store's one sessions table; an operator's
// username there carries the "operator:" prefix, which neither a config
// customer (no ":" allowed) nor a host customer ("host:") can have. The
// operator's cookie has its own name and path, and every admin route checks
// the prefix and that the operator is still in the config.
import { readCookie, sessionCookie } from './sessions.mjs';

/** @typedef {import('../config-schema.mjs').Operator} OperatorEntry */
/** @typedef {{username: string, displayName: string, passwordHash: string}} Operator */
/** @typedef {import('./sessions.mjs').Session} Session */

export const OPERATOR_PREFIX = 'operator:';
/** The operator's session cookie (Path: <base>/admin). */
export const ADMIN_COOKIE = 'asid';

/** @param {Session} session */
export const isOperatorSession = (session) => session.username.startsWith(OPERATOR_PREFIX);

/**
 * @param {OperatorEntry[] | undefined} operators the config's `operators`, checked by the config schema
 */
export function createOperatorDirectory(operators = []) {
  /** @type {Map<string, Operator>} */
  const byName = new Map(operators.map((o) => [o.username, { username: o.username, displayName: o.displayName || o.username, passwordHash: o.passwordHash }]));
  return {
    /** @param {string} username @returns {Operator | undefined} */
    operator: (username) => byName.get(username),
    /**
     * The operator a session belongs to; undefined for a customer's session
     * or an operator removed from the config since.
     * @param {Session} session
     * @returns {Operator | undefined}
     */
    ofSession: (session) => (isOperatorSession(session) ? byName.get(session.username.slice(OPERATOR_PREFIX.length)) : undefined),
    /** The session username an operator signs in as. @param {Operator} o */
    sessionName: (o) => `${OPERATOR_PREFIX}${o.username}`,
  };
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {string | undefined} the operator's session id from its cookie
 */
export const adminSessionId = (req) => readCookie(req.headers.cookie, ADMIN_COOKIE);

/**
 * @param {string} value session id, or '' to clear
 * @param {{secure: boolean, basePath: string, clear?: boolean}} o
 */
export const adminCookie = (value, { secure, basePath, clear = false }) => sessionCookie(value, {
  secure, path: `${basePath}/admin`, name: ADMIN_COOKIE, maxAgeSeconds: clear ? 0 : undefined,
});
