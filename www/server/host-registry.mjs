// What the host panel (WHMCS, …) pushed through the host API: products,
// customers, services with their suspension, single-use sign-on links (kept
// as hashes) and the log of host calls, kept in this process's memory: the
// contract and the tests' double. The server uses the store's
// (www/store/host-registry-store.mjs), which answers the same.

/**
 * @typedef {{maxSnapshots: number, lifetimeDays: number, includeRam: boolean, namePrefix: string,
 *   rollbackLatestOnly: boolean}} Policy
 * @typedef {{id: string, name: string | null, email: string | null}} HostCustomer
 * @typedef {{id: string, customerId: string, vmid: number, type: 'qemu'|'lxc', product: string, label: string | null,
 *   suspended: boolean, suspendReason: string | null, createdAt: number, updatedAt: number}} HostService
 * @typedef {{hash: string, customerId: string, serviceId: string | null, expiresAt: number}} SsoLink
 * @typedef {{at: number, key: string | null, ip: string, method: string, path: string, action: string, status: number,
 *   outcome: 'ok' | 'refused', code: string | null, serviceId: string | null}} HostCall  one audited call: actor "host"
 *   (the key's name), action in the audit vocabulary (provision, suspend, unsuspend, terminate, sign-in, …)
 */

/**
 * @param {{reservedVmids?: Iterable<number>, configIds?: {products?: Iterable<string>, services?: Iterable<string>,
 *   customers?: Iterable<string>}, maxCalls?: number}} [options] reservedVmids and configIds: what the config's own
 *   entries hold (VMIDs; product, service and customer ids), which the host may not take
 */
export function createHostRegistry({ reservedVmids = [], configIds = {}, maxCalls = 10_000 } = {}) {
  /** @type {Map<string, Policy>} */
  const products = new Map();
  /** @type {Map<string, HostCustomer>} */
  const customers = new Map();
  /** @type {Map<string, HostService>} */
  const services = new Map();
  /** @type {Map<string, SsoLink>} */
  const links = new Map();
  /** @type {HostCall[]} */
  const calls = [];
  const reserved = new Set(reservedVmids);
  const configProducts = new Set(configIds.products ?? []);
  const configServices = new Set(configIds.services ?? []);
  const configCustomers = new Set(configIds.customers ?? []);

  /** @param {HostService} s */
  const copy = (s) => ({ ...s });

  return {
    /**
     * @param {string} id
     * @param {Policy} policy
     * @returns {Promise<{created: boolean, conflict: 'config' | null}>} conflict: the config defines this
     *   product, and nothing changed
     */
    async putProduct(id, policy) {
      if (configProducts.has(id)) return { created: false, conflict: 'config' };
      const created = !products.has(id);
      products.set(id, { ...policy });
      return { created, conflict: null };
    },

    /** @param {string} id @returns {Promise<Policy | null>} */
    async product(id) {
      const p = products.get(id);
      return p ? { ...p } : null;
    },

    /** @param {string} id @returns {Promise<HostCustomer | null>} */
    async customer(id) {
      const c = customers.get(id);
      return c ? { ...c } : null;
    },

    /**
     * Creates or updates a service; the caller has checked the product.
     * @param {{id: string, customer: HostCustomer, vmid: number, type: 'qemu'|'lxc', product: string, label: string | null}} s
     * @param {number} now
     * @returns {Promise<{created: boolean, conflict: string | null, field: 'vmid' | 'id' | 'customer' | null,
     *   service: HostService | null}>} conflict: who else holds `field` (another service's id, or "config": the
     *   config's own entries), and nothing changed
     */
    async putService(s, now) {
      if (reserved.has(s.vmid)) return { created: false, conflict: 'config', field: 'vmid', service: null };
      for (const other of services.values()) {
        if (other.vmid === s.vmid && other.id !== s.id) return { created: false, conflict: other.id, field: 'vmid', service: null };
      }
      if (configServices.has(s.id)) return { created: false, conflict: 'config', field: 'id', service: null };
      if (configCustomers.has(s.customer.id)) return { created: false, conflict: 'config', field: 'customer', service: null };
      const before = services.get(s.id);
      const prev = customers.get(s.customer.id);
      customers.set(s.customer.id, {
        id: s.customer.id, name: s.customer.name ?? prev?.name ?? null, email: s.customer.email ?? prev?.email ?? null,
      });
      /** @type {HostService} */
      const service = {
        id: s.id, customerId: s.customer.id, vmid: s.vmid, type: s.type, product: s.product, label: s.label,
        suspended: before?.suspended ?? false, suspendReason: before?.suspendReason ?? null,
        createdAt: before?.createdAt ?? now, updatedAt: now,
      };
      services.set(s.id, service);
      return { created: !before, conflict: null, field: null, service: copy(service) };
    },

    /** @param {string} id @returns {Promise<HostService | null>} */
    async service(id) {
      const s = services.get(id);
      return s ? copy(s) : null;
    },

    /** @param {string} customerId @returns {Promise<HostService[]>} */
    async servicesOf(customerId) {
      return [...services.values()].filter((s) => s.customerId === customerId).map(copy);
    },

    /** @returns {Promise<HostService[]>} */
    async allServices() {
      return [...services.values()].map(copy);
    },

    /**
     * @param {string} id
     * @param {{suspended: boolean, reason: string | null}} state
     * @param {number} now
     * @returns {Promise<HostService | null>}
     */
    async setSuspended(id, { suspended, reason }, now) {
      const s = services.get(id);
      if (!s) return null;
      s.suspended = suspended;
      s.suspendReason = suspended ? reason : null;
      s.updatedAt = now;
      return copy(s);
    },

    /** @param {string} id @returns {Promise<boolean>} */
    async deleteService(id) {
      return services.delete(id);
    },

    /** @param {SsoLink} link @param {number} now */
    async addSsoLink(link, now) {
      for (const [hash, l] of links) if (l.expiresAt <= now) links.delete(hash);
      links.set(link.hash, { ...link });
    },

    /**
     * Takes a link out for good, whatever its state: a second use finds nothing.
     * @param {string} hash
     * @returns {Promise<SsoLink | null>}
     */
    async takeSsoLink(hash) {
      const link = links.get(hash);
      if (!link) return null;
      links.delete(hash);
      return { ...link };
    },

    /** @param {HostCall} call */
    async recordCall(call) {
      calls.push(call);
      if (calls.length > maxCalls) calls.splice(0, calls.length - maxCalls);
    },

    /** @returns {Promise<HostCall[]>} */
    async calls() {
      return calls.map((c) => ({ ...c }));
    },
  };
}

/** @typedef {ReturnType<typeof createHostRegistry>} HostRegistry */
