//! `planExpiry(target, policy, vmStatus, snapshots, nowMs)`: every planned
//! delete is a managed, expired, idle snapshot, oldest first; nothing due is
//! forgotten; and each delete is exactly what `planRemove` would send.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::{api, Value};
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [target, policy, vm, snaps, now] = input::args::<5>(data);
    let Some(plan) = check::answer(api::plan_expiry(&target, &policy, &vm, &snaps, &now)) else {
        return;
    };
    plans::expiry(&plans::Facts::read(&target, &policy, &vm, &snaps), plans::now(&now), &plan);
    for req in &plan.deletes {
        let name = Value::String(req.name.clone().expect("delete names its snapshot").into());
        let again = api::plan_remove(&target, &policy, &vm, &snaps, &name);
        assert_eq!(again.as_ref(), Ok(req), "planExpiry and planRemove disagree");
    }
    for skipped in &plan.skipped {
        assert!(!skipped.message.is_empty());
    }
});
