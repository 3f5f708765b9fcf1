// The boundary reads an argument one of three ways: guest data through the
// packed lane (src/packed.rs: only the fields the rules read, from plain
// objects), anything else as JSON text, and what JSON would not carry
// faithfully by a field-by-field walk. All must read the same data the same
// way. An object that is not plain (another prototype, same own fields)
// makes the packed lane give up; adding a NaN in an ignored extra field
// forces the walk. So for random Proxmox-shaped input f(x), f(unplain(x))
// and f(unplain(x) + {zzz: NaN}) must give the same result or coded error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { core, assertAlive, NOW, S, DAY } from './hostile-harness.mjs';

let cases = 0;
after(() => console.log(`hostile-paths: ${cases} cases`));

/** mulberry32: a small deterministic PRNG, so a failure names its seed. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  return { next, int, pick };
}

const TEXT = ['', 'Before upgrade', 'quote " and backslash \\', 'line\nbreak\ttab', '\u2028\u2029', 'emoji 😀', 'é', '<b>x</b>', 'null', '\u0001', 'a\r\nb', '%2F..', '{"json":1}'];

/** Random text from the characters that break naive readers, lone surrogates included. */
function text(r) {
  const alphabet = ['a', 'Z', '0', '-', '_', '/', '.', '%', ' ', '\t', '\n', '\r', '\0', '\u001b', '\u007f', '\u0085', '"', '\\', 'é', '😀', '\ud800', '\udc00', '\u2028', '\ufeff'];
  let out = '';
  for (let i = r.int(12); i > 0; i--) out += r.pick(alphabet);
  return out;
}

function generate(r) {
  const prefix = r.pick(['snap', 'auto-', 'x']);
  const stamp = () => new Date((S - r.int(20 * DAY)) * 1000).toISOString().replace(/[-:]/g, '').slice(0, 15);
  const name = () => r.pick([
    () => `${prefix}${stamp()}`,
    () => `${prefix}${stamp()}-${2 + r.int(120)}`,
    () => `snap${stamp()}`,
    () => r.pick(['before-upgrade', 'vzdump', 'current', 'pending', 'a', '../x', 'Snap20261125T000000']),
    () => text(r),
  ])();
  const number = () => r.pick([0, 1, -1, 0.5, 2 ** 53 - 1, 2 ** 53, 1e21, S, S - r.int(30 * DAY), NOW, 253402300799, -0]);
  const snapshots = [];
  const n = r.int(8);
  for (let i = 0; i < n; i++) {
    const s = { name: name() };
    if (r.next() < 0.9) s.snaptime = r.next() < 0.8 ? S - r.int(20 * DAY) : number();
    if (r.next() < 0.5) s.description = r.next() < 0.7 ? r.pick(TEXT) : text(r);
    if (r.next() < 0.4) s.vmstate = r.pick([0, 1, '0', '1', true, false, 'yes', 2]);
    if (r.next() < 0.1) s.snapstate = r.pick(['prepare', 'delete', '']);
    if (r.next() < 0.3) s.parent = name();
    if (r.next() < 0.1) s.extra = { deep: [1, 'x', null, { y: true }] };
    snapshots.push(s);
  }
  if (r.next() < 0.8) snapshots.push({ name: 'current', description: 'You are here!', running: 1 });
  const vmStatus = { status: r.pick(['running', 'stopped', 'paused']) };
  if (r.next() < 0.2) vmStatus.lock = r.pick(['backup', 'snapshot', 'migrate', '', text(r)]);
  if (r.next() < 0.1) vmStatus.template = r.pick([0, 1, '1']);
  const policy = { maxSnapshots: r.pick([0, 1, 3, 10, 100]), lifetimeDays: r.pick([1, 3, 10]) };
  if (r.next() < 0.5) policy.namePrefix = r.next() < 0.9 ? prefix : text(r);
  if (r.next() < 0.3) policy.rollbackLatestOnly = r.pick([true, false]);
  if (r.next() < 0.3) policy.includeRam = r.pick([true, false]);
  if (r.next() < 0.05) policy.maxSnapshots = number();
  const target = { node: r.pick(['pve1', 'pve-2', 'a'.repeat(63), text(r)]), vmid: r.pick([100, 101, 999999999]), type: r.pick(['qemu', 'lxc', undefined]) };
  const options = r.pick([undefined, {}, { description: r.next() < 0.5 ? r.pick(TEXT) : text(r), includeRam: r.pick([true, false, undefined]) }, { start: r.pick([true, false]) }]);
  const nowMs = r.pick([NOW, NOW + r.int(20 * DAY * 1000), 0]);
  const status = r.pick([{ status: 'running' }, { status: 'stopped', exitstatus: r.pick(['OK', 'WARNINGS: 2', 'VM is locked (backup)', ' OK ', '', text(r)]) }, { status: 'stopped' }]);
  const pickName = snapshots.length && r.next() < 0.8 ? r.pick(snapshots).name : name();
  return { policy, target, vmStatus, snapshots, options, nowMs, status, name: pickName };
}

const NOT_PLAIN = Object.create(Object.prototype);
/** The same own fields in objects that are not plain, plus `extra`. */
const copy = (extra) => function f(o) {
  if (Array.isArray(o)) return o.map(f);
  if (o === null || typeof o !== 'object') return o;
  const c = Object.create(NOT_PLAIN);
  for (const [k, v] of Object.entries(o)) c[k] = f(v);
  return Object.assign(c, extra);
};
/** The same data where the packed lane gives up, so JSON carries it. */
const json = copy({});
/** The same data with something JSON cannot carry, so the walk reads it. */
const walk = copy({ zzz: NaN });

function outcome(fn, args) {
  try {
    return { ok: fn(...args) };
  } catch (e) {
    return { error: { name: e.name, code: e.code, message: e.message, details: e.details } };
  }
}

const CALLS = {
  validatePolicy: (d) => [d.policy],
  snapshotPage: (d) => [d.policy, d.vmStatus, d.snapshots, d.nowMs],
  planCreate: (d) => [d.target, d.policy, d.vmStatus, d.snapshots, d.options, d.nowMs],
  planRollback: (d) => [d.target, d.policy, d.vmStatus, d.snapshots, d.name, d.options],
  planRemove: (d) => [d.target, d.policy, d.vmStatus, d.snapshots, d.name],
  planExpiry: (d) => [d.target, d.policy, d.vmStatus, d.snapshots, d.nowMs],
  planExpiryBatch: (d) => [d.policy, [{ target: d.target, vmStatus: d.vmStatus, snapshots: d.snapshots }], d.nowMs],
  listSnapshotsRequest: (d) => [d.target],
  taskOutcome: (d) => [d.status],
  remainingLifetime: (d) => [d.policy, d.snapshots[0]?.snaptime ?? 0, d.nowMs],
};

test('the packed lane, the JSON lane and the exact walk read random Proxmox-shaped input alike', () => {
  // JSON cannot carry NaN, so every accepted call with it went through the walk.
  let walked = 0;
  for (let seed = 1; seed <= 600; seed++) {
    const data = generate(rng(seed));
    for (const [fnName, build] of Object.entries(CALLS)) {
      const fast = outcome(core[fnName], build(data));
      const viaJson = outcome(core[fnName], build(data).map(json));
      const slow = outcome(core[fnName], build(data).map(walk));
      cases += 2;
      const label = `${fnName}, seed ${seed}: ${JSON.stringify(build(data)).slice(0, 400)}`;
      assert.deepStrictEqual(viaJson, fast, `JSON lane, ${label}`);
      assert.deepStrictEqual(slow, fast, `walk, ${label}`);
      if (slow.ok) walked++;
      if (fast.error) assert.equal(fast.error.name, 'SnapshotError', `${fnName}, seed ${seed}: ${fast.error.message}`);
    }
  }
  assert.ok(walked > 1500, `only ${walked} calls were read by the walk`);
  assertAlive();
});
