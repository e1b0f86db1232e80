//! Content publishing failures: validation, media fetch, tokens, other accounts.

use aistudio_sim::{IgAccountSpec, SettingsPatch, TokenKind, TokenTarget};
use anyhow::{Context, Result};

use crate::common::{FileServer, Graph, assert_graph_error, jpeg, mp4, png, sim, token};

/// Form fields of one request.
type Form<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn caption_and_parameter_validation() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let url = files.put("v.jpg", "image/jpeg", jpeg(1080, 1080));
    let path = format!("{user_id}/media");
    let long = "a".repeat(2201);
    let tags: String = (0..31).map(|i| format!("#tag{i} ")).collect();
    let mentions: String = (0..21).map(|i| format!("@user{i} ")).collect();
    let cases: Vec<(Form, i64, Option<i64>)> = vec![
        (
            vec![("image_url", &url), ("caption", &long)],
            36004,
            Some(2207010),
        ),
        (
            vec![("image_url", &url), ("caption", &tags)],
            36004,
            Some(2207010),
        ),
        (
            vec![("image_url", &url), ("caption", &mentions)],
            100,
            Some(2207040),
        ),
        (
            vec![("media_type", "VIDEO"), ("video_url", &url)],
            100,
            Some(2207023),
        ),
        (
            vec![("media_type", "PANORAMA"), ("image_url", &url)],
            100,
            Some(2207023),
        ),
        (vec![("caption", "no media")], 100, None),
        (vec![("image_url", "not a url")], 9004, Some(2207052)),
        (
            vec![
                ("is_carousel_item", "true"),
                ("image_url", &url),
                ("caption", "x"),
            ],
            100,
            None,
        ),
        (
            vec![("media_type", "CAROUSEL"), ("children", "1")],
            100,
            Some(2207028),
        ),
        (
            vec![("media_type", "CAROUSEL"), ("children", "178000,178001")],
            24,
            Some(2207006),
        ),
    ];
    for (form, code, subcode) in cases {
        let (status, body) = graph.post(&path, &form).await?;
        assert_eq!(status, 400, "{form:?} -> {body}");
        assert_graph_error(&body, code, subcode);
    }
    let ok = "x".repeat(2200);
    graph
        .create(&user_id, &[("image_url", &url), ("caption", &ok)])
        .await?;
    assert!(
        sim.inspect()
            .account(&user_id)
            .is_some_and(|a| a.containers.len() == 1)
    );
    Ok(())
}

#[tokio::test]
async fn media_fetch_failures() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let path = format!("{user_id}/media");
    let png_url = files.put("p.png", "image/png", png());
    let wide = files.put("wide.jpg", "image/jpeg", jpeg(2000, 500));
    let cases = [
        (
            "http://127.0.0.1:1/unreachable.jpg".to_owned(),
            9004,
            2207052,
        ),
        (files.missing(), 9004, 2207052),
        (png_url, 36001, 2207005),
        (wide, 36003, 2207009),
    ];
    for (url, code, subcode) in cases {
        let (status, body) = graph.post(&path, &[("image_url", &url)]).await?;
        assert_eq!(status, 400, "{url} -> {body}");
        assert_graph_error(&body, code, Some(subcode));
    }
    // Stories don't apply the feed aspect ratio.
    let tall = files.put("tall.jpg", "image/jpeg", jpeg(500, 2000));
    graph
        .create(&user_id, &[("media_type", "STORIES"), ("image_url", &tall)])
        .await?;
    Ok(())
}

#[tokio::test]
async fn video_failures_show_as_error_status() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let not_video = files.put("x.mp4", "video/mp4", jpeg(10, 10));
    let bad_format = graph
        .create(
            &user_id,
            &[("media_type", "REELS"), ("video_url", &not_video)],
        )
        .await?;
    assert_eq!(graph.settle(&bad_format).await?, "ERROR");
    let (_, body) = graph
        .get(&bad_format, &[("fields", "status_code,status")])
        .await?;
    assert!(
        body["status"]
            .as_str()
            .is_some_and(|s| s.starts_with("Error:") && s.contains("2207026")),
        "{body}"
    );
    let unreachable = graph
        .create(
            &user_id,
            &[
                ("media_type", "REELS"),
                ("video_url", "http://127.0.0.1:1/v.mp4"),
            ],
        )
        .await?;
    assert_eq!(graph.settle(&unreachable).await?, "ERROR");
    let (status, body) = graph.publish(&user_id, &unreachable).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, -1, Some(2207032));
    // The other observed rendering: empty status_code with the download error in status.
    sim.update_settings(&SettingsPatch {
        empty_status_code_on_download_error: Some(true),
        ..SettingsPatch::default()
    });
    let (_, body) = graph
        .get(&unreachable, &[("fields", "status_code,status")])
        .await?;
    assert_eq!(body["status_code"], "");
    assert!(
        body["status"]
            .as_str()
            .is_some_and(|s| s.contains("Media download has failed"))
    );
    // A carousel with a failed child is in ERROR too.
    let good = files.put("ok.mp4", "video/mp4", mp4());
    let ok_item = graph
        .create(
            &user_id,
            &[
                ("is_carousel_item", "true"),
                ("media_type", "VIDEO"),
                ("video_url", &good),
            ],
        )
        .await?;
    let bad_item = graph
        .create(
            &user_id,
            &[
                ("is_carousel_item", "true"),
                ("media_type", "VIDEO"),
                ("video_url", &not_video),
            ],
        )
        .await?;
    graph.settle(&bad_item).await?;
    let children = format!("{ok_item},{bad_item}");
    let parent = graph
        .create(
            &user_id,
            &[("media_type", "CAROUSEL"), ("children", &children)],
        )
        .await?;
    assert_eq!(graph.status(&parent).await?, "ERROR");
    Ok(())
}

#[tokio::test]
async fn token_errors_use_190_subcodes() -> Result<()> {
    let sim = sim().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let path = format!("{user_id}/content_publishing_limit");
    assert_eq!(graph.get(&path, &[]).await?.0, 200);
    let unknown = Graph::new(&sim, "IGAAnot-a-token");
    let (status, body) = unknown.get(&path, &[]).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 190, Some(467));
    let (status, body) = Graph::new(&sim, "").get(&path, &[]).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 2500, None);
    assert_eq!(
        sim.revoke_tokens(&TokenTarget::Token(token.clone()), None),
        1
    );
    let (status, body) = graph.get(&path, &[]).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 190, Some(460));
    let other = sim
        .issue_instagram_token(&user_id, TokenKind::LongLived)?
        .access_token;
    assert_eq!(
        sim.expire_tokens(&TokenTarget::Account("aistudio_demo".into())),
        2
    );
    let (status, body) = Graph::new(&sim, &other)
        .post(&format!("{user_id}/media_publish"), &[("creation_id", "1")])
        .await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 190, Some(463));
    Ok(())
}

#[tokio::test]
async fn a_token_cannot_act_on_another_account() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let other = sim.add_instagram_account(IgAccountSpec {
        username: "other".into(),
        ..IgAccountSpec::default()
    })?;
    let (token, user_id) = token(&sim)?;
    let other_token = sim
        .issue_instagram_token("other", TokenKind::LongLived)?
        .access_token;
    let graph = Graph::new(&sim, &token);
    let other_graph = Graph::new(&sim, &other_token);
    let url = files.put("o.jpg", "image/jpeg", jpeg(1080, 1080));
    let (status, body) = graph
        .post(&format!("{}/media", other.user_id), &[("image_url", &url)])
        .await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 100, Some(33));
    let theirs = other_graph
        .create(&other.user_id, &[("image_url", &url)])
        .await?;
    let (status, body) = graph.get(&theirs, &[("fields", "status_code")]).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 100, Some(33));
    let (status, body) = graph.publish(&user_id, &theirs).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 24, Some(2207006));
    let (status, _) = graph.publish(&other.user_id, &theirs).await?;
    assert_eq!(status, 400);
    let report = sim.inspect();
    assert_eq!(report.total_publishes(), 0);
    assert!(report.account("other").context("other")?.containers.len() == 1);
    Ok(())
}
