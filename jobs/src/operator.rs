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
    /// The deletion could not be started.
    #[error("account deletion: {0}")]
    Deletion(String),
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

/// Re-seals every stored token sealed with an older key with the current key (after a new key
/// was added and made current); returns a line with the counts. Safe to run repeatedly and
/// while the system runs: each row is replaced only if its ciphertext did not change meanwhile.
pub async fn rotate_token_keys(
    store: &Store,
    vault: &crate::crypto::vault::Vault,
) -> Result<String, CommandError> {
    let current = vault
        .current_key_id()
        .ok_or_else(|| CommandError::Usage("security.current_token_key is not set".into()))?
        .to_string();
    let connections = store.connections();
    let (mut resealed, mut failed) = (0u64, 0u64);
    loop {
        let batch = connections.sealed_with_other_keys(&current, 200).await?;
        let mut progressed = false;
        for connection in batch {
            let Some(sealed) = connection.token.as_ref() else {
                continue;
            };
            match vault.reseal(sealed, &connection.id) {
                Ok(fresh) => {
                    if connections.reseal(&connection.id, sealed, &fresh).await? {
                        resealed += 1;
                        progressed = true;
                    }
                }
                Err(e) => {
                    failed += 1;
                    tracing::error!(connection_id = %connection.id, error = %e, "token could not be re-sealed");
                }
            }
        }
        if !progressed {
            break;
        }
    }
    tracing::info!(resealed, failed, key = %current, "token keys rotated");
    Ok(format!(
        "{resealed} tokens re-sealed with key {current}; {failed} could not be opened"
    ))
}

/// Starts deleting the account with `email` and all its data, as its owner would from the
/// dashboard (for a customer who asked and cannot sign in); returns a line with the
/// confirmation code and the public status page.
pub async fn delete_account(
    store: &Store,
    queue: &crate::queue::Queue,
    email: &str,
    public_base_url: &str,
) -> Result<String, CommandError> {
    let email = Email::parse("email", email).map_err(|e| CommandError::Usage(e.to_string()))?;
    let user = store
        .users()
        .by_email(email.as_str())
        .await?
        .ok_or_else(|| CommandError::Usage(format!("no account with email {}", email.as_str())))?;
    let request = crate::tasks::account_deletion::start_account_deletion(store, queue, &user.id)
        .await
        .map_err(|e| CommandError::Deletion(e.to_string()))?;
    tracing::info!(user_id = %user.id, request_id = %request.id, "account deletion requested by operator");
    Ok(format!(
        "deleting {}: confirmation code {}, status {}/deletion-status/{}",
        email.as_str(),
        request.id,
        public_base_url.trim_end_matches('/'),
        request.id
    ))
}
