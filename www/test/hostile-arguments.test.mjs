// Every export of the built package, every argument position, every kind of
// wrong value: each call ends in a coded error naming the argument, or in
// the same result as the equivalent plain value, and the instance survives.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { core, check, fails, gives, either, valid, assertAlive, stats, NOW } from './hostile-harness.mjs';

/** Wrong values, built fresh per case. */
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
  'array of 100k': () => new Array(100_000).fill(0),
};
/** Values that are not JSON-like data at all. */
const BOUNDARY = {
  'BigInt': () => 10n,
  'Symbol': () => Symbol('s'),
  'function': () => () => 1,
  'lone surrogate': () => '\ud800',
  'revoked Proxy': () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; },
  'throwing getter': () => ({ get boom() { throw new Error('getter'); } }),
};

/** What a position accepts, and the code its refusals carry. */
const KIND = {
  policy: { code: 'INVALID_POLICY' },
  target: { code: 'INVALID_TARGET' },
  vmStatus: { code: 'INVALID_INPUT' },
  status: { code: 'INVALID_INPUT' },
  snapshots: { code: 'INVALID_INPUT' },
  vms: { code: 'INVALID_INPUT', ok: { 'array of 100k': gives((r) => {
    assert.equal(r.length, 100_000);
    assert.ok(r.every((e) => e.error?.code === 'INVALID_INPUT'));
  }) } },
  nowMs: { code: 'INVALID_INPUT' },
  snaptimeSeconds: { code: 'INVALID_INPUT' },
  name: { code: 'INVALID_NAME' },
  upid: { code: 'INVALID_TARGET' },
  options: { code: 'INVALID_INPUT', same: ['undefined', 'null', 'object', 'null-prototype object', 'Map', 'Set', 'Uint8Array', 'class instance', 'frozen object'], loose: ['Date'] },
};

const EXPORTS = [
  ['validatePolicy', ['policy']],
  ['snapshotPage', ['policy', 'vmStatus', 'snapshots', 'nowMs']],
  ['planCreate', ['target', 'policy', 'vmStatus', 'snapshots', 'options', 'nowMs']],
  ['planRollback', ['target', 'policy', 'vmStatus', 'snapshots', 'name', 'options']],
  ['planRemove', ['target', 'policy', 'vmStatus', 'snapshots', 'name']],
  ['planExpiry', ['target', 'policy', 'vmStatus', 'snapshots', 'nowMs']],
  ['planExpiryBatch', ['policy', 'vms', 'nowMs']],
  ['listSnapshotsRequest', ['target']],
  ['vmStatusRequest', ['target']],
  ['taskStatusRequest', ['upid']],
  ['parseUpid', ['upid']],
  ['taskOutcome', ['status']],
  ['remainingLifetime', ['policy', 'snaptimeSeconds', 'nowMs']],
];

function args(names) {
  const v = valid();
  v.vms = [{ target: v.target, vmStatus: v.vmStatus, snapshots: v.snapshots }];
  v.options = undefined;
  return names.map((n) => v[n]);
}

after(() => console.log(`hostile-arguments: ${stats.cases} cases`));

test('every export is covered', () => {
  const exported = Object.keys(core).filter((k) => typeof core[k] === 'function' && !['default', 'initSync'].includes(k));
  assert.deepEqual([...exported].sort(), [...EXPORTS.map(([n]) => n), 'clusterVmsRequest'].sort());
});

for (const [fnName, params] of EXPORTS) {
  test(`${fnName}: a wrong value in each argument`, () => {
    const fn = core[fnName];
    const baseline = fn(...args(params));
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
        if (kind.loose?.includes(valueName)) expected = either(gives(baseline), refusal);
        check(fn, a, expected, `${fnName}(${param} = ${valueName})`);
      }
    }
    assertAlive();
  });
}

test('-0 reads as 0 wherever a time is read', () => {
  const zero = (fnName, params, param) => {
    const a = args(params);
    a[params.indexOf(param)] = 0;
    const b = args(params);
    b[params.indexOf(param)] = -0;
    check(core[fnName], b, gives(core[fnName](...a)), `${fnName}(${param} = -0)`);
  };
  zero('snapshotPage', ['policy', 'vmStatus', 'snapshots', 'nowMs'], 'nowMs');
  zero('planCreate', ['target', 'policy', 'vmStatus', 'snapshots', 'options', 'nowMs'], 'nowMs');
  zero('planExpiry', ['target', 'policy', 'vmStatus', 'snapshots', 'nowMs'], 'nowMs');
  zero('planExpiryBatch', ['policy', 'vms', 'nowMs'], 'nowMs');
  zero('remainingLifetime', ['policy', 'snaptimeSeconds', 'nowMs'], 'nowMs');
  zero('remainingLifetime', ['policy', 'snaptimeSeconds', 'nowMs'], 'snaptimeSeconds');
  assertAlive();
});

test('clusterVmsRequest ignores any argument it is given', () => {
  const want = { method: 'GET', path: '/cluster/resources', params: { type: 'vm' } };
  check(core.clusterVmsRequest, [], gives(want));
  for (const [valueName, make] of Object.entries({ ...VALUES, ...BOUNDARY })) {
    check(core.clusterVmsRequest, [make()], gives(want), `clusterVmsRequest(${valueName})`);
  }
  assertAlive();
});
