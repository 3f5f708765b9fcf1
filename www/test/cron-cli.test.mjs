// The expiry command's contract with cron and monitoring: exit codes, no
// Proxmox call on a config error, overlap protection between real processes,
// stale-lock takeover, --help, --json and last-run.json.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { DAY_S, startSim, tempDir, writeConfig, service, runJob, names, managed, SECRET } from './cron-harness.mjs';

/** @type {(() => Promise<unknown>)[]} */
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** @param {number[]} vmids */
const seed = (vmids) => ({
  nodes: ['pve1', 'pve2'],
  guests: vmids.map((vmid, i) => ({
    vmid, type: 'qemu', node: i % 2 ? 'pve2' : 'pve1', name: `vm${vmid}`, status: 'running', storage: 'lvmthin',
    snapshots: [{ name: managed(1), ageSeconds: 4 * DAY_S }, { name: managed(2), ageSeconds: 60 }, { name: 'foreign', ageSeconds: 40 * DAY_S }],
  })),
});

/** @param {number[]} [vmids] @param {{job?: object, pve?: object}} [options] */
async function setup(vmids = [101, 102], { job, pve } = {}) {
  const sim = await startSim(seed(vmids));
  const tmp = await tempDir('cron-cli-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const config = await writeConfig(tmp.dir, { url: sim.url, services: vmids.map((v) => service(v)), job, pve });
  return { sim, dir: tmp.dir, config, stateDir: join(tmp.dir, 'state') };
}

test('bad config: exit 2, a message naming the problem, and not one request to Proxmox', async () => {
  const { sim, dir } = await setup();
  const cases = [
    [{ pve: { url: sim.url, tokenId: 'root@pam!panel' }, products: { s: { maxSnapshots: 3, lifetimeDays: 11 } }, services: [service(101)] }, /products\.s\.lifetimeDays: must be from 1 to 10, got 11/],
    [{ pve: { url: sim.url, tokenId: 'root@pam!panel' }, products: { s: { maxSnapshots: 3, lifetimeDays: 3 } }, services: [service(101, 'qemu', 'nope')] }, /services\[0\]\.product: unknown product "nope"/],
    [{ pve: { url: sim.url, tokenId: 'root@pam' }, products: {}, services: [] }, /pve\.tokenId: must look like user@realm!tokenid/],
    ['{ not json', /not valid JSON/],
  ];
  for (const [content, re] of /** @type {[object | string, RegExp][]} */ (cases)) {
    const path = join(dir, 'bad.json');
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    const r = await runJob(['--config', path]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /config error/);
  }
  // No secret at all (env empty, no tokenSecretFile); --json still gives a summary.
  const path = join(dir, 'nosecret.json');
  await writeFile(path, JSON.stringify({ pve: { url: sim.url, tokenId: 'root@pam!panel' }, products: {}, services: [] }));
  const r = await runJob(['--config', path, '--json'], { env: { PVE_TOKEN_SECRET: '' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pve\.tokenSecretFile: no token secret/);
  assert.equal(r.json.exitCode, 2);
  assert.equal(r.json.error.code, 'CONFIG_INVALID');
  assert.deepEqual(r.json.error.details.problems.map((/** @type {{path: string}} */ p) => p.path), ['pve.tokenSecretFile']);
  assert.equal(sim.requests.length, 0, 'the simulator saw no request at all');
});

test('command-line mistakes: exit 2 before any request; --help documents the exit codes', async () => {
  const { sim, config } = await setup();
  for (const args of [[], ['--config', config, '--bogus'], ['--config', config, '--concurrency', '0'], ['--config', config, '--now', 'yesterday'],
    ['--config', config, '--node', 'bad_node!'], ['--config', config, '--service', 'svc-404'], ['--config', config, 'extra']]) {
    const r = await runJob(args);
    assert.equal(r.code, 2, `${args}: ${r.stderr}`);
    assert.notEqual(r.stderr.trim(), '', `${args}: says why`);
  }
  const usage = await runJob(['--config', config, '--json', '--per-node', 'many']);
  assert.equal(usage.code, 2);
  assert.equal(usage.json.error.code, 'USAGE');
  assert.match(usage.json.error.message, /--per-node/);
  assert.equal(sim.requests.length, 0);
  const help = await runJob(['--help']);
  assert.equal(help.code, 0);
  for (const word of ['--dry-run', '--service', '--node', '--concurrency', '--per-node', '--json', '--state-dir', '--now', 'Exit codes', '3 another run is active', '4 Proxmox could not be reached']) {
    assert.ok(help.stdout.includes(word), `--help mentions ${word}`);
  }
});

test('Proxmox unreachable: exit 4, nothing done, and last-run.json tells monitoring', async () => {
  const tmp = await tempDir('cron-cli-');
  cleanups.push(tmp.cleanup);
  // A port that was free a moment ago and now has nobody listening.
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', () => r(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (probe.address()).port;
  await new Promise((r) => probe.close(r));
  const config = await writeConfig(tmp.dir, { url: `http://127.0.0.1:${port}`, services: [service(101)], pve: { timeoutMs: 1000 } });
  const r = await runJob(['--config', config, '--json']);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.json.error.message, /cannot list the cluster's VMs, nothing was done/);
  const status = JSON.parse(await readFile(join(tmp.dir, 'state', 'last-run.json'), 'utf8'));
  assert.equal(status.exitCode, 4);
  assert.equal(status.ok, false);
  assert.ok(!JSON.stringify(status).includes(SECRET));
  assert.ok(!(r.stdout + r.stderr).includes(SECRET), 'the token secret never appears in output');
});

test('wrong token: exit 4 with Proxmox\'s 401, and the secret is not printed', async () => {
  const { sim, config } = await setup();
  const r = await runJob(['--config', config, '--json'], { env: { PVE_TOKEN_SECRET: 'wrong-secret-value' } });
  assert.equal(r.code, 4);
  assert.equal(r.json.error.code, 'PVE_AUTH');
  assert.ok(!(r.stdout + r.stderr).includes('wrong-secret-value'));
  assert.deepEqual(names(sim, 101), ['foreign', managed(1), managed(2)]);
});

test('--json summary and last-run.json have the documented shape', async () => {
  const { sim, config, stateDir } = await setup([101, 102, 103]);
  const r = await runJob(['--config', config, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = r.json;
  for (const key of ['exitCode', 'ok', 'success', 'lastSuccessAt', 'dryRun', 'startedAt', 'finishedAt', 'durationMs', 'scope', 'host', 'pid', 'clock', 'counts', 'stuck', 'failures', 'stillRunning', 'vms', 'error', 'lock']) {
    assert.ok(key in s, `summary has ${key}`);
  }
  assert.deepEqual(s.counts, { services: 3, vms: 3, deleted: 3, wouldDelete: 0, skipped: 0, stuck: 0, failed: 0, stillRunning: 0, missing: 0 });
  assert.deepEqual(s.vms.map((/** @type {{vmid: number}} */ v) => v.vmid).sort(), [101, 102, 103]);
  for (const v of [101, 102, 103]) assert.deepEqual(names(sim, v), ['foreign', managed(2)]);
  assert.deepEqual(JSON.parse(await readFile(join(stateDir, 'last-run.json'), 'utf8')), s, 'last-run.json is the same summary');
  assert.match(r.stderr, /deleted svc-101 vm 101 on pve1/, 'with --json the readable lines go to stderr');
});

test('two runs started at once: one works, the other exits 3 at once', async () => {
  const { sim, config } = await setup([101, 102]);
  // Hold whichever run wins: its first request gets no answer until we let go.
  sim.faults.set({ hang: { paths: ['/cluster/resources'] } });
  const a = runJob(['--config', config]);
  const b = runJob(['--config', config]);
  const first = await Promise.race([a, b]);
  assert.equal(first.code, 3, first.stdout + first.stderr);
  assert.match(first.stdout + first.stderr, /another expiry run is active: pid \d+ on /);
  sim.faults.clear();
  const [ra, rb] = await Promise.all([a, b]);
  const other = ra === first ? rb : ra;
  assert.equal(other.code, 0, other.stdout + other.stderr);
  for (const v of [101, 102]) assert.deepEqual(names(sim, v), ['foreign', managed(2)]);
});

test('SIGTERM mid-run: the job stops, says so, releases its lock and records the run', async () => {
  const { sim, config, stateDir } = await setup([101]);
  sim.faults.set({ hang: { paths: ['/cluster/resources'] } });
  let child = /** @type {import('node:child_process').ChildProcess | undefined} */ (undefined);
  const running = runJob(['--config', config, '--json'], { onSpawn: (c) => { child = c; } });
  // Signal once the job is provably mid-run: its first request has arrived.
  while (!sim.requests.some((q) => q.path.endsWith('/cluster/resources')) && child?.exitCode == null) await new Promise((r) => setTimeout(r, 20));
  child?.kill('SIGTERM');
  const r = await running;
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.error.code, 'ABORTED');
  assert.match(r.stderr, /received SIGTERM/);
  await assert.rejects(readFile(join(stateDir, 'expire.lock')), { code: 'ENOENT' });
  assert.equal(JSON.parse(await readFile(join(stateDir, 'last-run.json'), 'utf8')).error.code, 'ABORTED');
  assert.deepEqual(names(sim, 101), ['foreign', managed(1), managed(2)]);
  sim.faults.clear();
});

test('a run finds a live lock: exit 3 and not one request', async () => {
  const { sim, config, stateDir } = await setup([101]);
  await mkdir(stateDir, { recursive: true });
  await writeFile(join(stateDir, 'expire.lock'), JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), staleAt: Date.now() + 3_600_000, token: 't1' }));
  const r = await runJob(['--config', config, '--json']);
  assert.equal(r.code, 3);
  assert.equal(r.json.error.code, 'ALREADY_RUNNING');
  assert.equal(r.json.error.details.holder.pid, process.pid);
  assert.equal(sim.requests.length, 0);
  assert.deepEqual(names(sim, 101), ['foreign', managed(1), managed(2)]);
});

test('a lock left by a crashed run is taken over', async () => {
  const { sim, config, stateDir } = await setup([101]);
  const crashed = spawn(process.execPath, ['-e', '']);
  await once(crashed, 'exit');
  await mkdir(stateDir, { recursive: true });
  await writeFile(join(stateDir, 'expire.lock'), JSON.stringify({ pid: crashed.pid, hostname: hostname(), startedAt: new Date(Date.now() - 600_000).toISOString(), staleAt: Date.now() + 3_600_000, token: 't2' }));
  let r = await runJob(['--config', config, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.lock.tookOver.pid, crashed.pid);
  assert.match(r.stderr, new RegExp(`took over a stale lock from pid ${crashed.pid}.*is gone`));
  assert.deepEqual(names(sim, 101), ['foreign', managed(2)]);
  await assert.rejects(readFile(join(stateDir, 'expire.lock')), { code: 'ENOENT' }, 'released at the end');

  // And one from another machine that is past its stale time.
  sim.addSnapshot(101, { name: managed(3), ageSeconds: 5 * DAY_S });
  await writeFile(join(stateDir, 'expire.lock'), JSON.stringify({ pid: 4242, hostname: 'cron-old-host', startedAt: new Date(Date.now() - 9_000_000).toISOString(), staleAt: Date.now() - 1000, token: 't3' }));
  r = await runJob(['--config', config, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.lock.tookOver.hostname, 'cron-old-host');
  assert.deepEqual(names(sim, 101), ['foreign', managed(2)]);
});

test('the npm bin is an executable node script', async () => {
  const { EXPIRE } = await import('./cron-harness.mjs');
  const text = await readFile(EXPIRE, 'utf8');
  assert.ok(text.startsWith('#!/usr/bin/env node\n'));
  const { stat } = await import('node:fs/promises');
  assert.ok(((await stat(EXPIRE)).mode & 0o111) !== 0, 'chmod +x');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.bin['pve-snapshots-expire'], 'www/cron/expire.mjs');
  const child = spawn(EXPIRE, ['--help'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c) => { out += c; });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.match(out, /Usage: pve-snapshots-expire/);
});
