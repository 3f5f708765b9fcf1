// Contract: the simulator answers like Proxmox VE does according to
// ../shared/pve-api/FACTS.md, one scenario per documented behaviour.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator } from '../simulator/index.mjs';
import { call, data, snapshots, waitTask } from './helpers/sim-client.mjs';

/** @typedef {import('./helpers/sim-client.mjs').PveEntry} PveEntry */

const UPID_RE = /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;
const CLOCK = Date.UTC(2026, 10, 25, 12, 0, 0);

/** @type {import('../simulator/index.mjs').Simulator} */
let sim;
before(async () => {
  sim = await startSimulator({ taskDurationMs: 50, clockMs: CLOCK });
});
after(async () => {
  await sim?.close();
});

describe('snapshot list', () => {
  test('entries carry exactly the Proxmox fields and end with the current pseudo-entry', async () => {
    const list = await data(sim, 'GET', '/nodes/pve1/qemu/101/snapshot');
    const last = list.at(-1);
    assert.equal(last.name, 'current');
    assert.equal(last.description, 'You are here!');
    assert.equal(last.running, 1);
    assert.match(last.digest, /^[0-9a-f]{40}$/);
    assert.equal(last.parent, 'snap20261124T090000');
    const byName = new Map(list.slice(0, -1).map((/** @type {PveEntry} */ e) => [e.name, e]));
    assert.deepEqual(byName.get('snap20261124T090000'), {
      name: 'snap20261124T090000', snaptime: CLOCK / 1000 - 86400, vmstate: 1, description: 'Before PHP upgrade', parent: 'before-migration',
    });
    assert.deepEqual(byName.get('before-migration'), { name: 'before-migration', snaptime: CLOCK / 1000 - 864000, vmstate: 0, description: 'Taken by support' });
  });

  test('is never handed out sorted by snaptime', async () => {
    for (let i = 0; i < 10; i++) {
      const list = (await data(sim, 'GET', '/nodes/pve1/qemu/102/snapshot')).slice(0, -1);
      assert.equal(list.length, 2);
      assert.ok(list[0].snaptime > list[1].snaptime, 'ascending order would let a client get away without sorting');
    }
  });

  test('lxc entries have no vmstate', async () => {
    sim.addSnapshot(202, { name: 'ctsnap', snaptime: CLOCK / 1000 - 60, vmstate: 1 });
    const snaps = await snapshots(sim, 'pve2', 202, 'lxc');
    assert.deepEqual(snaps.get('ctsnap'), { name: 'ctsnap', snaptime: CLOCK / 1000 - 60, description: '' });
  });
});

describe('create → task → snapshot', () => {
  test('create returns a UPID at once, the task locks the VM, then the snapshot appears with snaptime from the simulated clock', async () => {
    sim.clock.set(CLOCK + 3600_000);
    // Hold the task so its in-progress state can be read without racing its timer.
    sim.faults.set({ hangTasks: [101] });
    const upid = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'snapA', description: 'first', vmstate: 1 } });
    sim.faults.clear();
    const m = UPID_RE.exec(upid);
    assert.ok(m, `UPID format: ${upid}`);
    assert.equal(m[1], 'pve1');
    assert.equal(m[6], 'qmsnapshot');
    assert.equal(m[7], '101');
    assert.equal(m[8], 'root@pam!panel');
    // The simulated clock keeps running from where it was set: allow a few seconds.
    const started = parseInt(m[5], 16) - (CLOCK / 1000 + 3600);
    assert.ok(started >= 0 && started <= 5, `UPID start ${started} s after the set time`);

    const status = await data(sim, 'GET', '/nodes/pve1/qemu/101/status/current');
    assert.equal(status.lock, 'snapshot');
    const during = await snapshots(sim, 'pve1', 101);
    assert.equal(during.get('snapA')?.snapstate, 'prepare');
    assert.equal((await data(sim, 'GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`)).status, 'running');

    assert.equal(sim.finishTasks(101), 1);
    const st = await waitTask(sim, upid);
    assert.equal(st.exitstatus, 'OK');
    assert.equal(st.user, 'root@pam');
    assert.equal(st.tokenid, 'panel');
    assert.equal(st.type, 'qmsnapshot');
    assert.equal(st.id, '101');
    assert.equal(st.node, 'pve1');
    assert.equal(st.upid, upid);
    for (const k of ['pid', 'pstart', 'starttime']) assert.equal(typeof st[k], 'number', k);

    const after = await snapshots(sim, 'pve1', 101);
    const snap = after.get('snapA');
    assert.deepEqual(snap, { name: 'snapA', snaptime: parseInt(m[5], 16), vmstate: 1, description: 'first', parent: 'snap20261124T090000' });
    const current = (await data(sim, 'GET', '/nodes/pve1/qemu/101/snapshot')).at(-1);
    assert.equal(current.parent, 'snapA');
    assert.equal((await data(sim, 'GET', '/nodes/pve1/qemu/101/status/current')).lock, undefined);
  });

  test('vmstate=1 on a stopped VM is silently ignored', async () => {
    const upid = await data(sim, 'POST', '/nodes/pve1/qemu/102/snapshot', { form: { snapname: 'noRam', vmstate: 1 } });
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.equal((await snapshots(sim, 'pve1', 102)).get('noRam')?.vmstate, 0);
  });

  test('JSON bodies work too, with real JSON booleans', async () => {
    const upid = await data(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { json: { snapname: 'viaJson', vmstate: true, description: 'json' } });
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.equal((await snapshots(sim, 'pve2', 201)).get('viaJson')?.vmstate, 1);
  });

  test('a duplicate name fails in the task, not in HTTP', async () => {
    const upid = await data(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: 'snap20261125T010000' } });
    assert.equal((await waitTask(sim, upid)).exitstatus, "snapshot name 'snap20261125T010000' already used");
  });

  test('a second create while the first runs fails with the snapshot lock', async () => {
    sim.faults.set({ hangTasks: [202] });
    const first = await data(sim, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'race1' } });
    const second = await data(sim, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'race2' } });
    sim.faults.clear();
    // A worker that fails its checks ends at once, even while tasks are held.
    assert.equal((await waitTask(sim, second)).exitstatus, 'CT is locked (snapshot)');
    sim.finishTasks(202);
    assert.equal((await waitTask(sim, first)).exitstatus, 'OK');
    const snaps = await snapshots(sim, 'pve2', 202, 'lxc');
    assert.ok(snaps.has('race1'));
    assert.ok(!snaps.has('race2'));
  });
});

describe('locks', () => {
  test('a VM locked by a backup: HTTP 200 with a UPID, the task fails "VM is locked (backup)"', async () => {
    const r = await call(sim, 'POST', '/nodes/pve2/qemu/103/snapshot', { form: { snapname: 'whileBackup' } });
    assert.equal(r.status, 200);
    const st = await waitTask(sim, r.json.data);
    assert.equal(st.exitstatus, 'VM is locked (backup)');
    assert.ok(!(await snapshots(sim, 'pve2', 103)).has('whileBackup'));
    assert.equal((await data(sim, 'GET', '/nodes/pve2/qemu/103/status/current')).lock, 'backup');
  });

  test('the task log ends with TASK ERROR', async () => {
    const upid = await data(sim, 'DELETE', '/nodes/pve2/qemu/103/snapshot/snap20261123T120000');
    await waitTask(sim, upid);
    const log = await call(sim, 'GET', `/nodes/pve2/tasks/${encodeURIComponent(upid)}/log`);
    assert.equal(log.json.data.at(-1).t, 'TASK ERROR: VM is locked (backup)');
    assert.equal(log.json.total, log.json.data.length);
  });
});

describe('names', () => {
  test('a 40-character name is accepted, 41 is a 400 with Proxmox texts', async () => {
    const n40 = `a${'b'.repeat(39)}`;
    const ok = await call(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: n40 } });
    assert.equal(ok.status, 200);
    assert.equal((await waitTask(sim, ok.json.data)).exitstatus, 'OK');
    const bad = await call(sim, 'POST', '/nodes/pve2/qemu/201/snapshot', { form: { snapname: `${n40}c` } });
    assert.equal(bad.status, 400);
    assert.equal(bad.statusText, 'Parameter verification failed.');
    assert.deepEqual(bad.json, { data: null, errors: { snapname: 'value may only be 40 characters long' }, message: 'Parameter verification failed.\n' });
  });

  test('format errors: too short, bad characters, leading digit', async () => {
    for (const name of ['a', 'a b', '1abc', 'snap.1', 'ünï']) {
      const r = await call(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: name } });
      assert.equal(r.status, 400, name);
      assert.equal(r.json.errors.snapname, `invalid format - invalid configuration ID '${name}'\n`);
    }
  });

  test('reserved names die synchronously: current (qemu+lxc), pending (qemu, any case), vzdump (lxc)', async () => {
    const cases = [
      ['/nodes/pve1/qemu/101/snapshot', 'current'],
      ['/nodes/pve2/lxc/202/snapshot', 'current'],
      ['/nodes/pve1/qemu/101/snapshot', 'PenDing'],
      ['/nodes/pve2/lxc/202/snapshot', 'vzdump'],
    ];
    for (const [path, name] of cases) {
      const r = await call(sim, 'POST', path, { form: { snapname: name } });
      assert.equal(r.status, 500, `${path} ${name}`);
      assert.equal(r.json.message, `unable to use snapshot name '${name.toLowerCase()}' (reserved name)\n`);
    }
    // Not reserved on the other guest type.
    const pendingCt = await call(sim, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'pending' } });
    assert.equal(pendingCt.status, 200);
    await waitTask(sim, pendingCt.json.data);
  });

  test('vmstate is not a parameter of lxc snapshots', async () => {
    const r = await call(sim, 'POST', '/nodes/pve2/lxc/202/snapshot', { form: { snapname: 'x1', vmstate: 1 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.errors.vmstate, 'property is not defined in schema and the schema does not allow additional properties');
  });

  test('booleans accept only 0/1 in form bodies', async () => {
    const r = await call(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'boolTest', vmstate: 'true' } });
    assert.equal(r.status, 400);
    assert.equal(r.json.errors.vmstate, "type check ('boolean') failed - got 'true'");
  });

  test('a percent-encoded slash is a path separator on Proxmox: encoding alone does not protect a bad name', async () => {
    // pve-http-server unescapes the whole path before routing.
    const del = await call(sim, 'DELETE', `/nodes/pve1/qemu/101/snapshot/${encodeURIComponent('../../qemu/102')}`);
    assert.equal(del.status, 501);
    assert.equal(del.json.message, "Method 'DELETE /nodes/pve1/qemu/101/snapshot/../../qemu/102' not implemented");
    const other = await call(sim, 'GET', `/nodes/pve1/qemu/101/snapshot/${encodeURIComponent('before-migration/config')}`);
    assert.equal(other.status, 200, 'a different request than the client meant');
    assert.equal(other.json.data.description, 'Taken by support');
  });
});

describe('rollback', () => {
  test('ZFS refuses rollback to a snapshot that is not the newest (task error)', async () => {
    const upid = await data(sim, 'POST', '/nodes/pve1/qemu/102/snapshot/snap20261121T080000/rollback');
    assert.equal((await waitTask(sim, upid)).exitstatus, "can't rollback, 'snap20261121T080000' is not most recent snapshot on 'local-zfs:vm-102-disk-0'");
  });

  test('rollback stops the VM; a RAM snapshot starts it again', async () => {
    sim.faults.set({ hangTasks: [101] });
    const upid = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot/snap20261124T090000/rollback');
    sim.faults.clear();
    const during = await data(sim, 'GET', '/nodes/pve1/qemu/101/status/current');
    assert.equal(during.status, 'stopped');
    assert.equal(during.lock, 'rollback');
    sim.finishTasks(101);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const after = await data(sim, 'GET', '/nodes/pve1/qemu/101/status/current');
    assert.equal(after.status, 'running');
    assert.equal(after.lock, undefined);
    assert.equal((await data(sim, 'GET', '/nodes/pve1/qemu/101/snapshot')).at(-1).parent, 'snap20261124T090000');
  });

  test('without RAM the VM stays stopped unless start=1', async () => {
    let upid = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot/before-migration/rollback');
    await waitTask(sim, upid);
    assert.equal((await data(sim, 'GET', '/nodes/pve1/qemu/101/status/current')).status, 'stopped');
    upid = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot/before-migration/rollback', { form: { start: 1 } });
    await waitTask(sim, upid);
    assert.equal((await data(sim, 'GET', '/nodes/pve1/qemu/101/status/current')).status, 'running');
  });

  test('unknown snapshot: task error', async () => {
    const upid = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot/nosuch/rollback');
    assert.equal((await waitTask(sim, upid)).exitstatus, "snapshot 'nosuch' does not exist");
  });
});

describe('delete', () => {
  test('delete marks snapstate delete + lock, then removes and re-points children', async () => {
    sim.addSnapshot(201, { name: 'chainA', ageSeconds: 300 });
    sim.addSnapshot(201, { name: 'chainB', ageSeconds: 200 });
    assert.equal(sim.vm(201).snapshots.find((s) => s.name === 'chainB')?.parent, 'chainA');
    sim.faults.set({ hangTasks: [201] });
    const upid = await data(sim, 'DELETE', '/nodes/pve2/qemu/201/snapshot/chainA');
    sim.faults.clear();
    assert.equal((await snapshots(sim, 'pve2', 201)).get('chainA')?.snapstate, 'delete');
    assert.equal((await data(sim, 'GET', '/nodes/pve2/qemu/201/status/current')).lock, 'snapshot-delete');
    sim.finishTasks(201);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const snaps = await snapshots(sim, 'pve2', 201);
    assert.ok(!snaps.has('chainA'));
    assert.equal(snaps.get('chainB')?.parent, sim.vm(201).snapshots.find((s) => s.name === 'chainB')?.parent);
    assert.notEqual(snaps.get('chainB')?.parent, 'chainA');
  });

  test('DELETE parameters go in the query; a body is 501 with no JSON', async () => {
    const r = await call(sim, 'DELETE', '/nodes/pve2/qemu/201/snapshot/chainB', { form: { force: 1 } });
    assert.equal(r.status, 501);
    assert.equal(r.statusText, "Unexpected content for method 'DELETE'");
    assert.equal(r.text, '');
    const ok = await call(sim, 'DELETE', '/nodes/pve2/qemu/201/snapshot/chainB', { query: { force: 1 } });
    assert.equal(ok.status, 200);
    await waitTask(sim, ok.json.data);
  });
});

describe('auth and permissions', () => {
  test('wrong or missing token: 401 without JSON body', async () => {
    for (const token of ['root@pam!panel=WRONG', 'root@pam!other=SECRET', null]) {
      const r = await call(sim, 'GET', '/nodes/pve1/qemu/101/snapshot', { token });
      assert.equal(r.status, 401, String(token));
      assert.equal(r.text, '');
    }
  });

  test('missing privilege: 403 with Proxmox text', async () => {
    const ro = await startSimulator({ tokens: [{ id: 'root@pam!ro', secret: 'S', privileges: ['VM.Audit'] }], taskDurationMs: 10 });
    try {
      const r = await call(ro, 'POST', '/nodes/pve1/qemu/101/snapshot', { token: 'root@pam!ro=S', form: { snapname: 'nope' } });
      assert.equal(r.status, 403);
      assert.equal(r.json.message, 'Permission check failed (/vms/101, VM.Snapshot)\n');
      const rb = await call(ro, 'POST', '/nodes/pve1/qemu/101/snapshot/before-migration/rollback', { token: 'root@pam!ro=S' });
      assert.equal(rb.json.message, 'Permission check failed (/vms/101, VM.Snapshot|VM.Snapshot.Rollback)\n');
      assert.equal((await call(ro, 'GET', '/nodes/pve1/qemu/101/snapshot', { token: 'root@pam!ro=S' })).status, 200);
    } finally {
      await ro.close();
    }
  });
});

describe('errors', () => {
  test('a VM asked for on the wrong node: 500 config file does not exist', async () => {
    const r = await call(sim, 'GET', '/nodes/pve2/qemu/101/status/current');
    assert.equal(r.status, 500);
    assert.deepEqual(r.json, { data: null, message: "Configuration file 'nodes/pve2/qemu-server/101.conf' does not exist\n" });
  });

  test('after a migration the old node fails and the new one answers', async () => {
    sim.migrate(201, 'pve1');
    try {
      assert.equal((await call(sim, 'GET', '/nodes/pve2/qemu/201/snapshot')).status, 500);
      assert.equal((await call(sim, 'GET', '/nodes/pve1/qemu/201/snapshot')).status, 200);
      const res = await data(sim, 'GET', '/cluster/resources', { query: { type: 'vm' } });
      assert.equal(res.find((/** @type {PveEntry} */ e) => e.vmid === 201).node, 'pve1');
    } finally {
      sim.migrate(201, 'pve2');
    }
  });

  test('parameter error shape for several bad parameters at once', async () => {
    const r = await call(sim, 'GET', '/nodes/pve1/qemu/99/snapshot', { query: { extra: 1 } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, {
      data: null,
      errors: { vmid: 'invalid format - value does not look like a valid VM ID\n', extra: 'property is not defined in schema and the schema does not allow additional properties' },
      message: 'Parameter verification failed.\n',
    });
  });

  test('unknown path or method: 501; OPTIONS: 501 and no CORS headers', async () => {
    const r = await call(sim, 'GET', '/nodes/pve1/bogus');
    assert.equal(r.status, 501);
    assert.equal(r.json.message, "Method 'GET /nodes/pve1/bogus' not implemented");
    const put = await call(sim, 'PUT', '/nodes/pve1/qemu/101/snapshot');
    assert.equal(put.status, 501);
    const opt = await call(sim, 'OPTIONS', '/nodes/pve1/qemu/101/snapshot', { headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST' } });
    assert.equal(opt.status, 501);
    assert.equal(opt.headers.get('access-control-allow-origin'), null);
  });
});

describe('tasks', () => {
  test('malformed and unknown UPIDs are 400 with errors.upid', async () => {
    const bad = await call(sim, 'GET', '/nodes/pve1/tasks/notaupid/status');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.errors, { upid: 'unable to parse worker upid' });
    const unknown = 'UPID:pve1:00001234:00ABCDEF:6925A000:qmsnapshot:101:root@pam!panel:';
    const r = await call(sim, 'GET', `/nodes/pve1/tasks/${encodeURIComponent(unknown)}/status`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.errors, { upid: 'no such task' });
  });

  test('a task is only known on the node that ran it', async () => {
    const upid = await data(sim, 'POST', '/nodes/pve1/qemu/101/snapshot', { form: { snapname: 'nodeCheck' } });
    const r = await call(sim, 'GET', `/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.errors, { upid: 'no such task' });
    await waitTask(sim, upid);
  });
});

describe('status and resources', () => {
  test('status/current has the Proxmox fields', async () => {
    const s = await data(sim, 'GET', '/nodes/pve2/qemu/103/status/current');
    assert.equal(s.status, 'running');
    assert.equal(s.vmid, 103);
    assert.equal(s.name, 'mail-alice');
    assert.equal(s.lock, 'backup');
    assert.equal(s.qmpstatus, 'running');
    assert.equal(typeof s.uptime, 'number');
    assert.equal(s.template, undefined);
  });

  test('cluster/resources?type=vm lists every guest once', async () => {
    const res = await data(sim, 'GET', '/cluster/resources', { query: { type: 'vm' } });
    assert.deepEqual(res.map((/** @type {PveEntry} */ e) => e.id).sort(), ['lxc/202', 'qemu/101', 'qemu/102', 'qemu/103', 'qemu/201']);
    const ct = res.find((/** @type {PveEntry} */ e) => e.vmid === 202);
    assert.equal(ct.type, 'lxc');
    assert.equal(ct.template, 0);
    assert.equal(res.find((/** @type {PveEntry} */ e) => e.vmid === 103).lock, 'backup');
    assert.equal(res.find((/** @type {PveEntry} */ e) => e.vmid === 101).lock, undefined);
  });
});
