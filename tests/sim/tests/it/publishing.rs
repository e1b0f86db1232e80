//! Content publishing happy paths, processing, expiry, double publish, quota.

use std::time::Duration;

use aistudio_sim::{SettingsPatch, StatusCode};
use anyhow::{Context, Result};

use crate::common::{FileServer, Graph, assert_graph_error, client, jpeg, mp4, sim, token};

#[tokio::test]
async fn image_publish_permalink_and_inspection() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let url = files.put("a.jpg", "image/jpeg", jpeg(1080, 1080));
    let id = graph
        .create(
            &user_id,
            &[
                ("image_url", &url),
                ("caption", "Hello #world @friend"),
                ("alt_text", "a cat"),
            ],
        )
        .await?;
    assert_eq!(graph.status(&id).await?, "FINISHED");
    let (status, body) = graph.publish(&user_id, &id).await?;
    assert_eq!(status, 200, "{body}");
    let media_id = body["id"].as_str().context("media id")?.to_owned();
    assert_eq!(graph.status(&id).await?, "PUBLISHED");
    let (status, body) = graph
        .get(
            &media_id,
            &[("fields", "permalink,caption,media_type,timestamp")],
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["caption"], "Hello #world @friend");
    assert_eq!(body["media_type"], "IMAGE");
    let permalink = body["permalink"].as_str().context("permalink")?;
    assert!(permalink.starts_with(&sim.urls().instagram));
    let page = client().get(permalink).send().await?;
    assert_eq!(page.status(), 200);
    assert!(page.text().await?.contains("Hello #world"));
    let report = sim.inspect();
    assert!(report.exactly_once);
    let account = report.account(&user_id).context("account")?;
    assert_eq!(account.publishes.len(), 1);
    assert_eq!(account.publishes[0].container_id, id);
    assert_eq!(account.publishes[0].media_id, media_id);
    let container = account.container(&id).context("container")?;
    assert_eq!(container.status_code, StatusCode::Published);
    assert_eq!(container.publish_count, 1);
    assert_eq!(container.media_url.as_deref(), Some(url.as_str()));
    // `me` is accepted in place of the account id, and so is the app-scoped id.
    let id2 = graph.create("me", &[("image_url", &url)]).await?;
    let app_scoped = account.app_scoped_id.clone();
    let (status, _) = graph.publish(&app_scoped, &id2).await?;
    assert_eq!(status, 200);
    let (status, body) = graph.get(&format!("{user_id}/media"), &[]).await?;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[tokio::test]
async fn processing_delay_then_finished_and_unfinished_publish_refused() -> Result<()> {
    let sim = sim().await?;
    sim.update_settings(&SettingsPatch {
        image_processing_ms: Some(400),
        ..SettingsPatch::default()
    });
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let url = files.put("slow.jpg", "image/jpeg", jpeg(800, 1000));
    let id = graph.create(&user_id, &[("image_url", &url)]).await?;
    let (status, body) = graph.get(&id, &[("fields", "status_code,status")]).await?;
    assert_eq!(status, 200);
    assert_eq!(body["status_code"], "IN_PROGRESS");
    assert!(
        body["status"]
            .as_str()
            .is_some_and(|s| s.starts_with("In Progress"))
    );
    let (status, body) = graph.publish(&user_id, &id).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 9007, Some(2207027));
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(graph.status(&id).await?, "FINISHED");
    let (status, _) = graph.publish(&user_id, &id).await?;
    assert_eq!(status, 200);
    let report = sim.inspect();
    let container = report
        .account(&user_id)
        .and_then(|a| a.container(&id))
        .context("container")?;
    assert_eq!(container.refused_publish_attempts, 1);
    assert_eq!(container.double_publish_attempts, 0);
    Ok(())
}

#[tokio::test]
async fn reel_and_stories_publish() -> Result<()> {
    let sim = sim().await?;
    sim.update_settings(&SettingsPatch {
        video_processing_ms: Some(150),
        ..SettingsPatch::default()
    });
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let video = files.put("v.mp4", "video/mp4", mp4());
    let image = files.put("s.jpg", "image/jpeg", jpeg(1080, 1920));
    let reel = graph
        .create(
            &user_id,
            &[
                ("media_type", "REELS"),
                ("video_url", &video),
                ("caption", "reel"),
                ("share_to_feed", "true"),
                ("thumb_offset", "1000"),
            ],
        )
        .await?;
    assert_eq!(graph.status(&reel).await?, "IN_PROGRESS");
    assert_eq!(graph.settle(&reel).await?, "FINISHED");
    let story_image = graph
        .create(
            &user_id,
            &[("media_type", "STORIES"), ("image_url", &image)],
        )
        .await?;
    let story_video = graph
        .create(
            &user_id,
            &[("media_type", "STORIES"), ("video_url", &video)],
        )
        .await?;
    assert_eq!(graph.settle(&story_video).await?, "FINISHED");
    for id in [&reel, &story_image, &story_video] {
        let (status, body) = graph.publish(&user_id, id).await?;
        assert_eq!(status, 200, "{body}");
    }
    let report = sim.inspect();
    let account = report.account(&user_id).context("account")?;
    assert_eq!(account.publishes.len(), 3);
    assert_eq!(account.quota_usage, 3);
    Ok(())
}

#[tokio::test]
async fn carousel_with_children() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let a = files.put("c1.jpg", "image/jpeg", jpeg(1080, 1080));
    let v = files.put("c2.mp4", "video/mp4", mp4());
    let item1 = graph
        .create(&user_id, &[("is_carousel_item", "true"), ("image_url", &a)])
        .await?;
    let item2 = graph
        .create(
            &user_id,
            &[
                ("is_carousel_item", "true"),
                ("media_type", "VIDEO"),
                ("video_url", &v),
            ],
        )
        .await?;
    assert_eq!(graph.settle(&item2).await?, "FINISHED");
    let children = format!("{item1},{item2}");
    let parent = graph
        .create(
            &user_id,
            &[
                ("media_type", "CAROUSEL"),
                ("children", &children),
                ("caption", "two things"),
            ],
        )
        .await?;
    assert_eq!(graph.settle(&parent).await?, "FINISHED");
    // A carousel item can't be published alone.
    let (status, _) = graph.publish(&user_id, &item1).await?;
    assert_eq!(status, 400);
    let (status, body) = graph.publish(&user_id, &parent).await?;
    assert_eq!(status, 200, "{body}");
    let media_id = body["id"].as_str().context("id")?;
    let (_, body) = graph
        .get(media_id, &[("fields", "media_type,caption")])
        .await?;
    assert_eq!(body["media_type"], "CAROUSEL_ALBUM");
    assert_eq!(body["caption"], "two things");
    let report = sim.inspect();
    let account = report.account(&user_id).context("account")?;
    assert_eq!(
        account.container(&parent).context("parent")?.children,
        vec![item1, item2]
    );
    assert_eq!(account.quota_usage, 1, "a carousel counts as one post");
    Ok(())
}

#[tokio::test]
async fn containers_expire_after_24_hours() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let url = files.put("e.jpg", "image/jpeg", jpeg(1080, 1080));
    let id = graph.create(&user_id, &[("image_url", &url)]).await?;
    sim.advance_clock(Duration::from_secs(23 * 3600));
    assert_eq!(graph.status(&id).await?, "FINISHED");
    sim.advance_clock(Duration::from_secs(3600));
    assert_eq!(graph.status(&id).await?, "EXPIRED");
    let (status, body) = graph.publish(&user_id, &id).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, -2, Some(2207020));
    Ok(())
}

#[tokio::test]
async fn double_publish_is_refused_and_counted() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let url = files.put("d.jpg", "image/jpeg", jpeg(1080, 1080));
    let id = graph.create(&user_id, &[("image_url", &url)]).await?;
    let (status, _) = graph.publish(&user_id, &id).await?;
    assert_eq!(status, 200);
    for _ in 0..2 {
        let (status, body) = graph.publish(&user_id, &id).await?;
        assert_eq!(status, 400);
        assert_graph_error(&body, 9007, Some(2207027));
    }
    let report = sim.inspect();
    assert!(report.exactly_once);
    assert!(report.duplicate_publishes.is_empty());
    let container = report
        .account(&user_id)
        .and_then(|a| a.container(&id))
        .context("container")?;
    assert_eq!(container.publish_count, 1);
    assert_eq!(container.double_publish_attempts, 2);
    assert_eq!(container.refused_publish_attempts, 2);
    assert_eq!(report.total_publishes(), 1);
    Ok(())
}

#[tokio::test]
async fn quota_is_a_rolling_24_hour_window() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    sim.set_quota_total(&user_id, Some(2))?;
    let graph = Graph::new(&sim, &token);
    let url = files.put("q.jpg", "image/jpeg", jpeg(1080, 1080));
    let limit_path = format!("{user_id}/content_publishing_limit");
    let (status, body) = graph
        .get(&limit_path, &[("fields", "quota_usage,config")])
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["quota_usage"], 0);
    assert_eq!(body["data"][0]["config"]["quota_total"], 2);
    assert_eq!(body["data"][0]["config"]["quota_duration"], 86400);
    for _ in 0..2 {
        let id = graph.create(&user_id, &[("image_url", &url)]).await?;
        assert_eq!(graph.publish(&user_id, &id).await?.0, 200);
        sim.advance_clock(Duration::from_secs(3600));
    }
    let id = graph.create(&user_id, &[("image_url", &url)]).await?;
    let (status, body) = graph.publish(&user_id, &id).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 9, Some(2207042));
    let (_, body) = graph.get(&limit_path, &[("fields", "quota_usage")]).await?;
    assert_eq!(body["data"][0]["quota_usage"], 2);
    // 22 h later the first publish has left the window, the second not yet.
    sim.advance_clock(Duration::from_secs(22 * 3600 + 1));
    let (_, body) = graph.get(&limit_path, &[("fields", "quota_usage")]).await?;
    assert_eq!(body["data"][0]["quota_usage"], 1);
    let id = graph.create(&user_id, &[("image_url", &url)]).await?;
    assert_eq!(graph.publish(&user_id, &id).await?.0, 200);
    Ok(())
}
