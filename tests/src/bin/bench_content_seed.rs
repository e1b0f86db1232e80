//! Prepares (and afterwards removes) what `scripts/bench-content` measures against: an
//! account with an active Instagram connection and one image in its library, the wrk script
//! that schedules a post, and a 50 MB MP4 to upload.
//!
//! `bench-content-seed prepare <api url> <folder>` / `bench-content-seed cleanup`. MongoDB is
//! found through the same `AISTUDIO__...` settings the api was started with.

use std::path::PathBuf;

use aistudio_config::{Settings, Sources};
use aistudio_jobs::store::{ConnectionStatus, Store};
use aistudio_tests::fixtures::{self, Movie};
use aistudio_tests::{ApiClient, connect_instagram};
use anyhow::{Context, bail};
use chrono::Utc;
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let settings = Settings::load_from(&Sources::from_process())?;
    let store = Store::connect(&settings.mongo).await?;
    match args.get(1).map(String::as_str) {
        Some("prepare") => {
            let api = args.get(2).context("api url")?;
            let folder = PathBuf::from(args.get(3).context("output folder")?);
            prepare(&store, api, &folder).await
        }
        Some("cleanup") => {
            let client = mongodb::Client::with_uri_str(
                aistudio_config::ExposeSecret::expose_secret(&settings.mongo.url),
            )
            .await?;
            client.database(&settings.mongo.database).drop().await?;
            Ok(())
        }
        _ => bail!("usage: bench-content-seed prepare <api url> <folder> | cleanup"),
    }
}

async fn prepare(store: &Store, api: &str, folder: &std::path::Path) -> anyhow::Result<()> {
    let client = ApiClient::new(api)
        .sign_up("Bench", "bench@example.com", "benchmark passphrase")
        .await;
    let token = client.token.clone().context("token")?;
    let user_id = client.get("/api/v1/me").await.body["id"]
        .as_str()
        .context("user id")?
        .to_string();
    let connection_id =
        connect_instagram(store, &user_id, "bench.shop", ConnectionStatus::Active).await;
    let media = client
        .upload("bench.jpg", "image/jpeg", fixtures::jpeg(1080, 1080))
        .await;
    let media_id = media.body["id"].as_str().context("media id")?;
    let body = json!({
        "kind": "image",
        "connection_id": connection_id,
        "caption": "Benchmark post #bench @aistudio",
        "items": [{ "media_id": media_id, "alt_text": "a gradient" }],
        "scheduled_at": (Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
        "time_zone": "Europe/Paris",
    });
    let lua = format!(
        "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"Authorization\"] = \"Bearer {token}\"\nwrk.body = [[{body}]]\n"
    );
    std::fs::write(folder.join("post.lua"), lua)?;
    std::fs::write(folder.join("token"), &token)?;
    let video = fixtures::movie(&Movie {
        media_bytes: 50 * 1024 * 1024,
        ..Movie::default()
    });
    std::fs::write(folder.join("video.mp4"), video)?;
    Ok(())
}
