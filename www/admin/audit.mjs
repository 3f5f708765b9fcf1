// Audit: the audit log searched by customer, service, action, outcome, who
// acted and a time range, newest first, page by page, and the same search
// as a CSV download. The search is in the address (`#/audit/<query>`), so
// it can be bookmarked or linked to.
import { h, replaceChildren } from '../panel/dom.mjs';
import { errorAlert, formatTime } from './ui.mjs';

/**
 * @typedef {import('./app.mjs').SectionContext} SectionContext
 * @typedef {{id: number, at: number, actorKind: string, actorId: string, customer: string | null, serviceId: string | null,
 *   vmid: number | null, node: string | null, action: string, snapshot: string | null, outcome: string, code: string | null,
 *   message: string | null, taskId: string | null, description?: string | null}} Entry
 * @typedef {{actions: string[], outcomes: string[], actors: string[],
 *   limits: {pageSizeMax: number, pageSizeDefault: number, rangeDaysMax: number, rangeDaysDefault: number}}} Filters
 */

/** The search fields, in the form's order; `from` and `to` are times. */
const TEXT_FIELDS = /** @type {const} */ (['customer', 'service']);
const CHOICE_FIELDS = /** @type {const} */ ([['action', 'Action', 'actions'], ['outcome', 'Outcome', 'outcomes'], ['actor', 'Who acted', 'actors']]);

/**
 * A time as a datetime-local value in the viewer's time zone.
 * @param {number} ms
 */
function localInput(ms) {
  const d = new Date(ms);
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * @param {HTMLElement} container
 * @param {SectionContext} ctx
 */
export function mount(container, ctx) {
  let alive = true;
  const initial = new URLSearchParams(ctx.rest[0] ?? '');
  /** @type {Record<string, HTMLInputElement | HTMLSelectElement>} */
  const inputs = {};
  const form = h('form', { class: 'toolbar', 'aria-label': 'Search the audit log', onsubmit: onSearch });
  const results = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading…'));
  const count = h('p', { class: 'muted', role: 'status', 'data-role': 'audit-count' });
  const exportLink = h('a', { class: 'btn', download: '', 'data-role': 'audit-export' }, 'Export CSV');
  const more = h('button', { type: 'button', class: 'btn', hidden: true, onclick: () => search(false) }, 'Older entries');
  const tbody = h('tbody');
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-role': 'audit' },
    h('caption', { class: 'visually-hidden' }, 'Audit entries, newest first'),
    h('thead', {}, h('tr', {}, ['When', 'Who', 'Customer', 'Service and VM', 'Action', 'Snapshot and description', 'Outcome', 'Code and message']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody));
  replaceChildren(container,
    h('section', { class: 'card', 'aria-labelledby': 'audit-search-title' },
      h('h2', { id: 'audit-search-title' }, 'Search'), form),
    h('section', { class: 'card', 'aria-labelledby': 'audit-results-title' },
      h('h2', { id: 'audit-results-title' }, 'Entries'),
      h('div', { class: 'toolbar' }, count, exportLink), results, more));

  /** @type {string | null} */
  let next = null;
  /** @type {URLSearchParams} */
  let current = initial;
  /** @type {Filters | null} */
  let filters = null;

  (async () => {
    try {
      filters = await ctx.api.request('GET', '/audit/filters');
      if (!alive) return;
      buildForm(/** @type {Filters} */ (filters));
      await search(true);
    } catch (err) {
      if (!alive || ctx.sessionEnded(err)) return;
      replaceChildren(results, errorAlert(err));
      results.setAttribute('aria-busy', 'false');
    }
  })();

  /** @param {Filters} f */
  function buildForm(f) {
    /** @param {string} name @param {string} label @param {HTMLInputElement | HTMLSelectElement} input */
    const field = (name, label, input) => {
      inputs[name] = input;
      return h('p', { class: 'field' }, h('label', { for: `audit-${name}` }, label), input);
    };
    /** @param {string} name */
    const text = (name) => h('input', { id: `audit-${name}`, name, autocomplete: 'off', maxlength: '256', value: initial.get(name) ?? '' });
    /** @param {string} name @param {string[]} values */
    const choice = (name, values) => {
      const select = h('select', { id: `audit-${name}`, name }, h('option', { value: '' }, 'any'), values.map((v) => h('option', { value: v }, v)));
      select.value = values.includes(initial.get(name) ?? '') ? /** @type {string} */ (initial.get(name)) : '';
      return select;
    };
    /** @param {string} name */
    const time = (name) => {
      const ms = Date.parse(initial.get(name) ?? '');
      return h('input', { id: `audit-${name}`, name, type: 'datetime-local', value: Number.isFinite(ms) ? localInput(ms) : '' });
    };
    const size = h('select', { id: 'audit-limit', name: 'limit' },
      [...new Set([f.limits.pageSizeDefault, 100, f.limits.pageSizeMax])].map((n) => h('option', { value: String(n) }, String(n))));
    size.value = initial.get('limit') ?? String(f.limits.pageSizeDefault);
    replaceChildren(form,
      field('customer', 'Customer', text('customer')),
      field('service', 'Service', text('service')),
      CHOICE_FIELDS.map(([name, label, key]) => field(name, label, choice(name, f[key]))),
      field('from', 'From', time('from')),
      field('to', 'To', time('to')),
      field('limit', 'Per page', size),
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
      h('p', { class: 'muted field-note' }, `Times are in your time zone. Without “From”, the ${f.limits.rangeDaysDefault} days before “To” (or now); `
        + `at most ${f.limits.rangeDaysMax} days at once.`));
  }

  /** The search as the form says it, without empty fields. */
  function formParams() {
    const p = new URLSearchParams();
    for (const name of [...TEXT_FIELDS, ...CHOICE_FIELDS.map(([n]) => n)]) {
      const v = inputs[name].value.trim();
      if (v) p.set(name, v);
    }
    for (const name of ['from', 'to']) {
      const v = inputs[name].value;
      // datetime-local is the viewer's local time; the server wants a time with its zone.
      if (v) p.set(name, new Date(v).toISOString());
    }
    if (inputs.limit.value !== String(filters?.limits.pageSizeDefault)) p.set('limit', inputs.limit.value);
    return p;
  }

  /** @param {Event} ev */
  function onSearch(ev) {
    ev.preventDefault();
    current = formParams();
    // Keep the search in the address without remounting the section.
    history.replaceState(null, '', `#/audit${current.size ? `/${encodeURIComponent(current.toString())}` : ''}`);
    search(true);
  }

  /** @param {boolean} fresh */
  async function search(fresh) {
    results.setAttribute('aria-busy', 'true');
    more.setAttribute('disabled', '');
    const p = new URLSearchParams(current);
    if (!fresh && next) p.set('before', next);
    try {
      const out = await ctx.api.request('GET', `/audit${p.size ? `?${p}` : ''}`);
      if (!alive) return;
      /** @type {Entry[]} */
      const entries = out.entries;
      if (fresh) replaceChildren(tbody);
      if (fresh && !entries.length) tbody.append(h('tr', {}, h('td', { colspan: '8', class: 'empty' }, 'No entry matches.')));
      for (const e of entries) tbody.append(row(e));
      next = out.next;
      more.hidden = !next;
      const shown = tbody.querySelectorAll('tr[data-entry]').length;
      count.textContent = `${shown} ${shown === 1 ? 'entry' : 'entries'} from ${formatTime(out.range.from)} to ${formatTime(out.range.to)}${next ? ', more are older' : ''}`;
      const exportParams = new URLSearchParams(current);
      exportParams.delete('limit');
      exportLink.setAttribute('href', `${ctx.api.apiBase}/audit.csv${exportParams.size ? `?${exportParams}` : ''}`);
      replaceChildren(results, table);
      ctx.announce(count.textContent);
    } catch (err) {
      if (!alive || ctx.sessionEnded(err)) return;
      replaceChildren(results, errorAlert(err));
      exportLink.removeAttribute('href');
      count.textContent = '';
    } finally {
      results.setAttribute('aria-busy', 'false');
      more.removeAttribute('disabled');
    }
  }

  /** @param {Entry} e */
  function row(e) {
    return h('tr', { 'data-entry': String(e.id), class: e.outcome === 'failed' ? 'attention' : null },
      h('td', { class: 'num' }, formatTime(e.at)),
      h('td', {}, e.actorKind, ' ', h('span', { class: 'mono' }, e.actorKind === 'job'
        ? h('a', { href: `#/jobs/${encodeURIComponent(e.actorId)}` }, e.actorId) : e.actorId)),
      h('td', {}, e.customer ?? '—'),
      h('td', {}, e.serviceId ? h('a', { href: `#/fleet/${encodeURIComponent(e.serviceId)}` }, e.serviceId) : '—',
        e.vmid === null ? null : h('div', { class: 'muted' }, `VM ${e.vmid}`)),
      h('td', {}, e.action),
      h('td', {}, h('span', { class: 'mono' }, e.snapshot ?? '—'), e.description ? h('div', { class: 'description muted' }, e.description) : null),
      h('td', {}, e.outcome),
      h('td', { class: 'description' }, e.code ? h('span', { class: 'mono' }, e.code) : null, e.code && e.message ? ': ' : null, e.message ?? ''));
  }

  return { destroy: () => { alive = false; } };
}
