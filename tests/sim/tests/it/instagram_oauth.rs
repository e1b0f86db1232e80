//! Instagram Login: consent, codes, token exchange shapes, long-lived tokens, refresh, /me.

use std::time::Duration;

use aistudio_sim::{SettingsPatch, SimHandle, TokenShape};
use anyhow::{Context, Result};
use serde_json::Value;

use crate::common::{assert_graph_error, client, location, query_param, sim};

const REDIRECT: &str = "https://app.example/ig/callback";
const SCOPES: &str = "instagram_business_basic,instagram_business_content_publish";

fn authorize_url(sim: &SimHandle, extra: &str) -> String {
    format!(
        "{}/oauth/authorize?client_id={}&redirect_uri={}&response_type=code&scope={SCOPES}&state=st4te{extra}",
        sim.urls().instagram,
        sim.config().instagram.client_id,
        urlencode(REDIRECT),
    )
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Headless allow; returns the code.
async fn code(sim: &SimHandle, account: &str) -> Result<String> {
    let response = client()
        .get(authorize_url(
            sim,
            &format!("&sim_consent=allow&sim_account={account}"),
        ))
        .send()
        .await?;
    assert_eq!(response.status(), 302);
    let location = location(&response)?;
    assert!(location.starts_with(REDIRECT), "{location}");
    assert!(location.ends_with("#_"), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("st4te"));
    query_param(&location, "code").context("code")
}

async fn exchange(
    sim: &SimHandle,
    code: &str,
    secret: &str,
    redirect: &str,
) -> Result<(u16, Value)> {
    let response = client()
        .post(format!("{}/oauth/access_token", sim.urls().instagram_api))
        .form(&[
            ("client_id", sim.config().instagram.client_id.as_str()),
            ("client_secret", secret),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect),
            ("code", code),
        ])
        .send()
        .await?;
    Ok((response.status().as_u16(), response.json().await?))
}

fn secret(sim: &SimHandle) -> String {
    sim.config().instagram.client_secret.clone()
}

#[tokio::test]
async fn consent_page_lists_scopes_and_allow_completes() -> Result<()> {
    let sim = sim().await?;
    let page = client().get(authorize_url(&sim, "")).send().await?;
    assert_eq!(page.status(), 200);
    let html = page.text().await?;
    assert!(html.contains("instagram_business_basic"));
    assert!(html.contains("instagram_business_content_publish"));
    assert!(html.contains(">Allow<") && html.contains(">Deny<"));
    assert!(
        !html.contains("<script") && !html.contains("<link"),
        "no external assets"
    );
    let request_id = html
        .split("name=\"request_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("request_id")?
        .to_owned();
    let decision = client()
        .post(format!("{}/oauth/authorize/decision", sim.urls().instagram))
        .form(&[
            ("request_id", request_id.as_str()),
            ("decision", "allow"),
            ("account", "aistudio_demo"),
        ])
        .send()
        .await?;
    assert_eq!(decision.status(), 302);
    let location = location(&decision)?;
    let code = query_param(&location, "code").context("code")?;
    assert_eq!(query_param(&location, "state").as_deref(), Some("st4te"));
    assert!(location.ends_with("#_"));
    let (status, body) = exchange(&sim, &code, &secret(&sim), REDIRECT).await?;
    assert_eq!(status, 200, "{body}");
    // The consent request is single-use too.
    let again = client()
        .post(format!("{}/oauth/authorize/decision", sim.urls().instagram))
        .form(&[("request_id", request_id.as_str()), ("decision", "allow")])
        .send()
        .await?;
    assert_eq!(again.status(), 400);
    Ok(())
}

#[tokio::test]
async fn deny_redirects_with_error() -> Result<()> {
    let sim = sim().await?;
    let response = client()
        .get(authorize_url(&sim, "&sim_consent=deny"))
        .send()
        .await?;
    assert_eq!(response.status(), 302);
    let location = location(&response)?;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&location, "error_reason").as_deref(),
        Some("user_denied")
    );
    assert!(query_param(&location, "error_description").is_some());
    assert_eq!(query_param(&location, "state").as_deref(), Some("st4te"));
    assert!(query_param(&location, "code").is_none());
    Ok(())
}

#[tokio::test]
async fn flat_token_shape_by_default_with_numeric_user_id() -> Result<()> {
    let sim = sim().await?;
    let code = code(&sim, "aistudio_demo").await?;
    let (status, body) = exchange(&sim, &code, &secret(&sim), REDIRECT).await?;
    assert_eq!(status, 200, "{body}");
    let account = sim.instagram_accounts().remove(0);
    assert!(
        body["access_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("IGAA"))
    );
    assert_eq!(
        body["user_id"].as_u64().map(|n| n.to_string()),
        Some(account.app_scoped_id)
    );
    assert_eq!(
        body["permissions"],
        serde_json::json!([
            "instagram_business_basic",
            "instagram_business_content_publish"
        ])
    );
    Ok(())
}

#[tokio::test]
async fn documented_data_shape_when_configured() -> Result<()> {
    let sim = sim().await?;
    sim.update_settings(&SettingsPatch {
        token_response_shape: Some(TokenShape::Data),
        ..SettingsPatch::default()
    });
    let code = code(&sim, "aistudio_demo").await?;
    let (status, body) = exchange(&sim, &code, &secret(&sim), REDIRECT).await?;
    assert_eq!(status, 200, "{body}");
    let entry = &body["data"][0];
    assert!(entry["access_token"].is_string());
    assert!(entry["user_id"].is_string());
    assert_eq!(
        entry["permissions"],
        "instagram_business_basic,instagram_business_content_publish"
    );
    Ok(())
}

#[tokio::test]
async fn codes_are_single_use_expire_and_check_secret_and_redirect() -> Result<()> {
    let sim = sim().await?;
    let code1 = code(&sim, "aistudio_demo").await?;
    let (status, body) = exchange(&sim, &code1, "wrong-secret", REDIRECT).await?;
    assert_eq!(status, 400);
    assert_eq!(body["error_type"], "OAuthException");
    assert_eq!(body["code"], 400);
    assert_eq!(body["error_message"], "Error validating client secret.");
    let (status, body) = exchange(&sim, &code1, &secret(&sim), "https://evil.example/cb").await?;
    assert_eq!(status, 400);
    assert!(
        body["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("redirect_uri"))
    );
    let (status, _) = exchange(&sim, &code1, &secret(&sim), REDIRECT).await?;
    assert_eq!(status, 200);
    let (status, body) = exchange(&sim, &code1, &secret(&sim), REDIRECT).await?;
    assert_eq!(status, 400);
    assert_eq!(
        body["error_message"],
        "Matching code was not found or was already used"
    );
    let code2 = code(&sim, "aistudio_demo").await?;
    sim.advance_clock(Duration::from_secs(3601));
    let (status, body) = exchange(&sim, &code2, &secret(&sim), REDIRECT).await?;
    assert_eq!(status, 400);
    assert!(
        body["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("expired"))
    );
    let (status, _) = exchange(&sim, &format!("{code2}#_"), &secret(&sim), REDIRECT).await?;
    assert_eq!(status, 400, "a code with the #_ suffix is not a code");
    Ok(())
}

#[tokio::test]
async fn unknown_app_and_bad_scope_are_refused_at_authorize() -> Result<()> {
    let sim = sim().await?;
    let base = format!("{}/oauth/authorize", sim.urls().instagram);
    let response = client()
        .get(format!(
            "{base}?client_id=123&redirect_uri={}&response_type=code&scope={SCOPES}",
            urlencode(REDIRECT)
        ))
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await?;
    assert_eq!(body["error_message"], "Invalid platform app");
    let response = client()
        .get(format!(
            "{base}?client_id={}&redirect_uri={}&response_type=code&scope=instagram_basic",
            sim.config().instagram.client_id,
            urlencode(REDIRECT)
        ))
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    Ok(())
}

async fn graph_get(sim: &SimHandle, path: &str, query: &[(&str, &str)]) -> Result<(u16, Value)> {
    let response = client()
        .get(format!("{}/{path}", sim.urls().graph))
        .query(query)
        .send()
        .await?;
    Ok((response.status().as_u16(), response.json().await?))
}

#[tokio::test]
async fn long_lived_exchange_refresh_rules_and_expiry() -> Result<()> {
    let sim = sim().await?;
    let code = code(&sim, "aistudio_demo").await?;
    let (_, body) = exchange(&sim, &code, &secret(&sim), REDIRECT).await?;
    let short = body["access_token"].as_str().context("token")?.to_owned();
    let secret = secret(&sim);
    let (status, body) = graph_get(
        &sim,
        "access_token",
        &[
            ("grant_type", "ig_exchange_token"),
            ("client_secret", "nope"),
            ("access_token", &short),
        ],
    )
    .await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 101, None);
    let (status, body) = graph_get(
        &sim,
        "access_token",
        &[
            ("grant_type", "ig_exchange_token"),
            ("client_secret", &secret),
            ("access_token", &short),
        ],
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 5_184_000);
    let long = body["access_token"].as_str().context("token")?.to_owned();
    // Too young to refresh.
    let (status, body) = graph_get(
        &sim,
        "refresh_access_token",
        &[("grant_type", "ig_refresh_token"), ("access_token", &long)],
    )
    .await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 100, None);
    // The short-lived token dies after an hour; the long-lived one lives on.
    sim.advance_clock(Duration::from_secs(25 * 3600));
    let (status, body) = graph_get(&sim, "v25.0/me", &[("access_token", &short)]).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 190, Some(463));
    let (status, body) = graph_get(
        &sim,
        "refresh_access_token",
        &[("grant_type", "ig_refresh_token"), ("access_token", &long)],
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 5_184_000);
    let refreshed = body["access_token"].as_str().context("token")?.to_owned();
    // 60 days after the refresh both tokens are dead, and an expired token can't be refreshed.
    sim.advance_clock(Duration::from_secs(60 * 86_400));
    for token in [&long, &refreshed] {
        let (status, body) = graph_get(
            &sim,
            "refresh_access_token",
            &[("grant_type", "ig_refresh_token"), ("access_token", token)],
        )
        .await?;
        assert_eq!(status, 400);
        assert_graph_error(&body, 190, Some(463));
    }
    Ok(())
}

#[tokio::test]
async fn me_reports_professional_and_app_scoped_ids() -> Result<()> {
    let sim = sim().await?;
    let code = code(&sim, "new_shop").await?;
    let (_, body) = exchange(&sim, &code, &secret(&sim), REDIRECT).await?;
    let token = body["access_token"].as_str().context("token")?.to_owned();
    let account = sim
        .instagram_accounts()
        .into_iter()
        .find(|a| a.username == "new_shop")
        .context("account created by sim_account")?;
    let response = client()
        .get(format!(
            "{}/v25.0/me?fields=user_id,username",
            sim.urls().graph
        ))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await?;
    assert_eq!(me["user_id"], account.user_id.as_str());
    assert_eq!(me["username"], "new_shop");
    assert_eq!(me["id"], account.app_scoped_id.as_str());
    let (status, body) = graph_get(
        &sim,
        "v25.0/me",
        &[("access_token", &token), ("fields", "bogus")],
    )
    .await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 100, None);
    Ok(())
}
