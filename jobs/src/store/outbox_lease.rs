//! The lease both outboxes (emails, webhook deliveries) share: a document is `pending` until
//! its next attempt is due; one attempt at a time holds it for a lease, counting the attempt;
//! queue maintenance finds the due ones nobody holds (their jobs lost with Redis).

use chrono::{DateTime, Duration, Utc};
use futures::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{self, Bson, Document, doc};
use serde::de::DeserializeOwned;

use super::StoreError;

/// Pending documents whose attempt is due and that no attempt holds at `now`.
fn due_filter(now: DateTime<Utc>) -> Document {
    let now = bson::DateTime::from_chrono(now);
    doc! {
        "status": "pending",
        "next_attempt_at": { "$lte": now },
        "lease_until": { "$not": { "$gt": now } },
    }
}

/// Takes document `id` if it is pending, due and free, for `lease`, counting the attempt; the
/// document as taken, or `None`.
pub(super) async fn claim<T>(
    collection: &Collection<T>,
    id: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<T>, StoreError>
where
    T: DeserializeOwned + Send + Sync,
{
    let mut filter = due_filter(now);
    filter.insert("_id", id);
    let claimed = collection
        .update_one(
            filter,
            doc! {
                "$set": { "lease_until": bson::DateTime::from_chrono(now + lease) },
                "$inc": { "attempts": 1 },
            },
        )
        .await?;
    if claimed.modified_count == 0 {
        return Ok(None);
    }
    Ok(collection.find_one(doc! { "_id": id }).await?)
}

/// The ids and attempt counts of the documents due and free at `now`, soonest first, at most
/// `limit`.
pub(super) async fn due<T>(
    collection: &Collection<T>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, u32)>, StoreError>
where
    T: Send + Sync,
{
    let rows: Vec<Document> = collection
        .clone_with_type::<Document>()
        .find(due_filter(now))
        .projection(doc! { "attempts": 1 })
        .sort(doc! { "status": 1, "next_attempt_at": 1 })
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let id = row.get_str("_id").ok()?.to_string();
            let attempts = match row.get("attempts") {
                Some(Bson::Int32(n)) => *n as u32,
                Some(Bson::Int64(n)) => *n as u32,
                _ => 0,
            };
            Some((id, attempts))
        })
        .collect())
}
