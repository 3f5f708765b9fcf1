//! Invariants every answer of the core must keep, whatever the input.

use pve_snapshots::error::Details;
use pve_snapshots::request::{encode_segment, Request};
use pve_snapshots::target::Target;
use pve_snapshots::SnapshotError;

/// The codes the rules core refuses with; the rest of `ErrorCode::ALL` are
/// the hosts' own (sign-in, Proxmox's answers) and must never come from here.
pub const CODES: &[&str] = &[
    "QUOTA_EXCEEDED",
    "VM_LOCKED",
    "SNAPSHOT_BUSY",
    "NOT_FOUND",
    "NOT_MANAGED",
    "ROLLBACK_NOT_LATEST",
    "SNAPSHOTS_DISABLED",
    "INVALID_NAME",
    "INVALID_DESCRIPTION",
    "INVALID_POLICY",
    "INVALID_TARGET",
    "INVALID_INPUT",
];

/// Longest refusal message any input may produce, in bytes.
pub const MAX_MESSAGE: usize = 1024;

/// The argument names a field path may start with (the JS parameter names).
const ARGUMENTS: &[&str] = &[
    "policy",
    "target",
    "vmStatus",
    "snapshots",
    "options",
    "nowMs",
    "name",
    "upid",
    "status",
    "snaptimeSeconds",
    "node",
];

/// A refusal: a listed code, a message that names the field and the field
/// in `details`, and never longer than [`MAX_MESSAGE`] whatever it quotes.
pub fn error(err: &SnapshotError) {
    let code = err.code();
    let message = err.to_string();
    assert!(CODES.contains(&code), "unlisted code {code}");
    assert!(!message.trim().is_empty(), "{code}: empty message");
    // Outside text is quoted shortened or bounded on input, so no input can
    // make a refusal carry megabytes (names in a list are at most 255 bytes).
    assert!(message.len() <= MAX_MESSAGE, "{code}: message of {} bytes", message.len());
    match err {
        SnapshotError::InvalidName { field, reason }
        | SnapshotError::InvalidDescription { field, reason }
        | SnapshotError::InvalidPolicy { field, reason }
        | SnapshotError::InvalidTarget { field, reason }
        | SnapshotError::InvalidInput { field, reason } => {
            let arg = field.split(['.', '[']).next().unwrap_or_default();
            assert!(ARGUMENTS.contains(&arg), "{code}: field {field:?} names no argument");
            assert!(!reason.trim().is_empty(), "{code}: {field} without a reason");
            assert_eq!(message, format!("{field}: {reason}"));
            assert_eq!(
                err.details(),
                Some(Details::Field {
                    field: field.clone()
                })
            );
        }
        SnapshotError::QuotaExceeded { used, limit } => {
            assert!(used >= limit, "quota refused at {used}/{limit}")
        }
        SnapshotError::VmLocked { lock } => assert!(!lock.is_empty(), "empty lock"),
        SnapshotError::RollbackNotLatest { name, latest } => assert_ne!(name, latest),
        _ => {}
    }
}

/// Every answer is `Ok` or a well-formed refusal; returns the `Ok` value.
pub fn answer<T>(result: Result<T, SnapshotError>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            error(&e);
            None
        }
    }
}

fn decode_segment(segment: &str) -> String {
    let b = segment.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'~') {
            out.push(c);
            i += 1;
        } else if c == b'%' {
            let hex = segment
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|d| d.is_ascii_digit() || (b'A'..=b'F').contains(&d)))
                .unwrap_or_else(|| panic!("bad escape in segment {segment:?}"));
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            panic!("raw {:?} in path segment {segment:?}", c as char);
        }
    }
    let decoded = String::from_utf8(out).expect("segment decodes to UTF-8");
    assert_eq!(encode_segment(&decoded), segment, "segment not canonically encoded");
    decoded
}

/// The decoded segments of a request path; panics unless every segment is
/// non-empty and fully percent-encoded (no raw `/`, `.` or `%` inside one).
pub fn segments(path: &str) -> Vec<String> {
    let rest = path
        .strip_prefix('/')
        .unwrap_or_else(|| panic!("path {path:?} is not absolute"));
    assert!(!path.contains(".."), "'..' in path {path:?}");
    rest.split('/')
        .map(|s| {
            assert!(!s.is_empty(), "empty segment in {path:?}");
            decode_segment(s)
        })
        .collect()
}

/// A request addressed to `target`: `/nodes/{node}/{type}/{vmid}/{rest…}`,
/// with the node and vmid as validated.
pub fn guest_path(req: &Request, target: &Target, rest: &[&str]) {
    let mut want = vec![
        "nodes".to_owned(),
        target.node.clone(),
        target.guest.as_str().to_owned(),
        target.vmid.to_string(),
    ];
    want.extend(rest.iter().map(|s| s.to_string()));
    assert_eq!(segments(&req.path), want, "path {:?}", req.path);
    assert!(pve_snapshots::target::check_node(&target.node).is_ok());
    assert!((100..=999_999_999).contains(&target.vmid));
}

/// The seconds a countdown label such as `0 days 23:59:54` stands for, or
/// `None` when it is not in that exact form (`1 day`, otherwise `days`).
pub fn label_seconds(label: &str) -> Option<i64> {
    let (days, rest) = label.split_once(' ')?;
    let (unit, clock) = rest.split_once(' ')?;
    let days: i64 = days.parse().ok().filter(|_| days.bytes().all(|b| b.is_ascii_digit()))?;
    if unit != if days == 1 { "day" } else { "days" } {
        return None;
    }
    let hms: Vec<i64> = clock
        .split(':')
        .map(|p| (p.len() == 2).then(|| p.parse().ok()).flatten())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms[..] else { return None };
    (h < 24 && m < 60 && s < 60).then_some(days * 86_400 + h * 3600 + m * 60 + s)
}
