// Who may sign in with a password: the config's customers. The shared config
// loader passes `customers` through untouched; they are validated here.
import { isPasswordHash } from './passwords.mjs';

/**
 * @typedef {{username: string, displayName: string, passwordHash: string}} Customer
 * @typedef {{id: string, customer: string, vmid: number, type: 'qemu'|'lxc', product: string, name: string}} Service
 */

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * @param {string} path
 * @param {string} message
 */
function invalid(path, message) {
  return Object.assign(new Error(`${path}: ${message}`), { name: 'ConfigError', code: 'CONFIG_INVALID', details: { path } });
}

/**
 * The config's customers, checked: every problem is a CONFIG_INVALID error
 * naming its JSON path, and every service must name one of them. These are
 * what the store is seeded with (www/store/config-seed.mjs); the server reads
 * customers and services from the store, not from here.
 * @param {{customers?: unknown, services: Array<{customer: string}>, hostApi?: unknown}} config
 * @returns {Customer[]}
 */
export function checkCustomers(config) {
  // Behind a host panel, customers arrive by sign-on links and need no entry here.
  const list = config.customers ?? (config.hostApi ? [] : undefined);
  if (!Array.isArray(list) || (list.length === 0 && !config.hostApi)) {
    throw invalid('customers', 'must be a non-empty array (the panel needs someone to sign in), unless hostApi is set');
  }
  /** @type {Map<string, Customer>} */
  const customers = new Map();
  list.forEach((c, i) => {
    const at = `customers[${i}]`;
    if (c === null || typeof c !== 'object' || Array.isArray(c)) throw invalid(at, 'must be an object');
    if (typeof c.username !== 'string' || !USERNAME.test(c.username)) {
      throw invalid(`${at}.username`, 'must be 1 to 64 characters of letters, digits, . _ @ - starting with a letter or digit');
    }
    if (customers.has(c.username)) throw invalid(`${at}.username`, `duplicate username "${c.username}"`);
    if (c.displayName !== undefined && (typeof c.displayName !== 'string' || c.displayName.length > 100)) {
      throw invalid(`${at}.displayName`, 'must be a string of at most 100 characters');
    }
    if (!isPasswordHash(c.passwordHash)) {
      throw invalid(`${at}.passwordHash`, 'must be "scrypt$<salt b64>$<hash b64>" (make one with node www/server/hash-password.mjs)');
    }
    customers.set(c.username, { username: c.username, displayName: c.displayName || c.username, passwordHash: c.passwordHash });
  });
  config.services.forEach((s, i) => {
    if (!customers.has(s.customer)) throw invalid(`services[${i}].customer`, `unknown customer "${s.customer}"`);
  });
  return [...customers.values()];
}
