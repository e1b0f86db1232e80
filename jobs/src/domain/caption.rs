//! Captions, checked the way Instagram counts: characters (Unicode scalar values), hashtags and
//! @mentions.

use serde::{Deserialize, Serialize};

use super::FieldError;

/// A caption Instagram will accept.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Caption(String);

impl Caption {
    /// Longest caption, in characters.
    pub const MAX_CHARS: usize = 2200;
    /// Most hashtags in one caption.
    pub const MAX_HASHTAGS: usize = 30;
    /// Most @mentions in one caption.
    pub const MAX_MENTIONS: usize = 20;

    /// Checks the limits; the text is kept as written (line breaks included).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!(
                    "has {chars} characters; Instagram allows at most {}",
                    Self::MAX_CHARS
                ),
            ));
        }
        if raw
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(FieldError::new(field, "contains control characters"));
        }
        let hashtags = count_tags(raw, '#');
        if hashtags > Self::MAX_HASHTAGS {
            return Err(FieldError::new(
                field,
                format!(
                    "has {hashtags} hashtags; Instagram allows at most {}",
                    Self::MAX_HASHTAGS
                ),
            ));
        }
        let mentions = count_tags(raw, '@');
        if mentions > Self::MAX_MENTIONS {
            return Err(FieldError::new(
                field,
                format!(
                    "mentions {mentions} accounts; Instagram allows at most {}",
                    Self::MAX_MENTIONS
                ),
            ));
        }
        Ok(Self(raw.to_string()))
    }

    /// The caption's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Occurrences of `sigil` that start a tag: followed by a word character and not preceded by
/// one, so `mail@example.com` is no mention and `C#` no hashtag. Every occurrence counts,
/// repeated tags included.
pub fn count_tags(text: &str, sigil: char) -> usize {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut previous: Option<char> = None;
    let mut chars = text.chars().peekable();
    let mut count = 0;
    while let Some(c) = chars.next() {
        if c == sigil && chars.peek().is_some_and(|&next| word(next)) && !previous.is_some_and(word)
        {
            count += 1;
        }
        previous = Some(c);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tags_as_instagram_does() {
        assert_eq!(count_tags("#a #b c#d # #_x #é", '#'), 4);
        assert_eq!(count_tags("hi @bob and mail@example.com @ x @bob", '@'), 2);
        assert_eq!(count_tags("##double", '#'), 1);
    }

    #[test]
    fn limits_name_the_rule() {
        assert!(Caption::parse("caption", &"é".repeat(2200)).is_ok());
        let long = Caption::parse("caption", &"é".repeat(2201)).unwrap_err();
        assert_eq!(long.field, "caption");
        assert!(long.message.contains("2201 characters"), "{}", long.message);
        let tags: String = (0..31).map(|i| format!("#t{i} ")).collect();
        assert!(
            Caption::parse("caption", &tags)
                .unwrap_err()
                .message
                .contains("31 hashtags")
        );
        let mentions: String = (0..21).map(|i| format!("@u{i} ")).collect();
        assert!(
            Caption::parse("caption", &mentions)
                .unwrap_err()
                .message
                .contains("21 accounts")
        );
        let ok: String = (0..20).map(|i| format!("@u{i} #t{i}\n")).collect();
        assert!(Caption::parse("caption", &ok).is_ok());
        assert!(Caption::parse("caption", "bell\u{7}").is_err());
    }
}
