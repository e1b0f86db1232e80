//! `aistudio-worker`: loads settings and runs a worker process.
#![forbid(unsafe_code)]

use aistudio_config::Settings;
use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load().context("loading settings")?;
    aistudio_jobs::telemetry::init_logging(&settings.log);
    aistudio_worker::run(settings, aistudio_jobs::shutdown::signal()).await?;
    Ok(())
}
