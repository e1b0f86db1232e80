//! The admin job-monitoring console: operators' view of customers, Instagram accounts, posts,
//! workflows, queues and workers, mounted by the api under `/admin`.
//!
//! Server-rendered HTML with a little vanilla JavaScript (live counts over server-sent events),
//! every asset embedded in the binary and served under a `default-src 'self'` content security
//! policy. Operators sign in with their AIStudio account; the `operator` role reads, the
//! `admin` role may also act. Every form post carries a per-session CSRF token, every action
//! is a compare-and-set (see `aistudio_jobs::admin_actions`) and is written to the audit log,
//! as is every refused attempt (sign-ins, CSRF, roles, sessions issued for the api).
#![forbid(unsafe_code)]

mod assets;
mod audit;
mod auth;
mod client_address;
mod csrf;
mod error;
mod headers;
mod html;
mod pages;
mod refusals;
mod search;
mod state;

use axum::Router;
use axum::routing::get;

pub use state::AdminState;

/// The console's router, to be nested under `/admin`.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/", get(pages::overview::show_overview))
        .route("/overview/stream", get(pages::live::stream_counts))
        .route("/login", get(auth::show_login).post(auth::create_session))
        .route("/logout", axum::routing::post(auth::delete_session))
        .route("/workers", get(pages::workers::list_workers))
        .route("/queues", get(pages::queues::list_queues))
        .route("/queues/job", get(pages::queues::show_job))
        .route(
            "/queues/{queue}/dead/{id}/requeue",
            get(pages::queues::confirm_requeue).post(pages::queues::requeue_job),
        )
        .route("/posts", get(pages::posts::search_posts))
        .route("/posts/{id}", get(pages::post_detail::show_post))
        .route(
            "/posts/{id}/{action}",
            get(pages::post_actions::confirm_action).post(pages::post_actions::apply_action),
        )
        .route(
            "/accounts/{id}/resume",
            get(pages::post_actions::confirm_resume_account)
                .post(pages::post_actions::resume_account),
        )
        .route(
            "/bulk",
            get(pages::bulk::preview_bulk).post(pages::bulk::apply_bulk),
        )
        .route("/audit", get(pages::audit::list_audit))
        .route("/assets/{file}", get(assets::serve_asset))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}
