//! The core shared by the api and the workers.
//!
//! - [`store`]: MongoDB, the system of record, behind repositories (callers never touch a
//!   `Collection`), with idempotent index creation at start-up.
//! - [`queue`]: the apalis-redis queue wiring: one storage per job type under a configurable
//!   namespace, with the timing and deduplication settings the product depends on.
//! - [`tasks`]: job payloads (ids only, never secrets) and the logic that runs them.
//! - [`telemetry`]: structured logs and the Prometheus recorder both processes install.
//! - [`readiness`]: the dependency checks behind `/readyz`.
//! - [`shutdown`]: the SIGTERM / Ctrl-C signal every process stops on.
#![forbid(unsafe_code)]

pub mod queue;
pub mod readiness;
pub mod shutdown;
pub mod store;
pub mod tasks;
pub mod telemetry;

pub use aistudio_config as config;
