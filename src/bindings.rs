//! The WebAssembly boundary: the only module that knows about JS values.
//!
//! Guest data (`snapshotPage`, `planExpiry`, `planExpiryBatch`) takes the
//! packed lane when it arrives as plain objects and arrays: the glue reads
//! only the fields the rules read into one UTF-8 buffer and one
//! `Float64Array` ([`crate::packed`]), and the result comes back as a tape
//! the glue turns into the same objects JSON would give. Every other
//! argument, and guest data the glue cannot pack exactly, crosses as JSON
//! text: the engine's native `JSON.stringify`, one copy, and a parse in
//! Rust. Whatever JSON cannot carry faithfully (NaN, ±Infinity, functions,
//! symbols, bigints, getters or proxies that throw, cycles, lone
//! surrogates, fractions, very deep input: see [`crate::json`]) is read
//! instead by a field-by-field walk that cannot trap and names the
//! offending field. All three lanes end in the same `(key, Value)` fields
//! read by the same readers, so they accept and refuse alike. `undefined`
//! counts as absent; objects with a `toJSON` method (such as `Date`) and
//! boxed primitives are read as JSON writes them. Refusals are `Error`s
//! carrying `code`, `message` and `details`.

use js_sys::{Array, Float64Array, Reflect, Uint8Array, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::api;
use crate::error::SnapshotError;
use crate::input::Value;
use crate::json;
use crate::packed::{Guests, Tape};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Stable error codes carried by every thrown `SnapshotError`. */
export type ErrorCode =
  | "QUOTA_EXCEEDED" | "VM_LOCKED" | "SNAPSHOT_BUSY" | "NOT_FOUND" | "NOT_MANAGED"
  | "ROLLBACK_NOT_LATEST" | "SNAPSHOTS_DISABLED" | "INVALID_NAME" | "INVALID_DESCRIPTION"
  | "INVALID_POLICY" | "INVALID_TARGET" | "INVALID_INPUT";

/** What every function throws: an `Error` named "SnapshotError". */
export interface SnapshotError extends Error {
  name: "SnapshotError";
  code: ErrorCode;
  /** e.g. `{lock: "backup"}`, `{used: 3, limit: 3}`, `{field: "policy.lifetimeDays"}` */
  details: Record<string, unknown> | null;
}

/** A product policy as the administrator writes it. */
export interface PolicyInput {
  /** 0 disables snapshots; at most 100. */
  maxSnapshots: number;
  /** 1 to 10. */
  lifetimeDays: number;
  /** Default true. */
  includeRam?: boolean;
  /** Default "snap": a letter, then letters, digits, "_" or "-"; at most 20 characters. */
  namePrefix?: string;
  /** Default false; true for ZFS-like storage that only rolls back to the newest snapshot. */
  rollbackLatestOnly?: boolean;
}

/** A validated policy with every default filled in. */
export interface Policy {
  maxSnapshots: number;
  lifetimeDays: number;
  includeRam: boolean;
  namePrefix: string;
  rollbackLatestOnly: boolean;
}

/** Which guest: `type` defaults to "qemu". */
export interface Target {
  node: string;
  vmid: number;
  type?: "qemu" | "lxc";
}

/** `data` of `GET /nodes/{node}/{qemu|lxc}/{vmid}/status/current`, as Proxmox sends it. */
export interface PveVmStatus {
  status: string;
  lock?: string;
  template?: number | boolean;
  [key: string]: unknown;
}

/** One entry of `data` of `GET …/snapshot`, as Proxmox sends it (the list ends with `current`). */
export interface PveSnapshot {
  name: string;
  description?: string;
  snaptime?: number;
  vmstate?: number | boolean;
  parent?: string;
  snapstate?: "prepare" | "delete" | string;
  [key: string]: unknown;
}

/** `data` of `GET /nodes/{node}/tasks/{upid}/status`. */
export interface PveTaskStatus {
  status: "running" | "stopped";
  exitstatus?: string;
  [key: string]: unknown;
}

/** A Proxmox API call for the host to send: query string for GET/DELETE, form body for POST. */
export interface RequestDescription {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Relative to `/api2/json`, every segment percent-encoded. */
  path: string;
  /** Flat; booleans are 0/1. */
  params: Record<string, string | number>;
  /** The snapshot the request acts on (create, rollback, remove). */
  name?: string;
}

/** A refusal, as shown next to a disabled control. */
export interface Blocked {
  code: ErrorCode;
  message: string;
}

export interface SnapshotRow {
  name: string;
  description: string;
  /** ms since the epoch; null when Proxmox recorded no creation time. */
  createdAt: number | null;
  /** ms since the epoch; null for foreign snapshots and unknown age. */
  expiresAt: number | null;
  remainingSeconds: number | null;
  /** "0 days 23:59:54", "expired", or null when there is no countdown. */
  remainingLabel: string | null;
  expired: boolean;
  /** Made by this module; foreign snapshots are read-only and never expire here. */
  managed: boolean;
  /** Includes the VM's memory. */
  ram: boolean;
  /** Proxmox's snapstate while an operation is unfinished. */
  busy: string | null;
  canRollback: boolean;
  rollbackBlocked: Blocked | null;
  canRemove: boolean;
  removeBlocked: Blocked | null;
}

export interface SnapshotPage {
  quota: { used: number; limit: number; label: string; canCreate: boolean };
  createBlocked: Blocked | null;
  vm: { status: string; running: boolean; lock: string | null };
  /** Oldest first. */
  rows: SnapshotRow[];
}

export interface CreateOptions {
  /** At most 8192 characters; newline and tab allowed, other control characters refused. */
  description?: string;
  /** Default true; memory is saved only for a running QEMU VM and when the policy allows it. */
  includeRam?: boolean;
}

export interface RollbackOptions {
  /** Start the guest after the rollback. Default: true when it is running now (rollback stops it). */
  start?: boolean;
}

export interface ExpiryPlan {
  /** DELETE requests, oldest first: send one at a time and re-plan before the next. */
  deletes: RequestDescription[];
  skipped: { name: string; code: ErrorCode; message: string }[];
}

export interface Upid {
  node: string;
  pid: number;
  pstart: number;
  /** ms since the epoch. */
  startedAt: number;
  type: string;
  id: string;
  user: string;
}

export interface TaskOutcome {
  state: "running" | "ok" | "failed";
  warnings: number;
  message: string | null;
  /** The lock named by "VM is locked (backup)". */
  lock: string | null;
}

export interface RemainingLifetime {
  seconds: number;
  expired: boolean;
  label: string;
}
"#;

/// Bounds on one argument, so hostile input costs little and cannot
/// exhaust memory: nesting depth and total number of values visited.
const MAX_DEPTH: usize = 32;
const MAX_VALUES: usize = 4_000_000;

// A module snippet rather than `new Function`, which a page CSP without
// 'unsafe-eval' forbids.
//
// faithfulJson: the JSON lane. The replacer refuses what JSON would
// silently change: NaN and ±Infinity (written as null), functions and
// symbols (dropped), bigints.
//
// pack*/unpack*: the packed lane for guest data (layouts in
// src/packed.rs). Packing reads only the fields the rules read, from plain
// objects and arrays, and gives up (false: the caller takes the JSON lane)
// on anything else, so errors are always the JSON lane's. It also
// gives up if Object.prototype carries one of its keys (it would read an
// inherited value JSON skips), and when a getter re-enters it. Unpacking
// builds the same objects JSON.parse would, keys in the same order.
#[wasm_bindgen(inline_js = r#"
const refuse = new Error('not JSON');
function strict(key, value) {
  switch (typeof value) {
    case 'number': if (value - value !== 0) throw refuse; return value;
    case 'function': case 'symbol': case 'bigint': throw refuse;
    default: return value;
  }
}
export function faithfulJson(value) {
  try { return JSON.stringify(value, strict); } catch { return undefined; }
}

const NO = new Error('not packable');
const KEYS = ['maxSnapshots', 'lifetimeDays', 'includeRam', 'namePrefix', 'rollbackLatestOnly',
  'target', 'vmStatus', 'snapshots', 'node', 'vmid', 'type', 'status', 'lock', 'template',
  'name', 'snaptime', 'description', 'vmstate', 'parent', 'snapstate'];
const encoder = new TextEncoder();
let nums = new Float64Array(1024);
let n = 0;
let bytes = new Uint8Array(8192);
let used = 0;
let packing = false;
// Callers make room first (guest() for all its numbers), so a write is a store.
function num(x) { nums[n++] = x; }
function room(count) {
  if (n + count > nums.length) {
    const grown = new Float64Array(Math.max(nums.length * 2, n + count));
    grown.set(nums.subarray(0, n));
    nums = grown;
  }
}
// Strings go first into one JS string, encoded once at the end: right
// when it is all ASCII (names, states, nodes: the usual case). Otherwise the
// guest is packed again with each string encoded on its own.
let text = '';
let ascii = true;
function str(v) {
  if (typeof v === 'string') {
    if (ascii) { text += v; num(v.length); return; }
    const len = v.length;
    if (used + len * 3 > bytes.length) grow(used + len * 3);
    let i = 0;
    for (; i < len; i++) {
      const c = v.charCodeAt(i);
      if (c > 127) break;
      bytes[used + i] = c;
    }
    if (i === len) { used += len; num(len); return; }
    const { written } = encoder.encodeInto(v, bytes.subarray(used));
    used += written;
    num(written);
  } else if (v === undefined || v === null) num(-1);
  else throw NO;
}
function grow(size) {
  const grown = new Uint8Array(Math.max(bytes.length * 2, size));
  grown.set(bytes.subarray(0, used));
  bytes = grown;
}
// A field not sent: checked as the JSON lane would (lone surrogates included).
function checkStr(v) {
  if (typeof v === 'string') { if (!v.isWellFormed()) throw NO; }
  else if (v !== undefined && v !== null) throw NO;
}
function int(v) {
  if (typeof v === 'number') { if (v - v !== 0) throw NO; num(v); }
  else if (v === undefined || v === null) num(NaN);
  else throw NO;
}
function bool(v) {
  if (typeof v === 'boolean') num(v ? 1 : 0);
  else if (v === undefined || v === null) num(NaN);
  else throw NO;
}
function perlBool(v) { if (typeof v === 'boolean') num(v ? 1 : 0); else int(v); }
function plain(o) {
  if (typeof o !== 'object' || o === null) throw NO;
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) throw NO;
  return o;
}
function list(a) {
  if (!Array.isArray(a) || Object.getPrototypeOf(a) !== Array.prototype) throw NO;
  return a;
}
function guest(target, status, snapshots, withTarget, descriptions) {
  const a = list(snapshots);
  const len = a.length;
  // Longer lists are refused by the core; the JSON lane says so.
  if (len > 10000) throw NO;
  room(7 + 5 * len);
  if (withTarget) { const t = plain(target); str(t.node); int(t.vmid); str(t.type); }
  const s = plain(status); str(s.status); str(s.lock); perlBool(s.template);
  num(len);
  for (let i = 0; i < len; i++) {
    const e = plain(a[i]);
    str(e.name); int(e.snaptime);
    if (descriptions) str(e.description); else { checkStr(e.description); num(-1); }
    perlBool(e.vmstate); checkStr(e.parent); str(e.snapstate);
  }
}
function pack(write) {
  if (packing) return false;
  packing = true;
  try {
    for (const k of KEYS) if (k in Object.prototype) return false;
    n = 0;
    used = 0;
    text = '';
    ascii = true;
    write();
    if (text.length > bytes.length) grow(text.length);
    const { read, written } = encoder.encodeInto(text, bytes);
    if (read === text.length && written === read) {
      used = written;
      return true;
    }
    n = 0;
    used = 0;
    ascii = false;
    write();
    return true;
  } catch {
    return false;
  } finally {
    packing = false;
    text = '';
  }
}
export function packGuest(policy, target, status, snapshots, withTarget, descriptions) {
  return pack(() => {
    const p = plain(policy);
    room(5);
    int(p.maxSnapshots); int(p.lifetimeDays); bool(p.includeRam); str(p.namePrefix); bool(p.rollbackLatestOnly);
    guest(target, status, snapshots, withTarget, descriptions);
  });
}
export function packFleet(vms) {
  return pack(() => {
    const a = list(vms);
    const len = a.length;
    room(1);
    num(len);
    for (let i = 0; i < len; i++) { const vm = plain(a[i]); guest(vm.target, vm.vmStatus, vm.snapshots, true, false); }
  });
}
// The buffers are kept for the next call (a fleet's are a few MB).
export function packedNumbers() { return nums.subarray(0, n); }
export function packedBytes() { return bytes.subarray(0, used); }

let T = '';
let N = null;
let at = 0;
let k = 0;
function s() { const len = N[k++]; return T.slice(at, at += len); }
function os() { const len = N[k++]; return len < 0 ? null : T.slice(at, at += len); }
function oi() { const x = N[k++]; return x === x ? x : null; }
function b() { return N[k++] === 1; }
function blocked() { return b() ? { code: s(), message: s() } : null; }
function request() {
  const method = s();
  const path = s();
  const params = {};
  for (let i = N[k++]; i > 0; i--) {
    const key = s();
    Object.defineProperty(params, key, { value: b() ? N[k++] : s(), writable: true, enumerable: true, configurable: true });
  }
  const name = os();
  return name === null ? { method, path, params } : { method, path, params, name };
}
function expiry() {
  const deletes = [];
  let base = '';
  for (let i = N[k++]; i > 0; i--) {
    const mode = N[k++];
    if (mode === 0) { deletes.push(request()); continue; }
    if (mode === 1) base = s();
    const name = s();
    deletes.push({ method: 'DELETE', path: base + name, params: {}, name });
  }
  const skipped = [];
  for (let i = N[k++]; i > 0; i--) skipped.push({ name: s(), code: s(), message: s() });
  return { deletes, skipped };
}
function page() {
  const quota = { used: N[k++], limit: N[k++], label: s(), canCreate: b() };
  const createBlocked = blocked();
  const vm = { status: s(), running: b(), lock: os() };
  const rows = [];
  for (let i = N[k++]; i > 0; i--) {
    rows.push({
      name: s(), description: s(), createdAt: oi(), expiresAt: oi(), remainingSeconds: oi(),
      remainingLabel: os(), expired: b(), managed: b(), ram: b(), busy: os(),
      canRollback: b(), rollbackBlocked: blocked(), canRemove: b(), removeBlocked: blocked(),
    });
  }
  return { quota, createBlocked, vm, rows };
}
function unpack(text, nums, read) {
  T = text; N = nums; at = 0; k = 0;
  try {
    const out = read();
    if (k !== N.length || at !== T.length) throw new Error('packed result out of step');
    return out;
  } finally {
    T = ''; N = null;
  }
}
export function unpackExpiry(text, nums) { return unpack(text, nums, expiry); }
export function unpackPage(text, nums) { return unpack(text, nums, page); }
export function unpackBatch(text, nums) {
  return unpack(text, nums, () => {
    const plans = [];
    for (let i = N[k++]; i > 0; i--) plans.push(expiry());
    return plans;
  });
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = faithfulJson)]
    fn faithful_json(value: &JsValue) -> Option<String>;
    #[wasm_bindgen(js_name = packGuest)]
    fn pack_guest(
        policy: &JsValue,
        target: &JsValue,
        status: &JsValue,
        snapshots: &JsValue,
        with_target: bool,
        descriptions: bool,
    ) -> bool;
    #[wasm_bindgen(js_name = packFleet)]
    fn pack_fleet(vms: &JsValue) -> bool;
    #[wasm_bindgen(js_name = packedNumbers)]
    fn packed_numbers() -> Float64Array;
    #[wasm_bindgen(js_name = packedBytes)]
    fn packed_bytes() -> Uint8Array;
    #[wasm_bindgen(catch, js_name = unpackExpiry)]
    fn unpack_expiry(text: &str, nums: &[f64]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = unpackPage)]
    fn unpack_page(text: &str, nums: &[f64]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = unpackBatch)]
    fn unpack_batch(text: &str, nums: &[f64]) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(value: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;
}

struct Reader {
    visited: usize,
}

impl Reader {
    fn fail(path: &dyn Fn() -> String, reason: &str) -> SnapshotError {
        SnapshotError::input(path(), reason)
    }

    fn read(
        &mut self,
        js: &JsValue,
        depth: usize,
        path: &dyn Fn() -> String,
    ) -> Result<Value<'static>, SnapshotError> {
        self.visited += 1;
        if self.visited > MAX_VALUES {
            return Err(Self::fail(path, "input is too large"));
        }
        if js.is_undefined() || js.is_null() {
            return Ok(Value::Null);
        }
        if let Some(b) = js.as_bool() {
            return Ok(Value::Bool(b));
        }
        if let Some(n) = js.as_f64() {
            return Ok(Value::Number(n));
        }
        if let Some(s) = js.as_string() {
            // The conversion replaces lone surrogates with U+FFFD; only then
            // pay for the exact check, and refuse text that would change.
            if has_replacement_char(&s) && !js_sys::JsString::from(js.clone()).is_valid_utf16() {
                return Err(Self::fail(
                    path,
                    "contains invalid UTF-16 (a lone surrogate)",
                ));
            }
            return Ok(Value::String(s.into()));
        }
        if !js.is_object() {
            return Err(Self::fail(
                path,
                "expected JSON-like data, got a symbol, bigint or function",
            ));
        }
        if depth >= MAX_DEPTH {
            return Err(Self::fail(path, "is nested too deeply"));
        }
        let unreadable = |_| Self::fail(path, "could not be read (a getter or proxy threw)");
        if is_array(js).map_err(unreadable)? {
            let len = Reflect::get(js, &JsValue::from_str("length")).map_err(unreadable)?;
            let len = len
                .as_f64()
                .filter(|n| *n >= 0.0 && *n <= MAX_VALUES as f64)
                .ok_or_else(|| Self::fail(path, "array is too large"))?;
            let mut items = Vec::with_capacity((len as usize).min(1 << 16));
            for i in 0..len as u32 {
                let item = Reflect::get(js, &JsValue::from(i)).map_err(unreadable)?;
                items.push(self.read(&item, depth + 1, &|| format!("{}[{i}]", path()))?);
            }
            return Ok(Value::Array(items));
        }
        let keys = object_keys(js).map_err(unreadable)?;
        let mut fields = Vec::with_capacity(keys.length() as usize);
        for key in keys.iter() {
            let Some(k) = key.as_string() else { continue };
            let field_path = || join(&path(), &k);
            let item = Reflect::get(js, &key).map_err(|_| {
                Self::fail(&field_path, "could not be read (a getter or proxy threw)")
            })?;
            let value = self.read(&item, depth + 1, &field_path)?;
            fields.push((k.into(), value));
        }
        Ok(Value::Object(fields))
    }
}

/// U+FFFD in UTF-8, found bytewise: a `char` pattern would pull a generic
/// substring searcher into the module.
fn has_replacement_char(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| w == [0xEF, 0xBF, 0xBD])
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// One argument: its JSON text when the engine could write it faithfully,
/// else the JS value itself for the exact walk. The parsed [`Value`]
/// borrows its strings from the text.
struct Arg<'j> {
    js: &'j JsValue,
    name: &'static str,
    text: Option<String>,
}

impl<'j> Arg<'j> {
    fn fast(&self) -> Option<Value<'_>> {
        if self.js.is_undefined() {
            return Some(Value::Null);
        }
        self.text.as_deref().and_then(json::parse)
    }

    fn new(js: &'j JsValue, name: &'static str) -> Self {
        // A number, string or boolean is read directly: cheaper than
        // writing and parsing JSON for it.
        let text = if js.is_object() {
            faithful_json(js)
        } else {
            None
        };
        Arg { js, name, text }
    }

    fn value(&self) -> Result<Value<'_>, JsValue> {
        if let Some(value) = self.fast() {
            return Ok(value);
        }
        let read = Reader { visited: 0 }.read(self.js, 0, &|| self.name.to_owned());
        // The same code the rules would give a wrong value in this argument.
        read.map_err(|e| {
            let e = match self.name {
                "policy" => {
                    e.recode(|field, reason| SnapshotError::InvalidPolicy { field, reason })
                }
                "target" | "upid" => {
                    e.recode(|field, reason| SnapshotError::InvalidTarget { field, reason })
                }
                "name" => e.recode(|field, reason| SnapshotError::InvalidName { field, reason }),
                "options" if matches!(&e, SnapshotError::InvalidInput { field, .. } if field == "options.description") => {
                    e.recode(|field, reason| SnapshotError::InvalidDescription { field, reason })
                }
                _ => e,
            };
            to_js_error(&e)
        })
    }
}

/// Hands a result to JS as JSON text for the engine's native parser.
fn to_js<T: Serialize>(value: &T) -> Option<JsValue> {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| JSON::parse(&text).ok())
}

fn to_js_error(err: &SnapshotError) -> JsValue {
    let e = js_sys::Error::new(&err.to_string());
    e.set_name("SnapshotError");
    let details = err
        .details()
        .and_then(|d| to_js(&d))
        .unwrap_or(JsValue::NULL);
    // Setting own properties on a fresh Error cannot fail.
    let _ = Reflect::set(
        &e,
        &JsValue::from_str("code"),
        &JsValue::from_str(err.code()),
    );
    let _ = Reflect::set(&e, &JsValue::from_str("details"), &details);
    e.into()
}

fn out<T: Serialize>(result: Result<T, SnapshotError>) -> Result<JsValue, JsValue> {
    let value = result.map_err(|e| to_js_error(&e))?;
    to_js(&value)
        .ok_or_else(|| to_js_error(&SnapshotError::input("result", "could not be converted")))
}

/// The packed lane's columns, when the glue could pack the arguments.
fn packed(done: bool) -> Option<(String, Vec<f64>)> {
    if !done {
        return None;
    }
    let text = String::from_utf8(packed_bytes().to_vec()).ok()?;
    Some((text, packed_numbers().to_vec()))
}

/// One guest's call through the packed lane (its policy, the target when
/// given, status and list): `None` when the glue could not pack them, and
/// the caller takes the JSON lane.
fn one_packed(
    policy: &JsValue,
    target: Option<&JsValue>,
    status: &JsValue,
    snapshots: &JsValue,
    descriptions: bool,
    answer: impl FnOnce(&Guests) -> Result<JsValue, JsValue>,
) -> Option<Result<JsValue, JsValue>> {
    let with_target = target.is_some();
    let (text, nums) = packed(pack_guest(
        policy,
        target.unwrap_or(&JsValue::UNDEFINED),
        status,
        snapshots,
        with_target,
        descriptions,
    ))?;
    let guest = Guests::one(&text, &nums, with_target)?;
    Some(answer(&guest))
}

/// Hands a result to JS through the packed lane, or as JSON if the glue's
/// decoder refuses the tape (which would be a bug, never the caller's).
fn out_packed<T: Serialize>(
    result: Result<T, SnapshotError>,
    write: impl FnOnce(&mut Tape, &T),
    unpack: fn(&str, &[f64]) -> Result<JsValue, JsValue>,
) -> Result<JsValue, JsValue> {
    let value = result.map_err(|e| to_js_error(&e))?;
    let mut tape = Tape::default();
    write(&mut tape, &value);
    unpack(&tape.text, &tape.nums).or_else(|_| out(Ok(value)))
}

/// Validates a policy and fills in its defaults.
#[wasm_bindgen(js_name = validatePolicy, unchecked_return_type = "Policy")]
pub fn validate_policy(
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::validate_policy(&Arg::new(&policy, "policy").value()?))
}

/// Everything the Snapshots page shows for one guest at `nowMs`.
#[wasm_bindgen(js_name = snapshotPage, unchecked_return_type = "SnapshotPage")]
pub fn snapshot_page(
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(js_name = vmStatus, unchecked_param_type = "PveVmStatus")] vm_status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PveSnapshot[]")] snapshots: JsValue,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<JsValue, JsValue> {
    let page = |guest: &Guests| {
        let now = Arg::new(&now_ms, "nowMs");
        out_packed(
            api::snapshot_page_packed(guest, &now.value()?),
            Tape::page,
            unpack_page,
        )
    };
    if let Some(answer) = one_packed(&policy, None, &vm_status, &snapshots, true, page) {
        return answer;
    }
    out(api::snapshot_page(
        &Arg::new(&policy, "policy").value()?,
        &Arg::new(&vm_status, "vmStatus").value()?,
        &Arg::new(&snapshots, "snapshots").value()?,
        &Arg::new(&now_ms, "nowMs").value()?,
    ))
}

/// The create request, with a generated unique name, or the reason it is refused.
#[wasm_bindgen(js_name = planCreate, unchecked_return_type = "RequestDescription & {name: string}")]
pub fn plan_create(
    #[wasm_bindgen(unchecked_param_type = "Target")] target: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(js_name = vmStatus, unchecked_param_type = "PveVmStatus")] vm_status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PveSnapshot[]")] snapshots: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CreateOptions | undefined")] options: JsValue,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::plan_create(
        &Arg::new(&target, "target").value()?,
        &Arg::new(&policy, "policy").value()?,
        &Arg::new(&vm_status, "vmStatus").value()?,
        &Arg::new(&snapshots, "snapshots").value()?,
        &Arg::new(&options, "options").value()?,
        &Arg::new(&now_ms, "nowMs").value()?,
    ))
}

/// The rollback request, or the reason it is refused.
#[wasm_bindgen(js_name = planRollback, unchecked_return_type = "RequestDescription & {name: string}")]
pub fn plan_rollback(
    #[wasm_bindgen(unchecked_param_type = "Target")] target: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(js_name = vmStatus, unchecked_param_type = "PveVmStatus")] vm_status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PveSnapshot[]")] snapshots: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RollbackOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::plan_rollback(
        &Arg::new(&target, "target").value()?,
        &Arg::new(&policy, "policy").value()?,
        &Arg::new(&vm_status, "vmStatus").value()?,
        &Arg::new(&snapshots, "snapshots").value()?,
        &Arg::new(&name, "name").value()?,
        &Arg::new(&options, "options").value()?,
    ))
}

/// The remove request, or the reason it is refused.
#[wasm_bindgen(js_name = planRemove, unchecked_return_type = "RequestDescription & {name: string}")]
pub fn plan_remove(
    #[wasm_bindgen(unchecked_param_type = "Target")] target: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(js_name = vmStatus, unchecked_param_type = "PveVmStatus")] vm_status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PveSnapshot[]")] snapshots: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::plan_remove(
        &Arg::new(&target, "target").value()?,
        &Arg::new(&policy, "policy").value()?,
        &Arg::new(&vm_status, "vmStatus").value()?,
        &Arg::new(&snapshots, "snapshots").value()?,
        &Arg::new(&name, "name").value()?,
    ))
}

/// The managed snapshots past their lifetime, as DELETE requests, and what was skipped.
#[wasm_bindgen(js_name = planExpiry, unchecked_return_type = "ExpiryPlan")]
pub fn plan_expiry(
    #[wasm_bindgen(unchecked_param_type = "Target")] target: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(js_name = vmStatus, unchecked_param_type = "PveVmStatus")] vm_status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PveSnapshot[]")] snapshots: JsValue,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<JsValue, JsValue> {
    let plan = |guest: &Guests| {
        let now = Arg::new(&now_ms, "nowMs");
        out_packed(
            api::plan_expiry_packed(guest, &now.value()?),
            Tape::expiry,
            unpack_expiry,
        )
    };
    // Descriptions are checked but not sent: expiry never reads them.
    if let Some(answer) = one_packed(&policy, Some(&target), &vm_status, &snapshots, false, plan) {
        return answer;
    }
    out(api::plan_expiry(
        &Arg::new(&target, "target").value()?,
        &Arg::new(&policy, "policy").value()?,
        &Arg::new(&vm_status, "vmStatus").value()?,
        &Arg::new(&snapshots, "snapshots").value()?,
        &Arg::new(&now_ms, "nowMs").value()?,
    ))
}

/// `planExpiry` for many VMs in one call (much faster for a whole fleet):
/// one result per entry, in order, either a plan or `{error: {code, message, details}}`.
#[wasm_bindgen(js_name = planExpiryBatch, unchecked_return_type = "Array<ExpiryPlan | {error: {code: ErrorCode; message: string; details: Record<string, unknown> | null}}>")]
pub fn plan_expiry_batch(
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "Array<{target: Target; vmStatus: PveVmStatus; snapshots: PveSnapshot[]}>"
    )]
    vms: JsValue,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<JsValue, JsValue> {
    if let Some((text, nums)) = packed(pack_fleet(&vms)) {
        if let Some(fleet) = Guests::fleet(&text, &nums) {
            let plans = api::plan_expiry_batch_packed(
                &Arg::new(&policy, "policy").value()?,
                &fleet,
                &Arg::new(&now_ms, "nowMs").value()?,
            );
            let all_planned = plans
                .as_ref()
                .is_ok_and(|p| p.iter().all(|p| matches!(p, api::BatchPlan::Plan(_))));
            if !all_planned {
                // The tape carries plans only; a VM's error goes as JSON.
                return out(plans);
            }
            return out_packed(
                plans,
                |tape, plans| {
                    tape.count(plans.len());
                    for plan in plans {
                        if let api::BatchPlan::Plan(expiry) = plan {
                            tape.expiry(expiry);
                        }
                    }
                },
                unpack_batch,
            );
        }
    }
    let list = Arg::new(&vms, "vms");
    let entries = match list.fast() {
        Some(value) => api::batch_entries(value).map_err(|e| to_js_error(&e))?,
        None if is_array(&vms).unwrap_or(false) => entries_one_by_one(&vms)?,
        None => api::batch_entries(list.value()?).map_err(|e| to_js_error(&e))?,
    };
    out(api::plan_expiry_batch(
        &Arg::new(&policy, "policy").value()?,
        entries,
        &Arg::new(&now_ms, "nowMs").value()?,
    ))
}

/// Something in the fleet is unreadable: read it entry by entry, so only the
/// VMs with bad data fail.
fn entries_one_by_one(
    vms: &JsValue,
) -> Result<Vec<Result<Value<'static>, SnapshotError>>, JsValue> {
    let len = Reflect::get(vms, &JsValue::from_str("length"))
        .ok()
        .and_then(|n| n.as_f64())
        .filter(|n| *n >= 0.0 && *n <= MAX_VALUES as f64)
        .ok_or_else(|| to_js_error(&SnapshotError::input("vms", "array is too large")))?;
    Ok((0..len as u32)
        .map(|i| {
            let path = || format!("vms[{i}]");
            let item = Reflect::get(vms, &JsValue::from(i)).map_err(|_| {
                SnapshotError::input(path(), "could not be read (a getter or proxy threw)")
            })?;
            Reader { visited: 0 }.read(&item, 1, &path)
        })
        .collect())
}

/// `GET /nodes/{node}/{type}/{vmid}/snapshot`
#[wasm_bindgen(js_name = listSnapshotsRequest, unchecked_return_type = "RequestDescription")]
pub fn list_snapshots_request(
    #[wasm_bindgen(unchecked_param_type = "Target")] target: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::list_snapshots_request(
        &Arg::new(&target, "target").value()?,
    ))
}

/// `GET /nodes/{node}/{type}/{vmid}/status/current`
#[wasm_bindgen(js_name = vmStatusRequest, unchecked_return_type = "RequestDescription")]
pub fn vm_status_request(
    #[wasm_bindgen(unchecked_param_type = "Target")] target: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::vm_status_request(
        &Arg::new(&target, "target").value()?,
    ))
}

/// `GET /nodes/{node}/tasks/{upid}/status`, polling the node named in the UPID.
#[wasm_bindgen(js_name = taskStatusRequest, unchecked_return_type = "RequestDescription")]
pub fn task_status_request(
    #[wasm_bindgen(unchecked_param_type = "string")] upid: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::task_status_request(&Arg::new(&upid, "upid").value()?))
}

/// `GET /cluster/resources?type=vm`: every guest with its current node and lock.
#[wasm_bindgen(js_name = clusterVmsRequest, unchecked_return_type = "RequestDescription")]
pub fn cluster_vms_request() -> Result<JsValue, JsValue> {
    out(Ok(api::cluster_vms_request()))
}

/// Splits a UPID into its fields.
#[wasm_bindgen(js_name = parseUpid, unchecked_return_type = "Upid")]
pub fn parse_upid(
    #[wasm_bindgen(unchecked_param_type = "string")] upid: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::parse_upid(&Arg::new(&upid, "upid").value()?))
}

/// What a task status means: running, ok (also with warnings) or failed.
#[wasm_bindgen(js_name = taskOutcome, unchecked_return_type = "TaskOutcome")]
pub fn task_outcome(
    #[wasm_bindgen(unchecked_param_type = "PveTaskStatus")] status: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::task_outcome(&Arg::new(&status, "status").value()?))
}

/// The countdown for a snapshot created at `snaptimeSeconds` (Proxmox's `snaptime`).
#[wasm_bindgen(js_name = remainingLifetime, unchecked_return_type = "RemainingLifetime")]
pub fn remaining_lifetime(
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(js_name = snaptimeSeconds, unchecked_param_type = "number")]
    snaptime_seconds: JsValue,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::remaining_lifetime(
        &Arg::new(&policy, "policy").value()?,
        &Arg::new(&snaptime_seconds, "snaptimeSeconds").value()?,
        &Arg::new(&now_ms, "nowMs").value()?,
    ))
}
