// Fleet: every service with its VM as Proxmox sees it now (node, quota,
// next expiry, lock, deletes stuck in snapstate "delete"), filtered and
// sorted in the page; `#/fleet/<service id>` is one service's detail with
// its snapshots and history.
import { h, replaceChildren } from '../panel/dom.mjs';
import { confirmDialog } from '../panel/confirm-dialog.mjs';
import { historyTime } from '../panel/history-wording.mjs';
import { errorAlert, formatTime, showLoaded, sortableTable } from './ui.mjs';

// How often a running removal is asked about.
const TASK_POLL_MS = 500;

/**
 * @typedef {import('./app.mjs').SectionContext} SectionContext
 * @typedef {{id: string, name: string, customer: string, customerName: string, vmid: number, type: string, product: string,
 *   suspended: boolean, source: string, node: string | null, used: number | null, limit: number | null, nextExpiry: number | null,
 *   lock: string | null, status: string | null, stuck: string[], error: {code: string, message: string} | null}} FleetRow
 */

/**
 * @param {HTMLElement} container
 * @param {SectionContext} ctx
 */
export function mount(container, ctx) {
  if (ctx.rest.length) return mountDetail(container, ctx, ctx.rest[0]);
  return mountList(container, ctx);
}

/** @param {string} id */
const detailHref = (id) => `#/fleet/${encodeURIComponent(id)}`;

/**
 * @param {HTMLElement} container
 * @param {SectionContext} ctx
 */
function mountList(container, ctx) {
  const search = h('input', { id: 'fleet-search', type: 'search', autocomplete: 'off', placeholder: 'customer, service, VM, node' });
  const only = h('select', { id: 'fleet-only' },
    h('option', { value: '' }, 'All services'),
    h('option', { value: 'stuck' }, 'With stuck deletes'),
    h('option', { value: 'locked' }, 'Locked VMs'),
    h('option', { value: 'error' }, 'Not readable'),
    h('option', { value: 'suspended' }, 'Suspended'));
  const count = h('p', { class: 'muted', role: 'status', 'data-role': 'fleet-count' });
  const status = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Reading every VM from Proxmox…'));

  /** @type {ReturnType<typeof sortableTable<FleetRow>>} */
  const table = sortableTable({
    caption: 'Services',
    role: 'fleet',
    empty: 'No service matches.',
    sort: { key: 'service', dir: 'ascending' },
    rowClass: (r) => (r.stuck.length || r.error ? 'attention' : null),
    columns: [
      { key: 'service', label: 'Service', sortValue: (r) => r.id,
        cell: (r) => [h('a', { href: detailHref(r.id), 'data-service': r.id }, r.name), h('div', { class: 'muted mono' }, r.id)] },
      { key: 'customer', label: 'Customer', sortValue: (r) => r.customerName.toLowerCase(),
        cell: (r) => [r.customerName, h('div', { class: 'muted mono' }, r.customer)] },
      { key: 'vm', label: 'VM', sortValue: (r) => r.vmid, className: 'num', cell: (r) => `${r.type === 'lxc' ? 'CT' : 'VM'} ${r.vmid}` },
      { key: 'node', label: 'Node', sortValue: (r) => r.node, cell: (r) => r.node ?? '—' },
      { key: 'used', label: 'Used / limit', className: 'num',
        sortValue: (r) => (r.used === null || r.limit === null ? null : r.used / Math.max(r.limit, 1)),
        cell: (r) => (r.used === null ? '—' : `${r.used} / ${r.limit}`) },
      { key: 'expiry', label: 'Next expiry', className: 'num', sortValue: (r) => r.nextExpiry, cell: (r) => formatTime(r.nextExpiry) },
      { key: 'lock', label: 'Lock', sortValue: (r) => r.lock, cell: (r) => r.lock ?? '—' },
      { key: 'stuck', label: 'Stuck deletes', sortValue: (r) => r.stuck.length,
        cell: (r) => (r.stuck.length ? h('span', { class: 'stuck mono' }, r.stuck.join(', ')) : '—') },
      { key: 'state', label: 'State', sortValue: (r) => (r.error ? 'error' : r.suspended ? 'suspended' : r.status),
        cell: (r) => (r.error ? h('span', { class: 'stuck', title: r.error.message }, `not readable (${r.error.code})`)
          : [r.status ?? '—', r.suspended ? h('span', { class: 'badge' }, 'suspended') : null]) },
    ],
  });

  replaceChildren(container,
    h('section', { class: 'card', 'aria-labelledby': 'fleet-filter-title' },
      h('h2', { id: 'fleet-filter-title', class: 'visually-hidden' }, 'Filter'),
      h('div', { class: 'toolbar' },
        h('p', { class: 'field' }, h('label', { for: 'fleet-search' }, 'Search'), search),
        h('p', { class: 'field' }, h('label', { for: 'fleet-only' }, 'Show'), only),
        h('button', { type: 'button', class: 'btn', onclick: load }, 'Reload')),
      count,
      status));

  /** @type {FleetRow[]} */
  let all = [];
  let alive = true;

  function filter() {
    const q = /** @type {HTMLInputElement} */ (search).value.trim().toLowerCase();
    const kind = /** @type {HTMLSelectElement} */ (only).value;
    const rows = all.filter((r) => {
      if (kind === 'stuck' && !r.stuck.length) return false;
      if (kind === 'locked' && !r.lock) return false;
      if (kind === 'error' && !r.error) return false;
      if (kind === 'suspended' && !r.suspended) return false;
      if (!q) return true;
      return [r.id, r.name, r.customer, r.customerName, String(r.vmid), r.node ?? '', r.product]
        .some((v) => v.toLowerCase().includes(q));
    });
    table.show(rows);
    const stuck = all.reduce((n, r) => n + r.stuck.length, 0);
    count.textContent = `${rows.length} of ${all.length} services · ${stuck} stuck ${stuck === 1 ? 'delete' : 'deletes'}`;
  }

  function load() {
    return showLoaded(status, ctx, () => alive, () => ctx.api.request('GET', '/services'), (out) => {
      all = out.services;
      filter();
      return table.element;
    });
  }

  search.addEventListener('input', filter);
  only.addEventListener('change', filter);
  load();
  return { destroy: () => { alive = false; } };
}

/**
 * @param {HTMLElement} container
 * @param {SectionContext} ctx
 * @param {string} id
 */
function mountDetail(container, ctx, id) {
  let alive = true;
  const message = h('div', { 'data-role': 'detail-message' });
  const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Reading the VM from Proxmox…'));
  replaceChildren(container, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/fleet' }, '← Fleet')), message, body);

  function load() {
    return showLoaded(body, ctx, () => alive, () => ctx.api.request('GET', `/services/${encodeURIComponent(id)}`), (out) => {
      ctx.setTitle(`Service ${out.service.name}`);
      return detail(out, remove);
    });
  }

  /**
   * Removes a managed snapshot on the customer's behalf, after asking,
   * and follows the task until it ends.
   * @param {{name: string}} row
   * @param {{id: string, customerName: string}} service
   * @param {HTMLButtonElement} button
   */
  async function remove(row, service, button) {
    const answer = await confirmDialog({
      title: `Remove ${row.name}?`,
      paragraphs: [
        `The snapshot is removed from the VM for good, on behalf of ${service.customerName}.`,
        'The customer sees it in their history as removed by an operator.',
      ],
      confirmLabel: 'Remove snapshot',
    }, button);
    if (!answer.confirmed) return;
    button.disabled = true;
    replaceChildren(message, h('p', { class: 'progress', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), `Removing ${row.name}…`));
    try {
      const { task } = await ctx.api.request('DELETE', `/services/${encodeURIComponent(service.id)}/snapshots/${encodeURIComponent(row.name)}`);
      let state = task;
      while (alive && (state.state ?? 'running') === 'running') {
        await new Promise((r) => setTimeout(r, TASK_POLL_MS));
        ({ task: state } = await ctx.api.request('GET', `/services/${encodeURIComponent(service.id)}/tasks/${encodeURIComponent(task.id)}`));
      }
      if (!alive) return;
      const text = state.state === 'ok' ? `Removed ${row.name} on behalf of ${service.customerName}.` : `Removing ${row.name} failed: ${state.message ?? 'Proxmox VE reported an error'}`;
      // The button is gone with the row: focus goes to the result, which is also announced.
      const shown = h('p', { class: state.state === 'ok' ? 'ok-message' : 'alert', tabindex: '-1' }, text);
      replaceChildren(message, shown);
      shown.focus();
      ctx.announce(text);
    } catch (err) {
      if (!alive || ctx.sessionEnded(err)) return;
      replaceChildren(message, errorAlert(err));
    }
    await load();
  }

  load();
  return { destroy: () => { alive = false; } };
}

/**
 * @param {any} out the detail answer
 * @param {(row: any, service: any, button: HTMLButtonElement) => void} onRemove
 * @returns {HTMLElement[]}
 */
function detail(out, onRemove) {
  const s = out.service;
  /** @type {Array<[string, string]>} */
  const facts = [
    ['Service', s.id], ['Customer', `${s.customerName} (${s.customer})`], ['VM', `${s.type} ${s.vmid}`],
    ['Node', out.node ?? '—'], ['Product', s.product], ['Used / limit', out.used === undefined ? '—' : `${out.used} / ${out.limit}`],
    ['Lock', out.lock ?? '—'], ['Status', out.status ?? '—'], ['Suspended', s.suspended ? 'yes' : 'no'],
  ];
  const summary = h('section', { class: 'card', 'aria-labelledby': 'detail-facts' },
    h('h2', { id: 'detail-facts' }, 'Overview'),
    out.error ? errorAlert(out.error) : null,
    h('dl', { class: 'detail-grid' }, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))));

  /** @param {any} r @param {number} i */
  const action = (r, i) => {
    if (!r.managed) return h('span', { class: 'muted' }, 'read-only');
    const reasonId = `remove-reason-${i}`;
    const button = /** @type {HTMLButtonElement} */ (h('button', {
      type: 'button', class: 'btn btn-small btn-danger-outline', 'aria-label': `Remove ${r.name}`,
      disabled: !r.canRemove, 'aria-describedby': r.canRemove ? null : reasonId,
    }, 'Remove'));
    button.addEventListener('click', () => onRemove(r, s, button));
    return [button, r.canRemove ? null : h('p', { class: 'reason', id: reasonId }, r.removeBlocked?.message ?? '')];
  };

  /** @type {any[]} */
  const rows = out.rows ?? [];
  const snapshots = h('section', { class: 'card', 'aria-labelledby': 'detail-snapshots' },
    h('h2', { id: 'detail-snapshots' }, 'Snapshots'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-role': 'snapshots' },
      h('thead', {}, h('tr', {}, ['Name', 'Description', 'Created', 'Expires', 'Kind', 'State', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.length ? rows.map((r, i) => h('tr', { class: r.busy === 'delete' ? 'attention' : null, 'data-snapshot': r.name },
        h('td', { class: 'mono' }, r.name),
        h('td', { class: 'description' }, r.description || ''),
        h('td', { class: 'num' }, formatTime(r.createdAt)),
        h('td', { class: 'num' }, r.managed ? formatTime(r.expiresAt) : '—'),
        h('td', {}, r.managed ? 'managed' : 'foreign'),
        h('td', {}, r.busy === 'delete' ? h('span', { class: 'stuck' }, 'stuck delete') : r.busy ?? '—'),
        h('td', { class: 'action-cell-admin' }, action(r, i))))
        : h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No snapshots.'))))));

  /** @type {any[]} */
  const history = out.history ?? [];
  const events = h('section', { class: 'card', 'aria-labelledby': 'detail-history' },
    h('h2', { id: 'detail-history' }, 'History'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-role': 'history' },
      h('thead', {}, h('tr', {}, ['When', 'What happened', 'Snapshot', 'Details', 'Outcome'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, history.length ? history.map((e) => {
        const when = historyTime(e.at);
        return h('tr', {},
          h('td', { class: 'num' }, h('time', { datetime: when.datetime }, when.text)),
          h('td', {}, e.text.what),
          h('td', { class: 'mono' }, e.snapshot ?? '—'),
          h('td', { class: 'description' }, e.text.detail ?? '—'),
          h('td', {}, e.outcome, e.code ? h('div', { class: 'muted mono' }, e.code) : null));
      })
        : h('tr', {}, h('td', { colspan: '5', class: 'empty' }, 'Nothing recorded yet.'))))));
  return [summary, snapshots, events];
}
