// Panel server: snapshot actions are rate-limited per customer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, leakedInReplies } from './server-harness.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
before(async () => {
  stack = await startStack({ limits: { actions: 3, actionWindowMs: 60_000 } });
});
after(async () => {
  await stack?.close();
});

test('more actions than the limit per minute: 429 RATE_LIMITED with Retry-After, nothing sent; other customers unaffected', async () => {
  const alice = await stack.browser('alice');
  const bob = await stack.browser('bob');
  // Refused actions count too: guessing costs the same as acting.
  for (let i = 0; i < 3; i++) {
    const r = await alice.send('DELETE', `/api/services/svc-101/snapshots/snap2020010${i}T000000`);
    assert.equal(r.status, 404, r.text);
  }
  const seen = stack.sim.requests.length;
  const limited = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error.code, 'RATE_LIMITED');
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  assert.equal(stack.sim.requests.length, seen, 'a limited request reaches no one');
  // Reading is not limited.
  assert.equal((await alice.send('GET', '/api/services/svc-101/snapshots')).status, 200);

  const other = await bob.send('POST', '/api/services/svc-202/snapshots', { json: {} });
  assert.equal(other.status, 202, other.text);
  await bob.waitTask('svc-202', other.json.task.id);

  stack.sim.clock.advance(61_000);
  const again = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(again.status, 202, again.text);
  await alice.waitTask('svc-101', again.json.task.id);
});

test('the token secret, token id and UPIDs never appear in any response of this suite', () => {
  assert.ok(stack.replies.length > 5);
  assert.deepEqual(leakedInReplies(stack.replies, stack.secret), []);
});
