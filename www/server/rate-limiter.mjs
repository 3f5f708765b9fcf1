// Sliding-window counters keyed by customer or by IP+username. The clock is
// injected so tests can move it instead of waiting.

/**
 * @param {{limit: number, windowMs: number, now: () => number}} options
 */
export function createRateLimiter({ limit, windowMs, now }) {
  /** @type {Map<string, number[]>} */
  const hits = new Map();
  let calls = 0;

  /** @param {string} key */
  function recent(key) {
    const cutoff = now() - windowMs;
    const list = (hits.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) hits.set(key, list);
    else hits.delete(key);
    return list;
  }

  function sweep() {
    for (const key of [...hits.keys()]) recent(key);
  }

  return {
    /**
     * Seconds until the key may try again, or 0 when it may now.
     * @param {string} key
     * @returns {number}
     */
    retryAfter(key) {
      const list = recent(key);
      if (list.length < limit) return 0;
      return Math.max(1, Math.ceil((list[list.length - limit] + windowMs - now()) / 1000));
    },
    /** @param {string} key */
    hit(key) {
      if (++calls % 1000 === 0) sweep();
      const list = recent(key);
      list.push(now());
      hits.set(key, list);
    },
    /** @param {string} key */
    reset(key) {
      hits.delete(key);
    },
  };
}
