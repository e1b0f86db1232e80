//! Lenient JSON values: providers write ids and numbers sometimes as JSON numbers, sometimes
//! as strings (Instagram's `user_id`, ImgBB's `expiration`). Numbers are never routed through
//! `f64`, so 17-digit ids keep every digit.

use serde::Deserialize;

/// A JSON number or string.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum NumOrText {
    /// A non-negative integer.
    Unsigned(u64),
    /// A negative integer.
    Signed(i64),
    /// A string.
    Text(String),
}

impl NumOrText {
    /// The value as text (an id).
    pub(crate) fn into_text(self) -> String {
        match self {
            NumOrText::Unsigned(n) => n.to_string(),
            NumOrText::Signed(n) => n.to_string(),
            NumOrText::Text(t) => t,
        }
    }

    /// The value as an integer, when it is one (a numeric string counts).
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            NumOrText::Unsigned(n) => i64::try_from(*n).ok(),
            NumOrText::Signed(n) => Some(*n),
            NumOrText::Text(t) => t.trim().parse().ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NumOrText;

    #[test]
    fn keeps_every_digit_of_numeric_ids() {
        let id: NumOrText = serde_json::from_str("27640875392278831").expect("number");
        assert_eq!(id.into_text(), "27640875392278831");
        let id: NumOrText = serde_json::from_str("\"1784\"").expect("string");
        assert_eq!(id.as_i64(), Some(1784));
        let negative: NumOrText = serde_json::from_str("-2").expect("negative");
        assert_eq!(negative.as_i64(), Some(-2));
        assert!(serde_json::from_str::<NumOrText>("1.5").is_err());
    }
}
