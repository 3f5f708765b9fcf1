//! `planExpiry(target, policy, vmStatus, snapshots, nowMs)`: every planned
//! delete is a managed, expired, idle snapshot, oldest first; nothing due is
//! forgotten; and each delete is exactly what `planRemove` would send.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api;
use pve_snapshots::error::Result;
use pve_snapshots::lifetime::NowMs;
use pve_snapshots_fuzz::input::{read, Guest};
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [target, policy, vm, snaps, now] = input::args::<5>(data);
    let args = || -> Result<_> { Ok((Guest::read(&target, &policy, &vm, &snaps)?, read::<NowMs>("nowMs", &now)?)) };
    let Some((g, now)) = check::answer(args()) else { return };
    let plan = api::plan_expiry(&g.target, g.policy.clone(), &g.vm, &g.snapshots, now);
    plans::expiry(&plans::Facts::of(&g), now.0, &plan);
    for req in &plan.deletes {
        let name = req.name.as_deref().expect("delete names its snapshot");
        let again = api::plan_remove(&g.target, g.policy.clone(), &g.vm, &g.snapshots, name);
        assert_eq!(again.as_ref(), Ok(req), "planExpiry and planRemove disagree");
    }
});
