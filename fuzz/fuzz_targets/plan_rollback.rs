//! `planRollback(target, policy, vmStatus, snapshots, name, options)`: only an
//! existing managed snapshot on an unblocked guest, the newest one when the
//! storage demands it, with `start` exactly when the rules say.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api::{self, RollbackOptions};
use pve_snapshots::error::Result;
use pve_snapshots_fuzz::input::{read, text, Guest};
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [target, policy, vm, snaps, name, options] = input::args::<6>(data);
    let args = || -> Result<_> {
        Ok((
            Guest::read(&target, &policy, &vm, &snaps)?,
            text("name", &name)?,
            read::<Option<RollbackOptions>>("options", &options)?.unwrap_or_default(),
        ))
    };
    let Some((g, name, o)) = check::answer(args()) else { return };
    let planned = api::plan_rollback(&g.target, g.policy.clone(), &g.vm, &g.snapshots, &name, o);
    if let Some(req) = check::answer(planned) {
        plans::rollback(&plans::Facts::of(&g), &name, &options, &req);
    }
});
