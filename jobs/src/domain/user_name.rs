//! A person's display name.

use serde::{Deserialize, Serialize};

use super::{FieldError, check_visible_text};

/// A trimmed name of at most 100 characters that people can read (see [`check_visible_text`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserName(String);

impl UserName {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Trims and checks the name.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(field, "is longer than 100 characters"));
        }
        check_visible_text(field, name)?;
        Ok(Self(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_refuses_what_cannot_be_read() {
        assert_eq!(UserName::parse("name", " Ada ").unwrap().as_str(), "Ada");
        assert_eq!(
            UserName::parse("name", "  ").unwrap_err().message,
            "is required"
        );
        assert!(UserName::parse("name", &"a".repeat(101)).is_err());
        for bad in ["\u{200B}", "Ada\u{202E}x", "\u{2067}Ada", "Ada\u{0}"] {
            assert_eq!(
                UserName::parse("name", bad).unwrap_err().field,
                "name",
                "{bad:?}"
            );
        }
    }
}
