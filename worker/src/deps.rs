//! What every job handler can reach.

use std::sync::Arc;

use aistudio_config::Settings;
use aistudio_jobs::clients::InstagramOAuth;
use aistudio_jobs::crypto::vault::Vault;
use aistudio_jobs::mail::Mailer;
use aistudio_jobs::media::MediaStorage;
use aistudio_jobs::queue::Queue;
use aistudio_jobs::store::Store;
use aistudio_jobs::workflow::Engine;

/// Shared by every handler of this process. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Deps {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The system of record.
    pub store: Store,
    /// The job queue.
    pub queue: Queue,
    /// This process's unique worker name.
    pub worker: Arc<str>,
    /// The token vault.
    pub vault: Vault,
    /// Instagram Login (token refresh).
    pub instagram: InstagramOAuth,
    /// The publishing workflow.
    pub engine: Engine,
    /// Where media bytes live.
    pub media: Arc<dyn MediaStorage>,
    /// Outgoing email.
    pub mailer: Mailer,
}
