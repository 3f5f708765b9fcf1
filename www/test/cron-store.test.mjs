// The expiry job on the store, against both engines: the run and one event
// per snapshot acted on, deletions and refusals in the audit log (actor
// job), audit retention, and on PostgreSQL the database lock that keeps two
// job hosts apart.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config.mjs';
import { runExpiry, EXIT } from '../cron/engine.mjs';
import { openStore, DB_FILE } from '../store/index.mjs';
import { createStoreRegistry } from '../store/host-registry-store.mjs';
import { DAY_S, DAY_MS, startSim, tempDir, writeConfig, service, names, managed, runJob, SECRET } from './cron-harness.mjs';
import { startPgCluster, freePort } from './helpers/pg-cluster.mjs';

/** @type {import('./helpers/pg-cluster.mjs').PgCluster} */
let cluster;
/** @type {(() => unknown)[]} */
const cleanups = [];
before(async () => { cluster = await startPgCluster(); });
after(async () => {
  for (const c of cleanups.reverse()) await c();
  await cluster?.close();
});

async function setup() {
  const sim = await startSim({
    nodes: ['pve1'],
    guests: [
      { vmid: 501, type: 'qemu', node: 'pve1', name: 'x', status: 'running', storage: 'lvmthin',
        snapshots: [{ name: managed(1), ageSeconds: 5 * DAY_S, description: 'before the PHP upgrade' }, { name: managed(2), ageSeconds: 4 * DAY_S },
          { name: 'keep', ageSeconds: 9 * DAY_S }] },
      { vmid: 502, type: 'qemu', node: 'pve1', name: 'y', status: 'running', storage: 'lvmthin', lock: 'backup',
        snapshots: [{ name: managed(3), ageSeconds: 5 * DAY_S }] },
      { vmid: 503, type: 'qemu', node: 'pve1', name: 'z', status: 'running', storage: 'lvmthin',
        snapshots: [{ name: managed(4), ageSeconds: 2 * DAY_S }, { name: managed(5), ageSeconds: DAY_S / 2 }] },
    ],
  });
  const tmp = await tempDir('cron-store-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const path = await writeConfig(tmp.dir, { url: sim.url, services: [service(501), service(502)], job: { auditRetentionDays: 30 } });
  const config = await loadConfig(path, { env: { PVE_TOKEN_SECRET: SECRET } });
  return { sim, config, dir: tmp.dir, path };
}

const ENGINES = [
  { name: 'sqlite', where: async (/** @type {string} */ dir) => ({ dataDir: join(dir, 'data') }) },
  { name: 'postgres', where: async () => ({ databaseUrl: await cluster.createDatabase() }) },
];

for (const engine of ENGINES) {
  describe(`expiry job on ${engine.name}`, () => {
    test('a run, its events, the audit entries (actor job) and the retention', async () => {
      const { sim, config, dir } = await setup();
      const store = await openStore(await engine.where(dir));
      cleanups.push(() => store.close());
      const now = Date.now();
      await store.audit({ actorKind: 'customer', actorId: 'c501', serviceId: 'svc-501', action: 'create', outcome: 'accepted' }, now - 31 * DAY_MS);
      await store.audit({ actorKind: 'customer', actorId: 'c501', serviceId: 'svc-501', action: 'create', outcome: 'accepted' }, now - 29 * DAY_MS);

      const summary = await runExpiry({ config, store });
      assert.equal(summary.exitCode, EXIT.OK, JSON.stringify(summary.error));
      assert.deepEqual(names(sim, 501), ['keep']);
      assert.match(String(summary.runId), /^j-/);

      const runs = await store.jobRuns();
      assert.equal(runs.length, 1);
      const [run] = runs;
      assert.equal(run.id, summary.runId);
      assert.equal(run.exitCode, EXIT.OK);
      assert.ok(run.endedAt !== null && run.endedAt >= run.startedAt);
      assert.deepEqual(run.events.map((e) => [e.type, e.service, e.name]).sort(), [
        ['deleted', 'svc-501', managed(1)], ['deleted', 'svc-501', managed(2)], ['skipped', 'svc-502', managed(3)],
      ]);
      assert.match(String(run.events.find((e) => e.type === 'deleted')?.upid), /^UPID:pve1:/);

      const log = await store.auditLog();
      assert.equal(log.length, 4, 'the 31-day-old entry was pruned (retention 30 days)');
      const jobRows = log.filter((e) => e.actorKind === 'job');
      assert.ok(jobRows.every((e) => e.actorId === summary.runId && e.action === 'remove'));
      assert.deepEqual(jobRows.map((e) => [e.customer, e.snapshot, e.outcome]).sort(), [
        ['c501', managed(1), 'ok'], ['c501', managed(2), 'ok'], ['c502', managed(3), 'refused'],
      ]);
      assert.equal(jobRows.find((e) => e.outcome === 'refused')?.code, 'VM_LOCKED');
      assert.deepEqual(jobRows.map((e) => [e.snapshot, e.description]).sort(), [
        [managed(1), 'before the PHP upgrade'], [managed(2), null], [managed(3), null],
      ], 'the description Proxmox lists, where the snapshot has one');
      assert.deepEqual((await store.auditLog({ customer: 'c501' })).map((e) => e.actorKind), ['customer', 'job', 'job']);
      assert.equal((await store.jobRuns({ serviceId: 'svc-502' }))[0].events.length, 1);
    });
  });
}

test('postgres: the job lock in the database keeps a second run out, wherever its state directory is', async () => {
  const { sim, config } = await setup();
  const store = await openStore({ databaseUrl: await cluster.createDatabase() });
  cleanups.push(() => store.close());
  const other = await store.jobLock();
  assert.equal(other.held, false);
  try {
    const summary = await runExpiry({ config, store });
    assert.equal(summary.exitCode, EXIT.RUNNING);
    assert.equal(summary.error?.code, 'ALREADY_RUNNING');
    assert.equal(sim.requests.filter((r) => r.method === 'DELETE').length, 0);
  } finally {
    await other.lock?.release();
  }
  assert.equal((await runExpiry({ config, store })).exitCode, EXIT.OK);
});

test('the command: the store in the state directory by default; --dry-run writes none', async () => {
  const { path, dir } = await setup();
  const dry = await runJob(['--config', path, '--dry-run', '--json']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(existsSync(join(dir, 'state', DB_FILE)), false);
  const r = await runJob(['--config', path, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const store = await openStore({ dataDir: join(dir, 'state') });
  try {
    const runs = await store.jobRuns();
    assert.deepEqual(runs.map((x) => x.id), [r.json.runId]);
  } finally {
    await store.close();
  }
});

test('the command: an unreachable DATABASE_URL is exit 4, nothing done, no password printed', async () => {
  const { sim, path } = await setup();
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const r = await runJob(['--config', path, '--json'], {
    env: { DATABASE_URL: `postgres://panel:${password}@127.0.0.1:${await freePort()}/panel` },
  });
  assert.equal(r.code, 4);
  assert.equal(r.json.error.code, 'STORE_UNAVAILABLE');
  assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password));
  assert.equal(sim.requests.length, 0);
});

test('the host\'s services in the store expire like the file\'s (their own products, audit for the host customer)', async () => {
  const { sim, config, dir } = await setup();
  const store = await openStore({ dataDir: join(dir, 'host-data') });
  cleanups.push(() => store.close());
  const registry = createStoreRegistry(store);
  await registry.putProduct('h-1d', { maxSnapshots: 5, lifetimeDays: 1, includeRam: false, namePrefix: 'snap', rollbackLatestOnly: false });
  await registry.putService({ id: 'h-503', customer: { id: 'c9', name: null, email: null }, vmid: 503, type: 'qemu', product: 'h-1d', label: null }, Date.now());
  const summary = await runExpiry({ config, store });
  assert.equal(summary.exitCode, EXIT.OK, JSON.stringify(summary.error));
  assert.deepEqual(names(sim, 503), [managed(5)], 'the 2-day-old one is expired under the host product (1 day)');
  const rows = (await store.auditLog({ customer: 'host:c9' })).map((e) => [e.serviceId, e.snapshot, e.outcome]);
  assert.deepEqual(rows, [['h-503', managed(4), 'ok']]);
});

test('the job seeds the store from its file and reads services only from there; a host id the file uses too stops it', async () => {
  const { sim, config, dir } = await setup();
  const store = await openStore({ dataDir: join(dir, 'seed-data') });
  cleanups.push(() => store.close());
  // A file without customers (the job host's copy) leaves the store's customers alone.
  assert.equal(config.customers, undefined);
  const first = await runExpiry({ config, store, service: 'svc-501' });
  assert.equal(first.exitCode, EXIT.OK, JSON.stringify(first.error));
  const rows = await store.engine.all("SELECT id, source FROM services ORDER BY id");
  assert.deepEqual(rows.map((r) => [r.id, r.source]), [['svc-501', 'config'], ['svc-502', 'config']]);

  // The file drops svc-502: the store drops it too, and the job no longer knows it.
  const fewer = { ...config, services: config.services.filter((s) => s.id !== 'svc-502') };
  const gone = await runExpiry({ config: fewer, store, service: 'svc-502' });
  assert.equal(gone.exitCode, EXIT.CONFIG);
  assert.deepEqual((await store.engine.all('SELECT id FROM services')).map((r) => r.id), ['svc-501']);

  // The host API took a product id the file also defines: refused, nothing sent.
  await store.engine.run("INSERT INTO products (id, policy, updated_at, source) VALUES ('h-s', '{}', 0, 'host')");
  const before = sim.requests.length;
  const clash = await runExpiry({ config: { ...config, products: { ...config.products, 'h-s': config.products[config.services[0].product] } }, store });
  assert.equal(clash.exitCode, EXIT.CONFIG);
  assert.equal(clash.error?.code, 'CONFIG_INVALID');
  assert.match(String(clash.error?.message), /products\.h-s: product "h-s" was created by the host API/);
  assert.equal(sim.requests.length, before, 'nothing was sent to Proxmox');
  assert.deepEqual((await store.engine.all('SELECT id FROM services')).map((r) => r.id), ['svc-501'], 'the refused seed changed nothing');
});
