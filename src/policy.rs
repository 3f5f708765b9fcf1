//! The product policy an administrator sets: quota, lifetime, RAM, naming,
//! and what the storage allows for rollback.

use serde::{de, Deserialize, Deserializer, Serialize};
use tsify::Tsify;

use crate::input::{integer, optional_flag, optional_text};
use crate::name;

pub const MAX_SNAPSHOTS_LIMIT: i64 = 100;
pub const LIFETIME_DAYS_MIN: i64 = 1;
pub const LIFETIME_DAYS_MAX: i64 = 10;
pub const DEFAULT_PREFIX: &str = "snap";

/// A product policy as the administrator writes it. Unknown fields are
/// ignored so a host can keep its own settings beside ours.
#[derive(Debug, Clone, Deserialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", expecting = "an object")]
pub struct PolicyInput {
    /// 0 disables snapshots; at most 100.
    #[serde(deserialize_with = "integer::<0, MAX_SNAPSHOTS_LIMIT, _>")]
    #[tsify(type = "number")]
    pub max_snapshots: i64,
    /// 1 to 10.
    #[serde(deserialize_with = "integer::<LIFETIME_DAYS_MIN, LIFETIME_DAYS_MAX, _>")]
    #[tsify(type = "number")]
    pub lifetime_days: i64,
    /// Default true.
    #[serde(default, deserialize_with = "optional_flag")]
    pub include_ram: Option<bool>,
    /// Default "snap": a letter, then letters, digits, "_" or "-"; at most 20 characters.
    #[serde(default, deserialize_with = "prefix")]
    pub name_prefix: Option<String>,
    /// Default false; true for ZFS-like storage that only rolls back to the newest snapshot.
    #[serde(default, deserialize_with = "optional_flag")]
    pub rollback_latest_only: Option<bool>,
}

fn prefix<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let prefix = optional_text(d)?;
    if let Some(p) = &prefix {
        name::check_prefix(p).map_err(de::Error::custom)?;
    }
    Ok(prefix)
}

/// A validated policy with every default filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// How many managed snapshots a VM may have; 0 disables snapshots.
    pub max_snapshots: u32,
    /// Lifetime of a snapshot, 1 to 10 days. Applies to existing snapshots
    /// too: lowering it shortens every countdown.
    pub lifetime_days: u32,
    /// Whether snapshots of a running QEMU VM include its memory.
    pub include_ram: bool,
    /// The start of every generated name; it identifies managed snapshots,
    /// so changing it turns existing snapshots foreign (read-only, kept).
    pub name_prefix: String,
    /// True for storage (ZFS, volume chains) that can only roll back to the
    /// newest snapshot.
    pub rollback_latest_only: bool,
}

impl From<PolicyInput> for Policy {
    fn from(p: PolicyInput) -> Self {
        // The readers checked both ranges, so the casts are exact.
        Policy {
            max_snapshots: p.max_snapshots as u32,
            lifetime_days: p.lifetime_days as u32,
            include_ram: p.include_ram.unwrap_or(true),
            name_prefix: p.name_prefix.unwrap_or_else(|| DEFAULT_PREFIX.to_owned()),
            rollback_latest_only: p.rollback_latest_only.unwrap_or(false),
        }
    }
}

impl Policy {
    pub fn lifetime_ms(&self) -> i64 {
        i64::from(self.lifetime_days) * 86_400_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use crate::input::read;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn policy(json: &str) -> Result<Policy> {
        read::<PolicyInput, _>("policy", serde_json::from_str::<serde_json::Value>(json).unwrap()).map(Policy::from)
    }

    #[test]
    fn defaults_are_filled_in() {
        let p = policy(r#"{"maxSnapshots": 3, "lifetimeDays": 2, "extra": [1]}"#).unwrap();
        assert_eq!(
            p,
            Policy {
                max_snapshots: 3,
                lifetime_days: 2,
                include_ram: true,
                name_prefix: "snap".into(),
                rollback_latest_only: false
            }
        );
    }

    #[test]
    fn bad_fields_are_named() {
        for (json, message) in [
            (r#"{"lifetimeDays": 2}"#, "policy.maxSnapshots: is required"),
            (r#"{"maxSnapshots": -1, "lifetimeDays": 2}"#, "policy.maxSnapshots: must be from 0 to 100, got -1"),
            (r#"{"maxSnapshots": 1, "lifetimeDays": 11}"#, "policy.lifetimeDays: must be from 1 to 10, got 11"),
            (r#"{"maxSnapshots": 1, "lifetimeDays": 0.5}"#, "policy.lifetimeDays: expected an integer, got a fraction"),
            (r#"{"maxSnapshots": "3", "lifetimeDays": 1}"#, "policy.maxSnapshots: expected an integer, got a string"),
            (r#"{"maxSnapshots": 1, "lifetimeDays": 1, "includeRam": 1}"#, "policy.includeRam: expected true or false, got a number"),
            (r#"{"maxSnapshots": 1, "lifetimeDays": 1, "namePrefix": "1x"}"#, "policy.namePrefix: must start with a letter"),
            ("null", "policy: expected an object, got null"),
        ] {
            let err = policy(json).unwrap_err();
            assert_eq!(err.code(), "INVALID_POLICY");
            assert_eq!(err.to_string(), message);
        }
    }
}
