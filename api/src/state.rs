//! What every handler can reach.

use std::sync::Arc;

use aistudio_config::Settings;
use aistudio_jobs::clients::InstagramOAuth;
use aistudio_jobs::clients::google::GoogleClient;
use aistudio_jobs::crypto::vault::Vault;
use aistudio_jobs::login_limiter::LoginLimiter;
use aistudio_jobs::media::{CheckSlots, MediaStorage};
use aistudio_jobs::queue::Queue;
use aistudio_jobs::store::Store;

/// Shared application state. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The system of record.
    pub store: Store,
    /// The job queue.
    pub queue: Queue,
    /// Log-in brute-force limits.
    pub limiter: LoginLimiter,
    /// Google sign-in.
    pub google: GoogleClient,
    /// Instagram Login.
    pub instagram: InstagramOAuth,
    /// The token vault.
    pub vault: Vault,
    /// Where media bytes live.
    pub media_storage: Arc<dyn MediaStorage>,
    /// Slots for checking uploads (decoding images, probing videos).
    pub media_checks: Arc<CheckSlots>,
}
