// Which notices were sent, which wait for a retry, and which were given up:
// the record that makes each notice go out once per snapshot and type. The
// notifier sees only the NoticeLedger interface. The job keeps it in the
// store (www/store/notice-store.mjs); this one keeps it as a JSON file in
// the job's state directory (guarded by the run lock), for a library caller
// without a store, and is how an earlier release's notices.json is read
// once to move it into the store.
import { readFile, writeFile, rename, unlink, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The ledger's file name inside the state directory. */
export const LEDGER_NAME = 'notices.json';

// Sent and given-up records are kept this long, well past any snapshot's
// lifetime (at most 10 days) plus the notice window (at most 10 days), so a
// snapshot cannot outlive the record that says its notice went out.
const KEEP_MS = 90 * 86_400_000;

/**
 * @typedef {object} NoticeRecord
 * @property {string} key       type, service, VM, snapshot name and creation time: one notice per snapshot and type
 * @property {string} id        the notice's id, the same on every attempt
 * @property {'snapshot.expiring'|'snapshot.removed'} type
 * @property {string} service
 * @property {number} vmid
 * @property {string} snapshot
 * @property {string} body      the exact JSON sent on every attempt
 * @property {'pending'|'sent'|'given-up'} state
 * @property {number} attempts
 * @property {number} nextRun   the run number of the next attempt (pending only)
 * @property {string} createdAt
 * @property {string|null} lastAttemptAt
 * @property {{code: string, message: string}|null} lastError
 *
 * @typedef {object} NoticeLedger
 * @property {() => Promise<number>} beginRun  counts one more run and returns its number (backoff is counted in runs)
 * @property {(keys: string[]) => Promise<Set<string>>} known  which of these keys have a record
 * @property {(records: NoticeRecord[]) => Promise<void>} add  records new notices, durably; a key already recorded is kept as it is
 * @property {(run: number) => Promise<NoticeRecord[]>} due  pending records whose turn has come, oldest first,
 *   claimed for this ledger: no other ledger gets them until `put` or `close`
 * @property {(records: NoticeRecord[]) => Promise<void>} put  records the outcome of attempts at claimed records, durably
 * @property {() => Promise<{pending: number, givenUp: number}>} totals
 * @property {() => Promise<void>} close
 */

/**
 * @param {string} dir  the job's state directory
 * @param {{now?: () => number}} [options]
 * @returns {Promise<NoticeLedger & {exists: boolean, contents(): {run: number, records: NoticeRecord[]}}>}
 *   `exists`: the file was there; `contents()`: what it holds
 */
export async function openJsonLedger(dir, { now = Date.now } = {}) {
  const path = join(dir, LEDGER_NAME);
  let run = 0;
  /** @type {Map<string, NoticeRecord>} */
  const records = new Map();
  let text = null;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw ledgerError(path, err);
  }
  if (text !== null) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (err) {
      // A damaged ledger could resend every notice: stop rather than guess.
      throw ledgerError(path, err);
    }
    if (!data || typeof data !== 'object' || !Array.isArray(data.notices) || !Number.isSafeInteger(data.run)) {
      throw ledgerError(path, new Error('not a notice ledger'));
    }
    run = data.run;
    for (const r of data.notices) if (r && typeof r.key === 'string') records.set(r.key, r);
  }

  const save = async () => {
    const cutoff = now() - KEEP_MS;
    for (const [key, r] of records) {
      if (r.state !== 'pending' && Date.parse(r.lastAttemptAt ?? r.createdAt) < cutoff) records.delete(key);
    }
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const tmp = join(dir, `.${LEDGER_NAME}.${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(tmp, `${JSON.stringify({ run, notices: [...records.values()] }, null, 1)}\n`, { mode: 0o640 });
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw ledgerError(path, err);
    }
  };

  return {
    exists: text !== null,
    contents: () => ({ run, records: [...records.values()] }),
    async beginRun() {
      run += 1;
      await save();
      return run;
    },
    async known(keys) {
      return new Set(keys.filter((k) => records.has(k)));
    },
    async due(r) {
      return [...records.values()].filter((x) => x.state === 'pending' && x.nextRun <= r)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async add(list) {
      for (const r of list) if (!records.has(r.key)) records.set(r.key, r);
      await save();
    },
    async put(list) {
      for (const r of list) records.set(r.key, r);
      await save();
    },
    async totals() {
      let pending = 0;
      let givenUp = 0;
      for (const r of records.values()) {
        if (r.state === 'pending') pending += 1;
        else if (r.state === 'given-up') givenUp += 1;
      }
      return { pending, givenUp };
    },
    async close() {},
  };
}

/** @param {string} path @param {unknown} err */
function ledgerError(path, err) {
  const e = /** @type {NodeJS.ErrnoException} */ (err);
  return Object.assign(new Error(`the notice ledger ${path} cannot be used: ${e.code ?? e.message}`), { code: 'NOTIFY_LEDGER' });
}
