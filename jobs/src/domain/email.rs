//! Email addresses, normalised (trimmed, lower-cased) so that uniqueness means something.

use serde::{Deserialize, Serialize};

use super::FieldError;

/// A normalised email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Longest accepted address (RFC 5321 path limit).
    pub const MAX_LEN: usize = 254;

    /// Trims, lower-cases and checks the shape `local@domain.tld`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let bad = |m: &str| Err(FieldError::new(field, m));
        if email.is_empty() {
            return bad("is required");
        }
        if email.len() > Self::MAX_LEN {
            return bad("is longer than 254 characters");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return bad("is not an email address");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty()
            || !domain_ok
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
            || domain.contains('@')
        {
            return bad("is not an email address");
        }
        Ok(Self(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses_malformed_addresses() {
        assert_eq!(
            Email::parse("email", "  Ada@Example.COM ")
                .unwrap()
                .as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.com",
            "ada@.example.com",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad:?} accepted");
        }
    }
}
