// Alerts: what needs an operator now — the expiry job not succeeding, deletes
// stuck in snapstate "delete", managed snapshots without a creation time,
// node clocks off, notices to the host that failed or were given up, and services Proxmox could
// not be asked about. Grouped by kind, each with a link to where to look.
import { h, replaceChildren } from '../panel/dom.mjs';
import { formatTime, showLoaded } from './ui.mjs';

/**
 * @typedef {import('./app.mjs').SectionContext} SectionContext
 * @typedef {{kind: string, message: string, service?: string | null, customer?: string | null, vmid?: number | null,
 *   node?: string | null, snapshot?: string | null, at?: number | null, details?: any}} Alert
 */

/** The kinds in the order they are shown, with their heading. */
const KINDS = /** @type {const} */ ([
  ['job-never-succeeded', 'Expiry job'],
  ['job-overdue', 'Expiry job'],
  ['stuck-delete', 'Deletes stuck in snapstate “delete”'],
  ['no-snaptime', 'Managed snapshots without a creation time'],
  ['clock-skew', 'Node clocks'],
  ['notice-given-up', 'Notices to the host given up'],
  ['notice-failing', 'Notices to the host failing (retried)'],
  ['fleet-unreadable', 'Services Proxmox could not be asked about'],
]);

/**
 * @param {HTMLElement} container
 * @param {SectionContext} ctx
 */
export function mount(container, ctx) {
  let alive = true;
  const summary = h('p', { class: 'muted', role: 'status', 'data-role': 'alerts-summary' });
  const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Checking the job, the store and every VM…'));
  replaceChildren(container,
    h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'btn', onclick: load }, 'Check again'), summary),
    body);

  function load() {
    return showLoaded(body, ctx, () => alive, () => ctx.api.request('GET', '/alerts'), (out) => {
      /** @type {Alert[]} */
      const alerts = out.alerts;
      summary.textContent = `${alerts.length ? `${alerts.length} ${alerts.length === 1 ? 'alert' : 'alerts'}` : 'No alerts'}, checked ${formatTime(out.checkedAt)}`
        + ` (the job is expected every ${out.intervalMinutes} min)`;
      ctx.announce(summary.textContent);
      return alerts.length ? groups(alerts) : h('p', { class: 'card empty', 'data-role': 'no-alerts' }, 'Nothing needs attention.');
    });
  }

  load();
  return { destroy: () => { alive = false; } };
}

/**
 * @param {Alert[]} alerts
 * @returns {HTMLElement[]}
 */
function groups(alerts) {
  /** @type {Map<string, Alert[]>} */
  const byHeading = new Map();
  for (const [kind, heading] of KINDS) {
    const mine = alerts.filter((a) => a.kind === kind);
    if (mine.length) byHeading.set(heading, [...(byHeading.get(heading) ?? []), ...mine]);
  }
  const known = new Set(KINDS.map(([k]) => /** @type {string} */ (k)));
  const other = alerts.filter((a) => !known.has(a.kind));
  if (other.length) byHeading.set('Other', other);
  let n = 0;
  return [...byHeading].map(([heading, list]) => {
    const id = `alerts-${++n}`;
    return h('section', { class: 'card', 'aria-labelledby': id, 'data-role': 'alert-group' },
      h('h2', { id }, `${heading} (${list.length})`),
      h('ul', { class: 'alert-list' }, list.map(item)));
  });
}

/** @param {Alert} a */
function item(a) {
  /** @type {import('../panel/dom.mjs').Child[]} */
  const links = [];
  if (a.service) links.push(h('a', { href: `#/fleet/${encodeURIComponent(a.service)}` }, `service ${a.service}`));
  const run = a.details?.lastSuccessRun ?? a.details?.run;
  if (typeof run === 'string') links.push(h('a', { href: `#/jobs/${encodeURIComponent(run)}` }, 'the job run'));
  if (a.kind === 'job-overdue' || a.kind === 'job-never-succeeded') links.push(h('a', { href: '#/jobs' }, 'job runs'));
  /** @type {import('../panel/dom.mjs').Child[]} */
  const meta = [a.customer && `customer ${a.customer}`, a.node && `node ${a.node}`, typeof a.at === 'number' && formatTime(a.at), ...links]
    .filter((x) => Boolean(x));
  return h('li', { 'data-alert': a.kind, 'data-service': a.service ?? null, 'data-snapshot': a.snapshot ?? null },
    h('p', {}, a.message),
    meta.length ? h('p', { class: 'muted' }, meta.flatMap((m, i) => (i ? [' · ', m] : [m]))) : null);
}
