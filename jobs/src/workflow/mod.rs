//! The durable publishing workflow: every scheduled post is published at its time, exactly
//! once, or ends in a state that says why not.
//!
//! - [`dispatcher`] moves posts due within a short lookahead from MongoDB into Redis (run at
//!   their time, one job per post version), keeping the Redis backlog bounded.
//! - [`Engine::drive`] (the `publish` job) claims a due post with a compare-and-set on its
//!   version, then runs its steps under a lease: prepare media, create containers, poll them,
//!   publish, fetch the permalink. Each step's output is persisted before the next starts; a
//!   wait (polling, throttling, quota, retry backoff) releases the lease and schedules the job
//!   again. Leases are short and renewed while a step runs ([`lease`]), so a dead worker's
//!   workflows resume within seconds.
//! - Exactly once: `publish_attempted_at` is persisted before `media_publish` is first called
//!   and the media id the moment it returns; a resumed or retried publish reads the container
//!   first (`PUBLISHED` means done). Saves are conditional on the lease, so a stale worker
//!   cannot overwrite newer state.
//! - The truth after an ambiguous publish: when `media_publish` answered an error but the
//!   container reads `PUBLISHED`, the media is found in the account's recent media by
//!   [`media_match`]'s rule, which never guesses; otherwise the post stays published with a
//!   note saying why it has no link. `published_at` becomes Instagram's own timestamp of the
//!   media (never later than when we learned the post was live), and lateness is counted once,
//!   when the post's record is final.
//! - [`reconciler`] resumes workflows whose worker died (lease expired) and counts late posts.

pub mod dispatcher;
mod engine;
mod event_log;
mod find_media;
mod lease;
pub mod media_match;
mod media_url;
mod outcome;
mod publish_record;
mod quota;
pub mod reconciler;
mod steps;
mod throttle;

pub use engine::{Engine, EngineError};
pub use media_url::{sign_media_url, verify_media_url};
