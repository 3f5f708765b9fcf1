//! `planCreate(target, policy, vmStatus, snapshots, options, nowMs)`: a
//! planned create keeps the quota and the locks, and its generated name is
//! valid, managed, of this instant and not taken (not even after it exists).
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::{api, Value};
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [target, policy, vm, snaps, options, now] = input::args::<6>(data);
    let Some(req) = check::answer(api::plan_create(&target, &policy, &vm, &snaps, &options, &now)) else {
        return;
    };
    let facts = plans::Facts::read(&target, &policy, &vm, &snaps);
    let now_ms = plans::now(&now);
    plans::create(&facts, &options, now_ms, &req);

    // The same click again at the same instant, after the first one landed.
    let Value::Array(mut list) = snaps else { unreachable!("accepted snapshots are an array") };
    let name = req.name.clone().expect("create names its snapshot");
    list.insert(
        0,
        Value::Object(vec![
            ("name".into(), Value::String(name.into())),
            ("snaptime".into(), Value::Number((now_ms / 1000) as f64)),
        ]),
    );
    let list = Value::Array(list);
    if let Some(again) = check::answer(api::plan_create(&target, &policy, &vm, &list, &options, &now)) {
        assert_ne!(again.name, req.name, "the same name planned twice");
        plans::create(&plans::Facts::read(&target, &policy, &vm, &list), &options, now_ms, &again);
    }
});
