#!/usr/bin/env node
// Part 5: the real expiry job (`node www/cron/expire.mjs`, a child process
// under /usr/bin/time -v) against the simulator: 2,000 VMs on 4 nodes,
// 20 ms latency per request and 300 ms per delete task. Prints the wall time
// against the ideal that the job's concurrency limits allow, and the job's
// peak memory. Usage: node bench/job.mjs [--vms N] [--due SHARE] [--runs N]
//   [--concurrency N] [--per-node N]   (default: the job's own defaults)
//   [--variant cli|parallel-reads]     parallel-reads: the what-if in job-parallel-reads.mjs

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSimulator } from '../www/simulator/index.mjs';
import { JOB_DEFAULTS } from '../www/config.mjs';
import { seededRandom } from './lib/random.mjs';
import { summarize } from './lib/stats.mjs';
import { printTable } from './lib/table.mjs';
import { printMachine } from './lib/machine.mjs';

const { values: opt } = parseArgs({ options: {
  vms: { type: 'string', default: '2000' }, due: { type: 'string', default: '0.3' }, runs: { type: 'string', default: '3' },
  concurrency: { type: 'string', default: String(JOB_DEFAULTS.concurrency) }, 'per-node': { type: 'string', default: String(JOB_DEFAULTS.perNode) },
  variant: { type: 'string', default: 'cli' },
} });
if (!['cli', 'parallel-reads'].includes(opt.variant)) {
  console.error(`job: --variant must be cli or parallel-reads, got ${opt.variant}`);
  process.exit(2);
}
const VMS = Number(opt.vms);
const DUE = Number(opt.due);
const RUNS = Number(opt.runs);
const CONCURRENCY = Number(opt.concurrency);
const PER_NODE = Number(opt['per-node']);
const NODES = ['pve1', 'pve2', 'pve3', 'pve4'];
const LATENCY_MS = 20;
const TASK_MS = 300;
const TOKEN_ID = 'root@pam!cron';
const EXPIRE = fileURLToPath(new URL('../www/cron/expire.mjs', import.meta.url));
const WHAT_IF = fileURLToPath(new URL('./job-parallel-reads.mjs', import.meta.url));
const DAY_S = 86_400;

/**
 * 2,000 guests, a `DUE` share with one expired managed snapshot; every guest
 * also has a fresh managed one and one made by an administrator (both kept).
 */
function seed() {
  const rnd = seededRandom(1);
  /** @type {Array<import('../www/simulator/guests.mjs').SeedGuest & {snapshots: import('../www/simulator/guests.mjs').SeedSnapshot[]}>} */
  const guests = [];
  const stamp = (/** @type {number} */ ageS) => new Date(Date.now() - ageS * 1000).toISOString().replace(/[-:]/g, '').slice(0, 15);
  let due = 0;
  for (let i = 0; i < VMS; i++) {
    const snapshots = [
      { name: 'before-upgrade', ageSeconds: 30 * DAY_S },
      { name: `snap${stamp(3600)}`, ageSeconds: 3600 },
    ];
    if (rnd() < DUE) {
      snapshots.push({ name: `snap${stamp(2 * DAY_S)}`, ageSeconds: 2 * DAY_S });
      due += 1;
    }
    guests.push({ vmid: 1000 + i, type: 'qemu', node: NODES[i % NODES.length], name: `vm${i}`, status: i % 3 ? 'running' : 'stopped', storage: 'lvmthin', snapshots });
  }
  return { seed: { nodes: NODES, guests }, due };
}

/**
 * The shortest possible run under the job's limits. The simulator waits
 * its latency before handling a request, so a task starts one latency after
 * its DELETE was sent, and the earliest answer that can report it finished
 * arrives one latency after it ends (a poll sent exactly on time). Per VM
 * the job then cannot do with less than one read of status and list (sent
 * together: one latency) and, per delete, a fresh re-read (one latency)
 * plus DELETE-to-outcome (one latency + the task). Work is spread over
 * min(concurrency, perNode × nodes) slots, and no node can go faster than
 * its perNode slots allow.
 * @param {number[]} deletesPerVm @param {string[]} nodeOfVm
 */
function idealMs(deletesPerVm, nodeOfVm) {
  const vmMs = deletesPerVm.map((d) => LATENCY_MS + d * (2 * LATENCY_MS + TASK_MS));
  const taskOnly = deletesPerVm.map((d) => d * TASK_MS);
  const bound = (/** @type {number[]} */ per) => {
    const slots = Math.min(CONCURRENCY, PER_NODE * NODES.length);
    const total = per.reduce((a, b) => a + b, 0);
    const byNode = NODES.map((n) => per.reduce((a, ms, i) => a + (nodeOfVm[i] === n ? ms : 0), 0));
    return Math.max(total / slots, Math.max(...byNode) / PER_NODE) + LATENCY_MS; // + the cluster listing
  };
  return { ideal: bound(vmMs), taskOnly: bound(taskOnly) };
}

/**
 * Runs the job under GNU time; resolves with its wall time, peak RSS and JSON summary.
 * @param {string} configPath @param {string} stateDir @param {string} secret
 */
function runJob(configPath, stateDir, secret) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const job = opt.variant === 'cli'
      ? [EXPIRE, '--config', configPath, '--state-dir', stateDir, '--json', '--concurrency', String(CONCURRENCY), '--per-node', String(PER_NODE)]
      : [WHAT_IF, configPath, stateDir, String(CONCURRENCY), String(PER_NODE)];
    const p = spawn('/usr/bin/time', ['-v', process.execPath, ...job], {
      env: { ...process.env, PVE_TOKEN_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      const ms = performance.now() - t0;
      const rss = err.match(/Maximum resident set size \(kbytes\): (\d+)/);
      let summary = null;
      try { summary = JSON.parse(out); } catch { /* reported below */ }
      if (!summary || !rss) return reject(new Error(`the job did not produce a summary (exit ${code}):\n${err.slice(-2000)}`));
      resolve({ code, ms, maxRssMiB: Number(rss[1]) / 1024, summary });
    });
  });
}

if (!existsSync('/usr/bin/time')) {
  console.error('job: /usr/bin/time is missing (apt-get install time)');
  process.exit(1);
}
printMachine();
const walls = [];
const rss = [];
const ratios = [];
const floorRatios = [];
/** @type {{due: number, ideal: number, taskOnly: number, requests: number, polls: number, reads: number} | undefined} the last run's counts */
let last;
for (let run = 0; run < RUNS; run++) {
  const secret = randomBytes(24).toString('hex');
  const { seed: s, due } = seed();
  const sim = await startSimulator({ port: 0, seed: s, tokens: [{ id: TOKEN_ID, secret }], latencyMs: LATENCY_MS, taskDurationMs: { delete: TASK_MS, default: TASK_MS } });
  const dir = await mkdtemp(join(tmpdir(), 'pve-snapshots-bench-job-'));
  try {
    const config = {
      pve: { url: sim.url, tokenId: TOKEN_ID, timeoutMs: 15_000 },
      products: { 'vps-1d': { maxSnapshots: 5, lifetimeDays: 1 } },
      services: s.guests.map((g) => ({ id: `svc-${g.vmid}`, customer: 'bench', vmid: g.vmid, type: 'qemu', product: 'vps-1d', name: g.name })),
      job: { concurrency: CONCURRENCY, perNode: PER_NODE, taskTimeoutMs: 120_000, stateDir: dir },
    };
    const configPath = join(dir, 'config.json');
    await writeFile(configPath, JSON.stringify(config));
    const r = await runJob(configPath, dir, secret);
    const c = r.summary.counts ?? {};
    if (r.code !== 0 || c.deleted !== due) {
      throw new Error(`the job did not do the work: exit ${r.code}, deleted ${c.deleted} of ${due}, failed ${c.failed}, still running ${c.stillRunning}`);
    }
    const left = s.guests.filter((g) => sim.vm(g.vmid).snapshots.length !== 2).length;
    if (left) throw new Error(`${left} VMs still have an expired snapshot (or lost a kept one) after the run`);
    const perVm = s.guests.map((g) => g.snapshots.length - 2);
    const { ideal, taskOnly } = idealMs(perVm, s.guests.map((g) => g.node));
    const requests = sim.requests.length;
    const polls = sim.requests.filter((q) => q.method === 'GET' && /\/tasks\/[^/]+\/status$/.test(q.path)).length;
    const reads = sim.requests.filter((q) => q.method === 'GET' && /\/(snapshot|status\/current)$/.test(q.path)).length;
    walls.push(r.ms);
    rss.push(r.maxRssMiB);
    ratios.push(ideal / r.ms);
    floorRatios.push(taskOnly / r.ms);
    last = { due, ideal, taskOnly, requests, polls, reads };
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}
if (!last) throw new Error(`job: --runs must be at least 1, got ${opt.runs}`);
process.stdout.write(`job: ${VMS} VMs on ${NODES.length} nodes, ${last.due} deletes per run, ${LATENCY_MS} ms per request, ${TASK_MS} ms per delete task; ` +
  `concurrency ${CONCURRENCY}, per node ${PER_NODE} (slots ${Math.min(CONCURRENCY, PER_NODE * NODES.length)})\n` +
  `last run: ${last.requests} requests; ${last.reads} status/list reads (${(last.reads / VMS).toFixed(2)} per VM), ` +
  `${last.polls} task status polls (${(last.polls / last.due).toFixed(2)} per delete)\n` +
  `ideal (limits + unavoidable requests) ${(last.ideal / 1000).toFixed(1)} s; floor (task time only) ${(last.taskOnly / 1000).toFixed(1)} s\n\n`);
const ratio = summarize(ratios.map((x) => 100 * x));
printTable(`Expiry job at scale: ${RUNS} runs${opt.variant === 'cli' ? '' : `, what-if: ${opt.variant} (not the shipped job)`}`, [
  { figure: 'wall time of the job process', unit: 's', summary: summarize(walls.map((x) => x / 1000)) },
  { figure: 'ideal / wall time', unit: '%', target: '≥ 85', summary: ratio, met: ratio.median >= 85 },
  { figure: 'task-time floor / wall time', unit: '%', summary: summarize(floorRatios.map((x) => 100 * x)) },
  { figure: 'peak RSS of the job process', unit: 'MiB', summary: summarize(rss) },
]);
