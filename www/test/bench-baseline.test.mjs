// The plain-JS expiry baseline in bench/ is only a fair yardstick if it
// answers exactly like the core: same deletes, same order, same skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as core from '../core.mjs';
import { planExpiryJs, encodeSegment } from '../../bench/expiry-baseline.mjs';
import { makeFleet, NOW_MS } from '../../bench/fleet-data.mjs';

const DAY_S = 86_400;
const nowS = NOW_MS / 1000;
const policy = { maxSnapshots: 5, lifetimeDays: 1 };
const target = { node: 'pve1', vmid: 101 };
const current = { name: 'current', digest: 'ab', running: 1, description: 'You are here!' };

/** @typedef {import('../../pkg/pve_snapshots.js').Target} Target */
/** @typedef {import('../../pkg/pve_snapshots.js').PolicyInput} PolicyInput */
/** @typedef {import('../../pkg/pve_snapshots.js').VmStatus} VmStatus */
/** @typedef {import('../../pkg/pve_snapshots.js').Snapshots} Snapshots */

/**
 * Both must return the same plan for the same input.
 * @param {Target} t @param {PolicyInput} p @param {VmStatus} vm @param {Snapshots} snaps @param {number} [now]
 */
function same(t, p, vm, snaps, now = NOW_MS) {
  const want = core.planExpiry(t, p, vm, snaps, now);
  assert.deepEqual(planExpiryJs(t, p, vm, snaps, now), want);
  return want;
}

test('a generated fleet plans identically and exercises every branch', () => {
  const fleet = makeFleet({ vms: 2000, seed: 7 });
  const codes = new Set();
  let deletes = 0;
  for (const v of fleet) {
    const plan = same(v.target, v.policy, v.vmStatus, v.snapshots);
    deletes += plan.deletes.length;
    for (const s of plan.skipped) codes.add(s.code);
  }
  assert.ok(deletes > 1000, `only ${deletes} deletes`);
  assert.deepEqual([...codes].sort(), ['INVALID_INPUT', 'INVALID_TARGET', 'SNAPSHOT_BUSY', 'VM_LOCKED']);
});

test('managed-name pattern, snaptime 0, oldest first', () => {
  const snaps = [
    { name: 'snap20261120T000000', snaptime: nowS - 3 * DAY_S },
    { name: 'snap20261119T000000-2', snaptime: nowS - 4 * DAY_S },
    { name: 'snap20261119T000000', snaptime: nowS - 4 * DAY_S },
    { name: 'snap20261119T000000-1', snaptime: nowS - 5 * DAY_S },
    { name: 'snap20261119T000000-100', snaptime: nowS - 5 * DAY_S },
    { name: 'Snap20261119T000000', snaptime: nowS - 5 * DAY_S },
    { name: 'snap20261101T000000', snaptime: 0 },
    { name: 'snap20261125T000000', snaptime: nowS - 100 },
    { name: 'admin-old', snaptime: nowS - 30 * DAY_S },
    current,
  ];
  const plan = same(target, policy, { status: 'running' }, snaps);
  assert.deepEqual(plan.deletes.map((d) => d.name), ['snap20261119T000000', 'snap20261119T000000-2', 'snap20261120T000000']);
  assert.deepEqual(plan.skipped.map((s) => s.name), ['snap20261101T000000']);
  same(target, { ...policy, namePrefix: 'a-b' }, { status: 'stopped' }, [{ name: 'a-b20261119T000000', snaptime: 5 }]);
});

test('locks, templates and snapstates skip with the same reasons', () => {
  const expired = { name: 'snap20261119T000000', snaptime: nowS - 4 * DAY_S };
  for (const vm of [
    { status: 'running', lock: 'backup' },
    { status: 'running', lock: 'rollback' },
    { status: 'stopped', template: 1 },
    { status: 'running', lock: '' },
  ]) {
    same(target, policy, vm, [expired, current]);
  }
  for (const snapstate of ['delete', 'prepare', 'odd']) {
    same(target, policy, { status: 'running' }, [expired, { name: 'other', snaptime: 5, snapstate }]);
    same(target, policy, { status: 'running' }, [{ ...expired, snapstate }]);
  }
});

test('paths are percent-encoded like the core, for lxc too', () => {
  assert.equal(encodeSegment('a.b/c d%'), 'a%2Eb%2Fc%20d%25');
  assert.equal(encodeSegment('ä~_-'), '%C3%A4~_-');
  const plan = same({ node: 'pve-2', vmid: 999_999_999, type: 'lxc' }, policy, { status: 'stopped' }, [
    { name: 'snap20261119T000000', snaptime: nowS - 4 * DAY_S },
  ]);
  assert.equal(plan.deletes[0].path, '/nodes/pve-2/lxc/999999999/snapshot/snap20261119T000000');
});

test('bad input is refused by both, with the same code', () => {
  /** @type {Array<[Target, PolicyInput, VmStatus, Snapshots]>} */
  const cases = [
    [{ node: 'a.b', vmid: 101 }, policy, { status: 'running' }, []],
    [{ node: 'pve1', vmid: 99 }, policy, { status: 'running' }, []],
    [target, { maxSnapshots: 1, lifetimeDays: 11 }, { status: 'running' }, []],
    // A vmStatus without its status: wrong on purpose, so cast past its type.
    [target, policy, /** @type {any} */ ({}), []],
    // Not '5': the core reads a string of digits as Proxmox's integer.
    [target, policy, { status: 'running' }, [{ name: 'snap20261119T000000', snaptime: '5x' }]],
    [target, policy, { status: 'running' }, [{ name: 'x1', snaptime: 1 }, { name: 'x1', snaptime: 2 }]],
  ];
  for (const args of cases) {
    /** @type {string | undefined} */
    let code;
    assert.throws(() => core.planExpiry(...args, NOW_MS), (e) => { code = /** @type {{code: string}} */ (e).code; return true; });
    assert.throws(() => planExpiryJs(...args, NOW_MS), (e) => /** @type {{code: string}} */ (e).code === code, `expected ${code} for ${JSON.stringify(args)}`);
  }
});
