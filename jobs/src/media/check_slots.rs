//! How many uploads one api process checks at once. Decoding a large image takes a core and
//! hundreds of megabytes for up to seconds, so checks run in a bounded number of slots
//! (`media.max_concurrent_checks`), of which one user may hold only
//! `media.max_concurrent_checks_per_user`: one user's uploads cannot take every slot. An
//! upload waits for a slot at most `media.check_wait_secs`, then is refused as [`Busy`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout_at};

/// No slot came free in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("every upload check slot is busy")]
pub struct Busy;

/// The slots of one process.
#[derive(Debug)]
pub struct CheckSlots {
    process: Arc<Semaphore>,
    per_user: usize,
    users: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    wait: Duration,
}

/// A user's share of the slots, removed from the map once nobody holds or awaits it.
#[derive(Debug)]
struct UserShare {
    user: String,
    slots: Arc<Semaphore>,
    users: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl Drop for UserShare {
    fn drop(&mut self) {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        // The map's reference and this one: nobody else holds or awaits this user's slots.
        if Arc::strong_count(&self.slots) == 2 {
            users.remove(&self.user);
        }
    }
}

/// A held slot; dropping it frees the slot.
#[derive(Debug)]
pub struct CheckSlot {
    _process: OwnedSemaphorePermit,
    _user: OwnedSemaphorePermit,
    _share: UserShare,
}

impl CheckSlots {
    /// `total` slots, `per_user` of them for any one user, waited for at most `wait`.
    pub fn new(total: usize, per_user: usize, wait: Duration) -> Self {
        Self {
            process: Arc::new(Semaphore::new(total)),
            per_user,
            users: Arc::default(),
            wait,
        }
    }

    /// Takes a slot for `user`, waiting until one of theirs and one of the process's is free.
    pub async fn acquire(&self, user: &str) -> Result<CheckSlot, Busy> {
        let deadline = Instant::now() + self.wait;
        let share = {
            let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
            let slots = users
                .entry(user.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_user)))
                .clone();
            UserShare {
                user: user.to_string(),
                slots,
                users: self.users.clone(),
            }
        };
        let user_permit = timeout_at(deadline, share.slots.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let process_permit = timeout_at(deadline, self.process.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        Ok(CheckSlot {
            _process: process_permit,
            _user: user_permit,
            _share: share,
        })
    }

    /// Users with a slot held or awaited (for tests of the bookkeeping).
    pub fn users_tracked(&self) -> usize {
        self.users.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_user_cannot_take_every_slot_and_nobody_waits_past_the_bound() {
        let slots = CheckSlots::new(2, 1, Duration::from_millis(50));
        let ada = slots.acquire("ada").await.expect("a free slot");
        let started = Instant::now();
        assert_eq!(
            slots.acquire("ada").await.err(),
            Some(Busy),
            "ada's one slot"
        );
        assert!(
            started.elapsed() >= Duration::from_millis(50),
            "waited first"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "then gave up");
        let bob = slots
            .acquire("bob")
            .await
            .expect("the second slot is bob's");
        assert_eq!(
            slots.acquire("eve").await.err(),
            Some(Busy),
            "both process slots are held"
        );
        drop(ada);
        let eve = slots.acquire("eve").await.expect("ada's slot came free");
        drop((bob, eve));
        assert_eq!(slots.users_tracked(), 0, "no user left behind");
    }

    #[tokio::test]
    async fn a_waiting_upload_gets_the_slot_freed_within_the_bound() {
        let slots = Arc::new(CheckSlots::new(1, 1, Duration::from_secs(5)));
        let held = slots.acquire("ada").await.unwrap();
        let waiter = {
            let slots = slots.clone();
            tokio::spawn(async move { slots.acquire("bob").await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
        assert_eq!(waiter.await.unwrap(), Ok(()));
    }
}
