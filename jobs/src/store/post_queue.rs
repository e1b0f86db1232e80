//! The writes and reads that reorder a connection's queue: a queued post's neighbour, and
//! moving a post's slot key (the unique [`Post::queue_slot`]) by compare-and-set.
//!
//! While a post moves it holds a *moving key*, `<from slot>><to slot>`: unique like a slot key
//! (only the post holding `from` can take it), and naming both ends so an interrupted move can
//! be finished or undone from the post alone.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc};

use super::compare_and_set::update_then_read;
use super::posts::names;
use super::{Post, PostStatus, Posts, StoreError, bson_now};

/// The moving key of a post going from slot key `from` to slot key `to`.
pub fn moving_key(from: &str, to: &str) -> String {
    format!("{from}>{to}")
}

/// The two slot keys of a moving key, `None` for a plain slot key.
pub fn moving_ends(key: &str) -> Option<(&str, &str)> {
    key.split_once('>')
}

/// The instant of a slot key (`<connection id>@<RFC 3339>`).
pub fn slot_instant(key: &str) -> Option<DateTime<Utc>> {
    let (_, at) = key.rsplit_once('@')?;
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

impl Posts {
    /// The queued post of the user's connection still scheduled nearest before (`earlier`) or
    /// after `at`: the neighbour a queued post swaps slots with.
    pub async fn queue_neighbour(
        &self,
        user_id: &str,
        connection_id: &str,
        at: DateTime<Utc>,
        earlier: bool,
    ) -> Result<Option<Post>, StoreError> {
        let at = mongodb::bson::DateTime::from_chrono(at);
        let (range, order) = if earlier {
            (doc! { "$lt": at }, -1)
        } else {
            (doc! { "$gt": at }, 1)
        };
        Ok(self
            .collection
            .find_one(doc! {
                "user_id": user_id,
                "connection_id": connection_id,
                "status": PostStatus::Scheduled.as_str(),
                "queue_slot": { "$exists": true },
                "scheduled_at": range,
            })
            .sort(doc! { "scheduled_at": order, "_id": order })
            .await?)
    }

    /// Replaces the post's slot key `from` with `to` (and its time with `at`, when given), if
    /// it still holds `from`, and, when `version` is given, is at that version and scheduled
    /// (without, parked too: a move under way finishes); the post as written, or `None` when
    /// it no longer matched. [`StoreError::Duplicate`] when another post holds `to`.
    pub async fn swap_queue_key(
        &self,
        id: &str,
        version: Option<i64>,
        from: &str,
        to: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<Option<Post>, StoreError> {
        let mut filter = doc! { "_id": id, "queue_slot": from };
        match version {
            Some(version) => {
                filter.insert("version", version);
                filter.insert("status", PostStatus::Scheduled.as_str());
            }
            None => {
                filter.insert(
                    "status",
                    doc! { "$in": names(&[PostStatus::Scheduled, PostStatus::NeedsReconnect]) },
                );
            }
        }
        let mut set: Document = doc! { "queue_slot": to, "updated_at": bson_now() };
        if let Some(at) = at {
            set.insert("scheduled_at", mongodb::bson::DateTime::from_chrono(at));
            set.insert("publish_now", false);
        }
        update_then_read(
            &self.collection,
            filter,
            doc! { "$set": set, "$inc": { "version": 1 } },
        )
        .await
    }

    /// The connection's queued posts still to publish whose slot key is a moving key written
    /// before `before` (moves that were interrupted).
    pub async fn interrupted_queue_moves(
        &self,
        connection_id: &str,
        before: DateTime<Utc>,
    ) -> Result<Vec<Post>, StoreError> {
        let queued: Vec<Post> = self
            .collection
            .find(doc! {
                "connection_id": connection_id,
                "status": { "$in": names(&[PostStatus::Scheduled, PostStatus::NeedsReconnect]) },
                "queue_slot": { "$exists": true },
                "updated_at": { "$lt": mongodb::bson::DateTime::from_chrono(before) },
            })
            .await?
            .try_collect()
            .await?;
        Ok(queued
            .into_iter()
            .filter(|p| p.queue_slot.as_deref().and_then(moving_ends).is_some())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moving_key_names_both_slots_and_a_slot_key_its_instant() {
        let from = "c1@2027-01-04T08:30:00Z";
        let to = "c1@2027-01-06T17:00:00Z";
        let moving = moving_key(from, to);
        assert_eq!(moving_ends(&moving), Some((from, to)));
        assert_eq!(moving_ends(from), None);
        assert_eq!(
            slot_instant(to).map(|at| at.to_rfc3339()),
            Some("2027-01-06T17:00:00+00:00".to_string())
        );
        assert_eq!(slot_instant("no-instant"), None);
    }
}
