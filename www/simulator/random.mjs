// Seeded PRNG so fault runs (error rate, jitter, list order, pids) can be
// replayed exactly. mulberry32: tiny, fast, good enough for a test double.

/**
 * @typedef {object} SimRandom
 * @property {() => number} next  float in [0, 1)
 * @property {(n: number) => number} int  integer in [0, n)
 * @property {<T>(items: T[]) => T[]} shuffle  new array, Fisher-Yates
 */

/**
 * @param {number|string} seed
 * @returns {SimRandom}
 */
export function createRandom(seed = 42) {
  let state = typeof seed === 'number' ? seed >>> 0 : hashString(String(seed));
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** @param {number} n */
  const int = (n) => Math.floor(next() * n);
  /** @template T @param {readonly T[]} items @returns {T[]} */
  const shuffle = (items) => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return { next, int, shuffle };
}

/** FNV-1a, to turn a string seed into 32 bits. @param {string} s */
function hashString(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
