//! Brute-force protection for log-ins: failures are counted per account (by a hash of the email,
//! whether or not the account exists, so the limit reveals nothing) and per client address, in
//! Redis with a fixed window. A success clears the account's count.

use std::net::IpAddr;
use std::time::Duration;

use aistudio_config::SecuritySettings;
use sha2::{Digest, Sha256};

use crate::queue::{Queue, QueueError};

/// Counts and checks log-in failures.
#[derive(Debug, Clone)]
pub struct LoginLimiter {
    queue: Queue,
    per_account: u64,
    per_ip: u64,
    window: Duration,
}

impl LoginLimiter {
    /// A limiter with the configured limits, stored under the queue's namespace.
    pub fn new(queue: Queue, settings: &SecuritySettings) -> Self {
        Self {
            queue,
            per_account: settings.login_max_failures_per_account,
            per_ip: settings.login_max_failures_per_ip,
            window: Duration::from_secs(settings.login_window_secs),
        }
    }

    fn keys(&self, email: &str, ip: IpAddr) -> (String, String) {
        let account = hex::encode(Sha256::digest(email.as_bytes()));
        (
            self.queue
                .queue_name(&format!("login-failures:account:{account}")),
            self.queue.queue_name(&format!("login-failures:ip:{ip}")),
        )
    }

    /// `Some(seconds to wait)` when either limit is reached.
    pub async fn blocked_for(&self, email: &str, ip: IpAddr) -> Result<Option<u64>, QueueError> {
        let (account, address) = self.keys(email, ip);
        let mut conn = self.queue.connection();
        let (a, a_ttl, i, i_ttl): (Option<u64>, i64, Option<u64>, i64) = redis::pipe()
            .get(&account)
            .ttl(&account)
            .get(&address)
            .ttl(&address)
            .query_async(&mut conn)
            .await?;
        let wait = |count: Option<u64>, limit: u64, ttl: i64| {
            (count.unwrap_or(0) >= limit).then(|| ttl.max(1) as u64)
        };
        Ok(wait(a, self.per_account, a_ttl)
            .into_iter()
            .chain(wait(i, self.per_ip, i_ttl))
            .max())
    }

    /// Counts one failure for the account and the address.
    pub async fn record_failure(&self, email: &str, ip: IpAddr) -> Result<(), QueueError> {
        let (account, address) = self.keys(email, ip);
        let window = self.window.as_secs() as i64;
        let mut conn = self.queue.connection();
        redis::pipe()
            .incr(&account, 1)
            .ignore()
            .cmd("EXPIRE")
            .arg(&account)
            .arg(window)
            .arg("NX")
            .ignore()
            .incr(&address, 1)
            .ignore()
            .cmd("EXPIRE")
            .arg(&address)
            .arg(window)
            .arg("NX")
            .ignore()
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    /// Clears the account's failures after a successful log-in.
    pub async fn record_success(&self, email: &str, ip: IpAddr) -> Result<(), QueueError> {
        let (account, _) = self.keys(email, ip);
        let mut conn = self.queue.connection();
        redis::cmd("DEL")
            .arg(&account)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }
}
