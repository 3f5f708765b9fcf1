//! The public operations over typed arguments: the same surface as the JS
//! exports, testable without a JS engine. The arguments are read (and so
//! validated) by [`crate::input::read`]; what is left here is the checks
//! that need more than one field, and the rules.

use serde::Deserialize;
use tsify::Tsify;

use crate::description;
use crate::error::{Result, SnapshotError};
use crate::guest::{Snapshots, VmStatus};
use crate::input::{optional_flag, optional_text};
use crate::lifetime::{self, NowMs, Remaining, Snaptime};
use crate::page::{self, Page};
use crate::plan::{self, Expiry};
use crate::policy::{Policy, PolicyInput};
use crate::request::{self, Request};
use crate::rules::Guest;
use crate::target::{check_node, Target};
use crate::task::{TaskOutcome, TaskStatus, Upid};

/// Options of `planCreate`.
#[derive(Debug, Clone, Default, Deserialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", expecting = "an object")]
pub struct CreateOptions {
    /// At most 8192 characters; newline and tab kept, CRLF becomes LF.
    #[serde(default, deserialize_with = "optional_text")]
    pub description: Option<String>,
    /// Default true; RAM is saved only when the policy allows it too.
    #[serde(default, deserialize_with = "optional_flag")]
    pub include_ram: Option<bool>,
}

/// Options of `planRollback`.
#[derive(Debug, Clone, Default, Deserialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", expecting = "an object")]
pub struct RollbackOptions {
    /// Start the VM after the rollback; by default it is started when it
    /// was running and the snapshot has no RAM.
    #[serde(default, deserialize_with = "optional_flag")]
    pub start: Option<bool>,
}

fn guest<'a>(policy: &'a Policy, vm: &'a VmStatus, snapshots: &'a Snapshots) -> Guest<'a> {
    Guest {
        policy,
        vm,
        snapshots: &snapshots.0,
    }
}

pub fn validate_policy(policy: PolicyInput) -> Policy {
    policy.into()
}

pub fn snapshot_page(policy: PolicyInput, vm: &VmStatus, snapshots: &Snapshots, now: NowMs) -> Page {
    page::view(&guest(&policy.into(), vm, snapshots), now.0)
}

pub fn plan_create(
    target: &Target,
    policy: PolicyInput,
    vm: &VmStatus,
    snapshots: &Snapshots,
    options: CreateOptions,
    now: NowMs,
) -> Result<Request> {
    let text = options.description.unwrap_or_default();
    let description = description::normalize("options.description", &text)?;
    let include_ram = options.include_ram.unwrap_or(true);
    let policy = policy.into();
    plan::create(target, &guest(&policy, vm, snapshots), &description, include_ram, now.0)
}

pub fn plan_rollback(
    target: &Target,
    policy: PolicyInput,
    vm: &VmStatus,
    snapshots: &Snapshots,
    name: &str,
    options: RollbackOptions,
) -> Result<Request> {
    let policy = policy.into();
    plan::rollback(target, &guest(&policy, vm, snapshots), name, options.start)
}

pub fn plan_remove(
    target: &Target,
    policy: PolicyInput,
    vm: &VmStatus,
    snapshots: &Snapshots,
    name: &str,
) -> Result<Request> {
    let policy = policy.into();
    plan::remove(target, &guest(&policy, vm, snapshots), name)
}

pub fn plan_expiry(
    target: &Target,
    policy: PolicyInput,
    vm: &VmStatus,
    snapshots: &Snapshots,
    now: NowMs,
) -> Expiry {
    plan::expiry(target, &guest(&policy.into(), vm, snapshots), now.0)
}

pub fn list_snapshots_request(target: &Target) -> Request {
    request::list_snapshots(target)
}

pub fn vm_status_request(target: &Target) -> Request {
    request::vm_status(target)
}

pub fn cluster_vms_request() -> Request {
    request::cluster_vms()
}

/// A snapshot description as `planCreate` would send it (CRLF as LF), or
/// its refusal: for a host that checks a form before it plans.
pub fn normalize_description(text: &str) -> Result<String> {
    description::normalize("description", text)
}

pub fn node_time_request(node: &str) -> Result<Request> {
    check_node(node).map_err(|reason| SnapshotError::InvalidTarget {
        field: "node".into(),
        reason,
    })?;
    Ok(request::node_time(node))
}

pub fn task_status_request(upid: &str) -> Result<Request> {
    Ok(request::task_status(&Upid::parse(upid)?))
}

pub fn parse_upid(upid: &str) -> Result<Upid> {
    Upid::parse(upid)
}

pub fn task_outcome(status: &TaskStatus) -> Result<TaskOutcome> {
    TaskOutcome::from_status(status)
}

pub fn remaining_lifetime(policy: PolicyInput, snaptime: Snaptime, now: NowMs) -> Remaining {
    lifetime::remaining(&policy.into(), snaptime.0, now.0)
}
