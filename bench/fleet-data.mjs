// A Proxmox-shaped fleet for planning benchmarks: per VM the `data` of
// `GET …/status/current` and of `GET …/snapshot` (shuffled like Perl hash
// order, ending with the `current` pseudo-entry), under a few products.

import { seededRandom } from './lib/random.mjs';

/** 2026-11-25T11:30:00Z, the fixed "now" of every planning bench. */
export const NOW_MS = 1_795_606_200_000;
const DAY_S = 86_400;

/**
 * The products a hosting company might sell; prefixes differ on purpose.
 * @type {import('../pkg/pve_snapshots.js').PolicyInput[]}
 */
export const POLICIES = [
  { maxSnapshots: 10, lifetimeDays: 1 },
  { maxSnapshots: 10, lifetimeDays: 3, includeRam: false },
  { maxSnapshots: 10, lifetimeDays: 7, namePrefix: 'auto-' },
  { maxSnapshots: 10, lifetimeDays: 10, rollbackLatestOnly: true },
];

/**
 * One guest's planning arguments, as Proxmox answers them (with the fields
 * the rules ignore, e.g. `uptime`, `parent`, `digest`).
 * @typedef {{
 *   target: import('../pkg/pve_snapshots.js').Target,
 *   policy: import('../pkg/pve_snapshots.js').PolicyInput,
 *   vmStatus: import('../pkg/pve_snapshots.js').VmStatus & Record<string, unknown>,
 *   snapshots: Array<import('../pkg/pve_snapshots.js').Snapshot & Record<string, unknown>>
 * }} FleetVm
 */

/**
 * @param {number} epochSeconds
 * @returns {string} `YYYYMMDDTHHMMSS` in UTC, as the core generates names
 */
function stamp(epochSeconds) {
  return new Date(epochSeconds * 1000).toISOString().replace(/[-:]/g, '').slice(0, 15);
}

/**
 * Builds `vms` guests with `perVm` snapshots each. Mix per VM: mostly managed
 * snapshots of every age (about half expired), one or two made by an
 * administrator, and now and then the awkward cases the rule must handle:
 * snaptime 0, a snapstate left behind, a config lock, a template, a `-2` name.
 * @param {{vms?: number, perVm?: number, seed?: number, nodes?: number}} [options]
 * @returns {FleetVm[]}
 */
export function makeFleet({ vms = 10_000, perVm = 10, seed = 42, nodes = 4 } = {}) {
  const rnd = seededRandom(seed);
  const pick = (/** @type {string[]} */ list) => list[Math.floor(rnd() * list.length)];
  const nowS = NOW_MS / 1000;
  /** @type {FleetVm[]} */
  const fleet = [];
  for (let i = 0; i < vms; i++) {
    const policy = POLICIES[i % POLICIES.length];
    const prefix = policy.namePrefix ?? 'snap';
    const type = rnd() < 0.1 ? 'lxc' : 'qemu';
    const running = rnd() < 0.8;
    /** @type {FleetVm['vmStatus']} */
    const vmStatus = {
      status: running ? 'running' : 'stopped',
      vmid: 100 + i,
      name: `vm-${100 + i}`,
      uptime: running ? Math.floor(rnd() * 1e6) : 0,
      cpus: 2,
      maxmem: 4294967296,
      qmpstatus: running ? 'running' : 'stopped',
    };
    const r = rnd();
    if (r < 0.03) vmStatus.lock = 'backup';
    else if (r < 0.04) vmStatus.lock = 'snapshot';
    else if (r < 0.045) vmStatus.template = 1;
    /** @type {FleetVm['snapshots']} */
    const snapshots = [];
    const used = new Set();
    let parent;
    for (let k = 0; k < perVm; k++) {
      const foreign = k >= perVm - 2 && rnd() < 0.6;
      // Ages spread over 0..2×lifetime, so about half are past it.
      const age = Math.floor(rnd() * 2 * policy.lifetimeDays * DAY_S);
      let snaptime = nowS - age;
      let name;
      if (foreign) {
        name = pick(['before-upgrade', 'admin-test', 'pre_migration', 'Keep-me', 'vzdump']) + k;
      } else {
        name = `${prefix}${stamp(snaptime)}`;
        // Two snapshots in the same second get -2, as the core generates them.
        if (used.has(name) || rnd() < 0.03) name += '-2';
      }
      if (used.has(name)) name += `x${k}`;
      used.add(name);
      /** @type {FleetVm['snapshots'][number]} */
      const s = { name, snaptime, description: rnd() < 0.3 ? `before deploy #${k}` : '' };
      if (type === 'qemu') s.vmstate = running && rnd() < 0.5 ? 1 : 0;
      if (parent) s.parent = parent;
      parent = name;
      const odd = rnd();
      if (odd < 0.005) s.snaptime = 0;
      else if (odd < 0.012) s.snapstate = pick(['delete', 'prepare']);
      snapshots.push(s);
    }
    // Proxmox lists snapshots in Perl hash order, never sorted.
    for (let k = snapshots.length - 1; k > 0; k--) {
      const j = Math.floor(rnd() * (k + 1));
      [snapshots[k], snapshots[j]] = [snapshots[j], snapshots[k]];
    }
    snapshots.push({ name: 'current', digest: 'a'.repeat(40), running: running ? 1 : 0, description: 'You are here!', parent });
    fleet.push({ target: { node: `pve${(i % nodes) + 1}`, vmid: 100 + i, type }, policy, vmStatus, snapshots });
  }
  return fleet;
}
