// The customer page as a new user meets it, in a real Chromium against the
// real server (with the host API, for a suspended service) and simulator:
// axe-core finds no serious or critical violation in any state (sign-in,
// services, the list in light and dark, a locked VM, the dialog open, empty,
// suspended), the page has exactly one <h1>, a disabled button names its
// reason through aria-describedby, and create, rollback and remove end with
// a visible success message, not only the screen reader's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHostStack } from './host-harness.mjs';
import { launchBrowser, openPage, openService, screenshot, signIn, waitForText, waitUntil } from './helpers/browser.mjs';
import { axeViolations } from './helpers/axe.mjs';

/** @type {Awaited<ReturnType<typeof startHostStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;

before(async () => {
  stack = await startHostStack({ taskDurationMs: 300 });
  browser = await launchBrowser();
  page = (await openPage(browser)).page;
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

/** @param {Awaited<ReturnType<typeof axeViolations>>} violations */
const listed = (violations) => violations.map((v) => `${v.impact} ${v.id}: ${v.help}: ${v.nodes.join(', ')}`).join('\n');

/**
 * The checks every state must pass.
 * @param {import('playwright-core').Page} p
 * @param {string} state
 */
async function accessible(p, state) {
  assert.equal(await p.locator('h1').count(), 1, `${state}: exactly one h1`);
  const violations = await axeViolations(p);
  assert.equal(violations.length, 0, `${state}:\n${listed(violations)}`);
}

/** The text a button's aria-describedby points at. @param {import('playwright-core').Locator} button */
async function description(button) {
  const ids = (await button.getAttribute('aria-describedby'))?.split(/\s+/) ?? [];
  assert.ok(ids.length > 0, 'the button has aria-describedby');
  const texts = [];
  for (const id of ids) texts.push(await page.locator(`[id="${id}"]`).textContent());
  return texts.join(' ');
}

const createButton = () => page.getByRole('button', { name: /Take Snapshot|Creating snapshot/ });
const success = () => page.locator('[data-role=success]');

test('sign-in and the list of services', async () => {
  await page.goto(`${stack.url}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await accessible(page, 'sign-in');
  await signIn(page, stack.url, 'alice', 'alice-demo');
  await waitUntil(() => page.locator('[data-role=services] a').count(), (n) => n === 3, { what: 'three services' });
  await accessible(page, 'services');
});

test('the snapshot list with its history', async () => {
  await openService(page, 'svc-101');
  assert.equal(await page.getByRole('heading', { name: 'History' }).count(), 1);
  await accessible(page, 'list');
});

test('the check can fail: a button without a name, added to the page, is reported', async () => {
  await page.evaluate(() => {
    const b = document.createElement('button');
    b.id = 'axe-probe';
    document.querySelector('main')?.append(b);
  });
  try {
    const found = await axeViolations(page);
    assert.deepEqual(found.map((v) => [v.id, v.impact]), [['button-name', 'critical']]);
    assert.match(listed(found), /#axe-probe/);
  } finally {
    await page.evaluate(() => document.getElementById('axe-probe')?.remove());
  }
});

test('create, rollback and remove each end with a visible success message', async () => {
  await waitUntil(() => createButton().isEnabled(), Boolean, { what: 'Take Snapshot enabled' });
  await page.getByLabel(/Snapshot description/).fill('accessibility check');
  await createButton().click();
  const created = await waitForText(success(), /^Snapshot (snap\S+) created\.$/);
  assert.equal(await success().isVisible(), true);
  const name = /** @type {string} */ (/^Snapshot (snap\S+) created\.$/.exec(created)?.[1]);
  await accessible(page, 'after a create');

  const row = page.locator(`tr[data-snapshot="${name}"]`);
  await waitUntil(() => row.getByRole('button', { name: `Rollback to ${name}` }).isEnabled(), Boolean, { what: 'Rollback enabled' });
  await row.getByRole('button', { name: `Rollback to ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Roll back to ${name}?` });
  await dialog.waitFor();
  await accessible(page, 'rollback dialog open');
  await dialog.getByRole('button', { name: 'Stop server and roll back' }).click();
  await waitForText(success(), `Rolled back to ${name}.`);
  assert.equal(await success().isVisible(), true);

  await waitUntil(() => row.getByRole('button', { name: `Remove ${name}` }).isEnabled(), Boolean, { what: 'Remove enabled' });
  await row.getByRole('button', { name: `Remove ${name}` }).click();
  await page.getByRole('dialog', { name: `Remove ${name}?` }).getByRole('button', { name: 'Remove snapshot' }).click();
  await waitForText(success(), `Snapshot ${name} removed.`);
  assert.equal(await success().isVisible(), true);
  await screenshot(page, '21-success-message');
});

test('a locked VM: every disabled button is described by its reason', async () => {
  await openService(page, 'svc-103');
  assert.equal(await createButton().isDisabled(), true);
  assert.match(await description(createButton()), /locked by a backup/);
  const row = page.locator('tr[data-snapshot="snap20261123T120000"]');
  for (const label of [/^Rollback/, /^Remove/]) {
    const button = row.getByRole('button', { name: label });
    assert.equal(await button.isDisabled(), true);
    assert.match(await description(button), /locked by a backup/);
  }
  await accessible(page, 'locked');
});

test('a quota that is full: the reason names the limit', async () => {
  await openService(page, 'svc-102');
  assert.equal(await createButton().isDisabled(), true);
  assert.match(await description(createButton()), /maximum of 2 snapshots/);
  await openService(page, 'svc-101');
  await waitUntil(() => createButton().isEnabled(), Boolean, { what: 'Take Snapshot enabled' });
  assert.equal(await createButton().getAttribute('aria-describedby'), null, 'an enabled button has no reason to point at');
});

test('the list in the dark colour scheme', async () => {
  const dark = (await openPage(browser, { colorScheme: 'dark' })).page;
  try {
    await signIn(dark, stack.url, 'alice', 'alice-demo');
    await openService(dark, 'svc-101');
    await accessible(dark, 'list, dark');
  } finally {
    await dark.context().close();
  }
});

test('a service with no snapshots', async () => {
  const bob = (await openPage(browser)).page;
  try {
    await signIn(bob, stack.url, 'bob', 'bob-demo');
    await openService(bob, 'svc-202');
    await bob.locator('[data-role=empty]').waitFor();
    await accessible(bob, 'empty');
  } finally {
    await bob.context().close();
  }
});

test('a suspended service, opened through the host\'s sign-on link', async () => {
  assert.equal((await stack.host('PUT', '/products/whmcs-3x3d', { body: { maxSnapshots: 3, lifetimeDays: 3 } })).status, 200);
  const put = await stack.host('PUT', '/services/501', { body: { customer: { id: '77', name: 'Carol Customer' }, vmid: 301, product: 'whmcs-3x3d' } });
  assert.equal(put.status, 201, put.text);
  assert.equal((await stack.host('POST', '/services/501/suspend', { body: { reason: 'Overdue invoice #42' } })).status, 200);
  const link = await stack.host('POST', '/sso', { body: { customerId: '77', serviceId: '501' } });
  assert.equal(link.status, 200, link.text);
  const carol = (await openPage(browser)).page;
  try {
    await carol.goto(link.json.url);
    await carol.locator('section.snapshots[aria-busy="false"]').waitFor();
    await waitForText(carol.locator('[data-role=suspended]'), /Reason: Overdue invoice #42/);
    assert.equal(await carol.getByRole('button', { name: 'Take Snapshot' }).isDisabled(), true);
    await accessible(carol, 'suspended');
    await screenshot(carol, '22-suspended');
  } finally {
    await carol.context().close();
  }
});
