// One view of who owns what for the customer API, read from the store: the
// config's customers (password sign-in; seeded from the file at start) and
// the host panel's customers (sign-on links), whose usernames carry the
// "host:" prefix the config's cannot, so neither can reach the other's
// services.
import { HOST_USER_PREFIX, customerService } from './host-api.mjs';

/**
 * @typedef {import('./customer-directory.mjs').Service & {suspended?: boolean, suspendReason?: string | null}} Service
 * @typedef {{username: string, displayName: string, passwordHash?: string}} Customer
 */

/**
 * @param {ReturnType<typeof import('../store/catalog.mjs').createConfigCatalog>} local
 * @param {import('./host-registry.mjs').HostRegistry | null} registry
 */
export function createDirectory(local, registry) {
  /** The policy read with a config service, so asking for it costs no second query. */
  /** @type {WeakMap<Service, object | null>} */
  const policies = new WeakMap();
  /** @param {string} username */
  const hostId = (username) => (registry && username.startsWith(HOST_USER_PREFIX) ? username.slice(HOST_USER_PREFIX.length) : null);

  return {
    /**
     * @param {string} username
     * @returns {Promise<Customer | undefined>}
     */
    async customer(username) {
      const id = hostId(username);
      if (id === null) return local.customer(username);
      const c = await /** @type {import('./host-registry.mjs').HostRegistry} */ (registry).customer(id);
      return c ? { username, displayName: c.name ?? `Customer ${c.id}` } : undefined;
    },
    /**
     * @param {string} username
     * @returns {Promise<Service[]>}
     */
    async services(username) {
      const id = hostId(username);
      if (id === null) return local.services(username);
      return (await /** @type {import('./host-registry.mjs').HostRegistry} */ (registry).servicesOf(id)).map(customerService);
    },
    /**
     * @param {string} username
     * @param {string} serviceId
     * @returns {Promise<Service | undefined>}
     */
    async service(username, serviceId) {
      const id = hostId(username);
      if (id === null) {
        const found = await local.serviceWithPolicy(username, serviceId);
        if (!found) return undefined;
        policies.set(found.service, found.policy);
        return found.service;
      }
      const s = await /** @type {import('./host-registry.mjs').HostRegistry} */ (registry).service(serviceId);
      return s && s.customerId === id ? customerService(s) : undefined;
    },
    /**
     * Every service of the config (the host's are the registry's).
     * @returns {Promise<Service[]>}
     */
    configServices: () => local.allServices(),
    /**
     * @param {Service} service
     * @returns {Promise<object>}
     */
    async policy(service) {
      const id = hostId(service.customer);
      if (id === null) {
        const p = policies.get(service) ?? await local.product(service.product);
        if (!p) throw Object.assign(new Error(`service ${service.id} names product ${service.product}, which the config does not define`), { code: 'INTERNAL' });
        return p;
      }
      const p = await /** @type {import('./host-registry.mjs').HostRegistry} */ (registry).product(service.product);
      if (!p) throw Object.assign(new Error(`service ${service.id} names product ${service.product}, which the host has not defined`), { code: 'INTERNAL' });
      return p;
    },
  };
}
