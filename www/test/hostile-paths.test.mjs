// Random Proxmox-shaped input through the one way arguments enter the core
// (each argument copied into plain data, then read into its typed struct).
// For every call:
// - the outcome is a result or a SnapshotError with a listed code, a short,
//   well-formed message naming a field, never a trap or the host's exception;
// - a result is JSON-shaped: what JSON.parse would build, null never undefined;
// - the same data as transparent proxies, as class instances, or after a JSON
//   round trip gives the same result or the same error;
// - a NaN in a field no rule reads turns an accepted call into a refusal
//   naming that field, since what JSON cannot carry is refused anywhere.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { core, assertAlive, assertCoded, codeFor, CODES, NOW, S, DAY } from './hostile-harness.mjs';

/**
 * mulberry32: a small deterministic PRNG, so a failure names its seed.
 * @param {number} seed
 */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** @param {number} n */
  const int = (n) => Math.floor(next() * n);
  /** @template T @param {T[]} list @returns {T} */
  const pick = (list) => list[int(list.length)];
  return { next, int, pick };
}

const TEXT = ['', 'Before upgrade', 'quote " and backslash \\', 'line\nbreak\ttab', '\u2028\u2029', 'emoji 😀', 'é', '<b>x</b>', 'null', '\u0001', 'a\r\nb', '%2F..', '{"json":1}'];

/** @typedef {ReturnType<typeof rng>} Rng */

/**
 * Random text from the characters that break naive readers, lone surrogates included.
 * @param {Rng} r
 */
function text(r) {
  const alphabet = ['a', 'Z', '0', '-', '_', '/', '.', '%', ' ', '\t', '\n', '\r', '\0', '\u001b', '\u007f', '\u0085', '"', '\\', 'é', '😀', '\ud800', '\udc00', '\u2028', '\ufeff'];
  let out = '';
  for (let i = r.int(12); i > 0; i--) out += r.pick(alphabet);
  return out;
}

/**
 * One VM's data, as Proxmox and the host would hand it over.
 * @param {Rng} r
 */
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
  /** @type {Record<string, unknown>[]} */
  const snapshots = [];
  const n = r.int(8);
  for (let i = 0; i < n; i++) {
    /** @type {Record<string, unknown>} */
    const s = { name: name() };
    // Proxmox's Perl encoder sometimes writes an integer as a string of digits.
    if (r.next() < 0.9) s.snaptime = r.next() < 0.8 ? S - r.int(20 * DAY) : r.next() < 0.5 ? String(S - r.int(20 * DAY)) : number();
    if (r.next() < 0.5) s.description = r.next() < 0.7 ? r.pick(TEXT) : text(r);
    if (r.next() < 0.4) s.vmstate = r.pick([0, 1, '0', '1', true, false, 'yes', 2]);
    if (r.next() < 0.1) s.snapstate = r.pick(['prepare', 'delete', '']);
    if (r.next() < 0.3) s.parent = r.next() < 0.8 ? name() : r.pick([null, 5, { x: [1, 'y'] }, text(r)]);
    if (r.next() < 0.1) s.extra = { deep: [1, 'x', null, { y: true }] };
    snapshots.push(s);
  }
  if (r.next() < 0.8) snapshots.push({ name: 'current', description: 'You are here!', running: 1 });
  /** @type {Record<string, unknown>} */
  const vmStatus = { status: r.pick(['running', 'stopped', 'paused']) };
  if (r.next() < 0.2) vmStatus.lock = r.pick(['backup', 'snapshot', 'migrate', 'suspended', '', text(r)]);
  if (r.next() < 0.1) vmStatus.template = r.pick([0, 1, '1', 'yes', '']);
  if (r.next() < 0.3) vmStatus.uptime = r.pick([0, 86400, '86400']);
  /** @type {Record<string, unknown>} */
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

/**
 * The same data, every object and array behind a transparent Proxy.
 * @param {unknown} v @returns {unknown}
 */
function proxied(v) {
  if (v === null || typeof v !== 'object') return v;
  return new Proxy(Array.isArray(v) ? v.map(proxied) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, proxied(x)])), {});
}

class Instance {}
/**
 * The same own fields in class instances (another prototype, a non-plain object).
 * @param {unknown} v @returns {unknown}
 */
function instances(v) {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(instances);
  return Object.assign(new Instance(), Object.fromEntries(Object.entries(v).map(([k, x]) => [k, instances(x)])));
}

/** The data JSON carries: undefined fields vanish, -0 becomes 0, strings are escaped and restored. */
const viaJson = (/** @type {unknown} */ v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/**
 * @typedef {{ name?: string, code?: string, message?: string, details?: Record<string, unknown> | null }} Thrown
 * @typedef {{ ok?: unknown, thrown?: unknown, error?: Thrown }} Outcome
 */

/**
 * @param {(...args: unknown[]) => unknown} fn @param {unknown[]} args
 * @returns {Outcome}
 */
function outcome(fn, args) {
  try {
    return { ok: fn(...args) };
  } catch (e) {
    const t = /** @type {Thrown} */ (e);
    return { thrown: e, error: { name: t?.name, code: t?.code, message: t?.message, details: t?.details } };
  }
}

/** @typedef {ReturnType<typeof generate>} Data */

/**
 * Each export with its arguments' names, in order.
 * @type {Record<string, [string[], (d: Data) => unknown[]]>}
 */
const CALLS = {
  validatePolicy: [['policy'], (d) => [d.policy]],
  validateTarget: [['target'], (d) => [d.target]],
  snapshotPage: [['policy', 'vmStatus', 'snapshots', 'nowMs'], (d) => [d.policy, d.vmStatus, d.snapshots, d.nowMs]],
  planCreate: [['target', 'policy', 'vmStatus', 'snapshots', 'options', 'nowMs'], (d) => [d.target, d.policy, d.vmStatus, d.snapshots, d.options, d.nowMs]],
  planRollback: [['target', 'policy', 'vmStatus', 'snapshots', 'name', 'options'], (d) => [d.target, d.policy, d.vmStatus, d.snapshots, d.name, d.options]],
  planRemove: [['target', 'policy', 'vmStatus', 'snapshots', 'name'], (d) => [d.target, d.policy, d.vmStatus, d.snapshots, d.name]],
  planExpiry: [['target', 'policy', 'vmStatus', 'snapshots', 'nowMs'], (d) => [d.target, d.policy, d.vmStatus, d.snapshots, d.nowMs]],
  listSnapshotsRequest: [['target'], (d) => [d.target]],
  nodeTimeRequest: [['node'], (d) => [d.target.node]],
  taskOutcome: [['status'], (d) => [d.status]],
  remainingLifetime: [['policy', 'snaptimeSeconds', 'nowMs'], (d) => [d.policy, d.snapshots[0]?.snaptime ?? 0, d.nowMs]],
};

const SEEDS = 200;
let calls = 0;
after(() => console.log(`hostile-paths: ${calls} calls`));

test('random Proxmox-shaped input: coded errors, JSON-shaped results, one answer for the same data', () => {
  let accepted = 0;
  let refusedNaN = 0;
  // Listed at the end, so a wrong code does not hide the other invariants.
  /** @type {Set<string>} */
  const wrongCodes = new Set();
  for (let seed = 1; seed <= SEEDS; seed++) {
    const data = generate(rng(seed));
    const r = rng(seed ^ 0x5bd1e995);
    for (const [fnName, [names, build]] of Object.entries(CALLS)) {
      const fn = /** @type {(...args: unknown[]) => unknown} */ (/** @type {Record<string, unknown>} */ (core)[fnName]);
      const label = `${fnName}, seed ${seed}: ${JSON.stringify(build(data))?.slice(0, 400)}`;
      const plain = outcome(fn, build(data));
      calls++;
      if (plain.error) {
        assertCoded(plain.thrown, { code: CODES }, label);
        // A refusal names a field of the argument it is about, under that argument's code.
        const field = plain.error.details?.field;
        // A template guest is refused by the rules, as a target, not as unreadable data.
        const template = field === 'vmStatus.template' && plain.error.code === 'INVALID_TARGET';
        if (typeof field === 'string' && !template && names.includes(field.split(/[.[]/)[0]) && plain.error.code !== codeFor(field)) {
          wrongCodes.add(`${fnName}: ${field}: ${plain.error.code}, not ${codeFor(field)} (seed ${seed})`);
        }
      } else {
        accepted++;
        assert.deepStrictEqual(JSON.parse(JSON.stringify(plain.ok)), plain.ok, `not JSON-shaped, ${label}`);
      }
      const { thrown, ...want } = plain;
      /** @type {Array<[string, (v: unknown) => unknown]>} */
      const variants = [['proxies', proxied], ['class instances', instances], ['a JSON round trip', viaJson]];
      for (const [variant, map] of variants) {
        const { thrown: _, ...got } = outcome(fn, build(data).map(map));
        calls++;
        assert.deepStrictEqual(got, want, `${variant}, ${label}`);
      }
      // A NaN beside the data in one object argument, in a field no rule reads.
      /** @type {Array<[string, number]>} */
      const objects = names.map((n, i) => /** @type {[string, number]} */ ([n, i])).filter(([, i]) => { const a = build(data)[i]; return a && typeof a === 'object' && !Array.isArray(a); });
      if (objects.length) {
        const [argName, i] = r.pick(objects);
        const args = build(data);
        args[i] = { .../** @type {object} */ (args[i]), zzz: NaN };
        const withNaN = outcome(fn, args);
        calls++;
        assert.ok(withNaN.error, `NaN in ${argName}.zzz was accepted, ${label}`);
        assertCoded(withNaN.thrown, { code: CODES }, label);
        if (!plain.error) {
          assertCoded(withNaN.thrown, { code: withNaN.error.code, field: `${argName}.zzz`, exact: true }, `NaN, ${label}`);
          if (withNaN.error.code !== codeFor(argName)) wrongCodes.add(`${fnName}: ${argName}.zzz: ${withNaN.error.code}, not ${codeFor(argName)}`);
          refusedNaN++;
        }
      }
    }
  }
  // The generator must reach the rules, not only the refusals.
  assert.ok(accepted > SEEDS * 3, `only ${accepted} calls were accepted`);
  assert.ok(refusedNaN > SEEDS, `only ${refusedNaN} accepted calls were tried with a NaN`);
  assertAlive();
  assert.deepEqual([...wrongCodes].slice(0, 20), [], 'refusals under another argument\'s code');
});
