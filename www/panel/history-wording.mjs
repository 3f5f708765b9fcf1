// The words for a service's history, in one place for the customer's page
// and the operator's view: what happened, who did it, and why it was
// refused or failed. A refusal's reason is the code's summary from the rules
// core (`errorCodes()`, written in src/error.rs), so the page, the API and
// this history say the same thing. No DOM here: it runs in any module.

/**
 * One event as `GET /api/services/{id}/history` returns it (see
 * www/server/history.mjs); `actorId` only where the reader may see it (the
 * operator's view).
 * @typedef {{at: number, actor: string, actorId?: string|null, action: string, snapshot: string|null,
 *   outcome: string, code: string|null, message: string|null, description: string|null}} HistoryEvent
 * @typedef {'customer'|'operator'} Viewer who reads it: the customer ("you") or an operator ("the customer")
 * @typedef {{what: string, detail: string|null}} HistoryText
 */

/** What each action is called in a sentence about it. */
const DOING = Object.freeze({ create: 'Taking a snapshot', rollback: 'The rollback', remove: 'The removal', expire: 'The removal' });
const DONE = Object.freeze({ create: 'Taken', rollback: 'Rolled back', remove: 'Removed', expire: 'Removed' });

/**
 * The code → reason table from the core's `errorCodes()`.
 * @param {ReadonlyArray<{code: string, summary: string}>} codes
 * @returns {ReadonlyMap<string, string>}
 */
export function reasonTable(codes) {
  return new Map(codes.map((c) => [c.code, c.summary]));
}

/**
 * @param {string} action
 * @param {Readonly<Record<string, string>>} words
 */
const word = (action, words) => (Object.hasOwn(words, action) ? words[action] : action);

/**
 * Who did it, as the reader says it.
 * @param {HistoryEvent} e
 * @param {Viewer} viewer
 */
function byWhom(e, viewer) {
  switch (e.actor) {
    case 'customer': return viewer === 'customer' ? 'by you' : `by the customer${e.actorId ? ` ${e.actorId}` : ''}`;
    case 'operator': return viewer === 'customer' ? 'by your provider\'s support' : `by operator ${e.actorId ?? ''}`.trimEnd();
    case 'job': return 'because its lifetime ended';
    default: return `by ${e.actor}`;
  }
}

/**
 * The event in plain words: `what` (one short sentence) and `detail` (the
 * refusal's reason, Proxmox's message, or the snapshot's description).
 * @param {HistoryEvent} e
 * @param {{reasons: ReadonlyMap<string, string>, viewer?: Viewer}} o
 * @returns {HistoryText}
 */
export function historyText(e, { reasons, viewer = 'customer' }) {
  const who = byWhom(e, viewer);
  // "Taking a snapshot failed" for the reader's own action; others are named.
  const doing = e.actor === 'job' ? 'The automatic removal'
    : e.actor === 'customer' && viewer === 'customer' ? word(e.action, DOING) : `${word(e.action, DOING)} ${who}`;
  const description = e.description ? `Description: ${e.description}` : null;
  switch (e.outcome) {
    case 'ok':
      return { what: `${word(e.action, DONE)} ${who}`, detail: description };
    case 'accepted':
    case 'running':
    case 'still-running':
      return { what: `${doing} is still running`, detail: description };
    case 'refused': {
      const reason = e.code ? reasons.get(e.code) ?? e.code : 'no reason recorded';
      return { what: `${doing} was refused`, detail: `Reason: ${reason}` };
    }
    case 'failed':
      return { what: `${doing} failed`, detail: `Proxmox said: ${e.message || 'no message'}` };
    default:
      return { what: `${doing}: ${e.outcome}`, detail: description };
  }
}

// Minutes, 24-hour clock, in the reader's own time zone and locale order.
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/**
 * When it happened: `datetime` for a `<time>` element, `text` to show.
 * @param {number} ms since the epoch
 * @returns {{datetime: string, text: string}}
 */
export function historyTime(ms) {
  const d = new Date(ms);
  return { datetime: d.toISOString(), text: TIME_FORMAT.format(d) };
}
