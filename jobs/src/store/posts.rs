//! Posts: what to publish, where, when, and how far it got.
//!
//! Every change is a compare-and-set on the post's `version` (and on its status), and every
//! change increments the version: two concurrent edits of version 7 cannot both win, an edit
//! cannot land once publishing has started, and the publisher claims a post at one exact
//! version, so a post edited or canceled a moment before its time publishes either the old
//! version or nothing, never a mix.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::compare_and_set::{update_by_id, update_then_read};
use super::{StoreError, bson_now};
use crate::domain::PostKind;

pub(super) const COLLECTION: &str = "posts";

/// Where a post is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    /// Being composed; not scheduled.
    Draft,
    /// Waiting for its time.
    Scheduled,
    /// The publisher has claimed it; it can no longer be edited.
    Publishing,
    /// Live on Instagram.
    Published,
    /// Could not be published; `failure_reason` says why.
    Failed,
    /// Canceled by the user before publishing started.
    Canceled,
    /// Parked until the Instagram account is reconnected.
    NeedsReconnect,
}

impl PostStatus {
    /// Every status, in life order.
    pub const ALL: [Self; 7] = [
        Self::Draft,
        Self::Scheduled,
        Self::Publishing,
        Self::Published,
        Self::Failed,
        Self::Canceled,
        Self::NeedsReconnect,
    ];

    /// States in which the user may still edit, reschedule or cancel.
    pub const EDITABLE: [Self; 3] = [Self::Draft, Self::Scheduled, Self::NeedsReconnect];

    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Publishing => "publishing",
            Self::Published => "published",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::NeedsReconnect => "needs_reconnect",
        }
    }

    /// Parses a status name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the post's media must stay available (it may still be published).
    pub fn holds_media(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::Scheduled | Self::Publishing | Self::NeedsReconnect
        )
    }
}

/// Why a post Instagram published has no media id, and so no permalink: `media_publish`
/// answered an error although the post went live, and the account's recent media did not
/// show which media it became (see `workflow::media_match` for the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaUnresolved {
    /// No listed media fitted the post, however often the list was read.
    NotFound,
    /// More than one media fitted, or another of our posts could be the one that fitted: none
    /// is recorded rather than a guess.
    Ambiguous,
}

impl MediaUnresolved {
    /// The reason's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Ambiguous => "ambiguous",
        }
    }

    /// What the user reads where the link would be.
    pub fn note(self) -> &'static str {
        match self {
            Self::NotFound => {
                "Instagram published this post but did not say which post it became, and it \
                 did not appear among the account's recent posts, so its link could not be \
                 determined. Find it in the Instagram app."
            }
            Self::Ambiguous => {
                "Instagram published this post but did not say which post it became, and more \
                 than one post on the account matches it (same kind, same caption, published \
                 at the same moment), so its link could not be determined uniquely. Find it in \
                 the Instagram app."
            }
        }
    }
}

/// The final record of a published post (see [`Posts::settle`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settlement {
    /// Instagram's permalink, when it gave one.
    pub permalink: Option<String>,
    /// Instagram's own publish time of the media, when it gave one.
    pub instagram_at: Option<DateTime<Utc>>,
    /// Why the media is not known, when it is not.
    pub unresolved: Option<MediaUnresolved>,
}

/// What settling writes besides `published_at`: when, the permalink, why the media is unknown.
fn settlement_fields(settlement: &Settlement) -> Document {
    let mut set = doc! { "settled_at": bson_now() };
    if let Some(permalink) = &settlement.permalink {
        set.insert("permalink", permalink);
    }
    if let Some(reason) = settlement.unresolved {
        set.insert("media_unresolved", reason.as_str());
    }
    set
}

pub(super) fn names(statuses: &[PostStatus]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.as_str()).collect()
}

/// The user's post `id` while its status matches `status`, and only at `version` when given.
fn users_post(id: &str, user_id: &str, version: Option<i64>, status: Document) -> Document {
    let mut filter = doc! { "_id": id, "user_id": user_id, "status": status };
    if let Some(version) = version {
        filter.insert("version", version);
    }
    filter
}

/// One media item of a post.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PostItem {
    /// The media file.
    pub media_id: String,
    /// Alternative text for an image (at most 1000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// What the user composes: everything an edit replaces.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PostContent {
    /// The Instagram connection to publish through (optional for drafts).
    pub connection_id: Option<String>,
    /// Image, carousel, reel or story.
    pub kind: PostKind,
    /// The caption.
    pub caption: String,
    /// The media, in order.
    pub items: Vec<PostItem>,
    /// A reel's cover image.
    pub cover_media_id: Option<String>,
    /// `draft` or `scheduled` (or `needs_reconnect` when an edit keeps a parked post parked).
    pub status: PostStatus,
    /// When to publish (set for scheduled posts).
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional")]
    pub scheduled_at: Option<DateTime<Utc>>,
    /// The user asked to publish as soon as possible (`scheduled_at` is the request time).
    pub publish_now: bool,
    /// The IANA time zone the user sees the schedule in.
    pub time_zone: String,
}

impl PostContent {
    /// Every media id the post uses (items, then the cover), without repeats.
    pub fn media_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for id in self
            .items
            .iter()
            .map(|i| &i.media_id)
            .chain(self.cover_media_id.as_ref())
        {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }
}

/// A stored post.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Post {
    /// Opaque id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// What the user composed.
    #[serde(flatten)]
    pub content: PostContent,
    /// Incremented by every change; edits must name the version they start from.
    pub version: i64,
    /// Random token of this version's media pins.
    pub pin_token: String,
    /// Created.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub updated_at: DateTime<Utc>,
    /// When it went live: Instagram's own timestamp of the media once read, but never later
    /// than when the publisher learned it was live, which it is until then (and stays when
    /// Instagram's timestamp is unknown).
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub published_at: Option<DateTime<Utc>>,
    /// Instagram's media id, once published.
    #[serde(default)]
    pub ig_media_id: Option<String>,
    /// Instagram's permalink, once known.
    #[serde(default)]
    pub permalink: Option<String>,
    /// Why it failed, for the user.
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// Why the media of this published post could not be identified (it then has no media id
    /// and no permalink).
    #[serde(default)]
    pub media_unresolved: Option<MediaUnresolved>,
    /// When the record of its publish became final (media id, permalink, `published_at`);
    /// its lateness is counted then, once.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub settled_at: Option<DateTime<Utc>>,
    /// When it was last parked until its account is reconnected (names that parking in its
    /// notification, which an edit of the parked post does not change).
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub parked_at: Option<DateTime<Utc>>,
    /// The posting-schedule slot the post holds, `<connection id>@<RFC 3339 instant>`, when
    /// it was added to the connection's queue; unique, so two posts never take one slot. A
    /// reschedule, a cancel or an edit that moves the post gives the slot up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_slot: Option<String>,
    /// Set while the post is held in its paused queue: the [`super::QueuePause::version`] of
    /// the pause holding it, or [`ADDING`] while it is being added to a queue. The publisher
    /// claims only posts without it; leaving the queue removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<i64>,
}

/// [`Post::held`] of a post being added to a queue, until the queue's state is known: held,
/// so a pause that lands meanwhile never misses it.
pub const ADDING: i64 = 0;

/// The key of a connection's posting-schedule slot at `at` ([`Post::queue_slot`]).
pub fn queue_slot_key(connection_id: &str, at: DateTime<Utc>) -> String {
    format!(
        "{connection_id}@{}",
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

/// Scheduled posts not held in a paused queue whose time was before `before`.
fn late_filter(before: DateTime<Utc>) -> Document {
    doc! {
        "status": PostStatus::Scheduled.as_str(),
        "held": null,
        "scheduled_at": { "$lt": mongodb::bson::DateTime::from_chrono(before) },
    }
}

/// Filters of a post listing.
#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    /// Only these statuses (all when empty).
    pub statuses: Vec<PostStatus>,
    /// Only posts to this connection.
    pub connection_id: Option<String>,
    /// Only posts scheduled at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only posts scheduled before this time.
    pub to: Option<DateTime<Utc>>,
}

/// The order of a post listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostOrder {
    /// Most recently created first.
    #[default]
    Newest,
    /// Soonest scheduled first (posts without a time are left out).
    Schedule,
}

/// Where a page starts: the sort key and id of the previous page's last post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostCursor {
    /// `created_at` (newest order) or `scheduled_at` (schedule order).
    pub at: DateTime<Utc>,
    /// The post id.
    pub id: String,
}

/// What the admin console searches posts by. `None` leaves a field unconstrained; an empty
/// list matches nothing (e.g. an email with no account).
#[derive(Debug, Clone, Default)]
pub struct PostSearch {
    /// Only these statuses (all when empty).
    pub statuses: Vec<PostStatus>,
    /// Only these kinds (all when empty).
    pub kinds: Vec<PostKind>,
    /// Only posts of these users.
    pub user_ids: Option<Vec<String>>,
    /// Only posts to these connections.
    pub connection_ids: Option<Vec<String>>,
    /// Only these posts.
    pub post_ids: Option<Vec<String>>,
    /// Only posts scheduled at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only posts scheduled before this time.
    pub to: Option<DateTime<Utc>>,
}

impl PostSearch {
    fn query(&self) -> Document {
        let mut query = doc! {};
        if !self.statuses.is_empty() {
            query.insert("status", doc! { "$in": names(&self.statuses) });
        }
        if !self.kinds.is_empty() {
            let kinds: Vec<&str> = self.kinds.iter().map(|k| k.as_str()).collect();
            query.insert("kind", doc! { "$in": kinds });
        }
        for (field, values) in [
            ("user_id", &self.user_ids),
            ("connection_id", &self.connection_ids),
            ("_id", &self.post_ids),
        ] {
            if let Some(values) = values {
                query.insert(field, doc! { "$in": values.clone() });
            }
        }
        let mut range = Document::new();
        if let Some(from) = self.from {
            range.insert("$gte", mongodb::bson::DateTime::from_chrono(from));
        }
        if let Some(to) = self.to {
            range.insert("$lt", mongodb::bson::DateTime::from_chrono(to));
        }
        if !range.is_empty() {
            query.insert("scheduled_at", range);
        }
        query
    }
}

/// Adds `condition` (operators) to `field`'s conditions in `query`.
fn and_field(query: &mut Document, field: &str, condition: Document) {
    match query.get_document_mut(field) {
        Ok(conditions) => conditions.extend(condition),
        Err(_) => {
            query.insert(field, condition);
        }
    }
}

/// Repository of [`Post`]s.
#[derive(Debug, Clone)]
pub struct Posts {
    pub(super) collection: Collection<Post>,
}

fn encode<T: Serialize>(value: &T) -> Result<Bson, StoreError> {
    mongodb::bson::to_bson(value).map_err(|e| StoreError::Encode(e.to_string()))
}

impl Posts {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Inserts a new post.
    pub async fn insert(&self, post: &Post) -> Result<(), StoreError> {
        self.collection.insert_one(post).await?;
        Ok(())
    }

    /// The user's post with this id (another user's id gives `None`).
    pub async fn by_id_for_user(
        &self,
        id: &str,
        user_id: &str,
    ) -> Result<Option<Post>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "_id": id, "user_id": user_id })
            .await?)
    }

    /// The post with this id, whoever owns it (workers).
    pub async fn by_id(&self, id: &str) -> Result<Option<Post>, StoreError> {
        Ok(self.collection.find_one(doc! { "_id": id }).await?)
    }

    /// Sets `set` (and gives up the post's queue slot when `leave_queue`), if `filter` holds.
    async fn compare_and_set(
        &self,
        filter: Document,
        set: Document,
        leave_queue: bool,
    ) -> Result<Option<Post>, StoreError> {
        let mut set = set;
        set.insert("updated_at", bson_now());
        let mut update = doc! { "$set": set, "$inc": { "version": 1 } };
        if leave_queue {
            update.insert("$unset", doc! { "queue_slot": "", "held": "" });
        }
        update_then_read(&self.collection, filter, update).await
    }

    /// Replaces what the user composed, if the post is still at `version` and editable; the
    /// new post, or `None` when the compare-and-set lost (see [`Posts::by_id_for_user`] for why).
    pub async fn replace_content(
        &self,
        id: &str,
        user_id: &str,
        version: i64,
        content: &PostContent,
        pin_token: &str,
        leave_queue: bool,
    ) -> Result<Option<Post>, StoreError> {
        let Bson::Document(mut set) = encode(content)? else {
            return Err(StoreError::Encode("post content is not a document".into()));
        };
        set.insert("pin_token", pin_token);
        self.compare_and_set(
            doc! {
                "_id": id, "user_id": user_id, "version": version,
                "status": { "$in": names(&PostStatus::EDITABLE) },
            },
            set,
            leave_queue,
        )
        .await
    }

    /// Moves a scheduled or parked post to another time (and display time zone, when given),
    /// if it is still at `version`.
    pub async fn reschedule(
        &self,
        id: &str,
        user_id: &str,
        version: i64,
        at: DateTime<Utc>,
        publish_now: bool,
        time_zone: Option<&str>,
    ) -> Result<Option<Post>, StoreError> {
        let mut set = doc! {
            "scheduled_at": mongodb::bson::DateTime::from_chrono(at),
            "publish_now": publish_now,
        };
        if let Some(time_zone) = time_zone {
            set.insert("time_zone", time_zone);
        }
        self.compare_and_set(
            doc! {
                "_id": id, "user_id": user_id, "version": version,
                "status": { "$in": names(&[PostStatus::Scheduled, PostStatus::NeedsReconnect]) },
            },
            set,
            true,
        )
        .await
    }

    /// Cancels a scheduled or parked post (at `version`, when given).
    pub async fn cancel(
        &self,
        id: &str,
        user_id: &str,
        version: Option<i64>,
    ) -> Result<Option<Post>, StoreError> {
        let status = doc! { "$in": names(&[PostStatus::Scheduled, PostStatus::NeedsReconnect]) };
        self.compare_and_set(
            users_post(id, user_id, version, status),
            doc! { "status": PostStatus::Canceled.as_str() },
            true,
        )
        .await
    }

    /// Claims a scheduled post, as read, for publishing: the publisher's side of the
    /// compare-and-set on its version. The claimed post (the content read is the content that
    /// will be published; nothing is read back), or `None` if it was edited, rescheduled,
    /// canceled, deleted, held in its paused queue or claimed since it was read.
    pub async fn claim_for_publishing(&self, post: &Post) -> Result<Option<Post>, StoreError> {
        let now = Utc::now();
        let claimed = update_by_id(
            &self.collection,
            doc! {
                "_id": &post.id, "version": post.version,
                "status": PostStatus::Scheduled.as_str(), "held": null,
            },
            doc! {
                "$set": {
                    "status": PostStatus::Publishing.as_str(),
                    "updated_at": mongodb::bson::DateTime::from_chrono(now),
                },
                "$inc": { "version": 1 },
            },
        )
        .await?;
        Ok(claimed.then(|| {
            let mut claimed = post.clone();
            claimed.content.status = PostStatus::Publishing;
            claimed.version += 1;
            claimed.updated_at = now;
            claimed
        }))
    }

    /// Deletes the user's post unless the publisher holds it (with `version`, only that
    /// version); the deleted post.
    pub async fn delete(
        &self,
        id: &str,
        user_id: &str,
        version: Option<i64>,
    ) -> Result<Option<Post>, StoreError> {
        let status = doc! { "$ne": PostStatus::Publishing.as_str() };
        Ok(self
            .collection
            .find_one_and_delete(users_post(id, user_id, version, status))
            .await?)
    }

    /// A page of the user's posts matching `filter`, in `order`, after `cursor`.
    pub async fn page_for_user(
        &self,
        user_id: &str,
        filter: &PostFilter,
        order: PostOrder,
        cursor: Option<&PostCursor>,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        let mut query = doc! { "user_id": user_id };
        if !filter.statuses.is_empty() {
            query.insert("status", doc! { "$in": names(&filter.statuses) });
        }
        if let Some(connection) = &filter.connection_id {
            query.insert("connection_id", connection);
        }
        let mut range = Document::new();
        if let Some(from) = filter.from {
            range.insert("$gte", mongodb::bson::DateTime::from_chrono(from));
        }
        if let Some(to) = filter.to {
            range.insert("$lt", mongodb::bson::DateTime::from_chrono(to));
        }
        if order == PostOrder::Schedule {
            range.insert("$ne", Bson::Null);
        }
        if !range.is_empty() {
            query.insert("scheduled_at", range);
        }
        let (key, direction, beyond) = match order {
            PostOrder::Newest => ("created_at", -1, "$lt"),
            PostOrder::Schedule => ("scheduled_at", 1, "$gt"),
        };
        let Some(cursor) = cursor else {
            return self.sorted(query, key, direction, limit).await;
        };
        // After the cursor: first the rest of its own instant (by id), then what lies beyond
        // it. Two queries with plain per-field conditions, each served by the index, where one
        // with `$or` (or `$and`) would make the local server scan the whole collection.
        let at = mongodb::bson::DateTime::from_chrono(cursor.at);
        let mut same_instant = query.clone();
        and_field(&mut same_instant, key, doc! { "$eq": at });
        same_instant.insert("_id", doc! { beyond: &cursor.id });
        let mut page = self.sorted(same_instant, key, direction, limit).await?;
        let left = limit - page.len() as i64;
        if left > 0 {
            and_field(&mut query, key, doc! { beyond: at });
            page.extend(self.sorted(query, key, direction, left).await?);
        }
        Ok(page)
    }

    /// The posts matching `query`, by `key` then id in `direction`, at most `limit`.
    async fn sorted(
        &self,
        query: Document,
        key: &str,
        direction: i32,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        Ok(self
            .collection
            .find(query)
            .sort(doc! { key: direction, "_id": direction })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// How many posts matching `filter` are in each status.
    async fn count_by_status(
        &self,
        filter: Document,
    ) -> Result<Vec<(PostStatus, u64)>, StoreError> {
        let mut cursor = self
            .collection
            .aggregate(vec![
                doc! { "$match": filter },
                doc! { "$group": { "_id": "$status", "count": { "$sum": 1 } } },
            ])
            .await?;
        let mut counts = Vec::new();
        while let Some(row) = cursor.try_next().await? {
            let status = row.get_str("_id").ok().and_then(PostStatus::parse);
            let count = match row.get("count") {
                Some(Bson::Int32(n)) => *n as u64,
                Some(Bson::Int64(n)) => *n as u64,
                Some(Bson::Double(n)) => *n as u64,
                _ => 0,
            };
            if let Some(status) = status {
                counts.push((status, count));
            }
        }
        Ok(counts)
    }

    /// How many posts the user has in each status.
    pub async fn counts_by_status(
        &self,
        user_id: &str,
    ) -> Result<Vec<(PostStatus, u64)>, StoreError> {
        self.count_by_status(doc! { "user_id": user_id }).await
    }

    /// The user's first post in `status` by `key` (`scheduled_at` or `published_at`),
    /// ascending or descending.
    pub async fn first_by(
        &self,
        user_id: &str,
        status: PostStatus,
        key: &str,
        ascending: bool,
    ) -> Result<Option<Post>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "user_id": user_id, "status": status.as_str() })
            .sort(doc! { key: if ascending { 1 } else { -1 }, "_id": 1 })
            .await?)
    }

    /// The user's posts to `connection_id` still to publish (scheduled, parked or publishing)
    /// at an instant from `from` to `to`, soonest first, at most `limit` (a posting schedule's
    /// taken slots).
    pub async fn upcoming_for_connection(
        &self,
        user_id: &str,
        connection_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        let filter = doc! {
            "user_id": user_id,
            "scheduled_at": {
                "$gte": mongodb::bson::DateTime::from_chrono(from),
                "$lte": mongodb::bson::DateTime::from_chrono(to),
            },
            "connection_id": connection_id,
            "status": { "$in": names(&[
                PostStatus::Scheduled, PostStatus::NeedsReconnect, PostStatus::Publishing,
            ]) },
        };
        self.soonest_first(filter, limit).await
    }

    /// Posts matching `filter`, soonest scheduled first, at most `limit`.
    async fn soonest_first(&self, filter: Document, limit: i64) -> Result<Vec<Post>, StoreError> {
        Ok(self
            .collection
            .find(filter)
            .sort(doc! { "scheduled_at": 1, "_id": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Scheduled posts not held in a paused queue due at or before `before`, soonest first
    /// (the dispatcher's query).
    pub async fn due(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<Post>, StoreError> {
        let filter = doc! {
            "status": PostStatus::Scheduled.as_str(),
            "held": null,
            "scheduled_at": { "$lte": mongodb::bson::DateTime::from_chrono(before) },
        };
        self.soonest_first(filter, limit).await
    }

    /// How many scheduled posts are past `before` (late).
    pub async fn count_late(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(self.collection.count_documents(late_filter(before)).await?)
    }

    /// Posts in `publishing` not changed since `before` (claimed, but possibly without a
    /// workflow: the reconciler checks).
    pub async fn publishing_since(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        Ok(self
            .collection
            .find(doc! {
                "status": PostStatus::Publishing.as_str(),
                "updated_at": { "$lt": mongodb::bson::DateTime::from_chrono(before) },
            })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Publishing -> published, recording Instagram's media id (when known) and, as
    /// `published_at`, `at`: when the publisher learned the post is live. With `settled` (the
    /// permalink was read right after the publish), the record is made final in the same
    /// write, as [`Posts::settle`] would. Whether it changed.
    pub async fn mark_published(
        &self,
        id: &str,
        ig_media_id: Option<&str>,
        at: DateTime<Utc>,
        settled: Option<&Settlement>,
    ) -> Result<bool, StoreError> {
        let media = ig_media_id.map_or(Bson::Null, |m| Bson::String(m.to_string()));
        let mut set = doc! {
            "status": PostStatus::Published.as_str(),
            "ig_media_id": media,
            "published_at": mongodb::bson::DateTime::from_chrono(at),
            "failure_reason": Bson::Null,
            "updated_at": mongodb::bson::DateTime::from_chrono(at),
        };
        if let Some(settlement) = settled {
            set.extend(settlement_fields(settlement));
            if let Some(instagram) = settlement.instagram_at {
                set.insert(
                    "published_at",
                    mongodb::bson::DateTime::from_chrono(at.min(instagram)),
                );
            }
        }
        update_by_id(
            &self.collection,
            doc! { "_id": id, "status": PostStatus::Publishing.as_str() },
            doc! { "$set": set, "$inc": { "version": 1 } },
        )
        .await
    }

    /// Records the media a published post became, found after a publish whose answer did not
    /// name it; `false` when the post is not published or already has a media id.
    pub async fn record_media(&self, id: &str, ig_media_id: &str) -> Result<bool, StoreError> {
        let result = self
            .collection
            .update_one(
                doc! { "_id": id, "status": PostStatus::Published.as_str(), "ig_media_id": Bson::Null },
                doc! { "$set": { "ig_media_id": ig_media_id, "updated_at": bson_now() } },
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// Makes the record of a published post final, once: its permalink, Instagram's own
    /// publish time as `published_at` (which only ever moves earlier: it never becomes later
    /// than when the publisher learned the post was live), or why its media is unknown.
    /// `true` for the one call that settled it.
    pub async fn settle(&self, id: &str, settlement: &Settlement) -> Result<bool, StoreError> {
        let mut set = settlement_fields(settlement);
        set.insert("updated_at", bson_now());
        let mut update = doc! { "$set": set };
        if let Some(at) = settlement.instagram_at {
            update.insert(
                "$min",
                doc! { "published_at": mongodb::bson::DateTime::from_chrono(at) },
            );
        }
        let result = self
            .collection
            .update_one(
                doc! { "_id": id, "status": PostStatus::Published.as_str(), "settled_at": Bson::Null },
                update,
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// The posts with these ids.
    pub async fn by_ids(&self, ids: &[String]) -> Result<Vec<Post>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .collection
            .find(doc! { "_id": { "$in": ids } })
            .await?
            .try_collect()
            .await?)
    }

    /// The posts that recorded one of these Instagram media ids.
    pub async fn with_media_ids(&self, ig_media_ids: &[String]) -> Result<Vec<Post>, StoreError> {
        if ig_media_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .collection
            .find(doc! { "ig_media_id": { "$in": ig_media_ids } })
            .await?
            .try_collect()
            .await?)
    }

    /// Published posts of a connection without a media id, published (as far as known) at or
    /// after `since`, at most `limit`.
    pub async fn published_without_media(
        &self,
        connection_id: &str,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        Ok(self
            .collection
            .find(doc! {
                "connection_id": connection_id,
                "status": PostStatus::Published.as_str(),
                "ig_media_id": Bson::Null,
                "published_at": { "$gte": mongodb::bson::DateTime::from_chrono(since) },
            })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Publishing -> failed, with a reason the user can act on.
    pub async fn mark_failed(&self, id: &str, reason: &str) -> Result<Option<Post>, StoreError> {
        self.compare_and_set(
            doc! { "_id": id, "status": PostStatus::Publishing.as_str() },
            doc! { "status": PostStatus::Failed.as_str(), "failure_reason": reason },
            false,
        )
        .await
    }

    /// Publishing -> needs_reconnect (the token was refused mid-workflow).
    pub async fn park_publishing(&self, id: &str) -> Result<Option<Post>, StoreError> {
        self.compare_and_set(
            doc! { "_id": id, "status": PostStatus::Publishing.as_str() },
            doc! {
                "status": PostStatus::NeedsReconnect.as_str(),
                "failure_reason": "Instagram no longer accepts this account's authorization: reconnect Instagram to publish it.",
                "parked_at": bson_now(),
            },
            false
        )
        .await
    }

    /// Parks every scheduled post of a connection (`needs_reconnect`); how many.
    pub async fn park_for_connection(&self, connection_id: &str) -> Result<u64, StoreError> {
        let result = self
            .collection
            .update_many(
                doc! { "connection_id": connection_id, "status": PostStatus::Scheduled.as_str() },
                doc! {
                    "$set": {
                        "status": PostStatus::NeedsReconnect.as_str(),
                        "updated_at": bson_now(),
                        "parked_at": bson_now(),
                    },
                    "$inc": { "version": 1 },
                },
            )
            .await?;
        Ok(result.modified_count)
    }

    /// Resumes every parked post of a connection (`scheduled`; those already past their time
    /// publish at once); how many.
    pub async fn resume_for_connection(&self, connection_id: &str) -> Result<u64, StoreError> {
        let result = self
            .collection
            .update_many(
                doc! { "connection_id": connection_id, "status": PostStatus::NeedsReconnect.as_str() },
                doc! {
                    "$set": {
                        "status": PostStatus::Scheduled.as_str(),
                        "failure_reason": Bson::Null,
                        "updated_at": bson_now(),
                    },
                    "$inc": { "version": 1 },
                },
            )
            .await?;
        Ok(result.modified_count)
    }

    /// Deletes every post published through a connection (Instagram data deletion); the ids.
    pub async fn delete_for_connection(
        &self,
        connection_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = self
            .collection
            .find(doc! { "connection_id": connection_id })
            .await?
            .try_collect::<Vec<Post>>()
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        self.collection
            .delete_many(doc! { "connection_id": connection_id })
            .await?;
        Ok(ids)
    }

    /// Deletes every post of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }

    /// A page of posts matching `search`, newest first, after `cursor` (admin console).
    pub async fn search(
        &self,
        search: &PostSearch,
        cursor: Option<&PostCursor>,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        let mut query = search.query();
        if let Some(cursor) = cursor {
            let at = mongodb::bson::DateTime::from_chrono(cursor.at);
            query.insert(
                "$or",
                vec![
                    doc! { "created_at": { "$lt": at } },
                    doc! { "created_at": at, "_id": { "$lt": &cursor.id } },
                ],
            );
        }
        Ok(self
            .collection
            .find(query)
            .sort(doc! { "created_at": -1, "_id": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// How many posts match `search`, by status (admin console).
    pub async fn search_counts(
        &self,
        search: &PostSearch,
    ) -> Result<Vec<(PostStatus, u64)>, StoreError> {
        let mut counts = self.count_by_status(search.query()).await?;
        counts.sort_by_key(|(status, _)| PostStatus::ALL.iter().position(|s| s == status));
        Ok(counts)
    }

    /// How many posts are in `status`.
    pub async fn count_in_status(&self, status: PostStatus) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .count_documents(doc! { "status": status.as_str() })
            .await?)
    }

    /// Posts in `status`, soonest scheduled first (at most `limit`).
    pub async fn in_status(&self, status: PostStatus, limit: i64) -> Result<Vec<Post>, StoreError> {
        self.soonest_first(doc! { "status": status.as_str() }, limit)
            .await
    }

    /// Scheduled posts whose time is before `due_before` (late), the latest-due last, at most
    /// `limit`, and how many there are in all.
    pub async fn late(
        &self,
        due_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<(Vec<Post>, u64), StoreError> {
        let filter = late_filter(due_before);
        let total = self.collection.count_documents(filter.clone()).await?;
        Ok((self.soonest_first(filter, limit).await?, total))
    }

    /// `(scheduled_at, published_at)` of posts published at or after `since` (at most `limit`,
    /// newest first): what the lateness histogram is drawn from.
    pub async fn publish_times_since(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, StoreError> {
        let posts: Vec<Post> = self
            .collection
            .find(doc! {
                "status": PostStatus::Published.as_str(),
                "published_at": { "$gte": mongodb::bson::DateTime::from_chrono(since) },
            })
            .sort(doc! { "published_at": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        Ok(posts
            .into_iter()
            .filter_map(|p| Some((p.content.scheduled_at?, p.published_at?)))
            .collect())
    }

    /// Posts in one of `statuses` changed at or after `since` (at most `limit`, most recently
    /// changed first): where the notification sweep looks for events not raised.
    pub async fn changed_since_in(
        &self,
        statuses: &[PostStatus],
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        Ok(self
            .collection
            .find(doc! {
                "status": { "$in": names(statuses) },
                "updated_at": { "$gte": mongodb::bson::DateTime::from_chrono(since) },
            })
            .sort(doc! { "updated_at": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Posts to a connection in `status` (at most `limit`), soonest scheduled first.
    pub async fn for_connection_in_status(
        &self,
        connection_id: &str,
        status: PostStatus,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        let filter = doc! { "connection_id": connection_id, "status": status.as_str() };
        self.soonest_first(filter, limit).await
    }

    /// Puts a failed post at `version` back to `scheduled` for `at` (an operator's retry); the
    /// new post, or `None` when it changed meanwhile or is not failed.
    pub async fn retry_failed(
        &self,
        id: &str,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<Post>, StoreError> {
        self.compare_and_set(
            doc! { "_id": id, "version": version, "status": PostStatus::Failed.as_str() },
            doc! {
                "status": PostStatus::Scheduled.as_str(),
                "scheduled_at": mongodb::bson::DateTime::from_chrono(at),
                "failure_reason": Bson::Null,
            },
            true,
        )
        .await
    }

    /// Cancels a scheduled or parked post at `version`, whoever owns it (an operator's cancel).
    pub async fn cancel_at_version(
        &self,
        id: &str,
        version: i64,
    ) -> Result<Option<Post>, StoreError> {
        self.compare_and_set(
            doc! {
                "_id": id, "version": version,
                "status": { "$in": names(&[PostStatus::Scheduled, PostStatus::NeedsReconnect]) },
            },
            doc! { "status": PostStatus::Canceled.as_str() },
            true,
        )
        .await
    }

    /// Moves a scheduled or parked post at `version` to `at`, whoever owns it (an operator's
    /// reschedule).
    pub async fn reschedule_at_version(
        &self,
        id: &str,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<Post>, StoreError> {
        self.compare_and_set(
            doc! {
                "_id": id, "version": version,
                "status": { "$in": names(&[PostStatus::Scheduled, PostStatus::NeedsReconnect]) },
            },
            doc! {
                "scheduled_at": mongodb::bson::DateTime::from_chrono(at),
                "publish_now": false,
            },
            true,
        )
        .await
    }

    /// Moves a parked post at `version` back to `scheduled` (its account was reconnected).
    pub async fn resume_parked(&self, id: &str, version: i64) -> Result<Option<Post>, StoreError> {
        self.compare_and_set(
            doc! { "_id": id, "version": version, "status": PostStatus::NeedsReconnect.as_str() },
            doc! { "status": PostStatus::Scheduled.as_str() },
            false,
        )
        .await
    }
}
