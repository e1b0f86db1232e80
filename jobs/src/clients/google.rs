//! Google sign-in (OpenID Connect, authorization-code flow with PKCE, `state` and `nonce`).
//!
//! The `oauth2` crate builds the authorization URL and performs the code exchange; the id token
//! is then verified here: RS256 signature against Google's published keys (JWKS, cached, and
//! re-fetched when an unknown key id appears), `iss`, `aud` (our client id), `exp`, and the
//! single-use `nonce` stored with the state.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aistudio_config::{ExposeSecret, GoogleSettings};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// The id token that comes with Google's token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenField {
    /// The signed JWT.
    pub id_token: String,
}

impl ExtraTokenFields for IdTokenField {}

type TokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OidcClient = Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Why Google sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    /// A URL in the settings is invalid.
    #[error("google settings: {0}")]
    Config(String),
    /// The code exchange was refused or failed (used, expired or forged code, PKCE mismatch).
    #[error("code exchange failed: {0}")]
    Exchange(String),
    /// The id token did not verify.
    #[error("id token rejected: {0}")]
    IdToken(String),
    /// The keys could not be fetched.
    #[error("could not fetch Google's signing keys: {0}")]
    Keys(String),
}

/// Who signed in, as vouched for by a verified id token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleIdentity {
    /// Google's stable account id.
    pub sub: String,
    /// Email address.
    pub email: String,
    /// Whether Google verified the email.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
    /// Picture URL.
    pub picture: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    picture: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, Deserialize)]
struct Jwk {
    #[serde(default)]
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
}

/// Keys are re-fetched at most this often, even when an unknown key id shows up.
const MIN_REFETCH: Duration = Duration::from_secs(60);
/// Cached keys are refreshed after this long.
const MAX_AGE: Duration = Duration::from_secs(3600);

/// A started sign-in: where to send the browser, and what to keep server-side.
#[derive(Debug)]
pub struct Authorization {
    /// The provider's authorization URL.
    pub url: String,
    /// The PKCE verifier to store with the state.
    pub pkce_verifier: String,
}

/// Google sign-in client. Cheap to clone.
#[derive(Clone)]
pub struct GoogleClient {
    oauth: OidcClient,
    http: reqwest::Client,
    settings: GoogleSettings,
    keys: Arc<RwLock<KeyCache>>,
}

impl std::fmt::Debug for GoogleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleClient")
            .field("client_id", &self.settings.client_id)
            .finish_non_exhaustive()
    }
}

impl GoogleClient {
    /// A client for `settings` over `http` (see [`super::build_client`]: no redirects, timeouts),
    /// redirecting back to `redirect_uri`.
    pub fn new(
        http: reqwest::Client,
        settings: &GoogleSettings,
        redirect_uri: &str,
    ) -> Result<Self, GoogleError> {
        let bad = |e: url::ParseError| GoogleError::Config(e.to_string());
        let oauth = Client::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose_secret().to_string(),
            ))
            .set_auth_uri(AuthUrl::new(settings.auth_url.clone()).map_err(bad)?)
            .set_token_uri(TokenUrl::new(settings.token_url.clone()).map_err(bad)?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(bad)?)
            .set_auth_type(AuthType::RequestBody);
        Ok(Self {
            oauth,
            http,
            settings: settings.clone(),
            keys: Arc::new(RwLock::new(KeyCache {
                keys: HashMap::new(),
                fetched: None,
            })),
        })
    }

    /// The authorization URL for `state` and `nonce`, with a fresh PKCE (S256) challenge.
    pub fn authorize(&self, state: &str, nonce: &str) -> Authorization {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_string();
        let (url, _) = self
            .oauth
            .authorize_url(move || CsrfToken::new(state))
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .add_extra_param("nonce", nonce)
            .set_pkce_challenge(challenge)
            .url();
        Authorization {
            url: url.to_string(),
            pkce_verifier: verifier.secret().clone(),
        }
    }

    /// Exchanges the code and verifies the id token against `expected_nonce`.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        &self,
        code: &str,
        pkce_verifier: &str,
        expected_nonce: &str,
    ) -> Result<GoogleIdentity, GoogleError> {
        let response = self
            .oauth
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| GoogleError::Exchange(describe(&e)))?;
        self.verify(&response.extra_fields().id_token, expected_nonce)
            .await
    }

    /// Verifies an id token: signature, issuer, audience, expiry and nonce.
    pub async fn verify(
        &self,
        id_token: &str,
        expected_nonce: &str,
    ) -> Result<GoogleIdentity, GoogleError> {
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|e| GoogleError::IdToken(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(GoogleError::IdToken(format!(
                "unexpected algorithm {:?}",
                header.alg
            )));
        }
        let kid = header.kid.unwrap_or_default();
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&self.settings.client_id]);
        validation.set_issuer(&self.issuers());
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 60;
        let claims = jsonwebtoken::decode::<Claims>(id_token, &key, &validation)
            .map_err(|e| GoogleError::IdToken(e.to_string()))?
            .claims;
        let nonce_ok = claims.nonce.as_deref().is_some_and(|n| {
            subtle::ConstantTimeEq::ct_eq(n.as_bytes(), expected_nonce.as_bytes()).into()
        });
        if !nonce_ok {
            return Err(GoogleError::IdToken("nonce does not match".into()));
        }
        let email = claims
            .email
            .ok_or_else(|| GoogleError::IdToken("no email claim".into()))?;
        let email_verified = match claims.email_verified {
            Some(serde_json::Value::Bool(b)) => b,
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        };
        Ok(GoogleIdentity {
            sub: claims.sub,
            email,
            email_verified,
            name: claims.name,
            picture: claims.picture,
        })
    }

    fn issuers(&self) -> Vec<String> {
        let configured = self.settings.issuer.clone();
        // Google documents both spellings of its issuer.
        if configured == "https://accounts.google.com" {
            vec![configured, "accounts.google.com".into()]
        } else {
            vec![configured]
        }
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, GoogleError> {
        {
            let cache = self.keys.read().await;
            let fresh = cache.fetched.is_some_and(|t| t.elapsed() < MAX_AGE);
            if let Some(key) = cache.keys.get(kid).filter(|_| fresh) {
                return Ok(key.clone());
            }
        }
        let mut cache = self.keys.write().await;
        let age = cache.fetched.map(|t| t.elapsed());
        let stale = age.is_none_or(|a| a >= MAX_AGE);
        let unknown = !cache.keys.contains_key(kid) && age.is_none_or(|a| a >= MIN_REFETCH);
        if stale || unknown {
            cache.keys = self.fetch_keys().await?;
            cache.fetched = Some(Instant::now());
        }
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| GoogleError::IdToken(format!("unknown signing key {kid:?}")))
    }

    async fn fetch_keys(&self) -> Result<HashMap<String, DecodingKey>, GoogleError> {
        let jwks: Jwks = self
            .http
            .get(&self.settings.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| GoogleError::Keys(e.without_url().to_string()))?
            .json()
            .await
            .map_err(|e| GoogleError::Keys(e.without_url().to_string()))?;
        Ok(jwks
            .keys
            .into_iter()
            .filter(|k| k.kty == "RSA")
            .filter_map(|k| {
                let key =
                    DecodingKey::from_rsa_components(k.n.as_deref()?, k.e.as_deref()?).ok()?;
                Some((k.kid.unwrap_or_default(), key))
            })
            .collect())
    }
}

fn describe<E: std::error::Error>(e: &E) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
