//! The publishing job: drives one post's workflow forward. The payload is the post id only;
//! everything else (the claimed version, each step's output, the lease) lives in MongoDB.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::queue::{Job, PushOptions, Queue, QueueError};

/// Queue name of publishing jobs.
pub const QUEUE: &str = "publish";

/// Advance the publishing workflow of a post.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PublishPost {
    /// The post.
    pub post_id: String,
}

impl Job for PublishPost {
    const QUEUE: &'static str = QUEUE;
}

impl PublishPost {
    /// Pushes the job to run at `run_at` (now when `None`), deduplicated by `key` (for example
    /// `due:<post>:<version>` for the dispatcher, `retry:<post>:<n>` for a retry).
    pub async fn enqueue(
        queue: &Queue,
        post_id: &str,
        key: &str,
        run_at: Option<SystemTime>,
    ) -> Result<(), QueueError> {
        queue
            .push(
                Self {
                    post_id: post_id.to_string(),
                },
                PushOptions {
                    idempotency_key: Some(format!("publish:{key}")),
                    run_at,
                },
            )
            .await
    }
}
