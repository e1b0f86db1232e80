//! The media library's records: what each uploaded file is (never its bytes, which live in
//! [`crate::media::MediaStorage`]), and which posts use it.
//!
//! A post that is being composed or waits to publish *pins* its media (`used_by`), and a media
//! file is only deleted by a compare-and-set that requires no pins. Each pin carries the random
//! token of the post version that wrote it, so a failed or superseded write removes exactly its
//! own pins; see `content::media_delete` for how stale pins are told from live ones.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Bson, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::compare_and_set::read_then_update;
use crate::domain::{MediaFacts, MediaKind};

pub(super) const COLLECTION: &str = "media";

/// Whether a media file can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaStatus {
    /// Stored and usable.
    Ready,
    /// Being deleted: no longer listed or usable; a retried delete finishes the job.
    Deleting,
}

/// A post's claim on a media file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MediaPin {
    /// The post.
    pub post_id: String,
    /// The post version's pin token.
    pub token: String,
    /// When the pin was written.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub at: DateTime<Utc>,
}

/// A stored media file's record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Media {
    /// Opaque id; also the storage key.
    #[serde(rename = "_id")]
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Image or video.
    pub kind: MediaKind,
    /// Ready or being deleted.
    pub status: MediaStatus,
    /// The name the file was uploaded with (for display only).
    pub file_name: String,
    /// The uploaded format (`jpeg`, `png`, `webp`, `mp4`, `mov`).
    pub source_format: String,
    /// Whether the stored file is a JPEG conversion of the upload.
    pub converted: bool,
    /// Content type of the stored file.
    pub content_type: String,
    /// Stored size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the stored bytes, hex.
    pub sha256: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Video length.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// Video frames per second.
    #[serde(default)]
    pub frame_rate: Option<f64>,
    /// Video codec.
    #[serde(default)]
    pub video_codec: Option<String>,
    /// Audio codec.
    #[serde(default)]
    pub audio_codec: Option<String>,
    /// Posts using it.
    #[serde(default)]
    pub used_by: Vec<MediaPin>,
    /// Uploaded.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
}

impl Media {
    /// What Instagram's rules are checked against.
    pub fn facts(&self) -> MediaFacts {
        MediaFacts {
            kind: self.kind,
            width: self.width,
            height: self.height,
            size_bytes: self.size_bytes,
            duration_ms: self.duration_ms,
            frame_rate: self.frame_rate,
            video_codec: self.video_codec.clone(),
            audio_codec: self.audio_codec.clone(),
        }
    }
}

/// Repository of [`Media`] records.
#[derive(Debug, Clone)]
pub struct MediaLibrary {
    collection: Collection<Media>,
}

impl MediaLibrary {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Inserts a record (after its file is stored).
    pub async fn insert(&self, media: &Media) -> Result<(), StoreError> {
        self.collection.insert_one(media).await?;
        Ok(())
    }

    /// The user's ready media file with this id.
    pub async fn by_id_for_user(
        &self,
        id: &str,
        user_id: &str,
    ) -> Result<Option<Media>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "_id": id, "user_id": user_id, "status": "ready" })
            .await?)
    }

    /// The media file with this id, whoever owns it (serving signed public URLs).
    pub async fn by_id(&self, id: &str) -> Result<Option<Media>, StoreError> {
        Ok(self.collection.find_one(doc! { "_id": id }).await?)
    }

    /// The user's media file with this id, whatever its status.
    pub async fn any_by_id_for_user(
        &self,
        id: &str,
        user_id: &str,
    ) -> Result<Option<Media>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "_id": id, "user_id": user_id })
            .await?)
    }

    /// The user's media files among `ids`, whatever their status (in no particular order): one
    /// query for all of a post's items.
    pub async fn any_of_user(
        &self,
        ids: &[String],
        user_id: &str,
    ) -> Result<Vec<Media>, StoreError> {
        self.among(doc! { "_id": { "$in": ids }, "user_id": user_id })
            .await
    }

    async fn among(&self, filter: mongodb::bson::Document) -> Result<Vec<Media>, StoreError> {
        Ok(self.collection.find(filter).await?.try_collect().await?)
    }

    /// The user's ready media files among `ids` (in no particular order).
    pub async fn many_for_user(
        &self,
        ids: &[String],
        user_id: &str,
    ) -> Result<Vec<Media>, StoreError> {
        self.among(doc! { "_id": { "$in": ids }, "user_id": user_id, "status": "ready" })
            .await
    }

    /// A page of the user's ready media, newest first, strictly after the `after` position
    /// (`created_at`, id) of the previous page's last item.
    pub async fn page_for_user(
        &self,
        user_id: &str,
        after: Option<(DateTime<Utc>, String)>,
        limit: i64,
    ) -> Result<Vec<Media>, StoreError> {
        let mut filter = doc! { "user_id": user_id, "status": "ready" };
        if let Some((at, id)) = after {
            let at = mongodb::bson::DateTime::from_chrono(at);
            filter.insert(
                "$or",
                vec![
                    doc! { "created_at": { "$lt": at } },
                    doc! { "created_at": at, "_id": { "$lt": id } },
                ],
            );
        }
        Ok(self
            .collection
            .find(filter)
            .sort(doc! { "created_at": -1, "_id": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Pins each of `ids` for a post version; if one is not a ready media file of the user,
    /// the pins written so far are removed and its id is returned as the error.
    pub async fn pin(
        &self,
        ids: &[String],
        user_id: &str,
        pin: &MediaPin,
    ) -> Result<Result<(), String>, StoreError> {
        let value = mongodb::bson::to_bson(pin).map_err(|e| StoreError::Encode(e.to_string()))?;
        for (done, id) in ids.iter().enumerate() {
            let result = self
                .collection
                .update_one(
                    doc! { "_id": id, "user_id": user_id, "status": "ready" },
                    doc! { "$push": { "used_by": value.clone() } },
                )
                .await?;
            if result.matched_count == 0 {
                self.unpin(&ids[..done], &pin.post_id, &pin.token).await?;
                return Ok(Err(id.clone()));
            }
        }
        Ok(Ok(()))
    }

    /// Removes the pins of one post version from `ids`.
    pub async fn unpin(
        &self,
        ids: &[String],
        post_id: &str,
        token: &str,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.collection
            .update_many(
                doc! { "_id": { "$in": ids } },
                doc! { "$pull": { "used_by": { "post_id": post_id, "token": token } } },
            )
            .await?;
        Ok(())
    }

    /// Removes every pin of a post, on whatever media (the post was deleted or canceled).
    pub async fn unpin_post(&self, post_id: &str) -> Result<(), StoreError> {
        self.collection
            .update_many(
                doc! { "used_by.post_id": post_id },
                doc! { "$pull": { "used_by": { "post_id": post_id } } },
            )
            .await?;
        Ok(())
    }

    /// Marks an unpinned ready media file of the user as being deleted; the record as it was,
    /// or `None` if it is pinned, already being deleted, or not the user's.
    pub async fn begin_delete(&self, id: &str, user_id: &str) -> Result<Option<Media>, StoreError> {
        read_then_update(
            &self.collection,
            doc! { "_id": id, "user_id": user_id, "status": "ready", "used_by": { "$size": 0 } },
            doc! { "$set": { "status": "deleting" } },
        )
        .await
    }

    /// Removes one pin (found stale).
    pub async fn drop_pin(&self, id: &str, pin: &MediaPin) -> Result<(), StoreError> {
        self.collection
            .update_one(
                doc! { "_id": id },
                doc! { "$pull": { "used_by": { "post_id": &pin.post_id, "token": &pin.token } } },
            )
            .await?;
        Ok(())
    }

    /// Removes a record (its file already removed).
    pub async fn delete_record(&self, id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_one(doc! { "_id": id })
            .await?
            .deleted_count)
    }

    /// Ids of every media file of a user, whatever the status (account deletion).
    pub async fn ids_for_user(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let ids = self
            .collection
            .clone_with_type::<mongodb::bson::Document>()
            .find(doc! { "user_id": user_id })
            .projection(doc! { "_id": 1 })
            .await?
            .try_collect::<Vec<_>>()
            .await?;
        Ok(ids
            .into_iter()
            .filter_map(|d| match d.get("_id") {
                Some(Bson::String(id)) => Some(id.clone()),
                _ => None,
            })
            .collect())
    }
}
