// The operator's fleet: every service (the config's and the host's) with
// what Proxmox says about its VM right now, and one service's detail with
// its snapshots and history. Proxmox is read through the server's own
// client and node resolver, a few VMs at a time, and judged by the core,
// so the numbers are the ones the customer's page shows.
import { ApiError, errorResponse, sendJson } from './http-io.mjs';
import { customerService } from './host-api.mjs';
import { runBounded } from '../cron/limiter.mjs';
import { parseBody, removeBody } from './body-schema.mjs';
import { isTaskId, publicTask } from './task-registry.mjs';
import { historyText, reasonTable } from '../panel/history-wording.mjs';
import { historyEvents } from './history.mjs';

/**
 * @typedef {import('./admin-routes.mjs').AdminRoute} AdminRoute
 * @typedef {import('./admin-routes.mjs').AdminApp} AdminApp
 * @typedef {import('./directory.mjs').Service} Service
 * @typedef {{id: string, name: string, customer: string, customerName: string, vmid: number, type: string,
 *   product: string, suspended: boolean, source: 'config'|'host'}} FleetService
 */

/** VMs read from Proxmox at once for the fleet list. */
export const FLEET_CONCURRENCY = 8;
/** History entries in a service's detail, newest first. */
export const DETAIL_HISTORY = 50;

/** @type {ReadonlyMap<string, string> | null} */
let reasons = null;

/**
 * The service's last events (an accepted action and its outcome folded into
 * one, as on the customer's page), each with the words the customer's
 * history uses, naming who did it: every actor's entries, refusals included.
 * @param {AdminApp} app
 * @param {string} serviceId
 */
async function serviceHistory(app, serviceId) {
  reasons ??= reasonTable(app.core.errorCodes());
  // Each action is at most two entries (accepted, then its outcome).
  const rows = await app.store.auditSearch({ serviceId, from: 0, to: Number.MAX_SAFE_INTEGER, limit: 2 * DETAIL_HISTORY });
  return historyEvents(rows, DETAIL_HISTORY, { withActorId: true })
    .map((e) => ({ ...e, text: historyText(e, { reasons: /** @type {ReadonlyMap<string, string>} */ (reasons), viewer: 'operator' }) }));
}

/**
 * Every service the panel knows: the config's first, then the host's.
 * @param {AdminApp} app
 * @returns {Promise<Array<{service: Service, view: FleetService}>>}
 */
async function allServices(app) {
  /** @type {Array<{service: Service, view: FleetService}>} */
  const out = [];
  for (const s of await app.directory.configServices()) {
    const c = await app.directory.customer(s.customer);
    out.push({ service: s, view: { id: s.id, name: s.name ?? `VM ${s.vmid}`, customer: s.customer, customerName: c?.displayName ?? s.customer,
      vmid: s.vmid, type: s.type, product: s.product, suspended: false, source: 'config' } });
  }
  if (app.registry) {
    for (const h of await app.registry.allServices()) {
      const s = customerService(h);
      const c = await app.registry.customer(h.customerId);
      out.push({ service: s, view: { id: s.id, name: s.name, customer: s.customer, customerName: c?.name ?? `Customer ${h.customerId}`,
        vmid: s.vmid, type: s.type, product: s.product, suspended: Boolean(s.suspended), source: 'host' } });
    }
  }
  return out;
}

/**
 * @param {AdminApp} app
 * @param {string} id
 */
async function findService(app, id) {
  const found = (await allServices(app)).find((e) => e.view.id === id);
  if (!found) throw new ApiError('NOT_FOUND', 'no such service');
  return found;
}

/**
 * What Proxmox says about the service's VM, as the core sees it.
 * @param {AdminApp} app
 * @param {Service} service
 */
async function readVm(app, service) {
  const policy = await app.directory.policy(service);
  const { vmStatus, snapshots } = await app.actions.read(service);
  const target = await app.resolver.resolve(service);
  const page = app.core.snapshotPage(policy, vmStatus, snapshots, app.now());
  return { policy, page, node: target?.node ?? null };
}

/**
 * @param {any} page the core's snapshotPage
 * @param {string | null} node
 */
function summary(page, node) {
  /** @type {Array<{name: string, managed: boolean, expiresAt: number | null, busy: string | null}>} */
  const rows = page.rows;
  const expiries = rows.filter((r) => r.managed && r.expiresAt !== null).map((r) => /** @type {number} */ (r.expiresAt));
  return {
    node,
    used: page.quota.used,
    limit: page.quota.limit,
    nextExpiry: expiries.length ? Math.min(...expiries) : null,
    lock: page.vm.lock ?? null,
    status: page.vm.status,
    stuck: rows.filter((r) => r.busy === 'delete').map((r) => r.name),
  };
}

/** A read that failed, as the operator sees it (no internals). @param {unknown} err */
const readError = (err) => {
  const { body } = errorResponse(err);
  return { code: body.error.code, message: body.error.message };
};

/**
 * @typedef {{service: Service, view: FleetService, node: string | null, policy: object | null, page: any | null,
 *   rows: any[] | null, error: {code: string, message: string} | null}} FleetEntry  `page` is the core's
 *   snapshotPage (rows: its Row[]); `page`, `rows` and `policy` are null and `error` set when the VM could not be read
 */

/**
 * Every service, each VM read from Proxmox once (FLEET_CONCURRENCY at a
 * time) and judged by the core. A VM that cannot be read is an entry with
 * its `error`, never a failure of the whole list.
 * @param {AdminApp} app
 * @returns {Promise<FleetEntry[]>}
 */
export async function readFleet(app) {
  const entries = await allServices(app);
  const results = await runBounded(entries, {
    concurrency: FLEET_CONCURRENCY, perNode: FLEET_CONCURRENCY, nodeOf: () => 'all',
    worker: (e) => readVm(app, e.service),
  });
  return entries.map((e, i) => {
    const r = results[i];
    if (r.status === 'fulfilled') return { ...e, node: r.value.node, policy: r.value.policy, page: r.value.page, rows: r.value.page.rows, error: null };
    // The page shows the short reason; the log keeps the full one (node, path).
    const reason = /** @type {{code?: unknown, message?: unknown}} */ (r.reason);
    app.log('fleet-read-failed', { service: e.view.id, code: reason?.code, message: String(reason?.message ?? reason) });
    return { ...e, node: null, policy: null, page: null, rows: null, error: readError(r.reason) };
  });
}

/** @type {AdminRoute[]} */
export const FLEET_ROUTES = [
  {
    pattern: 'services',
    methods: {
      async GET(ctx) {
        const services = (await readFleet(ctx.app)).map((e) => (e.page
          ? { ...e.view, ...summary(e.page, e.node), error: null }
          : { ...e.view, node: null, used: null, limit: null, nextExpiry: null, lock: null, status: null, stuck: [], error: e.error }));
        sendJson(ctx.res, 200, { services, serverTime: ctx.app.now() });
      },
    },
  },
  {
    pattern: 'services/:id',
    methods: {
      async GET(ctx) {
        const { app } = ctx;
        const { service, view } = await findService(app, ctx.params.id);
        const history = await serviceHistory(app, service.id);
        /** @type {object} */
        let vm;
        try {
          const { policy, page, node } = await readVm(app, service);
          vm = { ...summary(page, node), policy, rows: page.rows, error: null };
        } catch (err) {
          vm = { error: readError(err), rows: [] };
        }
        sendJson(ctx.res, 200, { service: view, ...vm, history, serverTime: app.now() });
      },
    },
  },
  {
    // The operator's one action: remove a customer's managed snapshot on
    // their behalf, through the customer's own path (lease, fresh read, the
    // core's planRemove and its checks), audited as the operator. A
    // suspended service does not stop it: suspension limits the customer.
    pattern: 'services/:id/snapshots/:name',
    methods: {
      async DELETE(ctx) {
        const { app } = ctx;
        const operator = /** @type {import('./admin-auth.mjs').Operator} */ (ctx.operator);
        /** @type {Service | undefined} */
        let service;
        /** @type {string | null} */
        let name = null;
        try {
          parseBody(removeBody, await app.readBody(ctx.req));
          ({ service } = await findService(app, ctx.params.id));
          try {
            name = decodeURIComponent(ctx.params.name);
          } catch {
            throw new ApiError('INVALID_NAME', 'snapshot name is not valid percent-encoding');
          }
          const task = await app.actions.start({
            customer: service.customer, service, policy: await app.directory.policy(service), action: { kind: 'remove', name }, operator: operator.username,
          });
          app.log('operator-action', { operator: operator.username, action: 'remove', serviceId: service.id, snapshot: task.name, task: task.id });
          sendJson(ctx.res, 202, { task: { id: task.id, kind: task.kind, name: task.name } });
        } catch (err) {
          const e = /** @type {{code?: unknown, message?: unknown}} */ (err);
          // With the store away there is nowhere to write it.
          if (e?.code !== 'STORE_UNAVAILABLE') {
            await app.store.audit({
              actorKind: 'operator', actorId: operator.username, customer: service?.customer ?? null, serviceId: ctx.params.id.slice(0, 100),
              vmid: service?.vmid ?? null, action: 'remove', snapshot: name?.slice(0, 100) ?? null, outcome: 'refused',
              code: typeof e?.code === 'string' ? e.code : 'INTERNAL', message: typeof e?.message === 'string' ? e.message.slice(0, 500) : null,
            }, app.now()).catch(() => {});
          }
          throw err;
        }
      },
    },
  },
  {
    pattern: 'services/:id/tasks/:taskId',
    methods: {
      async GET(ctx) {
        const { app } = ctx;
        const { service } = await findService(app, ctx.params.id);
        const found = isTaskId(ctx.params.taskId) ? await app.store.task(ctx.params.taskId) : null;
        if (!found || found.serviceId !== service.id) throw new ApiError('NOT_FOUND', 'no such task');
        sendJson(ctx.res, 200, { task: publicTask(await app.actions.refresh(found)) });
      },
    },
  },
];
