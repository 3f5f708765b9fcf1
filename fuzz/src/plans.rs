//! What a planned action must satisfy, checked against the inputs read
//! afresh: the core may only describe a request its own rules allow.

use chrono::{Datelike, Timelike};
use pve_snapshots::description;
use pve_snapshots::guest::{snapshots_from_value, Snapshot, VmStatus};
use pve_snapshots::lifetime;
use pve_snapshots::name;
use pve_snapshots::plan::Expiry;
use pve_snapshots::policy::Policy;
use pve_snapshots::request::{Method, Param, Request};
use pve_snapshots::target::{GuestType, Target};
use pve_snapshots::Value;

use crate::check;

/// The inputs of an accepted call; reading them cannot fail, because the core
/// just accepted them.
pub struct Facts<'v> {
    pub target: Target,
    pub policy: Policy,
    pub vm: VmStatus,
    pub snapshots: Vec<Snapshot<'v>>,
}

impl<'v> Facts<'v> {
    pub fn read(target: &Value, policy: &Value, vm: &Value, snapshots: &'v Value<'v>) -> Facts<'v> {
        Facts {
            target: Target::from_value(target).expect("accepted target reads"),
            policy: Policy::from_value(policy).expect("accepted policy reads"),
            vm: VmStatus::from_value(vm).expect("accepted vmStatus reads"),
            snapshots: snapshots_from_value(snapshots).expect("accepted snapshots read"),
        }
    }

    pub fn managed(&self, s: &Snapshot) -> bool {
        name::is_managed(s.name, &self.policy.name_prefix)
    }

    pub fn used(&self) -> usize {
        self.snapshots.iter().filter(|s| self.managed(s)).count()
    }

    /// A lock, a template or an unfinished snapshot: no operation may start.
    pub fn blocked(&self) -> bool {
        self.vm.template
            || self.vm.lock.is_some()
            || self.snapshots.iter().any(|s| s.snapstate.is_some())
    }

    pub fn find(&self, name: &str) -> Option<&Snapshot<'v>> {
        self.snapshots.iter().find(|s| s.name == name)
    }

    pub fn expires_at(&self, s: &Snapshot) -> Option<i64> {
        (s.snaptime > 0).then(|| s.snaptime * 1000 + i64::from(self.policy.lifetime_days) * 86_400_000)
    }
}

/// The last own non-null field `key` of an options object, as the core reads it.
pub fn option<'a, 'v>(options: &'a Value<'v>, key: &str) -> Option<&'a Value<'v>> {
    match options {
        Value::Object(fields) => fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null()),
        _ => None,
    }
}

fn params(req: &Request) -> Vec<(&str, &Param)> {
    req.params.0.iter().map(|(k, v)| (*k, v)).collect()
}

pub fn create(f: &Facts, options: &Value, now_ms: i64, req: &Request) {
    assert!(!f.blocked(), "create planned while blocked");
    assert!(f.policy.max_snapshots > 0, "create planned with snapshots disabled");
    assert!(f.used() < f.policy.max_snapshots as usize, "create planned over quota");
    assert_eq!(req.method, Method::Post);
    let name = req.name.as_deref().expect("create names its snapshot");
    assert!(name::validate("name", name, f.target.guest).is_ok(), "invalid generated name {name:?}");
    assert!(name::is_managed(name, &f.policy.name_prefix), "generated name {name:?} is not managed");
    assert!(
        !f.snapshots.iter().any(|s| s.name.eq_ignore_ascii_case(name)),
        "generated name {name:?} is taken"
    );
    let t = chrono::DateTime::from_timestamp_millis(now_ms).expect("now in range");
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    assert!(
        name.starts_with(&format!("{}{stamp}", f.policy.name_prefix)),
        "{name:?} is not the time {stamp}"
    );
    check::guest_path(req, &f.target, &["snapshot"]);

    let want_description = match option(options, "description") {
        Some(Value::String(text)) => description::normalize("d", text).expect("accepted description"),
        Some(other) => panic!("create accepted description {other:?}"),
        None => String::new(),
    };
    let want_ram = !matches!(option(options, "includeRam"), Some(Value::Bool(false)));
    let vmstate = f.target.guest == GuestType::Qemu && f.vm.running && f.policy.include_ram && want_ram;
    let mut want: Vec<(&str, Param)> = vec![("snapname", Param::Str(name.to_owned()))];
    if !want_description.is_empty() {
        want.push(("description", Param::Str(want_description)));
    }
    if vmstate {
        want.push(("vmstate", Param::Int(1)));
    }
    let got = params(req);
    assert_eq!(got.len(), want.len(), "create params {got:?}");
    for ((gk, gv), (wk, wv)) in got.iter().zip(&want) {
        assert_eq!((*gk, *gv), (*wk, wv));
    }
}

/// Checks shared by rollback and remove: a valid name of an existing,
/// managed snapshot on an unblocked guest. Returns that snapshot.
fn touch<'a, 'v>(f: &'a Facts<'v>, name: &Value, req: &Request) -> &'a Snapshot<'v> {
    let Value::String(name) = name else {
        panic!("planned with a non-string name {name:?}")
    };
    assert!(name::validate("name", name, f.target.guest).is_ok(), "invalid name {name:?} planned");
    let snap = f.find(name).unwrap_or_else(|| panic!("{name:?} planned but absent"));
    assert!(f.managed(snap), "foreign snapshot {name:?} planned");
    assert!(!f.blocked(), "{name:?} planned while blocked");
    assert_eq!(req.name.as_deref(), Some(name.as_ref()));
    snap
}

pub fn rollback(f: &Facts, name: &Value, options: &Value, req: &Request) {
    let snap = touch(f, name, req);
    if f.policy.rollback_latest_only {
        let newer = f
            .snapshots
            .iter()
            .find(|s| s.name != snap.name && s.snaptime >= snap.snaptime);
        assert!(newer.is_none(), "rollback to {:?} past newer {newer:?}", snap.name);
    }
    assert_eq!(req.method, Method::Post);
    check::guest_path(req, &f.target, &["snapshot", &snap.name, "rollback"]);
    let start = match option(options, "start") {
        Some(Value::Bool(b)) => *b,
        None => f.vm.running,
        Some(other) => panic!("rollback accepted start {other:?}"),
    } && !snap.ram;
    let want: Vec<(&str, &Param)> = if start { vec![("start", &Param::Int(1))] } else { vec![] };
    assert_eq!(params(req), want);
}

pub fn remove(f: &Facts, name: &Value, req: &Request) {
    let snap = touch(f, name, req);
    assert_eq!(req.method, Method::Delete);
    assert!(req.params.0.is_empty(), "DELETE with params {:?}", req.params);
    check::guest_path(req, &f.target, &["snapshot", &snap.name]);
}

pub fn expiry(f: &Facts, now_ms: i64, plan: &Expiry) {
    if f.blocked() {
        assert!(plan.deletes.is_empty(), "deletes planned while blocked");
    }
    let mut previous: Option<&Snapshot> = None;
    let mut deleted = Vec::new();
    for req in &plan.deletes {
        let name = req.name.as_deref().expect("delete names its snapshot");
        let snap = f.find(name).unwrap_or_else(|| panic!("deleting absent {name:?}"));
        assert!(f.managed(snap), "deleting foreign {name:?}");
        let at = f.expires_at(snap).unwrap_or_else(|| panic!("deleting {name:?} of unknown age"));
        assert!(now_ms >= at, "deleting unexpired {name:?}");
        assert!(snap.snapstate.is_none(), "forcing {name:?} in snapstate");
        assert_eq!(req.method, Method::Delete);
        assert!(req.params.0.is_empty(), "DELETE with params {:?}", req.params);
        check::guest_path(req, &f.target, &["snapshot", name]);
        assert!(!deleted.contains(&name), "{name:?} deleted twice");
        if let Some(p) = previous {
            assert!((p.snaptime, &p.name) <= (snap.snaptime, &snap.name), "not oldest first");
        }
        previous = Some(snap);
        deleted.push(name);
    }
    for skipped in &plan.skipped {
        let snap = f.find(&skipped.name).unwrap_or_else(|| panic!("skipped absent {:?}", skipped.name));
        assert!(f.managed(snap), "skipped foreign {:?}", skipped.name);
        assert!(check::CODES.contains(&skipped.code));
        assert!(!deleted.contains(&skipped.name.as_str()), "{:?} both deleted and skipped", skipped.name);
    }
    // Nothing due is silently forgotten: it is deleted, or skipped with a reason.
    for s in f.snapshots.iter().filter(|s| f.managed(s)) {
        let due = f.expires_at(s).is_none_or(|at| now_ms >= at);
        let listed = deleted.contains(&s.name) || plan.skipped.iter().any(|k| k.name == s.name);
        assert_eq!(due, listed, "{:?}: due {due}, listed {listed}", s.name);
        if due && !f.blocked() && s.snaptime > 0 {
            assert!(deleted.contains(&s.name), "{:?} due but not deleted", s.name);
        }
    }
}

/// Reads `nowMs` as the core does (only after the core accepted it).
pub fn now(v: &Value) -> i64 {
    lifetime::now_from_value(v).expect("accepted nowMs reads")
}
