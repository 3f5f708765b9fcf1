//! `json::parse`, the boundary's fast path for the JSON text that
//! `JSON.stringify` makes of every argument: for any valid JSON it yields
//! exactly what a full JSON reader does, or `None` (then the exact
//! field-by-field walk reads the JS value); it never makes up a value from
//! text that is not JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pve_snapshots::json;
use pve_snapshots_fuzz::input;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let fast = json::parse(text);
    let full = input::json(data);
    if let Some(v) = &fast {
        let full = full.as_ref().unwrap_or_else(|| panic!("fast path read non-JSON {text:?} as {v:?}"));
        assert!(same(v, full), "fast path read {text:?} as {v:?}, JSON says {full:?}");
    }
});

/// Structural equality; numbers compare as f64 (JSON has no -0 of its own).
fn same(a: &pve_snapshots::Value<'_>, b: &pve_snapshots::Value<'_>) -> bool {
    use pve_snapshots::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => x == y,
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Object(x), Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, a), (kb, b))| ka == kb && same(a, b))
        }
        _ => a == b,
    }
}
