//! The overview's alert for queues that nothing serves: jobs are due and no consumer is live
//! (none heartbeated within the orphan window), so publishing, or whatever the queue does, has
//! stopped. The live counts carry the same facts, and `admin.js` redraws the alert from them
//! with the same words.

use aistudio_jobs::queue::consumers::QueueLiveness;

use crate::html::esc;

/// `n` due jobs that nothing takes, in words.
fn jobs_due(n: u64) -> String {
    if n == 1 {
        "1 job is due and nothing will take it".to_string()
    } else {
        format!("{n} jobs are due and nothing will take them")
    }
}

/// One alert line for an unattended queue.
fn alert_line(queue: &QueueLiveness, orphan_after_secs: i64) -> String {
    format!(
        "<p class=\"alert-item\" data-queue=\"{q}\" data-due=\"{n}\"><strong>No live consumer on {q}:</strong> \
         {due} (no consumer heartbeated in the last {orphan_after_secs} s). \
         <a href=\"/admin/workers#consumers-{q}\">Consumers of {q}</a></p>",
        q = esc(&queue.queue),
        n = queue.due,
        due = jobs_due(queue.due),
    )
}

/// The alert region: always present (so assistive technology announces what appears in it
/// later), empty while every queue with due jobs has a live consumer.
pub fn queue_alerts(queues: &[QueueLiveness], orphan_after_secs: i64) -> String {
    let lines: String = queues
        .iter()
        .filter(|q| q.unattended)
        .map(|q| alert_line(q, orphan_after_secs))
        .collect();
    format!("<div id=\"queue-alerts\" class=\"alerts\" role=\"alert\">{lines}</div>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_unattended_queue_with_its_due_jobs_and_links_to_its_consumers() {
        let html = queue_alerts(
            &[
                QueueLiveness::new("publish", 1, 0, 3),
                QueueLiveness::new("canary", 0, 0, 1),
                QueueLiveness::new("maintenance", 1, 1, 4),
                QueueLiveness::new("token-refresh", 0, 0, 0),
            ],
            10,
        );
        assert!(html.contains(
            "<strong>No live consumer on publish:</strong> 3 jobs are due and nothing will take them \
             (no consumer heartbeated in the last 10 s)."
        ));
        assert!(html.contains(
            "<strong>No live consumer on canary:</strong> 1 job is due and nothing will take it (no"
        ));
        assert!(
            html.contains("href=\"/admin/workers#consumers-publish\">Consumers of publish</a>")
        );
        assert!(!html.contains("maintenance"), "it has a live consumer");
        assert!(!html.contains("token-refresh"), "nothing is due");
        assert!(html.starts_with("<div id=\"queue-alerts\" class=\"alerts\" role=\"alert\""));
    }

    #[test]
    fn the_region_is_there_and_empty_when_nothing_is_unattended() {
        assert_eq!(
            queue_alerts(&[QueueLiveness::new("publish", 1, 1, 3)], 10),
            "<div id=\"queue-alerts\" class=\"alerts\" role=\"alert\"></div>"
        );
    }
}
