// Tenant isolation of the panel server: a generated list of cross-customer
// attempts by a signed-in customer (alice) against another customer's (bob's)
// services, VMs, snapshots and tasks, through every route and parameter
// position, with path tricks and JSON bodies that try to redirect an action.
// Each attempt must be refused, cause zero Proxmox writes and read nothing of
// bob's VMs (judged from the simulator's request log), and the answers for
// bob's ids must be indistinguishable from ids that do not exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, leakedInReplies } from './server-harness.mjs';
import { attemptLog, tryAttempt, assertAllRefused, attemptSummary } from './helpers/drill-attempts.mjs';

/** @typedef {import('./helpers/drill-attempts.mjs').Attempt} Attempt */

const ALICE_VMIDS = [101, 102, 103];
const BOB_VMIDS = [201, 202];
const ALICE_SERVICES = ['svc-101', 'svc-102', 'svc-103'];
const BOB_SERVICES = ['svc-201', 'svc-202'];
const BOB_SNAPSHOT = 'snap20261125T010000'; // exists only on bob's vm 201 (demo seed)

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('./server-harness.mjs').Browser} */
let alice;
/** @type {import('./server-harness.mjs').Browser} */
let bob;
/** bob's task (opaque id), its snapshot name and its Proxmox UPID */
let bobTask = { id: '', name: '', upid: '' };
const log = attemptLog();

before(async () => {
  stack = await startStack({ limits: { actions: 100_000 }, taskDurationMs: 50 });
  alice = await stack.browser('alice');
  bob = await stack.browser('bob');
  const r = await bob.send('POST', '/api/services/svc-201/snapshots', { json: { description: 'bob only' } });
  assert.equal(r.status, 202, r.text);
  bobTask = { id: r.json.task.id, name: r.json.task.name, upid: '' };
  assert.equal((await bob.waitTask('svc-201', bobTask.id)).json.task.state, 'ok');
  bobTask.upid = stack.sim.tasks().find((t) => t.vmid === 201 && t.type === 'qmsnapshot')?.upid ?? '';
  assert.match(bobTask.upid, /^UPID:/);
  // Nothing of bob's may still be followed in the background while alice attacks.
  await stack.sim.idle();
});
after(async () => {
  await stack?.close();
});

/** Every route with a service id in it, for service id `id`. @param {string} id @param {string} [name] @param {string} [task] @returns {Attempt[]} */
function everyRoute(id, name = BOB_SNAPSHOT, task = 't-x') {
  return [
    { label: 'read', method: 'GET', path: `/api/services/${id}/snapshots` },
    { label: 'create', method: 'POST', path: `/api/services/${id}/snapshots`, json: {} },
    { label: 'remove', method: 'DELETE', path: `/api/services/${id}/snapshots/${name}` },
    { label: 'rollback', method: 'POST', path: `/api/services/${id}/snapshots/${name}/rollback`, json: {} },
    { label: 'task', method: 'GET', path: `/api/services/${id}/tasks/${task}` },
  ];
}

/** Service ids that name bob's services or guess at them. */
const FOREIGN_SERVICE_IDS = [
  ...BOB_SERVICES, 'SVC-201', 'Svc-201', '%73vc-201', 'svc%2D201', 'svc-201%00', 'svc-201%20', '%20svc-201', 'svc-201.', 'svc-201..',
  'svc-201%2e', 'svc-0201', 'svc-201%0a', 'svc-201;', 'svc-201%3B', 'svc-201%2Fsnapshots',
  // Unicode look-alikes of bob's and of alice's own ids (Cyrillic s, fullwidth digits, non-ASCII hyphens).
  '%D1%95vc-201', '%D1%95vc-101', 'svc-%EF%BC%92%EF%BC%90%EF%BC%91', 'svc%E2%80%90201', 'svc%E2%80%91101', 'svc-101%E2%80%8B',
  // Guessed vmids and paths in the service-id position.
  '201', '202', '101', 'qemu%2F201', 'lxc%2F202', 'pve2%2Fqemu%2F201', '..%2Fsvc-201', '%2e%2e%2Fsvc-201',
  // Overlong and odd ids.
  `svc-${'2'.repeat(300)}`, `svc-201${'%00'.repeat(50)}`, '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', '*', '%2A', '-1', '0',
];

/**
 * Builds the whole list; each entry carries the actor.
 * @returns {{actor: 'alice'|'bob', a: Attempt, oracle?: Attempt}[]}
 */
function attempts() {
  /** @type {{actor: 'alice'|'bob', a: Attempt, oracle?: Attempt}[]} */
  const list = [];
  const add = (/** @type {Attempt} */ a, actor = /** @type {'alice'|'bob'} */ ('alice')) => list.push({ actor, a });

  // 1. Other customers' service ids and guesses, through every route. For
  // the real ones the answer must equal the answer for an id that does not exist.
  for (const id of FOREIGN_SERVICE_IDS) {
    for (const a of everyRoute(id)) {
      const entry = { actor: /** @type {const} */ ('alice'), a: { ...a, label: `service id ${id} ${a.label}`, status: [404, 400] } };
      if (BOB_SERVICES.includes(id)) Object.assign(entry, { oracle: everyRoute('svc-999').find((o) => o.label === a.label) });
      list.push(entry);
    }
  }

  // 2. Snapshot names that exist only on bob's VM, and guessed vmids or
  // paths in the name position, under each of alice's own services.
  const foreignNames = [BOB_SNAPSHOT, bobTask.name, '201', `..%2F..%2F201%2Fsnapshot%2F${BOB_SNAPSHOT}`, `${BOB_SNAPSHOT}%2F..%2F..%2F..%2F201`,
    `%2e%2e%2f201%2fsnapshot%2f${BOB_SNAPSHOT}`, `${BOB_SNAPSHOT}.`, `${BOB_SNAPSHOT}%2e`, `${BOB_SNAPSHOT}%00`, `${BOB_SNAPSHOT}%3Fvmid%3D201`,
    `${BOB_SNAPSHOT.replace('s', '%D1%95')}`, `${BOB_SNAPSHOT}%E2%80%8B`, `snap20261125T01000%EF%BC%90`, `${'a'.repeat(300)}`];
  for (const svc of ALICE_SERVICES) {
    for (const name of foreignNames) {
      add({ label: `bob's name ${name} remove`, method: 'DELETE', path: `/api/services/${svc}/snapshots/${name}`, status: [404, 400, 409] });
      add({ label: `bob's name ${name} rollback`, method: 'POST', path: `/api/services/${svc}/snapshots/${name}/rollback`, json: {}, status: [404, 400, 409] });
    }
    // Query strings that name bob's VM, node or service: the server must not read them.
    for (const q of ['vmid=201', 'node=pve2&vmid=201', 'serviceId=svc-201', 'id=svc-201', 'vmid=201&type=qemu&node=pve2&snapname=x', 'target=%7B%22vmid%22%3A201%7D']) {
      add({ label: `query ${q} remove`, method: 'DELETE', path: `/api/services/${svc}/snapshots/${BOB_SNAPSHOT}?${q}`, status: [404] });
      add({ label: `query ${q} rollback`, method: 'POST', path: `/api/services/${svc}/snapshots/${BOB_SNAPSHOT}/rollback?${q}`, json: {}, status: [404] });
    }
  }

  // 3. JSON bodies with extra fields that try to redirect an action.
  const redirects = [{ vmid: 201 }, { vmid: '201' }, { node: 'pve2' }, { serviceId: 'svc-201' }, { service: 'svc-201' }, { id: 'svc-201' },
    { type: 'lxc' }, { snapname: BOB_SNAPSHOT }, { name: BOB_SNAPSHOT }, { target: { node: 'pve2', vmid: 201 } }, { path: '/nodes/pve2/qemu/201/snapshot' },
    { customer: 'bob' }, { username: 'bob' }, { vmid: 201, node: 'pve2', serviceId: 'svc-201' }];
  for (const svc of ALICE_SERVICES) {
    for (const extra of redirects) {
      const tag = JSON.stringify(extra);
      add({ label: `create body ${tag}`, method: 'POST', path: `/api/services/${svc}/snapshots`, json: { description: 'x', ...extra }, status: [400], codes: ['INVALID_INPUT'] });
      add({ label: `rollback body ${tag}`, method: 'POST', path: `/api/services/${svc}/snapshots/${BOB_SNAPSHOT}/rollback`, json: { start: false, ...extra }, status: [400], codes: ['INVALID_INPUT'] });
      add({ label: `remove body ${tag}`, method: 'DELETE', path: `/api/services/${svc}/snapshots/${BOB_SNAPSHOT}`, json: extra, status: [400], codes: ['INVALID_INPUT'] });
    }
    // Prototype keys and a duplicate key whose last value is bob's.
    for (const body of ['{"__proto__": {"vmid": 201}}', '{"constructor": {"prototype": {"vmid": 201}}}', '{"description": "x", "vmid": 101, "vmid": 201}']) {
      add({ label: `create raw body ${body}`, method: 'POST', path: `/api/services/${svc}/snapshots`, body, headers: { 'Content-Type': 'application/json' }, status: [400] });
    }
  }

  // 4. Path tricks around the routes (dot segments raw and encoded, double
  // slashes, encoded slashes and backslashes, trailing dots and slashes).
  const tricks = [
    '/api/services/svc-101/../svc-201/snapshots', '/api/services/svc-101/%2e%2e/svc-201/snapshots', '/api/services/svc-101/%2E%2E/svc-201/snapshots',
    '/api/services/svc-101%2F..%2Fsvc-201/snapshots', '/api/services/svc-101%2f%2e%2e%2fsvc-201/snapshots', '/api/services//svc-201/snapshots',
    '/api//services/svc-201/snapshots', '//api/services/svc-201/snapshots', '/api/./services/svc-201/snapshots', '/api/services/./svc-201/snapshots',
    '/api/services/svc-201/snapshots/', '/api/services/svc-201/./snapshots', '/api/services/svc-201/snapshots/.', '/api/services/svc-201%2Fsnapshots',
    '/api/services/svc-101%5C..%5Csvc-201/snapshots', '/api/services/svc-101/snapshots/..%5C..%5Csvc-201', '/api/services/svc-101/snapshots/%2e%2e%2f%2e%2e%2fsvc-201',
    '/api/services/svc-201;jsessionid=x/snapshots', '/api/services/svc-201./snapshots', '/api/services/svc-201%2e/snapshots', '/api%2Fservices%2Fsvc-201%2Fsnapshots',
    '/API/services/svc-201/snapshots', '/api/Services/svc-201/snapshots', '/api/services/svc-101/snapshots/../../svc-201/snapshots',
    '/api/services/svc-101/snapshots/x/../../../svc-201/snapshots', '/panel/../api/services/svc-201/snapshots', '/pkg/..%2F..%2Fapi/services/svc-201/snapshots',
    '/api/services/svc-201/snapshots%00', '/api/services/svc-201/snapshots%23', '/api/services/svc-201/tasks/../snapshots',
  ];
  for (const path of tricks) {
    for (const method of ['GET', 'POST', 'DELETE']) {
      add({ label: 'path trick', method, path, json: method === 'POST' ? {} : undefined, status: [404, 405, 400] });
    }
  }
  // A path trick that would only reach alice's own data must not work either (no normalisation at all).
  for (const path of ['/api/services/svc-201/../svc-101/snapshots', '/api/services/svc-101/snapshots/../snapshots', '/api/services/svc-101/./snapshots']) {
    add({ label: 'dot segments to own data', method: 'GET', path, status: [404] });
  }

  // 5. Replayed task ids: bob's opaque id and his raw UPID, under every service; alice's own id under another of her services.
  const replays = [bobTask.id, encodeURIComponent(bobTask.upid), bobTask.upid.replaceAll(':', '%3A'), `${bobTask.id}.`, `${bobTask.id}%00`, bobTask.id.toUpperCase(),
    bobTask.id.slice(0, -1), `${bobTask.id}x`, 't-', 't-%2E%2E', '201', 'qemu%2F201', `UPID%3Apve2%3A00001234%3A00000001%3A00000000%3Aqmsnapshot%3A201%3Aroot%40pam!panel%3A`];
  for (const svc of [...ALICE_SERVICES, ...BOB_SERVICES, 'svc-999']) {
    for (const id of replays) add({ label: `replayed task id ${id.slice(0, 24)}`, method: 'GET', path: `/api/services/${svc}/tasks/${id}`, status: [404] });
  }
  add({ label: 'own task id under own other service', method: 'GET', path: `/api/services/svc-202/tasks/${bobTask.id}`, status: [404] }, 'bob');

  // 6. Methods a route does not allow, on own and foreign services.
  for (const svc of ['svc-101', 'svc-201']) {
    for (const [method, path] of [
      ['PUT', `/api/services/${svc}/snapshots`], ['PATCH', `/api/services/${svc}/snapshots`], ['DELETE', `/api/services/${svc}/snapshots`],
      ['PUT', `/api/services/${svc}/snapshots/${BOB_SNAPSHOT}`], ['PATCH', `/api/services/${svc}/snapshots/${BOB_SNAPSHOT}`], ['POST', `/api/services/${svc}/snapshots/${BOB_SNAPSHOT}`],
      ['GET', `/api/services/${svc}/snapshots/${BOB_SNAPSHOT}/rollback`], ['PUT', `/api/services/${svc}/snapshots/${BOB_SNAPSHOT}/rollback`],
      ['DELETE', `/api/services/${svc}/tasks/t-x`], ['POST', `/api/services/${svc}/tasks/t-x`], ['OPTIONS', `/api/services/${svc}/snapshots`],
      ['TRACE', `/api/services/${svc}/snapshots`], ['PROPFIND', `/api/services/${svc}/snapshots`], ['POST', '/api/services'], ['DELETE', '/api/session'],
      ['PUT', '/'], ['POST', '/panel/app.mjs'], ['DELETE', '/pkg/pve_snapshots_bg.wasm'],
    ]) {
      add({ label: 'method not allowed', method, path, json: ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined, status: [405, 404] });
    }
  }
  return list;
}

test('cross-customer attempts: every one refused, zero Proxmox writes, nothing of the other customer read', async () => {
  const list = attempts();
  let oracles = 0;
  for (const { actor, a, oracle } of list) {
    const who = actor === 'alice' ? alice : bob;
    const r = await tryAttempt(stack, who, actor === 'alice' ? ALICE_VMIDS : BOB_VMIDS, a, log);
    if (oracle) {
      const o = await who.send(oracle.method, oracle.path, { json: oracle.json });
      oracles += 1;
      assert.equal(r.status, o.status, `${a.path}: bob's service answers differently from a missing one`);
      assert.deepEqual(r.json, o.json, `${a.path}: bob's service answers differently from a missing one`);
    }
  }
  console.log(attemptSummary(log, 'cross-customer'));
  assert.ok(log.attempts >= 500, `a real list (${log.attempts})`);
  assert.ok(oracles >= 10);
  assertAllRefused(log, 'cross-customer');
  // Bob's data is intact and alice can still work on her own VM (the refusals broke nothing).
  const mine = await alice.send('GET', '/api/services/svc-101/snapshots');
  assert.equal(mine.status, 200);
  const bobs = stack.sim.vm(201).snapshots.map((s) => s.name);
  assert.ok(bobs.includes(BOB_SNAPSHOT) && bobs.includes(bobTask.name), `bob's snapshots: ${bobs}`);
  assert.ok(!stack.sim.requests.some((q) => q.method !== 'GET' && BOB_VMIDS.some((v) => q.path.includes(`/${v}/`)) && /** @type {any} */ (q.body)?.description !== 'bob only'),
    'no write ever reached bob\'s VMs except his own create');
});

test('the token secret, token id and UPIDs appear in no response of this suite', () => {
  assert.ok(stack.replies.length > 500);
  assert.deepEqual(leakedInReplies(stack.replies, stack.secret), []);
});
