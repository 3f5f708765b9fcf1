// The host API (/host/v1) over real HTTP on loopback against the simulator:
// keys, the https rule, the wrong-key limit, products, services, suspension,
// terminate with purge, single-use sign-on links, and the audit of every call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from './server-harness.mjs';
import { HOST_KEY, OTHER_KEY, startHostStack } from './host-harness.mjs';

/** @param {import('./server-harness.mjs').Reply} r */
function assertNoCors(r) {
  for (const h of Object.keys(r.headers)) assert.ok(!h.startsWith('access-control-'), `CORS header ${h}`);
  assert.equal(r.headers['set-cookie'], undefined, 'the host API sets no cookie');
}

/**
 * Provisions product + service as WHMCS would.
 * @param {Awaited<ReturnType<typeof startHostStack>>} stack
 * @param {{service?: string, customer?: string, vmid?: number, type?: 'qemu'|'lxc'}} [o]
 */
async function provision(stack, { service = '501', customer = '77', vmid = 301, type } = {}) {
  const p = await stack.host('PUT', '/products/whmcs-3x3d', { body: { maxSnapshots: 3, lifetimeDays: 3 } });
  assert.equal(p.status, 200, p.text);
  /** @type {Record<string, unknown>} */
  const body = { customer: { id: customer, name: 'Carol Customer', email: 'carol@example.net' }, vmid, product: 'whmcs-3x3d' };
  if (type) body.type = type;
  return stack.host('PUT', `/services/${service}`, { body });
}

/**
 * Mints a link and opens it in a fresh "browser".
 * @param {Awaited<ReturnType<typeof startHostStack>>} stack
 * @param {object} body
 */
async function signIn(stack, body) {
  const minted = await stack.host('POST', '/sso', { body });
  assert.equal(minted.status, 200, minted.text);
  const b = new Browser(stack.url, []);
  const opened = await b.send('GET', new URL(minted.json.url).pathname);
  if (opened.status === 303) b.csrf = (await b.send('GET', '/api/session')).json.csrfToken;
  return { b, minted, opened };
}

test('keys: missing, malformed, wrong or revoked keys get 401 HOST_UNAUTHORIZED; both listed keys work; no CORS, no cookies', async () => {
  const stack = await startHostStack();
  try {
    /** @type {Array<[string | null, string]>} */
    const cases = [[null, 'missing'], ['', 'empty'], ['pvesnap_wrong', 'wrong'], [`${HOST_KEY}x`, 'longer'], [HOST_KEY.slice(0, -1), 'shorter']];
    for (const [key, why] of cases) {
      const r = key === '' ? await stack.host('GET', '/ping', { key: null, headers: { Authorization: 'Bearer' } }) : await stack.host('GET', '/ping', { key });
      assert.equal(r.status, 401, why);
      assert.equal(r.json.error.code, 'HOST_UNAUTHORIZED', why);
      assert.match(r.headers['www-authenticate'] ?? '', /^Bearer/);
      assertNoCors(r);
    }
    const basic = await stack.host('GET', '/ping', { key: null, headers: { Authorization: `Basic ${Buffer.from(`x:${HOST_KEY}`).toString('base64')}` } });
    assert.equal(basic.status, 401);
    for (const key of [HOST_KEY, OTHER_KEY]) {
      const r = await stack.host('GET', '/ping', { key });
      assert.equal(r.status, 200);
      assert.equal(typeof r.json.version, 'string');
      assertNoCors(r);
    }
    const preflight = await stack.host('OPTIONS', '/ping', { headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
    assert.equal(preflight.status, 405);
    assertNoCors(preflight);
    const withOrigin = await stack.host('GET', '/ping', { headers: { Origin: 'https://whmcs.example' } });
    assertNoCors(withOrigin);
  } finally {
    await stack.close();
  }

  // Revoking: a key no longer listed is refused at once.
  const revoked = await startHostStack({ hostApi: { keys: [{ name: 'whmcs-next', sha256: (await import('../server/host-key.mjs')).hostKeyHash(OTHER_KEY) }] } });
  try {
    assert.equal((await revoked.host('GET', '/ping')).status, 401);
    assert.equal((await revoked.host('GET', '/ping', { key: OTHER_KEY })).status, 200);
  } finally {
    await revoked.close();
  }
});

test('plain http is refused unless from loopback; behind --trust-proxy the proxy must say https', async () => {
  const proxied = await startHostStack({ serverOptions: { trustProxy: true } });
  try {
    const overHttp = await proxied.host('GET', '/ping', { headers: { 'X-Forwarded-Proto': 'http', 'X-Forwarded-For': '203.0.113.9' } });
    assert.equal(overHttp.status, 403);
    assert.equal(overHttp.json.error.code, 'HOST_UNAUTHORIZED');
    assert.match(overHttp.json.error.message, /https/);
    const overHttps = await proxied.host('GET', '/ping', { headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' } });
    assert.equal(overHttps.status, 200);
  } finally {
    await proxied.close();
  }
  const direct = await startHostStack();
  try {
    // Without --trust-proxy the header is not believed either way; loopback decides.
    const r = await direct.host('GET', '/ping', { headers: { 'X-Forwarded-Proto': 'http' } });
    assert.equal(r.status, 200);
  } finally {
    await direct.close();
  }
});

test('wrong keys are rate-limited per IP with Retry-After; a valid key is never refused by that limit', async () => {
  const stack = await startHostStack({ serverOptions: { limits: { hostWrongKeys: 3, hostWrongKeyWindowMs: 60_000 } } });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await stack.host('GET', '/ping', { key: `wrong-${i}` })).status, 401);
    const limited = await stack.host('GET', '/ping', { key: 'wrong-again' });
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error.code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal((await stack.host('GET', '/ping')).status, 200);
    assert.equal((await stack.host('GET', '/ping', { key: 'wrong-4' })).status, 429);
  } finally {
    await stack.close();
  }
});

test('products: the core normalises the policy or refuses it; ids and bodies are checked', async () => {
  const stack = await startHostStack();
  try {
    const ok = await stack.host('PUT', '/products/whmcs-5x7d-ram', { body: { maxSnapshots: 5, lifetimeDays: 7, includeRam: true } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { id: 'whmcs-5x7d-ram', policy: { maxSnapshots: 5, lifetimeDays: 7, includeRam: true, namePrefix: 'snap', rollbackLatestOnly: false } });
    const again = await stack.host('PUT', '/products/whmcs-5x7d-ram', { body: { maxSnapshots: 5, lifetimeDays: 7, includeRam: true } });
    assert.equal(again.status, 200);

    const badPolicy = await stack.host('PUT', '/products/p1', { body: { maxSnapshots: 3, lifetimeDays: 11 } });
    assert.equal(badPolicy.status, 400);
    assert.equal(badPolicy.json.error.code, 'INVALID_POLICY');
    assert.match(badPolicy.json.error.message, /lifetimeDays/);

    const unknownField = await stack.host('PUT', '/products/p1', { body: { maxSnapshots: 3, lifetimeDays: 3, vmid: 101 } });
    assert.equal(unknownField.status, 400);
    assert.equal(unknownField.json.error.code, 'INVALID_INPUT');
    const wrongType = await stack.host('PUT', '/products/p1', { body: { maxSnapshots: '3', lifetimeDays: 3 } });
    assert.equal(wrongType.status, 400);

    for (const id of ['..', '.', 'a%2Fb', 'a%2e%2e', 'x'.repeat(65), 'a%20b', '%00']) {
      const r = await stack.host('PUT', `/products/${id}`, { body: { maxSnapshots: 3, lifetimeDays: 3 } });
      assert.ok(r.status === 400 || r.status === 404, `${id}: ${r.status}`);
    }
    const huge = await stack.host('PUT', '/products/p1', { body: { maxSnapshots: 3, lifetimeDays: 3, namePrefix: 'x'.repeat(40_000) } });
    assert.equal(huge.status, 413);
    const notJson = await stack.host('PUT', '/products/p1', { headers: { 'Content-Type': 'text/plain' } });
    assert.equal(notJson.status, 415);
    assert.equal((await stack.host('GET', '/products/p1')).status, 405);
  } finally {
    await stack.close();
  }
});

test('services: 201 then 200, type from the cluster, unknown product 404, VMID of another service 409, bad VMIDs 400', async () => {
  const stack = await startHostStack();
  try {
    const created = await provision(stack, { vmid: 302 });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.type, 'lxc', 'found in /cluster/resources');
    const updated = await provision(stack, { vmid: 302 });
    assert.equal(updated.status, 200);

    const read = await stack.host('GET', '/services/501');
    assert.equal(read.status, 200, read.text);
    assert.deepEqual({ ...read.json, label: undefined }, {
      id: '501', customer: '77', vmid: 302, type: 'lxc', product: 'whmcs-3x3d', label: undefined,
      suspended: false, suspendReason: null, snapshots: { used: 0, limit: 3 },
    });

    const unknownProduct = await stack.host('PUT', '/services/502', { body: { customer: { id: '77' }, vmid: 303, product: 'nope' } });
    assert.equal(unknownProduct.status, 404);
    const taken = await provision(stack, { service: '502', vmid: 302 });
    assert.equal(taken.status, 409);
    assert.equal(taken.json.error.code, 'CONFLICT');
    const configVm = await provision(stack, { service: '503', vmid: 101 });
    assert.equal(configVm.status, 409, 'a VM of the config\'s own services');
    // The config's own ids are not the host's to change (one catalog in the store, two sources).
    const configService = await provision(stack, { service: 'svc-101', vmid: 303 });
    assert.deepEqual([configService.status, configService.json.error.code, configService.json.error.details?.field], [409, 'CONFLICT', 'serviceId']);
    const configCustomer = await stack.host('PUT', '/services/507', { body: { customer: { id: 'alice' }, vmid: 303, product: 'whmcs-3x3d' } });
    assert.deepEqual([configCustomer.status, configCustomer.json.error.details?.field], [409, 'customer.id']);
    const configProduct = await stack.host('PUT', '/products/vps-s', { body: { maxSnapshots: 9, lifetimeDays: 9 } });
    assert.deepEqual([configProduct.status, configProduct.json.error.code], [409, 'CONFLICT']);
    for (const vmid of [99, 1_000_000_000, 101.5, '303', -1]) {
      const r = await stack.host('PUT', '/services/504', { body: { customer: { id: '77' }, vmid, product: 'whmcs-3x3d' } });
      assert.equal(r.status, 400, `vmid ${vmid}`);
    }
    const notOnCluster = await provision(stack, { service: '505', vmid: 999 });
    assert.equal(notOnCluster.status, 404);
    const badCustomer = await stack.host('PUT', '/services/506', { body: { customer: { id: '../77' }, vmid: 303, product: 'whmcs-3x3d' } });
    assert.equal(badCustomer.status, 400);
    assert.equal((await stack.host('GET', '/services/nope')).status, 404);
    assert.equal((await stack.sim.requests.filter((/** @type {any} */ r) => r.method !== 'GET')).length, 0, 'nothing written to Proxmox');
  } finally {
    await stack.close();
  }
});

test('suspend and unsuspend are idempotent; a suspended service is read-only with its reason; every host call is audited', async () => {
  const stack = await startHostStack();
  try {
    assert.equal((await provision(stack)).status, 201);
    const { b } = await signIn(stack, { customerId: '77', serviceId: '501' });
    for (let i = 0; i < 2; i++) {
      const r = await stack.host('POST', '/services/501/suspend', { body: { reason: 'Overdue invoice #42' } });
      assert.equal(r.status, 200);
      assert.equal(r.json.suspended, true);
    }
    const page = await b.send('GET', '/api/services/501/snapshots');
    assert.equal(page.status, 200);
    assert.deepEqual(page.json.suspended, { reason: 'Overdue invoice #42' });
    const writesBefore = stack.sim.requests.filter((/** @type {any} */ r) => r.method !== 'GET').length;
    const refused = [
      await b.send('POST', '/api/services/501/snapshots', { json: {} }),
      await b.send('DELETE', '/api/services/501/snapshots/snap20261124T090000', { json: {} }),
      await b.send('POST', '/api/services/501/snapshots/admin-before-upgrade/rollback', { json: {} }),
    ];
    for (const r of refused) {
      assert.equal(r.status, 403, r.text);
      assert.equal(r.json.error.code, 'SERVICE_SUSPENDED');
      assert.match(r.json.error.message, /Overdue invoice #42/);
    }
    assert.equal(stack.sim.requests.filter((/** @type {any} */ r) => r.method !== 'GET').length, writesBefore, 'nothing sent to Proxmox');
    // Signing in again while suspended still works, read-only.
    const again = await signIn(stack, { customerId: '77', serviceId: '501' });
    assert.equal(again.opened.status, 303);

    for (let i = 0; i < 2; i++) assert.equal((await stack.host('POST', '/services/501/unsuspend', { body: {} })).status, 200);
    const created = await b.send('POST', '/api/services/501/snapshots', { json: { description: 'after paying' } });
    assert.equal(created.status, 202, created.text);
    assert.equal((await b.waitTask('501', created.json.task.id)).json.task.state, 'ok');
    assert.equal((await stack.host('POST', '/services/nope/suspend', { body: {} })).status, 404);
    assert.equal((await stack.host('POST', '/services/501/suspend', { body: { reason: 5 } })).status, 400);

    const calls = stack.events.filter((e) => e.event === 'host-call');
    assert.ok(calls.length >= 9, `${calls.length} host calls logged`);
    for (const c of calls) {
      assert.equal(typeof c.fields.status, 'number');
      assert.equal(c.fields.key, 'whmcs');
      assert.ok(!JSON.stringify(c.fields).includes(HOST_KEY));
    }
    assert.ok(calls.some((c) => c.fields.path === '/host/v1/services/501/suspend' && c.fields.status === 200 && c.fields.serviceId === '501'
      && c.fields.action === 'suspend' && c.fields.outcome === 'ok'));
    assert.ok(calls.some((c) => c.fields.action === 'provision' && c.fields.status === 201));
    assert.ok(calls.some((c) => c.fields.action === 'sign-in' && c.fields.status === 200));
    assert.ok(calls.some((c) => c.fields.status === 404 && c.fields.code === 'NOT_FOUND'));
  } finally {
    await stack.close();
  }
});

test('sign-on links: single use, short-lived, bound to the customer; altered, expired and replayed links sign nobody in', async () => {
  const stack = await startHostStack({ hostApi: { ssoTtlSeconds: 30 } });
  try {
    assert.equal((await provision(stack)).status, 201);
    assert.equal((await provision(stack, { service: '601', customer: '88', vmid: 303 })).status, 201);

    const { b, minted, opened } = await signIn(stack, { customerId: '77', serviceId: '501' });
    assert.match(minted.json.url, new RegExp(`^${stack.url}/sso/[A-Za-z0-9_-]{43}$`));
    const ttl = Date.parse(minted.json.expiresAt) - stack.sim.clock.now();
    assert.ok(ttl > 25_000 && ttl <= 30_000, `expires in ${ttl} ms`);
    assert.equal(opened.status, 303);
    assert.equal(opened.headers.location, '../#/services/501');
    assert.match(String(opened.headers['set-cookie']), /^sid=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const services = await b.send('GET', '/api/services');
    assert.deepEqual(services.json.services.map((/** @type {any} */ s) => s.id), ['501'], 'only the customer\'s own services');
    assert.equal((await b.send('GET', '/api/services/601/snapshots')).status, 404, 'another host customer\'s service');
    assert.equal((await b.send('GET', '/api/services/svc-101/snapshots')).status, 404, 'a config customer\'s service');

    const replay = await new Browser(stack.url, []).send('GET', new URL(minted.json.url).pathname);
    assert.equal(replay.status, 400);
    assert.match(replay.text, /no longer valid/);
    assert.equal(replay.headers['set-cookie'], undefined);

    const fresh = await stack.host('POST', '/sso', { body: { customerId: '77', serviceId: '501' } });
    const path = new URL(fresh.json.url).pathname;
    const last = path.at(-1) === 'A' ? 'B' : 'A';
    const altered = await new Browser(stack.url, []).send('GET', path.slice(0, -1) + last);
    assert.equal(altered.status, 400);
    const head = await new Browser(stack.url, []).send('HEAD', path);
    assert.equal(head.status, 400, 'HEAD does not spend a link');
    stack.sim.clock.advance(30_001);
    const expired = await new Browser(stack.url, []).send('GET', path);
    assert.equal(expired.status, 400);
    assert.equal(expired.headers['set-cookie'], undefined);

    const crossed = await stack.host('POST', '/sso', { body: { customerId: '77', serviceId: '601' } });
    assert.equal(crossed.status, 404, 'a link for customer A naming B\'s service is refused at minting');
    assert.equal((await stack.host('POST', '/sso', { body: { customerId: 'nobody' } })).status, 404);
    assert.equal((await stack.host('POST', '/sso', { body: { customerId: '77', extra: 1 } })).status, 400);

    const listOnly = await signIn(stack, { customerId: '77' });
    assert.equal(listOnly.opened.headers.location, '../#/');
    assert.equal((await new Browser(stack.url, []).send('GET', '/sso/short')).status, 400);
    assert.equal((await new Browser(stack.url, []).send('POST', `/sso/${'A'.repeat(43)}`)).status, 405);
    // A host customer has no password here.
    assert.equal((await new Browser(stack.url, []).login('host:77', '')).status, 400);
    assert.equal((await new Browser(stack.url, []).login('host:77', 'anything')).status, 401);
  } finally {
    await stack.close();
  }
});

test('terminate: managed snapshots removed through the core, the foreign one kept, then the mapping; again answers 404', async () => {
  const stack = await startHostStack();
  try {
    assert.equal((await provision(stack)).status, 201);
    const { b } = await signIn(stack, { customerId: '77', serviceId: '501' });
    for (const description of ['one', 'two']) {
      const r = await b.send('POST', '/api/services/501/snapshots', { json: { description } });
      assert.equal(r.status, 202, r.text);
      assert.equal((await b.waitTask('501', r.json.task.id)).json.task.state, 'ok');
      stack.sim.clock.advance(2000);
    }
    /** @param {number} vmid */
    const names = (vmid) => stack.sim.vm(vmid).snapshots.map((x) => x.name);
    const managed = names(301).filter((n) => n.startsWith('snap'));
    assert.equal(managed.length, 2);

    const keepOnly = await stack.host('DELETE', '/services/501?purgeSnapshots=2');
    assert.equal(keepOnly.status, 400);
    assert.equal((await stack.host('DELETE', '/services/501?purge=1')).status, 400);

    const r = await stack.host('DELETE', '/services/501?purgeSnapshots=1');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([...r.json.removed].sort(), managed.sort());
    assert.deepEqual(r.json.kept, ['admin-before-upgrade']);
    assert.deepEqual(r.json.failed, []);
    assert.deepEqual(names(301), ['admin-before-upgrade']);
    assert.equal((await stack.host('DELETE', '/services/501?purgeSnapshots=1')).status, 404);
    assert.equal((await b.send('GET', '/api/services/501/snapshots')).status, 404);

    // Without purge only the mapping goes.
    assert.equal((await provision(stack, { service: '502', vmid: 303 })).status, 201);
    stack.sim.addSnapshot(303, { name: 'snap20261101T000000', ageSeconds: 60 });
    const plain = await stack.host('DELETE', '/services/502');
    assert.deepEqual(plain.json, { removed: [], kept: [], failed: [] });
    assert.ok(names(303).includes('snap20261101T000000'));
  } finally {
    await stack.close();
  }
});

test('behind a host the config needs no customers or services: host customers need no password', async () => {
  const stack = await startHostStack({ configPatch: { customers: undefined, services: [] } });
  try {
    assert.equal((await provision(stack, { vmid: 101 })).status, 201, 'no config service holds VM 101 now');
    const { b, opened } = await signIn(stack, { customerId: '77', serviceId: '501' });
    assert.equal(opened.status, 303);
    assert.equal((await b.send('GET', '/api/services/501/snapshots')).status, 200);
    assert.equal((await new Browser(stack.url, []).login('alice', 'alice-demo')).status, 401);
  } finally {
    await stack.close();
  }
});
