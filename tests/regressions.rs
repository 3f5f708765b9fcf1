//! Inputs found by fuzzing (`fuzz/`, `scripts/fuzz.sh`) and by the JS
//! hostile-input suite (`www/test/hostile-*.test.mjs`), kept as tests so a
//! fixed bug stays fixed. A bug not fixed yet is `#[ignore = "bug: …"]`
//! (run them with `cargo test --test regressions -- --ignored`).
#![cfg(not(target_arch = "wasm32"))]

use pve_snapshots::json;

/// JSON.stringify never writes `\u+…`, but the fast path must not read text
/// that is not JSON as a value: `u32::from_str_radix` accepts a leading `+`.
#[test]
fn json_fast_path_refuses_a_signed_unicode_escape() {
    assert_eq!(json::parse(r#""\u+d056""#), None);
    assert_eq!(json::parse(r#""\u+041""#), None);
}

/// Large integers round to the nearest f64 as JSON.parse does (fuzzing first
/// flagged this against a reference that did not round correctly).
#[test]
fn json_fast_path_rounds_large_integers_like_javascript() {
    use pve_snapshots::Value;
    assert_eq!(
        json::parse("123456789012345678901"),
        Some(Value::Number(1.234_567_890_123_456_8e20))
    );
    assert_eq!(
        json::parse("9007199254740993"),
        Some(Value::Number(9_007_199_254_740_992.0))
    );
}
