//! Rate-limit usage reported by the Graph API in the `X-App-Usage` and
//! `X-Business-Use-Case-Usage` headers, on successful answers as well as on throttling errors,
//! so callers can slow down before they are blocked.
//!
//! `X-App-Usage`: `{"call_count":28,"total_cputime":25,"total_time":25}` (percentages).
//! `X-Business-Use-Case-Usage`: `{"<business id>":[{"type":"instagram","call_count":100,
//! "total_cputime":25,"total_time":25,"estimated_time_to_regain_access":5}]}` (minutes).
//! Malformed headers are ignored rather than failing the call.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;

/// Header with application-level usage.
pub const APP_USAGE_HEADER: &str = "x-app-usage";
/// Header with Business Use Case usage, per business (Instagram account) id.
pub const BUSINESS_USAGE_HEADER: &str = "x-business-use-case-usage";

/// Usage percentages of one limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UsageCounters {
    /// Percentage of the allowed calls used.
    #[serde(default)]
    pub call_count: u32,
    /// Percentage of the allowed CPU time used.
    #[serde(default)]
    pub total_cputime: u32,
    /// Percentage of the allowed total time used.
    #[serde(default)]
    pub total_time: u32,
}

impl UsageCounters {
    /// The highest of the three percentages.
    pub fn max_percent(&self) -> u32 {
        self.call_count.max(self.total_cputime).max(self.total_time)
    }
}

/// Business Use Case usage of one business id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessUsage {
    /// The business (Instagram account) id the entry is about.
    pub business_id: String,
    /// Use case type, e.g. `instagram`.
    pub kind: Option<String>,
    /// Percentages used.
    pub counters: UsageCounters,
    /// Minutes until calls are accepted again (0 or absent when not blocked).
    pub estimated_time_to_regain_access_mins: Option<u64>,
}

/// All usage reported by one answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// `X-App-Usage`, when present.
    pub app: Option<UsageCounters>,
    /// `X-Business-Use-Case-Usage` entries.
    pub business: Vec<BusinessUsage>,
}

#[derive(Deserialize)]
struct RawBusinessEntry {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(flatten)]
    counters: UsageCounters,
    #[serde(default)]
    estimated_time_to_regain_access: Option<u64>,
}

impl Usage {
    /// Reads both headers; missing or malformed ones give empty parts.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let app = text(APP_USAGE_HEADER).and_then(|t| serde_json::from_str(t).ok());
        let business = text(BUSINESS_USAGE_HEADER)
            .and_then(|t| {
                serde_json::from_str::<std::collections::BTreeMap<String, Vec<RawBusinessEntry>>>(t)
                    .ok()
            })
            .map(|map| {
                map.into_iter()
                    .flat_map(|(business_id, entries)| {
                        entries.into_iter().map(move |e| BusinessUsage {
                            business_id: business_id.clone(),
                            kind: e.kind,
                            counters: e.counters,
                            estimated_time_to_regain_access_mins: e.estimated_time_to_regain_access,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { app, business }
    }

    /// The highest percentage across every reported limit (0 when nothing was reported).
    pub fn max_percent(&self) -> u32 {
        let app = self.app.as_ref().map_or(0, UsageCounters::max_percent);
        self.business
            .iter()
            .map(|b| b.counters.max_percent())
            .fold(app, u32::max)
    }

    /// The longest `estimated_time_to_regain_access`, when any entry reports a block.
    pub fn regain_access_after(&self) -> Option<Duration> {
        self.business
            .iter()
            .filter_map(|b| b.estimated_time_to_regain_access_mins)
            .filter(|&m| m > 0)
            .max()
            .map(|m| Duration::from_secs(m * 60))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest::header::{HeaderMap, HeaderValue};

    use super::Usage;

    #[test]
    fn parses_both_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(
                r#"{"1784":[{"type":"instagram","call_count":96,"total_cputime":25,"total_time":30,"estimated_time_to_regain_access":7}]}"#,
            ),
        );
        headers.insert(
            "x-app-usage",
            HeaderValue::from_static(r#"{"call_count":12,"total_cputime":3,"total_time":4}"#),
        );
        let usage = Usage::from_headers(&headers);
        assert_eq!(usage.business.len(), 1);
        assert_eq!(usage.business[0].business_id, "1784");
        assert_eq!(usage.business[0].kind.as_deref(), Some("instagram"));
        assert_eq!(usage.max_percent(), 96);
        assert_eq!(usage.app.as_ref().map(|a| a.call_count), Some(12));
        assert_eq!(usage.regain_access_after(), Some(Duration::from_secs(420)));
    }

    #[test]
    fn missing_or_malformed_headers_are_empty() {
        let mut headers = HeaderMap::new();
        assert_eq!(Usage::from_headers(&headers), Usage::default());
        headers.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static("nope"),
        );
        headers.insert(
            "x-app-usage",
            HeaderValue::from_static(r#"{"call_count":"lots"}"#),
        );
        let usage = Usage::from_headers(&headers);
        assert_eq!(usage, Usage::default());
        assert_eq!(usage.regain_access_after(), None);
        assert_eq!(usage.max_percent(), 0);
    }
}
