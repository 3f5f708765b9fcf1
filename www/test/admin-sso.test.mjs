// The host's single-use sign-on link to the operator's view: minted by
// POST /host/v1/admin-sso for a configured operator, opened once at
// /admin/sso/<token>; customers' links and operators' links never cross.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHostStack } from './host-harness.mjs';
import { rawRequest } from './server-harness.mjs';
import { AdminClient } from './helpers/admin-client.mjs';

test('admin sign-on links: single use, short-lived, only for operators, never a customer session', async () => {
  const stack = await startHostStack({ hostApi: { ssoTtlSeconds: 30 } });
  try {
    const minted = await stack.host('POST', '/admin-sso', { body: { username: 'admin' } });
    assert.equal(minted.status, 200, minted.text);
    assert.match(minted.json.url, new RegExp(`^${stack.url}/admin/sso/[A-Za-z0-9_-]{43}$`));
    const ttl = Date.parse(minted.json.expiresAt) - stack.sim.clock.now();
    assert.ok(ttl > 25_000 && ttl <= 30_000, `expires in ${ttl} ms`);
    const path = new URL(minted.json.url).pathname;

    assert.equal((await rawRequest(stack.url, 'HEAD', path)).status, 400, 'HEAD does not spend a link');
    const opened = await rawRequest(stack.url, 'GET', path);
    assert.equal(opened.status, 303);
    assert.equal(opened.headers.location, '../');
    const cookie = String(opened.headers['set-cookie']);
    assert.match(cookie, /^asid=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/admin$/);
    const op = new AdminClient(stack.url);
    op.asid = cookie.slice(5, 48);
    const session = await op.send('GET', '/session');
    assert.equal(session.status, 200);
    assert.equal(session.json.operator.username, 'admin');
    assert.equal((await op.send('GET', '/services')).status, 200);
    // The operator's session is no customer's.
    assert.equal((await rawRequest(stack.url, 'GET', '/api/services', { headers: { Cookie: `sid=${op.asid}` } })).status, 401);

    const replay = await rawRequest(stack.url, 'GET', path);
    assert.equal(replay.status, 400);
    assert.match(replay.text, /no longer valid/);
    assert.equal(replay.headers['set-cookie'], undefined);

    // An operator's link at the customers' door, and a customer's at the operators'.
    const forCustomers = await stack.host('POST', '/admin-sso', { body: { username: 'admin' } });
    const atCustomerDoor = await rawRequest(stack.url, 'GET', `/sso/${new URL(forCustomers.json.url).pathname.split('/').pop()}`);
    assert.equal(atCustomerDoor.status, 400);
    assert.equal(atCustomerDoor.headers['set-cookie'], undefined);
    const p = await stack.host('PUT', '/products/whmcs-3x3d', { body: { maxSnapshots: 3, lifetimeDays: 3 } });
    assert.equal(p.status, 200);
    assert.equal((await stack.host('PUT', '/services/501', { body: { customer: { id: '77' }, vmid: 301, product: 'whmcs-3x3d' } })).status, 201);
    const customerLink = await stack.host('POST', '/sso', { body: { customerId: '77' } });
    const atAdminDoor = await rawRequest(stack.url, 'GET', `/admin/sso/${new URL(customerLink.json.url).pathname.split('/').pop()}`);
    assert.equal(atAdminDoor.status, 400);
    assert.equal(atAdminDoor.headers['set-cookie'], undefined);

    const late = await stack.host('POST', '/admin-sso', { body: { username: 'admin' } });
    stack.sim.clock.advance(30_001);
    const expired = await rawRequest(stack.url, 'GET', new URL(late.json.url).pathname);
    assert.equal(expired.status, 400);
    assert.equal(expired.headers['set-cookie'], undefined);

    assert.equal((await stack.host('POST', '/admin-sso', { body: { username: 'nobody' } })).status, 404);
    assert.equal((await stack.host('POST', '/admin-sso', { body: { username: 'alice' } })).status, 404, 'a customer is no operator');
    assert.equal((await stack.host('POST', '/admin-sso', { body: {} })).status, 400);
    assert.equal((await stack.host('POST', '/admin-sso', { body: { username: 'admin' }, key: 'wrong' })).status, 401);
    assert.equal((await rawRequest(stack.url, 'GET', '/admin/sso/short')).status, 400);
    assert.equal((await rawRequest(stack.url, 'POST', `/admin/sso/${'A'.repeat(43)}`)).status, 405);
    assert.ok(stack.events.some((e) => e.event === 'sign-in' && e.fields.actor === 'operator' && e.fields.via === 'sso' && e.fields.outcome === 'ok'));
  } finally {
    await stack.close();
  }
});
