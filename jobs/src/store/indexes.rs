//! Every index, declared in one place and created idempotently at start-up.

use std::time::Duration;

use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Database, IndexModel};

use super::StoreError;
use super::audit_log::COLLECTION as AUDIT_LOG;
use super::canary_runs::COLLECTION as CANARY_RUNS;
use super::connections::COLLECTION as CONNECTIONS;
use super::deletion_requests::COLLECTION as DELETION_REQUESTS;
use super::email_verifications::COLLECTION as EMAIL_VERIFICATIONS;
use super::emails::COLLECTION as EMAILS;
use super::maintenance_runs::COLLECTION as MAINTENANCE_RUNS;
use super::media::COLLECTION as MEDIA;
use super::notifications::COLLECTION as NOTIFICATIONS;
use super::oauth_states::COLLECTION as OAUTH_STATES;
use super::password_resets::COLLECTION as PASSWORD_RESETS;
use super::posting_schedules::COLLECTION as POSTING_SCHEDULES;
use super::posts::COLLECTION as POSTS;
use super::sessions::COLLECTION as SESSIONS;
use super::users::COLLECTION as USERS;
use super::webhook_deliveries::COLLECTION as WEBHOOK_DELIVERIES;
use super::webhook_endpoints::COLLECTION as WEBHOOK_ENDPOINTS;
use super::workflow_events::COLLECTION as WORKFLOW_EVENTS;
use super::workflows::COLLECTION as WORKFLOWS;

/// How long operational records (maintenance and canary runs) are kept.
const OPERATIONAL_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

fn index(keys: Document, options: IndexOptions) -> IndexModel {
    IndexModel::builder().keys(keys).options(options).build()
}

fn ttl(field: &str, name: &str, after: Duration) -> IndexModel {
    index(
        doc! { field: 1 },
        IndexOptions::builder()
            .name(name.to_string())
            .expire_after(after)
            .build(),
    )
}

fn named(keys: Document, name: &str) -> IndexModel {
    index(keys, IndexOptions::builder().name(name.to_string()).build())
}

fn unique(keys: Document, name: &str, sparse: bool) -> IndexModel {
    index(
        keys,
        IndexOptions::builder()
            .name(name.to_string())
            .unique(true)
            .sparse(sparse)
            .build(),
    )
}

/// Creates every index, waiting at most `answer_within` for the answer to each collection's
/// command: one that is not answered in time fails as a dropped connection does, as unreachable
/// ([`StoreError::is_unreachable`]).
pub(super) async fn ensure(db: &Database, answer_within: Duration) -> Result<(), StoreError> {
    let plan: Vec<(&str, Vec<IndexModel>)> = vec![
        (
            USERS,
            vec![
                unique(doc! { "email": 1 }, "email_unique", false),
                unique(doc! { "google_sub": 1 }, "google_sub_unique", true),
            ],
        ),
        (
            WORKFLOWS,
            vec![
                named(doc! { "step": 1, "next_run_at": 1 }, "step_next_run"),
                named(doc! { "user_id": 1 }, "user_id"),
                named(doc! { "connection_id": 1 }, "connection_id"),
            ],
        ),
        (
            WORKFLOW_EVENTS,
            vec![
                named(doc! { "post_id": 1, "started_at": 1 }, "post_started"),
                named(doc! { "user_id": 1 }, "user_id"),
                named(doc! { "outcome": 1, "started_at": -1 }, "outcome_started"),
                // Admin console: charts over a time window, error-text search within a range.
                named(doc! { "started_at": -1 }, "started"),
            ],
        ),
        (
            SESSIONS,
            vec![
                named(doc! { "user_id": 1 }, "user_id"),
                ttl("expires_at", "expires_at_ttl", Duration::ZERO),
            ],
        ),
        (
            CONNECTIONS,
            vec![
                unique(doc! { "ig_user_id": 1 }, "ig_user_id_unique", false),
                named(doc! { "user_id": 1, "created_at": 1 }, "user_created"),
                named(doc! { "username": 1 }, "username"),
            ],
        ),
        (
            OAUTH_STATES,
            vec![ttl("expires_at", "expires_at_ttl", Duration::ZERO)],
        ),
        (
            PASSWORD_RESETS,
            vec![
                unique(doc! { "token_hash": 1 }, "token_hash_unique", true),
                named(doc! { "user_id": 1 }, "user_id"),
                ttl(
                    "expires_at",
                    "expires_at_ttl",
                    Duration::from_secs(24 * 3600),
                ),
            ],
        ),
        (
            POSTING_SCHEDULES,
            vec![named(doc! { "user_id": 1 }, "user_id")],
        ),
        (
            EMAIL_VERIFICATIONS,
            vec![
                unique(doc! { "token_hash": 1 }, "token_hash_unique", true),
                named(doc! { "user_id": 1 }, "user_id"),
                ttl(
                    "expires_at",
                    "expires_at_ttl",
                    Duration::from_secs(24 * 3600),
                ),
            ],
        ),
        (
            EMAILS,
            vec![
                named(doc! { "status": 1, "next_attempt_at": 1 }, "status_due"),
                named(doc! { "user_id": 1 }, "user_id"),
            ],
        ),
        (
            NOTIFICATIONS,
            vec![
                named(
                    doc! { "user_id": 1, "created_at": -1, "_id": -1 },
                    "user_newest",
                ),
                named(doc! { "user_id": 1, "read_at": 1 }, "user_unread"),
            ],
        ),
        (
            WEBHOOK_ENDPOINTS,
            vec![named(
                doc! { "user_id": 1, "created_at": 1 },
                "user_created",
            )],
        ),
        (
            WEBHOOK_DELIVERIES,
            vec![
                named(doc! { "status": 1, "next_attempt_at": 1 }, "status_due"),
                named(
                    doc! { "endpoint_id": 1, "created_at": -1 },
                    "endpoint_latest",
                ),
                named(doc! { "user_id": 1 }, "user_id"),
            ],
        ),
        (
            DELETION_REQUESTS,
            vec![
                named(
                    doc! { "status": 1, "requested_at": 1 },
                    "status_requested_at",
                ),
                // Only pending requests hold a subject id: one pending request per subject.
                unique(doc! { "subject_id": 1 }, "pending_subject_unique", true),
            ],
        ),
        (
            MEDIA,
            vec![
                named(
                    doc! { "user_id": 1, "created_at": -1, "_id": -1 },
                    "user_newest",
                ),
                named(doc! { "used_by.post_id": 1 }, "used_by_post"),
            ],
        ),
        (
            POSTS,
            vec![
                named(
                    doc! { "user_id": 1, "created_at": -1, "_id": -1 },
                    "user_newest",
                ),
                named(
                    doc! { "user_id": 1, "scheduled_at": 1, "_id": 1 },
                    "user_schedule",
                ),
                named(doc! { "user_id": 1, "status": 1 }, "user_status"),
                // Only posts added to a queue hold a slot: one post per slot.
                unique(doc! { "queue_slot": 1 }, "queue_slot_unique", true),
                named(doc! { "status": 1, "scheduled_at": 1 }, "status_due"),
                // The dispatcher and the late count: scheduled posts not held in a paused
                // queue (a missing `held` is indexed as null), by time.
                named(
                    doc! { "status": 1, "held": 1, "scheduled_at": 1 },
                    "status_unheld_due",
                ),
                // Admin console: search newest first, by status or account; lateness.
                named(doc! { "created_at": -1, "_id": -1 }, "newest"),
                named(
                    doc! { "status": 1, "created_at": -1, "_id": -1 },
                    "status_newest",
                ),
                named(
                    doc! { "connection_id": 1, "created_at": -1, "_id": -1 },
                    "connection_newest",
                ),
                named(doc! { "status": 1, "published_at": -1 }, "status_published"),
                // The notification sweep: recently failed, parked or published posts.
                named(doc! { "status": 1, "updated_at": -1 }, "status_updated"),
                // The publisher: is a media id already recorded on one of our posts?
                named(doc! { "ig_media_id": 1 }, "ig_media_id"),
            ],
        ),
        (
            AUDIT_LOG,
            vec![
                named(doc! { "at": -1, "_id": -1 }, "newest"),
                named(doc! { "target": 1, "at": -1 }, "target_newest"),
                ttl("discard_at", "discard_at_ttl", Duration::ZERO),
            ],
        ),
        (
            MAINTENANCE_RUNS,
            vec![
                named(doc! { "tick": -1 }, "tick"),
                ttl("finished_at", "finished_at_ttl", OPERATIONAL_RETENTION),
            ],
        ),
        (
            CANARY_RUNS,
            vec![
                named(doc! { "canary_id": 1 }, "canary_id"),
                ttl("finished_at", "finished_at_ttl", OPERATIONAL_RETENTION),
            ],
        ),
    ];
    for (collection, models) in plan {
        let target = db.collection::<Document>(collection);
        tokio::time::timeout(answer_within, target.create_indexes(models))
            .await
            .map_err(|_| {
                mongodb::error::Error::from(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("createIndexes on {collection}: no answer within {answer_within:?}"),
                ))
            })??;
    }
    Ok(())
}
