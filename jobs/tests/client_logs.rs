//! Client calls log their spans (with ids) but never a token, app secret or API key, even at
//! TRACE level and when they fail.
//!
//! A test binary of its own: `tracing` caches per call site whether anyone listens, so a capture
//! installed on one test thread misses events whose call sites another thread saw first.

#[path = "clients/common.rs"]
#[allow(dead_code)]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use aistudio_config::{ExposeSecret, Secret};
use aistudio_jobs::clients::ContainerSpec;
use aistudio_sim::{Effect, Endpoint, FaultRule};
use anyhow::Result;

use crate::common::{Env, jpeg};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut out) = self.0.lock() {
            out.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_the_logs() -> Result<()> {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = Env::start().await?;
    let (token, ig_user_id) = env.token()?;
    let url = env.imgbb.upload(jpeg(640, 640), "log.jpg", None).await?.url;
    let spec = ContainerSpec::Image {
        image_url: url,
        caption: None,
        alt_text: None,
    };
    let container = env
        .graph
        .create_container(&ig_user_id, &token, &spec)
        .await?
        .value;
    env.settle(&container, &token).await?;
    env.sim
        .add_fault(FaultRule::next(Endpoint::MediaPublish, 1, Effect::Drop));
    let _ = env.graph.publish(&ig_user_id, &token, &container).await;
    let long = env.oauth.exchange_long_lived(&token).await;
    let _ = env.oauth.refresh(&token).await;
    let _ = env
        .oauth
        .me(&Secret::from("IGAAbogus-token-123".to_owned()))
        .await;
    assert!(
        long.is_err(),
        "a long-lived token cannot be exchanged again"
    );
    env.sim.stop().await;

    let text = String::from_utf8(captured.0.lock().map(|b| b.clone()).unwrap_or_default())?;
    assert!(
        text.contains(&ig_user_id),
        "spans carry the account id:\n{text}"
    );
    assert!(text.contains("publish"), "{text}");
    for secret in [
        token.expose_secret(),
        "sim-instagram-app-secret",
        "sim-imgbb-key",
        "IGAAbogus-token-123",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} leaked into the logs:\n{text}"
        );
    }
    Ok(())
}
