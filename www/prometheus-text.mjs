// The Prometheus text exposition format (version 0.0.4), written by hand:
// the job's node_exporter textfile and the server's /metrics need a few
// gauges, counters and one histogram, which is a page of code with no
// global registry to share between servers in one process. promtool checks
// what it writes in the tests.

/** The Content-Type of a scrape answer in this format. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * @typedef {Record<string, string>} Labels
 * @typedef {{labels?: Labels, value: number, suffix?: string}} Sample
 *   `suffix` is appended to the family's name (`_bucket`, `_sum`, `_count`)
 * @typedef {{name: string, help: string, type: 'gauge'|'counter'|'histogram', samples: Sample[]}} Family
 */

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** @param {string} text */
const escapeHelp = (text) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
/** @param {string} text */
const escapeLabel = (text) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** @param {number} v */
export function formatValue(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** @param {Labels|undefined} labels */
function formatLabels(labels) {
  const keys = labels ? Object.keys(labels) : [];
  if (keys.length === 0) return '';
  return `{${keys.map((k) => {
    if (!LABEL_RE.test(k) || k.startsWith('__')) throw new Error(`not a Prometheus label name: ${JSON.stringify(k)}`);
    return `${k}="${escapeLabel(String(/** @type {Labels} */ (labels)[k]))}"`;
  }).join(',')}}`;
}

/**
 * One exposition: HELP and TYPE lines, then the samples, per family.
 * A family with no samples is left out (an empty family is a lint error).
 * @param {Family[]} families
 * @returns {string}
 */
export function renderMetrics(families) {
  let out = '';
  for (const f of families) {
    if (!NAME_RE.test(f.name)) throw new Error(`not a Prometheus metric name: ${JSON.stringify(f.name)}`);
    if (f.samples.length === 0) continue;
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) out += `${f.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}\n`;
  }
  return out;
}

/**
 * A histogram with fixed buckets, one series per label set.
 * @param {{name: string, help: string, buckets: number[], labelNames: string[]}} spec
 */
export function createHistogram({ name, help, buckets, labelNames }) {
  const bounds = [...buckets].sort((a, b) => a - b);
  /** @type {Map<string, {labels: Labels, counts: number[], sum: number, count: number}>} */
  const series = new Map();
  return {
    /** @param {Labels} labels @param {number} value */
    observe(labels, value) {
      const picked = Object.fromEntries(labelNames.map((n) => [n, String(labels[n] ?? '')]));
      const key = JSON.stringify(labelNames.map((n) => picked[n]));
      let s = series.get(key);
      if (!s) {
        s = { labels: picked, counts: bounds.map(() => 0), sum: 0, count: 0 };
        series.set(key, s);
      }
      for (let i = 0; i < bounds.length; i += 1) if (value <= bounds[i]) s.counts[i] += 1;
      s.sum += value;
      s.count += 1;
    },
    /** @returns {Family} */
    family() {
      /** @type {Sample[]} */
      const samples = [];
      for (const s of series.values()) {
        bounds.forEach((b, i) => samples.push({ suffix: '_bucket', labels: { ...s.labels, le: formatValue(b) }, value: s.counts[i] }));
        samples.push({ suffix: '_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count });
        samples.push({ suffix: '_sum', labels: s.labels, value: s.sum });
        samples.push({ suffix: '_count', labels: s.labels, value: s.count });
      }
      return { name, help, type: 'histogram', samples };
    },
  };
}
