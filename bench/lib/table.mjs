// Plain-text tables for bench output (also valid Markdown, so a run can be
// pasted into BENCHMARKS.md as is).

import { fmt } from './stats.mjs';

/**
 * @typedef {{
 *   figure: string, unit: string, target?: string,
 *   summary?: import('./stats.mjs').Summary, value?: number|string,
 *   met?: boolean|null, note?: string
 * }} Row
 */

/**
 * Renders rows of figures as a Markdown table.
 * @param {string} title
 * @param {Row[]} rows
 * @returns {string}
 */
export function renderTable(title, rows) {
  const head = ['figure', 'value or median', 'p10 / p90', 'min / max', 'n', 'unit', 'target', 'met', 'note'];
  const body = rows.map((r) => {
    const s = r.summary;
    return [
      r.figure,
      s ? fmt(s.median) : (typeof r.value === 'number' ? fmt(r.value) : (r.value ?? '')),
      s ? `${fmt(s.p10)} / ${fmt(s.p90)}` : '',
      s ? `${fmt(s.min)} / ${fmt(s.max)}` : '',
      s ? String(s.n) : '',
      r.unit,
      r.target ?? '',
      r.met == null ? '' : r.met ? 'yes' : 'NO',
      r.note ?? '',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (/** @type {string[]} */ cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    `### ${title}`,
    '',
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '',
  ].join('\n');
}

/**
 * Prints a table to stdout.
 * @param {string} title
 * @param {Row[]} rows
 */
export function printTable(title, rows) {
  process.stdout.write(`${renderTable(title, rows)}\n`);
}
