//! Publishing against the simulator: an image from ImgBB, a reel, a story and a carousel with
//! a video item, permalinks and the quota; the simulator's report must show exactly what each
//! test meant to publish.

use std::time::Duration;

use aistudio_jobs::clients::{CallKind, ContainerSpec, ErrorClass, MediaUrl, StatusCode};
use aistudio_sim::MediaType;
use anyhow::{Context, Result};

use crate::common::{ACCOUNT, Env, FileServer, mp4};

#[tokio::test]
async fn publishes_an_image_uploaded_to_imgbb() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let image_url = env.image_url("photo.jpg").await?;
    let spec = ContainerSpec::Image {
        image_url: image_url.clone(),
        caption: Some("Hello from AIStudio #launch".into()),
        alt_text: Some("A square test picture".into()),
    };
    let container = env
        .graph
        .create_container(&ig_user_id, &token, &spec)
        .await?
        .value;
    let first = env.graph.container_status(&container, &token).await?.value;
    assert_eq!(first.status_code, StatusCode::InProgress);

    // publishing too early: not ready, keep polling
    let early = env
        .graph
        .publish(&ig_user_id, &token, &container)
        .await
        .expect_err("not finished yet");
    assert_eq!(early.classify(CallKind::Publish), ErrorClass::NotReady);

    env.sim.advance_clock(Duration::from_secs(2));
    let status = env.settle(&container, &token).await?;
    assert_eq!(status.status_code, StatusCode::Finished);

    let media = env
        .graph
        .publish(&ig_user_id, &token, &container)
        .await?
        .value;
    let published = env.graph.published_media(&media, &token).await?.value;
    assert!(published.permalink.context("permalink")?.contains("/p/"));
    let at = published.timestamp.context("timestamp")?;
    let publish_ms = env
        .sim
        .inspect()
        .account(ACCOUNT)
        .context("account")?
        .publishes[0]
        .at_ms;
    assert_eq!(
        at.timestamp(),
        publish_ms.div_euclid(1000),
        "Instagram's publish time, in whole seconds"
    );
    let after = env.graph.container_status(&container, &token).await?.value;
    assert_eq!(after.status_code, StatusCode::Published);

    let quota = env.graph.publishing_limit(&ig_user_id, &token).await?.value;
    assert_eq!(
        (quota.usage, quota.total, quota.duration_secs),
        (1, 100, 86_400)
    );
    assert_eq!(quota.remaining(), 99);

    let report = env.sim.inspect();
    assert!(report.exactly_once);
    let account = report.account(ACCOUNT).context("account")?;
    assert_eq!(account.publishes.len(), 1);
    assert_eq!(account.publishes[0].media_id, media.as_str());
    let published = account.container(container.as_str()).context("container")?;
    assert_eq!(published.media_type, MediaType::Image);
    assert_eq!(published.media_url.as_deref(), Some(image_url.as_str()));
    assert_eq!(
        published.caption.as_deref(),
        Some("Hello from AIStudio #launch")
    );
    assert_eq!(published.publish_count, 1);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn publishes_a_reel_a_story_and_a_carousel() -> Result<()> {
    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let files = FileServer::start()?;
    let video_url = files.put("clip.mp4", "video/mp4", mp4())?;
    let cover_url = env.image_url("cover.jpg").await?;
    let image_url = env.image_url("slide.jpg").await?;

    let reel = ContainerSpec::Reel {
        video_url: video_url.clone(),
        caption: Some("A reel".into()),
        cover_url: Some(cover_url),
        share_to_feed: Some(true),
        thumb_offset_ms: None,
    };
    let story = ContainerSpec::Story(MediaUrl::Image(image_url.clone()));
    let item_image = ContainerSpec::CarouselItem(MediaUrl::Image(image_url));
    let item_video = ContainerSpec::CarouselItem(MediaUrl::Video(video_url));

    let mut published = Vec::new();
    for spec in [reel, story] {
        let id = env
            .graph
            .create_container(&ig_user_id, &token, &spec)
            .await?
            .value;
        assert_eq!(
            env.settle(&id, &token).await?.status_code,
            StatusCode::Finished
        );
        published.push((
            id.clone(),
            env.graph.publish(&ig_user_id, &token, &id).await?.value,
        ));
    }

    let mut children = Vec::new();
    for spec in [item_image, item_video] {
        children.push(
            env.graph
                .create_container(&ig_user_id, &token, &spec)
                .await?
                .value,
        );
    }
    let carousel = ContainerSpec::Carousel {
        children: children.clone(),
        caption: Some("Two slides".into()),
    };
    let parent = env
        .graph
        .create_container(&ig_user_id, &token, &carousel)
        .await?
        .value;
    assert_eq!(
        env.settle(&parent, &token).await?.status_code,
        StatusCode::Finished
    );
    let media = env.graph.publish(&ig_user_id, &token, &parent).await?.value;
    published.push((parent.clone(), media));

    let report = env.sim.inspect();
    assert!(report.exactly_once);
    assert_eq!(report.total_publishes(), 3);
    let account = report.account(ACCOUNT).context("account")?;
    let kinds: Vec<MediaType> = published
        .iter()
        .map(|(c, _)| account.container(c.as_str()).map(|r| r.media_type))
        .collect::<Option<_>>()
        .context("containers in the report")?;
    assert_eq!(
        kinds,
        [MediaType::Reels, MediaType::Stories, MediaType::Carousel]
    );
    let parent_report = account.container(parent.as_str()).context("parent")?;
    assert_eq!(
        parent_report.children,
        children.iter().map(|c| c.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(parent_report.caption.as_deref(), Some("Two slides"));
    for child in &children {
        let child = account.container(child.as_str()).context("child")?;
        assert!(child.is_carousel_item);
        assert_eq!(child.caption, None);
        assert_eq!(child.publish_count, 0);
    }
    let quota = env.graph.publishing_limit(&ig_user_id, &token).await?.value;
    assert_eq!(quota.usage, 3);
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn quota_exhausted_after_the_limit() -> Result<()> {
    let env = Env::start().await?;
    env.sim.set_quota_total(ACCOUNT, Some(1))?;
    let (token, ig_user_id) = env.token()?;
    let url = env.image_url("one.jpg").await?;
    let spec = ContainerSpec::Image {
        image_url: url,
        caption: None,
        alt_text: None,
    };
    let mut containers = Vec::new();
    for _ in 0..2 {
        let id = env
            .graph
            .create_container(&ig_user_id, &token, &spec)
            .await?
            .value;
        env.settle(&id, &token).await?;
        containers.push(id);
    }
    env.graph
        .publish(&ig_user_id, &token, &containers[0])
        .await?;
    let refused = env
        .graph
        .publish(&ig_user_id, &token, &containers[1])
        .await
        .expect_err("over the quota");
    assert_eq!(
        refused.graph().map(|g| (g.code, g.subcode)),
        Some((9, Some(2_207_042)))
    );
    assert_eq!(
        refused.classify(CallKind::Publish),
        ErrorClass::QuotaExhausted
    );
    let quota = env.graph.publishing_limit(&ig_user_id, &token).await?.value;
    assert_eq!((quota.usage, quota.total, quota.remaining()), (1, 1, 0));
    assert_eq!(env.sim.inspect().total_publishes(), 1);
    env.sim.stop().await;
    Ok(())
}
