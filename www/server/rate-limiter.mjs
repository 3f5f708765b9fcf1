// Sliding-window counters keyed by customer or by IP+username, kept in the
// store so that every instance counts together and a restart forgets
// nothing. The clock is injected so tests can move it instead of waiting.

/**
 * @param {{store: import('../store/index.mjs').Store, name: string, limit: number, windowMs: number, now: () => number}} options
 *   `name` keeps this limiter's keys apart from the others' in the shared table
 */
export function createRateLimiter({ store, name, limit, windowMs, now }) {
  /** @param {string} key */
  const k = (key) => `${name}\n${key}`;
  return {
    windowMs,
    /**
     * Seconds until the key may try again, or 0 when it may now.
     * @param {string} key
     * @returns {Promise<number>}
     */
    retryAfter(key) {
      return store.rateRetryAfter(k(key), { now: now(), windowMs, limit });
    },
    /** @param {string} key */
    hit(key) {
      return store.rateHit(k(key), now());
    },
    /**
     * Counts an attempt unless the limit is reached (one transaction):
     * 0 when counted, else the seconds to wait.
     * @param {string} key
     * @returns {Promise<number>}
     */
    take(key) {
      return store.rateTake(k(key), { now: now(), windowMs, limit });
    },
    /** @param {string} key */
    reset(key) {
      return store.rateReset(k(key));
    },
  };
}
