// The operator's reports in a real Chromium: an expiry job run with a failed
// delete is found in Job runs with its events; a customer's actions are found
// in the audit search and exported as CSV; Alerts shows a stuck delete; axe
// reports no serious or critical violation on any of these pages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from './server-harness.mjs';
import { launchBrowser, openPage, screenshot, waitForText } from './helpers/browser.mjs';
import { axeViolations } from './helpers/axe.mjs';
import { DEMO_OPERATOR } from './helpers/admin-client.mjs';
import { parseCsv } from './helpers/csv-reader.mjs';
import { openStore } from '../store/index.mjs';
import { runExpiry } from '../cron/engine.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'pve-e2e-reports-'));
/** @type {import('../store/index.mjs').Store} */
let store;
/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;
const DAY_S = 86_400;

before(async () => {
  store = await openStore({ dataDir: join(tmp, 'data') });
  stack = await startStack({ serverOptions: { store } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.close();
  await store?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * Signs in on /admin and opens a section.
 * @param {import('playwright-core').Page} page
 * @param {string} section
 */
async function openSection(page, section) {
  await page.goto(`${stack.url}/admin/`);
  await page.getByLabel('Username').fill(DEMO_OPERATOR.username);
  await page.getByLabel('Password').fill(DEMO_OPERATOR.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).click();
  await page.getByRole('heading', { level: 1, name: section }).waitFor();
}

/**
 * No script error on the page; the 401 of the session check before sign-in
 * is the browser logging an expected answer.
 * @param {string[]} errors
 */
function assertNoPageErrors(errors) {
  assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), []);
}

/** @param {import('playwright-core').Page} page @param {string} where */
async function assertAccessible(page, where) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations, null, 2)}`);
}

test('the operator finds a failed job run and the events of its failed delete', async () => {
  // Two expired managed snapshots on VM 201; the first delete fails in Proxmox.
  stack.sim.addSnapshot(201, { name: 'snap20261101T010000', ageSeconds: 5 * DAY_S });
  stack.sim.addSnapshot(201, { name: 'snap20261102T010000', ageSeconds: 4 * DAY_S });
  stack.sim.failNextTask(201, 'zfs error: dataset is busy');
  const summary = await runExpiry({ config: stack.config, store, stateDir: join(tmp, 'state') });
  assert.equal(summary.success, false, JSON.stringify(summary, null, 1).slice(0, 3000));
  assert.equal(summary.counts.failed, 1);

  const { page, errors } = await openPage(browser);
  await openSection(page, 'Job runs');
  const row = page.locator(`tr[data-run="${summary.runId}"]`);
  await row.waitFor();
  assert.match(await row.getAttribute('class') ?? '', /attention/);
  assert.equal(await row.locator('td[data-count="failed"]').textContent(), '1');
  assert.match(await row.textContent() ?? '', /failed \(exit 1/);
  await assertAccessible(page, 'job runs');
  await screenshot(page, 'admin-job-runs');

  await row.getByRole('link').click();
  const failed = page.locator('tr[data-event="failed"]');
  await failed.waitFor();
  assert.match(await failed.textContent() ?? '', /snap20261101T010000/);
  assert.match(await failed.textContent() ?? '', /TASK_FAILED/);
  assert.match(await failed.textContent() ?? '', /dataset is busy/);
  assert.ok(await page.locator('tr[data-event="deleted"]').filter({ hasText: 'snap20261102T010000' }).count() === 1);
  // Only the failures.
  await page.getByLabel('Show').selectOption('failed');
  assert.equal(await page.locator('tbody tr[data-event]').count(), 1);
  await assertAccessible(page, 'one job run');
  await screenshot(page, 'admin-job-run');
  assertNoPageErrors(errors);
  await page.context().close();
});

test("the operator finds a customer's actions in the audit search and exports them as CSV", async () => {
  const alice = await stack.browser('alice');
  const created = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: '=cmd|"/c calc" before the upgrade, ünïcode' } });
  assert.equal(created.status, 202, created.text);
  assert.equal((await alice.waitTask('svc-101', created.json.task.id)).json.task.state, 'ok');
  const refused = await alice.send('DELETE', '/api/services/svc-101/snapshots/not-ours', { json: {} });
  assert.equal(refused.status, 404, refused.text);
  const bob = await stack.browser('bob');
  assert.equal((await bob.send('DELETE', '/api/services/svc-201/snapshots/vzdump', { json: {} })).status >= 400, true);

  const { page, errors } = await openPage(browser, { timezoneId: 'Europe/Berlin' });
  await openSection(page, 'Audit');
  await page.getByLabel('Customer').fill('alice');
  await page.getByRole('button', { name: 'Search' }).click();
  await waitForText(page.locator('[data-role="audit-count"]'), /^\d+ entr/);
  const rows = page.locator('table[data-role="audit"] tbody tr[data-entry]');
  const texts = await rows.allTextContents();
  assert.ok(texts.length >= 3, texts.join('\n'));
  assert.ok(texts.every((t) => /alice/.test(t)), 'only alice');
  assert.ok(texts.some((t) => /create/.test(t) && /accepted/.test(t)));
  assert.ok(texts.some((t) => /remove/.test(t) && /refused/.test(t) && /NOT_FOUND/.test(t)));
  assert.ok(!texts.some((t) => /bob/.test(t)));
  // The search is in the address, for a bookmark.
  assert.match(page.url(), /#\/audit\/customer%3Dalice/);
  await assertAccessible(page, 'audit');
  await screenshot(page, 'admin-audit');

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-role="audit-export"]').click()]);
  assert.match(download.suggestedFilename(), /^audit-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
  const file = join(tmp, 'export.csv');
  await download.saveAs(file);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith('\uFEFF'));
  const [header, ...data] = parseCsv(text.slice(1));
  assert.equal(data.length, texts.length);
  const customer = header.indexOf('customer');
  assert.ok(data.every((r) => r[customer] === 'alice'));
  // The customer's own text, neutralised for spreadsheets.
  const description = header.indexOf('description');
  assert.ok(data.some((r) => r[description] === `'=cmd|"/c calc" before the upgrade, ünïcode`), JSON.stringify(data));

  // "From" is the viewer's local time (Berlin, UTC+1 in December): 2099-01-01 00:00 there is 23:00 UTC the day before.
  await page.getByLabel('From', { exact: true }).fill('2099-01-01T00:00');
  await page.getByLabel('To', { exact: true }).fill('2099-01-02T00:00');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('table[data-role="audit"] td.empty').waitFor();
  assert.match(decodeURIComponent(page.url()), /from=2098-12-31T23%3A00%3A00\.000Z&to=2099-01-01T23%3A00%3A00\.000Z/);
  assert.match(await page.locator('[data-role="audit-count"]').textContent() ?? '', /^0 entries/);
  assertNoPageErrors(errors);
  await page.context().close();
});

test('Alerts shows a stuck delete with a link to its service; axe finds nothing serious', async () => {
  stack.sim.addSnapshot(202, { name: 'snap20261103T010000', ageSeconds: DAY_S });
  stack.sim.stuckDelete(202, 'snap20261103T010000');
  const { page, errors } = await openPage(browser);
  await openSection(page, 'Alerts');
  const stuck = page.locator('li[data-alert="stuck-delete"][data-service="svc-202"]');
  await stuck.waitFor();
  assert.match(await stuck.textContent() ?? '', /snap20261103T010000/);
  assert.equal(await stuck.getByRole('link', { name: 'service svc-202' }).count(), 1);
  await assertAccessible(page, 'alerts');
  await screenshot(page, 'admin-alerts');
  assertNoPageErrors(errors);
  await page.context().close();
});
