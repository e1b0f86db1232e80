//! The admin HTTP API, the clock, determinism and concurrency.

use aistudio_sim::{Simulator, TokenKind};
use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::common::{FileServer, Graph, assert_graph_error, client, config, jpeg, sim};

async fn admin(method: reqwest::Method, url: String, body: Option<Value>) -> Result<(u16, Value)> {
    let mut request = client().request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    Ok((response.status().as_u16(), response.json().await?))
}

#[tokio::test]
async fn admin_endpoints_drive_the_simulator() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let base = sim.urls().admin.clone();
    use reqwest::Method;
    let (status, urls) = admin(Method::GET, format!("{base}/urls"), None).await?;
    assert_eq!(status, 200);
    assert_eq!(urls["graph"], sim.urls().graph.as_str());
    let (status, account) = admin(
        Method::POST,
        format!("{base}/instagram/accounts"),
        Some(json!({"username": "shop"})),
    )
    .await?;
    assert_eq!(status, 201);
    let user_id = account["user_id"].as_str().context("user_id")?.to_owned();
    let (status, _) = admin(
        Method::POST,
        format!("{base}/instagram/accounts"),
        Some(json!({"username": "shop"})),
    )
    .await?;
    assert_eq!(status, 409);
    let (status, _) = admin(
        Method::POST,
        format!("{base}/instagram/accounts/shop/quota"),
        Some(json!({"quota_total": 1})),
    )
    .await?;
    assert_eq!(status, 200);
    let (status, issued) = admin(
        Method::POST,
        format!("{base}/instagram/tokens"),
        Some(json!({"account": "shop"})),
    )
    .await?;
    assert_eq!(status, 201);
    let token = issued["access_token"].as_str().context("token")?.to_owned();
    let graph = Graph::new(&sim, &token);
    let url = files.put("adm.jpg", "image/jpeg", jpeg(1080, 1080));
    let id = graph.create(&user_id, &[("image_url", &url)]).await?;
    assert_eq!(graph.publish(&user_id, &id).await?.0, 200);
    // Faults over HTTP.
    let (status, added) = admin(
        Method::POST,
        format!("{base}/faults"),
        Some(json!([{"endpoint": "me", "effect": {"kind": "graph_error", "code": 2, "http_status": 500}}])),
    )
    .await?;
    assert_eq!(status, 200);
    let fault_id = added["ids"][0].as_u64().context("fault id")?;
    let (_, listed) = admin(Method::GET, format!("{base}/faults"), None).await?;
    assert_eq!(listed[0]["rule"]["endpoint"], "me");
    assert_eq!(graph.get("me", &[]).await?.0, 500);
    let (status, _) = admin(Method::DELETE, format!("{base}/faults/{fault_id}"), None).await?;
    assert_eq!(status, 200);
    assert_eq!(graph.get("me", &[]).await?.0, 200);
    let (status, _) = admin(
        Method::POST,
        format!("{base}/faults"),
        Some(json!({"endpoint": "nope", "effect": {"kind": "drop"}})),
    )
    .await?;
    assert_eq!(status, 422);
    // Inspection over HTTP.
    let (_, report) = admin(Method::GET, format!("{base}/inspect"), None).await?;
    assert_eq!(report["exactly_once"], true);
    let shop = report["accounts"]
        .as_array()
        .context("accounts")?
        .iter()
        .find(|a| a["username"] == "shop")
        .context("shop")?;
    assert_eq!(shop["quota_total"], 1);
    assert_eq!(shop["containers"][0]["id"], id.as_str());
    assert_eq!(shop["containers"][0]["status_code"], "PUBLISHED");
    assert_eq!(shop["publishes"][0]["container_id"], id.as_str());
    assert!(report["calls"]["media_publish"].as_u64() >= Some(1));
    // Clock, settings, revoke, expire, signed_request.
    let (_, clock) = admin(
        Method::POST,
        format!("{base}/clock/advance"),
        Some(json!({"hours": 2})),
    )
    .await?;
    assert_eq!(clock["offset_ms"], 7_200_000);
    let (_, settings) = admin(
        Method::PATCH,
        format!("{base}/settings"),
        Some(json!({"quota_total": 7})),
    )
    .await?;
    assert_eq!(settings["quota_total"], 7);
    let (_, revoked) = admin(
        Method::POST,
        format!("{base}/instagram/tokens/revoke"),
        Some(json!({"account": "shop", "subcode": 458})),
    )
    .await?;
    assert_eq!(revoked["revoked"], 1);
    let (_, body) = graph.get("me", &[]).await?;
    assert_graph_error(&body, 190, Some(458));
    let other = sim
        .issue_instagram_token("shop", TokenKind::ShortLived)?
        .access_token;
    let (_, expired) = admin(
        Method::POST,
        format!("{base}/instagram/tokens/expire"),
        Some(json!({"token": other})),
    )
    .await?;
    assert_eq!(expired["expired"], 1);
    let (_, body) = Graph::new(&sim, &other).get("me", &[]).await?;
    assert_graph_error(&body, 190, Some(463));
    let payload = json!({"algorithm": "HMAC-SHA256", "issued_at": 1, "user_id": user_id});
    let (_, signed) = admin(
        Method::POST,
        format!("{base}/meta/signed_request"),
        Some(json!({"payload": payload})),
    )
    .await?;
    assert_eq!(
        signed["signed_request"].as_str(),
        Some(sim.signed_request(&payload).as_str())
    );
    let (status, _) = admin(
        Method::POST,
        format!("{base}/google/users"),
        Some(json!({"sub": "9", "email": "z@example.com"})),
    )
    .await?;
    assert_eq!(status, 201);
    // Reset restores the configured state.
    let (status, _) = admin(Method::POST, format!("{base}/reset"), None).await?;
    assert_eq!(status, 200);
    let report = sim.inspect();
    assert_eq!(report.accounts.len(), 1);
    assert_eq!(report.total_publishes(), 0);
    assert_eq!(report.clock_offset_ms, 7_200_000, "time does not go back");
    Ok(())
}

#[tokio::test]
async fn same_seed_same_ids() -> Result<()> {
    let a = Simulator::start(config()).await?;
    let b = Simulator::start(config()).await?;
    assert_eq!(a.instagram_accounts(), b.instagram_accounts());
    let ta = a.issue_instagram_token("aistudio_demo", TokenKind::LongLived)?;
    let tb = b.issue_instagram_token("aistudio_demo", TokenKind::LongLived)?;
    assert_eq!(ta, tb);
    a.stop().await;
    let refused = client()
        .get(format!("{}/_sim/health", b.base_url()))
        .send()
        .await?;
    assert_eq!(refused.status(), 200);
    Ok(())
}

#[tokio::test]
async fn stop_closes_the_port() -> Result<()> {
    let sim = sim().await?;
    let health = format!("{}/health", sim.urls().admin);
    assert_eq!(client().get(&health).send().await?.status(), 200);
    sim.stop().await;
    assert!(client().get(&health).send().await.is_err());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishes_are_each_recorded_once() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let url = files.put("c.jpg", "image/jpeg", jpeg(1080, 1080));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let account = sim.add_instagram_account(aistudio_sim::IgAccountSpec {
            username: format!("acct{i}"),
            ..Default::default()
        })?;
        let token = sim
            .issue_instagram_token(&account.user_id, TokenKind::LongLived)?
            .access_token;
        let graph = Graph::new(&sim, &token);
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut published = 0;
            for _ in 0..10 {
                let id = graph
                    .create(&account.user_id, &[("image_url", &url)])
                    .await?;
                // Two racing publishes of the same container: exactly one may win.
                let (a, b) = tokio::join!(
                    graph.publish(&account.user_id, &id),
                    graph.publish(&account.user_id, &id)
                );
                let wins = [a?.0, b?.0].iter().filter(|s| **s == 200).count();
                anyhow::ensure!(wins == 1, "{wins} publishes of one container succeeded");
                published += 1;
            }
            anyhow::Ok(published)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    let report = sim.inspect();
    assert_eq!(total, 80);
    assert_eq!(report.total_publishes(), 80);
    assert!(report.exactly_once);
    let attempts: u32 = report
        .accounts
        .iter()
        .flat_map(|a| &a.containers)
        .map(|c| c.double_publish_attempts)
        .sum();
    assert_eq!(attempts, 80);
    Ok(())
}
