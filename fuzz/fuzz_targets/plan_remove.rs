//! `planRemove(target, policy, vmStatus, snapshots, name)`: only an existing
//! managed snapshot on an unblocked guest, as a DELETE without parameters.
//! Also the read requests for the same target (`listSnapshotsRequest`,
//! `vmStatusRequest`): a validated node and vmid, every segment encoded.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api;
use pve_snapshots::request::Method;
use pve_snapshots::target::Target;
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [target, policy, vm, snaps, name] = input::args::<5>(data);
    if let Some(req) = check::answer(api::plan_remove(&target, &policy, &vm, &snaps, &name)) {
        plans::remove(&plans::Facts::read(&target, &policy, &vm, &snaps), &name, &req);
    }
    let list = check::answer(api::list_snapshots_request(&target));
    let status = check::answer(api::vm_status_request(&target));
    assert_eq!(list.is_some(), status.is_some(), "the two read requests disagree on the target");
    if let (Some(list), Some(status)) = (list, status) {
        let t = Target::from_value(&target).expect("accepted target reads");
        assert_eq!((list.method, status.method), (Method::Get, Method::Get));
        assert!(list.params.0.is_empty() && status.params.0.is_empty());
        check::guest_path(&list, &t, &["snapshot"]);
        check::guest_path(&status, &t, &["status", "current"]);
    }
});
