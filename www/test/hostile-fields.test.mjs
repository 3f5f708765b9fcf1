// Field by field: every field the core reads, given the values that break
// naive code (NaN, ±Infinity, -0, 2^53+1, fractions, numeric strings, 1 MB
// strings, lone surrogates, '/', '%2F', '..', whitespace, control
// characters, reserved names, malformed UPIDs). One line per case: the exact
// coded error naming the field, or the exact correct result.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { core, check, checkAll, fails, gives, refused, valid, assertAlive, stats, LIMITS, NOW, S, DAY } from './hostile-harness.mjs';

after(() => console.log(`hostile-fields: ${stats.cases} cases`));

const MB = 'a'.repeat(1 << 20);
const LONE = '\ud800';

/** @typedef {import('./hostile-harness.mjs').Expected} Expected */
/** @typedef {import('../../pkg/pve_snapshots.js').Page} Page */
/** @typedef {import('../../pkg/pve_snapshots.js').Row} Row */
/** @typedef {import('../../pkg/pve_snapshots.js').Request} Request */
/** @typedef {import('../../pkg/pve_snapshots.js').Upid} Upid */
/** @typedef {import('../../pkg/pve_snapshots.js').Remaining} Remaining */

/** @param {string} code @param {string} f @param {Expected} [extra] */
const field = (code, f, extra) => fails(code, f, { exact: true, ...extra });

/**
 * Runs a table of [label, args, expected] against fn (every row, failing or not), then proves the instance alive.
 * The args are deliberately untyped: the rows pass values the core's types refuse.
 * @param {(...args: never[]) => unknown} fn @param {Array<[string, unknown[], Expected]>} rows
 */
function table(fn, rows) {
  checkAll(rows.map(([label, args, expected]) => [fn, args, expected, `${fn.name}: ${label}`]));
  assertAlive();
}

// --- policy -----------------------------------------------------------------
/** @param {Record<string, unknown>} [over] */
const policy = (over) => ({ maxSnapshots: 3, lifetimeDays: 1, ...over });
/** @param {Record<string, unknown>} [over] */
const normalised = (over) => ({ maxSnapshots: 3, lifetimeDays: 1, includeRam: true, namePrefix: 'snap', rollbackLatestOnly: false, ...over });
const badPolicy = (/** @type {string} */ f) => field('INVALID_POLICY', `policy.${f}`);

test('policy fields', () => table(core.validatePolicy, [
  ['maxSnapshots NaN', [policy({ maxSnapshots: NaN })], badPolicy('maxSnapshots')],
  ['maxSnapshots Infinity', [policy({ maxSnapshots: Infinity })], badPolicy('maxSnapshots')],
  ['maxSnapshots -Infinity', [policy({ maxSnapshots: -Infinity })], badPolicy('maxSnapshots')],
  ['maxSnapshots 2^53+1', [policy({ maxSnapshots: 2 ** 53 + 1 })], badPolicy('maxSnapshots')],
  ['maxSnapshots 1.5', [policy({ maxSnapshots: 1.5 })], badPolicy('maxSnapshots')],
  ['maxSnapshots "3"', [policy({ maxSnapshots: '3' })], badPolicy('maxSnapshots')],
  ['maxSnapshots -1', [policy({ maxSnapshots: -1 })], badPolicy('maxSnapshots')],
  ['maxSnapshots 101', [policy({ maxSnapshots: 101 })], badPolicy('maxSnapshots')],
  ['maxSnapshots true', [policy({ maxSnapshots: true })], badPolicy('maxSnapshots')],
  ['maxSnapshots null', [policy({ maxSnapshots: null })], badPolicy('maxSnapshots')],
  ['maxSnapshots []', [policy({ maxSnapshots: [] })], badPolicy('maxSnapshots')],
  ['maxSnapshots [3]', [policy({ maxSnapshots: [3] })], badPolicy('maxSnapshots')],
  ['maxSnapshots -0', [policy({ maxSnapshots: -0 })], gives(normalised({ maxSnapshots: 0 }))],
  ['maxSnapshots 100', [policy({ maxSnapshots: 100 })], gives(normalised({ maxSnapshots: 100 }))],
  ['lifetimeDays 0', [policy({ lifetimeDays: 0 })], badPolicy('lifetimeDays')],
  ['lifetimeDays 11', [policy({ lifetimeDays: 11 })], badPolicy('lifetimeDays')],
  ['lifetimeDays 0.5', [policy({ lifetimeDays: 0.5 })], badPolicy('lifetimeDays')],
  ['lifetimeDays "1"', [policy({ lifetimeDays: '1' })], badPolicy('lifetimeDays')],
  ['lifetimeDays NaN', [policy({ lifetimeDays: NaN })], badPolicy('lifetimeDays')],
  ['lifetimeDays missing', [{ maxSnapshots: 3 }], badPolicy('lifetimeDays')],
  ['lifetimeDays 10', [policy({ lifetimeDays: 10 })], gives(normalised({ lifetimeDays: 10 }))],
  ['includeRam 1', [policy({ includeRam: 1 })], badPolicy('includeRam')],
  ['includeRam "true"', [policy({ includeRam: 'true' })], badPolicy('includeRam')],
  ['includeRam null is the default', [policy({ includeRam: null })], gives(normalised())],
  ['includeRam false', [policy({ includeRam: false })], gives(normalised({ includeRam: false }))],
  ['rollbackLatestOnly "yes"', [policy({ rollbackLatestOnly: 'yes' })], badPolicy('rollbackLatestOnly')],
  ['rollbackLatestOnly 0', [policy({ rollbackLatestOnly: 0 })], badPolicy('rollbackLatestOnly')],
  ['rollbackLatestOnly true', [policy({ rollbackLatestOnly: true })], gives(normalised({ rollbackLatestOnly: true }))],
  ['namePrefix ""', [policy({ namePrefix: '' })], badPolicy('namePrefix')],
  ['namePrefix "1x"', [policy({ namePrefix: '1x' })], badPolicy('namePrefix')],
  ['namePrefix "a/b"', [policy({ namePrefix: 'a/b' })], badPolicy('namePrefix')],
  ['namePrefix "a%2Fb"', [policy({ namePrefix: 'a%2Fb' })], badPolicy('namePrefix')],
  ['namePrefix ".."', [policy({ namePrefix: '..' })], badPolicy('namePrefix')],
  ['namePrefix "a.b"', [policy({ namePrefix: 'a.b' })], badPolicy('namePrefix')],
  ['namePrefix "a b"', [policy({ namePrefix: 'a b' })], badPolicy('namePrefix')],
  ['namePrefix " snap"', [policy({ namePrefix: ' snap' })], badPolicy('namePrefix')],
  ['namePrefix "snap\\n"', [policy({ namePrefix: 'snap\n' })], badPolicy('namePrefix')],
  ['namePrefix "snap\\0"', [policy({ namePrefix: 'snap\0' })], badPolicy('namePrefix')],
  ['namePrefix "snäp"', [policy({ namePrefix: 'snäp' })], badPolicy('namePrefix')],
  ['namePrefix 21 characters', [policy({ namePrefix: 'a'.repeat(21) })], badPolicy('namePrefix')],
  ['namePrefix 1 MB', [policy({ namePrefix: MB })], badPolicy('namePrefix')],
  ['namePrefix 5', [policy({ namePrefix: 5 })], badPolicy('namePrefix')],
  ['namePrefix lone surrogate', [policy({ namePrefix: `snap${LONE}` })], refused('policy.namePrefix')],
  ['namePrefix 20 characters', [policy({ namePrefix: 'a'.repeat(20) })], gives(normalised({ namePrefix: 'a'.repeat(20) }))],
  ['namePrefix "auto-"', [policy({ namePrefix: 'auto-' })], gives(normalised({ namePrefix: 'auto-' }))],
  ['extra host fields are ignored', [policy({ productId: 17, notes: 'gold' })], gives(normalised())],
  ['a "constructor" field is just a field', [policy({ constructor: 5, prototype: {} })], gives(normalised())],
  ['__proto__ from JSON.parse is an ignored own key', [JSON.parse('{"__proto__":{"maxSnapshots":100},"maxSnapshots":3,"lifetimeDays":1}')], gives(normalised())],
  ['inherited fields do not count', [Object.create({ maxSnapshots: 3, lifetimeDays: 1 })], badPolicy('maxSnapshots')],
]));

// --- target -----------------------------------------------------------------
/** @param {Record<string, unknown>} [over] */
const target = (over) => ({ node: 'pve1', vmid: 101, ...over });
/** @param {string} node @param {number} vmid @param {string} [type] */
const list = (node, vmid, type = 'qemu') => gives({ method: 'GET', path: `/nodes/${node}/${type}/${vmid}/snapshot`, params: {} });
const badTarget = (/** @type {string} */ f) => field('INVALID_TARGET', `target.${f}`);

test('target fields', () => table(core.listSnapshotsRequest, [
  ['node "../x"', [target({ node: '../x' })], badTarget('node')],
  ['node "pve1/.."', [target({ node: 'pve1/..' })], badTarget('node')],
  ['node "pve1/../../cluster"', [target({ node: 'pve1/../../cluster' })], badTarget('node')],
  ['node ".."', [target({ node: '..' })], badTarget('node')],
  ['node "."', [target({ node: '.' })], badTarget('node')],
  ['node "%2F"', [target({ node: '%2F' })], badTarget('node')],
  ['node "pve%2F1"', [target({ node: 'pve%2F1' })], badTarget('node')],
  ['node "pve1?x=1"', [target({ node: 'pve1?x=1' })], badTarget('node')],
  ['node "pve1#x"', [target({ node: 'pve1#x' })], badTarget('node')],
  ['node "pve 1"', [target({ node: 'pve 1' })], badTarget('node')],
  ['node " pve1"', [target({ node: ' pve1' })], badTarget('node')],
  ['node "pve1\\n"', [target({ node: 'pve1\n' })], badTarget('node')],
  ['node "pve1\\t"', [target({ node: 'pve1\t' })], badTarget('node')],
  ['node "pve1\\0"', [target({ node: 'pve1\0' })], badTarget('node')],
  ['node FQDN', [target({ node: 'pve1.example.com' })], badTarget('node')],
  ['node "-pve"', [target({ node: '-pve' })], badTarget('node')],
  ['node "pve-"', [target({ node: 'pve-' })], badTarget('node')],
  ['node "pvé"', [target({ node: 'pvé' })], badTarget('node')],
  ['node ""', [target({ node: '' })], badTarget('node')],
  ['node 64 characters', [target({ node: 'a'.repeat(64) })], badTarget('node')],
  ['node 1 MB', [target({ node: MB })], badTarget('node')],
  ['node 5', [target({ node: 5 })], badTarget('node')],
  ['node missing', [{ vmid: 101 }], badTarget('node')],
  ['node lone surrogate', [target({ node: `pve1${LONE}` })], refused('target.node')],
  ['node 63 characters', [target({ node: 'a'.repeat(63) })], list('a'.repeat(63), 101)],
  ['node "PVE-1"', [target({ node: 'PVE-1' })], list('PVE-1', 101)],
  ['vmid 99', [target({ vmid: 99 })], badTarget('vmid')],
  ['vmid 1e9', [target({ vmid: 1e9 })], badTarget('vmid')],
  ['vmid NaN', [target({ vmid: NaN })], badTarget('vmid')],
  ['vmid Infinity', [target({ vmid: Infinity })], badTarget('vmid')],
  ['vmid "101"', [target({ vmid: '101' })], badTarget('vmid')],
  ['vmid "101/../102"', [target({ vmid: '101/../102' })], badTarget('vmid')],
  ['vmid 101.5', [target({ vmid: 101.5 })], badTarget('vmid')],
  ['vmid -101', [target({ vmid: -101 })], badTarget('vmid')],
  ['vmid -0', [target({ vmid: -0 })], badTarget('vmid')],
  ['vmid 2^53+1', [target({ vmid: 2 ** 53 + 1 })], badTarget('vmid')],
  ['vmid true', [target({ vmid: true })], badTarget('vmid')],
  ['vmid missing', [{ node: 'pve1' }], badTarget('vmid')],
  ['vmid 100', [target({ vmid: 100 })], list('pve1', 100)],
  ['vmid 999999999', [target({ vmid: 999999999 })], list('pve1', 999999999)],
  ['type "openvz"', [target({ type: 'openvz' })], badTarget('type')],
  ['type "QEMU"', [target({ type: 'QEMU' })], badTarget('type')],
  ['type "qemu/../lxc"', [target({ type: 'qemu/../lxc' })], badTarget('type')],
  ['type ""', [target({ type: '' })], badTarget('type')],
  ['type 5', [target({ type: 5 })], badTarget('type')],
  ['type null is qemu', [target({ type: null })], list('pve1', 101)],
  ['type "lxc"', [target({ type: 'lxc' })], list('pve1', 101, 'lxc')],
  ['extra fields are ignored', [target({ name: 'web', status: 'running' })], list('pve1', 101)],
]));

test('validateTarget reads the same target and answers it normalised', () => table(core.validateTarget, [
  ['node "../x"', [target({ node: '../x' })], badTarget('node')],
  ['vmid "101"', [target({ vmid: '101' })], badTarget('vmid')],
  ['type "QEMU"', [target({ type: 'QEMU' })], badTarget('type')],
  ['no type is qemu, extra fields are dropped', [target({ name: 'web', status: 'running' })], gives({ node: 'pve1', vmid: 101, type: 'qemu' })],
  ['lxc', [target({ type: 'lxc', vmid: 999999999 })], gives({ node: 'pve1', vmid: 999999999, type: 'lxc' })],
]));

// A node name alone (GET /nodes/{node}/time) is checked like a target's node.
const badNode = field('INVALID_TARGET', 'node');
test('node names for nodeTimeRequest', () => table(core.nodeTimeRequest, [
  ['"../x"', ['../x'], badNode],
  ['"pve1/.."', ['pve1/..'], badNode],
  ['"%2F"', ['%2F'], badNode],
  ['"pve1?x=1"', ['pve1?x=1'], badNode],
  ['"pve1\\n"', ['pve1\n'], badNode],
  ['FQDN', ['pve1.example.com'], badNode],
  ['""', [''], badNode],
  ['64 characters', ['a'.repeat(LIMITS.nodeNameBytes + 1)], badNode],
  ['1 MB', [MB], badNode],
  ['5', [5], badNode],
  ['missing', [], badNode],
  ['lone surrogate', [`pve1${LONE}`], badNode],
  ['63 characters', ['a'.repeat(LIMITS.nodeNameBytes)], gives({ method: 'GET', path: `/nodes/${'a'.repeat(LIMITS.nodeNameBytes)}/time`, params: {} })],
  ['"pve-2"', ['pve-2'], gives({ method: 'GET', path: '/nodes/pve-2/time', params: {} })],
]));

test('vmStatusRequest reads the same target', () => table(core.vmStatusRequest, [
  ['node "../x"', [target({ node: '../x' })], badTarget('node')],
  ['vmid "101"', [target({ vmid: '101' })], badTarget('vmid')],
  ['valid lxc', [target({ type: 'lxc', vmid: 202, node: 'pve2' })], gives({ method: 'GET', path: '/nodes/pve2/lxc/202/status/current', params: {} })],
]));

// --- vmStatus and snapshot lists (as Proxmox sends them) -------------------------
/** @param {unknown} vmStatus @param {unknown[]} [snapshots] @returns {unknown[]} */
const pageOf = (vmStatus, snapshots = valid().snapshots) => [valid().policy, vmStatus, snapshots, NOW];
const badInput = (/** @type {string} */ f) => field('INVALID_INPUT', f);
/** @param {{pick: (row: Row) => unknown, rows: unknown[]}} want */
const rowsOf = (want) => gives((/** @type {Page} */ page) => assert.deepEqual(page.rows.map(want.pick), want.rows));
/** @param {...keyof Row} keys @returns {(row: Row) => unknown} */
const pick = (...keys) => (r) => keys.length === 1 ? r[keys[0]] : keys.map((k) => r[k]);
const blocked = (/** @type {string} */ code) => gives((/** @type {Page} */ page) => {
  assert.equal(page.quota.canCreate, false);
  assert.equal(page.createBlocked?.code, code);
});

test('vmStatus fields', () => table(core.snapshotPage, [
  ['status missing', pageOf({ vmid: 101 }), badInput('vmStatus.status')],
  ['status 5', pageOf({ status: 5 }), badInput('vmStatus.status')],
  ['status null', pageOf({ status: null }), badInput('vmStatus.status')],
  ['status lone surrogate', pageOf({ status: LONE }), badInput('vmStatus.status')],
  ['unknown status is not running', pageOf({ status: 'paused' }), gives((/** @type {Page} */ p) => assert.deepEqual(p.vm, { status: 'paused', running: false, lock: null }))],
  ['lock 5', pageOf({ status: 'running', lock: 5 }), badInput('vmStatus.lock')],
  ['lock "" is no lock', pageOf({ status: 'running', lock: '' }), gives((/** @type {Page} */ p) => assert.equal(p.vm.lock, null))],
  ['lock backup', pageOf({ status: 'running', lock: 'backup' }), blocked('VM_LOCKED')],
  ['lock snapshot', pageOf({ status: 'running', lock: 'snapshot' }), blocked('SNAPSHOT_BUSY')],
  ['lock snapshot-delete', pageOf({ status: 'running', lock: 'snapshot-delete' }), blocked('SNAPSHOT_BUSY')],
  ['lock of an unknown kind', pageOf({ status: 'running', lock: 'suspending' }), blocked('VM_LOCKED')],
  // Proxmox's hibernation holds the lock "suspended": the VM is not busy with another operation.
  ['lock suspended says hibernated', pageOf({ status: 'stopped', lock: 'suspended' }), gives((/** @type {Page} */ p) => {
    assert.equal(p.createBlocked?.code, 'VM_LOCKED');
    assert.match(p.createBlocked?.message ?? '', /hibernated/);
  })],
  ['template 1', pageOf({ status: 'stopped', template: 1 }), blocked('INVALID_TARGET')],
  ['template "1"', pageOf({ status: 'stopped', template: '1' }), blocked('INVALID_TARGET')],
  ['template "yes" (a Perl boolean)', pageOf({ status: 'stopped', template: 'yes' }), blocked('INVALID_TARGET')],
  ['template true', pageOf({ status: 'stopped', template: true }), blocked('INVALID_TARGET')],
  ['template "0"', pageOf({ status: 'stopped', template: '0' }), gives((/** @type {Page} */ p) => assert.equal(p.quota.canCreate, true))],
  ['template {}', pageOf({ status: 'stopped', template: {} }), badInput('vmStatus.template')],
  ['an unread field holding NaN is refused', pageOf({ status: 'running', uptime: NaN }), badInput('vmStatus.uptime')],
  ['an unread field holding a function is refused', pageOf({ status: 'running', agent: () => 1 }), badInput('vmStatus.agent')],
  ['template "maybe"', pageOf({ status: 'stopped', template: 'maybe' }), badInput('vmStatus.template')],
  ['template NaN', pageOf({ status: 'stopped', template: NaN }), badInput('vmStatus.template')],
  ['template 0', pageOf({ status: 'stopped', template: 0 }), gives((/** @type {Page} */ p) => assert.equal(p.quota.canCreate, true))],
]));

/** @param {unknown} vmStatus @param {unknown[]} [snapshots] @returns {unknown[]} */
const createWith = (vmStatus, snapshots = valid().snapshots) => { const v = valid(); return [v.target, v.policy, vmStatus, snapshots, {}, NOW]; };

test('Proxmox state words of 1 MB are refused with a short message', () => table(core.planCreate, [
  ['lock', createWith({ status: 'running', lock: MB }), badInput('vmStatus.lock')],
  ['status', createWith({ status: MB }), badInput('vmStatus.status')],
  ['snapstate', createWith({ status: 'running' }, [{ name: 'snap20261125T090000', snapstate: MB }]), badInput('snapshots[0].snapstate')],
  ['lock with a space', createWith({ status: 'running', lock: 'a b' }), badInput('vmStatus.lock')],
]));

test('a 1 MB snapshot name in Proxmox\'s list gives a short refusal', () => {
  // No Proxmox name is longer than 40 characters; the core refuses listed names
  // over 255 bytes, so no message or page row can carry 1 MB of someone's text.
  const v = valid();
  const busy = [{ name: MB, snaptime: S - 100, snapstate: 'prepare' }];
  check(core.planCreate, [v.target, v.policy, v.vmStatus, busy, {}, NOW], badInput('snapshots[0].name'));
  const newer = [{ name: 'snap20261125T090000', snaptime: S - 9000 }, { name: MB, snaptime: S - 100 }];
  check(core.planRollback, [v.target, { ...v.policy, rollbackLatestOnly: true }, v.vmStatus, newer, 'snap20261125T090000', {}], badInput('snapshots[1].name'));
});

/** @param {Record<string, unknown>} [over] */
const snap = (over) => [{ name: 'snap20261125T090000', snaptime: S - 9000, ...over }];
/** @param {keyof Row} key @param {unknown} value */
const row0 = (key, value) => gives((/** @type {Page} */ p) => assert.deepEqual(p.rows[0][key], value));

test('snapshot list entries', () => table(core.snapshotPage, [
  ['entry null', pageOf({ status: 'running' }, [null]), badInput('snapshots[0]')],
  ['entry 5', pageOf({ status: 'running' }, [5]), badInput('snapshots[0]')],
  ['entry "x"', pageOf({ status: 'running' }, ['x']), badInput('snapshots[0]')],
  ['entry []', pageOf({ status: 'running' }, [[]]), badInput('snapshots[0]')],
  ['second entry bad', pageOf({ status: 'running' }, [...snap(), 7]), badInput('snapshots[1]')],
  ['hole in a sparse array', pageOf({ status: 'running' }, [, ...snap()]), badInput('snapshots[0]')],
  ['name missing', pageOf({ status: 'running' }, [{ snaptime: 1 }]), badInput('snapshots[0].name')],
  ['name 5', pageOf({ status: 'running' }, snap({ name: 5 })), badInput('snapshots[0].name')],
  ['name lone surrogate', pageOf({ status: 'running' }, snap({ name: `snap${LONE}` })), badInput('snapshots[0].name')],
  ['name from __proto__ does not count', pageOf({ status: 'running' }, [JSON.parse('{"__proto__":{"name":"x"},"snaptime":1}')]), badInput('snapshots[0].name')],
  ['duplicate names', pageOf({ status: 'running' }, [...snap(), ...snap()]), badInput('snapshots')],
  ['"current" first is still dropped', pageOf({ status: 'running' }, [{ name: 'current' }, ...snap(), { name: 'current' }]), rowsOf({ pick: pick('name'), rows: ['snap20261125T090000'] })],
  ['"../../qemu/102" is a read-only foreign row', pageOf({ status: 'running' }, snap({ name: '../../qemu/102' })), gives((/** @type {Page} */ p) => {
    assert.deepEqual([p.rows[0].managed, p.rows[0].canRemove, p.rows[0].canRollback, p.quota.used], [false, false, false, 0]);
  })],
  ['name "Snap20261125T090000" is foreign (case)', pageOf({ status: 'running' }, snap({ name: 'Snap20261125T090000' })), row0('managed', false)],
  ['name "snap20261125T090000-1" is foreign', pageOf({ status: 'running' }, snap({ name: 'snap20261125T090000-1' })), row0('managed', false)],
  ['name "snap20261125T090000-2" is managed', pageOf({ status: 'running' }, snap({ name: 'snap20261125T090000-2' })), row0('managed', true)],
  // Proxmox's Perl encoder may write an integer as a string of digits.
  ['snaptime "1"', pageOf({ status: 'running' }, snap({ snaptime: '1' })), row0('createdAt', 1000)],
  ['snaptime "1795588200" reads as the number', pageOf({ status: 'running' }, snap({ snaptime: String(S - 9000) })), gives((/** @type {Page} */ p) => {
    assert.deepEqual(p, core.snapshotPage(valid().policy, { status: 'running' }, snap(), NOW));
  })],
  ['snaptime "0" is unknown age', pageOf({ status: 'running' }, snap({ snaptime: '0' })), row0('createdAt', null)],
  ['snaptime ""', pageOf({ status: 'running' }, snap({ snaptime: '' })), badInput('snapshots[0].snaptime')],
  ['snaptime " 1"', pageOf({ status: 'running' }, snap({ snaptime: ' 1' })), badInput('snapshots[0].snaptime')],
  ['snaptime "1 "', pageOf({ status: 'running' }, snap({ snaptime: '1 ' })), badInput('snapshots[0].snaptime')],
  ['snaptime "+1"', pageOf({ status: 'running' }, snap({ snaptime: '+1' })), badInput('snapshots[0].snaptime')],
  ['snaptime "-1"', pageOf({ status: 'running' }, snap({ snaptime: '-1' })), badInput('snapshots[0].snaptime')],
  ['snaptime "1.5"', pageOf({ status: 'running' }, snap({ snaptime: '1.5' })), badInput('snapshots[0].snaptime')],
  ['snaptime "1e9"', pageOf({ status: 'running' }, snap({ snaptime: '1e9' })), badInput('snapshots[0].snaptime')],
  ['snaptime "0x10"', pageOf({ status: 'running' }, snap({ snaptime: '0x10' })), badInput('snapshots[0].snaptime')],
  ['snaptime fullwidth digit', pageOf({ status: 'running' }, snap({ snaptime: '\uff11' })), badInput('snapshots[0].snaptime')],
  ['snaptime "253402300800" (after 9999)', pageOf({ status: 'running' }, snap({ snaptime: '253402300800' })), badInput('snapshots[0].snaptime')],
  ['snaptime of 1 MB digits', pageOf({ status: 'running' }, snap({ snaptime: '1'.repeat(1 << 20) })), badInput('snapshots[0].snaptime')],
  ['snaptime -1', pageOf({ status: 'running' }, snap({ snaptime: -1 })), badInput('snapshots[0].snaptime')],
  ['snaptime 1.5', pageOf({ status: 'running' }, snap({ snaptime: 1.5 })), badInput('snapshots[0].snaptime')],
  ['snaptime NaN', pageOf({ status: 'running' }, snap({ snaptime: NaN })), badInput('snapshots[0].snaptime')],
  ['snaptime Infinity', pageOf({ status: 'running' }, snap({ snaptime: Infinity })), badInput('snapshots[0].snaptime')],
  ['snaptime 2^53+1', pageOf({ status: 'running' }, snap({ snaptime: 2 ** 53 + 1 })), badInput('snapshots[0].snaptime')],
  ['snaptime after 9999', pageOf({ status: 'running' }, snap({ snaptime: 253402300800 })), badInput('snapshots[0].snaptime')],
  ['snaptime 9999-12-31T23:59:59Z', pageOf({ status: 'running' }, snap({ snaptime: 253402300799 })), row0('expiresAt', 253402300799000 + DAY * 1000)],
  ['snaptime 0 is unknown age', pageOf({ status: 'running' }, snap({ snaptime: 0 })), gives((/** @type {Page} */ p) => {
    assert.deepEqual([p.rows[0].createdAt, p.rows[0].expiresAt, p.rows[0].expired, p.rows[0].remainingLabel], [null, null, false, null]);
  })],
  ['snaptime -0 is 0', pageOf({ status: 'running' }, snap({ snaptime: -0 })), row0('createdAt', null)],
  ['snaptime missing is unknown age', pageOf({ status: 'running' }, [{ name: 'snap20261125T090000' }]), row0('expired', false)],
  ['vmstate "x"', pageOf({ status: 'running' }, snap({ vmstate: 'x' })), badInput('snapshots[0].vmstate')],
  ['vmstate NaN', pageOf({ status: 'running' }, snap({ vmstate: NaN })), badInput('snapshots[0].vmstate')],
  ['vmstate {}', pageOf({ status: 'running' }, snap({ vmstate: {} })), badInput('snapshots[0].vmstate')],
  ['vmstate 1', pageOf({ status: 'running' }, snap({ vmstate: 1 })), row0('ram', true)],
  ['vmstate "1"', pageOf({ status: 'running' }, snap({ vmstate: '1' })), row0('ram', true)],
  ['vmstate "0"', pageOf({ status: 'running' }, snap({ vmstate: '0' })), row0('ram', false)],
  ['vmstate true', pageOf({ status: 'running' }, snap({ vmstate: true })), row0('ram', true)],
  ['vmstate "yes"', pageOf({ status: 'running' }, snap({ vmstate: 'yes' })), row0('ram', true)],
  ['vmstate "off"', pageOf({ status: 'running' }, snap({ vmstate: 'off' })), row0('ram', false)],
  ['vmstate "" is false', pageOf({ status: 'running' }, snap({ vmstate: '' })), row0('ram', false)],
  ['vmstate []', pageOf({ status: 'running' }, snap({ vmstate: [] })), badInput('snapshots[0].vmstate')],
  ['snapstate 5', pageOf({ status: 'running' }, snap({ snapstate: 5 })), badInput('snapshots[0].snapstate')],
  ['snapstate "" is not busy', pageOf({ status: 'running' }, snap({ snapstate: '' })), row0('busy', null)],
  ['snapstate "prepare"', pageOf({ status: 'running' }, snap({ snapstate: 'prepare' })), gives((/** @type {Page} */ p) => {
    assert.deepEqual([p.rows[0].busy, p.rows[0].canRemove, p.createBlocked?.code], ['prepare', false, 'SNAPSHOT_BUSY']);
  })],
  ['description 5', pageOf({ status: 'running' }, snap({ description: 5 })), badInput('snapshots[0].description')],
  ['description lone surrogate', pageOf({ status: 'running' }, snap({ description: LONE })), badInput('snapshots[0].description')],
  ['description 1 MB is shown as Proxmox has it', pageOf({ status: 'running' }, snap({ description: MB })), row0('description', MB)],
  ['description with markup is data', pageOf({ status: 'running' }, snap({ description: '<img src=x onerror=alert(1)>' })), row0('description', '<img src=x onerror=alert(1)>')],
  // parent is not read: any JSON data is fine there, but not what JSON cannot carry.
  ['parent 5', pageOf({ status: 'running' }, snap({ parent: 5 })), row0('name', 'snap20261125T090000')],
  ['parent { deep: [null, true] }', pageOf({ status: 'running' }, snap({ parent: { deep: [null, true] } })), row0('name', 'snap20261125T090000')],
  ['parent NaN', pageOf({ status: 'running' }, snap({ parent: NaN })), badInput('snapshots[0].parent')],
  ['parent 10n', pageOf({ status: 'running' }, snap({ parent: 10n })), badInput('snapshots[0].parent')],
  ['an unread field, 3 levels down, holding -Infinity', pageOf({ status: 'running' }, snap({ x: { y: [{ z: -Infinity }] } })), badInput('snapshots[0].x.y[0].z')],
  [`${LIMITS.snapshotsPerList + 1} entries`, pageOf({ status: 'running' }, Array.from({ length: LIMITS.snapshotsPerList + 1 }, (_, i) => ({ name: `x${i}` }))), badInput('snapshots')],
  ['100k entries', pageOf({ status: 'running' }, Array.from({ length: 100_000 }, (_, i) => ({ name: `x${i}` }))), badInput('snapshots')],
  [`${LIMITS.snapshotsPerList} entries`, pageOf({ status: 'running' }, Array.from({ length: LIMITS.snapshotsPerList }, (_, i) => ({ name: `x${i}`, snaptime: i }))), gives((/** @type {Page} */ p) => assert.equal(p.rows.length, LIMITS.snapshotsPerList))],
]));

// --- create options ---------------------------------------------------------------
/** @param {unknown} options @returns {unknown[]} */
const create = (options) => { const v = valid(); return [v.target, v.policy, v.vmStatus, v.snapshots, options, NOW]; };
/** @param {Record<string, unknown>} want */
const params = (want) => gives((/** @type {Request} */ r) => assert.deepEqual(r.params, want));
const badDescription = field('INVALID_DESCRIPTION', 'options.description');
const NAME = 'snap20261125T113000';

test('create options', () => table(core.planCreate, [
  ['description NUL', create({ description: 'a\0b' }), badDescription],
  ['description ESC sequence', create({ description: '\u001b[31mred' }), badDescription],
  ['description lone CR', create({ description: 'a\rb' }), badDescription],
  ['description DEL', create({ description: 'a\u007f' }), badDescription],
  ['description C1 NEL', create({ description: '\u0085' }), badDescription],
  ['description 8193 characters', create({ description: 'x'.repeat(8193) }), badDescription],
  ['description 1 MB', create({ description: MB }), badDescription],
  ['description 5', create({ description: 5 }), badDescription],
  ['description lone surrogate', create({ description: `ok${LONE}` }), badDescription],
  ['description CRLF becomes LF', create({ description: 'a\r\nb\tc' }), params({ snapname: NAME, description: 'a\nb\tc', vmstate: 1 })],
  ['description 8192 characters', create({ description: 'é'.repeat(8192) }), params({ snapname: NAME, description: 'é'.repeat(8192), vmstate: 1 })],
  ['description markup is data', create({ description: '<script>x</script>' }), params({ snapname: NAME, description: '<script>x</script>', vmstate: 1 })],
  ['description "" is omitted', create({ description: '' }), params({ snapname: NAME, vmstate: 1 })],
  ['description "null" is text', create({ description: 'null' }), params({ snapname: NAME, description: 'null', vmstate: 1 })],
  ['includeRam "yes"', create({ includeRam: 'yes' }), field('INVALID_INPUT', 'options.includeRam')],
  ['includeRam 1', create({ includeRam: 1 }), field('INVALID_INPUT', 'options.includeRam')],
  ['includeRam false', create({ includeRam: false }), params({ snapname: NAME })],
  ['unknown options are ignored', create({ name: '../x', snapname: 'evil', vmstate: 1 }), params({ snapname: NAME, vmstate: 1 })],
]));

// Found by this suite (fixed in 9fbb285): a lone surrogate here was INVALID_INPUT.
test('a description with a lone surrogate is INVALID_DESCRIPTION like any other bad description', () => {
  check(core.planCreate, create({ description: `ok${LONE}` }), badDescription);
});

// --- names for rollback and remove ---------------------------------------------------
/** @param {string} name @param {Record<string, unknown>} [over] @returns {unknown[]} */
const named = (name, over = {}) => { const v = valid(); return [{ ...v.target, ...over }, v.policy, v.vmStatus, v.snapshots, name]; };
const badName = field('INVALID_NAME', 'name');
/** @type {Array<[string, string, Expected]>} */
const NAMES = [
  ['"/"', '/', badName],
  ['"a/b"', 'a/b', badName],
  ['"%2F"', '%2F', badName],
  ['"snap%2F.."', 'snap%2F..', badName],
  ['".."', '..', badName],
  ['"../../qemu/101"', '../../qemu/101', badName],
  ['managed name + "/../../x"', 'snap20261125T090000/../../x', badName],
  ['managed name + "?force=1"', 'snap20261125T090000?force=1', badName],
  ['leading space', ' snap20261125T090000', badName],
  ['trailing space', 'snap20261125T090000 ', badName],
  ['trailing newline', 'snap20261125T090000\n', badName],
  ['tab inside', 'snap\t1', badName],
  ['NUL inside', 'snap\u00001', badName],
  ['"current"', 'current', badName],
  ['"pending"', 'pending', badName],
  ['"PENDING"', 'PENDING', badName],
  ['"a"', 'a', badName],
  ['""', '', badName],
  ['41 characters', 'a'.repeat(41), badName],
  ['1 MB', MB, badName],
  ['"snäp"', 'snäp', badName],
  ['lone surrogate', `snap${LONE}`, refused('name')],
  ['other case is another snapshot', 'SNAP20261125T090000', fails('NOT_FOUND', undefined, { details: { name: 'SNAP20261125T090000', snapstate: null } })],
  ['absent', 'snap20261125T090001', fails('NOT_FOUND')],
  ['foreign', 'before-migration', fails('NOT_MANAGED', undefined, { details: { name: 'before-migration', snapstate: null } })],
  ['"vzdump" on qemu is just absent', 'vzdump', fails('NOT_FOUND')],
];

test('snapshot names for remove', () => table(core.planRemove, [
  ...NAMES.map(/** @returns {[string, unknown[], Expected]} */ ([label, name, want]) => [label, named(name), want]),
  ['"vzdump" on lxc', named('vzdump', { type: 'lxc' }), badName],
  ['"pending" on lxc is just absent', named('pending', { type: 'lxc' }), fails('NOT_FOUND')],
  ['valid', named('snap20261125T090000'), gives({ method: 'DELETE', path: '/nodes/pve1/qemu/101/snapshot/snap20261125T090000', params: {}, name: 'snap20261125T090000' })],
]));

test('snapshot names for rollback', () => table(core.planRollback, [
  ...NAMES.map(/** @returns {[string, unknown[], Expected]} */ ([label, name, want]) => [label, [...named(name), {}], want]),
  ['valid (snapshot with RAM resumes on its own)', [...named('snap20261125T090000'), {}], gives({ method: 'POST', path: '/nodes/pve1/qemu/101/snapshot/snap20261125T090000/rollback', params: {}, name: 'snap20261125T090000' })],
  ['start "yes"', [...named('snap20261125T090000'), { start: 'yes' }], field('INVALID_INPUT', 'options.start')],
  ['start 1', [...named('snap20261125T090000'), { start: 1 }], field('INVALID_INPUT', 'options.start')],
  ['an older snapshot without RAM restarts the running VM', [...named('snap20261120T000000'), undefined], gives((/** @type {Request} */ r) => assert.deepEqual(r.params, { start: 1 }))],
  ['start false', [...named('snap20261120T000000'), { start: false }], gives((/** @type {Request} */ r) => assert.deepEqual(r.params, {}))],
]));

test('a hostile name inside Proxmox\'s own list still cannot be acted on', () => {
  const v = valid();
  const snaps = [{ name: '../../qemu/102', snaptime: S - 5 * DAY }, { name: 'snap20261125T090000/../x', snaptime: S - 5 * DAY }];
  check(core.planRemove, [v.target, v.policy, v.vmStatus, snaps, '../../qemu/102'], badName);
  check(core.planRollback, [v.target, v.policy, v.vmStatus, snaps, 'snap20261125T090000/../x', {}], badName);
  check(core.planExpiry, [v.target, v.policy, v.vmStatus, snaps, NOW], gives({ deletes: [], skipped: [] }));
  assertAlive();
});

// --- UPIDs --------------------------------------------------------------------------
const UPID = 'UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam!panel:';
const badUpid = (f = 'upid') => fails('INVALID_TARGET', f);
/** @type {Array<[string, string, Expected]>} */
const UPIDS = [
  ['extra field', 'UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam:extra:', badUpid()],
  ['missing field', 'UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:root@pam:', badUpid()],
  ['no trailing colon', UPID.slice(0, -1), badUpid()],
  ['two trailing colons', `${UPID}:`, badUpid()],
  ['lowercase "upid"', UPID.replace('UPID', 'upid'), badUpid()],
  ['leading space', ` ${UPID}`, badUpid()],
  ['trailing space', `${UPID} `, badUpid()],
  ['trailing newline', `${UPID}\n`, badUpid()],
  ['node with a dot', UPID.replace('pve1', 'pve.1'), badUpid('upid.node')],
  ['node "../x"', UPID.replace('pve1', '../x'), badUpid('upid.node')],
  ['node "%2F"', UPID.replace('pve1', '%2F'), badUpid('upid.node')],
  ['empty node', UPID.replace('pve1', ''), badUpid('upid.node')],
  ['pid of 7 digits', UPID.replace('00001A2B', '0001A2B'), badUpid('upid.pid')],
  ['pid not hex', UPID.replace('00001A2B', '0000GGGG'), badUpid('upid.pid')],
  ['pstart of 10 digits', UPID.replace('0001C3D4', '000001C3D4'), badUpid('upid.pstart')],
  ['starttime of 9 digits', UPID.replace('6744A1B0', '06744A1B0'), badUpid('upid.starttime')],
  ['empty type', UPID.replace('qmsnapshot', ''), badUpid('upid.type')],
  ['type "qm/../x"', UPID.replace('qmsnapshot', 'qm/../x'), badUpid('upid.type')],
  ['type with a space', UPID.replace('qmsnapshot', 'qm snap'), badUpid('upid.type')],
  ['id with "/"', UPID.replace(':101:', ':1/01:'), badUpid('upid.id')],
  ['empty user', UPID.replace('root@pam!panel', ''), badUpid('upid.user')],
  ['user with a space', UPID.replace('root@pam!panel', 'root @pam'), badUpid('upid.user')],
  ['user with NUL', UPID.replace('root@pam!panel', 'root\0'), badUpid('upid.user')],
  ['1 MB', `UPID:${MB}`, badUpid()],
  ['empty', '', badUpid()],
  ['lone surrogate', UPID.replace('root', `r${LONE}`), refused('upid')],
];

test('UPIDs for parseUpid', () => table(core.parseUpid, [
  ...UPIDS.map(/** @returns {[string, unknown[], Expected]} */ ([label, upid, want]) => [label, [upid], want]),
  ['valid', [UPID], gives({ node: 'pve1', pid: 0x1A2B, pstart: 0x1C3D4, startedAt: 0x6744A1B0 * 1000, type: 'qmsnapshot', id: '101', user: 'root@pam!panel' })],
  ['9-digit pstart, empty id', ['UPID:node-7:0000ABCD:100000000:692573D8:vzdump::root@pam:'], gives((/** @type {Upid} */ u) => assert.deepEqual([u.node, u.pstart, u.id], ['node-7', 0x100000000, '']))],
]));

test('UPIDs for taskStatusRequest', () => table(core.taskStatusRequest, [
  ...UPIDS.map(/** @returns {[string, unknown[], Expected]} */ ([label, upid, want]) => [label, [upid], want]),
  ['valid: the UPID is one encoded segment on its own node', [UPID.replace('pve1', 'pve2')], gives({
    method: 'GET', path: '/nodes/pve2/tasks/UPID%3Apve2%3A00001A2B%3A0001C3D4%3A6744A1B0%3Aqmsnapshot%3A101%3Aroot%40pam%21panel%3A/status', params: {},
  })],
  ['"%2F" and "." in the user are encoded', [UPID.replace('root@pam!panel', 'a%2F..b@pve')], gives((/** @type {Request} */ r) => {
    assert.equal(r.path, '/nodes/pve1/tasks/UPID%3Apve1%3A00001A2B%3A0001C3D4%3A6744A1B0%3Aqmsnapshot%3A101%3Aa%252F%2E%2Eb%40pve%3A/status');
  })],
]));

// --- task status ---------------------------------------------------------------------
/** @param {string} state @param {number} warnings @param {string | null} message @param {string | null} lock */
const outcome = (state, warnings, message, lock) => gives({ state, warnings, message, lock });

test('task status', () => table(core.taskOutcome, [
  ['running', [{ status: 'running', upid: UPID }], outcome('running', 0, null, null)],
  ['OK', [{ status: 'stopped', exitstatus: 'OK' }], outcome('ok', 0, null, null)],
  ['OK with spaces', [{ status: 'stopped', exitstatus: ' OK\n' }], outcome('ok', 0, null, null)],
  ['WARNINGS: 3', [{ status: 'stopped', exitstatus: 'WARNINGS: 3' }], outcome('ok', 3, null, null)],
  ['WARNINGS: x', [{ status: 'stopped', exitstatus: 'WARNINGS: x' }], outcome('failed', 0, 'WARNINGS: x', null)],
  ['lowercase ok is not OK', [{ status: 'stopped', exitstatus: 'ok' }], outcome('failed', 0, 'ok', null)],
  ['VM is locked (backup)', [{ status: 'stopped', exitstatus: 'VM is locked (backup)' }], outcome('failed', 0, 'VM is locked (backup)', 'backup')],
  ['CT is locked (snapshot-delete)', [{ status: 'stopped', exitstatus: 'CT is locked (snapshot-delete)\n' }], outcome('failed', 0, 'CT is locked (snapshot-delete)', 'snapshot-delete')],
  ['VM is locked ()', [{ status: 'stopped', exitstatus: 'VM is locked ()' }], outcome('failed', 0, 'VM is locked ()', null)],
  ['empty exitstatus', [{ status: 'stopped', exitstatus: '' }], outcome('failed', 0, 'the task ended without an exit status', null)],
  ['no exitstatus', [{ status: 'stopped' }], outcome('failed', 0, 'the task ended without an exit status', null)],
  ['1 MB exitstatus is the failure text', [{ status: 'stopped', exitstatus: MB }], outcome('failed', 0, MB, null)],
  ['status "paused"', [{ status: 'paused' }], badInput('status.status')],
  ['status 5', [{ status: 5 }], badInput('status.status')],
  ['status missing', [{ exitstatus: 'OK' }], badInput('status.status')],
  ['status lone surrogate', [{ status: LONE }], badInput('status.status')],
  ['exitstatus 5', [{ status: 'stopped', exitstatus: 5 }], badInput('status.exitstatus')],
  ['exitstatus lone surrogate', [{ status: 'stopped', exitstatus: LONE }], badInput('status.exitstatus')],
]));

// --- remaining lifetime ----------------------------------------------------------------
/** @param {unknown} snaptime @param {unknown} [now] @param {unknown} [p] @returns {unknown[]} */
const life = (snaptime, now = NOW, p = { maxSnapshots: 1, lifetimeDays: 1 }) => [p, snaptime, now];

test('remaining lifetime', () => table(core.remainingLifetime, [
  ['snaptime -1', life(-1), badInput('snaptimeSeconds')],
  ['snaptime 1.5', life(1.5), badInput('snaptimeSeconds')],
  ['snaptime NaN', life(NaN), badInput('snaptimeSeconds')],
  ['snaptime "1"', life('1'), badInput('snaptimeSeconds')],
  ['snaptime 2^53+1', life(2 ** 53 + 1), badInput('snaptimeSeconds')],
  ['snaptime after 9999', life(253402300800), badInput('snaptimeSeconds')],
  ['nowMs after 9999', life(S, 253402300800000), badInput('nowMs')],
  ['nowMs -1', life(S, -1), badInput('nowMs')],
  ['nowMs 1.5', life(S, 1.5), badInput('nowMs')],
  ['snaptime 0 is unknown', life(0), gives({ seconds: 0, expired: false, label: 'unknown' })],
  ['fresh', life(S - 6), gives({ seconds: 86394, expired: false, label: '0 days 23:59:54' })],
  ['1 ms before the end rounds up', life(S - DAY, NOW - 1), gives({ seconds: 1, expired: false, label: '0 days 00:00:01' })],
  ['exactly at the end', life(S - DAY), gives({ seconds: 0, expired: true, label: 'expired' })],
  ['far past', life(1), gives({ seconds: 0, expired: true, label: 'expired' })],
  ['latest snaptime at epoch 0', life(253402300799, 0, { maxSnapshots: 1, lifetimeDays: 10 }), gives((/** @type {Remaining} */ r) => {
    assert.equal(r.seconds, 253402300799 + 10 * DAY);
    assert.equal(r.expired, false);
  })],
]));
