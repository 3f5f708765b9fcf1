//! Fuzz bytes → the JSON arguments of a call, read into the core's typed
//! arguments the way the bindings read them.
//!
//! Bytes that parse as JSON are read as JSON (serde_json, into a `Value`),
//! the shape Proxmox and the host really send, so seeds are readable Proxmox
//! data and mutations stay close to it. Anything else drives a structured
//! generator of `Value`s instead, which reaches at once what random text
//! rarely spells: -0, 2^53+1, integers beyond i64, control characters, the
//! keys the core reads. NaN and ±Infinity have no JSON form; in JS they are
//! refused before Rust reads anything (src/plain.js, tested by the JS suites).

use std::borrow::Cow;

use arbitrary::Unstructured;
use pve_snapshots::error::Result;
use pve_snapshots::guest::{Snapshots, VmStatus};
use pve_snapshots::input::{self, Text};
use pve_snapshots::policy::PolicyInput;
use pve_snapshots::target::Target;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

/// Reads argument `name` as a `T`, as the bindings do for the JS argument of
/// that name.
pub fn read<T: DeserializeOwned>(name: &str, value: &Value) -> Result<T> {
    input::read(name, as_in_js(name, value).as_ref())
}

/// The arguments (and list entries) the core reads as structs. serde_json
/// fills a struct from an array too, field by field in order; serde-wasm-bindgen
/// reads a JS array like any object, by field name, and an array has none of
/// them. So an array there is read as `{}`, which is what JS sees.
fn as_in_js<'a>(name: &str, value: &'a Value) -> Cow<'a, Value> {
    let empty = || Value::Object(Map::new());
    match value {
        Value::Array(_) if matches!(name, "target" | "policy" | "vmStatus" | "options" | "status") => {
            Cow::Owned(empty())
        }
        Value::Array(items) if name == "snapshots" && items.iter().any(Value::is_array) => Cow::Owned(
            Value::Array(items.iter().map(|v| if v.is_array() { empty() } else { v.clone() }).collect()),
        ),
        _ => Cow::Borrowed(value),
    }
}

/// A required string argument (`name`, `upid`, `node`).
pub fn text(name: &str, value: &Value) -> Result<String> {
    read::<Text>(name, value).map(|t| t.0)
}

/// The guest arguments of the planning calls, `target, policy, vmStatus,
/// snapshots`, read in that order as the bindings read them.
#[derive(Clone)]
pub struct Guest {
    pub target: Target,
    pub policy: PolicyInput,
    pub vm: VmStatus,
    pub snapshots: Snapshots,
}

impl Guest {
    pub fn read(target: &Value, policy: &Value, vm: &Value, snapshots: &Value) -> Result<Guest> {
        Ok(Guest {
            target: read("target", target)?,
            policy: read("policy", policy)?,
            vm: read("vmStatus", vm)?,
            snapshots: read("snapshots", snapshots)?,
        })
    }
}

/// Parses JSON text (serde_json's nesting limit of 128 keeps the stack safe).
/// Duplicate keys keep the last value, as `JSON.parse` does.
pub fn json(data: &[u8]) -> Option<Value> {
    serde_json::from_slice(data).ok()
}

/// The arguments of a call with `N` parameters. JSON input is the argument
/// itself when `N == 1`, else an array of the arguments (missing ones are
/// `null`, as `undefined` is in JS).
pub fn args<const N: usize>(data: &[u8]) -> [Value; N] {
    match json(data) {
        Some(v) => spread(v),
        None => {
            let mut u = Unstructured::new(data);
            std::array::from_fn(|_| value(&mut u, 0).unwrap_or(Value::Null))
        }
    }
}

fn spread<const N: usize>(v: Value) -> [Value; N] {
    if N == 1 {
        let mut v = Some(v);
        return std::array::from_fn(|_| v.take().unwrap_or(Value::Null));
    }
    let mut items = match v {
        Value::Array(items) => items.into_iter(),
        other => vec![other].into_iter(),
    };
    std::array::from_fn(|_| items.next().unwrap_or(Value::Null))
}

/// Keys the core reads, so generated objects often hit real fields.
const KEYS: &[&str] = &[
    "name", "snaptime", "vmstate", "snapstate", "description", "parent", "status", "lock",
    "template", "exitstatus", "maxSnapshots", "lifetimeDays", "includeRam", "namePrefix",
    "rollbackLatestOnly", "node", "vmid", "type", "start", "__proto__", "constructor",
];

const WORDS: &[&str] = &[
    "", "current", "snap", "snap20261125T113000", "snap20261124T090000-2", "pve1", "qemu", "lxc",
    "running", "stopped", "OK", "WARNINGS: 2", "VM is locked (backup)", "CT is locked (snapshot)",
    "backup", "snapshot", "suspended", "prepare", "delete", "pending", "vzdump", "..",
    "../../qemu/101", "a/b", "a%2Fb", " snap", "\u{0}", "\r\n", "\u{FFFD}", "1", "yes",
    "1795606200", "0001795606200",
    "UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam!panel:",
];

const FLOATS: &[f64] = &[
    -0.0, 0.5, 9_007_199_254_740_992.0, 9_007_199_254_740_993.0, f64::MAX, f64::MIN,
    f64::MIN_POSITIVE, f64::EPSILON, 1e9, 1_795_606_200.5,
];

const INTEGERS: &[i64] = &[
    0, 1, -1, 3, 10, 11, 99, 100, 101, 9_007_199_254_740_991, 9_007_199_254_740_992,
    9_007_199_254_740_993, 1_795_606_200, 1_795_606_200_000, 253_402_300_799,
    253_402_300_800, 253_402_300_799_999, 253_402_300_800_000, 999_999_999, 1_000_000_000,
    4_294_967_296, i64::MAX, i64::MIN,
];

fn pick<T: Copy>(u: &mut Unstructured, list: &[T]) -> arbitrary::Result<T> {
    Ok(*u.choose(list)?)
}

fn float(n: f64) -> Value {
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}

fn number(u: &mut Unstructured) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0u8..=5)? {
        0 => pick(u, INTEGERS)?.into(),
        1 => pick(u, INTEGERS)?.saturating_add(u.int_in_range(-3..=3)?).into(),
        2 => u.arbitrary::<i32>()?.into(),
        3 => u64::MAX.into(),
        4 => float(pick(u, FLOATS)?),
        _ => float(u.arbitrary()?),
    })
}

fn string(u: &mut Unstructured) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => pick(u, WORDS)?.to_owned(),
        1 => format!("{}{}", pick(u, WORDS)?, u.arbitrary::<String>()?),
        _ => u.arbitrary()?,
    })
}

fn key(u: &mut Unstructured) -> arbitrary::Result<String> {
    if u.ratio(3u8, 4u8)? {
        Ok(pick(u, KEYS)?.to_owned())
    } else {
        u.arbitrary()
    }
}

/// A random JSON value, shallow enough to stay cheap.
pub fn value(u: &mut Unstructured, depth: u32) -> arbitrary::Result<Value> {
    let kinds = if depth >= 4 { 3u8 } else { 5 };
    Ok(match u.int_in_range(0..=kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => number(u)?,
        3 => Value::String(string(u)?),
        4 => {
            let n = u.int_in_range(0u8..=6)?;
            let mut items = Vec::with_capacity(n.into());
            for _ in 0..n {
                items.push(value(u, depth + 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let n = u.int_in_range(0u8..=6)?;
            let mut fields = Map::new();
            for _ in 0..n {
                fields.insert(key(u)?, value(u, depth + 1)?);
            }
            Value::Object(fields)
        }
    })
}
