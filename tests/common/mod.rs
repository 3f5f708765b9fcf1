//! Every operation as its JS export performs it: each argument read by
//! `input::read` under its JS parameter name, in the order src/bindings.rs
//! reads them (so the first bad argument is the one reported), then the
//! typed `api` function. Natively the arguments are serde_json values.
// Each test file uses only some of the operations.
#![allow(dead_code)]

use pve_snapshots::api::{self, CreateOptions, RollbackOptions};
use pve_snapshots::error::Result;
use pve_snapshots::guest::{Snapshots, VmStatus};
use pve_snapshots::input::{read, Text};
use pve_snapshots::lifetime::Remaining;
use pve_snapshots::page::Page;
use pve_snapshots::plan::Expiry;
use pve_snapshots::policy::{Policy, PolicyInput};
use pve_snapshots::request::Request;
use pve_snapshots::target::Target;
use pve_snapshots::task::{TaskOutcome, TaskStatus, Upid};
use serde_json::Value;

pub fn validate_policy(policy: &Value) -> Result<Policy> {
    Ok(api::validate_policy(read("policy", policy)?))
}

pub fn validate_target(target: &Value) -> Result<Target> {
    read("target", target)
}

pub fn snapshot_page(
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    now_ms: &Value,
) -> Result<Page> {
    Ok(api::snapshot_page(
        read::<PolicyInput, _>("policy", policy)?,
        &read::<VmStatus, _>("vmStatus", vm_status)?,
        &read::<Snapshots, _>("snapshots", snapshots)?,
        read("nowMs", now_ms)?,
    ))
}

pub fn plan_create(
    target: &Value,
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    options: &Value,
    now_ms: &Value,
) -> Result<Request> {
    api::plan_create(
        &read::<Target, _>("target", target)?,
        read::<PolicyInput, _>("policy", policy)?,
        &read::<VmStatus, _>("vmStatus", vm_status)?,
        &read::<Snapshots, _>("snapshots", snapshots)?,
        read::<Option<CreateOptions>, _>("options", options)?.unwrap_or_default(),
        read("nowMs", now_ms)?,
    )
}

pub fn plan_rollback(
    target: &Value,
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    name: &Value,
    options: &Value,
) -> Result<Request> {
    api::plan_rollback(
        &read::<Target, _>("target", target)?,
        read::<PolicyInput, _>("policy", policy)?,
        &read::<VmStatus, _>("vmStatus", vm_status)?,
        &read::<Snapshots, _>("snapshots", snapshots)?,
        &read::<Text, _>("name", name)?.0,
        read::<Option<RollbackOptions>, _>("options", options)?.unwrap_or_default(),
    )
}

pub fn plan_remove(
    target: &Value,
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    name: &Value,
) -> Result<Request> {
    api::plan_remove(
        &read::<Target, _>("target", target)?,
        read::<PolicyInput, _>("policy", policy)?,
        &read::<VmStatus, _>("vmStatus", vm_status)?,
        &read::<Snapshots, _>("snapshots", snapshots)?,
        &read::<Text, _>("name", name)?.0,
    )
}

pub fn plan_expiry(
    target: &Value,
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    now_ms: &Value,
) -> Result<Expiry> {
    Ok(api::plan_expiry(
        &read::<Target, _>("target", target)?,
        read::<PolicyInput, _>("policy", policy)?,
        &read::<VmStatus, _>("vmStatus", vm_status)?,
        &read::<Snapshots, _>("snapshots", snapshots)?,
        read("nowMs", now_ms)?,
    ))
}

pub fn list_snapshots_request(target: &Value) -> Result<Request> {
    Ok(api::list_snapshots_request(&read("target", target)?))
}

pub fn vm_status_request(target: &Value) -> Result<Request> {
    Ok(api::vm_status_request(&read("target", target)?))
}

pub fn node_time_request(node: &Value) -> Result<Request> {
    api::node_time_request(&read::<Text, _>("node", node)?.0)
}

pub fn task_status_request(upid: &Value) -> Result<Request> {
    api::task_status_request(&read::<Text, _>("upid", upid)?.0)
}

pub fn parse_upid(upid: &Value) -> Result<Upid> {
    api::parse_upid(&read::<Text, _>("upid", upid)?.0)
}

pub fn task_outcome(status: &Value) -> Result<TaskOutcome> {
    api::task_outcome(&read::<TaskStatus, _>("status", status)?)
}

pub fn remaining_lifetime(
    policy: &Value,
    snaptime_seconds: &Value,
    now_ms: &Value,
) -> Result<Remaining> {
    Ok(api::remaining_lifetime(
        read("policy", policy)?,
        read("snaptimeSeconds", snaptime_seconds)?,
        read("nowMs", now_ms)?,
    ))
}
