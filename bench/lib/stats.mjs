// Summaries of repeated measurements. Median with p10/p90 and min/max,
// because on a shared 2-core machine the mean is dominated by outliers.

/**
 * @typedef {{n: number, median: number, p10: number, p90: number, min: number, max: number}} Summary
 */

/**
 * Nearest-rank quantile of an ascending array.
 * @param {number[]} sorted
 * @param {number} q 0..1
 * @returns {number}
 */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * @param {number[]} samples
 * @returns {Summary}
 */
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  // The median of an even count is the mean of the middle pair.
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, p10: quantile(s, 0.1), p90: quantile(s, 0.9), min: s[0], max: s[s.length - 1] };
}

/**
 * A number with a sensible count of significant digits for a table.
 * @param {number} x
 * @returns {string}
 */
export function fmt(x) {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}
