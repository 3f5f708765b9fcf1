// A service's history as its owner sees it: the audit entries of the
// store's `serviceHistory`, one event per action. An accepted action and
// its outcome share a task id and become one event that carries the
// outcome (or stays `accepted` while Proxmox still runs it). The words are
// the page's (www/panel/history-wording.mjs); this only shapes the data.

/**
 * @typedef {import('../store/store.mjs').AuditRow} AuditRow
 * @typedef {{at: number, actor: 'customer'|'job'|'operator', actorId?: string, action: string, snapshot: string|null,
 *   outcome: string, code: string|null, message: string|null, description: string|null}} HistoryEvent
 *   `message` only for a failure (Proxmox's words); `at` is when the newest entry of the action was written;
 *   `actorId` only when asked for (the operator's view: which customer, which operator)
 */

/** How many events the Snapshots page shows. */
export const HISTORY_LIMIT = 50;

/**
 * Folds audit rows (newest first) into at most `limit` events, newest first.
 * @param {AuditRow[]} rows
 * @param {number} [limit]
 * @param {{withActorId?: boolean}} [o]
 * @returns {HistoryEvent[]}
 */
export function historyEvents(rows, limit = HISTORY_LIMIT, { withActorId = false } = {}) {
  /** @type {HistoryEvent[]} */
  const events = [];
  /** @type {Map<string, HistoryEvent>} task id → its event */
  const byTask = new Map();
  for (const r of rows) {
    const same = r.taskId ? byTask.get(r.taskId) : undefined;
    if (same) {
      // An older row of an action already seen: its accepted entry, which
      // knows the description when the outcome does not.
      same.description ??= r.description ?? null;
      continue;
    }
    if (events.length === limit) continue;
    /** @type {HistoryEvent} */
    const event = {
      at: r.at,
      actor: /** @type {HistoryEvent['actor']} */ (r.actorKind),
      ...(withActorId ? { actorId: r.actorId } : {}),
      action: r.action,
      snapshot: r.snapshot ?? null,
      outcome: r.outcome,
      code: r.outcome === 'refused' || r.outcome === 'failed' ? r.code ?? null : null,
      message: r.outcome === 'failed' ? r.message ?? null : null,
      description: r.description ?? null,
    };
    events.push(event);
    if (r.taskId) byTask.set(r.taskId, event);
  }
  return events;
}
