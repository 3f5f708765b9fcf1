// The WHMCS provisioning module (integrations/whmcs), run with Debian's php
// CLI and a stub of the WHMCS functions it calls: syntax, the shapes WHMCS
// expects, the mapping from WHMCS's params to the host API's ids, and that
// the host key never reaches the module log except as a value to mask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { callModule, php, phpFiles, whmcsParams } from './whmcs-php.mjs';
import { HOST_KEY, startHostStack } from './host-harness.mjs';
import { rawRequest } from './server-harness.mjs';
import { launchBrowser, openPage, waitForText, waitUntil } from './helpers/browser.mjs';

const KEY = 'pvesnap_test_0123456789abcdefghijklmnopqrstuvwxyzABCDEF';

/** A loopback port nobody listens on (bound, then closed). */
async function deadPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return port;
}

/**
 * The key (and any other secret) may reach logModuleCall only in
 * replaceVars, and is masked in what WHMCS would store.
 * @param {import('./whmcs-php.mjs').PhpCall} call
 * @param {string[]} secrets
 */
function assertMasked(call, secrets) {
  assert.ok(call.log.length > 0, 'every call is logged');
  for (const entry of call.log) {
    assert.equal(entry.module, 'pvesnapshots');
    for (const secret of secrets) {
      assert.ok(entry.replaceVars.includes(secret), `${entry.action}: the secret is passed to logModuleCall for masking`);
      for (const part of [entry.request, entry.response, entry.data, ...entry.stored]) {
        assert.ok(!JSON.stringify(part).includes(secret), `${entry.action}: a secret reached the log: ${JSON.stringify(part)}`);
      }
    }
  }
}

test('php -l passes on every PHP file, and each module file refuses direct access', async () => {
  const files = await phpFiles();
  assert.ok(files.length >= 5, `found ${files.length} PHP files`);
  for (const file of files) {
    const { code, stdout } = await php(['-l', file]);
    assert.equal(code, 0, `${file}: ${stdout}`);
  }
  for (const file of files.filter((f) => f.includes('/modules/'))) {
    const { stdout } = await php([file]);
    assert.equal(stdout.trim(), 'This file cannot be accessed directly', file);
  }
});

test('MetaData and ConfigOptions have the shapes WHMCS reads, in a fixed order', async () => {
  const meta = (await callModule('MetaData')).result;
  assert.equal(meta.APIVersion, '1.1');
  assert.equal(meta.RequiresServer, true);
  assert.equal(meta.ServiceSingleSignOnLabel, 'Manage snapshots');
  assert.equal(meta.AdminSingleSignOnLabel, 'Open operator view');

  const options = (await callModule('ConfigOptions')).result;
  // WHMCS stores the values by position (configoption1…): the order is part of the contract.
  assert.deepEqual(Object.keys(options), ['maxSnapshots', 'lifetimeDays', 'includeRam', 'rollbackLatestOnly', 'vmidField']);
  for (const [key, field] of Object.entries(options)) {
    assert.ok(['text', 'password', 'yesno', 'dropdown', 'radio', 'textarea'].includes(field.Type), key);
    assert.equal(typeof field.FriendlyName, 'string', key);
    assert.ok(field.Description.length > 10, key);
  }
  assert.deepEqual(Object.keys(options.lifetimeDays.Options), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  assert.equal(options.vmidField.Default, 'vmid');
});

test('the mapping: WHMCS ids as strings, the policy as a product, the VMID from any of its three places', async () => {
  const base = whmcsParams({ url: 'https://panel.example.net/snapshots', key: KEY, vmid: 101,
    options: { configoption1: '5', configoption2: '7', configoption3: 'on' } });
  const own = (await callModule('serviceBody', { params: base })).result;
  assert.deepEqual(own, {
    customer: { id: '77', name: 'Carol Customer', email: 'carol@example.net' },
    vmid: 101, product: 'whmcs-5x7d-ram', label: 'vps501.example.net',
  });

  // A service property (WHMCS keeps those in custom fields of the service).
  const property = (await callModule('serviceBody', { params: { ...base, customfields: {} }, properties: { vmid: '202' } })).result;
  assert.equal(property.vmid, 202);

  // Addon mode: the parent service's custom field, read through Capsule.
  const rows = [
    { relid: 501, fieldname: 'hostname', value: 'x' },
    { relid: 999, fieldname: 'vmid', value: '999' },
    { relid: 501, fieldname: 'VMID|Proxmox VM', value: ' 303 ' },
  ];
  const addon = await callModule('serviceBody', { params: { ...base, customfields: {}, configoption5: 'vmid' }, rows });
  assert.equal(addon.result.vmid, 303);
  assert.equal(addon.queries.length, 1);
  assert.deepEqual(addon.queries[0].wheres.find((/** @type {any[]} */ w) => w[0] === 'tblcustomfieldsvalues.relid'), ['tblcustomfieldsvalues.relid', '=', '501']);

  // A custom field name chosen by the admin.
  const named = await callModule('serviceBody', { params: { ...base, configoption5: 'proxmox_id', customfields: { proxmox_id: '404' } } });
  assert.equal(named.result.vmid, 404);

  /** @type {Array<[object, RegExp]>} */
  const bad = [
    [{ customfields: {} }, /has no VMID yet: fill in its "vmid" field/],
    [{ customfields: { vmid: 'abc' } }, /holds "abc", not a Proxmox VMID/],
    [{ customfields: { vmid: '99' } }, /not a Proxmox VMID \(100 to 999999999\)/],
    [{ configoption1: 'lots' }, /"Maximum snapshots" must be a whole number from 0 to 100/],
    [{ configoption1: '101' }, /"Maximum snapshots" must be a whole number from 0 to 100/],
    [{ configoption2: '11' }, /"Snapshot lifetime" must be 1 to 10 days/],
    [{ userid: '', clientsdetails: {} }, /no client id/],
  ];
  for (const [change, message] of bad) {
    const { result } = await callModule('serviceBody', { params: { ...base, ...change } });
    assert.match(result.error, message, JSON.stringify(change));
  }
});

test('an unreachable panel: every function answers WHMCS in its documented shape, with the key masked', async () => {
  const params = whmcsParams({ url: `http://127.0.0.1:${await deadPort()}`, key: KEY, vmid: 101 });
  for (const fn of ['CreateAccount', 'ChangePackage', 'SuspendAccount', 'UnsuspendAccount', 'TerminateAccount']) {
    const call = await callModule(fn, { params });
    assert.match(call.result, /^cannot reach the pve-snapshots panel at http:\/\/127\.0\.0\.1:\d+: /, fn);
    assertMasked(call, [KEY]);
  }
  const testConnection = await callModule('TestConnection', { params });
  assert.equal(testConnection.result.success, false);
  assert.match(testConnection.result.error, /cannot reach/);
  assertMasked(testConnection, [KEY]);

  const sso = await callModule('ServiceSingleSignOn', { params });
  assert.equal(sso.result.success, false);
  assert.match(sso.result.errorMsg, /cannot reach/);
  assertMasked(sso, [KEY]);

  assert.deepEqual((await callModule('AdminServicesTabFields', { params })).result, []);
  const area = (await callModule('ClientArea', { params })).result;
  assert.equal(area.tabOverviewModuleOutputTemplate, 'templates/clientarea.tpl');
  assert.equal(area.templateVariables.available, false);
  assert.equal(area.templateVariables.ssoUrl, 'clientarea.php?action=productdetails&id=501&dosinglesignon=1');
});

test('a server record without a key or with a bad hostname is named as such', async () => {
  const params = whmcsParams({ url: 'http://127.0.0.1:9', key: '', vmid: 101 });
  const noKey = await callModule('CreateAccount', { params: { ...params, serverpassword: '' } });
  assert.match(noKey.result, /no host API key: put it in the Access Hash \(or Password\) field/);
  const fromPassword = await callModule('TestConnection', { params: { ...params, serverpassword: KEY } });
  assertMasked(fromPassword, [KEY]);
  const badHost = await callModule('TestConnection', { params: { ...params, serverhostname: 'evil.example/../x?y', serveraccesshash: KEY } });
  assert.match(badHost.result.error, /must be a host name, optionally followed by the panel's path prefix/);
  assertMasked(badHost, [KEY]);
});

test('the client area template escapes what it shows and links to WHMCS\'s sign-on route', async () => {
  const tpl = await readFile(new URL('../../integrations/whmcs/modules/servers/pvesnapshots/templates/clientarea.tpl', import.meta.url), 'utf8');
  for (const variable of ['suspendReason', 'used', 'limit', 'ssoUrl']) {
    for (const use of tpl.matchAll(new RegExp(`\\{\\$${variable}[^}]*\\}`, 'g'))) {
      assert.match(use[0], /\|escape:'html'\}$/, `${use[0]} is escaped`);
    }
  }
  assert.match(tpl, />Manage snapshots</);
});

test('against the running panel: every module function has its effect, and the key and sign-on link stay out of the log', async () => {
  const stack = await startHostStack();
  try {
    const params = whmcsParams({ url: stack.url, key: HOST_KEY, serviceid: 501, userid: 77, vmid: 301 });

    const connection = await callModule('TestConnection', { params });
    assert.deepEqual(connection.result, { success: true, error: '' });
    assertMasked(connection, [HOST_KEY]);
    const wrongKey = await callModule('TestConnection', { params: { ...params, serveraccesshash: 'pvesnap_not-the-key' } });
    assert.equal(wrongKey.result.success, false);
    assert.match(wrongKey.result.error, /HOST_UNAUTHORIZED, HTTP 401/);

    for (let i = 0; i < 2; i++) {
      const created = await callModule('CreateAccount', { params });
      assert.equal(created.result, 'success', 'CreateAccount, and again as WHMCS retries');
      assertMasked(created, [HOST_KEY]);
    }
    const service = await stack.host('GET', '/services/501');
    assert.equal(service.status, 200);
    assert.deepEqual([service.json.customer, service.json.vmid, service.json.type, service.json.product, service.json.snapshots],
      ['77', 301, 'qemu', 'whmcs-3x3d', { used: 0, limit: 3 }]);

    const changed = await callModule('ChangePackage', { params: { ...params, configoption1: '5', configoption4: 'on' } });
    assert.equal(changed.result, 'success');
    assert.equal((await stack.host('GET', '/services/501')).json.product, 'whmcs-5x3d-latest');
    const product = await stack.host('PUT', '/products/whmcs-5x3d-latest', { body: { maxSnapshots: 5, lifetimeDays: 3, rollbackLatestOnly: true } });
    assert.equal(product.status, 200);

    const conflict = await callModule('CreateAccount', { params: { ...params, serviceid: 502, customfields: { vmid: '301' } } });
    assert.match(conflict.result, /VMID 301 already belongs to service "501" \(CONFLICT, HTTP 409\)/);

    const tab = (await callModule('AdminServicesTabFields', { params })).result;
    assert.equal(tab['Snapshots status'], 'Active');
    assert.equal(tab['Snapshots in use'], '0 of 5');

    for (let i = 0; i < 2; i++) assert.equal((await callModule('SuspendAccount', { params: { ...params, suspendreason: 'Overdue <invoice>' } })).result, 'success');
    const suspended = await stack.host('GET', '/services/501');
    assert.deepEqual([suspended.json.suspended, suspended.json.suspendReason], [true, 'Overdue <invoice>']);
    assert.equal((await callModule('AdminServicesTabFields', { params })).result['Snapshots status'], 'Suspended: Overdue &lt;invoice&gt;');
    const area = (await callModule('ClientArea', { params })).result.templateVariables;
    assert.deepEqual([area.available, area.suspended, area.suspendReason, area.used, area.limit], [true, true, 'Overdue <invoice>', 0, 5]);
    for (let i = 0; i < 2; i++) assert.equal((await callModule('UnsuspendAccount', { params })).result, 'success');
    assert.equal((await stack.host('GET', '/services/501')).json.suspended, false);

    const sso = await callModule('ServiceSingleSignOn', { params });
    assert.equal(sso.result.success, true);
    assert.match(sso.result.redirectTo, new RegExp(`^${stack.url}/sso/`));
    assertMasked(sso, [HOST_KEY, sso.result.redirectTo]);
    const opened = await rawRequest(stack.url, 'GET', new URL(sso.result.redirectTo).pathname);
    assert.equal(opened.status, 303);
    assert.equal((await rawRequest(stack.url, 'GET', new URL(sso.result.redirectTo).pathname)).status, 400, 'used once');

    // The server record's Username names the operator for the operator view.
    const adminSso = await callModule('AdminSingleSignOn', { params: { ...params, serverusername: 'admin' } });
    assert.equal(adminSso.result.success, true, adminSso.result.errorMsg);
    assert.match(adminSso.result.redirectTo, new RegExp(`^${stack.url}/admin/sso/`));
    assertMasked(adminSso, [HOST_KEY, adminSso.result.redirectTo]);
    const adminOpened = await rawRequest(stack.url, 'GET', new URL(adminSso.result.redirectTo).pathname);
    assert.equal(adminOpened.status, 303);
    assert.match(String(adminOpened.headers['set-cookie']), /^asid=/);
    const noUser = await callModule('AdminSingleSignOn', { params });
    assert.equal(noUser.result.success, false);
    assert.match(noUser.result.errorMsg, /no Username/);
    const notOperator = await callModule('AdminSingleSignOn', { params: { ...params, serverusername: 'alice' } });
    assert.equal(notOperator.result.success, false);
    assert.match(notOperator.result.errorMsg, /no operator "alice"/);

    // A link that would lead elsewhere is not followed.
    stack.config.hostApi.publicUrl = 'https://evil.example';
    const elsewhere = await callModule('ServiceSingleSignOn', { params });
    assert.equal(elsewhere.result.success, false);
    assert.match(elsewhere.result.errorMsg, /does not point at the configured panel host/);
    const adminElsewhere = await callModule('AdminSingleSignOn', { params: { ...params, serverusername: 'admin' } });
    assert.equal(adminElsewhere.result.success, false);
    assert.match(adminElsewhere.result.errorMsg, /does not point at the configured panel host/);
    stack.config.hostApi.publicUrl = stack.url;

    const terminated = await callModule('TerminateAccount', { params });
    assert.equal(terminated.result, 'success');
    assert.equal((await stack.host('GET', '/services/501')).status, 404);
    assert.deepEqual(stack.sim.vm(301).snapshots.map((s) => s.name), ['admin-before-upgrade'], 'the foreign snapshot stays');
    assert.equal((await callModule('TerminateAccount', { params })).result, 'success', 'an unknown service counts as terminated');
  } finally {
    await stack.close();
  }
});

test('WHMCS end to end: CreateAccount, sign-on in Chromium, a snapshot, SuspendAccount (read-only, 403), link reuse refused, TerminateAccount with purge', async () => {
  const stack = await startHostStack({ taskDurationMs: 200 });
  const browser = await launchBrowser();
  try {
    const params = whmcsParams({ url: stack.url, key: HOST_KEY, serviceid: 501, userid: 77, vmid: 301 });
    assert.equal((await callModule('CreateAccount', { params })).result, 'success');

    const sso = (await callModule('ServiceSingleSignOn', { params })).result;
    assert.equal(sso.success, true);
    const { page, context } = await openPage(browser);
    await page.goto(sso.redirectTo);
    await page.waitForURL(/#\/services\/501$/);
    await page.locator('section.snapshots[aria-busy="false"]').waitFor();
    const quota = page.locator('[data-role=quota]');
    assert.equal(await waitForText(quota, '0/3'), '0/3');
    await page.getByLabel(/Snapshot description/).fill('before the upgrade');
    await page.getByRole('button', { name: 'Take Snapshot' }).click();
    assert.equal(await waitForText(quota, '1/3'), '1/3');
    const managed = stack.sim.vm(301).snapshots.map((s) => s.name).filter((n) => n.startsWith('snap'));
    assert.equal(managed.length, 1);
    await waitUntil(() => page.getByRole('button', { name: 'Take Snapshot' }).isEnabled(), Boolean, { what: 'Take Snapshot enabled' });

    assert.equal((await callModule('SuspendAccount', { params: { ...params, suspendreason: 'Overdue invoice' } })).result, 'success');
    await page.reload();
    const note = page.locator('[data-role=suspended]');
    await note.waitFor();
    assert.match(String(await note.textContent()), /suspended.*Reason: Overdue invoice/);
    assert.equal(await page.getByRole('button', { name: 'Take Snapshot' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: `Remove ${managed[0]}` }).isDisabled(), true);
    const refused = await page.evaluate(async (id) => {
      const session = await (await fetch('/api/session')).json();
      const r = await fetch(`/api/services/${id}/snapshots`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrfToken }, body: '{}',
      });
      return { status: r.status, body: await r.json() };
    }, '501');
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'SERVICE_SUSPENDED']);

    const reuse = await (await openPage(browser)).page.goto(sso.redirectTo);
    assert.equal(reuse?.status(), 400);
    await context.close();

    assert.equal((await callModule('TerminateAccount', { params })).result, 'success');
    assert.deepEqual(stack.sim.vm(301).snapshots.map((s) => s.name), ['admin-before-upgrade']);
    assert.equal((await callModule('TerminateAccount', { params })).result, 'success', 'terminating again is fine');

    const wrongKey = await callModule('CreateAccount', { params: { ...params, serveraccesshash: 'pvesnap_revoked' } });
    assert.match(wrongKey.result, /\(HOST_UNAUTHORIZED, HTTP 401\)$/);
    assert.equal((await callModule('CreateAccount', { params })).result, 'success');
    const taken = await callModule('CreateAccount', { params: { ...params, serviceid: 502 } });
    assert.match(taken.result, /\(CONFLICT, HTTP 409\)$/);
  } finally {
    await browser.close();
    await stack.close();
  }
});
