//! `aistudio-sim`: runs the simulator until SIGTERM or Ctrl-C.
//!
//! Usage: `aistudio-sim [--listen 127.0.0.1:8090] [--config sim.toml|sim.json]
//! [--public-base-url http://sim:8090] [--seed N] [--smtp-listen 127.0.0.1:9225]`. The same
//! settings can come from `AISTUDIO_SIM_LISTEN`, `AISTUDIO_SIM_CONFIG`,
//! `AISTUDIO_SIM_PUBLIC_BASE_URL`, `AISTUDIO_SIM_SEED` and `AISTUDIO_SIM_SMTP_LISTEN`; flags
//! win over environment, which wins over the config file. Without an SMTP address (flag,
//! environment or `smtp.listen`) there is no SMTP server.

#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use aistudio_sim::{SimConfig, Simulator};
use anyhow::{Context, bail};

/// Default address of the binary (the library defaults to a random port).
const DEFAULT_LISTEN: &str = "127.0.0.1:8090";

#[derive(Default)]
struct Args {
    listen: Option<String>,
    config: Option<PathBuf>,
    public_base_url: Option<String>,
    seed: Option<String>,
    smtp_listen: Option<String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        listen: std::env::var("AISTUDIO_SIM_LISTEN").ok(),
        config: std::env::var_os("AISTUDIO_SIM_CONFIG").map(PathBuf::from),
        public_base_url: std::env::var("AISTUDIO_SIM_PUBLIC_BASE_URL").ok(),
        seed: std::env::var("AISTUDIO_SIM_SEED").ok(),
        smtp_listen: std::env::var("AISTUDIO_SIM_SMTP_LISTEN").ok(),
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let mut value = || iter.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => args.listen = Some(value()?),
            "--config" => args.config = Some(PathBuf::from(value()?)),
            "--public-base-url" => args.public_base_url = Some(value()?),
            "--seed" => args.seed = Some(value()?),
            "--smtp-listen" => args.smtp_listen = Some(value()?),
            "--help" | "-h" => {
                let mut out = std::io::stdout();
                writeln!(
                    out,
                    "aistudio-sim [--listen ADDR] [--config FILE.toml|FILE.json] \
                     [--public-base-url URL] [--seed N] [--smtp-listen ADDR]"
                )?;
                std::process::exit(0);
            }
            other => bail!("unknown argument {other} (try --help)"),
        }
    }
    Ok(args)
}

fn build_config(args: Args) -> anyhow::Result<SimConfig> {
    let mut config = match &args.config {
        Some(path) => SimConfig::from_file(path)?,
        None => SimConfig::default(),
    };
    let config_sets_listen = args.config.is_some() && config.listen.port() != 0;
    match args.listen {
        Some(listen) => config.listen = listen.parse::<SocketAddr>().context("--listen")?,
        None if !config_sets_listen => config.listen = DEFAULT_LISTEN.parse()?,
        None => {}
    }
    if let Some(url) = args.public_base_url {
        config.public_base_url = Some(url);
    }
    if let Some(smtp) = args.smtp_listen {
        config.smtp.listen = Some(smtp.parse::<SocketAddr>().context("--smtp-listen")?);
    }
    if let Some(seed) = args.seed {
        config.seed = Some(seed.parse().context("--seed")?);
    }
    Ok(config)
}

async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = build_config(parse_args()?)?;
    let handle = Simulator::start(config).await?;
    let urls = handle.urls().clone();
    let mut out = std::io::stdout();
    writeln!(out, "aistudio-sim listening on {}", handle.local_addr())?;
    writeln!(
        out,
        "  instagram      {}   (www.instagram.com)",
        urls.instagram
    )?;
    writeln!(
        out,
        "  instagram_api  {}   (api.instagram.com)",
        urls.instagram_api
    )?;
    writeln!(
        out,
        "  graph          {}   (graph.instagram.com)",
        urls.graph
    )?;
    writeln!(out, "  imgbb          {}   (api.imgbb.com)", urls.imgbb)?;
    writeln!(
        out,
        "  google         {}   (accounts.google.com, oauth2/openidconnect/www.googleapis.com)",
        urls.google
    )?;
    writeln!(out, "  google issuer  {}", urls.google_issuer)?;
    writeln!(out, "  admin          {}", urls.admin)?;
    if let Some(smtp) = handle.smtp_addr() {
        writeln!(
            out,
            "  smtp           {smtp}   (plain SMTP, any AUTH accepted)"
        )?;
        writeln!(out, "  mail inbox     {}", urls.mail)?;
    }
    out.flush()?;
    shutdown_signal().await?;
    handle.stop().await;
    Ok(())
}
