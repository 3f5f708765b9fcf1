// The store queries behind the operator's reports (job runs, audit search,
// job health), on both engines: SQLite in a temporary directory and a
// throwaway PostgreSQL cluster. Same calls, same answers.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, DB_FILE } from '../store/index.mjs';
import { openSqliteEngine } from '../store/sqlite-engine.mjs';
import { openPostgresEngine } from '../store/postgres-engine.mjs';
import { MIGRATIONS } from '../store/migrations.mjs';
import { useStoreEngines } from './helpers/store-engines.mjs';

/** @typedef {import('../store/index.mjs').Store} Store */

const { engines: ENGINES } = useStoreEngines('pve-reports-store-');

const T0 = 1_800_000_000_000;
const MIN = 60_000;
const WHOLE_FLEET = { service: null, node: null };

/**
 * A finished run with events.
 * @param {Store} store @param {string} id @param {number} startedAt
 * @param {{types?: string[], success?: boolean, exitCode?: number, scope?: {service: string|null, node: string|null},
 *   error?: {code: string, message: string} | null, clock?: object, unfinished?: boolean}} [o]
 */
async function seedRun(store, id, startedAt, { types = [], success = true, exitCode = 0, scope = WHOLE_FLEET, error = null, clock, unfinished = false } = {}) {
  await store.startJobRun({ id, startedAt, host: 'cron1', pid: 4711, scope });
  let i = 0;
  for (const type of types) {
    i++;
    await store.jobEvent(id, { type, customer: 'alice', service: 'web-1', vmid: 101, node: 'pve1', name: `snap${i}`, code: 'X', message: `${type} ${i}` },
      { at: startedAt + i, audit: null });
  }
  if (!unfinished) {
    await store.finishJobRun(id, { endedAt: startedAt + 2 * MIN, exitCode, summary: { success, exitCode, error, scope, clock: clock ?? { source: 'proxmox', skewMs: { pve1: 10 } } } });
  }
}

for (const engine of ENGINES) {
  describe(`report queries on ${engine.name}`, () => {
    /** @param {(store: Store) => Promise<void>} fn */
    const withStore = async (fn) => {
      const store = await openStore(await engine.where());
      try { await fn(store); } finally { await store.close(); }
    };

    test('job runs: newest first, paged by cursor, counts by event type, success and error code', () => withStore(async (store) => {
      await seedRun(store, 'j-a', T0, { types: ['deleted', 'deleted', 'skipped'] });
      await seedRun(store, 'j-b', T0 + 60 * MIN, { types: ['failed', 'deleted', 'stuck', 'still-running', 'missing'], success: false, exitCode: 1 });
      await seedRun(store, 'j-c', T0 + 120 * MIN, { success: false, exitCode: 4, error: { code: 'PVE_NETWORK', message: 'down' } });
      await seedRun(store, 'j-d', T0 + 180 * MIN, { types: ['deleted'], unfinished: true });
      const page1 = await store.jobRunList({ limit: 2 });
      assert.deepEqual(page1.map((r) => r.id), ['j-d', 'j-c']);
      assert.equal(page1[0].endedAt, null);
      assert.equal(page1[0].success, null);
      assert.equal(page1[0].counts.deleted, 1);
      assert.equal(page1[1].success, false);
      assert.equal(page1[1].errorCode, 'PVE_NETWORK');
      assert.equal(page1[1].exitCode, 4);
      const last = page1[1];
      const page2 = await store.jobRunList({ before: { startedAt: last.startedAt, id: last.id }, limit: 2 });
      assert.deepEqual(page2.map((r) => r.id), ['j-b', 'j-a']);
      assert.deepEqual(page2[0].counts, { deleted: 1, skipped: 0, stuck: 1, failed: 1, stillRunning: 1, missing: 1 });
      assert.deepEqual(page2[1].counts, { deleted: 2, skipped: 1, stuck: 0, failed: 0, stillRunning: 0, missing: 0 });
      assert.equal(page2[1].success, true);
      assert.equal(page2[1].endedAt, T0 + 2 * MIN);
      assert.deepEqual(page2[1].scope, WHOLE_FLEET);
      assert.deepEqual(await store.jobRunList({ before: { startedAt: T0, id: 'j-a' }, limit: 2 }), []);
    }));

    test('one run: its events oldest first, capped, with the total', () => withStore(async (store) => {
      await seedRun(store, 'j-x', T0, { types: ['deleted', 'failed', 'skipped', 'deleted'], success: false, exitCode: 1 });
      const run = await store.jobRunDetail('j-x', { limit: 3 });
      assert.ok(run);
      assert.equal(run.eventsTotal, 4);
      assert.deepEqual(run.events.map((e) => [e.type, e.name, e.service, e.vmid]), [
        ['deleted', 'snap1', 'web-1', 101], ['failed', 'snap2', 'web-1', 101], ['skipped', 'snap3', 'web-1', 101]]);
      assert.equal(run.counts.deleted, 2);
      assert.equal(await store.jobRunDetail('j-nope', { limit: 3 }), null);
    }));

    test('job health: the newest successful whole-fleet run, and the newest finished one with its clock readings', () => withStore(async (store) => {
      assert.deepEqual(await store.jobHealth(), { lastSuccess: null, lastFinished: null });
      await seedRun(store, 'j-1', T0, { clock: { source: 'proxmox', skewMs: { pve1: 5, pve2: -400_000 } } });
      await seedRun(store, 'j-2', T0 + 60 * MIN, { success: false, exitCode: 1, clock: { source: 'proxmox', skewMs: { pve1: 7 } } });
      // A run limited to one service says nothing about the fleet.
      await seedRun(store, 'j-3', T0 + 120 * MIN, { scope: { service: 'web-1', node: null } });
      await seedRun(store, 'j-4', T0 + 180 * MIN, { unfinished: true });
      const h = await store.jobHealth();
      assert.deepEqual(h.lastSuccess, { id: 'j-1', endedAt: T0 + 2 * MIN });
      assert.equal(h.lastFinished?.id, 'j-2');
      assert.deepEqual(h.lastFinished?.clock, { source: 'proxmox', skewMs: { pve1: 7 } });
    }));

    test('audit search: every filter, the time range [from, to), newest first, paged by cursor', () => withStore(async (store) => {
      /** @type {[number, import('../store/store.mjs').AuditEntry][]} */
      const rows = [
        [T0, { actorKind: 'customer', actorId: 'alice', serviceId: 'web-1', vmid: 101, action: 'create', outcome: 'accepted' }],
        [T0 + 1, { actorKind: 'customer', actorId: 'alice', serviceId: 'web-1', vmid: 101, action: 'create', outcome: 'ok' }],
        [T0 + 2, { actorKind: 'customer', actorId: 'bob', serviceId: 'db-2', vmid: 102, action: 'remove', outcome: 'refused', code: 'NOT_MANAGED' }],
        [T0 + 3, { actorKind: 'job', actorId: 'j-1', customer: 'alice', serviceId: 'web-1', vmid: 101, action: 'remove', outcome: 'ok' }],
        [T0 + 3, { actorKind: 'customer', actorId: 'alice', serviceId: 'web-2', vmid: 103, action: 'rollback', outcome: 'failed' }],
        [T0 + 10, { actorKind: 'customer', actorId: 'alice', serviceId: 'web-1', vmid: 101, action: 'create', outcome: 'accepted' }],
      ];
      for (const [at, e] of rows) await store.audit(e, at);
      const q = { from: T0, to: T0 + 10 };
      const ids = async (/** @type {Partial<import('../store/store.mjs').AuditQuery>} */ f) =>
        (await store.auditSearch({ ...q, limit: 50, ...f })).map((e) => `${e.at - T0}:${e.actorId}:${e.action}:${e.outcome}`);
      assert.deepEqual(await ids({}), ['3:alice:rollback:failed', '3:j-1:remove:ok', '2:bob:remove:refused', '1:alice:create:ok', '0:alice:create:accepted']);
      assert.deepEqual(await ids({ customer: 'alice' }), ['3:alice:rollback:failed', '3:j-1:remove:ok', '1:alice:create:ok', '0:alice:create:accepted']);
      assert.deepEqual(await ids({ serviceId: 'web-1', action: 'remove' }), ['3:j-1:remove:ok']);
      assert.deepEqual(await ids({ outcome: 'refused' }), ['2:bob:remove:refused']);
      assert.deepEqual(await ids({ actorKind: 'job' }), ['3:j-1:remove:ok']);
      assert.deepEqual(await ids({ to: T0 + 11 }), ['10:alice:create:accepted', '3:alice:rollback:failed', '3:j-1:remove:ok', '2:bob:remove:refused', '1:alice:create:ok', '0:alice:create:accepted']);
      // Paging: two rows at the same time are split by id, none lost or repeated.
      const first = await store.auditSearch({ ...q, limit: 1 });
      const second = await store.auditSearch({ ...q, limit: 2, before: { at: first[0].at, id: first[0].id } });
      const third = await store.auditSearch({ ...q, limit: 5, before: { at: second[1].at, id: second[1].id } });
      assert.deepEqual([...first, ...second, ...third].map((e) => e.id), (await store.auditSearch({ ...q, limit: 50 })).map((e) => e.id));
      // SQL in a value is a value: nothing matches, nothing breaks.
      for (const evil of ["alice' OR '1'='1", 'alice"; DROP TABLE audit_log; --', '%', '_', "\\'; SELECT 1; --"]) {
        assert.deepEqual(await ids({ customer: evil }), []);
        assert.deepEqual(await ids({ serviceId: evil }), []);
      }
      assert.equal((await store.auditSearch({ ...q, limit: 50 })).length, 5);
    }));

    test('the migration fills success and error code of runs recorded before it', async () => {
      const at = MIGRATIONS.findIndex((m) => m.name.startsWith("a job run's success"));
      assert.ok(at > 0);
      const options = await engine.where();
      // An old database: migrated up to the version before, runs written the old way.
      let raw;
      if (options.databaseUrl) raw = openPostgresEngine({ url: options.databaseUrl });
      else {
        mkdirSync(/** @type {string} */ (options.dataDir), { recursive: true });
        raw = openSqliteEngine({ file: join(/** @type {string} */ (options.dataDir), DB_FILE) });
      }
      try {
        await raw.migrate(MIGRATIONS[at - 1].version);
        const insert = 'INSERT INTO job_runs (id, started_at, ended_at, host, pid, scope, exit_code, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
        await raw.run(insert, ['j-ok', T0, T0 + 1, 'h', 1, JSON.stringify(WHOLE_FLEET), 0, JSON.stringify({ success: true, error: null })]);
        await raw.run(insert, ['j-bad', T0 + 5, T0 + 6, 'h', 1, JSON.stringify(WHOLE_FLEET), 4, JSON.stringify({ success: false, error: { code: 'PVE_AUTH', message: 'no' } })]);
        await raw.run(insert, ['j-run', T0 + 9, null, 'h', 1, JSON.stringify(WHOLE_FLEET), null, null]);
      } finally { await raw.close(); }
      const store = await openStore(options);
      try {
        const runs = await store.jobRunList({ limit: 10 });
        assert.deepEqual(runs.map((r) => [r.id, r.success, r.errorCode]), [['j-run', null, null], ['j-bad', false, 'PVE_AUTH'], ['j-ok', true, null]]);
        assert.deepEqual((await store.jobHealth()).lastSuccess, { id: 'j-ok', endedAt: T0 + 1 });
      } finally { await store.close(); }
    });
  });
}
