//! What a step attempt decided, and how Graph API error classes map onto it.

use std::time::Duration;

use mongodb::bson::Document;
use rand::Rng;

use crate::clients::{ClientError, ErrorClass};
use crate::store::StepError;

/// The result of one step attempt.
#[derive(Debug)]
pub enum StepResult {
    /// Done: persist `set` and move to the next step.
    Advance(Document),
    /// Done, and the workflow with it (the publish step made the post's record final too):
    /// persist `set` and end.
    Finish(Document),
    /// Persist progress, stay on this step, run again at once (e.g. one container created).
    Progress(Document),
    /// Come back later without counting an attempt (polling, throttling, quota).
    Wait {
        /// How long.
        delay: Duration,
        /// Why (shown to operators and the dashboard).
        reason: String,
    },
    /// A retryable failure: back off, counting an attempt.
    Retry(StepError),
    /// The containers are unusable: create new ones.
    NewContainers(StepError),
    /// The post failed, with a message the user can act on.
    Fail(StepError, String),
    /// The token was refused: park the post and the account's other posts.
    Park(StepError),
    /// Nothing to do any more (the post was deleted or its account is going away).
    Abandon(String),
}

/// The error record of a client failure.
pub fn step_error(class: &ErrorClass, e: &ClientError) -> StepError {
    let graph = e.graph();
    StepError {
        class: class_name(class).to_string(),
        code: graph.map(|g| g.code),
        subcode: graph.and_then(|g| g.subcode),
        message: e.to_string(),
    }
}

fn class_name(class: &ErrorClass) -> &'static str {
    match class {
        ErrorClass::TokenInvalid => "token_invalid",
        ErrorClass::Transient => "transient",
        ErrorClass::Throttled { .. } => "throttled",
        ErrorClass::ContainerUnusable => "container_unusable",
        ErrorClass::ContainerRetryLater => "container_retry_later",
        ErrorClass::NotReady => "not_ready",
        ErrorClass::QuotaExhausted => "quota_exhausted",
        ErrorClass::SpamFlagged => "spam_flagged",
        ErrorClass::AccountRestricted => "account_restricted",
        ErrorClass::MediaFetchFailed => "media_fetch_failed",
        ErrorClass::BadContent { .. } => "bad_content",
        ErrorClass::OutcomeUnknown => "outcome_unknown",
        ErrorClass::Unknown => "unknown",
    }
}

/// The generic reaction to an error class (steps handle the publish-specific ones first).
pub fn react(class: ErrorClass, e: &ClientError) -> StepResult {
    let error = step_error(&class, e);
    match class {
        ErrorClass::TokenInvalid => StepResult::Park(error),
        ErrorClass::Throttled { retry_after } => StepResult::Wait {
            delay: retry_after.unwrap_or(Duration::from_secs(60)),
            reason: "throttled by Instagram".into(),
        },
        ErrorClass::NotReady => StepResult::Wait {
            delay: Duration::from_secs(5),
            reason: "Instagram is still processing the media".into(),
        },
        ErrorClass::ContainerRetryLater => StepResult::Wait {
            delay: Duration::from_secs(60),
            reason: "Instagram asked to retry the media later".into(),
        },
        ErrorClass::ContainerUnusable => StepResult::NewContainers(error),
        ErrorClass::QuotaExhausted => StepResult::Wait {
            delay: Duration::from_secs(3600),
            reason: "quota: Instagram's daily publishing limit is reached".into(),
        },
        ErrorClass::BadContent { message } => {
            StepResult::Fail(error, format!("Instagram refused the post: {message}"))
        }
        ErrorClass::AccountRestricted => StepResult::Fail(
            error,
            "Instagram restricted this account; resolve it in the Instagram app, then reschedule."
                .into(),
        ),
        ErrorClass::SpamFlagged => StepResult::Fail(
            error,
            "Instagram flagged this post as spam and did not publish it.".into(),
        ),
        ErrorClass::Transient
        | ErrorClass::MediaFetchFailed
        | ErrorClass::OutcomeUnknown
        | ErrorClass::Unknown => StepResult::Retry(error),
    }
}

/// Exponential backoff with full jitter: attempt 1 waits about `base`, doubling up to `max`.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16).saturating_sub(1));
    let capped = exp.min(max);
    let half = capped / 2;
    half + Duration::from_millis(rand::rng().random_range(0..=half.as_millis().max(1) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(1000);
        let max = Duration::from_millis(10_000);
        for _ in 0..50 {
            let first = backoff(1, base, max);
            assert!(first >= Duration::from_millis(500) && first <= Duration::from_millis(1001));
            let third = backoff(3, base, max);
            assert!(third >= Duration::from_millis(2000) && third <= Duration::from_millis(4001));
            assert!(backoff(30, base, max) <= Duration::from_millis(10_001));
        }
    }
}
