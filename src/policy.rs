//! The product policy an administrator sets: quota, lifetime, RAM, naming,
//! and what the storage allows for rollback.

use serde::Serialize;

use crate::error::{Result, SnapshotError};
use crate::input::{Obj, Value};
use crate::name;

/// A validated policy. Build it with [`Policy::from_value`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

pub const MAX_SNAPSHOTS_LIMIT: i64 = 100;
pub const LIFETIME_DAYS_MIN: i64 = 1;
pub const LIFETIME_DAYS_MAX: i64 = 10;
pub const DEFAULT_PREFIX: &str = "snap";

impl Policy {
    /// Validates a policy object; unknown fields are ignored so a host can
    /// keep its own settings beside ours.
    pub fn from_value(value: &Value) -> Result<Self> {
        Obj::new("policy", value, false)
            .and_then(|o| Self::read(&o))
            .map_err(|e| e.recode(|field, reason| SnapshotError::InvalidPolicy { field, reason }))
    }

    pub fn from_obj(o: &Obj) -> Result<Self> {
        Self::read(o)
            .map_err(|e| e.recode(|field, reason| SnapshotError::InvalidPolicy { field, reason }))
    }

    fn read(o: &Obj) -> Result<Self> {
        let max_snapshots = o.required_integer("maxSnapshots", 0, MAX_SNAPSHOTS_LIMIT)? as u32;
        let lifetime_days =
            o.required_integer("lifetimeDays", LIFETIME_DAYS_MIN, LIFETIME_DAYS_MAX)? as u32;
        let include_ram = o.boolean("includeRam")?.unwrap_or(true);
        let rollback_latest_only = o.boolean("rollbackLatestOnly")?.unwrap_or(false);
        let name_prefix = match o.string("namePrefix")? {
            None => DEFAULT_PREFIX.to_owned(),
            Some(p) => {
                name::check_prefix(p)
                    .map_err(|reason| SnapshotError::input(o.field_path("namePrefix"), reason))?;
                p.to_owned()
            }
        };
        Ok(Policy {
            max_snapshots,
            lifetime_days,
            include_ram,
            name_prefix,
            rollback_latest_only,
        })
    }

    pub fn lifetime_ms(&self) -> i64 {
        i64::from(self.lifetime_days) * 86_400_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn policy(fields: &[(&str, Value)]) -> Result<Policy> {
        Policy::from_value(&Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string().into(), v.clone()))
                .collect(),
        ))
    }

    #[test]
    fn defaults_are_filled_in() {
        let p = policy(&[("maxSnapshots", 3.0.into()), ("lifetimeDays", 2.0.into())]).unwrap();
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
        let cases: &[(&[(&str, Value)], &str)] = &[
            (
                &[("lifetimeDays", 2.0.into())],
                "policy.maxSnapshots: is required",
            ),
            (
                &[
                    ("maxSnapshots", (-1.0).into()),
                    ("lifetimeDays", 2.0.into()),
                ],
                "policy.maxSnapshots: must be from 0 to 100, got -1",
            ),
            (
                &[("maxSnapshots", 1.0.into()), ("lifetimeDays", 11.0.into())],
                "policy.lifetimeDays: must be from 1 to 10, got 11",
            ),
            (
                &[("maxSnapshots", 1.0.into()), ("lifetimeDays", 0.5.into())],
                "policy.lifetimeDays: expected an integer, got a fraction",
            ),
            (
                &[("maxSnapshots", "3".into()), ("lifetimeDays", 1.0.into())],
                "policy.maxSnapshots: expected an integer, got a string",
            ),
            (
                &[
                    ("maxSnapshots", 1.0.into()),
                    ("lifetimeDays", 1.0.into()),
                    ("includeRam", 1.0.into()),
                ],
                "policy.includeRam: expected true or false, got a number",
            ),
            (
                &[
                    ("maxSnapshots", 1.0.into()),
                    ("lifetimeDays", 1.0.into()),
                    ("namePrefix", "1x".into()),
                ],
                "policy.namePrefix: must start with a letter",
            ),
        ];
        for (fields, message) in cases {
            let err = policy(fields).unwrap_err();
            assert_eq!(err.code(), "INVALID_POLICY");
            assert_eq!(err.to_string(), *message);
        }
        assert_eq!(
            Policy::from_value(&Value::Null).unwrap_err().code(),
            "INVALID_POLICY"
        );
    }
}
