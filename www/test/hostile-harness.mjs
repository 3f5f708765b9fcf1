// Shared by the hostile-input suites (www/test/hostile-*.test.mjs): one
// check(fn, args, expected) that every case goes through, the coded-error
// contract, the known-good call that proves the module instance still works,
// and fresh fixtures so no case can see another's leftovers.
import assert from 'node:assert/strict';
import * as core from '../core.mjs';

export { core };

/**
 * What a case must give: a coded refusal (`code`, optionally at `field`), a
 * result (`ok`: a value to deep-equal or a function asserting on it), or
 * either of several such outcomes.
 * @typedef {object} Expected
 * @property {string|string[]} [code]
 * @property {string} [field]       the field path the message must start with
 * @property {boolean} [exact]      `details.field` must be exactly `field`
 * @property {boolean} [longMessage]
 * @property {Record<string, unknown>} [details]
 * @property {RegExp} [message]
 * @property {unknown} [ok]
 * @property {Expected[]} [either]
 */

/**
 * A refusal as the core throws it; the suites check every part at run time
 * (assertCoded), so this says only what they read.
 * @typedef {Error & {code: string, details: Record<string, unknown> | null}} CodedError
 */

/**
 * Every stable code, as the core defines them (once, in Rust); a refusal
 * with any other code is a defect.
 * @type {string[]}
 */
export const CODES = core.errorCodes().map((c) => c.code);

/** The core's own input limits (list length, nesting depth, text lengths). */
export const LIMITS = core.limits();

/**
 * Wording of serde, serde-wasm-bindgen, wasm-bindgen, a trap or a JS
 * TypeError that must never reach a caller: a refusal is in the core's words.
 */
const RAW = /Reflect\.get|invalid type|invalid length|invalid value|unknown variant|missing field|expected struct|JsValue\(|^Error: |unreachable|RuntimeError|panicked|wasm-bindgen|serde|is not a function|Cannot read prop|undefined is not|null is not|\[object /;

/** Longest message we accept: outside text is quoted shortened, so even 1 MB input gives a short message. */
export const MAX_MESSAGE = 1000;

export const NOW = Date.UTC(2026, 10, 25, 11, 30, 0);
export const S = NOW / 1000;
export const DAY = 86400;

/** Fresh valid arguments for every export (a new object graph on every call). */
export function valid() {
  return {
    policy: { maxSnapshots: 3, lifetimeDays: 1 },
    target: { node: 'pve1', vmid: 101, type: /** @type {'qemu'|'lxc'} */ ('qemu') },
    vmStatus: { status: 'running', vmid: 101, name: 'web-alice', qmpstatus: 'running', uptime: 86400 },
    snapshots: [
      { name: 'before-migration', description: 'Taken by support', snaptime: S - 10 * DAY, vmstate: 0 },
      { name: 'snap20261125T090000', description: 'Before PHP upgrade', snaptime: S - 9000, vmstate: 1, parent: 'before-migration' },
      { name: 'snap20261120T000000', description: '', snaptime: S - 5 * DAY, parent: 'snap20261125T090000' },
      { name: 'current', description: 'You are here!', parent: 'snap20261120T000000', running: 1 },
    ],
    name: 'snap20261125T090000',
    upid: 'UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam!panel:',
    status: { status: 'stopped', exitstatus: 'OK', type: 'qmsnapshot' },
    nowMs: NOW,
    snaptimeSeconds: S - 6,
  };
}

/**
 * The code every refusal about this field carries: the argument's own code
 * (a wrong policy is INVALID_POLICY, whether a number is out of range or a
 * getter threw; a node name, a target or a task id is INVALID_TARGET; a
 * description is INVALID_DESCRIPTION), INVALID_INPUT for Proxmox data, other
 * options and times.
 * @param {string} field
 */
export function codeFor(field) {
  const arg = field.split(/[.[]/)[0];
  /** @type {Record<string, string>} */
  const byArgument = { policy: 'INVALID_POLICY', target: 'INVALID_TARGET', upid: 'INVALID_TARGET', node: 'INVALID_TARGET', name: 'INVALID_NAME' };
  if (field === 'options.description') return 'INVALID_DESCRIPTION';
  return byArgument[arg] ?? 'INVALID_INPUT';
}

/**
 * Expected: the refusal of a wrong value at exactly this field.
 * @param {string} field @returns {Expected}
 */
export const refused = (field) => ({ code: codeFor(field), field, exact: true });

/**
 * Expected: a coded error. `field` is the field path the message must start with.
 * @param {string|string[]} code @param {string} [field] @param {Expected} [extra] @returns {Expected}
 */
export const fails = (code, field, extra = {}) => ({ code, field, ...extra });
/**
 * Expected: a result; `want` is a value to deep-equal or a function that asserts on it.
 * @param {unknown} want @returns {Expected}
 */
export const gives = (want) => ({ ok: want });
/**
 * Expected: either of two outcomes (where two readings are both defensible).
 * @param {...Expected} options @returns {Expected}
 */
export const either = (...options) => ({ either: options });

const SKIP = Symbol('unreadable');

/**
 * A comparable picture of a value's own enumerable data, read the way the
 * core reads it; SKIP when the value cannot be read (throwing getters,
 * revoked proxies), since those cannot be compared, only survived.
 * @param {unknown} v @param {Set<object>} [seen] @param {number} [depth]
 * @returns {unknown}
 */
function picture(v, seen = new Set(), depth = 0) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
    if (typeof v === 'number' && Object.is(v, -0)) return '-0';
    if (typeof v === 'symbol') return v;
    return [typeof v, v];
  }
  if (typeof v === 'function') return v;
  if (seen.has(v) || depth > 64) return ['ref'];
  seen.add(v);
  try {
    if (Array.isArray(v) && v.length > 1e6) return ['long array', v.length];
    const keys = Array.isArray(v) ? [...Array(v.length).keys()] : Object.keys(v);
    /** @type {unknown[]} */
    const out = [Object.isFrozen(v), Array.isArray(v)];
    for (const k of keys) out.push(k, picture(/** @type {Record<PropertyKey, unknown>} */ (v)[k], seen, depth + 1));
    return out;
  } catch {
    return SKIP;
  } finally {
    seen.delete(v);
  }
}

/** @param {unknown} p @returns {boolean} */
function containsSkip(p) {
  return p === SKIP || (Array.isArray(p) && p.some(containsSkip));
}

/**
 * The coded-error contract of DESIGN.md.
 * @param {unknown} thrown @param {Expected} expected @param {string} [label]
 */
export function assertCoded(thrown, expected, label = '') {
  assert.ok(thrown instanceof Error, `${label}: threw a non-Error ${String(thrown)}`);
  const err = /** @type {CodedError} */ (thrown);
  assert.equal(err.name, 'SnapshotError', `${label}: name ${err.name}: ${err.message}`);
  assert.ok(CODES.includes(err.code), `${label}: unlisted code ${err.code}`);
  const codes = [expected.code].flat();
  assert.ok(codes.includes(err.code), `${label}: expected ${codes.join('|')}, got ${err.code}: ${err.message.slice(0, 300)}`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.trim().length > 0, `${label}: empty message`);
  // Outside text is escaped before it is quoted, so a message is always valid Unicode.
  assert.ok(err.message.isWellFormed(), `${label}: message is not well-formed Unicode`);
  assert.ok(!RAW.test(err.message), `${label}: raw wording in ${JSON.stringify(err.message.slice(0, 300))}`);
  if (!expected.longMessage) {
    assert.ok(err.message.length <= MAX_MESSAGE, `${label}: message of ${err.message.length} characters`);
  }
  assert.ok(err.details === null || (typeof err.details === 'object' && !Array.isArray(err.details)), `${label}: details ${err.details}`);
  if (expected.field !== undefined) {
    const f = expected.field;
    const named = err.message.startsWith(`${f}: `) || err.message.startsWith(`${f}.`) || err.message.startsWith(`${f}[`);
    assert.ok(named, `${label}: message does not name ${f}: ${JSON.stringify(err.message.slice(0, 200))}`);
    const detailsField = err.details?.field;
    assert.equal(typeof detailsField, 'string', `${label}: details.field missing (${JSON.stringify(err.details)})`);
    assert.ok(err.message.startsWith(`${detailsField}: `), `${label}: details.field ${detailsField} is not the message's field`);
    if (expected.exact) assert.equal(detailsField, f, `${label}: field`);
  }
  if (expected.details) assert.deepEqual(err.details, expected.details, `${label}: details`);
  if (expected.message) assert.match(err.message, expected.message, `${label}: message`);
}

/**
 * @param {Expected} expected @param {boolean} threw @param {unknown} error
 * @param {unknown} result @param {string} label
 */
function settle(expected, threw, error, result, label) {
  if (expected.either) {
    const failures = [];
    for (const option of expected.either) {
      try {
        settle(option, threw, error, result, label);
        return;
      } catch (e) {
        failures.push(/** @type {Error} */ (e).message);
      }
    }
    assert.fail(`${label}: none of the accepted outcomes:\n  ${failures.join('\n  ')}`);
  }
  if ('code' in expected) {
    assert.ok(threw, `${label}: expected ${expected.code}, got a result ${JSON.stringify(result)?.slice(0, 300)}`);
    assertCoded(error, expected, label);
    return;
  }
  if (threw) {
    const e = /** @type {Partial<CodedError> | undefined} */ (error);
    assert.fail(`${label}: expected a result, got ${e?.name} ${e?.code}: ${String(e?.message).slice(0, 300)}`);
  }
  if (typeof expected.ok === 'function') expected.ok(result);
  else assert.deepStrictEqual(result, expected.ok, label);
}

/** Counts every case run, for the suite's own report. */
export const stats = { cases: 0 };

/**
 * Calls fn(...args) and asserts the outcome; also that no argument was
 * changed by the call (compared field by field where readable). `fn` is any
 * function: the suites call the core with values its types refuse, on purpose.
 * @param {(...args: never[]) => unknown} fn @param {unknown[]} args
 * @param {Expected} expected @param {string} [label]
 */
export function check(fn, args, expected, label = fn.name) {
  stats.cases++;
  const before = args.map((a) => picture(a));
  let result;
  let error;
  let threw = false;
  try {
    result = /** @type {(...args: unknown[]) => unknown} */ (fn)(...args);
  } catch (e) {
    threw = true;
    error = e;
  }
  args.forEach((a, i) => {
    if (containsSkip(before[i])) return;
    assert.deepStrictEqual(picture(a), before[i], `${label}: argument ${i} was mutated`);
  });
  settle(expected, threw, error, result, label);
  return result;
}

/**
 * Runs check() on every row and fails once at the end, listing every row that
 * failed: one wrong answer does not hide the rows after it.
 * @param {Array<[(...args: never[]) => unknown, unknown[], Expected, string?]>} rows
 */
export function checkAll(rows) {
  /** @type {string[]} */
  const failures = [];
  for (const [fn, args, expected, label] of rows) {
    try {
      check(fn, args, expected, label ?? fn.name);
    } catch (e) {
      failures.push(String(/** @type {Error} */ (e).message).split('\n')[0]);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${rows.length} rows failed`);
}

/** A known-good call with a fully known answer: the instance is alive and right. */
export function assertAlive() {
  const v = valid();
  const page = core.snapshotPage(v.policy, v.vmStatus, v.snapshots, v.nowMs);
  assert.deepEqual(page.quota, { used: 2, limit: 3, label: '2/3', canCreate: true });
  assert.deepEqual(page.rows.map((r) => [r.name, r.remainingLabel]), [
    ['before-migration', null],
    ['snap20261120T000000', 'expired'],
    ['snap20261125T090000', '0 days 21:30:00'],
  ]);
  const create = core.planCreate(v.target, v.policy, v.vmStatus, v.snapshots, {}, v.nowMs);
  assert.deepEqual(create, {
    method: 'POST',
    path: '/nodes/pve1/qemu/101/snapshot',
    params: { snapname: 'snap20261125T113000', vmstate: 1 },
    name: 'snap20261125T113000',
  });
}
