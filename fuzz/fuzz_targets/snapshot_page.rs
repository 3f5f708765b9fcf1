//! `snapshotPage(policy, vmStatus, snapshots, nowMs)`: the quota counts
//! managed snapshots only, foreign rows are read-only and never expire, each
//! countdown is right, and every button the page enables (or disables, and
//! why) agrees with what `planCreate`/`planRollback`/`planRemove` decide.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api;
use pve_snapshots::error::{Result, SnapshotError};
use pve_snapshots::lifetime::NowMs;
use pve_snapshots::target::{GuestType, Target};
use pve_snapshots_fuzz::input::{read, Guest};
use pve_snapshots_fuzz::plans::Facts;
use pve_snapshots_fuzz::{check, input};

/// The page's verdict on an action against the plan's.
fn agree<T: std::fmt::Debug>(what: &str, page: Option<&str>, plan: &Result<T, SnapshotError>) {
    match (page, plan) {
        (None, Ok(_)) => {}
        (Some(code), Err(e)) => assert!(
            code == e.code() || e.code() == "INVALID_NAME",
            "{what}: page says {code}, plan says {e}"
        ),
        _ => panic!("{what}: page says {page:?}, plan says {plan:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let [policy, vm, snaps, now] = input::args::<4>(data);
    // In the bindings' order; the page needs no target, the plans compared
    // with it get a fixed one.
    let args = || -> Result<_> {
        Ok((
            read("policy", &policy)?,
            read("vmStatus", &vm)?,
            read("snapshots", &snaps)?,
            read::<NowMs>("nowMs", &now)?,
        ))
    };
    let Some((policy, vm, snapshots, now)) = check::answer(args()) else { return };
    let target = Target { node: "pve1".into(), vmid: 100, guest: GuestType::Qemu };
    let g = Guest { target, policy, vm, snapshots };
    let page = api::snapshot_page(g.policy.clone(), &g.vm, &g.snapshots, now);
    let f = Facts::of(&g);
    let now_ms = now.0;

    let used = f.used();
    assert_eq!(page.quota.used as usize, used);
    assert_eq!(page.quota.limit, f.policy.max_snapshots);
    assert_eq!(page.quota.label, format!("{}/{}", used, f.policy.max_snapshots));
    assert_eq!(page.quota.can_create, page.create_blocked.is_none());
    if page.quota.can_create {
        assert!(used < f.policy.max_snapshots as usize && !f.blocked());
    }
    assert_eq!((&page.vm.status, page.vm.running, &page.vm.lock), (&f.vm.status, f.vm.running(), &f.vm.lock));
    assert_eq!(page.rows.len(), f.snapshots.len());

    let create = api::plan_create(&g.target, g.policy.clone(), &g.vm, &g.snapshots, Default::default(), now);
    let name_exhausted = matches!(&create, Err(e) if e.code() == "SNAPSHOT_BUSY" && e.details().is_none());
    if !(page.quota.can_create && name_exhausted) {
        agree("create", page.create_blocked.as_ref().map(|b| b.code.as_str()), &create);
    }

    let mut previous: Option<(i64, &str)> = None;
    for row in &page.rows {
        let s = f.find(&row.name).unwrap_or_else(|| panic!("row {:?} not in the list", row.name));
        if let Some(p) = previous {
            assert!(p <= (s.snaptime, row.name.as_str()), "rows not oldest first");
        }
        previous = Some((s.snaptime, &row.name));
        assert_eq!(row.managed, f.managed(s));
        assert_eq!(row.created_at, (s.snaptime > 0).then(|| s.snaptime * 1000));
        assert_eq!((&row.description, row.ram, &row.busy), (&s.description, s.ram, &s.snapstate));
        assert_eq!(row.can_remove, row.remove_blocked.is_none());
        assert_eq!(row.can_rollback, row.rollback_blocked.is_none());
        for blocked in [&row.remove_blocked, &row.rollback_blocked, &page.create_blocked].into_iter().flatten() {
            assert!(check::CODES.contains(&blocked.code.as_str()) && !blocked.message.is_empty());
            assert!(blocked.message.len() <= check::MAX_MESSAGE, "{} bytes", blocked.message.len());
        }
        if !row.managed {
            assert_eq!((row.expires_at, row.remaining_seconds, &row.remaining_label), (None, None, &None));
            assert!(!row.expired && !row.can_remove && !row.can_rollback, "foreign row {:?} actionable", row.name);
        } else {
            assert_eq!(row.expires_at, f.expires_at(s));
            match row.expires_at {
                None => assert!(row.remaining_seconds.is_none() && !row.expired),
                Some(at) => {
                    assert_eq!(row.expired, now_ms >= at);
                    let seconds = row.remaining_seconds.expect("countdown");
                    let label = row.remaining_label.as_deref().expect("label");
                    if row.expired {
                        assert_eq!((seconds, label), (0, "expired"));
                    } else {
                        assert_eq!(seconds, (at - now_ms + 999) / 1000);
                        assert_eq!(check::label_seconds(label), Some(seconds), "{label:?}");
                    }
                }
            }
        }
        if row.can_remove || row.can_rollback {
            assert!(row.managed && !f.blocked());
        }
        let remove = api::plan_remove(&g.target, g.policy.clone(), &g.vm, &g.snapshots, &row.name);
        agree("remove", row.remove_blocked.as_ref().map(|b| b.code.as_str()), &remove);
        let rollback = api::plan_rollback(&g.target, g.policy.clone(), &g.vm, &g.snapshots, &row.name, Default::default());
        agree("rollback", row.rollback_blocked.as_ref().map(|b| b.code.as_str()), &rollback);
    }
});
