//! Driving one post's workflow: claim, lease, run steps, persist, wait or finish.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aistudio_config::{Secret, Settings};
use chrono::Utc;
use mongodb::bson::{Bson, doc};

use super::event_log::EventLog;
use super::outcome::{StepResult, backoff};
use super::throttle;
use crate::clients::{GraphClient, ImgbbClient};
use crate::crypto::vault::Vault;
use crate::domain::{MediaKind, PostKind};
use crate::media::MediaStorage;
use crate::notify::{self, AccountEvent};
use crate::queue::{Queue, QueueError};
use crate::store::{
    Connection, ConnectionStatus, NotificationPreferences, Post, PostContext, PostStatus,
    PublishAudience, Step, StepError, StepOutcome, Store, StoreError, UserStatus, WebhookEndpoint,
    WorkItem, Workflow, WorkflowEvent,
};
use crate::tasks::PublishPost;
use crate::webhooks::{self, Event, EventType};

/// Why driving a workflow failed (infrastructure only: the job is retried).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Everything the workflow needs. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(super) settings: Arc<Settings>,
    pub(super) store: Store,
    pub(super) queue: Queue,
    pub(super) graph: GraphClient,
    pub(super) imgbb: ImgbbClient,
    pub(super) vault: Vault,
    pub(super) media: Arc<dyn MediaStorage>,
    pub(super) worker: Arc<str>,
    events: EventLog,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

/// How long until the post's scheduled time, if it is still ahead.
fn time_left(post: &Post) -> Option<Duration> {
    let at = post.content.scheduled_at?;
    (at - Utc::now()).to_std().ok().filter(|d| !d.is_zero())
}

/// Whether nobody holds the lease of this unfinished workflow, as read.
fn is_free(wf: &Workflow) -> bool {
    !wf.step.is_terminal() && wf.lease_expires_at.is_none_or(|until| until <= Utc::now())
}

/// A prepared post this close to its time waits in the worker rather than in the queue.
const SHORT_WAIT: Duration = Duration::from_secs(1);

fn next_step(step: Step) -> Step {
    match step {
        Step::PrepareMedia => Step::CreateContainers,
        Step::CreateContainers => Step::PollContainers,
        Step::PollContainers => Step::Publish,
        Step::Publish => Step::FetchPermalink,
        Step::FetchPermalink | Step::Done => Step::Done,
        Step::Failed => Step::Failed,
    }
}

impl Engine {
    /// An engine for this worker process.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: Arc<Settings>,
        store: Store,
        queue: Queue,
        graph: GraphClient,
        imgbb: ImgbbClient,
        vault: Vault,
        media: Arc<dyn MediaStorage>,
        worker: Arc<str>,
    ) -> Self {
        Self {
            events: EventLog::start(store.workflow_events()),
            settings,
            store,
            queue,
            graph,
            imgbb,
            vault,
            media,
            worker,
        }
    }

    pub(super) fn lease(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.settings.workflow.lease_secs as i64)
    }

    /// Moves the post's workflow forward as far as it can go now.
    ///
    /// Round trips are counted (`aistudio_mongo_commands_total`): the post, its workflow, its
    /// connection and its owner's status are read in one command; the lease is then taken
    /// with one write (or, on the first run, the post is claimed and its workflow created
    /// already leased); what this process writes is not read back; events go to the batched
    /// [`EventLog`].
    #[tracing::instrument(skip(self), fields(user_id, ig_user_id))]
    pub async fn drive(&self, post_id: &str) -> Result<(), EngineError> {
        let workflows = self.store.workflows();
        let owner = format!("{}:{}", self.worker, uuid::Uuid::new_v4().simple());
        let Some(mut read) = self.store.post_contexts().by_post(post_id).await? else {
            workflows.delete(post_id).await?;
            return Ok(());
        };
        let audience = std::mem::take(&mut read.audience);
        if read.post.content.status == PostStatus::Scheduled {
            return match self.claim(read, &owner).await? {
                Some(claimed) => self.run_steps(claimed, &audience, &owner).await,
                None => Ok(()),
            };
        }
        let lease = self.lease();
        let taken = match &read.workflow {
            Some(wf) if is_free(wf) => match workflows.take(wf, &owner, lease).await? {
                Some(taken) => Some(taken),
                // Written since it was read: take it as it is now, if still free.
                None => workflows.acquire(post_id, &owner, lease).await?,
            },
            _ => None,
        };
        let Some(wf) = taken else {
            // Finished, held by another worker, or never created (or one of an earlier
            // version): a post claimed by a worker that died before creating its workflow.
            if read.post.content.status == PostStatus::Publishing
                && read
                    .workflow
                    .as_ref()
                    .is_none_or(|w| w.step.is_terminal() && w.post_version < read.post.version)
                && let Some(claimed) = self.claim(read, &owner).await?
            {
                return self.run_steps(claimed, &audience, &owner).await;
            }
            return Ok(());
        };
        if wf.next_run_at > Utc::now() + chrono::Duration::seconds(1) {
            // Not yet: make sure a job exists for its time, and let go.
            let at = wf.next_run_at;
            workflows.release(&wf, &owner, at, doc! {}).await?;
            self.schedule(post_id, at).await?;
            return Ok(());
        }
        let connection = match read.connection {
            Some(c) if c.id == wf.connection_id => Some(c),
            _ => self.store.connections().by_id(&wf.connection_id).await?,
        };
        self.run_steps((wf, read.post, connection), &audience, &owner)
            .await
    }

    /// Runs steps while they advance, under `owner`'s lease.
    async fn run_steps(
        &self,
        (mut wf, mut post, connection): (Workflow, Post, Option<Connection>),
        audience: &PublishAudience,
        owner: &str,
    ) -> Result<(), EngineError> {
        let workflows = self.store.workflows();
        let post_id = post.id.clone();
        let post_id = post_id.as_str();
        tracing::Span::current().record("user_id", wf.user_id.as_str());
        // When the lease was last taken, saved or renewed.
        let mut confirmed = tokio::time::Instant::now();
        loop {
            let started = Utc::now();
            let step = wf.step;
            let result = super::lease::while_holding(
                &workflows,
                post_id,
                owner,
                self.lease(),
                &mut confirmed,
                self.run(&wf, &post, connection.as_ref(), audience, owner),
            )
            .await;
            let Some(next) = self
                .apply(
                    wf,
                    &post,
                    connection.as_ref(),
                    audience,
                    owner,
                    step,
                    started,
                    result,
                )
                .await?
            else {
                return Ok(());
            };
            // Nothing left unsaved: this step's end was written, and the write renewed the lease.
            if next.unsaved.is_empty() {
                confirmed = tokio::time::Instant::now();
            }
            wf = next;
            if step == Step::Publish
                && wf.step == Step::FetchPermalink
                && post.content.status == PostStatus::Publishing
            {
                // What `published` just wrote, without reading it back.
                post.content.status = PostStatus::Published;
                post.ig_media_id.clone_from(&wf.ig_media_id);
                post.published_at = Some(Utc::now());
            }
        }
    }

    /// Claims a due scheduled post at the version read and creates its workflow, leased to
    /// `owner`; the workflow, the claimed post and its connection. `None` when there is nothing
    /// to do: not due, not publishable, claimed by another, or its workflow exists already.
    /// Decides on the owner's status and the connection as `read` found them.
    async fn claim(
        &self,
        read: PostContext,
        owner: &str,
    ) -> Result<Option<(Workflow, Post, Option<Connection>)>, EngineError> {
        let posts = self.store.posts();
        let PostContext {
            post, connection, ..
        } = read;
        let Some(connection_id) = post.content.connection_id.clone() else {
            return Ok(None);
        };
        let (claimed, connection) = match post.content.status {
            // Claimed earlier by a worker that died before creating the workflow, or its
            // workflow exists (creating it again is refused below).
            PostStatus::Publishing => (post, connection),
            // Held in its paused queue: not claimed (the claim would refuse it too).
            PostStatus::Scheduled if post.held.is_some() => return Ok(None),
            PostStatus::Scheduled => {
                // Claimed up to `prepare_ahead_secs` early: from here the post is no longer
                // editable, and the publish step waits for its time.
                let ahead =
                    chrono::Duration::seconds(self.settings.workflow.prepare_ahead_secs as i64)
                        + chrono::Duration::milliseconds(500);
                let due = post
                    .content
                    .scheduled_at
                    .is_some_and(|at| at <= Utc::now() + ahead);
                if !due {
                    return Ok(None);
                }
                if read.owner != Some(UserStatus::Active) {
                    return Ok(None);
                }
                if connection
                    .as_ref()
                    .is_none_or(|c| c.status != ConnectionStatus::Active || c.token.is_none())
                {
                    posts.park_for_connection(&connection_id).await?;
                    self.announce_parked(&connection_id).await;
                    return Ok(None);
                }
                match posts.claim_for_publishing(&post).await? {
                    Some(claimed) => (claimed, connection),
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        let ids: Vec<String> = claimed
            .content
            .items
            .iter()
            .map(|i| i.media_id.clone())
            .collect();
        // The post's kind says it for images and reels (checked when the post was written);
        // stories and carousels ask the library.
        let videos: Vec<String> = match claimed.content.kind {
            PostKind::Image => Vec::new(),
            PostKind::Reel => ids.clone(),
            PostKind::Story | PostKind::Carousel => self
                .store
                .media()
                .any_of_user(&ids, &claimed.user_id)
                .await?
                .into_iter()
                .filter(|m| m.kind == MediaKind::Video)
                .map(|m| m.id)
                .collect(),
        };
        let items = claimed
            .content
            .items
            .iter()
            .map(|item| WorkItem {
                media_id: item.media_id.clone(),
                is_video: videos.contains(&item.media_id),
                alt_text: item.alt_text.clone(),
                public_url: None,
                container_id: None,
            })
            .collect();
        let now = Utc::now();
        let wf = Workflow {
            post_id: claimed.id.clone(),
            user_id: claimed.user_id.clone(),
            connection_id,
            post_version: claimed.version,
            step: Step::PrepareMedia,
            attempts: 0,
            items,
            // A cover is uploaded during media preparation; until then it holds the media id.
            cover_url: claimed.content.cover_media_id.clone(),
            parent_container_id: None,
            container_generation: 0,
            poll_started_at: None,
            publish_attempted_at: None,
            ig_media_id: None,
            waiting_reason: None,
            next_run_at: now,
            lease_owner: Some(owner.to_string()),
            lease_expires_at: Some(now + self.lease()),
            created_at: now,
            revision: 0,
            unsaved: Default::default(),
        };
        let workflows = self.store.workflows();
        if !workflows.create(&wf).await? && !workflows.replace_finished(&wf).await? {
            return Ok(None);
        }
        self.record(
            &wf,
            "claim",
            1,
            now,
            StepOutcome::Succeeded,
            None,
            None,
            Some(format!("version {}", claimed.version)),
        );
        Ok(Some((wf, claimed, connection)))
    }

    async fn run(
        &self,
        wf: &Workflow,
        post: &Post,
        connection: Option<&Connection>,
        audience: &PublishAudience,
        owner: &str,
    ) -> StepResult {
        if wf.step == Step::Publish && post.content.status == PostStatus::Published {
            // Recorded published by an attempt that stopped before saving its step: go on to
            // the post's record (media, permalink, Instagram's time).
            let media = post.ig_media_id.clone().map_or(Bson::Null, Bson::String);
            return StepResult::Advance(doc! { "ig_media_id": media });
        }
        let expected = if wf.step == Step::FetchPermalink {
            PostStatus::Published
        } else {
            PostStatus::Publishing
        };
        if post.content.status != expected {
            return StepResult::Abandon(format!("post is {}", post.content.status.as_str()));
        }
        if wf.step == Step::PrepareMedia {
            return self.prepare_media(wf).await;
        }
        let Some(connection) = connection.filter(|c| c.status == ConnectionStatus::Active) else {
            return StepResult::Park(StepError {
                class: "disconnected".into(),
                code: None,
                subcode: None,
                message: "the Instagram connection is not active".into(),
            });
        };
        let token: Secret = match connection
            .token
            .as_ref()
            .map(|sealed| self.vault.open(sealed, &connection.id))
        {
            Some(Ok(token)) => token,
            _ => {
                return StepResult::Park(StepError {
                    class: "token_unavailable".into(),
                    code: None,
                    subcode: None,
                    message: "the stored token cannot be used".into(),
                });
            }
        };
        match throttle::closed_for(&self.queue, &connection.ig_user_id).await {
            Ok(Some(wait)) => {
                return StepResult::Wait {
                    delay: wait,
                    reason: "throttled by Instagram".into(),
                };
            }
            Ok(None) => {}
            Err(e) => {
                return StepResult::Retry(StepError {
                    class: "internal".into(),
                    code: None,
                    subcode: None,
                    message: e.to_string(),
                });
            }
        }
        match wf.step {
            Step::CreateContainers => {
                self.create_containers(wf, post, &connection.ig_user_id, &token)
                    .await
            }
            Step::PollContainers => self.poll_containers(wf, &token).await,
            // Prepared ahead of time: publish at the time, not before. The queue's wake-up ends
            // a moment early, since the queue rounds wake-ups up to the whole second and one
            // computed a few microseconds after the time would land a second late; the rest
            // (at most a second) is waited out here.
            Step::Publish => match time_left(post) {
                Some(left) if left > SHORT_WAIT => StepResult::Wait {
                    delay: left - Duration::from_millis(50),
                    reason: "waiting for the scheduled time".into(),
                },
                left => {
                    tokio::time::sleep(left.unwrap_or_default()).await;
                    self.publish(
                        wf,
                        post,
                        owner,
                        &connection.ig_user_id,
                        &token,
                        &audience.preferences,
                    )
                    .await
                }
            },
            Step::FetchPermalink => {
                self.fetch_permalink(wf, post, &connection.ig_user_id, &token)
                    .await
            }
            Step::PrepareMedia | Step::Done | Step::Failed => StepResult::Advance(doc! {}),
        }
    }

    /// Persists a step's result; the workflow to continue with, or `None` to stop here.
    #[allow(clippy::too_many_arguments)]
    async fn apply(
        &self,
        wf: Workflow,
        post: &Post,
        connection: Option<&Connection>,
        audience: &PublishAudience,
        owner: &str,
        step: Step,
        started: chrono::DateTime<Utc>,
        result: StepResult,
    ) -> Result<Option<Workflow>, EngineError> {
        let workflows = self.store.workflows();
        let lease = self.lease();
        let attempt = wf.attempts + 1;
        let w = &self.settings.workflow;
        let elapsed = (Utc::now() - started).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!("aistudio_workflow_step_seconds", "step" => step.as_str())
            .record(elapsed);
        let next = match result {
            StepResult::Finish(_) => Step::Done,
            _ => next_step(step),
        };
        match result {
            StepResult::Advance(mut set) | StepResult::Finish(mut set) => {
                set.insert("step", mongodb::bson::to_bson(&next).unwrap_or(Bson::Null));
                set.insert("attempts", 0);
                set.insert("waiting_reason", Bson::Null);
                // Finished: the last write gives the lease back. Before that, a step's output is
                // written with the next write (a wait, the publish marker, the end): redoing an
                // upload or a container is harmless, and publishing is guarded by the marker.
                let saved = if next.is_terminal() {
                    if next == Step::Done {
                        self.raise_published(&wf, connection, &audience.endpoints)
                            .await?;
                    }
                    workflows.release(&wf, owner, Utc::now(), set).await?;
                    None
                } else {
                    Some(wf.defer(set)?)
                };
                self.record(
                    &wf,
                    step.as_str(),
                    attempt,
                    started,
                    StepOutcome::Succeeded,
                    None,
                    None,
                    None,
                );
                Ok(saved)
            }
            StepResult::Progress(set) => Ok(Some(wf.defer(set)?)),
            StepResult::Wait { delay, reason } => {
                if reason.starts_with("throttled")
                    && let Some(c) = connection
                {
                    throttle::close(&self.queue, &c.ig_user_id, delay).await?;
                }
                let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                self.wait_until(&wf, owner, at, doc! { "waiting_reason": &reason })
                    .await?;
                self.record(
                    &wf,
                    step.as_str(),
                    attempt,
                    started,
                    StepOutcome::Waiting,
                    None,
                    Some(at),
                    Some(reason),
                );
                Ok(None)
            }
            StepResult::Retry(error) if attempt >= w.max_attempts => {
                let message = format!(
                    "Instagram kept failing while publishing ({}); try again later.",
                    error.message
                );
                self.fail(
                    &wf, connection, owner, step, attempt, started, error, &message,
                )
                .await?;
                Ok(None)
            }
            StepResult::Retry(error) => {
                let delay = backoff(
                    attempt,
                    Duration::from_millis(w.retry_base_ms),
                    Duration::from_millis(w.retry_max_ms),
                );
                let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                self.wait_until(&wf, owner, at, doc! { "attempts": attempt as i64 })
                    .await?;
                self.record(
                    &wf,
                    step.as_str(),
                    attempt,
                    started,
                    StepOutcome::Retrying,
                    Some(error),
                    Some(at),
                    None,
                );
                metrics::counter!("aistudio_workflow_retries_total", "step" => step.as_str())
                    .increment(1);
                Ok(None)
            }
            StepResult::NewContainers(error) if wf.container_generation >= 2 => {
                let message = "Instagram could not process this post's media; upload it again or try another file.";
                self.fail(
                    &wf, connection, owner, step, attempt, started, error, message,
                )
                .await?;
                Ok(None)
            }
            StepResult::NewContainers(error) => {
                let mut items = wf.items.clone();
                for item in &mut items {
                    item.container_id = None;
                }
                let set = doc! {
                    "step": "create_containers",
                    "attempts": 0,
                    "items": mongodb::bson::to_bson(&items).unwrap_or(Bson::Null),
                    "parent_container_id": Bson::Null,
                    "poll_started_at": Bson::Null,
                    "publish_attempted_at": Bson::Null,
                    "container_generation": (wf.container_generation + 1) as i64,
                };
                let saved = workflows.save(&wf, owner, lease, set).await?;
                self.record(
                    &wf,
                    step.as_str(),
                    attempt,
                    started,
                    StepOutcome::Retrying,
                    Some(error),
                    None,
                    Some("new containers".into()),
                );
                Ok(saved)
            }
            StepResult::Fail(error, message) => {
                self.fail(
                    &wf, connection, owner, step, attempt, started, error, &message,
                )
                .await?;
                Ok(None)
            }
            StepResult::Park(error) => {
                if error.class == "token_invalid" {
                    self.store
                        .connections()
                        .mark_needs_reconnect(&wf.connection_id)
                        .await?;
                    if let Some(c) = connection {
                        let event =
                            Event::connection_changed(EventType::ConnectionNeedsReconnect, c);
                        webhooks::fan_out(&self.store, &self.queue, &wf.user_id, &event).await?;
                    }
                }
                self.store
                    .posts()
                    .park_for_connection(&wf.connection_id)
                    .await?;
                self.store.posts().park_publishing(&post.id).await?;
                let _ = crate::workflow::quota::release(
                    &self.queue,
                    connection.map_or("", |c| c.ig_user_id.as_str()),
                    &wf.post_id,
                )
                .await;
                self.record(
                    &wf,
                    step.as_str(),
                    attempt,
                    started,
                    StepOutcome::Parked,
                    Some(error),
                    None,
                    None,
                );
                workflows.delete(&wf.post_id).await?;
                self.announce_parked(&wf.connection_id).await;
                metrics::counter!("aistudio_posts_parked_total").increment(1);
                Ok(None)
            }
            StepResult::Abandon(note) => {
                if post.content.status == PostStatus::Failed {
                    // Failed by an attempt that stopped before its event was raised.
                    let reason = post.failure_reason.as_deref().unwrap_or_default();
                    self.raise_failed(&wf, connection, reason).await?;
                }
                self.record(
                    &wf,
                    step.as_str(),
                    attempt,
                    started,
                    StepOutcome::Skipped,
                    None,
                    None,
                    Some(note),
                );
                workflows.release(&wf, owner, Utc::now(), doc! {}).await?;
                Ok(None)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn fail(
        &self,
        wf: &Workflow,
        connection: Option<&Connection>,
        owner: &str,
        step: Step,
        attempt: u32,
        started: chrono::DateTime<Utc>,
        error: StepError,
        message: &str,
    ) -> Result<(), EngineError> {
        let failed = self.store.posts().mark_failed(&wf.post_id, message).await?;
        self.raise_failed(wf, connection, message).await?;
        self.store.media().unpin_post(&wf.post_id).await?;
        self.store
            .workflows()
            .release(wf, owner, Utc::now(), doc! { "step": "failed" })
            .await?;
        self.record(
            wf,
            step.as_str(),
            attempt,
            started,
            StepOutcome::Failed,
            Some(error),
            None,
            Some(message.to_string()),
        );
        metrics::counter!("aistudio_posts_failed_total").increment(1);
        tracing::warn!(post_id = %wf.post_id, reason = message, "post failed");
        if let Some(post) = failed {
            self.announce(&AccountEvent::post_failed(&post)).await;
        }
        Ok(())
    }

    /// Notifies the user of a transition already made. A failure is logged and left to the
    /// notification sweep: it never undoes or holds up the workflow.
    pub(super) async fn announce(&self, event: &AccountEvent) {
        if let Err(e) = notify::raise(&self.store, &self.queue, event).await {
            tracing::warn!(error = %e, kind = event.kind.as_str(), "notification not raised yet; the sweep will");
        }
    }

    /// [`Engine::announce`] with the user's preferences already read.
    pub(super) async fn announce_as(&self, event: &AccountEvent, prefs: &NotificationPreferences) {
        if let Err(e) = notify::raise_as(&self.store, &self.queue, event, prefs).await {
            tracing::warn!(error = %e, kind = event.kind.as_str(), "notification not raised yet; the sweep will");
        }
    }

    /// Notifies the reconnect of the connection's parked posts (as [`Engine::announce`]).
    async fn announce_parked(&self, connection_id: &str) {
        if let Err(e) = notify::raise_parked(&self.store, &self.queue, connection_id).await {
            tracing::warn!(error = %e, "reconnect notifications not raised yet; the sweep will");
        }
    }

    /// Raises `post.failed` of the workflow's post version (once, however often called).
    async fn raise_failed(
        &self,
        wf: &Workflow,
        connection: Option<&Connection>,
        reason: &str,
    ) -> Result<(), EngineError> {
        let event = Event::failed(
            &wf.post_id,
            wf.post_version,
            &wf.connection_id,
            connection,
            reason,
        );
        webhooks::fan_out(&self.store, &self.queue, &wf.user_id, &event).await?;
        Ok(())
    }

    /// Raises `post.published` with the settled record (once, however often called) to the
    /// endpoints read with the post. The post is read again only when one listens, so a user
    /// without one costs no read.
    async fn raise_published(
        &self,
        wf: &Workflow,
        connection: Option<&Connection>,
        endpoints: &[WebhookEndpoint],
    ) -> Result<(), EngineError> {
        if endpoints.is_empty() {
            return Ok(());
        }
        if let Some(post) = self.store.posts().by_id(&wf.post_id).await? {
            let event = Event::published(&post, &wf.connection_id, connection);
            webhooks::fan_out_to(&self.store, &self.queue, endpoints, &event).await?;
        }
        Ok(())
    }

    async fn wait_until(
        &self,
        wf: &Workflow,
        owner: &str,
        at: chrono::DateTime<Utc>,
        set: mongodb::bson::Document,
    ) -> Result<(), EngineError> {
        self.store.workflows().release(wf, owner, at, set).await?;
        self.schedule(&wf.post_id, at).await
    }

    async fn schedule(&self, post_id: &str, at: chrono::DateTime<Utc>) -> Result<(), EngineError> {
        let when =
            SystemTime::UNIX_EPOCH + Duration::from_millis(at.timestamp_millis().max(0) as u64);
        PublishPost::enqueue(
            &self.queue,
            post_id,
            &format!("wait:{post_id}:{}", at.timestamp_millis()),
            Some(when),
        )
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        wf: &Workflow,
        step: &str,
        attempt: u32,
        started: chrono::DateTime<Utc>,
        outcome: StepOutcome,
        error: Option<StepError>,
        next_retry_at: Option<chrono::DateTime<Utc>>,
        note: Option<String>,
    ) {
        let outcome_name = format!("{outcome:?}").to_lowercase();
        metrics::counter!("aistudio_workflow_steps_total", "step" => step.to_string(), "outcome" => outcome_name).increment(1);
        self.events.record(WorkflowEvent {
            post_id: wf.post_id.clone(),
            user_id: wf.user_id.clone(),
            step: step.to_string(),
            attempt,
            worker: self.worker.to_string(),
            started_at: started,
            ended_at: Utc::now(),
            outcome,
            error,
            next_retry_at,
            note,
        });
    }

    /// Waits until every event recorded so far is written (graceful shutdown).
    pub async fn flush_events(&self) {
        self.events.flush().await;
    }
}
