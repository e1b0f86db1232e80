//! AIStudio's integration tests: one binary, real processes, real services.

mod accounts;
mod admin;
mod api_basics;
mod console_refusals;
mod crash_recovery;
mod dashboard;
mod deployment;
mod google_sign_in;
mod instagram;
mod maintenance;
mod media;
mod media_cuts;
mod operator;
mod password_reset;
mod posts;
mod publishing;
mod publishing_faults;
mod queue_due_at_once;
mod queue_fetch;
mod queue_stall;
mod readiness;
mod scan_free;
mod session_kinds;
mod shutdown;
mod soak;
mod workflow_take;
