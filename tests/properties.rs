//! Invariants over generated input: names are always valid and unique, a
//! planned create never exceeds the quota, expiry never selects a foreign or
//! unexpired snapshot, and no input makes any operation panic. Arguments are
//! JSON values read as the JS exports read them (`common`).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use pve_snapshots::{name, target::GuestType};
use serde_json::{json, Value};

mod common;

const DAY_S: i64 = 86_400;
const MAX_NOW: i64 = 253_402_300_799_999;

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

fn list_value(snaps: &[Snap]) -> Value {
    let mut items: Vec<Value> = snaps
        .iter()
        .map(|s| {
            let mut snap = json!({"name": s.name, "snaptime": s.snaptime});
            if let Some(state) = s.snapstate {
                snap["snapstate"] = state.into();
            }
            snap
        })
        .collect();
    items.push(json!({"name": "current", "running": 1}));
    Value::Array(items)
}

fn policy_value(max: u32, days: u32, prefix: &str) -> Value {
    json!({"maxSnapshots": max, "lifetimeDays": days, "namePrefix": prefix})
}

fn target() -> Value {
    json!({"node": "pve1", "vmid": 101})
}

fn vm(lock: Option<&'static str>) -> Value {
    match lock {
        Some(l) => json!({"status": "running", "lock": l}),
        None => json!({"status": "running"}),
    }
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
        let result = common::plan_create(&target(), &policy_value(max, days, &p), &vm(lock), &list_value(&snaps), &Value::Null, &json!(now_s * 1000));
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
        let plan = common::plan_expiry(&target(), &policy_value(max, days, &p), &vm(lock), &list_value(&snaps), &json!(now_ms)).unwrap();
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

/// A JSON number, with the values most likely to break arithmetic and
/// parsing. Only finite ones: serde_json has no NaN or Infinity, and in JS
/// those are refused before Rust reads anything (src/plain.js).
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(Value::Number),
        Just(json!(-0.0)),
        Just(json!(0.5)),
        Just(json!(9_007_199_254_740_993u64)),
        Just(json!(9_007_199_254_740_993.0)),
        Just(json!(253_402_300_799_999i64)),
        Just(json!(253_402_300_800_000i64)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1e300)),
        (-2e15..2e15f64).prop_map(|n| json!(n)),
        (-5_000_000_000i64..5_000_000_000).prop_map(|n| json!(n)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        prop_oneof![
            ".{0,50}",
            Just("current".to_owned()),
            Just("running".to_owned()),
            Just("stopped".to_owned()),
            Just("snap20261125T113000".to_owned()),
            Just("1795606200".to_owned()),
            Just("UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam!panel:".to_owned()),
            Just("WARNINGS: 99999999999".to_owned()),
        ]
        .prop_map(Value::String),
    ]
}

/// Arbitrary JSON trees whose objects mostly use the keys the core reads.
fn any_value() -> impl Strategy<Value = Value> {
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
        Just("rollbackLatestOnly"),
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
    leaf().prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|f| Value::Object(
                f.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

/// An answer, or a refusal short enough for a log line or the page.
fn answered<T>(result: Result<T, pve_snapshots::SnapshotError>) {
    if let Err(e) = result {
        let message = e.to_string();
        assert!(
            !message.trim().is_empty() && message.len() <= 1024,
            "{}: {message:?}",
            e.code()
        );
    }
}

/// Mostly `good`, sometimes any leaf: arguments that are nearly right, so
/// the calls get past the first argument and into the rules.
fn field<S: Strategy<Value = Value> + 'static>(good: S) -> BoxedStrategy<Value> {
    prop_oneof![20 => good, 1 => leaf()].boxed()
}

/// An object of the given fields, each nearly right, some left out.
fn object(fields: Vec<(&'static str, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
    fields
        .into_iter()
        .map(|(k, v)| (Just(k), prop::option::weighted(0.97, v)))
        .collect::<Vec<_>>()
        .prop_map(|fields| {
            Value::Object(
                fields
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
                    .collect(),
            )
        })
        .boxed()
}

/// Each argument: nearly right for its position, or any tree at all.
fn argument(good: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![12 => good, 1 => any_value()].boxed()
}

fn any_target() -> BoxedStrategy<Value> {
    argument(object(vec![
        (
            "node",
            field(
                prop_oneof![8 => Just(json!("pve1")), 1 => "[a-z0-9.-]{0,70}".prop_map(Value::from)],
            ),
        ),
        (
            "vmid",
            field(
                prop_oneof![8 => (100i64..1_000_000_000).prop_map(Value::from), 1 => (-1i64..1_100_000_000).prop_map(Value::from)],
            ),
        ),
        (
            "type",
            field(prop_oneof![Just(json!("qemu")), Just(json!("lxc"))]),
        ),
    ]))
}

fn any_policy() -> BoxedStrategy<Value> {
    argument(object(vec![
        (
            "maxSnapshots",
            field(
                prop_oneof![8 => (0i64..=5).prop_map(Value::from), 1 => (-1i64..=101).prop_map(Value::from)],
            ),
        ),
        (
            "lifetimeDays",
            field(
                prop_oneof![8 => (1i64..=10).prop_map(Value::from), 1 => (0i64..=11).prop_map(Value::from)],
            ),
        ),
        ("namePrefix", field(prefix().prop_map(Value::from))),
        ("includeRam", field(any::<bool>().prop_map(Value::from))),
        (
            "rollbackLatestOnly",
            field(any::<bool>().prop_map(Value::from)),
        ),
    ]))
}

fn any_vm() -> BoxedStrategy<Value> {
    let word = || {
        prop_oneof![
            Just(json!("running")),
            Just(json!("stopped")),
            Just(json!("backup")),
            Just(json!("snapshot")),
            Just(json!(""))
        ]
    };
    argument(object(vec![
        (
            "status",
            field(
                prop_oneof![8 => prop_oneof![Just(json!("running")), Just(json!("stopped"))], 1 => word()],
            ),
        ),
        (
            "lock",
            field(prop_oneof![6 => Just(Value::Null), 1 => word()]),
        ),
        (
            "template",
            field(prop_oneof![
                Just(json!(0)),
                Just(json!(1)),
                Just(json!("1"))
            ]),
        ),
    ]))
}

fn any_snapshot() -> BoxedStrategy<Value> {
    argument(object(vec![
        (
            "name",
            field(snapshot_name("snap".into()).prop_map(Value::from)),
        ),
        (
            "snaptime",
            field(prop_oneof![
                (0i64..4_000_000_000).prop_map(Value::from),
                (0i64..4_000_000_000).prop_map(|n| Value::from(n.to_string()))
            ]),
        ),
        (
            "vmstate",
            field(prop_oneof![Just(json!(0)), Just(json!(1))]),
        ),
        (
            "snapstate",
            field(prop_oneof![Just(json!("prepare")), Just(json!("delete"))]),
        ),
        ("description", field(".{0,20}".prop_map(Value::from))),
    ]))
}

fn any_snapshots() -> BoxedStrategy<Value> {
    argument(
        prop::collection::vec(any_snapshot(), 0..8)
            .prop_map(Value::Array)
            .boxed(),
    )
}

fn any_name() -> BoxedStrategy<Value> {
    argument(snapshot_name("snap".into()).prop_map(Value::from).boxed())
}

fn any_options() -> BoxedStrategy<Value> {
    argument(object(vec![
        ("description", field(".{0,20}".prop_map(Value::from))),
        ("includeRam", field(any::<bool>().prop_map(Value::from))),
        ("start", field(any::<bool>().prop_map(Value::from))),
    ]))
}

fn any_now() -> BoxedStrategy<Value> {
    argument((0i64..=MAX_NOW).prop_map(Value::from).boxed())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Every operation, read-then-call as its JS export, answers every input
    /// with a result or a refusal and never panics; a refusal is short and names what it refuses.
    #[test]
    fn no_input_panics(
        t in any_target(),
        p in any_policy(),
        v in any_vm(),
        s in any_snapshots(),
        n in any_name(),
        o in any_options(),
        now in any_now(),
        secs in argument((0i64..=253_402_300_799).prop_map(Value::from).boxed()),
        x in any_value(),
    ) {
        answered(common::validate_policy(&p));
        answered(common::validate_target(&t));
        answered(common::snapshot_page(&p, &v, &s, &now));
        answered(common::plan_create(&t, &p, &v, &s, &o, &now));
        answered(common::plan_rollback(&t, &p, &v, &s, &n, &o));
        answered(common::plan_remove(&t, &p, &v, &s, &n));
        answered(common::plan_expiry(&t, &p, &v, &s, &now));
        answered(common::list_snapshots_request(&t));
        answered(common::vm_status_request(&t));
        answered(common::node_time_request(&x));
        answered(common::node_time_request(&n));
        answered(common::parse_upid(&n));
        answered(common::task_status_request(&x));
        answered(common::parse_upid(&x));
        answered(common::task_outcome(&x));
        answered(common::task_outcome(&v));
        answered(common::remaining_lifetime(&p, &secs, &now));
        answered(common::remaining_lifetime(&p, &x, &now));
    }
}
