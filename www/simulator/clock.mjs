// Simulated wall clock: drives snaptime, UPID start times and ages, so expiry
// can be tested without waiting days. Task durations deliberately do not use
// it (they run on real timers), see tasks.mjs.

/**
 * @typedef {object} SimClock
 * @property {() => number} now        current simulated time, ms since the epoch
 * @property {(ms: number) => number} advance  move forward (or back, if negative); returns the new now
 * @property {(ms: number) => number} set      jump to an absolute time; returns it
 * @property {() => number} seconds    now in whole epoch seconds (what Proxmox stores)
 */

/**
 * The simulated clock keeps running with real time from the point it was
 * last set, like a host clock that an operator can move.
 * @param {number} [startMs] default: real time
 * @returns {SimClock}
 */
export function createClock(startMs = Date.now()) {
  if (!Number.isFinite(startMs)) throw Object.assign(new Error(`clockMs must be a finite number, got ${startMs}`), { code: 'INVALID_INPUT' });
  let offset = startMs - Date.now();
  const clock = {
    now: () => Date.now() + offset,
    /** @param {number} ms */
    advance(ms) {
      if (!Number.isFinite(ms)) throw Object.assign(new Error(`advance(ms) needs a finite number, got ${ms}`), { code: 'INVALID_INPUT' });
      offset += ms;
      return clock.now();
    },
    /** @param {number} ms */
    set(ms) {
      if (!Number.isFinite(ms)) throw Object.assign(new Error(`set(ms) needs a finite number, got ${ms}`), { code: 'INVALID_INPUT' });
      offset = ms - Date.now();
      return clock.now();
    },
    seconds: () => Math.floor(clock.now() / 1000),
  };
  return clock;
}
