//! Index creation at a process's start, which never holds the start up: a server that cannot
//! be reached, or that takes a command and never answers it, would otherwise keep the api from
//! serving even `/healthz`, and a worker from running at all.

use std::time::Duration;

use super::{Store, indexes};

/// How long to wait between tries once the first has failed.
const RETRY_EVERY: Duration = Duration::from_secs(2);

impl Store {
    /// Creates every index, waiting at most `answer_within` for each command's answer. When
    /// MongoDB cannot be reached or does not answer in time, logs it and goes on trying in the
    /// background every 2 s (each try bounded the same way) until the indexes are created, so
    /// the caller starts meanwhile.
    pub async fn ensure_indexes_at_start(&self, answer_within: Duration) {
        let Err(e) = indexes::ensure(&self.db, answer_within).await else {
            return;
        };
        tracing::warn!(error = %e, "could not create indexes yet; retrying in the background");
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RETRY_EVERY).await;
                match indexes::ensure(&store.db, answer_within).await {
                    Ok(()) => {
                        tracing::info!("indexes created");
                        return;
                    }
                    Err(e) => tracing::debug!(error = %e, "indexes not created yet"),
                }
            }
        });
    }
}
