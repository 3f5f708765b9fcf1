// The host panel's services for the expiry job, read from the store the
// panel writes (host_* tables). Suspended ones are included: a suspension
// stops the customer, not the expiry of their snapshots.
import { openStore } from '../store/index.mjs';
import { createStoreHostRegistry } from '../store/host-store.mjs';

/**
 * Adds the host's services and their products to the config the job runs
 * on, as "host:<id>" so they never collide with the config's own ids.
 * @param {{services: any[], products: Record<string, any>}} config
 * @param {import('../store/index.mjs').StoreOptions} storeOptions
 * @returns {Promise<number>} how many services were added
 */
export async function addHostServices(config, storeOptions) {
  // The panel creates and migrates the store; the job only reads it.
  const store = await openStore({ ...storeOptions, migrate: false });
  try {
    const host = createStoreHostRegistry({ store });
    let added = 0;
    for (const s of await host.allServices()) {
      const policy = await host.product(s.product);
      if (!policy) continue;
      const product = `host:${s.product}`;
      config.products[product] = policy;
      config.services.push({ id: `host:${s.id}`, customer: `host:${s.customerId}`, vmid: s.vmid, type: s.type, product, name: s.label });
      added++;
    }
    return added;
  } finally {
    await store.close();
  }
}
