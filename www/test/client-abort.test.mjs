// A request whose signal is already aborted rejects with the signal's reason
// and sends nothing (it used to destroy the socket before its error listener
// existed, crashing the process with an unhandled 'error' event).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createPveClient } from '../pve/client.mjs';

test('an already-aborted signal rejects with its reason and sends nothing', async () => {
  let received = 0;
  const server = http.createServer((req, res) => { received += 1; res.end('{"data":[]}'); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  let pve;
  try {
    pve = createPveClient({ url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`, tokenId: 'root@pam!panel', tokenSecret: 'S' });
    for (const method of /** @type {const} */ (['GET', 'POST', 'DELETE'])) {
      const reason = new Error(`stop ${method}`);
      await assert.rejects(
        pve.request({ method, path: '/nodes/pve1/qemu/101/snapshot', params: {} }, { signal: AbortSignal.abort(reason) }),
        (err) => err === reason,
      );
    }
    // Give a wrongly sent request time to arrive, and the process time to crash.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(received, 0);
    assert.deepEqual(await pve.request({ method: 'GET', path: '/nodes', params: {} }), []);
  } finally {
    pve?.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
