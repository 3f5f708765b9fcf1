#!/usr/bin/env node
// Instruction counts (valgrind --tool=callgrind) per unit of work: a figure
// that stays put on a noisy shared machine where wall times do not. Each
// kind runs twice in fresh processes, with N and 2N units after the same
// setup and WARM units of warm-up; (I(WARM+2N) − I(WARM+N)) / N is the cost
// of one unit with start-up, setup and JIT tier-up cancelled out. V8 runs
// --single-threaded with fixed random and hash seeds, and wasm compiled by
// TurboFan up front (--no-liftoff, as after tier-up in a long-running
// process): without these, repeated counts differ by 0.2-0.4 % (millions of
// instructions), with them by about 0.02 %. Counts do not mind a busy
// machine, so the processes run nproc at a time.
// Usage: node bench/instructions.mjs [--repeats N]

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { summarize } from './lib/stats.mjs';
import { printTable } from './lib/table.mjs';
import { printMachine, tryCommand } from './lib/machine.mjs';
import * as core from '../www/core.mjs';

const { values: opt } = parseArgs({ options: { repeats: { type: 'string', default: '2' } } });
const REPEATS = Number(opt.repeats);
const WARM = 1500;
const child = fileURLToPath(new URL('./instructions-child.mjs', import.meta.url));

/** @param {string} kind @param {number} n @returns {Promise<number>} instructions executed by the whole process */
function count(kind, n) {
  return new Promise((resolve, reject) => {
    execFile('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath,
      '--single-threaded', '--random-seed=1', '--hash-seed=1', '--no-liftoff', child, kind, String(n), String(WARM)],
      { maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
        const m = String(stderr).match(/Collected : (\d+)/);
        if (err || !m) return reject(new Error(`callgrind ${kind} ${n} failed: ${err?.message ?? ''}\n${String(stderr).slice(-1500)}`));
        resolve(Number(m[1]));
      });
  });
}

const version = tryCommand('valgrind', ['--version']);
if (version.includes('unavailable')) {
  console.error('instructions: valgrind is not installed (apt-get install valgrind)');
  process.exit(1);
}
printMachine();
process.stdout.write(`${version}, node --single-threaded --random-seed=1 --hash-seed=1 --no-liftoff, ${WARM} units of warm-up\n\n`);

/** @type {Array<[kind: string, n: number, figure: string, unit: string]>} */
const kinds = [
  ['page', 500, 'snapshotPage, 10 snapshots', 'call'],
  ['fleet-wasm', 500, 'planExpiry per VM (10 snapshots)', 'VM'],
  ['fleet-js', 500, 'plain-JS baseline per VM', 'VM'],
  ['fleet-copy', 500, "planExpiry's argument copy alone (src/plain.js) per VM", 'VM'],
  ['fleet-empty', 500, 'planExpiry per VM with an empty list (fixed cost)', 'VM'],
];
// Every (kind, repeat, size) process, nproc at a time.
/** @typedef {[kind: string, repeat: number, n: number]} Job */
const jobs = kinds.flatMap(([kind, n]) => Array.from({ length: REPEATS }, (_, r) => /** @type {Job[]} */ ([[kind, r, n], [kind, r, 2 * n]])).flat());
/** @type {Map<string, number>} */
const counts = new Map();
let next = 0;
await Promise.all(Array.from({ length: availableParallelism() }, async () => {
  while (next < jobs.length) {
    const [kind, r, n] = jobs[next++];
    counts.set(`${kind}/${r}/${n}`, await count(kind, n));
  }
}));
/** Instructions of one finished process. @param {string} kind @param {number} r @param {number} n */
const counted = (kind, r, n) => counts.get(`${kind}/${r}/${n}`) ?? NaN;
/** @type {import('./lib/table.mjs').Row[]} */
const rows = [];
/** @type {Record<string, number>} the median per kind */
const byKind = {};
for (const [kind, n, figure, unit] of kinds) {
  const per = [];
  for (let r = 0; r < REPEATS; r++) per.push((counted(kind, r, 2 * n) - counted(kind, r, n)) / n / 1000);
  const summary = summarize(per);
  rows.push({ figure, unit: `k instr/${unit}`, summary, note: `(I(${WARM}+${2 * n}) − I(${WARM}+${n})) / ${n}` });
  byKind[kind] = summary.median;
}
rows.push({ figure: 'planExpiry / JS baseline', unit: '×', value: byKind['fleet-wasm'] / byKind['fleet-js'] });
printTable('Instruction counts (callgrind), whole process difference', rows);
