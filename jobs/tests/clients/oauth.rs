//! Instagram Login against the simulator: the code flow in both answer shapes, replayed codes,
//! a wrong app secret, long-lived tokens, refresh and `/me`.

use std::time::Duration;

use aistudio_config::{ExposeSecret, Secret};
use aistudio_jobs::clients::{
    CallKind, ClientError, ErrorClass, InstagramOAuth, SCOPES, build_client,
};
use aistudio_sim::{MeShape, SettingsPatch, TokenShape, TokenTarget};
use anyhow::{Context, Result, bail};

use crate::common::{ACCOUNT, Env, OPTIONS, query_param, settings_for};

/// Drives the consent screen headlessly and returns the code from the redirect.
async fn authorize(env: &Env, state: &str) -> Result<String> {
    let url = env.oauth.authorize_url(state);
    assert_eq!(query_param(url.as_str(), "scope")?, SCOPES);
    assert_eq!(query_param(url.as_str(), "response_type")?, "code");
    assert_eq!(
        query_param(url.as_str(), "redirect_uri")?,
        "http://127.0.0.1:18080/api/v1/instagram/callback"
    );
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = browser
        .get(format!("{url}&sim_consent=allow"))
        .send()
        .await?;
    if response.status().as_u16() != 302 {
        bail!("authorize answered {}", response.status());
    }
    let location = response
        .headers()
        .get("location")
        .context("no Location")?
        .to_str()?
        .to_owned();
    assert!(location.starts_with(env.oauth.redirect_uri()), "{location}");
    assert!(location.ends_with("#_"), "{location}");
    assert_eq!(query_param(&location, "state")?, state);
    query_param(&location, "code")
}

fn account(env: &Env) -> Result<aistudio_sim::IgAccount> {
    env.sim
        .instagram_accounts()
        .into_iter()
        .find(|a| a.username == ACCOUNT)
        .context("default account")
}

#[tokio::test]
async fn code_flow_flat_shape_and_replayed_code() -> Result<()> {
    let env = Env::start().await?;
    let code = authorize(&env, "state-1").await?;
    let token = env.oauth.exchange_code(&format!("{code}#_")).await?;
    let account = account(&env)?;
    assert_eq!(token.user_id, account.app_scoped_id);
    assert_eq!(
        token.permissions,
        [
            "instagram_business_basic",
            "instagram_business_content_publish"
        ]
    );
    assert!(!token.access_token.expose_secret().is_empty());

    let replay = env.oauth.exchange_code(&code).await;
    match replay {
        Err(ClientError::OAuth {
            http_status,
            code: 400,
            ref error_type,
            ref message,
        }) => {
            assert_eq!(http_status, 400);
            assert_eq!(error_type, "OAuthException");
            assert!(message.contains("already used"), "{message}");
        }
        other => bail!("replayed code gave {other:?}"),
    }
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn code_flow_data_shape() -> Result<()> {
    let env = Env::start().await?;
    env.sim.update_settings(&SettingsPatch {
        token_response_shape: Some(TokenShape::Data),
        ..SettingsPatch::default()
    });
    let code = authorize(&env, "state-2").await?;
    let token = env.oauth.exchange_code(&code).await?;
    assert_eq!(token.user_id, account(&env)?.app_scoped_id);
    assert_eq!(token.permissions.len(), 2);
    assert!(
        token
            .permissions
            .iter()
            .any(|p| p == "instagram_business_content_publish")
    );
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn wrong_secret_is_refused_without_burning_the_code_or_leaking_the_secret() -> Result<()> {
    let env = Env::start().await?;
    let code = authorize(&env, "state-3").await?;
    let wrong_secret = "not-the-app-secret-4711";
    let settings = settings_for(
        &env.sim,
        &[("AISTUDIO__INSTAGRAM__CLIENT_SECRET", wrong_secret)],
    )?;
    let wrong = InstagramOAuth::new(build_client(&OPTIONS)?, &settings)?;
    let error = wrong
        .exchange_code(&code)
        .await
        .expect_err("wrong secret must fail");
    assert!(
        matches!(error, ClientError::OAuth { ref message, .. } if message.contains("client secret")),
        "{error:?}"
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(wrong_secret), "{shown}");
    assert!(!shown.contains(&code), "{shown}");
    // the code is still good for the right app secret
    env.oauth.exchange_code(&code).await?;
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn long_lived_exchange_refresh_after_24h_and_me() -> Result<()> {
    let env = Env::start().await?;
    let code = authorize(&env, "state-4").await?;
    let short = env.oauth.exchange_code(&code).await?;
    let long = env.oauth.exchange_long_lived(&short.access_token).await?;
    assert!(long.expires_in > Duration::from_secs(59 * 86_400));
    assert!(long.expires_at > chrono::Utc::now() + chrono::Duration::days(59));

    // too young to refresh
    let young = env
        .oauth
        .refresh(&long.access_token)
        .await
        .expect_err("a token under 24 h old cannot be refreshed");
    let graph = young.graph().context("graph error")?;
    assert_eq!(graph.code, 100);
    assert!(graph.message.contains("24 hours"), "{}", graph.message);
    assert!(
        !young
            .to_string()
            .contains(long.access_token.expose_secret())
    );

    env.sim.advance_clock(Duration::from_secs(25 * 3600));
    let refreshed = env.oauth.refresh(&long.access_token).await?;
    assert_ne!(
        refreshed.access_token.expose_secret(),
        long.access_token.expose_secret()
    );
    assert!(refreshed.expires_in > Duration::from_secs(59 * 86_400));

    let account = account(&env)?;
    let me = env.oauth.me(&refreshed.access_token).await?;
    assert_eq!(me.user_id, account.user_id);
    assert_eq!(me.username, ACCOUNT);
    assert_eq!(
        me.app_scoped_id.as_deref(),
        Some(account.app_scoped_id.as_str())
    );

    env.sim.update_settings(&SettingsPatch {
        me_response_shape: Some(MeShape::Data),
        ..SettingsPatch::default()
    });
    let wrapped = env.oauth.me(&refreshed.access_token).await?;
    assert_eq!(wrapped, me);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn revoked_or_expired_token_is_token_invalid() -> Result<()> {
    let env = Env::start().await?;
    let (token, _) = env.token()?;
    env.sim
        .revoke_tokens(&TokenTarget::Token(token.expose_secret().to_owned()), None);
    let error = env.oauth.me(&token).await.expect_err("revoked");
    assert_eq!(
        error.graph().map(|g| (g.code, g.subcode)),
        Some((190, Some(460)))
    );
    assert_eq!(error.classify(CallKind::Read), ErrorClass::TokenInvalid);
    assert!(!format!("{error:?}").contains(token.expose_secret()));

    let (other, _) = env.token()?;
    env.sim
        .expire_tokens(&TokenTarget::Token(other.expose_secret().to_owned()));
    let error = env.oauth.me(&other).await.expect_err("expired");
    assert_eq!(
        error.graph().map(|g| (g.code, g.subcode)),
        Some((190, Some(463)))
    );
    assert_eq!(error.classify(CallKind::Read), ErrorClass::TokenInvalid);

    let unknown = env
        .oauth
        .me(&Secret::from("IGAAnot-a-real-token".to_owned()))
        .await
        .expect_err("unknown");
    assert_eq!(unknown.classify(CallKind::Read), ErrorClass::TokenInvalid);
    env.sim.stop().await;
    Ok(())
}
