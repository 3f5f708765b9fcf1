// API-token authentication and the few privileges the project's paths need.
// Privileges are global per token (the simulator has no ACL tree): enough to
// reproduce "token lacks VM.Snapshot" without modelling pveum.

/** Privileges a token gets when the configuration names none. */
export const DEFAULT_PRIVILEGES = Object.freeze(['VM.Audit', 'VM.Snapshot', 'VM.Snapshot.Rollback', 'VM.PowerMgmt', 'Sys.Audit']);

// pve-access-control: user@realm!tokenid; realm and token id use the realm regex.
const TOKENID_RE = /^(([^\s:/]+)@([A-Za-z][A-Za-z0-9.\-_]+))!([A-Za-z][A-Za-z0-9.\-_]+)$/;

/**
 * @typedef {object} TokenConfig
 * @property {string} id         'user@realm!tokenid'
 * @property {string} secret
 * @property {string[]} [privileges]
 */

/**
 * @typedef {object} Identity
 * @property {string} tokenid    full 'user@realm!name'
 * @property {string} user       'user@realm'
 * @property {string} tokenName  'name'
 * @property {Set<string>} privileges
 */

/**
 * @param {TokenConfig[]} tokens
 * @returns {Map<string, {secret: string, identity: Identity}>}
 */
export function tokenRegistry(tokens) {
  const map = new Map();
  for (const t of tokens) {
    const m = TOKENID_RE.exec(t?.id ?? '');
    if (!m) throw Object.assign(new Error(`token id must look like user@realm!tokenid, got '${t?.id}'`), { code: 'INVALID_INPUT', details: { id: t?.id } });
    if (typeof t.secret !== 'string' || t.secret === '') {
      throw Object.assign(new Error(`token '${t.id}' needs a non-empty secret`), { code: 'INVALID_INPUT', details: { id: t.id } });
    }
    map.set(t.id, {
      secret: t.secret,
      identity: { tokenid: t.id, user: m[1], tokenName: m[4], privileges: new Set(t.privileges ?? DEFAULT_PRIVILEGES) },
    });
  }
  return map;
}

/**
 * Resolve the Authorization header (pve-http-server extract_auth_value +
 * AccessControl::verify_token). Returns the identity or the 401 reason.
 * @param {string|undefined} header
 * @param {ReturnType<typeof tokenRegistry>} registry
 * @returns {{identity: Identity} | {reason: string}}
 */
export function authenticate(header, registry) {
  const m = /(?:^|\s)PVEAPIToken(?:=| )([^;]*)/.exec(header ?? '');
  if (!m) return { reason: 'No ticket' };
  let value;
  try {
    value = decodeURIComponent(m[1]);
  } catch {
    return { reason: 'Authentication failed!' };
  }
  const split = /^(.*)=(.*)$/.exec(value);
  if (!split) return { reason: 'Authentication failed!' };
  const entry = registry.get(split[1]);
  if (!entry || !timingSafeEqualText(entry.secret, split[2])) return { reason: 'Authentication failed!' };
  return { identity: entry.identity };
}

/** @param {string} a @param {string} b */
function timingSafeEqualText(a, b) {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
