//! Instants a listing's filter or cursor may name: far wider than any post's dates, but
//! bounded, so a hand-made `from=9999-...` or cursor is refused naming its parameter instead of
//! reaching the database.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::FieldError;

/// An instant between [`QueryTime::EARLIEST`] and [`QueryTime::LATEST`] (both included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryTime(DateTime<Utc>);

impl QueryTime {
    /// The earliest instant: 2000-01-01T00:00:00Z, in milliseconds since the epoch.
    pub const EARLIEST: i64 = 946_684_800_000;
    /// The latest instant: 2100-01-01T00:00:00Z, in milliseconds since the epoch.
    pub const LATEST: i64 = 4_102_444_800_000;

    /// Checks that `at` is in range.
    pub fn new(field: &str, at: DateTime<Utc>) -> Result<Self, FieldError> {
        if (Self::EARLIEST..=Self::LATEST).contains(&at.timestamp_millis()) {
            Ok(Self(at))
        } else {
            Err(Self::out_of_range(field))
        }
    }

    /// Parses an RFC 3339 time with an offset, in range.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let at = DateTime::parse_from_rfc3339(raw.trim())
            .map_err(|_| FieldError::new(field, "must be an RFC 3339 time with an offset"))?;
        Self::new(field, at.with_timezone(&Utc))
    }

    /// An instant given in milliseconds since the epoch, in range.
    pub fn from_millis(field: &str, millis: i64) -> Result<Self, FieldError> {
        if !(Self::EARLIEST..=Self::LATEST).contains(&millis) {
            return Err(Self::out_of_range(field));
        }
        Utc.timestamp_millis_opt(millis)
            .single()
            .map(Self)
            .ok_or_else(|| Self::out_of_range(field))
    }

    /// Checks that a whole calendar day (UTC) is in range: 2000-01-01 to 2099-12-31.
    pub fn day(field: &str, day: NaiveDate) -> Result<NaiveDate, FieldError> {
        let start = day.and_time(chrono::NaiveTime::MIN).and_utc();
        Self::new(field, start)?;
        Self::new(field, start + chrono::Duration::days(1))?;
        Ok(day)
    }

    /// The instant.
    pub fn at(self) -> DateTime<Utc> {
        self.0
    }

    fn out_of_range(field: &str) -> FieldError {
        FieldError::new(
            field,
            "must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_closed_and_named() {
        assert_eq!(
            QueryTime::from_millis("cursor", QueryTime::EARLIEST)
                .unwrap()
                .at()
                .to_rfc3339(),
            "2000-01-01T00:00:00+00:00"
        );
        assert_eq!(
            QueryTime::from_millis("cursor", QueryTime::LATEST)
                .unwrap()
                .at()
                .to_rfc3339(),
            "2100-01-01T00:00:00+00:00"
        );
        for millis in [
            QueryTime::EARLIEST - 1,
            QueryTime::LATEST + 1,
            -1,
            i64::MAX,
            i64::MIN,
        ] {
            let e = QueryTime::from_millis("cursor", millis).unwrap_err();
            assert_eq!(e.field, "cursor");
            assert!(e.message.contains("2100"), "{}", e.message);
        }
        assert!(QueryTime::parse("from", "2026-12-01T09:30:00+01:00").is_ok());
        for bad in [
            "9999-12-31T23:59:59-12:00",
            "0000-01-01T00:00:00Z",
            "1999-12-31T23:59:59Z",
            "2100-01-01T00:00:00-00:01",
            "yesterday",
        ] {
            assert_eq!(
                QueryTime::parse("from", bad).unwrap_err().field,
                "from",
                "{bad}"
            );
        }
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(QueryTime::day("to", day("2099-12-31")).is_ok());
        assert!(QueryTime::day("to", day("2100-01-01")).is_err());
        assert!(QueryTime::day("from", day("0000-01-01")).is_err());
    }
}
