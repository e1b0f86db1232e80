//! The account's media and story lists: newest first, `fields` selection, cursor paging,
//! Instagram's timestamp format, stories apart and only for a day, a list that lags, and a
//! publish that answered an error but happened.

use std::time::Duration;

use aistudio_sim::{Effect, Endpoint, FaultRule, SettingsPatch};
use anyhow::{Context, Result};
use serde_json::Value;

use crate::common::{FileServer, Graph, assert_graph_error, client, jpeg, sim, token};

const FIELDS: &str = "id,caption,media_type,media_product_type,timestamp,permalink";

/// `2026-12-01T22:04:00+0000`.
fn is_graph_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && text.ends_with("+0000")
}

fn captions(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|m| m["caption"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Publishes an image with `caption`, one simulated second after the previous publish.
async fn publish_image(
    graph: &Graph,
    sim: &aistudio_sim::SimHandle,
    user_id: &str,
    url: &str,
    caption: &str,
) -> Result<String> {
    sim.advance_clock(Duration::from_secs(1));
    let id = graph
        .create(user_id, &[("image_url", url), ("caption", caption)])
        .await?;
    let (status, body) = graph.publish(user_id, &id).await?;
    assert_eq!(status, 200, "{body}");
    Ok(body["id"].as_str().context("media id")?.to_owned())
}

#[tokio::test]
async fn media_and_stories_are_listed_newest_first_in_cursor_pages() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    let url = files.put("a.jpg", "image/jpeg", jpeg(1080, 1080));
    publish_image(&graph, &sim, &user_id, &url, "one").await?;
    publish_image(&graph, &sim, &user_id, &url, "two").await?;
    sim.advance_clock(Duration::from_secs(1));
    let item1 = graph
        .create(
            &user_id,
            &[("is_carousel_item", "true"), ("image_url", &url)],
        )
        .await?;
    let item2 = graph
        .create(
            &user_id,
            &[("is_carousel_item", "true"), ("image_url", &url)],
        )
        .await?;
    let children = format!("{item1},{item2}");
    let carousel = graph
        .create(
            &user_id,
            &[
                ("media_type", "CAROUSEL"),
                ("children", &children),
                ("caption", "three"),
            ],
        )
        .await?;
    assert_eq!(graph.publish(&user_id, &carousel).await?.0, 200);
    sim.advance_clock(Duration::from_secs(1));
    let story = graph
        .create(&user_id, &[("media_type", "STORIES"), ("image_url", &url)])
        .await?;
    let (status, body) = graph.publish(&user_id, &story).await?;
    assert_eq!(status, 200, "{body}");
    let story_media = body["id"].as_str().context("story media id")?.to_owned();
    let newest = publish_image(&graph, &sim, &user_id, &url, "four").await?;

    // First page: the two newest feed media, every requested field, Instagram's timestamps.
    let media = format!("{user_id}/media");
    let (status, first) = graph
        .get(&media, &[("fields", FIELDS), ("limit", "2")])
        .await?;
    assert_eq!(status, 200, "{first}");
    assert_eq!(captions(&first), ["four", "three"]);
    let top = &first["data"][0];
    assert_eq!(top["id"], newest.as_str());
    assert_eq!(top["media_type"], "IMAGE");
    assert_eq!(top["media_product_type"], "FEED");
    assert_eq!(first["data"][1]["media_type"], "CAROUSEL_ALBUM");
    let stamp = top["timestamp"].as_str().context("timestamp")?;
    assert!(is_graph_timestamp(stamp), "{stamp}");
    assert!(
        top["permalink"]
            .as_str()
            .is_some_and(|p| p.starts_with(&sim.urls().instagram)),
        "{top}"
    );
    let (_, single) = graph.get(&newest, &[("fields", "timestamp")]).await?;
    assert_eq!(single["timestamp"], stamp);
    let cursors = &first["paging"]["cursors"];
    assert!(cursors["before"].is_string() && cursors["after"].is_string());
    assert!(first["paging"].get("previous").is_none(), "{first}");
    let next = first["paging"]["next"].as_str().context("next")?;

    // `next` is a complete URL (the token given in the query is repeated): the last page.
    let second: Value = client().get(next).send().await?.json().await?;
    assert_eq!(captions(&second), ["two", "one"]);
    assert!(second["paging"].get("next").is_none(), "{second}");
    assert!(second["paging"]["previous"].is_string(), "{second}");
    let stamps: Vec<&str> = first["data"]
        .as_array()
        .into_iter()
        .chain(second["data"].as_array())
        .flatten()
        .filter_map(|m| m["timestamp"].as_str())
        .collect();
    assert_eq!(stamps.len(), 4);
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "{stamps:?}");

    // The same pages through the cursors; `before` goes back.
    let after = cursors["after"].as_str().context("after")?;
    let (_, by_cursor) = graph
        .get(
            &media,
            &[("fields", "caption"), ("limit", "2"), ("after", after)],
        )
        .await?;
    assert_eq!(captions(&by_cursor), ["two", "one"]);
    let before = by_cursor["paging"]["cursors"]["before"]
        .as_str()
        .context("before")?;
    let (_, back) = graph
        .get(&media, &[("fields", "caption"), ("before", before)])
        .await?;
    assert_eq!(captions(&back), ["four", "three"]);

    // Only the fields asked for; the default page holds everything.
    let (_, ids_only) = graph.get(&media, &[("fields", "id")]).await?;
    let items = ids_only["data"].as_array().context("data")?;
    assert_eq!(items.len(), 4, "carousel items and stories are not listed");
    assert!(
        items
            .iter()
            .all(|m| m.as_object().is_some_and(|o| o.len() == 1))
    );
    let (status, body) = graph.get(&media, &[("limit", "many")]).await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 100, None);

    // Stories have their own list, for a day.
    let stories = format!("{user_id}/stories");
    let (status, listed) = graph.get(&stories, &[("fields", FIELDS)]).await?;
    assert_eq!(status, 200, "{listed}");
    let data = listed["data"].as_array().context("data")?;
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], story_media.as_str());
    assert_eq!(data[0]["media_type"], "IMAGE");
    assert_eq!(data[0]["media_product_type"], "STORY");
    sim.advance_clock(Duration::from_secs(25 * 3600));
    let (_, expired) = graph.get(&stories, &[]).await?;
    assert_eq!(expired, serde_json::json!({ "data": [] }));
    let (_, still) = graph.get(&media, &[("fields", "id")]).await?;
    assert_eq!(still["data"].as_array().map(Vec::len), Some(4));
    Ok(())
}

#[tokio::test]
async fn a_publish_that_answered_an_error_is_listed_once_the_list_catches_up() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    sim.update_settings(&SettingsPatch {
        media_list_lag_ms: Some(3_000),
        ..SettingsPatch::default()
    });
    // The documented ambiguous case: the publish happens, the answer is an error.
    sim.add_fault(
        FaultRule::next(
            Endpoint::MediaPublish,
            1,
            Effect::GraphError {
                code: 4,
                subcode: Some(2207051),
                http_status: None,
                is_transient: false,
                message: None,
            },
        )
        .after_success(),
    );
    let url = files.put("a.jpg", "image/jpeg", jpeg(1080, 1080));
    let id = graph
        .create(&user_id, &[("image_url", &url), ("caption", "maybe")])
        .await?;
    let (status, body) = graph.publish(&user_id, &id).await?;
    assert_eq!(status, 400, "{body}");
    assert_graph_error(&body, 4, Some(2207051));
    assert_eq!(graph.status(&id).await?, "PUBLISHED");

    let media = format!("{user_id}/media");
    let (status, lagging) = graph.get(&media, &[("fields", FIELDS)]).await?;
    assert_eq!(status, 200);
    assert_eq!(lagging, serde_json::json!({ "data": [] }));

    sim.advance_clock(Duration::from_secs(3));
    let (_, caught_up) = graph.get(&media, &[("fields", FIELDS)]).await?;
    let report = sim.inspect();
    let account = report.account(&user_id).context("account")?;
    assert_eq!(account.publishes.len(), 1);
    let published = &account.publishes[0];
    let listed = caught_up["data"].as_array().context("data")?;
    assert_eq!(listed.len(), 1, "{caught_up}");
    assert_eq!(listed[0]["id"], published.media_id.as_str());
    assert_eq!(listed[0]["caption"], "maybe");
    assert_eq!(
        report.calls.get("media_list").copied(),
        Some(2),
        "both list calls were counted"
    );
    Ok(())
}
