//! The inspection report: every account's containers and publishes, with the checks that
//! prove "exactly once" (no container published twice, no media nobody asked for), plus
//! per-endpoint call counters.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::instagram::{MediaType, StatusCode};

/// Everything a test may want to assert on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Simulated now, in milliseconds since the epoch.
    pub now_ms: i64,
    /// How far the clock has been advanced, in milliseconds.
    pub clock_offset_ms: i64,
    /// Instagram accounts, in creation order.
    pub accounts: Vec<AccountReport>,
    /// Containers published more than once, across all accounts (must stay empty).
    pub duplicate_publishes: Vec<String>,
    /// Media whose publish no container of the same account asked for (must stay empty).
    pub orphan_media: Vec<String>,
    /// `true` when both lists above are empty.
    pub exactly_once: bool,
    /// ImgBB uploads, in upload order.
    pub imgbb_uploads: Vec<UploadReport>,
    /// Calls served per endpoint name (faulted calls included).
    pub calls: BTreeMap<String, u64>,
    /// Calls answered by a fault per endpoint name.
    pub faults_fired: BTreeMap<String, u64>,
}

/// One Instagram account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountReport {
    /// Professional account id.
    pub user_id: String,
    /// App-scoped id.
    pub app_scoped_id: String,
    /// Username.
    pub username: String,
    /// Effective `quota_total`.
    pub quota_total: u32,
    /// Publishes in the rolling 24 h window.
    pub quota_usage: u32,
    /// Containers, in creation order.
    pub containers: Vec<ContainerReport>,
    /// Successful publishes, in order.
    pub publishes: Vec<PublishReport>,
    /// Containers of this account published more than once.
    pub duplicate_publishes: Vec<String>,
    /// Media of this account that no container of it asked for.
    pub orphan_media: Vec<String>,
}

/// One container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerReport {
    /// Container id.
    pub id: String,
    /// Requested media type.
    pub media_type: MediaType,
    /// Created with `is_carousel_item=true`.
    pub is_carousel_item: bool,
    /// Status now.
    pub status_code: StatusCode,
    /// Carousel children, in order.
    pub children: Vec<String>,
    /// Creation time (simulated ms).
    pub created_ms: i64,
    /// `image_url` / `video_url`.
    pub media_url: Option<String>,
    /// Caption.
    pub caption: Option<String>,
    /// Successful publishes of this container (0 or 1 unless something is badly wrong).
    pub publish_count: u32,
    /// Refused `media_publish` calls naming it (any reason).
    pub refused_publish_attempts: u32,
    /// Refused `media_publish` calls made after it was already published.
    pub double_publish_attempts: u32,
    /// Media id, once published.
    pub media_id: Option<String>,
}

/// One successful publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishReport {
    /// The new media id.
    pub media_id: String,
    /// The published container.
    pub container_id: String,
    /// When (simulated ms).
    pub at_ms: i64,
}

/// One ImgBB upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReport {
    /// Image id.
    pub id: String,
    /// Direct URL (`data.url`).
    pub url: String,
    /// Bytes.
    pub size: usize,
    /// Upload time (simulated ms).
    pub uploaded_ms: i64,
    /// When it stops being served (simulated ms), if it expires.
    pub expires_ms: Option<i64>,
    /// Whether it is still served.
    pub live: bool,
}

/// The anomalies of one account: containers published more than once (by their own counter
/// or by the publish log), and publishes naming a container the account does not have.
pub fn find_anomalies(
    containers: &[ContainerReport],
    publishes: &[PublishReport],
) -> (Vec<String>, Vec<String>) {
    let mut per_container: HashMap<&str, u32> = HashMap::new();
    for publish in publishes {
        *per_container
            .entry(publish.container_id.as_str())
            .or_default() += 1;
    }
    let known: HashSet<&str> = containers.iter().map(|c| c.id.as_str()).collect();
    let mut duplicates: Vec<String> = containers
        .iter()
        .filter(|c| {
            c.publish_count > 1 || per_container.get(c.id.as_str()).copied().unwrap_or(0) > 1
        })
        .map(|c| c.id.clone())
        .collect();
    duplicates.dedup();
    let orphans = publishes
        .iter()
        .filter(|p| !known.contains(p.container_id.as_str()))
        .map(|p| p.media_id.clone())
        .collect();
    (duplicates, orphans)
}

impl Report {
    /// The account with this user id, app-scoped id or username.
    pub fn account(&self, key: &str) -> Option<&AccountReport> {
        self.accounts
            .iter()
            .find(|a| a.user_id == key || a.app_scoped_id == key || a.username == key)
    }

    /// Successful publishes across all accounts.
    pub fn total_publishes(&self) -> usize {
        self.accounts.iter().map(|a| a.publishes.len()).sum()
    }

    /// Calls served by an endpoint.
    pub fn calls_to(&self, endpoint: crate::faults::Endpoint) -> u64 {
        self.calls.get(endpoint.name()).copied().unwrap_or(0)
    }
}

impl AccountReport {
    /// A container by id.
    pub fn container(&self, id: &str) -> Option<&ContainerReport> {
        self.containers.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::{ContainerReport, PublishReport, find_anomalies};
    use crate::instagram::{MediaType, StatusCode};

    fn container(id: &str, publish_count: u32) -> ContainerReport {
        ContainerReport {
            id: id.into(),
            media_type: MediaType::Image,
            is_carousel_item: false,
            status_code: StatusCode::Published,
            children: Vec::new(),
            created_ms: 0,
            media_url: None,
            caption: None,
            publish_count,
            refused_publish_attempts: 0,
            double_publish_attempts: 0,
            media_id: Some(format!("m-{id}")),
        }
    }

    fn publish(media: &str, container: &str) -> PublishReport {
        PublishReport {
            media_id: media.into(),
            container_id: container.into(),
            at_ms: 0,
        }
    }

    #[test]
    fn clean_history_has_no_anomalies() {
        let (dups, orphans) = find_anomalies(
            &[container("a", 1), container("b", 1)],
            &[publish("1", "a"), publish("2", "b")],
        );
        assert!(dups.is_empty());
        assert!(orphans.is_empty());
    }

    #[test]
    fn flags_double_publish_by_log_or_counter() {
        let (dups, _) = find_anomalies(
            &[container("a", 1), container("b", 2)],
            &[publish("1", "a"), publish("2", "a"), publish("3", "b")],
        );
        assert_eq!(dups, vec!["a".to_owned(), "b".to_owned()]);
    }

    #[test]
    fn flags_media_nobody_asked_for() {
        let (_, orphans) = find_anomalies(
            &[container("a", 1)],
            &[publish("1", "a"), publish("9", "zzz")],
        );
        assert_eq!(orphans, vec!["9".to_owned()]);
    }
}
