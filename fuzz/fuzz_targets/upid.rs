//! `parseUpid(upid)` and `taskStatusRequest(upid)`: nothing Proxmox's own
//! UPID pattern refuses is accepted, the fields are what the text says, and
//! the status request polls the UPID's node with the UPID as one segment.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::request::Method;
use pve_snapshots::api;
use pve_snapshots_fuzz::{check, input};
use serde_json::Value;

/// `PVE::UPID`'s pattern, `^UPID:node:HEX8:HEX8-9:HEX8:[^:\s/]+:[^:\s/]*:[^:\s/]+:$`,
/// returning the eight fields.
fn proxmox_pattern(upid: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = upid.strip_prefix("UPID:")?.strip_suffix(':')?.split(':').collect();
    let [node, pid, pstart, start, ty, id, user] = parts[..] else { return None };
    let hex = |s: &str, lens: &[usize]| lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit());
    let word = |s: &str, empty: bool| (empty || !s.is_empty()) && !s.chars().any(|c| c == '/' || c.is_whitespace());
    let node_ok = !node.is_empty()
        && node.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !node.starts_with('-')
        && !node.ends_with('-');
    (node_ok
        && hex(pid, &[8])
        && hex(pstart, &[8, 9])
        && hex(start, &[8])
        && word(ty, false)
        && word(id, true)
        && word(user, false))
    .then_some(parts)
}

fuzz_target!(|data: &[u8]| {
    // Raw bytes are the UPID text itself unless they are a JSON value.
    let upid = input::json(data).unwrap_or_else(|| Value::String(String::from_utf8_lossy(data).into_owned()));
    let Some(text) = check::answer(input::text("upid", &upid)) else { return };
    let parsed = check::answer(api::parse_upid(&text));
    let request = api::task_status_request(&text);
    match (&parsed, &request) {
        (Some(_), Ok(_)) => {}
        (None, Err(e)) => check::error(e),
        _ => panic!("parseUpid and taskStatusRequest disagree: {parsed:?} / {request:?}"),
    }
    let (Some(u), Ok(req)) = (parsed, request) else { return };
    let Value::String(given) = &upid else { panic!("accepted a non-string UPID {upid:?}") };
    assert_eq!(given, &text);
    let parts = proxmox_pattern(&text).unwrap_or_else(|| panic!("accepted {text:?}, which Proxmox's pattern refuses"));
    assert_eq!(u.raw, text);
    assert_eq!(u.node, parts[0]);
    assert_eq!(u64::from(u.pid), u64::from_str_radix(parts[1], 16).unwrap());
    assert_eq!(u.pstart, u64::from_str_radix(parts[2], 16).unwrap());
    assert_eq!(u.started_at, i64::from_str_radix(parts[3], 16).unwrap() * 1000);
    assert_eq!((u.task_type.as_str(), u.id.as_str(), u.user.as_str()), (parts[4], parts[5], parts[6]));
    assert_eq!(req.method, Method::Get);
    assert!(req.params.0.is_empty());
    assert_eq!(check::segments(&req.path), ["nodes", &u.node, "tasks", &text, "status"]);
});
