// The page's look in a real Chromium: light and dark colour schemes, a phone
// width without horizontal scrolling, and the security headers the page runs
// under (CSP without inline script or style still renders it fully styled).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './server-harness.mjs';
import { launchBrowser, openPage, openService, screenshot, signIn, waitForText } from './helpers/browser.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  stack = await startStack();
  // A description so the screenshots show one.
  stack.sim.addSnapshot(101, { name: 'snap20261125T080000', ageSeconds: 7200, vmstate: 1, description: 'Before WordPress 7 update' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

/**
 * @param {'light'|'dark'} colorScheme
 * @param {{width: number, height: number}} viewport
 */
async function snapshotsPage(colorScheme, viewport) {
  const rec = await openPage(browser, { colorScheme, viewport, timezoneId: 'Europe/Berlin' });
  await signIn(rec.page, stack.url, 'alice', 'alice-demo');
  await openService(rec.page, 'svc-101');
  await waitForText(rec.page.locator('[data-role=quota]'), '2/3');
  return rec;
}

test('light scheme: styled under the CSP, served with the security headers', async () => {
  const rec = await snapshotsPage('light', { width: 1100, height: 760 });
  try {
    const look = await rec.page.evaluate(() => ({
      body: getComputedStyle(document.body).backgroundColor,
      primary: getComputedStyle(/** @type {Element} */ (document.querySelector('[data-role=create]'))).backgroundColor,
    }));
    assert.equal(look.body, 'rgb(244, 246, 250)', 'style.css applied');
    assert.equal(look.primary, 'rgb(39, 89, 212)');
    await rec.settle();
    const doc = rec.responses.find((r) => new URL(r.url).pathname === '/');
    assert.ok(doc, 'the page itself was recorded');
    const csp = doc.headers['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(doc.headers['x-content-type-options'], 'nosniff');
    const wasm = rec.responses.find((r) => r.url.endsWith('/pkg/pve_snapshots_bg.wasm'));
    assert.equal(wasm?.headers['content-type'], 'application/wasm');
    assert.deepEqual(rec.errors.filter((e) => !/status of 401/.test(e)), [], 'no CSP violations or script errors');
    await screenshot(rec.page, '12-light');
  } finally {
    await rec.context.close();
  }
});

test('dark scheme follows prefers-color-scheme', async () => {
  const rec = await snapshotsPage('dark', { width: 1100, height: 760 });
  try {
    const body = await rec.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(body, 'rgb(15, 20, 28)');
    await screenshot(rec.page, '13-dark');
  } finally {
    await rec.context.close();
  }
});

test('phone width: no horizontal scrolling, actions still reachable', async () => {
  const rec = await snapshotsPage('light', { width: 390, height: 844 });
  try {
    const fit = await rec.page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
    assert.ok(fit.scroll <= fit.width, `page is ${fit.scroll}px wide in a ${fit.width}px viewport`);
    const remove = rec.page.getByRole('button', { name: 'Remove snap20261125T080000' });
    assert.equal(await remove.isVisible(), true);
    const box = await remove.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= fit.width, 'the Remove button is inside the viewport');
    await screenshot(rec.page, '14-phone');
  } finally {
    await rec.context.close();
  }
});
