//! Operator commands (run by `aistudio-ctl`), never reachable through the API.

use crate::domain::Email;
use crate::store::{Role, Store, StoreError};

/// Why an operator command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The command line is wrong.
    #[error("{0}")]
    Usage(String),
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Gives the account with `email` the role `role`; returns a line describing the change.
pub async fn grant_role(store: &Store, email: &str, role: &str) -> Result<String, CommandError> {
    let email = Email::parse("email", email).map_err(|e| CommandError::Usage(e.to_string()))?;
    let role = Role::parse(role).ok_or_else(|| {
        CommandError::Usage(format!("unknown role {role:?} (user, operator or admin)"))
    })?;
    let user = store
        .users()
        .set_role(email.as_str(), role)
        .await?
        .ok_or_else(|| CommandError::Usage(format!("no account with email {}", email.as_str())))?;
    tracing::info!(user_id = %user.id, role = role.as_str(), "role granted by operator");
    Ok(format!("{} is now {}", email.as_str(), role.as_str()))
}
