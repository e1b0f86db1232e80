//! The account emails the api causes, written to the outbox and queued for delivery.

use chrono::{Duration, Utc};

use crate::queue::Queue;
use crate::store::{Email, EmailContent, EmailVerification, PasswordReset, Store, User};
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

/// Records a verification of `user`'s address valid for `ttl` and queues the email with its
/// link.
pub async fn email_verification(
    store: &Store,
    queue: &Queue,
    user: &User,
    ttl: Duration,
) -> Result<EmailVerification, EmailJobError> {
    let verification = store
        .email_verifications()
        .create(&user.id, &user.email, ttl)
        .await?;
    let email = Email::new(
        format!("email_verification:{}", verification.id),
        &user.id,
        &verification.email,
        EmailContent::EmailVerification {
            verification_id: verification.id.clone(),
        },
    );
    SendEmail::submit(store, queue, email).await?;
    Ok(verification)
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
