//! Unique worker names: apalis-redis refuses a worker whose name was seen within the orphan
//! window, so a restarted process must never reuse its predecessor's name.

use rand::Rng;

/// `<host>-<pid>-<random>`, unique per process start.
pub fn worker_name(role: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let suffix: u32 = rand::rng().random();
    format!("{role}-{host}-{}-{suffix:08x}", std::process::id())
}
