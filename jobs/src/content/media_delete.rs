//! Deleting a media file, refused while a post that may still publish uses it.
//!
//! The record is first switched to `deleting` by a compare-and-set that requires no pins (so
//! no post write can pin it afterwards), then its bytes are removed, then the record. A retry
//! after a crash finds it `deleting` and finishes. A pin is *live* when its post exists, is at
//! the pin's version and may still publish, or when no post is at its version yet and it is
//! younger than [`PIN_GRACE`] (a write in flight that has not landed yet). Other pins are stale
//! and are removed: leftovers of interrupted writes, and the pins of posts that were published
//! (the publisher leaves them for this check rather than spend a write per post).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::media::{MediaStorage, StorageError};
use crate::store::{Store, StoreError};

/// How long a pin counts as live even if no post version matches it: longer than any request
/// that writes a post can run.
pub const PIN_GRACE: Duration = Duration::from_secs(10 * 60);

/// Why a media file was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum MediaDeleteError {
    /// No such media of this user.
    #[error("media not found")]
    NotFound,
    /// A post that may still publish uses it.
    #[error("{message}")]
    InUse {
        /// The post, once it exists.
        post_id: Option<String>,
        /// For the user: which post, and what to do.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Deletes media `id` of `user_id`, its bytes and its record.
pub async fn delete_media(
    store: &Store,
    storage: &dyn MediaStorage,
    user_id: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), MediaDeleteError> {
    let library = store.media();
    for _ in 0..2 {
        if library.begin_delete(id, user_id).await?.is_some() {
            return finish(store, storage, id).await;
        }
        let media = library
            .any_by_id_for_user(id, user_id)
            .await?
            .ok_or(MediaDeleteError::NotFound)?;
        if media.status == crate::store::MediaStatus::Deleting {
            return finish(store, storage, id).await;
        }
        for pin in &media.used_by {
            let post = store.posts().by_id(&pin.post_id).await?;
            let pinned_version = post.as_ref().filter(|p| p.pin_token == pin.token);
            let current = pinned_version.filter(|p| p.content.status.holds_media());
            // A write in flight: no post is at the pin's version yet.
            let young = pinned_version.is_none()
                && (now - pin.at).to_std().map_or(true, |age| age < PIN_GRACE);
            match (current, young) {
                (Some(post), _) => {
                    return Err(MediaDeleteError::InUse {
                        post_id: Some(post.id.clone()),
                        message: format!(
                            "this media is used by a {} post; edit, cancel or delete that post \
                             first",
                            post.content.status.as_str().replace('_', " ")
                        ),
                    });
                }
                (None, true) => {
                    return Err(MediaDeleteError::InUse {
                        // Linked only once the post exists (a new post's first write may not
                        // have landed yet).
                        post_id: post.map(|p| p.id),
                        message: "this media is being added to a post; try again in a moment"
                            .into(),
                    });
                }
                (None, false) => library.drop_pin(id, pin).await?,
            }
        }
    }
    Err(MediaDeleteError::InUse {
        post_id: None,
        message: "this media is in use by a post being edited; try again in a moment".into(),
    })
}

async fn finish(
    store: &Store,
    storage: &dyn MediaStorage,
    id: &str,
) -> Result<(), MediaDeleteError> {
    storage.delete(id).await?;
    store.media().delete_record(id).await?;
    Ok(())
}
