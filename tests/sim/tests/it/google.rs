//! Google OpenID Connect: PKCE, id tokens verifiable against the JWKS, rogue keys, userinfo.

use aistudio_sim::{GOOGLE_KEY_ID, GoogleUser, SimHandle, sign_google_claims, sign_with_rogue_key};
use anyhow::{Context, Result};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::{client, location, query_param, sim};

const REDIRECT: &str = "https://app.example/google/callback";
const VERIFIER: &str = "a-very-long-and-random-pkce-verifier-0123456789-abcdefghijklmnop";

fn challenge() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

fn authorize_url(sim: &SimHandle, extra: &str) -> String {
    let redirect: String = url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect();
    format!(
        "{}/o/oauth2/v2/auth?client_id={}&redirect_uri={redirect}&response_type=code\
         &scope=openid%20email%20profile&state=gst&nonce=n-0S6&code_challenge={}\
         &code_challenge_method=S256{extra}",
        sim.urls().google,
        sim.config().google.client_id,
        challenge()
    )
}

async fn code_for(sim: &SimHandle, user: &str) -> Result<String> {
    let response = client()
        .get(authorize_url(sim, &format!("&sim_user={user}")))
        .send()
        .await?;
    assert_eq!(response.status(), 302);
    let location = location(&response)?;
    assert!(location.starts_with(REDIRECT));
    assert_eq!(query_param(&location, "state").as_deref(), Some("gst"));
    assert_eq!(
        query_param(&location, "iss"),
        Some(sim.urls().google_issuer.clone())
    );
    query_param(&location, "code").context("code")
}

async fn token(sim: &SimHandle, form: &[(&str, &str)]) -> Result<(u16, Value)> {
    let response = client()
        .post(format!("{}/token", sim.urls().google))
        .form(form)
        .send()
        .await?;
    Ok((response.status().as_u16(), response.json().await?))
}

fn standard_form<'a>(
    sim: &'a SimHandle,
    code: &'a str,
    verifier: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("code", code),
        ("client_id", sim.config().google.client_id.as_str()),
        ("client_secret", sim.config().google.client_secret.as_str()),
        ("redirect_uri", REDIRECT),
        ("grant_type", "authorization_code"),
        ("code_verifier", verifier),
    ]
}

async fn decoding_key(sim: &SimHandle) -> Result<DecodingKey> {
    let jwks: Value = client()
        .get(format!("{}/oauth2/v3/certs", sim.urls().google))
        .send()
        .await?
        .json()
        .await?;
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], GOOGLE_KEY_ID);
    assert_eq!(key["alg"], "RS256");
    Ok(DecodingKey::from_rsa_components(
        key["n"].as_str().context("n")?,
        key["e"].as_str().context("e")?,
    )?)
}

fn validation(sim: &SimHandle) -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[sim.config().google.client_id.as_str()]);
    validation.set_issuer(&[sim.urls().google_issuer.as_str()]);
    validation
}

#[tokio::test]
async fn pkce_flow_issues_a_verifiable_id_token_and_userinfo() -> Result<()> {
    let sim = sim().await?;
    let code = code_for(&sim, "alice@example.com").await?;
    let (status, body) = token(&sim, &standard_form(&sim, &code, VERIFIER)).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    let id_token = body["id_token"].as_str().context("id_token")?;
    let header = jsonwebtoken::decode_header(id_token)?;
    assert_eq!(header.kid.as_deref(), Some(GOOGLE_KEY_ID));
    let claims =
        jsonwebtoken::decode::<Value>(id_token, &decoding_key(&sim).await?, &validation(&sim))?
            .claims;
    assert_eq!(claims["sub"], "100000000000000000001");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Alice Example");
    assert_eq!(claims["nonce"], "n-0S6");
    assert!(claims["picture"].is_string());
    assert!(claims["iat"].as_i64() < claims["exp"].as_i64());
    let access = body["access_token"].as_str().context("access_token")?;
    let info: Value = client()
        .get(format!("{}/v1/userinfo", sim.urls().google))
        .bearer_auth(access)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(info["sub"], "100000000000000000001");
    assert_eq!(info["email"], "alice@example.com");
    let denied = client()
        .get(format!("{}/v1/userinfo", sim.urls().google))
        .bearer_auth("nope")
        .send()
        .await?;
    assert_eq!(denied.status(), 401);
    Ok(())
}

#[tokio::test]
async fn token_endpoint_checks_verifier_secret_redirect_and_single_use() -> Result<()> {
    let sim = sim().await?;
    let code = code_for(&sim, "100000000000000000002").await?;
    let (status, body) = token(&sim, &standard_form(&sim, &code, "wrong-verifier")).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let mut form = standard_form(&sim, &code, VERIFIER);
    form.retain(|(k, _)| *k != "code_verifier");
    let (status, body) = token(&sim, &form).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let mut form = standard_form(&sim, &code, VERIFIER);
    form[2] = ("client_secret", "wrong");
    let (status, body) = token(&sim, &form).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let mut form = standard_form(&sim, &code, VERIFIER);
    form[3] = ("redirect_uri", "https://app.example/other");
    let (status, body) = token(&sim, &form).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("redirect_uri_mismatch"))
    );
    // Client authentication with HTTP Basic works too.
    let response = client()
        .post(format!("{}/token", sim.urls().google))
        .basic_auth(
            &sim.config().google.client_id,
            Some(&sim.config().google.client_secret),
        )
        .form(&[
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("grant_type", "authorization_code"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await?;
    let claims = jsonwebtoken::decode::<Value>(
        body["id_token"].as_str().context("id_token")?,
        &decoding_key(&sim).await?,
        &validation(&sim),
    )?
    .claims;
    assert_eq!(claims["email_verified"], false);
    let (status, body) = token(&sim, &standard_form(&sim, &code, VERIFIER)).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    Ok(())
}

#[tokio::test]
async fn consent_page_chooses_a_user_and_deny_redirects() -> Result<()> {
    let sim = sim().await?;
    sim.add_google_user(GoogleUser {
        sub: "200".into(),
        email: "carol@example.com".into(),
        email_verified: true,
        name: "Carol".into(),
        picture: None,
    })?;
    let page = client().get(authorize_url(&sim, "")).send().await?;
    assert_eq!(page.status(), 200);
    let html = page.text().await?;
    assert!(html.contains("alice@example.com") && html.contains("carol@example.com"));
    let request_id = html
        .split("name=\"request_id\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("request_id")?
        .to_owned();
    let response = client()
        .post(format!("{}/o/oauth2/v2/auth/decision", sim.urls().google))
        .form(&[("request_id", request_id.as_str()), ("user", "200")])
        .send()
        .await?;
    assert_eq!(response.status(), 302);
    let code = query_param(&location(&response)?, "code").context("code")?;
    let (status, body) = token(&sim, &standard_form(&sim, &code, VERIFIER)).await?;
    assert_eq!(status, 200);
    let claims = jsonwebtoken::decode::<Value>(
        body["id_token"].as_str().context("id_token")?,
        &decoding_key(&sim).await?,
        &validation(&sim),
    )?
    .claims;
    assert_eq!(claims["sub"], "200");
    let denied = client()
        .get(authorize_url(&sim, "&sim_consent=deny"))
        .send()
        .await?;
    let location = location(&denied)?;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("gst"));
    let discovery: Value = client()
        .get(format!(
            "{}/.well-known/openid-configuration",
            sim.urls().google
        ))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(discovery["issuer"], sim.urls().google_issuer.as_str());
    assert_eq!(
        discovery["jwks_uri"],
        format!("{}/oauth2/v3/certs", sim.urls().google)
    );
    Ok(())
}

#[tokio::test]
async fn rogue_and_custom_signed_tokens() -> Result<()> {
    let sim = sim().await?;
    let key = decoding_key(&sim).await?;
    let claims = sim.google_id_token_claims("alice@example.com", Some("nonce-1"))?;
    let good = sign_google_claims(&claims)?;
    assert!(jsonwebtoken::decode::<Value>(&good, &key, &validation(&sim)).is_ok());
    let forged = sign_with_rogue_key(&claims)?;
    assert_eq!(
        jsonwebtoken::decode_header(&forged)?.kid.as_deref(),
        Some(GOOGLE_KEY_ID)
    );
    assert!(jsonwebtoken::decode::<Value>(&forged, &key, &validation(&sim)).is_err());
    let mut wrong_audience = claims.clone();
    wrong_audience["aud"] = "someone-else".into();
    let token = sign_google_claims(&wrong_audience)?;
    assert!(jsonwebtoken::decode::<Value>(&token, &key, &validation(&sim)).is_err());
    let mut expired = claims;
    expired["exp"] = 1_000_000.into();
    let token = sign_google_claims(&expired)?;
    assert!(jsonwebtoken::decode::<Value>(&token, &key, &validation(&sim)).is_err());
    Ok(())
}
