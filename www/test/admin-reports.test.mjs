// The operator's reports over real HTTP: job runs, the audit search, its
// CSV export and the alerts, against the simulator and a SQLite store in a
// temporary directory. Bad input: page sizes out of range, huge or reversed
// ranges, SQL metacharacters, unknown and repeated parameters.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, rawRequest } from './server-harness.mjs';
import { AdminClient } from './helpers/admin-client.mjs';
import { parseCsv } from './helpers/csv-reader.mjs';
import { openStore } from '../store/index.mjs';
import { REPORT_LIMITS } from '../server/admin-reports.mjs';
import { runExpiry } from '../cron/engine.mjs';
import { openStoreLedger } from '../store/notice-store.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'pve-reports-http-'));
/** @type {import('../store/index.mjs').Store} */
let store;
/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {AdminClient} */
let op;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WHOLE_FLEET = { service: null, node: null };

before(async () => {
  store = await openStore({ dataDir: tmp });
  stack = await startStack({ serverOptions: { store } });
  op = new AdminClient(stack.url);
  assert.equal((await op.login()).status, 200);
});

after(async () => {
  await stack?.close();
  await store?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const now = () => stack.sim.clock.now();

/**
 * A run as the job records it.
 * @param {string} id @param {number} startedAt
 * @param {{events?: Array<{type: string, service?: string, vmid?: number, name?: string | null, code?: string, message?: string}>,
 *   success?: boolean, exitCode?: number, skewMs?: Record<string, number>, scope?: {service: string|null, node: string|null}}} [o]
 */
async function recordRun(id, startedAt, { events = [], success = true, exitCode = 0, skewMs = {}, scope = WHOLE_FLEET } = {}) {
  await store.startJobRun({ id, startedAt, host: 'cron1', pid: 99, scope });
  for (const [i, e] of events.entries()) {
    await store.jobEvent(id, { service: 'svc-101', vmid: 101, node: 'pve1', name: `snap${i}`, code: 'X', message: e.type, customer: 'alice', ...e },
      { at: startedAt + i, audit: null });
  }
  await store.finishJobRun(id, { endedAt: startedAt + 90_000, exitCode, summary: { success, exitCode, error: null, scope, clock: { source: 'proxmox', skewMs } } });
}

/**
 * @param {import('./server-harness.mjs').Reply} r
 * @param {string} field
 */
function assertBadInput(r, field) {
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.code, 'INVALID_INPUT');
  assert.ok(r.json.error.details.problems.some((/** @type {any} */ p) => p.field === field), `${field} in ${r.text}`);
}

describe('job runs', () => {
  before(async () => {
    await recordRun('j-old', now() - 30 * HOUR, { events: [{ type: 'deleted' }, { type: 'deleted' }] });
    await recordRun('j-failed', now() - 29 * HOUR, {
      success: false, exitCode: 1,
      events: [{ type: 'deleted' }, { type: 'failed', code: 'TASK_FAILED', message: 'snapshot delete failed: disk busy' }, { type: 'skipped', code: 'VM_LOCKED' }],
    });
    await recordRun('j-new', now() - 28 * HOUR, { events: [{ type: 'stuck', code: 'SNAPSHOT_BUSY' }] });
  });

  test('the list: newest first, duration, result and counts; paged with next', async () => {
    const r = await op.send('GET', '/job-runs?limit=2');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.deepEqual(r.json.runs.map((/** @type {any} */ x) => x.id), ['j-new', 'j-failed']);
    const failed = r.json.runs[1];
    assert.equal(failed.success, false);
    assert.equal(failed.exitCode, 1);
    assert.equal(failed.durationMs, 90_000);
    assert.deepEqual(failed.counts, { deleted: 1, skipped: 1, stuck: 0, failed: 1, stillRunning: 0, missing: 0 });
    assert.equal(typeof r.json.next, 'string');
    const more = await op.send('GET', `/job-runs?limit=2&before=${encodeURIComponent(r.json.next)}`);
    assert.deepEqual(more.json.runs.map((/** @type {any} */ x) => x.id), ['j-old']);
    assert.equal(more.json.next, null);
  });

  test('one run: its events in order, with codes and messages', async () => {
    const r = await op.send('GET', '/job-runs/j-failed');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.run.id, 'j-failed');
    assert.equal(r.json.run.eventsTotal, 3);
    assert.deepEqual(r.json.run.events.map((/** @type {any} */ e) => [e.type, e.code]), [['deleted', 'X'], ['failed', 'TASK_FAILED'], ['skipped', 'VM_LOCKED']]);
    assert.equal(r.json.run.events[1].message, 'snapshot delete failed: disk busy');
  });

  test('bad input: page sizes out of range, cursors and ids that are not ours, unknown and repeated parameters', async () => {
    for (const q of ['limit=0', 'limit=201', 'limit=-1', 'limit=1.5', 'limit=abc', 'limit=', 'limit=99999999999']) {
      assertBadInput(await op.send('GET', `/job-runs?${q}`), 'limit');
    }
    assertBadInput(await op.send('GET', '/job-runs?limit=1&limit=2'), 'limit');
    assertBadInput(await op.send('GET', '/job-runs?before=1%27%20OR%201=1'), 'before');
    assertBadInput(await op.send('GET', '/job-runs?sort=started_at;DROP%20TABLE%20job_runs'), 'sort');
    for (const id of ['j-nope', 'x', "j-a'--", '%2e%2e', 'j-' + 'a'.repeat(200)]) {
      const r = await op.send('GET', `/job-runs/${id}`);
      assert.equal(r.status, 404, `${id}: ${r.text}`);
      assert.equal(r.json.error.code, 'NOT_FOUND');
    }
    assertBadInput(await op.send('GET', '/job-runs/j-old?x=1'), 'x');
    // Still all there.
    assert.equal((await op.send('GET', '/job-runs')).json.runs.length, 3);
  });
});

describe('audit search and CSV export', () => {
  let base = 0;
  const t0 = () => base;
  before(async () => {
    base = now() - 10 * DAY;
    /** @type {[number, import('../store/store.mjs').AuditEntry][]} */
    const rows = [
      [base, { actorKind: 'customer', actorId: 'carol', serviceId: 'svc-9', vmid: 909, action: 'create', outcome: 'accepted', snapshot: 'snap1' }],
      [base + 1000, { actorKind: 'customer', actorId: 'carol', serviceId: 'svc-9', vmid: 909, action: 'create', outcome: 'ok', snapshot: 'snap1' }],
      [base + 2000, { actorKind: 'customer', actorId: 'carol', serviceId: 'svc-9', vmid: 909, action: 'remove', outcome: 'refused', code: 'NOT_MANAGED',
        message: '=HYPERLINK("http://evil.example","x"), and "more"\nsecond line — ünïcödé', description: '@SUM(A1), "quoted"\r\nnext, 日本語' }],
      [base + 3000, { actorKind: 'job', actorId: 'j-x', customer: 'carol', serviceId: 'svc-9', vmid: 909, action: 'remove', outcome: 'ok', snapshot: 'snap1' }],
      [base + 4000, { actorKind: 'customer', actorId: 'dave', serviceId: 'svc-8', vmid: 808, action: 'rollback', outcome: 'failed', message: '+cmd|/c calc' }],
      [base - 40 * DAY, { actorKind: 'customer', actorId: 'carol', serviceId: 'svc-9', vmid: 909, action: 'create', outcome: 'accepted' }],
    ];
    for (const [at, e] of rows) await store.audit(e, at);
  });

  test('filters by customer, service, action, outcome and who acted; the default range is the last 30 days', async () => {
    const carol = await op.send('GET', '/audit?customer=carol');
    assert.equal(carol.status, 200, carol.text);
    assert.deepEqual(carol.json.entries.map((/** @type {any} */ e) => `${e.actorKind}:${e.action}:${e.outcome}`),
      ['job:remove:ok', 'customer:remove:refused', 'customer:create:ok', 'customer:create:accepted']);
    assert.equal(carol.json.range.to - carol.json.range.from, 30 * DAY);
    const refused = await op.send('GET', '/audit?customer=carol&outcome=refused');
    assert.deepEqual(refused.json.entries.map((/** @type {any} */ e) => e.code), ['NOT_MANAGED']);
    assert.equal((await op.send('GET', '/audit?service=svc-8&action=rollback')).json.entries.length, 1);
    assert.equal((await op.send('GET', '/audit?customer=carol&actor=job')).json.entries.length, 1);
    const older = await op.send('GET', `/audit?customer=carol&from=${new Date(t0() - 50 * DAY).toISOString()}&to=${new Date(t0() - 1).toISOString()}`);
    assert.equal(older.json.entries.length, 1);
    const day = new Date(t0()).toISOString().slice(0, 10);
    const byDate = await op.send('GET', `/audit?customer=carol&from=${day}`);
    assert.equal(byDate.json.entries.length, 4);
  });

  test('paging: next leads through every entry once', async () => {
    /** @type {number[]} */
    const seen = [];
    /** @type {string | null} */
    let next = null;
    for (let i = 0; i < 10; i++) {
      /** @type {import('./server-harness.mjs').Reply} */
      const r = await op.send('GET', `/audit?customer=carol&limit=1${next ? `&before=${encodeURIComponent(next)}` : ''}`);
      assert.equal(r.status, 200, r.text);
      seen.push(...r.json.entries.map((/** @type {any} */ e) => e.id));
      next = r.json.next;
      if (!next) break;
    }
    const all = (await op.send('GET', '/audit?customer=carol')).json.entries.map((/** @type {any} */ e) => e.id);
    assert.deepEqual(seen, all);
  });

  test('SQL metacharacters are values: nothing matches, nothing breaks', async () => {
    for (const evil of ["carol' OR '1'='1", 'carol"; DROP TABLE audit_log; --', '%', '_', "' UNION SELECT * FROM sessions --", 'carol\\']) {
      for (const field of ['customer', 'service']) {
        const r = await op.send('GET', `/audit?${field}=${encodeURIComponent(evil)}`);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.entries, [], `${field}=${evil}`);
        const csv = await op.send('GET', `/audit.csv?${field}=${encodeURIComponent(evil)}`);
        assert.equal(csv.status, 200);
        assert.equal(parseCsv(csv.text.slice(1)).length, 1);
      }
    }
    assert.equal((await op.send('GET', '/audit?customer=carol')).json.entries.length, 4);
  });

  test('bad input: huge, reversed and unreal ranges, times without a zone, page sizes, unknown values and parameters', async () => {
    /** @type {Array<[string, string]>} */
    const cases = [
      ['from=2000-01-01&to=2026-12-01', 'to'],
      [`from=2000-01-01`, 'to'],
      ['from=2026-12-02&to=2026-12-01', 'from'],
      ['from=2026-12-01&to=2026-12-01', 'from'],
      ['from=1970-01-01T00:00:00Z&to=1970-01-02T00:00:00Z', 'from'],
      ['to=99999-01-01', 'to'],
      ['from=2026-13-45', 'from'],
      ['from=2026-02-30', 'from'],
      ['from=2026-11-31T10:00:00Z', 'from'],
      ['to=2026-12-01T24:00:00Z', 'to'],
      ['from=2026-12-01T08:00:00', 'from'],
      ['from=1764547200000', 'from'],
      ['from=yesterday', 'from'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['action=drop', 'action'],
      ['outcome=ok%27--', 'outcome'],
      ['actor=root', 'actor'],
      ['customer=', 'customer'],
      [`customer=${'x'.repeat(257)}`, 'customer'],
      ['customer=a%00b', 'customer'],
      ['customer=a&customer=b', 'customer'],
      ['before=12', 'before'],
      ['orderBy=id', 'orderBy'],
    ];
    for (const [q, field] of cases) {
      assertBadInput(await op.send('GET', `/audit?${q}`), field);
      if (!q.startsWith('limit') && !q.startsWith('before')) assertBadInput(await op.send('GET', `/audit.csv?${q}`), field);
    }
    // The export takes no paging parameters.
    assertBadInput(await op.send('GET', '/audit.csv?limit=10'), 'limit');
    // A range of exactly the maximum is fine.
    const to = now();
    const max = await op.send('GET', `/audit?from=${new Date(to - REPORT_LIMITS.rangeDaysMax * DAY).toISOString()}&to=${new Date(to).toISOString()}`);
    assert.equal(max.status, 200, max.text);
  });

  test('the CSV: header, CRLF, quotes, formulas neutralised, non-ASCII intact, as an attachment', async () => {
    const r = await op.send('GET', '/audit.csv?customer=carol');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8; header=present');
    assert.match(String(r.headers['content-disposition']), /^attachment; filename="audit-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv"$/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.ok(r.text.startsWith('\uFEFFtime,actor_kind,actor,customer,service,vmid,node,action,snapshot,description,outcome,code,message,task,id\r\n'));
    const rows = parseCsv(r.text.slice(1));
    const [header, ...data] = rows;
    assert.equal(data.length, 4);
    assert.ok(rows.every((row) => row.length === header.length));
    const col = (/** @type {string} */ name) => header.indexOf(name);
    const refused = data.find((row) => row[col('outcome')] === 'refused');
    assert.ok(refused);
    assert.equal(refused[col('message')], `'=HYPERLINK("http://evil.example","x"), and "more"\nsecond line — ünïcödé`);
    assert.equal(refused[col('description')], `'@SUM(A1), "quoted"\r\nnext, 日本語`);
    assert.equal(refused[col('vmid')], '909');
    assert.equal(refused[col('code')], 'NOT_MANAGED');
    assert.match(refused[col('time')], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const dave = parseCsv((await op.send('GET', '/audit.csv?customer=dave')).text.slice(1));
    assert.equal(dave[1][col('message')], "'+cmd|/c calc");
    // No formula start survives in any text field.
    for (const row of [...data, ...dave.slice(1)]) for (const v of row) assert.doesNotMatch(v, /^[=+\-@\t\r]/);
  });

  test('a big export streams past one batch, newest first, every entry once', async () => {
    const base = now() - 5 * DAY;
    const n = REPORT_LIMITS.exportBatch * 2 + 17;
    for (let i = 0; i < n; i++) {
      await store.audit({ actorKind: 'customer', actorId: 'erin', serviceId: 'svc-7', vmid: 707, action: 'create', outcome: 'refused',
        code: 'QUOTA_EXCEEDED', message: `attempt ${i}, "quoted"` }, base + Math.floor(i / 3));
    }
    const r = await op.send('GET', '/audit.csv?customer=erin');
    assert.equal(r.status, 200);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    const rows = parseCsv(r.text.slice(1)).slice(1);
    assert.equal(rows.length, n);
    const ids = rows.map((row) => Number(row[14]));
    assert.equal(new Set(ids).size, n);
    const times = rows.map((row) => Date.parse(row[0]));
    assert.ok(times.every((t, i) => i === 0 || t <= times[i - 1]), 'newest first');
  });
});

describe('alerts', () => {
  test('stuck deletes, snapshots without snaptime, an overdue job, clock skew; a run limited to one service does not count', async () => {
    stack.sim.addSnapshot(101, { name: 'snap20261101T000000', ageSeconds: 3600 });
    stack.sim.stuckDelete(101, 'snap20261101T000000');
    stack.sim.addSnapshot(201, { name: 'snap20261102T000000', snaptime: 0 });
    // The newest whole-fleet success is 3 h old; a newer run was limited to one service.
    await recordRun('j-fleet', now() - 3 * HOUR - 90_000, { skewMs: { pve1: 12_000, pve2: -(6 * 60_000) } });
    await recordRun('j-scoped', now() - HOUR, { scope: { service: 'svc-101', node: null } });
    const r = await op.send('GET', '/alerts');
    assert.equal(r.status, 200, r.text);
    /** @type {any[]} */
    const alerts = r.json.alerts;
    const kinds = alerts.map((a) => a.kind);
    assert.ok(kinds.includes('job-overdue'), JSON.stringify(kinds));
    const stuck = alerts.find((a) => a.kind === 'stuck-delete');
    assert.equal(stuck?.service, 'svc-101');
    assert.equal(stuck?.snapshot, 'snap20261101T000000');
    assert.equal(stuck?.customer, 'alice');
    const noTime = alerts.find((a) => a.kind === 'no-snaptime');
    assert.equal(noTime?.service, 'svc-201');
    assert.equal(noTime?.snapshot, 'snap20261102T000000');
    const skew = alerts.filter((a) => a.kind === 'clock-skew');
    assert.deepEqual(skew.map((a) => a.node), ['pve2']);
    assert.equal(r.json.intervalMinutes, 60);
    assert.equal(r.json.fleetRead, true);
  });

  test('notices to the host that were given up, or are failing and retried, are alerts; sent ones are not', async () => {
    const ledger = await openStoreLedger(store, { owner: 'test' });
    const at = new Date(now() - HOUR).toISOString();
    /** @param {string} snapshot @param {'pending'|'sent'|'given-up'} state @param {number} attempts */
    const record = (snapshot, state, attempts) => ({
      key: `snapshot.removed\nsvc-101\n101\n${snapshot}`, id: `n-${snapshot}`, type: /** @type {const} */ ('snapshot.removed'), service: 'svc-101', vmid: 101,
      snapshot, body: JSON.stringify({ customer: { id: 'alice' } }), state, attempts, nextRun: 9, createdAt: at, lastAttemptAt: attempts ? at : null,
      lastError: attempts && state !== 'sent' ? { code: 'NOTIFY_STATUS', message: 'the receiver answered HTTP 500' } : null,
    });
    await ledger.add([record('snap-a', 'given-up', 6), record('snap-b', 'pending', 2), record('snap-c', 'sent', 1), record('snap-d', 'pending', 0)]);
    await ledger.close();
    /** @type {any[]} */
    const alerts = (await op.send('GET', '/alerts')).json.alerts;
    const notices = alerts.filter((a) => a.kind.startsWith('notice-'));
    assert.deepEqual(notices.map((a) => [a.kind, a.snapshot, a.customer]).sort(),
      [['notice-failing', 'snap-b', 'alice'], ['notice-given-up', 'snap-a', 'alice']]);
    assert.match(notices.find((a) => a.kind === 'notice-given-up').message, /given up after 6 attempts.*NOTIFY_STATUS/);
  });

  test('the job is not overdue within twice its interval; a successful newer run clears it', async () => {
    await recordRun('j-recent', now() - 30 * 60_000);
    const r = await op.send('GET', '/alerts');
    assert.ok(!r.json.alerts.some((/** @type {any} */ a) => a.kind === 'job-overdue' || a.kind === 'job-never-succeeded'));
    // The skew is read from the newest finished whole-fleet run, which had none.
    assert.ok(!r.json.alerts.some((/** @type {any} */ a) => a.kind === 'clock-skew'));
  });

  test('bad input and method: parameters refused, only GET', async () => {
    assertBadInput(await op.send('GET', '/alerts?x=1'), 'x');
    const post = await op.send('POST', '/alerts', { json: {} });
    assert.equal(post.status, 405);
  });
});

describe('a real expiry run in the reports', () => {
  test('a delete still running when the job stops waiting is found as outcome still-running, and its run lists it', async () => {
    stack.sim.addSnapshot(202, { name: 'snap20261001T000000', ageSeconds: 10 * 86_400 });
    stack.sim.setTaskDuration({ delete: 5000 });
    try {
      const summary = await runExpiry({
        config: { ...stack.config, job: { ...stack.config.job, taskTimeoutMs: 200 } }, store, stateDir: join(tmp, 'state'), service: 'svc-202',
      });
      assert.equal(summary.counts.stillRunning, 1, JSON.stringify(summary.stillRunning));
      const found = await op.send('GET', '/audit?service=svc-202&outcome=still-running&actor=job');
      assert.equal(found.status, 200, found.text);
      assert.deepEqual(found.json.entries.map((/** @type {any} */ e) => [e.actorId, e.snapshot, e.code]), [[summary.runId, 'snap20261001T000000', 'TASK_RUNNING']]);
      const run = await op.send('GET', `/job-runs/${summary.runId}`);
      assert.equal(run.json.run.counts.stillRunning, 1);
      assert.deepEqual(run.json.run.scope, { service: 'svc-202', node: null });
    } finally {
      stack.sim.setTaskDuration({ delete: 300 });
    }
  });
});

describe('who may read the reports', () => {
  test('no session and a customer session get 401 on every report route; nothing is read from Proxmox', async () => {
    const alice = await stack.browser('alice');
    const before = stack.sim.requests.length;
    for (const path of ['/job-runs', '/job-runs/j-old', '/audit', '/audit/filters', '/audit.csv', '/alerts']) {
      const none = await rawRequest(stack.url, 'GET', `/admin/api${path}`);
      assert.equal(none.status, 401, path);
      const customer = await rawRequest(stack.url, 'GET', `/admin/api${path}`, { headers: { Cookie: `sid=${alice.sid}; asid=${alice.sid}` } });
      assert.equal(customer.status, 401, path);
      assert.doesNotMatch(customer.text, /carol|j-old/);
    }
    assert.equal(stack.sim.requests.length, before);
  });
});
