// Panel server: requests the page would never send. CSRF, ownership,
// crafted snapshot names, body limits and content types must all be refused
// before anything reaches Proxmox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, leakedInReplies } from './server-harness.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('./server-harness.mjs').Browser} */
let alice;
/** @type {import('./server-harness.mjs').Browser} */
let bob;

before(async () => {
  stack = await startStack({ limits: { actions: 1000 } });
  alice = await stack.browser('alice');
  bob = await stack.browser('bob');
});
after(async () => {
  await stack?.close();
});

/**
 * Runs `fn` and asserts the simulator saw no request at all meanwhile.
 * @param {() => Promise<void>} fn
 */
async function noProxmoxCall(fn) {
  const seen = stack.sim.requests.length;
  await fn();
  assert.deepEqual(stack.sim.requests.slice(seen).map((/** @type {any} */ r) => `${r.method} ${r.path}`), []);
}

test('CSRF: a missing, wrong or foreign token is 403 CSRF_FAILED and nothing reaches Proxmox', async () => {
  await noProxmoxCall(async () => {
    const cases = [
      { csrf: false },
      { headers: { 'X-CSRF-Token': '' } },
      { headers: { 'X-CSRF-Token': 'wrong' } },
      { headers: { 'X-CSRF-Token': /** @type {string} */ (bob.csrf) } },
    ];
    for (const opts of cases) {
      for (const [method, path, json] of [
        ['POST', '/api/services/svc-101/snapshots', {}],
        ['POST', '/api/services/svc-101/snapshots/snap20260101T000000/rollback', {}],
        ['DELETE', '/api/services/svc-101/snapshots/snap20260101T000000', undefined],
      ]) {
        const r = await alice.send(/** @type {string} */ (method), /** @type {string} */ (path), { ...opts, json });
        assert.equal(r.status, 403, `${method} ${path} ${JSON.stringify(opts)}`);
        assert.equal(r.json.error.code, 'CSRF_FAILED');
      }
    }
  });
});

test('ownership: another customer\'s services and vmid guesses are 404 NOT_FOUND, nothing reaches Proxmox', async () => {
  await noProxmoxCall(async () => {
    for (const id of ['svc-201', 'svc-202', '201', 'qemu%2F201', 'svc-201%00', 'SVC-201', '__proto__', 'constructor', 'svc-999']) {
      for (const [method, path, json] of [
        ['GET', `/api/services/${id}/snapshots`, undefined],
        ['POST', `/api/services/${id}/snapshots`, {}],
        ['DELETE', `/api/services/${id}/snapshots/snap20260101T000000`, undefined],
        ['POST', `/api/services/${id}/snapshots/snap20260101T000000/rollback`, {}],
        ['GET', `/api/services/${id}/tasks/t-anything`, undefined],
      ]) {
        const r = await alice.send(/** @type {string} */ (method), /** @type {string} */ (path), { json });
        assert.equal(r.status, 404, `${method} ${path}`);
        assert.equal(r.json.error.code, 'NOT_FOUND');
        assert.doesNotMatch(r.text, /bob|shop|201/, 'the answer must not reveal the other service');
      }
    }
  });
});

test('another customer\'s task id is 404 under every service', async () => {
  const r = await bob.send('POST', '/api/services/svc-202/snapshots', { json: {} });
  assert.equal(r.status, 202, r.text);
  const id = r.json.task.id;
  for (const svc of ['svc-101', 'svc-102', 'svc-103', 'svc-202']) {
    const t = await alice.send('GET', `/api/services/${svc}/tasks/${id}`);
    assert.equal(t.status, 404, svc);
  }
  assert.equal((await bob.waitTask('svc-202', id)).json.task.state, 'ok');
});

test('crafted snapshot names are 400 or 404 and never reach Proxmox', async () => {
  await noProxmoxCall(async () => {
    const invalid = ['..%2F..%2Fqemu%2F201', '%2F', 'a%2Fb', 'a%20b', `a${'b'.repeat(40)}`, 'current', 'pending', '..',
      '.', '%2e%2e', 'snap%00', '%E0%A4%A', '%ZZ', 'snap20260101T000000%3Fforce%3D1', 'snap20260101T000000%23x', '1abc', '-x', 'a'];
    for (const name of invalid) {
      for (const [method, path, json] of [
        ['DELETE', `/api/services/svc-101/snapshots/${name}`, undefined],
        ['POST', `/api/services/svc-101/snapshots/${name}/rollback`, {}],
      ]) {
        const r = await alice.send(/** @type {string} */ (method), /** @type {string} */ (path), { json });
        assert.ok(r.status === 400 || r.status === 404, `${method} ${path} → ${r.status}`);
        assert.ok(['INVALID_NAME', 'NOT_FOUND'].includes(r.json.error.code), `${path}: ${r.json.error.code}`);
      }
    }
    for (const path of ['/api/services/svc-101/snapshots/../../qemu/201', '/api/services/svc-101/snapshots/../snapshots',
      '/api/services/svc-101/snapshots/./x', '/api/services/svc-101/snapshots/a/b', '/api/services/svc-101/../svc-201/snapshots',
      '/api/services/svc-101/snapshots/', '/api/services/svc-101//snapshots']) {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const r = await alice.send(method, path, { json: method === 'POST' ? {} : undefined });
        assert.equal(r.status, 404, `${method} ${path}`);
      }
    }
  });
});

test('oversize bodies are 413 TOO_LARGE, also when streamed without a length', async () => {
  await noProxmoxCall(async () => {
    const big = JSON.stringify({ description: 'x'.repeat(17 * 1024) });
    const r = await alice.send('POST', '/api/services/svc-101/snapshots', { body: big, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, 'TOO_LARGE');
    const chunked = await alice.send('POST', '/api/services/svc-101/snapshots', {
      body: big, headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
    });
    assert.equal(chunked.status, 413);
    const login = await alice.send('POST', '/api/login', { body: JSON.stringify({ username: 'alice', password: 'p'.repeat(20_000) }), headers: { 'Content-Type': 'application/json' } });
    assert.equal(login.status, 413);
  });
  // The server still works afterwards.
  assert.equal((await alice.send('GET', '/api/session')).status, 200);
});

test('only application/json bodies: anything else is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
  await noProxmoxCall(async () => {
    for (const [type, body] of [
      ['text/plain', '{}'],
      ['application/x-www-form-urlencoded', 'description=x'],
      ['multipart/form-data; boundary=x', '--x--'],
      ['application/json; charset=latin1', '{}'],
      ['application/jsonx', '{}'],
      [undefined, '{}'],
    ]) {
      /** @type {Record<string, string>} */
      const headers = type ? { 'Content-Type': type } : {};
      const r = await alice.send('POST', '/api/services/svc-101/snapshots', { body, headers });
      assert.equal(r.status, 415, String(type));
      assert.equal(r.json.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    }
    const login = await alice.send('POST', '/api/login', { body: 'username=alice&password=alice-demo', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(login.status, 415);
  });
});

test('malformed JSON and wrong field types are 400 and never reach Proxmox', async () => {
  await noProxmoxCall(async () => {
    for (const body of ['{', '[]', '"x"', 'null', '{"description": 5}', '{"includeRam": "yes"}', '{"snapname": "x"}', '{"__proto__": {"x": 1}}']) {
      const r = await alice.send('POST', '/api/services/svc-101/snapshots', { body, headers: { 'Content-Type': 'application/json' } });
      assert.equal(r.status, 400, body);
      assert.match(r.json.error.code, /^INVALID_/);
    }
    const r = await alice.send('POST', '/api/services/svc-101/snapshots/snap20260101T000000/rollback', { json: { start: 'yes' } });
    assert.equal(r.status, 400);
  });
});

test('a description the core refuses is 400 INVALID_DESCRIPTION and nothing is written', async () => {
  const sent = stack.writes().length;
  const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 'bell\u0007' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'INVALID_DESCRIPTION');
  assert.equal(stack.writes().length, sent);
});

test('every API answer carries the security headers and no-store', async () => {
  const recent = stack.replies.slice(-20);
  for (const r of recent) {
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'self'/);
  }
});

test('the token secret, token id and UPIDs never appear in any response of this suite', () => {
  assert.ok(stack.replies.length > 50);
  assert.deepEqual(leakedInReplies(stack.replies, stack.secret), []);
});
