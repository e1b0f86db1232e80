//! Writing the audit log: one entry per operator action, whatever its outcome.

use aistudio_jobs::store::{AuditEntry, AuditOutcome, User};
use chrono::Utc;

use crate::error::AdminError;
use crate::state::AdminState;

/// Records that `user` did `action` on `target`, with its outcome and details.
pub async fn record(
    state: &AdminState,
    user: &User,
    action: &str,
    target: &str,
    outcome: AuditOutcome,
    detail: &str,
) -> Result<(), AdminError> {
    let entry = AuditEntry {
        id: aistudio_jobs::store::random_value(),
        at: Utc::now(),
        actor_id: user.id.clone(),
        actor_email: user.email.clone(),
        action: action.to_string(),
        target: target.to_string(),
        outcome,
        detail: detail.to_string(),
    };
    state.store.audit_log().record(&entry).await?;
    tracing::info!(
        actor = %user.id, action, target, outcome = outcome.as_str(), "operator action"
    );
    Ok(())
}
