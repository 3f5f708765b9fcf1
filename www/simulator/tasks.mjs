// Proxmox worker tasks: UPIDs in pve-common's exact format, real-time
// durations (setTimeout, independent of the simulated clock), exit statuses
// and the log a worker writes.
import { TaskFailure } from './snapshot-ops.mjs';

// pve-common PVE/UPID.pm decode regex.
const UPID_RE = /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

/**
 * @param {string} upid
 * @returns {{node: string, pid: number, pstart: number, starttime: number, type: string, id: string, user: string}|null}
 */
export function decodeUpid(upid) {
  const m = UPID_RE.exec(upid);
  if (!m) return null;
  return { node: m[1], pid: parseInt(m[3], 16), pstart: parseInt(m[4], 16), starttime: parseInt(m[5], 16), type: m[6], id: m[7], user: m[8] };
}

/** @param {number} n */
const hex8 = (n) => n.toString(16).toUpperCase().padStart(8, '0');

/**
 * @param {{node: string, pid: number, pstart: number, starttime: number, type: string, id: string, user: string}} t
 */
export function encodeUpid(t) {
  return `UPID:${t.node}:${hex8(t.pid)}:${hex8(t.pstart)}:${hex8(t.starttime)}:${t.type}:${t.id}:${t.user}:`;
}

/**
 * @typedef {object} Task
 * @property {string} upid
 * @property {string} node
 * @property {number} pid
 * @property {number} pstart
 * @property {number} starttime   simulated epoch seconds
 * @property {string} type
 * @property {string} id          vmid as text
 * @property {number} vmid
 * @property {string} user        auth id incl. '!tokenid'
 * @property {'running'|'stopped'} status
 * @property {string|undefined} exitstatus
 * @property {number|undefined} endtime
 * @property {string[]} log
 * @property {boolean} hung
 * @property {number} createdAt   real ms, for the status-lag fault
 */

/**
 * @param {object} deps
 * @param {(node: string) => number} deps.nodeSeconds  the node's clock (simulated clock plus any skew), epoch seconds
 * @param {import('./random.mjs').SimRandom} deps.random
 * @param {import('./faults.mjs').Faults} deps.faults
 * @param {(kind: import('./snapshot-ops.mjs').Operation['kind']) => number} deps.durationMs
 */
export function createTaskRunner({ nodeSeconds, random, faults, durationMs }) {
  /** @type {Map<string, Task>} */
  const tasks = new Map();
  /** @type {Map<string, {timer: NodeJS.Timeout|null, op: import('./snapshot-ops.mjs').Operation, complete: () => void}>} */
  const live = new Map();
  /** @type {(() => void)[]} */
  let idleWaiters = [];
  // pstart counts clock ticks (100 Hz) since a pretend boot five days ago.
  const bootMs = Date.now() - 5 * 86400_000;
  let closed = false;

  const busy = () => [...tasks.values()].some((t) => t.status === 'running' && !t.hung);
  const wakeIdle = () => {
    if (busy()) return;
    const w = idleWaiters;
    idleWaiters = [];
    w.forEach((f) => f());
  };

  /** @param {Task} task @param {string} exitstatus */
  function finish(task, exitstatus) {
    task.status = 'stopped';
    task.exitstatus = exitstatus;
    task.endtime = nodeSeconds(task.node);
    task.log.push(exitstatus === 'OK' ? 'TASK OK' : exitstatus.startsWith('WARNINGS: ') ? `TASK ${exitstatus}` : `TASK ERROR: ${exitstatus}`);
    live.delete(task.upid);
    wakeIdle();
  }

  /**
   * Start a worker for `op` on a guest; returns the UPID at once.
   * @param {{node: string, vmid: number, user: string, op: import('./snapshot-ops.mjs').Operation}} p
   * @returns {string}
   */
  function start({ node, vmid, user, op }) {
    if (closed) throw new Error('simulator is closed');
    const fields = {
      node,
      pid: 1000 + random.int(4_000_000),
      pstart: Math.floor((Date.now() - bootMs) / 10),
      starttime: nodeSeconds(node),
      type: op.taskType,
      id: String(vmid),
      user,
    };
    const upid = encodeUpid(fields);
    /** @type {Task} */
    const task = { upid, ...fields, vmid, status: 'running', exitstatus: undefined, endtime: undefined, log: [], hung: false, createdAt: Date.now() };
    tasks.set(upid, task);

    // A task's fate is fixed when it starts, so "fail the next task" means this one.
    const armedFailure = faults.takeFailure(vmid);
    const stuck = op.kind === 'delete' && faults.deletesStick(vmid);
    const warnings = faults.takeWarnings(vmid);

    /** @type {string | undefined} */
    let prepareError;
    try {
      task.log.push(...op.prepare());
    } catch (err) {
      if (!(err instanceof TaskFailure)) throw err;
      prepareError = err.message;
    }
    const entry = { timer: /** @type {NodeJS.Timeout|null} */ (null), op, complete: () => {} };
    live.set(upid, entry);
    const complete = () => {
      entry.timer = null;
      if (prepareError) return finish(task, prepareError);
      if (armedFailure) {
        op.abort({});
        return finish(task, armedFailure);
      }
      let count = warnings;
      if (stuck) {
        // force=1 turns the storage error into a warning and removes the snapshot anyway.
        if (!op.force) {
          op.abort({ stuck: true });
          return finish(task, op.stuckError ?? 'snapshot delete failed');
        }
        task.log.push(`WARN: ${op.stuckError}`);
        count += 1;
      }
      task.log.push(...op.commit());
      if (count > 0) {
        for (let i = 0; i < warnings; i++) task.log.push(`WARN: simulated warning ${i + 1}`);
        return finish(task, `WARNINGS: ${count}`);
      }
      finish(task, 'OK');
    };
    entry.complete = complete;
    // A worker that dies in its prepare step ends almost at once, hung or not.
    if (!prepareError && faults.tasksHang(vmid)) {
      task.hung = true;
      return upid;
    }
    const ms = prepareError ? Math.min(durationMs(op.kind), 20) : durationMs(op.kind);
    entry.timer = setTimeout(complete, ms);
    return upid;
  }

  /**
   * Record an already finished task (used to plant stale state that a crashed worker left).
   * @param {{node: string, vmid: number, user: string, type: string, exitstatus: string, log?: string[]}} p
   */
  function record({ node, vmid, user, type, exitstatus, log = [] }) {
    const fields = { node, pid: 1000 + random.int(4_000_000), pstart: Math.floor((Date.now() - bootMs) / 10), starttime: nodeSeconds(node), type, id: String(vmid), user };
    const upid = encodeUpid(fields);
    /** @type {Task} */
    const task = { upid, ...fields, vmid, status: 'running', exitstatus: undefined, endtime: undefined, log: [...log], hung: false, createdAt: 0 };
    tasks.set(upid, task);
    finish(task, exitstatus);
    return upid;
  }

  /**
   * Stop a running task as `DELETE /nodes/{node}/tasks/{upid}` does.
   * @param {string} upid
   */
  function stop(upid) {
    const entry = live.get(upid);
    const task = tasks.get(upid);
    if (!entry || !task || task.status !== 'running') return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.op.abort({});
    finish(task, 'received interrupt');
  }

  /**
   * Let running tasks (hung ones included) end now, as if their time were up.
   * Tests use it to look at a task's in-progress state without racing its timer.
   * @param {(task: Task) => boolean} [which]
   * @returns {number} how many tasks were let go
   */
  function finishNow(which = () => true) {
    let n = 0;
    for (const [upid, entry] of [...live]) {
      const task = tasks.get(upid);
      if (!task || task.status !== 'running' || !which(task)) continue;
      if (entry.timer) clearTimeout(entry.timer);
      task.hung = false;
      entry.timer = null;
      entry.complete();
      n++;
    }
    return n;
  }

  return {
    start,
    record,
    stop,
    finishNow,
    /** @param {string} upid */
    get: (upid) => tasks.get(upid),
    all: () => [...tasks.values()],
    /** Resolves when no task is running (tasks hung by the hangTasks fault do not count). */
    idle: () => new Promise((resolve) => {
      if (!busy() || closed) return resolve(undefined);
      idleWaiters.push(() => resolve(undefined));
    }),
    close() {
      closed = true;
      for (const e of live.values()) if (e.timer) clearTimeout(e.timer);
      live.clear();
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
    },
  };
}

/**
 * The task-status answer (pve-manager Tasks.pm read_task_status), with a
 * token's auth id split into user + tokenid like $convert_token_task does.
 * @param {Task} task
 */
export function taskStatusView(task) {
  const [user, tokenid] = task.user.split('!');
  /** @type {Record<string, unknown>} */
  const out = { upid: task.upid, node: task.node, pid: task.pid, pstart: task.pstart, starttime: task.starttime, type: task.type, id: task.id, user };
  if (tokenid !== undefined) out.tokenid = tokenid;
  out.status = task.status;
  if (task.status === 'stopped') out.exitstatus = task.exitstatus;
  return out;
}
