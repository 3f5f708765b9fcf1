//! The checks every action shares, written once so the page, the panel's
//! server and the expiry job refuse the same things for the same reasons.

use crate::error::SnapshotError;
use crate::guest::{self, is_snapshot_lock, Snapshot, VmStatus};
use crate::lifetime;
use crate::name;
use crate::policy::Policy;

/// Everything the rules know about one guest at one moment.
#[derive(Debug, Clone)]
pub struct Guest<'a> {
    pub policy: &'a Policy,
    pub vm: &'a VmStatus,
    pub snapshots: &'a [Snapshot],
}

impl<'a> Guest<'a> {
    pub fn is_managed(&self, snapshot: &Snapshot) -> bool {
        name::is_managed(&snapshot.name, &self.policy.name_prefix)
    }

    /// Managed snapshots count against the quota, whatever their state;
    /// foreign ones (made by an administrator) never do.
    pub fn used(&self) -> u32 {
        self.snapshots.iter().filter(|s| self.is_managed(s)).count() as u32
    }

    pub fn find(&self, name: &str) -> Option<&'a Snapshot> {
        self.snapshots.iter().find(|s| s.name == name)
    }

    /// Snapshots oldest first, the order of the page and of expiry.
    pub fn oldest_first(&self) -> Vec<&'a Snapshot> {
        let mut list: Vec<&Snapshot> = self.snapshots.iter().collect();
        // Names are unique, so an unstable sort gives the one order (and
        // keeps a second sort implementation out of the module).
        guest::sort(&mut list, |a, b| {
            a.snaptime.cmp(&b.snaptime).then_with(|| a.name.cmp(&b.name))
        });
        list
    }

    /// Why no snapshot operation may start on this guest right now: a config
    /// lock, or a snapshot left in `prepare`/`delete`. Proxmox would accept
    /// the call and fail the task later; we refuse up front.
    pub fn operation_blocked(&self) -> Option<SnapshotError> {
        if self.vm.template {
            return Some(SnapshotError::InvalidTarget {
                field: "vmStatus.template".into(),
                reason:
                    "this guest is a template; templates cannot take, roll back or remove snapshots"
                        .into(),
            });
        }
        if let Some(lock) = &self.vm.lock {
            if is_snapshot_lock(lock) {
                return Some(SnapshotError::SnapshotBusy {
                    reason: format!(
                        "a snapshot operation is already running on this VM (lock: {lock})"
                    ),
                    lock: Some(lock.clone()),
                    name: None,
                    snapstate: None,
                });
            }
            return Some(SnapshotError::VmLocked { lock: lock.clone() });
        }
        self.snapshots.iter().find_map(|s| {
            let state = s.snapstate.as_ref()?;
            Some(SnapshotError::SnapshotBusy {
                reason: format!(
                    "snapshot '{}' is {} (snapstate: {state})",
                    s.name,
                    busy_words(state)
                ),
                lock: None,
                name: Some(s.name.to_owned()),
                snapstate: Some((*state).to_owned()),
            })
        })
    }

    pub fn create_blocked(&self) -> Option<SnapshotError> {
        let limit = self.policy.max_snapshots;
        if limit == 0 {
            return Some(SnapshotError::SnapshotsDisabled);
        }
        let used = self.used();
        if used >= limit {
            return Some(SnapshotError::QuotaExceeded { used, limit });
        }
        self.operation_blocked()
    }

    /// Checks shared by rollback and remove of one existing snapshot.
    fn touch_blocked(&self, snapshot: &Snapshot) -> Option<SnapshotError> {
        if !self.is_managed(snapshot) {
            return Some(SnapshotError::NotManaged {
                name: snapshot.name.to_owned(),
            });
        }
        self.operation_blocked()
    }

    pub fn remove_blocked(&self, snapshot: &Snapshot) -> Option<SnapshotError> {
        self.touch_blocked(snapshot)
    }

    pub fn rollback_blocked(&self, snapshot: &Snapshot) -> Option<SnapshotError> {
        if let Some(err) = self.touch_blocked(snapshot) {
            return Some(err);
        }
        if self.policy.rollback_latest_only {
            // ZFS-like storage compares with every snapshot on the volume,
            // the administrator's included.
            let newer = self
                .snapshots
                .iter()
                .filter(|s| s.name != snapshot.name && s.snaptime >= snapshot.snaptime);
            if let Some(latest) =
                newer.max_by(|a, b| a.snaptime.cmp(&b.snaptime).then_with(|| a.name.cmp(&b.name)))
            {
                return Some(SnapshotError::RollbackNotLatest {
                    name: snapshot.name.to_owned(),
                    latest: latest.name.to_owned(),
                });
            }
        }
        None
    }

    /// Whether expiry may select this snapshot: managed, of known age, and
    /// past its lifetime at `now_ms`.
    pub fn is_expired(&self, snapshot: &Snapshot, now_ms: i64) -> bool {
        self.is_managed(snapshot) && self.is_past_lifetime(snapshot, now_ms)
    }

    /// The age half of [`Guest::is_expired`], for callers that already
    /// know the snapshot is managed.
    pub fn is_past_lifetime(&self, snapshot: &Snapshot, now_ms: i64) -> bool {
        lifetime::expires_at(self.policy, snapshot.snaptime).is_some_and(|at| now_ms >= at)
    }
}

fn busy_words(snapstate: &str) -> &'static str {
    match snapstate {
        "prepare" => "still being created or its creation failed",
        "delete" => "being removed or its removal failed",
        _ => "in an unfinished state",
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn policy(max: u32, days: u32) -> Policy {
        Policy {
            max_snapshots: max,
            lifetime_days: days,
            include_ram: true,
            name_prefix: "snap".into(),
            rollback_latest_only: false,
        }
    }

    pub fn vm(running: bool, lock: Option<&str>) -> VmStatus {
        VmStatus {
            status: if running { "running" } else { "stopped" }.into(),
            lock: lock.map(Into::into),
            template: false,
        }
    }

    pub fn snap(name: &str, snaptime: i64) -> Snapshot {
        Snapshot {
            name: name.into(),
            description: String::new(),
            snaptime,
            ram: false,
            snapstate: None,
        }
    }
}

#[cfg(test)]
mod tests {
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    use super::fixtures::*;
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn quota_counts_managed_only() {
        let p = policy(2, 1);
        let v = vm(true, None);
        let snaps = [
            snap("snap20261101T000000", 1),
            snap("before-upgrade", 2),
            snap("snap20261102T000000", 3),
        ];
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &snaps,
        };
        assert_eq!(g.used(), 2);
        assert_eq!(g.create_blocked().unwrap().code(), "QUOTA_EXCEEDED");
        let g = Guest {
            snapshots: &snaps[..2],
            ..g
        };
        assert!(g.create_blocked().is_none());
    }

    #[test]
    fn locks_and_snapstates_block() {
        let p = policy(3, 1);
        let snaps = [snap("snap20261101T000000", 1)];
        for (lock, code) in [
            ("backup", "VM_LOCKED"),
            ("migrate", "VM_LOCKED"),
            ("snapshot", "SNAPSHOT_BUSY"),
            ("rollback", "SNAPSHOT_BUSY"),
        ] {
            let v = vm(true, Some(lock));
            let g = Guest {
                policy: &p,
                vm: &v,
                snapshots: &snaps,
            };
            assert_eq!(g.create_blocked().unwrap().code(), code, "{lock}");
            assert_eq!(g.remove_blocked(&snaps[0]).unwrap().code(), code, "{lock}");
        }
        let v = vm(true, None);
        let mut busy = snap("snap20261102T000000", 2);
        busy.snapstate = Some("delete".into());
        let snaps = [snaps[0].clone(), busy];
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &snaps,
        };
        let err = g.rollback_blocked(&snaps[0]).unwrap();
        assert_eq!(err.code(), "SNAPSHOT_BUSY");
        assert!(err.to_string().contains("being removed"), "{err}");
    }

    #[test]
    fn disabled_before_quota() {
        let p = policy(0, 1);
        let v = vm(false, Some("backup"));
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &[],
        };
        assert_eq!(g.create_blocked().unwrap().code(), "SNAPSHOTS_DISABLED");
    }

    #[test]
    fn foreign_snapshots_are_read_only() {
        let p = policy(3, 1);
        let v = vm(false, None);
        let snaps = [snap("before-upgrade", 5)];
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &snaps,
        };
        assert_eq!(g.remove_blocked(&snaps[0]).unwrap().code(), "NOT_MANAGED");
        assert_eq!(g.rollback_blocked(&snaps[0]).unwrap().code(), "NOT_MANAGED");
        assert!(!g.is_expired(&snaps[0], i64::MAX / 2));
    }

    #[test]
    fn latest_only_rollback_counts_foreign_snapshots() {
        let mut p = policy(3, 1);
        p.rollback_latest_only = true;
        let v = vm(false, None);
        let snaps = [
            snap("snap20261101T000000", 10),
            snap("snap20261102T000000", 20),
            snap("admin-made", 30),
        ];
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &snaps,
        };
        let err = g.rollback_blocked(&snaps[1]).unwrap();
        assert_eq!(
            err,
            SnapshotError::RollbackNotLatest {
                name: "snap20261102T000000".into(),
                latest: "admin-made".into()
            }
        );
        let g = Guest {
            snapshots: &snaps[..2],
            ..g
        };
        assert!(g.rollback_blocked(&snaps[1]).is_none());
        assert_eq!(
            g.rollback_blocked(&snaps[0]).unwrap().code(),
            "ROLLBACK_NOT_LATEST"
        );
    }
}
