//! Busy loops on every core for a while: a machine starved of CPU.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Spins `threads` threads until `duration` has passed (or the returned handle is stopped).
pub fn hog_cpu(threads: usize, duration: Duration) -> CpuHog {
    let stop = Arc::new(AtomicBool::new(false));
    let until = Instant::now() + duration;
    for _ in 0..threads {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut x: u64 = 0;
            while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                for _ in 0..100_000 {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
        });
    }
    CpuHog { stop }
}

/// Running busy loops; they stop when this is dropped.
#[derive(Debug)]
pub struct CpuHog {
    stop: Arc<AtomicBool>,
}

impl Drop for CpuHog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
