// "Now" for expiry decisions. Snapshot ages are measured against the clock
// that stamped them: Proxmox sets `snaptime` from the node's own clock, so the
// job asks the node for its time (GET /nodes/{node}/time) instead of trusting
// the clock of the machine cron runs on. An explicit `now` overrides both
// (a testing and administration aid).

import * as core from '../core.mjs';

/** Differences between the job host and Proxmox above this are worth a warning (the job's and the operator's alerts). */
export const SKEW_WARNING_MS = 5 * 60_000;

/**
 * @typedef {object} ClockInfo
 * @property {'option'|'proxmox'|'local'} source
 * @property {Record<string, number>} skewMs  per node: Proxmox time minus local time
 */

/**
 * @param {{pve: {request: (d: import('../pve/client.mjs').RequestDescription) => Promise<any>}, fixedNow?: number|null, maxSkewMs?: number,
 *   warn: (message: string) => void, localNow?: () => number}} options
 *   maxSkewMs: a node further off than this is not trusted (its VMs fail with CLOCK_SKEW)
 * @returns {{now: (node: string) => Promise<number>, info: () => ClockInfo}}
 *   `now` rejects (the caller reports that VM and moves on) when the node
 *   cannot say its time for a passing reason
 */
export function createProxmoxClock({ pve, fixedNow = null, maxSkewMs = Infinity, warn, localNow = Date.now }) {
  /** @type {Map<string, number>} */
  const offsets = new Map();
  /** @type {Map<string, Promise<number>>} */
  const pending = new Map();
  let source = /** @type {ClockInfo['source']} */ (fixedNow === null ? 'proxmox' : 'option');

  /** @param {string} node */
  async function measure(node) {
    // The core checks the node name and builds the path (INVALID_TARGET otherwise).
    const request = core.nodeTimeRequest(node);
    let data;
    try {
      data = await pve.request(request);
    } catch (err) {
      const code = /** @type {{code?: unknown}|null|undefined} */ (err)?.code;
      if (code === 'PVE_NOT_IMPLEMENTED' || code === 'PVE_FORBIDDEN') {
        // The endpoint is missing or the token may not read it: a permanent
        // condition, so fall back to the job host's clock and say so once.
        if (source === 'proxmox') {
          source = 'local';
          warn(`cannot read the Proxmox time on ${node} (${code}); using this machine's clock, keep it in sync with the cluster (NTP)`);
        }
        return 0;
      }
      throw err;
    }
    const seconds = Number(data?.time);
    if (!Number.isSafeInteger(seconds) || seconds <= 0) {
      throw Object.assign(new Error(`GET /nodes/${node}/time answered without a usable "time" (${JSON.stringify(data?.time)})`), { code: 'PVE_SERVER' });
    }
    // The node read its clock before we got the answer, and in whole seconds:
    // comparing with the arrival time can only make "now" look earlier than it
    // is, which delays an expiry by a moment and never brings one forward.
    const offset = seconds * 1000 - localNow();
    if (Math.abs(offset) > SKEW_WARNING_MS) {
      warn(`the clock of node ${node} differs from this machine's by ${Math.round(offset / 1000)} s; expiry follows the node's clock`);
    }
    offsets.set(node, offset);
    return offset;
  }

  return {
    async now(node) {
      if (fixedNow !== null) return fixedNow;
      if (source === 'local') return localNow();
      if (!offsets.has(node)) {
        if (!pending.has(node)) pending.set(node, measure(node).finally(() => pending.delete(node)));
        await pending.get(node);
      }
      const offset = offsets.get(node) ?? 0;
      if (Math.abs(offset) > maxSkewMs) {
        // Either clock may be the wrong one; a node far ahead would make every
        // snapshot look expired. Refuse loudly rather than delete.
        throw Object.assign(new Error(`the clock of node ${node} is ${Math.round(offset / 1000)} s off this machine's, more than `
          + `job.maxClockSkewMs (${maxSkewMs} ms): not deleting on it until the clocks agree (NTP), or judge by --now`), { code: 'CLOCK_SKEW' });
      }
      return localNow() + offset;
    },
    info: () => ({ source, skewMs: Object.fromEntries(offsets) }),
  };
}
