//! Planning an action: check the rules against fresh Proxmox data, then
//! describe the one request that carries it out.

use serde::Serialize;
use tsify::Tsify;

use crate::error::{ErrorCode, Result, SnapshotError};
use crate::name;
use crate::request::{self, Request};
use crate::rules::Guest;
use crate::target::{GuestType, Target};

pub fn create(
    target: &Target,
    guest: &Guest,
    description: &str,
    want_ram: bool,
    now_ms: i64,
) -> Result<Request> {
    if let Some(err) = guest.create_blocked() {
        return Err(err);
    }
    let name = name::generate(
        &guest.policy.name_prefix,
        now_ms,
        guest.snapshots.iter().map(|s| s.name.as_str()),
    )?;
    // Memory can only be saved for a running QEMU VM; Proxmox ignores the flag otherwise.
    let vmstate =
        target.guest == GuestType::Qemu && guest.vm.running() && guest.policy.include_ram && want_ram;
    Ok(request::create(target, &name, description, vmstate))
}

/// `start`: `None` restarts a VM that was running (rollback stops it); a
/// snapshot with RAM resumes on its own, so no flag is sent for it.
pub fn rollback(
    target: &Target,
    guest: &Guest,
    name: &str,
    start: Option<bool>,
) -> Result<Request> {
    name::validate("name", name, target.guest)?;
    let snapshot = guest.find(name).ok_or_else(|| SnapshotError::NotFound {
        name: name.to_owned(),
    })?;
    if let Some(err) = guest.rollback_blocked(snapshot) {
        return Err(err);
    }
    let start = start.unwrap_or(guest.vm.running()) && !snapshot.ram;
    Ok(request::rollback(target, name, start))
}

pub fn remove(target: &Target, guest: &Guest, name: &str) -> Result<Request> {
    name::validate("name", name, target.guest)?;
    let snapshot = guest.find(name).ok_or_else(|| SnapshotError::NotFound {
        name: name.to_owned(),
    })?;
    if let Some(err) = guest.remove_blocked(snapshot) {
        return Err(err);
    }
    Ok(request::remove(target, name))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
pub struct Skipped {
    pub name: String,
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default, Tsify)]
pub struct Expiry {
    /// Oldest first. Send one at a time, wait for each task, and re-plan
    /// with fresh data before the next.
    pub deletes: Vec<Request>,
    /// Expired snapshots that cannot be removed now, and why.
    pub skipped: Vec<Skipped>,
}

/// The managed snapshots past their lifetime. Foreign snapshots and those of
/// unknown age are never selected; nothing is deleted while the guest is
/// locked or a snapshot is mid-operation, and a snapshot stuck in
/// `snapstate: delete` is reported for an operator, never forced.
pub fn expiry(target: &Target, guest: &Guest, now_ms: i64) -> Expiry {
    let mut plan = Expiry::default();
    let blocked = guest.operation_blocked();
    for s in guest.oldest_first() {
        if !guest.is_managed(s) {
            continue;
        }
        if s.snaptime == 0 {
            plan.skipped.push(Skipped {
                name: s.name.to_owned(),
                code: ErrorCode::InvalidInput,
                message: "Proxmox reports no creation time (snaptime) for this snapshot; it is never expired automatically".into(),
            });
            continue;
        }
        if !guest.is_past_lifetime(s, now_ms) {
            continue;
        }
        let skip = |err: &SnapshotError| Skipped {
            name: s.name.to_owned(),
            code: err.kind(),
            message: err.to_string(),
        };
        match (&s.snapstate, &blocked) {
            (Some(state), _) => plan.skipped.push(Skipped {
                name: s.name.to_owned(),
                code: ErrorCode::SnapshotBusy,
                message: format!(
                    "snapshot is in snapstate '{state}'; if no task is running for this guest, an operator must \
                     clear it (qm/pct unlock, then delete the snapshot) — it is never forced"
                ),
            }),
            (None, Some(err)) => plan.skipped.push(skip(err)),
            (None, None) => plan.deletes.push(request::remove(target, &s.name)),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    use super::*;
    use crate::request::{Method, Param};
    use crate::rules::fixtures::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const NOW: i64 = 1_795_606_200_000; // 2026-11-25T11:30:00Z
    const DAY: i64 = 86_400;

    fn target() -> Target {
        Target {
            node: "pve1".into(),
            vmid: 101,
            guest: GuestType::Qemu,
        }
    }

    #[test]
    fn create_names_and_ram() {
        let p = policy(3, 1);
        let v = vm(true, None);
        let snaps = [snap("snap20261125T113000", NOW / 1000)];
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &snaps,
        };
        let r = create(&target(), &g, "note", true, NOW).unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.path, "/nodes/pve1/qemu/101/snapshot");
        assert_eq!(r.name.as_deref(), Some("snap20261125T113000-2"));
        assert_eq!(r.params.get("vmstate"), Some(&Param::Int(1)));
        assert_eq!(
            create(&target(), &g, "", false, NOW)
                .unwrap()
                .params
                .get("vmstate"),
            None
        );
        let stopped = vm(false, None);
        let g = Guest { vm: &stopped, ..g };
        assert_eq!(
            create(&target(), &g, "", true, NOW)
                .unwrap()
                .params
                .get("vmstate"),
            None
        );
        let lxc = Target {
            guest: GuestType::Lxc,
            ..target()
        };
        let running = vm(true, None);
        let g = Guest { vm: &running, ..g };
        assert_eq!(
            create(&lxc, &g, "", true, NOW)
                .unwrap()
                .params
                .get("vmstate"),
            None
        );
    }

    #[test]
    fn rollback_restarts_a_running_vm_unless_the_snapshot_has_ram() {
        let p = policy(3, 1);
        let v = vm(true, None);
        let mut with_ram = snap("snap20261124T113000", NOW / 1000 - 100);
        with_ram.ram = true;
        let snaps = [snap("snap20261125T113000", NOW / 1000), with_ram];
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &snaps,
        };
        let r = rollback(&target(), &g, "snap20261125T113000", None).unwrap();
        assert_eq!(
            r.path,
            "/nodes/pve1/qemu/101/snapshot/snap20261125T113000/rollback"
        );
        assert_eq!(r.params.get("start"), Some(&Param::Int(1)));
        assert_eq!(
            rollback(&target(), &g, "snap20261125T113000", Some(false))
                .unwrap()
                .params
                .get("start"),
            None
        );
        assert_eq!(
            rollback(&target(), &g, "snap20261124T113000", None)
                .unwrap()
                .params
                .get("start"),
            None
        );
        let stopped = vm(false, None);
        let g = Guest { vm: &stopped, ..g };
        assert_eq!(
            rollback(&target(), &g, "snap20261125T113000", None)
                .unwrap()
                .params
                .get("start"),
            None
        );
        assert_eq!(
            rollback(&target(), &g, "snap20261125T113000", Some(true))
                .unwrap()
                .params
                .get("start"),
            Some(&Param::Int(1))
        );
    }

    #[test]
    fn names_are_checked_before_lookup() {
        let p = policy(3, 1);
        let v = vm(true, None);
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &[],
        };
        assert_eq!(
            remove(&target(), &g, "../../qemu/102").unwrap_err().code(),
            "INVALID_NAME"
        );
        assert_eq!(
            remove(&target(), &g, "current").unwrap_err().code(),
            "INVALID_NAME"
        );
        assert_eq!(
            remove(&target(), &g, "snap20261125T113000")
                .unwrap_err()
                .code(),
            "NOT_FOUND"
        );
    }

    #[test]
    fn expiry_selects_only_expired_managed_snapshots_oldest_first() {
        let p = policy(3, 1);
        let v = vm(true, None);
        let now_s = NOW / 1000;
        let snaps = [
            snap("snap20261120T000000", now_s - 3 * DAY),
            snap("snap20261119T000000", now_s - 4 * DAY),
            snap("snap20261125T000000", now_s - 100),
            snap("admin-old", now_s - 30 * DAY),
            snap("snap20261101T000000", 0),
            snap("snap20261124T113000", now_s - DAY),
        ];
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &snaps,
        };
        let plan = expiry(&target(), &g, NOW);
        let names: Vec<_> = plan
            .deletes
            .iter()
            .map(|r| r.name.as_deref().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "snap20261119T000000",
                "snap20261120T000000",
                "snap20261124T113000"
            ]
        );
        assert!(plan
            .deletes
            .iter()
            .all(|r| r.method == Method::Delete && r.params.0.is_empty()));
        assert_eq!(plan.skipped.len(), 1);
        assert_eq!(plan.skipped[0].name, "snap20261101T000000");
    }

    #[test]
    fn expiry_waits_for_locks_and_reports_stuck_deletes() {
        let p = policy(3, 1);
        let now_s = NOW / 1000;
        let mut stuck = snap("snap20261119T000000", now_s - 4 * DAY);
        stuck.snapstate = Some("delete".into());
        let snaps = [stuck, snap("snap20261120T000000", now_s - 3 * DAY)];
        let v = vm(true, None);
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &snaps,
        };
        let plan = expiry(&target(), &g, NOW);
        assert!(plan.deletes.is_empty());
        assert_eq!(
            plan.skipped.iter().map(|s| s.code).collect::<Vec<_>>(),
            ["SNAPSHOT_BUSY", "SNAPSHOT_BUSY"]
        );
        assert!(plan.skipped[0].message.contains("never forced"));
        let locked = vm(true, Some("backup"));
        let g = Guest {
            vm: &locked,
            snapshots: &snaps[1..],
            ..g
        };
        let plan = expiry(&target(), &g, NOW);
        assert!(plan.deletes.is_empty());
        assert_eq!(plan.skipped[0].code, "VM_LOCKED");
    }
}
