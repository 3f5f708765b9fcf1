// The operator's page in a real Chromium against the simulator: sign in,
// the fleet, every section reachable from the navigation, and axe-core's
// rules on each page (no serious or critical violation).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './server-harness.mjs';
import { findLeaks, launchBrowser, openPage, screenshot } from './helpers/browser.mjs';
import { axeViolations } from './helpers/axe.mjs';
import { DEMO_OPERATOR } from './helpers/admin-client.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('./helpers/browser.mjs').RecordedPage} */
let rec;

before(async () => {
  stack = await startStack({ taskDurationMs: 300 });
  browser = await launchBrowser();
  rec = await openPage(browser, { viewport: { width: 1360, height: 900 } });
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

/** @param {string} where */
async function assertAccessible(where) {
  assert.deepEqual(await axeViolations(rec.page), [], `axe on ${where}`);
}

test('the sign-in page loads for anyone, is accessible, and refuses a customer', async () => {
  const { page } = rec;
  await page.goto(`${stack.url}/admin`);
  await page.getByRole('heading', { level: 1, name: 'Operator sign-in' }).waitFor();
  await assertAccessible('the sign-in page');
  // The check can fail: an unlabelled field is a critical violation.
  await page.evaluate(() => document.querySelector('form')?.append(Object.assign(document.createElement('input'), { id: 'probe' })));
  assert.deepEqual((await axeViolations(page)).map((v) => v.id), ['label']);
  await page.evaluate(() => document.getElementById('probe')?.remove());
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('alice-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
});

test('an operator signs in and sees the fleet; every section is reachable and accessible', async () => {
  const { page } = rec;
  await page.getByLabel('Username').fill(DEMO_OPERATOR.username);
  await page.getByLabel('Password').fill(DEMO_OPERATOR.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor();
  await page.locator('[aria-busy="false"] table[data-role="fleet"]').waitFor();
  assert.equal(await page.locator('table[data-role="fleet"] tbody tr').count(), 5);
  assert.equal(await page.locator('h1').count(), 1);
  await assertAccessible('the fleet');
  for (const name of ['Job runs', 'Audit', 'Alerts', 'Fleet']) {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    assert.equal(await page.locator('h1').count(), 1, name);
    await page.locator('[aria-busy="true"]').waitFor({ state: 'detached' });
    await assertAccessible(`the ${name} section`);
  }
});

test('the fleet filters and sorts in the page', async () => {
  const { page } = rec;
  await page.locator('[aria-busy="false"] table[data-role="fleet"]').waitFor();
  await page.getByLabel('Search').fill('bob');
  await page.getByRole('status').filter({ hasText: /^2 of 5 services/ }).waitFor();
  await page.getByLabel('Search').fill('');
  await page.getByRole('button', { name: 'VM' }).click();
  const first = await page.locator('table[data-role="fleet"] tbody tr td:nth-child(3)').first().textContent();
  assert.equal(first, 'VM 101');
  await page.getByRole('button', { name: /VM/ }).click();
  const firstDesc = await page.locator('table[data-role="fleet"] tbody tr td:nth-child(3)').first().textContent();
  assert.equal(firstDesc, 'CT 202');
  assert.equal(await page.locator('th[aria-sort="descending"]').count(), 1);
});

test('an operator finds a stuck delete, opens the service, and removes a snapshot on a customer\'s behalf', async () => {
  const { page } = rec;
  stack.sim.stuckDelete(201, 'snap20261125T010000');
  await page.goto(`${stack.url}/admin/#/fleet`);
  // The same URL as before: only a reload reads the fleet again.
  await page.reload();
  await page.locator('[aria-busy="false"] table[data-role="fleet"]').waitFor();
  await page.getByLabel('Show').selectOption('stuck');
  await page.getByRole('status').filter({ hasText: /^1 of 5 services · 1 stuck delete$/ }).waitFor();
  const row = page.locator('table[data-role="fleet"] tbody tr');
  assert.equal(await row.count(), 1);
  assert.match(String(await row.textContent()), /snap20261125T010000/);
  await row.getByRole('link', { name: 'shop-bob' }).click();
  await page.getByRole('heading', { level: 1, name: 'Service shop-bob' }).waitFor();
  await page.locator('tr[data-snapshot="snap20261125T010000"]').getByText('stuck delete').waitFor();
  await assertAccessible('a service with a stuck delete');

  await page.getByRole('link', { name: '← Fleet' }).click();
  await page.locator('[aria-busy="false"] table[data-role="fleet"]').waitFor();
  await page.getByLabel('Show').selectOption('');
  await page.getByRole('status').filter({ hasText: /^5 of 5 services · 1 stuck delete$/ }).waitFor();
  await screenshot(page, 'admin-fleet');
  await page.getByRole('link', { name: 'web-alice' }).click();
  await page.getByRole('heading', { level: 1, name: 'Service web-alice' }).waitFor();
  await page.locator('[aria-busy="false"] table[data-role="snapshots"]').waitFor();
  // The foreign snapshot has no button; the managed one has.
  assert.equal(await page.locator('tr[data-snapshot="before-migration"] button').count(), 0);
  await page.getByRole('button', { name: 'Remove snap20261124T090000' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove snap20261124T090000?' });
  await dialog.waitFor();
  await assertAccessible('the confirmation');
  await dialog.getByRole('button', { name: 'Remove snapshot' }).click();
  await page.locator('.ok-message').filter({ hasText: 'Removed snap20261124T090000 on behalf of Alice (demo).' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'ok-message', 'focus on the result');
  await page.getByRole('status').filter({ hasText: 'Removed snap20261124T090000 on behalf of Alice (demo).' }).waitFor({ state: 'attached' });
  await page.locator('[aria-busy="false"] table[data-role="snapshots"]').waitFor();
  assert.equal(await page.locator('tr[data-snapshot="snap20261124T090000"]').count(), 0);
  const history = page.locator('table[data-role="history"] tbody tr');
  const cells = await history.evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(cells.filter((c) => c[2] === 'snap20261124T090000').map((c) => [c[1], c[4]]), [
    ['Removed by operator admin', 'ok'],
  ]);
  await assertAccessible('the service detail after the removal');
  await screenshot(page, 'admin-service');
});

test('no page the operator saw carried the Proxmox token or a UPID; no page errors', async () => {
  await rec.settle();
  assert.deepEqual(findLeaks(rec.responses, [stack.secret, 'UPID:']), []);
  assert.deepEqual(rec.errors.filter((e) => !/status of 40[14]/.test(e)), []);
});
