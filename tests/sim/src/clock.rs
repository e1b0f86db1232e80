//! The simulated clock: wall-clock time plus an offset that only moves forward.
//!
//! Real time keeps passing (processing delays elapse on their own) and tests jump ahead
//! (token expiry, refresh rules, the rolling quota window, container expiry) without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds in one hour.
pub(crate) const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in one day.
pub(crate) const DAY_MS: i64 = 24 * HOUR_MS;

/// Wall clock plus an adjustable offset.
#[derive(Debug, Default)]
pub(crate) struct SimClock {
    offset_ms: AtomicI64,
}

impl SimClock {
    /// Current simulated time, in milliseconds since the Unix epoch.
    pub(crate) fn now_ms(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        real.saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves simulated time forward.
    pub(crate) fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms.max(0), Ordering::Relaxed);
    }

    /// Total offset applied so far.
    pub(crate) fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}
