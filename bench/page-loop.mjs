// The snapshotPage timing loop, shared by Node and the browser so both
// measure exactly the same thing. No imports: the browser loads it as is.

import { PAGE_NOW_MS, PAGE_POLICY, PAGE_VM_STATUS, PAGE_SNAPSHOTS } from './page-fixture.mjs';

/**
 * Times `snapshotPage` on the 10-snapshot fixture. Each sample is a batch of
 * calls (the browser clock is coarse, 5–100 µs), reported per call.
 * @param {Pick<typeof import('../pkg/pve_snapshots.js'), 'snapshotPage'>} core the initialised package
 * @param {{samples?: number, calls?: number, snapshots?: Parameters<typeof import('../pkg/pve_snapshots.js').snapshotPage>[2]}} [options] `snapshots` replaces the fixture (e.g. only `current`, for the fixed cost of a call)
 * @returns {{perCallUs: number[], rows: number}}
 */
export function measureSnapshotPage(core, { samples = 30, calls = 2000, snapshots = PAGE_SNAPSHOTS } = {}) {
  let sink = 0;
  // The clock moves by a second per call, as the page's ticks do, so no
  // result can be cached between calls.
  for (let i = 0; i < calls; i++) sink += core.snapshotPage(PAGE_POLICY, PAGE_VM_STATUS, snapshots, PAGE_NOW_MS + i * 1000).rows.length;
  const perCallUs = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      sink += core.snapshotPage(PAGE_POLICY, PAGE_VM_STATUS, snapshots, PAGE_NOW_MS + i * 1000).rows.length;
    }
    perCallUs.push(((performance.now() - t0) * 1000) / calls);
  }
  return { perCallUs, rows: sink / (calls * (samples + 1)) };
}
