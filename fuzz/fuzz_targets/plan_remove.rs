//! `planRemove(target, policy, vmStatus, snapshots, name)`: only an existing
//! managed snapshot on an unblocked guest, as a DELETE without parameters.
//! Also the read requests for the same target (`listSnapshotsRequest`,
//! `vmStatusRequest`): a validated node and vmid, every segment encoded.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api;
use pve_snapshots::error::Result;
use pve_snapshots::request::Method;
use pve_snapshots::target::Target;
use pve_snapshots_fuzz::input::{read, text, Guest};
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [target, policy, vm, snaps, name] = input::args::<5>(data);
    let args = || -> Result<_> { Ok((Guest::read(&target, &policy, &vm, &snaps)?, text("name", &name)?)) };
    if let Some((g, name)) = check::answer(args()) {
        let planned = api::plan_remove(&g.target, g.policy.clone(), &g.vm, &g.snapshots, &name);
        if let Some(req) = check::answer(planned) {
            plans::remove(&plans::Facts::of(&g), &name, &req);
        }
    }
    let Some(t) = check::answer(read::<Target>("target", &target)) else { return };
    let (list, status) = (api::list_snapshots_request(&t), api::vm_status_request(&t));
    assert_eq!((list.method, status.method), (Method::Get, Method::Get));
    assert!(list.params.0.is_empty() && status.params.0.is_empty());
    check::guest_path(&list, &t, &["snapshot"]);
    check::guest_path(&status, &t, &["status", "current"]);
});
