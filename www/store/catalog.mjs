// Products, customers and services: the one place the server and the job
// read them from. The config file seeds its own entries at every start of
// the server and of the job (`seedFromConfig`, one transaction, rows marked
// `source = 'config'`); the host API writes the others
// (host-registry-store.mjs, `source = 'host'`). Seeding never touches a
// host row, and the two may not share an id: a config product, customer or
// service whose id (or VMID) the host already holds stops the start with
// CONFIG_INVALID naming the config path, and the host API answers the
// reverse case 409 CONFLICT. Nothing is silently overwritten either way.
import { checkCustomers } from '../server/customer-directory.mjs';
import { HOST_USER_PREFIX } from '../server/host-api.mjs';
import { StoreRefusal } from './errors.mjs';

/**
 * @typedef {import('./store.mjs').Store} Store
 * @typedef {import('../server/customer-directory.mjs').Customer} Customer
 * @typedef {import('../server/customer-directory.mjs').Service} Service
 * @typedef {{id: string, customer: string, vmid: number, type: 'qemu'|'lxc', product: string, name?: string | null}} SeedService
 * @typedef {{products: Record<string, object>, services: SeedService[], customers?: unknown, hostApi?: unknown, file?: string}} SeedConfig
 * @typedef {{products: number, customers: number | null, services: number, removed: number}} SeedResult
 *   `customers` null: the file has no customers section, the store's were left as they are
 */

/**
 * @param {string} message @param {Array<{path: string, message: string}>} problems @param {string} [file]
 */
function conflictError(message, problems, file) {
  return new StoreRefusal(message, { code: 'CONFIG_INVALID', details: { problems, ...(file ? { file } : {}) } });
}

/**
 * Upserts the config's products, customers and services into the store and
 * removes the config rows the file no longer names, in one transaction.
 * `customers` is required unless hostApi is set (the server's rule);
 * with `customersOptional` (the job, whose copy of the file may leave them
 * out) a file without a customers section leaves the store's as they are.
 * @param {Store} store
 * @param {SeedConfig} config
 * @param {{now?: number, customersOptional?: boolean}} [options]
 * @returns {Promise<SeedResult>}
 */
export async function seedFromConfig(store, config, { now = Date.now(), customersOptional = false } = {}) {
  /** @type {Customer[] | null} */
  const customers = customersOptional && !Array.isArray(config.customers) ? null : checkCustomers(config);
  const products = Object.entries(config.products);
  const { engine } = store;
  return engine.tx(async (q) => {
    // The host API's writes take the same key: a seed and a provisioning call never interleave.
    await engine.lockKey(q, 'host-services');
    /** @type {Array<{path: string, message: string}>} */
    const problems = [];
    const hostProducts = new Set((await q.all("SELECT id FROM products WHERE source = 'host'")).map((r) => String(r.id)));
    products.forEach(([id]) => {
      if (hostProducts.has(id)) problems.push({ path: `products.${id}`, message: `product "${id}" was created by the host API; config and host API may not share a product id` });
    });
    if (customers) {
      const hostCustomers = new Set((await q.all("SELECT id FROM customers WHERE source = 'host'")).map((r) => String(r.id)));
      customers.forEach((c, i) => {
        if (hostCustomers.has(c.username)) problems.push({ path: `customers[${i}].username`, message: `"${c.username}" is a customer id the host API created; config and host API may not share a customer id` });
      });
    }
    const hostServices = await q.all("SELECT id, vmid FROM services WHERE source = 'host'");
    const hostById = new Set(hostServices.map((r) => String(r.id)));
    const hostByVmid = new Map(hostServices.map((r) => [Number(r.vmid), String(r.id)]));
    config.services.forEach((s, i) => {
      if (hostById.has(s.id)) problems.push({ path: `services[${i}].id`, message: `service "${s.id}" was created by the host API; config and host API may not share a service id` });
      const holder = hostByVmid.get(Number(s.vmid));
      if (holder !== undefined) problems.push({ path: `services[${i}].vmid`, message: `VMID ${s.vmid} belongs to the host API's service "${holder}"` });
    });
    if (problems.length) {
      throw conflictError(`${config.file ?? 'config'}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems, config.file);
    }

    let removed = 0;
    // Services first: a VMID that moves between two config services is freed before it is taken.
    const before = new Map((await q.all("SELECT id, vmid, created_at FROM services WHERE source = 'config'"))
      .map((r) => [String(r.id), { vmid: Number(r.vmid), createdAt: Number(r.created_at) }]));
    const wanted = new Map(config.services.map((s) => [s.id, s]));
    for (const [id, old] of before) {
      const s = wanted.get(id);
      if (!s || Number(s.vmid) !== old.vmid) {
        await q.run("DELETE FROM services WHERE id = ? AND source = 'config'", [id]);
        if (!s) removed += 1;
      }
    }
    for (const s of config.services) {
      await q.run(`INSERT INTO services (id, customer_id, vmid, type, product, label, suspended, suspend_reason, created_at, updated_at, source)
        VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, 'config')
        ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, vmid = excluded.vmid, type = excluded.type,
          product = excluded.product, label = excluded.label, updated_at = excluded.updated_at
        WHERE services.source = 'config'`,
      [s.id, s.customer, Number(s.vmid), s.type, s.product, s.name ?? null, before.get(s.id)?.createdAt ?? now, now]);
    }
    const productIds = new Set(products.map(([id]) => id));
    for (const r of await q.all("SELECT id FROM products WHERE source = 'config'")) {
      if (!productIds.has(String(r.id))) removed += (await q.run("DELETE FROM products WHERE id = ? AND source = 'config'", [r.id])).changes;
    }
    for (const [id, policy] of products) {
      await q.run(`INSERT INTO products (id, policy, updated_at, source) VALUES (?, ?, ?, 'config')
        ON CONFLICT (id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at WHERE products.source = 'config'`,
      [id, JSON.stringify(policy), now]);
    }
    if (customers) {
      const names = new Set(customers.map((c) => c.username));
      for (const r of await q.all("SELECT id FROM customers WHERE source = 'config'")) {
        if (!names.has(String(r.id))) removed += (await q.run("DELETE FROM customers WHERE id = ? AND source = 'config'", [r.id])).changes;
      }
      for (const c of customers) {
        await q.run(`INSERT INTO customers (id, name, email, password_hash, updated_at, source) VALUES (?, ?, NULL, ?, ?, 'config')
          ON CONFLICT (id) DO UPDATE SET name = excluded.name, password_hash = excluded.password_hash, updated_at = excluded.updated_at
          WHERE customers.source = 'config'`, [c.username, c.displayName, c.passwordHash, now]);
      }
    }
    return { products: products.length, customers: customers ? customers.length : null, services: config.services.length, removed };
  });
}

/** @param {any} r @returns {Service & {suspended: boolean, suspendReason: string | null}} */
const configService = (r) => ({
  id: r.id, customer: r.customer_id, vmid: Number(r.vmid), type: r.type, product: r.product, name: r.label ?? r.id,
  suspended: Number(r.suspended) === 1, suspendReason: r.suspend_reason ?? null,
});

/**
 * The config's side of the catalog as the customer API reads it: customers
 * who sign in with a password, and their services.
 * @param {Store} store
 */
export function createConfigCatalog(store) {
  const { engine } = store;
  return {
    /** @param {string} username @returns {Promise<Customer | undefined>} */
    async customer(username) {
      const r = await engine.get("SELECT id, name, password_hash FROM customers WHERE id = ? AND source = 'config'", [username]);
      return r ? { username: r.id, displayName: r.name ?? r.id, passwordHash: r.password_hash ?? '' } : undefined;
    },
    /** @param {string} username */
    async services(username) {
      return (await engine.all("SELECT * FROM services WHERE customer_id = ? AND source = 'config' ORDER BY created_at, id", [username])).map(configService);
    },
    /** Every service of the config, for the operator's view. */
    async allServices() {
      return (await engine.all("SELECT * FROM services WHERE source = 'config' ORDER BY created_at, id")).map(configService);
    },
    /**
     * The customer's service and its product's policy, in one query (every
     * customer request asks for both).
     * @param {string} username @param {string} id
     * @returns {Promise<{service: Service & {suspended: boolean, suspendReason: string | null}, policy: object | null} | undefined>}
     */
    async serviceWithPolicy(username, id) {
      const r = await engine.get(`SELECT s.*, p.policy AS product_policy FROM services s LEFT JOIN products p ON p.id = s.product
        WHERE s.id = ? AND s.customer_id = ? AND s.source = 'config'`, [id, username]);
      return r ? { service: configService(r), policy: r.product_policy === null ? null : JSON.parse(r.product_policy) } : undefined;
    },
    /**
     * A product's policy, whichever side defined it (they share one namespace).
     * @param {string} id @returns {Promise<object | null>}
     */
    async product(id) {
      const r = await engine.get('SELECT policy FROM products WHERE id = ?', [id]);
      return r ? JSON.parse(r.policy) : null;
    },
  };
}

/**
 * Every service the expiry job expires, config's and host's (suspended ones
 * included), with the products they name, read from the store: the config
 * with its products and services replaced by the store's.
 * @template {{products: Record<string, any>, services: Array<{id: string, customer: string, vmid: number, type: 'qemu'|'lxc', product: string, name: string | null}>}} C
 * @param {C} config
 * @param {Store} store
 * @returns {Promise<C>}
 */
export async function withStoreServices(config, store) {
  const { engine } = store;
  /** @type {Record<string, any>} */
  const products = {};
  for (const r of await engine.all('SELECT id, policy FROM products ORDER BY id')) products[r.id] = JSON.parse(r.policy);
  const rows = await engine.all('SELECT * FROM services ORDER BY source, created_at, id');
  const services = rows.filter((r) => Object.hasOwn(products, r.product)).map((r) => ({
    id: String(r.id), customer: r.source === 'host' ? `${HOST_USER_PREFIX}${r.customer_id}` : String(r.customer_id), vmid: Number(r.vmid),
    type: r.type, product: String(r.product), name: r.label ?? String(r.id),
  }));
  return { ...config, products, services };
}
