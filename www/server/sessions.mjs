// In-memory login sessions. A restart signs everyone out, which is
// acceptable for a panel whose sessions are short anyway.
import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * @typedef {{id: string, username: string, csrfToken: string, createdAt: number, seenAt: number}} Session
 */

/**
 * @param {{now: () => number, idleMs?: number, absoluteMs?: number}} options
 */
export function createSessionStore({ now, idleMs = 30 * 60_000, absoluteMs = 12 * 3_600_000 }) {
  /** @type {Map<string, Session>} */
  const sessions = new Map();

  /** @param {Session} s */
  const expired = (s) => now() - s.seenAt > idleMs || now() - s.createdAt > absoluteMs;

  function prune() {
    for (const [id, s] of sessions) if (expired(s)) sessions.delete(id);
  }

  return {
    /**
     * A fresh id and CSRF token on every call: login never reuses an id
     * the browser already had (no session fixation).
     * @param {string} username
     * @returns {Session}
     */
    create(username) {
      prune();
      const t = now();
      const session = {
        id: randomBytes(32).toString('base64url'),
        username,
        csrfToken: randomBytes(32).toString('base64url'),
        createdAt: t,
        seenAt: t,
      };
      sessions.set(session.id, session);
      return session;
    },
    /**
     * @param {string | undefined} id
     * @returns {Session | null}
     */
    get(id) {
      if (typeof id !== 'string') return null;
      const s = sessions.get(id);
      if (!s) return null;
      if (expired(s)) {
        sessions.delete(id);
        return null;
      }
      s.seenAt = now();
      return s;
    },
    /** @param {string | undefined} id */
    destroy(id) {
      if (typeof id === 'string') sessions.delete(id);
    },
    get size() {
      return sessions.size;
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
 * @param {{secure: boolean, maxAgeSeconds?: number, path?: string}} options path: the panel's base path
 * @returns {string}
 */
export function sessionCookie(value, { secure, maxAgeSeconds, path = '/' }) {
  const parts = [`sid=${value}`, 'HttpOnly', 'SameSite=Strict', `Path=${path}`];
  if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${maxAgeSeconds}`);
  if (secure) parts.push('Secure');
  return parts.join('; ');
}
