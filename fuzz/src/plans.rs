//! What a planned action must satisfy, checked against the inputs the core
//! accepted: the core may only describe a request its own rules allow.
//! Options are checked against the raw JSON the caller gave, so a reader
//! that misread a field shows up as a wrong request.

use chrono::{Datelike, Timelike};
use pve_snapshots::description;
use pve_snapshots::guest::{Snapshot, VmStatus};
use pve_snapshots::name;
use pve_snapshots::plan::Expiry;
use pve_snapshots::policy::Policy;
use pve_snapshots::request::{Method, Param, Request};
use pve_snapshots::target::{GuestType, Target};
use serde_json::Value;

use crate::check;
use crate::input::Guest;

/// The accepted inputs of a call, with the policy's defaults filled in.
pub struct Facts {
    pub target: Target,
    pub policy: Policy,
    pub vm: VmStatus,
    pub snapshots: Vec<Snapshot>,
}

impl Facts {
    pub fn of(g: &Guest) -> Facts {
        Facts {
            target: g.target.clone(),
            policy: g.policy.clone().into(),
            vm: g.vm.clone(),
            snapshots: g.snapshots.0.clone(),
        }
    }

    pub fn managed(&self, s: &Snapshot) -> bool {
        name::is_managed(&s.name, &self.policy.name_prefix)
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

    pub fn find(&self, name: &str) -> Option<&Snapshot> {
        self.snapshots.iter().find(|s| s.name == name)
    }

    pub fn expires_at(&self, s: &Snapshot) -> Option<i64> {
        (s.snaptime > 0).then(|| s.snaptime * 1000 + i64::from(self.policy.lifetime_days) * 86_400_000)
    }
}

/// Field `key` of a JSON object argument unless it is null (null and
/// absent mean the same to the core), `None` for any other argument.
pub fn option<'a>(options: &'a Value, key: &str) -> Option<&'a Value> {
    options.as_object()?.get(key).filter(|v| !v.is_null())
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
    let want_ram = match option(options, "includeRam") {
        Some(Value::Bool(b)) => *b,
        None => true,
        Some(other) => panic!("create accepted includeRam {other:?}"),
    };
    let vmstate = f.target.guest == GuestType::Qemu && f.vm.running() && f.policy.include_ram && want_ram;
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
fn touch<'a>(f: &'a Facts, name: &str, req: &Request) -> &'a Snapshot {
    assert!(name::validate("name", name, f.target.guest).is_ok(), "invalid name {name:?} planned");
    let snap = f.find(name).unwrap_or_else(|| panic!("{name:?} planned but absent"));
    assert!(f.managed(snap), "foreign snapshot {name:?} planned");
    assert!(!f.blocked(), "{name:?} planned while blocked");
    assert_eq!(req.name.as_deref(), Some(name));
    snap
}

pub fn rollback(f: &Facts, name: &str, options: &Value, req: &Request) {
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
        None => f.vm.running(),
        Some(other) => panic!("rollback accepted start {other:?}"),
    } && !snap.ram;
    let want: Vec<(&str, &Param)> = if start { vec![("start", &Param::Int(1))] } else { vec![] };
    assert_eq!(params(req), want);
}

pub fn remove(f: &Facts, name: &str, req: &Request) {
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
        assert!(check::CODES.contains(&skipped.code.as_str()));
        assert!(!skipped.message.is_empty() && skipped.message.len() <= check::MAX_MESSAGE);
        assert!(!deleted.contains(&skipped.name.as_str()), "{:?} both deleted and skipped", skipped.name);
    }
    // Nothing due is silently forgotten: it is deleted, or skipped with a reason.
    for s in f.snapshots.iter().filter(|s| f.managed(s)) {
        let due = f.expires_at(s).is_none_or(|at| now_ms >= at);
        let listed = deleted.contains(&s.name.as_str()) || plan.skipped.iter().any(|k| k.name == s.name);
        assert_eq!(due, listed, "{:?}: due {due}, listed {listed}", s.name);
        if due && !f.blocked() && s.snaptime > 0 {
            assert!(deleted.contains(&s.name.as_str()), "{:?} due but not deleted", s.name);
        }
    }
}
