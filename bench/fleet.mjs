#!/usr/bin/env node
// Part 4: planExpiry over a 10,000-VM fleet (100,000 snapshots), end to end
// from Proxmox-shaped JS objects to request descriptions, against the
// plain-JS baseline in the same process, alternating runs; then where the
// wasm time goes. Usage: node bench/fleet.mjs [--runs N] [--vms N]

import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import * as core from '../www/core.mjs';
import { planExpiryJs } from './expiry-baseline.mjs';
import { makeFleet, NOW_MS } from './fleet-data.mjs';
import { summarize } from './lib/stats.mjs';
import { printTable } from './lib/table.mjs';
import { printMachine } from './lib/machine.mjs';
import { timeMs, settle } from './lib/timing.mjs';

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

const wasm = [];
const js = [];
for (let i = 0; i < 2; i++) { planFleet(core.planExpiry); planFleet(planExpiryJs); } // warm-up (JIT)
for (let i = 0; i < RUNS; i++) {
  // Alternate who goes first, so drift on a shared machine hits both alike.
  const order = i % 2 ? [[js, planExpiryJs], [wasm, core.planExpiry]] : [[wasm, core.planExpiry], [js, planExpiryJs]];
  for (const [samples, plan] of order) {
    await settle();
    samples.push(timeMs(() => planFleet(plan)));
  }
}
const ratio = summarize(wasm.map((w, i) => w / js[i]));
const w = summarize(wasm);
const j = summarize(js);
printTable(`Fleet planning: ${fleet.length} VMs × 10 snapshots, whole fleet per run`, [
  { figure: 'wasm planExpiry, whole fleet', unit: 'ms', target: '≤ 100', summary: w, met: w.median <= 100 },
  { figure: 'plain-JS baseline, whole fleet', unit: 'ms', summary: j },
  { figure: 'wasm / JS (paired runs)', unit: '×', target: '≤ 1', summary: ratio, met: ratio.median <= 1 },
  { figure: 'wasm per VM', unit: 'µs', summary: summarize(wasm.map((x) => (x * 1000) / fleet.length)) },
]);

// Where the wasm time goes. Each step adds one part of the work:
//  validatePolicy: one small object in, one out (the fixed cost of a call);
//  empty list:     target + policy + status in, an empty plan out;
//  nothing due:    plus 11 snapshot objects read in and the rules, almost nothing out;
//  full:           plus the request descriptions and skip reasons converted out.
const steps = [
  ['validatePolicy(policy) per VM', () => fleet.map((v) => core.validatePolicy(v.policy))],
  ['planExpiry, empty snapshot list', () => fleet.map((v) => core.planExpiry(v.target, v.policy, v.vmStatus, [], NOW_MS))],
  ['planExpiry, 11 entries, none expired', () => fleet.map((v) => core.planExpiry(v.target, v.policy, v.vmStatus, v.snapshots, NOW_MS - 30 * 86_400_000))],
  ['planExpiry, full (as above)', () => planFleet(core.planExpiry)],
  ['JSON.stringify(snapshot lists) (cost of a JSON-text boundary, JS side)', () => fleet.map((v) => JSON.stringify(v.snapshots))],
  ['JS baseline, none expired', () => planFleet(planExpiryJs, NOW_MS - 30 * 86_400_000)],
];
const rows = [];
for (const [figure, fn] of steps) {
  fn();
  const samples = [];
  for (let i = 0; i < Math.max(3, Math.ceil(RUNS / 2)); i++) {
    await settle();
    samples.push(timeMs(fn));
  }
  rows.push({ figure, unit: 'ms/fleet', summary: summarize(samples) });
}
printTable('Fleet planning: where the wasm time goes (whole fleet per run)', rows);
