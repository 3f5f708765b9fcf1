// The server's security settings as a real browser (system Chromium) applies
// them: the CSP lets the wasm core load but no inline script run, the session
// cookie is out of reach of scripts, and another origin's page cannot make
// the panel act.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack } from './server-harness.mjs';
import { launchBrowser, openPage } from './helpers/browser.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {http.Server} */
let evil;
let evilUrl = '';

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  // Another origin (other port) whose page tries to use the panel's session.
  evil = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><body>
      <form id="f" method="POST" action="${stack.url}/api/services/svc-101/snapshots" enctype="text/plain">
        <input name='{"description":"csrf","x":"' value='"}'></form>
      <script>
        window.fetchResult = fetch(${JSON.stringify(`${stack.url}/api/services/svc-101/snapshots`)}, {
          method: 'POST', credentials: 'include', headers: {'Content-Type': 'application/json'}, body: '{}'
        }).then((r) => 'status ' + r.status, (e) => 'blocked: ' + e.message);
      </script></body></html>`);
  });
  await new Promise((resolve) => evil.listen(0, '127.0.0.1', () => resolve(undefined)));
  evilUrl = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (evil.address()).port}`;
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => (evil ? evil.close(() => resolve(undefined)) : resolve(undefined)));
  evil?.closeAllConnections();
  await stack?.close();
});

/** @param {import('playwright-core').Page} page */
async function signInByApi(page) {
  return page.evaluate(async () => {
    const r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-demo' }) });
    return { status: r.status, csrf: (await r.json()).csrfToken, cookie: document.cookie };
  });
}

test('under the CSP the wasm core loads and runs, but injected inline script does not', async () => {
  const { page, context, errors } = await openPage(browser);
  try {
    await page.goto(`${stack.url}/`);
    const result = await page.evaluate(async () => {
      const core = await import('/pkg/pve_snapshots.js');
      await core.default();
      const policy = core.validatePolicy({ maxSnapshots: 3, lifetimeDays: 3 });
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.body.append(s);
      return { prefix: policy.namePrefix, inlineRan: /** @type {any} */ (window).__inlineRan === true };
    });
    assert.deepEqual(result, { prefix: 'snap', inlineRan: false });
    assert.ok(errors.some((e) => /Content Security Policy/.test(e)), `the inline script was refused by the CSP: ${errors.join('\n')}`);
    assert.ok(!errors.some((e) => /CompileError|WebAssembly\.|application\/wasm/.test(e)), errors.join('\n'));
  } finally {
    await context.close();
  }
});

test('the session cookie is invisible to page scripts, and the API works same-origin with the CSRF token', async () => {
  const { page, context } = await openPage(browser);
  try {
    await page.goto(`${stack.url}/`);
    const login = await signInByApi(page);
    assert.equal(login.status, 200);
    assert.doesNotMatch(login.cookie, /sid=/);
    const status = await page.evaluate(async (csrf) => {
      const r = await fetch('/api/services/svc-202/snapshots', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: '{}' });
      return r.status;
    }, login.csrf);
    assert.equal(status, 404, 'bob\'s service, same-origin: still not alice\'s');
  } finally {
    await context.close();
  }
});

test('a page on another origin cannot make the signed-in customer act (form post and fetch)', async () => {
  const { page, context } = await openPage(browser);
  try {
    await page.goto(`${stack.url}/`);
    assert.equal((await signInByApi(page)).status, 200);
    const writes = stack.writes().length;
    const seen = stack.sim.requests.length;

    const evilPage = await context.newPage();
    /** @type {number[]} */
    const answers = [];
    evilPage.on('response', (r) => { if (r.url().startsWith(stack.url)) answers.push(r.status()); });
    await evilPage.goto(`${evilUrl}/`);
    const fetched = await evilPage.evaluate(() => /** @type {any} */ (window).fetchResult);
    assert.match(fetched, /^blocked/, 'no CORS: the browser refuses the cross-origin JSON POST');
    await Promise.all([evilPage.waitForURL(`${stack.url}/**`), evilPage.evaluate(() => /** @type {HTMLFormElement} */ (document.getElementById('f')).submit())]);
    assert.deepEqual(answers.filter((s) => s !== 405), [403], `the form post is refused: ${answers}`);
    assert.equal(stack.writes().length, writes);
    assert.equal(stack.sim.requests.length, seen, 'nothing reached Proxmox');
  } finally {
    await context.close();
  }
});
