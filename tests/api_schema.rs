//! Every request description the crate can build, checked against Proxmox's
//! own API schema (www/simulator/snapshot-schema.json, from pve-docs 9.1.3;
//! the simulator verifies parameters against the same file):
//! the method exists on the path, every parameter is declared there and
//! matches its type, format, pattern, range and length.
#![cfg(not(target_arch = "wasm32"))]

use serde_json::{json, Value as Json};

mod common;

fn schema() -> Json {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/www/simulator/snapshot-schema.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn v(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn check_format(format: &str, value: &str) -> bool {
    match format {
        "pve-node" => {
            let b = value.as_bytes();
            !b.is_empty()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        }
        "pve-vmid" => {
            value.len() >= 3
                && value.len() <= 9
                && !value.starts_with('0')
                && value.bytes().all(|c| c.is_ascii_digit())
        }
        "pve-configid" => {
            let mut c = value.chars();
            c.next().is_some_and(|f| f.is_ascii_alphabetic())
                && value.len() >= 2
                && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        }
        other => panic!("test does not know format {other}"),
    }
}

/// Checks one parameter value (as a string, the way it goes on the wire, or
/// a JSON integer) against its schema property.
fn check_param(path: &str, key: &str, prop: &Json, value: &Json) {
    let ty = prop["type"].as_str().unwrap();
    let text = match value {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        other => panic!("{path}: {key} is neither string nor integer: {other}"),
    };
    match ty {
        "string" => assert!(value.is_string(), "{path}: {key} must be a string"),
        "integer" => {
            let n: i64 = text
                .parse()
                .unwrap_or_else(|_| panic!("{path}: {key}={text} is not an integer"));
            if let Some(min) = prop["minimum"].as_i64() {
                assert!(n >= min, "{path}: {key}={n} < {min}");
            }
            if let Some(max) = prop["maximum"].as_i64() {
                assert!(n <= max, "{path}: {key}={n} > {max}");
            }
        }
        "boolean" => assert!(
            text == "0" || text == "1",
            "{path}: boolean {key} must be 0 or 1, got {text}"
        ),
        other => panic!("{path}: unexpected type {other} for {key}"),
    }
    if let Some(format) = prop["format"].as_str() {
        assert!(
            check_format(format, &text),
            "{path}: {key}={text} fails format {format}"
        );
    }
    if let Some(max) = prop["maxLength"].as_u64() {
        assert!(
            text.chars().count() as u64 <= max,
            "{path}: {key} longer than {max}"
        );
    }
    if let Some(values) = prop["enum"].as_array() {
        assert!(
            values.iter().any(|e| e.as_str() == Some(&text)),
            "{path}: {key}={text} not in enum"
        );
    }
}

fn check_request(schema: &Json, request: &Json) {
    let method = request["method"].as_str().unwrap();
    let path = request["path"].as_str().unwrap();
    assert!(path.starts_with('/') && !path.contains("//"), "{path}");
    let segments: Vec<String> = path[1..].split('/').map(percent_decode).collect();
    let mut matches = vec![];
    for (template, node) in schema["paths"].as_object().unwrap() {
        let parts: Vec<&str> = template[1..].split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut bound = serde_json::Map::new();
        let ok = parts.iter().zip(&segments).all(|(t, s)| {
            match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(var) => {
                    bound.insert(var.to_owned(), Json::String(s.clone()));
                    true
                }
                None => t == s,
            }
        });
        if ok {
            matches.push((template.clone(), node.clone(), bound));
        }
    }
    assert_eq!(
        matches.len(),
        1,
        "{method} {path} must match exactly one schema path, got {:?}",
        matches.iter().map(|m| &m.0).collect::<Vec<_>>()
    );
    let (template, node, bound) = matches.pop().unwrap();
    let info = &node["info"][method];
    assert!(info.is_object(), "{method} is not defined on {template}");
    let props = info["parameters"]["properties"].as_object().unwrap();
    let mut given = bound;
    for (k, value) in request["params"].as_object().unwrap() {
        assert!(!given.contains_key(k), "{path}: {k} given twice");
        given.insert(k.clone(), value.clone());
    }
    for (key, value) in &given {
        let prop = props
            .get(key)
            .unwrap_or_else(|| panic!("{method} {template}: parameter {key} is not declared"));
        check_param(path, key, prop, value);
    }
    for (key, prop) in props {
        if prop["optional"].as_i64() != Some(1) {
            assert!(
                given.contains_key(key),
                "{method} {template}: required parameter {key} missing"
            );
        }
    }
}

fn json<T: serde::Serialize>(t: &T) -> Json {
    serde_json::to_value(t).unwrap()
}

#[test]
fn every_request_the_crate_builds_is_valid_for_proxmox() {
    let schema = schema();
    let policy =
        v(r#"{"maxSnapshots": 100, "lifetimeDays": 10, "namePrefix": "aaaaaaaaaaaaaaaaaaaa"}"#);
    let long_name = format!("a{}", "b".repeat(39));
    let snapshots = v(&format!(
        r#"[{{"name": "aaaaaaaaaaaaaaaaaaaa20261125T113000", "snaptime": 1795606200, "vmstate": 1}},
            {{"name": "aaaaaaaaaaaaaaaaaaaa20261124T113000", "snaptime": 1795519800}},
            {{"name": "{long_name}", "snaptime": 1795000000}},
            {{"name": "current", "running": 1}}]"#
    ));
    let mut checked = 0;
    for ty in ["qemu", "lxc"] {
        for (node, vmid) in [
            ("pve1", 100),
            ("a", 999_999_999),
            ("node-with-dash-9", 4242),
        ] {
            let target = v(&format!(
                r#"{{"node": "{node}", "vmid": {vmid}, "type": "{ty}"}}"#
            ));
            for status in [r#"{"status": "running"}"#, r#"{"status": "stopped"}"#] {
                let vm = v(status);
                for options in [
                    r#"{}"#,
                    r#"{"description": "line 1\nline 2\t<b>", "includeRam": true}"#,
                    r#"{"includeRam": false}"#,
                ] {
                    // Many times of day, so generated names cover every digit position.
                    for now in [0i64, 1_795_606_200_000, 253_402_300_799_999] {
                        let req = common::plan_create(
                            &target,
                            &policy,
                            &vm,
                            &snapshots,
                            &v(options),
                            &json!(now),
                        )
                        .unwrap();
                        check_request(&schema, &json(&req));
                        checked += 1;
                    }
                }
                for start in [r#"{}"#, r#"{"start": true}"#, r#"{"start": false}"#] {
                    for name in [
                        "aaaaaaaaaaaaaaaaaaaa20261125T113000",
                        "aaaaaaaaaaaaaaaaaaaa20261124T113000",
                    ] {
                        let req = common::plan_rollback(
                            &target,
                            &policy,
                            &vm,
                            &snapshots,
                            &json!(name),
                            &v(start),
                        )
                        .unwrap();
                        check_request(&schema, &json(&req));
                        let req =
                            common::plan_remove(&target, &policy, &vm, &snapshots, &json!(name))
                                .unwrap();
                        check_request(&schema, &json(&req));
                        checked += 2;
                    }
                }
                let plan = common::plan_expiry(
                    &target,
                    &policy,
                    &vm,
                    &snapshots,
                    &json!(253_402_300_799_999i64),
                )
                .unwrap();
                assert_eq!(plan.deletes.len(), 2);
                for req in &plan.deletes {
                    check_request(&schema, &json(req));
                    checked += 1;
                }
            }
            check_request(
                &schema,
                &json(&common::list_snapshots_request(&target).unwrap()),
            );
            check_request(&schema, &json(&common::vm_status_request(&target).unwrap()));
            checked += 2;
        }
    }
    for upid in [
        "UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam!panel:",
        "UPID:node-9:FFFFFFFF:1FFFFFFFF:00000000:vzdelsnapshot:999999999:snap@pve!expiry-job:",
    ] {
        check_request(
            &schema,
            &json(&common::task_status_request(&json!(upid)).unwrap()),
        );
        checked += 1;
    }
    check_request(&schema, &json(&pve_snapshots::api::cluster_vms_request()));
    assert!(checked > 250, "checked {checked}");
}

/// `GET /nodes/{node}/time` is not in the schema file, which holds only the
/// paths of snapshots, guests, tasks and cluster resources. Until it is,
/// the request is checked by hand against what Proxmox documents: no
/// parameters, the node as a `pve-node` path segment.
#[test]
fn the_node_time_request() {
    let schema = schema();
    for node in ["pve1", "a", "node-with-dash-9", &"n".repeat(63)] {
        let req = json(&common::node_time_request(&json!(node)).unwrap());
        assert_eq!(
            req,
            json!({"method": "GET", "path": format!("/nodes/{node}/time"), "params": {}})
        );
        assert!(check_format("pve-node", node));
        if schema["paths"].get("/nodes/{node}/time").is_some() {
            check_request(&schema, &req);
        }
    }
    for node in [
        json!("pve1.example.net"),
        json!("../x"),
        json!("-a"),
        json!(""),
        json!("n".repeat(64)),
        json!(1),
    ] {
        assert!(common::node_time_request(&node).is_err(), "{node}");
    }
}

#[test]
fn the_checker_itself_rejects_bad_requests() {
    let schema = schema();
    let bad = [
        r#"{"method": "PUT", "path": "/nodes/pve1/qemu/101/snapshot", "params": {}}"#,
        r#"{"method": "POST", "path": "/nodes/pve1/qemu/101/snapshot", "params": {"snapname": "a b"}}"#,
        r#"{"method": "POST", "path": "/nodes/pve1/qemu/101/snapshot", "params": {"snapname": "ab", "vmstate": "true"}}"#,
        r#"{"method": "POST", "path": "/nodes/pve1/lxc/101/snapshot", "params": {"snapname": "ab", "vmstate": 1}}"#,
        r#"{"method": "DELETE", "path": "/nodes/pve1/qemu/99/snapshot/ab", "params": {}}"#,
        r#"{"method": "POST", "path": "/nodes/pve1/qemu/101/snapshot", "params": {}}"#,
        r#"{"method": "GET", "path": "/nodes/pve1/qemu/101/snapshot/ab/../x", "params": {}}"#,
    ];
    for text in bad {
        let req: Json = serde_json::from_str(text).unwrap();
        let result = std::panic::catch_unwind(|| check_request(&schema, &req));
        assert!(result.is_err(), "checker accepted {text}");
    }
}
