//! Rendering simulated timestamps the way the Graph API does (`2024-05-01T12:00:00+0000`).

/// Formats milliseconds since the Unix epoch as a Graph API timestamp (UTC).
pub(crate) fn graph_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+0000",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Formats milliseconds since the Unix epoch as RFC 3339 in UTC (`2024-05-01T12:00:00Z`).
pub(crate) fn rfc3339(ms: i64) -> String {
    graph_timestamp(ms).replace("+0000", "Z")
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::{graph_timestamp, rfc3339};

    #[test]
    fn formats_known_instants() {
        assert_eq!(graph_timestamp(0), "1970-01-01T00:00:00+0000");
        assert_eq!(graph_timestamp(951_782_400_000), "2000-02-29T00:00:00+0000");
        assert_eq!(
            graph_timestamp(1_714_564_800_000),
            "2024-05-01T12:00:00+0000"
        );
        assert_eq!(rfc3339(1_714_564_800_000), "2024-05-01T12:00:00Z");
    }
}
