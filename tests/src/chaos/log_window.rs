//! What a worker process logged during a window: its warnings and errors (JSON log lines),
//! each with its offset from a reference time, repeated messages folded into one line with a
//! count. A failing soak prints this for the process whose consumer went longest without a
//! heartbeat, so the failure says what that process was doing.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// At most this many lines are kept; a longer window keeps its start and its end.
const MOST: usize = 80;

/// The warnings and errors `log` holds between `from` and `until`, as lines
/// `+<s> LEVEL target: message key=value...` with offsets from `zero`.
pub fn warnings_between(
    log: &Path,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    zero: DateTime<Utc>,
) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut lines: Vec<(String, usize)> = Vec::new();
    for entry in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        let Some(at) = entry["timestamp"]
            .as_str()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        else {
            continue;
        };
        let level = entry["level"].as_str().unwrap_or_default();
        if at < from || at > until || !matches!(level, "WARN" | "ERROR") {
            continue;
        }
        let what = describe(&entry);
        match lines.last_mut() {
            Some((last, n)) if last.ends_with(&what) => *n += 1,
            _ => lines.push((
                format!(
                    "{:+7.1} s  {what}",
                    (at - zero).num_milliseconds() as f64 / 1000.0
                ),
                1,
            )),
        }
    }
    let mut out: Vec<String> = lines
        .into_iter()
        .map(|(line, n)| {
            if n > 1 {
                format!("{line}  (x{n})")
            } else {
                line
            }
        })
        .collect();
    if out.len() > MOST {
        let omitted = out.len() - MOST;
        out.drain(MOST / 2..MOST / 2 + omitted);
        out.insert(MOST / 2, format!("... {omitted} lines left out ..."));
    }
    out
}

/// `LEVEL target: message key=value...` of one JSON log entry.
fn describe(entry: &Value) -> String {
    let mut what = format!(
        "{} {}: {}",
        entry["level"].as_str().unwrap_or_default(),
        entry["target"].as_str().unwrap_or_default(),
        entry["message"].as_str().unwrap_or_default()
    );
    if let Some(fields) = entry.as_object() {
        for (key, value) in fields {
            if matches!(key.as_str(), "timestamp" | "level" | "target" | "message") {
                continue;
            }
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            what.push_str(&format!(" {key}={value}"));
        }
    }
    what
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_warnings_in_the_window_and_folds_repeats() {
        let dir = std::env::temp_dir().join(format!("log-window-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("w.log");
        let line = |t: &str, level: &str, message: &str| {
            format!(
                r#"{{"timestamp":"2026-12-03T10:00:{t}Z","level":"{level}","message":"{message}","error":"timed out","target":"w"}}"#
            )
        };
        std::fs::write(
            &log,
            [
                line("01.000", "WARN", "too early"),
                line("05.000", "INFO", "not a warning"),
                line("06.000", "WARN", "poll failed"),
                line("07.000", "WARN", "poll failed"),
                line("08.500", "ERROR", "worker failed"),
                "not json".into(),
                line("30.000", "WARN", "too late"),
            ]
            .join("\n"),
        )
        .unwrap();
        let at = |s: u32| {
            DateTime::<Utc>::from_timestamp(1_796_292_000 + i64::from(s), 0).expect("time")
        };
        let lines = warnings_between(&log, at(2), at(20), at(0));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            lines,
            vec![
                "   +6.0 s  WARN w: poll failed error=timed out  (x2)".to_string(),
                "   +8.5 s  ERROR w: worker failed error=timed out".to_string(),
            ]
        );
    }
}
