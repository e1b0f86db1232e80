//! Writing the audit log: one entry per operator action, whatever its outcome (refused
//! attempts that never reach an action are written by `refusals`).

use aistudio_jobs::store::{AuditEntry, AuditOutcome};
use chrono::Utc;

use crate::auth::Operator;
use crate::error::AdminError;
use crate::state::AdminState;

/// Records that `operator` did `action` on `target`, with its outcome and details.
pub async fn record(
    state: &AdminState,
    operator: &Operator,
    action: &str,
    target: &str,
    outcome: AuditOutcome,
    detail: &str,
) -> Result<(), AdminError> {
    let user = &operator.user;
    let entry = AuditEntry {
        id: aistudio_jobs::store::random_value(),
        at: Utc::now(),
        actor_id: user.id.clone(),
        actor_email: user.email.clone(),
        action: action.to_string(),
        target: target.to_string(),
        outcome,
        detail: detail.to_string(),
        address: Some(operator.address.to_string()),
        reason: None,
        repeats: 1,
        discard_at: None,
    };
    state.store.audit_log().record(&entry).await?;
    tracing::info!(
        actor = %user.id, action, target, outcome = outcome.as_str(), "operator action"
    );
    Ok(())
}
