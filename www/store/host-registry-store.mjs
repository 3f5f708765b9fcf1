// The host registry (see www/server/host-registry.mjs for what it holds and
// its contract) kept in the store: what the host pushed survives a restart,
// every instance on one database sees it, and the expiry job can read it.
// Same methods, same answers as the in-memory one. It sees only the host's
// rows (`source = 'host'`); the config's rows (catalog.mjs) share the tables
// and their ids, so an id or VMID the config holds is a conflict here.

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
 * @param {import('./store.mjs').Store} store
 * @param {{now?: () => number}} [options]
 * @returns {import('../server/host-registry.mjs').HostRegistry}
 */
export function createStoreRegistry(store, { now = Date.now } = {}) {
  const { engine } = store;
  return {
    async putProduct(id, policy) {
      return engine.tx(async (q) => {
        await engine.lockKey(q, 'host-services');
        const before = await q.get('SELECT source FROM products WHERE id = ?', [id]);
        if (before && before.source !== 'host') return { created: false, conflict: 'config' };
        await q.run(`INSERT INTO products (id, policy, updated_at, source) VALUES (?, ?, ?, 'host')
          ON CONFLICT (id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at WHERE products.source = 'host'`,
        [id, JSON.stringify(policy), now()]);
        return { created: !before, conflict: null };
      });
    },
    async product(id) {
      const r = await engine.get("SELECT policy FROM products WHERE id = ? AND source = 'host'", [id]);
      return r ? JSON.parse(r.policy) : null;
    },
    async customer(id) {
      const r = await engine.get("SELECT id, name, email FROM customers WHERE id = ? AND source = 'host'", [id]);
      return r ? { id: r.id, name: r.name ?? null, email: r.email ?? null } : null;
    },
    async putService(s, at) {
      return engine.tx(async (q) => {
        await engine.lockKey(q, 'host-services');
        const other = await q.get('SELECT id, source FROM services WHERE vmid = ? AND id <> ?', [s.vmid, s.id]);
        if (other) return { created: false, conflict: other.source === 'host' ? String(other.id) : 'config', field: 'vmid', service: null };
        const before = await q.get('SELECT id, source FROM services WHERE id = ?', [s.id]);
        if (before && before.source !== 'host') return { created: false, conflict: 'config', field: 'id', service: null };
        const owner = await q.get('SELECT source FROM customers WHERE id = ?', [s.customer.id]);
        if (owner && owner.source !== 'host') return { created: false, conflict: 'config', field: 'customer', service: null };
        await q.run(`INSERT INTO customers (id, name, email, updated_at, source) VALUES (?, ?, ?, ?, 'host')
          ON CONFLICT (id) DO UPDATE SET name = COALESCE(excluded.name, customers.name), email = COALESCE(excluded.email, customers.email),
            updated_at = excluded.updated_at`, [s.customer.id, s.customer.name ?? null, s.customer.email ?? null, at]);
        await q.run(`INSERT INTO services (id, customer_id, vmid, type, product, label, suspended, suspend_reason, created_at, updated_at, source)
          VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, 'host')
          ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, vmid = excluded.vmid, type = excluded.type,
            product = excluded.product, label = excluded.label, updated_at = excluded.updated_at`,
        [s.id, s.customer.id, s.vmid, s.type, s.product, s.label, at, at]);
        const row = await q.get('SELECT * FROM services WHERE id = ?', [s.id]);
        return { created: !before, conflict: null, field: null, service: serviceRow(row) };
      });
    },
    async service(id) {
      const r = await engine.get("SELECT * FROM services WHERE id = ? AND source = 'host'", [id]);
      return r ? serviceRow(r) : null;
    },
    async servicesOf(customerId) {
      return (await engine.all("SELECT * FROM services WHERE customer_id = ? AND source = 'host' ORDER BY created_at, id", [customerId])).map(serviceRow);
    },
    async allServices() {
      return (await engine.all("SELECT * FROM services WHERE source = 'host' ORDER BY created_at, id")).map(serviceRow);
    },
    async setSuspended(id, { suspended, reason }, at) {
      const r = await engine.run("UPDATE services SET suspended = ?, suspend_reason = ?, updated_at = ? WHERE id = ? AND source = 'host' RETURNING *",
        [suspended ? 1 : 0, suspended ? reason : null, at, id]);
      return r.rows.length ? serviceRow(r.rows[0]) : null;
    },
    async deleteService(id) {
      return (await engine.run("DELETE FROM services WHERE id = ? AND source = 'host'", [id])).changes > 0;
    },
    async addSsoLink(link, at) {
      await engine.tx(async (q) => {
        await q.run('DELETE FROM sso_links WHERE expires_at <= ?', [at]);
        await q.run('INSERT INTO sso_links (hash, customer_id, service_id, expires_at) VALUES (?, ?, ?, ?)',
          [link.hash, link.customerId, link.serviceId, link.expiresAt]);
      });
    },
    async takeSsoLink(hash) {
      // One statement: of two instances redeeming the same link, one gets it.
      const r = await engine.run('DELETE FROM sso_links WHERE hash = ? RETURNING *', [hash]);
      if (!r.rows.length) return null;
      const l = r.rows[0];
      return { hash: l.hash, customerId: l.customer_id, serviceId: l.service_id ?? null, expiresAt: Number(l.expires_at) };
    },
    async recordCall(call) {
      await engine.tx(async (q) => {
        await q.run(`INSERT INTO host_calls (at, key_name, ip, method, path, action, status, outcome, code, service_id)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [call.at, call.key, call.ip, call.method, call.path.slice(0, 500), call.action,
          call.status, call.outcome, call.code, call.serviceId]);
      });
      const svc = call.serviceId ? await this.service(call.serviceId) : null;
      await store.audit({
        actorKind: 'host', actorId: call.key ?? '(no key)', customer: svc?.customerId ?? null, serviceId: call.serviceId,
        vmid: svc?.vmid ?? null, action: call.action, outcome: call.outcome, code: call.code,
        message: `${call.method} ${call.path.slice(0, 200)} → ${call.status} from ${call.ip}`,
      }, call.at);
    },
    async calls() {
      const rows = await engine.all('SELECT * FROM host_calls ORDER BY id');
      return rows.map((r) => ({
        at: Number(r.at), key: r.key_name ?? null, ip: r.ip, method: r.method, path: r.path, action: r.action,
        status: Number(r.status), outcome: r.outcome, code: r.code ?? null, serviceId: r.service_id ?? null,
      }));
    },
  };
}
