//! The record of a published post, made final once: its media (found first when the publish
//! answer did not name it), its permalink, and as `published_at` Instagram's own publish
//! time, which only ever moves earlier than when the publisher learned the post was live.
//!
//! Lateness (`published_at - scheduled_at`, the `aistudio_publish_lateness_seconds`
//! histogram) is recorded here, by the one call that settles the record, so each post counts
//! once and with its final `published_at`.

use aistudio_config::Secret;
use chrono::{DateTime, Utc};
use mongodb::bson::doc;

use super::engine::Engine;
use super::outcome::{StepResult, step_error};
use super::steps::internal;
use crate::clients::{CallKind, MediaId};
use crate::store::{Post, Settlement, Workflow};

/// `published_at` once settled: the earlier of what it was and Instagram's time.
fn final_published_at(post: &Post, instagram_at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (post.published_at, instagram_at) {
        (Some(learned), Some(instagram)) => Some(learned.min(instagram)),
        (learned, instagram) => learned.or(instagram),
    }
}

/// Records the lateness of a post whose record was just made final, `published` its final
/// `published_at`.
pub(super) fn count_lateness(post: &Post, published: Option<DateTime<Utc>>) {
    if let (Some(published), Some(scheduled)) = (published, post.content.scheduled_at) {
        let lateness = (published - scheduled).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!("aistudio_publish_lateness_seconds").record(lateness);
    }
}

impl Engine {
    /// Finds the media if the publish answer did not name it, then reads its permalink and
    /// Instagram's publish time (three tries; never fails the post) and settles the record.
    pub(super) async fn fetch_permalink(
        &self,
        wf: &Workflow,
        post: &Post,
        ig_user_id: &str,
        token: &Secret,
    ) -> StepResult {
        if post.settled_at.is_some() {
            return StepResult::Advance(doc! {});
        }
        let Some(media) = post.ig_media_id.clone().or_else(|| wf.ig_media_id.clone()) else {
            return self.find_media(wf, post, ig_user_id, token).await;
        };
        match self.graph.published_media(&MediaId(media), token).await {
            Ok(answer) => {
                let settlement = Settlement {
                    permalink: answer.value.permalink,
                    instagram_at: answer.value.timestamp,
                    unresolved: None,
                };
                self.settle(post, settlement).await
            }
            Err(_) if wf.attempts >= 2 => self.settle(post, Settlement::default()).await,
            Err(e) => {
                let class = e.classify(CallKind::Read);
                StepResult::Retry(step_error(&class, &e))
            }
        }
    }

    /// Makes the post's record final and counts its lateness, once.
    pub(super) async fn settle(&self, post: &Post, settlement: Settlement) -> StepResult {
        match self.store.posts().settle(&post.id, &settlement).await {
            Ok(true) => {
                count_lateness(post, final_published_at(post, settlement.instagram_at));
                StepResult::Advance(doc! {})
            }
            Ok(false) => StepResult::Advance(doc! {}),
            Err(e) => StepResult::Retry(internal(e.to_string())),
        }
    }
}
