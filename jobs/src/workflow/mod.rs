//! The durable publishing workflow: every scheduled post is published at its time, exactly
//! once, or ends in a state that says why not.
//!
//! - [`dispatcher`] moves posts due within a short lookahead from MongoDB into Redis (run at
//!   their time, one job per post version), keeping the Redis backlog bounded.
//! - [`Engine::drive`] (the `publish` job) claims a due post with a compare-and-set on its
//!   version, then runs its steps under a lease: prepare media, create containers, poll them,
//!   publish, fetch the permalink. Each step's output is persisted before the next starts; a
//!   wait (polling, throttling, quota, retry backoff) releases the lease and schedules the job
//!   again.
//! - Exactly once: `publish_attempted_at` is persisted before `media_publish` is called and the
//!   media id the moment it returns; a resumed or retried publish reads the container first
//!   (`PUBLISHED` means done). Saves are conditional on the lease, so a stale worker cannot
//!   overwrite newer state.
//! - [`reconciler`] resumes workflows whose worker died (lease expired) and counts late posts.

pub mod dispatcher;
mod engine;
pub mod media_match;
mod media_url;
mod outcome;
mod quota;
pub mod reconciler;
mod steps;
mod throttle;

pub use engine::{Engine, EngineError};
pub use media_url::{sign_media_url, verify_media_url};
