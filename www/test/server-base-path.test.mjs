// Behind the host's reverse proxy: the page, the API, the host API and
// sign-on links under a path prefix (--base-path), the cookie's Path
// following it, and frame-ancestors for hosts that frame the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest } from './server-harness.mjs';
import { HOST_KEY, startHostStack } from './host-harness.mjs';
import { launchBrowser, openPage, waitForText } from './helpers/browser.mjs';
import { checkBasePath, checkFrameAncestors } from '../server/panel-server.mjs';

const BASE = '/snapshots';
const FRAMERS = "'self' https://billing.example.net";

test('under --base-path only the prefix is served; the cookie and the CSP follow the settings', async () => {
  const stack = await startHostStack({ serverOptions: { basePath: BASE, frameAncestors: FRAMERS } });
  try {
    const page = await rawRequest(stack.url, 'GET', `${BASE}/`);
    assert.equal(page.status, 200);
    assert.match(page.text, /src="panel\/app\.mjs"/, 'relative asset URLs');
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'self' https:\/\/billing\.example\.net;/);
    assert.equal((await rawRequest(stack.url, 'GET', `${BASE}/panel/app.mjs`)).status, 200);
    assert.equal((await rawRequest(stack.url, 'GET', `${BASE}/pkg/pve_snapshots.js`)).status, 200);
    const bare = await rawRequest(stack.url, 'GET', BASE);
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.location, `${BASE}/`);
    for (const outside of ['/', '/api/session', '/host/v1/ping', `${BASE}x/`, '/snapshot/', `/x${BASE}/`]) {
      assert.equal((await rawRequest(stack.url, 'GET', outside)).status, 404, outside);
    }

    const login = await rawRequest(stack.url, 'POST', `${BASE}/api/login`, {
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-demo' }),
    });
    assert.equal(login.status, 200);
    assert.match(String(login.headers['set-cookie']), /; Path=\/snapshots(;|$)/);

    const ping = await rawRequest(stack.url, 'GET', `${BASE}/host/v1/ping`, { headers: { Authorization: `Bearer ${HOST_KEY}` } });
    assert.equal(ping.status, 200);
  } finally {
    await stack.close();
  }
});

test('a sign-on link under the prefix lands Chromium on the Snapshots page there', async () => {
  const stack = await startHostStack({ serverOptions: { basePath: BASE } });
  const browser = await launchBrowser();
  try {
    stack.config.hostApi.publicUrl = `${stack.url}${BASE}`;
    /** @param {string} method @param {string} path @param {unknown} body */
    const host = (method, path, body) => rawRequest(stack.url, method, `${BASE}/host/v1${path}`, {
      headers: { Authorization: `Bearer ${HOST_KEY}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.equal((await host('PUT', '/products/p3', { maxSnapshots: 3, lifetimeDays: 3 })).status, 200);
    assert.equal((await host('PUT', '/services/501', { customer: { id: '77' }, vmid: 301, product: 'p3' })).status, 201);
    const minted = await host('POST', '/sso', { customerId: '77', serviceId: '501' });
    assert.match(minted.json.url, new RegExp(`^${stack.url}${BASE}/sso/`));

    const { page, context } = await openPage(browser);
    await page.goto(minted.json.url);
    await page.waitForURL(`${stack.url}${BASE}/#/services/501`);
    await page.locator('section.snapshots[aria-busy="false"]').waitFor();
    assert.equal(await waitForText(page.locator('[data-role=quota]'), '0/3'), '0/3');
    const cookies = await context.cookies();
    assert.deepEqual(cookies.map((c) => [c.name, c.path]), [['sid', BASE]]);
    await context.close();
  } finally {
    await browser.close();
    await stack.close();
  }
});

test('bad prefixes and frame-ancestors values are refused before the server starts', () => {
  for (const ok of ['', '/snapshots', '/a/b-c_d.e~f']) checkBasePath(ok);
  for (const bad of ['/', 'snapshots', '/snapshots/', '/a/../b', '/a/./b', '/a b', '/%2e%2e', '/a?b']) {
    assert.throws(() => checkBasePath(bad), /--base-path/, bad);
  }
  for (const ok of ["'self'", "'none'", FRAMERS, 'https://*.example.net:8443']) checkFrameAncestors(ok);
  for (const bad of ["'self'; script-src *", '*', "'none' 'self'", 'javascript:x', "'self',https://x.example"]) {
    assert.throws(() => checkFrameAncestors(bad), /--frame-ancestors/, bad);
  }
});
