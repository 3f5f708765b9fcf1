// The less travelled paths and rules: task ownership, snapshot config,
// feature check, guest config, node and task lists, templates, PowerMgmt on
// rollback, URI/body conflicts, bodies on GET.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startSimulator } from '../simulator/index.mjs';
import { call, data, snapshots, waitTask } from './helpers/sim-client.mjs';

/** @typedef {import('./helpers/sim-client.mjs').PveEntry} PveEntry */

const OTHER = 'root@pam!other=OTHER';
const AUDITLESS = 'svc@pve!bot=BOT';

/** @type {import('../simulator/index.mjs').Simulator} */
let sim;
before(async () => {
  sim = await startSimulator({
    taskDurationMs: 30,
    tokens: [
      { id: 'root@pam!panel', secret: 'SECRET' },
      { id: 'root@pam!other', secret: 'OTHER' },
      { id: 'svc@pve!bot', secret: 'BOT', privileges: ['VM.Audit', 'VM.Snapshot', 'VM.Snapshot.Rollback'] },
    ],
  });
});
after(async () => {
  await sim?.close();
});

describe('task ownership', () => {
  test("reading another token's task needs Sys.Audit on the node", async () => {
    const upid = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'owned' } });
    const path = `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`;
    assert.equal((await call(sim, 'GET', path, { token: OTHER })).status, 200, 'Sys.Audit lets another token read it');
    const denied = await call(sim, 'GET', path, { token: AUDITLESS });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.message, 'Permission check failed (/nodes/pve1, Sys.Audit)\n');
    await waitTask(sim, upid);
  });

  test('a token without Sys.Audit still reads its own tasks, and its UPID names it', async () => {
    const upid = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'botSnap' }, token: AUDITLESS });
    assert.ok(upid.endsWith(':svc@pve!bot:'), upid);
    const st = await waitTask(sim, upid, { token: AUDITLESS });
    assert.equal(st.user, 'svc@pve');
    assert.equal(st.tokenid, 'bot');
    assert.equal(st.exitstatus, 'OK');
  });

  test('the task list shows active and finished tasks, newest first, filtered by vmid', async () => {
    sim.faults.set({ hangTasks: [202] });
    try {
      const running = await data(sim, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'listed' } });
      const active = await call(sim, 'GET', '/nodes/pve2/tasks', { query: { source: 'active', vmid: 202 } });
      assert.equal(active.status, 200);
      assert.deepEqual(active.json.data.map((/** @type {PveEntry} */ t) => t.upid), [running]);
      assert.equal(active.json.data[0].status, undefined);
      const done = await data(sim, 'GET', '/nodes/pve1/tasks', { query: { vmid: 101 } });
      assert.ok(done.length >= 2);
      assert.ok(done.every((/** @type {PveEntry} */ t) => t.status === 'OK' && typeof t.endtime === 'number'));
      assert.ok(done.every((/** @type {PveEntry} */ t, /** @type {number} */ i) => i === 0 || done[i - 1].starttime >= t.starttime));
      await call(sim, 'DELETE', `/nodes/pve2/tasks/${encodeURIComponent(running)}`);
    } finally {
      sim.faults.clear();
    }
  });
});

describe('snapshot config and feature', () => {
  test('GET snapshot/{name} is a directory index', async () => {
    assert.deepEqual(await data(sim, 'GET', '/nodes/pve1/qemu/101/snapshot/before-migration'), [{ cmd: 'rollback' }, { cmd: 'config' }]);
  });

  test('snapshot config carries snaptime, description and the RAM state volume', async () => {
    const conf = await data(sim, 'GET', '/nodes/pve1/qemu/101/snapshot/snap20261124T090000/config');
    assert.equal(conf.description, 'Before PHP upgrade');
    assert.equal(conf.vmstate, 'local-lvm:vm-101-state-snap20261124T090000');
    assert.equal(typeof conf.snaptime, 'number');
    const missing = await call(sim, 'GET', '/nodes/pve1/qemu/101/snapshot/nosuch/config');
    assert.equal(missing.status, 500);
    assert.equal(missing.json.message, "snapshot 'nosuch' does not exist\n");
  });

  test('PUT snapshot config updates the description synchronously and refuses while locked', async () => {
    assert.equal((await call(sim, 'PUT', '/nodes/pve1/qemu/101/snapshot/before-migration/config', { form: { description: 'edited' } })).json.data, null);
    assert.equal((await snapshots(sim, 'pve1', 101)).get('before-migration')?.description, 'edited');
    const locked = await call(sim, 'PUT', '/nodes/pve2/qemu/103/snapshot/snap20261123T120000/config', { form: { description: 'x' } });
    assert.equal(locked.status, 500);
    assert.equal(locked.json.message, 'VM is locked (backup)\n');
  });

  test('feature check', async () => {
    assert.deepEqual(await data(sim, 'GET', '/nodes/pve1/qemu/101/feature', { query: { feature: 'snapshot' } }), { hasFeature: 1, nodes: ['pve1', 'pve2'] });
    assert.deepEqual(await data(sim, 'GET', '/nodes/pve2/lxc/202/feature', { query: { feature: 'snapshot' } }), { hasFeature: 1 });
    const bad = await call(sim, 'GET', '/nodes/pve1/qemu/101/feature', { query: { feature: 'teleport' } });
    assert.equal(bad.json.errors.feature, "value 'teleport' does not have a value in the enumeration 'snapshot, clone, copy'");
  });

  test('guest config shows lock, parent and digest; the digest changes with the snapshots', async () => {
    const before = await data(sim, 'GET', '/nodes/pve2/qemu/103/config');
    assert.equal(before.lock, 'backup');
    assert.equal(before.parent, 'snap20261123T120000');
    sim.addSnapshot(103, { name: 'later', ageSeconds: 1 });
    const afterAdd = await data(sim, 'GET', '/nodes/pve2/qemu/103/config');
    assert.notEqual(afterAdd.digest, before.digest);
    assert.equal(afterAdd.parent, 'later');
  });
});

describe('guests', () => {
  test('a template refuses snapshots in the task', async () => {
    const s = await startSimulator({
      taskDurationMs: 10,
      seed: { nodes: ['n1'], guests: [{ vmid: 900, type: 'qemu', node: 'n1', name: 'tpl', status: 'stopped', template: 1, snapshots: [{ name: 'base', ageSeconds: 100 }] }] },
    });
    try {
      const st = await data(s, 'GET', '/nodes/n1/qemu/900/status/current');
      assert.equal(st.template, 1);
      const upid = await data(s, 'POST', '/nodes/n1/qemu/900/snapshot', { form: { snapname: 'x1' } });
      assert.equal((await waitTask(s, upid)).exitstatus, "you can't take a snapshot if it's a template");
      const del = await data(s, 'DELETE', '/nodes/n1/qemu/900/snapshot/base');
      assert.equal((await waitTask(s, del)).exitstatus, "you can't delete a snapshot if vm is a template");
      assert.equal((await data(s, 'GET', '/cluster/resources', { query: { type: 'vm' } }))[0].template, 1);
    } finally {
      await s.close();
    }
  });

  test('qemu rollback with start=1 needs VM.PowerMgmt up front; lxc does not check it', async () => {
    const r = await call(sim, 'POST', '/nodes/pve2/qemu/201/snapshot/snap20261125T010000/rollback', { form: { start: 1 }, token: AUDITLESS });
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'Permission check failed (/vms/201, VM.PowerMgmt)\n');
    sim.addSnapshot(202, { name: 'ctbase', ageSeconds: 5 });
    const ct = await call(sim, 'POST', '/nodes/pve2/lxc/202/snapshot/ctbase/rollback', { form: { start: 1 }, token: AUDITLESS });
    assert.equal(ct.status, 200);
    assert.equal((await waitTask(sim, ct.json.data, { token: AUDITLESS })).exitstatus, 'OK');
    assert.equal(sim.vm(202).status, 'running');
  });

  test('node and guest lists', async () => {
    assert.deepEqual((await data(sim, 'GET', '/nodes')).map((/** @type {PveEntry} */ n) => n.node), ['pve1', 'pve2']);
    const qemu = await data(sim, 'GET', '/nodes/pve2/qemu');
    assert.deepEqual(qemu.map((/** @type {PveEntry} */ g) => g.vmid).sort(), [103, 201]);
    const lxc = await data(sim, 'GET', '/nodes/pve2/lxc');
    assert.deepEqual(lxc.map((/** @type {PveEntry} */ g) => [g.vmid, g.type]), [[202, 'lxc']]);
  });

  test('an unknown node fails like pveproxy hostname lookup', async () => {
    const r = await call(sim, 'GET', '/nodes/pve9/qemu/101/snapshot');
    assert.equal(r.status, 500);
    assert.match(r.json.message, /^hostname lookup 'pve9' failed/);
  });

  test('status uptime follows the simulated clock', async () => {
    const a = (await data(sim, 'GET', '/nodes/pve2/qemu/201/status/current')).uptime;
    sim.clock.advance(3600_000);
    const b = (await data(sim, 'GET', '/nodes/pve2/qemu/201/status/current')).uptime;
    assert.ok(b - a >= 3600, `${a} -> ${b}`);
  });
});

describe('request rules', () => {
  test('a body value that conflicts with the URI is a 400', async () => {
    const r = await call(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'conflict', vmid: 102 } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.errors, { vmid: 'duplicate parameter (already defined in URI) with conflicting values!' });
  });

  test('query parameters override body parameters', async () => {
    const upid = await data(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: 'fromBody' }, query: { snapname: 'fromQuery' } });
    await waitTask(sim, upid);
    const snaps = await snapshots(sim, 'pve2', 201);
    assert.ok(snaps.has('fromQuery'));
    assert.ok(!snaps.has('fromBody'));
  });

  test('GET with a body is 501, as is a JSON body on DELETE', async () => {
    // fetch() refuses a GET body, so this one goes through node:http.
    const get = await new Promise((resolve, reject) => {
      const req = http.request(`${sim.url}/api2/json/nodes/pve1/qemu/101/snapshot`, {
        method: 'GET',
        headers: { Authorization: 'PVEAPIToken=root@pam!panel=SECRET', 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '3' },
        timeout: 20_000,
      }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, statusText: res.statusMessage }));
      });
      req.on('error', reject);
      req.end('x=1');
    });
    assert.equal(get.status, 501);
    assert.equal(get.statusText, "Unexpected content for method 'GET'");
    const del = await call(sim, 'DELETE', '/nodes/pve1/qemu/101/snapshot/before-migration', { json: { force: 1 } });
    assert.equal(del.status, 501);
    assert.equal(sim.vm(101).snapshots.some((s) => s.name === 'before-migration'), true);
  });

  test('missing required parameter', async () => {
    const r = await call(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { description: 'no name' } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.errors, { snapname: 'property is missing and it is not optional' });
  });

  test('the request log records method, path, query, body and status but never the token', async () => {
    const from = sim.requests.length;
    await call(sim, 'GET', '/nodes/pve1/qemu/101/status/current', { query: { _dc: 1 } });
    await call(sim, 'GET', '/version', { token: 'root@pam!panel=WRONGSECRET' });
    const entries = sim.requests.slice(from);
    assert.deepEqual(entries[0], { method: 'GET', path: '/api2/json/nodes/pve1/qemu/101/status/current', query: { _dc: '1' }, body: undefined, status: 200 });
    assert.equal(entries[1].status, 401);
    const dump = JSON.stringify(sim.requests);
    for (const secret of ['SECRET', 'OTHER', 'BOT']) assert.ok(!dump.includes(secret), secret);
  });

  test('the Authorization value may be percent-encoded, like Proxmox unescapes it', async () => {
    const r = await call(sim, 'GET', '/version', { token: encodeURIComponent('root@pam!panel=SECRET') });
    assert.equal(r.status, 200);
  });
});

describe('node clocks', () => {
  test('GET /nodes/{node}/time reads the simulated clock, per node with skew; it needs Sys.Audit', async () => {
    const s = await startSimulator({
      clockMs: Date.UTC(2026, 10, 25, 12, 0, 0),
      taskDurationMs: 10,
      faults: { nodeClockSkewMs: { pve2: 3600_000 } },
      tokens: [{ id: 'root@pam!panel', secret: 'SECRET' }, { id: 'svc@pve!bot', secret: 'BOT', privileges: ['VM.Audit', 'VM.Snapshot'] }],
    });
    try {
      const t1 = await data(s, 'GET', '/nodes/pve1/time');
      const t2 = await data(s, 'GET', '/nodes/pve2/time');
      assert.deepEqual(Object.keys(t1).sort(), ['localtime', 'time', 'timezone']);
      assert.ok(t1.time >= Date.UTC(2026, 10, 25, 12, 0, 0) / 1000 && t1.time < Date.UTC(2026, 10, 25, 12, 10, 0) / 1000, String(t1.time));
      assert.ok(t2.time - t1.time >= 3599 && t2.time - t1.time <= 3610, `${t2.time - t1.time}`);
      // A snapshot taken on pve2 is stamped by pve2's clock, as is its task.
      const upid = await data(s, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: 'skewed' } });
      await waitTask(s, upid);
      const snap = (await snapshots(s, 'pve2', 201)).get('skewed');
      assert.ok(snap);
      assert.ok(Math.abs(snap.snaptime - t2.time) <= 5, `${snap.snaptime} vs ${t2.time}`);
      assert.ok(Math.abs(parseInt(upid.split(':')[4], 16) - t2.time) <= 5);
      const denied = await call(s, 'GET', '/nodes/pve1/time', { token: 'svc@pve!bot=BOT' });
      assert.equal(denied.status, 403);
      assert.equal(denied.json.message, 'Permission check failed (/nodes/pve1, Sys.Audit)\n');
    } finally {
      await s.close();
    }
  });
});
