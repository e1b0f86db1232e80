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

/// Images in the benchmark account's library.
const MEDIA: usize = 50;

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
    // Posts rotate over a library of images, as a real account's posts do: every scheduled
    // post pins its media, and one image pinned by every post would be one hot document.
    let mut media_ids = Vec::new();
    for i in 0..MEDIA {
        let reply = client
            .upload(
                &format!("bench{i}.jpg"),
                "image/jpeg",
                fixtures::jpeg(1080, 1080),
            )
            .await;
        media_ids.push(reply.body["id"].as_str().context("media id")?.to_string());
    }
    let template = json!({
        "kind": "image",
        "connection_id": connection_id,
        "caption": "Benchmark post #bench @aistudio",
        "items": [{ "media_id": "MEDIA_ID", "alt_text": "a gradient" }],
        "scheduled_at": (Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
        "time_zone": "Europe/Paris",
    });
    let ids: Vec<String> = media_ids.iter().map(|id| format!("\"{id}\"")).collect();
    let lua = format!(
        "local media = {{{}}}\nlocal n = 0\nwrk.method = \"POST\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n\
         local template = [[{template}]]\n\
         request = function()\n  n = n + 1\n  local body = template:gsub(\"MEDIA_ID\", media[n % #media + 1])\n  \
         return wrk.format(nil, nil, nil, body)\nend\n",
        ids.join(", ")
    );
    std::fs::write(folder.join("post.lua"), lua)?;
    std::fs::write(folder.join("token"), &token)?;
    let video = fixtures::movie(&Movie {
        media_bytes: 50 * 1024 * 1024,
        ..Movie::default()
    });
    std::fs::write(folder.join("video.mp4"), video)?;
    // The largest images accepted by default (media.max_image_pixels = 50,000,000): the worst
    // case of an image check (full decode, scaled to media.max_image_side, encoded as JPEG).
    std::fs::write(folder.join("largest.png"), fixtures::png(7071, 7071, false))?;
    std::fs::write(folder.join("largest.jpg"), fixtures::jpeg(7071, 7071))?;
    Ok(())
}
