// A keyboard-only pass through the page in a real Chromium: sign in, pick the
// service, take a snapshot, and remove it through the confirmation dialog,
// checking where focus goes and what the live region announces.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './server-harness.mjs';
import { launchBrowser, openPage, screenshot, waitForText, waitUntil } from './helpers/browser.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;

before(async () => {
  stack = await startStack({ taskDurationMs: 400 });
  browser = await launchBrowser();
  ({ page } = await openPage(browser));
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

/** A short description of the focused element. */
const focused = () => page.evaluate(() => {
  const el = /** @type {HTMLElement} */ (document.activeElement);
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.textContent ?? '').trim(),
    label: el.getAttribute('aria-label') ?? '',
    id: el.id,
    service: el.dataset.service ?? '',
    inDialog: Boolean(el.closest('dialog[open]')),
    inCard: Boolean(el.closest('section.snapshots')),
    outline: getComputedStyle(el).outlineStyle,
  };
});

/**
 * Presses Tab until `match` accepts the focused element (at most 30 times).
 * @param {(f: Awaited<ReturnType<typeof focused>>) => boolean} match
 * @param {string} what
 */
async function tabTo(match, what) {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const f = await focused();
    if (match(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

test('sign in and open the service with the keyboard only', async () => {
  await page.goto(stack.url + '/');
  await waitUntil(focused, (f) => f.id === 'login-user', { what: 'focus in the username field' });
  await page.keyboard.type('alice');
  await page.keyboard.press('Tab');
  assert.equal((await focused()).id, 'login-pass');
  await page.keyboard.type('not-her-password');
  await page.keyboard.press('Enter');
  const refusal = page.locator('form.login [role=alert]');
  await waitForText(refusal, 'Username or password is wrong.');
  assert.equal((await focused()).id, 'login-pass', 'focus stays in the password field, its text selected');
  await page.keyboard.type('alice-demo'); // replaces the selected text
  await page.keyboard.press('Enter');
  await page.locator('[data-role=services] a').first().waitFor();
  await tabTo((f) => f.service === 'svc-101', 'the web-alice link');
  await page.keyboard.press('Enter');
  await page.locator('section.snapshots[aria-busy="false"]').waitFor();
  await waitForText(page.locator('[data-role=quota]'), '1/3');
});

test('take a snapshot: Tab to the labelled field, type, Tab to the button, Enter', async () => {
  const field = await tabTo((f) => f.tag === 'input', 'the description field');
  assert.equal(await page.getByLabel('Snapshot description (optional)').getAttribute('id'), field.id, 'the field has its label');
  await page.keyboard.type('keyboard only');
  const button = await tabTo((f) => f.tag === 'button', 'the Take Snapshot button');
  assert.equal(button.text, 'Take Snapshot');
  assert.equal(button.outline, 'solid', 'keyboard focus is visible');
  await page.keyboard.press('Enter');
  await waitForText(page.locator('[data-role=live]'), 'Creating snapshot…');
  await waitForText(page.locator('[data-role=quota]'), '2/3');
  await waitForText(page.locator('[data-role=live]'), /^Snapshot snap\S+ created\.$/);
  assert.ok(stack.sim.vm(101).snapshots.some((s) => s.description === 'keyboard only'));
});

test('remove through the dialog: focus moves in, Escape cancels and returns focus, Tab+Enter confirms', async () => {
  const name = /** @type {string} */ (stack.sim.vm(101).snapshots.find((s) => s.description === 'keyboard only')?.name);
  await page.locator('section.snapshots h1').focus();
  const remove = await tabTo((f) => f.label === `Remove ${name}`, `the Remove button of ${name}`);
  assert.equal(remove.outline, 'solid');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: `Remove ${name}?` });
  await dialog.waitFor();
  let f = await focused();
  assert.equal(f.inDialog, true, 'focus moved into the dialog');
  assert.equal(f.text, 'Cancel', 'the safe choice has focus');
  await screenshot(page, '10-keyboard-remove-dialog');

  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  f = await focused();
  assert.equal(f.label, `Remove ${name}`, 'focus is back on the button that opened the dialog');
  assert.ok(stack.sim.vm(101).snapshots.some((s) => s.name === name), 'Escape removed nothing');

  await page.keyboard.press('Enter');
  await dialog.waitFor();
  await page.keyboard.press('Tab');
  f = await focused();
  assert.equal(f.text, 'Remove snapshot');
  await page.keyboard.press('Enter');
  await waitForText(page.locator('[data-role=live]'), `Snapshot ${name} removed.`);
  await waitForText(page.locator('[data-role=quota]'), '1/3');
  f = await focused();
  assert.equal(f.inCard, true, 'focus stays inside the Snapshots card, not lost to <body>');
  assert.ok(!stack.sim.vm(101).snapshots.some((s) => s.name === name));
});

test('the live region and the quota are exposed to assistive technology', async () => {
  const live = page.locator('[data-role=live]');
  assert.equal(await live.getAttribute('aria-live'), 'polite');
  assert.equal(await live.getAttribute('role'), 'status');
  const meter = page.getByRole('meter', { name: 'Snapshots used' });
  assert.equal(await meter.getAttribute('aria-valuetext'), '1 of 3');
  assert.equal(await meter.getAttribute('aria-valuemax'), '3');
  assert.equal(await page.locator('[data-role=error]').getAttribute('role'), 'alert');
});

test('sign out ends the session on the server too', async () => {
  await page.getByRole('button', { name: 'Sign out' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const status = await page.evaluate(async () => (await fetch('/api/session')).status);
  assert.equal(status, 401);
  assert.equal(await page.locator('section.snapshots').count(), 0, 'the snapshots component was unmounted');
});
