//! An Instagram connection stored directly (the OAuth flow has its own tests), for tests and
//! benchmarks that need a user who can schedule posts.

use aistudio_jobs::store::{Connection, ConnectionStatus, SealedToken, Store};
use chrono::Utc;

/// Stores a connection of `user_id` to the Instagram account `username` with a (dummy)
/// sealed token valid for 60 days; its id.
pub async fn connect_instagram(
    store: &Store,
    user_id: &str,
    username: &str,
    status: ConnectionStatus,
) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = Utc::now();
    store
        .connections()
        .insert(&Connection {
            id: id.clone(),
            user_id: user_id.to_string(),
            ig_user_id: format!("1784{}", &uuid::Uuid::new_v4().as_u128().to_string()[..12]),
            username: username.to_string(),
            token: Some(SealedToken {
                key_id: "dev".into(),
                nonce: "bm9uY2U=".into(),
                ciphertext: "c2VhbGVk".into(),
            }),
            token_expires_at: Some(now + chrono::Duration::days(60)),
            token_refreshed_at: Some(now),
            status,
            created_at: now,
        })
        .await
        .expect("connection stored");
    id
}
