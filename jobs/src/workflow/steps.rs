//! The workflow's steps. Each is one function of the current state returning a
//! [`StepResult`]; the engine persists what it returns.

use std::time::Duration;

use aistudio_config::Secret;
use futures::TryStreamExt;
use mongodb::bson::{Bson, doc};

use super::engine::Engine;
use super::outcome::{StepResult, react, step_error};
use super::publish_record::count_lateness;
use super::{quota, sign_media_url};
use crate::clients::{
    CallKind, ClientError, ContainerId, ContainerSpec, ErrorClass, MediaId, MediaUrl, StatusCode,
};
use crate::domain::PostKind;
use crate::notify::AccountEvent;
use crate::store::{NotificationPreferences, Post, Settlement, StepError, WorkItem, Workflow};

fn items_bson(items: &[WorkItem]) -> Bson {
    mongodb::bson::to_bson(items).unwrap_or(Bson::Array(Vec::new()))
}

fn media_url(item: &WorkItem) -> Option<MediaUrl> {
    let url = item.public_url.clone()?;
    Some(if item.is_video {
        MediaUrl::Video(url)
    } else {
        MediaUrl::Image(url)
    })
}

/// The container that gets published: the carousel parent, or the only container.
pub fn publish_container(wf: &Workflow) -> Option<ContainerId> {
    wf.parent_container_id
        .clone()
        .or_else(|| wf.items.first().and_then(|i| i.container_id.clone()))
        .map(ContainerId)
}

/// The error record of a failure of our own (database, configuration).
pub(super) fn internal(message: String) -> StepError {
    StepError {
        class: "internal".into(),
        code: None,
        subcode: None,
        message,
    }
}

/// The longest poll interval waited out inside the step.
const SHORT_POLL: Duration = Duration::from_secs(2);
/// How long a step polls in place before it gives the workflow back to wait in the queue.
const POLL_IN_PLACE: Duration = Duration::from_secs(10);

impl Engine {
    /// Uploads each image to ImgBB (with an expiration) and signs each video's public URL,
    /// saving after each item but the last so progress survives a crash.
    pub(super) async fn prepare_media(&self, wf: &Workflow) -> StepResult {
        let settings = &self.settings;
        let mut items = wf.items.clone();
        let expires = chrono::Utc::now().timestamp() + settings.workflow.media_url_ttl_secs as i64;
        let pending = items.iter().position(|i| i.public_url.is_none());
        if let Some(index) = pending {
            let item = &mut items[index];
            if item.is_video {
                match sign_media_url(
                    &settings.security,
                    &settings.server.public_base_url,
                    &item.media_id,
                    expires,
                ) {
                    Some(url) => item.public_url = Some(url),
                    None => {
                        return StepResult::Retry(internal(
                            "no token key to sign media URLs".into(),
                        ));
                    }
                }
            } else {
                match self.upload_image(&item.media_id).await {
                    Ok(url) => item.public_url = Some(url),
                    Err(result) => return result,
                }
            }
            if items.iter().any(|i| i.public_url.is_none()) {
                return StepResult::Progress(doc! { "items": items_bson(&items) });
            }
        }
        // The last item's URL is saved with the step's end, in one write.
        let mut set = doc! { "items": items_bson(&items) };
        if let Some(cover) = &wf.cover_url
            && !cover.starts_with("http")
        {
            match self.upload_image(cover).await {
                Ok(url) => {
                    set.insert("cover_url", url);
                }
                Err(result) => return result,
            }
        }
        StepResult::Advance(set)
    }

    async fn upload_image(&self, media_id: &str) -> Result<String, StepResult> {
        let stream = self.media.open(media_id).await.map_err(|e| {
            StepResult::Fail(
                internal(e.to_string()),
                "A media file of this post is missing; edit the post and choose it again.".into(),
            )
        })?;
        let chunks: Vec<Vec<u8>> = stream
            .try_collect()
            .await
            .map_err(|e| StepResult::Retry(internal(e.to_string())))?;
        let bytes = chunks.concat();
        let expiration = Duration::from_secs(self.settings.imgbb.expiration_secs);
        match self
            .imgbb
            .upload(bytes, &format!("{media_id}.jpg"), Some(expiration))
            .await
        {
            Ok(uploaded) => Ok(uploaded.url),
            Err(e) => Err(match e.classify(CallKind::Write) {
                ErrorClass::Transient
                | ErrorClass::OutcomeUnknown
                | ErrorClass::Throttled { .. } => {
                    StepResult::Retry(step_error(&ErrorClass::Transient, &e))
                }
                class => {
                    let error = step_error(&class, &e);
                    StepResult::Retry(error)
                }
            }),
        }
    }

    /// Creates the containers: one per item for carousels (then the parent), else one.
    pub(super) async fn create_containers(
        &self,
        wf: &Workflow,
        post: &Post,
        ig_user_id: &str,
        token: &Secret,
    ) -> StepResult {
        let caption = Some(post.content.caption.clone()).filter(|c| !c.is_empty());
        let mut items = wf.items.clone();
        let spec = match post.content.kind {
            PostKind::Carousel => {
                if let Some(index) = items.iter().position(|i| i.container_id.is_none()) {
                    let Some(url) = media_url(&items[index]) else {
                        return StepResult::Retry(internal("media not prepared".into()));
                    };
                    match self
                        .graph
                        .create_container(ig_user_id, token, &ContainerSpec::CarouselItem(url))
                        .await
                    {
                        Ok(answer) => {
                            items[index].container_id = Some(answer.value.0);
                            return StepResult::Progress(doc! { "items": items_bson(&items) });
                        }
                        Err(e) => return self.on_client_error(e, CallKind::Write),
                    }
                }
                ContainerSpec::Carousel {
                    children: items
                        .iter()
                        .filter_map(|i| i.container_id.clone().map(ContainerId))
                        .collect(),
                    caption,
                }
            }
            PostKind::Image => {
                let (Some(item), true) = (items.first(), items.len() == 1) else {
                    return StepResult::Fail(
                        internal("image post without exactly one item".into()),
                        "This post has no image.".into(),
                    );
                };
                ContainerSpec::Image {
                    image_url: item.public_url.clone().unwrap_or_default(),
                    caption,
                    alt_text: item.alt_text.clone(),
                }
            }
            PostKind::Reel => ContainerSpec::Reel {
                video_url: items
                    .first()
                    .and_then(|i| i.public_url.clone())
                    .unwrap_or_default(),
                caption,
                cover_url: wf.cover_url.clone(),
                share_to_feed: Some(true),
                thumb_offset_ms: None,
            },
            PostKind::Story => match items.first().and_then(media_url) {
                Some(url) => ContainerSpec::Story(url),
                None => return StepResult::Retry(internal("media not prepared".into())),
            },
        };
        match self.graph.create_container(ig_user_id, token, &spec).await {
            Ok(answer) => {
                let id = answer.value.0;
                if post.content.kind == PostKind::Carousel {
                    StepResult::Advance(
                        doc! { "parent_container_id": id, "poll_started_at": mongodb::bson::DateTime::now() },
                    )
                } else {
                    if let Some(first) = items.first_mut() {
                        first.container_id = Some(id);
                    }
                    StepResult::Advance(
                        doc! { "items": items_bson(&items), "poll_started_at": mongodb::bson::DateTime::now() },
                    )
                }
            }
            Err(e) => self.on_client_error(e, CallKind::Write),
        }
    }

    /// Waits until every container is `FINISHED`.
    pub(super) async fn poll_containers(&self, wf: &Workflow, token: &Secret) -> StepResult {
        let mut ids: Vec<ContainerId> = wf
            .items
            .iter()
            .filter_map(|i| i.container_id.clone().map(ContainerId))
            .collect();
        if let Some(parent) = &wf.parent_container_id {
            ids.push(ContainerId(parent.clone()));
        }
        let polling = tokio::time::Instant::now();
        let mut finished = 0;
        while let Some(id) = ids.get(finished) {
            match self.graph.container_status(id, token).await {
                Ok(answer) => match answer.value.status_code {
                    StatusCode::Finished | StatusCode::Published => finished += 1,
                    StatusCode::InProgress | StatusCode::Unknown(_) => match self.poll_wait(wf) {
                        // A short wait is waited out here (the lease is renewed meanwhile),
                        // rather than by giving the workflow back and taking it again.
                        StepResult::Wait { delay, .. }
                            if delay <= SHORT_POLL
                                && polling.elapsed() + delay <= POLL_IN_PLACE =>
                        {
                            tokio::time::sleep(delay).await;
                        }
                        wait => return wait,
                    },
                    StatusCode::Error | StatusCode::Expired => {
                        return StepResult::NewContainers(StepError {
                            class: "container_unusable".into(),
                            code: None,
                            subcode: answer.value.error_subcode(),
                            message: answer
                                .value
                                .status
                                .unwrap_or_else(|| "container error".into()),
                        });
                    }
                },
                Err(e) => return self.on_client_error(e, CallKind::Read),
            }
        }
        StepResult::Advance(doc! {})
    }

    fn poll_wait(&self, wf: &Workflow) -> StepResult {
        let w = &self.settings.workflow;
        let started = wf.poll_started_at.unwrap_or_else(chrono::Utc::now);
        let elapsed = (chrono::Utc::now() - started).to_std().unwrap_or_default();
        if elapsed > Duration::from_secs(w.poll_timeout_secs) {
            return StepResult::Fail(
                internal("container processing timed out".into()),
                "Instagram did not finish processing the media in time; try a smaller file.".into(),
            );
        }
        let delay = Duration::from_millis(w.poll_initial_ms)
            .saturating_mul(1 + elapsed.as_secs() as u32 / 10)
            .min(Duration::from_millis(w.poll_max_ms));
        StepResult::Wait {
            delay,
            reason: "Instagram is processing the media".into(),
        }
    }

    /// Publishes the container, exactly once: an earlier attempt whose outcome is unknown is
    /// resolved by reading the container first; the media id is stored as soon as it returns.
    pub(super) async fn publish(
        &self,
        wf: &Workflow,
        post: &Post,
        owner: &str,
        ig_user_id: &str,
        token: &Secret,
        preferences: &NotificationPreferences,
    ) -> StepResult {
        let Some(container) = publish_container(wf) else {
            return StepResult::NewContainers(internal("no container to publish".into()));
        };
        if wf.publish_attempted_at.is_some() {
            match self.graph.container_status(&container, token).await {
                Ok(answer) => match answer.value.status_code {
                    StatusCode::Published => {
                        return self.published(wf, post, None, token, preferences).await;
                    }
                    StatusCode::Finished => {}
                    StatusCode::InProgress | StatusCode::Unknown(_) => return self.poll_wait(wf),
                    StatusCode::Error | StatusCode::Expired => {
                        return StepResult::NewContainers(internal(
                            "container unusable before publish".into(),
                        ));
                    }
                },
                Err(e) => return self.on_client_error(e, CallKind::Read),
            }
        }
        match self.graph.publishing_limit(ig_user_id, token).await {
            Ok(answer) if answer.value.usage >= answer.value.total => {
                return StepResult::Wait {
                    delay: Duration::from_secs(1800),
                    reason: format!(
                        "quota: {} of {} posts published in the last 24 hours",
                        answer.value.usage, answer.value.total
                    ),
                };
            }
            Ok(answer) => {
                match quota::reserve(&self.queue, ig_user_id, &wf.post_id, answer.value.total).await
                {
                    Ok(Some(wait)) => {
                        return StepResult::Wait {
                            delay: wait,
                            reason: "quota: the account's 24-hour publishing limit is reached"
                                .into(),
                        };
                    }
                    Ok(None) => {}
                    Err(e) => return StepResult::Retry(internal(e.to_string())),
                }
            }
            Err(e) => return self.on_client_error(e, CallKind::Read),
        }
        // The first call's time stays: it is the earliest the post can have gone live.
        let attempt = if wf.publish_attempted_at.is_none() {
            doc! { "publish_attempted_at": mongodb::bson::DateTime::now() }
        } else {
            doc! {}
        };
        let marked = self
            .store
            .workflows()
            .save(wf, owner, self.lease(), attempt)
            .await;
        let wf = match marked {
            // The lease was just renewed; if it has nearly run out anyway, this process was
            // not running in between (stopped, starved): another worker may be taking over.
            Ok(Some(saved))
                if saved
                    .lease_expires_at
                    .is_none_or(|until| until - chrono::Utc::now() < self.lease() / 2) =>
            {
                return StepResult::Abandon("lease ran out before publishing".into());
            }
            Ok(Some(saved)) => saved,
            Ok(None) => return StepResult::Abandon("lease lost before publishing".into()),
            Err(e) => return StepResult::Retry(internal(e.to_string())),
        };
        let wf = &wf;
        match self.graph.publish(ig_user_id, token, &container).await {
            Ok(answer) => {
                self.published(wf, post, Some(answer.value), token, preferences)
                    .await
            }
            Err(e) => {
                let class = e.classify(CallKind::Publish);
                match class {
                    ErrorClass::OutcomeUnknown
                    | ErrorClass::SpamFlagged
                    | ErrorClass::Transient
                    | ErrorClass::Unknown => {
                        // Was it published anyway? Read before anything else.
                        match self.graph.container_status(&container, token).await {
                            Ok(read) if read.value.status_code == StatusCode::Published => {
                                self.published(wf, post, None, token, preferences).await
                            }
                            Ok(_) => {
                                let _ = quota::release(&self.queue, ig_user_id, &wf.post_id).await;
                                react(class, &e)
                            }
                            // Unknown either way: retry; the next attempt reads the container first.
                            Err(_) => {
                                StepResult::Retry(step_error(&ErrorClass::OutcomeUnknown, &e))
                            }
                        }
                    }
                    ErrorClass::QuotaExhausted => {
                        let _ = quota::release(&self.queue, ig_user_id, &wf.post_id).await;
                        react(class, &e)
                    }
                    _ => {
                        let _ = quota::release(&self.queue, ig_user_id, &wf.post_id).await;
                        self.on_client_error(e, CallKind::Publish)
                    }
                }
            }
        }
    }

    /// Records the post published. When the publish answer named the media, its permalink and
    /// Instagram's time are read at once and written with the status, which makes the record
    /// final in one write and ends the workflow; otherwise (or if that read fails) the
    /// `fetch_permalink` step follows. The media stays pinned: a published post no longer
    /// holds it (`content::media_delete`).
    async fn published(
        &self,
        wf: &Workflow,
        post: &Post,
        media: Option<MediaId>,
        token: &Secret,
        preferences: &NotificationPreferences,
    ) -> StepResult {
        let learned = chrono::Utc::now();
        let settlement = match &media {
            Some(media) => self
                .graph
                .published_media(media, token)
                .await
                .ok()
                .map(|answer| Settlement {
                    permalink: answer.value.permalink,
                    instagram_at: answer.value.timestamp,
                    unresolved: None,
                }),
            None => None,
        };
        let media_id = media.map(|m| m.0);
        let changed = match self
            .store
            .posts()
            .mark_published(
                &wf.post_id,
                media_id.as_deref(),
                learned,
                settlement.as_ref(),
            )
            .await
        {
            Ok(changed) => changed,
            Err(e) => return StepResult::Retry(internal(e.to_string())),
        };
        if changed {
            metrics::counter!("aistudio_posts_published_total").increment(1);
            self.announce_as(&AccountEvent::post_published(post), preferences)
                .await;
        }
        let media = media_id.map_or(Bson::Null, Bson::String);
        // The marker saved during this step goes with its end (the engine does not read back).
        let attempted = wf
            .publish_attempted_at
            .map_or(Bson::Null, |t| Bson::DateTime(t.into()));
        let set = doc! { "ig_media_id": media, "publish_attempted_at": attempted };
        match settlement {
            Some(settlement) if changed => {
                let instagram = settlement.instagram_at;
                count_lateness(post, Some(instagram.map_or(learned, |at| at.min(learned))));
                StepResult::Finish(set)
            }
            // Lateness is counted when the record is final (`publish_record`).
            _ => StepResult::Advance(set),
        }
    }

    fn on_client_error(&self, e: ClientError, call: CallKind) -> StepResult {
        react(e.classify(call), &e)
    }
}
