//! The account emails the api causes, written to the outbox and queued for delivery.

use chrono::{Duration, Utc};

use crate::queue::Queue;
use crate::store::{Email, EmailContent, PasswordReset, Store, User};
use crate::tasks::send_email::{EmailJobError, SendEmail};

/// Records a password reset of `user` valid for `ttl` and queues the email with its link.
pub async fn password_reset(
    store: &Store,
    queue: &Queue,
    user: &User,
    ttl: Duration,
) -> Result<PasswordReset, EmailJobError> {
    let reset = store.password_resets().create(&user.id, ttl).await?;
    let email = Email::new(
        format!("password_reset:{}", reset.id),
        &user.id,
        &user.email,
        EmailContent::PasswordReset {
            reset_id: reset.id.clone(),
        },
    );
    SendEmail::submit(store, queue, email).await?;
    Ok(reset)
}

/// Queues the notice that `user`'s password was just changed.
pub async fn password_changed(
    store: &Store,
    queue: &Queue,
    user: &User,
) -> Result<(), EmailJobError> {
    let email = Email::new(
        format!("password_changed:{}", uuid::Uuid::new_v4().simple()),
        &user.id,
        &user.email,
        EmailContent::PasswordChanged {
            changed_at: Utc::now(),
        },
    );
    SendEmail::submit(store, queue, email).await?;
    Ok(())
}
