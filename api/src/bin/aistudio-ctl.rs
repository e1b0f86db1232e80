//! `aistudio-ctl`: operator commands against the configured database.
//!
//! ```text
//! aistudio-ctl grant-role <email> <user|operator|admin>
//! aistudio-ctl rotate-token-keys
//! aistudio-ctl --help
//! ```
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use aistudio_config::Settings;
use aistudio_jobs::store::Store;
use anyhow::Context;

const USAGE: &str = "\
usage: aistudio-ctl <command>

commands:
  grant-role <email> <user|operator|admin>   set the role of an existing account
  rotate-token-keys                          re-encrypt every stored token with the current key
  help, --help, -h                           print this help

Settings are read like the api's (config/*.toml and AISTUDIO__* variables).";

/// A command against the database.
enum Command {
    GrantRole { email: String, role: String },
    RotateTokenKeys,
}

/// What the command line asks for.
enum Invocation {
    Help,
    Run(Command),
    Unknown,
}

impl Invocation {
    fn parse(args: &[String]) -> Self {
        match args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["help" | "--help" | "-h"] => Self::Help,
            ["grant-role", email, role] => Self::Run(Command::GrantRole {
                email: email.to_string(),
                role: role.to_string(),
            }),
            ["rotate-token-keys"] => Self::Run(Command::RotateTokenKeys),
            _ => Self::Unknown,
        }
    }
}

async fn run(command: Command) -> anyhow::Result<String> {
    let settings = Settings::load().context("loading settings")?;
    aistudio_jobs::telemetry::init_logging(&settings.log);
    let store = Store::connect(&settings.mongo).await?;
    Ok(match command {
        Command::GrantRole { email, role } => {
            aistudio_jobs::operator::grant_role(&store, &email, &role).await?
        }
        Command::RotateTokenKeys => {
            let vault = aistudio_jobs::crypto::vault::Vault::new(&settings.security)?;
            aistudio_jobs::operator::rotate_token_keys(&store, &vault).await?
        }
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match Invocation::parse(&args) {
        Invocation::Help => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Invocation::Run(command) => command,
        Invocation::Unknown => {
            let _ = writeln!(std::io::stderr(), "{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(command).await {
        Ok(line) => {
            let _ = writeln!(std::io::stdout(), "{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "aistudio-ctl: {error:#}");
            ExitCode::FAILURE
        }
    }
}
