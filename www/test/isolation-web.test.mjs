// Web security of the panel server, as lists of forged requests: CSRF
// (missing, wrong, other session's token, token elsewhere than the header,
// foreign Origin), sessions (forged, ended, fixated ids), request size limits
// and the per-customer action rate limit. Each request is one that would
// succeed with the right credentials, so a refusal proves the check. Every
// one must be refused with zero Proxmox writes; plus cookie flags, security
// headers with a CSP that forbids inline script, and no token secret in any
// response.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, leakedInReplies } from './server-harness.mjs';
import { attemptLog, tryAttempt, assertAllRefused, attemptSummary } from './helpers/drill-attempts.mjs';

/** @typedef {import('./helpers/drill-attempts.mjs').Attempt} Attempt */

const ALICE_VMIDS = [101, 102, 103];
const MANAGED_101 = 'snap20261124T090000'; // alice's managed snapshot on vm 101 (demo seed)
const SESSION_IDLE_MS = 30 * 60_000;

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {Awaited<ReturnType<typeof startStack>>} */
let limited;
const log = attemptLog();

before(async () => {
  stack = await startStack({ limits: { actions: 100_000 }, serverOptions: { sessionIdleMs: SESSION_IDLE_MS } });
  limited = await startStack({ limits: { actions: 3, actionWindowMs: 60_000 } });
});
after(async () => {
  await stack?.close();
  await limited?.close();
});

/** The three actions alice may really do on vm 101, each of which would succeed with the right credentials. @returns {Attempt[]} */
const realActions = () => [
  { label: 'create', method: 'POST', path: '/api/services/svc-101/snapshots', json: { description: 'forged' } },
  { label: 'remove', method: 'DELETE', path: `/api/services/svc-101/snapshots/${MANAGED_101}` },
  { label: 'rollback', method: 'POST', path: `/api/services/svc-101/snapshots/${MANAGED_101}/rollback`, json: {} },
];

/** @param {import('./server-harness.mjs').Browser} b */
const sidOf = (b) => /** @type {string} */ (b.sid);

test('CSRF: forged tokens and foreign origins are 403 CSRF_FAILED with nothing sent to Proxmox', async () => {
  const alice = await stack.browser('alice');
  const bob = await stack.browser('bob');
  const token = /** @type {string} */ (alice.csrf);
  const host = new URL(stack.url).host;
  /** @type {{label: string, headers?: Record<string, string>, csrf?: boolean, query?: string, bodyField?: boolean}[]} */
  const forgeries = [
    { label: 'no token', csrf: false },
    { label: 'empty token', headers: { 'X-CSRF-Token': '' } },
    { label: 'wrong token', headers: { 'X-CSRF-Token': 'wrong' } },
    { label: "bob's token on alice's session", headers: { 'X-CSRF-Token': /** @type {string} */ (bob.csrf) } },
    { label: 'truncated token', headers: { 'X-CSRF-Token': token.slice(0, -1) } },
    { label: 'token plus a character', headers: { 'X-CSRF-Token': `${token}x` } },
    { label: 'token in another case', headers: { 'X-CSRF-Token': token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase() } },
    { label: 'token twice', headers: { 'X-CSRF-Token': `${token}, ${token}` } },
    { label: 'token in the query string', csrf: false, query: `csrfToken=${encodeURIComponent(token)}&X-CSRF-Token=${encodeURIComponent(token)}` },
    { label: 'token in a cookie', csrf: false, headers: { Cookie: `sid=${sidOf(alice)}; csrf=${token}; X-CSRF-Token=${token}` } },
    { label: 'token under another header name', csrf: false, headers: { 'X-XSRF-Token': token, 'CSRF-Token': token } },
    { label: 'valid token, foreign Origin', headers: { Origin: 'http://evil.example' } },
    { label: 'valid token, Origin null', headers: { Origin: 'null' } },
    { label: 'valid token, Origin with another port', headers: { Origin: `http://${host.replace(/:\d+$/, ':1')}` } },
    { label: 'valid token, Origin https instead of http', headers: { Origin: `https://${host}` } },
    { label: 'valid token, Origin as a prefix', headers: { Origin: `http://${host}.evil.example` } },
    { label: "alice's token with bob's cookie", headers: { Cookie: `sid=${sidOf(bob)}` } },
  ];
  for (const f of forgeries) {
    for (const a of realActions()) {
      const path = f.query ? `${a.path}?${f.query}` : a.path;
      await tryAttempt(stack, alice, ALICE_VMIDS, { ...a, path, label: `CSRF ${f.label} ${a.label}`, headers: f.headers, csrf: f.csrf, status: [403], codes: ['CSRF_FAILED'] }, log);
    }
  }
  // Login and logout are forgeable too (login CSRF signs the victim into the attacker's account).
  const anon = await stack.browser();
  await tryAttempt(stack, anon, [], { label: 'cross-origin login', method: 'POST', path: '/api/login', json: { username: 'bob', password: 'bob-demo' }, headers: { Origin: 'http://evil.example' }, status: [403], codes: ['CSRF_FAILED'] }, log);
  await tryAttempt(stack, alice, ALICE_VMIDS, { label: 'logout without token', method: 'POST', path: '/api/logout', json: {}, csrf: false, status: [403], codes: ['CSRF_FAILED'] }, log);
  assert.equal((await alice.send('GET', '/api/session')).status, 200, 'the forgeries did not end the session');
  // The control: the same request with the right token does go through.
  const ok = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 'genuine' } });
  assert.equal(ok.status, 202, ok.text);
  await alice.waitTask('svc-101', ok.json.task.id);
  await stack.sim.idle();
});

test('sessions: forged, ended and fixated ids get 401 and reach nothing', async () => {
  const anon = await stack.browser();
  const bob = await stack.browser('bob');
  const oldAlice = await stack.browser('alice');
  const oldSid = sidOf(oldAlice);
  const alice = await stack.browser('alice'); // a second login: both sessions live (two tabs), neither is the other's
  assert.notEqual(sidOf(alice), oldSid);

  // Fixation: an attacker plants a chosen id, and one of his own live ids,
  // in the victim's browser before she signs in.
  for (const planted of ['attacker-chosen-id', sidOf(bob)]) {
    const victim = await stack.browser();
    victim.sid = planted;
    const r = await victim.login('alice', 'alice-demo');
    assert.equal(r.status, 200);
    assert.notEqual(victim.sid, planted, 'a new id on login');
    const fixated = await stack.browser();
    fixated.sid = planted;
    fixated.csrf = victim.csrf;
    for (const a of realActions()) {
      await tryAttempt(stack, fixated, ALICE_VMIDS, { ...a, label: `fixated id ${planted.slice(0, 8)} ${a.label}`, status: [401], codes: ['UNAUTHENTICATED'] }, log);
    }
    await tryAttempt(stack, fixated, ALICE_VMIDS, { label: 'fixated id read', method: 'GET', path: '/api/services/svc-101/snapshots', status: [401] }, log);
  }

  const forgedIds = ['', 'x', 'null', 'undefined', '0', sidOf(alice).slice(0, -1), `${sidOf(alice)}x`, sidOf(alice).toUpperCase(), 'a'.repeat(43), '../', '%00'];
  for (const sid of forgedIds) {
    for (const a of [...realActions(), { label: 'read', method: 'GET', path: '/api/services/svc-101/snapshots' }, { label: 'services', method: 'GET', path: '/api/services' }]) {
      await tryAttempt(stack, anon, ALICE_VMIDS, { ...a, label: `forged sid '${sid.slice(0, 10)}' ${a.label}`, headers: { Cookie: `sid=${sid}`, 'X-CSRF-Token': /** @type {string} */ (alice.csrf) }, status: [401], codes: ['UNAUTHENTICATED'] }, log);
    }
  }
  for (const a of realActions()) await tryAttempt(stack, anon, ALICE_VMIDS, { ...a, label: `no cookie ${a.label}`, status: [401] }, log);

  // Logged out: the old id and token are dead.
  const gone = { sid: sidOf(oldAlice), csrf: /** @type {string} */ (oldAlice.csrf) };
  assert.equal((await oldAlice.send('POST', '/api/logout', { json: {} })).status, 204);
  for (const a of realActions()) {
    await tryAttempt(stack, anon, ALICE_VMIDS, { ...a, label: `logged-out id ${a.label}`, headers: { Cookie: `sid=${gone.sid}`, 'X-CSRF-Token': gone.csrf }, status: [401] }, log);
  }
  // Idle past the limit: the session ends on the server, whatever the browser keeps.
  const idle = await stack.browser('alice');
  stack.sim.clock.advance(SESSION_IDLE_MS + 1000);
  for (const a of realActions()) await tryAttempt(stack, idle, ALICE_VMIDS, { ...a, label: `idle session ${a.label}`, status: [401] }, log);
  assert.equal((await alice.send('GET', '/api/session')).status, 401, 'every session idled out');
});

test('cookie flags: HttpOnly, SameSite=Strict, Path=/, no Domain, session-only; ids are long, random and new on every login', async () => {
  const ids = new Set();
  for (let i = 0; i < 8; i++) {
    const b = await stack.browser();
    const r = await b.login(i % 2 ? 'bob' : 'alice', i % 2 ? 'bob-demo' : 'alice-demo');
    assert.equal(r.status, 200);
    const cookies = /** @type {string[]} */ (r.headers['set-cookie']);
    assert.equal(cookies.length, 1);
    const [pair, ...attrs] = cookies[0].split(';').map((s) => s.trim());
    const flags = new Set(attrs.map((x) => x.toLowerCase()));
    assert.ok(flags.has('httponly') && flags.has('samesite=strict') && flags.has('path=/'), cookies[0]);
    assert.ok(![...flags].some((f) => /^(domain|expires|max-age)=/.test(f)), `no Domain, no lifetime beyond the browser session: ${cookies[0]}`);
    const sid = pair.slice('sid='.length);
    assert.match(sid, /^[A-Za-z0-9_-]{32,}$/, 'at least 192 bits, URL-safe');
    ids.add(sid);
    const out = await b.send('POST', '/api/logout', { json: {} });
    assert.match(String(out.headers['set-cookie']), /^sid=;.*Max-Age=0/);
  }
  assert.equal(ids.size, 8);
});

test('request size limits: oversize bodies, headers and URLs are refused and reach nothing', async () => {
  const alice = await stack.browser('alice');
  const big = (/** @type {number} */ n) => JSON.stringify({ description: 'x'.repeat(n) });
  /** @type {Array<{label: string, body: string, headers?: Record<string, string>, status: number[]}>} */
  const cases = [
    { label: 'body 16 KiB + 1', body: big(16 * 1024 - 17 + 1), status: [413] },
    { label: 'body 1 MiB', body: big(1024 * 1024), status: [413] },
    { label: 'chunked body 64 KiB', body: big(64 * 1024), headers: { 'Transfer-Encoding': 'chunked' }, status: [413] },
    { label: 'Content-Length lies small', body: big(20 * 1024), headers: { 'Content-Length': '10' }, status: [400, 413] },
    { label: 'deep nesting within the limit', body: `{"description": ${'['.repeat(5000)}${']'.repeat(5000)}}`, status: [400] },
    { label: 'header 24 KiB', body: '{}', headers: { 'X-Padding': 'p'.repeat(24 * 1024) }, status: [431] },
    { label: 'cookie 24 KiB', body: '{}', headers: { Cookie: `sid=${sidOf(alice)}; pad=${'p'.repeat(24 * 1024)}` }, status: [431] },
  ];
  for (const c of cases) {
    await tryAttempt(stack, alice, ALICE_VMIDS, { label: `size ${c.label}`, method: 'POST', path: '/api/services/svc-101/snapshots', body: c.body, headers: { 'Content-Type': 'application/json', ...(c.headers ?? {}) }, status: c.status }, log);
  }
  await tryAttempt(stack, alice, ALICE_VMIDS, { label: 'URL 20 KB', method: 'DELETE', path: `/api/services/svc-101/snapshots/${'a'.repeat(20_000)}`, status: [414, 431, 404, 400] }, log);
  await tryAttempt(stack, alice, ALICE_VMIDS, { label: 'segment 257 chars', method: 'DELETE', path: `/api/services/svc-101/snapshots/a${'b'.repeat(256)}`, status: [404] }, log);
  const login = await stack.browser();
  await tryAttempt(stack, login, [], { label: 'login body 1 MiB', method: 'POST', path: '/api/login', body: JSON.stringify({ username: 'alice', password: 'p'.repeat(1 << 20) }), headers: { 'Content-Type': 'application/json' }, status: [413] }, log);
  // The server lives on.
  assert.equal((await alice.send('GET', '/api/session')).status, 200);
});

test('action rate limit per customer: refused actions count, a new session or a forged X-Forwarded-For does not reset it', async () => {
  const alice = await limited.browser('alice');
  const bob = await limited.browser('bob');
  for (let i = 0; i < 3; i++) {
    const r = await alice.send('DELETE', `/api/services/svc-101/snapshots/snap2020010${i}T000000`);
    assert.equal(r.status, 404, r.text);
  }
  const fresh = await limited.browser('alice');
  for (const [who, label] of [[alice, 'same session'], [fresh, 'new session']]) {
    for (const a of realActions()) {
      await tryAttempt(limited, /** @type {any} */ (who), ALICE_VMIDS, { ...a, label: `rate ${label} ${a.label}`, status: [429], codes: ['RATE_LIMITED'] }, log);
      await tryAttempt(limited, /** @type {any} */ (who), ALICE_VMIDS, { ...a, label: `rate ${label} X-Forwarded-For ${a.label}`, headers: { 'X-Forwarded-For': '203.0.113.9' }, status: [429] }, log);
    }
  }
  const r = await alice.send('POST', '/api/services/svc-102/snapshots', { json: {} });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers['retry-after']) >= 1);
  // The control: another customer is not limited by alice's attempts.
  const other = await bob.send('POST', '/api/services/svc-202/snapshots', { json: {} });
  assert.equal(other.status, 202, other.text);
  await bob.waitTask('svc-202', other.json.task.id);
});

test('security headers on every answer; the CSP forbids inline script and the page has none', async () => {
  const anon = await stack.browser();
  for (const path of ['/', '/index.html', '/panel/app.mjs', '/panel/style.css', '/pkg/pve_snapshots.js', '/pkg/pve_snapshots_bg.wasm', '/nope', '/api/nope', '/panel/../server/demo-config.json']) {
    await anon.send('GET', path);
  }
  const page = await anon.send('GET', '/');
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
  assert.doesNotMatch(page.text, /\son[a-z]+\s*=/i, 'no inline event handlers');
  assert.doesNotMatch(page.text, /javascript:/i);
  assert.doesNotMatch(page.text, /\sstyle\s*=/i, 'no inline style attributes (style-src forbids them)');

  const all = [...stack.replies, ...limited.replies].filter((r) => r.text !== '' || r.status < 400);
  assert.ok(all.length > 200);
  for (const r of all) {
    const csp = String(r.headers['content-security-policy'] ?? '');
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map((d) => [d[0], d.slice(1)]));
    const script = directives.get('script-src') ?? directives.get('default-src') ?? [];
    assert.deepEqual(directives.get('default-src'), ["'self'"], csp);
    assert.ok(script.length > 0 && !script.some((s) => ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:', 'http:', 'https:', 'blob:'].includes(s)), `script-src: ${csp}`);
    assert.ok(!(directives.get('style-src') ?? []).includes("'unsafe-inline'"), csp);
    assert.deepEqual(directives.get('object-src'), ["'none'"]);
    assert.deepEqual(directives.get('base-uri'), ["'none'"]);
    assert.ok(directives.has('frame-ancestors') && directives.has('form-action'), csp);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
  }
});

test('every attempt refused with zero Proxmox writes; no token secret, token id or UPID in any response', () => {
  console.log(attemptSummary(log, 'web'));
  assert.ok(log.attempts >= 100, `a real list (${log.attempts})`);
  assertAllRefused(log, 'web');
  for (const s of [stack, limited]) {
    assert.ok(!s.replies.some((r) => `${JSON.stringify(r.headers)}\n${r.text}`.includes(s.secret)), 'the secret is in no answer, static files included');
    // The core's own code knows the word UPID (it parses them); every other answer must not carry one.
    const dynamic = s.replies.filter((r) => !/^application\/(wasm|javascript)|^text\/javascript/.test(String(r.headers['content-type'])));
    assert.deepEqual(leakedInReplies(dynamic, s.secret), []);
  }
});
