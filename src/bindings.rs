//! The WebAssembly boundary: the only module that knows about JS values.
//!
//! Arguments are read into [`Value`] by a walk that cannot trap (getters and
//! proxies that throw, symbols, bigints, lone surrogates and oversized or
//! cyclic input all become `INVALID_INPUT`), then handed to [`crate::api`].
//! Results go out as plain objects; refusals as `Error`s carrying `code`,
//! `message` and `details`.

use js_sys::{Array, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::api;
use crate::error::SnapshotError;
use crate::input::Value;

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
    ) -> Result<Value, SnapshotError> {
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
            if s.contains('\u{FFFD}') && !js_sys::JsString::from(js.clone()).is_valid_utf16() {
                return Err(Self::fail(
                    path,
                    "contains invalid UTF-16 (a lone surrogate)",
                ));
            }
            return Ok(Value::String(s));
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
            fields.push((k, value));
        }
        Ok(Value::Object(fields))
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn arg(js: &JsValue, name: &str) -> Result<Value, JsValue> {
    Reader { visited: 0 }
        .read(js, 0, &|| name.to_owned())
        .map_err(|e| to_js_error(&e))
}

fn to_js_error(err: &SnapshotError) -> JsValue {
    let e = js_sys::Error::new(&err.to_string());
    e.set_name("SnapshotError");
    let details = err
        .details()
        .and_then(|d| d.serialize(&serializer()).ok())
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

fn serializer() -> serde_wasm_bindgen::Serializer {
    serde_wasm_bindgen::Serializer::json_compatible()
}

fn out<T: Serialize>(result: Result<T, SnapshotError>) -> Result<JsValue, JsValue> {
    let value = result.map_err(|e| to_js_error(&e))?;
    value.serialize(&serializer()).map_err(|e| {
        to_js_error(&SnapshotError::input(
            "result",
            format!("could not be converted: {e}"),
        ))
    })
}

/// Validates a policy and fills in its defaults.
#[wasm_bindgen(js_name = validatePolicy, unchecked_return_type = "Policy")]
pub fn validate_policy(
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::validate_policy(&arg(&policy, "policy")?))
}

/// Everything the Snapshots page shows for one guest at `nowMs`.
#[wasm_bindgen(js_name = snapshotPage, unchecked_return_type = "SnapshotPage")]
pub fn snapshot_page(
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(js_name = vmStatus, unchecked_param_type = "PveVmStatus")] vm_status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PveSnapshot[]")] snapshots: JsValue,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::snapshot_page(
        &arg(&policy, "policy")?,
        &arg(&vm_status, "vmStatus")?,
        &arg(&snapshots, "snapshots")?,
        &arg(&now_ms, "nowMs")?,
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
        &arg(&target, "target")?,
        &arg(&policy, "policy")?,
        &arg(&vm_status, "vmStatus")?,
        &arg(&snapshots, "snapshots")?,
        &arg(&options, "options")?,
        &arg(&now_ms, "nowMs")?,
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
        &arg(&target, "target")?,
        &arg(&policy, "policy")?,
        &arg(&vm_status, "vmStatus")?,
        &arg(&snapshots, "snapshots")?,
        &arg(&name, "name")?,
        &arg(&options, "options")?,
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
        &arg(&target, "target")?,
        &arg(&policy, "policy")?,
        &arg(&vm_status, "vmStatus")?,
        &arg(&snapshots, "snapshots")?,
        &arg(&name, "name")?,
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
    out(api::plan_expiry(
        &arg(&target, "target")?,
        &arg(&policy, "policy")?,
        &arg(&vm_status, "vmStatus")?,
        &arg(&snapshots, "snapshots")?,
        &arg(&now_ms, "nowMs")?,
    ))
}

/// `GET /nodes/{node}/{type}/{vmid}/snapshot`
#[wasm_bindgen(js_name = listSnapshotsRequest, unchecked_return_type = "RequestDescription")]
pub fn list_snapshots_request(
    #[wasm_bindgen(unchecked_param_type = "Target")] target: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::list_snapshots_request(&arg(&target, "target")?))
}

/// `GET /nodes/{node}/{type}/{vmid}/status/current`
#[wasm_bindgen(js_name = vmStatusRequest, unchecked_return_type = "RequestDescription")]
pub fn vm_status_request(
    #[wasm_bindgen(unchecked_param_type = "Target")] target: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::vm_status_request(&arg(&target, "target")?))
}

/// `GET /nodes/{node}/tasks/{upid}/status`, polling the node named in the UPID.
#[wasm_bindgen(js_name = taskStatusRequest, unchecked_return_type = "RequestDescription")]
pub fn task_status_request(
    #[wasm_bindgen(unchecked_param_type = "string")] upid: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::task_status_request(&arg(&upid, "upid")?))
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
    out(api::parse_upid(&arg(&upid, "upid")?))
}

/// What a task status means: running, ok (also with warnings) or failed.
#[wasm_bindgen(js_name = taskOutcome, unchecked_return_type = "TaskOutcome")]
pub fn task_outcome(
    #[wasm_bindgen(unchecked_param_type = "PveTaskStatus")] status: JsValue,
) -> Result<JsValue, JsValue> {
    out(api::task_outcome(&arg(&status, "status")?))
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
        &arg(&policy, "policy")?,
        &arg(&snaptime_seconds, "snaptimeSeconds")?,
        &arg(&now_ms, "nowMs")?,
    ))
}
