//! The exported API through real JS values, in Node (`wasm-pack test --node`)
//! and in headless Chromium (`WASM_BINDGEN_USE_BROWSER=1 wasm-pack test
//! --headless --chrome`): the same module instance must answer every call,
//! good or hostile, with a result or a coded `Error`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Reflect, JSON};
use pve_snapshots::bindings as b;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

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
fn batch_expiry_reports_bad_vms_in_place() {
    let vms = js(r#"[
        {"target": {"node": "pve1", "vmid": 101}, "vmStatus": {"status": "running"},
         "snapshots": [{"name": "snap20261120T000000", "snaptime": 1795000000}, {"name": "current"}]},
        {"target": {"node": "pve1", "vmid": 99}, "vmStatus": {"status": "running"}, "snapshots": []},
        {"target": {"node": "pve2", "vmid": 102}, "vmStatus": {"status": "running", "lock": "backup"},
         "snapshots": [{"name": "snap20261120T000000", "snaptime": 1795000000}]}
    ]"#);
    let plans: js_sys::Array = b::plan_expiry_batch(policy(), vms, JsValue::from(NOW))
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(plans.length(), 3);
    assert_eq!(
        get(&plans.get(0), "deletes.0.path").as_string().unwrap(),
        "/nodes/pve1/qemu/101/snapshot/snap20261120T000000"
    );
    assert_eq!(
        get(&plans.get(1), "error.code").as_string().unwrap(),
        "INVALID_TARGET"
    );
    assert_eq!(
        get(&plans.get(2), "skipped.0.code").as_string().unwrap(),
        "VM_LOCKED"
    );
    // Data JSON cannot carry (a lone surrogate) in one VM fails only that entry.
    let vms = js(
        r#"[{"target": {"node": "pve1", "vmid": 101}, "vmStatus": {"status": "running"}, "snapshots": []},
                     {"target": {"node": "pve1", "vmid": 102}, "vmStatus": {"status": "running"}, "snapshots": [{"name": "x"}]}]"#,
    );
    let bad = get(&vms, "1.snapshots.0");
    Reflect::set(
        &bad,
        &JsValue::from_str("name"),
        &js_sys::JsString::from_char_code1(0xDC00),
    )
    .unwrap();
    let plans: js_sys::Array = b::plan_expiry_batch(policy(), vms, JsValue::from(NOW))
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(get(&plans.get(0), "deletes").is_object());
    assert_eq!(
        get(&plans.get(1), "error.code").as_string().unwrap(),
        "INVALID_INPUT"
    );
    assert!(get(&plans.get(1), "error.message")
        .as_string()
        .unwrap()
        .starts_with("vms[1].snapshots[0].name:"));
    assert_eq!(
        code_of(b::plan_expiry_batch(js("{}"), js("[]"), JsValue::from(NOW))),
        "INVALID_POLICY"
    );
}

/// The same data as plain objects (the packed lane) and as objects with
/// another prototype (the glue gives up, JSON carries them) must give the
/// same JSON text: same values, same keys in the same order.
#[wasm_bindgen_test]
fn packed_and_json_lanes_agree() {
    let proto = js_sys::Object::create(&js_sys::Object::new());
    fn not_plain(v: &JsValue, proto: &js_sys::Object) -> JsValue {
        if js_sys::Array::is_array(v) {
            let out = js_sys::Array::new();
            for item in js_sys::Array::from(v).iter() {
                out.push(&not_plain(&item, proto));
            }
            return out.into();
        }
        if !v.is_object() {
            return v.clone();
        }
        let out = js_sys::Object::create(proto);
        let keys = js_sys::Object::keys(v.unchecked_ref::<js_sys::Object>());
        for key in keys.iter() {
            let value = Reflect::get(v, &key).unwrap();
            Reflect::set(&out, &key, &not_plain(&value, proto)).unwrap();
        }
        out.into()
    }
    let text = |r: Result<JsValue, JsValue>| match r {
        Ok(v) => JSON::stringify(&v).unwrap().as_string().unwrap(),
        Err(e) => format!("error {}", get(&e, "code").as_string().unwrap()),
    };
    let locked = js(r#"{"status": "stopped", "lock": "backup", "template": 0}"#);
    let list = js(r#"[
        {"name": "snap20261124T090000", "snaptime": 1795510800, "vmstate": 0, "description": "crème brûlée ✓", "parent": "x"},
        {"name": "snap20261123T090000-2", "snaptime": 1795424400, "snapstate": "delete"},
        {"name": "snap20261125T110000", "snaptime": 1795604400, "vmstate": true},
        {"name": "before-upgrade", "snaptime": 1795000000},
        {"name": "current", "running": 1, "description": "You are here!"}
    ]"#);
    let policies = [
        policy(),
        js(
            r#"{"maxSnapshots": 2, "lifetimeDays": 1, "includeRam": false, "rollbackLatestOnly": true}"#,
        ),
    ];
    for status in [running(), locked] {
        for p in &policies {
            let np = |v: &JsValue| not_plain(v, &proto);
            let page = text(b::snapshot_page(
                p.clone(),
                status.clone(),
                list.clone(),
                JsValue::from(NOW),
            ));
            let page_json = text(b::snapshot_page(
                np(p),
                np(&status),
                np(&list),
                JsValue::from(NOW),
            ));
            assert_eq!(page, page_json);
            assert!(page.contains("crème brûlée ✓"), "{page}");
            let plan = text(b::plan_expiry(
                target(),
                p.clone(),
                status.clone(),
                list.clone(),
                JsValue::from(NOW),
            ));
            let plan_json = text(b::plan_expiry(
                np(&target()),
                np(p),
                np(&status),
                np(&list),
                JsValue::from(NOW),
            ));
            assert_eq!(plan, plan_json);
            let vm = js_sys::Object::new();
            Reflect::set(&vm, &"target".into(), &target()).unwrap();
            Reflect::set(&vm, &"vmStatus".into(), &status).unwrap();
            Reflect::set(&vm, &"snapshots".into(), &list).unwrap();
            let fleet: JsValue = js_sys::Array::of2(&vm, &vm).into();
            let batch = text(b::plan_expiry_batch(
                p.clone(),
                fleet.clone(),
                JsValue::from(NOW),
            ));
            let batch_json = text(b::plan_expiry_batch(
                p.clone(),
                np(&fleet),
                JsValue::from(NOW),
            ));
            assert_eq!(batch, batch_json);
        }
    }
}
