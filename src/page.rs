//! Everything the Snapshots page shows, computed from the same rules the
//! server and the job enforce.

use serde::Serialize;
use tsify::Tsify;

use crate::error::Blocked;
use crate::lifetime;
use crate::rules::Guest;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub used: u32,
    pub limit: u32,
    /// `"2/3"`
    pub label: String,
    pub can_create: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct VmView {
    pub status: String,
    pub running: bool,
    pub lock: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub name: String,
    pub description: String,
    /// ms since the epoch; null when Proxmox recorded no creation time.
    pub created_at: Option<i64>,
    /// ms since the epoch; null for foreign snapshots (they never expire
    /// here) and for those of unknown age.
    pub expires_at: Option<i64>,
    pub remaining_seconds: Option<i64>,
    /// `"0 days 23:59:54"`, `"expired"`, or null when there is no countdown.
    pub remaining_label: Option<String>,
    pub expired: bool,
    pub managed: bool,
    pub ram: bool,
    /// Proxmox's `snapstate` (`prepare`, `delete`) while an operation is
    /// unfinished, else null.
    pub busy: Option<String>,
    pub can_rollback: bool,
    pub rollback_blocked: Option<Blocked>,
    pub can_remove: bool,
    pub remove_blocked: Option<Blocked>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub quota: Quota,
    pub create_blocked: Option<Blocked>,
    pub vm: VmView,
    /// Oldest first.
    pub rows: Vec<Row>,
}

pub fn view(guest: &Guest, now_ms: i64) -> Page {
    let used = guest.used();
    let limit = guest.policy.max_snapshots;
    let create_blocked = guest.create_blocked();
    let rows = guest
        .oldest_first()
        .into_iter()
        .map(|s| {
            let managed = guest.is_managed(s);
            let expires_at = if managed {
                lifetime::expires_at(guest.policy, s.snaptime)
            } else {
                None
            };
            let remaining = expires_at.map(|at| lifetime::remaining_until(at, now_ms));
            let rollback_blocked = guest.rollback_blocked(s).as_ref().map(Blocked::from);
            let remove_blocked = guest.remove_blocked(s).as_ref().map(Blocked::from);
            Row {
                name: s.name.to_owned(),
                description: s.description.to_owned(),
                created_at: (s.snaptime > 0).then_some(s.snaptime * 1000),
                expires_at,
                remaining_seconds: remaining.as_ref().map(|r| r.seconds),
                expired: remaining.as_ref().is_some_and(|r| r.expired),
                remaining_label: remaining.map(|r| r.label),
                managed,
                ram: s.ram,
                busy: s.snapstate.clone(),
                can_rollback: rollback_blocked.is_none(),
                rollback_blocked,
                can_remove: remove_blocked.is_none(),
                remove_blocked,
            }
        })
        .collect();
    Page {
        quota: Quota {
            used,
            limit,
            label: format!("{used}/{limit}"),
            can_create: create_blocked.is_none(),
        },
        create_blocked: create_blocked.as_ref().map(Blocked::from),
        vm: VmView {
            status: guest.vm.status.clone(),
            running: guest.vm.running(),
            lock: guest.vm.lock.clone(),
        },
        rows,
    }
}

#[cfg(test)]
mod tests {
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    use super::*;
    use crate::rules::fixtures::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const NOW: i64 = 1_795_606_200_000;

    #[test]
    fn the_demo_page() {
        let p = policy(3, 1);
        let v = vm(true, None);
        let now_s = NOW / 1000;
        let snaps = [
            snap("before-upgrade", now_s - 50),
            snap("snap20261125T113000", now_s - 6),
            snap("snap20261120T000000", now_s - 2 * 86_400),
        ];
        let g = Guest {
            policy: &p,
            vm: &v,
            snapshots: &snaps,
        };
        let page = view(&g, NOW);
        assert_eq!(
            page.quota,
            Quota {
                used: 2,
                limit: 3,
                label: "2/3".into(),
                can_create: true
            }
        );
        assert_eq!(page.create_blocked, None);
        let names: Vec<_> = page.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "snap20261120T000000",
                "before-upgrade",
                "snap20261125T113000"
            ]
        );
        let fresh = &page.rows[2];
        assert_eq!(fresh.remaining_label.as_deref(), Some("0 days 23:59:54"));
        assert_eq!(fresh.created_at, Some((now_s - 6) * 1000));
        assert!(fresh.can_rollback && fresh.can_remove);
        let foreign = &page.rows[1];
        assert_eq!(
            (foreign.managed, foreign.expires_at, foreign.can_remove),
            (false, None, false)
        );
        assert_eq!(foreign.remove_blocked.as_ref().unwrap().code, "NOT_MANAGED");
        let old = &page.rows[0];
        assert_eq!(
            (
                old.expired,
                old.remaining_seconds,
                old.remaining_label.as_deref()
            ),
            (true, Some(0), Some("expired"))
        );
    }

    #[test]
    fn locked_vm_blocks_every_action() {
        let p = policy(3, 1);
        let v = vm(true, Some("backup"));
        let snaps = [snap("snap20261125T113000", NOW / 1000)];
        let page = view(
            &Guest {
                policy: &p,
                vm: &v,
                snapshots: &snaps,
            },
            NOW,
        );
        assert_eq!(page.create_blocked.unwrap().code, "VM_LOCKED");
        assert!(!page.quota.can_create);
        assert_eq!(
            page.rows[0].rollback_blocked.as_ref().unwrap().code,
            "VM_LOCKED"
        );
        assert_eq!(page.vm.lock.as_deref(), Some("backup"));
    }
}
