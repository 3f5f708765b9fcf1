// Odd input never crashes the simulator: a seeded stream of malformed paths,
// parameters and bodies only ever gets Proxmox-shaped answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator } from '../simulator/index.mjs';
import { createRandom } from '../simulator/random.mjs';
import { call } from './helpers/sim-client.mjs';

/** @type {import('../simulator/index.mjs').Simulator} */
let sim;
before(async () => {
  sim = await startSimulator({ taskDurationMs: 5 });
});
after(async () => {
  await sim?.close();
});

const SEGMENTS = ['nodes', 'pve1', 'pve2', 'pve9', 'qemu', 'lxc', '101', '202', '0', '-1', '1e3', 'snapshot', 'before-migration', 'current', 'config',
  'rollback', 'status', 'tasks', 'log', 'feature', 'time', 'cluster', 'resources', '%2F', '%00', '%ZZ', '..', 'UPID:pve1:00000001:00000001:00000001:x:1:root@pam!panel:', '\u00e9', ''];
const TEMPLATES = [['GET', '/nodes/{node}/qemu/{vmid}/snapshot'], ['POST', '/nodes/{node}/qemu/{vmid}/snapshot'], ['GET', '/nodes/{node}/lxc/{vmid}/snapshot'],
  ['DELETE', '/nodes/{node}/qemu/{vmid}/snapshot/{snap}'], ['POST', '/nodes/{node}/qemu/{vmid}/snapshot/{snap}/rollback'], ['GET', '/nodes/{node}/lxc/{vmid}/snapshot/{snap}/config'],
  ['GET', '/nodes/{node}/qemu/{vmid}/status/current'], ['GET', '/nodes/{node}/tasks/{upid}/status'], ['GET', '/nodes/{node}/tasks/{upid}/log'], ['GET', '/nodes/{node}/tasks'],
  ['GET', '/nodes/{node}/time'], ['GET', '/cluster/resources'], ['GET', '/nodes/{node}/qemu/{vmid}/feature'], ['PUT', '/nodes/{node}/qemu/{vmid}/snapshot/{snap}/config']];
/** @type {Record<string, string[]>} */
const GOOD = { node: ['pve1', 'pve2'], vmid: ['101', '102', '103', '201', '202'], snap: ['before-migration', 'snap20261124T090000', 'snap20261125T010000', 'nosuch'],
  upid: ['UPID:pve1:00000001:00000001:00000001:qmsnapshot:101:root@pam!panel:'] };
const VALUES = ['', '0', '1', 'true', 'a', 'ab', 'x'.repeat(41), '101', '-5', '1.5', '%', '\u0000', 'snap20261125T120000', 'a\nb', '[]', '{}'];
const KEYS = ['snapname', 'vmstate', 'description', 'start', 'force', 'vmid', 'node', 'feature', 'limit', 'start', 'type', '_dc', 'bogus'];

test('300 random requests get only Proxmox-shaped answers', async () => {
  const rnd = createRandom('robust');
  /** @type {<T>(list: readonly T[]) => T} */
  const pick = (list) => list[rnd.int(list.length)];
  const seen = new Map();
  for (let i = 0; i < 300; i++) {
    // Mostly real route shapes with odd values in them, sometimes pure noise.
    const [routeMethod, template] = pick(TEMPLATES);
    const path = rnd.next() < 0.85
      ? template.replace(/\{(\w+)\}/g, (_, /** @type {string} */ k) => (rnd.next() < 0.8 ? pick(GOOD[k]) : encodeURIComponent(pick(SEGMENTS))))
      : `/${Array.from({ length: 1 + rnd.int(8) }, () => pick(SEGMENTS)).join('/')}`;
    const method = rnd.next() < 0.85 ? routeMethod : pick(['GET', 'POST', 'PUT', 'DELETE']);
    const params = Object.fromEntries(Array.from({ length: rnd.next() < 0.4 ? 0 : rnd.int(4) }, () => [pick(KEYS), pick(VALUES)]));
    const asJson = rnd.next() < 0.3;
    const opts = method === 'GET' || method === 'DELETE' ? { query: params } : asJson ? { json: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, rnd.next() < 0.5 ? v : rnd.int(3) === 0 ? true : Number(v) || [v]])) } : { form: params };
    let r;
    try {
      r = await call(sim, method, path, opts);
    } catch (err) {
      assert.fail(`${method} ${path} ${JSON.stringify(opts)}: ${/** @type {Error} */ (err).message}`);
    }
    seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
    assert.ok([200, 400, 403, 500, 501].includes(r.status), `${method} ${path} -> ${r.status} ${r.text}`);
    if (r.text) {
      assert.ok('data' in r.json, `${method} ${path}: envelope ${r.text}`);
      if (r.status !== 200) assert.equal(typeof r.json.message, 'string');
      assert.ok(!String(r.json.message ?? '').startsWith('simulator internal error'), `${method} ${path} ${JSON.stringify(opts)} -> ${r.text}`);
    }
  }
  await sim.idle();
  assert.ok(seen.size >= 4 && (seen.get(200) ?? 0) >= 20, `a spread of answers: ${JSON.stringify([...seen])}`);
  // Still healthy afterwards.
  assert.equal((await call(sim, 'GET', '/nodes/pve1/qemu/101/status/current')).status, 200);
});
