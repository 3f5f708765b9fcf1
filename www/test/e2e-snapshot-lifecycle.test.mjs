// The customer's main path in a real Chromium against the real panel server
// and the Proxmox simulator: sign in, see the quota, take snapshots until the
// quota is full, remove one, roll back with confirmation, and prove that
// nothing the browser received carries the Proxmox token.
import * as core from '../core.mjs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, TOKEN_ID } from './server-harness.mjs';
import {
  countdownSeconds, findLeaks, launchBrowser, openPage, openService, screenshot, signIn, waitForText, waitUntil,
} from './helpers/browser.mjs';

const HOSTILE = '<img src=x onerror=alert(1)>';
const LIFETIME_S = 3 * 86_400; // product vps-s in the demo config
/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {Awaited<ReturnType<typeof openPage>>} */
let rec;
/** @type {import('playwright-core').Page} */
let page;

before(async () => {
  // Tasks long enough that the page's "in progress" state can be seen.
  stack = await startStack({ taskDurationMs: { create: 1200, delete: 800, rollback: 1500 } });
  browser = await launchBrowser();
  rec = await openPage(browser, { timezoneId: 'America/New_York' });
  page = rec.page;
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

const quota = () => page.locator('[data-role=quota]');
const row = (/** @type {string} */ name) => page.locator(`tr[data-snapshot="${name}"]`);
const createButton = () => page.getByRole('button', { name: /Take Snapshot|Creating snapshot/ });
const managedNames = () => stack.sim.vm(101).snapshots.map((s) => s.name).filter((n) => n.startsWith('snap'));

test('alice signs in and sees her services, not bob\'s', async () => {
  await signIn(page, stack.url, 'alice', 'alice-demo');
  const links = page.locator('[data-role=services] a');
  await waitUntil(() => links.count(), (n) => n > 0, { what: 'service links' });
  const names = await links.locator('.service-name').allTextContents();
  assert.deepEqual(names.sort(), ['db-alice', 'mail-alice', 'web-alice']);
  await screenshot(page, '01-services');
});

test('web-alice shows 1/3, the foreign snapshot read-only, RAM marker, local date and the not-backups note', async () => {
  await page.locator('[data-service="svc-101"]').click();
  await page.locator('section.snapshots[aria-busy="false"]').waitFor();
  assert.equal(await waitForText(quota(), '1/3'), '1/3');

  const foreign = row('before-migration');
  assert.match(await foreign.textContent() ?? '', /created by your provider/);
  assert.equal(await foreign.getByRole('button').count(), 0, 'a foreign snapshot offers no actions');
  assert.match(await foreign.locator('.actions').textContent() ?? '', /Read-only/);

  const managed = row('snap20261124T090000');
  assert.equal(await managed.locator('.badge-ram').textContent(), 'RAM');
  assert.equal(await managed.locator('[data-role=description]').textContent(), 'Before PHP upgrade');
  assert.equal(await managed.getByRole('button', { name: 'Rollback to snap20261124T090000' }).isEnabled(), true);

  // Date and time in the viewer's zone (this context runs in New York).
  const snap = stack.sim.vm(101).snapshots.find((s) => s.name === 'snap20261124T090000');
  const expected = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'America/New_York' })
    .format(new Date(/** @type {any} */ (snap).snaptime * 1000));
  assert.equal(await managed.locator('time').textContent(), expected);

  assert.match(await page.locator('[data-role=not-backups]').textContent() ?? '', /Snapshots are not backups/);
  await screenshot(page, '02-snapshots-1of3');
});

test('the countdown matches the server clock and decreases while we watch', async () => {
  const cell = row('snap20261124T090000').locator('[data-role=countdown]');
  const first = countdownSeconds(await cell.textContent());
  assert.ok(first !== null, 'countdown is in "N days HH:MM:SS" form');
  const snap = /** @type {any} */ (stack.sim.vm(101).snapshots.find((s) => s.name === 'snap20261124T090000'));
  const truth = snap.snaptime + LIFETIME_S - stack.sim.clock.now() / 1000;
  assert.ok(Math.abs(/** @type {number} */ (first) - truth) <= 5, `countdown ${first} s vs expected ${truth.toFixed(1)} s`);
  const later = await waitUntil(async () => countdownSeconds(await cell.textContent()), (s) => s !== first, { what: 'the countdown to tick' });
  assert.ok(/** @type {number} */ (later) < /** @type {number} */ (first), `countdown went from ${first} to ${later}`);
});

test('taking a snapshot with an HTML description: progress, then 2/3 and the description shown as text', async () => {
  const before = managedNames();
  await page.getByLabel(/Snapshot description/).fill(HOSTILE);
  await createButton().click();
  // While the task runs the button says so and the live region announces it.
  await waitForText(createButton(), 'Creating snapshot…');
  assert.equal(await createButton().isDisabled(), true);
  assert.equal(await page.locator('[data-role=live]').textContent(), 'Creating snapshot…');
  await screenshot(page, '03-creating');

  await waitForText(quota(), '2/3');
  const added = managedNames().filter((n) => !before.includes(n));
  assert.equal(added.length, 1, `one new snapshot in the simulator: ${added}`);
  const created = row(added[0]);
  await created.waitFor();
  assert.equal(await created.locator('[data-role=description]').textContent(), HOSTILE);
  assert.equal(await page.locator('tbody img').count(), 0, 'the description was not parsed as HTML');
  assert.deepEqual(rec.dialogs, [], 'no alert() fired');
  assert.equal(stack.sim.vm(101).snapshots.find((s) => s.name === added[0])?.description, HOSTILE);
  assert.match(await page.locator('[data-role=live]').textContent() ?? '', new RegExp(`Snapshot ${added[0]} created`));
  assert.equal(await createButton().textContent(), 'Take Snapshot');
  assert.equal(await page.getByLabel(/Snapshot description/).inputValue(), '', 'the field is cleared after success');
  assert.equal(await page.getByLabel(/Snapshot description/).getAttribute('maxlength'), String(core.limits().descriptionChars),
    "the field takes as much as the core allows");
  await screenshot(page, '04-created-2of3');
});

test('a third snapshot fills the quota: the button is disabled and says why', async () => {
  await waitUntil(() => createButton().isEnabled(), Boolean, { what: 'Take Snapshot enabled' });
  await createButton().click();
  await waitForText(quota(), '3/3');
  await waitForText(createButton(), 'Take Snapshot');
  assert.equal(await createButton().isDisabled(), true);
  const reason = page.locator('[data-role=create-reason]');
  assert.equal(await reason.getAttribute('data-code'), 'QUOTA_EXCEEDED');
  assert.match(await reason.textContent() ?? '', /maximum of 3 snapshots/);
  // The reason is tied to the controls for screen readers.
  const describedBy = await page.getByLabel(/Snapshot description/).getAttribute('aria-describedby');
  assert.equal(describedBy, await reason.getAttribute('id'));
  assert.equal(managedNames().length, 3);
  await screenshot(page, '05-quota-full');
});

test('remove asks for confirmation, then frees the quota', async () => {
  const names = managedNames();
  const victim = /** @type {string} */ (names.at(-1));
  await row(victim).getByRole('button', { name: `Remove ${victim}` }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.match(await dialog.textContent() ?? '', /will be deleted/);
  // Cancel first: nothing may happen.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.deepEqual(managedNames(), names);
  assert.equal(stack.writes().filter((r) => r.method === 'DELETE').length, 0);

  await row(victim).getByRole('button', { name: `Remove ${victim}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove snapshot' }).click();
  await waitForText(row(victim).getByRole('button', { name: `Remove ${victim}` }), 'Removing…');
  await waitForText(quota(), '2/3');
  await row(victim).waitFor({ state: 'detached' });
  assert.equal(managedNames().includes(victim), false);
  await waitUntil(() => createButton().isEnabled(), Boolean, { what: 'Take Snapshot enabled again' });
  assert.equal(await page.locator('[data-role=create-reason]').textContent(), '');
});

test('rollback asks for confirmation, stops the VM and starts it again', async () => {
  const target = 'snap20261124T090000'; // has RAM: Proxmox resumes the VM on its own
  assert.equal(stack.sim.vm(101).status, 'running');
  await row(target).getByRole('button', { name: `Rollback to ${target}` }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const text = await dialog.textContent() ?? '';
  assert.match(text, /will be stopped/);
  assert.match(text, /Everything that changed since then .* will be lost/);
  assert.match(text, /resumes running/);
  await screenshot(page, '06-rollback-confirm');

  // Watch the simulator's VM state while the rollback runs.
  /** @type {string[]} */
  const seen = [];
  const watch = setInterval(() => {
    const vm = stack.sim.vm(101);
    const state = `${vm.status}/${vm.lock ?? '-'}`;
    if (seen.at(-1) !== state) seen.push(state);
  }, 5);
  try {
    await dialog.getByRole('button', { name: 'Stop server and roll back' }).click();
    await waitForText(page.locator('[data-role=live]'), `Rolled back to ${target}.`);
  } finally {
    clearInterval(watch);
  }
  assert.ok(seen.includes('stopped/rollback'), `the VM was stopped during the rollback: ${seen.join(' → ')}`);
  assert.equal(seen.at(-1), 'running/-', `the VM runs again afterwards: ${seen.join(' → ')}`);
  const vm = stack.sim.vm(101);
  assert.equal(vm.parent, target, 'the VM is now based on the snapshot');
  const rollbacks = stack.writes().filter((r) => r.path.endsWith(`/snapshot/${target}/rollback`));
  assert.equal(rollbacks.length, 1);
  assert.deepEqual(rec.dialogs, []);
});

test('rollback to a snapshot without RAM passes start=1 when the box stays checked', async () => {
  const name = 'snap20261125T000001';
  stack.sim.addSnapshot(101, { name, ageSeconds: 60, vmstate: 0, description: 'disk only' });
  await page.reload();
  await page.locator('section.snapshots[aria-busy="false"]').waitFor();
  await row(name).getByRole('button', { name: `Rollback to ${name}` }).click();
  const dialog = page.getByRole('dialog');
  const box = dialog.getByLabel('Start the server again after the rollback');
  assert.equal(await box.isChecked(), true, 'checked by default for a running VM');
  await dialog.getByRole('button', { name: 'Stop server and roll back' }).click();
  await waitForText(page.locator('[data-role=live]'), `Rolled back to ${name}.`);
  const sent = stack.writes().filter((r) => r.path.endsWith(`/snapshot/${name}/rollback`));
  assert.equal(sent.length, 1);
  assert.equal(String(/** @type {any} */ (sent[0]).body?.start ?? /** @type {any} */ (sent[0]).query?.start), '1');
  assert.equal(stack.sim.vm(101).status, 'running');
});

test('nothing the browser received contains the Proxmox token or its id, and no API answer a UPID', async () => {
  await rec.settle();
  const api = rec.responses.filter((r) => r.url.includes('/api/'));
  assert.ok(api.length >= 10, `recorded ${api.length} API responses`);
  assert.ok(rec.responses.some((r) => r.url.endsWith('/api/services/svc-101/snapshots') && r.body.includes('snap20261124T090000')),
    'response bodies were really captured');
  assert.ok(rec.responses.some((r) => r.url.endsWith('.wasm')), 'the wasm package was loaded');
  assert.deepEqual(findLeaks(rec.responses, [stack.secret, TOKEN_ID, 'PVEAPIToken']), []);
  // The wasm core contains the literal "UPID:" (it parses them); API answers must not.
  assert.deepEqual(findLeaks(api, ['UPID:']), []);
  assert.deepEqual(rec.errors.filter((e) => !/401 \(Unauthorized\)/.test(e)), [], 'no page errors');
});
