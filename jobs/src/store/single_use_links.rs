//! Emailed links that work once within a time limit (password resets, email verifications).
//!
//! The record is made when the link is asked for; its token is made by the email job when it
//! sends the link, and only the token's SHA-256 is stored. Using a link marks it used, and every
//! other pending link of the same collection for the account stops working too.

use chrono::{DateTime, Utc};
use mongodb::Collection;
use mongodb::bson::doc;
use serde::de::DeserializeOwned;

use super::{StoreError, bson_now};
use crate::crypto::session_token;

/// Longest token a link may carry (real ones are 43 characters).
const MAX_TOKEN_LEN: usize = 128;

/// A stored link: `_id`, `user_id`, `expires_at`, `token_hash` and `used_at` fields.
pub(super) trait SingleUseLink: DeserializeOwned + Send + Sync + Unpin {
    /// The record's id.
    fn id(&self) -> &str;
    /// The account.
    fn user_id(&self) -> &str;
    /// Whether the link still works at `now` (unused, unexpired).
    fn usable_at(&self, now: DateTime<Utc>) -> bool;
}

/// Makes the token of link `id` (replacing any made before, whose email may not have
/// arrived); `None` once the link was used or expired.
pub(super) async fn issue_token<T: SingleUseLink>(
    collection: &Collection<T>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, T)>, StoreError> {
    let (token, token_hash) = session_token::generate();
    let updated = collection
        .update_one(
            doc! { "_id": id, "used_at": null, "expires_at": { "$gt": now } },
            doc! { "$set": { "token_hash": &token_hash } },
        )
        .await?;
    if updated.matched_count == 0 {
        return Ok(None);
    }
    let link = collection.find_one(doc! { "_id": id }).await?;
    Ok(link.map(|l| (token, l)))
}

/// Uses the link that carries `token`, once, if it is unused and unexpired; every other
/// pending link of its account stops working too. The link as it was before use.
pub(super) async fn redeem<T: SingleUseLink>(
    collection: &Collection<T>,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<T>, StoreError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(None);
    }
    let hash = session_token::digest(token);
    let Some(link) = collection.find_one(doc! { "token_hash": &hash }).await? else {
        return Ok(None);
    };
    if !link.usable_at(now) {
        return Ok(None);
    }
    let used = collection
        .update_one(
            doc! { "_id": link.id(), "token_hash": &hash, "used_at": null },
            doc! { "$set": { "used_at": bson_now() } },
        )
        .await?;
    if used.modified_count == 0 {
        return Ok(None);
    }
    collection
        .update_many(
            doc! { "user_id": link.user_id(), "used_at": null },
            doc! { "$set": { "used_at": bson_now() } },
        )
        .await?;
    Ok(Some(link))
}
