// The Proxmox API paths the simulator answers: path templates and parameter
// schemas come from Proxmox's own API schema (snapshot-schema.json), a few
// read-only helpers (/version, /nodes, task list) have hand-written schemas.
// Handlers return the `data` of the envelope or throw an ApiError.
import { readFileSync } from 'node:fs';
import { dieError, paramError, permError } from './api-error.mjs';
import { configDigest, configView, currentEntry, snapshotEntry, statusView } from './guest-views.mjs';
import { configPath, storageId } from './guests.mjs';
import { isTrue } from './param-check.mjs';
import { createOperation, deleteOperation, rollbackOperation } from './snapshot-ops.mjs';
import { decodeUpid, taskStatusView } from './tasks.mjs';

const schemaFile = JSON.parse(readFileSync(new URL('./snapshot-schema.json', import.meta.url), 'utf8'));

const NODE_PARAM = { type: 'string', format: 'pve-node' };
const OPTIONAL_VMID = { type: 'integer', format: 'pve-vmid', minimum: 100, maximum: 999999999, optional: 1 };

/** Paths outside the schema extract, described the way apidata.js does (permissions as in pve-manager). */
const EXTRA_PATHS = {
  '/version': { GET: { parameters: { additionalProperties: 0, properties: {} }, permissions: { user: 'all' } } },
  '/nodes': { GET: { parameters: { additionalProperties: 0, properties: {} }, permissions: { user: 'all' } } },
  '/nodes/{node}/time': { GET: { proxyto: 'node', parameters: { additionalProperties: 0, properties: { node: NODE_PARAM } }, permissions: { check: ['perm', '/nodes/{node}', ['Sys.Audit']] } } },
  '/nodes/{node}/tasks': {
    GET: {
      proxyto: 'node',
      permissions: { user: 'all' },
      parameters: {
        additionalProperties: 0,
        properties: {
          node: NODE_PARAM,
          vmid: OPTIONAL_VMID,
          source: { type: 'string', enum: ['archive', 'active', 'all'], optional: 1 },
          typefilter: { type: 'string', optional: 1 },
          userfilter: { type: 'string', optional: 1 },
          statusfilter: { type: 'string', optional: 1 },
          errors: { type: 'boolean', optional: 1 },
          start: { type: 'integer', minimum: 0, optional: 1 },
          limit: { type: 'integer', minimum: 0, optional: 1 },
          since: { type: 'integer', optional: 1 },
          until: { type: 'integer', optional: 1 },
        },
      },
    },
  },
};

/**
 * @typedef {object} Context
 * @property {Record<string, any>} params       verified parameters (path + query + body)
 * @property {import('./tokens.mjs').Identity} identity
 * @property {'qemu'|'lxc'} guestType            from the path template
 * @property {import('./index.mjs').SimInternals} sim
 * @property {number} [total]                  Proxmox's `total` beside `data` for paged lists
 */

/** @typedef {(ctx: Context) => unknown} Handler */

/** @type {Record<string, Handler>} keyed 'METHOD template' with {type} for qemu|lxc */
const HANDLERS = {
  'GET /nodes/{node}/{type}/{vmid}/snapshot': (ctx) => {
    const guest = loadConfig(ctx);
    const entries = [...guest.snapshots.values()].map((s) => snapshotEntry(guest, s));
    return [...unsortedOrder(entries, ctx.sim.random), currentEntry(guest)];
  },
  'POST /nodes/{node}/{type}/{vmid}/snapshot': (ctx) => {
    const { snapname } = ctx.params;
    reservedNameCheck(ctx.guestType, snapname);
    const guest = loadConfig(ctx);
    const op = createOperation(guest, { snapname, description: ctx.params.description, vmstate: isTrue(ctx.params.vmstate) }, () => ctx.sim.nodeSeconds(guest.node));
    return startTask(ctx, guest, op);
  },
  'DELETE /nodes/{node}/{type}/{vmid}/snapshot/{snapname}': (ctx) => {
    const guest = loadConfig(ctx);
    return startTask(ctx, guest, deleteOperation(guest, { snapname: ctx.params.snapname, force: isTrue(ctx.params.force) }));
  },
  'GET /nodes/{node}/{type}/{vmid}/snapshot/{snapname}': () => [{ cmd: 'rollback' }, { cmd: 'config' }],
  'GET /nodes/{node}/{type}/{vmid}/snapshot/{snapname}/config': (ctx) => {
    const guest = loadConfig(ctx);
    const snap = findSnapshot(guest, ctx.params.snapname);
    /** @type {Record<string, unknown>} */
    const conf = { ...configView(guest), snaptime: snap.snaptime };
    if (snap.description) conf.description = snap.description;
    if (snap.parent) conf.parent = snap.parent;
    if (snap.snapstate) conf.snapstate = snap.snapstate;
    if (snap.vmstate) conf.vmstate = `${storageId(guest)}:vm-${guest.vmid}-state-${snap.name}`;
    return conf;
  },
  'PUT /nodes/{node}/{type}/{vmid}/snapshot/{snapname}/config': (ctx) => {
    const guest = loadConfig(ctx);
    if (ctx.params.description === undefined) return null;
    if (guest.lock) throw dieError(`${guest.type === 'lxc' ? 'CT' : 'VM'} is locked (${guest.lock})`);
    findSnapshot(guest, ctx.params.snapname).description = String(ctx.params.description);
    return null;
  },
  'POST /nodes/{node}/{type}/{vmid}/snapshot/{snapname}/rollback': (ctx) => {
    const start = isTrue(ctx.params.start);
    // qemu-server >= 9.1.10 checks VM.PowerMgmt up front; pve-container does not.
    if (ctx.guestType === 'qemu' && start) requirePrivs(ctx, `/vms/${ctx.params.vmid}`, ['VM.PowerMgmt'], false);
    const guest = loadConfig(ctx);
    return startTask(ctx, guest, rollbackOperation(guest, { snapname: ctx.params.snapname, start }, ctx.sim.clock.now));
  },
  'GET /nodes/{node}/{type}/{vmid}/status/current': (ctx) => statusView(loadConfig(ctx), ctx.sim.clock.now()),
  'GET /nodes/{node}/{type}/{vmid}/feature': (ctx) => {
    const guest = loadConfig(ctx);
    if (ctx.params.snapname !== undefined) findSnapshot(guest, ctx.params.snapname);
    // lvmthin and zfs both support snapshot, clone and copy.
    return ctx.guestType === 'qemu' ? { hasFeature: 1, nodes: [...ctx.sim.state.nodes] } : { hasFeature: 1 };
  },
  'GET /nodes/{node}/{type}/{vmid}/config': (ctx) => {
    const guest = loadConfig(ctx);
    if (ctx.params.snapshot !== undefined) {
      if (isTrue(ctx.params.current)) throw paramError({ snapshot: "cannot use 'snapshot' parameter with 'current'", current: "cannot use 'snapshot' parameter with 'current'" });
      const snap = findSnapshot(guest, ctx.params.snapshot);
      /** @type {Record<string, string | number | undefined>} */
      const conf = { ...configView(guest), snaptime: snap.snaptime };
      if (snap.description) conf.description = snap.description;
      if (snap.parent) conf.parent = snap.parent;
      return conf;
    }
    /** @type {Record<string, string | number | undefined>} */
    const conf = { ...configView(guest), digest: configDigest(guest) };
    if (guest.lock) conf.lock = guest.lock;
    if (guest.parent) conf.parent = guest.parent;
    return conf;
  },
  'GET /nodes/{node}/{type}': (ctx) => {
    proxyTo(ctx);
    const out = [];
    for (const g of ctx.sim.state.guests.values()) {
      if (g.node !== ctx.params.node || g.type !== ctx.guestType) continue;
      if (!hasPrivs(ctx, ['VM.Audit'])) continue;
      const s = statusView(g, ctx.sim.clock.now());
      if (g.type === 'lxc') s.type = 'lxc';
      out.push(s);
    }
    return out;
  },
  'GET /nodes/{node}/tasks/{upid}': (ctx) => {
    findTask(ctx);
    return [{ name: 'log' }, { name: 'status' }];
  },
  'GET /nodes/{node}/tasks/{upid}/status': (ctx) => taskStatusView(findTask(ctx)),
  'GET /nodes/{node}/tasks/{upid}/log': (ctx) => {
    const task = findTask(ctx);
    // Perl's `||`: limit 0 means the default 50.
    const start = Number(ctx.params.start) || 0;
    const limit = Number(ctx.params.limit) || 50;
    // Tasks.pm: ExtJS needs a non-empty list, so an empty log reads "no content".
    const lines = task.log.length ? task.log.map((t, i) => ({ n: i + 1, t })) : [{ n: 1, t: 'no content' }];
    ctx.total = lines.length;
    return lines.slice(start, start + limit);
  },
  'DELETE /nodes/{node}/tasks/{upid}': (ctx) => {
    const task = findTask(ctx, 'Sys.Modify');
    ctx.sim.tasks.stop(task.upid);
    return null;
  },
  'GET /nodes/{node}/tasks': (ctx) => {
    proxyTo(ctx);
    const p = ctx.params;
    let list = ctx.sim.tasks.all().filter((t) => t.node === p.node && !isHiddenTask(ctx, t));
    const source = p.source ?? 'archive';
    if (source === 'active') list = list.filter((t) => t.status === 'running');
    if (source === 'archive') list = list.filter((t) => t.status === 'stopped');
    if (p.vmid !== undefined) list = list.filter((t) => t.id === String(p.vmid));
    if (p.typefilter) list = list.filter((t) => t.type === p.typefilter);
    if (p.userfilter) list = list.filter((t) => t.user.includes(p.userfilter));
    if (isTrue(p.errors)) list = list.filter((t) => t.status === 'stopped' && t.exitstatus !== 'OK' && !t.exitstatus?.startsWith('WARNINGS'));
    list.sort((a, b) => b.starttime - a.starttime);
    ctx.total = list.length;
    const start = Number(p.start) || 0;
    const limit = Number(p.limit) || 50;
    return list.slice(start, start + limit).map((t) => {
      const view = taskStatusView(t);
      delete view.exitstatus;
      if (t.status === 'stopped') {
        view.status = t.exitstatus;
        view.endtime = t.endtime;
      } else {
        delete view.status;
      }
      return view;
    });
  },
  'GET /cluster/resources': (ctx) => {
    const { type } = ctx.params;
    const sim = ctx.sim;
    const out = [];
    if (!type || type === 'node') {
      if (hasPrivs(ctx, ['Sys.Audit'])) {
        for (const node of sim.state.nodes) out.push({ id: `node/${node}`, type: 'node', node, status: 'online', level: '', maxcpu: 16, maxmem: 68719476736, mem: 17179869184, maxdisk: 107374182400, disk: 21474836480, cpu: 0.05, uptime: 432000 });
      }
    }
    if (!type || type === 'storage') {
      if (hasPrivs(ctx, ['Sys.Audit'])) {
        for (const node of sim.state.nodes) {
          for (const [storage, plugintype] of [['local-lvm', 'lvmthin'], ['local-zfs', 'zfspool']]) {
            out.push({ id: `storage/${node}/${storage}`, type: 'storage', storage, node, status: 'available', plugintype, content: 'images,rootdir', shared: 0, maxdisk: 536870912000, disk: 107374182400 });
          }
        }
      }
    }
    if (!type || type === 'vm') {
      for (const g of sim.state.guests.values()) {
        if (!hasPrivs(ctx, ['VM.Audit'])) continue;
        const s = statusView(g, sim.clock.now());
        /** @type {Record<string, unknown>} */
        const e = { id: `${g.type}/${g.vmid}`, type: g.type, vmid: g.vmid, node: g.node, name: g.name, status: g.status, template: g.template ? 1 : 0, maxcpu: g.cpus, maxmem: g.maxmem, mem: s.mem, maxdisk: g.maxdisk, disk: s.disk, cpu: s.cpu, uptime: s.uptime, netin: s.netin, netout: s.netout, diskread: s.diskread, diskwrite: s.diskwrite };
        if (g.lock) e.lock = g.lock;
        out.push(e);
      }
    }
    return out;
  },
  'GET /nodes/{node}/time': (ctx) => {
    const time = ctx.sim.nodeSeconds(proxyTo(ctx));
    return { timezone: 'UTC', time, localtime: time };
  },
  'GET /version': () => ({ version: '9.1.1', release: '9.1', repoid: 'a1b2c3d4e5f6a7b8' }),
  'GET /nodes': (ctx) => ctx.sim.state.nodes.map((node) => ({ node, status: 'online', type: 'node', id: `node/${node}`, level: '', uptime: 432000, maxcpu: 16, cpu: 0.05, maxmem: 68719476736, mem: 17179869184, maxdisk: 107374182400, disk: 21474836480 })),
};

/**
 * @typedef {object} Route
 * @property {string[]} segments    template split on '/'
 * @property {string} template
 * @property {Record<string, any>} info  per method: {parameters, permissions, proxyto}
 */

/** @type {Route[]} */
const ROUTES = [...Object.entries(schemaFile.paths).map(([template, p]) => ({ template, info: p.info })), ...Object.entries(EXTRA_PATHS).map(([template, info]) => ({ template, info }))]
  .map((r) => ({ ...r, segments: r.template.split('/').filter((p) => p.length > 0) }));

/**
 * Find the route for a path below /api2/json.
 * @param {string} method
 * @param {string} relPath unescaped path below /api2/json, e.g. '/nodes/pve1/qemu/101/snapshot'
 * @returns {{handler: Handler, info: any, pathParams: Record<string,string>, guestType: 'qemu'|'lxc'} | null}
 */
export function findRoute(method, relPath) {
  // RESTHandler::find_handler skips empty fragments: '//' and a trailing '/' vanish.
  const parts = relPath.split('/').filter((p) => p.length > 0);
  for (const route of ROUTES) {
    if (route.segments.length !== parts.length) continue;
    /** @type {Record<string,string>} */
    const pathParams = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i];
      if (seg.startsWith('{')) {
        pathParams[seg.slice(1, -1)] = parts[i];
      } else if (seg !== parts[i]) ok = false;
    }
    if (!ok) continue;
    const info = route.info[method];
    const guestType = route.segments[2] === 'lxc' ? 'lxc' : 'qemu';
    const key = `${method} ${route.template.replace(/^\/nodes\/\{node\}\/(qemu|lxc)(?=\/|$)/, '/nodes/{node}/{type}')}`;
    const handler = HANDLERS[key];
    if (!info || !handler) return null;
    return { handler, info, pathParams, guestType };
  }
  return null;
}

/**
 * The schema's permission check (`check: ['perm', path, privs, 'any', 1]`).
 * @param {any} permissions
 * @param {Record<string,string>} pathParams
 * @param {import('./tokens.mjs').Identity} identity
 */
export function checkPermissions(permissions, pathParams, identity) {
  const check = permissions?.check;
  if (!Array.isArray(check) || check[0] !== 'perm') return;
  const aclPath = String(check[1]).replace(/\{(\w+)\}/g, (_, k) => pathParams[k] ?? '');
  /** @type {string[]} */
  const privs = check[2];
  const any = check[3] === 'any';
  if (any) {
    if (!privs.some((p) => identity.privileges.has(p))) throw permError(aclPath, privs);
  } else {
    for (const p of privs) if (!identity.privileges.has(p)) throw permError(aclPath, [p]);
  }
}

/** @param {Context} ctx @param {string} aclPath @param {string[]} privs @param {boolean} any */
function requirePrivs(ctx, aclPath, privs, any) {
  checkPermissions({ check: ['perm', aclPath, privs, ...(any ? ['any', 1] : [])] }, {}, ctx.identity);
}

/** @param {Context} ctx @param {string[]} privs */
function hasPrivs(ctx, privs) {
  return privs.every((p) => ctx.identity.privileges.has(p));
}

/**
 * Calls are proxied to the node in the path; a node outside the cluster fails the lookup.
 * @param {Context} ctx
 */
function proxyTo(ctx) {
  const node = ctx.params.node;
  if (node !== 'localhost' && !ctx.sim.state.nodes.includes(node)) {
    throw dieError(`hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`);
  }
  return node === 'localhost' ? ctx.sim.state.nodes[0] : node;
}

/**
 * load_config on the node the request went to: a guest that lives on another
 * node (migrated) or is of the other type has no config file here.
 * @param {Context} ctx
 */
function loadConfig(ctx) {
  const node = proxyTo(ctx);
  const vmid = Number(ctx.params.vmid);
  const guest = ctx.sim.state.guests.get(vmid);
  if (!guest || guest.node !== node || guest.type !== ctx.guestType) {
    throw dieError(`Configuration file '${configPath(node, ctx.guestType, ctx.params.vmid)}' does not exist`);
  }
  return guest;
}

/** @param {import('./guests.mjs').Guest} guest @param {string} name */
function findSnapshot(guest, name) {
  const snap = guest.snapshots.get(name);
  if (!snap) throw dieError(`snapshot '${name}' does not exist`);
  return snap;
}

/**
 * Reserved names are refused before the worker forks: a synchronous die (HTTP 500).
 * @param {'qemu'|'lxc'} type @param {string} snapname
 */
function reservedNameCheck(type, snapname) {
  if (snapname === 'current') throw dieError("unable to use snapshot name 'current' (reserved name)");
  if (type === 'qemu' && snapname.toLowerCase() === 'pending') throw dieError("unable to use snapshot name 'pending' (reserved name)");
  if (type === 'lxc' && snapname === 'vzdump') throw dieError("unable to use snapshot name 'vzdump' (reserved name)");
}

/**
 * @param {Context} ctx @param {import('./guests.mjs').Guest} guest
 * @param {import('./snapshot-ops.mjs').Operation} op
 */
function startTask(ctx, guest, op) {
  return ctx.sim.tasks.start({ node: guest.node, vmid: guest.vmid, user: ctx.identity.tokenid, op });
}

/**
 * Look a task up the way read_task_status does, including the owner rule:
 * a token sees its own tasks; anything else needs Sys.Audit (Sys.Modify to stop).
 * @param {Context} ctx @param {string} [priv]
 */
function findTask(ctx, priv = 'Sys.Audit') {
  const node = proxyTo(ctx);
  const decoded = decodeUpid(ctx.params.upid);
  if (!decoded) throw paramError({ upid: 'unable to parse worker upid' });
  const task = ctx.sim.tasks.get(ctx.params.upid);
  // The log file lives on the node that ran the task.
  if (!task || task.node !== node) throw paramError({ upid: 'no such task' });
  if (Date.now() - task.createdAt < ctx.sim.faults.get().taskStatusLagMs) throw paramError({ upid: 'no such task' });
  if (task.user !== ctx.identity.tokenid && !ctx.identity.privileges.has(priv)) throw permError(`/nodes/${node}`, [priv]);
  return task;
}

/** @param {Context} ctx @param {import('./tasks.mjs').Task} t */
function isHiddenTask(ctx, t) {
  return t.user !== ctx.identity.tokenid && !ctx.identity.privileges.has('Sys.Audit');
}

/**
 * Perl hash order: callers must not rely on any order. Never hand out a list
 * that happens to be sorted by time, so a client that forgets to sort fails fast.
 * @param {Record<string, any>[]} entries @param {import('./random.mjs').SimRandom} random
 */
function unsortedOrder(entries, random) {
  const out = random.shuffle(entries);
  const ascending = out.every((e, i) => i === 0 || out[i - 1].snaptime <= e.snaptime);
  if (out.length > 1 && ascending) out.push(/** @type {Record<string, any>} */ (out.shift()));
  return out;
}

