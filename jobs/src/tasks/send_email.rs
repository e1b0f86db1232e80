//! Delivering one email of the outbox. The job carries only the email's id; the email is
//! claimed with a lease (so two deliveries of the job never send it twice at once), rendered
//! from what it names (a reset or verification link's token is made here), sent, and its outcome recorded.
//!
//! A temporary failure (4xx, connection, time-out) schedules the next attempt with an
//! exponential backoff (`mail.retry_base_secs` doubled up to `mail.retry_max_secs`) until
//! `mail.max_attempts`; a permanent refusal fails the email at once. Either way the outbox
//! says why. The queue is not the record: the maintenance sweep queues again any pending email
//! whose attempt is due and that Redis lost.
//!
//! An attempt whose worker died after the server accepted the email but before it was recorded
//! is sent again once its lease ends, with the same `Message-ID`.

use std::time::{Duration, SystemTime};

use aistudio_config::Settings;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::NotificationKind;
use crate::mail::{Mailer, OutgoingEmail, Rendered, SendError, templates};
use crate::notify::unsubscribe;
use crate::queue::{Job, PushOptions, Queue, QueueError};
use crate::store::{Email, EmailContent, Store, StoreError};

/// Queue name of email deliveries.
pub const QUEUE: &str = "email";

/// How long one attempt holds an email: the SMTP time-out bounds each step of the
/// conversation, so twice that and a margin outlasts any attempt still alive.
fn lease(settings: &Settings) -> chrono::Duration {
    chrono::Duration::seconds((settings.mail.timeout_secs * 2 + 5) as i64)
}

/// Why an email job failed (retried by the queue).
#[derive(Debug, thiserror::Error)]
pub enum EmailJobError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Deliver the outbox email `email_id`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SendEmail {
    /// The outbox email (its event key).
    pub email_id: String,
}

impl Job for SendEmail {
    const QUEUE: &'static str = QUEUE;
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the SMTP server.
    Sent,
    /// Failed for now; attempted again at the given time.
    RetryAt(DateTime<Utc>),
    /// Given up, with the reason.
    Failed(String),
    /// Nothing to do: already sent or failed, held by another attempt, or not yet due.
    Skipped,
}

impl SendEmail {
    /// Queues attempt `attempt` of an email (deduplicated per email and attempt), not before
    /// `run_at`.
    pub async fn enqueue(
        queue: &Queue,
        email_id: &str,
        attempt: u32,
        run_at: Option<DateTime<Utc>>,
    ) -> Result<(), QueueError> {
        queue
            .push(
                Self {
                    email_id: email_id.to_string(),
                },
                PushOptions {
                    idempotency_key: Some(format!("email:{email_id}:{attempt}")),
                    run_at: run_at.map(SystemTime::from),
                },
            )
            .await
    }

    /// Writes `email` to the outbox and queues it, unless its event already has one; whether
    /// it was written now.
    pub async fn submit(store: &Store, queue: &Queue, email: Email) -> Result<bool, EmailJobError> {
        let stored = store.emails().insert_once(&email).await?;
        if stored {
            Self::enqueue(queue, &email.id, 0, None).await?;
            metrics::counter!("aistudio_emails_total", "kind" => email.content.kind(), "outcome" => "queued")
                .increment(1);
        }
        Ok(stored)
    }

    /// Claims, renders, sends and records one attempt.
    #[tracing::instrument(skip_all, fields(email_id = %self.email_id))]
    pub async fn run(
        &self,
        store: &Store,
        queue: &Queue,
        mailer: &Mailer,
        settings: &Settings,
    ) -> Result<Delivery, EmailJobError> {
        let now = Utc::now();
        let emails = store.emails();
        let Some(email) = emails.claim(&self.email_id, now, lease(settings)).await? else {
            return Ok(Delivery::Skipped);
        };
        let kind = email.content.kind();
        let outcome = match render(store, settings, &email, now).await? {
            Err(reason) => Err(SendError::Permanent(reason)),
            Ok(body) => {
                mailer
                    .send(&OutgoingEmail {
                        to: email.to.clone(),
                        body,
                        message_id: format!(
                            "{}@aistudio",
                            crate::crypto::session_token::digest(&email.id)
                        ),
                        unsubscribe: unsubscribe_link(settings, &email),
                    })
                    .await
            }
        };
        let delivery = match outcome {
            Ok(()) => {
                emails.mark_sent(&email.id, Utc::now()).await?;
                tracing::info!(kind, attempt = email.attempts, "email sent");
                Delivery::Sent
            }
            Err(SendError::Temporary(reason)) if email.attempts < settings.mail.max_attempts => {
                let next_at = now + backoff(settings, email.attempts);
                emails.retry_later(&email.id, next_at, &reason).await?;
                Self::enqueue(queue, &email.id, email.attempts, Some(next_at)).await?;
                tracing::warn!(kind, attempt = email.attempts, error = %reason, %next_at, "email not sent yet; retrying later");
                Delivery::RetryAt(next_at)
            }
            Err(SendError::Temporary(reason) | SendError::Permanent(reason)) => {
                emails.mark_failed(&email.id, &reason).await?;
                tracing::error!(kind, attempt = email.attempts, error = %reason, "email failed");
                Delivery::Failed(reason)
            }
        };
        if matches!(delivery, Delivery::Sent | Delivery::Failed(_))
            && matches!(
                email.content,
                EmailContent::Notification {
                    kind: NotificationKind::AccountDeleted,
                    ..
                }
            )
        {
            // The account is gone: the receipt keeps no address once it is done.
            emails.forget_recipient(&email.id).await?;
        }
        let label = match &delivery {
            Delivery::Sent => "sent",
            Delivery::RetryAt(_) => "retry",
            Delivery::Failed(_) => "failed",
            Delivery::Skipped => "skipped",
        };
        metrics::counter!("aistudio_emails_total", "kind" => kind, "outcome" => label).increment(1);
        Ok(delivery)
    }
}

/// The wait before attempt `attempts + 1`: the base doubled per attempt, at most the maximum.
fn backoff(settings: &Settings, attempts: u32) -> chrono::Duration {
    let base = Duration::from_secs(settings.mail.retry_base_secs);
    let wait = base
        .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)))
        .min(Duration::from_secs(settings.mail.retry_max_secs));
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

/// The one-click unsubscribe link of a notification email that is not essential.
fn unsubscribe_link(settings: &Settings, email: &Email) -> Option<String> {
    let EmailContent::Notification { kind, .. } = &email.content else {
        return None;
    };
    let token = unsubscribe::token(&settings.notifications, &email.user_id, *kind)?;
    Some(unsubscribe::link(&settings.server.public_base_url, &token))
}

/// The email's subject and bodies, or why it can no longer be sent.
async fn render(
    store: &Store,
    settings: &Settings,
    email: &Email,
    now: DateTime<Utc>,
) -> Result<Result<Rendered, String>, StoreError> {
    let base = settings.server.public_base_url.trim_end_matches('/');
    let name = match &email.content {
        // Says everything it needs (the deletion receipt is sent after the account is gone).
        EmailContent::Notification { name, .. } => name.clone(),
        _ => match store.users().by_id(&email.user_id).await? {
            Some(user) => user.name,
            None => return Ok(Err("the account no longer exists".into())),
        },
    };
    Ok(Ok(match &email.content {
        EmailContent::PasswordReset { reset_id } => {
            let Some((token, reset)) = store.password_resets().issue_token(reset_id, now).await?
            else {
                return Ok(Err(
                    "the reset expired or was used before it could be sent".into()
                ));
            };
            let minutes = (reset.expires_at - now).num_minutes().max(1);
            let link = format!("{base}/app/reset-password#token={token}");
            templates::password_reset(&name, &link, minutes)
        }
        EmailContent::EmailVerification { verification_id } => {
            let Some((token, verification)) = store
                .email_verifications()
                .issue_token(verification_id, now)
                .await?
            else {
                return Ok(Err(
                    "the verification expired or was used before it could be sent".into(),
                ));
            };
            let hours = ((verification.expires_at - now).num_minutes() + 59)
                .div_euclid(60)
                .max(1);
            let link = format!("{base}/app/verify-email#token={token}");
            templates::email_verification(&name, &link, hours)
        }
        EmailContent::PasswordChanged { changed_at } => {
            templates::password_changed(&name, *changed_at, &format!("{base}/app/forgot-password"))
        }
        EmailContent::Notification {
            title,
            details,
            link,
            ..
        } => templates::notification(
            &name,
            title,
            details,
            &format!("{base}{link}"),
            unsubscribe_link(settings, email).as_deref(),
        ),
        EmailContent::WebhookDisabled { url, reason, .. } => {
            templates::webhook_disabled(&name, url, reason, &format!("{base}/app/webhooks"))
        }
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn attempts_back_off_exponentially_up_to_the_maximum() {
        let mut settings = aistudio_config::Settings::load_from(&aistudio_config::Sources {
            config_dir: Some(std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../config/files"
            ))),
            config_file: None,
            env: Default::default(),
        })
        .unwrap();
        settings.mail.retry_base_secs = 30;
        settings.mail.retry_max_secs = 3600;
        let secs = |n| super::backoff(&settings, n).num_seconds();
        assert_eq!([secs(1), secs(2), secs(3), secs(4)], [30, 60, 120, 240]);
        assert_eq!(secs(8), 3600);
        assert_eq!(secs(40), 3600);
    }
}
