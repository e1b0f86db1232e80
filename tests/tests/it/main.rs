//! AIStudio's integration tests: one binary, real processes, real services.

mod accounts;
mod api_basics;
mod deployment;
mod maintenance;
mod media;
mod posts;
mod readiness;
mod shutdown;
