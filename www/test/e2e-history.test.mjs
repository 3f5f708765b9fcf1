// The history on the Snapshots page in a real Chromium (in a time zone that
// is not UTC and not a whole hour off it) against the real server, store and
// simulator: the customer sees their own create, a refusal with its reason,
// and the expiry job's removal, newest first, with times in their own zone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '../core.mjs';
import { openStore } from '../store/index.mjs';
import { runExpiry, EXIT } from '../cron/engine.mjs';
import { startStack } from './server-harness.mjs';
import { launchBrowser, openPage, openService, screenshot, signIn, waitForText, waitUntil } from './helpers/browser.mjs';

const ZONE = 'Asia/Kolkata'; // UTC+05:30: a wrong zone shows other minutes, not only another hour
const DAY_MS = 86_400_000;

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('../store/index.mjs').Store} */
let store;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
/** @type {string} */
let stateDir;

before(async () => {
  store = await openStore({ memory: true });
  stack = await startStack({ taskDurationMs: 300, serverOptions: { store } });
  stateDir = await mkdtemp(join(tmpdir(), 'e2e-history-'));
  browser = await launchBrowser();
  page = (await openPage(browser, { timezoneId: ZONE })).page;
  await signIn(page, stack.url, 'alice', 'alice-demo');
});

after(async () => {
  await browser?.close();
  await stack?.close();
  await store?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const history = () => page.locator('[data-role=history] tbody tr');
const createButton = () => page.getByRole('button', { name: /Take Snapshot|Creating snapshot/ });
const summaries = new Map(core.errorCodes().map((c) => [c.code, c.summary]));

/** The rows as [what, snapshot, detail]. */
async function rows() {
  return history().evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent ?? '')));
}

/** HH:MM in the browser's zone, as the page must show it. @param {number} ms */
const hhmm = (ms) => new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: ZONE }).format(new Date(ms));

test('a new service has an empty history, with a heading', async () => {
  await openService(page, 'svc-101');
  assert.equal(await page.getByRole('heading', { name: 'History' }).count(), 1);
  await waitForText(page.locator('[data-role=history-note]'), 'Nothing has happened here yet.');
  assert.equal(await page.locator('[data-role=history]').isHidden(), true);
});

test('a snapshot the customer takes appears first, with its description and the local time', async () => {
  await page.getByLabel(/Snapshot description/).fill('before the shop release');
  await createButton().click();
  await waitUntil(() => history().count(), (n) => n === 1, { what: 'one history row' });
  const [[what, snapshot, detail]] = await rows();
  const name = stack.sim.vm(101).snapshots.map((s) => s.name).filter((n) => n.startsWith('snap')).sort().at(-1);
  assert.equal(snapshot, name);
  assert.equal(what, 'Taken by you');
  assert.equal(detail, 'Description: before the shop release');

  const [entry] = (await store.auditLog({ serviceId: 'svc-101' })).filter((e) => e.outcome === 'ok');
  const time = history().first().locator('time');
  assert.equal(await time.getAttribute('datetime'), new Date(entry.at).toISOString());
  const shown = await time.textContent() ?? '';
  assert.ok(shown.endsWith(hhmm(entry.at)), `"${shown}" ends with ${hhmm(entry.at)} (${ZONE})`);
  assert.notEqual(hhmm(entry.at), new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' }).format(new Date(entry.at)));
});

test('a refusal shows with the core\'s reason, newest first', async () => {
  await waitUntil(() => createButton().isEnabled(), Boolean, { what: 'Take Snapshot enabled' });
  stack.sim.setLock(101, 'backup');
  try {
    await createButton().click();
    await waitUntil(() => history().count(), (n) => n === 2, { what: 'the refusal in the history' });
  } finally {
    stack.sim.setLock(101, null);
  }
  const [[what, snapshot, detail], [older]] = await rows();
  assert.equal(what, 'Taking a snapshot was refused');
  assert.equal(snapshot, '—');
  assert.equal(detail, `Reason: ${summaries.get('VM_LOCKED')}`);
  assert.equal(older, 'Taken by you');
});

test('the expiry job\'s removal shows as "removed because its lifetime ended" after a refresh', async () => {
  const config = { ...stack.config, job: { ...stack.config.job, stateDir } };
  // Two and a half days on, the demo's day-old snapshot (lifetime 3 days) has expired.
  const summary = await runExpiry({ config, store, service: 'svc-101', stateDir, now: stack.sim.clock.now() + 2.5 * DAY_MS });
  assert.equal(summary.exitCode, EXIT.OK, JSON.stringify(summary.error));
  assert.equal(summary.counts.deleted, 1);
  await page.reload();
  await page.locator('section.snapshots[aria-busy="false"]').waitFor();
  await waitUntil(() => history().count(), (n) => n === 3, { what: 'the job\'s removal in the history' });
  const [[what, snapshot, detail]] = await rows();
  assert.equal(what, 'Removed because its lifetime ended');
  assert.equal(snapshot, 'snap20261124T090000');
  assert.equal(detail, 'Description: Before PHP upgrade');
  await screenshot(page, '20-history');
});

test('another customer\'s history is not reachable', async () => {
  const status = await page.evaluate(async () => (await fetch('api/services/svc-201/history')).status);
  assert.equal(status, 404);
});
