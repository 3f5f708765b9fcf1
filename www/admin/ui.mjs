// Small pieces every section of the operator's page uses: times in the
// viewer's time zone, an error box, and a table whose columns sort.
import { h, replaceChildren } from '../panel/dom.mjs';

const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
});

/**
 * A time as the operator reads it (their time zone), or "—".
 * @param {number | null | undefined} ms since the epoch
 */
export function formatTime(ms) {
  return typeof ms === 'number' && Number.isFinite(ms) ? DATE_TIME.format(ms) : '—';
}

/**
 * An API error as an alert: the server's message and its code.
 * @param {unknown} err
 */
export function errorAlert(err) {
  const e = /** @type {{code?: unknown, message?: unknown}} */ (err ?? {});
  return h('div', { class: 'alert', role: 'alert' },
    h('p', { class: 'alert-title' }, typeof e.message === 'string' ? e.message : String(err)),
    typeof e.code === 'string' ? h('p', { class: 'alert-detail' }, `Code: ${e.code}`) : null);
}

/**
 * @template T
 * @typedef {{key: string, label: string, cell: (row: T) => import('../panel/dom.mjs').Child | import('../panel/dom.mjs').Child[],
 *   sortValue?: (row: T) => string | number | null, className?: string}} Column
 */

/**
 * A table whose sortable columns have a button in their header
 * (aria-sort tells screen readers the order). Returns the element and a
 * function to show other rows (e.g. after filtering), keeping the sort.
 * @template T
 * @param {{caption: string, columns: Column<T>[], rowClass?: (row: T) => string | null, empty: string,
 *   sort?: {key: string, dir: 'ascending' | 'descending'}, role?: string}} options  role: the table's data-role
 * @returns {{element: HTMLElement, show(rows: T[]): void}}
 */
export function sortableTable({ caption, columns, rowClass, empty, sort, role }) {
  /** @type {T[]} */
  let current = [];
  let state = sort ?? null;
  const thead = h('thead');
  const tbody = h('tbody');
  const table = h('table', { class: 'data-table', 'data-role': role ?? null }, h('caption', { class: 'visually-hidden' }, caption), thead, tbody);

  function header() {
    replaceChildren(thead, h('tr', {}, columns.map((c) => {
      if (!c.sortValue) return h('th', { scope: 'col' }, c.label);
      const dir = state?.key === c.key ? state.dir : null;
      return h('th', { scope: 'col', 'aria-sort': dir ?? 'none' },
        h('button', { type: 'button', class: 'sort-button', 'data-sort': c.key, onclick: () => toggle(c.key) },
          c.label, dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''));
    })));
  }

  /** @param {string} key */
  function toggle(key) {
    state = { key, dir: state?.key === key && state.dir === 'ascending' ? 'descending' : 'ascending' };
    header();
    body();
    /** @type {HTMLElement | null} */ (thead.querySelector(`button[data-sort="${key}"]`))?.focus();
  }

  function body() {
    const column = state ? columns.find((c) => c.key === state?.key) : undefined;
    const rows = [...current];
    if (column?.sortValue && state) {
      const sign = state.dir === 'ascending' ? 1 : -1;
      const value = column.sortValue;
      rows.sort((a, b) => {
        const x = value(a);
        const y = value(b);
        // Rows without a value go last in either order.
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        return (x < y ? -1 : x > y ? 1 : 0) * sign;
      });
    }
    if (!rows.length) {
      replaceChildren(tbody, h('tr', {}, h('td', { colspan: String(columns.length), class: 'empty' }, empty)));
      return;
    }
    replaceChildren(tbody, rows.map((r) => h('tr', { class: rowClass?.(r) ?? null },
      columns.map((c) => h('td', { class: c.className ?? null }, c.cell(r))))));
  }

  header();
  body();
  return {
    element: h('div', { class: 'table-wrap' }, table),
    show(rows) {
      current = rows;
      body();
    },
  };
}

/**
 * Shows in `target` what `read` fetches: busy while it runs, then the nodes
 * `render` makes of the answer, or the error (or the sign-in, when the
 * session has ended). Nothing changes once `alive()` says the section was left.
 * @template T
 * @param {HTMLElement} target
 * @param {{sessionEnded: (err: unknown) => boolean}} ctx
 * @param {() => boolean} alive
 * @param {() => Promise<T>} read
 * @param {(out: T) => import('../panel/dom.mjs').Child | import('../panel/dom.mjs').Child[]} render
 */
export async function showLoaded(target, ctx, alive, read, render) {
  target.setAttribute('aria-busy', 'true');
  try {
    const out = await read();
    if (!alive()) return;
    replaceChildren(target, render(out));
  } catch (err) {
    if (!alive() || ctx.sessionEnded(err)) return;
    replaceChildren(target, errorAlert(err));
  } finally {
    target.setAttribute('aria-busy', 'false');
  }
}
