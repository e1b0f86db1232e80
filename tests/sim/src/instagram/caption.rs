//! Caption rules: at most 2200 characters, 30 hashtags and 20 @mentions.

use crate::graph_error::GraphError;

/// Longest caption, in characters.
pub(crate) const MAX_CHARS: usize = 2200;
/// Most hashtags.
pub(crate) const MAX_HASHTAGS: usize = 30;
/// Most @mentions.
pub(crate) const MAX_MENTIONS: usize = 20;

/// Checks a caption.
pub(crate) fn validate(caption: &str) -> Result<(), GraphError> {
    let chars = caption.chars().count();
    if chars > MAX_CHARS {
        return Err(GraphError::content(
            36004,
            2207010,
            "Caption is too long",
            &format!("The caption has {chars} characters; the limit is {MAX_CHARS}."),
        ));
    }
    let hashtags = count_tags(caption, '#');
    if hashtags > MAX_HASHTAGS {
        return Err(GraphError::content(
            36004,
            2207010,
            "Too many hashtags",
            &format!("The caption has {hashtags} hashtags; the limit is {MAX_HASHTAGS}."),
        ));
    }
    let mentions = count_tags(caption, '@');
    if mentions > MAX_MENTIONS {
        return Err(GraphError::content(
            100,
            2207040,
            "Too many mentions",
            &format!("The caption mentions {mentions} accounts; the limit is {MAX_MENTIONS}."),
        ));
    }
    Ok(())
}

/// Occurrences of `sigil` that start a tag: followed by a word character and not preceded
/// by one (so `mail@example.com` is not a mention).
fn count_tags(text: &str, sigil: char) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    (0..chars.len())
        .filter(|&i| {
            chars[i] == sigil
                && chars.get(i + 1).is_some_and(|&c| word(c))
                && (i == 0 || !word(chars[i - 1]))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::{count_tags, validate};

    #[test]
    fn counts_tags_not_emails() {
        assert_eq!(count_tags("#a #b c#d #", '#'), 2);
        assert_eq!(count_tags("hi @bob and mail@example.com @ x", '@'), 1);
    }

    #[test]
    fn limits() {
        assert!(validate(&"x".repeat(2200)).is_ok());
        assert_eq!(
            validate(&"é".repeat(2201)).map_err(|e| e.subcode),
            Err(Some(2207010))
        );
        let tags: String = (0..31).map(|i| format!("#t{i} ")).collect();
        assert!(validate(&tags).is_err());
        let mentions: String = (0..21).map(|i| format!("@u{i} ")).collect();
        assert_eq!(validate(&mentions).map_err(|e| e.code), Err(100));
        let ok: String = (0..20).map(|i| format!("@u{i} #t{i} ")).collect();
        assert!(validate(&ok).is_ok());
    }
}
