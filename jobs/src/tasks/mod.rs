//! Job payloads and the logic that runs them. Payloads carry ids only.

pub mod account_deletion;
pub mod canary;
pub mod maintenance;

pub use account_deletion::{DeleteAccount, DeletionError};
pub use canary::Canary;
pub use maintenance::QueueMaintenance;

/// Every queue the workers serve (maintenance vacuums each of them).
pub const QUEUES: &[&str] = &[maintenance::QUEUE, canary::QUEUE, account_deletion::QUEUE];
