//! The core shared by the api and the workers.
//!
//! - [`admin_actions`]: what admins do from the console (retry, cancel, reschedule, resume,
//!   requeue, bulk), each a compare-and-set.
//! - [`domain`]: values that cannot be invalid (emails, names, passwords, ...).
//! - [`content`]: composing posts, writing them with their media pins, deleting media safely.
//! - [`crypto`]: password hashing, session tokens, the token vault, Meta's `signed_request`.
//! - [`clients`]: HTTP clients for Instagram Login, the Graph API (publishing), ImgBB and Google
//!   sign-in, with the classification of their errors that the publishing workflow acts on.
//! - [`media`]: uploads recognised by their bytes, spooled, checked, converted to JPEG, and
//!   the storage trait media bytes live behind.
//! - [`store`]: MongoDB, the system of record, behind repositories (callers never touch a
//!   `Collection`), with idempotent index creation at start-up.
//! - [`queue`]: the apalis-redis queue wiring: one storage per job type under a configurable
//!   namespace, with the timing and deduplication settings the product depends on.
//! - [`tasks`]: job payloads (ids only, never secrets) and the logic that runs them.
//! - [`workflow`]: the durable publishing workflow (dispatcher, engine, reconciler).
//! - [`notify`]: account notifications (in the dashboard and by email), raised at the
//!   workflow's transitions, by the token refresh and by account deletion.
//! - [`telemetry`]: structured logs and the Prometheus recorder both processes install.
//! - [`instagram_connect`]: completing "Connect Instagram" (exchange, seal, store).
//! - [`login_limiter`]: brute-force protection for log-ins.
//! - [`operator`]: operator commands (roles, key rotation), run by `aistudio-ctl`.
//! - [`readiness`]: the dependency checks behind `/readyz`.
//! - [`replay_guard`]: refuses replayed one-time values (Meta callbacks).
//! - [`shutdown`]: the SIGTERM / Ctrl-C signal every process stops on.
#![forbid(unsafe_code)]

pub mod admin_actions;
pub mod client_address;
pub mod clients;
pub mod content;
pub mod crypto;
pub mod domain;
pub mod html_text;
pub mod instagram_connect;
pub mod login_limiter;
pub mod mail;
pub mod media;
pub mod notify;
pub mod operator;
pub mod queue;
pub mod readiness;
pub mod replay_guard;
pub mod request_budget;
pub mod shutdown;
pub mod store;
pub mod tasks;
pub mod telemetry;
pub mod webhooks;
pub mod workflow;

pub use aistudio_config as config;
