//! `validatePolicy(policy)`: an accepted policy is in range, its prefix
//! leaves room for every generated name, defaults are filled in, and
//! validating the result again changes nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::policy::PolicyInput;
use pve_snapshots::{api, name};
use pve_snapshots_fuzz::input::read;
use pve_snapshots_fuzz::{check, input, plans};
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let [policy] = input::args::<1>(data);
    let validate = |policy: &Value| read::<PolicyInput>("policy", policy).map(api::validate_policy);
    let Some(p) = check::answer(validate(&policy)) else { return };
    assert!(p.max_snapshots <= 100);
    assert!((1..=10).contains(&p.lifetime_days));
    assert!(name::check_prefix(&p.name_prefix).is_ok());
    // Timestamp (15) and the longest suffix "-99" must still fit in 40.
    assert!(p.name_prefix.len() + 15 + 3 <= name::MAX_NAME_LEN, "prefix {:?} too long", p.name_prefix);
    let given = |key| plans::option(&policy, key);
    assert_eq!(given("maxSnapshots").and_then(Value::as_f64), Some(f64::from(p.max_snapshots)));
    assert_eq!(given("lifetimeDays").and_then(Value::as_f64), Some(f64::from(p.lifetime_days)));
    let flag = |key, default| match given(key) {
        Some(Value::Bool(b)) => *b,
        None => default,
        Some(other) => panic!("accepted {key} {other:?}"),
    };
    assert_eq!(p.include_ram, flag("includeRam", true));
    assert_eq!(p.rollback_latest_only, flag("rollbackLatestOnly", false));
    match given("namePrefix") {
        Some(Value::String(s)) => assert_eq!(&p.name_prefix, s),
        None => assert_eq!(p.name_prefix, "snap"),
        Some(other) => panic!("accepted namePrefix {other:?}"),
    }
    let normalised = json!({
        "maxSnapshots": p.max_snapshots,
        "lifetimeDays": p.lifetime_days,
        "includeRam": p.include_ram,
        "namePrefix": p.name_prefix,
        "rollbackLatestOnly": p.rollback_latest_only,
    });
    assert_eq!(validate(&normalised).as_ref(), Ok(&p), "not idempotent");
});
