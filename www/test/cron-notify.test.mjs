// Notices before expiry and after removal: the real job against the
// simulator, POSTing to a real receiver on loopback (HTTP and HTTPS) that
// verifies the signature and the timestamp the way a host should.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { loadConfig } from '../config.mjs';
import { runExpiry, EXIT } from '../cron/engine.mjs';
import { openStore } from '../store/index.mjs';
import { BACKOFF_RUNS, MAX_ATTEMPTS } from '../cron/notify.mjs';
import { promtoolCheck, parseSamples } from './helpers/promtool.mjs';
import { DAY_S, startSim, tempDir, writeConfig, service, runJob, names, managed, SECRET } from './cron-harness.mjs';

const NOTIFY_SECRET = 'n0tify-s3cret-for-the-tests-2f9a';
const FIVE_MINUTES_S = 300;

/** @type {(() => Promise<unknown>)[]} */
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/**
 * What a host does with a notice: the timestamp must be within 5 minutes of
 * its own clock, the signature must be HMAC-SHA256 of "<timestamp>.<body>".
 * @param {http.IncomingHttpHeaders} headers @param {string} raw @param {number} nowS
 * @returns {'ok'|'stale'|'bad-signature'|'missing'}
 */
function verify(headers, raw, nowS) {
  const ts = headers['x-pve-snapshots-timestamp'];
  const sig = headers['x-pve-snapshots-signature'];
  if (typeof ts !== 'string' || !/^\d+$/.test(ts) || typeof sig !== 'string') return 'missing';
  if (Math.abs(nowS - Number(ts)) > FIVE_MINUTES_S) return 'stale';
  const expected = Buffer.from(`sha256=${createHmac('sha256', NOTIFY_SECRET).update(`${ts}.${raw}`).digest('hex')}`);
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'bad-signature';
}

/**
 * @typedef {{headers: http.IncomingHttpHeaders, raw: string, body: any, verdict: string, answer: string}} Delivery
 * @param {{tls?: {key: Buffer, cert: Buffer}}} [options]
 */
async function startReceiver({ tls } = {}) {
  /** @type {Delivery[]} */
  const deliveries = [];
  /** @type {{answer: 'ok'|'500'|'hang'|'redirect', location: string}} */
  const state = { answer: 'ok', location: '' };
  /** @type {http.RequestListener} */
  const handler = (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const verdict = req.method === 'POST' && req.headers['content-type'] === 'application/json'
        ? verify(req.headers, raw, Math.floor(Date.now() / 1000)) : 'not-a-json-post';
      let body = null;
      try { body = JSON.parse(raw); } catch { /* recorded as null */ }
      deliveries.push({ headers: req.headers, raw, body, verdict, answer: state.answer });
      if (verdict !== 'ok') return void res.writeHead(401).end();
      if (state.answer === 'ok') return void res.writeHead(204).end();
      if (state.answer === '500') return void res.writeHead(500).end('down for maintenance');
      if (state.answer === 'redirect') return void res.writeHead(302, { location: state.location }).end();
      // 'hang': never answer
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/hooks/pve-snapshots`;
  cleanups.push(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); });
  return { url, deliveries, state, server };
}

/** A self-signed certificate for 127.0.0.1, made with openssl now. @param {string} dir */
function makeCert(dir) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2',
    '-subj', '/CN=notice receiver', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), caFile: join(dir, 'cert.pem') };
}

/** @param {number} vmid @param {object[]} snapshots */
const guest = (vmid, snapshots) => ({ vmid, type: 'qemu', node: 'pve1', name: `vm${vmid}`, status: 'running', storage: 'lvmthin', snapshots });
/** @param {string} name @param {number} ageSeconds @param {string} [description] */
const snap = (name, ageSeconds, description = '') => ({ name, description, ageSeconds, vmstate: 0 });

/**
 * A simulator, a config with a notify section, and ways to run the job.
 * @param {object[]} guests @param {object} notify
 */
async function setup(guests, notify) {
  const sim = await startSim({ nodes: ['pve1'], guests });
  const tmp = await tempDir('cron-notify-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const services = guests.map((g) => service(/** @type {{vmid: number}} */ (g).vmid));
  const path = await writeConfig(tmp.dir, { url: sim.url, services });
  const config = JSON.parse(await readFile(path, 'utf8'));
  await writeFile(path, JSON.stringify({ ...config, notify }));
  const env = { PVE_TOKEN_SECRET: SECRET, NOTIFY_SECRET };
  return {
    sim, dir: tmp.dir, path,
    run: (/** @type {string[]} */ ...args) => runJob(['--config', path, '--json', ...args], { env: { NOTIFY_SECRET } }),
    load: () => loadConfig(path, { env, notifySecret: true }),
  };
}

test('over HTTPS: one signed notice per snapshot and type — expiring within beforeHours, then removed', async () => {
  const tmp = await tempDir('cron-notify-cert-');
  cleanups.push(tmp.cleanup);
  const { key, cert, caFile } = makeCert(tmp.dir);
  const rx = await startReceiver({ tls: { key, cert } });
  const { sim, run } = await setup([guest(601, [
    snap(managed(1), 4 * DAY_S, 'before the PHP upgrade'), // expired: removed now
    snap(managed(2), 2.5 * DAY_S, 'nightly'), //             ends in 12 h: expiring
    snap(managed(3), 3600), //                                ends in 71 h: nothing yet
    snap('admin-snap', 2.9 * DAY_S), //                       foreign: never
  ])], { url: rx.url, caFile });

  let r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 601), ['admin-snap', managed(2), managed(3)].sort());
  assert.deepEqual(rx.deliveries.map((d) => d.verdict), ['ok', 'ok']);
  const byType = Object.fromEntries(rx.deliveries.map((d) => [d.body.type, d.body]));
  const removed = byType['snapshot.removed'];
  assert.deepEqual(Object.keys(removed).sort(), ['customer', 'id', 'occurredAt', 'service', 'snapshot', 'type', 'vmid']);
  assert.deepEqual({ ...removed, id: 'x', occurredAt: 'x', snapshot: { ...removed.snapshot, expiresAt: 'x' } }, {
    id: 'x', type: 'snapshot.removed', occurredAt: 'x', service: { id: 'svc-601' }, customer: { id: 'c601' }, vmid: 601,
    snapshot: { name: managed(1), description: 'before the PHP upgrade', expiresAt: 'x' },
  });
  assert.match(removed.id, /^[0-9a-f-]{36}$/);
  assert.ok(Date.parse(removed.snapshot.expiresAt) < Date.parse(removed.occurredAt), 'it had expired');
  const expiring = byType['snapshot.expiring'];
  assert.equal(expiring.snapshot.name, managed(2));
  assert.equal(expiring.snapshot.description, 'nightly');
  const left = Date.parse(expiring.snapshot.expiresAt) - Date.parse(expiring.occurredAt);
  assert.ok(left > 11 * 3600_000 && left <= 12 * 3600_000 + 60_000, `ends in about 12 h, not ${left} ms`);
  assert.notEqual(expiring.id, removed.id);
  assert.deepEqual(r.json.notices, { sent: 2, failed: 0, givenUp: 0, deferred: 0, pending: 0, failures: [], error: null });

  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(rx.deliveries.length, 2, 'each notice once: nothing new on the next run');

  sim.clock.advance(13 * 3600_000); // managed(2) has now expired and goes
  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 601), ['admin-snap', managed(3)]);
  assert.deepEqual(rx.deliveries.slice(2).map((d) => [d.verdict, d.body.type, d.body.snapshot.name]), [['ok', 'snapshot.removed', managed(2)]]);
  assert.equal(rx.deliveries[2].body.snapshot.expiresAt, expiring.snapshot.expiresAt);
});

test('a failed notice is retried on the next run with the same id and body, freshly signed; once delivered, never again', async () => {
  const rx = await startReceiver();
  const { run, dir } = await setup([guest(602, [snap(managed(1), 2.5 * DAY_S)])], { url: rx.url });
  rx.state.answer = '500';
  const metricsFile = join(dir, 'job.prom');
  let r = await run('--metrics-file', metricsFile);
  assert.equal(r.code, 0, 'a notice failure is not a job failure');
  const text = await readFile(metricsFile, 'utf8');
  const check = await promtoolCheck(text);
  assert.equal(check.code, 0, `${check.output}\n${text}`);
  const samples = parseSamples(text);
  assert.deepEqual(['sent', 'failed', 'given-up', 'deferred'].map((result) => samples.get(`pve_snapshots_job_notices{result="${result}"}`)), [0, 1, 0, 0]);
  assert.equal(samples.get('pve_snapshots_job_notices_pending'), 1);
  assert.equal(samples.get('pve_snapshots_job_notices_ledger_ok'), 1);
  assert.equal(samples.get('pve_snapshots_job_success'), 1, 'notices do not decide success');
  assert.equal(r.json.notices.failed, 1);
  assert.deepEqual(r.json.notices.failures.map((/** @type {any} */ f) => [f.code, f.attempts]), [['NOTIFY_STATUS', 1]]);
  assert.match(r.json.notices.failures[0].message, /HTTP 500/);
  assert.match(r.stderr, /not delivered: the receiver answered HTTP 500 \[NOTIFY_STATUS\]; attempt 1 of 6, next in 1 run/);

  rx.state.answer = 'ok';
  r = await run();
  assert.equal(r.json.notices.sent, 1);
  assert.equal(r.json.notices.pending, 0);
  await run();
  assert.equal(rx.deliveries.length, 2, 'delivered once, after one failed attempt');
  const [first, second] = rx.deliveries;
  assert.equal(second.raw, first.raw, 'the same body, byte for byte, so the same id');
  assert.deepEqual([first.verdict, second.verdict], ['ok', 'ok']);
  assert.ok(Number(second.headers['x-pve-snapshots-timestamp']) >= Number(first.headers['x-pve-snapshots-timestamp']), 'signed at send time');
});

test('the signature binds the timestamp; a receiver refuses a stale or altered one', async () => {
  const rx = await startReceiver();
  const { run } = await setup([guest(603, [snap(managed(1), 2.5 * DAY_S)])], { url: rx.url });
  await run();
  assert.equal(rx.deliveries.length, 1);
  const { headers, raw } = rx.deliveries[0];
  const ts = Number(headers['x-pve-snapshots-timestamp']);
  assert.ok(Math.abs(ts - Date.now() / 1000) < 60, 'Unix seconds of the job host');
  const resend = (/** @type {Record<string, string>} */ h) => fetch(rx.url, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: raw });
  const sign = (/** @type {number} */ t) => `sha256=${createHmac('sha256', NOTIFY_SECRET).update(`${t}.${raw}`).digest('hex')}`;
  // The same signature under another timestamp, a correctly signed stale one, a wrong key.
  assert.equal((await resend({ 'x-pve-snapshots-timestamp': String(ts + 1), 'x-pve-snapshots-signature': String(headers['x-pve-snapshots-signature']) })).status, 401);
  assert.equal((await resend({ 'x-pve-snapshots-timestamp': String(ts - 301), 'x-pve-snapshots-signature': sign(ts - 301) })).status, 401);
  assert.equal((await resend({ 'x-pve-snapshots-timestamp': String(ts), 'x-pve-snapshots-signature': `sha256=${createHmac('sha256', 'another-secret-0123456').update(`${ts}.${raw}`).digest('hex')}` })).status, 401);
  assert.deepEqual(rx.deliveries.slice(1).map((d) => d.verdict), ['bad-signature', 'stale', 'bad-signature']);
  // And the genuine one, re-sent now, still passes: the check is not just "refuse all".
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await resend({ 'x-pve-snapshots-timestamp': String(now), 'x-pve-snapshots-signature': sign(now) })).status, 204);
});

test(`backoff counted in runs (${BACKOFF_RUNS.join(', ')}), given up after ${MAX_ATTEMPTS} attempts`, async () => {
  const rx = await startReceiver();
  rx.state.answer = '500';
  const { load, dir } = await setup([guest(604, [snap(managed(1), 2.5 * DAY_S)])], { url: rx.url });
  const config = await load();
  const store = await openStore({ dataDir: join(dir, 'data') });
  cleanups.push(() => store.close());
  /** @type {number[]} */
  const attemptedIn = [];
  /** @type {any[]} */
  const reports = [];
  for (let runNo = 1; runNo <= 20; runNo++) {
    const before = rx.deliveries.length;
    const summary = await runExpiry({ config, store });
    assert.equal(summary.exitCode, EXIT.OK);
    reports.push(summary.notices);
    if (rx.deliveries.length > before) attemptedIn.push(runNo);
  }
  assert.deepEqual(attemptedIn, [1, 2, 3, 5, 9, 17]);
  assert.equal(reports[16].givenUp, 1);
  assert.equal(reports[16].failures[0].nextRun, null);
  assert.equal(reports[19].pending, 0);
  assert.equal(new Set(rx.deliveries.map((d) => d.body.id)).size, 1, 'one notice, one id');
  // Recorded in the store and shown to operators.
  const problems = await store.noticeProblems();
  assert.deepEqual(problems.map((p) => [p.state, p.attempts, p.lastError?.code, p.service, p.customer]), [['given-up', 6, 'NOTIFY_STATUS', 'svc-604', 'c604']]);
});

test('a hanging receiver costs at most the budget; deletes are done first, the rest waits for the next run', async () => {
  const rx = await startReceiver();
  rx.state.answer = 'hang';
  const guests = [guest(610, [snap(managed(1), 4 * DAY_S)])];
  for (let v = 611; v <= 615; v++) guests.push(guest(v, [snap(managed(1), 2.5 * DAY_S)]));
  const { sim, run, path } = await setup(guests, { url: rx.url, timeoutMs: 300, budgetMs: 1000 });
  const r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 610), [], 'the expired snapshot was deleted');
  const n = r.json.notices;
  assert.ok(n.failed >= 1 && n.deferred >= 1, JSON.stringify(n));
  assert.equal(n.failed + n.deferred, 6);
  assert.ok(n.failures.every((/** @type {any} */ f) => f.code === 'NOTIFY_TIMEOUT'), JSON.stringify(n.failures));
  assert.equal(n.pending, 6);
  assert.ok(rx.deliveries.length <= 4, 'the budget stopped the attempts');

  // Timed-out ones are due on the next run, deferred ones too (no attempt was
  // counted). The full budget now, so a busy machine cannot defer any again.
  const file = JSON.parse(await readFile(path, 'utf8'));
  await writeFile(path, JSON.stringify({ ...file, notify: { ...file.notify, budgetMs: 30_000 } }));
  rx.state.answer = 'ok';
  const again = await run();
  assert.equal(again.json.notices.sent, 6, JSON.stringify(again.json.notices));
  assert.equal(again.json.notices.pending, 0);
});

test('a redirect is not followed: the notice failed and is retried', async () => {
  const rx = await startReceiver();
  const elsewhere = await startReceiver();
  rx.state.answer = 'redirect';
  rx.state.location = elsewhere.url;
  const { run } = await setup([guest(620, [snap(managed(1), 2.5 * DAY_S)])], { url: rx.url });
  const r = await run();
  assert.equal(r.code, 0);
  assert.equal(r.json.notices.failed, 1);
  assert.match(r.json.notices.failures[0].message, /HTTP 302 \(redirects are not followed\)/);
  assert.equal(elsewhere.deliveries.length, 0);
});

test('a dry run sends no notice and records none', async () => {
  const rx = await startReceiver();
  const { run, dir } = await setup([guest(630, [snap(managed(1), 2.5 * DAY_S)])], { url: rx.url });
  const r = await run('--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.notices, null);
  assert.equal(rx.deliveries.length, 0);
  await assert.rejects(readFile(join(dir, 'state', 'notices.json')), { code: 'ENOENT' });
});

test('notify settings: bad URLs, a secret in the file, short or missing secrets are config errors', async () => {
  const tmp = await tempDir('cron-notify-config-');
  cleanups.push(tmp.cleanup);
  await writeFile(join(tmp.dir, 'short'), 'too-short\n');
  await writeFile(join(tmp.dir, 'good'), `${NOTIFY_SECRET}\n`);
  /** @param {object} notify @param {Record<string, string>} [env] */
  const load = async (notify, env = {}) => {
    const path = await writeConfig(tmp.dir, { url: 'http://127.0.0.1:1', services: [] });
    const config = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...config, notify }));
    return loadConfig(path, { env: { PVE_TOKEN_SECRET: SECRET, ...env }, notifySecret: true });
  };
  /** @param {object} notify @param {RegExp} problem @param {Record<string, string>} [env] */
  const refused = async (notify, problem, env) => {
    await assert.rejects(load(notify, env), (/** @type {any} */ err) => {
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.ok(err.details.problems.some((/** @type {{path: string, message: string}} */ p) => problem.test(`${p.path}: ${p.message}`)), JSON.stringify(err.details.problems));
      return true;
    });
  };
  await refused({ url: 'ftp://billing.example.net/x' }, /^notify\.url: must start with https:\/\//, { NOTIFY_SECRET });
  await refused({ url: 'http://billing.example.net/x' }, /^notify\.url: plain http:\/\/ is only for a receiver on this machine/, { NOTIFY_SECRET });
  await refused({ url: 'https://user:pw@billing.example.net/x' }, /^notify\.url: must not contain credentials/, { NOTIFY_SECRET });
  await refused({ url: 'not a url' }, /^notify\.url: not a URL/, { NOTIFY_SECRET });
  await refused({ url: 'https://billing.example.net/x', secret: NOTIFY_SECRET }, /^notify\.secret: the notify secret must not be in the config/, { NOTIFY_SECRET });
  await refused({ url: 'https://billing.example.net/x' }, /^notify\.secretFile: no notify secret: set env NOTIFY_SECRET/);
  await refused({ url: 'https://billing.example.net/x', secretFile: join(tmp.dir, 'short') }, /^notify\.secretFile: .* is too short: .* at least 16 characters/);
  await refused({ url: 'https://billing.example.net/x' }, /^notify\.secretFile: env NOTIFY_SECRET is too short/, { NOTIFY_SECRET: 'short' });
  await refused({ url: 'https://billing.example.net/x', beforeHours: 241 }, /^notify\.beforeHours: must be an integer from 1 to 240/, { NOTIFY_SECRET });
  await refused({ url: 'https://billing.example.net/x', timeoutMs: 60_000 }, /^notify\.timeoutMs: must be an integer from 100 to 10000/, { NOTIFY_SECRET });
  await refused({ url: 'https://billing.example.net/x', budgetMs: 31_000 }, /^notify\.budgetMs: must be an integer from 100 to 30000/, { NOTIFY_SECRET });
  await refused({ url: 'https://billing.example.net/x', when: 'always' }, /^notify\.when: unknown setting/, { NOTIFY_SECRET });

  const config = await load({ url: 'https://billing.example.net/x', secretFile: join(tmp.dir, 'good') });
  assert.deepEqual({ ...config.notify }, { url: 'https://billing.example.net/x', caFile: null, beforeHours: 24, timeoutMs: 10_000, budgetMs: 30_000, secret: NOTIFY_SECRET });
  assert.doesNotMatch(JSON.stringify(config), new RegExp(NOTIFY_SECRET), 'the secret stays out of JSON dumps');
  // The server loads the same file without the secret.
  const path = join(tmp.dir, 'config.json');
  const forServer = await loadConfig(path, { env: { PVE_TOKEN_SECRET: SECRET } });
  assert.equal(forServer.notify?.secret, '');
});

test('a damaged ledger stops the notices (NOTIFY_LEDGER), not the deletes', async () => {
  const rx = await startReceiver();
  const { sim, run, dir } = await setup([guest(640, [snap(managed(1), 4 * DAY_S), snap(managed(2), 2.5 * DAY_S)])], { url: rx.url });
  await mkdir(join(dir, 'state'));
  await writeFile(join(dir, 'state', 'notices.json'), '{"run": 3, "notices": [');
  const r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 640), [managed(2)]);
  assert.equal(r.json.notices.error.code, 'NOTIFY_LEDGER');
  assert.match(r.stderr, /the notice ledger .*notices\.json cannot be used: .*no notice was sent \[NOTIFY_LEDGER\]/);
  assert.equal(rx.deliveries.length, 0, 'rather than risk sending every notice again');
});
