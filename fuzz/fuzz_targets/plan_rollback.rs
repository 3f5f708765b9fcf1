//! `planRollback(target, policy, vmStatus, snapshots, name, options)`: only an
//! existing managed snapshot on an unblocked guest, the newest one when the
//! storage demands it, with `start` exactly when the rules say.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api;
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [target, policy, vm, snaps, name, options] = input::args::<6>(data);
    if let Some(req) = check::answer(api::plan_rollback(&target, &policy, &vm, &snaps, &name, &options)) {
        plans::rollback(&plans::Facts::read(&target, &policy, &vm, &snaps), &name, &options, &req);
    }
});
