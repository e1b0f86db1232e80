//! Every refused field of one request, so the user fixes them all at once instead of one per
//! round trip.

use super::FieldError;

/// The fields of one request that were refused, in the order they were checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// No refusal yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a refusal.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// The value of a check that passed; a failed one is recorded and gives `None`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// Records every refusal of `other` after these.
    pub fn extend(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }

    /// Whether nothing was refused.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` when nothing was refused, the refusals otherwise.
    pub fn or_value<T>(self, value: T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The refusals, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

impl IntoIterator for FieldErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_refusal_in_order() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.check(Ok::<_, FieldError>(1)), Some(1));
        assert!(errors.is_empty());
        assert_eq!(
            errors.check(Err::<u8, _>(FieldError::new("a", "bad"))),
            None
        );
        errors.extend(FieldError::new("b", "worse").into());
        let fields: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
        assert_eq!(fields, ["a", "b"]);
        assert_eq!(errors.to_string(), "a: bad; b: worse");
        assert!(errors.clone().or_value(()).is_err());
        assert_eq!(FieldErrors::new().or_value(7), Ok(7));
    }
}
