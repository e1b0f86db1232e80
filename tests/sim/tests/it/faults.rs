//! Each fault kind, over real HTTP.

use std::time::{Duration, Instant};

use aistudio_sim::{Effect, Endpoint, FaultRule, SimConfig, Simulator, StatusCode};
use anyhow::{Context, Result};
use serde_json::Value;

use crate::common::{FileServer, Graph, assert_graph_error, client, config, jpeg, sim, token};

fn graph_error(
    code: i64,
    subcode: Option<i64>,
    http_status: Option<u16>,
    is_transient: bool,
) -> Effect {
    Effect::GraphError {
        code,
        subcode,
        http_status,
        is_transient,
        message: None,
    }
}

#[tokio::test]
async fn count_based_graph_error_then_success() -> Result<()> {
    let sim = sim().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    sim.add_fault(FaultRule::next(
        Endpoint::PublishingLimit,
        2,
        graph_error(2, None, Some(503), true),
    ));
    let path = format!("{user_id}/content_publishing_limit");
    for _ in 0..2 {
        let (status, body) = graph.get(&path, &[]).await?;
        assert_eq!(status, 503);
        assert_graph_error(&body, 2, None);
        assert_eq!(body["error"]["is_transient"], true);
    }
    assert_eq!(graph.get(&path, &[]).await?.0, 200);
    assert!(
        sim.faults().is_empty(),
        "count-based rules disappear when spent"
    );
    let report = sim.inspect();
    assert_eq!(report.calls_to(Endpoint::PublishingLimit), 3);
    assert_eq!(report.faults_fired.get("publishing_limit"), Some(&2));
    Ok(())
}

#[tokio::test]
async fn skip_and_rate_select_calls() -> Result<()> {
    let sim = sim().await?;
    let (token, _) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    sim.add_fault(FaultRule::always(Endpoint::Me, Effect::Drop).with_rate(0.0));
    sim.add_fault(FaultRule::next(Endpoint::Me, 1, graph_error(1, None, None, true)).with_skip(2));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(graph.get("me", &[]).await?.0);
    }
    assert_eq!(statuses, vec![200, 200, 500, 200]);
    Ok(())
}

#[tokio::test]
async fn http_statuses_and_html_with_2xx() -> Result<()> {
    let sim = sim().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    sim.add_fault(FaultRule::next(
        Endpoint::MediaCreate,
        1,
        Effect::Http {
            status: 429,
            body: None,
            content_type: None,
            retry_after: Some(7),
        },
    ));
    let response = graph
        .http
        .post(format!("{}/{user_id}/media", graph.base))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    sim.add_fault(FaultRule::next(
        Endpoint::ImgbbUpload,
        1,
        Effect::Http {
            status: 200,
            body: Some("<html><body>Service temporarily overloaded</body></html>".into()),
            content_type: Some("text/html".into()),
            retry_after: None,
        },
    ));
    let response = client()
        .post(format!("{}/1/upload", sim.urls().imgbb))
        .form(&[("key", "k")])
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    assert!(response.text().await?.starts_with("<html>"));
    Ok(())
}

#[tokio::test]
async fn latency_drop_and_timeout() -> Result<()> {
    let sim = sim().await?;
    let (token, _) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    sim.add_fault(FaultRule::next(
        Endpoint::Me,
        1,
        Effect::Latency { ms: 300 },
    ));
    let started = Instant::now();
    assert_eq!(graph.get("me", &[]).await?.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    sim.add_fault(FaultRule::next(Endpoint::Me, 1, Effect::Drop));
    let error = graph
        .get("me", &[])
        .await
        .err()
        .context("dropped call must fail")?;
    let error = error.downcast::<reqwest::Error>()?;
    assert!(!error.is_timeout() && error.is_request(), "{error:?}");
    assert_eq!(graph.get("me", &[]).await?.0, 200);
    sim.add_fault(FaultRule::next(
        Endpoint::Me,
        1,
        Effect::Timeout { ms: None },
    ));
    let started = Instant::now();
    let error = client()
        .get(format!("{}/me?access_token={token}", graph.base))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .err()
        .context("hung call must time out")?;
    assert!(error.is_timeout());
    assert!(started.elapsed() < Duration::from_secs(3));
    Ok(())
}

#[tokio::test]
async fn throttle_sends_usage_headers() -> Result<()> {
    let sim = sim().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    sim.add_fault(FaultRule::next(
        Endpoint::MediaPublish,
        1,
        Effect::Throttle {
            code: Some(4),
            minutes: Some(12),
            http_status: None,
        },
    ));
    let response = graph
        .http
        .post(format!("{}/{user_id}/media_publish", graph.base))
        .bearer_auth(&token)
        .form(&[("creation_id", "1")])
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    let usage: Value =
        serde_json::from_str(response.headers()["x-business-use-case-usage"].to_str()?)?;
    assert_eq!(usage[&user_id][0]["estimated_time_to_regain_access"], 12);
    assert!(response.headers().contains_key("x-app-usage"));
    let body: Value = response.json().await?;
    assert_graph_error(&body, 4, None);
    Ok(())
}

#[tokio::test]
async fn fresh_container_reads_fail_while_writes_succeed() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    sim.add_fault(FaultRule::always(
        Endpoint::ContainerStatus,
        Effect::FreshReadError {
            younger_than_ms: 5_000,
        },
    ));
    sim.add_fault(FaultRule::always(
        Endpoint::Permalink,
        Effect::FreshReadError {
            younger_than_ms: 5_000,
        },
    ));
    let url = files.put("f.jpg", "image/jpeg", jpeg(1080, 1080));
    let id = graph.create(&user_id, &[("image_url", &url)]).await?;
    let (status, body) = graph.get(&id, &[("fields", "status_code")]).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 100, Some(33));
    let (status, body) = graph.publish(&user_id, &id).await?;
    assert_eq!(status, 200, "{body}");
    let media = body["id"].as_str().context("media")?.to_owned();
    assert_eq!(graph.get(&media, &[("fields", "permalink")]).await?.0, 400);
    sim.advance_clock(Duration::from_secs(6));
    assert_eq!(graph.status(&id).await?, "PUBLISHED");
    assert_eq!(graph.get(&media, &[("fields", "permalink")]).await?.0, 200);
    Ok(())
}

#[tokio::test]
async fn publish_succeeds_but_answers_an_error_or_drops() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let url = files.put("amb.jpg", "image/jpeg", jpeg(1080, 1080));
    sim.add_fault(
        FaultRule::next(
            Endpoint::MediaPublish,
            1,
            graph_error(4, Some(2207051), None, false),
        )
        .after_success(),
    );
    let first = graph.create(&user_id, &[("image_url", &url)]).await?;
    let (status, body) = graph.publish(&user_id, &first).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 4, Some(2207051));
    assert_eq!(
        graph.status(&first).await?,
        "PUBLISHED",
        "the post really went live"
    );
    // A blind retry is refused and counted.
    assert_eq!(graph.publish(&user_id, &first).await?.0, 400);
    sim.add_fault(FaultRule::next(Endpoint::MediaPublish, 1, Effect::Drop).after_success());
    let second = graph.create(&user_id, &[("image_url", &url)]).await?;
    assert!(graph.publish(&user_id, &second).await.is_err());
    assert_eq!(graph.status(&second).await?, "PUBLISHED");
    let report = sim.inspect();
    assert!(report.exactly_once);
    let account = report.account(&user_id).context("account")?;
    assert_eq!(account.publishes.len(), 2);
    let container = account.container(&first).context("first")?;
    assert_eq!(
        (container.publish_count, container.double_publish_attempts),
        (1, 1)
    );
    assert_eq!(
        account.container(&second).context("second")?.status_code,
        StatusCode::Published
    );
    Ok(())
}

#[tokio::test]
async fn faults_render_in_each_provider_shape_and_load_from_config() -> Result<()> {
    let rule: FaultRule = serde_json::from_value(serde_json::json!({
        "endpoint": "ig_token",
        "effect": {"kind": "graph_error", "code": 1, "message": "boom"},
        "count": 1
    }))?;
    let sim = Simulator::start(SimConfig {
        faults: vec![rule],
        ..config()
    })
    .await?;
    let response = client()
        .post(format!("{}/oauth/access_token", sim.urls().instagram_api))
        .form(&[("code", "x")])
        .send()
        .await?;
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await?;
    assert_eq!(body["error_type"], "OAuthException");
    assert_eq!(body["error_message"], "boom");
    sim.add_fault(FaultRule::next(
        Endpoint::GoogleToken,
        1,
        graph_error(2, None, Some(503), true),
    ));
    let response = client()
        .post(format!("{}/token", sim.urls().google))
        .send()
        .await?;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await?;
    assert_eq!(body["error"], "server_error");
    sim.add_fault(FaultRule::next(
        Endpoint::ImgbbUpload,
        1,
        graph_error(500, None, Some(502), false),
    ));
    let response = client()
        .post(format!("{}/1/upload", sim.urls().imgbb))
        .send()
        .await?;
    assert_eq!(response.status(), 502);
    let body: Value = response.json().await?;
    assert_eq!(body["status_code"], 502);
    assert_eq!(body["error"]["code"], 500);
    Ok(())
}

#[tokio::test]
async fn fault_on_served_images_breaks_instagram_downloads() -> Result<()> {
    let sim = sim().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let encoded =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, jpeg(1080, 1080));
    let body: Value = client()
        .post(format!("{}/1/upload", sim.urls().imgbb))
        .form(&[
            ("key", sim.config().imgbb.api_key.as_str()),
            ("image", encoded.as_str()),
        ])
        .send()
        .await?
        .json()
        .await?;
    let url = body["data"]["url"].as_str().context("url")?.to_owned();
    sim.add_fault(FaultRule::next(Endpoint::ImgbbImage, 1, Effect::Drop));
    let (status, body) = graph
        .post(&format!("{user_id}/media"), &[("image_url", &url)])
        .await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 9004, Some(2207052));
    graph.create(&user_id, &[("image_url", &url)]).await?;
    Ok(())
}
