//! Names and labels people read: they must show something, and must not hide or reorder what
//! is shown. Refused: control characters (C0, C1, line and paragraph separators), the
//! bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can
//! make `invoice\u{202E}gpj.exe` display as `invoiceexe.jpg`, and text made only of whitespace
//! and invisible characters (zero-width spaces and joiners, word joiners, byte-order marks,
//! fillers). Invisible characters inside visible text stay allowed: emoji sequences need the
//! zero-width joiner.

use super::FieldError;

/// Whether `c` is a bidirectional embedding, override or isolate.
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is a control character: C0, DEL, C1, or a line or paragraph separator.
fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Whether `c` shows nothing: whitespace, format characters and fillers.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || is_control(c)
        || is_direction_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Checks that `text` is a name or label people can read; the message says what is wrong.
pub fn check_visible_text(field: &str, text: &str) -> Result<(), FieldError> {
    if text.chars().any(is_direction_control) {
        return Err(FieldError::new(
            field,
            "contains a text direction override (U+202A-U+202E or U+2066-U+2069)",
        ));
    }
    if text.chars().any(is_control) {
        return Err(FieldError::new(field, "contains control characters"));
    }
    if text.chars().all(is_invisible) {
        return Err(FieldError::new(field, "must contain visible characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_hidden_and_reordering_characters() {
        for ok in ["Ada", "مريم", "Zoë 👩‍👩‍👧", "a\u{200B}b", "株式会社"] {
            assert!(check_visible_text("name", ok).is_ok(), "{ok:?}");
        }
        let bidi = check_visible_text("name", "invoice\u{202E}gpj.exe").unwrap_err();
        assert_eq!(bidi.field, "name");
        assert!(bidi.message.contains("direction"), "{}", bidi.message);
        assert!(check_visible_text("name", "\u{2066}x\u{2069}").is_err());
        assert!(check_visible_text("name", "a\u{7}").is_err());
        assert!(check_visible_text("name", "a\u{85}").is_err());
        assert!(check_visible_text("name", "a\u{2028}b").is_err());
        for invisible in [
            "",
            " ",
            "\u{200B}\u{200D}",
            "\u{3164}",
            "\u{FEFF}\u{2060}",
            "\u{E0041}",
        ] {
            let e = check_visible_text("name", invisible).unwrap_err();
            assert!(
                e.message.contains("visible"),
                "{invisible:?}: {}",
                e.message
            );
        }
    }
}
