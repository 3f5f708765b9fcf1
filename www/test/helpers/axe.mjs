// axe-core's accessibility rules run inside the page under test. The pages'
// CSP forbids inline script, so axe is not added as a <script> tag: its
// source is evaluated through the DevTools protocol (page.evaluate), which
// the page's CSP does not govern, and the CSP stays as strict as in
// production while the rules run.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * @typedef {{id: string, impact: string | null, help: string, nodes: string[]}} Violation
 */

/**
 * The violations axe finds on the page as it is now, of the given impacts
 * (default: serious and critical), each with the selectors of its nodes.
 * @param {import('playwright-core').Page} page
 * @param {{impacts?: string[], include?: string}} [options] include: a selector to check only part of the page
 * @returns {Promise<Violation[]>}
 */
export async function axeViolations(page, { impacts = ['serious', 'critical'], include } = {}) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (sel) => {
    const axe = /** @type {any} */ (window).axe;
    const result = await axe.run(sel ? { include: [sel] } : document, { resultTypes: ['violations'] });
    return /** @type {any[]} */ (result.violations).map((v) => ({
      id: String(v.id), impact: v.impact ?? null, help: String(v.help),
      nodes: /** @type {any[]} */ (v.nodes).map((n) => [].concat(n.target).join(' ')),
    }));
  }, include ?? null);
  return violations.filter((v) => v.impact !== null && impacts.includes(v.impact));
}
