//! `validatePolicy(policy)`: an accepted policy is in range, its prefix
//! leaves room for every generated name, defaults are filled in, and
//! validating the result again changes nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::{api, name, Value};
use pve_snapshots_fuzz::{check, input, plans};

fuzz_target!(|data: &[u8]| {
    let [policy] = input::args::<1>(data);
    let Some(p) = check::answer(api::validate_policy(&policy)) else { return };
    assert!(p.max_snapshots <= 100);
    assert!((1..=10).contains(&p.lifetime_days));
    assert!(name::check_prefix(&p.name_prefix).is_ok());
    // Timestamp (15) and the longest suffix "-99" must still fit in 40.
    assert!(p.name_prefix.len() + 15 + 3 <= name::MAX_NAME_LEN, "prefix {:?} too long", p.name_prefix);
    let given = |key| plans::option(&policy, key);
    assert_eq!(given("maxSnapshots"), Some(&Value::Number(f64::from(p.max_snapshots))));
    assert_eq!(p.include_ram, !matches!(given("includeRam"), Some(Value::Bool(false))));
    assert_eq!(p.rollback_latest_only, matches!(given("rollbackLatestOnly"), Some(Value::Bool(true))));
    match given("namePrefix") {
        Some(Value::String(s)) => assert_eq!(p.name_prefix, s.as_ref()),
        None => assert_eq!(p.name_prefix, "snap"),
        Some(other) => panic!("accepted namePrefix {other:?}"),
    }
    let normalised = Value::Object(vec![
        ("maxSnapshots".into(), Value::Number(f64::from(p.max_snapshots))),
        ("lifetimeDays".into(), Value::Number(f64::from(p.lifetime_days))),
        ("includeRam".into(), Value::Bool(p.include_ram)),
        ("namePrefix".into(), Value::String(p.name_prefix.clone().into())),
        ("rollbackLatestOnly".into(), Value::Bool(p.rollback_latest_only)),
    ]);
    assert_eq!(api::validate_policy(&normalised).as_ref(), Ok(&p), "not idempotent");
});
