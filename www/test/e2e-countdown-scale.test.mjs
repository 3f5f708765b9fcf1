// The per-second countdown with 50 snapshots, in a real Chromium: each tick
// rewrites only the countdown cells (rows are never rebuilt), and the cost of
// one tick is measured and reported (not asserted: machines are shared).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './server-harness.mjs';
import { countdownSeconds, launchBrowser, openPage, openService, screenshot, signIn, waitUntil } from './helpers/browser.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
const ROWS = 50;

before(async () => {
  stack = await startStack();
  // web-alice has 2 snapshots in the demo seed; add managed ones up to 50.
  for (let i = 0; stack.sim.vm(101).snapshots.length < ROWS; i++) {
    const mm = String(Math.floor(i / 60)).padStart(2, '0');
    const ss = String(i % 60).padStart(2, '0');
    stack.sim.addSnapshot(101, { name: `snap20261125T07${mm}${ss}`, ageSeconds: 60 + i * 3000, description: `bulk ${i}` });
  }
  browser = await launchBrowser();
  ({ page } = await openPage(browser));
  await signIn(page, stack.url, 'alice', 'alice-demo');
  await openService(page, 'svc-101');
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

/** Countdown seconds of every managed row, by name. */
const readCountdowns = () => page.evaluate(() => Object.fromEntries(
  [...document.querySelectorAll('tr.managed')].map((tr) => [
    /** @type {HTMLElement} */ (tr).dataset.snapshot, tr.querySelector('[data-role=countdown]')?.textContent ?? '']),
));

test('50 rows: every countdown ticks down together and no row is rebuilt', async () => {
  assert.equal(await page.locator('tr[data-snapshot]').count(), ROWS);
  await page.evaluate(() => {
    /** @type {any} */ (window).probeRows = [...document.querySelectorAll('tr[data-snapshot]')];
  });
  const first = await readCountdowns();
  const names = Object.keys(first);
  assert.equal(names.length, ROWS - 1, 'all but the foreign snapshot count down');
  const anyName = names[0];
  const second = await waitUntil(readCountdowns, (c) => c[anyName] !== first[anyName], { what: 'a tick' });
  for (const n of names) {
    const a = countdownSeconds(first[n]);
    const b = countdownSeconds(second[n]);
    if (a === null) { assert.equal(first[n], 'Expired — will be removed shortly'); continue; }
    assert.ok(b !== null && b < a, `${n}: ${first[n]} → ${second[n]}`);
  }
  const sameNodes = await page.evaluate(() => /** @type {any} */ (window).probeRows.every((/** @type {Element} */ tr) => tr.isConnected));
  assert.equal(sameNodes, true, 'the tick kept the same row elements');
  await screenshot(page, '11-fifty-rows');
});

test('cost of one tick with 50 rows (reported, not asserted)', async (t) => {
  // A second instance of the embeddable component, driven directly: each
  // tick() sees the clock 1 s later, so every countdown cell is rewritten.
  const result = await page.evaluate(async () => {
    // The page serves www/panel/ at /panel/: typed from the file it serves.
    const panel = /** @type {Promise<typeof import('../panel/snapshots.mjs')>} */ (import(/** @type {string} */ ('/panel/snapshots.mjs')));
    const [{ mountSnapshots }, coreModule] = await Promise.all([panel, import('/pkg/pve_snapshots.js')]);
    const { csrfToken } = await (await fetch('/api/session')).json();
    const host = document.createElement('div');
    document.body.appendChild(host);
    const handle = mountSnapshots(host, { serviceId: 'svc-101', csrfToken, core: coreModule, refreshIntervalMs: 3_600_000 });
    const start = Date.now();
    while (host.querySelectorAll('tr[data-snapshot]').length < 50 && Date.now() - start < 15_000) await new Promise((r) => setTimeout(r, 20));
    const cell = () => host.querySelector('tr.managed [data-role=countdown]')?.textContent ?? '';
    const before = cell();
    const realNow = Date.now;
    let shift = 0;
    Date.now = () => realNow() + (shift += 1000);
    const times = [];
    try {
      for (let i = 0; i < 20; i++) handle.tick(); // warm-up: JIT and wasm tiers
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        handle.tick();
        times.push(performance.now() - t0);
      }
    } finally {
      Date.now = realNow;
    }
    const after = cell();
    const rows = host.querySelectorAll('tr[data-snapshot]').length;
    handle.destroy();
    host.remove();
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    return { rows, before, after, mean, median: times[100], p95: times[190], max: times[199] };
  });
  assert.equal(result.rows, ROWS);
  const moved = /** @type {number} */ (countdownSeconds(result.before)) - /** @type {number} */ (countdownSeconds(result.after));
  assert.ok(moved >= 215 && moved <= 235, `220 ticks at +1 s moved the countdown by ${moved} s (${result.before} → ${result.after})`);
  t.diagnostic(`tick with ${result.rows} rows: mean ${result.mean.toFixed(3)} ms, median ${result.median.toFixed(3)} ms, p95 ${result.p95.toFixed(3)} ms, max ${result.max.toFixed(3)} ms (budget 2 ms)`);
});
