#!/usr/bin/env node
// Part 4: planExpiry over a 10,000-VM fleet (100,000 snapshots), end to end
// from Proxmox-shaped JS objects to request descriptions, against the
// plain-JS baseline in the same process, alternating runs; then where the
// wasm time goes. Usage: node bench/fleet.mjs [--runs N] [--vms N]

import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import * as core from '../www/core.mjs';
import { plain } from '../src/plain.js';
import { planExpiryJs } from './expiry-baseline.mjs';
import { makeFleet, NOW_MS, POLICIES } from './fleet-data.mjs';
import { summarize } from './lib/stats.mjs';
import { printTable } from './lib/table.mjs';
import { printMachine } from './lib/machine.mjs';
import { timeMs, settle } from './lib/timing.mjs';

// The boundary's JS step: each argument is copied into plain data first.
const LIMITS = core.limits();
/** @param {unknown} v @param {string} name */
const copy = (v, name) => plain(v, name, LIMITS.snapshotsPerList, LIMITS.depth, name === 'snapshots' ? 'list' : 'object');

const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '11' }, vms: { type: 'string', default: '10000' } } });
const RUNS = Number(opt.runs);
const VMS = Number(opt.vms);

const fleet = makeFleet({ vms: VMS, perVm: 10 });
const snapshotCount = fleet.reduce((n, v) => n + v.snapshots.length - 1, 0);

/** @param {typeof planExpiryJs} plan */
const planFleet = (plan, now = NOW_MS) => fleet.map((v) => plan(v.target, v.policy, v.vmStatus, v.snapshots, now));

// Same outputs first: a faster baseline that answers differently proves nothing.
const wasmPlans = planFleet(core.planExpiry);
assert.deepEqual(planFleet(planExpiryJs), wasmPlans, 'the JS baseline and the core disagree');
const deletes = wasmPlans.reduce((n, p) => n + p.deletes.length, 0);
const skipped = wasmPlans.reduce((n, p) => n + p.skipped.length, 0);

printMachine();
process.stdout.write(`fleet: ${fleet.length} VMs, ${snapshotCount} snapshots (+ 'current' each); plans: ${deletes} deletes, ${skipped} skipped; outputs deep-equal\n\n`);

/** @type {Array<[string, () => unknown]>} */
const contenders = [
  ['js', () => planFleet(planExpiryJs)],
  ['wasm', () => planFleet(core.planExpiry)],
];
/** @type {Record<string, number[]>} */
const samples = Object.fromEntries(contenders.map(([k]) => [k, []]));
for (let i = 0; i < 2; i++) for (const [, fn] of contenders) fn(); // warm-up (JIT)
for (let i = 0; i < RUNS; i++) {
  // Rotate who goes first, so drift on a shared machine hits all alike.
  for (let k = 0; k < contenders.length; k++) {
    const [name, fn] = contenders[(i + k) % contenders.length];
    await settle();
    samples[name].push(timeMs(fn));
  }
}
const j = summarize(samples.js);
const texts = fleet.map((v) => ({ target: v.target, policy: v.policy, status: JSON.stringify(v.vmStatus), list: JSON.stringify(v.snapshots) }));
/** @type {import('./lib/table.mjs').Row[]} */
const rows = [{ figure: 'plain-JS baseline, whole fleet', unit: 'ms', summary: j }];
{
  const w = summarize(samples.wasm);
  const ratio = summarize(samples.wasm.map((x, i) => x / samples.js[i]));
  rows.push(
    { figure: 'wasm planExpiry per VM (as the job calls it), whole fleet', unit: 'ms', target: '≤ 300', summary: w, met: w.median <= 300 },
    { figure: 'wasm planExpiry / JS (paired runs, for information)', unit: '×', summary: ratio },
  );
}
printTable(`Fleet planning: ${fleet.length} VMs × 10 snapshots, whole fleet per run`, rows);

// Where the wasm time goes. Each step adds one part of the work:
//  validatePolicy: one small object in, one out (the fixed cost of a call);
//  empty list:     target + policy + status in, an empty plan out;
//  nothing due:    plus 11 snapshot objects read in and the rules, almost nothing out;
//  full:           plus the request descriptions and skip reasons converted out.
const stale = NOW_MS - 30 * 86_400_000;
/** @type {Array<[string, () => unknown]>} */
const steps = [
  ['validatePolicy(policy) per VM', () => fleet.map((v) => core.validatePolicy(v.policy))],
  ['planExpiry, empty snapshot list', () => fleet.map((v) => core.planExpiry(v.target, v.policy, v.vmStatus, [], NOW_MS))],
  ['planExpiry, 11 entries, none expired', () => fleet.map((v) => core.planExpiry(v.target, v.policy, v.vmStatus, v.snapshots, stale))],
  ['planExpiry, full (as above)', () => planFleet(core.planExpiry)],
  ["the boundary's copy of every argument alone (src/plain.js, JS side)", () => fleet.map((v) => [copy(v.target, 'target'), copy(v.policy, 'policy'), copy(v.vmStatus, 'vmStatus'), copy(v.snapshots, 'snapshots')])],
  // What the job really starts from: Proxmox's answers as text.
  ['JS from the answers as text: JSON.parse + baseline', () => texts.map((t) => planExpiryJs(t.target, t.policy, JSON.parse(t.status), JSON.parse(t.list), NOW_MS))],
  ['JS baseline, none expired', () => planFleet(planExpiryJs, stale)],
];
/** @type {import('./lib/table.mjs').Row[]} */
const stepRows = [];
for (const [figure, fn] of steps) {
  fn();
  const times = [];
  for (let i = 0; i < Math.max(3, Math.ceil(RUNS / 2)); i++) {
    await settle();
    times.push(timeMs(fn));
  }
  stepRows.push({ figure, unit: 'ms/fleet', summary: summarize(times) });
}
printTable('Fleet planning: where the wasm time goes (whole fleet per run)', stepRows);
