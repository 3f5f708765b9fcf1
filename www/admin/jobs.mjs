// Job runs: the expiry job's runs, newest first (when, how long, deleted /
// skipped / stuck / failed / missing, and whether it succeeded); `#/jobs/<run
// id>` is one run with its per-snapshot events.
import { h, replaceChildren } from '../panel/dom.mjs';
import { errorAlert, formatTime, showLoaded } from './ui.mjs';

/**
 * @typedef {import('./app.mjs').SectionContext} SectionContext
 * @typedef {{deleted: number, skipped: number, stuck: number, failed: number, stillRunning: number, missing: number}} Counts
 * @typedef {{id: string, startedAt: number, endedAt: number | null, durationMs: number | null, host: string, pid: number,
 *   scope: {service: string | null, node: string | null}, exitCode: number | null, success: boolean | null,
 *   errorCode: string | null, counts: Counts}} Run
 * @typedef {{at: number, type: string, customer: string | null, service: string | null, vmid: number | null,
 *   node: string | null, name: string | null, code: string | null, message: string | null, upid: string | null}} RunEvent
 */

/** The counted columns, in the order the job's summary line uses. */
const COUNTS = /** @type {const} */ ([
  ['deleted', 'Deleted'], ['skipped', 'Skipped'], ['stuck', 'Stuck'], ['failed', 'Failed'], ['stillRunning', 'Still running'], ['missing', 'Missing'],
]);

/**
 * @param {HTMLElement} container
 * @param {SectionContext} ctx
 */
export function mount(container, ctx) {
  if (ctx.rest.length) return mountRun(container, ctx, ctx.rest[0]);
  return mountList(container, ctx);
}

/** @param {number | null} ms */
export function formatDuration(ms) {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * The run's result in words: succeeded, failed (why), or not ended.
 * @param {Run} r
 */
function result(r) {
  if (r.endedAt === null) return h('span', { class: 'muted' }, 'not ended (running, or stopped without a word)');
  if (r.success) return r.exitCode === 0 ? 'succeeded' : `succeeded (exit ${r.exitCode})`;
  return h('span', { class: 'stuck' }, `failed (exit ${r.exitCode ?? '?'}${r.errorCode ? `, ${r.errorCode}` : ''})`);
}

/** @param {Run} r */
const scopeText = (r) => [r.scope.service && `service ${r.scope.service}`, r.scope.node && `node ${r.scope.node}`].filter(Boolean).join(', ') || 'whole fleet';

/**
 * @param {HTMLElement} container
 * @param {SectionContext} ctx
 */
function mountList(container, ctx) {
  let alive = true;
  /** @type {string | null} */
  let next = null;
  const tbody = h('tbody');
  const status = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading job runs…'));
  const more = h('button', { type: 'button', class: 'btn', hidden: true, onclick: () => load(false) }, 'Older runs');
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-role': 'job-runs' },
    h('caption', { class: 'visually-hidden' }, 'Expiry job runs, newest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Started'), h('th', { scope: 'col' }, 'Duration'), h('th', { scope: 'col' }, 'Result'),
      COUNTS.map(([, label]) => h('th', { scope: 'col' }, label)),
      h('th', { scope: 'col' }, 'Scope'), h('th', { scope: 'col' }, 'Host'))),
    tbody));
  replaceChildren(container,
    h('section', { class: 'card', 'aria-labelledby': 'runs-title' },
      h('h2', { id: 'runs-title' }, 'Expiry job runs'),
      h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'btn', onclick: () => load(true) }, 'Reload')),
      status, more));

  /** @param {boolean} fresh */
  async function load(fresh) {
    status.setAttribute('aria-busy', 'true');
    more.setAttribute('disabled', '');
    try {
      const out = await ctx.api.request('GET', `/job-runs${!fresh && next ? `?before=${encodeURIComponent(next)}` : ''}`);
      if (!alive) return;
      /** @type {Run[]} */
      const runs = out.runs;
      if (fresh) replaceChildren(tbody);
      if (fresh && !runs.length) tbody.append(h('tr', {}, h('td', { colspan: String(COUNTS.length + 5), class: 'empty' }, 'The expiry job has not recorded a run yet.')));
      for (const r of runs) tbody.append(row(r));
      next = out.next;
      more.hidden = !next;
      replaceChildren(status, table);
      if (!fresh) ctx.announce(`${runs.length} older ${runs.length === 1 ? 'run' : 'runs'} shown`);
    } catch (err) {
      if (!alive || ctx.sessionEnded(err)) return;
      replaceChildren(status, errorAlert(err));
    } finally {
      status.setAttribute('aria-busy', 'false');
      more.removeAttribute('disabled');
    }
  }

  /** @param {Run} r */
  function row(r) {
    const attention = r.success === false || r.counts.failed > 0 || r.counts.stuck > 0;
    return h('tr', { class: attention ? 'attention' : null, 'data-run': r.id },
      h('td', { class: 'num' }, h('a', { href: `#/jobs/${encodeURIComponent(r.id)}` }, formatTime(r.startedAt))),
      h('td', { class: 'num' }, formatDuration(r.durationMs)),
      h('td', {}, result(r)),
      COUNTS.map(([key]) => h('td', { class: 'num', 'data-count': key }, String(r.counts[key]))),
      h('td', {}, scopeText(r)),
      h('td', {}, h('span', { class: 'mono' }, r.host), h('div', { class: 'muted' }, `pid ${r.pid}`)));
  }

  load(true);
  return { destroy: () => { alive = false; } };
}

/**
 * @param {HTMLElement} container
 * @param {SectionContext} ctx
 * @param {string} id
 */
function mountRun(container, ctx, id) {
  let alive = true;
  const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading the run…'));
  replaceChildren(container, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/jobs' }, '← Job runs')), body);

  showLoaded(body, ctx, () => alive, () => ctx.api.request('GET', `/job-runs/${encodeURIComponent(id)}`), (out) => {
    ctx.setTitle(`Job run of ${formatTime(out.run.startedAt)}`);
    return runDetail(out.run);
  });
  return { destroy: () => { alive = false; } };
}

/**
 * @param {Run & {events: RunEvent[], eventsTotal: number}} run
 * @returns {HTMLElement[]}
 */
function runDetail(run) {
  /** @type {Array<[string, import('../panel/dom.mjs').Child]>} */
  const facts = [
    ['Started', formatTime(run.startedAt)], ['Ended', formatTime(run.endedAt)], ['Duration', formatDuration(run.durationMs)],
    ['Result', result(run)], ['Scope', scopeText(run)], ['Host', `${run.host} (pid ${run.pid})`],
    ...COUNTS.map(([key, label]) => /** @type {[string, string]} */ ([label, String(run.counts[key])])),
    ['Run id', h('span', { class: 'mono' }, run.id)],
  ];
  const overview = h('section', { class: 'card', 'aria-labelledby': 'run-facts' },
    h('h2', { id: 'run-facts' }, 'Overview'),
    h('dl', { class: 'detail-grid' }, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))));

  const types = [...new Set(run.events.map((e) => e.type))];
  const show = h('select', { id: 'run-event-type' }, h('option', { value: '' }, 'All events'),
    types.map((t) => h('option', { value: t }, t)));
  const tbody = h('tbody');
  const shown = h('p', { class: 'muted', role: 'status' });
  function fill() {
    const kind = /** @type {HTMLSelectElement} */ (show).value;
    const rows = run.events.filter((e) => !kind || e.type === kind);
    replaceChildren(tbody, rows.length ? rows.map((e) => h('tr', { class: e.type === 'failed' || e.type === 'stuck' ? 'attention' : null, 'data-event': e.type },
      h('td', { class: 'num' }, formatTime(e.at)),
      h('td', {}, e.type),
      h('td', {}, e.service ? h('a', { href: `#/fleet/${encodeURIComponent(e.service)}` }, e.service) : '—',
        e.customer ? h('div', { class: 'muted' }, e.customer) : null),
      h('td', { class: 'num' }, e.vmid === null ? '—' : String(e.vmid)),
      h('td', {}, e.node ?? '—'),
      h('td', { class: 'mono' }, e.name ?? '—'),
      h('td', { class: 'description' }, e.code ? h('span', { class: 'mono' }, e.code) : null, e.code && e.message ? ': ' : null, e.message ?? '')))
      : h('tr', {}, h('td', { colspan: '7', class: 'empty' }, run.eventsTotal ? 'No event of this kind.' : 'This run acted on no snapshot.')));
    shown.textContent = `${rows.length} of ${run.eventsTotal} events`
      + (run.events.length < run.eventsTotal ? ` (the first ${run.events.length} are listed)` : '');
  }
  show.addEventListener('change', fill);
  fill();
  const events = h('section', { class: 'card', 'aria-labelledby': 'run-events' },
    h('h2', { id: 'run-events' }, 'Events'),
    h('div', { class: 'toolbar' }, h('p', { class: 'field' }, h('label', { for: 'run-event-type' }, 'Show'), show)),
    shown,
    h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-role': 'run-events' },
      h('caption', { class: 'visually-hidden' }, 'Events of this run, oldest first'),
      h('thead', {}, h('tr', {}, ['When', 'Event', 'Service', 'VM', 'Node', 'Snapshot', 'Code and message'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody)));
  return [overview, events];
}
