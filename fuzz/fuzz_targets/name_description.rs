//! `name::validate`, `name::is_managed` and `description::normalize`: a name
//! is valid exactly when Proxmox's `pve-snapshot-name` says so, needs no
//! percent-encoding, and every managed name is valid; an accepted
//! description has no control characters but newline and tab, fits the cap,
//! and normalising it again changes nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::request::encode_segment;
use pve_snapshots::target::GuestType;
use pve_snapshots::{description, name};
use pve_snapshots_fuzz::{check, input};
use serde_json::Value;

/// `pve-configid` (`^[a-z][a-z0-9_-]+$`, case-insensitive), at most 40
/// characters, and the names each guest type reserves.
fn proxmox_accepts(n: &str, guest: GuestType) -> bool {
    let b = n.as_bytes();
    let reserved = n == "current"
        || (guest == GuestType::Qemu && n.eq_ignore_ascii_case("pending"))
        || (guest == GuestType::Lxc && n == "vzdump");
    b.len() >= 2
        && b.len() <= 40
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        && !reserved
}

/// `<prefix>YYYYMMDDTHHMMSS` with an optional `-2` … `-99`.
fn managed_pattern(n: &str, prefix: &str) -> bool {
    let Some(rest) = n.strip_prefix(prefix) else { return false };
    let b = rest.as_bytes();
    if b.len() < 15 || !b[..15].iter().enumerate().all(|(i, c)| if i == 8 { *c == b'T' } else { c.is_ascii_digit() }) {
        return false;
    }
    match &rest[15..] {
        "" => true,
        suffix => suffix
            .strip_prefix('-')
            .filter(|d| !d.starts_with('0') && (1..=2).contains(&d.len()) && d.bytes().all(|c| c.is_ascii_digit()))
            .is_some_and(|d| d != "1"),
    }
}

fuzz_target!(|data: &[u8]| {
    // JSON `[name, description, prefix]`, or raw text used for all three.
    let parsed = input::json(data);
    let raw = String::from_utf8_lossy(data);
    let item = |i: usize| parsed.as_ref().and_then(|v| v.get(i)).and_then(Value::as_str).unwrap_or(&raw);
    let (n, d, prefix) = (item(0), item(1), item(2));

    for guest in [GuestType::Qemu, GuestType::Lxc] {
        let got = name::validate("name", n, guest);
        if let Err(e) = &got {
            check::error(e);
            assert_eq!(e.code(), "INVALID_NAME");
        }
        assert_eq!(got.is_ok(), proxmox_accepts(n, guest), "{n:?} for {guest:?}");
        if got.is_ok() {
            assert_eq!(encode_segment(n), n, "valid name needs encoding");
        }
    }
    for p in [prefix, "snap"] {
        if name::check_prefix(p).is_err() {
            continue;
        }
        let managed = name::is_managed(n, p);
        assert_eq!(managed, managed_pattern(n, p), "is_managed({n:?}, {p:?})");
        if managed {
            assert!(name::validate("name", n, GuestType::Qemu).is_ok(), "managed {n:?} invalid");
            assert!(name::validate("name", n, GuestType::Lxc).is_ok(), "managed {n:?} invalid");
        }
    }

    match description::normalize("options.description", d) {
        Ok(t) => {
            assert_eq!(t, d.replace("\r\n", "\n"));
            assert!(t.chars().count() <= description::MAX_DESCRIPTION_CHARS);
            assert!(!t.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "control char kept");
            assert_eq!(description::normalize("d", &t).as_ref(), Ok(&t), "not idempotent");
        }
        Err(e) => {
            check::error(&e);
            assert_eq!(e.code(), "INVALID_DESCRIPTION");
        }
    }
});
