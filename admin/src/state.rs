//! What every console handler can reach: the api's settings, store and queue.

use std::sync::Arc;

use aistudio_jobs::admin_actions::AdminActions;
use aistudio_jobs::config::Settings;
use aistudio_jobs::login_limiter::LoginLimiter;
use aistudio_jobs::queue::Queue;
use aistudio_jobs::store::Store;

/// Shared console state. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AdminState {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The system of record.
    pub store: Store,
    /// The job queue.
    pub queue: Queue,
    /// Log-in brute-force limits (shared with the api's own log-in).
    pub limiter: LoginLimiter,
}

impl AdminState {
    /// The state for these pieces.
    pub fn new(settings: Arc<Settings>, store: Store, queue: Queue, limiter: LoginLimiter) -> Self {
        Self {
            settings,
            store,
            queue,
            limiter,
        }
    }

    /// The console's actions.
    pub fn actions(&self) -> AdminActions {
        AdminActions::new(self.store.clone(), self.queue.clone())
    }

    /// Every queue the console shows, each once: the publish queue first, then the other
    /// queues the workers serve.
    pub fn queues(&self) -> Vec<&'static str> {
        let publish = aistudio_jobs::tasks::publish::QUEUE;
        let mut queues = vec![publish];
        queues.extend(
            aistudio_jobs::tasks::QUEUES
                .iter()
                .filter(|q| **q != publish),
        );
        queues
    }
}
