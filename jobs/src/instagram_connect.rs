//! Completing "Connect Instagram": code -> short-lived token -> long-lived token -> `/me`,
//! then the connection is stored with its token sealed. Reconnecting the same Instagram account
//! updates the existing connection (and reactivates it); an account connected to another
//! AIStudio user is refused.

use chrono::Utc;

use crate::clients::{ClientError, InstagramOAuth};
use crate::crypto::vault::{Vault, VaultError};
use crate::store::{Connection, ConnectionStatus, Store, StoreError, TokenUpdate};

/// Why a connection could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Instagram refused the code or a token call.
    #[error("instagram refused the connection: {0}")]
    Instagram(#[from] ClientError),
    /// The Instagram account is connected to another AIStudio user.
    #[error("this Instagram account is connected to another AIStudio account")]
    ConnectedElsewhere,
    /// The token could not be sealed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outcome of a completed connection.
#[derive(Debug, Clone)]
pub struct Connected {
    /// The stored connection.
    pub connection: Connection,
    /// Whether it replaced an earlier connection of the same account by the same user.
    pub reconnected: bool,
}

/// Exchanges `code` and stores the connection for `user_id`.
#[tracing::instrument(skip_all, fields(user_id = %user_id, ig_user_id))]
pub async fn complete(
    oauth: &InstagramOAuth,
    vault: &Vault,
    store: &Store,
    user_id: &str,
    code: &str,
) -> Result<Connected, ConnectError> {
    let short = oauth.exchange_code(code).await?;
    let long = oauth.exchange_long_lived(&short.access_token).await?;
    let profile = oauth.me(&long.access_token).await?;
    tracing::Span::current().record("ig_user_id", profile.user_id.as_str());
    let connections = store.connections();
    for _ in 0..3 {
        let id = match connections.by_ig_user_id(&profile.user_id).await? {
            Some(existing) if existing.user_id == user_id => existing.id,
            Some(existing) if existing.status != ConnectionStatus::Disconnected => {
                return Err(ConnectError::ConnectedElsewhere);
            }
            Some(previous) => {
                // Its former owner disconnected it; the account is free to connect here.
                connections.delete(&previous.id).await?;
                tracing::info!("replacing a disconnected connection of another user");
                continue;
            }
            None => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                let connection = Connection {
                    token: Some(vault.seal(&long.access_token, &id)?),
                    id,
                    user_id: user_id.to_string(),
                    ig_user_id: profile.user_id.clone(),
                    username: profile.username.clone(),
                    token_expires_at: Some(long.expires_at),
                    token_refreshed_at: Some(Utc::now()),
                    status: ConnectionStatus::Active,
                    created_at: Utc::now(),
                };
                match connections.insert(&connection).await {
                    Ok(()) => {
                        tracing::info!("instagram account connected");
                        return Ok(Connected {
                            connection,
                            reconnected: false,
                        });
                    }
                    // Connected concurrently: look again.
                    Err(StoreError::Duplicate) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let update = TokenUpdate {
            token: vault.seal(&long.access_token, &id)?,
            expires_at: long.expires_at,
        };
        if let Some(connection) = connections
            .store_token(&id, &profile.username, &update)
            .await?
        {
            let resumed = store.posts().resume_for_connection(&id).await?;
            tracing::info!(
                resumed,
                "instagram account reconnected; parked posts resumed"
            );
            return Ok(Connected {
                connection,
                reconnected: true,
            });
        }
    }
    Err(ConnectError::Store(StoreError::Duplicate))
}
