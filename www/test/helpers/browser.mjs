// Real-browser plumbing for the page tests: the system Chromium driven by
// playwright-core (never a downloaded browser), a page that records every
// response body, dialog and page error, and screenshots under test-results/.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** Flags verified on these machines (TOOLCHAIN.md): root, no GPU, no internet. */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic',
]);

export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../test-results/screenshots/', import.meta.url));

/**
 * Launches the system Chromium.
 * @returns {Promise<import('playwright-core').Browser>}
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS],
    timeout: 30_000,
  });
}

/**
 * @typedef {object} RecordedPage
 * @property {import('playwright-core').BrowserContext} context
 * @property {import('playwright-core').Page} page
 * @property {{url: string, status: number, headers: Record<string, string>, body: string}[]} responses every response the page received
 * @property {string[]} dialogs messages of alert/confirm/prompt dialogs (all dismissed)
 * @property {string[]} errors uncaught page errors and console errors
 * @property {() => Promise<void>} settle waits until every response body has been read
 */

/**
 * Opens a fresh context (own cookies) and page that records what the browser receives.
 * @param {import('playwright-core').Browser} browser
 * @param {{timezoneId?: string, colorScheme?: 'light'|'dark', viewport?: {width: number, height: number}, initScript?: string}} [options]
 * @returns {Promise<RecordedPage>}
 */
export async function openPage(browser, { timezoneId = 'UTC', colorScheme = 'light', viewport = { width: 1100, height: 820 }, initScript } = {}) {
  const context = await browser.newContext({ timezoneId, colorScheme, viewport, locale: 'en-US' });
  context.setDefaultTimeout(15_000);
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  /** @type {RecordedPage['responses']} */
  const responses = [];
  /** @type {Promise<void>[]} */
  const pending = [];
  /** @type {string[]} */
  const dialogs = [];
  /** @type {string[]} */
  const errors = [];
  page.on('response', (res) => {
    pending.push((async () => {
      let body = '';
      try {
        body = (await res.body()).toString('latin1');
      } catch {
        // Redirects and aborted loads have no body.
      }
      responses.push({ url: res.url(), status: res.status(), headers: res.headers(), body });
    })());
  });
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return {
    context,
    page,
    responses,
    dialogs,
    errors,
    async settle() {
      while (pending.length) await Promise.allSettled(pending.splice(0));
    },
  };
}

/**
 * Saves a screenshot to test-results/screenshots/<name>.png.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 * @returns {Promise<string>} the file path
 */
export async function screenshot(page, name) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = `${SCREENSHOT_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Signs in through the login form.
 * @param {import('playwright-core').Page} page
 * @param {string} baseUrl
 * @param {string} username
 * @param {string} password
 */
export async function signIn(page, baseUrl, username, password) {
  await page.goto(baseUrl + '/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /Your services|Snapshots/ }).waitFor();
}

/**
 * Opens one service's Snapshots page and waits until its data is shown.
 * @param {import('playwright-core').Page} page
 * @param {string} serviceId
 */
export async function openService(page, serviceId) {
  await page.evaluate((id) => { location.hash = `#/services/${encodeURIComponent(id)}`; }, serviceId);
  await page.locator('section.snapshots[aria-busy="false"]').waitFor();
}

/**
 * Parses a countdown label `N days HH:MM:SS` into seconds (null if it is not one).
 * @param {string|null} text
 * @returns {number|null}
 */
export function countdownSeconds(text) {
  const m = /^(\d+) days? (\d{2}):(\d{2}):(\d{2})$/.exec((text ?? '').trim());
  return m ? Number(m[1]) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]) : null;
}

/**
 * Polls until `read()` returns a value accepted by `ok`, or fails with the last
 * value seen. The timeout is only a safety net; nothing asserts on time.
 * @template T
 * @param {() => Promise<T> | T} read
 * @param {(value: T) => boolean} ok
 * @param {{timeoutMs?: number, intervalMs?: number, what?: string}} [options]
 * @returns {Promise<T>}
 */
export async function waitUntil(read, ok, { timeoutMs = 20_000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Waits until a locator's trimmed text equals (string) or matches (RegExp) `expected`.
 * @param {import('playwright-core').Locator} locator
 * @param {string|RegExp} expected
 * @returns {Promise<string>}
 */
export function waitForText(locator, expected) {
  return waitUntil(
    async () => ((await locator.textContent({ timeout: 15_000 })) ?? '').trim(),
    (text) => (typeof expected === 'string' ? text === expected : expected.test(text)),
    { what: `text ${expected}` },
  );
}

/**
 * Everything the browser received that contains one of `needles`, as
 * `url: needle` lines (response headers and bodies).
 * @param {RecordedPage['responses']} responses
 * @param {string[]} needles
 * @returns {string[]}
 */
export function findLeaks(responses, needles) {
  const hits = [];
  for (const r of responses) {
    const all = `${JSON.stringify(r.headers)}\n${r.body}`;
    for (const n of needles) if (n && all.includes(n)) hits.push(`${r.url}: ${n}`);
  }
  return hits;
}
