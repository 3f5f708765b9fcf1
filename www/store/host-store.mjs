// The host registry (see www/server/host-registry.mjs for the in-memory
// one and the shapes) over the durable store's engine: what the billing
// panel pushed survives restarts and is shared by every instance, and the
// expiry job can read the host's services. Host calls go to the audit log.

/**
 * @typedef {import('../server/host-registry.mjs').Policy} Policy
 * @typedef {import('../server/host-registry.mjs').HostCustomer} HostCustomer
 * @typedef {import('../server/host-registry.mjs').HostService} HostService
 * @typedef {import('../server/host-registry.mjs').SsoLink} SsoLink
 * @typedef {import('../server/host-registry.mjs').HostCall} HostCall
 */

/** @param {any} r @returns {HostService} */
const serviceRow = (r) => ({
  id: r.id, customerId: r.customer_id, vmid: Number(r.vmid), type: r.type, product: r.product, label: r.label ?? null,
  suspended: Number(r.suspended) === 1, suspendReason: r.suspend_reason ?? null,
  createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});

/**
 * @param {{store: import('./index.mjs').Store, reservedVmids?: Iterable<number>}} options
 * @returns {import('../server/host-registry.mjs').HostRegistry}
 */
export function createStoreHostRegistry({ store, reservedVmids = [] }) {
  const engine = store.engine;
  const reserved = new Set(reservedVmids);
  return {
    async putProduct(id, policy, now) {
      return engine.tx(async (q) => {
        const before = await q.get('SELECT id FROM host_products WHERE id = ?', [id]);
        await q.run(`INSERT INTO host_products (id, policy, updated_at) VALUES (?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`, [id, JSON.stringify(policy), now]);
        return { created: !before };
      });
    },
    async product(id) {
      const r = await engine.get('SELECT policy FROM host_products WHERE id = ?', [id]);
      return r ? JSON.parse(r.policy) : null;
    },
    async customer(id) {
      const r = await engine.get('SELECT id, name, email FROM host_customers WHERE id = ?', [id]);
      return r ? { id: r.id, name: r.name ?? null, email: r.email ?? null } : null;
    },
    async putService(s, now) {
      if (reserved.has(s.vmid)) return { created: false, conflict: 'config', service: null };
      return engine.tx(async (q) => {
        await engine.lockKey(q, 'host-services');
        const other = await q.get('SELECT id FROM host_services WHERE vmid = ? AND id <> ?', [s.vmid, s.id]);
        if (other) return { created: false, conflict: String(other.id), service: null };
        const before = await q.get('SELECT * FROM host_services WHERE id = ?', [s.id]);
        await q.run(`INSERT INTO host_customers (id, name, email, updated_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET name = COALESCE(excluded.name, host_customers.name),
            email = COALESCE(excluded.email, host_customers.email), updated_at = excluded.updated_at`,
        [s.customer.id, s.customer.name, s.customer.email, now]);
        await q.run(`INSERT INTO host_services (id, customer_id, vmid, type, product, label, suspended, suspend_reason, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?)
          ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, vmid = excluded.vmid, type = excluded.type,
            product = excluded.product, label = excluded.label, updated_at = excluded.updated_at`,
        [s.id, s.customer.id, s.vmid, s.type, s.product, s.label, now, now]);
        const row = await q.get('SELECT * FROM host_services WHERE id = ?', [s.id]);
        return { created: !before, conflict: null, service: serviceRow(row) };
      });
    },
    async service(id) {
      const r = await engine.get('SELECT * FROM host_services WHERE id = ?', [id]);
      return r ? serviceRow(r) : null;
    },
    async servicesOf(customerId) {
      return (await engine.all('SELECT * FROM host_services WHERE customer_id = ? ORDER BY id', [customerId])).map(serviceRow);
    },
    async allServices() {
      return (await engine.all('SELECT * FROM host_services ORDER BY id')).map(serviceRow);
    },
    async setSuspended(id, { suspended, reason }, now) {
      const { changes } = await engine.run('UPDATE host_services SET suspended = ?, suspend_reason = ?, updated_at = ? WHERE id = ?',
        [suspended ? 1 : 0, suspended ? reason : null, now, id]);
      if (changes === 0) return null;
      const r = await engine.get('SELECT * FROM host_services WHERE id = ?', [id]);
      return r ? serviceRow(r) : null;
    },
    async deleteService(id) {
      return (await engine.run('DELETE FROM host_services WHERE id = ?', [id])).changes > 0;
    },
    async addSsoLink(link, now) {
      await engine.run('DELETE FROM host_sso_links WHERE expires_at <= ?', [now]);
      await engine.run('INSERT INTO host_sso_links (hash, customer_id, service_id, expires_at) VALUES (?, ?, ?, ?)',
        [link.hash, link.customerId, link.serviceId, link.expiresAt]);
    },
    async takeSsoLink(hash) {
      // Two instances racing for one link: only the DELETE that removed the row wins.
      return engine.tx(async (q) => {
        const r = await q.get('SELECT * FROM host_sso_links WHERE hash = ?', [hash]);
        if (!r) return null;
        const { changes } = await q.run('DELETE FROM host_sso_links WHERE hash = ?', [hash]);
        return changes === 1 ? { hash: r.hash, customerId: r.customer_id, serviceId: r.service_id ?? null, expiresAt: Number(r.expires_at) } : null;
      });
    },
    async recordCall(call) {
      await store.audit({
        actorKind: 'host', actorId: call.key ?? '(no valid key)', serviceId: call.serviceId, action: call.action,
        outcome: call.status < 400 ? 'ok' : 'refused', code: call.code,
        message: `${call.method} ${call.path} → ${call.status} from ${call.ip}`,
      }, call.at);
    },
  };
}
