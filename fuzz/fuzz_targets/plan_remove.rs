//! `planRemove(target, policy, vmStatus, snapshots, name)`: only an existing
//! managed snapshot on an unblocked guest, as a DELETE without parameters.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api;
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [target, policy, vm, snaps, name] = input::args::<5>(data);
    if let Some(req) = check::answer(api::plan_remove(&target, &policy, &vm, &snaps, &name)) {
        plans::remove(&plans::Facts::read(&target, &policy, &vm, &snaps), &name, &req);
    }
});
