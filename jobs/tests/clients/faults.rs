//! Each error class produced by the simulator's fault injection, through the real clients.

use std::time::Duration;

use aistudio_config::{ExposeSecret, Secret};
use aistudio_jobs::clients::{
    CallKind, ClientError, ContainerId, ContainerSpec, ErrorClass, StatusCode, TransportKind,
};
use aistudio_sim::{Effect, Endpoint, FaultRule, TokenTarget};
use anyhow::{Context, Result, bail};

use crate::common::{Env, FileServer, png};

/// A `FINISHED` image container, ready to publish.
async fn ready_container(env: &Env, token: &Secret, ig_user_id: &str) -> Result<ContainerId> {
    let spec = ContainerSpec::Image {
        image_url: env.image_url("ready.jpg").await?,
        caption: Some("ready".into()),
        alt_text: None,
    };
    let id = env
        .graph
        .create_container(ig_user_id, token, &spec)
        .await?
        .value;
    let status = env.settle(&id, token).await?;
    if status.status_code != StatusCode::Finished {
        bail!("container ended {status:?}");
    }
    Ok(id)
}

fn publishes(env: &Env) -> usize {
    env.sim.inspect().total_publishes()
}

#[tokio::test]
async fn throttled_publish_reports_usage_and_retry_after() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let container = ready_container(&env, &token, &ig_user_id).await?;
    env.sim.add_fault(FaultRule::next(
        Endpoint::MediaPublish,
        1,
        Effect::Throttle {
            code: Some(80002),
            minutes: Some(7),
            http_status: None,
        },
    ));
    let error = env
        .graph
        .publish(&ig_user_id, &token, &container)
        .await
        .expect_err("throttled");
    assert_eq!(
        error.classify(CallKind::Publish),
        ErrorClass::Throttled {
            retry_after: Some(Duration::from_secs(7 * 60))
        }
    );
    let graph = error.graph().context("graph error")?;
    assert_eq!(graph.usage.max_percent(), 100);
    assert!(graph.usage.app.is_some());
    assert_eq!(publishes(&env), 0);

    env.graph.publish(&ig_user_id, &token, &container).await?;
    assert_eq!(publishes(&env), 1);
    assert!(env.sim.inspect().exactly_once);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn bare_5xx_and_429_answers() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let container = ready_container(&env, &token, &ig_user_id).await?;
    let http = |status: u16, retry_after: Option<u64>| Effect::Http {
        status,
        body: None,
        content_type: None,
        retry_after,
    };
    env.sim.add_fault(FaultRule::next(
        Endpoint::ContainerStatus,
        1,
        http(503, None),
    ));
    let unavailable = env
        .graph
        .container_status(&container, &token)
        .await
        .expect_err("503");
    assert_eq!(
        unavailable,
        ClientError::Http {
            http_status: 503,
            retry_after: None
        }
    );
    assert_eq!(unavailable.classify(CallKind::Read), ErrorClass::Transient);

    env.sim.add_fault(FaultRule::next(
        Endpoint::PublishingLimit,
        1,
        http(429, Some(30)),
    ));
    let limited = env
        .graph
        .publishing_limit(&ig_user_id, &token)
        .await
        .expect_err("429");
    assert_eq!(
        limited.classify(CallKind::Read),
        ErrorClass::Throttled {
            retry_after: Some(Duration::from_secs(30))
        }
    );

    env.sim
        .add_fault(FaultRule::next(Endpoint::MediaPublish, 1, http(502, None)));
    let gateway = env
        .graph
        .publish(&ig_user_id, &token, &container)
        .await
        .expect_err("502");
    assert_eq!(
        gateway.classify(CallKind::Publish),
        ErrorClass::OutcomeUnknown
    );
    assert_eq!(publishes(&env), 0);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn dropped_publish_after_success_reads_published() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let container = ready_container(&env, &token, &ig_user_id).await?;
    env.sim
        .add_fault(FaultRule::next(Endpoint::MediaPublish, 1, Effect::Drop).after_success());
    let error = env
        .graph
        .publish(&ig_user_id, &token, &container)
        .await
        .expect_err("dropped");
    assert!(
        matches!(error, ClientError::Transport { kind } if kind != TransportKind::Connect),
        "{error:?}"
    );
    assert_eq!(
        error.classify(CallKind::Publish),
        ErrorClass::OutcomeUnknown
    );
    let status = env.graph.container_status(&container, &token).await?.value;
    assert_eq!(status.status_code, StatusCode::Published);
    let report = env.sim.inspect();
    assert!(report.exactly_once);
    assert_eq!(report.total_publishes(), 1);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn timed_out_publish_is_transport_and_may_have_published() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let container = ready_container(&env, &token, &ig_user_id).await?;
    env.sim.add_fault(
        FaultRule::next(
            Endpoint::MediaPublish,
            1,
            Effect::Timeout { ms: Some(3_000) },
        )
        .after_success(),
    );
    let started = std::time::Instant::now();
    let error = env
        .graph
        .publish(&ig_user_id, &token, &container)
        .await
        .expect_err("timed out");
    assert!(started.elapsed() < Duration::from_millis(2_500));
    assert_eq!(
        error,
        ClientError::Transport {
            kind: TransportKind::Timeout
        }
    );
    assert_eq!(
        error.classify(CallKind::Publish),
        ErrorClass::OutcomeUnknown
    );
    let status = env.graph.container_status(&container, &token).await?.value;
    assert_eq!(status.status_code, StatusCode::Published);

    // a timeout before the publish happened leaves the container publishable
    let second = ready_container(&env, &token, &ig_user_id).await?;
    env.sim.add_fault(FaultRule::next(
        Endpoint::MediaPublish,
        1,
        Effect::Timeout { ms: Some(3_000) },
    ));
    let error = env
        .graph
        .publish(&ig_user_id, &token, &second)
        .await
        .expect_err("timed out");
    assert_eq!(
        error.classify(CallKind::Publish),
        ErrorClass::OutcomeUnknown
    );
    let status = env.graph.container_status(&second, &token).await?.value;
    assert_eq!(status.status_code, StatusCode::Finished);
    env.graph.publish(&ig_user_id, &token, &second).await?;

    let report = env.sim.inspect();
    assert!(report.exactly_once);
    assert_eq!(report.total_publishes(), 2);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn spam_flag_after_success_is_never_retried_blindly() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let container = ready_container(&env, &token, &ig_user_id).await?;
    env.sim.add_fault(
        FaultRule::next(
            Endpoint::MediaPublish,
            1,
            Effect::GraphError {
                code: 4,
                subcode: Some(2_207_051),
                http_status: None,
                is_transient: false,
                message: None,
            },
        )
        .after_success(),
    );
    let error = env
        .graph
        .publish(&ig_user_id, &token, &container)
        .await
        .expect_err("flagged");
    assert_eq!(error.classify(CallKind::Publish), ErrorClass::SpamFlagged);
    let status = env.graph.container_status(&container, &token).await?.value;
    assert_eq!(status.status_code, StatusCode::Published);
    assert_eq!(publishes(&env), 1);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn fresh_read_bug_is_transient() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    env.sim.add_fault(FaultRule::always(
        Endpoint::ContainerStatus,
        Effect::FreshReadError {
            younger_than_ms: 10_000,
        },
    ));
    let spec = ContainerSpec::Image {
        image_url: env.image_url("fresh.jpg").await?,
        caption: None,
        alt_text: None,
    };
    let container = env
        .graph
        .create_container(&ig_user_id, &token, &spec)
        .await?
        .value;
    let error = env
        .graph
        .container_status(&container, &token)
        .await
        .expect_err("fresh read");
    assert_eq!(
        error.graph().map(|g| (g.code, g.subcode)),
        Some((100, Some(33)))
    );
    assert_eq!(error.classify(CallKind::Read), ErrorClass::Transient);

    env.sim.advance_clock(Duration::from_secs(11));
    let status = env.graph.container_status(&container, &token).await?.value;
    assert_eq!(status.status_code, StatusCode::Finished);
    env.graph.publish(&ig_user_id, &token, &container).await?;
    assert_eq!(publishes(&env), 1);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn revoked_token_stops_publishing() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let container = ready_container(&env, &token, &ig_user_id).await?;
    env.sim.revoke_tokens(
        &TokenTarget::Token(token.expose_secret().to_owned()),
        Some(467),
    );
    let error = env
        .graph
        .publish(&ig_user_id, &token, &container)
        .await
        .expect_err("revoked");
    assert_eq!(
        error.graph().map(|g| (g.code, g.subcode)),
        Some((190, Some(467)))
    );
    assert_eq!(error.classify(CallKind::Publish), ErrorClass::TokenInvalid);
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(token.expose_secret()), "{shown}");
    assert_eq!(publishes(&env), 0);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn bad_content_and_unfetchable_media() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let png_url = env.imgbb.upload(png(), "picture.png", None).await?.url;
    let not_jpeg = env
        .graph
        .create_container(
            &ig_user_id,
            &token,
            &ContainerSpec::Image {
                image_url: png_url,
                caption: None,
                alt_text: None,
            },
        )
        .await
        .expect_err("PNG refused");
    match not_jpeg.classify(CallKind::Write) {
        ErrorClass::BadContent { message } => assert!(message.contains("JPEG"), "{message}"),
        other => bail!("PNG gave {other:?}"),
    }

    let files = FileServer::start()?;
    let missing = format!(
        "{}/files/missing.jpg",
        files.put("x", "text/plain", vec![])?
    );
    let unfetchable = env
        .graph
        .create_container(
            &ig_user_id,
            &token,
            &ContainerSpec::Image {
                image_url: missing,
                caption: None,
                alt_text: None,
            },
        )
        .await
        .expect_err("unfetchable");
    assert_eq!(
        unfetchable.classify(CallKind::Write),
        ErrorClass::MediaFetchFailed
    );

    let long_caption = "#tag ".repeat(31);
    let too_many_tags = env
        .graph
        .create_container(
            &ig_user_id,
            &token,
            &ContainerSpec::Image {
                image_url: env.image_url("ok.jpg").await?,
                caption: Some(long_caption),
                alt_text: None,
            },
        )
        .await
        .expect_err("31 hashtags");
    assert!(matches!(
        too_many_tags.classify(CallKind::Write),
        ErrorClass::BadContent { .. }
    ));
    assert_eq!(publishes(&env), 0);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn failed_video_download_fails_fast_in_both_status_shapes() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let files = FileServer::start()?;
    let missing = format!("{}/files/gone.mp4", files.put("x", "text/plain", vec![])?);
    let reel = ContainerSpec::Reel {
        video_url: missing,
        caption: None,
        cover_url: None,
        share_to_feed: None,
        thumb_offset_ms: None,
    };
    for empty_code in [false, true] {
        env.sim.update_settings(&aistudio_sim::SettingsPatch {
            empty_status_code_on_download_error: Some(empty_code),
            ..aistudio_sim::SettingsPatch::default()
        });
        let id = env
            .graph
            .create_container(&ig_user_id, &token, &reel)
            .await?
            .value;
        let status = env.settle(&id, &token).await?;
        assert_eq!(status.status_code, StatusCode::Error, "{status:?}");
        assert_eq!(status.error_subcode(), Some(2_207_052), "{status:?}");
    }
    assert_eq!(publishes(&env), 0);
    env.sim.stop().await;
    Ok(())
}
