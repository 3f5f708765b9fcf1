// The audit print command (www/store/audit.mjs) as a child process, on a
// SQLite store and on PostgreSQL: the table, --json, and the filters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openStore } from '../store/index.mjs';
import { startPgCluster } from './helpers/pg-cluster.mjs';

const AUDIT = fileURLToPath(new URL('../store/audit.mjs', import.meta.url));
const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'pve-audit-cli-'));
/** @type {import('./helpers/pg-cluster.mjs').PgCluster} */
let cluster;
before(async () => { cluster = await startPgCluster(); });
after(async () => {
  await cluster?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const T = Date.parse('2026-12-01T08:00:00Z');

/** @param {import('../store/index.mjs').StoreOptions} where */
async function seed(where) {
  const store = await openStore(where);
  try {
    await store.audit({ actorKind: 'customer', actorId: 'alice', serviceId: 'svc-101', vmid: 101, node: 'pve1', action: 'create', outcome: 'refused', code: 'QUOTA_EXCEEDED', message: 'quota used up' }, T);
    await store.audit({ actorKind: 'customer', actorId: 'bob', serviceId: 'svc-201', vmid: 201, action: 'remove', snapshot: 'snap1', outcome: 'accepted', taskId: 't-1' }, T + 3_600_000);
    await store.startJobRun({ id: 'j-run1', startedAt: T + 7_200_000, host: 'cronhost', pid: 42, scope: { service: null, node: null } });
    await store.jobEvent('j-run1', { type: 'deleted', customer: 'alice', service: 'svc-101', vmid: 101, node: 'pve1', name: 'snap-old', code: 'DELETED', message: 'deleted snap-old', upid: 'UPID:x' },
      { at: T + 7_200_500, audit: { actorKind: 'job', actorId: 'j-run1', customer: 'alice', serviceId: 'svc-101', vmid: 101, action: 'remove', snapshot: 'snap-old', outcome: 'ok', code: 'DELETED' } });
    await store.jobEvent('j-run1', { type: 'skipped', customer: 'bob', service: 'svc-201', vmid: 201, name: 'snap-b', code: 'VM_LOCKED', message: 'locked' },
      { at: T + 7_200_600, audit: null });
    await store.finishJobRun('j-run1', { endedAt: T + 7_201_000, exitCode: 0, summary: { counts: { deleted: 1, skipped: 1, failed: 0 } } });
  } finally {
    await store.close();
  }
}

/**
 * @param {string[]} args @param {Record<string, string>} [env]
 * @returns {Promise<{code: number, stdout: string, stderr: string}>}
 */
async function audit(args, env = {}) {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  try {
    const r = await run(process.execPath, [AUDIT, ...args], { env: { ...base, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = /** @type {any} */ (err);
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('sqlite: a table by default; --json; --service, --customer and --since filter both parts', async () => {
  const dir = join(tmp, 'a');
  await seed({ dataDir: dir });
  const all = await audit(['--data-dir', dir]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^Audit log \(3 entries\)\nTIME +ACTOR +CUSTOMER +SERVICE +VMID +ACTION +SNAPSHOT +OUTCOME +CODE +MESSAGE\n/);
  assert.match(all.stdout, /2026-12-01T08:00:00Z +customer:alice +alice +svc-101 +101 +create +- +refused +QUOTA_EXCEEDED +quota used up/);
  assert.match(all.stdout, /job:j-run1 +alice +svc-101 +101 +remove +snap-old +ok +DELETED/);
  assert.match(all.stdout, /Expiry job runs \(1\)\nj-run1 +2026-12-01T10:00:00Z → 2026-12-01T10:00:01Z +exit 0 +cronhost pid 42 deleted 1, skipped 1, failed 0/);
  assert.match(all.stdout, /skipped +svc-201 +201 +snap-b +VM_LOCKED +locked/);

  const json = JSON.parse((await audit(['--data-dir', dir, '--json'])).stdout);
  assert.equal(json.audit.length, 3);
  assert.equal(json.jobRuns[0].events.length, 2);

  const bob = JSON.parse((await audit(['--data-dir', dir, '--json', '--customer', 'bob'])).stdout);
  assert.deepEqual(bob.audit.map((/** @type {any} */ e) => e.actorId), ['bob']);
  assert.deepEqual(bob.jobRuns[0].events.map((/** @type {any} */ e) => e.name), ['snap-b']);

  const svc = JSON.parse((await audit(['--data-dir', dir, '--json', '--service', 'svc-101'])).stdout);
  assert.deepEqual(svc.audit.map((/** @type {any} */ e) => e.actorKind), ['customer', 'job']);
  assert.deepEqual(svc.jobRuns[0].events.map((/** @type {any} */ e) => e.name), ['snap-old']);

  const late = JSON.parse((await audit(['--data-dir', dir, '--json', '--since', '2026-12-01T09:00:00Z'])).stdout);
  assert.equal(late.audit.length, 2);
  assert.equal(late.jobRuns.length, 1);
  const none = JSON.parse((await audit(['--data-dir', dir, '--json', '--since', '2026-12-02'])).stdout);
  assert.deepEqual(none, { audit: [], jobRuns: [] });
});

test('sqlite: a bad --since is a usage error; a missing store says to migrate', async () => {
  const bad = await audit(['--data-dir', join(tmp, 'a'), '--since', 'yesterday']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--since: not a date/);
  const empty = await audit(['--data-dir', join(tmp, 'empty')]);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /STORE_UNAVAILABLE: .*schema version 0.*run node www\/store\/migrate\.mjs/);
});

test('postgres: the same entries through DATABASE_URL', async () => {
  const databaseUrl = await cluster.createDatabase();
  await seed({ databaseUrl });
  const r = await audit(['--json', '--customer', 'alice'], { DATABASE_URL: databaseUrl });
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.deepEqual(json.audit.map((/** @type {any} */ e) => e.outcome), ['refused', 'ok']);
  assert.deepEqual(json.jobRuns.map((/** @type {any} */ r) => r.id), ['j-run1']);
});
