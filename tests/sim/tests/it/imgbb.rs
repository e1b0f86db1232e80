//! ImgBB uploads in the three forms, served bytes, expiry, and errors.

use std::time::Duration;

use aistudio_sim::{ImgbbConfig, NumberStyle, SettingsPatch, SimHandle, Simulator};
use anyhow::{Context, Result};
use base64::Engine;
use serde_json::Value;

use crate::common::{FileServer, Graph, assert_graph_error, client, config, jpeg, png, sim, token};

fn upload_url(sim: &SimHandle) -> String {
    format!("{}/1/upload", sim.urls().imgbb)
}

fn key(sim: &SimHandle) -> String {
    sim.config().imgbb.api_key.clone()
}

async fn fetch(url: &str) -> Result<(u16, Option<String>, Vec<u8>)> {
    let response = client().get(url).send().await?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((status, content_type, response.bytes().await?.to_vec()))
}

fn assert_error(body: &Value, code: i64) {
    assert_eq!(body["status_code"], 400, "{body}");
    assert_eq!(body["status_txt"], "Bad Request", "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn multipart_upload_is_served_back() -> Result<()> {
    let sim = sim().await?;
    let image = jpeg(640, 480);
    let form = reqwest::multipart::Form::new()
        .text("key", key(&sim))
        .text("name", "holiday")
        .part(
            "image",
            reqwest::multipart::Part::bytes(image.clone()).file_name("photo.jpg"),
        );
    let response = client()
        .post(upload_url(&sim))
        .multipart(form)
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await?;
    assert_eq!(body["success"], true);
    assert_eq!(body["status"], 200);
    let data = &body["data"];
    for field in [
        "id",
        "title",
        "url_viewer",
        "url",
        "display_url",
        "delete_url",
    ] {
        assert!(data[field].is_string(), "{field} in {body}");
    }
    assert_eq!(data["title"], "holiday");
    assert_eq!(data["width"], "640");
    assert_eq!(data["height"], "480");
    assert_eq!(data["size"], image.len().to_string());
    assert_eq!(data["expiration"], "0");
    assert_eq!(data["image"]["mime"], "image/jpeg");
    assert!(data["thumb"]["url"].is_string() && data["medium"]["url"].is_string());
    let url = data["url"].as_str().context("url")?;
    assert!(url.starts_with(&sim.urls().imgbb) && url.ends_with(".jpg"));
    let (status, content_type, bytes) = fetch(url).await?;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(bytes, image);
    let (status, _, _) = fetch(data["url_viewer"].as_str().context("viewer")?).await?;
    assert_eq!(status, 200);
    // The delete link stops serving it.
    let (status, _, _) = fetch(data["delete_url"].as_str().context("delete")?).await?;
    assert_eq!(status, 200);
    assert_eq!(fetch(url).await?.0, 404);
    Ok(())
}

#[tokio::test]
async fn base64_and_url_uploads() -> Result<()> {
    let sim = sim().await?;
    let files = FileServer::start().await?;
    let image = png();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&image);
    let response = client()
        .post(format!("{}?key={}", upload_url(&sim), key(&sim)))
        .form(&[("image", encoded.as_str())])
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await?;
    let url = body["data"]["url"].as_str().context("url")?;
    assert!(url.ends_with(".png"));
    let (_, content_type, bytes) = fetch(url).await?;
    assert_eq!(content_type.as_deref(), Some("image/png"));
    assert_eq!(bytes, image);
    let source = files.put("source.jpg", "image/jpeg", jpeg(100, 100));
    let response = client()
        .post(upload_url(&sim))
        .form(&[("key", key(&sim).as_str()), ("image", source.as_str())])
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await?;
    assert_eq!(body["data"]["title"], "source");
    let (_, _, bytes) = fetch(body["data"]["url"].as_str().context("url")?).await?;
    assert_eq!(bytes, jpeg(100, 100));
    assert_eq!(sim.inspect().imgbb_uploads.len(), 2);
    Ok(())
}

#[tokio::test]
async fn upload_errors() -> Result<()> {
    let sim = Simulator::start(aistudio_sim::SimConfig {
        imgbb: ImgbbConfig {
            max_upload_bytes: 1000,
            ..ImgbbConfig::default()
        },
        ..config()
    })
    .await?;
    let key = key(&sim);
    let small = base64::engine::general_purpose::STANDARD.encode(jpeg(10, 10));
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0xFFu8; 2000]);
    let not_image = base64::engine::general_purpose::STANDARD.encode(b"plain text, not an image");
    let cases: Vec<(Vec<(&str, &str)>, i64)> = vec![
        (vec![("key", "wrong"), ("image", &small)], 100),
        (vec![("image", &small)], 100),
        (vec![("key", &key)], 130),
        (vec![("key", &key), ("image", "%%%not base64%%%")], 310),
        (vec![("key", &key), ("image", &not_image)], 310),
        (vec![("key", &key), ("image", &big)], 313),
        (
            vec![("key", &key), ("image", &small), ("expiration", "59")],
            100,
        ),
        (
            vec![("key", &key), ("image", &small), ("expiration", "15552001")],
            100,
        ),
        (
            vec![("key", &key), ("image", "http://127.0.0.1:1/x.jpg")],
            310,
        ),
    ];
    for (form, code) in cases {
        let response = client().post(upload_url(&sim)).form(&form).send().await?;
        assert_eq!(response.status(), 400, "{form:?}");
        assert_error(&response.json().await?, code);
    }
    assert!(sim.inspect().imgbb_uploads.is_empty());
    Ok(())
}

#[tokio::test]
async fn expired_uploads_stop_being_served_and_instagram_cannot_fetch_them() -> Result<()> {
    let sim = sim().await?;
    sim.update_settings(&SettingsPatch {
        imgbb_number_style: Some(NumberStyle::Number),
        ..SettingsPatch::default()
    });
    let encoded = base64::engine::general_purpose::STANDARD.encode(jpeg(1080, 1080));
    let response = client()
        .post(upload_url(&sim))
        .form(&[
            ("key", key(&sim).as_str()),
            ("image", encoded.as_str()),
            ("expiration", "600"),
        ])
        .send()
        .await?;
    let body: Value = response.json().await?;
    assert_eq!(body["data"]["expiration"], 600);
    assert_eq!(body["data"]["width"], 1080);
    let url = body["data"]["url"].as_str().context("url")?.to_owned();
    let (token, user_id) = token(&sim)?;
    let graph = Graph::new(&sim, &token);
    graph.create(&user_id, &[("image_url", &url)]).await?;
    sim.advance_clock(Duration::from_secs(601));
    assert_eq!(fetch(&url).await?.0, 404);
    let (status, body) = graph
        .post(&format!("{user_id}/media"), &[("image_url", &url)])
        .await?;
    assert_eq!(status, 400);
    assert_graph_error(&body, 9004, Some(2207052));
    assert!(!sim.inspect().imgbb_uploads[0].live);
    Ok(())
}
