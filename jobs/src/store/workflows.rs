//! Per-post publishing workflow state: which step it is at, every step's output (public media
//! URLs, container ids, the media id), and a lease. A worker holds the lease while it works;
//! every save is conditional on still holding it, so a worker whose lease expired (it stalled,
//! another took over) can never overwrite newer state.

use chrono::{DateTime, Duration, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::compare_and_set::{update_by_id, update_then_read};
use super::{StoreError, bson_now};

pub(super) const COLLECTION: &str = "workflows";

/// Where a workflow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Upload images to ImgBB, sign video URLs.
    PrepareMedia,
    /// Create the containers (children, then the carousel parent).
    CreateContainers,
    /// Wait until every container is `FINISHED`.
    PollContainers,
    /// `media_publish`.
    Publish,
    /// Find the media when the publish answer did not name it, read its permalink and
    /// Instagram's publish time, make the post's record final (never fails the post).
    FetchPermalink,
    /// Finished: published.
    Done,
    /// Finished: the post failed.
    Failed,
}

impl Step {
    /// The steps of an unfinished workflow, by name. Filters name them (`$in`) rather than
    /// exclude the finished ones (`$nin`): the local server serves `$in` from the index and
    /// scans for `$nin`, and finished workflows are most of the collection.
    pub const ACTIVE: [&'static str; 5] = [
        "prepare_media",
        "create_containers",
        "poll_containers",
        "publish",
        "fetch_permalink",
    ];

    /// The step's name (as in events).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PrepareMedia => "prepare_media",
            Self::CreateContainers => "create_containers",
            Self::PollContainers => "poll_containers",
            Self::Publish => "publish",
            Self::FetchPermalink => "fetch_permalink",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// Whether nothing is left to do.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

/// One media item being published.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WorkItem {
    /// The media.
    pub media_id: String,
    /// Video (else image).
    pub is_video: bool,
    /// Alt text for an image.
    #[serde(default)]
    pub alt_text: Option<String>,
    /// The public URL Instagram downloads it from.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Its container (a carousel child, or the post's only container).
    #[serde(default)]
    pub container_id: Option<String>,
}

/// A post's workflow.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Workflow {
    /// The post id.
    #[serde(rename = "_id")]
    pub post_id: String,
    /// The owner.
    pub user_id: String,
    /// The connection published through.
    pub connection_id: String,
    /// The post version claimed (the content being published).
    pub post_version: i64,
    /// The current step.
    pub step: Step,
    /// Attempts of the current step so far.
    pub attempts: u32,
    /// The items, with each step's output.
    pub items: Vec<WorkItem>,
    /// A reel's cover image URL.
    #[serde(default)]
    pub cover_url: Option<String>,
    /// The carousel parent container.
    #[serde(default)]
    pub parent_container_id: Option<String>,
    /// How many times containers were (re)created.
    pub container_generation: u32,
    /// When polling started for the current containers.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub poll_started_at: Option<DateTime<Utc>>,
    /// Set just before the first `media_publish` call of these containers: a resume that finds
    /// it set must read the container before publishing again. It is also the earliest time
    /// the post can have gone live.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub publish_attempted_at: Option<DateTime<Utc>>,
    /// Instagram's media id, stored the moment publish returns it.
    #[serde(default)]
    pub ig_media_id: Option<String>,
    /// Why it waits (throttled, quota), for operators and the dashboard.
    #[serde(default)]
    pub waiting_reason: Option<String>,
    /// When it should run next.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub next_run_at: DateTime<Utc>,
    /// The lease holder.
    #[serde(default)]
    pub lease_owner: Option<String>,
    /// Until when the lease holds.
    #[serde(
        default,
        with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime_optional"
    )]
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Created.
    #[serde(with = "mongodb::bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
    /// How many times its state was written (by [`Workflows::save`] and
    /// [`Workflows::release`]): [`Workflows::take`] leases a workflow read earlier only if it
    /// is still at the revision read.
    #[serde(default)]
    pub revision: i64,
    /// Fields changed in this process and not written yet ([`Workflow::defer`]): the next
    /// write of the workflow ([`Workflows::save`], [`Workflows::release`]) carries them.
    #[serde(skip)]
    pub unsaved: Document,
}

impl Workflow {
    /// This workflow with `set` (whole top-level fields) applied in memory only, to be written
    /// with the next save or release: for step outputs that are cheap and harmless to produce
    /// again should the process die first (an upload, a container never published).
    pub fn defer(&self, set: Document) -> Result<Self, StoreError> {
        let mut unsaved = self.unsaved.clone();
        unsaved.extend(set.clone());
        let mut deferred = with_fields(self, set)?;
        deferred.unsaved = unsaved;
        Ok(deferred)
    }
}

/// `wf` with `set` (whole top-level fields) applied, as the database would have it.
fn with_fields(wf: &Workflow, set: Document) -> Result<Workflow, StoreError> {
    let encode = |e: &dyn std::fmt::Display| StoreError::Encode(e.to_string());
    let mut state = mongodb::bson::to_document(wf).map_err(|e| encode(&e))?;
    for (field, value) in set {
        debug_assert!(!field.contains('.'), "whole fields only: {field}");
        state.insert(field, value);
    }
    mongodb::bson::from_document(state).map_err(|e| encode(&e))
}

/// Repository of [`Workflow`]s.
#[derive(Debug, Clone)]
pub struct Workflows {
    collection: Collection<Workflow>,
}

fn at(t: DateTime<Utc>) -> mongodb::bson::DateTime {
    mongodb::bson::DateTime::from_chrono(t)
}

impl Workflows {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(COLLECTION),
        }
    }

    /// Creates the workflow unless one exists for the post (claims are idempotent); whether
    /// this call created it.
    pub async fn create(&self, workflow: &Workflow) -> Result<bool, StoreError> {
        match self
            .collection
            .insert_one(workflow)
            .await
            .map_err(StoreError::from)
        {
            Ok(_) => Ok(true),
            Err(StoreError::Duplicate) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Replaces the finished workflow of an earlier version of the post (a failed post that an
    /// operator retried) with `workflow`; whether it did.
    pub async fn replace_finished(&self, workflow: &Workflow) -> Result<bool, StoreError> {
        let result = self
            .collection
            .replace_one(
                doc! {
                    "_id": &workflow.post_id,
                    "step": { "$in": ["done", "failed"] },
                    "post_version": { "$lt": workflow.post_version },
                },
                workflow,
            )
            .await?;
        Ok(result.matched_count == 1)
    }

    /// The workflow of a post.
    pub async fn by_post(&self, post_id: &str) -> Result<Option<Workflow>, StoreError> {
        Ok(self.collection.find_one(doc! { "_id": post_id }).await?)
    }

    /// The workflows of these posts.
    pub async fn for_posts(&self, post_ids: &[String]) -> Result<Vec<Workflow>, StoreError> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .collection
            .find(doc! { "_id": { "$in": post_ids } })
            .await?
            .try_collect()
            .await?)
    }

    /// Takes the lease for `owner` (a fresh name per attempt) if nobody holds it: never held,
    /// released, or expired; the workflow, or `None`.
    pub async fn acquire(
        &self,
        post_id: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<Workflow>, StoreError> {
        let now = Utc::now();
        let acquired = update_then_read(
            &self.collection,
            doc! {
                "_id": post_id,
                "step": { "$in": Step::ACTIVE.as_slice() },
                // Null, absent or past: one condition, where `$or` would make the server scan.
                "lease_expires_at": { "$not": { "$gt": at(now) } },
            },
            doc! { "$set": { "lease_owner": owner, "lease_expires_at": at(now + lease) } },
        )
        .await?;
        Ok(acquired.filter(|wf| wf.lease_owner.as_deref() == Some(owner)))
    }

    /// Takes the lease of `wf`, read earlier, for `owner` if nobody holds it and its state is
    /// still the one read (same claim, same revision): one write where [`Workflows::acquire`] needs a
    /// write and a read. `wf` leased to `owner`, or `None` (changed since, or held).
    pub async fn take(
        &self,
        wf: &Workflow,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<Workflow>, StoreError> {
        let now = Utc::now();
        let until = now + lease;
        let taken = update_by_id(
            &self.collection,
            doc! {
                "_id": &wf.post_id,
                // The claim's post version too: a workflow replaced by a later claim starts
                // its revisions again.
                "post_version": wf.post_version,
                "revision": wf.revision,
                "step": { "$in": Step::ACTIVE.as_slice() },
                "lease_expires_at": { "$not": { "$gt": at(now) } },
            },
            doc! { "$set": { "lease_owner": owner, "lease_expires_at": at(until) } },
        )
        .await?;
        Ok(taken.then(|| Workflow {
            lease_owner: Some(owner.to_string()),
            lease_expires_at: Some(until),
            ..wf.clone()
        }))
    }

    /// Applies `wf`'s unsaved fields and `set` (and renews the lease) only while `owner` holds
    /// the lease; the workflow as it now is (`wf` with both applied: nothing is read back), or
    /// `None` when the lease was lost. `set` names whole top-level fields.
    pub async fn save(
        &self,
        wf: &Workflow,
        owner: &str,
        lease: Duration,
        set: Document,
    ) -> Result<Option<Workflow>, StoreError> {
        let mut all = wf.unsaved.clone();
        all.extend(set);
        all.insert("revision", wf.revision + 1);
        all.insert("lease_owner", owner);
        all.insert("lease_expires_at", at(Utc::now() + lease));
        all.insert("updated_at", bson_now());
        let saved = update_by_id(
            &self.collection,
            doc! { "_id": &wf.post_id, "lease_owner": owner },
            doc! { "$set": all.clone() },
        )
        .await?;
        if !saved {
            return Ok(None);
        }
        let mut state = with_fields(wf, all)?;
        state.unsaved = Document::new();
        Ok(Some(state))
    }

    /// Extends `owner`'s lease to `lease` from now; false when another worker holds it.
    pub async fn renew(
        &self,
        post_id: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let result = self
            .collection
            .update_one(
                doc! { "_id": post_id, "lease_owner": owner },
                doc! { "$set": { "lease_expires_at": at(Utc::now() + lease) } },
            )
            .await?;
        Ok(result.matched_count == 1)
    }

    /// Gives the lease back, to run again at `next_run_at`, writing `wf`'s unsaved fields and
    /// `set` in the same write; false when the lease was lost.
    pub async fn release(
        &self,
        wf: &Workflow,
        owner: &str,
        next_run_at: DateTime<Utc>,
        set: Document,
    ) -> Result<bool, StoreError> {
        let mut all = wf.unsaved.clone();
        all.extend(set);
        all.insert("revision", wf.revision + 1);
        all.insert("lease_owner", Bson::Null);
        all.insert("lease_expires_at", Bson::Null);
        all.insert("next_run_at", at(next_run_at));
        all.insert("updated_at", bson_now());
        update_by_id(
            &self.collection,
            doc! { "_id": &wf.post_id, "lease_owner": owner },
            doc! { "$set": all },
        )
        .await
    }

    /// Unfinished workflows nobody holds (lease expired or released) that should have run
    /// before `before`: the reconciler resumes them.
    pub async fn stalled(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Workflow>, StoreError> {
        let now = Utc::now();
        Ok(self
            .collection
            .find(doc! {
                "step": { "$in": Step::ACTIVE.as_slice() },
                "next_run_at": { "$lt": at(before) },
                "lease_expires_at": { "$not": { "$gt": at(now) } },
            })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Unfinished workflows of a connection that have called `media_publish` (at most
    /// `limit`): posts whose publish may be under way or just done.
    pub async fn publish_attempted_on_connection(
        &self,
        connection_id: &str,
        limit: i64,
    ) -> Result<Vec<Workflow>, StoreError> {
        Ok(self
            .collection
            .find(doc! {
                "connection_id": connection_id,
                "step": { "$in": Step::ACTIVE.as_slice() },
                "publish_attempted_at": { "$ne": Bson::Null },
            })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// How many unfinished workflows wait for a reason (throttled, quota).
    pub async fn count_waiting(&self, reason_prefix: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .count_documents(doc! {
                "step": { "$in": Step::ACTIVE.as_slice() },
                "waiting_reason": { "$regex": format!("^{reason_prefix}") },
            })
            .await?)
    }

    /// Deletes a post's workflow; how many (0 or 1).
    pub async fn delete(&self, post_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_one(doc! { "_id": post_id })
            .await?
            .deleted_count)
    }

    /// Deletes every workflow of a user (account deletion); how many.
    pub async fn delete_for_user(&self, user_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "user_id": user_id })
            .await?
            .deleted_count)
    }

    /// Deletes every workflow of a connection (Instagram data deletion); how many.
    pub async fn delete_for_connection(&self, connection_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .delete_many(doc! { "connection_id": connection_id })
            .await?
            .deleted_count)
    }
}
