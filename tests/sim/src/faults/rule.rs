//! Fault rules: which endpoint, when, and what happens instead of (or after) the real answer.

use serde::{Deserialize, Serialize};

use super::{Endpoint, Family};

/// One fault. Rules for an endpoint are considered in the order they were added.
///
/// JSON: `{"endpoint":"media_publish","effect":{"kind":"drop"},"count":1}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Targeted endpoint.
    pub endpoint: Endpoint,
    /// What happens.
    pub effect: Effect,
    /// Probability that an eligible call is hit (default 1).
    #[serde(default = "one")]
    pub rate: f64,
    /// Eligible calls to let through before the rule starts firing (default 0).
    #[serde(default)]
    pub skip: u32,
    /// Fire at most this many times, then disappear (default: unlimited).
    #[serde(default)]
    pub count: Option<u32>,
    /// Perform the real operation first, then answer with the effect instead of its result:
    /// the ambiguous case (e.g. a publish that really happened but answered an error).
    #[serde(default)]
    pub after_success: bool,
}

fn one() -> f64 {
    1.0
}

impl FaultRule {
    /// A rule that fires on every call to `endpoint`.
    pub fn always(endpoint: Endpoint, effect: Effect) -> Self {
        Self {
            endpoint,
            effect,
            rate: 1.0,
            skip: 0,
            count: None,
            after_success: false,
        }
    }

    /// A rule that fires on the next `n` calls to `endpoint`.
    pub fn next(endpoint: Endpoint, n: u32, effect: Effect) -> Self {
        Self {
            count: Some(n),
            ..Self::always(endpoint, effect)
        }
    }

    /// Fire only with probability `rate`.
    pub fn with_rate(mut self, rate: f64) -> Self {
        self.rate = rate;
        self
    }

    /// Let `skip` eligible calls through first.
    pub fn with_skip(mut self, skip: u32) -> Self {
        self.skip = skip;
        self
    }

    /// Perform the real operation, then answer with the effect.
    pub fn after_success(mut self) -> Self {
        self.after_success = true;
        self
    }
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Effect {
    /// Answer an error in the endpoint's own error shape (Graph shape on Graph endpoints).
    #[serde(alias = "error")]
    GraphError {
        /// Error `code`.
        code: i64,
        /// `error_subcode`.
        #[serde(default)]
        subcode: Option<i64>,
        /// HTTP status (default 400; 500 for codes 1 and 2).
        #[serde(default)]
        http_status: Option<u16>,
        /// `is_transient`.
        #[serde(default)]
        is_transient: bool,
        /// `message` (a generic one when absent).
        #[serde(default)]
        message: Option<String>,
    },
    /// A bare HTTP answer, e.g. 429, 502, 503, or an HTML page with a 2xx status.
    Http {
        /// HTTP status.
        status: u16,
        /// Body (default: the status' reason phrase).
        #[serde(default)]
        body: Option<String>,
        /// `Content-Type` (default `text/plain; charset=utf-8`).
        #[serde(default)]
        content_type: Option<String>,
        /// `Retry-After` seconds.
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Extra latency before the call is handled normally (does not stop other rules).
    Latency {
        /// Milliseconds to wait.
        ms: u64,
    },
    /// Close the connection without answering.
    Drop,
    /// Hold the request open longer than any client timeout, then close without answering.
    Timeout {
        /// How long to hold, in milliseconds (default: the config's `hang_ms`).
        #[serde(default)]
        ms: Option<u64>,
    },
    /// A Business Use Case throttling error with `X-Business-Use-Case-Usage` and
    /// `X-App-Usage` headers.
    Throttle {
        /// Error code (default 80002; 4, 17, 32 and 613 are also throttling codes).
        #[serde(default)]
        code: Option<i64>,
        /// `estimated_time_to_regain_access`, in minutes (default 5).
        #[serde(default)]
        minutes: Option<u64>,
        /// HTTP status (default 400).
        #[serde(default)]
        http_status: Option<u16>,
    },
    /// An SMTP reply instead of the server's own (SMTP endpoints only), e.g. `421` at the
    /// greeting, `550 5.1.1` at `RCPT`, `451 4.3.0` at the end of `DATA`. After a `421` the
    /// server closes the connection.
    SmtpReply {
        /// Reply code, 400-599.
        code: u16,
        /// Text after the code, usually starting with an enhanced status code (default: a
        /// generic text for the code).
        #[serde(default)]
        message: Option<String>,
    },
    /// Meta's fresh-object read bug: a GET of a container or media younger than
    /// `younger_than_ms` fails with 100/33 while writes succeed.
    FreshReadError {
        /// Age, in simulated milliseconds, below which reads fail.
        younger_than_ms: u64,
    },
}

impl Effect {
    /// Whether the effect replaces the answer (everything except latency).
    pub(crate) fn is_terminal(&self) -> bool {
        !matches!(self, Effect::Latency { .. })
    }
}

impl FaultRule {
    /// Refuses effects its endpoint cannot produce: SMTP endpoints take `smtp_reply`, `drop`,
    /// `timeout` and `latency`; HTTP endpoints never take `smtp_reply`.
    pub fn check(&self) -> Result<(), String> {
        let smtp = self.endpoint.family() == Family::Smtp;
        match &self.effect {
            Effect::SmtpReply { .. } if !smtp => Err(format!(
                "smtp_reply applies to SMTP endpoints only, not {}",
                self.endpoint
            )),
            Effect::SmtpReply { code, .. } if !(400..=599).contains(code) => {
                Err(format!("smtp_reply code {code} is not a failure (400-599)"))
            }
            Effect::SmtpReply { message, .. }
                if message.as_deref().is_some_and(|m| m.contains(['\r', '\n'])) =>
            {
                Err("smtp_reply message must be one line".to_owned())
            }
            Effect::SmtpReply { .. }
            | Effect::Drop
            | Effect::Timeout { .. }
            | Effect::Latency { .. } => Ok(()),
            _ if smtp => Err(format!(
                "{} takes smtp_reply, drop, timeout or latency",
                self.endpoint
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Effect, FaultRule};
    use crate::faults::Endpoint;

    #[test]
    fn parses_minimal_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"endpoint":"media_publish","effect":{"kind":"graph_error","code":4,"subcode":2207051},"after_success":true}"#,
        )
        .expect("parse");
        assert_eq!(rule.endpoint, Endpoint::MediaPublish);
        assert!(rule.after_success);
        assert!((rule.rate - 1.0).abs() < f64::EPSILON);
        assert_eq!(rule.count, None);
        assert_eq!(
            rule.effect,
            Effect::GraphError {
                code: 4,
                subcode: Some(2207051),
                http_status: None,
                is_transient: false,
                message: None
            }
        );
    }

    #[test]
    fn smtp_effects_only_on_smtp_endpoints() {
        let reply = |code| Effect::SmtpReply {
            code,
            message: None,
        };
        assert!(
            FaultRule::always(Endpoint::SmtpRcpt, reply(550))
                .check()
                .is_ok()
        );
        assert!(
            FaultRule::always(Endpoint::SmtpData, Effect::Drop)
                .check()
                .is_ok()
        );
        assert!(
            FaultRule::always(Endpoint::SmtpData, reply(250))
                .check()
                .is_err()
        );
        assert!(FaultRule::always(Endpoint::Me, reply(451)).check().is_err());
        let http = Effect::Http {
            status: 503,
            body: None,
            content_type: None,
            retry_after: None,
        };
        assert!(
            FaultRule::always(Endpoint::SmtpConnect, http.clone())
                .check()
                .is_err()
        );
        assert!(FaultRule::always(Endpoint::Me, http).check().is_ok());
        let two_lines = Effect::SmtpReply {
            code: 451,
            message: Some("4.3.0 a\r\n250 ok".to_owned()),
        };
        assert!(
            FaultRule::always(Endpoint::SmtpData, two_lines)
                .check()
                .is_err()
        );
    }

    #[test]
    fn rejects_unknown_endpoint() {
        let parsed: Result<FaultRule, _> =
            serde_json::from_str(r#"{"endpoint":"nope","effect":{"kind":"drop"}}"#);
        assert!(parsed.is_err());
    }
}
