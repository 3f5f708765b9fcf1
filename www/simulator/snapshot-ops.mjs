// What the create / delete / rollback workers do to a guest, split into the
// phases of pve-guest-common's AbstractConfig: `prepare` (runs at task start:
// checks and sets the lock and snapstate), `commit` (task end), `abort` (the
// task failed after prepare). Failures throw TaskFailure; the task runner turns
// them into the task's exitstatus, never into an HTTP error.
import { diskVolume, guestWord } from './guests.mjs';

/** A worker `die`: becomes "TASK ERROR: <message>". */
export class TaskFailure extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'TaskFailure';
  }
}

/** @param {import('./guests.mjs').Guest} guest */
function checkLock(guest) {
  if (guest.lock) throw new TaskFailure(`${guestWord(guest)} is locked (${guest.lock})`);
}

/**
 * @typedef {object} Operation
 * @property {string} taskType   qmsnapshot, vzdelsnapshot, ...
 * @property {'create'|'delete'|'rollback'} kind
 * @property {() => string[]} prepare  returns log lines; throws TaskFailure
 * @property {() => string[]} commit   returns log lines
 * @property {(opts: {stuck?: boolean}) => void} abort
 * @property {string} [stuckError]  the storage error a removal that gets stuck ends with
 * @property {boolean} [force]       delete with force=1: a storage error is only a warning
 */

/**
 * @param {import('./guests.mjs').Guest} guest
 * @param {{snapname: string, description?: string, vmstate?: boolean}} p
 * @param {() => number} nowSeconds simulated clock
 * @returns {Operation}
 */
export function createOperation(guest, p, nowSeconds) {
  let added = false;
  return {
    taskType: guest.type === 'lxc' ? 'vzsnapshot' : 'qmsnapshot',
    kind: 'create',
    prepare() {
      if (guest.template) throw new TaskFailure("you can't take a snapshot if it's a template");
      checkLock(guest);
      if (guest.snapshots.has(p.snapname)) throw new TaskFailure(`snapshot name '${p.snapname}' already used`);
      guest.lock = 'snapshot';
      // RAM is only saved when the VM runs (QemuConfig __snapshot_save_vmstate).
      const vmstate = guest.type === 'qemu' && p.vmstate && guest.status === 'running' ? 1 : 0;
      guest.snapshots.set(p.snapname, {
        name: p.snapname,
        description: p.description ?? '',
        snaptime: nowSeconds(),
        vmstate,
        parent: guest.parent,
        snapstate: 'prepare',
      });
      added = true;
      const lines = [];
      if (vmstate) lines.push(`saving VM state and RAM using storage '${diskVolume(guest).split(':')[0]}'`);
      lines.push(`snapshotting 'drive-scsi0' (${diskVolume(guest)})`);
      return lines;
    },
    commit() {
      const snap = guest.snapshots.get(p.snapname);
      if (snap) snap.snapstate = null;
      guest.parent = p.snapname;
      guest.lock = null;
      return [];
    },
    abort() {
      if (added) guest.snapshots.delete(p.snapname);
      if (guest.lock === 'snapshot') guest.lock = null;
    },
  };
}

/**
 * @param {import('./guests.mjs').Guest} guest
 * @param {{snapname: string, force?: boolean}} p
 * @returns {Operation}
 */
export function deleteOperation(guest, p) {
  let locked = false;
  return {
    taskType: guest.type === 'lxc' ? 'vzdelsnapshot' : 'qmdelsnapshot',
    kind: 'delete',
    force: Boolean(p.force),
    stuckError: guest.storage === 'zfs'
      ? 'zfs error: could not find any snapshots to destroy; check the dataset names.'
      : `lvremove snapshot 'pve/snap_vm-${guest.vmid}-disk-0_${p.snapname}' error:   Logical volume pve/snap_vm-${guest.vmid}-disk-0_${p.snapname} in use.`,
    prepare() {
      checkLock(guest);
      guest.lock = 'snapshot-delete';
      locked = true;
      try {
        if (guest.template) throw new TaskFailure("you can't delete a snapshot if vm is a template");
        const snap = guest.snapshots.get(p.snapname);
        if (!snap) throw new TaskFailure(`snapshot '${p.snapname}' does not exist`);
        snap.snapstate = 'delete';
      } catch (err) {
        guest.lock = null;
        locked = false;
        throw err;
      }
      return [`delete snapshot '${p.snapname}' on ${diskVolume(guest)}`];
    },
    commit() {
      const snap = guest.snapshots.get(p.snapname);
      if (snap) {
        // Children move up to the removed snapshot's parent (AbstractConfig $unlink_parent).
        for (const other of guest.snapshots.values()) if (other.parent === p.snapname) other.parent = snap.parent;
        if (guest.parent === p.snapname) guest.parent = snap.parent;
        guest.snapshots.delete(p.snapname);
      }
      guest.lock = null;
      return [];
    },
    abort({ stuck } = {}) {
      // A storage error mid-delete leaves snapstate and lock behind (FACTS §4 stale locks).
      if (stuck) return;
      const snap = guest.snapshots.get(p.snapname);
      if (snap && snap.snapstate === 'delete') snap.snapstate = null;
      if (locked && guest.lock === 'snapshot-delete') guest.lock = null;
    },
  };
}

/**
 * @param {import('./guests.mjs').Guest} guest
 * @param {{snapname: string, start?: boolean}} p
 * @param {() => number} nowMs simulated clock, for uptime
 * @returns {Operation}
 */
export function rollbackOperation(guest, p, nowMs) {
  let locked = false;
  return {
    taskType: guest.type === 'lxc' ? 'vzrollback' : 'qmrollback',
    kind: 'rollback',
    prepare() {
      const snap = guest.snapshots.get(p.snapname);
      if (!snap) throw new TaskFailure(`snapshot '${p.snapname}' does not exist`);
      // Order as in AbstractConfig::snapshot_rollback: storage check, snapstate, lock.
      if (guest.storage === 'zfs') {
        const newer = [...guest.snapshots.values()].some((s) => s.name !== snap.name && s.snaptime > snap.snaptime);
        if (newer) throw new TaskFailure(`can't rollback, '${p.snapname}' is not most recent snapshot on '${diskVolume(guest)}'`);
      }
      if (snap.snapstate) throw new TaskFailure(`unable to rollback to incomplete snapshot (snapstate = ${snap.snapstate})`);
      checkLock(guest);
      const lines = [];
      if (guest.status === 'running') {
        // Hard stop, no guest shutdown.
        guest.status = 'stopped';
        guest.startedAtMs = null;
        lines.push(guest.type === 'lxc' ? 'stopping container' : 'VM quit/powerdown failed - terminating now with SIGTERM');
      }
      guest.lock = 'rollback';
      locked = true;
      lines.push(`rollback ${diskVolume(guest)} to '${p.snapname}'`);
      return lines;
    },
    commit() {
      const snap = guest.snapshots.get(p.snapname);
      guest.parent = p.snapname;
      guest.lock = null;
      const lines = [];
      // A RAM snapshot resumes on its own; otherwise only start=1 starts it.
      if ((snap && snap.vmstate) || p.start) {
        if (guest.status !== 'running') {
          guest.status = 'running';
          guest.startedAtMs = nowMs();
          lines.push(guest.type === 'lxc' ? `starting CT ${guest.vmid}` : `start VM ${guest.vmid}`);
        }
      }
      return lines;
    },
    abort() {
      if (locked && guest.lock === 'rollback') guest.lock = null;
    },
  };
}
