//! Invariants over generated input: names are always valid and unique, a
//! planned create never exceeds the quota, expiry never selects a foreign or
//! unexpired snapshot, and no input makes any function panic.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use pve_snapshots::{api, name, target::GuestType, Value};

const DAY_S: i64 = 86_400;
const MAX_NOW: i64 = 253_402_300_799_999;

fn obj<'a>(fields: Vec<(&'a str, Value<'a>)>) -> Value<'a> {
    Value::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn prefix() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_-]{0,19}"
}

/// A snapshot name: managed-looking, foreign, or near-misses of the pattern.
fn snapshot_name(prefix: String) -> impl Strategy<Value = String> {
    prop_oneof![
        (0i64..MAX_NOW / 1000).prop_map({
            let p = prefix.clone();
            move |s| name::generate(&p, s * 1000, std::iter::empty()).unwrap()
        }),
        (0i64..4_000_000_000, 2u32..120).prop_map({
            let p = prefix.clone();
            move |(s, n)| {
                format!(
                    "{}-{n}",
                    name::generate(&p, s * 1000, std::iter::empty()).unwrap()
                )
            }
        }),
        "[a-zA-Z][a-zA-Z0-9_-]{1,39}",
        Just("vzdump".to_owned()),
        Just(format!("{prefix}2026112T113000")),
    ]
}

#[derive(Debug, Clone)]
struct Snap {
    name: String,
    snaptime: i64,
    snapstate: Option<&'static str>,
}

fn snapshots(prefix: String, now_s: i64) -> impl Strategy<Value = Vec<Snap>> {
    prop::collection::vec(
        (
            snapshot_name(prefix),
            prop_oneof![Just(0i64), (now_s - 20 * DAY_S).max(1)..now_s + DAY_S],
            prop_oneof![8 => Just(None), 1 => Just(Some("prepare")), 1 => Just(Some("delete"))],
        )
            .prop_map(|(name, snaptime, snapstate)| Snap {
                name,
                snaptime,
                snapstate,
            }),
        0..14,
    )
    .prop_map(|mut v| {
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.dedup_by(|a, b| a.name == b.name);
        v
    })
}

fn list_value(snaps: &[Snap]) -> Value<'_> {
    let mut items: Vec<Value> = snaps
        .iter()
        .map(|s| {
            let mut f = vec![
                ("name", Value::from(s.name.as_str())),
                ("snaptime", Value::Number(s.snaptime as f64)),
            ];
            if let Some(state) = s.snapstate {
                f.push(("snapstate", Value::from(state)));
            }
            obj(f)
        })
        .collect();
    items.push(obj(vec![
        ("name", "current".into()),
        ("running", 1.0.into()),
    ]));
    Value::Array(items)
}

fn policy_value(max: u32, days: u32, prefix: &str) -> Value<'_> {
    obj(vec![
        ("maxSnapshots", Value::Number(max as f64)),
        ("lifetimeDays", Value::Number(days as f64)),
        ("namePrefix", prefix.into()),
    ])
}

fn target() -> Value<'static> {
    obj(vec![("node", "pve1".into()), ("vmid", 101.0.into())])
}

fn vm(lock: Option<&'static str>) -> Value<'static> {
    let mut f = vec![("status", Value::from("running"))];
    if let Some(l) = lock {
        f.push(("lock", l.into()));
    }
    obj(f)
}

fn scenario() -> impl Strategy<Value = (String, i64, Vec<Snap>, u32, u32, Option<&'static str>)> {
    (prefix(), 30 * DAY_S..4_000_000_000i64).prop_flat_map(|(p, now_s)| {
        (
            Just(p.clone()),
            Just(now_s),
            snapshots(p, now_s),
            0u32..6,
            1u32..=10,
            prop_oneof![4 => Just(None), 1 => Just(Some("backup")), 1 => Just(Some("snapshot"))],
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_names_are_valid_unique_and_managed(p in prefix(), now in 0i64..=MAX_NOW, taken in prop::collection::vec(0u32..100, 0..40)) {
        let base = name::generate(&p, now, std::iter::empty()).unwrap();
        let existing: Vec<String> = taken.iter().map(|n| if *n < 2 { base.to_uppercase() } else { format!("{base}-{n}") }).collect();
        let generated = name::generate(&p, now, existing.iter().map(String::as_str)).unwrap();
        prop_assert!(name::validate("n", &generated, GuestType::Qemu).is_ok(), "{}", generated);
        prop_assert!(name::validate("n", &generated, GuestType::Lxc).is_ok());
        prop_assert!(!existing.iter().any(|e| e.eq_ignore_ascii_case(&generated)));
        prop_assert!(name::is_managed(&generated, &p));
    }

    #[test]
    fn a_planned_create_never_exceeds_the_quota((p, now_s, snaps, max, days, lock) in scenario()) {
        let result = api::plan_create(&target(), &policy_value(max, days, &p), &vm(lock), &list_value(&snaps), &Value::Null, &Value::Number((now_s * 1000) as f64));
        let used = snaps.iter().filter(|s| name::is_managed(&s.name, &p)).count() as u32;
        if let Ok(req) = result {
            prop_assert!(used < max);
            prop_assert!(lock.is_none());
            prop_assert!(snaps.iter().all(|s| s.snapstate.is_none()));
            let new_name = req.name.unwrap();
            prop_assert!(name::is_managed(&new_name, &p));
            prop_assert!(!snaps.iter().any(|s| s.name.eq_ignore_ascii_case(&new_name)));
        } else {
            prop_assert!(used >= max || lock.is_some() || snaps.iter().any(|s| s.snapstate.is_some()));
        }
    }

    #[test]
    fn expiry_never_selects_foreign_unexpired_or_busy((p, now_s, snaps, max, days, lock) in scenario()) {
        let now_ms = now_s * 1000;
        let plan = api::plan_expiry(&target(), &policy_value(max, days, &p), &vm(lock), &list_value(&snaps), &Value::Number(now_ms as f64)).unwrap();
        if lock.is_some() || snaps.iter().any(|s| s.snapstate.is_some()) {
            prop_assert!(plan.deletes.is_empty());
        }
        for req in &plan.deletes {
            let name = req.name.as_deref().unwrap();
            let s = snaps.iter().find(|s| s.name == name).unwrap();
            prop_assert!(name::is_managed(name, &p));
            prop_assert!(s.snaptime > 0);
            prop_assert!(now_ms >= s.snaptime * 1000 + days as i64 * DAY_S * 1000, "{} not expired", name);
            let suffix = format!("/snapshot/{name}");
            prop_assert!(req.path.ends_with(&suffix));
        }
        // Every expired managed snapshot is either deleted or reported.
        let expired = snaps.iter().filter(|s| name::is_managed(&s.name, &p) && s.snaptime > 0 && now_ms >= s.snaptime * 1000 + days as i64 * DAY_S * 1000).count();
        let unknown_age = snaps.iter().filter(|s| name::is_managed(&s.name, &p) && s.snaptime == 0).count();
        prop_assert_eq!(plan.deletes.len() + plan.skipped.len(), expired + unknown_age);
    }
}

/// Arbitrary JSON-like trees, with the numbers and strings most likely to
/// break arithmetic and parsing.
fn any_value() -> impl Strategy<Value = Value<'static>> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.0),
            Just(9_007_199_254_740_993.0),
            Just(253_402_300_799_999.0),
            -2e15..2e15f64,
            (0i64..5_000_000_000).prop_map(|n| n as f64),
        ]
        .prop_map(Value::Number),
        prop_oneof![
            ".{0,50}",
            Just("current".to_owned()),
            Just("running".to_owned()),
            Just("stopped".to_owned()),
            Just("snap20261125T113000".to_owned()),
            Just("UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam!panel:".to_owned()),
            Just("WARNINGS: 99999999999".to_owned()),
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    let keys = prop_oneof![
        Just("name"),
        Just("snaptime"),
        Just("status"),
        Just("lock"),
        Just("vmstate"),
        Just("snapstate"),
        Just("maxSnapshots"),
        Just("lifetimeDays"),
        Just("namePrefix"),
        Just("node"),
        Just("vmid"),
        Just("type"),
        Just("description"),
        Just("exitstatus"),
        Just("__proto__"),
        Just("template"),
        Just("start"),
        Just("includeRam"),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8)
                .prop_map(|f| Value::Object(f.into_iter().map(|(k, v)| (k.into(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_input_panics(a in any_value(), b in any_value(), c in any_value(), d in any_value(), e in any_value(), f in any_value()) {
        let _ = api::validate_policy(&a);
        let _ = api::snapshot_page(&a, &b, &c, &d);
        let _ = api::plan_create(&a, &b, &c, &d, &e, &f);
        let _ = api::plan_rollback(&a, &b, &c, &d, &e, &f);
        let _ = api::plan_remove(&a, &b, &c, &d, &e);
        let _ = api::plan_expiry(&a, &b, &c, &d, &e);
        let _ = api::list_snapshots_request(&a);
        let _ = api::vm_status_request(&a);
        let _ = api::task_status_request(&a);
        let _ = api::parse_upid(&a);
        let _ = api::task_outcome(&a);
        let _ = api::remaining_lifetime(&a, &b, &c);
    }
}
