//! Meta's data-deletion callback: remove everything tied to an Instagram user id (its connection
//! and token, and what was scheduled through it), in idempotent steps, completing the receipt
//! whose status page Meta links to.

use serde::{Deserialize, Serialize};

use crate::queue::{Job, PushOptions, Queue, QueueError};
use crate::store::{ConnectionStatus, DeletionStatus, Store, StoreError};
use crate::webhooks::{self, Event, EventType};

/// Queue name of Instagram data deletions.
pub const QUEUE: &str = "instagram-data-deletion";

/// Delete what is tied to the Instagram user of a deletion request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeleteInstagramData {
    /// The deletion request.
    pub request_id: String,
}

impl Job for DeleteInstagramData {
    const QUEUE: &'static str = QUEUE;
}

impl DeleteInstagramData {
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
                    idempotency_key: Some(format!(
                        "instagram-data-deletion:{request_id}:{attempt_key}"
                    )),
                    run_at: None,
                },
            )
            .await
    }

    /// Runs every step; a completed or unknown request is a no-op.
    #[tracing::instrument(skip_all, fields(request_id = %self.request_id))]
    pub async fn run(&self, store: &Store, queue: &Queue) -> Result<(), StoreError> {
        let requests = store.deletion_requests();
        let Some(request) = requests.find(&self.request_id).await? else {
            return Ok(());
        };
        let Some(ig_user_id) = request
            .subject_id
            .filter(|_| request.status == DeletionStatus::Pending)
        else {
            return Ok(());
        };
        let id = &self.request_id;
        if let Some(connection) = store.connections().by_ig_user_id(&ig_user_id).await? {
            // Meta usually deauthorizes first (which raised it); a deletion alone raises it here.
            if connection.status != ConnectionStatus::Disconnected {
                let event =
                    Event::connection_changed(EventType::ConnectionDisconnected, &connection);
                webhooks::fan_out(store, queue, &connection.user_id, &event).await?;
            }
            let posts = store.posts().delete_for_connection(&connection.id).await?;
            for post_id in &posts {
                store.workflow_events().delete_for_post(post_id).await?;
                store.media().unpin_post(post_id).await?;
            }
            requests.add_count(id, "posts", posts.len() as u64).await?;
            requests
                .add_count(
                    id,
                    "workflows",
                    store
                        .workflows()
                        .delete_for_connection(&connection.id)
                        .await?,
                )
                .await?;
            requests
                .add_count(
                    id,
                    "posting_schedules",
                    store
                        .posting_schedules()
                        .delete_for_connection(&connection.id)
                        .await?,
                )
                .await?;
            requests
                .add_count(
                    id,
                    "connections",
                    store.connections().delete(&connection.id).await?,
                )
                .await?;
        }
        requests.complete(id).await?;
        tracing::info!("instagram data deleted");
        Ok(())
    }
}
