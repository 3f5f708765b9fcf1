// The store's one failure code and the masking of DATABASE_URL: whatever the
// engine says, the caller sees STORE_UNAVAILABLE with a message that never
// carries the database password.

/** A store failure: the database cannot be reached, is locked, full, corrupt or too new. */
export class StoreError extends Error {
  /**
   * @param {string} message
   * @param {{cause?: unknown}} [options]
   */
  constructor(message, options) {
    super(message, options);
    this.name = 'StoreError';
    this.code = 'STORE_UNAVAILABLE';
  }
}

/**
 * A refusal decided by the store's own code inside a transaction (a conflict
 * in the data, not a database failure): the transaction is rolled back and
 * the caller gets it unchanged, with its own code.
 */
export class StoreRefusal extends Error {
  /**
   * @param {string} message
   * @param {{code: string, details?: object}} o
   */
  constructor(message, { code, details }) {
    super(message);
    this.name = 'StoreRefusal';
    this.code = code;
    this.details = details;
  }
}

/**
 * A connection string with its password replaced by `***` (also the
 * `password=` form of libpq keyword strings and query parameters).
 * @param {string} url
 * @returns {string}
 */
export function maskUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString().replace('%2A%2A%2A', '***');
  } catch {
    return String(url).replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1***').replace(/(:\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/**
 * The password part of a connection string, so it can be cut out of any text.
 * @param {string} url
 * @returns {string | null}
 */
export function urlPassword(url) {
  try {
    const u = new URL(url);
    const p = u.password ? decodeURIComponent(u.password) : u.searchParams.get('password');
    return p || null;
  } catch {
    return /password\s*=\s*'?([^'\s]+)/i.exec(url)?.[1] ?? null;
  }
}

/**
 * Removes every occurrence of `secret` (raw and URL-encoded) from a text.
 * @param {string} text
 * @param {string | null} secret
 */
export function redactSecret(text, secret) {
  if (!secret) return text;
  let out = text.split(secret).join('***');
  const enc = encodeURIComponent(secret);
  if (enc !== secret) out = out.split(enc).join('***');
  return out;
}
