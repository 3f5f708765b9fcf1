// Reading a service's snapshot data from Proxmox and starting actions on it.
// Every action re-reads status and list and asks the core again right before
// sending, under a per-VM mutex held until the Proxmox task has ended, so
// neither a crafted request nor a double click gets past a rule.
import { ApiError } from './http-io.mjs';
import { createKeyedMutex } from './vm-mutex.mjs';
import { isWrongNode } from './node-resolver.mjs';

/**
 * @typedef {import('./customer-directory.mjs').Service} Service
 * @typedef {import('./node-resolver.mjs').Target} Target
 * @typedef {import('./task-registry.mjs').Task} Task
 * @typedef {{kind: 'create', input: {description?: string, includeRam?: boolean}}
 *   | {kind: 'rollback', name: string, input: {start?: boolean}}
 *   | {kind: 'remove', name: string}} Action
 */

/** @param {Record<string, unknown>} o */
const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * @param {{pve: any, core: any, resolver: ReturnType<typeof import('./node-resolver.mjs').createNodeResolver>,
 *   tasks: ReturnType<typeof import('./task-registry.mjs').createTaskRegistry>, now: () => number,
 *   taskTimeoutMs: number, taskIntervalMs: number, log: (event: string, fields: object) => void}} deps
 */
export function createSnapshotActions({ pve, core, resolver, tasks, now, taskTimeoutMs, taskIntervalMs, log }) {
  /** @type {ReturnType<typeof createKeyedMutex<{task: Task | null}>>} */
  const mutex = createKeyedMutex();
  /** @type {Set<Promise<void>>} */
  const following = new Set();
  const stop = new AbortController();

  /** @param {Service} s */
  const vmKey = (s) => `${s.type}/${s.vmid}`;

  /**
   * Runs `fn` against the guest's current node; when Proxmox says the guest
   * is not on that node it migrated: resolve again once and retry.
   * @template T
   * @param {Service} service
   * @param {(target: Target) => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async function withTarget(service, fn) {
    for (let attempt = 0; ; attempt++) {
      let target = await resolver.resolve(service);
      if (!target && attempt === 0) {
        resolver.invalidate();
        target = await resolver.resolve(service);
      }
      if (!target) throw new ApiError('NOT_FOUND', `the virtual machine of service ${service.id} was not found on the cluster`);
      try {
        return await fn(target);
      } catch (err) {
        if (attempt > 0 || !isWrongNode(err)) throw err;
        resolver.invalidate();
      }
    }
  }

  /**
   * @param {Target} target
   * @returns {Promise<{vmStatus: any, snapshots: any}>}
   */
  async function readState(target) {
    const [vmStatus, snapshots] = await Promise.all([
      pve.request(core.vmStatusRequest(target)),
      pve.request(core.listSnapshotsRequest(target)),
    ]);
    return { vmStatus, snapshots };
  }

  /**
   * @param {Action} action
   * @param {Target} target
   * @param {object} policy
   * @param {{vmStatus: any, snapshots: any}} state
   */
  function plan(action, target, policy, { vmStatus, snapshots }) {
    switch (action.kind) {
      case 'create':
        return core.planCreate(target, policy, vmStatus, snapshots, defined(action.input), now());
      case 'rollback':
        return core.planRollback(target, policy, vmStatus, snapshots, action.name, defined(action.input));
      case 'remove':
        return core.planRemove(target, policy, vmStatus, snapshots, action.name);
      default:
        throw new ApiError('INVALID_INPUT', 'unknown action');
    }
  }

  /**
   * @param {Task} task
   * @param {() => void} release
   */
  function follow(task, release) {
    const done = pve.waitForTask(task.upid, { timeoutMs: taskTimeoutMs, intervalMs: taskIntervalMs, signal: stop.signal })
      .then((/** @type {{state: 'running'|'ok'|'failed', timedOut?: boolean, message?: string, warnings?: unknown}} */ r) => {
        if (r.state === 'running') {
          // A client-side timeout means "still running": the task endpoint
          // asks Proxmox again when the page polls.
          task.followed = false;
          tasks.settle(task.id, { state: 'running' });
        } else {
          tasks.settle(task.id, r);
        }
        log('task-ended', { task: task.id, kind: task.kind, state: r.state });
      })
      .catch((/** @type {any} */ err) => {
        task.followed = false;
        if (!stop.signal.aborted) log('task-follow-failed', { task: task.id, code: err?.code, message: err?.message });
      })
      .finally(() => {
        release();
        following.delete(done);
      });
    following.add(done);
  }

  return {
    /**
     * @param {Service} service
     * @returns {Promise<{vmStatus: any, snapshots: any}>}
     */
    read(service) {
      return withTarget(service, readState);
    },

    /**
     * @param {{customer: string, service: Service, policy: object, action: Action}} request
     * @returns {Promise<Task>}
     */
    async start({ customer, service, policy, action }) {
      const holder = { task: /** @type {Task | null} */ (null) };
      const release = mutex.tryAcquire(vmKey(service), holder);
      if (!release) {
        throw new ApiError('SNAPSHOT_BUSY', 'another snapshot operation is running on this VM; wait until it has finished');
      }
      try {
        const { description, upid } = await withTarget(service, async (target) => {
          const d = plan(action, target, policy, await readState(target));
          const sent = await pve.request({ method: d.method, path: d.path, params: d.params });
          return { description: d, upid: sent };
        });
        if (typeof upid !== 'string' || !upid.startsWith('UPID:')) {
          throw new ApiError('PVE_INVALID_RESPONSE', 'Proxmox VE did not return a task id');
        }
        const task = tasks.add({ customer, serviceId: service.id, kind: action.kind, name: String(description.name ?? ''), upid });
        holder.task = task;
        follow(task, release);
        return task;
      } catch (err) {
        release();
        throw err;
      }
    },

    /**
     * Removes every managed snapshot of the service's VM (oldest first),
     * each re-planned with the core on fresh data and waited for, under the
     * VM's mutex so no customer action runs in between. Foreign snapshots
     * are never touched, only listed. A VM the cluster no longer has has
     * nothing to remove.
     * @param {Service} service
     * @param {object} policy
     * @returns {Promise<{removed: string[], kept: string[], failed: Array<{name: string, message: string}>}>}
     */
    async purge(service, policy) {
      const release = mutex.tryAcquire(vmKey(service), { task: null });
      if (!release) {
        throw new ApiError('SNAPSHOT_BUSY', 'a snapshot operation is running on this VM; try again when it has finished');
      }
      /** @type {string[]} */
      const removed = [];
      /** @type {Array<{name: string, message: string}>} */
      const failed = [];
      try {
        let state;
        try {
          state = await withTarget(service, async (target) => ({ target, ...(await readState(target)) }));
        } catch (err) {
          if (/** @type {{code?: string}} */ (err).code === 'NOT_FOUND') return { removed, kept: [], failed };
          throw err;
        }
        const page = core.snapshotPage(policy, state.vmStatus, state.snapshots, now());
        const rows = /** @type {Array<{name: string, managed: boolean, createdAt: number | null}>} */ (page.rows);
        const kept = rows.filter((r) => !r.managed).map((r) => r.name);
        const managed = rows.filter((r) => r.managed).sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0)).map((r) => r.name);
        for (const name of managed) {
          try {
            const upid = await withTarget(service, async (target) => {
              const { vmStatus, snapshots } = await readState(target);
              const d = core.planRemove(target, policy, vmStatus, snapshots, name);
              return pve.request({ method: d.method, path: d.path, params: d.params });
            });
            if (typeof upid !== 'string' || !upid.startsWith('UPID:')) throw new ApiError('PVE_INVALID_RESPONSE', 'Proxmox VE did not return a task id');
            const outcome = await pve.waitForTask(upid, { timeoutMs: taskTimeoutMs, intervalMs: taskIntervalMs, signal: stop.signal });
            if (outcome.state === 'ok') removed.push(name);
            else failed.push({ name, message: outcome.state === 'running' ? 'the removal is still running in Proxmox VE' : String(outcome.message ?? 'the removal failed') });
            log('host-purge', { service: service.id, name, state: outcome.state });
          } catch (err) {
            const e = /** @type {{code?: string, message?: string}} */ (err);
            failed.push({ name, message: `${e.message ?? String(err)}${e.code ? ` [${e.code}]` : ''}` });
          }
        }
        return { removed, kept, failed };
      } finally {
        release();
      }
    },

    /**
     * The running action on this service's VM, if this customer started it.
     * @param {string} customer
     * @param {Service} service
     * @returns {{id: string, kind: string, name: string} | null}
     */
    activeTask(customer, service) {
      const t = mutex.holder(vmKey(service))?.task;
      return t && t.customer === customer && t.serviceId === service.id ? { id: t.id, kind: t.kind, name: t.name } : null;
    },

    /**
     * Asks Proxmox once more about a task nobody is following any more.
     * @param {Task} task
     */
    async refresh(task) {
      if (task.state !== 'running' || task.followed) return;
      const data = await pve.request(core.taskStatusRequest(task.upid));
      const outcome = core.taskOutcome(data);
      tasks.settle(task.id, outcome);
    },

    /** Stops following tasks; resolves when the followers have let go (bounded). */
    async close() {
      stop.abort();
      let timer;
      await Promise.race([
        Promise.allSettled([...following]),
        new Promise((resolve) => { timer = setTimeout(resolve, 2000); }),
      ]);
      clearTimeout(timer);
    },
  };
}
