//! Shared set-up: a simulator, settings pointing at it, the clients with short timeouts, media
//! fixtures and a throwaway file server for videos (ImgBB only takes images).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aistudio_config::{Secret, Settings, Sources};
use aistudio_jobs::clients::{
    ContainerId, ContainerStatus, GraphClient, HttpOptions, ImgbbClient, InstagramOAuth,
    StatusCode, build_client,
};
use aistudio_sim::{InstagramConfig, SimConfig, SimHandle, Simulator, TokenKind};
use anyhow::{Context, Result, bail};

/// Client timeouts for tests: short, so timeout faults cost about a second.
pub const OPTIONS: HttpOptions = HttpOptions {
    connect_timeout: Duration::from_secs(1),
    request_timeout: Duration::from_secs(1),
    upload_timeout: Duration::from_secs(2),
};

/// The default simulated account.
pub const ACCOUNT: &str = "aistudio_demo";

/// A simulator and the product's clients pointed at it.
pub struct Env {
    pub sim: SimHandle,
    pub oauth: InstagramOAuth,
    pub graph: GraphClient,
    pub imgbb: ImgbbClient,
}

/// Simulator config for tests: seeded, timeout faults hold requests 5 s at most.
pub fn sim_config() -> SimConfig {
    SimConfig {
        seed: Some(7),
        hang_ms: 5_000,
        instagram: InstagramConfig::default(),
        ..SimConfig::default()
    }
}

impl Env {
    /// A fresh simulator with the default config and clients using its base URLs.
    pub async fn start() -> Result<Self> {
        Self::start_with(sim_config(), &[]).await
    }

    /// A fresh simulator with `config`; `overrides` are extra `AISTUDIO__...` variables.
    pub async fn start_with(config: SimConfig, overrides: &[(&str, &str)]) -> Result<Self> {
        let sim = Simulator::start(config).await?;
        let settings = settings_for(&sim, overrides)?;
        let http = build_client(&OPTIONS)?;
        Ok(Self {
            oauth: InstagramOAuth::new(http.clone(), &settings)?,
            graph: GraphClient::new(http.clone(), &settings.instagram)?,
            imgbb: ImgbbClient::new(http, &settings.imgbb, &OPTIONS)?,
            sim,
        })
    }

    /// A long-lived token of the default account, and its professional id.
    pub fn token(&self) -> Result<(Secret, String)> {
        let issued = self
            .sim
            .issue_instagram_token(ACCOUNT, TokenKind::LongLived)?;
        Ok((Secret::from(issued.access_token), issued.user_id))
    }

    /// Polls a container, moving the simulated clock on, until it leaves `IN_PROGRESS`.
    pub async fn settle(&self, id: &ContainerId, token: &Secret) -> Result<ContainerStatus> {
        for _ in 0..200 {
            let status = self.graph.container_status(id, token).await?.value;
            if status.status_code != StatusCode::InProgress {
                return Ok(status);
            }
            self.sim.advance_clock(Duration::from_millis(500));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bail!("container {id} stayed IN_PROGRESS")
    }

    /// Uploads a JPEG to the simulated ImgBB and returns its direct URL.
    pub async fn image_url(&self, name: &str) -> Result<String> {
        Ok(self.imgbb.upload(jpeg(1080, 1080), name, None).await?.url)
    }
}

/// Settings loaded the way processes load them, with the simulator's base URLs.
pub fn settings_for(sim: &SimHandle, overrides: &[(&str, &str)]) -> Result<Settings> {
    let urls = sim.urls();
    let mut env: HashMap<String, String> = [
        (
            "AISTUDIO__INSTAGRAM__OAUTH_BASE_URL",
            urls.instagram.as_str(),
        ),
        (
            "AISTUDIO__INSTAGRAM__API_BASE_URL",
            urls.instagram_api.as_str(),
        ),
        ("AISTUDIO__INSTAGRAM__GRAPH_BASE_URL", urls.graph.as_str()),
        ("AISTUDIO__INSTAGRAM__CLIENT_ID", "990000000000001"),
        (
            "AISTUDIO__INSTAGRAM__CLIENT_SECRET",
            "sim-instagram-app-secret",
        ),
        ("AISTUDIO__IMGBB__BASE_URL", urls.imgbb.as_str()),
        ("AISTUDIO__IMGBB__API_KEY", "sim-imgbb-key"),
        ("AISTUDIO__IMGBB__EXPIRATION_SECS", "600"),
        (
            "AISTUDIO__SERVER__PUBLIC_BASE_URL",
            "http://127.0.0.1:18080",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in overrides {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    Ok(Settings::load_from(&Sources {
        env,
        ..Sources::default()
    })?)
}

/// A JPEG header whose start-of-frame says `w` x `h`, padded to look like an image.
pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    bytes.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    bytes.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    bytes.extend_from_slice(&h.to_be_bytes());
    bytes.extend_from_slice(&w.to_be_bytes());
    bytes.extend_from_slice(&[0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    bytes.extend(std::iter::repeat_n(0x55u8, 200));
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// A PNG header (ImgBB takes it, Instagram refuses it).
pub fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend_from_slice(&[0, 0, 4, 0, 0, 0, 4, 0, 8, 2, 0, 0, 0]);
    bytes.extend(std::iter::repeat_n(0u8, 64));
    bytes
}

/// The start of an MP4 file (an `ftyp` box).
pub fn mp4() -> Vec<u8> {
    let mut bytes = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    bytes.extend(std::iter::repeat_n(0u8, 512));
    bytes
}

type Files = Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>;

/// A minimal HTTP/1.1 file server standing in for the product's signed media URLs.
pub struct FileServer {
    base: String,
    files: Files,
}

impl FileServer {
    /// Starts serving on a random loopback port (a thread that lives as long as the test).
    pub fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let files: Files = Arc::default();
        let served = Arc::clone(&files);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let served = Arc::clone(&served);
                std::thread::spawn(move || serve(stream, &served));
            }
        });
        Ok(Self { base, files })
    }

    /// Publishes `bytes` at a URL and returns it.
    pub fn put(&self, name: &str, content_type: &str, bytes: Vec<u8>) -> Result<String> {
        self.files
            .lock()
            .map_err(|_| anyhow::anyhow!("file table poisoned"))?
            .insert(name.to_owned(), (content_type.to_owned(), bytes));
        Ok(format!("{}/files/{name}", self.base))
    }
}

fn serve(mut stream: std::net::TcpStream, files: &Files) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("/");
    let name = path.strip_prefix("/files/").unwrap_or("");
    let found = files.lock().ok().and_then(|f| f.get(name).cloned());
    let (status, content_type, body) = match found {
        Some((ct, bytes)) => ("200 OK", ct, bytes),
        None => (
            "404 Not Found",
            "text/plain".to_owned(),
            b"not found".to_vec(),
        ),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(header.as_bytes());
    let _ = stream.write_all(&body);
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Result<String> {
    let url = url::Url::parse(url)?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .with_context(|| format!("no {name} in {url}"))
}
