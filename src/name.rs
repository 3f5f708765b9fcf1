//! Snapshot names: what Proxmox accepts, which names are ours (managed), and
//! how new ones are generated.
//!
//! Proxmox's `pve-snapshot-name` is `[A-Za-z][A-Za-z0-9_-]+`, 2 to 40
//! characters; `current` is reserved everywhere, `pending` (any case) for
//! QEMU and `vzdump` for containers. A generated name is the policy prefix
//! followed by the UTC time, `snap20261125T113000`, with `-2`, `-3`, … added
//! when that name is taken in the VM.

use chrono::{DateTime, Datelike, Timelike};

use crate::error::{Result, SnapshotError};
use crate::input::quote;
use crate::target::GuestType;

pub const MAX_NAME_LEN: usize = 40;
/// Leaves room for the 15-character timestamp and a `-NN` suffix.
pub const MAX_PREFIX_LEN: usize = 20;
const STAMP_LEN: usize = 15;
const MAX_SUFFIX: u32 = 99;

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Checks a name prefix from the policy; the reason is for the message.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let mut chars = prefix.chars();
    match chars.next() {
        None => return Err("must not be empty".into()),
        Some(c) if !c.is_ascii_alphabetic() => return Err("must start with a letter".into()),
        Some(_) => {}
    }
    if let Some(c) = chars.find(|c| !is_name_char(*c)) {
        return Err(format!(
            "may contain only letters, digits, '_' and '-', found {}",
            quote(&c.to_string())
        ));
    }
    if prefix.len() > MAX_PREFIX_LEN {
        return Err(format!(
            "must be at most {MAX_PREFIX_LEN} characters so generated names fit in {MAX_NAME_LEN}"
        ));
    }
    Ok(())
}

/// Validates a snapshot name as Proxmox would for this guest type.
pub fn validate(field: &str, name: &str, guest: GuestType) -> Result<()> {
    let invalid = |reason: String| SnapshotError::InvalidName {
        field: field.to_owned(),
        reason,
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(invalid("must not be empty".into())),
        Some(c) if !c.is_ascii_alphabetic() => {
            return Err(invalid(format!("{} must start with a letter", quote(name))));
        }
        Some(_) => {}
    }
    if chars.any(|c| !is_name_char(c)) {
        return Err(invalid(format!(
            "{} may contain only letters, digits, '_' and '-'",
            quote(name)
        )));
    }
    if name.len() < 2 || name.len() > MAX_NAME_LEN {
        return Err(invalid(format!(
            "{} must be 2 to {MAX_NAME_LEN} characters long",
            quote(name)
        )));
    }
    if is_reserved(name, guest) {
        return Err(invalid(format!("'{name}' is a reserved name")));
    }
    Ok(())
}

pub fn is_reserved(name: &str, guest: GuestType) -> bool {
    name == "current"
        || (guest == GuestType::Qemu && name.eq_ignore_ascii_case("pending"))
        || (guest == GuestType::Lxc && name == "vzdump")
}

/// Whether this module made the snapshot: `<prefix>YYYYMMDDTHHMMSS[-N]`.
/// Only such snapshots are counted, removed or rolled back to.
pub fn is_managed(name: &str, prefix: &str) -> bool {
    let Some(rest) = name.strip_prefix(prefix) else {
        return false;
    };
    let (stamp, suffix) = match rest.split_at_checked(STAMP_LEN) {
        Some(parts) => parts,
        None => return false,
    };
    let b = stamp.as_bytes();
    let stamp_ok = b.iter().enumerate().all(|(i, c)| {
        if i == 8 {
            *c == b'T'
        } else {
            c.is_ascii_digit()
        }
    });
    let suffix_ok = suffix.is_empty()
        || suffix
            .strip_prefix('-')
            // Digits only: `parse` alone would also take a leading '+'.
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0'))
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|v| (2..=MAX_SUFFIX).contains(v))
            .is_some();
    stamp_ok && suffix_ok
}

/// The name for a snapshot taken at `now_ms`, unique among `existing`
/// (compared without case, as two names differing only in case would be
/// confusing in the list).
pub fn generate<'a>(
    prefix: &str,
    now_ms: i64,
    existing: impl Iterator<Item = &'a str> + Clone,
) -> Result<String> {
    let t = DateTime::from_timestamp_millis(now_ms)
        .ok_or_else(|| SnapshotError::input("nowMs", "is outside the supported range of dates"))?;
    let base = format!(
        "{prefix}{:04}{:02}{:02}T{:02}{:02}{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let taken = |candidate: &str| existing.clone().any(|n| n.eq_ignore_ascii_case(candidate));
    if !taken(&base) {
        return Ok(base);
    }
    (2..=MAX_SUFFIX)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken(candidate))
        .ok_or_else(|| SnapshotError::SnapshotBusy {
            reason: format!("too many snapshots were taken at {base}; try again in a second"),
            lock: None,
            name: None,
            snapstate: None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn proxmox_name_rules() {
        let ok = ["ab", "a1", "A_b-c", &format!("a{}", "b".repeat(39))];
        for n in ok {
            assert!(validate("name", n, GuestType::Qemu).is_ok(), "{n}");
        }
        let bad = [
            "",
            "a",
            "1ab",
            "_ab",
            "a b",
            "a/b",
            "../../qemu/101",
            "a%2Fb",
            "a.b",
            "ab\n",
            "äb",
            "current",
            "pending",
            "PENDING",
            &format!("a{}", "b".repeat(40)),
        ];
        for n in bad {
            let err = validate("name", n, GuestType::Qemu).unwrap_err();
            assert_eq!(err.code(), "INVALID_NAME", "{n}");
            assert!(err.to_string().starts_with("name: "), "{err}");
        }
        assert!(validate("name", "vzdump", GuestType::Qemu).is_ok());
        assert!(validate("name", "vzdump", GuestType::Lxc).is_err());
        assert!(validate("name", "pending", GuestType::Lxc).is_ok());
        assert!(
            validate("name", "Current", GuestType::Lxc).is_ok(),
            "Proxmox reserves exactly 'current'"
        );
    }

    #[test]
    fn managed_pattern() {
        for n in [
            "snap20261125T113000",
            "snap20261125T113000-2",
            "snap20261125T113000-99",
        ] {
            assert!(is_managed(n, "snap"), "{n}");
        }
        for n in [
            "snap20261125T113000-1",
            "snap20261125T113000-+5",
            "snap20261125T113000-02",
            "snap20261125T113000-100",
            "snap20261125X113000",
            "snap2026112T113000",
            "before-upgrade",
            "Snap20261125T113000",
            "snap20261125T113000x",
            "vzdump",
            "current",
        ] {
            assert!(!is_managed(n, "snap"), "{n}");
        }
        assert!(is_managed("auto-20261125T113000", "auto-"));
    }

    #[test]
    fn generated_names_are_utc_and_unique() {
        let now = 1_795_606_200_000; // 2026-11-25T11:30:00Z
        assert_eq!(
            generate("snap", now, [].into_iter()).unwrap(),
            "snap20261125T113000"
        );
        let existing = ["SNAP20261125T113000", "snap20261125T113000-2"];
        assert_eq!(
            generate("snap", now, existing.into_iter()).unwrap(),
            "snap20261125T113000-3"
        );
        let long = "a".repeat(MAX_PREFIX_LEN);
        let name = generate(&long, now, [].into_iter()).unwrap();
        assert!(validate("n", &format!("{name}-99"), GuestType::Qemu).is_ok());
        assert!(is_managed(&name, &long));
    }

    #[test]
    fn prefixes() {
        assert!(check_prefix("snap").is_ok());
        assert!(check_prefix("a-_9").is_ok());
        for p in ["", "9a", "a b", "a/", &"a".repeat(21)] {
            assert!(check_prefix(p).is_err(), "{p}");
        }
    }
}
