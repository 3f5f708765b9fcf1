// Panel server: sign-in, sessions, cookies, CSRF, headers and static files,
// over real HTTP against the simulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, rawRequest, leakedInReplies } from './server-harness.mjs';
import { CONTENT_SECURITY_POLICY } from '../server/http-io.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
before(async () => {
  stack = await startStack({ limits: { loginFailures: 3, loginFailuresPerIp: 8, loginWindowMs: 60_000 } });
});
after(async () => {
  await stack?.close();
});

/** @param {import('./server-harness.mjs').Reply} r */
function assertSecurityHeaders(r) {
  assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers['referrer-policy'], 'no-referrer');
}

test('login sets an HttpOnly SameSite=Strict cookie and returns the user and a CSRF token', async () => {
  const b = await stack.browser();
  const r = await b.login('alice', 'alice-demo');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.user, { username: 'alice', displayName: 'Alice (demo)' });
  assert.match(r.json.csrfToken, /^[A-Za-z0-9_-]{40,}$/);
  const cookie = /** @type {string[]} */ (r.headers['set-cookie']).find((c) => c.startsWith('sid='));
  assert.ok(cookie);
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Strict/);
  assert.match(cookie, /; Path=\//);
  assert.doesNotMatch(cookie, /Secure/, 'plain http on loopback without a trusted proxy');
  assert.equal(r.headers['cache-control'], 'no-store');
  assertSecurityHeaders(r);

  const s = await b.send('GET', '/api/session');
  assert.equal(s.status, 200);
  assert.deepEqual(s.json, { user: { username: 'alice', displayName: 'Alice (demo)' }, csrfToken: r.json.csrfToken });
});

test('a new session id on every login (no fixation), and the old id is dead', async () => {
  const b = await stack.browser('alice');
  const first = /** @type {string} */ (b.sid);
  const firstCsrf = b.csrf;
  await b.login('alice', 'alice-demo');
  assert.notEqual(b.sid, first);
  assert.notEqual(b.csrf, firstCsrf);
  const old = await rawRequest(stack.url, 'GET', '/api/session', { headers: { Cookie: `sid=${first}` } });
  assert.equal(old.status, 401);
  assert.equal(old.json.error.code, 'UNAUTHENTICATED');

  // An id planted by an attacker before login is never adopted.
  const planted = 'attacker-chosen-session-id-0000000000000000';
  const r = await b.send('POST', '/api/login', { json: { username: 'alice', password: 'alice-demo' }, headers: { Cookie: `sid=${planted}` } });
  assert.equal(r.status, 200);
  assert.notEqual(b.sid, planted);
  assert.equal((await rawRequest(stack.url, 'GET', '/api/session', { headers: { Cookie: `sid=${planted}` } })).status, 401);
});

test('wrong password and unknown user both answer 401 INVALID_CREDENTIALS with the same body', async () => {
  const b = await stack.browser();
  const wrong = await b.login('bob', 'not-bobs-password');
  const unknown = await b.login('mallory', 'whatever');
  for (const r of [wrong, unknown]) {
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 'INVALID_CREDENTIALS');
    assert.equal(r.headers['set-cookie'], undefined);
  }
  assert.deepEqual(wrong.json, unknown.json);
});

test('login input is validated', async () => {
  const b = await stack.browser();
  for (const json of [{}, { username: 'alice' }, { username: 7, password: 'x' }, { username: 'alice', password: 'alice-demo', admin: true }]) {
    const r = await b.send('POST', '/api/login', { json });
    assert.equal(r.status, 400, JSON.stringify(json));
    assert.equal(r.json.error.code, 'INVALID_INPUT');
  }
});

test('failed logins are rate-limited per IP and username; other usernames are not affected', async () => {
  const b = await stack.browser();
  stack.sim.clock.advance(61_000); // forget the failures of the tests above
  for (let i = 0; i < 3; i++) assert.equal((await b.login('bob', `guess-${i}`)).status, 401);
  const limited = await b.login('bob', 'bob-demo');
  assert.equal(limited.status, 429, 'even the right password is refused while limited');
  assert.equal(limited.json.error.code, 'RATE_LIMITED');
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  assert.equal((await b.login('alice', 'alice-demo')).status, 200);
  // The limiter follows the server's clock (the simulator's here).
  stack.sim.clock.advance(61_000);
  assert.equal((await b.login('bob', 'bob-demo')).status, 200);
});

test('many usernames from one IP are rate-limited too (password spraying)', async () => {
  const b = await stack.browser();
  stack.sim.clock.advance(61_000);
  for (let i = 0; i < 8; i++) assert.equal((await b.login(`user${i}`, 'Summer2026!')).status, 401);
  const limited = await b.login('alice', 'alice-demo');
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error.code, 'RATE_LIMITED');
  stack.sim.clock.advance(61_000);
  assert.equal((await b.login('alice', 'alice-demo')).status, 200);
});

test('logout needs the CSRF token, then ends the session and clears the cookie', async () => {
  const b = await stack.browser('alice');
  const noToken = await b.send('POST', '/api/logout', { csrf: false });
  assert.equal(noToken.status, 403);
  assert.equal(noToken.json.error.code, 'CSRF_FAILED');
  const wrongToken = await b.send('POST', '/api/logout', { headers: { 'X-CSRF-Token': 'x'.repeat(43) } });
  assert.equal(wrongToken.status, 403);
  assert.equal((await b.send('GET', '/api/session')).status, 200, 'still signed in');

  const sid = b.sid;
  const r = await b.send('POST', '/api/logout');
  assert.equal(r.status, 204);
  assert.match(/** @type {string[]} */ (r.headers['set-cookie'])[0], /^sid=; .*Max-Age=0/);
  assert.equal((await rawRequest(stack.url, 'GET', '/api/services', { headers: { Cookie: `sid=${sid}` } })).status, 401);
});

test('API calls without a session answer 401', async () => {
  for (const [method, path] of [['GET', '/api/session'], ['GET', '/api/services'], ['GET', '/api/services/svc-101/snapshots'],
    ['POST', '/api/services/svc-101/snapshots'], ['DELETE', '/api/services/svc-101/snapshots/snap20260101T000000'],
    ['GET', '/api/services/svc-101/tasks/t-x']]) {
    const r = await rawRequest(stack.url, method, path, { headers: { 'Content-Type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
    assert.equal(r.status, 401, `${method} ${path}`);
    assert.equal(r.json.error.code, 'UNAUTHENTICATED');
    assertSecurityHeaders(r);
    assert.equal(r.headers['cache-control'], 'no-store');
  }
});

test('a cross-origin POST is refused even with a valid token', async () => {
  const b = await stack.browser('alice');
  const r = await b.send('POST', '/api/logout', { headers: { Origin: 'https://evil.example' } });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'CSRF_FAILED');
  const login = await b.send('POST', '/api/login', { json: { username: 'alice', password: 'alice-demo' }, headers: { Origin: 'https://evil.example' } });
  assert.equal(login.status, 403);
  const same = await b.send('POST', '/api/login', { json: { username: 'alice', password: 'alice-demo' }, headers: { Origin: stack.url } });
  assert.equal(same.status, 200);
});

test('unknown API paths are 404, wrong methods 405 with Allow', async () => {
  const b = await stack.browser('alice');
  assert.equal((await b.send('GET', '/api/nope')).status, 404);
  assert.equal((await b.send('GET', '/api/services/')).status, 404);
  const r = await b.send('PUT', '/api/services', { json: {} });
  assert.equal(r.status, 405);
  assert.equal(r.json.error.code, 'METHOD_NOT_ALLOWED');
  assert.equal(r.headers.allow, 'GET');
  assert.equal((await b.send('GET', '/api/login')).status, 405);
});

test('static files: the page, its modules and the wasm package, with the security headers', async () => {
  const page = await rawRequest(stack.url, 'GET', '/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.text, /<html/i);
  assert.doesNotMatch(page.text, /<script>[^<]|<style|style="/, 'no inline script or style');
  assertSecurityHeaders(page);

  const js = await rawRequest(stack.url, 'GET', '/pkg/pve_snapshots.js');
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /^text\/javascript/);
  const wasm = await rawRequest(stack.url, 'GET', '/pkg/pve_snapshots_bg.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers['content-type'], 'application/wasm');
  assertSecurityHeaders(wasm);
  const head = await rawRequest(stack.url, 'HEAD', '/pkg/pve_snapshots_bg.wasm');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal(head.headers['content-length'], wasm.headers['content-length']);
});

test('static paths cannot leave their directories', async () => {
  for (const path of ['/panel/../server/main.mjs', '/panel/%2e%2e/server/main.mjs', '/pkg/..%2Fwww%2Fserver%2Fdemo-config.json',
    '/panel/%2Fetc%2Fpasswd', '/pkg/.gitignore', '/server/demo-config.json', '/www/server/demo-config.json',
    '/panel/nope.mjs', '/pkg/', '/panel//index.html', '/demo-config.json', '/core.mjs']) {
    const r = await rawRequest(stack.url, 'GET', path);
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(r.text, /passwordHash|scrypt\$/, path);
    assertSecurityHeaders(r);
  }
  assert.equal((await rawRequest(stack.url, 'POST', '/', { body: 'x' })).status, 405);
});

test('the token secret, token id and UPIDs never appear in any response of this suite', () => {
  assert.ok(stack.replies.length > 20);
  assert.deepEqual(leakedInReplies(stack.replies, stack.secret), []);
});
