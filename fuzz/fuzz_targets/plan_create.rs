//! `planCreate(target, policy, vmStatus, snapshots, options, nowMs)`: a
//! planned create keeps the quota and the locks, and its generated name is
//! valid, managed, of this instant and not taken (not even after it exists).
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api::{self, CreateOptions};
use pve_snapshots::error::Result;
use pve_snapshots::lifetime::NowMs;
use pve_snapshots_fuzz::input::{read, Guest};
use pve_snapshots_fuzz::{check, input, plans};
use serde_json::{json, Value};

fn plan(target: &Value, policy: &Value, vm: &Value, snaps: &Value, options: &Value, now: &Value) -> Result<(Guest, NowMs, pve_snapshots::request::Request)> {
    let g = Guest::read(target, policy, vm, snaps)?;
    let o = read::<Option<CreateOptions>>("options", options)?.unwrap_or_default();
    let now = read::<NowMs>("nowMs", now)?;
    let req = api::plan_create(&g.target, g.policy.clone(), &g.vm, &g.snapshots, o, now)?;
    Ok((g, now, req))
}

fuzz_target!(|data: &[u8]| {
    let [target, policy, vm, snaps, options, now] = input::args::<6>(data);
    let Some((g, now_ms, req)) = check::answer(plan(&target, &policy, &vm, &snaps, &options, &now)) else {
        return;
    };
    plans::create(&plans::Facts::of(&g), &options, now_ms.0, &req);

    // The same click again at the same instant, after the first one landed.
    let Value::Array(mut list) = snaps else { unreachable!("accepted snapshots are an array") };
    let name = req.name.clone().expect("create names its snapshot");
    list.insert(0, json!({"name": name, "snaptime": now_ms.0 / 1000}));
    let list = Value::Array(list);
    if let Some((g, _, again)) = check::answer(plan(&target, &policy, &vm, &list, &options, &now)) {
        assert_ne!(again.name, req.name, "the same name planned twice");
        plans::create(&plans::Facts::of(&g), &options, now_ms.0, &again);
    }
});
