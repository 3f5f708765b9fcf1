//! `taskOutcome(status)`: running only while Proxmox says so; ok only for
//! `OK` or `WARNINGS: n`; a failure always carries its text, and a lock only
//! when the text names it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api;
use pve_snapshots::task::{TaskState, TaskStatus};
use pve_snapshots_fuzz::input::read;
use pve_snapshots_fuzz::{check, input, plans};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let [status] = input::args::<1>(data);
    let outcome = read::<TaskStatus>("status", &status).and_then(|s| api::task_outcome(&s));
    let Some(outcome) = check::answer(outcome) else { return };
    let field = |key| match plans::option(&status, key) {
        Some(Value::String(s)) => Some(s.as_str()),
        None => None,
        Some(other) => panic!("accepted {key} {other:?}"),
    };
    let state = field("status");
    // Only a stopped task's exitstatus is read (Proxmox sends none while running).
    let exit = || field("exitstatus").map(str::trim);
    match outcome.state {
        TaskState::Running => {
            assert_eq!(state, Some("running"));
            assert_eq!((outcome.warnings, &outcome.message, &outcome.lock), (0, &None, &None));
        }
        TaskState::Ok => {
            assert_eq!(state, Some("stopped"));
            let exit = exit().expect("ok without exitstatus");
            assert!(
                (exit == "OK" && outcome.warnings == 0) || exit.starts_with("WARNINGS: "),
                "ok for exitstatus {exit:?}"
            );
            assert_eq!((&outcome.message, &outcome.lock), (&None, &None));
        }
        TaskState::Failed => {
            assert_eq!(state, Some("stopped"));
            assert_ne!(exit(), Some("OK"));
            let message = outcome.message.as_deref().expect("failure without text");
            assert!(!message.trim().is_empty(), "empty failure text");
            if let Some(lock) = &outcome.lock {
                assert!(!lock.is_empty());
                assert!(message.contains(&format!("is locked ({lock})")), "lock {lock:?} not in {message:?}");
            }
        }
    }
});
