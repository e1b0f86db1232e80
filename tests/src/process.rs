//! Spawning the real binaries, with their output saved per test, and stopping them the way an
//! orchestrator would (SIGTERM) or the way a crash would (SIGKILL).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::env::repo_root;

/// Path of a workspace binary, built (once per test run) if it is missing or stale.
pub fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/it-<hash> (tests) or target/<profile>/<bin> (harness binaries)
    // -> target/<profile>/<name>
    let dir = exe.parent().expect("binary path");
    let profile = if dir.ends_with("deps") {
        dir.parent().expect("binary path")
    } else {
        dir
    };
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut args = vec!["build", "--quiet", "--workspace", "--bins"];
        // The benchmarks run release builds of the binaries they start.
        if profile.ends_with("release") {
            args.push("--release");
        }
        let mut command = std::process::Command::new(cargo);
        // `cargo test` describes the test's own package in these; a build script that tracks
        // them (ring's does) would rebuild everything after it at every switch between this
        // build and one from a shell.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_MANIFEST_") {
                command.env_remove(name.as_ref());
            }
        }
        let status = command
            .current_dir(repo_root())
            .args(args)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the binaries failed");
    });
    profile.join(name)
}

/// A running child process, killed when dropped.
#[derive(Debug)]
pub struct Process {
    child: Child,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl Process {
    /// Starts binary `name` with exactly `env` added to a clean `PATH`-only environment.
    pub fn spawn(name: &str, env: &BTreeMap<String, String>) -> Self {
        Self::spawn_program(name, &binary(name), &[], env)
    }

    /// Starts `program` (a path, or a command found on `PATH`) with `args`, and with exactly
    /// `env` added to a clean `PATH`-only environment; its log is named after `name`.
    pub fn spawn_program(
        name: &str,
        program: &Path,
        args: &[&str],
        env: &BTreeMap<String, String>,
    ) -> Self {
        let logs = repo_root().join("target/test-logs");
        std::fs::create_dir_all(&logs).expect("log folder");
        let log = logs.join(format!(
            "{name}-{}.log",
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .get(..8)
                .unwrap_or("x")
        ));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file handle");
        let child = Command::new(program)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {name}: {e}"));
        Self { child, log }
    }

    /// The OS process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("process is running")
    }

    /// Sends a signal (`TERM`, `KILL`, ...).
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit, or panics after `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status.expect("wait succeeds"),
            Err(_) => panic!(
                "process did not exit within {timeout:?}; log: {}",
                self.output()
            ),
        }
    }

    /// How it exited, if it has (without waiting).
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
