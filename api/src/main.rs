//! `aistudio-api`: loads settings and runs the API.
#![forbid(unsafe_code)]

use aistudio_config::Settings;
use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load().context("loading settings")?;
    aistudio_jobs::telemetry::init_logging(&settings.log);
    let listener = tokio::net::TcpListener::bind(settings.server.listen)
        .await
        .with_context(|| format!("binding {}", settings.server.listen))?;
    aistudio_api::run(settings, listener, aistudio_jobs::shutdown::signal()).await?;
    Ok(())
}
