// The job's --metrics-file: the real command against the simulator, its
// textfile checked by the real `promtool check metrics` and compared with
// the --json summary of the same run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.mjs';
import { runExpiry, EXIT } from '../cron/engine.mjs';
import { renderMetrics } from '../prometheus-text.mjs';
import { DAY_S, startSim, tempDir, writeConfig, service, runJob, names, managed, SECRET } from './cron-harness.mjs';
import { promtool, promtoolCheck, parseSamples } from './helpers/promtool.mjs';

/** @type {(() => Promise<unknown>)[]} */
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** @param {number} vmid @param {object[]} snapshots @param {object} [extra] */
const guest = (vmid, snapshots, extra = {}) => ({ vmid, type: 'qemu', node: 'pve1', name: `vm${vmid}`, status: 'running', storage: 'lvmthin', snapshots, ...extra });
/** @param {string} name @param {number} ageSeconds */
const snap = (name, ageSeconds) => ({ name, description: '', ageSeconds, vmstate: 0 });

/**
 * One VM per result: 301 has an expired snapshot (deleted), 302 is locked
 * (skipped), 303 holds a snapshot stuck in snapstate delete, 304 is
 * configured as lxc but is qemu (failed), 399 does not exist (missing).
 */
async function setup() {
  const sim = await startSim({
    nodes: ['pve1'],
    guests: [
      guest(301, [snap(managed(1), 4 * DAY_S), snap(managed(2), 3600)]),
      guest(302, [snap(managed(1), 4 * DAY_S)], { lock: 'backup' }),
      guest(303, [snap(managed(1), 4 * DAY_S)]),
      guest(304, [snap(managed(1), 4 * DAY_S)]),
    ],
  });
  sim.stuckDelete(303, managed(1));
  const tmp = await tempDir('cron-metrics-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const metricsDir = join(tmp.dir, 'textfile');
  await mkdir(metricsDir);
  const services = [service(301), service(302), service(303), service(304, 'lxc'), service(399)];
  const config = await writeConfig(tmp.dir, { url: sim.url, services });
  const metricsFile = join(metricsDir, 'pve_snapshots.prom');
  const run = (/** @type {string[]} */ ...args) => runJob(['--config', config, '--json', ...args]);
  return { sim, config, dir: tmp.dir, metricsDir, metricsFile, run };
}

/** @param {string} file */
async function checkedMetrics(file) {
  const text = await readFile(file, 'utf8');
  const check = await promtoolCheck(text);
  assert.equal(check.code, 0, `promtool check metrics:\n${check.output}\n---\n${text}`);
  return { text, samples: parseSamples(text) };
}

/** @param {string} iso */
const secondsOf = (iso) => Date.parse(iso) / 1000;

test('a run writes a textfile that promtool accepts, with the same counts as --json', async () => {
  const { sim, metricsDir, metricsFile, run } = await setup();
  const r = await run('--metrics-file', metricsFile);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(names(sim, 301), [managed(2)]);
  assert.deepEqual(names(sim, 303), [managed(1)], 'a stuck snapshot is never forced');
  const c = r.json.counts;
  assert.deepEqual([c.deleted, c.skipped, c.stuck, c.failed, c.stillRunning, c.missing], [1, 1, 1, 1, 0, 1]);
  assert.equal(r.json.stuck[0].vmid, 303);
  assert.equal(r.json.vms.find((/** @type {{vmid: number}} */ v) => v.vmid === 303).skipped.length, 0, 'stuck is counted apart from skipped');
  assert.equal(r.json.success, false);
  assert.equal(r.json.lastSuccessAt, null);
  assert.match(r.stderr, new RegExp(`STUCK svc-303 vm 303 on pve1 ${managed(1)}: .*\\[SNAPSHOT_BUSY\\]`));

  const { text, samples } = await checkedMetrics(metricsFile);
  assert.equal(samples.get('pve_snapshots_job_snapshots{result="deleted"}'), 1);
  assert.equal(samples.get('pve_snapshots_job_snapshots{result="skipped"}'), 1);
  assert.equal(samples.get('pve_snapshots_job_snapshots{result="stuck"}'), 1);
  assert.equal(samples.get('pve_snapshots_job_snapshots{result="failed"}'), 1);
  assert.equal(samples.get('pve_snapshots_job_snapshots{result="still-running"}'), 0);
  assert.equal(samples.get('pve_snapshots_job_vms_missing'), 1);
  assert.equal(samples.get('pve_snapshots_job_vms'), 4);
  assert.equal(samples.get('pve_snapshots_job_success'), 0);
  assert.equal(samples.get('pve_snapshots_job_exit_code'), 1);
  assert.equal(samples.get('pve_snapshots_job_last_run_start_timestamp_seconds'), secondsOf(r.json.startedAt));
  assert.equal(samples.get('pve_snapshots_job_last_run_end_timestamp_seconds'), secondsOf(r.json.finishedAt));
  assert.equal(samples.get('pve_snapshots_job_duration_seconds'), r.json.durationMs / 1000);
  assert.equal(samples.has('pve_snapshots_job_last_success_timestamp_seconds'), false, 'no successful run yet');
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) assert.match(line, /^pve_snapshots_job_/);

  const mode = (await stat(metricsFile)).mode & 0o777;
  assert.equal(mode, 0o644, 'node_exporter runs as another user');
  assert.deepEqual(await readdir(metricsDir), ['pve_snapshots.prom'], 'no temporary file left behind');
});

test('the last successful run is kept across failed runs', async () => {
  const { metricsFile, run } = await setup();
  const ok = await run('--metrics-file', metricsFile, '--service', 'svc-301');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.json.success, true);
  assert.equal(ok.json.lastSuccessAt, ok.json.finishedAt);
  let m = await checkedMetrics(metricsFile);
  assert.equal(m.samples.get('pve_snapshots_job_success'), 1);
  assert.equal(m.samples.get('pve_snapshots_job_last_success_timestamp_seconds'), secondsOf(ok.json.finishedAt));

  const failed = await run('--metrics-file', metricsFile);
  assert.equal(failed.code, 1);
  assert.equal(failed.json.success, false);
  assert.equal(failed.json.lastSuccessAt, ok.json.finishedAt, 'read back from last-run.json');
  m = await checkedMetrics(metricsFile);
  assert.equal(m.samples.get('pve_snapshots_job_success'), 0);
  assert.equal(m.samples.get('pve_snapshots_job_last_success_timestamp_seconds'), secondsOf(ok.json.finishedAt));
  assert.equal(m.samples.get('pve_snapshots_job_last_run_end_timestamp_seconds'), secondsOf(failed.json.finishedAt));

  // A stuck delete is not a failure: a run over that VM alone succeeds.
  const ok2 = await run('--metrics-file', metricsFile, '--service', 'svc-303');
  assert.equal(ok2.code, 0, ok2.stderr);
  assert.equal(ok2.json.counts.stuck, 1);
  m = await checkedMetrics(metricsFile);
  assert.equal(m.samples.get('pve_snapshots_job_success'), 1);
  assert.equal(m.samples.get('pve_snapshots_job_snapshots{result="stuck"}'), 1);
  assert.equal(m.samples.get('pve_snapshots_job_last_success_timestamp_seconds'), secondsOf(ok2.json.finishedAt));
});

test('a dry run writes no metrics file', async () => {
  const { metricsDir, metricsFile, run } = await setup();
  const r = await run('--metrics-file', metricsFile, '--dry-run');
  assert.equal(r.code, 1, r.stderr); // the type mismatch of svc-304
  assert.deepEqual(await readdir(metricsDir), []);
});

test('a metrics file that cannot be written is refused before anything is sent (METRICS_FILE, exit 2)', async () => {
  const { sim, dir, metricsDir, run } = await setup();
  await writeFile(join(dir, 'a-file'), 'x');
  await mkdir(join(metricsDir, 'taken.prom'));
  for (const [path, why] of [
    [join(dir, 'no-such-dir', 'job.prom'), /ENOENT/],
    [join(dir, 'a-file', 'job.prom'), /ENOTDIR/],
    [join(metricsDir, 'job.txt'), /must be a file ending in \.prom/],
    [join(metricsDir, 'taken.prom'), /exists and is not a regular file/],
  ]) {
    const r = await run('--metrics-file', /** @type {string} */ (path));
    assert.equal(r.code, 2, `${path}: ${r.stderr}`);
    assert.equal(r.json.error.code, 'METRICS_FILE');
    assert.match(r.json.error.message, /** @type {RegExp} */ (why));
    assert.match(r.stderr, /metrics file|--metrics-file/);
  }
  assert.equal(sim.requests.length, 0, 'nothing was sent to Proxmox');
  assert.deepEqual(await readdir(metricsDir), ['taken.prom']);
});

test('a metrics file that fails at the end of the run is a warning; the run and last-run.json stand', async () => {
  const { sim, config: configPath, dir, metricsDir } = await setup();
  const config = await loadConfig(configPath, { env: { PVE_TOKEN_SECRET: SECRET } });
  const metricsFile = join(metricsDir, 'late.prom');
  /** @type {string[]} */
  const warnings = [];
  const summary = await runExpiry({
    config, service: 'svc-301', metricsFile,
    onEvent: (e) => {
      // The directory appears where the file should go after the check passed.
      if (e.type === 'start') mkdir(metricsFile).catch(() => {});
      if (e.type === 'warning') warnings.push(e.message);
    },
  });
  assert.equal(summary.exitCode, EXIT.OK);
  assert.deepEqual(names(sim, 301), [managed(2)]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /cannot write the metrics file .*late\.prom.*\[METRICS_FILE\]/);
  const status = JSON.parse(await readFile(join(dir, 'state', 'last-run.json'), 'utf8'));
  assert.equal(status.success, true);
  assert.deepEqual(await readdir(metricsDir), ['late.prom'], 'no temporary file left behind');
});

test('promtool refuses what breaks the format or its lint rules (the check has teeth)', async () => {
  const counterWithoutTotal = renderMetrics([{ name: 'pve_snapshots_job_runs', help: 'x', type: 'counter', samples: [{ value: 1 }] }]);
  assert.notEqual((await promtoolCheck(counterWithoutTotal)).code, 0);
  assert.notEqual((await promtoolCheck('pve_snapshots_job_success{result="x} 1\n')).code, 0);
  const noHelp = '# TYPE pve_snapshots_job_success gauge\npve_snapshots_job_success 1\n';
  assert.notEqual((await promtoolCheck(noHelp)).code, 0);
});

test('label values and help text are escaped', () => {
  const text = renderMetrics([{ name: 'x_info', help: 'a \\ b\nc', type: 'gauge', samples: [{ labels: { v: 'q"\\\n' }, value: 1 }] }]);
  assert.equal(text, '# HELP x_info a \\\\ b\\nc\n# TYPE x_info gauge\nx_info{v="q\\"\\\\\\n"} 1\n');
  assert.throws(() => renderMetrics([{ name: 'bad-name', help: '', type: 'gauge', samples: [{ value: 1 }] }]), /not a Prometheus metric name/);
});

test('the alert rules in the job README are valid Prometheus rules', async () => {
  const readme = await readFile(fileURLToPath(new URL('../cron/README.md', import.meta.url)), 'utf8');
  const rules = /Alerts for an hourly job[^]*?```yaml\n([^]*?)```/.exec(readme)?.[1];
  assert.ok(rules, 'the README has the rules block');
  const tmp = await tempDir('cron-rules-');
  cleanups.push(tmp.cleanup);
  const file = join(tmp.dir, 'rules.yml');
  await writeFile(file, rules);
  const check = await promtool(['check', 'rules', file]);
  assert.equal(check.code, 0, check.output);
  assert.match(check.output, /SUCCESS: 3 rules found/);
});
