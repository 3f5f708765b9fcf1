// The host registry's contract, for the in-memory one and the store-backed
// one on SQLite and PostgreSQL: same calls, same answers; and on a shared
// database, what one instance stored the other sees.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../server/host-registry.mjs';
import { createStoreRegistry } from '../store/host-registry-store.mjs';
import { openStore } from '../store/index.mjs';
import { seedFromConfig } from '../store/catalog.mjs';
import { hashPassword } from '../server/passwords.mjs';
import { startPgCluster } from './helpers/pg-cluster.mjs';

/** @type {import('./helpers/pg-cluster.mjs').PgCluster} */
let cluster;
const tmp = mkdtempSync(join(tmpdir(), 'pve-host-registry-'));
/** @type {Array<() => Promise<void>>} */
const closers = [];
let n = 0;
before(async () => { cluster = await startPgCluster(); });
after(async () => {
  for (const c of closers) await c();
  await cluster?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** @typedef {import('../server/host-registry.mjs').HostRegistry} HostRegistry */

const POLICY = { maxSnapshots: 3, lifetimeDays: 7, includeRam: false, namePrefix: 'snap', rollbackLatestOnly: false };
// What the panel's own config holds: the host may take none of its ids or VMIDs.
const CONFIG = {
  products: { 'cfg-p': POLICY },
  customers: [{ username: 'cfg-c', displayName: 'Config customer', passwordHash: await hashPassword('x') }],
  services: [{ id: 'cfg-s', customer: 'cfg-c', vmid: 900, type: /** @type {const} */ ('qemu'), product: 'cfg-p', name: 'config VM' }],
};

/** @param {import('../store/index.mjs').StoreOptions} where */
async function storeRegistry(where) {
  const store = await openStore(where);
  closers.push(() => store.close());
  await seedFromConfig(store, CONFIG);
  return createStoreRegistry(store, { now: () => 1000 });
}

const KINDS = [
  { name: 'memory', make: async () => createHostRegistry({ reservedVmids: [900], configIds: { products: ['cfg-p'], services: ['cfg-s'], customers: ['cfg-c'] } }) },
  { name: 'sqlite store', make: async () => storeRegistry({ dataDir: join(tmp, `d${++n}`) }) },
  { name: 'postgres store', make: async () => storeRegistry({ databaseUrl: await cluster.createDatabase() }) },
];

/** @typedef {{id: string, name: string | null, email: string | null}} Who */
const svc = (/** @type {string} */ id, /** @type {number} */ vmid, /** @type {Who} */ customer = { id: 'c1', name: 'Ann', email: null }) => ({
  id, customer, vmid, type: /** @type {const} */ ('qemu'), product: 'p1', label: `label ${id}`,
});

for (const kind of KINDS) {
  describe(`host registry: ${kind.name}`, () => {
    test('products, customers and services: created, updated, conflicts, suspension, removal', async () => {
      const r = await kind.make();
      assert.deepEqual(await r.putProduct('p1', POLICY), { created: true, conflict: null });
      assert.deepEqual(await r.putProduct('p1', { ...POLICY, maxSnapshots: 5 }), { created: false, conflict: null });
      assert.deepEqual(await r.putProduct('cfg-p', POLICY), { created: false, conflict: 'config' }, 'the config\'s product is not the host\'s to change');
      assert.equal(await r.product('cfg-p'), null, 'the host sees only its own products');
      assert.equal((await r.product('p1'))?.maxSnapshots, 5);
      assert.equal(await r.product('nope'), null);

      const first = await r.putService(svc('s1', 101), 10);
      assert.equal(first.created, true);
      assert.equal(first.conflict, null);
      assert.deepEqual(first.service, { id: 's1', customerId: 'c1', vmid: 101, type: 'qemu', product: 'p1', label: 'label s1',
        suspended: false, suspendReason: null, createdAt: 10, updatedAt: 10 });
      assert.deepEqual(await r.customer('c1'), { id: 'c1', name: 'Ann', email: null });
      const again = await r.putService(svc('s1', 101, { id: 'c1', name: null, email: 'ann@example.net' }), 20);
      assert.equal(again.created, false);
      assert.equal(again.service?.createdAt, 10);
      assert.equal(again.service?.updatedAt, 20);
      assert.deepEqual(await r.customer('c1'), { id: 'c1', name: 'Ann', email: 'ann@example.net' }, 'known fields kept');
      assert.deepEqual(await r.putService(svc('s2', 101), 30), { created: false, conflict: 's1', field: 'vmid', service: null });
      assert.deepEqual(await r.putService(svc('s2', 900), 30), { created: false, conflict: 'config', field: 'vmid', service: null });
      assert.deepEqual(await r.putService(svc('cfg-s', 950), 30), { created: false, conflict: 'config', field: 'id', service: null });
      assert.deepEqual(await r.putService(svc('s9', 951, { id: 'cfg-c', name: null, email: null }), 30),
        { created: false, conflict: 'config', field: 'customer', service: null });
      assert.equal(await r.service('cfg-s'), null, 'the host sees only its own services');
      assert.equal(await r.customer('cfg-c'), null, 'and its own customers');
      assert.equal(await r.setSuspended('cfg-s', { suspended: true, reason: 'x' }, 30), null);
      assert.equal(await r.deleteService('cfg-s'), false);
      await r.putService(svc('s2', 102), 30);
      await r.putService(svc('s3', 103, { id: 'c2', name: null, email: null }), 40);
      assert.deepEqual((await r.servicesOf('c1')).map((s) => s.id), ['s1', 's2']);
      assert.deepEqual((await r.allServices()).map((s) => s.id), ['s1', 's2', 's3']);

      const suspended = await r.setSuspended('s1', { suspended: true, reason: 'unpaid' }, 50);
      assert.deepEqual([suspended?.suspended, suspended?.suspendReason, suspended?.updatedAt], [true, 'unpaid', 50]);
      const back = await r.setSuspended('s1', { suspended: false, reason: 'ignored' }, 60);
      assert.deepEqual([back?.suspended, back?.suspendReason], [false, null]);
      assert.equal(await r.setSuspended('nope', { suspended: true, reason: null }, 60), null);
      // A suspension survives the host's next update of the service.
      await r.setSuspended('s2', { suspended: true, reason: 'x' }, 70);
      assert.equal((await r.putService(svc('s2', 102), 80)).service?.suspended, true);

      assert.equal(await r.deleteService('s1'), true);
      assert.equal(await r.deleteService('s1'), false);
      assert.equal(await r.service('s1'), null);
      assert.equal((await r.putService(svc('s4', 101), 90)).created, true, 'the VMID is free again');
    });

    test('sign-on links: taken once; expired ones cleared; calls recorded', async () => {
      const r = await kind.make();
      await r.addSsoLink({ hash: 'h1', customerId: 'c1', serviceId: null, expiresAt: 100 }, 0);
      await r.addSsoLink({ hash: 'h2', customerId: 'c1', serviceId: 's1', expiresAt: 500 }, 200);
      assert.equal(await r.takeSsoLink('h1'), null, 'expired links are cleared when a new one is added');
      assert.deepEqual(await r.takeSsoLink('h2'), { hash: 'h2', customerId: 'c1', serviceId: 's1', expiresAt: 500 });
      assert.equal(await r.takeSsoLink('h2'), null);
      await r.recordCall({ at: 5, key: 'whmcs', ip: '10.0.0.1', method: 'PUT', path: '/host/v1/services/s1', action: 'provision',
        status: 200, outcome: 'ok', code: null, serviceId: 's1' });
      assert.deepEqual((await r.calls()).map((c) => [c.key, c.action, c.status]), [['whmcs', 'provision', 200]]);
    });
  });
}

test('two instances on one database see the same registry; a link is redeemed by one of them only', async () => {
  const url = await cluster.createDatabase();
  const a = await storeRegistry({ databaseUrl: url });
  const b = await storeRegistry({ databaseUrl: url });
  await a.putProduct('p1', POLICY);
  await a.putService(svc('s1', 101), 10);
  assert.equal((await b.service('s1'))?.vmid, 101);
  assert.deepEqual(await b.product('p1'), POLICY);
  await b.addSsoLink({ hash: 'h', customerId: 'c1', serviceId: null, expiresAt: 10_000 }, 0);
  const taken = await Promise.all([a.takeSsoLink('h'), b.takeSsoLink('h'), a.takeSsoLink('h')]);
  assert.equal(taken.filter(Boolean).length, 1);
  const both = await Promise.all([a.putService(svc('x1', 500), 20), b.putService(svc('x2', 500), 20)]);
  assert.equal(both.filter((r) => r.created).length, 1, 'one VMID, one service');
});
