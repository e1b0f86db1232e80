//! The writes and reads that hold a connection's queued posts while its queue is paused, and
//! release them when it resumes.
//!
//! A held post carries [`Post::held`]: the version of the pause holding it (or [`super::ADDING`]
//! while it is being added). The publisher's claim and the dispatcher's query take only posts
//! without it, so holding needs no read of the schedule on the publishing path. Every write
//! below increments the version of the posts it changes, so a claim of a version read before
//! it cannot land. Holds only ever grow to a later pause's version, and a resume releases only
//! the holds of pauses up to the schedule version it read, so a late write never releases a
//! newer pause's hold.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::doc;

use super::compare_and_set::update_then_read;
use super::posts::names;
use super::{Post, PostStatus, Posts, StoreError, bson_now};

/// Statuses of queued posts still to publish that a pause holds: scheduled, and parked (a
/// reconnect makes them scheduled again, still held).
const HOLDABLE: [PostStatus; 2] = [PostStatus::Scheduled, PostStatus::NeedsReconnect];

impl Posts {
    /// Holds every queued post of the connection still to publish with the pause of version
    /// `pause` (posts held by an earlier pause, or being added, included); how many changed.
    pub async fn hold_queue(&self, connection_id: &str, pause: i64) -> Result<u64, StoreError> {
        let result = self
            .collection
            .update_many(
                doc! {
                    "connection_id": connection_id,
                    "status": { "$in": names(&HOLDABLE) },
                    "queue_slot": { "$exists": true },
                    "held": { "$not": { "$gte": pause } },
                },
                doc! {
                    "$set": { "held": pause, "updated_at": bson_now() },
                    "$inc": { "version": 1 },
                },
            )
            .await?;
        Ok(result.modified_count)
    }

    /// The connection's held posts, soonest first.
    pub async fn held_in_queue(&self, connection_id: &str) -> Result<Vec<Post>, StoreError> {
        Ok(self
            .collection
            .find(doc! {
                "connection_id": connection_id,
                "held": { "$exists": true, "$ne": null },
                "status": { "$in": names(&HOLDABLE) },
            })
            .sort(doc! { "scheduled_at": 1, "_id": 1 })
            .await?
            .try_collect()
            .await?)
    }

    /// Moves a held post, as read, to the queue slot `slot` at `at`, if nothing changed it
    /// since; the post as written, or `None` when it changed. [`StoreError::Duplicate`] when
    /// another post holds `slot`.
    pub async fn reslot_held(
        &self,
        post: &Post,
        slot: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Post>, StoreError> {
        update_then_read(
            &self.collection,
            doc! {
                "_id": &post.id, "version": post.version, "held": post.held,
                "queue_slot": post.queue_slot.as_deref(),
            },
            doc! {
                "$set": {
                    "queue_slot": slot,
                    "scheduled_at": mongodb::bson::DateTime::from_chrono(at),
                    "publish_now": false,
                    "updated_at": bson_now(),
                },
                "$inc": { "version": 1 },
            },
        )
        .await
    }

    /// Releases the connection's posts held by a pause of version at most `up_to` (or being
    /// added) whose time is not before `not_before`; how many.
    pub async fn release_holds(
        &self,
        connection_id: &str,
        up_to: i64,
        not_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = self
            .collection
            .update_many(
                doc! {
                    "connection_id": connection_id,
                    "held": { "$lte": up_to },
                    "scheduled_at": { "$gte": mongodb::bson::DateTime::from_chrono(not_before) },
                },
                doc! {
                    "$unset": { "held": "" },
                    "$set": { "updated_at": bson_now() },
                    "$inc": { "version": 1 },
                },
            )
            .await?;
        Ok(result.modified_count)
    }

    /// The connection's queued posts the publisher has claimed and not finished: being
    /// prepared for publishing or being published, which a pause cannot stop.
    pub async fn claimed_in_queue(&self, connection_id: &str) -> Result<Vec<Post>, StoreError> {
        Ok(self
            .collection
            .find(doc! {
                "connection_id": connection_id,
                "status": PostStatus::Publishing.as_str(),
                "queue_slot": { "$exists": true },
            })
            .sort(doc! { "scheduled_at": 1, "_id": 1 })
            .await?
            .try_collect()
            .await?)
    }
}
