// Helpers for in-process timing loops.

/**
 * Runs `fn` and returns the elapsed wall time in ms.
 * @param {() => unknown} fn
 * @returns {number}
 */
export function timeMs(fn) {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/**
 * Lets pending GC and timers settle between measured runs, so one run's
 * garbage is less likely to be collected inside the next.
 * @returns {Promise<void>}
 */
export async function settle() {
  if (globalThis.gc) globalThis.gc();
  await new Promise((resolve) => setImmediate(resolve));
}
