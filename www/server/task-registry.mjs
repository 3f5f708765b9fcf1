// Tasks the server started, under opaque ids bound to a customer and a
// service. The UPID stays here: it names the Proxmox token id and the node,
// neither of which the browser needs.
import { randomBytes } from 'node:crypto';

/**
 * @typedef {'create'|'rollback'|'remove'} TaskKind
 * @typedef {{id: string, customer: string, serviceId: string, kind: TaskKind, name: string, upid: string,
 *   state: 'running'|'ok'|'failed', message: string|null, warnings: unknown, followed: boolean,
 *   startedAt: number, endedAt: number|null}} Task
 * @typedef {{id: string, kind: TaskKind, name: string, state: 'running'|'ok'|'failed', message: string|null, warnings: unknown}} PublicTask
 */

/**
 * @param {{now: () => number, retainMs?: number}} options
 */
export function createTaskRegistry({ now, retainMs = 6 * 3_600_000 }) {
  /** @type {Map<string, Task>} */
  const tasks = new Map();

  function prune() {
    const cutoff = now() - retainMs;
    for (const [id, t] of tasks) if (t.endedAt !== null && t.endedAt < cutoff) tasks.delete(id);
  }

  return {
    /**
     * @param {{customer: string, serviceId: string, kind: TaskKind, name: string, upid: string}} init
     * @returns {Task}
     */
    add(init) {
      prune();
      /** @type {Task} */
      const task = {
        ...init,
        id: `t-${randomBytes(16).toString('base64url')}`,
        state: 'running',
        message: null,
        warnings: [],
        followed: true,
        startedAt: now(),
        endedAt: null,
      };
      tasks.set(task.id, task);
      return task;
    },
    /**
     * Another customer's or another service's task is indistinguishable from
     * a task that does not exist.
     * @param {string} id
     * @param {string} customer
     * @param {string} serviceId
     * @returns {Task | null}
     */
    find(id, customer, serviceId) {
      const t = tasks.get(id);
      return t && t.customer === customer && t.serviceId === serviceId ? t : null;
    },
    /**
     * @param {string} id
     * @param {{state: 'running'|'ok'|'failed', message?: string|null, warnings?: unknown}} outcome
     */
    settle(id, outcome) {
      const t = tasks.get(id);
      if (!t) return;
      t.state = outcome.state;
      t.message = outcome.message ?? null;
      t.warnings = outcome.warnings ?? [];
      if (outcome.state !== 'running') t.endedAt = now();
    },
  };
}

/**
 * @param {Task} task
 * @returns {PublicTask}
 */
export function publicTask(task) {
  return { id: task.id, kind: task.kind, name: task.name, state: task.state, message: task.message, warnings: task.warnings };
}
