//! `planExpiryBatch(policy, vms, nowMs)`: one entry per VM in input order,
//! each exactly what `planExpiry` answers for that VM alone (its plan, or its
//! refusal with the same code and message), so batching can never widen what
//! the job deletes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api::{self, BatchPlan};
use pve_snapshots::Value;
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [policy, vms, now] = input::args::<3>(data);
    let Some(entries) = check::answer(api::batch_entries(vms.clone())) else { return };
    let Some(batch) = check::answer(api::plan_expiry_batch(&policy, entries, &now)) else { return };
    let Value::Array(list) = &vms else { panic!("accepted vms {vms:?}") };
    assert_eq!(batch.len(), list.len());
    for (vm, entry) in list.iter().zip(&batch) {
        let field = |key| plans::option(vm, key).cloned().unwrap_or(Value::Null);
        let (target, status, snaps) = (field("target"), field("vmStatus"), field("snapshots"));
        let alone = api::plan_expiry(&target, &policy, &status, &snaps, &now);
        match (entry, &alone) {
            (BatchPlan::Plan(plan), Ok(single)) => {
                assert_eq!(plan, single);
                plans::expiry(&plans::Facts::read(&target, &policy, &status, &snaps), plans::now(&now), plan);
            }
            (BatchPlan::Failed { error }, Err(e)) => {
                assert!(check::CODES.contains(&error.code));
                if matches!(vm, Value::Object(_)) {
                    assert_eq!((error.code, &error.message), (e.code(), &e.to_string()));
                }
            }
            _ => panic!("batch {entry:?} but alone {alone:?}"),
        }
    }
});
