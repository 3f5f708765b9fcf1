//! The bindings' packed lane (`src/packed.rs`) reads what the JSON lane
//! reads: whenever the glue would pack the arguments, `snapshotPage`,
//! `planExpiry` and `planExpiryBatch` over the packed columns answer exactly
//! like the `Value` path (the same result, or the same code and message).
//! The packing below follows the glue's rules in `src/bindings.rs`: plain
//! objects and arrays, a field of the wrong type means "not packable" (the
//! JSON lane takes the call). The raw bytes are also tried as columns of
//! their own, which must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::api::{self, BatchPlan};
use pve_snapshots::packed::Guests;
use pve_snapshots::{SnapshotError, Value};
use pve_snapshots_fuzz::{input, plans};

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Num,
    Bool,
    /// `true`/`false` or a finite number (Proxmox's 0/1).
    PerlBool,
    /// A string checked for type, sent as absent (the glue's `checkStr`
    /// then `num(-1)`: descriptions when planning expiry).
    Checked,
    /// A string checked for type and not sent at all (`parent`).
    Unsent,
}
use Kind::*;

const POLICY: &[(&str, Kind)] = &[
    ("maxSnapshots", Num),
    ("lifetimeDays", Num),
    ("includeRam", Bool),
    ("namePrefix", Str),
    ("rollbackLatestOnly", Bool),
];
const TARGET: &[(&str, Kind)] = &[("node", Str), ("vmid", Num), ("type", Str)];
const STATUS: &[(&str, Kind)] = &[("status", Str), ("lock", Str), ("template", PerlBool)];

#[derive(Default)]
struct Columns {
    text: String,
    nums: Vec<f64>,
}

impl Columns {
    fn fields(&mut self, v: &Value, schema: &[(&str, Kind)]) -> Option<()> {
        let Value::Object(_) = v else { return None };
        for &(key, kind) in schema {
            match (kind, plans::option(v, key)) {
                (Unsent, None | Some(Value::String(_))) => {}
                (Str | Checked, None) => self.nums.push(-1.0),
                (Num | Bool | PerlBool, None) => self.nums.push(f64::NAN),
                (Str, Some(Value::String(s))) => {
                    self.nums.push(s.len() as f64);
                    self.text.push_str(s);
                }
                (Checked, Some(Value::String(_))) => self.nums.push(-1.0),
                (Num | PerlBool, Some(Value::Number(n))) if n.is_finite() => self.nums.push(*n),
                (Bool | PerlBool, Some(Value::Bool(b))) => self.nums.push(f64::from(u8::from(*b))),
                _ => return None,
            }
        }
        Some(())
    }

    fn guest(
        &mut self,
        target: Option<&Value>,
        status: &Value,
        list: &Value,
        descriptions: bool,
    ) -> Option<()> {
        let Value::Array(entries) = list else {
            return None;
        };
        if entries.len() > 10_000 {
            return None;
        }
        if let Some(target) = target {
            self.fields(target, TARGET)?;
        }
        self.fields(status, STATUS)?;
        self.nums.push(entries.len() as f64);
        let description = if descriptions { Str } else { Checked };
        let snapshot = [
            ("name", Str),
            ("snaptime", Num),
            ("description", description),
            ("vmstate", PerlBool),
            ("parent", Unsent),
            ("snapstate", Str),
        ];
        for e in entries {
            self.fields(e, &snapshot)?;
        }
        Some(())
    }
}

fn outcome<T: PartialEq + std::fmt::Debug>(
    a: &Result<T, SnapshotError>,
    b: &Result<T, SnapshotError>,
    what: &str,
) {
    match (a, b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "{what}: results differ"),
        (Err(x), Err(y)) => assert_eq!(
            (x.code(), x.to_string()),
            (y.code(), y.to_string()),
            "{what}: errors differ"
        ),
        _ => panic!("{what}: JSON lane {a:?}, packed lane {b:?}"),
    }
}

/// Columns with a U+FFFD are refused (the glue's encoder writes one for a
/// lone surrogate); every other packing must be accepted.
fn read(c: &Columns, with_target: bool) -> Option<Guests<'_>> {
    let guests = Guests::one(&c.text, &c.nums, with_target);
    assert_eq!(
        guests.is_some(),
        !c.text.contains('\u{FFFD}'),
        "well-formed columns refused"
    );
    guests
}

fuzz_target!(|data: &[u8]| {
    // Any bytes as columns: refused or read, never a panic.
    let floats: Vec<f64> = data
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    let text = String::from_utf8_lossy(data);
    for guests in [
        Guests::one(&text, &floats, true),
        Guests::one(&text, &floats, false),
        Guests::fleet(&text, &floats),
    ]
    .into_iter()
    .flatten()
    {
        for i in 0..guests.len().min(4) {
            let _ = (guests.target(i), guests.status(i), guests.snapshots(i));
        }
        let _ = guests.policy();
    }

    let [target, policy, status, list, now] = input::args::<5>(data);

    let mut page = Columns::default();
    if page
        .fields(&policy, POLICY)
        .and_then(|_| page.guest(None, &status, &list, true))
        .is_some()
    {
        if let Some(g) = read(&page, false) {
            outcome(
                &api::snapshot_page(&policy, &status, &list, &now),
                &api::snapshot_page_packed(&g, &now),
                "snapshotPage",
            );
        }
    }

    let mut one = Columns::default();
    if one
        .fields(&policy, POLICY)
        .and_then(|_| one.guest(Some(&target), &status, &list, false))
        .is_some()
    {
        if let Some(g) = read(&one, true) {
            outcome(
                &api::plan_expiry(&target, &policy, &status, &list, &now),
                &api::plan_expiry_packed(&g, &now),
                "planExpiry",
            );
        }
    }

    // A fleet of the same guest twice: the batch answers entry by entry alike.
    let mut fleet = Columns {
        nums: vec![2.0],
        ..Columns::default()
    };
    if fleet.guest(Some(&target), &status, &list, false).is_some() {
        let mut second = Columns::default();
        second.guest(Some(&target), &status, &list, false);
        fleet.text.push_str(&second.text);
        fleet.nums.extend_from_slice(&second.nums);
        let g = Guests::fleet(&fleet.text, &fleet.nums);
        assert_eq!(
            g.is_some(),
            !fleet.text.contains('\u{FFFD}'),
            "well-formed fleet refused"
        );
        if let Some(g) = g {
            let vm = Value::Object(vec![
                ("target".into(), target.clone()),
                ("vmStatus".into(), status.clone()),
                ("snapshots".into(), list.clone()),
            ]);
            let json = api::plan_expiry_batch(&policy, vec![Ok(vm.clone()), Ok(vm)], &now);
            let packed = api::plan_expiry_batch_packed(&policy, &g, &now);
            let key = |r: &Result<Vec<BatchPlan>, SnapshotError>| {
                r.as_ref()
                    .map(|p| p.clone())
                    .map_err(|e| (e.code(), e.to_string()))
            };
            assert_eq!(key(&json), key(&packed), "planExpiryBatch: lanes differ");
        }
    }
});
