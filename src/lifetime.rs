//! How long a snapshot has left: creation time (Proxmox's `snaptime`) plus
//! the policy's lifetime, minus now. The current policy applies to existing
//! snapshots, so an administrator who shortens the lifetime shortens every
//! countdown.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::guest::MAX_EPOCH_SECONDS;
use crate::input::integer;
use crate::policy::Policy;

/// The label once the lifetime is over; the expiry job removes it on its
/// next run.
pub const EXPIRED_LABEL: &str = "expired";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
pub struct Remaining {
    /// Whole seconds left, rounded up so the countdown reaches 0 exactly
    /// when the snapshot expires; never negative.
    pub seconds: i64,
    pub expired: bool,
    /// `"2 days 23:59:54"`, or [`EXPIRED_LABEL`].
    pub label: String,
}

pub const MAX_NOW_MS: i64 = MAX_EPOCH_SECONDS * 1000 + 999;

/// `nowMs`: milliseconds since the epoch, from 1970 to 9999.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
pub struct NowMs(#[serde(deserialize_with = "integer::<0, MAX_NOW_MS, _>")] pub i64);

/// A snapshot's creation time in epoch seconds (Proxmox's `snaptime`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
pub struct Snaptime(#[serde(deserialize_with = "integer::<0, MAX_EPOCH_SECONDS, _>")] pub i64);

/// When the snapshot expires, in ms; `None` when its creation time is
/// unknown (`snaptime` 0), because a snapshot of unknown age must never be
/// expired automatically.
pub fn expires_at(policy: &Policy, snaptime: i64) -> Option<i64> {
    (snaptime > 0).then(|| snaptime * 1000 + policy.lifetime_ms())
}

pub fn remaining(policy: &Policy, snaptime: i64, now_ms: i64) -> Remaining {
    match expires_at(policy, snaptime) {
        Some(at) => remaining_until(at, now_ms),
        None => Remaining {
            seconds: 0,
            expired: false,
            label: "unknown".into(),
        },
    }
}

pub fn remaining_until(expires_at_ms: i64, now_ms: i64) -> Remaining {
    let left_ms = expires_at_ms - now_ms;
    if left_ms <= 0 {
        return Remaining {
            seconds: 0,
            expired: true,
            label: EXPIRED_LABEL.into(),
        };
    }
    let seconds = (left_ms + 999) / 1000;
    Remaining {
        seconds,
        expired: false,
        label: countdown_label(seconds),
    }
}

/// `0 days 23:59:54`: the page's countdown format.
pub fn countdown_label(seconds: i64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    let unit = if days == 1 { "day" } else { "days" };
    format!(
        "{days} {unit} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn policy(days: u32) -> Policy {
        Policy {
            max_snapshots: 3,
            lifetime_days: days,
            include_ram: true,
            name_prefix: "snap".into(),
            rollback_latest_only: false,
        }
    }

    #[test]
    fn countdown() {
        let p = policy(1);
        let created = 1_795_606_200; // seconds
        let r = remaining(&p, created, created * 1000 + 6_000);
        assert_eq!(
            (r.seconds, r.label.as_str(), r.expired),
            (86_394, "0 days 23:59:54", false)
        );
        let r = remaining(&p, created, created * 1000 + 6_001);
        assert_eq!(r.seconds, 86_394, "rounded up");
        let r = remaining(&policy(3), created, created * 1000);
        assert_eq!(r.label, "3 days 00:00:00");
        assert_eq!(countdown_label(86_400 + 61), "1 day 00:01:01");
    }

    #[test]
    fn expiry_is_exact_and_never_negative() {
        let p = policy(1);
        let created = 1_000;
        let at = created * 1000 + 86_400_000;
        assert!(!remaining(&p, created, at - 1).expired);
        assert_eq!(remaining(&p, created, at - 1).seconds, 1);
        let r = remaining(&p, created, at);
        assert_eq!(
            (r.seconds, r.expired, r.label.as_str()),
            (0, true, EXPIRED_LABEL)
        );
        assert_eq!(remaining(&p, created, at + 10_000_000).seconds, 0);
    }

    #[test]
    fn unknown_creation_time_never_expires() {
        let r = remaining(&policy(1), 0, 4_000_000_000_000);
        assert!(!r.expired);
        assert_eq!(expires_at(&policy(1), 0), None);
    }

    #[test]
    fn extremes_do_not_overflow() {
        let r = remaining(&policy(10), MAX_EPOCH_SECONDS, 0);
        assert!(r.seconds > 0);
        let now = |n: f64| crate::input::read::<NowMs, _>("nowMs", serde_json::Value::from(n));
        assert_eq!(now(f64::MAX).unwrap_err().to_string(), "nowMs: must be from 0 to 253402300799999, got a number beyond 2^53");
        assert!(now(-1.0).is_err());
        assert_eq!(now(MAX_NOW_MS as f64).unwrap().0, MAX_NOW_MS);
    }
}
