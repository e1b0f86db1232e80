//! Fault injection.
//!
//! A fault rule targets one named [`Endpoint`], fires according to `rate`, `skip` and `count`,
//! and has one [`Effect`]. Latency effects add up and the call continues; the first other
//! effect that fires replaces the answer, either before the real operation or, with
//! `after_success`, after it (the real state change happens, the client sees a failure).

mod apply;
mod book;
mod endpoint;
mod rule;

pub(crate) use apply::{Call, ConnKill, decide, guarded};
pub use book::{ActiveFault, FaultId};
pub(crate) use book::{Decision, FaultBook};
pub use endpoint::Endpoint;
pub(crate) use endpoint::Family;
pub use rule::{Effect, FaultRule};
