// The Snapshots component: mounts into any element, reads one service's data
// from the same-origin API, and lets the wasm core decide everything shown
// (quota, what is allowed and why, countdowns). It only renders and runs
// tasks; no rule lives here.
import { PanelApi } from './api.mjs';
import { h, replaceChildren } from './dom.mjs';
import { confirmDialog } from './confirm-dialog.mjs';
import { blockedReason, friendlyMessage, taskMessage } from './wording.mjs';
import { historyText, historyTime, reasonTable } from './history-wording.mjs';

/**
 * The subset of the wasm core this component uses, typed by the package's
 * own .d.ts (a type-only import: the page loads the package itself).
 * @typedef {Pick<typeof import('/pkg/pve_snapshots.js'), 'snapshotPage' | 'limits' | 'errorCodes'>} SnapshotCore
 * @typedef {ReturnType<SnapshotCore['snapshotPage']>} PageView
 * @typedef {PageView['rows'][number]} Row
 */

/**
 * @typedef {object} MountOptions
 * @property {string} [apiBase] defaults to '/api'
 * @property {string} serviceId
 * @property {string} csrfToken
 * @property {SnapshotCore} core the initialised wasm package
 * @property {() => void} [onSessionEnded] called when the API says the session is gone
 * @property {number} [pollIntervalMs] how often a running task is polled (default 1000)
 * @property {number} [storeRetryMs] how soon the list is loaded again after the panel's database was unavailable (default 5000)
 * @property {number} [refreshIntervalMs] how often the list is re-read in the background (default 15000)
 * @property {1|2|3|4|5} [headingLevel] the level of the "Snapshots" heading (default 2, for a host page
 *   that has its own h1; the stand-alone panel uses 1); the history's heading is one level below
 */

/**
 * @typedef {object} SnapshotsHandle
 * @property {() => Promise<void>} refresh reloads the data from the server
 * @property {() => void} tick recomputes countdowns now (what the 1 s timer does)
 * @property {() => void} destroy stops timers and empties the element
 */

const DATE_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** Running-task labels for the button that started the task. */
const BUTTON_PROGRESS = { create: 'Creating snapshot…', rollback: 'Rolling back…', remove: 'Removing…' };

/**
 * Mounts the Snapshots page for one service into `element`.
 * @param {HTMLElement} element
 * @param {MountOptions} options
 * @returns {SnapshotsHandle}
 */
export function mountSnapshots(element, {
  apiBase = '/api', serviceId, csrfToken, core, onSessionEnded, pollIntervalMs = 1000, refreshIntervalMs = 15000, storeRetryMs = 5000, headingLevel = 2,
}) {
  const api = new PanelApi({ apiBase, csrfToken });
  const uid = `snap-${Math.random().toString(36).slice(2, 8)}`;

  /** @type {import('./api.mjs').SnapshotData | null} */
  let data = null;
  /** @type {PageView | null} */
  let view = null;
  /** @type {{id: string, kind: 'create'|'rollback'|'remove', name: string} | null} */
  let task = null;
  let destroyed = false;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let refresher;
  /** Signature of what is on screen, see signature(). */
  let rendered = '';
  /** Countdown cells by snapshot name, so a tick touches nothing else. */
  /** @type {Map<string, {row: HTMLElement, cell: HTMLElement, key: string}>} */
  let countdowns = new Map();

  // Static skeleton: built once; render() fills the dynamic parts.
  const heading = /** @param {number} level */ (level) => /** @type {'h1'|'h2'|'h3'|'h4'|'h5'|'h6'} */ (`h${level}`);
  const title = h(heading(headingLevel), { id: `${uid}-title`, tabindex: '-1' }, 'Snapshots');
  // A meter, so assistive technology reads "snapshots used, 2 of 3".
  const quota = h('span', { class: 'quota', 'data-role': 'quota', role: 'meter', 'aria-label': 'Snapshots used', 'aria-valuemin': '0' });
  const serviceLine = h('p', { class: 'service-line', 'data-role': 'service' });
  const description = /** @type {HTMLInputElement} */ (h('input', {
    id: `${uid}-desc`, name: 'description', type: 'text', autocomplete: 'off', maxlength: String(core.limits().descriptionChars),
    placeholder: 'e.g. before upgrading PHP', 'aria-describedby': `${uid}-create-reason`,
  }));
  const createButton = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'btn btn-primary', 'data-role': 'create', disabled: true }, 'Take Snapshot'));
  const createReason = h('p', { id: `${uid}-create-reason`, class: 'reason', 'data-role': 'create-reason' });
  const form = h('form', { class: 'create', novalidate: true, onsubmit: onCreate },
    h('label', { for: description.id }, 'Snapshot description ', h('span', { class: 'optional' }, '(optional)')),
    h('div', { class: 'create-row' }, description, createButton),
    createReason);
  const live = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true', 'data-role': 'live' });
  const progress = h('p', { class: 'progress', 'data-role': 'progress', hidden: true });
  // Seen by everyone, not only heard: the live region above speaks it.
  const success = h('p', { class: 'success', 'data-role': 'success', hidden: true });
  const alertBox = h('div', { class: 'alert', role: 'alert', 'data-role': 'error', hidden: true });
  const tbody = h('tbody');
  const table = h('table', { class: 'snapshot-table', 'data-role': 'list', hidden: true },
    h('caption', { class: 'visually-hidden' }, 'Your snapshots, oldest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Snapshot'),
      h('th', { scope: 'col' }, 'Created'),
      h('th', { scope: 'col' }, 'Remaining lifetime'),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    tbody);
  const empty = h('p', { class: 'empty', 'data-role': 'empty', hidden: true }, 'No snapshots yet.');
  const suspendedNote = h('div', { class: 'alert', role: 'status', 'data-role': 'suspended', hidden: true });
  const note = h('aside', { class: 'note', 'data-role': 'not-backups' },
    h('strong', {}, 'Snapshots are not backups. '),
    'They live on the same storage as your server and are removed automatically when their lifetime ends. ',
    'Keep real backups of anything you cannot afford to lose.');

  const reasons = reasonTable(core.errorCodes());
  const historyBody = h('tbody');
  const historyTable = h('table', { class: 'history-table', 'data-role': 'history', hidden: true },
    h('caption', { class: 'visually-hidden' }, 'The last events of this service, newest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'When'),
      h('th', { scope: 'col' }, 'What happened'),
      h('th', { scope: 'col' }, 'Snapshot'),
      h('th', { scope: 'col' }, 'Details'))),
    historyBody);
  const historyNote = h('p', { class: 'empty', 'data-role': 'history-note' }, 'Loading…');
  const historyTitle = h(heading(headingLevel + 1), { id: `${uid}-history` }, 'History');
  const history = h('section', { class: 'history', 'aria-labelledby': historyTitle.id },
    historyTitle, h('div', { class: 'table-wrap' }, historyTable, historyNote));

  const card = h('section', { class: 'card snapshots', 'aria-labelledby': title.id, 'aria-busy': 'true' },
    h('header', { class: 'card-header' }, h('div', {}, title, serviceLine), quota),
    suspendedNote, form, progress, success, alertBox, live,
    h('div', { class: 'table-wrap' }, table, empty),
    note, history);
  replaceChildren(element, card);

  /** @param {unknown} err */
  function showError(err, context = '') {
    const e = /** @type {any} */ (err);
    if (e?.code === 'UNAUTHENTICATED' || e?.code === 'CSRF_FAILED') onSessionEnded?.();
    const friendly = friendlyMessage(e?.code, e?.status);
    showAlert(context ? `${context} ${friendly}` : friendly, `Details: ${typeof e?.message === 'string' ? e.message : String(err)}`);
  }

  /**
   * @param {string} title
   * @param {string} detail
   */
  function showAlert(title, detail) {
    showSuccess(null);
    replaceChildren(alertBox, h('p', { class: 'alert-title' }, title), h('p', { class: 'alert-detail' }, detail));
    alertBox.hidden = false;
  }

  function clearError() {
    alertBox.hidden = true;
    replaceChildren(alertBox);
  }

  /** @param {string|null} text */
  function showSuccess(text) {
    success.hidden = !text;
    replaceChildren(success, text ?? '');
  }

  /** The client clock corrected by the offset measured at the last fetch. */
  function nowMs() {
    // The core takes whole milliseconds; the measured offset is a midpoint.
    return Math.round(Date.now() + (data?.clockOffsetMs ?? 0));
  }

  function compute() {
    if (!data) return null;
    const page = core.snapshotPage(data.policy, data.vmStatus, data.snapshots, nowMs());
    return data.suspended ? readOnly(page) : page;
  }

  /** Set while the panel's database is away: the list is retried, the customer stays signed in. */
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let storeRetry;

  /** What the history shows, so an unchanged reload leaves the table alone. */
  let historyShown = '';

  async function loadHistory() {
    let events;
    try {
      ({ events } = await api.history(serviceId));
    } catch (err) {
      if (destroyed) return;
      // The snapshot list says what went wrong; this only says what is missing.
      historyShown = '';
      historyTable.hidden = true;
      historyNote.hidden = false;
      replaceChildren(historyNote, 'The history could not be loaded.');
      return;
    }
    if (destroyed) return;
    const shown = JSON.stringify(events);
    if (shown === historyShown) return;
    historyShown = shown;
    replaceChildren(historyBody, events.map((e) => {
      const text = historyText(e, { reasons });
      const when = historyTime(e.at);
      return h('tr', { 'data-actor': e.actor, 'data-action': e.action, 'data-outcome': e.outcome },
        h('td', { class: 'when' }, h('time', { datetime: when.datetime }, when.text)),
        h('td', { class: 'what' }, text.what),
        h('td', { class: 'snap-name' }, e.snapshot ?? '—'),
        h('td', { class: 'detail' }, text.detail ?? ''));
    }));
    historyTable.hidden = events.length === 0;
    historyNote.hidden = events.length > 0;
    replaceChildren(historyNote, events.length ? '' : 'Nothing has happened here yet.');
  }

  async function refresh() {
    card.setAttribute('aria-busy', 'true');
    const historyLoaded = loadHistory();
    try {
      data = await api.snapshots(serviceId);
      if (destroyed) return;
      if (storeRetry !== undefined) {
        storeRetry = undefined;
        clearError();
      }
      if (data.activeTask && !task) follow(data.activeTask);
      // A background refresh that changes nothing visible must not rebuild
      // the rows: that would throw away keyboard focus.
      const next = compute();
      if (!next || signature(next) !== rendered) render();
      else view = next;
    } catch (err) {
      if (destroyed) return;
      showError(err, 'The snapshots could not be loaded.');
      if (/** @type {any} */ (err)?.code === 'STORE_UNAVAILABLE') {
        clearTimeout(storeRetry);
        storeRetry = setTimeout(refresh, storeRetryMs);
      }
    } finally {
      await historyLoaded;
      card.setAttribute('aria-busy', 'false');
    }
  }

  function render() {
    try {
      view = compute();
    } catch (err) {
      showError(err, 'The snapshot data could not be read.');
      return;
    }
    if (!view || !data) return;
    rendered = signature(view);
    const focused = focusedAction();
    const svc = data.service;
    suspendedNote.hidden = !data.suspended;
    replaceChildren(suspendedNote, data.suspended ? [
      h('p', { class: 'alert-title' }, 'This service is suspended: you can look at your snapshots, but not take, roll back or remove any.'),
      data.suspended.reason ? h('p', { class: 'alert-detail' }, `Reason: ${data.suspended.reason}`) : null,
    ] : []);
    replaceChildren(serviceLine, svc.name, ' · ', `VM ${svc.vmid}`, ' · ', statusText(view.vm));
    quota.textContent = view.quota.label;
    quota.setAttribute('aria-valuenow', String(view.quota.used));
    quota.setAttribute('aria-valuemax', String(view.quota.limit));
    quota.setAttribute('aria-valuetext', `${view.quota.used} of ${view.quota.limit}`);
    quota.classList.toggle('full', view.quota.used >= view.quota.limit);

    renderCreate();
    const next = new Map();
    replaceChildren(tbody, view.rows.map((row) => {
      const tr = renderRow(row);
      next.set(row.name, { row: tr, cell: /** @type {HTMLElement} */ (tr.querySelector('[data-role=countdown]')), key: rowKey(row) });
      return tr;
    }));
    countdowns = next;
    empty.hidden = view.rows.length > 0;
    table.hidden = view.rows.length === 0;
    if (focused) restoreFocus(focused);
  }

  /** Which row button has focus, so a re-render can put it back. */
  function focusedAction() {
    const el = document.activeElement;
    if (!(el instanceof HTMLElement) || !tbody.contains(el)) return null;
    const tr = el.closest('tr');
    return { name: tr?.dataset.snapshot ?? '', action: el.dataset.action ?? '' };
  }

  /** @param {{name: string, action: string}} f */
  function restoreFocus(f) {
    for (const tr of tbody.rows) {
      if (tr.dataset.snapshot !== f.name) continue;
      const btn = /** @type {HTMLButtonElement|null} */ (tr.querySelector(`[data-action="${f.action}"]`));
      if (btn && !btn.disabled) { btn.focus(); return; }
    }
    title.focus();
  }

  function renderCreate() {
    if (!view) return;
    const running = task?.kind === 'create';
    createButton.textContent = running ? BUTTON_PROGRESS.create : 'Take Snapshot';
    createButton.disabled = Boolean(task || view.createBlocked);
    createButton.setAttribute('aria-disabled', String(createButton.disabled));
    description.disabled = Boolean(task);
    if (view.createBlocked && !running) {
      replaceChildren(createReason, blockedReason(view.createBlocked, { lock: view.vm.lock, limit: view.quota.limit }));
      createReason.dataset.code = view.createBlocked.code;
    } else if (task && !running) {
      replaceChildren(createReason, 'Another snapshot operation is still running. Please wait until it has finished.');
      createReason.dataset.code = 'SNAPSHOT_BUSY';
    } else {
      replaceChildren(createReason);
      delete createReason.dataset.code;
    }
    // The reason the button is disabled is read with the button.
    if (createReason.dataset.code) createButton.setAttribute('aria-describedby', createReason.id);
    else createButton.removeAttribute('aria-describedby');
  }

  /** @param {Row} row */
  function renderRow(row) {
    const badges = [
      row.ram && h('span', { class: 'badge badge-ram', title: 'Includes the memory of the running server' }, 'RAM'),
      !row.managed && h('span', { class: 'badge badge-foreign' }, 'created by your provider'),
      row.busy && h('span', { class: 'badge badge-busy' }, busyText(row.busy)),
    ];
    const created = row.createdAt === null ? null : new Date(row.createdAt);
    const countdown = h('td', { class: 'remaining', 'data-role': 'countdown' }, countdownText(row));
    const tr = h('tr', { 'data-snapshot': row.name, class: rowClass(row) },
      h('td', { class: 'name' },
        h('span', { class: 'snap-name', 'data-role': 'name' }, row.name), ' ', badges,
        row.description ? h('div', { class: 'description', 'data-role': 'description' }, row.description) : null),
      h('td', { class: 'created' }, created
        ? h('time', { datetime: created.toISOString() }, DATE_FORMAT.format(created))
        : h('span', { class: 'unknown' }, 'unknown')),
      countdown,
      h('td', { class: 'actions' }, row.managed ? rowActions(row) : h('span', { class: 'read-only' }, 'Read-only')));
    return tr;
  }

  /** @param {Row} row */
  function rowActions(row) {
    const mine = task && task.name === row.name ? task.kind : null;
    const rb = /** @type {HTMLButtonElement} */ (h('button', {
      type: 'button', class: 'btn btn-small', 'data-action': 'rollback',
      'aria-label': `Rollback to ${row.name}`,
      onclick: (/** @type {Event} */ ev) => onRollback(row, /** @type {HTMLElement} */ (ev.currentTarget)),
    }, mine === 'rollback' ? BUTTON_PROGRESS.rollback : 'Rollback'));
    const rm = /** @type {HTMLButtonElement} */ (h('button', {
      type: 'button', class: 'btn btn-small btn-danger-outline', 'data-action': 'remove',
      'aria-label': `Remove ${row.name}`,
      onclick: (/** @type {Event} */ ev) => onRemove(row, /** @type {HTMLElement} */ (ev.currentTarget)),
    }, mine === 'remove' ? BUTTON_PROGRESS.remove : 'Remove'));
    rb.disabled = Boolean(task) || !row.canRollback;
    rm.disabled = Boolean(task) || !row.canRemove;
    // One reason line per row: the first refusal is what the customer must
    // resolve first, and both usually share it (lock, busy).
    const reasons = [];
    if (!task) {
      if (!row.canRollback && row.rollbackBlocked) reasons.push(row.rollbackBlocked);
      if (!row.canRemove && row.removeBlocked && row.removeBlocked.code !== row.rollbackBlocked?.code) reasons.push(row.removeBlocked);
    }
    const reasonId = `${uid}-r-${row.name}`;
    if (reasons.length) {
      rb.setAttribute('aria-describedby', reasonId);
      rm.setAttribute('aria-describedby', reasonId);
    }
    return h('div', { class: 'action-cell' },
      h('div', { class: 'action-buttons' }, rb, rm),
      // A VM-wide reason (lock, busy) is already shown under Take Snapshot;
      // repeating it on every row is noise to the eye but not to a screen
      // reader, which hears it with each button.
      reasons.length ? h('p', {
        class: reasons.every((r) => r.code === view?.createBlocked?.code) ? 'reason visually-hidden' : 'reason',
        id: reasonId, 'data-role': 'row-reason', 'data-code': reasons.map((r) => r.code).join(' '),
      },
        reasons.map((r) => blockedReason(r, { lock: view?.vm.lock ?? null, limit: view?.quota.limit ?? 0 })).join(' ')) : null);
  }

  /** Everything about a row that does not change with the clock, except expiry. */
  /** @param {Row} row */
  function rowKey(row) {
    return [row.expired, row.canRollback, row.canRemove, row.busy, row.managed].join('|');
  }

  // Every second: recompute the view with the corrected clock and touch only
  // the countdown cells. A row whose state changed (say it just expired)
  // triggers a full render, which happens at most once per lifetime end.
  function tick() {
    if (!data || destroyed) return;
    let next;
    try {
      next = compute();
    } catch {
      return;
    }
    if (!next) return;
    view = next;
    let stale = next.rows.length !== countdowns.size;
    for (const row of next.rows) {
      const entry = countdowns.get(row.name);
      if (!entry || entry.key !== rowKey(row)) { stale = true; break; }
      const text = countdownText(row);
      if (entry.cell.textContent !== text) entry.cell.textContent = text;
    }
    if (stale) render();
  }

  /**
   * Follows a background task until it ends, then refreshes the list.
   * @param {{id: string, kind: 'create'|'rollback'|'remove', name: string}} t
   */
  async function follow(t) {
    task = t;
    showSuccess(null);
    announce(taskMessage(t.kind, 'running', t.name));
    showProgress(taskMessage(t.kind, 'running', t.name));
    if (view) render();
    let delay = pollIntervalMs;
    /** @type {any} */
    let result = null;
    // A slow task is still running, never failed: keep polling, just less often.
    while (!destroyed) {
      await sleep(delay);
      if (destroyed) return;
      try {
        const out = await api.task(serviceId, t.id);
        if (out?.task?.state && out.task.state !== 'running') { result = out.task; break; }
      } catch (err) {
        const code = /** @type {any} */ (err)?.code;
        if (code === 'NOT_FOUND' || code === 'UNAUTHENTICATED') { result = { state: 'unknown', error: err }; break; }
      }
      delay = Math.min(delay * 1.25, 5000);
    }
    if (destroyed) return;
    task = null;
    rendered = ''; // the buttons must come back even if the data did not change
    showProgress(null);
    if (result?.state === 'ok') {
      clearError();
      const done = taskMessage(t.kind, 'ok', t.name) + warningText(result.warnings);
      showSuccess(done);
      announce(done);
      if (t.kind === 'create') description.value = '';
    } else if (result?.state === 'failed') {
      showAlert(taskMessage(t.kind, 'failed', t.name), `Reason reported by Proxmox: ${result.message || 'none given'}`);
      announce(`${taskMessage(t.kind, 'failed', t.name)} ${result.message || ''}`.trim());
    } else if (result?.error) {
      showError(result.error);
    }
    await refresh();
  }

  /** @param {Event} ev */
  async function onCreate(ev) {
    ev.preventDefault();
    if (task || !view || view.createBlocked) return;
    clearError();
    const text = description.value.trim();
    createButton.disabled = true;
    createButton.textContent = BUTTON_PROGRESS.create;
    try {
      const out = await api.createSnapshot(serviceId, text ? { description: text } : {});
      follow(out.task);
    } catch (err) {
      showError(err, 'The snapshot was not taken.');
      await refresh();
    }
  }

  /**
   * @param {Row} row
   * @param {HTMLElement} button
   */
  async function onRollback(row, button) {
    if (task || !view) return;
    const running = view.vm.running;
    const paragraphs = [
      `Your server will be stopped and returned to the state of ${row.name}${takenAt(row)}.`,
      'Everything that changed since then — files, databases, settings — will be lost. This cannot be undone.',
    ];
    if (row.ram) paragraphs.push('This snapshot includes the memory, so the server resumes running exactly as it was.');
    const answer = await confirmDialog({
      title: `Roll back to ${row.name}?`,
      paragraphs,
      confirmLabel: 'Stop server and roll back',
      checkbox: row.ram ? undefined : { label: 'Start the server again after the rollback', checked: running },
    }, button);
    if (!answer.confirmed) return;
    focusFallback(button);
    await act(() => api.rollback(serviceId, row.name, row.ram ? {} : { start: answer.checked }), 'The rollback did not start.');
  }

  /**
   * @param {Row} row
   * @param {HTMLElement} button
   */
  async function onRemove(row, button) {
    if (task || !view) return;
    const answer = await confirmDialog({
      title: `Remove ${row.name}?`,
      paragraphs: [
        `The snapshot ${row.name}${takenAt(row)} will be deleted. You will not be able to roll back to it any more.`,
        'Your server keeps running and its current data is not affected.',
      ],
      confirmLabel: 'Remove snapshot',
    }, button);
    if (!answer.confirmed) return;
    focusFallback(button);
    await act(() => api.remove(serviceId, row.name), 'The snapshot was not removed.');
  }

  /**
   * @param {() => Promise<{task: any}>} start
   * @param {string} context
   */
  async function act(start, context) {
    clearError();
    try {
      const out = await start();
      follow(out.task);
    } catch (err) {
      showError(err, context);
      await refresh();
    }
  }

  /** While a task runs its button is disabled; keep keyboard focus inside the card. */
  /** @param {HTMLElement} button */
  function focusFallback(button) {
    queueMicrotask(() => {
      if (document.activeElement === document.body || /** @type {any} */ (button).disabled) title.focus();
    });
  }

  /** @param {string} text */
  function announce(text) {
    live.textContent = text;
  }

  /** @param {string|null} text */
  function showProgress(text) {
    progress.hidden = !text;
    replaceChildren(progress, text ? [h('span', { class: 'spinner', 'aria-hidden': 'true' }), text] : []);
  }

  /** Someone else (a backup, another tab) may change the VM at any time. */
  function onVisible() {
    if (document.visibilityState === 'visible' && !task) refresh();
  }

  timer = setInterval(tick, 1000);
  refresher = setInterval(onVisible, refreshIntervalMs);
  document.addEventListener('visibilitychange', onVisible);
  refresh();

  return {
    refresh,
    tick,
    destroy() {
      destroyed = true;
      clearInterval(timer);
      clearInterval(refresher);
      clearTimeout(storeRetry);
      document.removeEventListener('visibilitychange', onVisible);
      replaceChildren(element);
    },
  };
}

/**
 * The page of a suspended service: every action blocked with that reason
 * (the server refuses them too; this only says so up front).
 * @param {PageView} page
 * @returns {PageView}
 */
function readOnly(page) {
  /** @type {NonNullable<PageView['createBlocked']>} */
  const blocked = { code: 'SERVICE_SUSPENDED', message: 'the service is suspended' };
  return {
    ...page,
    quota: { ...page.quota, canCreate: false },
    createBlocked: blocked,
    rows: page.rows.map((r) => ({ ...r, canRollback: false, rollbackBlocked: blocked, canRemove: false, removeBlocked: blocked })),
  };
}

/**
 * Everything visible except the countdowns.
 * @param {PageView} v
 */
function signature(v) {
  return JSON.stringify([v.quota, v.createBlocked, v.vm,
    v.rows.map((r) => [r.name, r.description, r.createdAt, r.expired, r.managed, r.ram, r.busy,
      r.canRollback, r.rollbackBlocked, r.canRemove, r.removeBlocked])]);
}

/** @param {Row} row */
function countdownText(row) {
  if (!row.managed) return 'Kept by your provider';
  if (row.expired) return 'Expired — will be removed shortly';
  return row.remainingLabel ?? 'unknown';
}

/** @param {Row} row */
function takenAt(row) {
  return row.createdAt === null ? '' : `, taken ${DATE_FORMAT.format(new Date(row.createdAt))}`;
}

/** @param {Row} row */
function rowClass(row) {
  return [row.managed ? 'managed' : 'foreign', row.expired && 'expired', row.busy && 'busy'].filter(Boolean).join(' ');
}

/** @param {{status: string, lock: string|null}} vm */
function statusText(vm) {
  const state = vm.status === 'running' ? 'running' : vm.status || 'unknown';
  return vm.lock ? `${state}, locked (${vm.lock})` : state;
}

/** @param {string} busy Proxmox's snapstate */
function busyText(busy) {
  return busy === 'delete' ? 'being removed' : busy === 'prepare' ? 'being created' : busy;
}

/** @param {unknown} warnings */
function warningText(warnings) {
  const n = typeof warnings === 'number' ? warnings : Array.isArray(warnings) ? warnings.length : 0;
  return n ? ` Proxmox reported ${n} warning${n === 1 ? '' : 's'}.` : '';
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
