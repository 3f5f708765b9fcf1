// axe-core in the page tests, under the page's own strict CSP. The panel
// allows no inline script, so axe is not added as a <script> (that would be
// blocked, or need bypassCSP, which would test a different page): its source
// is evaluated through the DevTools protocol, which CSP does not govern, and
// axe itself needs no eval. Any CSP violation while it runs fails the check,
// so a page that only passes with its policy loosened cannot pass here.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** @type {Promise<string> | null} */
let source = null;

/**
 * @typedef {{id: string, impact: string|null, help: string, helpUrl: string,
 *   nodes: Array<{target: unknown[], failureSummary?: string}>}} Violation
 */

/**
 * Runs axe-core on the page as it is now and returns the violations at or
 * above `impacts` (default serious and critical).
 * @param {import('playwright-core').Page} page
 * @param {{impacts?: string[], include?: string}} [options] `include`: a CSS selector to limit the check to
 * @returns {Promise<Violation[]>}
 */
export async function axeViolations(page, { impacts = ['serious', 'critical'], include } = {}) {
  source ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  const violations = [];
  await page.evaluate(() => {
    /** @type {any} */ (window).__axeCsp = [];
    document.addEventListener('securitypolicyviolation', (e) => /** @type {any} */ (window).__axeCsp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await source);
  const result = await page.evaluate(async (sel) => {
    const w = /** @type {any} */ (window);
    const r = await w.axe.run(sel ? { include: [sel] } : document, { resultTypes: ['violations'] });
    return {
      csp: w.__axeCsp,
      violations: r.violations.map((/** @type {any} */ v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map((/** @type {any} */ n) => ({ target: n.target, failureSummary: n.failureSummary })),
      })),
    };
  }, include ?? null);
  if (result.csp.length) throw new Error(`axe-core caused CSP violations: ${result.csp.join('; ')}`);
  for (const v of /** @type {Violation[]} */ (result.violations)) if (v.impact && impacts.includes(v.impact)) violations.push(v);
  return violations;
}

/**
 * The violations as readable lines, for an assertion message.
 * @param {Violation[]} violations
 * @returns {string}
 */
export function formatViolations(violations) {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join('\n')}`).join('\n');
}
