//! A private MongoDB-compatible server (the pinned `secantusd-py` that `scripts/services`
//! installs) on its own port and data folder, which a fault test may stop and start again, and
//! a test may restart requiring authentication (`--auth`, SCRAM) or TLS.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// A running server, stopped when dropped.
#[derive(Debug)]
pub struct MongoServer {
    /// Its port on loopback.
    pub port: u16,
    data: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
}

/// The server executable `scripts/services` installed (`AISTUDIO_STATE_DIR`, else `.state`).
fn executable() -> PathBuf {
    let state = std::env::var("AISTUDIO_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| crate::repo_root().join(".state"));
    state.join("venv/bin/secantusd-py")
}

impl MongoServer {
    /// Starts a server with an empty data folder under `folder`.
    pub async fn start(folder: &std::path::Path) -> Self {
        let data = folder.join("mongo");
        std::fs::create_dir_all(&data).expect("data folder");
        let mut server = Self {
            port: crate::free_port(),
            data,
            args: Vec::new(),
            child: None,
        };
        server.restart().await;
        server
    }

    /// Its URL (retryable writes off, as for the shared local server).
    pub fn url(&self) -> String {
        format!("mongodb://127.0.0.1:{}/?retryWrites=false", self.port)
    }

    /// Stops it cleanly (SIGTERM) and waits until it is gone.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status();
            }
            if tokio::time::timeout(Duration::from_secs(20), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }

    /// Starts it again with `args` added (e.g. `--auth`, or `--tls-cert-file` and
    /// `--tls-key-file`), and with them at every later restart.
    pub async fn restart_with(&mut self, args: &[&str]) {
        self.args = args.iter().map(|a| a.to_string()).collect();
        self.restart().await;
    }

    /// Starts it again on the same port and data, and waits until it accepts connections.
    pub async fn restart(&mut self) {
        self.stop().await;
        let child = Command::new(executable())
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--storage-path")
            .arg(&self.data)
            .args(["--log-level", "WARNING"])
            .args(&self.args)
            // It reads `./secantusd.toml`: run it where there is none.
            .current_dir(&self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("secantusd-py is installed (scripts/services installs it)");
        self.child = Some(child);
        let addr = format!("127.0.0.1:{}", self.port);
        crate::eventually(
            Duration::from_secs(60),
            "the MongoDB-compatible server to listen",
            || {
                let addr = addr.clone();
                async move { tokio::net::TcpStream::connect(addr).await.ok().map(|_| ()) }
            },
        )
        .await;
    }
}
