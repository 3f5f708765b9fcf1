//! Proxmox's own JSON about a guest, read as it arrives: the `data` of
//! `GET …/status/current` and of `GET …/snapshot`.

use crate::error::{Result, SnapshotError};
use crate::input::{array_value, quote, Obj, Value};

/// The latest instant we accept (9999-12-31T23:59:59Z), so every sum of a
/// time and a lifetime stays far inside i64 and exact in a JS number.
pub const MAX_EPOCH_SECONDS: i64 = 253_402_300_799;
/// Far above any real VM (a Proxmox config file is at most 1 MiB).
pub const MAX_SNAPSHOTS_IN_LIST: usize = 10_000;
/// Proxmox creates names of at most 40 characters; its config parser would
/// read longer ones, so foreign names get room, but not unbounded room (they
/// appear in messages and on the page).
pub const MAX_LISTED_NAME_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmStatus {
    pub running: bool,
    pub status: String,
    /// The config lock (`backup`, `snapshot`, `migrate`, …), if any.
    pub lock: Option<String>,
    pub template: bool,
}

/// Locks that mean a snapshot operation is under way rather than some other
/// job: reported as `SNAPSHOT_BUSY`, not `VM_LOCKED`.
pub fn is_snapshot_lock(lock: &str) -> bool {
    matches!(lock, "snapshot" | "snapshot-delete" | "rollback")
}

impl VmStatus {
    pub fn from_value(value: &Value) -> Result<Self> {
        Self::from_obj(&Obj::new("vmStatus", value, false)?)
    }

    pub fn from_obj(o: &Obj) -> Result<Self> {
        let o = *o;
        o.required_string("status")?;
        let status = state_word(&o, "status")?.unwrap_or_default();
        Ok(VmStatus {
            running: status == "running",
            lock: state_word(&o, "lock")?.map(str::to_owned),
            status: status.to_owned(),
            template: o.perl_bool("template")?,
        })
    }
}

/// A status, lock or snapstate: Proxmox writes short lowercase words
/// (`running`, `snapshot-delete`, `prepare`). Anything else is refused
/// rather than echoed into messages and the page. Empty means none.
fn state_word<'a>(o: &Obj<'a>, key: &str) -> Result<Option<&'a str>> {
    const MAX: usize = 32;
    let Some(word) = o.string(key)?.filter(|w| !w.is_empty()) else {
        return Ok(None);
    };
    if word.len() > MAX
        || !word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(SnapshotError::input(o.field_path(key), format!("{} is not a Proxmox state word (lowercase letters, digits, '-', '_', at most {MAX})", quote(word))));
    }
    Ok(Some(word))
}

/// Borrows its text from the caller's input: a fleet's worth of snapshots
/// then costs no allocation per entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// Creation time set by the server, epoch seconds; 0 when Proxmox did
    /// not record one (then the age is unknown and it never expires).
    pub snaptime: i64,
    pub ram: bool,
    /// `prepare` (being created or crashed) or `delete` (being deleted or
    /// failed); the snapshot must not be touched while set.
    pub snapstate: Option<&'a str>,
}

/// Reads the snapshot list, dropping the `current` pseudo-entry ("You are
/// here!") that always ends it. Unknown fields are ignored.
pub fn snapshots_from_value<'a>(value: &'a Value<'a>) -> Result<Vec<Snapshot<'a>>> {
    let items = array_value("snapshots", value)?;
    check_list_len(items.len())?;
    snapshots_from_entries(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Obj::item("snapshots", i, item)),
    )
}

pub fn check_list_len(len: usize) -> Result<()> {
    if len > MAX_SNAPSHOTS_IN_LIST {
        return Err(SnapshotError::input(
            "snapshots",
            format!("more than {MAX_SNAPSHOTS_IN_LIST} entries"),
        ));
    }
    Ok(())
}

/// The list's entries however the host's data arrived (a [`Value`] tree or
/// the bindings' packed columns): one reader, so both read alike.
pub fn snapshots_from_entries<'a>(
    entries: impl ExactSizeIterator<Item = Result<Obj<'a>>>,
) -> Result<Vec<Snapshot<'a>>> {
    let mut out: Vec<Snapshot<'a>> = Vec::with_capacity(entries.len());
    for o in entries {
        let o = o?;
        let name = o.required_string("name")?;
        if name == "current" {
            continue;
        }
        if name.len() > MAX_LISTED_NAME_LEN {
            return Err(SnapshotError::input(
                o.field_path("name"),
                format!("{} is longer than {MAX_LISTED_NAME_LEN} bytes, which no Proxmox snapshot name is", quote(name)),
            ));
        }
        let description = o.string("description")?.unwrap_or_default();
        let snaptime = o.integer("snaptime", 0, MAX_EPOCH_SECONDS)?.unwrap_or(0);
        let ram = o.perl_bool("vmstate")?;
        // No rule reads `parent`, but a wrong type is still wrong data.
        o.string("parent")?;
        out.push(Snapshot {
            name,
            description,
            snaptime,
            ram,
            snapstate: state_word(&o, "snapstate")?,
        });
    }
    let mut by_name: Vec<&Snapshot> = out.iter().collect();
    sort(&mut by_name, |a, b| a.name.cmp(b.name));
    if let Some(pair) = by_name.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(SnapshotError::input(
            "snapshots",
            format!("duplicate snapshot name {}", quote(pair[0].name)),
        ));
    }
    Ok(out)
}

/// Every sort of snapshots goes through here with a plain `fn` comparator,
/// so the module carries one sort, not one per closure (3 KB of wasm each).
pub fn sort(list: &mut [&Snapshot], order: fn(&&Snapshot, &&Snapshot) -> std::cmp::Ordering) {
    list.sort_unstable_by(order);
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn obj<'a>(fields: Vec<(&'a str, Value<'a>)>) -> Value<'a> {
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string().into(), v))
                .collect(),
        )
    }

    #[test]
    fn reads_a_proxmox_list_and_drops_current() {
        let list = Value::Array(vec![
            obj(vec![
                ("name", "b".into()),
                ("snaptime", 200.0.into()),
                ("vmstate", 1.0.into()),
                ("description", "".into()),
            ]),
            obj(vec![
                ("name", "current".into()),
                ("running", 1.0.into()),
                ("digest", "ab".into()),
                ("description", "You are here!".into()),
            ]),
            obj(vec![
                ("name", "a".into()),
                ("snaptime", 100.0.into()),
                ("snapstate", "delete".into()),
                ("extra", Value::Bool(true)),
            ]),
        ]);
        let s = snapshots_from_value(&list).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].name, s[0].ram, s[0].snaptime), ("b", true, 200));
        assert_eq!(s[1].snapstate, Some("delete"));
    }

    #[test]
    fn wrong_types_name_the_entry() {
        let list = Value::Array(vec![obj(vec![
            ("name", "a".into()),
            ("snaptime", "100".into()),
        ])]);
        assert_eq!(
            snapshots_from_value(&list).unwrap_err().to_string(),
            "snapshots[0].snaptime: expected an integer, got a string"
        );
        let list = Value::Array(vec![obj(vec![("name", 5.0.into())])]);
        assert_eq!(
            snapshots_from_value(&list).unwrap_err().to_string(),
            "snapshots[0].name: expected a string, got a number"
        );
        let dup = Value::Array(vec![
            obj(vec![("name", "a".into())]),
            obj(vec![("name", "a".into())]),
        ]);
        assert!(snapshots_from_value(&dup).is_err());
        assert!(snapshots_from_value(&Value::Null).is_err());
    }

    #[test]
    fn odd_state_words_are_refused_with_a_short_message() {
        let huge = "x".repeat(1 << 20);
        for (key, value) in [
            ("lock", huge.as_str()),
            ("lock", "Backup"),
            ("status", "running\n"),
            ("lock", "a b"),
        ] {
            let mut fields = vec![("status", "running".into())];
            fields.retain(|(k, _)| *k != key);
            fields.push((key, value.into()));
            let err = VmStatus::from_value(&obj(fields)).unwrap_err();
            assert_eq!(err.code(), "INVALID_INPUT");
            assert!(
                err.to_string().starts_with(&format!("vmStatus.{key}: ")),
                "{err}"
            );
            assert!(err.to_string().len() < 200);
        }
        let list = Value::Array(vec![obj(vec![
            ("name", "a".into()),
            ("snapstate", huge.as_str().into()),
        ])]);
        assert!(snapshots_from_value(&list).unwrap_err().to_string().len() < 200);
    }

    #[test]
    fn vm_status() {
        let s = VmStatus::from_value(&obj(vec![
            ("status", "running".into()),
            ("lock", "backup".into()),
        ]))
        .unwrap();
        assert!(s.running);
        assert_eq!(s.lock.as_deref(), Some("backup"));
        let s = VmStatus::from_value(&obj(vec![
            ("status", "stopped".into()),
            ("lock", "".into()),
        ]))
        .unwrap();
        assert_eq!((s.running, s.lock), (false, None));
        assert_eq!(
            VmStatus::from_value(&obj(vec![])).unwrap_err().to_string(),
            "vmStatus.status: is required"
        );
    }
}
