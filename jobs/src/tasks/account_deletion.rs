//! Deleting an account and everything that belongs to it, in idempotent steps.
//!
//! The api marks the account `deleting` (no sign-in, nothing publishes) and pushes this job
//! with only the request id. Each step deletes one kind of record and adds its count to the
//! receipt; re-running after a crash deletes what is left and adds zeros, so the job can be
//! resumed or delivered twice without harm. Just before the user document goes (last), the
//! receipt email is written to the outbox, to the address on file, with the receipt code; it
//! is delivered after the account is gone and then forgets the address. Then the receipt is
//! completed and forgets the account id.

use serde::{Deserialize, Serialize};

use crate::media::{MediaStorage, StorageError};
use crate::notify::{self, AccountEvent, NotifyError};
use crate::queue::{Job, PushOptions, Queue, QueueError};
use crate::store::{DeletionKind, DeletionRequest, DeletionStatus, Store, StoreError};

/// Why a deletion step failed (the job is retried and resumes where it stopped).
#[derive(Debug, thiserror::Error)]
pub enum DeletionError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Media storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The receipt email could not be written or queued.
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// Why a deletion could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartDeletionError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The job could not be queued (queue maintenance re-drives the recorded request).
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Starts deleting account `user_id`: records the request (or returns the one already
/// pending), marks the account `deleting` (no sign-in, nothing publishes), revokes every
/// session and queues the job. The customer's `POST /me/deletion` and the operator's
/// `aistudio-ctl delete-account` both start here.
pub async fn start_account_deletion(
    store: &Store,
    queue: &Queue,
    user_id: &str,
) -> Result<DeletionRequest, StartDeletionError> {
    let request = store
        .deletion_requests()
        .open(DeletionKind::Account, user_id)
        .await?;
    store.users().mark_deleting(user_id).await?;
    store.sessions().revoke_all(user_id, None).await?;
    DeleteAccount::enqueue(queue, &request.id, "request").await?;
    Ok(request)
}

/// Queue name of account deletions.
pub const QUEUE: &str = "account-deletion";

/// Delete the account of a deletion request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeleteAccount {
    /// The deletion request (not the account id: payloads stay free of personal links).
    pub request_id: String,
}

impl Job for DeleteAccount {
    const QUEUE: &'static str = QUEUE;
}

impl DeleteAccount {
    /// Pushes the job, deduplicated per request and `attempt_key`.
    pub async fn enqueue(
        queue: &Queue,
        request_id: &str,
        attempt_key: &str,
    ) -> Result<(), QueueError> {
        queue
            .push(
                Self {
                    request_id: request_id.to_string(),
                },
                PushOptions {
                    idempotency_key: Some(format!("account-deletion:{request_id}:{attempt_key}")),
                    run_at: None,
                },
            )
            .await
    }

    /// Runs every step; a completed or unknown request is a no-op.
    #[tracing::instrument(skip_all, fields(request_id = %self.request_id))]
    pub async fn run(
        &self,
        store: &Store,
        queue: &Queue,
        storage: &dyn MediaStorage,
    ) -> Result<(), DeletionError> {
        let requests = store.deletion_requests();
        let Some(request) = requests.find(&self.request_id).await? else {
            tracing::warn!("deletion request not found");
            return Ok(());
        };
        let Some(user_id) = request
            .subject_id
            .filter(|_| request.status == DeletionStatus::Pending)
        else {
            return Ok(());
        };
        let id = &self.request_id;
        requests
            .add_count(id, "sessions", store.sessions().delete_all(&user_id).await?)
            .await?;
        requests
            .add_count(id, "posts", store.posts().delete_for_user(&user_id).await?)
            .await?;
        requests
            .add_count(
                id,
                "workflows",
                store.workflows().delete_for_user(&user_id).await?,
            )
            .await?;
        requests
            .add_count(
                id,
                "workflow_events",
                store.workflow_events().delete_for_user(&user_id).await?,
            )
            .await?;
        let mut media = 0;
        for media_id in store.media().ids_for_user(&user_id).await? {
            storage.delete(&media_id).await?;
            media += store.media().delete_record(&media_id).await?;
        }
        requests.add_count(id, "media", media).await?;
        requests
            .add_count(
                id,
                "connections",
                store.connections().delete_for_user(&user_id).await?,
            )
            .await?;
        requests
            .add_count(
                id,
                "posting_schedules",
                store.posting_schedules().delete_for_user(&user_id).await?,
            )
            .await?;
        requests
            .add_count(
                id,
                "oauth_states",
                store.oauth_states().delete_for_user(&user_id).await?,
            )
            .await?;
        requests
            .add_count(
                id,
                "password_resets",
                store.password_resets().delete_for_user(&user_id).await?,
            )
            .await?;
        requests
            .add_count(
                id,
                "email_verifications",
                store
                    .email_verifications()
                    .delete_for_user(&user_id)
                    .await?,
            )
            .await?;
        requests
            .add_count(
                id,
                "notifications",
                store.notifications().delete_for_user(&user_id).await?,
            )
            .await?;
        requests
            .add_count(
                id,
                "notification_preferences",
                store
                    .notification_preferences()
                    .delete_for_user(&user_id)
                    .await?,
            )
            .await?;
        requests
            .add_count(
                id,
                "emails",
                store.emails().delete_for_user(&user_id).await?,
            )
            .await?;
        // The receipt goes to the address on file while it is still on file: written to the
        // outbox with everything it says, it is delivered after the account is gone.
        notify::raise(store, queue, &AccountEvent::account_deleted(&user_id, id)).await?;
        requests
            .add_count(
                id,
                "webhook_deliveries",
                store.webhook_deliveries().delete_for_user(&user_id).await?,
            )
            .await?;
        requests
            .add_count(
                id,
                "webhook_endpoints",
                store.webhook_endpoints().delete_for_user(&user_id).await?,
            )
            .await?;
        requests
            .add_count(id, "users", store.users().delete(&user_id).await?)
            .await?;
        requests.complete(id).await?;
        metrics::counter!("aistudio_account_deletions_total").increment(1);
        tracing::info!("account deleted");
        Ok(())
    }
}
