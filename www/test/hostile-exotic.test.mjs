// JavaScript's exotic values where the core expects JSON-like data: proxies
// (transparent, trapping, revoked), getters (throwing, re-entrant, growing
// the array being read), prototypes and __proto__/constructor keys,
// frozen/sealed objects, class instances, built-ins, BigInt and Symbol
// deep inside, cycles and depth, lone surrogates in every string position.
// Each ends in a coded error naming the field or in the plain value's
// result; nothing is mutated or polluted; the instance keeps working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { core, check, checkAll, fails, gives, either, refused, valid, assertAlive, assertCoded, stats, LIMITS, NOW, S, DAY } from './hostile-harness.mjs';

after(() => console.log(`hostile-exotic: ${stats.cases} cases`));

const LONE_HIGH = '\ud800';
const LONE_LOW = '\udc00';
const badInput = refused;

/** @typedef {import('./hostile-harness.mjs').Expected} Expected */
/** @typedef {Array<[string, unknown[], Expected]>} Rows [label, args, expected] for one function; args deliberately untyped */
/** @typedef {Array<[(...args: never[]) => unknown, unknown[], Expected]>} CallRows [function, args, expected] */
/** @typedef {import('../../pkg/pve_snapshots.js').Page} Page */
/** @typedef {import('../../pkg/pve_snapshots.js').Policy} Policy */
/** @typedef {import('../../pkg/pve_snapshots.js').Request} Request */
// Where the core is called directly (not through check()) with a value its
// types refuse, on purpose, that argument is cast to any.

test('the harness itself fails on what it must catch', () => {
  const mutating = (/** @type {{x: number}} */ o) => { o.x = 2; return 1; };
  assert.throws(() => check(mutating, [{ x: 1 }], gives(1)), /argument 0 was mutated/);
  /** @param {string} code @param {string} message @param {unknown} [details] */
  const coded = (code, message, details = null) => () => { throw Object.assign(new Error(message), { name: 'SnapshotError', code, details }); };
  assert.throws(() => check(coded('INVALID_NAME', 'name: bad', { field: 'name' }), [], fails('INVALID_TARGET', 'name')), /expected INVALID_TARGET/);
  assert.throws(() => check(coded('INVALID_NAME', 'x: bad', { field: 'x' }), [], fails('INVALID_NAME', 'name')), /does not name name/);
  assert.throws(() => check(coded('INVALID_NAME', 'name: invalid type: map', { field: 'name' }), [], fails('INVALID_NAME', 'name')), /raw wording/);
  assert.throws(() => check(coded('NOPE', 'name: bad', { field: 'name' }), [], fails('NOPE', 'name')), /unlisted code/);
  assert.throws(() => check(coded('INVALID_NAME', 'name: bad \ud800', { field: 'name' }), [], fails('INVALID_NAME', 'name')), /well-formed/);
  assert.throws(() => check(coded('INVALID_NAME', 'Error: name: bad', { field: 'name' }), [], fails('INVALID_NAME')), /raw wording/);
  assert.throws(() => check(coded('INVALID_NAME', 'name: bad'), [], fails('INVALID_NAME', 'name')), /details\.field missing/);
  assert.throws(() => check(() => { throw new TypeError('Reflect.get called on non-object'); }, [], fails('INVALID_INPUT')), /name TypeError/);
  assert.throws(() => check(() => 1, [], fails('INVALID_INPUT')), /got a result/);
  assert.throws(() => check(() => 1, [], gives(2)), /Expected values/);
  assert.throws(() => check(() => 1, [], either(gives(2), fails('INVALID_INPUT'))), /none of the accepted outcomes/);
  assert.throws(() => check(coded('VM_LOCKED', 'x'.repeat(2000)), [], fails('VM_LOCKED')), /message of 2000 characters/);
});

const revoked = (base = {}) => { const r = Proxy.revocable(base, {}); r.revoke(); return r.proxy; };
/** @param {object} base @param {keyof ProxyHandler<object>} name */
const trap = (base, name) => new Proxy(base, { [name]() { throw new Error(`${name} trap`); } });

test('proxies', () => {
  const v = valid();
  const plainPage = core.snapshotPage(v.policy, v.vmStatus, v.snapshots, NOW);
  /** @type {Rows} */
  const rows = [
    ['transparent proxies everywhere read like the plain values', [new Proxy(v.policy, {}), new Proxy(v.vmStatus, {}), new Proxy(v.snapshots.map((s) => new Proxy(s, {})), {}), NOW], gives(plainPage)],
    ['revoked policy', [revoked(), v.vmStatus, v.snapshots, NOW], badInput('policy')],
    ['revoked array', [v.policy, v.vmStatus, revoked([]), NOW], badInput('snapshots')],
    ['revoked entry', [v.policy, v.vmStatus, [v.snapshots[0], revoked()], NOW], badInput('snapshots[1]')],
    ['get trap throws', [trap({ ...v.policy }, 'get'), v.vmStatus, v.snapshots, NOW], fails('INVALID_POLICY', 'policy')],
    // Own enumerable fields are listed first, so a trap that lists or describes them refuses the object.
    ['ownKeys trap throws', [v.policy, trap({ ...v.vmStatus }, 'ownKeys'), v.snapshots, NOW], badInput('vmStatus')],
    ['getOwnPropertyDescriptor trap throws', [v.policy, v.vmStatus, [trap({ ...v.snapshots[0] }, 'getOwnPropertyDescriptor')], NOW], badInput('snapshots[0]')],
    ['get trap throws on an array', [v.policy, v.vmStatus, trap([...v.snapshots], 'get'), NOW], badInput('snapshots')],
    ['the host\'s exception text never reaches the message', [v.policy, v.vmStatus, new Proxy([], { get() { throw new Error('host secret /etc/shadow'); } }), NOW],
      fails('INVALID_INPUT', 'snapshots', { exact: true, message: /^snapshots: (?!.*secret)/ })],
    ['array proxy claiming 10^9 entries', [v.policy, v.vmStatus, new Proxy([], { get: (t, k) => (k === 'length' ? 1e9 : Reflect.get(t, k)) }), NOW], badInput('snapshots')],
    ['proxy whose get answers differently each time', [v.policy, v.vmStatus, [new Proxy({ name: 'snap20261125T090000' }, { get: (() => { let n = 0; return (t, k) => (k === 'snaptime' ? S - 9000 + (n++ % 2) : Reflect.get(t, k)); })(), ownKeys: () => ['name', 'snaptime'], getOwnPropertyDescriptor: (t, k) => ({ value: undefined, enumerable: true, configurable: true, writable: true }) })], NOW],
      // check() reads the arguments too (to prove them unchanged), so either answer may be the core's.
      gives((/** @type {Page} */ p) => assert.ok([S - 9000, S - 8999].includes(Number(p.rows[0].createdAt) / 1000)))],
  ];
  for (const [label, args, want] of rows) check(core.snapshotPage, args, want, `snapshotPage: ${label}`);
  check(core.parseUpid, [revoked()], badInput('upid'));
  check(core.taskOutcome, [revoked()], badInput('status'));
  check(core.planRemove, [revoked(), v.policy, v.vmStatus, v.snapshots, v.name], badInput('target'));
  // A boxed string is an object: its own fields are its characters, not a string.
  check(core.planRemove, [v.target, v.policy, v.vmStatus, v.snapshots, new Proxy(new String(v.name), {})], badInput('name'));
  assertAlive();
});

test('every getter and proxy trap runs once per call', () => {
  const v = valid();
  /** @type {string[]} */
  const log = [];
  /** @template {object} T @param {T} o @param {string} at @returns {T} */
  const logged = (o, at) => new Proxy(o, {
    get: (t, k, r) => { log.push(`${at} get ${String(k)}`); return Reflect.get(t, k, r); },
    ownKeys: (t) => { log.push(`${at} ownKeys`); return Reflect.ownKeys(t); },
    getOwnPropertyDescriptor: (t, k) => { log.push(`${at} describe ${String(k)}`); return Reflect.getOwnPropertyDescriptor(t, k); },
    has: (t, k) => { log.push(`${at} has ${String(k)}`); return Reflect.has(t, k); },
  });
  const snaps = logged(v.snapshots.map((s, i) => logged(s, `snapshots[${i}]`)), 'snapshots');
  const page = core.snapshotPage(logged(v.policy, 'policy'), logged(v.vmStatus, 'vmStatus'), snaps, NOW);
  assert.deepEqual(page, core.snapshotPage(valid().policy, valid().vmStatus, valid().snapshots, NOW));
  const counts = new Map();
  for (const entry of log) counts.set(entry, (counts.get(entry) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'a trap ran more than once');
  // Every own field was read, including those the rules ignore (parent, uptime).
  assert.ok(log.includes('snapshots[1] get parent') && log.includes('vmStatus get uptime'), log.join(', '));
  let calls = 0;
  const policy = /** @type {import('../../pkg/pve_snapshots.js').PolicyInput} */ (Object.defineProperty({ maxSnapshots: 3 }, 'lifetimeDays', { enumerable: true, get: () => { calls++; return 1; } }));
  core.validatePolicy(policy);
  assert.equal(calls, 1);
  assertAlive();
});

test('getters', () => {
  const v = valid();
  const policyWith = (/** @type {PropertyDescriptor} */ desc) => Object.defineProperties({ lifetimeDays: 1 }, { maxSnapshots: { enumerable: true, ...desc } });
  /** @type {Rows} */
  const rows = [
    ['a getter that returns a value reads like the value', [policyWith({ get: () => 2 })], gives({ maxSnapshots: 2, lifetimeDays: 1, includeRam: true, namePrefix: 'snap', rollbackLatestOnly: false })],
    ['a getter that throws an Error', [policyWith({ get: () => { throw new Error('boom'); } })], badInput('policy.maxSnapshots')],
    ['a getter that throws a string', [policyWith({ get: () => { throw 'boom'; } })], badInput('policy.maxSnapshots')],
    ['a getter that throws undefined', [policyWith({ get: () => { throw undefined; } })], badInput('policy.maxSnapshots')],
    ['a getter that calls the core again', [policyWith({ get: () => core.validatePolicy({ maxSnapshots: 2, lifetimeDays: 1 }).maxSnapshots })], gives((/** @type {Policy} */ p) => assert.equal(p.maxSnapshots, 2))],
    ['a getter whose inner core call fails', [policyWith({ get: () => core.validatePolicy(/** @type {any} */ (null)) })], badInput('policy.maxSnapshots')],
    ['a getter that returns a revoked proxy', [policyWith({ get: () => revoked() })], badInput('policy.maxSnapshots')],
    ['a non-enumerable field does not count', [policyWith({ enumerable: false, value: 3 })], fails('INVALID_POLICY', 'policy.maxSnapshots', { exact: true })],
    ['a getter on the prototype does not count', [new (class { get maxSnapshots() { return 3; } lifetimeDays = 1; })()], fails('INVALID_POLICY', 'policy.maxSnapshots', { exact: true })],
    ['inherited fields do not count', [Object.create({ maxSnapshots: 3, lifetimeDays: 1 })], fails('INVALID_POLICY', 'policy.maxSnapshots', { exact: true })],
  ];
  for (const [label, args, want] of rows) check(core.validatePolicy, args, want, `validatePolicy: ${label}`);

  /** @type {import('../../pkg/pve_snapshots.js').Snapshots} */
  const growing = [{ name: 'a1', snaptime: S }];
  Object.defineProperty(growing, 1, { enumerable: true, get() { growing.push({ name: `z${growing.length}` }); return { name: 'a2', snaptime: S }; } });
  // The getter itself changes the array, so this one case skips check()'s mutation test.
  let grown;
  try {
    grown = core.snapshotPage(v.policy, v.vmStatus, growing, NOW);
  } catch (e) {
    assertCoded(e, { code: 'INVALID_INPUT', field: 'snapshots' }, 'a getter that grows the array being read');
  }
  if (grown) assert.deepEqual(grown.rows.slice(0, 2).map((r) => r.name), ['a1', 'a2']);
  const entryGetter = [{ name: 'snap20261125T090000', get snaptime() { throw new Error('late'); } }];
  check(core.planExpiry, [v.target, v.policy, v.vmStatus, entryGetter, NOW], badInput('snapshots[0].snaptime'));
  assertAlive();
});

test('__proto__, constructor and prototype keys', () => {
  const v = valid();
  /** @type {CallRows} */
  const rows = [
    [core.validatePolicy, [JSON.parse('{"__proto__":{"maxSnapshots":100,"lifetimeDays":10},"maxSnapshots":3,"lifetimeDays":1}')], gives((/** @type {Policy} */ p) => assert.deepEqual([p.maxSnapshots, p.lifetimeDays], [3, 1]))],
    [core.validatePolicy, [JSON.parse('{"__proto__":{"maxSnapshots":3,"lifetimeDays":1}}')], fails('INVALID_POLICY', 'policy.maxSnapshots', { exact: true })],
    [core.validatePolicy, [JSON.parse('{"maxSnapshots":3,"lifetimeDays":1,"constructor":{"prototype":{"polluted":1}},"prototype":{"polluted":1}}')], gives((/** @type {Policy} */ p) => assert.equal(p.maxSnapshots, 3))],
    [core.validatePolicy, [Object.assign(Object.create(null), { maxSnapshots: 3, lifetimeDays: 1 })], gives((/** @type {Policy} */ p) => assert.equal(p.maxSnapshots, 3))],
    [core.listSnapshotsRequest, [JSON.parse('{"__proto__":{"node":"evil"},"node":"pve1","vmid":101}')], gives((/** @type {Request} */ r) => assert.equal(r.path, '/nodes/pve1/qemu/101/snapshot'))],
    [core.listSnapshotsRequest, [JSON.parse('{"__proto__":{"node":"evil","vmid":666}}')], fails('INVALID_TARGET', 'target.node', { exact: true })],
    [core.listSnapshotsRequest, [Object.create({ node: 'evil', vmid: 666 })], fails('INVALID_TARGET', 'target.node', { exact: true })],
    [core.snapshotPage, [v.policy, JSON.parse('{"__proto__":{"status":"running"}}'), [], NOW], badInput('vmStatus.status')],
    [core.snapshotPage, [v.policy, v.vmStatus, JSON.parse('[{"name":"__proto__","snaptime":1},{"name":"constructor","snaptime":2},{"name":"prototype","snaptime":3},{"name":"hasOwnProperty","snaptime":4}]'), NOW],
      gives((/** @type {Page} */ p) => {
        assert.deepEqual(p.rows.map((r) => [r.name, r.managed]), [['__proto__', false], ['constructor', false], ['prototype', false], ['hasOwnProperty', false]]);
        assert.ok(p.rows.every((r) => Object.getPrototypeOf(r) === Object.prototype));
      })],
    [core.planRemove, [v.target, v.policy, v.vmStatus, JSON.parse('[{"name":"__proto__","snaptime":1}]'), '__proto__'], fails('INVALID_NAME', 'name', { exact: true })],
    [core.planRemove, [v.target, v.policy, v.vmStatus, JSON.parse('[{"name":"constructor","snaptime":1}]'), 'constructor'], fails('NOT_MANAGED')],
    [core.taskOutcome, [JSON.parse('{"__proto__":{"status":"stopped","exitstatus":"OK"},"status":"running"}')], gives({ state: 'running', warnings: 0, message: null, lock: null })],
    [core.planCreate, [v.target, v.policy, v.vmStatus, v.snapshots, JSON.parse('{"__proto__":{"description":"from the prototype","includeRam":false}}'), NOW],
      gives((/** @type {Request} */ r) => assert.deepEqual(r.params, { snapname: 'snap20261125T113000', vmstate: 1 }))],
  ];
  for (const [fn, args, want] of rows) check(fn, args, want);
  assert.equal(/** @type {Record<string, unknown>} */ ({}).polluted, undefined);
  assert.equal(/** @type {Record<string, unknown>} */ ({}).maxSnapshots, undefined);
  assert.equal(/** @type {Record<string, unknown>} */ ({}).node, undefined);
  assert.deepEqual(Object.keys(Object.prototype), []);
  assertAlive();
});

test('frozen, sealed, class instances and built-ins', () => {
  const v = valid();
  /** @template {object} T @param {T} o @returns {Readonly<T>} */
  const deepFreeze = (o) => { Object.values(o).forEach((x) => x && typeof x === 'object' && deepFreeze(x)); return Object.freeze(o); };
  const plain = core.planCreate(v.target, v.policy, v.vmStatus, v.snapshots, {}, NOW);
  check(core.planCreate, [deepFreeze(valid().target), deepFreeze(valid().policy), deepFreeze(valid().vmStatus), deepFreeze(valid().snapshots), Object.freeze({}), NOW], gives(plain), 'deep-frozen arguments');
  check(core.planCreate, [Object.seal(valid().target), Object.seal(valid().policy), Object.preventExtensions(valid().vmStatus), valid().snapshots, Object.seal({}), NOW], gives(plain), 'sealed arguments');
  class Target { constructor() { this.node = 'pve1'; this.vmid = 101; } describe() { return 'x'; } }
  class Snap { #secret = 'hidden'; constructor(/** @type {object} */ o) { Object.assign(this, o); } get age() { return 1; } }
  check(core.planCreate, [new Target(), v.policy, v.vmStatus, v.snapshots.map((s) => new Snap(s)), {}, NOW], gives(plain), 'class instances');
  /** @param {string} f @returns {(x: unknown) => unknown[]} */
  const field = (f) => (x) => { const s = /** @type {Record<string, unknown>[]} */ ([{ name: 'snap20261125T090000', snaptime: S - 9000 }]); s[0][f] = x; return [v.policy, v.vmStatus, s, NOW]; };
  /** @type {Rows} */
  const builtins = [
    ['Date as snaptime', field('snaptime')(new Date(NOW)), badInput('snapshots[0].snaptime')],
    ['RegExp as snaptime', field('snaptime')(/x/), badInput('snapshots[0].snaptime')],
    ['Map as name', field('name')(new Map([['a', 1]])), badInput('snapshots[0].name')],
    ['Set as description', field('description')(new Set(['a'])), badInput('snapshots[0].description')],
    ['Uint8Array as snaptime', field('snaptime')(new Uint8Array([1, 2])), badInput('snapshots[0].snaptime')],
    ['ArrayBuffer as snaptime', field('snaptime')(new ArrayBuffer(8)), badInput('snapshots[0].snaptime')],
    ['WeakMap as vmstate', field('vmstate')(new WeakMap()), badInput('snapshots[0].vmstate')],
    ['Error as snapstate', field('snapstate')(new Error('x')), badInput('snapshots[0].snapstate')],
    // parent is not read, and a Promise has no own fields: it is data like {}.
    ['Promise as parent', field('parent')(Promise.resolve(1)), gives((/** @type {Page} */ p) => assert.equal(p.rows[0].name, 'snap20261125T090000'))],
    ['a function inside parent is refused though parent is not read', field('parent')({ then: () => 1 }), badInput('snapshots[0].parent.then')],
    ['BigInt as snaptime', field('snaptime')(10n), badInput('snapshots[0].snaptime')],
    ['Symbol as name', field('name')(Symbol('n')), badInput('snapshots[0].name')],
    ['Symbol as description', field('description')(Symbol('d')), badInput('snapshots[0].description')],
    ['function as description', field('description')(() => 'x'), badInput('snapshots[0].description')],
    // Boxed primitives are objects, read by their own enumerable fields like any other.
    ['boxed number as snaptime', field('snaptime')(new Number(S - 9000)), badInput('snapshots[0].snaptime')],
    ['boxed string as name', field('name')(new String('snap20261125T090000')), badInput('snapshots[0].name')],
    ['Symbol-keyed fields are ignored', [v.policy, { status: 'running', [Symbol('lock')]: 'backup' }, [], NOW], gives((/** @type {Page} */ p) => assert.equal(p.quota.canCreate, true))],
    ['Error object as vmStatus', [v.policy, new Error('running'), [], NOW], badInput('vmStatus.status')],
    ['arguments object as snapshots', [v.policy, v.vmStatus, (function () { return arguments; })(1), NOW], badInput('snapshots')],
    ['a snapshot list of BigInts', [v.policy, v.vmStatus, [1n], NOW], badInput('snapshots[0]')],
  ];
  for (const [label, args, want] of builtins) check(core.snapshotPage, args, want, `snapshotPage: ${label}`);
  check(core.remainingLifetime, [v.policy, S, 10n ** 30n], badInput('nowMs'));
  check(core.planRollback, [v.target, v.policy, v.vmStatus, v.snapshots, v.name, { start: Symbol('yes') }], badInput('options.start'));
  check(core.planCreate, [v.target, v.policy, v.vmStatus, v.snapshots, { description: () => 'x' }, NOW], fails('INVALID_DESCRIPTION', 'options.description', { exact: true }), 'a function as description');
  // toJSON is not called: an object is read by its own enumerable fields, and a function there is refused.
  const withToJson = { node: 'pve1', vmid: 101, toJSON: () => ({ node: 'pve2', vmid: 102 }) };
  check(core.listSnapshotsRequest, [withToJson], badInput('target.toJSON'));
  const inheritedToJson = Object.assign(Object.create({ toJSON: () => ({ node: 'pve2', vmid: 102 }) }), { node: 'pve1', vmid: 101 });
  check(core.listSnapshotsRequest, [inheritedToJson], gives((/** @type {Request} */ r) => assert.equal(r.path, '/nodes/pve1/qemu/101/snapshot')));
  check(core.listSnapshotsRequest, [new Date(NOW)], badInput('target.node'));
  assertAlive();
});

test('cycles, depth and size', () => {
  const v = valid();
  /** @type {Record<string, unknown>} */
  const cyclic = { ...v.policy };
  cyclic.self = cyclic;
  /** @type {unknown[]} */
  const cyclicList = [...v.snapshots];
  cyclicList.push(cyclicList);
  const nest = (/** @type {number} */ n) => { let o = /** @type {unknown} */ (1); for (let i = 0; i < n; i++) o = { a: o }; return o; };
  const arrays = (/** @type {number} */ n) => { let o = /** @type {unknown} */ (1); for (let i = 0; i < n; i++) o = [o]; return o; };
  /** @type {CallRows} */
  const rows = [
    [core.validatePolicy, [cyclic], fails('INVALID_POLICY', 'policy.self')],
    [core.snapshotPage, [v.policy, v.vmStatus, cyclicList, NOW], fails('INVALID_INPUT', 'snapshots[4]')],
    [core.validatePolicy, [{ ...v.policy, extra: nest(10_000) }], fails('INVALID_POLICY', 'policy.extra')],
    // The argument itself is the first level: its field holds the other depth − 1.
    [core.validatePolicy, [{ ...v.policy, extra: nest(LIMITS.depth - 1) }], gives((/** @type {Policy} */ p) => assert.equal(p.maxSnapshots, 3))],
    [core.validatePolicy, [{ ...v.policy, extra: nest(LIMITS.depth) }], fails('INVALID_POLICY', 'policy.extra')],
    [core.validatePolicy, [{ ...v.policy, extra: arrays(LIMITS.depth - 1) }], gives((/** @type {Policy} */ p) => assert.equal(p.maxSnapshots, 3))],
    [core.validatePolicy, [{ ...v.policy, extra: arrays(LIMITS.depth) }], fails('INVALID_POLICY', 'policy.extra[0]')],
    [core.snapshotPage, [v.policy, v.vmStatus, [{ name: 'a', snaptime: S, parent: nest(LIMITS.depth) }], NOW], fails('INVALID_INPUT', 'snapshots[0].parent')],
    // The list limit holds in every array, read by the rules or not.
    [core.validatePolicy, [{ ...v.policy, extra: new Array(LIMITS.snapshotsPerList).fill('x') }], gives((/** @type {Policy} */ p) => assert.equal(p.maxSnapshots, 3))],
    [core.validatePolicy, [{ ...v.policy, extra: new Array(LIMITS.snapshotsPerList + 1).fill('x') }], refused('policy.extra')],
    [core.validatePolicy, [{ ...v.policy, extra: new Array(100_000).fill('x') }], refused('policy.extra')],
    [core.taskOutcome, [{ status: 'running', extra: [[new Array(LIMITS.snapshotsPerList + 1)]] }], refused('status.extra[0][0]')],
    [core.validatePolicy, [{ ...v.policy, extra: 'x'.repeat(1 << 20) }], gives((/** @type {Policy} */ p) => assert.equal(p.maxSnapshots, 3))],
    [core.snapshotPage, [v.policy, v.vmStatus, new Array(2 ** 32 - 1), NOW], badInput('snapshots')],
    [core.parseUpid, ['UPID:'.repeat(400_000)], fails('INVALID_TARGET', 'upid', { exact: true })],
  ];
  for (const [fn, args, want] of rows) check(fn, args, want);
  assertAlive();
});

test('a lone surrogate in every string position', () => {
  const v = valid();
  const snapWith = (/** @type {string} */ f, /** @type {unknown} */ s) => [{ name: 'snap20261125T090000', snaptime: S - 9000, [f]: s }];
  for (const lone of [LONE_HIGH, LONE_LOW, `a${LONE_HIGH}b`, `${LONE_LOW}${LONE_HIGH}`, `ok${LONE_HIGH}`]) {
    const at = (/** @type {string} */ f) => badInput(f);
    /** @type {CallRows} */
    const rows = [
      [core.validatePolicy, [{ ...v.policy, namePrefix: lone }], at('policy.namePrefix')],
      [core.validatePolicy, [{ ...v.policy, extra: lone }], at('policy.extra')],
      [core.listSnapshotsRequest, [{ ...v.target, node: lone }], at('target.node')],
      [core.vmStatusRequest, [{ ...v.target, type: lone }], at('target.type')],
      [core.snapshotPage, [v.policy, { status: lone }, [], NOW], at('vmStatus.status')],
      [core.snapshotPage, [v.policy, { status: 'running', lock: lone }, [], NOW], at('vmStatus.lock')],
      [core.snapshotPage, [v.policy, v.vmStatus, snapWith('name', lone), NOW], at('snapshots[0].name')],
      [core.snapshotPage, [v.policy, v.vmStatus, snapWith('description', lone), NOW], at('snapshots[0].description')],
      [core.snapshotPage, [v.policy, v.vmStatus, snapWith('snapstate', lone), NOW], at('snapshots[0].snapstate')],
      [core.snapshotPage, [v.policy, v.vmStatus, snapWith('parent', lone), NOW], at('snapshots[0].parent')],
      [core.snapshotPage, [v.policy, v.vmStatus, snapWith('extra', { deep: [lone] }), NOW], at('snapshots[0].extra.deep[0]')],
      [core.planExpiry, [v.target, v.policy, v.vmStatus, snapWith('description', lone), NOW], at('snapshots[0].description')],
      [core.planExpiry, [v.target, v.policy, { ...v.vmStatus, extra: lone }, [], NOW], at('vmStatus.extra')],
      [core.validateTarget, [{ ...v.target, name: lone }], at('target.name')],
      [core.nodeTimeRequest, [lone], at('node')],
      [core.planCreate, [v.target, v.policy, v.vmStatus, v.snapshots, { description: lone }, NOW], either(fails('INVALID_DESCRIPTION', 'options.description', { exact: true }), at('options.description'))],
      [core.planRemove, [v.target, v.policy, v.vmStatus, v.snapshots, lone], at('name')],
      [core.planRollback, [v.target, v.policy, v.vmStatus, v.snapshots, lone, {}], at('name')],
      [core.parseUpid, [lone], at('upid')],
      [core.taskStatusRequest, [lone], at('upid')],
      [core.taskOutcome, [{ status: lone }], at('status.status')],
      [core.taskOutcome, [{ status: 'stopped', exitstatus: lone }], at('status.exitstatus')],
    ];
    checkAll(rows.map(([fn, args, want]) => [fn, args, want, `${fn.name} with ${JSON.stringify(lone)}`]));
  }
  // A lone surrogate in a key is just an unknown key; a proper pair is text.
  check(core.validatePolicy, [{ ...v.policy, [`maxSnapshots${LONE_HIGH}`]: 5 }], gives((/** @type {Policy} */ p) => assert.equal(p.maxSnapshots, 3)));
  // Named in a refusal, such a key is printed escaped, never as broken text.
  check(core.validatePolicy, [{ ...v.policy, [`a${LONE_HIGH}b`]: { c: NaN } }], fails('INVALID_POLICY', undefined, { message: /^policy\.a\S*b\.c: / }));
  check(core.planCreate, [v.target, v.policy, v.vmStatus, v.snapshots, { description: 'backup 😀 done' }, NOW], gives((/** @type {Request} */ r) => assert.equal(r.params.description, 'backup 😀 done')));
  assertAlive();
});

test('the instance keeps working after everything above', () => {
  // One more round of the worst inputs back to back, then many good calls.
  const v = valid();
  for (let i = 0; i < 200; i++) {
    assert.throws(() => core.validatePolicy(/** @type {any} */ (revoked())), (e) => { assertCoded(e, refused('policy')); return true; });
    assert.throws(() => core.snapshotPage(v.policy, v.vmStatus, [{ name: LONE_HIGH }], NOW), (e) => { assertCoded(e, refused('snapshots[0].name')); return true; });
    assert.throws(() => core.parseUpid(/** @type {any} */ (10n)), (e) => { assertCoded(e, refused('upid')); return true; });
  }
  for (let i = 0; i < 1000; i++) {
    const r = core.remainingLifetime(v.policy, S - i, NOW);
    assert.equal(r.seconds, DAY - i);
  }
  assertAlive();
});
