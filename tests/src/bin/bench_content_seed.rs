//! Prepares (and afterwards removes) what `scripts/bench-content` measures against: an
//! account with an active Instagram connection and images in its library, the wrk script that
//! schedules a post for it, a second such account with a given number of posts to list, and a
//! 50 MB MP4 to upload.
//!
//! `bench-content-seed prepare <api url> <folder> <posts to list>` / `bench-content-seed
//! cleanup`. MongoDB is found through the same `AISTUDIO__...` settings the api was started
//! with.
//!
//! `bench-content-seed commands <ops url> <file> [since [server cpu seconds]]` counts the MongoDB
//! commands the api sent (its `/metrics`): it saves the counts to `file`, or with `since` prints
//! the commands sent since `file` was saved, per request the api answered meanwhile, and, given
//! the CPU seconds the MongoDB server used meanwhile, that CPU per request and per command.

use std::io::Write;
use std::path::PathBuf;

use aistudio_config::{Settings, Sources};
use aistudio_jobs::store::{ConnectionStatus, Store};
use aistudio_tests::fixtures::{self, Movie};
use aistudio_tests::mongo_commands::CommandCounts;
use aistudio_tests::{ApiClient, connect_instagram};
use anyhow::{Context, bail};
use chrono::Utc;
use futures::StreamExt;
use serde_json::json;

/// Images in the benchmark account's library.
const MEDIA: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("commands") {
        let ops = args.get(2).context("ops url")?;
        let file = PathBuf::from(args.get(3).context("counts file")?);
        let since = match (args.get(4).map(String::as_str), args.get(5)) {
            (None, _) => None,
            (Some("since"), None) => Some(None),
            (Some("since"), Some(cpu)) => Some(Some(cpu.parse().context("server cpu seconds")?)),
            (Some(other), _) => bail!("expected `since`, got `{other}`"),
        };
        return commands(ops, &file, since).await;
    }
    let settings = Settings::load_from(&Sources::from_process())?;
    let store = Store::connect(&settings.mongo).await?;
    match args.get(1).map(String::as_str) {
        Some("prepare") => {
            let api = args.get(2).context("api url")?;
            let folder = PathBuf::from(args.get(3).context("output folder")?);
            let list_posts = args
                .get(4)
                .context("posts in the listed account")?
                .parse()
                .context("posts in the listed account: a number")?;
            prepare(&store, api, &folder, list_posts).await
        }
        Some("cleanup") => {
            let client = mongodb::Client::with_uri_str(
                aistudio_config::ExposeSecret::expose_secret(&settings.mongo.url),
            )
            .await?;
            client.database(&settings.mongo.database).drop().await?;
            Ok(())
        }
        _ => bail!(
            "usage: bench-content-seed prepare <api url> <folder> <posts to list> | cleanup | commands <ops url> <file> [since [server cpu seconds]]"
        ),
    }
}

/// Saves the api's command counts to `file`, or with `since`, prints those sent since `file`
/// was saved, per request the api answered meanwhile, and the server's CPU per request and
/// per command when its CPU seconds over that time are given.
async fn commands(
    ops: &str,
    file: &std::path::Path,
    since: Option<Option<f64>>,
) -> anyhow::Result<()> {
    let metrics = reqwest::get(format!("{ops}/metrics")).await?.text().await?;
    let mut now = CommandCounts::parse(&metrics);
    // Kept beside the commands under a name no command has.
    now.0.insert(ANSWERED.into(), answered(&metrics));
    let Some(server_cpu) = since else {
        std::fs::write(file, serde_json::to_string(&now.0)?)?;
        return Ok(());
    };
    let before = CommandCounts(serde_json::from_str(&std::fs::read_to_string(file)?)?);
    let mut sent = now.since(&before, &CommandCounts::default());
    let requests = sent.0.remove(ANSWERED).unwrap_or(0.0);
    if requests < 1.0 {
        bail!("the api answered no requests");
    }
    writeln!(
        std::io::stdout(),
        "MongoDB commands: {:.0} sent, {} per request ({requests:.0} answered)",
        sent.total(),
        sent.scaled(1.0 / requests)
    )?;
    if let Some(seconds) = server_cpu {
        writeln!(
            std::io::stdout(),
            "MongoDB server CPU: {:.1} ms per request, {:.2} ms per command",
            seconds * 1000.0 / requests,
            seconds * 1000.0 / sent.total().max(1.0)
        )?;
    }
    Ok(())
}

/// The key of the answered requests in a saved count.
const ANSWERED: &str = "http requests answered";

/// Requests the api answered, all routes and statuses (`aistudio_http_requests_total`).
fn answered(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("aistudio_http_requests_total{"))
        .filter_map(|l| l.rsplit_once(' ')?.1.trim().parse::<f64>().ok())
        .sum()
}

/// An account with an active Instagram connection and [`MEDIA`] images in its library.
struct Account {
    client: ApiClient,
    token: String,
    /// A post body scheduling an image, its media id to be filled in.
    template: serde_json::Value,
    media_ids: Vec<String>,
}

impl Account {
    async fn create(store: &Store, api: &str, name: &str, email: &str) -> anyhow::Result<Self> {
        let client = ApiClient::new(api)
            .sign_up(name, email, "benchmark passphrase")
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
        Ok(Self {
            client,
            token,
            template,
            media_ids,
        })
    }

    /// Schedules `count` posts through the api, a few at a time.
    async fn schedule(&self, count: usize) -> anyhow::Result<()> {
        let results: Vec<u16> = futures::stream::iter(0..count)
            .map(|n| {
                let mut body = self.template.clone();
                body["items"][0]["media_id"] = json!(self.media_ids[n % self.media_ids.len()]);
                async move { self.client.post("/api/v1/posts", body).await.status }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        match results.iter().find(|status| **status != 201) {
            Some(status) => bail!("scheduling a post answered HTTP {status}"),
            None => Ok(()),
        }
    }
}

/// Writes to `folder`: `post.lua` (wrk schedules a post per request) and `token` for the writer
/// account, `list-token` for an account with `list_posts` posts already scheduled (the list
/// load reads its first page, so its cost does not depend on how many posts the write load
/// made), and the upload files.
async fn prepare(
    store: &Store,
    api: &str,
    folder: &std::path::Path,
    list_posts: usize,
) -> anyhow::Result<()> {
    let writer = Account::create(store, api, "Bench", "bench@example.com").await?;
    let ids: Vec<String> = writer
        .media_ids
        .iter()
        .map(|id| format!("\"{id}\""))
        .collect();
    let lua = format!(
        "local media = {{{}}}\nlocal n = 0\nwrk.method = \"POST\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"Authorization\"] = \"Bearer {}\"\n\
         local template = [[{}]]\n\
         request = function()\n  n = n + 1\n  local body = template:gsub(\"MEDIA_ID\", media[n % #media + 1])\n  \
         return wrk.format(nil, nil, nil, body)\nend\n",
        ids.join(", "),
        writer.token,
        writer.template
    );
    std::fs::write(folder.join("post.lua"), lua)?;
    std::fs::write(folder.join("token"), &writer.token)?;
    let reader = Account::create(store, api, "Bench reader", "reader@example.com").await?;
    reader.schedule(list_posts).await?;
    std::fs::write(folder.join("list-token"), &reader.token)?;
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

#[cfg(test)]
mod tests {
    use super::answered;

    #[test]
    fn answered_requests_sum_every_route_and_status() {
        let metrics = "# TYPE aistudio_http_requests_total counter\n\
            aistudio_http_requests_total{route=\"/api/v1/posts\",method=\"POST\",status=\"201\"} 1150\n\
            aistudio_http_requests_total{route=\"/api/v1/posts\",method=\"POST\",status=\"422\"} 6\n\
            aistudio_http_request_duration_seconds_count{route=\"/api/v1/posts\"} 99\n\
            aistudio_mongo_commands_total{command=\"find\",collection=\"posts\"} 40\n";
        assert_eq!(answered(metrics), 1156.0);
    }
}
