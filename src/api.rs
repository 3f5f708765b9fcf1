//! The public operations, taking untrusted [`Value`]s exactly as the host
//! passes them and returning serialisable results. The bindings only convert
//! between JS and these; everything here is testable without a JS engine.

use serde::Serialize;

use crate::description;
use crate::error::{Details, Result, SnapshotError};
use crate::guest::{self, Snapshot, VmStatus};
use crate::input::{array_value, string_value, Obj, Value};
use crate::lifetime::{self, Remaining};
use crate::packed::Guests;
use crate::page::{self, Page};
use crate::plan::{self, Expiry};
use crate::policy::Policy;
use crate::request::{self, Request};
use crate::rules::Guest;
use crate::target::Target;
use crate::task::{TaskOutcome, Upid};

/// Parsed guest facts, owned, so a [`Guest`] can borrow them.
struct Facts<'v> {
    policy: Policy,
    vm: VmStatus,
    snapshots: Vec<Snapshot<'v>>,
}

impl<'v> Facts<'v> {
    fn read(policy: &Value, vm_status: &Value, snapshots: &'v Value<'v>) -> Result<Self> {
        Ok(Facts {
            policy: Policy::from_value(policy)?,
            vm: VmStatus::from_value(vm_status)?,
            snapshots: guest::snapshots_from_value(snapshots)?,
        })
    }

    fn guest(&self) -> Guest<'_> {
        Guest {
            policy: &self.policy,
            vm: &self.vm,
            snapshots: &self.snapshots,
        }
    }
}

fn name_arg<'a>(value: &'a Value<'a>) -> Result<&'a str> {
    string_value("name", value)
        .map_err(|e| e.recode(|field, reason| SnapshotError::InvalidName { field, reason }))
}

pub fn validate_policy(policy: &Value) -> Result<Policy> {
    Policy::from_value(policy)
}

pub fn snapshot_page(
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    now_ms: &Value,
) -> Result<Page> {
    let facts = Facts::read(policy, vm_status, snapshots)?;
    let now = lifetime::now_from_value(now_ms)?;
    Ok(page::view(&facts.guest(), now))
}

pub fn plan_create(
    target: &Value,
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    options: &Value,
    now_ms: &Value,
) -> Result<Request> {
    let target = Target::from_value(target)?;
    let facts = Facts::read(policy, vm_status, snapshots)?;
    let options = Obj::new("options", options, true)?;
    let description = match options.string("description") {
        Ok(text) => description::normalize("options.description", text.unwrap_or(""))?,
        Err(e) => {
            return Err(
                e.recode(|field, reason| SnapshotError::InvalidDescription { field, reason })
            )
        }
    };
    let include_ram = options.boolean("includeRam")?.unwrap_or(true);
    let now = lifetime::now_from_value(now_ms)?;
    plan::create(&target, &facts.guest(), &description, include_ram, now)
}

pub fn plan_rollback(
    target: &Value,
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    name: &Value,
    options: &Value,
) -> Result<Request> {
    let target = Target::from_value(target)?;
    let facts = Facts::read(policy, vm_status, snapshots)?;
    let name = name_arg(name)?;
    let start = Obj::new("options", options, true)?.boolean("start")?;
    plan::rollback(&target, &facts.guest(), name, start)
}

pub fn plan_remove(
    target: &Value,
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    name: &Value,
) -> Result<Request> {
    let target = Target::from_value(target)?;
    let facts = Facts::read(policy, vm_status, snapshots)?;
    plan::remove(&target, &facts.guest(), name_arg(name)?)
}

pub fn plan_expiry(
    target: &Value,
    policy: &Value,
    vm_status: &Value,
    snapshots: &Value,
    now_ms: &Value,
) -> Result<Expiry> {
    let target = Target::from_value(target)?;
    let facts = Facts::read(policy, vm_status, snapshots)?;
    let now = lifetime::now_from_value(now_ms)?;
    Ok(plan::expiry(&target, &facts.guest(), now))
}

/// [`snapshot_page`] for a guest the bindings read from packed columns
/// (policy and guest, no target); reads and refuses in the same order.
pub fn snapshot_page_packed(guest: &Guests, now_ms: &Value) -> Result<Page> {
    let policy = guest.policy()?;
    let vm = guest.status(0)?;
    let snapshots = guest.snapshots(0)?;
    let now = lifetime::now_from_value(now_ms)?;
    Ok(page::view(
        &Guest {
            policy: &policy,
            vm: &vm,
            snapshots: &snapshots,
        },
        now,
    ))
}

/// [`plan_expiry`] for a guest the bindings read from packed columns
/// (policy, target and guest).
pub fn plan_expiry_packed(guest: &Guests, now_ms: &Value) -> Result<Expiry> {
    let target = guest.target(0)?;
    let policy = guest.policy()?;
    let vm = guest.status(0)?;
    let snapshots = guest.snapshots(0)?;
    let now = lifetime::now_from_value(now_ms)?;
    Ok(expire(&target, &policy, &vm, &snapshots, now))
}

/// One VM's expiry plan in a batch, or why that VM could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BatchPlan {
    Plan(Expiry),
    Failed { error: BatchError },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchError {
    pub code: &'static str,
    pub message: String,
    pub details: Option<Details>,
}

/// [`plan_expiry`] for a whole fleet in one call: each entry of `vms` is
/// `{target, vmStatus, snapshots}` (or the error met while reading it). One
/// VM's bad data fails only its own entry; results are in input order.
pub fn plan_expiry_batch<'v>(
    policy: &Value,
    vms: impl IntoIterator<Item = Result<Value<'v>>>,
    now_ms: &Value,
) -> Result<Vec<BatchPlan>> {
    let policy = Policy::from_value(policy)?;
    let now = lifetime::now_from_value(now_ms)?;
    Ok(vms
        .into_iter()
        .map(|vm| BatchPlan::from(vm.and_then(|vm| plan_one(&policy, &vm, now))))
        .collect())
}

/// [`plan_expiry_batch`] for a fleet the bindings read from packed columns.
pub fn plan_expiry_batch_packed(
    policy: &Value,
    fleet: &Guests,
    now_ms: &Value,
) -> Result<Vec<BatchPlan>> {
    let policy = Policy::from_value(policy)?;
    let now = lifetime::now_from_value(now_ms)?;
    Ok((0..fleet.len())
        .map(|i| BatchPlan::from(plan_packed(&policy, fleet, i, now)))
        .collect())
}

impl From<Result<Expiry>> for BatchPlan {
    fn from(plan: Result<Expiry>) -> Self {
        match plan {
            Ok(plan) => BatchPlan::Plan(plan),
            Err(e) => BatchPlan::Failed {
                error: BatchError {
                    code: e.code(),
                    message: e.to_string(),
                    details: e.details(),
                },
            },
        }
    }
}

fn expire(
    target: &Target,
    policy: &Policy,
    vm: &VmStatus,
    snapshots: &[Snapshot],
    now: i64,
) -> Expiry {
    plan::expiry(
        target,
        &Guest {
            policy,
            vm,
            snapshots,
        },
        now,
    )
}

/// Splits the batch argument into its entries.
pub fn batch_entries<'v>(vms: Value<'v>) -> Result<Vec<Result<Value<'v>>>> {
    match vms {
        Value::Array(items) => Ok(items.into_iter().map(Ok).collect()),
        other => array_value("vms", &other).map(|_| Vec::new()),
    }
}

fn plan_one(policy: &Policy, vm: &Value, now: i64) -> Result<Expiry> {
    let o = Obj::new("vm", vm, false)?;
    let target = Target::from_value(o.get("target").unwrap_or(&Value::Null))?;
    let status = VmStatus::from_value(o.get("vmStatus").unwrap_or(&Value::Null))?;
    let snapshots = guest::snapshots_from_value(o.get("snapshots").unwrap_or(&Value::Null))?;
    Ok(expire(&target, policy, &status, &snapshots, now))
}

/// [`plan_one`] for guest `i` of a packed fleet, read in the same order.
fn plan_packed(policy: &Policy, fleet: &Guests, i: usize, now: i64) -> Result<Expiry> {
    let target = fleet.target(i)?;
    let status = fleet.status(i)?;
    let snapshots = fleet.snapshots(i)?;
    Ok(expire(&target, policy, &status, &snapshots, now))
}

pub fn list_snapshots_request(target: &Value) -> Result<Request> {
    Ok(request::list_snapshots(&Target::from_value(target)?))
}

pub fn vm_status_request(target: &Value) -> Result<Request> {
    Ok(request::vm_status(&Target::from_value(target)?))
}

pub fn cluster_vms_request() -> Request {
    request::cluster_vms()
}

fn upid_arg(upid: &Value) -> Result<Upid> {
    let text = string_value("upid", upid)
        .map_err(|e| e.recode(|field, reason| SnapshotError::InvalidTarget { field, reason }))?;
    Upid::parse(text)
}

pub fn task_status_request(upid: &Value) -> Result<Request> {
    Ok(request::task_status(&upid_arg(upid)?))
}

pub fn parse_upid(upid: &Value) -> Result<Upid> {
    upid_arg(upid)
}

pub fn task_outcome(status: &Value) -> Result<TaskOutcome> {
    TaskOutcome::from_status(status)
}

pub fn remaining_lifetime(
    policy: &Value,
    snaptime_seconds: &Value,
    now_ms: &Value,
) -> Result<Remaining> {
    let policy = Policy::from_value(policy)?;
    let snaptime = lifetime::snaptime_from_value(snaptime_seconds)?;
    let now = lifetime::now_from_value(now_ms)?;
    Ok(lifetime::remaining(&policy, snaptime, now))
}
