// The host API against what else happens on the panel: a host call racing a
// customer action on the same VM, and the https rule seen from a peer that
// is not loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { Browser, rawRequest } from './server-harness.mjs';
import { HOST_KEY, startHostStack } from './host-harness.mjs';

test('terminate while the customer\'s snapshot is being taken: 409 SNAPSHOT_BUSY, nothing removed, the service kept; the retry finishes', async () => {
  const stack = await startHostStack({ taskDurationMs: 400 });
  try {
    assert.equal((await stack.host('PUT', '/products/p3', { body: { maxSnapshots: 3, lifetimeDays: 3 } })).status, 200);
    assert.equal((await stack.host('PUT', '/services/501', { body: { customer: { id: '77' }, vmid: 301, product: 'p3' } })).status, 201);
    const minted = await stack.host('POST', '/sso', { body: { customerId: '77', serviceId: '501' } });
    const b = new Browser(stack.url, []);
    assert.equal((await b.send('GET', new URL(minted.json.url).pathname)).status, 303);
    b.csrf = (await b.send('GET', '/api/session')).json.csrfToken;

    const created = await b.send('POST', '/api/services/501/snapshots', { json: { description: 'racing' } });
    assert.equal(created.status, 202);
    const racing = await stack.host('DELETE', '/services/501?purgeSnapshots=1');
    assert.equal(racing.status, 409, racing.text);
    assert.equal(racing.json.error.code, 'SNAPSHOT_BUSY');
    assert.equal((await stack.host('GET', '/services/501')).status, 200, 'the service is kept');

    assert.equal((await b.waitTask('501', created.json.task.id)).json.task.state, 'ok');
    const done = await stack.host('DELETE', '/services/501?purgeSnapshots=1');
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.removed.length, 1);
    assert.deepEqual(stack.sim.vm(301).snapshots.map((s) => s.name), ['admin-before-upgrade']);

    // And the other way round: while the host purges, the customer is refused.
    assert.equal((await stack.host('PUT', '/services/502', { body: { customer: { id: '77' }, vmid: 303, product: 'p3' } })).status, 201);
    stack.sim.addSnapshot(303, { name: 'snap20261201T000000', ageSeconds: 60 });
    const purge = stack.host('DELETE', '/services/502?purgeSnapshots=1');
    // Once Proxmox has the removal, the host holds the VM until its task ends.
    const deleting = () => stack.sim.requests.some((/** @type {any} */ r) => r.method === 'DELETE' && String(r.path).includes('/303/'));
    for (let i = 0; i < 400 && !deleting(); i++) await new Promise((res) => setTimeout(res, 10));
    assert.ok(deleting(), 'the purge reached Proxmox');
    const refused = await b.send('POST', '/api/services/502/snapshots', { json: {} });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.error.code, 'SNAPSHOT_BUSY');
    const purged = await purge;
    assert.equal(purged.status, 200);
    assert.deepEqual(purged.json.removed, ['snap20261201T000000']);
  } finally {
    await stack.close();
  }
});

test('a key over plain http from a peer that is not loopback is refused with 403, whatever the key', async (t) => {
  const address = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  if (!address) {
    t.skip('this machine has no non-loopback IPv4 address to call from');
    return;
  }
  const stack = await startHostStack({ serverOptions: { host: '0.0.0.0' } });
  try {
    const port = new URL(stack.url).port;
    const r = await rawRequest(`http://${address}:${port}`, 'GET', '/host/v1/ping', { headers: { Authorization: `Bearer ${HOST_KEY}` } });
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'HOST_UNAUTHORIZED');
    assert.match(r.json.error.message, /https/);
    const loopback = await rawRequest(`http://127.0.0.1:${port}`, 'GET', '/host/v1/ping', { headers: { Authorization: `Bearer ${HOST_KEY}` } });
    assert.equal(loopback.status, 200);
  } finally {
    await stack.close();
  }
});
