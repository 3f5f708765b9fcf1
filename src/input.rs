//! Reading untrusted outside data (the host's arguments, Proxmox's JSON)
//! into typed arguments, with a refusal that names the field.
//!
//! Every argument is read by [`read`] from any serde deserializer (the JS
//! values at the boundary, JSON text in tests and fuzzing). The typed
//! structs use the field readers below rather than serde's own, so a wrong
//! value gives a short message that never echoes the value itself
//! (`snapshots[2].snaptime: expected an integer, got a boolean`), and the
//! refusal's code follows the argument it came from ([`refusal`]).

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{Result, SnapshotError};

/// Largest integer a JS number holds exactly (2^53 − 1).
pub const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;
/// Longest reason kept from a deserializer's own message.
const MAX_REASON: usize = 200;

/// Reads argument `arg` as a `T`; a refusal names the field by its path
/// below `arg` (`policy.lifetimeDays`, `snapshots[2].name`).
pub fn read<'de, T, D>(arg: &str, deserializer: D) -> Result<T>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let mut field = arg.to_owned();
        let path = e.path().to_string();
        if path != "." {
            if !path.starts_with('[') {
                field.push('.');
            }
            field.push_str(&path);
        }
        let message = e.into_inner().to_string();
        // serde-wasm-bindgen's errors are JS `Error`s and print as such.
        let message = message.strip_prefix("Error: ").unwrap_or(&message);
        // serde reports a missing field at its parent; name the field itself.
        match message
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
        {
            Some(key) => refusal(format!("{field}.{key}"), "is required".into()),
            None => refusal(field, escape(&own_words(message), MAX_REASON, false)),
        }
    })
}

/// serde's type errors in the words of the field readers below:
/// `invalid type: map, expected an array` → `expected an array, got an object`.
fn own_words(message: &str) -> String {
    let (got, expected) = if let Some(rest) = message.strip_prefix("invalid type: ") {
        let Some((got, expected)) = rest.split_once(", expected ") else {
            return message.to_owned();
        };
        let kind = match got.split([' ', '`']).next().unwrap_or_default() {
            "boolean" => "a boolean",
            "integer" | "floating" => "a number",
            "string" | "char" => "a string",
            "unit" | "null" | "Option" => "null",
            "sequence" => "an array",
            "map" => "an object",
            _ => "something else",
        };
        (kind, expected)
    } else if let Some(rest) = message.strip_prefix("invalid length ") {
        match rest.split_once(", expected ") {
            Some((_, expected)) => ("an array", expected),
            None => return message.to_owned(),
        }
    } else {
        return message.to_owned();
    };
    format!("expected {expected}, got {got}")
}

/// The refusal for a bad value at `field`, coded by the argument it is in:
/// a policy's fields are `INVALID_POLICY`, a target's or a task id's
/// `INVALID_TARGET`, and so on; Proxmox's own data is `INVALID_INPUT`.
pub fn refusal(field: String, reason: String) -> SnapshotError {
    let arg = field
        .split(|c| c == '.' || c == '[')
        .next()
        .unwrap_or_default();
    match arg {
        "policy" => SnapshotError::InvalidPolicy { field, reason },
        "target" | "upid" | "node" => SnapshotError::InvalidTarget { field, reason },
        "name" => SnapshotError::InvalidName { field, reason },
        "description" => SnapshotError::InvalidDescription { field, reason },
        "options" if field == "options.description" => {
            SnapshotError::InvalidDescription { field, reason }
        }
        _ => SnapshotError::InvalidInput { field, reason },
    }
}

/// A required string argument: a snapshot name, a task id, a node.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Text(#[serde(deserialize_with = "text")] pub String);

/// A field path that names outside keys, made safe to print.
pub fn quote_field(path: &str) -> String {
    escape(path, MAX_REASON, false)
}

/// Shortens outside text for inclusion in an error message.
pub fn quote(s: &str) -> String {
    format!("'{}'", escape(s, 48, true))
}

/// Printable ASCII stays, everything else becomes `\u{..}`: plain to read
/// in a log, unable to fake a line or a terminal sequence, and without the
/// Unicode tables `char::escape_debug` would add to the module. At most
/// `max` characters, then `…`. `quoted` text also escapes `'` and `\\`.
fn escape(s: &str, max: usize, quoted: bool) -> String {
    let mut out = String::new();
    for c in s.chars().take(max) {
        match c {
            '\'' | '\\' if quoted => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// What a field expects, and how leniently it reads: our own arguments are
/// strict, Proxmox's answers are read the way Proxmox writes them.
#[derive(Clone, Copy)]
enum Want {
    /// A whole number in range; Proxmox's Perl encoder writes a number as a
    /// string when the scalar was last used as one (`"snaptime": "1700000000"`),
    /// so `pve` also takes a plain decimal string.
    Integer { min: i64, max: i64, pve: bool },
    Text,
    /// `true` or `false`.
    Flag,
    /// A boolean as Perl writes it: `0`/`1`, `true`/`false`, `"1"`, `"yes"`.
    PerlBool,
}

/// One field's value; `Null` when JSON `null` or JS `undefined`.
enum Field {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

impl Want {
    fn integer_in(self, n: i64) -> Result<Field, String> {
        match self {
            Want::Integer { min, max, .. } if n < min || n > max => {
                Err(format!("must be from {min} to {max}, got {n}"))
            }
            Want::Integer { .. } => Ok(Field::Int(n)),
            Want::PerlBool => Ok(Field::Bool(n != 0)),
            _ => Err(self.got("a number")),
        }
    }

    fn got(self, kind: &str) -> String {
        let expected = match self {
            Want::Integer { pve: false, .. } => "an integer",
            Want::Integer { pve: true, .. } => "an integer or a string of digits",
            Want::Text => "a string",
            Want::Flag => "true or false",
            Want::PerlBool => "a boolean (0/1)",
        };
        format!("expected {expected}, got {kind}")
    }
}

impl<'de> Visitor<'de> for Want {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.got("something else"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Field, E> {
        Ok(Field::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Field, E> {
        Ok(Field::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Field, E> {
        match self {
            Want::Flag | Want::PerlBool => Ok(Field::Bool(b)),
            _ => Err(E::custom(self.got("a boolean"))),
        }
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Field, E> {
        self.integer_in(n).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Field, E> {
        match i64::try_from(n) {
            Ok(n) if n <= MAX_SAFE_INTEGER => self.visit_i64(n),
            _ => self.visit_f64(n as f64),
        }
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Field, E> {
        let reason = if n.is_nan() {
            self.got("NaN")
        } else if n.is_infinite() {
            self.got("an infinite number")
        } else if let Want::PerlBool = self {
            return Ok(Field::Bool(n != 0.0));
        } else if !matches!(self, Want::Integer { .. }) {
            self.got("a number")
        } else if n.fract() != 0.0 {
            self.got("a fraction")
        } else if n.abs() > MAX_SAFE_INTEGER as f64 {
            // Printed as words: formatting floats would double the size of the
            // module, and beyond 2^53 the digits are not exact anyway.
            let Want::Integer { min, max, .. } = self else {
                return Err(E::custom(self.got("a number")));
            };
            format!("must be from {min} to {max}, got a number beyond 2^53")
        } else {
            // Exact: n is whole and within ±2^53.
            return self.visit_i64(n as i64);
        };
        Err(E::custom(reason))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Field, E> {
        self.visit_string(s.to_owned())
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Field, E> {
        match self {
            Want::Text => Ok(Field::Text(s)),
            Want::Integer { pve: true, .. }
                if !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                // At most 16 digits, so it parses and stays below 2^63.
                self.visit_i64(s.parse().unwrap_or(i64::MAX))
            }
            Want::PerlBool => match s.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(Field::Bool(true)),
                "" | "0" | "false" | "no" | "off" => Ok(Field::Bool(false)),
                _ => Err(E::custom(format!("{} is not a boolean (0/1)", quote(&s)))),
            },
            Want::Integer { pve: true, .. } => Err(E::custom(format!(
                "{} is not a whole number of digits",
                quote(&s)
            ))),
            _ => Err(E::custom(self.got("a string"))),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Field, A::Error> {
        Err(de::Error::custom(self.got("an array")))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Field, A::Error> {
        Err(de::Error::custom(self.got("an object")))
    }
}

fn field<'de, D: Deserializer<'de>>(d: D, want: Want) -> Result<Field, D::Error> {
    d.deserialize_any(want)
}

fn required<E: de::Error>(f: Field) -> Result<Field, E> {
    match f {
        Field::Null => Err(E::custom("is required")),
        f => Ok(f),
    }
}

/// A whole number in `MIN..=MAX`, required (null counts as missing).
pub fn integer<'de, const MIN: i64, const MAX: i64, D: Deserializer<'de>>(
    d: D,
) -> Result<i64, D::Error> {
    let want = Want::Integer {
        min: MIN,
        max: MAX,
        pve: false,
    };
    match required(field(d, want)?)? {
        Field::Int(n) => Ok(n),
        _ => Err(de::Error::custom(want.got("something else"))),
    }
}

/// An integer field of Proxmox's (`snaptime`), absent or null as 0.
pub fn pve_integer<'de, const MIN: i64, const MAX: i64, D: Deserializer<'de>>(
    d: D,
) -> Result<i64, D::Error> {
    let want = Want::Integer {
        min: MIN,
        max: MAX,
        pve: true,
    };
    match field(d, want)? {
        Field::Int(n) => Ok(n),
        _ => Ok(0),
    }
}

/// A required string.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match required(field(d, Want::Text)?)? {
        Field::Text(s) => Ok(s),
        _ => Err(de::Error::custom(Want::Text.got("something else"))),
    }
}

/// An optional string; null and absent read as `None`.
pub fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match field(d, Want::Text)? {
        Field::Text(s) => Ok(Some(s)),
        _ => Ok(None),
    }
}

/// An optional `true`/`false`.
pub fn optional_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match field(d, Want::Flag)? {
        Field::Bool(b) => Ok(Some(b)),
        _ => Ok(None),
    }
}

/// A Perl boolean of Proxmox's; absent or null is false.
pub fn perl_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match field(d, Want::PerlBool)? {
        Field::Bool(b) => Ok(b),
        _ => Ok(false),
    }
}

/// A status, lock or snapstate: Proxmox writes short lowercase words
/// (`running`, `snapshot-delete`, `prepare`). Anything else is refused
/// rather than echoed into messages and the page. Empty means none.
pub fn state_word<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    const MAX: usize = 32;
    let Some(word) = optional_text(d)?.filter(|w| !w.is_empty()) else {
        return Ok(None);
    };
    if word.len() > MAX
        || !word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(de::Error::custom(format!(
            "{} is not a Proxmox state word (lowercase letters, digits, '-', '_', at most {MAX})",
            quote(&word)
        )));
    }
    Ok(Some(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase", expecting = "an object")]
    struct Probe {
        #[serde(default, deserialize_with = "pve_integer::<0, 10, _>")]
        pve: i64,
        #[serde(default, deserialize_with = "optional_flag")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "perl_bool")]
        perl: bool,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(expecting = "an object")]
    struct Strict {
        #[serde(deserialize_with = "integer::<1, 10, _>")]
        n: i64,
    }

    fn strict(json: &str) -> Result<Strict> {
        read("p", serde_json::from_str::<serde_json::Value>(json).unwrap())
    }

    fn probe(json: &str) -> Result<Probe> {
        read("x", serde_json::from_str::<serde_json::Value>(json).unwrap())
    }

    #[test]
    fn integers_refuse_fractions_strings_and_out_of_range() {
        for (json, message) in [
            (r#"{"n": 1.5}"#, "p.n: expected an integer, got a fraction"),
            (r#"{"n": "3"}"#, "p.n: expected an integer, got a string"),
            (r#"{"n": 11}"#, "p.n: must be from 1 to 10, got 11"),
            (r#"{"n": 1e300}"#, "p.n: must be from 1 to 10, got a number beyond 2^53"),
            (r#"{"n": null}"#, "p.n: is required"),
            (r#"{}"#, "p.n: is required"),
            (r#"{"n": [1]}"#, "p.n: expected an integer, got an array"),
            (r#""x""#, "p: expected an object, got a string"),
            (r#"[]"#, "p: expected an object, got an array"),
            (r#"null"#, "p: expected an object, got null"),
            (r#"2.5"#, "p: expected an object, got a number"),
        ] {
            let err = strict(json).unwrap_err();
            assert_eq!(err.code(), "INVALID_INPUT");
            assert_eq!(err.to_string(), message, "{json}");
        }
        assert_eq!(strict(r#"{"n": 10.0}"#).unwrap().n, 10);
    }

    #[test]
    fn proxmox_integers_may_be_digit_strings() {
        assert_eq!(probe(r#"{"pve": "7"}"#).unwrap().pve, 7);
        assert_eq!(probe(r#"{"pve": null}"#).unwrap().pve, 0);
        for (json, message) in [
            (r#"{"pve": "-7"}"#, "x.pve: '-7' is not a whole number of digits"),
            (r#"{"pve": " 7"}"#, "x.pve: ' 7' is not a whole number of digits"),
            (r#"{"pve": "12"}"#, "x.pve: must be from 0 to 10, got 12"),
            (r#"{"pve": "99999999999999999999"}"#, "x.pve: '99999999999999999999' is not a whole number of digits"),
            (r#"{"pve": true}"#, "x.pve: expected an integer or a string of digits, got a boolean"),
        ] {
            assert_eq!(probe(json).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn booleans_strict_for_us_lenient_for_perl() {
        let p = probe(r#"{"flag": false, "perl": "yes"}"#).unwrap();
        assert_eq!((p.flag, p.perl), (Some(false), true));
        assert!(!probe(r#"{"perl": 0}"#).unwrap().perl);
        assert_eq!(
            probe(r#"{"flag": 1}"#).unwrap_err().to_string(),
            "x.flag: expected true or false, got a number"
        );
        assert_eq!(
            probe(r#"{"perl": "maybe"}"#).unwrap_err().to_string(),
            "x.perl: 'maybe' is not a boolean (0/1)"
        );
    }

    #[test]
    fn codes_follow_the_argument() {
        let code = |f: &str| refusal(f.into(), "r".into()).code();
        assert_eq!(code("policy.maxSnapshots"), "INVALID_POLICY");
        assert_eq!(code("target"), "INVALID_TARGET");
        assert_eq!(code("upid.node"), "INVALID_TARGET");
        assert_eq!(code("node"), "INVALID_TARGET");
        assert_eq!(code("name"), "INVALID_NAME");
        assert_eq!(code("options.description"), "INVALID_DESCRIPTION");
        assert_eq!(code("description"), "INVALID_DESCRIPTION");
        assert_eq!(code("options.includeRam"), "INVALID_INPUT");
        assert_eq!(code("snapshots[2].name"), "INVALID_INPUT");
        assert_eq!(code("policyx"), "INVALID_INPUT");
    }

    #[test]
    fn quote_escapes_and_truncates() {
        assert_eq!(quote("a\nb"), "'a\\nb'");
        assert_eq!(quote("é'\u{1b}"), "'\\u{e9}\\'\\u{1b}'");
        assert_eq!(quote(&"x".repeat(100)), format!("'{}…'", "x".repeat(48)));
    }
}
