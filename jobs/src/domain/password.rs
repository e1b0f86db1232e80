//! Passwords as accepted at sign-up: long enough, and never longer than bcrypt really uses.

use super::FieldError;

/// A password that meets the policy. Its `Debug` output is redacted.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

impl Password {
    /// Shortest accepted password, in characters.
    pub const MIN_CHARS: usize = 10;
    /// bcrypt ignores everything past 72 bytes; longer passwords are refused, not truncated.
    pub const MAX_BYTES: usize = 72;

    /// Checks the policy.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(FieldError::new(
                field,
                format!(
                    "must be at most {} bytes (bcrypt ignores anything longer)",
                    Self::MAX_BYTES
                ),
            ));
        }
        Ok(Self(raw.to_string()))
    }

    /// The password's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules_count_bytes_for_the_upper_bound() {
        assert!(Password::parse("password", "short").is_err());
        assert!(Password::parse("password", &"a".repeat(72)).is_ok());
        assert!(Password::parse("password", &"a".repeat(73)).is_err());
        // 25 three-byte characters = 75 bytes: refused although only 25 characters long.
        assert!(Password::parse("password", &"€".repeat(25)).is_err());
        assert!(
            !format!("{:?}", Password::parse("p", "secret-password").unwrap()).contains("secret")
        );
    }
}
