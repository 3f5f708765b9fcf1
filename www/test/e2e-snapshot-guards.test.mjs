// What the page refuses and why, in a real Chromium against the real server
// and simulator: locked VMs, ZFS rollback order, failed Proxmox tasks, another
// customer's service, and a client clock that is days off.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './server-harness.mjs';
import {
  countdownSeconds, launchBrowser, openPage, openService, screenshot, signIn, waitForText, waitUntil,
} from './helpers/browser.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {Awaited<ReturnType<typeof openPage>>} */
let rec;
/** @type {import('playwright-core').Page} */
let page;

before(async () => {
  stack = await startStack({ taskDurationMs: 300 });
  browser = await launchBrowser();
  rec = await openPage(browser);
  page = rec.page;
  await signIn(page, stack.url, 'alice', 'alice-demo');
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

const row = (/** @type {string} */ name) => page.locator(`tr[data-snapshot="${name}"]`);
const createButton = () => page.getByRole('button', { name: /Take Snapshot|Creating snapshot/ });
const alertBox = () => page.locator('[data-role=error]');

test('a VM locked by a backup disables every action and says so', async () => {
  await openService(page, 'svc-103');
  assert.equal(await createButton().isDisabled(), true);
  const reason = page.locator('[data-role=create-reason]');
  assert.equal(await reason.getAttribute('data-code'), 'VM_LOCKED');
  assert.match(await reason.textContent() ?? '', /locked by a backup/);
  const r = row('snap20261123T120000');
  assert.equal(await r.getByRole('button', { name: /^Rollback/ }).isDisabled(), true);
  assert.equal(await r.getByRole('button', { name: /^Remove/ }).isDisabled(), true);
  assert.match(await r.locator('[data-role=row-reason]').textContent() ?? '', /locked by a backup/);
  assert.match(await page.locator('[data-role=service]').textContent() ?? '', /locked \(backup\)/);
  await screenshot(page, '07-vm-locked-backup');
});

test('a lock that appears after the page loaded: the server refuses, the page explains and updates', async () => {
  await openService(page, 'svc-101');
  await waitUntil(() => createButton().isEnabled(), Boolean, { what: 'Take Snapshot enabled' });
  stack.sim.setLock(101, 'backup');
  try {
    await createButton().click();
    await waitUntil(() => alertBox().isVisible(), Boolean, { what: 'the error box' });
    const text = await alertBox().textContent() ?? '';
    assert.match(text, /The snapshot was not taken\./);
    assert.match(text, /busy with another operation/);
    assert.match(text, /Details: /, 'the server message is kept as the detail');
    // The page re-read the state: now the button is disabled with the reason.
    await waitForText(page.locator('[data-role=create-reason]'), /locked by a backup/);
    assert.equal(await createButton().isDisabled(), true);
    assert.equal(stack.writes().filter((w) => w.path.includes('/101/')).length, 0, 'nothing was sent to Proxmox');
  } finally {
    stack.sim.setLock(101, null);
  }
});

test('Proxmox\'s reason is shown when a task fails', async () => {
  await page.reload();
  await page.locator('section.snapshots[aria-busy="false"]').waitFor();
  await waitUntil(() => createButton().isEnabled(), Boolean, { what: 'Take Snapshot enabled after unlock' });
  const before = stack.sim.vm(101).snapshots.length;
  stack.sim.failNextTask(101, 'snapshot feature is not available');
  await createButton().click();
  await waitForText(page.locator('[data-role=live]'), /Creating the snapshot failed\./);
  const text = await alertBox().textContent() ?? '';
  assert.match(text, /Creating the snapshot failed\./);
  assert.match(text, /Reason reported by Proxmox: snapshot feature is not available/);
  assert.equal(stack.sim.vm(101).snapshots.length, before);
  await waitForText(page.locator('[data-role=quota]'), '1/3');
  await waitUntil(() => createButton().isEnabled(), Boolean, { what: 'Take Snapshot enabled after the failure' });
  await screenshot(page, '08-task-failed');
});

test('on ZFS-like storage only the newest snapshot can be rolled back to', async () => {
  await openService(page, 'svc-102');
  const older = row('snap20261121T080000');
  const newest = row('snap20261124T200000');
  assert.equal(await older.getByRole('button', { name: /^Rollback/ }).isDisabled(), true);
  assert.equal(await older.locator('[data-role=row-reason]').getAttribute('data-code'), 'ROLLBACK_NOT_LATEST');
  assert.match(await older.locator('[data-role=row-reason]').textContent() ?? '', /only roll back to the newest snapshot/);
  assert.equal(await older.getByRole('button', { name: /^Remove/ }).isEnabled(), true);
  assert.equal(await newest.getByRole('button', { name: /^Rollback/ }).isEnabled(), true);
  // 2/2 on this product.
  assert.equal(await page.locator('[data-role=quota]').textContent(), '2/2');
  await screenshot(page, '09-zfs-latest-only');
});

test('bob\'s service is unreachable for alice, in the page and through the API', async () => {
  await page.evaluate(() => { location.hash = '#/'; });
  const links = page.locator('[data-role=services] a');
  await waitUntil(() => links.count(), (n) => n === 3, { what: 'alice\'s three services' });
  assert.equal(await page.getByText('shop-bob').count(), 0);

  await openService(page, 'svc-201');
  await waitUntil(() => alertBox().isVisible(), Boolean, { what: 'the not-found message' });
  assert.match(await alertBox().textContent() ?? '', /could not be found/);
  assert.equal(await page.locator('tr[data-snapshot]').count(), 0);
  const body = await page.locator('body').textContent() ?? '';
  assert.doesNotMatch(body, /shop-bob|snap20261125T010000|Before shop release/);
  assert.equal(await createButton().isDisabled(), true);

  // The same session asking the API directly, CSRF token included.
  const answers = await page.evaluate(async () => {
    const { csrfToken } = await (await fetch('/api/session')).json();
    const headers = { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken };
    const calls = [
      ['GET', '/api/services/svc-201/snapshots'],
      ['POST', '/api/services/svc-201/snapshots', '{}'],
      ['POST', '/api/services/svc-201/snapshots/snap20261125T010000/rollback', '{}'],
      ['DELETE', '/api/services/svc-201/snapshots/snap20261125T010000'],
      ['GET', '/api/services/svc-202/snapshots'],
    ];
    const out = [];
    for (const [method, url, body] of calls) {
      const r = await fetch(url, { method, headers, body });
      out.push({ method, url, status: r.status, body: await r.text() });
    }
    return out;
  });
  for (const a of answers) {
    assert.equal(a.status, 404, `${a.method} ${a.url}`);
    assert.equal(JSON.parse(a.body).error.code, 'NOT_FOUND');
    assert.doesNotMatch(a.body, /shop-bob|ct-bob|201|202/);
  }
  assert.equal(stack.writes().filter((w) => /\/(201|202)\//.test(w.path)).length, 0, 'no Proxmox call for bob\'s VMs');
  assert.equal(stack.sim.vm(201).snapshots.length, 1);
});

test('a client clock two days off does not skew the countdown (server time is used)', async () => {
  const skewMs = -2 * 86_400_000 + 4321;
  const skewed = await openPage(browser, {
    timezoneId: 'Asia/Kolkata',
    initScript: `{ const real = Date.now; Date.now = () => real() + (${skewMs}); }`,
  });
  try {
    await signIn(skewed.page, stack.url, 'alice', 'alice-demo');
    await openService(skewed.page, 'svc-101');
    const pageNow = await skewed.page.evaluate(() => Date.now());
    assert.ok(Math.abs(pageNow - skewMs - Date.now()) < 60_000, 'the page really runs with a skewed clock');
    const cell = skewed.page.locator('tr[data-snapshot="snap20261124T090000"] [data-role=countdown]');
    const shown = countdownSeconds(await cell.textContent());
    const snap = /** @type {any} */ (stack.sim.vm(101).snapshots.find((s) => s.name === 'snap20261124T090000'));
    const truth = snap.snaptime + 3 * 86_400 - stack.sim.clock.now() / 1000;
    assert.ok(shown !== null && Math.abs(shown - truth) <= 5, `countdown ${shown} s vs expected ${truth.toFixed(1)} s`);
  } finally {
    await skewed.context.close();
  }
});

test('a reload while a task runs picks the task up again and finishes it', async () => {
  await openService(page, 'svc-101');
  await waitUntil(() => createButton().isEnabled(), Boolean, { what: 'Take Snapshot enabled' });
  const before = stack.sim.vm(101).snapshots.length;
  stack.sim.setTaskDuration({ create: 2500 });
  try {
    await createButton().click();
    await waitForText(createButton(), 'Creating snapshot…');
    await page.reload();
    await page.locator('section.snapshots[aria-busy="false"]').waitFor();
    // The server's activeTask brings the progress back, with actions held.
    await waitForText(createButton(), 'Creating snapshot…');
    assert.equal(await createButton().isDisabled(), true);
    assert.equal(await row('snap20261124T090000').getByRole('button', { name: /^Rollback/ }).isDisabled(), true);
    assert.match(await page.locator('[data-role=progress]').textContent() ?? '', /Creating snapshot…/);
    await waitForText(page.locator('[data-role=quota]'), '2/3');
    await waitForText(createButton(), 'Take Snapshot');
    assert.equal(stack.sim.vm(101).snapshots.length, before + 1);
    assert.equal(stack.writes().filter((w) => w.method === 'POST' && w.path.endsWith('/101/snapshot')).length, 2,
      'one create for the failed task above, one here: the reload did not send another');
  } finally {
    stack.sim.setTaskDuration({ create: 300 });
  }
});

test('an unfinished snapshot operation (snapstate) holds every action and says why', async () => {
  // Support is taking a snapshot in Proxmox right now (a foreign name, so the quota stays 2/3).
  const name = 'support-copy';
  stack.sim.addSnapshot(101, { name, ageSeconds: 5, snapstate: 'prepare', description: 'half made' });
  await page.reload();
  await page.locator('section.snapshots[aria-busy="false"]').waitFor();
  const reason = page.locator('[data-role=create-reason]');
  assert.equal(await reason.getAttribute('data-code'), 'SNAPSHOT_BUSY');
  assert.match(await reason.textContent() ?? '', /Another snapshot operation is still running/);
  assert.equal(await createButton().isDisabled(), true);
  assert.equal(await row(name).locator('.badge-busy').textContent(), 'being created');
  const managed = row('snap20261124T090000');
  assert.equal(await managed.getByRole('button', { name: /^Remove/ }).isDisabled(), true);
  assert.equal(await managed.getByRole('button', { name: /^Rollback/ }).isDisabled(), true);
  assert.match(await managed.locator('[data-role=row-reason]').textContent() ?? '', /Another snapshot operation is still running/);
  await screenshot(page, '15-snapshot-busy');
});

test('a session that ended elsewhere sends the page back to sign-in, and nothing is sent to Proxmox', async () => {
  await openService(page, 'svc-103');
  const writes = stack.writes().length;
  // Another tab signs out: this page's session and CSRF token are now dead.
  await page.evaluate(async () => {
    const { csrfToken } = await (await fetch('/api/session')).json();
    await fetch('/api/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrfToken } });
  });
  await page.evaluate(() => { location.hash = '#/services/svc-101'; });
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.match(await page.locator('form.login [role=alert]').textContent() ?? '', /session has ended/);
  assert.equal(stack.writes().length, writes);
});

test('the page produced no script errors and no dialogs', async () => {
  assert.deepEqual(rec.dialogs, []);
  // 401 before sign-in and 404/409 answers tested above are expected network errors.
  assert.deepEqual(rec.errors.filter((e) => !/status of (401|404|409)/.test(e)), []);
});
