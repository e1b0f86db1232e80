//! Inline SVG charts: throughput and failure rate per minute from the workflow's event log,
//! and the publish-lateness histogram. Each chart carries a text summary for screen readers.

use aistudio_jobs::store::{StepOutcome, WorkflowEvent};
use chrono::{DateTime, Utc};

use crate::html::esc;

const W: f64 = 600.0;
const H: f64 = 160.0;
const PAD: f64 = 24.0;

/// Per-minute buckets of step attempts: (minute start, succeeded, errored).
pub fn per_minute(
    events: &[WorkflowEvent],
    from: DateTime<Utc>,
    minutes: usize,
) -> Vec<(DateTime<Utc>, u64, u64)> {
    let mut buckets: Vec<(DateTime<Utc>, u64, u64)> = (0..minutes)
        .map(|i| (from + chrono::Duration::minutes(i as i64), 0, 0))
        .collect();
    for event in events {
        let index = (event.started_at - from).num_minutes();
        if index < 0 || index as usize >= minutes {
            continue;
        }
        let bucket = &mut buckets[index as usize];
        match event.outcome {
            StepOutcome::Failed | StepOutcome::Retrying | StepOutcome::Parked => bucket.2 += 1,
            _ => bucket.1 += 1,
        }
    }
    buckets
}

/// Stacked bars (succeeded, errored) per minute with the failure rate as a line.
pub fn throughput_svg(buckets: &[(DateTime<Utc>, u64, u64)]) -> String {
    let max = buckets
        .iter()
        .map(|(_, ok, err)| ok + err)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = buckets.len().max(1) as f64;
    let bar = (W - 2.0 * PAD) / n;
    let mut shapes = String::new();
    let mut rate_points = Vec::new();
    let (mut total_ok, mut total_err) = (0, 0);
    for (i, (_, ok, err)) in buckets.iter().enumerate() {
        total_ok += ok;
        total_err += err;
        let x = PAD + i as f64 * bar;
        let h_ok = *ok as f64 / max * (H - 2.0 * PAD);
        let h_err = *err as f64 / max * (H - 2.0 * PAD);
        let base = H - PAD;
        if *ok > 0 {
            shapes.push_str(&format!(
                "<rect class=\"ok\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h_ok:.1}\"></rect>",
                base - h_ok,
                (bar - 1.0).max(1.0)
            ));
        }
        if *err > 0 {
            shapes.push_str(&format!(
                "<rect class=\"err\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h_err:.1}\"></rect>",
                base - h_ok - h_err,
                (bar - 1.0).max(1.0)
            ));
        }
        if ok + err > 0 {
            let rate = *err as f64 / (ok + err) as f64;
            rate_points.push(format!(
                "{:.1},{:.1}",
                x + bar / 2.0,
                base - rate * (H - 2.0 * PAD)
            ));
        }
    }
    let rate_line = if rate_points.len() > 1 {
        format!(
            "<polyline class=\"rate\" points=\"{}\"></polyline>",
            rate_points.join(" ")
        )
    } else {
        String::new()
    };
    let total = total_ok + total_err;
    let rate = if total > 0 {
        total_err as f64 * 100.0 / total as f64
    } else {
        0.0
    };
    let summary = format!(
        "{total} step attempts: {total_ok} succeeded or waited, {total_err} failed, retried or parked \
         ({rate:.1}% failure rate); busiest minute {} attempts",
        max as u64
    );
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"tp-title\">\
         <title id=\"tp-title\">{s}</title>\
         <line class=\"axis\" x1=\"{PAD}\" x2=\"{x2}\" y1=\"{b}\" y2=\"{b}\"></line>{shapes}{rate_line}\
         <text x=\"{PAD}\" y=\"14\">max {m} / min · red line: failure rate (top = 100%)</text></svg>\
         <p class=\"muted\" id=\"throughput-summary\">{s}</p>",
        s = esc(&summary),
        x2 = W - PAD,
        b = H - PAD,
        m = max as u64,
    )
}

/// Lateness buckets: label and upper bound in seconds.
const LATENESS: [(&str, i64); 7] = [
    ("< 10 s", 10),
    ("10–30 s", 30),
    ("30–60 s", 60),
    ("1–2 min", 120),
    ("2–5 min", 300),
    ("5–15 min", 900),
    ("> 15 min", i64::MAX),
];

/// Counts of lateness (`published_at - scheduled_at`) per bucket.
pub fn lateness_counts(times: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<(&'static str, u64)> {
    let mut counts: Vec<(&'static str, u64)> = LATENESS.iter().map(|(l, _)| (*l, 0)).collect();
    for (scheduled, published) in times {
        let late = (*published - *scheduled).num_seconds().max(0);
        let index = LATENESS
            .iter()
            .position(|(_, upper)| late < *upper)
            .unwrap_or(6);
        counts[index].1 += 1;
    }
    counts
}

/// The lateness histogram.
pub fn lateness_svg(counts: &[(&'static str, u64)]) -> String {
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let slot = (W - 2.0 * PAD) / counts.len().max(1) as f64;
    let mut shapes = String::new();
    for (i, (label, n)) in counts.iter().enumerate() {
        let h = *n as f64 / max * (H - 3.0 * PAD);
        let x = PAD + i as f64 * slot;
        shapes.push_str(&format!(
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\">{n}</text><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 4.0,
            H - 2.0 * PAD - h,
            slot - 8.0,
            x + 6.0,
            H - 2.0 * PAD - h - 3.0,
            x + 4.0,
            H - PAD + 4.0,
            esc(label),
        ));
    }
    let summary: Vec<String> = counts.iter().map(|(l, n)| format!("{l}: {n}")).collect();
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"late-title\">\
         <title id=\"late-title\">Publish lateness: {s}</title>{shapes}</svg>\
         <p class=\"muted\">{s}</p>",
        s = esc(&summary.join(", "))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lateness_falls_in_the_right_buckets() {
        let t = Utc::now();
        let s = chrono::Duration::seconds;
        let counts = lateness_counts(&[
            (t, t + s(3)),
            (t, t + s(45)),
            (t, t + s(3600)),
            (t, t - s(5)),
        ]);
        assert_eq!(counts[0], ("< 10 s", 2));
        assert_eq!(counts[2], ("30–60 s", 1));
        assert_eq!(counts[6], ("> 15 min", 1));
    }
}
