// Panel server behind a TLS-terminating proxy: the session cookie gets
// `Secure` only when the proxy is trusted and says the client used https.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './server-harness.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
before(async () => {
  stack = await startStack({ serverOptions: { trustProxy: true } });
});
after(async () => {
  await stack?.close();
});

test('Secure cookie behind X-Forwarded-Proto: https when the proxy is trusted', async () => {
  const b = await stack.browser();
  const r = await b.send('POST', '/api/login', {
    json: { username: 'alice', password: 'alice-demo' },
    headers: { 'X-Forwarded-Proto': 'https' },
  });
  assert.equal(r.status, 200);
  assert.match(/** @type {string[]} */ (r.headers['set-cookie'])[0], /; Secure/);

  const plain = await b.send('POST', '/api/login', { json: { username: 'alice', password: 'alice-demo' } });
  assert.doesNotMatch(/** @type {string[]} */ (plain.headers['set-cookie'])[0], /Secure/);
});
