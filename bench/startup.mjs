#!/usr/bin/env node
// Part 2: start-up of the package in Node, in cold processes. Each child
// measures itself with performance.now() around import + instantiate; the
// parent also times whole processes against `node -e ''`, alternating, so
// the difference is what loading the core adds to a CLI such as the job.
// A third set of processes instantiates with initSync instead of the async
// init() that www/core.mjs uses, to show what that choice costs.
// Usage: node bench/startup.mjs [--runs N]

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarize } from './lib/stats.mjs';
import { printTable } from './lib/table.mjs';
import { printMachine } from './lib/machine.mjs';

const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const RUNS = Number(opt.runs);
const pkgJs = new URL('../pkg/pve_snapshots.js', import.meta.url).href;
const pkgWasm = fileURLToPath(new URL('../pkg/pve_snapshots_bg.wasm', import.meta.url));

// What www/core.mjs does, with clocks around each step.
const child = `
const t0 = performance.now();
const { readFile } = await import('node:fs/promises');
const mod = await import(${JSON.stringify(pkgJs)});
const t1 = performance.now();
const bytes = await readFile(${JSON.stringify(pkgWasm)});
const t2 = performance.now();
await mod.default({ module_or_path: bytes });
const t3 = performance.now();
mod.validatePolicy({ maxSnapshots: 3, lifetimeDays: 1 });
const t4 = performance.now();
process.stdout.write(JSON.stringify({ total: t3 - t0, importGlue: t1 - t0, read: t2 - t1, init: t3 - t2, firstCall: t4 - t3, sinceProcessStart: t3 }));
`;

// The synchronous alternative: read the bytes and instantiate with initSync.
const childSync = `
const t0 = performance.now();
const { readFileSync } = await import('node:fs');
const mod = await import(${JSON.stringify(pkgJs)});
mod.initSync({ module: readFileSync(${JSON.stringify(pkgWasm)}) });
const t1 = performance.now();
mod.validatePolicy({ maxSnapshots: 3, lifetimeDays: 1 });
process.stdout.write(JSON.stringify({ total: t1 - t0 }));
`;

/**
 * Runs node with args; resolves with stdout and the wall time from spawn to exit.
 * @param {string[]} args
 * @returns {Promise<{out: string, ms: number}>}
 */
function runNode(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ out, ms: performance.now() - t0 }) : reject(new Error(`node exited ${code}`))));
  });
}

printMachine();
/** @type {Record<string, number>[]} what the child process measured in itself */
const inner = [];
/** @type {number[]} */
const withCore = [];
/** @type {number[]} */
const empty = [];
await runNode(['-e', '']); // page in the node binary once
for (let i = 0; i < RUNS; i++) {
  const pair = i % 2
    ? [() => runNode(['-e', '']).then((r) => empty.push(r.ms)), () => runNode(['--input-type=module', '-e', child]).then((r) => { withCore.push(r.ms); inner.push(JSON.parse(r.out)); })]
    : [() => runNode(['--input-type=module', '-e', child]).then((r) => { withCore.push(r.ms); inner.push(JSON.parse(r.out)); }), () => runNode(['-e', '']).then((r) => empty.push(r.ms))];
  for (const step of pair) await step();
}
const sync = [];
for (let i = 0; i < RUNS; i++) sync.push(JSON.parse((await runNode(['--input-type=module', '-e', childSync])).out).total);
const pick = (/** @type {string} */ k) => summarize(inner.map((x) => x[k]));
const total = pick('total');
printTable(`Start-up in Node: ${RUNS} cold processes each`, [
  { figure: 'import glue + read .wasm + async init() (in-process)', unit: 'ms', summary: total, note: 'the browser path; Node no longer uses it' },
  { figure: '  of which: import pkg/pve_snapshots.js', unit: 'ms', summary: pick('importGlue') },
  { figure: '  of which: readFile .wasm', unit: 'ms', summary: pick('read') },
  { figure: '  of which: init (compile + instantiate)', unit: 'ms', summary: pick('init') },
  { figure: 'same with initSync({module: readFileSync(…)})', unit: 'ms', target: '≤ 20', summary: summarize(sync), met: summarize(sync).median <= 20, note: 'what www/core.mjs does' },
  { figure: 'first call after init (validatePolicy)', unit: 'ms', summary: pick('firstCall') },
  { figure: 'process start → core ready (performance.now)', unit: 'ms', summary: pick('sinceProcessStart') },
  { figure: "whole process: node -e '' (baseline)", unit: 'ms', summary: summarize(empty) },
  { figure: 'whole process: node loading the core', unit: 'ms', summary: summarize(withCore) },
  { figure: 'difference (paired runs)', unit: 'ms', summary: summarize(withCore.map((x, i) => x - empty[i])) },
]);
