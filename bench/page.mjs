#!/usr/bin/env node
// Part 3: snapshotPage for a VM with 10 snapshots, per call, in Node and in
// headless Chromium (pkg/ served from 127.0.0.1). Same loop, same data.
// Usage: node bench/page.mjs [--samples N] [--calls N] [--no-browser]

import { parseArgs } from 'node:util';
import * as core from '../www/core.mjs';
import { measureSnapshotPage } from './page-loop.mjs';
import { PAGE_SNAPSHOTS, PAGE_POLICY, PAGE_VM_STATUS, PAGE_NOW_MS } from './page-fixture.mjs';
import { summarize } from './lib/stats.mjs';
import { printTable } from './lib/table.mjs';
import { printMachine } from './lib/machine.mjs';
import { launchChromium } from './lib/browser.mjs';
import { startStaticServer } from './lib/static-server.mjs';

/**
 * What the bench page's script sets on window.
 * @typedef {{ready?: boolean, run: (options: {samples: number, calls: number}) => Promise<ReturnType<typeof measureSnapshotPage>>}} BenchPage
 */

const { values: opt } = parseArgs({ options: {
  samples: { type: 'string', default: '30' }, calls: { type: 'string', default: '2000' }, 'no-browser': { type: 'boolean', default: false },
} });
const options = { samples: Number(opt.samples), calls: Number(opt.calls) };

printMachine();
const node = measureSnapshotPage(core, options);
if (node.rows !== 10) throw new Error(`expected 10 rows per page, got ${node.rows}`);
const rows = [];
const nodeS = summarize(node.perCallUs);
rows.push({ figure: 'snapshotPage, Node', unit: 'µs/call', target: '≤ 50', summary: nodeS, met: nodeS.median <= 50, note: `${options.calls} calls per sample` });
// The fixed cost of a call: the same arguments with only the `current` entry.
const fixed = measureSnapshotPage(core, { ...options, snapshots: PAGE_SNAPSHOTS.slice(-1) });
// Same input read by planExpiry, whose output is a few objects, not 10 rows:
// the gap to snapshotPage is mostly building the rows as JS objects.
const expirySamples = [];
for (let sIdx = 0; sIdx < options.samples; sIdx++) {
  const t0 = performance.now();
  for (let i = 0; i < options.calls; i++) core.planExpiry({ node: 'pve1', vmid: 101 }, PAGE_POLICY, PAGE_VM_STATUS, PAGE_SNAPSHOTS, PAGE_NOW_MS + i * 1000);
  expirySamples.push(((performance.now() - t0) * 1000) / options.calls);
}
rows.push({ figure: 'planExpiry on the same input, Node', unit: 'µs/call', summary: summarize(expirySamples), note: 'same arguments read, small result: input side' });
rows.push({ figure: "snapshotPage, Node, list with only 'current'", unit: 'µs/call', summary: summarize(fixed.perCallUs), note: 'fixed cost of a call (policy, status, now in; empty page out)' });

if (!opt['no-browser']) {
  const html = `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">
    import init, * as core from '/pkg/pve_snapshots.js';
    import { measureSnapshotPage } from '/bench/page-loop.mjs';
    window.run = async (options) => { await init({ module_or_path: '/pkg/pve_snapshots_bg.wasm' }); return measureSnapshotPage(core, options); };
    window.ready = true;
  </script>`;
  const server = await startStaticServer({ '/page.html': html });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    /** @type {string[]} */
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/page.html`);
    await page.waitForFunction(() => /** @type {typeof window & BenchPage} */ (window).ready === true, null, { timeout: 30_000 });
    const out = await page.evaluate((o) => /** @type {typeof window & BenchPage} */ (window).run(o), options);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    if (out.rows !== 10) throw new Error(`expected 10 rows per page in Chromium, got ${out.rows}`);
    const s = summarize(out.perCallUs);
    rows.push({ figure: 'snapshotPage, Chromium', unit: 'µs/call', target: '≤ 50', summary: s, met: s.median <= 50, note: browser.version() });
  } finally {
    await browser.close();
    await server.close();
  }
}
printTable('Page computation: snapshotPage, 10 snapshots (+ current), per call', rows);
