//! Untrusted outside data (JS objects, Proxmox JSON) as a plain tree, and
//! typed reads from it that name the field when the data is wrong.
//!
//! The bindings turn a JS value into a [`Value`]; every rule reads its
//! arguments through [`Obj`] so a wrong type becomes `INVALID_INPUT` with a
//! path such as `snapshots[2].snaptime`, never a panic or serde's wording.

use std::borrow::Cow;

use crate::error::{Result, SnapshotError};

/// Largest integer a JS number holds exactly (2^53 − 1).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A JSON-like value. Objects keep their own keys in order; `undefined` and
/// `null` are both `Null` (a missing optional field). Strings borrow from the
/// boundary's JSON text where they can: a fleet-sized argument then costs
/// almost no allocations.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl Value<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(n) if n.is_nan() => "NaN",
            Value::Number(n) if n.is_infinite() => "an infinite number",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::String(Cow::Borrowed(s))
    }
}

impl From<f64> for Value<'_> {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

fn wrong(path: &str, expected: &str, got: &Value) -> SnapshotError {
    SnapshotError::input(path, format!("expected {expected}, got {}", got.kind()))
}

/// An object argument together with the path used in error messages; the
/// path is only spelled out when there is an error to report.
#[derive(Debug, Clone, Copy)]
pub struct Obj<'a> {
    name: &'a str,
    index: Option<usize>,
    fields: &'a [(Cow<'a, str>, Value<'a>)],
}

static EMPTY: [(Cow<'static, str>, Value<'static>); 0] = [];

impl<'a> Obj<'a> {
    /// Reads `value` as an object; `null`/`undefined` only when `optional`.
    pub fn new(name: &'a str, value: &'a Value<'a>, optional: bool) -> Result<Self> {
        Self::at(name, None, value, optional)
    }

    /// Element `index` of the array argument `name`, e.g. `snapshots[2]`.
    pub fn item(name: &'a str, index: usize, value: &'a Value<'a>) -> Result<Self> {
        Self::at(name, Some(index), value, false)
    }

    /// An object whose fields the caller already holds, e.g. `snapshots[2]`
    /// from the bindings' packed columns.
    pub fn with_fields(
        name: &'a str,
        index: Option<usize>,
        fields: &'a [(Cow<'a, str>, Value<'a>)],
    ) -> Self {
        Obj {
            name,
            index,
            fields,
        }
    }

    fn at(
        name: &'a str,
        index: Option<usize>,
        value: &'a Value<'a>,
        optional: bool,
    ) -> Result<Self> {
        match value {
            Value::Object(fields) => Ok(Obj {
                name,
                index,
                fields,
            }),
            Value::Null if optional => Ok(Obj {
                name,
                index,
                fields: &EMPTY,
            }),
            other => Err(wrong(
                &Obj {
                    name,
                    index,
                    fields: &EMPTY,
                }
                .path(),
                "an object",
                other,
            )),
        }
    }

    pub fn path(&self) -> String {
        match self.index {
            Some(i) => format!("{}[{i}]", self.name),
            None => self.name.to_owned(),
        }
    }

    pub fn field_path(&self, key: &str) -> String {
        if self.name.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path())
        }
    }

    /// The last own field called `key`; absent and `null` read the same.
    pub fn get(&self, key: &str) -> Option<&'a Value<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| same_key(k, key))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    pub fn string(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_ref())),
            Some(other) => Err(wrong(&self.field_path(key), "a string", other)),
        }
    }

    pub fn required_string(&self, key: &str) -> Result<&'a str> {
        self.string(key)?
            .ok_or_else(|| SnapshotError::input(self.field_path(key), "is required"))
    }

    /// A whole number in `min..=max`; fractions, NaN, ±Infinity and numeric
    /// strings are refused (a string where a number belongs is a bug upstream).
    pub fn integer(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => integer_of(v, min, max)
                .map(Some)
                .map_err(|reason| SnapshotError::input(self.field_path(key), reason)),
        }
    }

    pub fn required_integer(&self, key: &str, min: i64, max: i64) -> Result<i64> {
        self.integer(key, min, max)?
            .ok_or_else(|| SnapshotError::input(self.field_path(key), "is required"))
    }

    /// A strict boolean, for our own options and policy.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(wrong(&self.field_path(key), "true or false", other)),
        }
    }

    /// A boolean as Perl writes it (Proxmox sends `vmstate: 0|1`, sometimes
    /// strings); read leniently like Proxmox's own Rust types do.
    pub fn perl_bool(&self, key: &str) -> Result<bool> {
        let path = || self.field_path(key);
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::Number(n)) if n.is_finite() => Ok(*n != 0.0),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "" | "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(SnapshotError::input(path(), "expected a boolean (0/1)")),
            },
            Some(other) => Err(wrong(&path(), "a boolean (0/1)", other)),
        }
    }
}

/// Key equality, cheap for the common cases: the bindings' packed lane
/// stores the same static strings the readers ask for (equal pointers), and
/// most other keys differ in length or first byte. In wasm `memcmp` is a
/// plain byte loop, and guest data is read field by field.
#[inline]
fn same_key(k: &str, key: &str) -> bool {
    k.len() == key.len()
        && (k.as_ptr() == key.as_ptr() || k.bytes().zip(key.bytes()).all(|(a, b)| a == b))
}

/// Reads a number that must be a whole number in `min..=max`.
pub fn integer_value(path: &str, v: &Value, min: i64, max: i64) -> Result<i64> {
    integer_of(v, min, max).map_err(|reason| SnapshotError::input(path, reason))
}

/// The integer in `v`, or why it is not one in range.
fn integer_of(v: &Value, min: i64, max: i64) -> Result<i64, String> {
    let n = match v {
        Value::Number(n) if n.is_finite() => *n,
        other => return Err(format!("expected an integer, got {}", other.kind())),
    };
    if n.fract() != 0.0 {
        return Err("expected an integer, got a fraction".into());
    }
    if n.abs() > MAX_SAFE_INTEGER || n < min as f64 || n > max as f64 {
        // Printed as an integer: formatting floats would double the size of
        // the wasm module, and beyond 2^53 the digits are not exact anyway.
        let shown = if n.abs() > MAX_SAFE_INTEGER {
            "a number beyond 2^53".to_owned()
        } else {
            (n as i64).to_string()
        };
        return Err(format!("must be from {min} to {max}, got {shown}"));
    }
    // Exact: n is whole and within ±2^53.
    Ok(n as i64)
}

/// Reads an array argument; `null`/`undefined` are refused.
pub fn array_value<'a>(path: &str, v: &'a Value<'a>) -> Result<&'a [Value<'a>]> {
    match v {
        Value::Array(items) => Ok(items),
        other => Err(wrong(path, "an array", other)),
    }
}

/// Reads a string argument.
pub fn string_value<'a>(path: &str, v: &'a Value<'a>) -> Result<&'a str> {
    match v {
        Value::String(s) => Ok(s.as_ref()),
        other => Err(wrong(path, "a string", other)),
    }
}

/// Shortens outside text for inclusion in an error message.
/// Printable ASCII stays, everything else becomes `\u{..}`: plain to read
/// in a log, unable to fake a line or a terminal sequence, and without the
/// Unicode tables `char::escape_debug` would add to the module.
pub fn quote(s: &str) -> String {
    const MAX: usize = 48;
    let mut out = String::from("'");
    for c in s.chars().take(MAX) {
        match c {
            '\'' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    if s.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn obj(fields: &[(&str, Value<'static>)]) -> Value<'static> {
        Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string().into(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn integers_refuse_fractions_nan_infinity_and_strings() {
        let v = obj(&[
            ("a", 1.5.into()),
            ("b", f64::NAN.into()),
            ("c", f64::INFINITY.into()),
            ("d", "3".into()),
            ("e", 9_007_199_254_740_992.0.into()),
            ("f", (-0.0).into()),
        ]);
        let o = Obj::new("p", &v, false).unwrap();
        for key in ["a", "b", "c", "d", "e"] {
            let err = o.integer(key, i64::MIN, i64::MAX).unwrap_err();
            assert_eq!(err.code(), "INVALID_INPUT");
            assert!(err.to_string().starts_with(&format!("p.{key}:")), "{err}");
        }
        assert_eq!(o.integer("f", 0, 10).unwrap(), Some(0));
        assert_eq!(o.integer("missing", 0, 10).unwrap(), None);
    }

    #[test]
    fn range_errors_name_the_bounds() {
        let v = obj(&[("n", 11.0.into())]);
        let err = Obj::new("", &v, false)
            .unwrap()
            .integer("n", 1, 10)
            .unwrap_err();
        assert_eq!(err.to_string(), "n: must be from 1 to 10, got 11");
    }

    #[test]
    fn perl_booleans_are_read_leniently() {
        let v = obj(&[
            ("a", 1.0.into()),
            ("b", "0".into()),
            ("c", Value::Bool(true)),
            ("d", "maybe".into()),
        ]);
        let o = Obj::new("x", &v, false).unwrap();
        assert!(o.perl_bool("a").unwrap());
        assert!(!o.perl_bool("b").unwrap());
        assert!(o.perl_bool("c").unwrap());
        assert!(!o.perl_bool("absent").unwrap());
        assert_eq!(o.perl_bool("d").unwrap_err().code(), "INVALID_INPUT");
    }

    #[test]
    fn null_objects_only_where_optional() {
        assert!(Obj::new("o", &Value::Null, true).is_ok());
        let err = Obj::new("o", &Value::Null, false).unwrap_err();
        assert_eq!(err.to_string(), "o: expected an object, got null");
        let err = Obj::new("o", &Value::Array(vec![]), true).unwrap_err();
        assert_eq!(err.to_string(), "o: expected an object, got an array");
    }

    #[test]
    fn quote_escapes_and_truncates() {
        assert_eq!(quote("a\nb"), "'a\\nb'");
        assert_eq!(quote("é'\u{1b}"), "'\\u{e9}\\'\\u{1b}'");
        assert_eq!(quote(&"x".repeat(100)), format!("'{}…'", "x".repeat(48)));
    }
}
