// The host registry's tables in the store (www/store/host-store.mjs), run
// against both engines: SQLite in a temporary directory and a throwaway
// PostgreSQL cluster. Same calls, same answers, and a sign-on link is taken
// once even when two instances race for it.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/index.mjs';
import { createStoreHostRegistry } from '../store/host-store.mjs';
import { startPgCluster } from './helpers/pg-cluster.mjs';

/** @type {import('./helpers/pg-cluster.mjs').PgCluster} */
let cluster;
const tmp = mkdtempSync(join(tmpdir(), 'pve-host-store-'));
let dirs = 0;
before(async () => { cluster = await startPgCluster(); });
after(async () => {
  await cluster?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const ENGINES = [
  { name: 'sqlite', options: async () => ({ dataDir: join(tmp, `d${++dirs}`) }) },
  { name: 'postgres', options: async () => ({ databaseUrl: await cluster.createDatabase() }) },
];
const T0 = 1_800_000_000_000;
const POLICY = { maxSnapshots: 3, lifetimeDays: 3, includeRam: false, namePrefix: 'snap', rollbackLatestOnly: false };
/** @param {Partial<Parameters<ReturnType<typeof createStoreHostRegistry>['putService']>[0]>} o */
const svc = (o = {}) => ({
  id: '501', customer: { id: '77', name: 'Carol', email: 'carol@example.net' }, vmid: 301, type: /** @type {const} */ ('qemu'),
  product: 'p3', label: 'vps1', ...o,
});

for (const engine of ENGINES) {
  describe(`host tables on ${engine.name}`, () => {
    test('products, customers, services: upserts, conflicts, suspension kept across updates, delete', async () => {
      const options = await engine.options();
      const store = await openStore(options);
      try {
        const host = createStoreHostRegistry({ store, reservedVmids: [101] });
        assert.deepEqual(await host.putProduct('p3', POLICY, T0), { created: true });
        assert.deepEqual(await host.putProduct('p3', { ...POLICY, maxSnapshots: 5 }, T0 + 1), { created: false });
        assert.equal((await host.product('p3'))?.maxSnapshots, 5);
        assert.equal(await host.product('nope'), null);

        const first = await host.putService(svc(), T0);
        assert.equal(first.created, true);
        assert.deepEqual(first.service, {
          id: '501', customerId: '77', vmid: 301, type: 'qemu', product: 'p3', label: 'vps1',
          suspended: false, suspendReason: null, createdAt: T0, updatedAt: T0,
        });
        assert.deepEqual(await host.putService(svc({ id: '502' }), T0), { created: false, conflict: '501', service: null });
        assert.deepEqual(await host.putService(svc({ id: '503', vmid: 101 }), T0), { created: false, conflict: 'config', service: null });

        assert.equal((await host.setSuspended('501', { suspended: true, reason: 'overdue' }, T0 + 5))?.suspendReason, 'overdue');
        const again = await host.putService(svc({ customer: { id: '77', name: null, email: null }, label: null }), T0 + 9);
        assert.equal(again.created, false);
        assert.deepEqual([again.service?.suspended, again.service?.suspendReason, again.service?.createdAt], [true, 'overdue', T0]);
        assert.deepEqual(await host.customer('77'), { id: '77', name: 'Carol', email: 'carol@example.net' }, 'name and email kept');
        assert.equal((await host.setSuspended('501', { suspended: false, reason: 'ignored' }, T0 + 10))?.suspendReason, null);
        assert.equal(await host.setSuspended('nope', { suspended: true, reason: null }, T0), null);

        assert.deepEqual((await host.servicesOf('77')).map((s) => s.id), ['501']);
        assert.deepEqual((await host.allServices()).map((s) => s.id), ['501']);
        assert.equal(await host.deleteService('501'), true);
        assert.equal(await host.deleteService('501'), false);
        assert.equal(await host.service('501'), null);
        // The VMID is free again.
        assert.equal((await host.putService(svc({ id: '502' }), T0 + 20)).created, true);

        await host.recordCall({ at: T0, key: 'whmcs', ip: '127.0.0.1', method: 'PUT', path: '/host/v1/services/502', action: 'provision',
          status: 201, outcome: 'ok', code: null, serviceId: '502' });
        const audit = await store.auditLog({ serviceId: '502' });
        assert.equal(audit.length, 1);
        assert.deepEqual([audit[0].actorKind, audit[0].actorId, audit[0].action, audit[0].outcome], ['host', 'whmcs', 'provision', 'ok']);
      } finally {
        await store.close();
      }
    });

    test('sign-on links: taken once, even by two instances at the same moment; expired ones pruned', async () => {
      const options = await engine.options();
      const [a, b] = [await openStore(options), await openStore(options)];
      try {
        const hostA = createStoreHostRegistry({ store: a });
        const hostB = createStoreHostRegistry({ store: b });
        await hostA.addSsoLink({ hash: 'h1', customerId: '77', serviceId: '501', expiresAt: T0 + 60_000 }, T0);
        const taken = await Promise.all([hostA.takeSsoLink('h1'), hostB.takeSsoLink('h1'), hostA.takeSsoLink('h1')]);
        assert.equal(taken.filter(Boolean).length, 1);
        assert.deepEqual(taken.find(Boolean), { hash: 'h1', customerId: '77', serviceId: '501', expiresAt: T0 + 60_000 });
        assert.equal(await hostB.takeSsoLink('h1'), null);

        await hostA.addSsoLink({ hash: 'old', customerId: '77', serviceId: null, expiresAt: T0 + 1000 }, T0);
        await hostA.addSsoLink({ hash: 'new', customerId: '77', serviceId: null, expiresAt: T0 + 70_000 }, T0 + 2000);
        assert.equal(await hostB.takeSsoLink('old'), null, 'pruned when the next link was added');
        assert.equal((await hostB.takeSsoLink('new'))?.serviceId, null);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
