// The config seeds the store, on both engines: its products, customers and
// services are upserted in one transaction and marked as the config's;
// what the file no longer names goes; the host's rows are never touched; an
// id (or VMID) both claim stops the seed with CONFIG_INVALID and changes
// nothing. The server then reads customers, services and products only
// from the store.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../store/index.mjs';
import { seedFromConfig } from '../store/catalog.mjs';
import { createStoreRegistry } from '../store/host-registry-store.mjs';
import { hashPassword } from '../server/passwords.mjs';
import { useStoreEngines } from './helpers/store-engines.mjs';
import { startStack } from './server-harness.mjs';

const { engines: ENGINES } = useStoreEngines('pve-catalog-');

const POLICY = { maxSnapshots: 3, lifetimeDays: 3, includeRam: false, namePrefix: 'snap', rollbackLatestOnly: false };
const HASH = await hashPassword('pw');
/** @param {string} username */
const customer = (username) => ({ username, displayName: username.toUpperCase(), passwordHash: HASH });
/** @param {string} id @param {number} vmid @param {string} [owner] */
const service = (id, vmid, owner = 'ann') => ({ id, customer: owner, vmid, type: /** @type {const} */ ('qemu'), product: 'p1', name: `vm ${id}` });
const CONFIG = {
  products: { p1: POLICY, p2: { ...POLICY, maxSnapshots: 1 } },
  customers: [customer('ann'), customer('ben')],
  services: [service('s1', 101), service('s2', 102), service('s3', 103, 'ben')],
};

/** @param {import('../store/index.mjs').Store} store */
async function rows(store) {
  const { engine } = store;
  return {
    products: (await engine.all('SELECT id, source FROM products ORDER BY id')).map((r) => `${r.id}:${r.source}`),
    customers: (await engine.all('SELECT id, source FROM customers ORDER BY id')).map((r) => `${r.id}:${r.source}`),
    services: (await engine.all('SELECT id, vmid, source FROM services ORDER BY id')).map((r) => `${r.id}:${r.vmid}:${r.source}`),
  };
}

for (const engine of ENGINES) {
  describe(`config seeding on ${engine.name}`, () => {
    test('upserted as the config\'s, removed when the file drops them, host rows untouched, VMIDs may move', async (t) => {
      const store = await openStore(await engine.where());
      t.after(() => store.close());
      const host = createStoreRegistry(store, { now: () => 5 });
      await host.putProduct('hp', POLICY);
      await host.putService({ id: 'h1', customer: { id: '42', name: 'Host customer', email: null }, vmid: 900, type: 'qemu', product: 'hp', label: null }, 5);

      assert.deepEqual(await seedFromConfig(store, CONFIG, { now: 10 }), { products: 2, customers: 2, services: 3, removed: 0 });
      assert.deepEqual(await rows(store), {
        products: ['hp:host', 'p1:config', 'p2:config'],
        customers: ['42:host', 'ann:config', 'ben:config'],
        services: ['h1:900:host', 's1:101:config', 's2:102:config', 's3:103:config'],
      });
      const created = Number((await store.engine.get("SELECT created_at FROM services WHERE id = 's1'")).created_at);

      // Seeding again with the same file changes nothing but the time.
      await seedFromConfig(store, CONFIG, { now: 20 });
      // The next file: p2, ben and s3 gone; s1 and s2 swap VMIDs; s1's product changes.
      const next = {
        products: { p1: { ...POLICY, lifetimeDays: 5 } },
        customers: [customer('ann')],
        services: [{ ...service('s1', 102), name: 'renamed' }, service('s2', 101)],
      };
      assert.deepEqual(await seedFromConfig(store, next, { now: 30 }), { products: 1, customers: 1, services: 2, removed: 3 });
      assert.deepEqual(await rows(store), {
        products: ['hp:host', 'p1:config'],
        customers: ['42:host', 'ann:config'],
        services: ['h1:900:host', 's1:102:config', 's2:101:config'],
      });
      assert.equal(JSON.parse((await store.engine.get("SELECT policy FROM products WHERE id = 'p1'")).policy).lifetimeDays, 5);
      const s1 = await store.engine.get("SELECT label, created_at, updated_at FROM services WHERE id = 's1'");
      assert.deepEqual([s1.label, Number(s1.created_at), Number(s1.updated_at)], ['renamed', created, 30]);
      // The host still sees its own, and only its own.
      assert.equal((await host.service('h1'))?.vmid, 900);
      assert.equal(await host.service('s1'), null);

      // A file without customers (the job's copy) keeps the store's customers.
      assert.equal((await seedFromConfig(store, { products: next.products, services: next.services }, { now: 40, customersOptional: true })).customers, null);
      assert.deepEqual((await rows(store)).customers, ['42:host', 'ann:config']);
    });

    test('an id or VMID the host API holds: CONFIG_INVALID naming each path, nothing written', async (t) => {
      const store = await openStore(await engine.where());
      t.after(() => store.close());
      await seedFromConfig(store, CONFIG, { now: 10 });
      const host = createStoreRegistry(store, { now: () => 5 });
      await host.putProduct('hp', POLICY);
      await host.putService({ id: 'h1', customer: { id: 'cx', name: null, email: null }, vmid: 900, type: 'qemu', product: 'hp', label: null }, 5);
      const before = await rows(store);
      const clash = {
        products: { ...CONFIG.products, hp: POLICY },
        customers: [...CONFIG.customers, customer('cx')],
        services: [service('s1', 101), service('h1', 150), service('s4', 900, 'cx')],
        file: '/etc/pve-snapshots/config.json',
      };
      await assert.rejects(seedFromConfig(store, clash, { now: 20 }), (/** @type {any} */ err) => {
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.deepEqual(err.details.problems.map((/** @type {{path: string}} */ p) => p.path),
          ['products.hp', 'customers[2].username', 'services[1].id', 'services[2].vmid']);
        assert.match(err.message, /^\/etc\/pve-snapshots\/config\.json: products\.hp: product "hp" was created by the host API/);
        assert.match(err.message, /services\[2\]\.vmid: VMID 900 belongs to the host API's service "h1"/);
        return true;
      });
      assert.deepEqual(await rows(store), before, 'the refused seed changed nothing');
    });

    test('the server reads customers, services and products from the store, not from its file', async (t) => {
      const where = await engine.where();
      const store = await openStore(where);
      const stack = await startStack({ serverOptions: { store } });
      t.after(async () => { await stack.close(); await store.close(); });
      const alice = await stack.browser('alice');
      assert.deepEqual((await alice.send('GET', '/api/services')).json.services.map((/** @type {{id: string}} */ s) => s.id),
        ['svc-101', 'svc-102', 'svc-103']);
      // Another instance started with a newer file: this one sees its services and products at once.
      const newer = {
        ...stack.config,
        products: { ...stack.config.products, tiny: { ...POLICY, maxSnapshots: 1 } },
        services: [...stack.config.services.filter((s) => s.id !== 'svc-103'), { id: 'svc-104', customer: 'alice', vmid: 103, type: 'qemu', product: 'tiny', name: 'moved' }],
      };
      await seedFromConfig(store, /** @type {any} */ (newer));
      const list = (await alice.send('GET', '/api/services')).json.services;
      assert.deepEqual(list.map((/** @type {{id: string}} */ s) => s.id), ['svc-101', 'svc-102', 'svc-104']);
      const page = await alice.send('GET', '/api/services/svc-104/snapshots');
      assert.equal(page.status, 200, page.text);
      assert.equal(page.json.policy.maxSnapshots, 1);
      assert.equal((await alice.send('GET', '/api/services/svc-103/snapshots')).status, 404);
      // A customer the newer file dropped can no longer sign in.
      await seedFromConfig(store, /** @type {any} */ ({ ...newer, customers: /** @type {Array<{username: string}>} */ (newer.customers).filter((c) => c.username !== 'bob'),
        services: newer.services.filter((s) => s.customer !== 'bob') }));
      const bob = await stack.browser();
      assert.equal((await bob.login('bob', 'bob-demo')).status, 401);
    });
  });
}
