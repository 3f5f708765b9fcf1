// Child of instructions.mjs, run under callgrind: does `count` units of one
// kind of work after the same setup, so two counts differ only by the work.
// WARM units run first (JIT tier-up, which --single-threaded puts on the main
// thread, lands there), then COUNT more.
// Usage: node bench/instructions-child.mjs page|fleet-wasm|fleet-js|fleet-copy|fleet-empty COUNT [WARM]

import * as core from '../www/core.mjs';
import { plain } from '../src/plain.js';
import { PAGE_NOW_MS, PAGE_POLICY, PAGE_VM_STATUS, PAGE_SNAPSHOTS } from './page-fixture.mjs';
import { planExpiryJs } from './expiry-baseline.mjs';
import { makeFleet, NOW_MS } from './fleet-data.mjs';

const [kind, countArg, warmArg = '0'] = process.argv.slice(2);
const count = Number(countArg) + Number(warmArg);
// Built whatever the kind, so every run pays the same setup.
const fleet = makeFleet({ vms: 1000 });

let sink = 0;
if (kind === 'page') {
  for (let i = 0; i < count; i++) sink += core.snapshotPage(PAGE_POLICY, PAGE_VM_STATUS, PAGE_SNAPSHOTS, PAGE_NOW_MS + i * 1000).rows.length;
} else if (kind === 'fleet-wasm' || kind === 'fleet-js') {
  const plan = kind === 'fleet-js' ? planExpiryJs : core.planExpiry;
  for (let i = 0; i < count; i++) {
    const v = fleet[i % fleet.length];
    sink += plan(v.target, v.policy, v.vmStatus, v.snapshots, NOW_MS).deletes.length;
  }
} else if (kind === 'fleet-copy') {
  // The boundary's JS step alone: the four arguments copied into plain data.
  const { snapshotsPerList, depth } = core.limits();
  for (let i = 0; i < count; i++) {
    const v = fleet[i % fleet.length];
    for (const [arg, value] of /** @type {Array<[string, unknown]>} */ ([['target', v.target], ['policy', v.policy], ['vmStatus', v.vmStatus], ['snapshots', v.snapshots]])) {
      sink += plain(value, arg, snapshotsPerList, depth, arg === 'snapshots' ? 'list' : 'object') === null ? 0 : 1;
    }
  }
} else if (kind === 'fleet-empty') {
  // A whole call with an empty list: the fixed cost of one planExpiry.
  for (let i = 0; i < count; i++) {
    const v = fleet[i % fleet.length];
    sink += core.planExpiry(v.target, v.policy, v.vmStatus, [], NOW_MS).deletes.length;
  }
} else {
  throw new Error(`unknown kind ${kind}`);
}
process.stdout.write(String(sink));
