// Who may sign in and which services each customer owns. The shared config
// loader passes `customers` through untouched; the server validates them here.
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
 * @param {{customers?: unknown, services: Service[], products: Record<string, object>, hostApi?: unknown}} config
 * @returns {{customer(username: string): Customer | undefined, services(username: string): Service[],
 *   service(username: string, id: string): Service | undefined, policy(service: Service): object}}
 */
export function createCustomerDirectory(config) {
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

  /** @type {Map<string, Map<string, Service>>} */
  const owned = new Map();
  config.services.forEach((s, i) => {
    if (!customers.has(s.customer)) throw invalid(`services[${i}].customer`, `unknown customer "${s.customer}"`);
    if (!owned.has(s.customer)) owned.set(s.customer, new Map());
    /** @type {Map<string, Service>} */ (owned.get(s.customer)).set(s.id, s);
  });

  return {
    customer: (username) => customers.get(username),
    services: (username) => [...(owned.get(username)?.values() ?? [])],
    service: (username, id) => owned.get(username)?.get(id),
    policy: (service) => config.products[service.product],
  };
}
