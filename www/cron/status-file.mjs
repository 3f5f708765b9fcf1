// The last-run status file: what monitoring reads to notice a job that
// failed or silently stopped running. Written whole or not at all.
import { writeFile, readFile, rename, unlink, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The status file's name inside the state directory. */
export const STATUS_NAME = 'last-run.json';

/**
 * Atomically replaces `<dir>/last-run.json` with `status` (temporary file + rename).
 * @param {string} dir
 * @param {object} status  the run summary (see cron/README.md)
 * @returns {Promise<string>} the path written
 */
export async function writeLastRun(dir, status) {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const path = join(dir, STATUS_NAME);
  const tmp = join(dir, `.${STATUS_NAME}.${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(tmp, JSON.stringify(status, null, 2) + '\n', { mode: 0o640 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  return path;
}

/**
 * The previous run's status, or null when there is none or it cannot be read
 * (a missing or damaged file must not stop a run).
 * @param {string} dir
 * @returns {Promise<{lastSuccessAt: string|null}|null>}
 */
export async function readLastRun(dir) {
  let parsed;
  try {
    parsed = JSON.parse(await readFile(join(dir, STATUS_NAME), 'utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const at = parsed.lastSuccessAt;
  return { lastSuccessAt: typeof at === 'string' && Number.isFinite(Date.parse(at)) ? at : null };
}
