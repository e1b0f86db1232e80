//! Instagram API with Instagram Login: the authorize URL, the code exchange, long-lived tokens,
//! refresh and `/me`.
//!
//! Only the two scopes the privacy policy names are ever requested. The code exchange accepts
//! both answer shapes seen in the wild (flat with a numeric `user_id`, and the documented
//! `data[]` one) and maps the Login error shape (`{"error_type","code","error_message"}`) to
//! [`ClientError::OAuth`]. The long-lived exchange and refresh send the token and app secret as
//! the documented query parameters; errors never carry URLs, and `/me` uses the bearer header.

use std::time::Duration;

use aistudio_config::{ExposeSecret, Secret, Settings};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use super::error::ClientError;
use super::graph_error::graph_failure;
use super::http::{RawAnswer, join, parse_base, send};
use super::lenient::NumOrText;

/// The scopes requested, exactly these two.
pub const SCOPES: &str = "instagram_business_basic,instagram_business_content_publish";
/// Path of the product's OAuth callback under `server.public_base_url`.
pub const CALLBACK_PATH: &str = "/api/v1/instagram/callback";

/// The answer to a code exchange: a short-lived (1 h) token.
#[derive(Debug, Clone)]
pub struct ShortLivedToken {
    /// The token.
    pub access_token: Secret,
    /// The user id of the exchange answer (app-scoped; `/me` gives the professional id).
    pub user_id: String,
    /// Scopes the user granted.
    pub permissions: Vec<String>,
}

/// A long-lived (60 day) token.
#[derive(Debug, Clone)]
pub struct LongLivedToken {
    /// The token.
    pub access_token: Secret,
    /// Lifetime from the moment it was issued.
    pub expires_in: Duration,
    /// When it expires, by this machine's clock at receipt.
    pub expires_at: DateTime<Utc>,
}

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgProfile {
    /// Professional account id: the id of publishing paths and Meta callbacks.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// App-scoped id (`id`), when returned.
    pub app_scoped_id: Option<String>,
}

/// The Instagram Login client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct InstagramOAuth {
    http: reqwest::Client,
    client_id: String,
    client_secret: Secret,
    redirect_uri: String,
    authorize: Url,
    token: Url,
    graph_root: Url,
    graph: Url,
}

#[derive(Deserialize)]
struct TokenEntry {
    access_token: String,
    user_id: NumOrText,
    #[serde(default)]
    permissions: Option<Permissions>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Permissions {
    List(Vec<String>),
    Joined(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Wrapped<T> {
    Data { data: Vec<T> },
    Flat(T),
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    #[serde(default)]
    error_type: Option<String>,
    code: NumOrText,
    #[serde(default)]
    error_message: Option<String>,
}

#[derive(Deserialize)]
struct LongLivedAnswer {
    access_token: String,
    expires_in: NumOrText,
}

#[derive(Deserialize)]
struct MeEntry {
    user_id: NumOrText,
    username: String,
    #[serde(default)]
    id: Option<NumOrText>,
}

impl InstagramOAuth {
    /// A client for the Instagram hosts in `settings`, redirecting back to
    /// `{server.public_base_url}/api/v1/instagram/callback`.
    pub fn new(http: reqwest::Client, settings: &Settings) -> Result<Self, ClientError> {
        let ig = &settings.instagram;
        let public = settings.server.public_base_url.trim_end_matches('/');
        let oauth = parse_base("instagram.oauth_base_url", &ig.oauth_base_url)?;
        let api = parse_base("instagram.api_base_url", &ig.api_base_url)?;
        let graph_root = parse_base("instagram.graph_base_url", &ig.graph_base_url)?;
        let version = ig.graph_version.trim();
        let graph = if version.is_empty() {
            graph_root.clone()
        } else {
            join(&graph_root, &[version])
        };
        Ok(Self {
            http,
            client_id: ig.client_id.clone(),
            client_secret: ig.client_secret.clone(),
            redirect_uri: format!("{public}{CALLBACK_PATH}"),
            authorize: join(&oauth, &["oauth", "authorize"]),
            token: join(&api, &["oauth", "access_token"]),
            graph_root,
            graph,
        })
    }

    /// Uses another redirect URI (it must be registered with the Instagram app).
    pub fn with_redirect_uri(mut self, redirect_uri: impl Into<String>) -> Self {
        self.redirect_uri = redirect_uri.into();
        self
    }

    /// The redirect URI sent at authorize and at the code exchange.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The consent page to send the user's browser to; `state` must be single-use and stored
    /// server-side.
    pub fn authorize_url(&self, state: &str) -> Url {
        let mut url = self.authorize.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", SCOPES)
            .append_pair("state", state);
        url
    }

    /// Exchanges an authorization code (a trailing `#_` is stripped) for a short-lived token.
    #[tracing::instrument(skip_all)]
    pub async fn exchange_code(&self, code: &str) -> Result<ShortLivedToken, ClientError> {
        let code = code.trim();
        let code = code.strip_suffix("#_").unwrap_or(code);
        let secret = self.client_secret.expose_secret();
        let request = self.http.post(self.token.clone()).form(&[
            ("client_id", self.client_id.as_str()),
            ("client_secret", secret),
            ("grant_type", "authorization_code"),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code", code),
        ]);
        let answer = send(request).await?;
        let secrets = [secret, code];
        if !answer.is_success() {
            return Err(oauth_failure(&answer, &secrets));
        }
        let entry = first(answer.parse::<Wrapped<TokenEntry>>(&secrets)?, &answer)?;
        let permissions = match entry.permissions {
            Some(Permissions::List(list)) => list,
            Some(Permissions::Joined(text)) => text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => Vec::new(),
        };
        Ok(ShortLivedToken {
            access_token: Secret::from(entry.access_token),
            user_id: entry.user_id.into_text(),
            permissions,
        })
    }

    /// Exchanges a short-lived token for a long-lived one (server side only).
    #[tracing::instrument(skip_all)]
    pub async fn exchange_long_lived(
        &self,
        short_lived: &Secret,
    ) -> Result<LongLivedToken, ClientError> {
        let token = short_lived.expose_secret();
        let secret = self.client_secret.expose_secret();
        let request = self
            .http
            .get(join(&self.graph_root, &["access_token"]))
            .query(&[
                ("grant_type", "ig_exchange_token"),
                ("client_secret", secret),
                ("access_token", token),
            ]);
        self.long_lived(request, &[token, secret]).await
    }

    /// Refreshes a long-lived token that is at least 24 h old and not expired; the answer is
    /// valid 60 days from now.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, long_lived: &Secret) -> Result<LongLivedToken, ClientError> {
        let token = long_lived.expose_secret();
        let request = self
            .http
            .get(join(&self.graph_root, &["refresh_access_token"]))
            .query(&[("grant_type", "ig_refresh_token"), ("access_token", token)]);
        self.long_lived(request, &[token]).await
    }

    /// The professional account behind a token (`GET /me?fields=user_id,username`).
    #[tracing::instrument(skip_all)]
    pub async fn me(&self, token: &Secret) -> Result<IgProfile, ClientError> {
        let secret = token.expose_secret();
        let request = self
            .http
            .get(join(&self.graph, &["me"]))
            .query(&[("fields", "user_id,username")])
            .bearer_auth(secret);
        let answer = send(request).await?;
        if !answer.is_success() {
            return Err(graph_failure(&answer, &[secret]));
        }
        let entry = first(answer.parse::<Wrapped<MeEntry>>(&[secret])?, &answer)?;
        Ok(IgProfile {
            user_id: entry.user_id.into_text(),
            username: entry.username,
            app_scoped_id: entry.id.map(NumOrText::into_text),
        })
    }

    async fn long_lived(
        &self,
        request: reqwest::RequestBuilder,
        secrets: &[&str],
    ) -> Result<LongLivedToken, ClientError> {
        let answer = send(request).await?;
        if !answer.is_success() {
            return Err(graph_failure(&answer, secrets));
        }
        let parsed: LongLivedAnswer = answer.parse(secrets)?;
        let secs = parsed
            .expires_in
            .as_i64()
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| answer.unexpected("expires_in is not a number of seconds".into()))?;
        let expires_in = Duration::from_secs(secs);
        let expires_at = Utc::now()
            + chrono::Duration::from_std(expires_in)
                .map_err(|_| answer.unexpected("expires_in is out of range".into()))?;
        Ok(LongLivedToken {
            access_token: Secret::from(parsed.access_token),
            expires_in,
            expires_at,
        })
    }
}

/// The one entry of a flat or `data[]`-wrapped answer.
fn first<T>(wrapped: Wrapped<T>, answer: &RawAnswer) -> Result<T, ClientError> {
    match wrapped {
        Wrapped::Flat(entry) => Ok(entry),
        Wrapped::Data { data } => data
            .into_iter()
            .next()
            .ok_or_else(|| answer.unexpected("empty data list".to_owned())),
    }
}

/// The error of a failed code exchange: the Login shape, else the Graph shape, else bare HTTP.
fn oauth_failure(answer: &RawAnswer, secrets: &[&str]) -> ClientError {
    let login = answer
        .json_value()
        .and_then(|v| serde_json::from_value::<OAuthErrorBody>(v).ok());
    match login {
        Some(body) => ClientError::OAuth {
            http_status: answer.status,
            error_type: body.error_type.unwrap_or_default(),
            code: body.code.as_i64().unwrap_or_default(),
            message: super::http::redact(&body.error_message.unwrap_or_default(), secrets),
        },
        None => graph_failure(answer, secrets),
    }
}

#[cfg(test)]
mod tests {
    use super::{MeEntry, TokenEntry, Wrapped};

    #[test]
    fn both_token_shapes_parse() {
        let flat: Wrapped<TokenEntry> = serde_json::from_str(
            r#"{"access_token":"IGAA1","user_id":27640875392278831,"permissions":["instagram_business_basic"]}"#,
        )
        .expect("flat");
        assert!(
            matches!(flat, Wrapped::Flat(ref e) if e.user_id.clone().into_text() == "27640875392278831")
        );
        let data: Wrapped<TokenEntry> = serde_json::from_str(
            r#"{"data":[{"access_token":"IGAA1","user_id":"27640875392278831","permissions":"a,b"}]}"#,
        )
        .expect("data");
        assert!(matches!(data, Wrapped::Data { ref data } if data.len() == 1));
        let me: Wrapped<MeEntry> =
            serde_json::from_str(r#"{"data":[{"user_id":"1784","username":"u","id":"20"}]}"#)
                .expect("me");
        assert!(matches!(me, Wrapped::Data { .. }));
    }
}
