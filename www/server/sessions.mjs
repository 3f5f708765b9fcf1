// Login sessions, kept in the store so they survive a restart and work on
// every instance. The store holds a hash of the session id only; the CSRF
// token is derived from the id, so a copy of the database signs nobody in
// and forges no request.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * @typedef {{id: string, username: string, csrfToken: string, createdAt: number}} Session
 */

/** @param {string} id */
export const sessionIdHash = (id) => createHash('sha256').update(id).digest('base64url');
/** @param {string} id */
const csrfFor = (id) => createHmac('sha256', id).update('pve-snapshots csrf').digest('base64url');

// A session id is 32 random bytes in base64url; anything else is not looked up.
const SESSION_ID_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * @param {{store: import('../store/index.mjs').Store, now: () => number, idleMs?: number, absoluteMs?: number}} options
 */
export function createSessionStore({ store, now, idleMs = 30 * 60_000, absoluteMs = 12 * 3_600_000 }) {
  return {
    idleMs,
    absoluteMs,
    /**
     * A fresh id and CSRF token on every call: login never reuses an id
     * the browser already had (no session fixation).
     * @param {string} username
     * @returns {Promise<Session>}
     */
    async create(username) {
      const t = now();
      const id = randomBytes(32).toString('base64url');
      await store.createSession({ idHash: sessionIdHash(id), username, now: t });
      return { id, username, csrfToken: csrfFor(id), createdAt: t };
    },
    /**
     * @param {string | undefined} id
     * @returns {Promise<Session | null>}
     */
    async get(id) {
      if (typeof id !== 'string' || !SESSION_ID_RE.test(id)) return null;
      const s = await store.findSession(sessionIdHash(id), { now: now(), idleMs, absoluteMs });
      return s ? { id, username: s.username, csrfToken: csrfFor(id), createdAt: s.createdAt } : null;
    },
    /** @param {string | undefined} id */
    async destroy(id) {
      if (typeof id === 'string' && SESSION_ID_RE.test(id)) await store.deleteSession(sessionIdHash(id));
    },
    /** Sessions that have not ended (for the metrics). */
    async count() {
      return store.countSessions({ now: now(), idleMs, absoluteMs });
    },
    /** Removes expired sessions (a periodic chore). */
    async prune() {
      return store.pruneSessions({ now: now(), idleMs, absoluteMs });
    },
  };
}

/**
 * @param {Session} session
 * @param {unknown} token the `X-CSRF-Token` header
 * @returns {boolean}
 */
export function csrfMatches(session, token) {
  if (typeof token !== 'string') return false;
  const a = Buffer.from(token);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * @param {string | undefined} header the `Cookie` header
 * @param {string} name
 * @returns {string | undefined}
 */
export function readCookie(header, name) {
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * @param {string} value session id, or '' to clear
 * @param {{secure: boolean, maxAgeSeconds?: number, path?: string, name?: string}} options path: the panel's
 *   base path; name: `sid` for customers (the operators' cookie has its own name and path)
 * @returns {string}
 */
export function sessionCookie(value, { secure, maxAgeSeconds, path = '/', name = 'sid' }) {
  const parts = [`${name}=${value}`, 'HttpOnly', 'SameSite=Strict', `Path=${path}`];
  if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${maxAgeSeconds}`);
  if (secure) parts.push('Secure');
  return parts.join('; ');
}
