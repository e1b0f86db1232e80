//! The api and worker binaries started for a test, ready when their `/healthz` answers.

use std::time::Duration;

use crate::{Process, TestEnv, eventually, free_port};

/// A running `aistudio-api`.
#[derive(Debug)]
pub struct Api {
    /// The process.
    pub process: Process,
    /// Base URL of the API.
    pub url: String,
    /// Base URL of its metrics listener.
    pub metrics_url: String,
}

/// A running `aistudio-worker`.
#[derive(Debug)]
pub struct Worker {
    /// The process.
    pub process: Process,
    /// Base URL of its operations listener (`/healthz`, `/readyz`, `/metrics`).
    pub ops_url: String,
}

/// Waits until `url`'s `/healthz` answers 200; panics with the process's output if it exits
/// first or does not answer within 60 s.
async fn wait_healthy(url: &str, process: &mut Process, client: &reqwest::Client) {
    let health = format!("{url}/healthz");
    let answered = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(r) = client.get(&health).send().await
                && r.status().is_success()
            {
                return None;
            }
            if let Some(status) = process.try_exit() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    match answered {
        Ok(None) => {}
        Ok(Some(status)) => panic!(
            "the process serving {url} exited ({status}); output:\n{}",
            process.output()
        ),
        Err(_) => panic!("{health} never answered; output:\n{}", process.output()),
    }
}

impl Api {
    /// Starts the API with this test's environment on free ports.
    pub async fn start(env: &TestEnv) -> Self {
        Self::start_serving(env, "http", &reqwest::Client::new()).await
    }

    /// Starts the API serving HTTPS itself, with the certificate and key `server.tls` names in
    /// `env`; ready once `client`, which must trust that certificate, reads `/healthz`.
    pub async fn start_https(env: &TestEnv, client: &reqwest::Client) -> Self {
        Self::start_serving(env, "https", client).await
    }

    async fn start_serving(env: &TestEnv, scheme: &str, client: &reqwest::Client) -> Self {
        let (port, metrics) = (free_port(), free_port());
        let url = format!("{scheme}://127.0.0.1:{port}");
        let mut vars = env.process_env();
        vars.insert(
            "AISTUDIO__SERVER__LISTEN".into(),
            format!("127.0.0.1:{port}"),
        );
        vars.insert(
            "AISTUDIO__SERVER__METRICS_LISTEN".into(),
            format!("127.0.0.1:{metrics}"),
        );
        vars.insert("AISTUDIO__SERVER__PUBLIC_BASE_URL".into(), url.clone());
        let mut process = Process::spawn("aistudio-api", &vars);
        wait_healthy(&url, &mut process, client).await;
        Self {
            process,
            url,
            metrics_url: format!("http://127.0.0.1:{metrics}"),
        }
    }
}

impl Worker {
    /// Starts a worker with this test's environment on a free ops port.
    pub async fn start(env: &TestEnv) -> Self {
        let port = free_port();
        let mut vars = env.process_env();
        vars.insert(
            "AISTUDIO__WORKER__METRICS_LISTEN".into(),
            format!("127.0.0.1:{port}"),
        );
        let mut process = Process::spawn("aistudio-worker", &vars);
        let ops_url = format!("http://127.0.0.1:{port}");
        wait_healthy(&ops_url, &mut process, &reqwest::Client::new()).await;
        Self { process, ops_url }
    }
}

/// GETs `url` and returns the status and JSON body (Null when the body is not JSON).
pub async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let response = reqwest::get(url).await.expect("request is answered");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// Waits until `url` answers `status`, returning the body.
pub async fn wait_for_status(url: &str, status: u16, timeout: Duration) -> serde_json::Value {
    eventually(timeout, &format!("{url} to answer {status}"), || async {
        let (got, body) = get_json(url).await;
        (got == status).then_some(body)
    })
    .await
}
