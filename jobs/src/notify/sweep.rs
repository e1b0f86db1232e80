//! Raising what a stopped worker did not: the events of posts that failed, were parked or were
//! published within `notifications.sweep_hours` and have no notification yet. Raising is
//! idempotent per event, so the sweep never notifies twice; it skips events the user turned
//! off on both channels without writing anything.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::post_events::event_of;
use super::{NotifyError, raise};
use crate::domain::Channel;
use crate::queue::Queue;
use crate::store::{NotificationPreferences, PostStatus, Store};

/// Most posts looked at per sweep (most recently changed first).
const SWEEP_LIMIT: i64 = 1000;

/// Raises the missing events of posts changed at or after `since`; how many were raised now.
#[tracing::instrument(skip_all)]
pub async fn sweep(store: &Store, queue: &Queue, since: DateTime<Utc>) -> Result<u64, NotifyError> {
    let posts = store
        .posts()
        .changed_since_in(
            &[
                PostStatus::Failed,
                PostStatus::NeedsReconnect,
                PostStatus::Published,
            ],
            since,
            SWEEP_LIMIT,
        )
        .await?;
    let events: Vec<_> = posts.iter().filter_map(event_of).collect();
    let ids: Vec<String> = events.iter().map(|e| e.notification_id()).collect();
    let stored: HashSet<String> = store
        .notifications()
        .existing(&ids)
        .await?
        .into_iter()
        .collect();
    let mut prefs: HashMap<String, NotificationPreferences> = HashMap::new();
    let mut raised_now = 0;
    for (event, id) in events.iter().zip(&ids) {
        if stored.contains(id) {
            continue;
        }
        if !prefs.contains_key(&event.user_id) {
            let p = store
                .notification_preferences()
                .for_user(&event.user_id)
                .await?;
            prefs.insert(event.user_id.clone(), p);
        }
        let wanted = &prefs[&event.user_id];
        if !Channel::ALL.iter().any(|c| wanted.wants(event.kind, *c)) {
            continue;
        }
        let raised = raise(store, queue, event).await?;
        if raised.in_app || raised.email {
            raised_now += 1;
        }
    }
    if raised_now > 0 {
        tracing::warn!(raised_now, "notifications raised by the sweep");
    }
    Ok(raised_now)
}
