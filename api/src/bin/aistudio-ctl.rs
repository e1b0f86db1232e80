//! `aistudio-ctl`: operator commands against the configured database.
//!
//! ```text
//! aistudio-ctl grant-role <email> <user|operator|admin>
//! aistudio-ctl rotate-token-keys
//! ```
#![forbid(unsafe_code)]

use std::io::Write;

use aistudio_config::Settings;
use aistudio_jobs::store::Store;
use anyhow::{Context, bail};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load().context("loading settings")?;
    aistudio_jobs::telemetry::init_logging(&settings.log);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let store = Store::connect(&settings.mongo).await?;
    let line = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["grant-role", email, role] => {
            aistudio_jobs::operator::grant_role(&store, email, role).await?
        }
        ["rotate-token-keys"] => {
            let vault = aistudio_jobs::crypto::vault::Vault::new(&settings.security)?;
            aistudio_jobs::operator::rotate_token_keys(&store, &vault).await?
        }
        _ => bail!(
            "usage: aistudio-ctl grant-role <email> <user|operator|admin> | aistudio-ctl rotate-token-keys"
        ),
    };
    writeln!(std::io::stdout(), "{line}")?;
    Ok(())
}
