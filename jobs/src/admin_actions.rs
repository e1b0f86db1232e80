//! What an admin can do to posts and jobs from the console, independent of HTTP.
//!
//! Every post action is a compare-and-set on the post's status and the version the operator
//! saw, exactly like the dashboard's edits and the workflow's claims: acting on a post that
//! changed meanwhile is refused with a message that says what it is now, and nothing changes.
//! Posts put back in `scheduled` are pushed to the publish queue when they are due within
//! [`ENQUEUE_HORIZON`] (with the dispatcher's idempotency key, so the two never run it twice);
//! later ones are left to the dispatcher, so Redis never carries far-future work.

use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};

use crate::queue::{Queue, QueueError, Requeued, requeue_dead};
use crate::store::{ConnectionStatus, Post, PostSearch, PostStatus, Store, StoreError};
use crate::tasks::PublishPost;

/// Posts due within this much time are pushed to the queue at once.
pub const ENQUEUE_HORIZON: Duration = Duration::minutes(15);
/// Most posts one bulk action changes.
pub const BULK_CAP: u64 = 500;

/// An action could not be carried out (a dependency failed).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; what was done.
    Done(String),
    /// Refused, nothing changed; why.
    Refused(String),
}

/// An action over many posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Retry failed posts now.
    Retry,
    /// Cancel scheduled or parked posts.
    Cancel,
    /// Resume parked posts.
    Resume,
}

impl BulkAction {
    /// Parses `retry`, `cancel` or `resume`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "retry" => Some(Self::Retry),
            "cancel" => Some(Self::Cancel),
            "resume" => Some(Self::Resume),
            _ => None,
        }
    }

    /// The action's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Cancel => "cancel",
            Self::Resume => "resume",
        }
    }

    /// The statuses it applies to.
    pub fn applies_to(self) -> &'static [PostStatus] {
        match self {
            Self::Retry => &[PostStatus::Failed],
            Self::Cancel => &[PostStatus::Scheduled, PostStatus::NeedsReconnect],
            Self::Resume => &[PostStatus::NeedsReconnect],
        }
    }
}

/// Counts of a bulk action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkReport {
    /// Posts changed.
    pub done: u64,
    /// Posts that changed meanwhile and were left alone.
    pub refused: u64,
}

/// The console's actions on one deployment.
#[derive(Debug, Clone)]
pub struct AdminActions {
    store: Store,
    queue: Queue,
}

impl AdminActions {
    /// Actions on this store and queue.
    pub fn new(store: Store, queue: Queue) -> Self {
        Self { store, queue }
    }

    /// Why a compare-and-set on `post_id` at `version` lost, for the operator.
    async fn refusal(
        &self,
        post_id: &str,
        version: i64,
        verb: &str,
    ) -> Result<Outcome, ActionError> {
        let Some(post) = self.store.posts().by_id(post_id).await? else {
            return Ok(Outcome::Refused(
                "The post no longer exists; nothing was done.".into(),
            ));
        };
        let status = post.content.status.as_str();
        Ok(Outcome::Refused(if post.version != version {
            format!(
                "The post changed since you looked at it (it is now {status}, version {}; you saw \
                 version {version}). Nothing was done: reload and decide again.",
                post.version
            )
        } else {
            format!("A {status} post cannot be {verb}; nothing was done.")
        }))
    }

    /// Pushes the publishing job of a post that is now scheduled, when it is due soon.
    async fn enqueue_if_due(&self, post: &Post) -> String {
        let at = post.content.scheduled_at.unwrap_or_else(Utc::now);
        if at > Utc::now() + ENQUEUE_HORIZON {
            return "the dispatcher will queue it nearer the time".into();
        }
        let key = format!("due:{}:{}", post.id, post.version);
        match PublishPost::enqueue(&self.queue, &post.id, &key, Some(SystemTime::from(at))).await {
            Ok(()) => "publishing job queued".into(),
            Err(e) => {
                tracing::warn!(post_id = %post.id, error = %e, "could not push the publishing job");
                "the publishing job could not be pushed now; the dispatcher will queue it".into()
            }
        }
    }

    /// Retry now: a failed post goes back to `scheduled` for now and is queued; a post in
    /// `publishing` (waiting on a retry) has its job pushed to run now.
    #[tracing::instrument(skip(self))]
    pub async fn retry_now(&self, post_id: &str, version: i64) -> Result<Outcome, ActionError> {
        let posts = self.store.posts();
        if let Some(post) = posts.retry_failed(post_id, version, Utc::now()).await? {
            let queued = self.enqueue_if_due(&post).await;
            return Ok(Outcome::Done(format!(
                "failed -> scheduled for now; {queued}"
            )));
        }
        match posts.by_id(post_id).await? {
            Some(post)
                if post.content.status == PostStatus::Publishing && post.version == version =>
            {
                let key = format!(
                    "admin:{post_id}:{version}:{}",
                    Utc::now().timestamp_millis()
                );
                PublishPost::enqueue(&self.queue, post_id, &key, None).await?;
                Ok(Outcome::Done("publishing job pushed to run now".into()))
            }
            _ => self.refusal(post_id, version, "retried").await,
        }
    }

    /// Cancels a scheduled or parked post.
    #[tracing::instrument(skip(self))]
    pub async fn cancel(&self, post_id: &str, version: i64) -> Result<Outcome, ActionError> {
        match self
            .store
            .posts()
            .cancel_at_version(post_id, version)
            .await?
        {
            Some(_) => Ok(Outcome::Done("canceled".into())),
            None => self.refusal(post_id, version, "canceled").await,
        }
    }

    /// Moves a scheduled or parked post to `at` (which must be in the future).
    #[tracing::instrument(skip(self))]
    pub async fn reschedule(
        &self,
        post_id: &str,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<Outcome, ActionError> {
        if at <= Utc::now() {
            return Ok(Outcome::Refused(
                "The new time is in the past; use retry now instead. Nothing was done.".into(),
            ));
        }
        match self
            .store
            .posts()
            .reschedule_at_version(post_id, version, at)
            .await?
        {
            Some(post) => {
                let queued = if post.content.status == PostStatus::Scheduled {
                    self.enqueue_if_due(&post).await
                } else {
                    "still parked until the account is reconnected".into()
                };
                Ok(Outcome::Done(format!(
                    "rescheduled to {}; {queued}",
                    at.to_rfc3339()
                )))
            }
            None => self.refusal(post_id, version, "rescheduled").await,
        }
    }

    /// Resumes one parked post (`needs_reconnect` -> `scheduled`).
    #[tracing::instrument(skip(self))]
    pub async fn resume(&self, post_id: &str, version: i64) -> Result<Outcome, ActionError> {
        match self.store.posts().resume_parked(post_id, version).await? {
            Some(post) => {
                let queued = self.enqueue_if_due(&post).await;
                Ok(Outcome::Done(format!(
                    "needs_reconnect -> scheduled; {queued}"
                )))
            }
            None => self.refusal(post_id, version, "resumed").await,
        }
    }

    /// Resumes every parked post of an account, once the account works again.
    #[tracing::instrument(skip(self))]
    pub async fn resume_account(&self, connection_id: &str) -> Result<Outcome, ActionError> {
        let Some(connection) = self.store.connections().by_id(connection_id).await? else {
            return Ok(Outcome::Refused(
                "No such account; nothing was done.".into(),
            ));
        };
        if connection.status != ConnectionStatus::Active {
            return Ok(Outcome::Refused(format!(
                "@{} is {}: resuming would only park its posts again. Nothing was done.",
                connection.username,
                connection.status.as_str()
            )));
        }
        let parked = self
            .store
            .posts()
            .for_connection_in_status(connection_id, PostStatus::NeedsReconnect, BULK_CAP as i64)
            .await?;
        let mut report = BulkReport::default();
        for post in parked {
            match self.resume(&post.id, post.version).await? {
                Outcome::Done(_) => report.done += 1,
                Outcome::Refused(_) => report.refused += 1,
            }
        }
        Ok(Outcome::Done(format!(
            "{} parked posts of @{} resumed, {} changed meanwhile and were left alone",
            report.done, connection.username, report.refused
        )))
    }

    /// Moves a dead job of queue `name` back to the queue.
    #[tracing::instrument(skip(self))]
    pub async fn requeue_dead(&self, name: &str, task_id: &str) -> Result<Outcome, ActionError> {
        Ok(match requeue_dead(&self.queue, name, task_id).await? {
            Requeued::Done => Outcome::Done("moved from dead back to the queue".into()),
            Requeued::NotDead => Outcome::Refused(
                "The job is not dead (already requeued?); nothing was done.".into(),
            ),
            Requeued::DataGone => Outcome::Refused(
                "The job's payload was vacuumed; there is nothing to run. Nothing was done.".into(),
            ),
        })
    }

    /// The selection a bulk action would touch: `search` narrowed to the statuses it applies to.
    pub fn bulk_selection(action: BulkAction, search: &PostSearch) -> PostSearch {
        let mut narrowed = search.clone();
        let applies = action.applies_to();
        narrowed.statuses = if search.statuses.is_empty() {
            applies.to_vec()
        } else {
            search
                .statuses
                .iter()
                .copied()
                .filter(|s| applies.contains(s))
                .collect()
        };
        narrowed
    }

    /// How many posts a bulk action over `search` would change (before the cap).
    pub async fn preview_bulk(
        &self,
        action: BulkAction,
        search: &PostSearch,
    ) -> Result<u64, ActionError> {
        let selection = Self::bulk_selection(action, search);
        if selection.statuses.is_empty() {
            return Ok(0);
        }
        let counts = self.store.posts().search_counts(&selection).await?;
        Ok(counts.iter().map(|(_, n)| n).sum())
    }

    /// Runs `action` over the posts `search` selects (at most [`BULK_CAP`]), each with its
    /// own compare-and-set at the version read.
    #[tracing::instrument(skip(self, search))]
    pub async fn bulk(
        &self,
        action: BulkAction,
        search: &PostSearch,
    ) -> Result<BulkReport, ActionError> {
        let selection = Self::bulk_selection(action, search);
        let mut report = BulkReport::default();
        if selection.statuses.is_empty() {
            return Ok(report);
        }
        let mut cursor = None;
        while report.done + report.refused < BULK_CAP {
            let page = self
                .store
                .posts()
                .search(&selection, cursor.as_ref(), 100)
                .await?;
            let Some(last) = page.last() else { break };
            cursor = Some(crate::store::PostCursor {
                at: last.created_at,
                id: last.id.clone(),
            });
            for post in page {
                if report.done + report.refused >= BULK_CAP {
                    break;
                }
                let outcome = match action {
                    BulkAction::Retry => self.retry_now(&post.id, post.version).await?,
                    BulkAction::Cancel => self.cancel(&post.id, post.version).await?,
                    BulkAction::Resume => self.resume(&post.id, post.version).await?,
                };
                match outcome {
                    Outcome::Done(_) => report.done += 1,
                    Outcome::Refused(_) => report.refused += 1,
                }
            }
        }
        Ok(report)
    }
}
