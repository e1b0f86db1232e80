//! What a failed call means for the publishing workflow.
//!
//! Every [`ClientError`] maps to one [`ErrorClass`], following the error table of
//! `external-apis.md` section 3. The class decides the reaction (retry, wait, new container,
//! reconnect, fail the post); the caller says what kind of call failed ([`CallKind`]), because
//! the same answer means different things on a read and on a publish.

use std::time::Duration;

use super::error::{ClientError, TransportKind};
use super::graph_error::GraphError;

/// What the failed call was doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A read (container status, permalink, quota, `/me`, token calls).
    Read,
    /// A write whose repetition is harmless (creating a container, an upload).
    Write,
    /// `media_publish`: repeating it after an unknown outcome could post twice.
    Publish,
}

/// The workflow's reading of a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorClass {
    /// The token is invalid, expired or revoked (190, 102): stop, mark the connection as
    /// needing reconnection, park the account's posts; do not burn retries.
    TokenInvalid,
    /// A temporary failure (1, 2, -1/2207001, -2/2207003, 100/33 on a read, 5xx, a dropped
    /// read): retry with backoff.
    Transient,
    /// Rate limited or temporarily blocked (4, 17, 32, 613, 341, 368, 800xx, HTTP 429): make no
    /// calls for this account until `retry_after` (or an exponential backoff when unknown);
    /// calls made while throttled extend the block.
    Throttled {
        /// How long to wait, from `X-Business-Use-Case-Usage` or `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The container can never be published (expired, failed, upload error, not found):
    /// create a new container.
    ContainerUnusable,
    /// The media builder expired (24/2207008): retry after 30 s - 2 min, then a new container.
    ContainerRetryLater,
    /// The container is not ready yet (9007/2207027): keep polling; not a failure.
    NotReady,
    /// The daily publishing limit is reached (9/2207042): defer until the rolling 24 h window
    /// frees a slot (read the quota).
    QuotaExhausted,
    /// Flagged as spam on publish (4/2207051): never retry automatically; read the container,
    /// the post may be live.
    SpamFlagged,
    /// The account is restricted (25/2207050): permanent until the user fixes it in the app.
    AccountRestricted,
    /// Instagram could not fetch the media URL (9004/2207052): retry a few times, then fail.
    MediaFetchFailed,
    /// Instagram refused the content: fail the post with this message for the user.
    BadContent {
        /// What to tell the user.
        message: String,
    },
    /// No answer to a publish (timeout, connection closed, a 5xx or an unreadable 2xx): it may
    /// have gone live. Read the container; `PUBLISHED` means done, anything else may be retried.
    OutcomeUnknown,
    /// Anything else: treat as permanent for this attempt and surface it to operators.
    Unknown,
}

impl ClientError {
    /// What this failure means for a call of kind `call`.
    pub fn classify(&self, call: CallKind) -> ErrorClass {
        match self {
            ClientError::Transport { kind } => transport(*kind, call),
            ClientError::Graph(error) => classify_graph(error, call),
            ClientError::Http {
                http_status,
                retry_after,
            } => match *http_status {
                429 => ErrorClass::Throttled {
                    retry_after: *retry_after,
                },
                500..=599 if call == CallKind::Publish => ErrorClass::OutcomeUnknown,
                500..=599 => ErrorClass::Transient,
                _ => ErrorClass::Unknown,
            },
            ClientError::UnexpectedBody { http_status, .. } => match (*http_status, call) {
                (200..=299, CallKind::Publish) => ErrorClass::OutcomeUnknown,
                (200..=299, _) | (500..=599, _) => ErrorClass::Transient,
                _ => ErrorClass::Unknown,
            },
            ClientError::Imgbb {
                http_status, code, ..
            } => imgbb(*http_status, *code),
            ClientError::OAuth { .. } | ClientError::Setup(_) => ErrorClass::Unknown,
        }
    }
}

fn transport(kind: TransportKind, call: CallKind) -> ErrorClass {
    if call == CallKind::Publish && kind.may_have_reached_service() {
        ErrorClass::OutcomeUnknown
    } else {
        ErrorClass::Transient
    }
}

fn imgbb(http_status: u16, code: i64) -> ErrorClass {
    match (http_status, code) {
        (429, _) => ErrorClass::Throttled { retry_after: None },
        (500..=599, _) => ErrorClass::Transient,
        (_, 310) => bad("The image could not be read; upload a JPEG file."),
        (_, 313) => bad("The image is too large."),
        _ => ErrorClass::Unknown,
    }
}

fn bad(message: &str) -> ErrorClass {
    ErrorClass::BadContent {
        message: message.to_owned(),
    }
}

/// Business Use Case rate-limit codes (80001-80014; 80002 is Instagram's).
fn is_buc_throttle(code: i64) -> bool {
    (80_001..=80_014).contains(&code)
}

/// The class of a Graph API error answer to a call of kind `call`.
pub fn classify_graph(error: &GraphError, call: CallKind) -> ErrorClass {
    let throttled = || ErrorClass::Throttled {
        retry_after: error
            .usage
            .regain_access_after()
            .or(error.retry_after_header),
    };
    match (error.code, error.subcode) {
        (190, _) | (102, _) => ErrorClass::TokenInvalid,
        (4, Some(2_207_051)) => ErrorClass::SpamFlagged,
        (1, Some(sub @ 2_207_057)) => bad(&content_message(sub, error)),
        (1, _) | (2, _) => ErrorClass::Transient,
        (-1, Some(2_207_001)) | (-2, Some(2_207_003)) => ErrorClass::Transient,
        (-2, Some(2_207_020))
        | (-1, Some(2_207_032))
        | (-1, Some(2_207_053))
        | (24, Some(2_207_006)) => ErrorClass::ContainerUnusable,
        (24, Some(2_207_008)) => ErrorClass::ContainerRetryLater,
        (9007, _) => ErrorClass::NotReady,
        (9, Some(2_207_042)) => ErrorClass::QuotaExhausted,
        (25, _) => ErrorClass::AccountRestricted,
        (9004, _) => ErrorClass::MediaFetchFailed,
        (100, Some(33)) if call == CallKind::Read => ErrorClass::Transient,
        (100, Some(sub @ (2_207_023 | 2_207_028 | 2_207_035..=2_207_037 | 2_207_040)))
        | (352, Some(sub))
        | (36_000..=36_004, Some(sub)) => bad(&content_message(sub, error)),
        (352 | 36_000..=36_004, None) => bad(&content_message(0, error)),
        (4 | 17 | 32 | 341 | 368 | 613, _) => throttled(),
        (code, _) if is_buc_throttle(code) => throttled(),
        _ if error.http_status == 429 => throttled(),
        _ if error.is_transient || error.http_status >= 500 => ErrorClass::Transient,
        _ => ErrorClass::Unknown,
    }
}

/// The message for the user: ours for subcodes we know, else Instagram's own user message.
fn content_message(subcode: i64, error: &GraphError) -> String {
    let ours = match subcode {
        2_207_057 => Some("The video's cover frame offset is outside the video."),
        2_207_023 => Some("This media type cannot be posted here."),
        2_207_028 => Some("A carousel needs between 2 and 10 items."),
        2_207_040 => Some("The caption mentions more than 20 accounts."),
        2_207_026 => Some("The video format is not supported (use MP4 or MOV, H.264, AAC)."),
        2_207_004 => Some("The file is too large for Instagram."),
        2_207_005 => Some("The file format is not supported (images must be JPEG)."),
        2_207_009 => {
            Some("The image's aspect ratio is not allowed (it must be between 4:5 and 1.91:1).")
        }
        2_207_010 => Some(
            "The caption is too long or has too many hashtags (at most 2,200 characters and 30 \
             hashtags).",
        ),
        _ => None,
    };
    ours.map(str::to_owned)
        .or_else(|| error.user_msg.clone())
        .or_else(|| error.user_title.clone())
        .unwrap_or_else(|| "Instagram refused the post's content.".to_owned())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest::header::{HeaderMap, HeaderValue};

    use super::{CallKind, ErrorClass, classify_graph};
    use crate::clients::usage::Usage;
    use crate::clients::{ClientError, GraphError, TransportKind};

    fn graph(code: i64, subcode: Option<i64>, http_status: u16) -> GraphError {
        GraphError {
            http_status,
            code,
            subcode,
            message: "m".into(),
            error_type: Some("OAuthException".into()),
            user_title: None,
            user_msg: None,
            is_transient: false,
            fbtrace_id: None,
            usage: Usage::default(),
            retry_after_header: None,
        }
    }

    /// Short names for the expected classes in the table.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum C {
        Token,
        Transient,
        Throttled,
        Unusable,
        RetryLater,
        NotReady,
        Quota,
        Spam,
        Restricted,
        Fetch,
        Bad,
        Unknown,
    }

    fn short(class: &ErrorClass) -> C {
        match class {
            ErrorClass::TokenInvalid => C::Token,
            ErrorClass::Transient => C::Transient,
            ErrorClass::Throttled { .. } => C::Throttled,
            ErrorClass::ContainerUnusable => C::Unusable,
            ErrorClass::ContainerRetryLater => C::RetryLater,
            ErrorClass::NotReady => C::NotReady,
            ErrorClass::QuotaExhausted => C::Quota,
            ErrorClass::SpamFlagged => C::Spam,
            ErrorClass::AccountRestricted => C::Restricted,
            ErrorClass::MediaFetchFailed => C::Fetch,
            ErrorClass::BadContent { .. } => C::Bad,
            ErrorClass::OutcomeUnknown | ErrorClass::Unknown => C::Unknown,
        }
    }

    /// Every row of the error table in external-apis.md section 3, plus the HTTP-level rows.
    const TABLE: &[(i64, Option<i64>, u16, CallKind, C)] = &[
        // token invalid or expired
        (190, None, 400, CallKind::Read, C::Token),
        (190, Some(458), 400, CallKind::Write, C::Token),
        (190, Some(459), 400, CallKind::Read, C::Token),
        (190, Some(460), 400, CallKind::Publish, C::Token),
        (190, Some(463), 400, CallKind::Read, C::Token),
        (190, Some(464), 400, CallKind::Read, C::Token),
        (190, Some(467), 400, CallKind::Read, C::Token),
        (190, Some(492), 400, CallKind::Read, C::Token),
        (102, None, 400, CallKind::Read, C::Token),
        // temporary
        (1, None, 500, CallKind::Write, C::Transient),
        (2, None, 500, CallKind::Publish, C::Transient),
        // throttled / blocked
        (4, None, 400, CallKind::Read, C::Throttled),
        (17, None, 400, CallKind::Write, C::Throttled),
        (32, None, 400, CallKind::Read, C::Throttled),
        (613, None, 400, CallKind::Read, C::Throttled),
        (341, None, 400, CallKind::Publish, C::Throttled),
        (80002, None, 400, CallKind::Publish, C::Throttled),
        (368, None, 400, CallKind::Write, C::Throttled),
        // transient container errors
        (-2, Some(2207003), 400, CallKind::Read, C::Transient),
        (-1, Some(2207001), 400, CallKind::Write, C::Transient),
        // container unusable
        (-2, Some(2207020), 400, CallKind::Publish, C::Unusable),
        (-1, Some(2207032), 400, CallKind::Publish, C::Unusable),
        (-1, Some(2207053), 400, CallKind::Write, C::Unusable),
        (24, Some(2207006), 400, CallKind::Write, C::Unusable),
        // media builder expired
        (24, Some(2207008), 400, CallKind::Publish, C::RetryLater),
        // not ready
        (9007, Some(2207027), 400, CallKind::Publish, C::NotReady),
        // daily limit
        (9, Some(2207042), 400, CallKind::Publish, C::Quota),
        // spam
        (4, Some(2207051), 400, CallKind::Publish, C::Spam),
        // restricted
        (25, Some(2207050), 400, CallKind::Publish, C::Restricted),
        // bad content
        (1, Some(2207057), 400, CallKind::Write, C::Bad),
        (100, Some(2207023), 400, CallKind::Write, C::Bad),
        (100, Some(2207028), 400, CallKind::Write, C::Bad),
        (100, Some(2207035), 400, CallKind::Write, C::Bad),
        (100, Some(2207036), 400, CallKind::Write, C::Bad),
        (100, Some(2207037), 400, CallKind::Write, C::Bad),
        (100, Some(2207040), 400, CallKind::Write, C::Bad),
        (352, Some(2207026), 400, CallKind::Write, C::Bad),
        (36000, Some(2207004), 400, CallKind::Write, C::Bad),
        (36001, Some(2207005), 400, CallKind::Write, C::Bad),
        (36003, Some(2207009), 400, CallKind::Write, C::Bad),
        (36004, Some(2207010), 400, CallKind::Write, C::Bad),
        // media fetch
        (9004, Some(2207052), 400, CallKind::Write, C::Fetch),
        // the fresh-read bug: transient on reads only
        (100, Some(33), 400, CallKind::Read, C::Transient),
        (100, Some(33), 400, CallKind::Write, C::Unknown),
        // HTTP level
        (123, None, 429, CallKind::Read, C::Throttled),
        (123, None, 503, CallKind::Read, C::Transient),
        (100, None, 400, CallKind::Write, C::Unknown),
    ];

    #[test]
    fn every_row_of_the_table() {
        for &(code, subcode, status, call, expected) in TABLE {
            let class = classify_graph(&graph(code, subcode, status), call);
            assert_eq!(
                short(&class),
                expected,
                "{code}/{subcode:?} {status} {call:?}"
            );
        }
    }

    #[test]
    fn throttling_waits_for_the_usage_header_then_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(
                r#"{"1":[{"call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":3}]}"#,
            ),
        );
        let mut error = graph(80002, None, 400);
        error.usage = Usage::from_headers(&headers);
        error.retry_after_header = Some(Duration::from_secs(10));
        assert_eq!(
            classify_graph(&error, CallKind::Publish),
            ErrorClass::Throttled {
                retry_after: Some(Duration::from_secs(180))
            }
        );
        error.usage = Usage::default();
        assert_eq!(
            classify_graph(&error, CallKind::Publish),
            ErrorClass::Throttled {
                retry_after: Some(Duration::from_secs(10))
            }
        );
    }

    #[test]
    fn bad_content_prefers_a_known_message_then_instagrams() {
        let mut error = graph(36004, Some(2207010), 400);
        error.user_msg = Some("theirs".into());
        match classify_graph(&error, CallKind::Write) {
            ErrorClass::BadContent { message } => assert!(message.contains("2,200"), "{message}"),
            other => panic!("{other:?}"),
        }
        let mut error = graph(100, Some(2207035), 400);
        error.user_msg = Some("theirs".into());
        assert_eq!(
            classify_graph(&error, CallKind::Write),
            ErrorClass::BadContent {
                message: "theirs".into()
            }
        );
    }

    #[test]
    fn transport_failures_on_publish_have_an_unknown_outcome() {
        let timeout = ClientError::Transport {
            kind: TransportKind::Timeout,
        };
        let closed = ClientError::Transport {
            kind: TransportKind::ConnectionClosed,
        };
        let refused = ClientError::Transport {
            kind: TransportKind::Connect,
        };
        assert_eq!(
            timeout.classify(CallKind::Publish),
            ErrorClass::OutcomeUnknown
        );
        assert_eq!(
            closed.classify(CallKind::Publish),
            ErrorClass::OutcomeUnknown
        );
        assert_eq!(refused.classify(CallKind::Publish), ErrorClass::Transient);
        assert_eq!(timeout.classify(CallKind::Read), ErrorClass::Transient);
        assert_eq!(closed.classify(CallKind::Write), ErrorClass::Transient);
    }

    #[test]
    fn bare_http_answers() {
        let limited = ClientError::Http {
            http_status: 429,
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(
            limited.classify(CallKind::Read),
            ErrorClass::Throttled {
                retry_after: Some(Duration::from_secs(7))
            }
        );
        let gateway = ClientError::Http {
            http_status: 502,
            retry_after: None,
        };
        assert_eq!(gateway.classify(CallKind::Read), ErrorClass::Transient);
        assert_eq!(
            gateway.classify(CallKind::Publish),
            ErrorClass::OutcomeUnknown
        );
        let html = ClientError::UnexpectedBody {
            http_status: 200,
            reason: "not JSON".into(),
        };
        assert_eq!(html.classify(CallKind::Write), ErrorClass::Transient);
        assert_eq!(html.classify(CallKind::Publish), ErrorClass::OutcomeUnknown);
        let bad_key = ClientError::Imgbb {
            http_status: 400,
            code: 100,
            message: "Invalid API v1 key.".into(),
        };
        assert_eq!(bad_key.classify(CallKind::Write), ErrorClass::Unknown);
    }
}
