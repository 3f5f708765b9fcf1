// The panel's own words for the stable error codes of the core and the API.
// The server's or Proxmox's message stays available as the detail line, so a
// support ticket can quote what really happened.

/** @type {Readonly<Record<string, string>>} */
const FRIENDLY = Object.freeze({
  QUOTA_EXCEEDED: 'You have reached the maximum number of snapshots for this service. Remove one to take a new snapshot.',
  VM_LOCKED: 'Your server is busy with another operation right now. Please try again when it has finished.',
  SNAPSHOT_BUSY: 'Another snapshot operation is still running. Please wait until it has finished.',
  NOT_MANAGED: 'This snapshot was created by your provider and cannot be changed here.',
  ROLLBACK_NOT_LATEST: 'On this storage you can only roll back to the newest snapshot.',
  SNAPSHOTS_DISABLED: 'Snapshots are not included in your plan.',
  NOT_FOUND: 'This item could not be found. It may have been removed in the meantime.',
  INVALID_DESCRIPTION: 'The description cannot be used. Please shorten it or remove special characters.',
  INVALID_NAME: 'That snapshot name is not valid.',
  INVALID_INPUT: 'The request was not valid.',
  INVALID_POLICY: 'Snapshots are not set up correctly for this service. Please contact support.',
  INVALID_TARGET: 'Snapshots are not set up correctly for this service. Please contact support.',
  INVALID_CREDENTIALS: 'Username or password is wrong.',
  UNAUTHENTICATED: 'Your session has ended. Please sign in again.',
  CSRF_FAILED: 'Your session has ended. Please sign in again.',
  RATE_LIMITED: 'Too many requests. Please wait a moment and try again.',
  TOO_LARGE: 'The request was too large.',
  METHOD_NOT_ALLOWED: 'The request was not valid.',
  UNSUPPORTED_MEDIA_TYPE: 'The request was not valid.',
  INTERNAL: 'Something went wrong on our side. Please try again later.',
  STORE_UNAVAILABLE: 'The panel is briefly unavailable. Nothing was changed; please try again in a minute.',
  SERVICE_SUSPENDED: 'This service is suspended. You can look at your snapshots but not take, roll back or remove any.',
  HOST_UNAUTHORIZED: 'The panel is not connected to your provider correctly. Please contact support.',
  SSO_INVALID: 'This sign-in link is no longer valid. Please open the snapshots page again from your client area.',
  CONFLICT: 'Snapshots are not set up correctly for this service. Please contact support.',
  NETWORK: 'The panel could not be reached. Check your connection and try again.',
  TASK_FAILED: 'The operation failed.',
  TIMEOUT: 'The virtualisation host did not answer in time. The operation may still complete; the list will update.',
});

/** Prefix families: every PVE_* code means the host, not the customer, failed. */
const PVE_FAILED = 'The virtualisation host reported an error. Please try again later or contact support.';

/**
 * The sentence to show a customer for an error code.
 * @param {string|undefined|null} code
 * @param {number} [status] HTTP status, used when the code is unknown
 * @returns {string}
 */
export function friendlyMessage(code, status) {
  if (code && Object.hasOwn(FRIENDLY, code)) return FRIENDLY[code];
  if (status === 504) return FRIENDLY.TIMEOUT;
  if (code && code.startsWith('PVE_')) return PVE_FAILED;
  if (code && code.startsWith('INVALID_')) return FRIENDLY.INVALID_INPUT;
  return 'Something went wrong. Please try again.';
}

/**
 * Progress and result wording for a background task.
 * @param {'create'|'rollback'|'remove'} kind
 * @param {'running'|'ok'|'failed'} state
 * @param {string} name snapshot name
 * @returns {string}
 */
export function taskMessage(kind, state, name) {
  const label = {
    create: ['Creating snapshot…', `Snapshot ${name} created.`, 'Creating the snapshot failed.'],
    rollback: [`Rolling back to ${name}…`, `Rolled back to ${name}.`, `Rolling back to ${name} failed.`],
    remove: [`Removing snapshot ${name}…`, `Snapshot ${name} removed.`, `Removing snapshot ${name} failed.`],
  }[kind] ?? ['Working…', 'Done.', 'The operation failed.'];
  return label[state === 'running' ? 0 : state === 'ok' ? 1 : 2];
}

/** How a Proxmox lock reads to a customer. */
const LOCK_WORDS = Object.freeze({
  backup: 'a backup', migrate: 'a migration', clone: 'a clone', create: 'its creation',
  rollback: 'a rollback', snapshot: 'a snapshot', 'snapshot-delete': 'a snapshot removal',
  suspending: 'suspending', suspended: 'being suspended', mounted: 'a mounted disk', disk: 'a disk operation',
});

/**
 * The customer-facing reason for a refusal computed by the core. Codes we
 * know get our wording with the specifics (which lock, which limit); an
 * unknown code shows the core's own message rather than a vague one.
 * @param {{code: string, message: string}} blocked
 * @param {{lock: string|null, limit: number}} context
 * @returns {string}
 */
export function blockedReason(blocked, { lock, limit }) {
  switch (blocked.code) {
    case 'VM_LOCKED': {
      const what = lock && Object.hasOwn(LOCK_WORDS, lock)
        ? LOCK_WORDS[/** @type {keyof typeof LOCK_WORDS} */ (lock)]
        : `another operation (${lock || 'unknown'})`;
      return `Your server is locked by ${what} right now. Please try again when it has finished.`;
    }
    case 'QUOTA_EXCEEDED':
      return `You have reached the maximum of ${limit} snapshots for this service. Remove one to take a new snapshot.`;
    default:
      return Object.hasOwn(FRIENDLY, blocked.code) ? FRIENDLY[blocked.code] : blocked.message;
  }
}
