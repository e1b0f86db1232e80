//! A private redis-server for tests that stop and restart Redis, or need one of their own
//! configuration (users and passwords, TLS).

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// A persistent server's log file, in its folder.
const LOG: &str = "redis.log";

/// Warnings Redis logs on every start: not news.
const STARTUP_WARNINGS: [&str; 5] = [
    "Redis is starting",
    "Redis version=",
    "Configuration loaded",
    "Server initialized",
    "WARNING",
];

/// A redis-server on its own port, killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    /// Its port.
    pub port: u16,
    /// Where it keeps an append-only file, if it persists (as production Redis does).
    persist_in: Option<std::path::PathBuf>,
    /// Further `redis-server` arguments.
    args: Vec<String>,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a throwaway redis-server on a free port and waits until it answers.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts one with further `redis-server` arguments (`--aclfile FILE`, `--requirepass`,
    /// `--tls-port` with its files, ...), which stay for every restart.
    pub async fn start_with(args: &[&str]) -> Self {
        let mut server = Self {
            port: crate::free_port(),
            persist_in: None,
            args: args.iter().map(|a| a.to_string()).collect(),
            child: None,
        };
        server.restart().await;
        server
    }

    /// Starts one that keeps an append-only file in `folder` (fsync every second), so a
    /// restart keeps what it held, up to the last second.
    pub async fn start_persistent(folder: &std::path::Path) -> Self {
        let dir = folder.join("redis");
        std::fs::create_dir_all(&dir).expect("redis folder");
        let mut server = Self {
            port: crate::free_port(),
            persist_in: Some(dir),
            args: Vec::new(),
            child: None,
        };
        server.restart().await;
        server
    }

    /// What a persistent server warned of at run time (a slow disk, fork or load), and each
    /// time it was ready after a start, from its log across restarts, without the warnings
    /// every start repeats.
    pub fn warnings(&self) -> Vec<String> {
        let Some(dir) = &self.persist_in else {
            return Vec::new();
        };
        let log = std::fs::read_to_string(dir.join(LOG)).unwrap_or_default();
        log.lines()
            .filter(|line| line.contains(" # ") || line.contains("Ready to accept connections"))
            .filter(|line| !STARTUP_WARNINGS.iter().any(|w| line.contains(w)))
            .map(str::to_string)
            .collect()
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops it (SIGKILL, like a crash) and waits until it is gone.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts it again on the same port: empty, unless it persists.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut command = Command::new("redis-server");
        command
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", ""]);
        match &self.persist_in {
            Some(dir) => command
                .args(["--appendonly", "yes", "--appendfsync", "everysec", "--dir"])
                .arg(dir)
                .arg("--logfile")
                .arg(dir.join(LOG)),
            None => command.args(["--appendonly", "no"]),
        };
        command.args(&self.args);
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is installed (scripts/services installs it)");
        self.child = Some(child);
        let addr = format!("127.0.0.1:{}", self.port);
        crate::eventually(Duration::from_secs(10), "redis-server to listen", || {
            let addr = addr.clone();
            async move { tokio::net::TcpStream::connect(addr).await.ok().map(|_| ()) }
        })
        .await;
    }
}
