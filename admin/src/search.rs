//! The post search's parameters: parsed from the query string (or a bulk form), resolved into
//! a repository [`PostSearch`] with guardrails so a broad search cannot hurt production: a page
//! size cap, indexed fields first (email, account, job id and post id resolve to ids before the
//! posts are read), and error-text search only within a bounded date range.

use aistudio_jobs::domain::PostKind;
use aistudio_jobs::queue::inspect;
use aistudio_jobs::store::{PostCursor, PostSearch, PostStatus};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use crate::error::AdminError;
use crate::html::{esc, url};
use crate::state::AdminState;

/// Largest page.
pub const MAX_PAGE: i64 = 100;
/// Default page.
const DEFAULT_PAGE: i64 = 25;
/// Longest date range an error-text search may cover.
pub const MAX_TEXT_RANGE_DAYS: i64 = 31;
/// The range an error-text search covers when none is given.
const DEFAULT_TEXT_RANGE_DAYS: i64 = 7;
/// Most posts an error-text search resolves to.
const MAX_TEXT_MATCHES: usize = 500;

/// The filter fields, as typed.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    /// Statuses (repeated `status`).
    pub statuses: Vec<String>,
    /// Kind.
    pub kind: String,
    /// Customer email.
    pub email: String,
    /// Instagram username or account id.
    pub account: String,
    /// Post id.
    pub post: String,
    /// Publish job id.
    pub job: String,
    /// Scheduled from (UTC).
    pub from: String,
    /// Scheduled before (UTC).
    pub to: String,
    /// Error text.
    pub error: String,
    /// Page cursor (`<created_at millis>:<id>`).
    pub cursor: String,
    /// Page size.
    pub limit: String,
}

const FIELDS: [&str; 9] = [
    "kind", "email", "account", "post", "job", "from", "to", "error", "limit",
];

impl SearchParams {
    /// Reads the fields from query or form pairs.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut p = Self::default();
        for (k, v) in pairs {
            let v = v.trim().to_string();
            match k.as_str() {
                "status" if !v.is_empty() => p.statuses.push(v),
                "kind" => p.kind = v,
                "email" => p.email = v,
                "account" => p.account = v,
                "post" => p.post = v,
                "job" => p.job = v,
                "from" => p.from = v,
                "to" => p.to = v,
                "error" => p.error = v,
                "cursor" => p.cursor = v,
                "limit" => p.limit = v,
                _ => {}
            }
        }
        p
    }

    fn values(&self) -> Vec<(&'static str, &str)> {
        let mut out: Vec<(&'static str, &str)> = self
            .statuses
            .iter()
            .map(|s| ("status", s.as_str()))
            .collect();
        for (name, value) in FIELDS.iter().zip([
            &self.kind,
            &self.email,
            &self.account,
            &self.post,
            &self.job,
            &self.from,
            &self.to,
            &self.error,
            &self.limit,
        ]) {
            if !value.is_empty() {
                out.push((name, value.as_str()));
            }
        }
        out
    }

    /// The filter as a query string (without the cursor).
    pub fn query_string(&self) -> String {
        self.values()
            .iter()
            .map(|(k, v)| format!("{k}={}", url(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The filter as hidden form fields (without the cursor).
    pub fn hidden_fields(&self) -> String {
        self.values()
            .iter()
            .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
            .collect()
    }

    /// The same filter with exactly one status.
    pub fn with_status(&self, status: &str) -> Self {
        Self {
            statuses: vec![status.to_string()],
            cursor: String::new(),
            ..self.clone()
        }
    }
}

/// A parsed, resolved search.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The repository query.
    pub search: PostSearch,
    /// Where the page starts.
    pub cursor: Option<PostCursor>,
    /// Page size.
    pub limit: i64,
    /// What the guardrails did, for the operator.
    pub notes: Vec<String>,
}

/// Parses a UTC date (`2025-01-31`) or date-time (`2025-01-31T09:00`, seconds optional, or
/// RFC 3339).
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn narrow(current: &mut Option<Vec<String>>, ids: Vec<String>) {
    *current = Some(match current.take() {
        None => ids,
        Some(existing) => existing.into_iter().filter(|id| ids.contains(id)).collect(),
    });
}

fn bad(field: &str, why: &str) -> AdminError {
    AdminError::BadRequest(format!("{field}: {why}"))
}

/// Resolves the parameters (looking up emails, accounts and job ids) into a repository search.
pub async fn resolve(state: &AdminState, p: &SearchParams) -> Result<Resolved, AdminError> {
    let mut search = PostSearch::default();
    let mut notes = Vec::new();
    for raw in &p.statuses {
        search
            .statuses
            .push(PostStatus::parse(raw).ok_or_else(|| bad("status", "unknown status"))?);
    }
    if !p.kind.is_empty() {
        let kind: PostKind = serde_json::from_value(serde_json::Value::String(p.kind.clone()))
            .map_err(|_| bad("kind", "unknown kind"))?;
        search.kinds.push(kind);
    }
    if !p.email.is_empty() {
        let email = p.email.to_lowercase();
        let ids = state
            .store
            .users()
            .by_email(&email)
            .await?
            .map(|u| vec![u.id])
            .unwrap_or_default();
        narrow(&mut search.user_ids, ids);
    }
    if !p.account.is_empty() {
        let connections = if p.account.chars().all(|c| c.is_ascii_digit()) {
            state
                .store
                .connections()
                .by_ig_user_id(&p.account)
                .await?
                .into_iter()
                .collect()
        } else {
            state.store.connections().by_username(&p.account).await?
        };
        narrow(
            &mut search.connection_ids,
            connections.into_iter().map(|c| c.id).collect(),
        );
    }
    if !p.post.is_empty() {
        narrow(&mut search.post_ids, vec![p.post.clone()]);
    }
    if !p.job.is_empty() {
        let job = inspect::job(&state.queue, aistudio_jobs::tasks::publish::QUEUE, &p.job).await?;
        let post = job
            .and_then(|j| j.data)
            .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
            .and_then(|v| {
                v.get("post_id")
                    .and_then(|p| p.as_str())
                    .map(str::to_string)
            });
        if post.is_none() {
            notes.push(
                "No publish job with this id is in Redis (it may have been vacuumed).".into(),
            );
        }
        narrow(&mut search.post_ids, post.into_iter().collect());
    }
    if !p.from.is_empty() {
        search.from = Some(parse_time(&p.from).ok_or_else(|| bad("from", "not a date"))?);
    }
    if !p.to.is_empty() {
        search.to = Some(parse_time(&p.to).ok_or_else(|| bad("to", "not a date"))?);
    }
    if !p.error.is_empty() {
        if p.error.chars().count() < 3 || p.error.len() > 200 {
            return Err(bad("error", "search for 3 to 200 characters"));
        }
        let to = search.to.unwrap_or_else(Utc::now);
        let from = search
            .from
            .unwrap_or(to - Duration::days(DEFAULT_TEXT_RANGE_DAYS));
        if to - from > Duration::days(MAX_TEXT_RANGE_DAYS) {
            return Err(bad(
                "error",
                &format!(
                    "error text is searched within at most {MAX_TEXT_RANGE_DAYS} days; narrow the dates"
                ),
            ));
        }
        if search.from.is_none() {
            notes.push(format!(
                "Error text searched in workflow events of the last {DEFAULT_TEXT_RANGE_DAYS} days."
            ));
        }
        let ids = state
            .store
            .workflow_events()
            .post_ids_with_error(&p.error, from, to, MAX_TEXT_MATCHES)
            .await?;
        if ids.len() >= MAX_TEXT_MATCHES {
            notes.push(format!(
                "Error text matched more than {MAX_TEXT_MATCHES} posts; showing the newest matches."
            ));
        }
        narrow(&mut search.post_ids, ids);
        // The events' range already bounded the text search; posts are not filtered by it.
        if p.from.is_empty() {
            search.from = None;
        }
    }
    let limit = if p.limit.is_empty() {
        DEFAULT_PAGE
    } else {
        p.limit
            .parse::<i64>()
            .map_err(|_| bad("limit", "not a number"))?
            .clamp(1, MAX_PAGE)
    };
    let cursor = if p.cursor.is_empty() {
        None
    } else {
        let (millis, id) = p
            .cursor
            .split_once(':')
            .ok_or_else(|| bad("cursor", "invalid"))?;
        let at = millis
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| bad("cursor", "invalid"))?;
        Some(PostCursor {
            at,
            id: id.to_string(),
        })
    };
    Ok(Resolved {
        search,
        cursor,
        limit,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_as_utc() {
        let t = parse_time("2025-03-01T09:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-03-01T09:00:00+00:00");
        assert_eq!(
            parse_time("2025-03-01").unwrap().to_rfc3339(),
            "2025-03-01T00:00:00+00:00"
        );
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn filters_round_trip_through_the_query_string() {
        let pairs: Vec<(String, String)> = [
            ("status", "failed"),
            ("email", "a+b@x.com"),
            ("cursor", "1:x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let p = SearchParams::from_pairs(&pairs);
        assert_eq!(p.query_string(), "status=failed&email=a%2Bb%40x.com");
        assert!(
            p.hidden_fields()
                .contains("name=\"email\" value=\"a+b@x.com\"")
        );
    }
}
