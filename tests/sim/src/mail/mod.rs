//! The inbox of the SMTP sink: every message the SMTP server accepted, parsed, with a JSON API
//! (`/mail/api/messages`) and browser pages (`/mail`).

mod api;
mod inbox;
mod pages;
mod parse;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::shared::Shared;

pub(crate) use inbox::Inbox;
pub use inbox::{MailAddress, MailHeader, MailMessage};
pub(crate) use parse::{Envelope, parse};

/// Routes under `/mail`.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/mail", get(pages::get_inbox))
        .route("/mail/{id}", get(pages::get_message))
        .route(
            "/mail/api/messages",
            get(api::get_messages).delete(api::delete_messages),
        )
        .route("/mail/api/messages/{id}", get(api::get_message))
        .route("/mail/api/messages/{id}/raw", get(api::get_raw))
}
