//! When a post publishes: an RFC 3339 instant with an explicit offset, in the future but at
//! most [`ScheduleTime::HORIZON_DAYS`] ahead, and the IANA time zone the user sees it in.

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::FieldError;

/// A publication time in the future, within the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleTime(DateTime<Utc>);

impl ScheduleTime {
    /// How far ahead a post can be scheduled, in days (two years).
    pub const HORIZON_DAYS: i64 = 730;

    /// Parses `2026-12-01T09:30:00+01:00` (or `...Z`); refuses times without an offset, leap
    /// seconds (`:60`), times not after `now` and times more than [`Self::HORIZON_DAYS`] after it.
    pub fn parse(field: &str, raw: &str, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let at = DateTime::parse_from_rfc3339(raw.trim()).map_err(|_| {
            FieldError::new(
                field,
                "must be an RFC 3339 time with an offset, e.g. 2026-12-01T09:30:00+01:00",
            )
        })?;
        if at.nanosecond() >= 1_000_000_000 {
            return Err(FieldError::new(
                field,
                "is a leap second (:60); choose a time with seconds 00 to 59",
            ));
        }
        let at = at.with_timezone(&Utc);
        let latest = now + chrono::Duration::days(Self::HORIZON_DAYS);
        if at > latest {
            return Err(FieldError::new(
                field,
                format!(
                    "is too far ahead: posts can be scheduled at most {} days ahead (until {})",
                    Self::HORIZON_DAYS,
                    latest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ));
        }
        if at <= now {
            return Err(FieldError::new(
                field,
                format!(
                    "is in the past ({} is before the current time {})",
                    at.to_rfc3339(),
                    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ));
        }
        Ok(Self(at))
    }

    /// The instant.
    pub fn at(self) -> DateTime<Utc> {
        self.0
    }
}

/// An IANA time zone name such as `Europe/Paris`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Checks the name against the IANA database.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let tz: chrono_tz::Tz = raw.trim().parse().map_err(|_| {
            FieldError::new(
                field,
                "must be an IANA time zone name, e.g. Europe/Paris or UTC",
            )
        })?;
        Ok(Self(tz.name().to_string()))
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Self {
        Self("UTC".into())
    }

    /// The zone's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone, for conversions.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0.parse().unwrap_or(chrono_tz::UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_needs_an_offset_and_the_future() {
        let now: DateTime<Utc> = "2026-06-01T12:00:00Z".parse().unwrap();
        let at = ScheduleTime::parse("scheduled_at", "2026-06-01T13:30:00+02:00", now);
        assert!(at.is_err(), "11:30Z is in the past");
        let at = ScheduleTime::parse("scheduled_at", "2026-06-01T14:30:01+02:00", now).unwrap();
        assert_eq!(at.at().to_rfc3339(), "2026-06-01T12:30:01+00:00");
        assert!(ScheduleTime::parse("scheduled_at", "2026-06-02T10:00:00", now).is_err());
        assert!(ScheduleTime::parse("scheduled_at", "tomorrow", now).is_err());
        let past = ScheduleTime::parse("scheduled_at", "2026-06-01T12:00:00Z", now).unwrap_err();
        assert!(past.message.contains("in the past"));
    }

    #[test]
    fn schedule_stays_within_the_horizon_and_refuses_leap_seconds() {
        let now: DateTime<Utc> = "2026-06-01T12:00:00Z".parse().unwrap();
        let last = ScheduleTime::parse("scheduled_at", "2028-05-31T12:00:00Z", now).unwrap();
        assert_eq!(last.at(), now + chrono::Duration::days(730));
        for far in [
            "2028-05-31T12:00:01Z",
            "9999-12-31T23:59:59-12:00",
            "9999-12-31T23:59:59+14:00",
        ] {
            let e = ScheduleTime::parse("scheduled_at", far, now).unwrap_err();
            assert_eq!(e.field, "scheduled_at");
            assert!(e.message.contains("730 days"), "{far}: {}", e.message);
        }
        let leap = ScheduleTime::parse("scheduled_at", "2026-06-30T23:59:60Z", now).unwrap_err();
        assert!(leap.message.contains("leap second"), "{}", leap.message);
        assert!(ScheduleTime::parse("scheduled_at", "0000-01-01T00:00:00Z", now).is_err());
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZoneName::parse("time_zone", "Europe/Paris")
                .unwrap()
                .as_str(),
            "Europe/Paris"
        );
        assert!(TimeZoneName::parse("time_zone", "Mars/Olympus").is_err());
        assert!(TimeZoneName::parse("time_zone", "+02:00").is_err());
    }
}
