//! The WebAssembly boundary: the only module that knows about JS values.
//!
//! One way in: each argument is first copied into plain data by
//! `src/plain.js` (so no host getter or proxy runs while Rust reads, and
//! NaN, ±Infinity, bigints, functions, symbols and lone surrogates are
//! refused with the field named), then read into its typed struct with
//! serde-wasm-bindgen. One way out: results are serialised with
//! `Serializer::json_compatible()`, so they are the objects `JSON.parse`
//! would build (`null`, never `undefined`). The TypeScript types are derived
//! from the same structs by tsify. Refusals are thrown as an `Error` named
//! `SnapshotError` with `code`, `message` and `details`.

use js_sys::Reflect;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_wasm_bindgen::{Deserializer, Serializer};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

use crate::api::{self, CreateOptions, RollbackOptions};
use crate::error::{self, ErrorCodes, Result, SnapshotError};
use crate::guest::{Snapshots, VmStatus, MAX_SNAPSHOTS_IN_LIST};
use crate::input::{self, refusal};
use crate::lifetime::Remaining;
use crate::limits::{self, Limits, MAX_DEPTH};
use crate::page::Page;
use crate::plan::Expiry;
use crate::policy::{Policy, PolicyInput};
use crate::request::Request;
use crate::target::Target;
use crate::task::{TaskOutcome, TaskStatus, Upid};

#[wasm_bindgen(typescript_custom_section)]
const ERROR_TYPE: &'static str = r#"
/** What every function throws: an `Error` named "SnapshotError". */
export interface SnapshotError extends Error {
  name: "SnapshotError";
  code: ErrorCode;
  details: Details | null;
}
"#;

#[wasm_bindgen(module = "/src/plain.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn plain(
        value: &JsValue,
        name: &str,
        max_items: usize,
        max_depth: usize,
        shape: &str,
    ) -> Result<JsValue, JsValue>;
}

/// Reads struct argument `name` (a policy, a target, options) as a `T`.
fn arg<T: DeserializeOwned>(name: &str, value: impl Into<JsValue>) -> Result<T> {
    read(name, value.into(), "object")
}

/// Reads list argument `name` (the snapshot list), whose entries are structs.
fn list<T: DeserializeOwned>(name: &str, value: impl Into<JsValue>) -> Result<T> {
    read(name, value.into(), "list")
}

/// Reads a single-value argument `name` (a number, a name, a task id).
fn value<T: DeserializeOwned>(name: &str, value: impl Into<JsValue>) -> Result<T> {
    read(name, value.into(), "value")
}

/// `shape` tells `plain` where an array may be: see `src/plain.js`.
fn read<T: DeserializeOwned>(name: &str, value: JsValue, shape: &str) -> Result<T> {
    let copy = plain(&value, name, MAX_SNAPSHOTS_IN_LIST, MAX_DEPTH, shape).map_err(|refused| {
        // `plain` throws only its own `{field, reason}`.
        let text = |key| {
            Reflect::get(&refused, &JsValue::from_str(key))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        refusal(input::quote_field(&text("field")), text("reason"))
    })?;
    input::read(name, Deserializer::from(copy))
}

/// The JS value of a result, or the `SnapshotError` to throw.
fn out<T: Serialize + Tsify>(result: Result<T>) -> Result<Ts<T>, JsValue> {
    let value = result.map_err(thrown)?;
    value
        .serialize(&Serializer::json_compatible())
        .map(Ts::new_unchecked)
        .map_err(JsValue::from)
}

fn thrown(err: SnapshotError) -> JsValue {
    let e = js_sys::Error::new(&err.to_string());
    e.set_name("SnapshotError");
    let details = err
        .details()
        .serialize(&Serializer::json_compatible())
        .unwrap_or(JsValue::NULL);
    // Setting a field on a fresh Error cannot fail.
    let _ = Reflect::set(&e, &"code".into(), &err.code().into());
    let _ = Reflect::set(&e, &"details".into(), &details);
    e.into()
}

#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Result<Ts<ErrorCodes>, JsValue> {
    out(Ok(error::error_codes()))
}

#[wasm_bindgen]
pub fn limits() -> Result<Ts<Limits>, JsValue> {
    out(Ok(limits::limits()))
}

#[wasm_bindgen(js_name = validatePolicy)]
pub fn validate_policy(policy: Ts<PolicyInput>) -> Result<Ts<Policy>, JsValue> {
    out(arg("policy", policy).map(api::validate_policy))
}

#[wasm_bindgen(js_name = validateTarget)]
pub fn validate_target(target: Ts<Target>) -> Result<Ts<Target>, JsValue> {
    out(arg::<Target>("target", target))
}

#[wasm_bindgen(js_name = snapshotPage)]
pub fn snapshot_page(
    policy: Ts<PolicyInput>,
    #[wasm_bindgen(js_name = vmStatus)] vm_status: Ts<VmStatus>,
    snapshots: Ts<Snapshots>,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<Ts<Page>, JsValue> {
    out((|| {
        Ok(api::snapshot_page(
            arg("policy", policy)?,
            &arg("vmStatus", vm_status)?,
            &list("snapshots", snapshots)?,
            value("nowMs", now_ms)?,
        ))
    })())
}

#[wasm_bindgen(js_name = planCreate)]
pub fn plan_create(
    target: Ts<Target>,
    policy: Ts<PolicyInput>,
    #[wasm_bindgen(js_name = vmStatus)] vm_status: Ts<VmStatus>,
    snapshots: Ts<Snapshots>,
    options: Option<Ts<CreateOptions>>,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<Ts<Request>, JsValue> {
    out((|| {
        api::plan_create(
            &arg("target", target)?,
            arg("policy", policy)?,
            &arg("vmStatus", vm_status)?,
            &list("snapshots", snapshots)?,
            arg::<Option<CreateOptions>>("options", options)?.unwrap_or_default(),
            value("nowMs", now_ms)?,
        )
    })())
}

#[wasm_bindgen(js_name = planRollback)]
pub fn plan_rollback(
    target: Ts<Target>,
    policy: Ts<PolicyInput>,
    #[wasm_bindgen(js_name = vmStatus)] vm_status: Ts<VmStatus>,
    snapshots: Ts<Snapshots>,
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    options: Option<Ts<RollbackOptions>>,
) -> Result<Ts<Request>, JsValue> {
    out((|| {
        api::plan_rollback(
            &arg("target", target)?,
            arg("policy", policy)?,
            &arg("vmStatus", vm_status)?,
            &list("snapshots", snapshots)?,
            &value::<input::Text>("name", name)?.0,
            arg::<Option<RollbackOptions>>("options", options)?.unwrap_or_default(),
        )
    })())
}

#[wasm_bindgen(js_name = planRemove)]
pub fn plan_remove(
    target: Ts<Target>,
    policy: Ts<PolicyInput>,
    #[wasm_bindgen(js_name = vmStatus)] vm_status: Ts<VmStatus>,
    snapshots: Ts<Snapshots>,
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
) -> Result<Ts<Request>, JsValue> {
    out((|| {
        api::plan_remove(
            &arg("target", target)?,
            arg("policy", policy)?,
            &arg("vmStatus", vm_status)?,
            &list("snapshots", snapshots)?,
            &value::<input::Text>("name", name)?.0,
        )
    })())
}

#[wasm_bindgen(js_name = planExpiry)]
pub fn plan_expiry(
    target: Ts<Target>,
    policy: Ts<PolicyInput>,
    #[wasm_bindgen(js_name = vmStatus)] vm_status: Ts<VmStatus>,
    snapshots: Ts<Snapshots>,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<Ts<Expiry>, JsValue> {
    out((|| {
        Ok(api::plan_expiry(
            &arg("target", target)?,
            arg("policy", policy)?,
            &arg("vmStatus", vm_status)?,
            &list("snapshots", snapshots)?,
            value("nowMs", now_ms)?,
        ))
    })())
}

#[wasm_bindgen(js_name = listSnapshotsRequest)]
pub fn list_snapshots_request(target: Ts<Target>) -> Result<Ts<Request>, JsValue> {
    out(arg("target", target).map(|t| api::list_snapshots_request(&t)))
}

#[wasm_bindgen(js_name = vmStatusRequest)]
pub fn vm_status_request(target: Ts<Target>) -> Result<Ts<Request>, JsValue> {
    out(arg("target", target).map(|t| api::vm_status_request(&t)))
}

#[wasm_bindgen(js_name = clusterVmsRequest)]
pub fn cluster_vms_request() -> Result<Ts<Request>, JsValue> {
    out(Ok(api::cluster_vms_request()))
}

#[wasm_bindgen(js_name = normalizeDescription)]
pub fn normalize_description(
    #[wasm_bindgen(unchecked_param_type = "string")] description: JsValue,
) -> Result<String, JsValue> {
    value::<input::Text>("description", description)
        .and_then(|d| api::normalize_description(&d.0))
        .map_err(thrown)
}

#[wasm_bindgen(js_name = nodeTimeRequest)]
pub fn node_time_request(
    #[wasm_bindgen(unchecked_param_type = "string")] node: JsValue,
) -> Result<Ts<Request>, JsValue> {
    out(value::<input::Text>("node", node).and_then(|n| api::node_time_request(&n.0)))
}

#[wasm_bindgen(js_name = taskStatusRequest)]
pub fn task_status_request(
    #[wasm_bindgen(unchecked_param_type = "string")] upid: JsValue,
) -> Result<Ts<Request>, JsValue> {
    out(value::<input::Text>("upid", upid).and_then(|u| api::task_status_request(&u.0)))
}

#[wasm_bindgen(js_name = parseUpid)]
pub fn parse_upid(
    #[wasm_bindgen(unchecked_param_type = "string")] upid: JsValue,
) -> Result<Ts<Upid>, JsValue> {
    out(value::<input::Text>("upid", upid).and_then(|u| api::parse_upid(&u.0)))
}

#[wasm_bindgen(js_name = taskOutcome)]
pub fn task_outcome(status: Ts<TaskStatus>) -> Result<Ts<TaskOutcome>, JsValue> {
    out(arg("status", status).and_then(|s| api::task_outcome(&s)))
}

#[wasm_bindgen(js_name = remainingLifetime)]
pub fn remaining_lifetime(
    policy: Ts<PolicyInput>,
    #[wasm_bindgen(js_name = snaptimeSeconds, unchecked_param_type = "number")] snaptime: JsValue,
    #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
) -> Result<Ts<Remaining>, JsValue> {
    out((|| {
        Ok(api::remaining_lifetime(
            arg("policy", policy)?,
            value("snaptimeSeconds", snaptime)?,
            value("nowMs", now_ms)?,
        ))
    })())
}
