// The expiry rule written directly in JavaScript, as a team without the wasm
// core would write it: the yardstick `planExpiry` must not lose to. It reads
// the same arguments, checks the same inputs and returns the same plan
// (deletes and skipped, with the same codes and messages), so the bench can
// compare outputs deep-equal. Keep it honest: any shortcut here that the core
// does not take makes the comparison meaningless.

const MAX_EPOCH_SECONDS = 253_402_300_799;
const MAX_SNAPSHOTS_IN_LIST = 10_000;
const DAY_MS = 86_400_000;

/** @typedef {import('../pkg/pve_snapshots.js').Target} Target */
/** @typedef {import('../pkg/pve_snapshots.js').PolicyInput} PolicyInput */
/** @typedef {import('../pkg/pve_snapshots.js').VmStatus} VmStatus */
/** @typedef {import('../pkg/pve_snapshots.js').Snapshots} Snapshots */
/** @typedef {import('../pkg/pve_snapshots.js').Expiry} Expiry */
/** @typedef {import('../pkg/pve_snapshots.js').ErrorCode} ErrorCode */
/** @typedef {import('../pkg/pve_snapshots.js').Blocked} Blocked */

/**
 * @param {string} field
 * @param {string} reason
 * @param {ErrorCode} [code]
 * @returns {Error & {code: ErrorCode, details: object}}
 */
function inputError(field, reason, code = 'INVALID_INPUT') {
  const e = /** @type {any} */ (new Error(`${field}: ${reason}`));
  e.name = 'SnapshotError';
  e.code = code;
  e.details = { field };
  return e;
}

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** @param {unknown} v */
const present = (v) => v !== undefined && v !== null;

/** @param {string} path @param {unknown} v @param {number} min @param {number} max @param {ErrorCode} [code] @returns {number} */
function integer(path, v, min, max, code) {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw inputError(path, 'expected an integer', code);
  if (v < min || v > max) throw inputError(path, `must be from ${min} to ${max}, got ${v}`, code);
  return v;
}

/** @param {string} path @param {unknown} v @returns {string | undefined} */
function optString(path, v) {
  if (!present(v)) return undefined;
  if (typeof v !== 'string') throw inputError(path, 'expected a string');
  return v;
}

/** @param {string} path @param {unknown} v @returns {boolean} */
function perlBool(path, v) {
  if (!present(v)) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v !== 0;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === '1' || s === 'true' || s === 'yes' || s === 'on') return true;
    if (s === '' || s === '0' || s === 'false' || s === 'no' || s === 'off') return false;
  }
  throw inputError(path, 'expected a boolean (0/1)');
}

const NODE_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const PREFIX_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** @param {unknown} t */
function readTarget(t) {
  if (!isObject(t)) throw inputError('target', 'expected an object', 'INVALID_TARGET');
  if (typeof t.node !== 'string' || t.node.length > 63 || !NODE_RE.test(t.node)) {
    throw inputError('target.node', 'is not a valid Proxmox node name', 'INVALID_TARGET');
  }
  const vmid = integer('target.vmid', t.vmid, 100, 999_999_999, 'INVALID_TARGET');
  const type = present(t.type) ? t.type : 'qemu';
  if (type !== 'qemu' && type !== 'lxc') throw inputError('target.type', "must be 'qemu' or 'lxc'", 'INVALID_TARGET');
  return { node: t.node, vmid, type };
}

/** @param {unknown} p */
function readPolicy(p) {
  if (!isObject(p)) throw inputError('policy', 'expected an object', 'INVALID_POLICY');
  integer('policy.maxSnapshots', p.maxSnapshots, 0, 100, 'INVALID_POLICY');
  const lifetimeDays = integer('policy.lifetimeDays', p.lifetimeDays, 1, 10, 'INVALID_POLICY');
  for (const key of ['includeRam', 'rollbackLatestOnly']) {
    if (present(p[key]) && typeof p[key] !== 'boolean') throw inputError(`policy.${key}`, 'expected true or false', 'INVALID_POLICY');
  }
  let namePrefix = 'snap';
  if (present(p.namePrefix)) {
    if (typeof p.namePrefix !== 'string' || p.namePrefix.length > 20 || !PREFIX_RE.test(p.namePrefix)) {
      throw inputError('policy.namePrefix', 'is not a valid prefix', 'INVALID_POLICY');
    }
    namePrefix = p.namePrefix;
  }
  return { lifetimeMs: lifetimeDays * DAY_MS, managed: managedPattern(namePrefix) };
}

/**
 * One compiled pattern per prefix: `<prefix>YYYYMMDDTHHMMSS[-N]`, N 2..99.
 * @type {Map<string, RegExp>}
 */
const patterns = new Map();
/** @param {string} prefix @returns {RegExp} */
function managedPattern(prefix) {
  let re = patterns.get(prefix);
  if (!re) {
    // The prefix is checked above to be [A-Za-z0-9_-]: nothing to escape but '-'.
    re = new RegExp(`^${prefix.replace(/-/g, '\\-')}\\d{8}T\\d{6}(?:-(?:[2-9]|[1-9]\\d))?$`);
    patterns.set(prefix, re);
  }
  return re;
}

/** @param {unknown} v */
function readVm(v) {
  if (!isObject(v)) throw inputError('vmStatus', 'expected an object');
  if (typeof v.status !== 'string') throw inputError('vmStatus.status', present(v.status) ? 'expected a string' : 'is required');
  const lock = optString('vmStatus.lock', v.lock) || null;
  return { lock, template: perlBool('vmStatus.template', v.template) };
}

/**
 * @param {unknown} list
 * @returns {Array<{name: string, snaptime: number, snapstate: string | null}>}
 */
function readSnapshots(list) {
  if (!Array.isArray(list)) throw inputError('snapshots', 'expected an array');
  if (list.length > MAX_SNAPSHOTS_IN_LIST) throw inputError('snapshots', `more than ${MAX_SNAPSHOTS_IN_LIST} entries`);
  const out = [];
  const names = new Set();
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    if (!isObject(s)) throw inputError(`snapshots[${i}]`, 'expected an object');
    if (typeof s.name !== 'string') throw inputError(`snapshots[${i}].name`, present(s.name) ? 'expected a string' : 'is required');
    if (s.name === 'current') continue;
    if (names.has(s.name)) throw inputError('snapshots', `duplicate snapshot name '${s.name}'`);
    names.add(s.name);
    optString(`snapshots[${i}].description`, s.description);
    optString(`snapshots[${i}].parent`, s.parent);
    perlBool(`snapshots[${i}].vmstate`, s.vmstate);
    const snaptime = present(s.snaptime) ? integer(`snapshots[${i}].snaptime`, s.snaptime, 0, MAX_EPOCH_SECONDS) : 0;
    const snapstate = optString(`snapshots[${i}].snapstate`, s.snapstate) || null;
    out.push({ name: s.name, snaptime, snapstate });
  }
  return out;
}

const HEX = '0123456789ABCDEF';
const UNRESERVED = /^[A-Za-z0-9_~-]*$/;
const utf8 = new TextEncoder();

/**
 * Percent-encodes one path segment: everything but RFC 3986 unreserved
 * characters, so also '.', '!', '*', … which encodeURIComponent keeps.
 * @param {string} segment
 * @returns {string}
 */
export function encodeSegment(segment) {
  if (UNRESERVED.test(segment)) return segment;
  let out = '';
  for (const b of utf8.encode(segment)) {
    const c = String.fromCharCode(b);
    out += (b < 0x80 && /[A-Za-z0-9_~-]/.test(c)) ? c : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** @type {Record<string, string>} */
const BUSY_WORDS = { prepare: 'still being created or its creation failed', delete: 'being removed or its removal failed' };

/**
 * Why no snapshot operation may start: template, config lock, or any snapshot mid-operation.
 * @param {ReturnType<typeof readVm>} vm @param {ReturnType<typeof readSnapshots>} snapshots
 * @returns {Blocked | null}
 */
function operationBlocked(vm, snapshots) {
  if (vm.template) {
    return { code: 'INVALID_TARGET', message: 'vmStatus.template: this guest is a template; templates cannot take, roll back or remove snapshots' };
  }
  if (vm.lock) {
    if (vm.lock === 'snapshot' || vm.lock === 'snapshot-delete' || vm.lock === 'rollback') {
      return { code: 'SNAPSHOT_BUSY', message: `a snapshot operation is already running on this VM (lock: ${vm.lock})` };
    }
    return { code: 'VM_LOCKED', message: `the VM is locked by another operation (${vm.lock})` };
  }
  const busy = snapshots.find((s) => s.snapstate);
  if (busy) {
    const words = BUSY_WORDS[/** @type {string} */ (busy.snapstate)] ?? 'in an unfinished state';
    return { code: 'SNAPSHOT_BUSY', message: `snapshot '${busy.name}' is ${words} (snapstate: ${busy.snapstate})` };
  }
  return null;
}

/**
 * Same contract as the core's `planExpiry`: the DELETE requests for this
 * guest's managed snapshots past their lifetime, oldest first, and the
 * expired ones that cannot go now, with the reason.
 * @param {Target} target
 * @param {PolicyInput} policy
 * @param {VmStatus} vmStatus
 * @param {Snapshots} snapshots
 * @param {number} nowMs
 * @returns {Expiry}
 */
export function planExpiryJs(target, policy, vmStatus, snapshots, nowMs) {
  const t = readTarget(target);
  const p = readPolicy(policy);
  const vm = readVm(vmStatus);
  const list = readSnapshots(snapshots);
  const now = integer('nowMs', nowMs, 0, MAX_EPOCH_SECONDS * 1000 + 999);
  const blocked = operationBlocked(vm, list);
  const base = `/nodes/${encodeSegment(t.node)}/${t.type}/${t.vmid}/snapshot/`;
  /** @type {Expiry['deletes']} */
  const deletes = [];
  /** @type {Expiry['skipped']} */
  const skipped = [];
  const managed = list.filter((s) => p.managed.test(s.name));
  // Rust compares names by bytes; managed names are ASCII, where that equals JS order.
  managed.sort((a, b) => a.snaptime - b.snaptime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const s of managed) {
    if (s.snaptime === 0) {
      skipped.push({ name: s.name, code: 'INVALID_INPUT', message: 'Proxmox reports no creation time (snaptime) for this snapshot; it is never expired automatically' });
      continue;
    }
    if (now < s.snaptime * 1000 + p.lifetimeMs) continue;
    if (s.snapstate) {
      skipped.push({
        name: s.name,
        code: 'SNAPSHOT_BUSY',
        message: `snapshot is in snapstate '${s.snapstate}'; if no task is running for this guest, an operator must clear it (qm/pct unlock, then delete the snapshot) — it is never forced`,
      });
    } else if (blocked) {
      skipped.push({ name: s.name, code: blocked.code, message: blocked.message });
    } else {
      deletes.push({ method: 'DELETE', path: base + encodeSegment(s.name), params: {}, name: s.name });
    }
  }
  return { deletes, skipped };
}
