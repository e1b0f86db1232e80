//! One module per resource, each exposing `router()`; merged here (with the dashboard and the
//! public pages, which are HTML rather than JSON API).

pub mod auth;
pub mod dashboard;
pub mod deletion_status;
pub mod deletions;
pub mod email_verification;
pub mod google;
pub mod health;
pub mod instagram;
pub mod me;
pub mod media;
pub mod meta;
pub mod notification_preferences;
pub mod notifications;
pub mod paging;
pub mod password_reset;
pub mod post_thumbnails;
pub mod post_views;
pub mod posting_schedule;
pub mod posts;
pub mod posts_io;
pub mod public_media;
pub mod public_pages;
pub mod queue_move;
pub mod queue_pause;
pub mod unsubscribe;
pub mod users_out;
pub mod webhooks;
pub mod webhooks_io;

use axum::Router;

use crate::state::AppState;

/// Every route of the public API.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(auth::router())
        .merge(password_reset::router())
        .merge(email_verification::router())
        .merge(google::router())
        .merge(instagram::router())
        .merge(me::router())
        .merge(deletions::router())
        .merge(deletion_status::router())
        .merge(meta::router())
        .merge(media::router())
        .merge(posts::router())
        .merge(posting_schedule::router())
        .merge(queue_move::router())
        .merge(queue_pause::router())
        .merge(public_media::router())
        .merge(post_views::router())
        .merge(notification_preferences::router())
        .merge(notifications::router())
        .merge(unsubscribe::router())
        .merge(webhooks::router())
        .merge(dashboard::router())
        .merge(public_pages::router())
}
