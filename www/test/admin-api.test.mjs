// The operator's API over real HTTP against the simulator: who gets in
// (every route in the table is walked, so a route added later is covered
// too), operator sign-in, and a customer session that can never pass.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, rawRequest, leakedInReplies } from './server-harness.mjs';
import { ADMIN_ROUTES } from '../server/admin-routes.mjs';
import { AdminClient, DEMO_OPERATOR } from './helpers/admin-client.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.close();
});

/**
 * Every method of every route, its parameters filled in with an existing
 * service and snapshot-like name.
 */
function everyCall() {
  return ADMIN_ROUTES.flatMap((route) => Object.keys(route.methods).map((method) => ({
    method,
    public: Boolean(route.public),
    path: `/${route.pattern.split('/').map((p) => (p === ':id' ? 'svc-101' : p.startsWith(':') ? 'x1' : p)).join('/')}`,
  })));
}

test('the route table has the session and fleet routes, all but sign-in for operators only', () => {
  const calls = everyCall();
  assert.ok(calls.some((c) => c.path === '/services' && c.method === 'GET'));
  assert.deepEqual(calls.filter((c) => c.public).map((c) => `${c.method} ${c.path}`), ['POST /login']);
});

test('no session: every admin route answers 401, and nothing is read from Proxmox', async () => {
  const before = stack.sim.requests.length;
  for (const c of everyCall().filter((x) => !x.public)) {
    const r = await rawRequest(stack.url, c.method, `/admin/api${c.path}`, { headers: { 'Content-Type': 'application/json' }, body: c.method === 'GET' ? undefined : '{}' });
    assert.equal(r.status, 401, `${c.method} ${c.path}`);
    assert.equal(r.json.error.code, 'UNAUTHENTICATED');
    assert.equal(r.headers['cache-control'], 'no-store');
  }
  assert.equal(stack.sim.requests.length, before);
});

test('a customer session gets 401 on every admin route, by either cookie', async () => {
  const alice = await stack.browser('alice');
  assert.ok(alice.sid);
  for (const c of everyCall().filter((x) => !x.public)) {
    for (const cookie of [`sid=${alice.sid}`, `asid=${alice.sid}`, `sid=${alice.sid}; asid=${alice.sid}`]) {
      const r = await rawRequest(stack.url, c.method, `/admin/api${c.path}`, {
        headers: { Cookie: cookie, 'X-CSRF-Token': /** @type {string} */ (alice.csrf), 'Content-Type': 'application/json' },
        body: c.method === 'GET' ? undefined : '{}',
      });
      assert.equal(r.status, 401, `${c.method} ${c.path} with ${cookie.replace(/=[^;]+/g, '=…')}`);
    }
  }
});

test('an operator with a wrong or missing CSRF token, or another Origin, gets 403 on every non-GET route', async () => {
  const op = new AdminClient(stack.url);
  assert.equal((await op.login()).status, 200);
  const unsafe = everyCall().filter((c) => !c.public && c.method !== 'GET');
  assert.ok(unsafe.length >= 1);
  for (const c of unsafe) {
    const missing = await op.send(c.method, c.path, { json: {}, csrf: false });
    assert.equal(missing.status, 403, `${c.method} ${c.path} without token`);
    assert.equal(missing.json.error.code, 'CSRF_FAILED');
    const wrong = await op.send(c.method, c.path, { json: {}, headers: { 'X-CSRF-Token': 'x'.repeat(43) } });
    assert.equal(wrong.status, 403, `${c.method} ${c.path} with a wrong token`);
    const cross = await op.send(c.method, c.path, { json: {}, headers: { Origin: 'https://evil.example' } });
    assert.equal(cross.status, 403, `${c.method} ${c.path} cross-origin`);
  }
  // The token of a customer's session is not the operator's.
  const alice = await stack.browser('alice');
  const r = await op.send('POST', '/logout', { json: {}, headers: { 'X-CSRF-Token': /** @type {string} */ (alice.csrf) } });
  assert.equal(r.status, 403);
});

test('unknown admin paths are 404 and odd segments never match', async () => {
  const op = new AdminClient(stack.url);
  await op.login();
  for (const path of ['/nope', '/services/svc-101/../svc-201', '/services/%2e%2e', '/services//x', '/']) {
    const r = await op.send('GET', path);
    assert.equal(r.status, 404, path);
  }
  const anon = await rawRequest(stack.url, 'GET', '/admin/api/nope');
  assert.equal(anon.status, 404);
});

test('operator sign-in: wrong password refused; a session of its own cookie and path; sign-out ends it', async () => {
  const op = new AdminClient(stack.url);
  const bad = await op.login(DEMO_OPERATOR.username, 'wrong');
  assert.equal(bad.status, 401);
  assert.equal(bad.json.error.code, 'INVALID_CREDENTIALS');
  // A customer's password is not an operator's.
  assert.equal((await op.login('alice', 'alice-demo')).status, 401);
  const ok = await op.login();
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json.operator, { username: 'admin', displayName: 'Operator (demo)' });
  const cookie = /** @type {string[]} */ (ok.headers['set-cookie'])[0];
  assert.match(cookie, /^asid=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/admin$/);
  const s = await op.send('GET', '/session');
  assert.equal(s.status, 200);
  assert.equal(s.json.csrfToken, op.csrf);
  const out = await op.send('POST', '/logout', { json: {} });
  assert.equal(out.status, 204);
  const after = await rawRequest(stack.url, 'GET', '/admin/api/session', { headers: { Cookie: `asid=${ok.headers['set-cookie']?.[0].slice(5, 48)}` } });
  assert.equal(after.status, 401);
});

test("the operator's session is no customer's: the customer API refuses it", async () => {
  const op = new AdminClient(stack.url);
  await op.login();
  const r = await rawRequest(stack.url, 'GET', '/api/services', { headers: { Cookie: `sid=${op.asid}` } });
  assert.equal(r.status, 401);
  const s = await rawRequest(stack.url, 'GET', '/api/session', { headers: { Cookie: `sid=${op.asid}` } });
  assert.equal(s.status, 401);
});

test('/admin is a sign-in page anyone may load, never framed, no inline script', async () => {
  const redirect = await rawRequest(stack.url, 'GET', '/admin');
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.location, '/admin/');
  const page = await rawRequest(stack.url, 'GET', '/admin/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.equal((await rawRequest(stack.url, 'GET', '/admin/app.mjs')).status, 200);
  assert.equal((await rawRequest(stack.url, 'GET', '/admin/../server/demo-config.json')).status, 404);
  assert.equal((await rawRequest(stack.url, 'GET', '/admin/%2e%2e/server/demo-config.json')).status, 404);
});

test('fleet: every service with node, quota and lock, read from Proxmox', async () => {
  const op = new AdminClient(stack.url);
  await op.login();
  const r = await op.send('GET', '/services');
  assert.equal(r.status, 200);
  const ids = r.json.services.map((/** @type {any} */ s) => s.id).sort();
  assert.deepEqual(ids, ['svc-101', 'svc-102', 'svc-103', 'svc-201', 'svc-202']);
  for (const s of r.json.services) {
    assert.equal(s.error, null, s.id);
    assert.equal(typeof s.node, 'string');
    assert.equal(typeof s.used, 'number');
    assert.equal(typeof s.limit, 'number');
    assert.ok(Array.isArray(s.stuck));
  }
  const one = await op.send('GET', '/services/svc-101');
  assert.equal(one.status, 200);
  assert.equal(one.json.service.customer, 'alice');
  assert.ok(Array.isArray(one.json.rows));
  assert.ok(Array.isArray(one.json.history));
  assert.equal((await op.send('GET', '/services/nope')).status, 404);
  assert.deepEqual(leakedInReplies([r, one], stack.secret), []);
});

test('fleet: a VM Proxmox does not answer for is listed with the reason, the others as usual', async () => {
  const op = new AdminClient(stack.url);
  await op.login();
  stack.sim.faults.set({ errorRate: 1, errorPaths: [/\/qemu\/102\//] });
  try {
    const r = await op.send('GET', '/services');
    assert.equal(r.status, 200);
    const broken = r.json.services.find((/** @type {any} */ s) => s.id === 'svc-102');
    assert.match(broken.error.code, /^PVE_/);
    assert.equal(broken.used, null);
    assert.equal(broken.customer, 'alice');
    assert.ok(r.json.services.filter((/** @type {any} */ s) => s.id !== 'svc-102').every((/** @type {any} */ s) => s.error === null));
    const one = await op.send('GET', '/services/svc-102');
    assert.equal(one.status, 200);
    assert.match(one.json.error.code, /^PVE_/);
    assert.deepEqual(one.json.rows, []);
  } finally {
    stack.sim.faults.clear();
  }
});
