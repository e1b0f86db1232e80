//! Fault injection and outside observation for the fault tests and the chaos soak.

mod consumer_watch;
mod slow_proxy;

pub use consumer_watch::{ConsumerWatch, in_flight_by_pid};
pub use slow_proxy::SlowProxy;
