//! The optional text a customer gives a snapshot.
//!
//! Proxmox sets no length limit on a snapshot description (the only limit is
//! the 1 MiB config file, shared with everything else), so we cap it at
//! 8192 characters, the limit Proxmox uses for a guest's own description.
//! Proxmox stores it as comment lines, so newlines and tabs survive; other
//! control characters are refused, and CRLF (what browsers submit from a
//! textarea) becomes LF so the text round-trips unchanged.

use crate::error::{Result, SnapshotError};

pub const MAX_DESCRIPTION_CHARS: usize = 8192;

pub fn normalize(field: &str, text: &str) -> Result<String> {
    let invalid = |reason: String| SnapshotError::InvalidDescription {
        field: field.to_owned(),
        reason,
    };
    let text = text.replace("\r\n", "\n");
    let count = text.chars().count();
    if count > MAX_DESCRIPTION_CHARS {
        return Err(invalid(format!(
            "is {count} characters long; at most {MAX_DESCRIPTION_CHARS} are allowed"
        )));
    }
    if let Some((i, c)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && *c != '\n' && *c != '\t')
    {
        return Err(invalid(format!(
            "contains the control character U+{:04X} at position {i}",
            c as u32
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn accepts_text_newlines_and_tabs() {
        assert_eq!(
            normalize("d", "Before <b>upgrade</b>\r\n\tdone ✓").unwrap(),
            "Before <b>upgrade</b>\n\tdone ✓"
        );
        assert_eq!(
            normalize("d", &"é".repeat(MAX_DESCRIPTION_CHARS))
                .unwrap()
                .chars()
                .count(),
            MAX_DESCRIPTION_CHARS
        );
    }

    #[test]
    fn refuses_control_characters_and_long_text() {
        for bad in ["a\u{0}b", "a\rb", "\u{1b}[31m", "a\u{7f}", "\u{85}"] {
            let err = normalize("options.description", bad).unwrap_err();
            assert_eq!(err.code(), "INVALID_DESCRIPTION");
            assert!(
                err.to_string()
                    .starts_with("options.description: contains the control character"),
                "{err}"
            );
        }
        let err = normalize("d", &"x".repeat(MAX_DESCRIPTION_CHARS + 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d: is 8193 characters long; at most 8192 are allowed"
        );
    }
}
