//! Content publishing on the Instagram Graph API (`{graph_base_url}/{graph_version}`):
//! containers, their status, `media_publish`, a published media's permalink and timestamp,
//! the account's recent media and the publishing quota.
//!
//! The token travels only in the `Authorization: Bearer` header. Every successful answer comes
//! with the rate-limit [`Usage`] the API reported, so callers can slow down before they are
//! throttled. Failures are [`ClientError`]s; [`ClientError::classify`] says what they mean.

use aistudio_config::{ExposeSecret, InstagramSettings, Secret};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::container::{ContainerId, ContainerSpec, MediaId};
use super::error::ClientError;
use super::graph_error::{GraphError, graph_failure};
use super::http::{RawAnswer, join, parse_base, send};
use super::media_list::{
    LISTED_FIELDS, MediaEdge, MediaPage, PublishedMedia, RawPage, RawPublished,
};
use super::status::{ContainerStatus, RawStatus};
use super::usage::Usage;

/// A successful answer and the usage reported with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    /// The answer.
    pub value: T,
    /// Rate-limit usage from the answer's headers (empty when none were sent).
    pub usage: Usage,
}

/// An account's publishing quota over the rolling window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Posts published in the current window (a carousel counts once).
    pub usage: u32,
    /// Posts allowed per window (`quota_total`; read it, it is not a constant).
    pub total: u32,
    /// The window, in seconds (`quota_duration`, 86400).
    pub duration_secs: u64,
}

impl Quota {
    /// Posts that can still be published in the current window.
    pub fn remaining(&self) -> u32 {
        self.total.saturating_sub(self.usage)
    }
}

/// The Graph API publishing client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base: Url,
}

#[derive(Deserialize)]
struct IdAnswer {
    id: String,
}

#[derive(Deserialize)]
struct QuotaList {
    data: Vec<QuotaEntry>,
}

#[derive(Deserialize)]
struct QuotaEntry {
    #[serde(default)]
    quota_usage: u32,
    config: QuotaConfig,
}

#[derive(Deserialize)]
struct QuotaConfig {
    quota_total: u32,
    #[serde(default = "day")]
    quota_duration: u64,
}

fn day() -> u64 {
    86_400
}

impl GraphClient {
    /// A client for `settings.graph_base_url` / `settings.graph_version`, sharing `http`
    /// (see [`super::build_client`]).
    pub fn new(http: reqwest::Client, settings: &InstagramSettings) -> Result<Self, ClientError> {
        let root = parse_base("instagram.graph_base_url", &settings.graph_base_url)?;
        let version = settings.graph_version.trim();
        let base = if version.is_empty() {
            root
        } else {
            join(&root, &[version])
        };
        Ok(Self { http, base })
    }

    /// Creates a media container for `ig_user_id` (`POST /{ig-user-id}/media`).
    #[tracing::instrument(skip_all, fields(ig_user_id = %ig_user_id, kind = spec.kind()))]
    pub async fn create_container(
        &self,
        ig_user_id: &str,
        token: &Secret,
        spec: &ContainerSpec,
    ) -> Result<Answer<ContainerId>, ClientError> {
        let url = join(&self.base, &[ig_user_id, "media"]);
        let request = self.http.post(url).form(&spec.form());
        let answer: Answer<IdAnswer> = self.call(request, token).await?;
        Ok(map(answer, |a| ContainerId(a.id)))
    }

    /// A container's processing state (`GET /{container-id}?fields=status_code,status`).
    #[tracing::instrument(skip_all, fields(container_id = %container_id))]
    pub async fn container_status(
        &self,
        container_id: &ContainerId,
        token: &Secret,
    ) -> Result<Answer<ContainerStatus>, ClientError> {
        let url = join(&self.base, &[container_id.as_str()]);
        let request = self
            .http
            .get(url)
            .query(&[("fields", "status_code,status")]);
        let answer: Answer<RawStatus> = self.call(request, token).await?;
        Ok(map(answer, ContainerStatus::from))
    }

    /// Publishes a `FINISHED` container (`POST /{ig-user-id}/media_publish`). Store the media id
    /// the moment this returns; on a failure whose class is `OutcomeUnknown` (or before any
    /// retry), read the container first: `PUBLISHED` means it is live.
    #[tracing::instrument(skip_all, fields(ig_user_id = %ig_user_id, creation_id = %creation_id))]
    pub async fn publish(
        &self,
        ig_user_id: &str,
        token: &Secret,
        creation_id: &ContainerId,
    ) -> Result<Answer<MediaId>, ClientError> {
        let url = join(&self.base, &[ig_user_id, "media_publish"]);
        let request = self
            .http
            .post(url)
            .form(&[("creation_id", creation_id.as_str())]);
        let answer: Answer<IdAnswer> = self.call(request, token).await?;
        Ok(map(answer, |a| MediaId(a.id)))
    }

    /// A published media's permalink and Instagram's own publish time
    /// (`GET /{media-id}?fields=permalink,timestamp`); either is `None` when Instagram does not
    /// give it (yet). Never fail a post over it.
    #[tracing::instrument(skip_all, fields(media_id = %media_id))]
    pub async fn published_media(
        &self,
        media_id: &MediaId,
        token: &Secret,
    ) -> Result<Answer<PublishedMedia>, ClientError> {
        let url = join(&self.base, &[media_id.as_str()]);
        let request = self
            .http
            .get(url)
            .query(&[("fields", "permalink,timestamp")]);
        let answer: Answer<RawPublished> = self.call(request, token).await?;
        Ok(map(answer, PublishedMedia::from))
    }

    /// One page of the account's recent media, newest first
    /// (`GET /{ig-user-id}/media` or `/stories`, `fields=id,caption,media_type,
    /// media_product_type,timestamp,permalink`), `limit` per page, from the cursor `after`
    /// (the first page when `None`).
    #[tracing::instrument(skip_all, fields(ig_user_id = %ig_user_id, edge = edge.as_str(), limit = limit))]
    pub async fn recent_media(
        &self,
        ig_user_id: &str,
        token: &Secret,
        edge: MediaEdge,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Answer<MediaPage>, ClientError> {
        let url = join(&self.base, &[ig_user_id, edge.as_str()]);
        let limit = limit.to_string();
        let mut query = vec![("fields", LISTED_FIELDS), ("limit", limit.as_str())];
        if let Some(cursor) = after {
            query.push(("after", cursor));
        }
        let request = self.http.get(url).query(&query);
        let answer: Answer<RawPage> = self.call(request, token).await?;
        Ok(map(answer, MediaPage::from))
    }

    /// The account's publishing quota
    /// (`GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config`).
    #[tracing::instrument(skip_all, fields(ig_user_id = %ig_user_id))]
    pub async fn publishing_limit(
        &self,
        ig_user_id: &str,
        token: &Secret,
    ) -> Result<Answer<Quota>, ClientError> {
        let url = join(&self.base, &[ig_user_id, "content_publishing_limit"]);
        let request = self
            .http
            .get(url)
            .query(&[("fields", "quota_usage,config")]);
        let answer = self.send(request, token).await?;
        let list: QuotaList = answer.parse(&[token.expose_secret()])?;
        let Some(entry) = list.data.into_iter().next() else {
            return Err(answer.unexpected("empty quota list".to_owned()));
        };
        Ok(Answer {
            value: Quota {
                usage: entry.quota_usage,
                total: entry.config.quota_total,
                duration_secs: entry.config.quota_duration,
            },
            usage: Usage::from_headers(&answer.headers),
        })
    }

    /// Sends with the bearer token; a non-2xx answer (or a 2xx carrying a Graph error) is an
    /// error, anything else is returned for parsing.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        token: &Secret,
    ) -> Result<RawAnswer, ClientError> {
        let secret = token.expose_secret();
        let answer = send(request.bearer_auth(secret)).await?;
        if !answer.is_success() {
            return Err(graph_failure(&answer, &[secret]));
        }
        if let Some(error) = GraphError::from_answer(&answer, &[secret]) {
            return Err(error.into());
        }
        Ok(answer)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        token: &Secret,
    ) -> Result<Answer<T>, ClientError> {
        let answer = self.send(request, token).await?;
        let value = answer.parse(&[token.expose_secret()])?;
        Ok(Answer {
            value,
            usage: Usage::from_headers(&answer.headers),
        })
    }
}

fn map<T, U>(answer: Answer<T>, f: impl FnOnce(T) -> U) -> Answer<U> {
    Answer {
        value: f(answer.value),
        usage: answer.usage,
    }
}
