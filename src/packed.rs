//! The bindings' fast lane for guest data: only the fields the rules read,
//! packed by the glue into one UTF-8 buffer and one column of numbers, and
//! results written back the same way.
//!
//! Serialising whole JS objects costs more than the expiry rule itself (the
//! fleet benchmark, issue 6): Proxmox's answers carry fields we never read,
//! and a JSON round trip builds and parses every one of them. Instead the
//! glue (the `pack*` functions in [`crate::bindings`]) reads the fields
//! below, checks their JS types, writes strings as UTF-8 into one buffer
//! (their byte lengths in the number column) and numbers into the column.
//! Anything it cannot carry exactly (a wrong type, a non-plain object, a
//! getter that throws) makes it give up, and the caller takes the JSON
//! lane, so errors stay identical. Here the columns become the same
//! `(key, Value)` fields the JSON lane would produce, in one arena, and the
//! same readers ([`Obj`], [`guest::snapshots_from_entries`]) check them.
//!
//! Fields no rule reads are checked for type by the glue and not sent:
//! `parent` always, and `description` when planning expiry (it reads as
//! empty there; the page gets it).
//!
//! Layouts (one number per field; a string's number is its byte length,
//! `-1` when absent; a number is itself and a boolean 0 or 1, `NaN` when
//! absent):
//! - a guest: [`TARGET`] fields (when asked for), [`STATUS`] fields, the
//!   number of snapshot entries, then [`SNAPSHOT`] fields per entry;
//! - one guest's call: [`POLICY`] fields, then the guest;
//! - a fleet: the number of guests, then each guest with its target (the
//!   policy, one for all, crosses as JSON).

use std::borrow::Cow;

use crate::error::{Blocked, Result};
use crate::guest::{self, Snapshot, VmStatus};
use crate::input::{Obj, Value};
use crate::page::Page;
use crate::plan::Expiry;
use crate::policy::Policy;
use crate::request::{Method, Param, Request};
use crate::target::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    /// A strict boolean: 0 or 1.
    Bool,
}

/// The fields read, in packing order; the glue writes the same order.
const POLICY: [(&str, Kind); 5] = [
    ("maxSnapshots", Kind::Num),
    ("lifetimeDays", Kind::Num),
    ("includeRam", Kind::Bool),
    ("namePrefix", Kind::Str),
    ("rollbackLatestOnly", Kind::Bool),
];
const TARGET: [(&str, Kind); 3] = [
    ("node", Kind::Str),
    ("vmid", Kind::Num),
    ("type", Kind::Str),
];
const STATUS: [(&str, Kind); 3] = [
    ("status", Kind::Str),
    ("lock", Kind::Str),
    ("template", Kind::Num),
];
const SNAPSHOT: [(&str, Kind); 5] = [
    ("name", Kind::Str),
    ("snaptime", Kind::Num),
    ("description", Kind::Str),
    ("vmstate", Kind::Num),
    ("snapstate", Kind::Str),
];

type Field<'t> = (Cow<'t, str>, Value<'t>);

/// Reads the columns front to back.
struct Columns<'t> {
    text: &'t str,
    nums: &'t [f64],
    at: usize,
    next: usize,
}

impl<'t> Columns<'t> {
    /// `None` when the text has a U+FFFD: the glue's encoder writes one for
    /// a lone surrogate, so it may not be what the host passed.
    fn new(text: &'t str, nums: &'t [f64]) -> Option<Self> {
        // Found bytewise (a `char` pattern would pull a substring searcher
        // into the module); ASCII text has none.
        let replacement =
            !text.is_ascii() && text.as_bytes().windows(3).any(|w| w == [0xEF, 0xBF, 0xBD]);
        (!replacement).then_some(Columns {
            text,
            nums,
            at: 0,
            next: 0,
        })
    }

    fn num(&mut self) -> Option<f64> {
        let n = *self.nums.get(self.next)?;
        self.next += 1;
        Some(n)
    }

    fn count(&mut self) -> Option<usize> {
        let n = self.num()?;
        (n >= 0.0 && n.fract() == 0.0 && n <= self.nums.len() as f64).then_some(n as usize)
    }

    /// The next `len` bytes of the text, ending on a character boundary.
    fn take(&mut self, len: usize) -> Option<&'t str> {
        let s = self.text.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(s)
    }

    fn fields(
        &mut self,
        schema: &[(&'static str, Kind)],
        arena: &mut Vec<Field<'t>>,
    ) -> Option<()> {
        for &(key, kind) in schema {
            let n = self.num()?;
            let value = match kind {
                Kind::Num if n.is_nan() => Value::Null,
                Kind::Num => Value::Number(n),
                Kind::Str if n == -1.0 => Value::Null,
                Kind::Str if n >= 0.0 && n.fract() == 0.0 => {
                    Value::String(Cow::Borrowed(self.take(n as usize)?))
                }
                Kind::Str => return None,
                Kind::Bool if n.is_nan() => Value::Null,
                Kind::Bool if n == 0.0 || n == 1.0 => Value::Bool(n == 1.0),
                Kind::Bool => return None,
            };
            arena.push((Cow::Borrowed(key), value));
        }
        Some(())
    }
}

/// Where one guest's fields sit in the arena.
#[derive(Debug, Clone, Copy)]
struct Span {
    target: usize,
    status: usize,
    snapshots: usize,
    entries: usize,
}

/// Guests read from packed columns; their strings borrow from the text.
#[derive(Debug)]
pub struct Guests<'t> {
    arena: Vec<Field<'t>>,
    /// Where the policy sits: one guest's call packs it, a fleet's does not.
    policy: Option<usize>,
    spans: Vec<Span>,
}

impl<'t> Guests<'t> {
    /// One guest with its policy (and its target, when `with_target`).
    pub fn one(text: &'t str, nums: &'t [f64], with_target: bool) -> Option<Self> {
        Self::read(Columns::new(text, nums)?, None, with_target)
    }

    /// A fleet: the count first, every guest with its target.
    pub fn fleet(text: &'t str, nums: &'t [f64]) -> Option<Self> {
        let mut c = Columns::new(text, nums)?;
        let count = c.count()?;
        Self::read(c, Some(count), true)
    }

    /// `None` when the columns do not hold exactly what the layout says.
    fn read(mut c: Columns<'t>, fleet: Option<usize>, with_target: bool) -> Option<Self> {
        let guests = fleet.unwrap_or(1);
        let mut arena = Vec::with_capacity(c.nums.len());
        let policy = if fleet.is_none() {
            c.fields(&POLICY, &mut arena)?;
            Some(0)
        } else {
            None
        };
        let mut spans = Vec::with_capacity(guests.min(c.nums.len()));
        for _ in 0..guests {
            let target = arena.len();
            if with_target {
                c.fields(&TARGET, &mut arena)?;
            }
            let status = arena.len();
            c.fields(&STATUS, &mut arena)?;
            let entries = c.count()?;
            let snapshots = arena.len();
            for _ in 0..entries {
                c.fields(&SNAPSHOT, &mut arena)?;
            }
            spans.push(Span {
                target,
                status,
                snapshots,
                entries,
            });
        }
        (c.next == c.nums.len() && c.at == c.text.len()).then_some(Guests {
            arena,
            policy,
            spans,
        })
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn span(&self, i: usize) -> Option<Span> {
        self.spans.get(i).copied()
    }

    /// The fields at `at..at + len`, or none (an index past the guests, or
    /// the policy of a fleet: the reader then says what is missing).
    fn obj(&self, name: &'static str, index: Option<usize>, at: usize, len: usize) -> Obj<'_> {
        let fields = at.checked_add(len).and_then(|end| self.arena.get(at..end));
        Obj::with_fields(name, index, fields.unwrap_or(&[]))
    }

    /// The policy packed with one guest.
    pub fn policy(&self) -> Result<Policy> {
        let at = self.policy.unwrap_or(usize::MAX);
        Policy::from_obj(&self.obj("policy", None, at, POLICY.len()))
    }

    pub fn target(&self, i: usize) -> Result<Target> {
        let at = self.span(i).map_or(usize::MAX, |s| s.target);
        Target::from_obj(&self.obj("target", None, at, TARGET.len()))
    }

    pub fn status(&self, i: usize) -> Result<VmStatus> {
        let at = self.span(i).map_or(usize::MAX, |s| s.status);
        VmStatus::from_obj(&self.obj("vmStatus", None, at, STATUS.len()))
    }

    pub fn snapshots(&self, i: usize) -> Result<Vec<Snapshot<'_>>> {
        let (at, entries) = self.span(i).map_or((0, 0), |s| (s.snapshots, s.entries));
        guest::check_list_len(entries)?;
        guest::snapshots_from_entries((0..entries).map(|j| {
            Ok(self.obj(
                "snapshots",
                Some(j),
                at + j * SNAPSHOT.len(),
                SNAPSHOT.len(),
            ))
        }))
    }
}

/// A result packed for the glue's decoders (`unpackExpiry`, `unpackPage`
/// in `PACK_JS`): the same order of fields as the JSON lane's objects.
#[derive(Debug, Default)]
pub struct Tape {
    pub text: String,
    pub nums: Vec<f64>,
}

impl Tape {
    fn str(&mut self, s: &str) {
        let units = if s.is_ascii() {
            s.len()
        } else {
            s.chars().map(char::len_utf16).sum()
        };
        self.nums.push(units as f64);
        self.text.push_str(s);
    }

    pub fn count(&mut self, n: usize) {
        self.nums.push(n as f64);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.nums.push(-1.0),
        }
    }

    fn flag(&mut self, b: bool) {
        self.nums.push(if b { 1.0 } else { 0.0 });
    }

    /// Integers only (times and counts, all far inside 2^53).
    fn opt_int(&mut self, n: Option<i64>) {
        self.nums.push(n.map_or(f64::NAN, |n| n as f64));
    }

    fn blocked(&mut self, b: &Option<Blocked>) {
        self.flag(b.is_some());
        if let Some(b) = b {
            self.str(b.code);
            self.str(&b.message);
        }
    }

    fn request(&mut self, r: &Request) {
        self.str(r.method.as_str());
        self.str(&r.path);
        self.nums.push(r.params.0.len() as f64);
        for (key, value) in &r.params.0 {
            self.str(key);
            match value {
                Param::Str(s) => {
                    self.flag(false);
                    self.str(s);
                }
                Param::Int(n) => {
                    self.flag(true);
                    self.nums.push(*n as f64);
                }
            }
        }
        self.opt_str(r.name.as_deref());
    }

    /// A plan's deletes share the guest's path, so a DELETE whose path is
    /// that base plus its unencoded name is sent as the name alone (1: with a
    /// new base first, 2: the previous base); anything else in full (0).
    /// That keeps the fleet's result text to about a third.
    pub fn expiry(&mut self, plan: &Expiry) {
        self.nums.push(plan.deletes.len() as f64);
        let mut base = None;
        for r in &plan.deletes {
            let short = r.name.as_deref().and_then(|name| {
                let b = r.path.strip_suffix(name).filter(|b| b.ends_with('/'))?;
                (r.method == Method::Delete && r.params.0.is_empty()).then_some((b, name))
            });
            match short {
                Some((b, name)) => {
                    if base == Some(b) {
                        self.nums.push(2.0);
                    } else {
                        self.nums.push(1.0);
                        self.str(b);
                        base = Some(b);
                    }
                    self.str(name);
                }
                None => {
                    self.nums.push(0.0);
                    self.request(r);
                }
            }
        }
        self.nums.push(plan.skipped.len() as f64);
        for s in &plan.skipped {
            self.str(&s.name);
            self.str(s.code);
            self.str(&s.message);
        }
    }

    pub fn page(&mut self, page: &Page) {
        let q = &page.quota;
        self.opt_int(Some(q.used.into()));
        self.opt_int(Some(q.limit.into()));
        self.str(&q.label);
        self.flag(q.can_create);
        self.blocked(&page.create_blocked);
        self.str(&page.vm.status);
        self.flag(page.vm.running);
        self.opt_str(page.vm.lock.as_deref());
        self.nums.push(page.rows.len() as f64);
        for r in &page.rows {
            self.str(&r.name);
            self.str(&r.description);
            self.opt_int(r.created_at);
            self.opt_int(r.expires_at);
            self.opt_int(r.remaining_seconds);
            self.opt_str(r.remaining_label.as_deref());
            self.flag(r.expired);
            self.flag(r.managed);
            self.flag(r.ram);
            self.opt_str(r.busy.as_deref());
            self.flag(r.can_rollback);
            self.blocked(&r.rollback_blocked);
            self.flag(r.can_remove);
            self.blocked(&r.remove_blocked);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const NAN: f64 = f64::NAN;

    #[rustfmt::skip]
    fn guest_columns() -> (String, Vec<f64>) {
        // policy {maxSnapshots: 3, lifetimeDays: 1, includeRam: false},
        // target pve1/101/lxc, status running, two entries: a foreign
        // snapshot with a non-ASCII name and a description, and `current`.
        let text = "pve1lxcrunningbéfore😀hi!currentYou are here!".to_owned();
        let nums = vec![
            3.0, 1.0, 0.0, -1.0, NAN, // policy: 0..5
            4.0, 101.0, 3.0, // target: 5..8
            7.0, -1.0, NAN, // status: 8..11
            2.0, // entries: 11
            11.0, 1_700_000_000.0, 3.0, 1.0, -1.0, // béfore😀 (11 bytes), "hi!": 12..17
            7.0, NAN, 13.0, NAN, -1.0, // current: 17..22
        ];
        (text, nums)
    }

    #[test]
    fn reads_what_the_json_lane_reads() {
        let (text, nums) = guest_columns();
        let g = Guests::one(&text, &nums, true).unwrap();
        assert_eq!(g.len(), 1);
        let p = g.policy().unwrap();
        assert_eq!(
            (p.max_snapshots, p.include_ram, p.name_prefix.as_str()),
            (3, false, "snap")
        );
        let t = g.target(0).unwrap();
        assert_eq!(
            (t.node.as_str(), t.vmid, t.guest.as_str()),
            ("pve1", 101, "lxc")
        );
        let s = g.status(0).unwrap();
        assert!(s.running && s.lock.is_none() && !s.template);
        let list = g.snapshots(0).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].name, list[0].description, list[0].ram),
            ("béfore😀", "hi!", true)
        );
        assert_eq!(list[0].snaptime, 1_700_000_000);
    }

    #[test]
    fn errors_name_the_field_like_the_json_lane() {
        let (text, mut nums) = guest_columns();
        nums[13] = 1.5; // snaptime of entry 0
        let g = Guests::one(&text, &nums, true).unwrap();
        assert_eq!(
            g.snapshots(0).unwrap_err().to_string(),
            "snapshots[0].snaptime: expected an integer, got a fraction"
        );
        nums[6] = 5.0; // vmid
        let g = Guests::one(&text, &nums, true).unwrap();
        assert_eq!(g.target(0).unwrap_err().code(), "INVALID_TARGET");
    }

    #[test]
    fn columns_that_do_not_add_up_are_refused() {
        let (text, nums) = guest_columns();
        assert!(Guests::one(&text, &nums, false).is_none());
        assert!(Guests::one(&text, &nums[..nums.len() - 1], true).is_none());
        assert!(Guests::one(&text[..text.len() - 1], &nums, true).is_none());
        let mut long = nums.clone();
        long[5] = 400.0;
        assert!(Guests::one(&text, &long, true).is_none());
        let mut not_bool = nums.clone();
        not_bool[2] = 2.0; // includeRam
        assert!(Guests::one(&text, &not_bool, true).is_none());
        let mut odd = nums.clone();
        odd[5] = 3.5;
        assert!(Guests::one(&text, &odd, true).is_none());
        assert!(Guests::one("pve1lxcrunning\u{FFFD}", &nums, true).is_none());
        // A length that ends inside a character.
        let mut split = nums;
        split[12] = 10.0;
        assert!(Guests::one(&text, &split, true).is_none());
        assert!(Guests::fleet("", &[]).is_none());
        let empty = Guests::fleet("", &[0.0]).unwrap();
        assert!(empty.is_empty());
        // A fleet carries no policy and has no guest 0: coded errors, no panic.
        assert_eq!(empty.policy().unwrap_err().code(), "INVALID_POLICY");
        assert_eq!(empty.target(0).unwrap_err().code(), "INVALID_TARGET");
        assert_eq!(empty.status(0).unwrap_err().code(), "INVALID_INPUT");
        assert!(empty.snapshots(0).unwrap().is_empty());
    }

    #[test]
    fn the_tape_counts_utf16_units() {
        let mut t = Tape::default();
        t.str("a😀é");
        t.opt_str(None);
        t.opt_int(None);
        t.flag(true);
        assert_eq!(t.text, "a😀é");
        assert_eq!(t.nums[..2], [4.0, -1.0]);
        assert!(t.nums[2].is_nan());
        assert_eq!(t.nums[3], 1.0);
    }
}
