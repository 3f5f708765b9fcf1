// GET /metrics on the server's own --metrics-listen address: a real server
// process in demo mode, real customer actions through the API, the scrape
// checked by the real `promtool check metrics` and read back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { rawRequest, Browser } from './server-harness.mjs';
import { promtool, promtoolCheck, parseSamples } from './helpers/promtool.mjs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customerApiOutcome, parseListen } from '../server/metrics.mjs';

const MAIN = fileURLToPath(new URL('../server/main.mjs', import.meta.url));

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** @param {string[]} args */
function start(args) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PVE_')));
  const child = spawn(process.execPath, [MAIN, ...args], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const exited = once(child, 'exit').then(([code]) => code);
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** @param {ReturnType<typeof start>} p */
async function banner(p) {
  const deadline = Date.now() + 30_000; // safety net only
  while (!/demo login: bob/.test(p.out())) {
    if (p.child.exitCode !== null) assert.fail(`main.mjs exited: ${p.err()}`);
    if (Date.now() > deadline) assert.fail(`no banner: ${p.out()} ${p.err()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const panel = /** @type {RegExpExecArray} */ (/panel: (http:\/\/127\.0\.0\.1:\d+)\//.exec(p.out()))[1];
  const metrics = /metrics: (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(p.out())?.[1] ?? null;
  return { panel, metrics };
}

/** @param {string} base */
async function scrape(base) {
  const r = await rawRequest(base, 'GET', '/metrics');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const check = await promtoolCheck(r.text);
  assert.equal(check.code, 0, `promtool check metrics:\n${check.output}\n---\n${r.text}`);
  return parseSamples(r.text);
}

test('/metrics on its own listener: actions by outcome, Proxmox request durations, active sessions', async () => {
  const p = start(['--port', '0', '--metrics-listen', '127.0.0.1:0']);
  const { panel, metrics } = await banner(p);
  assert.ok(metrics, p.out());

  let m = await scrape(metrics);
  assert.equal(m.get('pve_snapshots_active_sessions'), 0);

  const mallory = new Browser(panel, []);
  assert.equal((await mallory.login('alice', 'wrong')).status, 401);
  const alice = new Browser(panel, []);
  assert.equal((await alice.login('alice', 'alice-demo')).status, 200);
  const created = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 'metrics test' } });
  assert.equal(created.status, 202, created.text);
  const refused = await alice.send('DELETE', '/api/services/svc-101/snapshots/current', { json: {} });
  assert.equal(refused.status, 400, refused.text);
  const taskPath = `/api/services/svc-101/tasks/${created.json.task.id}`;
  const deadline = Date.now() + 30_000; // safety net only
  for (;;) {
    const t = await alice.send('GET', taskPath);
    if (t.json.task.state !== 'running') { assert.equal(t.json.task.state, 'ok', t.text); break; }
    if (Date.now() > deadline) assert.fail('the snapshot task did not end');
    await new Promise((r) => setTimeout(r, 200));
  }
  // The server notes the end of the task it follows itself, right after.
  for (;;) {
    m = await scrape(metrics);
    if (m.get('pve_snapshots_actions_total{action="create",outcome="ok"}') === 1) break;
    if (Date.now() > deadline) assert.fail('no create ok counted');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(m.get('pve_snapshots_actions_total{action="sign-in",outcome="refused"}'), 1);
  assert.equal(m.get('pve_snapshots_actions_total{action="sign-in",outcome="ok"}'), 1);
  assert.equal(m.get('pve_snapshots_actions_total{action="create",outcome="accepted"}'), 1);
  assert.equal(m.get('pve_snapshots_actions_total{action="remove",outcome="refused"}'), 1);
  assert.equal(m.get('pve_snapshots_active_sessions'), 1);
  const gets = m.get('pve_snapshots_proxmox_request_duration_seconds_count{method="GET",status_class="2xx"}') ?? 0;
  const posts = m.get('pve_snapshots_proxmox_request_duration_seconds_count{method="POST",status_class="2xx"}') ?? 0;
  assert.ok(gets >= 3, `GETs timed: ${gets}`);
  assert.equal(posts, 1, 'the one create');
  assert.equal(m.get('pve_snapshots_proxmox_request_duration_seconds_bucket{method="POST",status_class="2xx",le="+Inf"}'), 1);
  assert.equal(m.get('pve_snapshots_store_up'), 1);
  assert.equal(m.get('pve_snapshots_lease_acquisitions_total{result="acquired"}'), 1, 'the create took the VM\'s lease');
  assert.equal(m.get('pve_snapshots_lease_acquisitions_total{result="busy"}'), 0);
  assert.ok((m.get('pve_snapshots_store_operation_duration_seconds_count{operation="findSession",outcome="ok"}') ?? 0) >= 3, 'sessions looked up in the store');
  assert.equal(m.get('pve_snapshots_store_operation_duration_seconds_count{operation="acquireLease",outcome="ok"}'), 1);

  // Not on the panel's port, with or without a session; nothing but GET /metrics on its own.
  assert.equal((await alice.send('GET', '/metrics')).status, 404);
  assert.equal((await rawRequest(panel, 'GET', '/metrics')).status, 404);
  assert.equal((await rawRequest(metrics, 'POST', '/metrics', { body: '' })).status, 405);
  assert.equal((await rawRequest(metrics, 'GET', '/api/services')).status, 404);
  assert.equal((await rawRequest(metrics, 'GET', '/')).status, 404);

  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('no --metrics-listen: no metrics listener; a bad or clashing address refuses to start (exit 2)', async () => {
  const p = start(['--port', '0']);
  const { metrics } = await banner(p);
  assert.equal(metrics, null);
  p.child.kill('SIGTERM');
  await p.exited;

  for (const [args, why] of [
    [['--port', '0', '--metrics-listen', '9464'], /--metrics-listen: expected HOST:PORT/],
    [['--port', '0', '--metrics-listen', 'http://127.0.0.1:9464'], /--metrics-listen: expected HOST:PORT/],
    [['--port', '18080', '--metrics-listen', '127.0.0.1:18080'], /--metrics-listen: must not be the panel's port/],
  ]) {
    const bad = start(/** @type {string[]} */ (args));
    assert.equal(await bad.exited, 2, bad.err());
    assert.match(bad.err(), /** @type {RegExp} */ (why));
  }
});

test('which API calls count as which action and outcome', () => {
  const check = (/** @type {string} */ method, /** @type {string} */ path, /** @type {number} */ status) => customerApiOutcome(method, path.split('/'), status);
  assert.deepEqual(check('POST', 'login', 200), { action: 'sign-in', outcome: 'ok' });
  assert.deepEqual(check('POST', 'login', 429), { action: 'sign-in', outcome: 'refused' });
  assert.deepEqual(check('POST', 'services/s/snapshots', 202), { action: 'create', outcome: 'accepted' });
  assert.deepEqual(check('POST', 'services/s/snapshots', 409), { action: 'create', outcome: 'refused' });
  assert.deepEqual(check('POST', 'services/s/snapshots', 502), { action: 'create', outcome: 'failed' });
  assert.deepEqual(check('DELETE', 'services/s/snapshots/n', 202), { action: 'remove', outcome: 'accepted' });
  assert.deepEqual(check('POST', 'services/s/snapshots/n/rollback', 403), { action: 'rollback', outcome: 'refused' });
  assert.equal(check('GET', 'services/s/snapshots', 200), null);
  assert.equal(check('POST', 'logout', 204), null);
  assert.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
  assert.throws(() => parseListen('127.0.0.1:70000'), /expected HOST:PORT/);
});

test('the scrape config in the README is a valid Prometheus config', async () => {
  const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const yaml = /A Prometheus scrape config for both:\s*```yaml\n([^]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, 'the README has the scrape config');
  const dir = await mkdtemp(join(tmpdir(), 'server-metrics-'));
  try {
    await writeFile(join(dir, 'prometheus.yml'), yaml);
    const check = await promtool(['check', 'config', join(dir, 'prometheus.yml')]);
    assert.equal(check.code, 0, check.output);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
