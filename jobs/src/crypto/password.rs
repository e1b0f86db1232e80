//! bcrypt password hashing, run off the async executor (a hash at cost 12 takes a quarter
//! second of CPU; on the executor it would stall every other request on that thread).

use std::sync::LazyLock;

use crate::domain::Password;

/// Hashing failed (the blocking pool is gone, or bcrypt refused its input).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes `password` with bcrypt at `cost`.
pub async fn hash(password: &Password, cost: u32) -> Result<String, HashError> {
    let password = password.expose().to_string();
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(|e| HashError(e.to_string()))?
        .map_err(|e| HashError(e.to_string()))
}

/// A valid hash of a random password, verified against when the account does not exist so that
/// "unknown email" takes as long as "wrong password".
static DECOY: LazyLock<String> = LazyLock::new(|| {
    bcrypt::hash(uuid::Uuid::new_v4().to_string(), 12).expect("hashing a fixed-size string")
});

/// Checks `candidate` against `stored` (or against a decoy when there is no stored hash, with
/// the same cost in time). Never true without a stored hash.
pub async fn verify(candidate: &str, stored: Option<&str>) -> bool {
    let candidate = candidate.to_string();
    let (hash, real) = match stored {
        Some(hash) => (hash.to_string(), true),
        None => (DECOY.clone(), false),
    };
    let matched = tokio::task::spawn_blocking(move || {
        // Over-long input can never match a hash we made; still spend the time.
        let candidate = if candidate.len() > Password::MAX_BYTES {
            String::new()
        } else {
            candidate
        };
        bcrypt::verify(candidate, &hash).unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    matched && real
}

/// Warms the decoy hash so the first unknown-email log-in is not slower than later ones.
pub fn warm_up() {
    LazyLock::force(&DECOY);
}
