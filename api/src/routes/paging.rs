//! Cursor pagination shared by the listings: a page ends with an opaque cursor naming the
//! last item's sort key and id, and the next page starts strictly after it, so items added or
//! removed meanwhile never make a page repeat or skip one.

use aistudio_jobs::domain::QueryTime;
use chrono::{DateTime, Utc};

use crate::error::ApiError;

/// Items per page when the caller does not say.
pub const DEFAULT_LIMIT: usize = 20;
/// Most items per page.
pub const MAX_LIMIT: usize = 100;

/// The `limit` parameter, checked.
pub fn page_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT as u32).contains(&n) => Ok(n as usize),
        Some(_) => Err(ApiError::Validation {
            field: "limit".into(),
            message: format!("must be between 1 and {MAX_LIMIT}"),
        }),
    }
}

/// A position in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last item seen.
    pub at: DateTime<Utc>,
    /// Its id.
    pub id: String,
}

impl Cursor {
    /// The position of an item.
    pub fn new(at: DateTime<Utc>, id: &str) -> Self {
        Self {
            at,
            id: id.to_string(),
        }
    }

    /// The cursor as sent to clients: `<milliseconds>.<id>`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at.timestamp_millis(), self.id)
    }

    /// Parses a cursor from a previous page; its time must be a [`QueryTime`].
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::Validation {
            field: "cursor".into(),
            message: "is not a cursor from a previous page".into(),
        };
        let (millis, id) = raw.split_once('.').ok_or_else(bad)?;
        let millis = millis.parse::<i64>().map_err(|_| bad())?;
        let at = QueryTime::from_millis("cursor", millis)?.at();
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        Ok(Self::new(at, id))
    }
}

/// The `cursor` parameter, checked: the position after which the page starts.
pub fn cursor_param(raw: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    raw.map(Cursor::parse).transpose()
}

/// Ends a page read with one item more than `limit`: drops that extra item, and gives the
/// cursor of the page's last item (whose position `position` tells) when there was one.
pub fn end_page<T>(
    items: &mut Vec<T>,
    limit: usize,
    position: impl Fn(&T) -> Cursor,
) -> Option<String> {
    if items.len() <= limit {
        return None;
    }
    items.truncate(limit);
    Some(
        items
            .last()
            .map(|item| position(item).encode())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        use chrono::TimeZone;
        let at = Utc.timestamp_millis_opt(1_780_000_000_123).unwrap();
        let cursor = Cursor::new(at, "abc123");
        assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
        for bad in [
            "",
            "x",
            "12",
            "12.",
            "a.b",
            "1780000000123.a$b",
            "-1.abc",
            "8000000000000000.abc",
            "-8000000000000000.abc",
            "253402300800000.abc",
        ] {
            assert!(Cursor::parse(bad).is_err(), "{bad:?}");
        }
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(101)).is_err());
        assert_eq!(page_limit(None).unwrap(), DEFAULT_LIMIT);
    }

    #[test]
    fn a_page_ends_with_the_cursor_of_its_last_item_only_when_more_follow() {
        let at = |s| DateTime::from_timestamp(s, 0).unwrap();
        let position = |(s, id): &(i64, &str)| Cursor::new(at(*s), id);
        let mut full = vec![(3, "c"), (2, "b"), (1, "a")];
        assert_eq!(
            end_page(&mut full, 2, position),
            Some(Cursor::new(at(2), "b").encode())
        );
        assert_eq!(full, [(3, "c"), (2, "b")]);
        let mut last = vec![(2, "b"), (1, "a")];
        assert_eq!(end_page(&mut last, 2, position), None);
        assert_eq!(last.len(), 2);
    }
}
