//! Fuzz bytes → the core's `Value` arguments.
//!
//! Bytes that parse as JSON are read as JSON, the shape Proxmox and the host
//! really send, so seeds are readable Proxmox data and mutations stay close
//! to it. Anything else drives a structured generator instead, which reaches
//! what JSON cannot spell: NaN, ±Infinity, -0, 2^53+1, control characters.

use arbitrary::Unstructured;
use pve_snapshots::Value;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// JSON read into a `Value` that keeps every object key, duplicates included
/// and in order (JS hands the core objects, serde_json's map would merge).
struct Json(Value<'static>);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json(Value::Null))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json(Value::Bool(b)))
    }
    // Rounded to f64 as JSON.parse does: 2^53+1 arrives as 2^53.
    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json(Value::Number(n as f64)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json(Value::Number(n as f64)))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(Json(Value::Number(n)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json(Value::String(s.to_owned().into())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(Json(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Json(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, Json(v))) = map.next_entry::<String, Json>()? {
            fields.push((k.into(), v));
        }
        Ok(Json(Value::Object(fields)))
    }
}

/// Parses JSON text into a `Value` (serde_json's nesting limit of 128 keeps
/// the stack safe).
pub fn json(data: &[u8]) -> Option<Value<'static>> {
    serde_json::from_slice::<Json>(data).ok().map(|j| j.0)
}

/// The arguments of a call with `N` parameters. JSON input is the argument
/// itself when `N == 1`, else an array of the arguments (missing ones are
/// `null`, as `undefined` is in JS).
pub fn args<const N: usize>(data: &[u8]) -> [Value<'static>; N] {
    match json(data) {
        Some(v) => spread(v),
        None => {
            let mut u = Unstructured::new(data);
            std::array::from_fn(|_| value(&mut u, 0).unwrap_or(Value::Null))
        }
    }
}

fn spread<const N: usize>(v: Value<'static>) -> [Value<'static>; N] {
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
    "backup", "snapshot", "prepare", "delete", "pending", "vzdump", "..", "../../qemu/101", "a/b",
    "a%2Fb", " snap", "\u{0}", "\r\n", "\u{FFFD}", "1",
    "UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam!panel:",
];

const NUMBERS: &[f64] = &[
    f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 1.0, -1.0, 0.5, 3.0, 10.0, 11.0, 99.0,
    100.0, 101.0, 9_007_199_254_740_991.0, 9_007_199_254_740_992.0, 9_007_199_254_740_993.0,
    f64::MAX, f64::MIN, f64::MIN_POSITIVE, f64::EPSILON, 1_795_606_200.0, 1_795_606_200_000.0,
    253_402_300_799.0, 253_402_300_800.0, 253_402_300_799_999.0, 253_402_300_800_000.0,
    999_999_999.0, 1e9, 4_294_967_296.0,
];

fn pick<T: Copy>(u: &mut Unstructured, list: &[T]) -> arbitrary::Result<T> {
    Ok(*u.choose(list)?)
}

fn number(u: &mut Unstructured) -> arbitrary::Result<f64> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => pick(u, NUMBERS)?,
        1 => f64::from(u.arbitrary::<i32>()?),
        2 => pick(u, NUMBERS)? + f64::from(u.int_in_range(-3i8..=3)?),
        _ => u.arbitrary()?,
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

/// A random `Value`, shallow enough to stay cheap.
pub fn value(u: &mut Unstructured, depth: u32) -> arbitrary::Result<Value<'static>> {
    let kinds = if depth >= 4 { 3u8 } else { 5 };
    Ok(match u.int_in_range(0..=kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Number(number(u)?),
        3 => Value::String(string(u)?.into()),
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
            let mut fields = Vec::with_capacity(n.into());
            for _ in 0..n {
                fields.push((key(u)?.into(), value(u, depth + 1)?));
            }
            Value::Object(fields)
        }
    })
}
