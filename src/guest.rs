//! Proxmox's own JSON about a guest, read as it arrives: the `data` of
//! `GET …/status/current` and of `GET …/snapshot`.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use tsify::Tsify;

use crate::input::{perl_bool, pve_integer, quote, state_word, text};

/// The latest instant we accept (9999-12-31T23:59:59Z), so every sum of a
/// time and a lifetime stays far inside i64 and exact in a JS number.
pub const MAX_EPOCH_SECONDS: i64 = 253_402_300_799;
/// Far above any real VM (a Proxmox config file is at most 1 MiB).
pub const MAX_SNAPSHOTS_IN_LIST: usize = 10_000;
/// Proxmox creates names of at most 40 characters; its config parser would
/// read longer ones, so foreign names get room, but not unbounded room (they
/// appear in messages and on the page).
pub const MAX_LISTED_NAME_LEN: usize = 255;

/// The `data` of `GET …/status/current`; other fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Tsify)]
#[serde(expecting = "an object")]
pub struct VmStatus {
    /// `running`, `stopped`, …
    #[serde(deserialize_with = "status")]
    pub status: String,
    /// The config lock (`backup`, `snapshot`, `migrate`, `suspended`, …), if any.
    #[serde(default, deserialize_with = "state_word")]
    #[tsify(type = "string | null")]
    pub lock: Option<String>,
    /// 1 for a template.
    #[serde(default, deserialize_with = "perl_bool")]
    #[tsify(type = "number | boolean | string | null")]
    pub template: bool,
}

fn status<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    state_word(d)?.ok_or_else(|| de::Error::custom("is required"))
}

impl VmStatus {
    pub fn running(&self) -> bool {
        self.status == "running"
    }
}

/// Locks that mean a snapshot operation is under way rather than some other
/// job: reported as `SNAPSHOT_BUSY`, not `VM_LOCKED`.
pub fn is_snapshot_lock(lock: &str) -> bool {
    matches!(lock, "snapshot" | "snapshot-delete" | "rollback")
}

/// One entry of `GET …/snapshot`; other fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Tsify)]
#[serde(expecting = "an object")]
pub struct Snapshot {
    #[serde(deserialize_with = "listed_name")]
    pub name: String,
    #[serde(default, deserialize_with = "description")]
    #[tsify(type = "string | null")]
    pub description: String,
    /// Creation time set by the server, epoch seconds; 0 when Proxmox did
    /// not record one (then the age is unknown and it never expires).
    #[serde(default, deserialize_with = "pve_integer::<0, MAX_EPOCH_SECONDS, _>")]
    #[tsify(type = "number | string | null")]
    pub snaptime: i64,
    /// Whether the snapshot holds the VM's memory (`vmstate: 1`).
    #[serde(rename = "vmstate", default, deserialize_with = "perl_bool")]
    #[tsify(type = "number | boolean | string | null")]
    pub ram: bool,
    /// `prepare` (being created or crashed) or `delete` (being deleted or
    /// failed); the snapshot must not be touched while set.
    #[serde(default, deserialize_with = "state_word")]
    #[tsify(type = "string | null")]
    pub snapstate: Option<String>,
}

fn listed_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = text(d)?;
    if name.len() > MAX_LISTED_NAME_LEN {
        return Err(de::Error::custom(format!(
            "{} is longer than {MAX_LISTED_NAME_LEN} bytes, which no Proxmox snapshot name is",
            quote(&name)
        )));
    }
    Ok(name)
}

fn description<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    crate::input::optional_text(d).map(Option::unwrap_or_default)
}

/// The snapshot list without the `current` pseudo-entry ("You are here!")
/// that always ends it; at most [`MAX_SNAPSHOTS_IN_LIST`] entries, names
/// unique.
#[derive(Debug, Clone, PartialEq, Eq, Default, Tsify)]
pub struct Snapshots(pub Vec<Snapshot>);

impl<'de> Deserialize<'de> for Snapshots {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `any`, not `seq`: serde-wasm-bindgen would ask a number for its
        // iterator and report the engine's TypeError instead of the type.
        d.deserialize_any(ListVisitor)
    }
}

struct ListVisitor;

impl<'de> Visitor<'de> for ListVisitor {
    type Value = Snapshots;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Snapshots, A::Error> {
        let mut out: Vec<Snapshot> = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        let mut len = 0;
        while let Some(s) = seq.next_element::<Snapshot>()? {
            len += 1;
            if len > MAX_SNAPSHOTS_IN_LIST {
                return Err(de::Error::custom(format!(
                    "more than {MAX_SNAPSHOTS_IN_LIST} entries"
                )));
            }
            if s.name != "current" {
                out.push(s);
            }
        }
        let mut by_name: Vec<&Snapshot> = out.iter().collect();
        sort(&mut by_name, |a, b| a.name.cmp(&b.name));
        if let Some(pair) = by_name.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(de::Error::custom(format!(
                "duplicate snapshot name {}",
                quote(&pair[0].name)
            )));
        }
        Ok(Snapshots(out))
    }
}

/// Every sort of snapshots goes through here with a plain `fn` comparator,
/// so the module carries one sort, not one per closure (3 KB of wasm each).
pub fn sort(list: &mut [&Snapshot], order: fn(&&Snapshot, &&Snapshot) -> std::cmp::Ordering) {
    list.sort_unstable_by(order);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use crate::input::read;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn list(json: &str) -> Result<Vec<Snapshot>> {
        read::<Snapshots, _>("snapshots", serde_json::from_str::<serde_json::Value>(json).unwrap()).map(|l| l.0)
    }

    fn vm(json: &str) -> Result<VmStatus> {
        read("vmStatus", serde_json::from_str::<serde_json::Value>(json).unwrap())
    }

    #[test]
    fn reads_a_proxmox_list_and_drops_current() {
        let s = list(
            r#"[{"name": "b", "snaptime": 200, "vmstate": 1, "description": ""},
                {"name": "current", "running": 1, "digest": "ab", "description": "You are here!"},
                {"name": "a", "snaptime": "100", "snapstate": "delete", "extra": true}]"#,
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].name.as_str(), s[0].ram, s[0].snaptime), ("b", true, 200));
        assert_eq!((s[1].snaptime, s[1].snapstate.as_deref()), (100, Some("delete")));
    }

    #[test]
    fn wrong_types_name_the_entry() {
        for (json, message) in [
            (r#"[{"name": "a", "snaptime": 1.5}]"#, "snapshots[0].snaptime: expected an integer or a string of digits, got a fraction"),
            (r#"[{"name": "a", "snaptime": "1e3"}]"#, "snapshots[0].snaptime: '1e3' is not a whole number of digits"),
            (r#"[{"name": 5}]"#, "snapshots[0].name: expected a string, got a number"),
            (r#"[{"name": "a"}, {"snaptime": 1}]"#, "snapshots[1].name: is required"),
            (r#"[{"name": "a"}, {"name": "a"}]"#, "snapshots: duplicate snapshot name 'a'"),
            (r#"{"name": "a"}"#, "snapshots: expected an array, got an object"),
        ] {
            assert_eq!(list(json).unwrap_err().to_string(), message);
        }
        let long = format!(r#"[{{"name": "{}"}}]"#, "n".repeat(256));
        assert!(list(&long).unwrap_err().to_string().len() < 200);
        let many = format!("[{}]", vec![r#"{"name": "current"}"#; 10_001].join(","));
        assert_eq!(list(&many).unwrap_err().to_string(), "snapshots: more than 10000 entries");
    }

    #[test]
    fn odd_state_words_are_refused_with_a_short_message() {
        let huge = "x".repeat(1 << 20);
        for (key, value) in [("lock", huge.as_str()), ("lock", "Backup"), ("status", "running\n"), ("lock", "a b")] {
            let mut fields = serde_json::Map::new();
            fields.insert("status".into(), "running".into());
            fields.insert(key.into(), value.into());
            let err = vm(&serde_json::Value::Object(fields).to_string()).unwrap_err();
            assert_eq!(err.code(), "INVALID_INPUT");
            assert!(err.to_string().starts_with(&format!("vmStatus.{key}: ")), "{err}");
            assert!(err.to_string().len() < 200);
        }
        let err = list(&format!(r#"[{{"name": "a", "snapstate": "{huge}"}}]"#)).unwrap_err();
        assert!(err.to_string().len() < 200);
    }

    #[test]
    fn vm_status() {
        let s = vm(r#"{"status": "running", "lock": "backup", "cpu": 0.5, "ha": {"managed": 0}}"#).unwrap();
        assert!(s.running());
        assert_eq!(s.lock.as_deref(), Some("backup"));
        let s = vm(r#"{"status": "stopped", "lock": "", "template": "1"}"#).unwrap();
        assert_eq!((s.running(), s.lock, s.template), (false, None, true));
        assert_eq!(vm("{}").unwrap_err().to_string(), "vmStatus.status: is required");
        assert_eq!(vm(r#"{"status": ""}"#).unwrap_err().to_string(), "vmStatus.status: is required");
    }
}
