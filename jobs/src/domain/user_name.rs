//! A person's display name.

use serde::{Deserialize, Serialize};

use super::FieldError;

/// A trimmed, non-empty name of at most 100 characters without control characters.
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
        if name.chars().any(char::is_control) {
            return Err(FieldError::new(field, "contains control characters"));
        }
        Ok(Self(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
