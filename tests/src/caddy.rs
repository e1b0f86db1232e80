//! Caddy (Debian's `caddy`; `scripts/services start` installs it) running the project's own
//! `deploy/caddy/Caddyfile` in front of an api: host `localhost`, free ports, Caddy's local
//! certificate authority (`tls internal`) in a data folder of its own.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{Process, eventually, free_port, repo_root};

/// A running Caddy.
#[derive(Debug)]
pub struct Caddy {
    /// The process.
    pub process: Process,
    /// `https://localhost:<port>`.
    pub https_url: String,
    /// `http://localhost:<port>`, which redirects to HTTPS.
    pub http_url: String,
    dir: PathBuf,
}

impl Caddy {
    /// Starts Caddy in front of `upstream` (the api's plain-HTTP `host:port`); ready once the
    /// api's `/healthz` answers through it.
    pub async fn start(upstream: &str) -> Self {
        let installed = std::process::Command::new("caddy").arg("version").output();
        assert!(
            installed.is_ok_and(|out| out.status.success()),
            "caddy is not installed: these tests run Debian's caddy package with \
             deploy/caddy/Caddyfile; `scripts/services start` installs it (apt-get install caddy)"
        );
        let dir =
            std::env::temp_dir().join(format!("aistudio-caddy-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("caddy folder");
        let (http, https) = (free_port(), free_port());
        let home = dir.display().to_string();
        let env = BTreeMap::from(
            [
                ("HOME", home.clone()),
                ("XDG_DATA_HOME", format!("{home}/data")),
                ("XDG_CONFIG_HOME", format!("{home}/config")),
                ("AISTUDIO_DOMAIN", "localhost".into()),
                ("AISTUDIO_TLS", "internal".into()),
                ("AISTUDIO_UPSTREAM", upstream.into()),
                ("CADDY_HTTP_PORT", http.to_string()),
                ("CADDY_HTTPS_PORT", https.to_string()),
                ("CADDY_ADMIN", format!("127.0.0.1:{}", free_port())),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        let caddyfile = repo_root().join("deploy/caddy/Caddyfile");
        let process = Process::spawn_program(
            "caddy",
            Path::new("caddy"),
            &[
                "run",
                "--adapter",
                "caddyfile",
                "--config",
                &caddyfile.display().to_string(),
            ],
            &env,
        );
        let caddy = Self {
            process,
            https_url: format!("https://localhost:{https}"),
            http_url: format!("http://localhost:{http}"),
            dir,
        };
        let health = format!("{}/healthz", caddy.https_url);
        eventually(Duration::from_secs(30), "the api through caddy", || async {
            let client = caddy.root().is_some().then(|| caddy.client(local()))?;
            let response = client.get(&health).send().await.ok()?;
            response.status().is_success().then_some(())
        })
        .await;
        caddy
    }

    /// Caddy's local certificate authority, once Caddy has made it.
    fn root(&self) -> Option<reqwest::Certificate> {
        let pem = self.dir.join("data/caddy/pki/authorities/local/root.crt");
        let pem = std::fs::read(pem).ok()?;
        reqwest::Certificate::from_pem(&pem).ok()
    }

    /// A client trusting only Caddy's local authority, following no redirects, connecting to
    /// `localhost` at 127.0.0.1 from the loopback address `from` (so each client is told apart
    /// from Caddy itself, which reaches the api from 127.0.0.1).
    pub fn client(&self, from: IpAddr) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(self.root().expect("caddy's local authority"))
            .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], 0)))
            .local_address(from)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds")
    }
}

/// 127.0.0.1.
fn local() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
