//! Fault injection and outside observation for the fault tests and the chaos soak.

mod consumer_watch;
mod cpu_hog;
mod log_window;
mod slow_proxy;
pub mod soak;

pub use consumer_watch::{ConsumerWatch, Stall, in_flight_by_pid};
pub use slow_proxy::SlowProxy;
