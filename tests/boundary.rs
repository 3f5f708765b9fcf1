//! The exported API through real JS values, in Node (`wasm-pack test --node`)
//! and in headless Chromium (`WASM_BINDGEN_USE_BROWSER=1 wasm-pack test
//! --headless --chrome`): the same module instance must answer every call,
//! good or hostile, with a result or a coded `Error`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

/// The exports with their JS-side signatures: every argument a plain JS
/// value, every result the JS value a caller gets.
mod b {
    use pve_snapshots::bindings as raw;
    use tsify::{Ts, Tsify};
    use wasm_bindgen::JsValue;

    type R = Result<JsValue, JsValue>;

    fn t<T: Tsify>(v: JsValue) -> Ts<T> {
        Ts::new_unchecked(v)
    }

    pub fn validate_policy(p: JsValue) -> R {
        raw::validate_policy(t(p)).map(Into::into)
    }
    pub fn validate_target(p: JsValue) -> R {
        raw::validate_target(t(p)).map(Into::into)
    }
    pub fn snapshot_page(p: JsValue, v: JsValue, s: JsValue, now: JsValue) -> R {
        raw::snapshot_page(t(p), t(v), t(s), now).map(Into::into)
    }
    pub fn plan_create(tg: JsValue, p: JsValue, v: JsValue, s: JsValue, o: JsValue, now: JsValue) -> R {
        raw::plan_create(t(tg), t(p), t(v), t(s), Some(t(o)), now).map(Into::into)
    }
    pub fn plan_remove(tg: JsValue, p: JsValue, v: JsValue, s: JsValue, name: JsValue) -> R {
        raw::plan_remove(t(tg), t(p), t(v), t(s), name).map(Into::into)
    }
    pub fn plan_expiry(tg: JsValue, p: JsValue, v: JsValue, s: JsValue, now: JsValue) -> R {
        raw::plan_expiry(t(tg), t(p), t(v), t(s), now).map(Into::into)
    }
    pub fn task_status_request(upid: JsValue) -> R {
        raw::task_status_request(upid).map(Into::into)
    }
    pub fn node_time_request(node: JsValue) -> R {
        raw::node_time_request(node).map(Into::into)
    }
    pub fn parse_upid(upid: JsValue) -> R {
        raw::parse_upid(upid).map(Into::into)
    }
    pub fn task_outcome(status: JsValue) -> R {
        raw::task_outcome(t(status)).map(Into::into)
    }
    pub fn remaining_lifetime(p: JsValue, snaptime: JsValue, now: JsValue) -> R {
        raw::remaining_lifetime(t(p), snaptime, now).map(Into::into)
    }
    pub fn cluster_vms_request() -> R {
        raw::cluster_vms_request().map(Into::into)
    }
    pub fn error_codes() -> R {
        raw::error_codes().map(Into::into)
    }
    pub fn limits() -> R {
        raw::limits().map(Into::into)
    }
}

const NOW: f64 = 1_795_606_200_000.0; // 2026-11-25T11:30:00Z

fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("test JSON is valid")
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |v, key| {
        Reflect::get(&v, &JsValue::from_str(key)).unwrap()
    })
}

fn policy() -> JsValue {
    js(r#"{"maxSnapshots": 3, "lifetimeDays": 1}"#)
}
fn target() -> JsValue {
    js(r#"{"node": "pve1", "vmid": 101}"#)
}
fn running() -> JsValue {
    js(r#"{"status": "running", "vmid": 101, "qmpstatus": "running"}"#)
}
fn snapshots() -> JsValue {
    js(r#"[
        {"name": "snap20261125T113000", "snaptime": 1795606194, "vmstate": 1, "description": "<b>hi</b>"},
        {"name": "before-upgrade", "snaptime": 1795000000, "vmstate": 0, "description": ""},
        {"name": "current", "running": 1, "digest": "abc", "description": "You are here!"}
    ]"#)
}

/// The thrown value is an `Error` with a code, a message and details.
fn code_of(result: Result<JsValue, JsValue>) -> String {
    let err = result.expect_err("expected a refusal");
    let err: js_sys::Error = err.dyn_into().expect("thrown value is an Error");
    assert_eq!(String::from(err.name()), "SnapshotError");
    assert!(!String::from(err.message()).is_empty());
    assert!(Reflect::has(&err, &JsValue::from_str("details")).unwrap());
    get(&err, "code").as_string().expect("code is a string")
}

#[wasm_bindgen_test]
fn page_view_through_js() {
    let page = b::snapshot_page(policy(), running(), snapshots(), JsValue::from(NOW)).unwrap();
    assert_eq!(get(&page, "quota.label").as_string().unwrap(), "1/3");
    assert_eq!(get(&page, "quota.canCreate").as_bool(), Some(true));
    assert!(get(&page, "createBlocked").is_null());
    let rows: js_sys::Array = get(&page, "rows").dyn_into().unwrap();
    assert_eq!(rows.length(), 2, "current is not a snapshot");
    let fresh = rows.get(1);
    assert_eq!(
        get(&fresh, "remainingLabel").as_string().unwrap(),
        "0 days 23:59:54"
    );
    assert_eq!(get(&fresh, "description").as_string().unwrap(), "<b>hi</b>");
    assert_eq!(get(&fresh, "ram").as_bool(), Some(true));
    assert!(get(&rows.get(0), "expiresAt").is_null());
}

#[wasm_bindgen_test]
fn create_request_through_js() {
    let opts = js(r#"{"description": "before upgrade"}"#);
    let req = b::plan_create(
        target(),
        policy(),
        running(),
        snapshots(),
        opts,
        JsValue::from(NOW),
    )
    .unwrap();
    assert_eq!(get(&req, "method").as_string().unwrap(), "POST");
    assert_eq!(
        get(&req, "path").as_string().unwrap(),
        "/nodes/pve1/qemu/101/snapshot"
    );
    assert_eq!(
        get(&req, "params.snapname").as_string().unwrap(),
        "snap20261125T113000-2"
    );
    assert_eq!(get(&req, "params.vmstate").as_f64(), Some(1.0));
    let req = b::plan_create(
        target(),
        policy(),
        running(),
        snapshots(),
        JsValue::UNDEFINED,
        JsValue::from(NOW),
    )
    .unwrap();
    assert!(get(&req, "params.description").is_undefined());
}

#[wasm_bindgen_test]
fn refusals_carry_codes_and_details() {
    let locked = js(r#"{"status": "running", "lock": "backup"}"#);
    let err = b::plan_create(
        target(),
        policy(),
        locked,
        snapshots(),
        JsValue::UNDEFINED,
        JsValue::from(NOW),
    )
    .unwrap_err();
    assert_eq!(get(&err, "details.lock").as_string().unwrap(), "backup");
    let full = js(r#"{"maxSnapshots": 1, "lifetimeDays": 1}"#);
    let err = b::plan_create(
        target(),
        full,
        running(),
        snapshots(),
        JsValue::UNDEFINED,
        JsValue::from(NOW),
    )
    .unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "QUOTA_EXCEEDED");
    assert_eq!(get(&err, "details.used").as_f64(), Some(1.0));
    assert_eq!(get(&err, "details.limit").as_f64(), Some(1.0));
    let name = JsValue::from_str("before-upgrade");
    assert_eq!(
        code_of(b::plan_remove(
            target(),
            policy(),
            running(),
            snapshots(),
            name
        )),
        "NOT_MANAGED"
    );
}

#[wasm_bindgen_test]
fn hostile_values_are_coded_errors_and_the_instance_survives() {
    let cases: Vec<(Box<dyn Fn() -> Result<JsValue, JsValue>>, &str)> = vec![
        (
            Box::new(|| b::validate_policy(JsValue::UNDEFINED)),
            "INVALID_POLICY",
        ),
        (
            Box::new(|| b::validate_policy(js(r#"{"maxSnapshots": 3.5, "lifetimeDays": 1}"#))),
            "INVALID_POLICY",
        ),
        (
            Box::new(|| b::validate_policy(js(r#"{"maxSnapshots": 3, "lifetimeDays": "1"}"#))),
            "INVALID_POLICY",
        ),
        (
            Box::new(|| b::validate_policy(js("[1,2]"))),
            "INVALID_POLICY",
        ),
        (
            Box::new(|| b::validate_policy(JsValue::symbol(None))),
            "INVALID_POLICY",
        ),
        (
            Box::new(|| b::validate_policy(JsValue::bigint_from_str("3"))),
            "INVALID_POLICY",
        ),
        (
            Box::new(|| {
                b::snapshot_page(policy(), running(), snapshots(), JsValue::from(f64::NAN))
            }),
            "INVALID_INPUT",
        ),
        (
            Box::new(|| {
                b::snapshot_page(
                    policy(),
                    running(),
                    snapshots(),
                    JsValue::from(f64::INFINITY),
                )
            }),
            "INVALID_INPUT",
        ),
        (
            Box::new(|| b::snapshot_page(policy(), running(), js("{}"), JsValue::from(NOW))),
            "INVALID_INPUT",
        ),
        (
            Box::new(|| b::snapshot_page(policy(), js("{}"), snapshots(), JsValue::from(NOW))),
            "INVALID_INPUT",
        ),
        (
            Box::new(|| {
                b::plan_remove(
                    target(),
                    policy(),
                    running(),
                    snapshots(),
                    JsValue::from_str("../../qemu/102"),
                )
            }),
            "INVALID_NAME",
        ),
        (
            Box::new(|| {
                b::plan_remove(
                    target(),
                    policy(),
                    running(),
                    snapshots(),
                    JsValue::from_str("a%2Fb"),
                )
            }),
            "INVALID_NAME",
        ),
        (
            Box::new(|| {
                b::plan_remove(target(), policy(), running(), snapshots(), JsValue::from(7))
            }),
            "INVALID_NAME",
        ),
        (
            Box::new(|| {
                b::plan_remove(
                    js(r#"{"node": "pve1/../x", "vmid": 101}"#),
                    policy(),
                    running(),
                    snapshots(),
                    JsValue::from_str("ab"),
                )
            }),
            "INVALID_TARGET",
        ),
        (
            Box::new(|| {
                b::plan_remove(
                    js(r#"{"node": "pve1", "vmid": "101"}"#),
                    policy(),
                    running(),
                    snapshots(),
                    JsValue::from_str("ab"),
                )
            }),
            "INVALID_TARGET",
        ),
        (
            Box::new(|| b::parse_upid(JsValue::from_str("UPID:pve1:1:2:3:a:b:c:"))),
            "INVALID_TARGET",
        ),
        (
            Box::new(|| b::task_status_request(JsValue::NULL)),
            "INVALID_TARGET",
        ),
        (
            Box::new(|| b::task_outcome(js(r#"{"status": "exploded"}"#))),
            "INVALID_INPUT",
        ),
        (
            Box::new(|| b::remaining_lifetime(policy(), JsValue::from(-1), JsValue::from(NOW))),
            "INVALID_INPUT",
        ),
        (
            Box::new(|| {
                let opts = js("{}");
                Reflect::set(
                    &opts,
                    &JsValue::from_str("description"),
                    &js(r#""a\u0000b""#),
                )
                .unwrap();
                b::plan_create(
                    target(),
                    policy(),
                    running(),
                    snapshots(),
                    opts,
                    JsValue::from(NOW),
                )
            }),
            "INVALID_DESCRIPTION",
        ),
        (
            Box::new(|| {
                // A lone surrogate would silently become U+FFFD; it is refused instead.
                let name = js_sys::JsString::from_char_code1(0xD800);
                b::plan_remove(target(), policy(), running(), snapshots(), name.into())
            }),
            "INVALID_NAME",
        ),
        (
            Box::new(|| {
                let deep = js(&format!("{}{}", "[".repeat(100), "]".repeat(100)));
                b::snapshot_page(policy(), running(), deep, JsValue::from(NOW))
            }),
            "INVALID_INPUT",
        ),
        (
            Box::new(|| {
                // JSON would drop a function silently; it is refused instead.
                let p = policy();
                Reflect::set(
                    &p,
                    &JsValue::from_str("includeRam"),
                    &js_sys::Function::new_no_args(""),
                )
                .unwrap();
                b::validate_policy(p)
            }),
            "INVALID_POLICY",
        ),
        (
            Box::new(|| {
                let list = snapshots();
                let first = Reflect::get(&list, &JsValue::from(0)).unwrap();
                Reflect::set(
                    &first,
                    &JsValue::from_str("snaptime"),
                    &JsValue::from(f64::NAN),
                )
                .unwrap();
                b::plan_expiry(target(), policy(), running(), list, JsValue::from(NOW))
            }),
            "INVALID_INPUT",
        ),
        (
            Box::new(|| {
                let cyclic = js("{}");
                Reflect::set(&cyclic, &JsValue::from_str("self"), &cyclic).unwrap();
                b::validate_policy(cyclic)
            }),
            "INVALID_POLICY",
        ),
    ];
    for (i, (call, expected)) in cases.iter().enumerate() {
        assert_eq!(code_of(call()), *expected, "case {i}");
    }
    // The same instance still works.
    assert!(b::snapshot_page(policy(), running(), snapshots(), JsValue::from(NOW)).is_ok());
}

#[wasm_bindgen_test]
fn task_requests_and_outcomes() {
    let upid =
        JsValue::from_str("UPID:pve2:00001A2B:0001C3D4:6744A1B0:qmdelsnapshot:101:root@pam!panel:");
    let req = b::task_status_request(upid.clone()).unwrap();
    assert!(get(&req, "path")
        .as_string()
        .unwrap()
        .starts_with("/nodes/pve2/tasks/UPID%3Apve2%3A"));
    assert_eq!(
        get(&b::parse_upid(upid).unwrap(), "type")
            .as_string()
            .unwrap(),
        "qmdelsnapshot"
    );
    let outcome = b::task_outcome(js(
        r#"{"status": "stopped", "exitstatus": "VM is locked (backup)"}"#,
    ))
    .unwrap();
    assert_eq!(get(&outcome, "state").as_string().unwrap(), "failed");
    assert_eq!(get(&outcome, "lock").as_string().unwrap(), "backup");
    let outcome =
        b::task_outcome(js(r#"{"status": "stopped", "exitstatus": "WARNINGS: 3"}"#)).unwrap();
    assert_eq!(get(&outcome, "state").as_string().unwrap(), "ok");
    assert_eq!(get(&outcome, "warnings").as_f64(), Some(3.0));
    let req = b::cluster_vms_request().unwrap();
    assert_eq!(get(&req, "params.type").as_string().unwrap(), "vm");
}

#[wasm_bindgen_test]
fn throwing_getters_are_refusals_naming_the_field() {
    let p = policy();
    let getter = js_sys::Object::new();
    Reflect::set(
        &getter,
        &"get".into(),
        &js_sys::Function::new_no_args("throw new Error('host secret')"),
    )
    .unwrap();
    let define = js_sys::Function::new_with_args("o, d", "Object.defineProperty(o, 'lifetimeDays', d)");
    define.call2(&JsValue::NULL, &p, &getter).unwrap();
    let err = b::validate_policy(p).unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "INVALID_POLICY");
    assert_eq!(get(&err, "details.field").as_string().unwrap(), "policy.lifetimeDays");
    assert!(!get(&err, "message").as_string().unwrap().contains("host secret"));
}

#[wasm_bindgen_test]
fn proxmox_numbers_written_as_strings_are_read() {
    let list = js(r#"[{"name": "snap20261125T113000", "snaptime": "1795606194", "vmstate": "1"}]"#);
    let page = b::snapshot_page(policy(), running(), list, JsValue::from(NOW)).unwrap();
    let rows: js_sys::Array = get(&page, "rows").dyn_into().unwrap();
    assert_eq!(get(&rows.get(0), "createdAt").as_f64(), Some(1_795_606_194_000.0));
    let bad = js(r#"[{"name": "a", "snaptime": "17e8"}]"#);
    let err = b::snapshot_page(policy(), running(), bad, JsValue::from(NOW)).unwrap_err();
    assert_eq!(get(&err, "details.field").as_string().unwrap(), "snapshots[0].snaptime");
}

#[wasm_bindgen_test]
fn codes_limits_and_the_clock_request_come_from_the_core() {
    let codes: js_sys::Array = b::error_codes().unwrap().dyn_into().unwrap();
    let quota = codes
        .iter()
        .find(|c| get(c, "code").as_string().as_deref() == Some("QUOTA_EXCEEDED"))
        .expect("QUOTA_EXCEEDED is listed");
    assert_eq!(get(&quota, "status").as_f64(), Some(409.0));
    assert_eq!(get(&b::limits().unwrap(), "descriptionChars").as_f64(), Some(8192.0));
    let req = b::node_time_request(JsValue::from_str("pve1")).unwrap();
    assert_eq!(get(&req, "path").as_string().unwrap(), "/nodes/pve1/time");
    assert_eq!(code_of(b::node_time_request(JsValue::from_str("pve1/../x"))), "INVALID_TARGET");
    let t = b::validate_target(js(r#"{"node": "pve1", "vmid": 101}"#)).unwrap();
    assert_eq!(get(&t, "type").as_string().unwrap(), "qemu");
}
