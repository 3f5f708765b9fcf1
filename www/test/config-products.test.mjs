// Product policies in the shared config are normalised by the real rules core
// (wasm), and its refusals are reported at the product's place in the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../config.mjs';

const env = { PVE_TOKEN_SECRET: 'secret-value' };
/** @type {string} */
let dir;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'config-products-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

let n = 0;
/** @param {unknown} products @param {unknown[]} [services] */
async function load(products, services = []) {
  const path = join(dir, `c${++n}.json`);
  await writeFile(path, JSON.stringify({ pve: { url: 'http://127.0.0.1:8006', tokenId: 'root@pam!panel' }, products, services }));
  return loadConfig(path, { env });
}

/**
 * @param {unknown} products @param {unknown[]} [services]
 * @returns {Promise<ConfigError & {details: {problems: {path: string, message: string}[]}}>}
 */
async function problems(products, services) {
  const err = await load(products, services).then(() => null, (e) => e);
  assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
  return /** @type {any} */ (err);
}

test('the example config from the brief loads, policies filled by the core', async () => {
  const cfg = await load(
    { 'vps-s': { maxSnapshots: 3, lifetimeDays: 3 }, 'vps-zfs': { maxSnapshots: 2, lifetimeDays: 7, rollbackLatestOnly: true } },
    [{ id: 'svc-1001', customer: 'alice', vmid: 101, type: 'qemu', product: 'vps-s', name: 'web-alice' },
      { id: 'svc-1002', customer: 'bob', vmid: 200, product: 'vps-zfs' }],
  );
  assert.deepEqual(cfg.products['vps-s'], { maxSnapshots: 3, lifetimeDays: 3, includeRam: true, namePrefix: 'snap', rollbackLatestOnly: false });
  assert.equal(cfg.products['vps-zfs'].rollbackLatestOnly, true);
  assert.deepEqual(cfg.services, [
    { id: 'svc-1001', customer: 'alice', vmid: 101, type: 'qemu', product: 'vps-s', name: 'web-alice' },
    { id: 'svc-1002', customer: 'bob', vmid: 200, type: 'qemu', product: 'vps-zfs', name: null },
  ]);
});

/** @type {[unknown, string, RegExp][]} */
const BAD = [
  [{ maxSnapshots: 3, lifetimeDays: 11 }, 'products["vps-s"].lifetimeDays', /^must be from 1 to 10, got 11$/],
  [{ maxSnapshots: 3, lifetimeDays: 0 }, 'products["vps-s"].lifetimeDays', /from 1 to 10/],
  [{ maxSnapshots: 3, lifetimeDays: 1.5 }, 'products["vps-s"].lifetimeDays', /integer/],
  [{ lifetimeDays: 3 }, 'products["vps-s"].maxSnapshots', /required/],
  [{ maxSnapshots: 3, lifetimeDays: 3, includeRam: 'yes' }, 'products["vps-s"].includeRam', /true or false/],
  [{ maxSnapshots: 3, lifetimeDays: 3, namePrefix: '1x' }, 'products["vps-s"].namePrefix', /letter/],
  [7, 'products["vps-s"]', /object/],
];
for (const [policy, path, re] of BAD) {
  test(`policy ${JSON.stringify(policy)} → ${path}`, async () => {
    const err = await problems({ 'vps-s': policy });
    const p = err.details.problems.find((x) => x.path === path);
    assert.ok(p, `no problem at ${path}: ${JSON.stringify(err.details.problems)}`);
    assert.match(p.message, re);
  });
}

test('a service on an invalid product is reported once, at the product', async () => {
  const err = await problems({ 'vps-s': { maxSnapshots: 3, lifetimeDays: 30 } },
    [{ id: 'svc-1', customer: 'a', vmid: 101, product: 'vps-s' }]);
  assert.deepEqual(err.details.problems.map((p) => p.path), ['products["vps-s"].lifetimeDays']);
});

test('a service on a product that does not exist names the known ones', async () => {
  const err = await problems({ 'vps-s': { maxSnapshots: 3, lifetimeDays: 3 } },
    [{ id: 'svc-1', customer: 'a', vmid: 101, product: 'vps-m' }]);
  assert.deepEqual(err.details.problems, [{ path: 'services[0].product', message: 'unknown product "vps-m" (known: vps-s)' }]);
});
