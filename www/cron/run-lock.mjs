// The overlap guard of the expiry job: one lock file per state directory.
// A lock appears complete or not at all (written to a private file, then
// hard-linked into place, which fails if a lock exists), and a stale lock is
// replaced only by the one run that wins a takeover marker named after that
// very lock, so two runs can never both believe they hold it.
import { open, link, unlink, readFile, rename, mkdir, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The lock file's name inside the state directory. */
export const LOCK_NAME = 'expire.lock';

/**
 * @typedef {object} LockInfo
 * @property {number} pid
 * @property {string} hostname
 * @property {string} startedAt  ISO time
 * @property {number} staleAt    ms since the epoch after which any run may take the lock over
 * @property {string} token      random, tells this lock from any later one
 */

/**
 * @typedef {object} HeldLock
 * @property {string} path
 * @property {LockInfo} info
 * @property {(Partial<LockInfo> & {staleReason: string, unreadable?: boolean})|null} tookOver
 *   the stale lock this run replaced (`unreadable` when it was debris), if any
 * @property {() => Promise<void>} release  removes the lock if it is still ours
 */

/** A lock held by a live run. `details.holder` is that run's LockInfo. */
export class LockBusyError extends Error {
  /** @param {string} message @param {LockInfo|null} holder */
  constructor(message, holder) {
    super(message);
    this.name = 'LockBusyError';
    this.code = 'ALREADY_RUNNING';
    this.details = { holder };
  }
}

/**
 * Takes the run lock in `dir`, creating the directory if needed.
 * @param {string} dir
 * @param {{staleAfterMs: number, now?: () => number, pid?: number, host?: string}} options
 *   staleAfterMs: how long this run may hold the lock before others may treat it as abandoned
 * @returns {Promise<HeldLock>}
 * @throws {LockBusyError} when a live run holds it; file-system errors as they come
 */
export async function acquireRunLock(dir, { staleAfterMs, now = Date.now, pid = process.pid, host = hostname() }) {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const path = join(dir, LOCK_NAME);
  const started = now();
  /** @type {LockInfo} */
  const info = {
    pid, hostname: host, startedAt: new Date(started).toISOString(),
    staleAt: started + staleAfterMs, token: randomBytes(12).toString('hex'),
  };
  const draft = join(dir, `.${LOCK_NAME}.${info.token}`);
  await writeComplete(draft, JSON.stringify(info) + '\n');
  try {
    let tookOver = null;
    if (!(await linkNoClobber(draft, path))) {
      const holder = await readLock(path);
      const why = staleReason(holder, { now: now(), host, lockMtimeMs: await mtime(path) });
      if (!why) throw new LockBusyError(busyMessage(path, holder), holder);
      if (!(await takeOver(dir, path, draft, holder, host, now))) {
        const current = await readLock(path).catch(() => null);
        throw new LockBusyError(busyMessage(path, current), current);
      }
      tookOver = { ...(holder ?? { unreadable: true }), staleReason: why };
    }
    return {
      path, info, tookOver,
      release: async () => {
        const current = await readLock(path).catch(() => null);
        if (current?.token === info.token) await unlink(path).catch(ignoreMissing);
      },
    };
  } finally {
    await unlink(draft).catch(ignoreMissing);
  }
}

/**
 * Replaces the stale lock `holder` with ours. The marker file is named after
 * the stale lock's token, so exactly one contender can claim that lock; the
 * re-read after claiming catches a contender that already finished replacing
 * it. Returns false when another run won.
 * @param {string} dir @param {string} path  the lock
 * @param {string} draft  our complete lock file, to be renamed into place
 * @param {LockInfo|null} holder  the stale lock as read (null when unreadable)
 * @param {string} host @param {() => number} now
 * @returns {Promise<boolean>}
 */
async function takeOver(dir, path, draft, holder, host, now) {
  const marker = join(dir, `.${LOCK_NAME}.takeover-${holder?.token ?? 'unreadable'}`);
  const markerInfo = JSON.stringify({ pid: process.pid, hostname: host, at: now() });
  const claimed = await createExclusive(marker, markerInfo);
  if (!claimed) {
    // A contender that crashed between claiming and replacing leaves its
    // marker behind; after a minute it no longer protects anything live.
    const age = now() - ((await mtime(marker)) ?? now());
    if (age < 60_000) return false;
    await unlink(marker).catch(ignoreMissing);
    if (!(await createExclusive(marker, markerInfo))) return false;
  }
  try {
    const again = await readLock(path).catch(() => undefined);
    if (again === undefined) {
      // The stale lock vanished meanwhile: compete like a fresh start.
      return linkNoClobber(draft, path);
    }
    if ((again?.token ?? null) !== (holder?.token ?? null)) return false;
    await rename(draft, path);
    return true;
  } finally {
    await unlink(marker).catch(ignoreMissing);
  }
}

/**
 * Why `holder` no longer protects a live run, or '' if it does.
 * @param {LockInfo|null} holder  null when the file is unreadable or not ours
 * @param {{now: number, host: string, lockMtimeMs: number|null}} ctx
 * @returns {string}
 */
export function staleReason(holder, { now, host, lockMtimeMs }) {
  if (!holder) {
    // Writers never expose a partial lock, so garbage is debris: still give it
    // a minute in case a person is editing the directory by hand.
    return lockMtimeMs !== null && now - lockMtimeMs > 60_000 ? 'the lock file is unreadable and over a minute old' : '';
  }
  if (holder.hostname === host && !processAlive(holder.pid)) return `process ${holder.pid} on ${host} is gone`;
  if (now > holder.staleAt) return `it is past its stale time ${new Date(holder.staleAt).toISOString()}`;
  return '';
}

/** @param {number} pid */
function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/** @param {string} path @param {LockInfo|null} holder */
function busyMessage(path, holder) {
  if (!holder) return `another expiry run holds ${path} (its lock file is being written or unreadable)`;
  return `another expiry run is active: pid ${holder.pid} on ${holder.hostname}, started ${holder.startedAt} (lock ${path}; `
    + `it counts as stale after ${new Date(holder.staleAt).toISOString()} or when that process is gone)`;
}

/**
 * @param {string} path
 * @returns {Promise<LockInfo|null>} null for a file that is not a lock we wrote
 * @throws ENOENT when there is no lock
 */
async function readLock(path) {
  const text = await readFile(path, 'utf8');
  try {
    const v = JSON.parse(text);
    const ok = Number.isSafeInteger(v?.pid) && v.pid > 0 && typeof v.hostname === 'string'
      && typeof v.token === 'string' && Number.isFinite(v.staleAt) && typeof v.startedAt === 'string';
    return ok ? v : null;
  } catch {
    return null;
  }
}

/** @param {string} path @returns {Promise<number|null>} */
async function mtime(path) {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}

/** @param {string} from @param {string} to @returns {Promise<boolean>} false if `to` exists */
async function linkNoClobber(from, to) {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'EEXIST') return false;
    throw err;
  }
}

/** @param {string} path @param {string} text @returns {Promise<boolean>} false if it exists */
async function createExclusive(path, text) {
  let fh;
  try {
    fh = await open(path, 'wx', 0o640);
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
  return true;
}

/** @param {string} path @param {string} text */
async function writeComplete(path, text) {
  const fh = await open(path, 'wx', 0o640);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** @param {any} err */
function ignoreMissing(err) {
  if (err?.code !== 'ENOENT') throw err;
}
