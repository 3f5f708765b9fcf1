//! Reads the JSON text that `JSON.stringify` hands over at the boundary.
//!
//! Only the part of JSON that carries our arguments faithfully is read:
//! integers, strings, booleans, `null`, arrays and objects. A fraction, an
//! exponent, an escaped surrogate (a lone surrogate in the JS string) or
//! nesting deeper than the limit yield `None`, and the caller reads the JS
//! value the exact, slower way. That keeps float parsing out of the module
//! (it would cost more than the rest of the rules) without ever guessing.

use std::borrow::Cow;

use crate::input::Value;

pub const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    text: &'a str,
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> Option<()> {
        self.s
            .get(self.i..self.i + lit.len())
            .filter(|w| *w == lit)?;
        self.i += lit.len();
        Some(())
    }

    fn value(&mut self, depth: usize) -> Option<Value<'a>> {
        self.skip_ws();
        match self.peek()? {
            b'n' => self.eat(b"null").map(|_| Value::Null),
            b't' => self.eat(b"true").map(|_| Value::Bool(true)),
            b'f' => self.eat(b"false").map(|_| Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' if depth < MAX_DEPTH => {
                self.i += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(Value::Array(items));
                        }
                        _ => return None,
                    }
                }
            }
            b'{' if depth < MAX_DEPTH => {
                self.i += 1;
                let mut fields = Vec::new();
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(Value::Object(fields));
                }
                loop {
                    self.skip_ws();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    let key = self.string()?;
                    self.skip_ws();
                    self.eat(b":")?;
                    fields.push((key, self.value(depth + 1)?));
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(Value::Object(fields));
                        }
                        _ => return None,
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    /// `-?(0|[1-9][0-9]*)` up to 21 digits (JSON.stringify writes integers
    /// below 1e21 in full); converted with correct rounding, so exact for
    /// every integer a JS number holds.
    fn integer(&mut self) -> Option<Value<'a>> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let start = self.i;
        let mut n: u128 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n * 10 + u128::from(d - b'0');
            self.i += 1;
            if self.i - start > 21 {
                return None;
            }
        }
        let digits = self.i - start;
        if digits == 0
            || (digits > 1 && self.s[start] == b'0')
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let x = n as f64;
        Some(Value::Number(if negative { -x } else { x }))
    }

    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.i += 1; // opening quote
        let start = self.i;
        let rest = self.s.get(start..)?;
        let end = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if rest[end] == b'"' {
            // Quotes are ASCII, so both ends are character boundaries.
            let s = Cow::Borrowed(self.text.get(start..start + end)?);
            self.i = start + end + 1;
            return Some(s);
        }
        self.i = start;
        self.escaped_string().map(Cow::Owned)
    }

    fn escaped_string(&mut self) -> Option<String> {
        let mut out = Vec::new();
        loop {
            let start = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.extend_from_slice(&self.s[start..self.i]);
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    // The input is a &str and we only split at ASCII bytes.
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    self.i += 1;
                    let c = match self.peek()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hex =
                                std::str::from_utf8(self.s.get(self.i + 1..self.i + 5)?).ok()?;
                            // Hex digits only: `from_str_radix` alone would take a '+'.
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return None;
                            }
                            let code = u32::from_str_radix(hex, 16).ok()?;
                            self.i += 4;
                            // JSON.stringify escapes only lone surrogates among
                            // non-control characters: let the exact path refuse them.
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    self.i += 1;
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                _ => return None,
            }
        }
    }
}

/// Parses one JSON value, or `None` when the text is outside the subset.
pub fn parse(text: &str) -> Option<Value<'_>> {
    let mut p = Parser {
        text,
        s: text.as_bytes(),
        i: 0,
    };
    let value = p.value(0)?;
    p.skip_ws();
    (p.i == text.len()).then_some(value)
}

#[cfg(test)]
mod tests {
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn reads_what_json_stringify_writes() {
        let v = parse(r#"{"a":[null,true,false,-3,0,9007199254740992,"é😀\"\\\n\u0001"],"__proto__":{},"":[]}"#).unwrap();
        assert_eq!(
            v,
            Value::Object(vec![
                (
                    "a".into(),
                    Value::Array(vec![
                        Value::Null,
                        Value::Bool(true),
                        Value::Bool(false),
                        (-3.0).into(),
                        0.0.into(),
                        9_007_199_254_740_992.0.into(),
                        "é😀\"\\\n\u{1}".into(),
                    ])
                ),
                ("__proto__".into(), Value::Object(vec![])),
                ("".into(), Value::Array(vec![])),
            ])
        );
        assert_eq!(
            parse("123456789012345678901"),
            Some(Value::Number(123_456_789_012_345_678_901.0))
        );
    }

    #[test]
    fn leaves_everything_else_to_the_exact_path() {
        for text in [
            "",
            "1.5",
            "1e3",
            "-",
            "01",
            "1234567890123456789012",
            r#""\ud800""#,
            r#""\udc00x""#,
            "[1,]",
            "{\"a\" 1}",
            "{1:2}",
            "nul",
            "[1] x",
            "\"a",
            "\"\u{1}\"",
            r#""\x""#,
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(parse(&deep), None);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_some());
    }
}
