//! The core's own Proxmox requests, sent over real HTTP from headless
//! Chromium to the simulator on loopback: the browser side of "the same rules
//! everywhere". The core builds every request (`request::*`, `Upid::parse`)
//! and reads every task status (`TaskOutcome`); this file only turns a
//! request description `{method, path, params}` into a `fetch`, exactly as a
//! host does.
//!
//! Run by `scripts/test.sh` in its Chromium step, which starts
//! `node www/simulator/cli.mjs --cors-loopback` (the test page lives on another
//! loopback port, and Proxmox itself answers no CORS) and passes its URL and
//! token at build time. Browser only: in Node (`wasm-pack test --node`) the
//! runner skips this suite and says so; natively it is not compiled.
#![cfg(target_arch = "wasm32")]

use gloo_net::http::{QueryParams, Request as Fetch};
use pve_snapshots::request::{self, Request};
use pve_snapshots::target::{GuestType, Target};
use pve_snapshots::task::{TaskOutcome, TaskState, TaskStatus, Upid};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Read at build time: the test runner's page has no environment to ask.
const SIM_URL: Option<&str> = option_env!("PVE_SIM_URL");
/// `user@realm!tokenid=SECRET`, as given to the simulator's `--token`.
const SIM_TOKEN: Option<&str> = option_env!("PVE_SIM_TOKEN");

/// How long a task may take before the test gives up (the script runs the
/// simulator's tasks for 100 ms; a loaded 2-core machine needs slack).
const TASK_DEADLINE_MS: f64 = 15_000.0;

struct Sim {
    api: String,
    auth: String,
}

/// Without the simulator these tests would have nothing to check: fail, never
/// pass as if they had run.
fn sim() -> Sim {
    match (
        SIM_URL.filter(|s| !s.is_empty()),
        SIM_TOKEN.filter(|s| !s.is_empty()),
    ) {
        (Some(url), Some(token)) => Sim {
            api: format!("{}/api2/json", url.trim_end_matches('/')),
            auth: format!("PVEAPIToken={token}"),
        },
        _ => panic!(
            "PVE_SIM_URL and PVE_SIM_TOKEN were not set when this test was built, so there is \
             no Proxmox simulator to send requests to. Run scripts/test.sh, or start \
             `node www/simulator/cli.mjs --port 0 --cors-loopback --token 'ID=SECRET'` and \
             build the tests with PVE_SIM_URL=<its URL> PVE_SIM_TOKEN='ID=SECRET'."
        ),
    }
}

struct Answer {
    status: u16,
    /// Proxmox's envelope (`{"data": …}`), or Null for a bare answer.
    body: Value,
}

impl Answer {
    fn data(&self, what: &str) -> &Value {
        assert_eq!(
            self.status, 200,
            "{what}: HTTP {} {}",
            self.status, self.body
        );
        &self.body["data"]
    }
}

/// Sends one request description the way the JS host does: `path` below
/// `/api2/json`, `params` as the query string for GET and DELETE and as a
/// form body for POST, the token in the `Authorization` header.
async fn send(sim: &Sim, auth: &str, request: &Request) -> Answer {
    // The description as the package hands it to a host: JSON-shaped data.
    let description = serde_json::to_value(request).expect("a request serialises");
    let method = description["method"].as_str().expect("method is a string");
    let url = format!(
        "{}{}",
        sim.api,
        description["path"].as_str().expect("path is a string")
    );
    // Strings as they are, integers in decimal: what a form or query carries.
    let params: Vec<(String, String)> = description["params"]
        .as_object()
        .expect("params is an object")
        .iter()
        .map(|(key, value)| match value {
            Value::String(s) => (key.clone(), s.clone()),
            Value::Number(n) if n.is_i64() => (key.clone(), n.to_string()),
            other => panic!("params.{key} must be a string or an integer, got {other}"),
        })
        .collect();
    let pairs = || params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let builder = match method {
        "GET" => Fetch::get(&url),
        "DELETE" => Fetch::delete(&url),
        "POST" => Fetch::post(&url),
        other => panic!("the core built a {other} request, which no host sends"),
    }
    .header("Authorization", auth);
    let sent = if method == "POST" {
        let form = QueryParams::new();
        for (k, v) in pairs() {
            form.append(k, v);
        }
        builder
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .expect("a form body")
            .send()
            .await
    } else {
        builder.query(pairs()).send().await
    };
    let response = sent.unwrap_or_else(|e| {
        panic!("{method} {url} failed before an answer ({e}); is the simulator running with --cors-loopback?")
    });
    let status = response.status();
    let text = response.text().await.expect("the body is text");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {url}: not JSON ({e}): {text}"))
    };
    Answer { status, body }
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: js_sys::Function =
            js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("setTimeout"))
                .expect("setTimeout exists")
                .unchecked_into();
        set_timeout
            .call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(ms))
            .expect("setTimeout accepts a callback");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("a timer never rejects");
}

/// Polls the task the core's `task_status` request names until Proxmox says
/// `stopped`; on every answer the core's reading must agree with the status.
async fn wait_task(sim: &Sim, upid: &Upid) -> (Value, TaskOutcome) {
    let started = js_sys::Date::now();
    loop {
        let answer = send(sim, &sim.auth, &request::task_status(upid)).await;
        let data = answer.data("task status").clone();
        let status: TaskStatus = serde_json::from_value(data.clone())
            .unwrap_or_else(|e| panic!("the core cannot read the task status {data}: {e}"));
        let outcome = TaskOutcome::from_status(&status)
            .unwrap_or_else(|e| panic!("the core refuses the task status {data}: {e}"));
        match data["status"].as_str() {
            Some("stopped") => return (data, outcome),
            Some("running") => assert_eq!(outcome.state, TaskState::Running, "{data}"),
            other => panic!("task status {other:?} is neither running nor stopped: {data}"),
        }
        assert!(
            js_sys::Date::now() - started < TASK_DEADLINE_MS,
            "task {} still running after {TASK_DEADLINE_MS} ms",
            upid.raw
        );
        sleep_ms(20).await;
    }
}

/// The UPID a create/delete answers with, read by the core.
fn upid_of(answer: &Answer, what: &str) -> Upid {
    let raw = answer
        .data(what)
        .as_str()
        .unwrap_or_else(|| panic!("{what}: data is not a UPID: {}", answer.body));
    Upid::parse(raw).unwrap_or_else(|e| panic!("{what}: the core refuses the UPID {raw}: {e}"))
}

/// The guest's snapshot list as Proxmox returns it, by name.
async fn snapshots(sim: &Sim, target: &Target) -> Vec<Value> {
    let answer = send(sim, &sim.auth, &request::list_snapshots(target)).await;
    answer
        .data("list snapshots")
        .as_array()
        .unwrap_or_else(|| panic!("the list is not an array: {}", answer.body))
        .clone()
}

fn find<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|s| s["name"] == name)
}

/// Take a snapshot, see it listed as sent, remove it, see it gone: on a VM
/// (with RAM) and on a container, whose paths and task types differ.
#[wasm_bindgen_test]
async fn create_then_remove_a_snapshot_over_http() {
    let sim = sim();
    // Characters a form body must encode: space, '&', '=', '%', '+', non-ASCII, newline.
    let description = "über & co = 100% + tax\nsecond line";
    let cases = [
        (
            "pve1",
            101,
            GuestType::Qemu,
            true,
            ("qmsnapshot", "qmdelsnapshot"),
        ),
        (
            "pve2",
            202,
            GuestType::Lxc,
            false,
            ("vzsnapshot", "vzdelsnapshot"),
        ),
    ];
    for (node, vmid, guest, vmstate, (create_type, delete_type)) in cases {
        let target = Target {
            node: node.into(),
            vmid,
            guest,
        };
        let name = "wasmhttp1";
        let before = snapshots(&sim, &target).await;
        assert!(
            find(&before, "current").is_some(),
            "Proxmox lists 'current': {before:?}"
        );
        assert!(
            find(&before, name).is_none(),
            "{name} exists before the test"
        );

        let answer = send(
            &sim,
            &sim.auth,
            &request::create(&target, name, description, vmstate),
        )
        .await;
        let upid = upid_of(&answer, "create");
        assert_eq!(upid.node, node, "the task runs on the guest's node");
        assert_eq!(upid.task_type, create_type);
        assert_eq!(upid.id, vmid.to_string());
        let (status, outcome) = wait_task(&sim, &upid).await;
        assert_eq!(status["exitstatus"], "OK", "{status}");
        assert_eq!(outcome.state, TaskState::Ok, "{status}");
        assert_eq!((outcome.warnings, outcome.message), (0, None));

        let listed = snapshots(&sim, &target).await;
        let entry =
            find(&listed, name).unwrap_or_else(|| panic!("{name} is not listed: {listed:?}"));
        assert_eq!(
            entry["description"], description,
            "the form body arrived intact"
        );
        assert!(entry["snaptime"].as_i64().is_some(), "{entry}");
        assert_eq!(
            entry["vmstate"].as_i64().unwrap_or(0),
            i64::from(vmstate),
            "{entry}"
        );
        assert_eq!(listed.len(), before.len() + 1);

        let answer = send(&sim, &sim.auth, &request::remove(&target, name)).await;
        let upid = upid_of(&answer, "remove");
        assert_eq!(upid.task_type, delete_type);
        let (status, outcome) = wait_task(&sim, &upid).await;
        assert_eq!(status["exitstatus"], "OK", "{status}");
        assert_eq!(outcome.state, TaskState::Ok, "{status}");

        let after = snapshots(&sim, &target).await;
        assert!(
            find(&after, name).is_none(),
            "{name} is still listed: {after:?}"
        );
        assert_eq!(after.len(), before.len());
    }
}

/// Proxmox accepts a create on a locked guest with HTTP 200 and a UPID; only
/// the task's exit status says it failed, and the core must read the lock
/// out of Proxmox's own words.
#[wasm_bindgen_test]
async fn a_refused_task_is_a_200_whose_outcome_names_the_lock() {
    let sim = sim();
    // The demo seed's mail VM is held by a backup.
    let target = Target {
        node: "pve2".into(),
        vmid: 103,
        guest: GuestType::Qemu,
    };
    let before = snapshots(&sim, &target).await;
    let answer = send(
        &sim,
        &sim.auth,
        &request::create(&target, "wasmhttp2", "", false),
    )
    .await;
    let upid = upid_of(&answer, "create on a locked VM");
    let (status, outcome) = wait_task(&sim, &upid).await;
    assert_eq!(outcome.state, TaskState::Failed, "{status}");
    assert_eq!(outcome.lock.as_deref(), Some("backup"), "{status}");
    assert_eq!(outcome.message.as_deref(), status["exitstatus"].as_str());
    let after = snapshots(&sim, &target).await;
    assert_eq!(after.len(), before.len(), "nothing was created: {after:?}");
}

/// A wrong token is refused before anything else, and the page can see why
/// (the simulator's CORS covers error answers too).
#[wasm_bindgen_test]
async fn a_wrong_token_is_a_401() {
    let sim = sim();
    let target = Target {
        node: "pve1".into(),
        vmid: 101,
        guest: GuestType::Qemu,
    };
    let wrong = format!("{}-wrong", sim.auth);
    let answer = send(&sim, &wrong, &request::list_snapshots(&target)).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
}
