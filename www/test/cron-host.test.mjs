// The expiry job and the host panel's services: it reads them from the
// store the panel writes and removes their expired snapshots, suspended or
// not; foreign and unexpired ones stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '../core.mjs';
import { openStore } from '../store/index.mjs';
import { createStoreHostRegistry } from '../store/host-store.mjs';
import { DAY_S, managed, names, runJob, startSim, tempDir, writeConfig } from './cron-harness.mjs';

test('a suspended host service\'s expired snapshots are removed by the job; nothing else is', async () => {
  const sim = await startSim({
    nodes: ['pve1'],
    guests: [{ vmid: 301, type: 'qemu', node: 'pve1', status: 'running', snapshots: [
      { name: managed(1), ageSeconds: 5 * DAY_S },
      { name: managed(2), ageSeconds: DAY_S },
      { name: 'admin-keep', ageSeconds: 30 * DAY_S },
    ] }],
  });
  const { dir, cleanup } = await tempDir('cron-host-');
  try {
    const dataDir = join(dir, 'data');
    const store = await openStore({ dataDir });
    const host = createStoreHostRegistry({ store });
    const now = sim.clock.now();
    await host.putProduct('p3', core.validatePolicy({ maxSnapshots: 5, lifetimeDays: 3 }), now);
    await host.putService({ id: '501', customer: { id: '77', name: null, email: null }, vmid: 301, type: 'qemu', product: 'p3', label: 'vps1' }, now);
    await host.setSuspended('501', { suspended: true, reason: 'overdue' }, now);
    await store.close();

    const path = await writeConfig(dir, { url: sim.url, services: [] });
    const config = JSON.parse(await readFile(path, 'utf8'));
    config.hostApi = { keys: [{ name: 'whmcs', sha256: 'a'.repeat(64) }], publicUrl: 'https://snapshots.example.net' };
    await writeFile(path, JSON.stringify(config));

    const run = await runJob(['--config', path, '--data-dir', dataDir, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json.counts.services, 1);
    assert.deepEqual(run.json.vms.map((/** @type {any} */ v) => [v.service, v.deleted]), [['host:501', [managed(1)]]]);
    assert.deepEqual(names(sim, 301).sort(), [managed(2), 'admin-keep'].sort());

    const missing = await runJob(['--config', path, '--data-dir', join(dir, 'nowhere'), '--json']);
    assert.equal(missing.code, 2, 'a store the panel never created is a setup error, and nothing is sent');
    assert.equal(missing.json.error.code, 'STORE_UNAVAILABLE');
  } finally {
    await sim.close();
    await cleanup();
  }
});
