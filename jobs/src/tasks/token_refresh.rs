//! Keeping Instagram tokens alive. A periodic sweep (one job per tick across all workers) finds
//! active connections whose token expires within `instagram.refresh_window_days` and is at least
//! 24 hours old (Instagram refuses younger ones), and pushes one refresh job per connection and
//! token (deduplicated). The job refreshes, re-seals and records the new expiry, only if the
//! token is still the one it refreshed. A refused token (190) marks the connection
//! `needs_reconnect` (and its parked posts are notified); transient failures are retried with
//! backoff. Any failure to renew a token that expires within [`EXPIRY_NOTICE`] notifies the
//! owner, once per token.

use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clients::{CallKind, ClientError, ErrorClass, InstagramOAuth};
use crate::crypto::vault::Vault;
use crate::notify::{self, AccountEvent};
use crate::queue::{Job, PushOptions, Queue, QueueError};
use crate::store::{Connection, ConnectionStatus, Store, StoreError, TokenUpdate};
use crate::webhooks::{self, Event, EventType};

/// Queue name of refresh jobs.
pub const QUEUE: &str = "token-refresh";
/// Queue name of the sweep.
pub const SWEEP_QUEUE: &str = "token-refresh-sweep";

/// Instagram only refreshes tokens at least this old.
pub const MIN_TOKEN_AGE: Duration = Duration::hours(24);

/// A token that could not be renewed and expires within this is notified to its owner.
pub const EXPIRY_NOTICE: Duration = Duration::days(7);

/// Refresh one connection's token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RefreshToken {
    /// The connection.
    pub connection_id: String,
}

impl Job for RefreshToken {
    const QUEUE: &'static str = QUEUE;
}

/// One sweep, for one cron tick.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RefreshSweep {
    /// The cron tick (Unix seconds).
    pub tick: i64,
}

impl Job for RefreshSweep {
    const QUEUE: &'static str = SWEEP_QUEUE;
}

/// Why a sweep or refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Worth retrying later (network, 5xx, throttling).
    #[error("retryable: {0}")]
    Retryable(String),
    /// Retrying will not help (unknown error class, undecryptable token).
    #[error("permanent: {0}")]
    Permanent(String),
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Notifying the owner failed.
    #[error(transparent)]
    Notify(#[from] notify::NotifyError),
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// New token stored.
    Refreshed,
    /// Nothing to do (gone, disconnected, or the token changed meanwhile).
    Skipped,
    /// Instagram refused the token: the connection needs reconnecting.
    NeedsReconnect,
}

impl RefreshSweep {
    /// Pushes the sweep of one tick; any number of processes may call this for the same tick.
    pub async fn enqueue(queue: &Queue, tick: i64) -> Result<(), QueueError> {
        queue.push_tick(Self { tick }, tick).await
    }

    /// Pushes a refresh for every connection that is due; how many.
    #[tracing::instrument(skip_all, fields(tick = self.tick))]
    pub async fn run(
        &self,
        store: &Store,
        queue: &Queue,
        window: Duration,
    ) -> Result<u64, RefreshError> {
        let now = Utc::now();
        let due = store
            .connections()
            .due_for_refresh(now + window, now - MIN_TOKEN_AGE, 1000)
            .await?;
        let mut pushed = 0;
        for connection in due {
            // One refresh per token: a new token (refreshed or reconnected) has a new nonce.
            let generation = connection.token.as_ref().map_or("", |t| t.nonce.as_str());
            queue
                .push(
                    RefreshToken {
                        connection_id: connection.id.clone(),
                    },
                    PushOptions {
                        idempotency_key: Some(format!(
                            "token-refresh:{}:{generation}",
                            connection.id
                        )),
                        run_at: None,
                    },
                )
                .await?;
            pushed += 1;
        }
        if pushed > 0 {
            tracing::info!(pushed, "token refreshes queued");
        }
        Ok(pushed)
    }
}

impl RefreshToken {
    /// Refreshes the token if the connection is still active with a token.
    #[tracing::instrument(skip_all, fields(connection_id = %self.connection_id, ig_user_id))]
    pub async fn run(
        &self,
        store: &Store,
        queue: &Queue,
        vault: &Vault,
        oauth: &InstagramOAuth,
    ) -> Result<RefreshOutcome, RefreshError> {
        let connections = store.connections();
        let Some(connection) = connections.by_id(&self.connection_id).await? else {
            return Ok(RefreshOutcome::Skipped);
        };
        tracing::Span::current().record("ig_user_id", connection.ig_user_id.as_str());
        let Some(sealed) = connection
            .token
            .clone()
            .filter(|_| connection.status == ConnectionStatus::Active)
        else {
            return Ok(RefreshOutcome::Skipped);
        };
        let token = vault
            .open(&sealed, &connection.id)
            .map_err(|e| RefreshError::Permanent(e.to_string()))?;
        match oauth.refresh(&token).await {
            Ok(fresh) => {
                let update = TokenUpdate {
                    token: vault
                        .seal(&fresh.access_token, &connection.id)
                        .map_err(|e| RefreshError::Permanent(e.to_string()))?,
                    expires_at: fresh.expires_at,
                };
                if connections
                    .replace_token(&connection.id, &sealed, &update)
                    .await?
                {
                    metrics::counter!("aistudio_token_refreshes_total", "outcome" => "refreshed")
                        .increment(1);
                    tracing::info!(expires_at = %fresh.expires_at, "token refreshed");
                    Ok(RefreshOutcome::Refreshed)
                } else {
                    Ok(RefreshOutcome::Skipped)
                }
            }
            Err(e) => {
                if let Some(expires_at) = connection
                    .token_expires_at
                    .filter(|at| *at <= Utc::now() + EXPIRY_NOTICE)
                {
                    let event = AccountEvent::token_expiring(&connection, expires_at);
                    notify::raise(store, queue, &event).await?;
                }
                self.refused(store, queue, &connection, e).await
            }
        }
    }

    /// What a refused refresh means: reconnect, retry later, or give up.
    async fn refused(
        &self,
        store: &Store,
        queue: &Queue,
        connection: &Connection,
        e: ClientError,
    ) -> Result<RefreshOutcome, RefreshError> {
        let connections = store.connections();
        match e.classify(CallKind::Read) {
            ErrorClass::TokenInvalid => {
                connections.mark_needs_reconnect(&connection.id).await?;
                store.posts().park_for_connection(&connection.id).await?;
                notify::raise_parked(store, queue, &connection.id).await?;
                let event =
                    Event::connection_changed(EventType::ConnectionNeedsReconnect, connection);
                webhooks::fan_out(store, queue, &connection.user_id, &event).await?;
                metrics::counter!("aistudio_token_refreshes_total", "outcome" => "needs_reconnect")
                    .increment(1);
                tracing::warn!(error = %e, "token refused; the connection needs reconnecting");
                Ok(RefreshOutcome::NeedsReconnect)
            }
            ErrorClass::Transient | ErrorClass::Throttled { .. } | ErrorClass::OutcomeUnknown => {
                metrics::counter!("aistudio_token_refreshes_total", "outcome" => "retry")
                    .increment(1);
                Err(RefreshError::Retryable(e.to_string()))
            }
            _ => {
                metrics::counter!("aistudio_token_refreshes_total", "outcome" => "failed")
                    .increment(1);
                Err(RefreshError::Permanent(e.to_string()))
            }
        }
    }
}
