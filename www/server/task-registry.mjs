// Tasks the server started, under opaque ids bound to a customer and a
// service, kept in the store so any instance (and this one after a restart)
// can answer for them. The UPID stays in the store: it names the Proxmox
// token id and the node, neither of which the browser needs.
import { randomBytes } from 'node:crypto';

/**
 * @typedef {import('../store/store.mjs').TaskKind} TaskKind
 * @typedef {import('../store/store.mjs').TaskRow} Task
 * @typedef {{id: string, kind: TaskKind, name: string, state: 'running'|'ok'|'failed', message: string|null, warnings: unknown}} PublicTask
 */

const TASK_ID_RE = /^t-[A-Za-z0-9_-]{22}$/;

/** Whether `id` has the shape of a task id (anything else is never looked up). @param {string} id */
export const isTaskId = (id) => TASK_ID_RE.test(id);

/**
 * @param {{store: import('../store/index.mjs').Store, now: () => number, retainMs?: number}} options
 */
export function createTaskRegistry({ store, now, retainMs = 6 * 3_600_000 }) {
  return {
    newId: () => `t-${randomBytes(16).toString('base64url')}`,
    /**
     * Another customer's or another service's task is indistinguishable from
     * a task that does not exist.
     * @param {string} id
     * @param {string} customer
     * @param {string} serviceId
     * @returns {Promise<Task | null>}
     */
    async find(id, customer, serviceId) {
      if (!TASK_ID_RE.test(id)) return null;
      const t = await store.task(id);
      return t && t.customer === customer && t.serviceId === serviceId ? t : null;
    },
    /** Forgets tasks that ended long ago (a periodic chore). */
    prune: () => store.pruneTasks(now() - retainMs),
  };
}

/**
 * @param {Task} task
 * @returns {PublicTask}
 */
export function publicTask(task) {
  return { id: task.id, kind: task.kind, name: task.name, state: task.state, message: task.message, warnings: task.warnings };
}
