// Customer passwords are stored as `scrypt$<salt b64>$<hash b64>` in the
// config. scrypt parameters are fixed (Node's defaults) so the format stays
// the one the config documents; a stronger setting would need a new prefix.
import { scrypt, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;
const SCRYPT_OPTIONS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const FORMAT = /^scrypt\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/**
 * @param {string} password
 * @param {Buffer} salt
 * @returns {Promise<Buffer>}
 */
function derive(password, salt) {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, SCRYPT_OPTIONS, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Hashes a password for the config's `customers[].passwordHash`.
 * @param {string} password
 * @returns {Promise<string>}
 */
export async function hashPassword(password) {
  if (typeof password !== 'string' || password.length === 0) {
    throw Object.assign(new Error('password: must be a non-empty string'), { code: 'INVALID_INPUT' });
  }
  const salt = randomBytes(16);
  const key = await derive(password, salt);
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * @param {unknown} stored
 * @returns {boolean} whether `stored` has the `scrypt$salt$hash` shape
 */
export function isPasswordHash(stored) {
  if (typeof stored !== 'string') return false;
  const m = FORMAT.exec(stored);
  return m !== null && Buffer.from(m[2], 'base64').length === KEY_LENGTH && Buffer.from(m[1], 'base64').length >= 8;
}

// Verifying against this when the user is unknown costs the same scrypt run,
// so response time does not tell which usernames exist.
const DUMMY_HASH = `scrypt$${Buffer.alloc(16, 7).toString('base64')}$${Buffer.alloc(KEY_LENGTH).toString('base64')}`;

/**
 * Constant-work check: always runs scrypt, also for a missing hash.
 * @param {string} password
 * @param {string | undefined} stored the config's hash, or undefined for an unknown user
 * @returns {Promise<boolean>}
 */
export async function verifyPassword(password, stored) {
  const usable = isPasswordHash(stored);
  const m = /** @type {RegExpExecArray} */ (FORMAT.exec(usable ? /** @type {string} */ (stored) : DUMMY_HASH));
  const salt = Buffer.from(m[1], 'base64');
  const expected = Buffer.from(m[2], 'base64');
  const key = await derive(typeof password === 'string' ? password : '', salt);
  return timingSafeEqual(key, expected) && usable;
}
