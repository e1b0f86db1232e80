//! Finding the media of a post Instagram published without saying which it became: the
//! account's recent media are read (a few at a time, only as far back as the publish) and
//! matched by [`media_match`](super::media_match)'s rule, which never guesses.
//!
//! The list can lag behind the publish: a lookup that finds nothing, or finds a media that
//! another post still being resolved might own, is repeated with the workflow's retry backoff,
//! at most `workflow.max_attempts` lookups in all. Then, or at once when the media cannot be
//! told apart or the listing was cut short (`MAX_PAGES` newer media), the post stays
//! `published` with a note saying why it has no link. It never fails the post and never
//! publishes again.

use std::collections::HashSet;

use aistudio_config::Secret;
use mongodb::bson::doc;

use super::engine::Engine;
use super::media_match::{self, Decision, Listing, Rival, Shape, Wanted};
use super::outcome::{StepResult, step_error};
use super::steps::internal;
use crate::clients::{CallKind, ClientError};
use crate::store::{
    MediaUnresolved, Post, PostStatus, Settlement, StepError, StoreError, WorkItem, Workflow,
};

/// Media per page of the account's list.
const PAGE_SIZE: u32 = 20;
/// Pages read at most per lookup (200 media newer than the publish: more than Instagram's
/// daily publishing limit); a listing cut short never finds a media, then or later.
const MAX_PAGES: usize = 10;
/// Other posts of the account considered at most.
const MAX_RIVALS: i64 = 200;

/// Why the post's media stays unknown after a lookup that did not find it, or `None` to look
/// again later. A listing cut short (`MAX_PAGES` read without reaching back to the publish)
/// stays cut short: media published since only push the post's further back, so a later
/// lookup can only conclude what this one does, after `workflow.max_attempts` lookups.
fn conclusion(
    decision: &Decision,
    listing_complete: bool,
    last_lookup: bool,
) -> Option<MediaUnresolved> {
    let final_lookup = last_lookup || !listing_complete;
    match decision {
        Decision::Found(_) => None,
        Decision::Ambiguous => Some(MediaUnresolved::Ambiguous),
        Decision::NotListed => final_lookup.then_some(MediaUnresolved::NotFound),
        Decision::Unsettled => final_lookup.then_some(MediaUnresolved::Ambiguous),
    }
}

fn shape(post: &Post, items: &[WorkItem]) -> Shape {
    Shape::of(post.content.kind, items.first().map(|i| i.is_video))
}

fn caption(post: &Post) -> String {
    media_match::sent_caption(post.content.kind, &post.content.caption).to_string()
}

impl Engine {
    /// Looks the post's media up in the account's recent media; see the module documentation.
    #[tracing::instrument(skip_all, fields(post_id = %post.id, user_id = %post.user_id, ig_user_id = %ig_user_id))]
    pub(super) async fn find_media(
        &self,
        wf: &Workflow,
        post: &Post,
        ig_user_id: &str,
        token: &Secret,
    ) -> StepResult {
        let last_lookup = wf.attempts + 1 >= self.settings.workflow.max_attempts;
        let (Some(attempted_at), Some(learned_at)) = (wf.publish_attempted_at, post.published_at)
        else {
            // Without both ends of the publish window nothing can be matched without guessing.
            return self.unresolved(post, MediaUnresolved::NotFound).await;
        };
        let wanted = Wanted {
            shape: shape(post, &wf.items),
            caption: caption(post),
            attempted_at,
            learned_at,
        };
        let listing = match self.list_recent(ig_user_id, token, &wanted).await {
            Ok(listing) => listing,
            Err(e) if last_lookup => {
                tracing::warn!(error = %e, "the account's recent media could not be read");
                return self.unresolved(post, MediaUnresolved::NotFound).await;
            }
            Err(e) => return StepResult::Retry(step_error(&e.classify(CallKind::Read), &e)),
        };
        let (taken, rivals) = match self.claims(wf, post, &listing, &wanted).await {
            Ok(claims) => claims,
            Err(e) => return StepResult::Retry(internal(e.to_string())),
        };
        match media_match::decide(&wanted, &listing, &taken, &rivals) {
            Decision::Found(media) => {
                match self.store.posts().record_media(&post.id, &media.id).await {
                    Ok(true) => {
                        tracing::info!(media_id = %media.id, "found the media of an ambiguous publish");
                        StepResult::Progress(doc! { "ig_media_id": &media.id, "attempts": 0 })
                    }
                    Ok(false) => StepResult::Retry(internal(
                        "the post changed while its media was recorded".into(),
                    )),
                    Err(e) => StepResult::Retry(internal(e.to_string())),
                }
            }
            decision => match conclusion(&decision, listing.complete, last_lookup) {
                Some(reason) => self.unresolved(post, reason).await,
                None if decision == Decision::NotListed => StepResult::Retry(StepError {
                    class: "media_not_listed".into(),
                    code: None,
                    subcode: None,
                    message: "the published media is not among the account's recent media yet"
                        .into(),
                }),
                None => StepResult::Retry(StepError {
                    class: "media_unsettled".into(),
                    code: None,
                    subcode: None,
                    message: "a listed media may be another post's whose publish is being resolved"
                        .into(),
                }),
            },
        }
    }

    /// Reads the account's list newest first, page by page, until it goes back past the
    /// earliest time the post's media can carry (or ends).
    async fn list_recent(
        &self,
        ig_user_id: &str,
        token: &Secret,
        wanted: &Wanted,
    ) -> Result<Listing, ClientError> {
        let mut listing = Listing::default();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .graph
                .recent_media(
                    ig_user_id,
                    token,
                    wanted.shape.edge(),
                    PAGE_SIZE,
                    after.as_deref(),
                )
                .await?
                .value;
            match listing.take(page, wanted.earliest()) {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        Ok(listing)
    }

    /// The media ids our other posts recorded, and our other posts on the account that could
    /// have become a listed media without knowing it.
    async fn claims(
        &self,
        wf: &Workflow,
        post: &Post,
        listing: &Listing,
        wanted: &Wanted,
    ) -> Result<(HashSet<String>, Vec<Rival>), StoreError> {
        let posts = self.store.posts();
        let listed: Vec<String> = listing.items.iter().map(|m| m.id.clone()).collect();
        let taken = posts
            .with_media_ids(&listed)
            .await?
            .into_iter()
            .filter(|p| p.id != post.id)
            .filter_map(|p| p.ig_media_id)
            .collect();

        let mut rivals = Vec::new();
        let mut seen: HashSet<String> = HashSet::from([post.id.clone()]);
        // Publishes under way or just done: they may still learn (or record) their media.
        let in_flight: Vec<Workflow> = self
            .store
            .workflows()
            .publish_attempted_on_connection(&wf.connection_id, MAX_RIVALS)
            .await?
            .into_iter()
            .filter(|w| w.post_id != post.id)
            .collect();
        let ids: Vec<String> = in_flight.iter().map(|w| w.post_id.clone()).collect();
        for other in posts.by_ids(&ids).await? {
            let Some(flow) = in_flight.iter().find(|w| w.post_id == other.id) else {
                continue;
            };
            seen.insert(other.id.clone());
            let live = other.content.status == PostStatus::Published;
            let open = live || other.content.status == PostStatus::Publishing;
            if !open || other.ig_media_id.is_some() {
                continue;
            }
            rivals.push(Rival {
                shape: shape(&other, &flow.items),
                caption: caption(&other),
                attempted_at: flow.publish_attempted_at,
                learned_at: other.published_at.filter(|_| live),
                settled: other.settled_at.is_some(),
            });
        }
        // Published posts without a media id that nothing resolves any more.
        let since = wanted.earliest() - media_match::CLOCK_ALLOWANCE;
        for other in posts
            .published_without_media(&wf.connection_id, since, MAX_RIVALS)
            .await?
        {
            if seen.contains(&other.id) {
                continue;
            }
            rivals.push(Rival {
                shape: shape(&other, &[]),
                caption: caption(&other),
                attempted_at: None,
                learned_at: other.published_at,
                settled: true,
            });
        }
        Ok((taken, rivals))
    }

    /// Leaves the post published without a media id, saying why.
    async fn unresolved(&self, post: &Post, reason: MediaUnresolved) -> StepResult {
        tracing::warn!(
            post_id = %post.id,
            reason = reason.as_str(),
            "the media of an ambiguous publish could not be determined"
        );
        self.settle(
            post,
            Settlement {
                unresolved: Some(reason),
                ..Settlement::default()
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_cut_short_concludes_at_once() {
        let listing_complete = false;
        assert_eq!(
            conclusion(&Decision::NotListed, listing_complete, false),
            Some(MediaUnresolved::NotFound)
        );
        assert_eq!(
            conclusion(&Decision::Unsettled, listing_complete, false),
            Some(MediaUnresolved::Ambiguous)
        );
    }

    #[test]
    fn a_complete_listing_looks_again_until_the_last_lookup() {
        for decision in [Decision::NotListed, Decision::Unsettled] {
            assert_eq!(conclusion(&decision, true, false), None, "{decision:?}");
        }
        assert_eq!(
            conclusion(&Decision::NotListed, true, true),
            Some(MediaUnresolved::NotFound)
        );
        assert_eq!(
            conclusion(&Decision::Unsettled, true, true),
            Some(MediaUnresolved::Ambiguous)
        );
        assert_eq!(
            conclusion(&Decision::Ambiguous, true, false),
            Some(MediaUnresolved::Ambiguous)
        );
    }
}
