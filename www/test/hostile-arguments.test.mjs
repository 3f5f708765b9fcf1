// Every export of the built package, every argument position, every kind of
// wrong value: each call ends in a coded error naming the argument, or in
// the same result as the equivalent plain value, and the instance survives.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { core, check, checkAll, fails, gives, valid, assertAlive, stats, NOW } from './hostile-harness.mjs';

/**
 * The exports by name. The suite calls them with values their types refuse,
 * on purpose, so here they take anything.
 * @type {Record<string, (...args: unknown[]) => unknown>}
 */
const CORE = /** @type {any} */ (core);

/**
 * Wrong values, built fresh per case.
 * @type {Record<string, () => unknown>}
 */
const VALUES = {
  undefined: () => undefined,
  null: () => null,
  true: () => true,
  false: () => false,
  'NaN': () => NaN,
  'Infinity': () => Infinity,
  '-Infinity': () => -Infinity,
  '2^53+1': () => 2 ** 53 + 1,
  '0.5': () => 0.5,
  '-1': () => -1,
  'empty string': () => '',
  'x': () => 'x',
  'numeric string': () => '101',
  '1 MB string': () => 'a'.repeat(1 << 20),
  'object': () => ({ unrelated: 1 }),
  'null-prototype object': () => Object.create(null),
  'Map': () => new Map([['node', 'pve1']]),
  'Set': () => new Set(['pve1']),
  'Uint8Array': () => new Uint8Array(4),
  'class instance': () => new (class Thing { x = 1; #hidden = 2; })(),
  'frozen object': () => Object.freeze({ a: 1 }),
  'Date': () => new Date(NOW),
  'small array': () => [1, 'x'],
  'array of 100k': () => new Array(100_000).fill(0),
};
/**
 * Values that are not JSON-like data at all.
 * @type {Record<string, () => unknown>}
 */
const BOUNDARY = {
  'BigInt': () => 10n,
  'Symbol': () => Symbol('s'),
  'function': () => () => 1,
  'lone surrogate': () => '\ud800',
  'revoked Proxy': () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; },
  'throwing getter': () => ({ get boom() { throw new Error('getter'); } }),
};

/**
 * What a position accepts, and the code its refusals carry.
 * @type {Record<string, {code: string, ok?: Record<string, import('./hostile-harness.mjs').Expected>, same?: string[]}>}
 */
const KIND = {
  policy: { code: 'INVALID_POLICY' },
  target: { code: 'INVALID_TARGET' },
  vmStatus: { code: 'INVALID_INPUT' },
  status: { code: 'INVALID_INPUT' },
  snapshots: { code: 'INVALID_INPUT' },
  nowMs: { code: 'INVALID_INPUT' },
  snaptimeSeconds: { code: 'INVALID_INPUT' },
  name: { code: 'INVALID_NAME' },
  upid: { code: 'INVALID_TARGET' },
  // A node name addresses a node as a target's does, so its refusals carry the same code.
  node: { code: 'INVALID_TARGET', ok: {
    'x': gives({ method: 'GET', path: '/nodes/x/time', params: {} }),
    'numeric string': gives({ method: 'GET', path: '/nodes/101/time', params: {} }),
  } },
  // Any well-formed string short enough is a description; the empty one too.
  description: { code: 'INVALID_DESCRIPTION', ok: {
    'empty string': gives(''),
    'x': gives('x'),
    'numeric string': gives('101'),
  } },
  // Options are all optional, so any object reads as no options: only its own
  // enumerable fields count, and a Map, Set, Date or class instance has none
  // the core knows (a Date is not read "as JSON writes it").
  options: { code: 'INVALID_INPUT', same: ['undefined', 'null', 'object', 'null-prototype object', 'Map', 'Set', 'Uint8Array', 'class instance', 'frozen object', 'Date'] },
};

/** @type {Array<[string, string[]]>} */
const EXPORTS = [
  ['validatePolicy', ['policy']],
  ['validateTarget', ['target']],
  ['snapshotPage', ['policy', 'vmStatus', 'snapshots', 'nowMs']],
  ['planCreate', ['target', 'policy', 'vmStatus', 'snapshots', 'options', 'nowMs']],
  ['planRollback', ['target', 'policy', 'vmStatus', 'snapshots', 'name', 'options']],
  ['planRemove', ['target', 'policy', 'vmStatus', 'snapshots', 'name']],
  ['planExpiry', ['target', 'policy', 'vmStatus', 'snapshots', 'nowMs']],
  ['listSnapshotsRequest', ['target']],
  ['vmStatusRequest', ['target']],
  ['nodeTimeRequest', ['node']],
  ['normalizeDescription', ['description']],
  ['taskStatusRequest', ['upid']],
  ['parseUpid', ['upid']],
  ['taskOutcome', ['status']],
  ['remainingLifetime', ['policy', 'snaptimeSeconds', 'nowMs']],
];

/**
 * Exports that take no argument, with what they must answer.
 * @type {Record<string, unknown>}
 */
const NO_ARGUMENTS = {
  clusterVmsRequest: { method: 'GET', path: '/cluster/resources', params: { type: 'vm' } },
  errorCodes: (/** @type {Array<Record<string, unknown>>} */ codes) => {
    assert.ok(Array.isArray(codes) && codes.length >= 12);
    for (const c of codes) assert.deepEqual(Object.keys(c), ['code', 'status', 'summary']);
  },
  limits: (/** @type {Record<string, unknown>} */ l) => assert.ok(Number.isInteger(l.snapshotsPerList) && Number.isInteger(l.depth)),
};

/**
 * Fresh valid arguments for these parameter names.
 * @param {string[]} names @returns {unknown[]}
 */
function args(names) {
  /** @type {Record<string, unknown>} */
  const v = { ...valid(), options: undefined, node: valid().target.node, description: 'Before the upgrade' };
  return names.map((n) => v[n]);
}

after(() => console.log(`hostile-arguments: ${stats.cases} cases`));

test('every export is covered', () => {
  const exported = Object.keys(CORE).filter((k) => typeof CORE[k] === 'function' && !['default', 'initSync'].includes(k));
  assert.deepEqual([...exported].sort(), [...EXPORTS.map(([n]) => n), ...Object.keys(NO_ARGUMENTS)].sort());
});

for (const [fnName, params] of EXPORTS) {
  test(`${fnName}: a wrong value in each argument`, () => {
    const fn = CORE[fnName];
    const baseline = fn(...args(params));
    /** @type {Parameters<typeof checkAll>[0]} */
    const rows = [];
    for (const [i, param] of params.entries()) {
      const kind = KIND[param];
      for (const [valueName, make] of Object.entries({ ...VALUES, ...BOUNDARY })) {
        const a = args(params);
        a[i] = make();
        // Values that are not JSON-like data at all carry the argument's code
        // too, as any other wrong value there would.
        const refusal = fails(kind.code, param);
        let expected = kind.ok?.[valueName] ?? refusal;
        if (kind.same?.includes(valueName)) expected = gives(baseline);
        rows.push([fn, a, expected, `${fnName}(${param} = ${valueName})`]);
      }
    }
    checkAll(rows);
    assertAlive();
  });
}

test('-0 reads as 0 wherever a time is read', () => {
  /** @param {string} fnName @param {string[]} params @param {string} param */
  const zero = (fnName, params, param) => {
    const a = args(params);
    a[params.indexOf(param)] = 0;
    const b = args(params);
    b[params.indexOf(param)] = -0;
    check(CORE[fnName], b, gives(CORE[fnName](...a)), `${fnName}(${param} = -0)`);
  };
  zero('snapshotPage', ['policy', 'vmStatus', 'snapshots', 'nowMs'], 'nowMs');
  zero('planCreate', ['target', 'policy', 'vmStatus', 'snapshots', 'options', 'nowMs'], 'nowMs');
  zero('planExpiry', ['target', 'policy', 'vmStatus', 'snapshots', 'nowMs'], 'nowMs');
  zero('remainingLifetime', ['policy', 'snaptimeSeconds', 'nowMs'], 'nowMs');
  zero('remainingLifetime', ['policy', 'snaptimeSeconds', 'nowMs'], 'snaptimeSeconds');
  assertAlive();
});

test('the functions without arguments ignore any they are given', () => {
  for (const [fnName, want] of Object.entries(NO_ARGUMENTS)) {
    const baseline = check(CORE[fnName], [], gives(want), fnName);
    for (const [valueName, make] of Object.entries({ ...VALUES, ...BOUNDARY })) {
      check(CORE[fnName], [make()], gives(baseline), `${fnName}(${valueName})`);
    }
  }
  assertAlive();
});
