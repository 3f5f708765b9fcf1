// Reading a service's snapshot data from Proxmox and starting actions on it.
// Every action takes the VM's lease in the store (shared by all instances),
// re-reads status and list and asks the core again right before sending, and
// the lease is held until the Proxmox task has ended, so neither a crafted
// request nor a double click on two instances gets past a rule. Tasks are
// followed to their end by whichever instance holds them; a task whose
// follower stopped (killed, restarted) is adopted by another.
import { ApiError } from './http-io.mjs';
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
 * The snapshot description the audit records with an accepted action: the
 * text sent to Proxmox for a create (as the core normalised it), the
 * snapshot's own description for a rollback or remove.
 * @param {Action} action @param {{params?: Record<string, unknown>}} planned @param {unknown} snapshots
 * @returns {string|null}
 */
function snapshotText(action, planned, snapshots) {
  const text = action.kind === 'create'
    ? planned.params?.description
    : (Array.isArray(snapshots) ? snapshots : []).find((s) => s?.name === action.name)?.description;
  return typeof text === 'string' && text !== '' ? text : null;
}

/** @param {Service} s */
export const vmKeyOf = (s) => `${s.type}/${s.vmid}`;

const busy = () => new ApiError('SNAPSHOT_BUSY', 'another snapshot operation is running on this VM; wait until it has finished');

/**
 * @param {{pve: any, core: any, resolver: ReturnType<typeof import('./node-resolver.mjs').createNodeResolver>,
 *   store: import('../store/index.mjs').Store, tasks: ReturnType<typeof import('./task-registry.mjs').createTaskRegistry>,
 *   owner: string, now: () => number, taskTimeoutMs: number, taskIntervalMs: number, leaseTtlMs: number,
 *   log: (event: string, fields: object) => void}} deps
 */
export function createSnapshotActions({ pve, core, resolver, store, tasks, owner, now, taskTimeoutMs, taskIntervalMs, leaseTtlMs, log }) {
  /** @type {Map<string, Promise<void>>} task id → its follower */
  const following = new Map();
  /** Leases whose release failed (store away): retried by the heartbeat, never renewed meanwhile. */
  /** @type {Set<string>} */
  const unreleased = new Set();
  /**
   * Tasks Proxmox accepted while the store could not record them: the
   * heartbeat records each (with its "accepted" audit entry) once the store
   * answers again, then follows it like any other. The VM's lease stays
   * with this instance meanwhile.
   * @type {Map<string, {task: Task, audit: import('../store/store.mjs').AuditEntry}>}
   */
  const unrecorded = new Map();
  const stop = new AbortController();
  let draining = false;

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
   * Records a task's end (once across instances) with its audit entry.
   * @param {Task} task
   * @param {{state: 'ok'|'failed', message?: string|null, warnings?: unknown}} outcome
   */
  async function settle(task, outcome) {
    const ended = await store.finishTask(task.id, outcome, {
      now: now(),
      audit: {
        actorKind: task.actorKind, actorId: task.actorId, customer: task.customer, serviceId: task.serviceId, vmid: task.vmid, node: task.node,
        action: task.kind, snapshot: task.name || null, outcome: outcome.state, message: outcome.message ?? null,
      },
    });
    if (ended) log('task-ended', { task: task.id, kind: task.kind, state: outcome.state });
  }

  /** @param {Task} task */
  function follow(task) {
    if (following.has(task.id)) return;
    const done = pve.waitForTask(task.upid, { timeoutMs: taskTimeoutMs, intervalMs: taskIntervalMs, signal: stop.signal })
      .then(async (/** @type {{state: 'running'|'ok'|'failed', timedOut?: boolean, message?: string, warnings?: unknown}} */ r) => {
        if (r.state === 'running') {
          // A client-side timeout means "still running": the task endpoint
          // asks Proxmox again when the page polls; the VM's next action
          // re-reads Proxmox's lock before it sends anything.
          await store.unfollowTask(task.id, owner, '');
          await store.dropLease(task.vmKey, owner);
          log('task-wait-timed-out', { task: task.id, kind: task.kind });
        } else {
          await settle(task, { state: r.state, message: r.message ?? null, warnings: r.warnings });
        }
      })
      .catch((/** @type {any} */ err) => {
        // Left to the heartbeat: it follows again what this instance holds.
        if (!stop.signal.aborted) log('task-follow-failed', { task: task.id, code: err?.code, message: err?.message });
      })
      .finally(() => {
        following.delete(task.id);
      });
    following.set(task.id, done);
  }

  /**
   * The heartbeat: retries lease releases, renews what this instance holds,
   * follows again what it holds but lost track of, adopts orphaned tasks.
   */
  async function heartbeat() {
    try {
      for (const vmKey of [...unreleased]) {
        await store.releaseLease(vmKey, owner);
        unreleased.delete(vmKey);
      }
      for (const [id, { task, audit }] of [...unrecorded]) {
        // A commit whose answer was lost is in the store already: record it once.
        if (!(await store.task(id))) await store.addTask(task, { owner, now: task.startedAt, audit });
        unrecorded.delete(id);
        log('task-recorded-late', { task: id, kind: task.kind });
        follow(task);
      }
      await store.renew(owner, now());
      if (draining) return;
      for (const t of await store.adoptTasks({ owner, now: now(), ttlMs: leaseTtlMs })) {
        log('task-adopted', { task: t.id, kind: t.kind, from: t.follower });
        follow(t);
      }
      for (const t of await store.followedBy(owner)) if (!following.has(t.id)) follow(t);
    } catch (err) {
      log('store-heartbeat-failed', { code: /** @type {any} */ (err)?.code, message: /** @type {any} */ (err)?.message });
    }
  }
  const RENEW_MS = Math.min(5000, Math.floor(leaseTtlMs / 4));
  let beating = heartbeat();
  const timer = setInterval(() => { beating = beating.then(heartbeat); }, RENEW_MS);
  timer.unref();

  /** @param {string} vmKey */
  async function release(vmKey) {
    try {
      await store.releaseLease(vmKey, owner);
    } catch {
      unreleased.add(vmKey);
    }
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
     * Takes the VM's lease, re-reads, re-plans and sends; the lease goes with
     * the task until it ends. `operator`: the operator acting on the
     * customer's behalf (audited as the operator; the task stays the customer's).
     * @param {{customer: string, service: Service, policy: object, action: Action, operator?: string}} request
     * @returns {Promise<Task>}
     */
    async start({ customer, service, policy, action, operator }) {
      if (draining) throw new ApiError('STORE_UNAVAILABLE', 'the panel is shutting down; nothing was sent to Proxmox');
      const vmKey = vmKeyOf(service);
      const lease = await store.acquireLease(vmKey, { owner, now: now(), ttlMs: leaseTtlMs });
      if (!lease.acquired) throw busy();
      if (lease.takenOverFrom) log('lease-taken-over', { vm: vmKey, from: lease.takenOverFrom });
      /** @type {{description: any, upid: unknown, target: Target, text: string|null}} */
      let sent;
      try {
        sent = await withTarget(service, async (target) => {
          const state = await readState(target);
          const d = plan(action, target, policy, state);
          // A long pause (reading, GC) may have cost the lease: never send without it.
          if (!(await store.confirmLease(vmKey, { owner, now: now() }))) throw busy();
          const upid = await pve.request({ method: d.method, path: d.path, params: d.params });
          return { description: d, upid, target, text: snapshotText(action, d, state.snapshots) };
        });
        if (typeof sent.upid !== 'string' || !sent.upid.startsWith('UPID:')) {
          throw new ApiError('PVE_INVALID_RESPONSE', 'Proxmox VE did not return a task id');
        }
      } catch (err) {
        await release(vmKey);
        throw err;
      }
      const t = now();
      /** @type {Task} */
      const task = {
        id: tasks.newId(), customer, serviceId: service.id, vmKey, vmid: service.vmid, node: sent.target.node,
        kind: action.kind, name: String(sent.description.name ?? ''), upid: sent.upid, state: 'running',
        message: null, warnings: [], follower: owner, startedAt: t, endedAt: null,
        actorKind: operator === undefined ? 'customer' : 'operator', actorId: operator ?? customer,
      };
      /** @type {import('../store/store.mjs').AuditEntry} */
      const audit = { actorKind: task.actorKind, actorId: task.actorId, customer, serviceId: service.id, vmid: service.vmid, node: task.node,
        action: action.kind, snapshot: task.name || null, outcome: 'accepted', description: sent.text };
      try {
        await store.addTask(task, { owner, now: t, audit });
      } catch (err) {
        // Proxmox runs it; only the record failed. The heartbeat records and
        // follows it once the store is back; the lease stays ours until then.
        log('task-not-recorded', { task: task.id, vm: vmKey, kind: action.kind, code: /** @type {any} */ (err)?.code });
        unrecorded.set(task.id, { task, audit });
        throw new ApiError('STORE_UNAVAILABLE', 'Proxmox VE accepted the action, but the panel\'s database cannot be reached to record it; '
          + 'the panel records it and follows it to its end as soon as the database is back', { sent: true });
      }
      follow(task);
      return task;
    },

    /**
     * Removes every managed snapshot of the service's VM (oldest first),
     * each re-planned with the core on fresh data and waited for, under the
     * VM's lease so no customer action (on any instance) runs in between. Foreign snapshots
     * are never touched, only listed. A VM the cluster no longer has has
     * nothing to remove.
     * @param {Service} service
     * @param {object} policy
     * @returns {Promise<{removed: string[], kept: string[], failed: Array<{name: string, message: string}>}>}
     */
    async purge(service, policy) {
      const vmKey = vmKeyOf(service);
      const lease = await store.acquireLease(vmKey, { owner, now: now(), ttlMs: leaseTtlMs });
      if (!lease.acquired) {
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
              if (!(await store.confirmLease(vmKey, { owner, now: now() }))) throw busy();
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
        await release(vmKey);
      }
    },

    /**
     * The running action on this service's VM, if this customer started it.
     * @param {string} customer
     * @param {Service} service
     * @returns {Promise<{id: string, kind: string, name: string} | null>}
     */
    async activeTask(customer, service) {
      const t = await store.activeTask(vmKeyOf(service));
      return t && t.customer === customer && t.serviceId === service.id ? { id: t.id, kind: t.kind, name: t.name } : null;
    },

    /**
     * A running task this instance is not following: ask Proxmox once more
     * (another instance may be following it, or nobody is).
     * @param {Task} task
     * @returns {Promise<Task>}
     */
    async refresh(task) {
      if (task.state !== 'running' || following.has(task.id)) return task;
      const data = await pve.request(core.taskStatusRequest(task.upid));
      const outcome = core.taskOutcome(data);
      if (outcome.state === 'running') return task;
      await settle(task, outcome);
      return (await store.task(task.id)) ?? task;
    },

    /**
     * Stops taking actions and follows running tasks for up to `graceMs`
     * (their outcomes recorded); what still runs then is handed over, so the
     * next instance to start (or another one) follows it.
     * @param {number} graceMs
     */
    async drain(graceMs) {
      draining = true;
      let timer;
      await Promise.race([
        Promise.allSettled([...following.values()]),
        new Promise((resolve) => { timer = setTimeout(resolve, graceMs); }),
      ]);
      clearTimeout(timer);
      await this.close();
    },

    /** Stops following tasks and hands them over; resolves when the followers have let go (bounded). */
    async close() {
      draining = true;
      clearInterval(timer);
      const left = [...following.keys()];
      stop.abort();
      let t2;
      await Promise.race([
        Promise.allSettled([...following.values(), beating]),
        new Promise((resolve) => { t2 = setTimeout(resolve, 2000); }),
      ]);
      clearTimeout(t2);
      for (const id of left) await store.unfollowTask(id, owner, null).catch(() => {});
      // Last chance for what the store could not take: recorded as handed over, the next instance follows it.
      for (const [id, { task, audit }] of unrecorded) {
        try {
          if (!(await store.task(id))) await store.addTask(task, { owner, now: task.startedAt, audit });
          await store.unfollowTask(id, owner, null);
        } catch (err) {
          log('task-never-recorded', { task: id, kind: task.kind, upid: task.upid, code: /** @type {any} */ (err)?.code });
        }
      }
    },
  };
}
