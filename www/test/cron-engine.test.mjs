// The engine as a library: runExpiry() with a loaded config, progress
// events, a caller-owned client, and the run-time limit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config.mjs';
import { runExpiry, EXIT } from '../cron/engine.mjs';
import { createPveClient } from '../pve/client.mjs';
import { DAY_S, startSim, tempDir, writeConfig, service, names, managed, SECRET } from './cron-harness.mjs';

/** @type {(() => unknown)[]} */
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

async function setup() {
  const sim = await startSim({
    nodes: ['pve1'],
    guests: [{ vmid: 501, type: 'qemu', node: 'pve1', name: 'x', status: 'running', storage: 'lvmthin',
      snapshots: [{ name: managed(1), ageSeconds: 5 * DAY_S }, { name: managed(2), ageSeconds: 4 * DAY_S }, { name: 'keep', ageSeconds: 9 * DAY_S }] }],
  });
  const tmp = await tempDir('cron-engine-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const path = await writeConfig(tmp.dir, { url: sim.url, services: [service(501)] });
  const config = await loadConfig(path, { env: { PVE_TOKEN_SECRET: SECRET } });
  return { sim, config };
}

test('runExpiry reports progress events and returns the summary', async () => {
  const { sim, config } = await setup();
  /** @type {Record<string, any>[]} */
  const events = [];
  const summary = await runExpiry({ config, onEvent: (e) => events.push(e) });
  assert.equal(summary.exitCode, EXIT.OK);
  assert.deepEqual(names(sim, 501), ['keep']);
  assert.deepEqual(events.map((e) => e.type), ['start', 'deleted', 'deleted', 'vm-done']);
  assert.deepEqual(events.filter((e) => e.type === 'deleted').map((e) => e.name), [managed(1), managed(2)], 'oldest first');
  assert.match(events[1].upid, /^UPID:pve1:/);
});

test('a caller-owned client is used and left open; a throwing reporter does not stop the run', async () => {
  const { sim, config } = await setup();
  const pve = createPveClient({ ...config.pve });
  cleanups.push(() => pve.close());
  const summary = await runExpiry({ config, pve, onEvent: () => { throw new Error('reporter bug'); } });
  assert.equal(summary.exitCode, EXIT.OK);
  assert.deepEqual(names(sim, 501), ['keep']);
  assert.ok(Array.isArray(await pve.request({ method: 'GET', path: '/cluster/resources', params: { type: 'vm' } })), 'still usable');
});

test('past job.maxRunMs no new delete starts; the rest waits for the next run', async () => {
  const { sim, config } = await setup();
  const summary = await runExpiry({ config: { ...config, job: { ...config.job, maxRunMs: 0 } } });
  assert.equal(summary.exitCode, EXIT.OK);
  assert.deepEqual(summary.vms[0].skipped.map((s) => s.code), ['RUN_TIME_EXCEEDED', 'RUN_TIME_EXCEEDED']);
  assert.equal(sim.requests.filter((q) => q.method === 'DELETE').length, 0);
  assert.equal(names(sim, 501).length, 3);
});

test('an aborted signal: nothing deleted, exit 1 with ABORTED, lock released', async () => {
  const { sim, config } = await setup();
  const controller = new AbortController();
  controller.abort();
  const summary = await runExpiry({ config, signal: controller.signal });
  assert.equal(summary.exitCode, EXIT.FAILED);
  assert.equal(summary.error?.code, 'ABORTED');
  assert.equal(sim.requests.filter((q) => q.method === 'DELETE').length, 0);
  const again = await runExpiry({ config });
  assert.equal(again.exitCode, EXIT.OK, 'the lock was released');
  assert.deepEqual(names(sim, 501), ['keep']);
});
