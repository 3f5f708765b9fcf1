// The page while the panel's database is away, in a real Chromium against a
// server on a throwaway PostgreSQL that the test stops and starts: the
// customer is told, is not signed out, and the page recovers by itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './server-harness.mjs';
import { launchBrowser, openPage, openService, screenshot, signIn, waitUntil } from './helpers/browser.mjs';
import { axeViolations } from './helpers/axe.mjs';
import { startPgCluster } from './helpers/pg-cluster.mjs';
import { openStore } from '../store/index.mjs';

/** @type {import('./helpers/pg-cluster.mjs').PgCluster} */
let cluster;
/** @type {import('../store/index.mjs').Store} */
let store;
/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  cluster = await startPgCluster();
  store = await openStore({ databaseUrl: await cluster.createDatabase() });
  stack = await startStack({ serverOptions: { store } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.close();
  await store?.close();
  await cluster?.close();
});

test('database stopped: the page says so, keeps the customer signed in, and recovers when it is back', async () => {
  const { page } = await openPage(browser);
  await signIn(page, stack.url, 'alice', 'alice-demo');
  await openService(page, 'svc-101');
  const writesBefore = stack.writes().length;
  await cluster.stop();
  try {
    // A fresh load checks the session first: unavailable, not signed out.
    await page.reload();
    const notice = page.locator('[data-role=unavailable]');
    await notice.waitFor();
    assert.match(await notice.textContent() ?? '', /briefly unavailable/);
    assert.equal(await page.getByLabel('Password').count(), 0, 'no sign-in form');
    assert.equal(await page.locator('h1').count(), 1, 'one h1 in this state too');
    assert.deepEqual(await axeViolations(page), [], 'no serious or critical accessibility violation');
    await screenshot(page, '30-store-unavailable');
    assert.equal(stack.writes().length, writesBefore, 'nothing was sent to Proxmox');
  } finally {
    await cluster.start();
  }
  await page.locator('section.snapshots[aria-busy="false"]').waitFor({ timeout: 30_000 });
  await waitUntil(() => page.locator('[data-role=unavailable]').count(), (n) => n === 0, { what: 'the notice gone' });
  assert.match(await page.locator('.user-name').textContent() ?? '', /Alice/);
});
