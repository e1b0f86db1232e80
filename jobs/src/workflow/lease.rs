//! Holding a workflow's lease while a step runs.
//!
//! Leases are short (`workflow.lease_secs`, 10 s by default), so a dead worker's workflows are
//! resumed within seconds; the worker running a step renews its lease every third of that.
//! A step whose lease was taken by another worker, or could not be confirmed before it ran out
//! (MongoDB unreachable), is cancelled: a worker that may no longer hold the lease stops
//! acting on the workflow, and its saves would be refused anyway (they are conditional on it).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::outcome::StepResult;
use crate::store::Workflows;

/// Runs `step` under `owner`'s lease on `post_id`'s workflow, renewing it a third of `lease`
/// after it was last confirmed (`confirmed`: when it was taken, saved or renewed; at once if
/// that is longer ago), then every third of `lease`. `confirmed` is kept up to date.
pub(super) async fn while_holding<F>(
    workflows: &Workflows,
    post_id: &str,
    owner: &str,
    lease: chrono::Duration,
    confirmed: &mut Instant,
    step: F,
) -> StepResult
where
    F: Future<Output = StepResult>,
{
    let length = lease.to_std().unwrap_or(Duration::from_secs(10));
    let renewals = async {
        let mut confirmed_until = *confirmed + length;
        let mut next = *confirmed + length / 3;
        loop {
            tokio::time::sleep_until(next).await;
            let asked = Instant::now();
            match workflows.renew(post_id, owner, lease).await {
                Ok(true) => {
                    confirmed_until = asked + length;
                    *confirmed = asked;
                    next = asked + length / 3;
                }
                Ok(false) => return "another worker holds the lease now".to_string(),
                Err(e) => {
                    tracing::warn!(post_id, error = %e, "could not renew a workflow lease");
                    // Stop before the lease may have run out: act only while it surely holds.
                    if Instant::now() + length / 3 >= confirmed_until {
                        return format!("the lease could not be renewed: {e}");
                    }
                    next = Instant::now() + length / 3;
                }
            }
        }
    };
    tokio::select! {
        result = step => result,
        why = renewals => {
            metrics::counter!("aistudio_workflow_leases_lost_total").increment(1);
            StepResult::Abandon(format!("step cancelled: {why}"))
        }
    }
}
