//! A container's processing state (`GET /{container-id}?fields=status_code,status`).
//!
//! `status_code` is `IN_PROGRESS`, `FINISHED`, `ERROR`, `EXPIRED` or `PUBLISHED`. An empty or
//! missing `status_code` whose `status` starts with `Error` (seen as "Error: Media download has
//! failed...") is read as `ERROR`, so a failed download fails fast instead of being polled.

use serde::Deserialize;

/// `status_code` of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusCode {
    /// Still processing: poll again later.
    InProgress,
    /// Ready to publish.
    Finished,
    /// Processing failed; `status` says why. Create a new container (or fail the post).
    Error,
    /// Not published within 24 h: create a new container.
    Expired,
    /// Already published: the publish step is done.
    Published,
    /// A value this client does not know.
    Unknown(String),
}

/// A container's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    /// The state.
    pub status_code: StatusCode,
    /// The human-readable `status`, carrying the reason (and subcode) of an error.
    pub status: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct RawStatus {
    #[serde(default)]
    status_code: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

impl From<RawStatus> for ContainerStatus {
    fn from(raw: RawStatus) -> Self {
        let code = raw.status_code.unwrap_or_default();
        let status_code = match code.trim() {
            "IN_PROGRESS" => StatusCode::InProgress,
            "FINISHED" => StatusCode::Finished,
            "ERROR" => StatusCode::Error,
            "EXPIRED" => StatusCode::Expired,
            "PUBLISHED" => StatusCode::Published,
            "" if raw
                .status
                .as_deref()
                .is_some_and(|s| s.trim_start().to_ascii_lowercase().starts_with("error")) =>
            {
                StatusCode::Error
            }
            other => StatusCode::Unknown(other.to_owned()),
        };
        Self {
            status_code,
            status: raw.status,
        }
    }
}

impl ContainerStatus {
    /// The Instagram error subcode (a 7-digit `2207xxx` number) mentioned in `status`, if any.
    pub fn error_subcode(&self) -> Option<i64> {
        let text = self.status.as_deref()?;
        text.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 7 && w.starts_with("2207"))
            .and_then(|w| w.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::{ContainerStatus, RawStatus, StatusCode};

    fn read(code: Option<&str>, status: Option<&str>) -> ContainerStatus {
        RawStatus {
            status_code: code.map(str::to_owned),
            status: status.map(str::to_owned),
        }
        .into()
    }

    #[test]
    fn every_status_code() {
        assert_eq!(
            read(Some("IN_PROGRESS"), None).status_code,
            StatusCode::InProgress
        );
        assert_eq!(
            read(Some("FINISHED"), None).status_code,
            StatusCode::Finished
        );
        assert_eq!(read(Some("ERROR"), None).status_code, StatusCode::Error);
        assert_eq!(read(Some("EXPIRED"), None).status_code, StatusCode::Expired);
        assert_eq!(
            read(Some("PUBLISHED"), None).status_code,
            StatusCode::Published
        );
        assert_eq!(
            read(Some("NEW_THING"), None).status_code,
            StatusCode::Unknown("NEW_THING".into())
        );
        assert_eq!(read(None, None).status_code, StatusCode::Unknown("".into()));
    }

    #[test]
    fn an_empty_code_with_an_error_status_is_an_error() {
        let status = read(
            Some(""),
            Some(
                "Error: Media download has failed. The media URI doesn't meet our requirements. (2207052)",
            ),
        );
        assert_eq!(status.status_code, StatusCode::Error);
        assert_eq!(status.error_subcode(), Some(2_207_052));
        assert_eq!(read(None, Some("Error: x")).status_code, StatusCode::Error);
    }
}
