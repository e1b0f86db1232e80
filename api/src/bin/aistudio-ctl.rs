//! `aistudio-ctl`: operator commands against the configured database.
//!
//! ```text
//! aistudio-ctl grant-role <email> <user|operator|admin>
//! aistudio-ctl rotate-token-keys
//! aistudio-ctl delete-account <email>
//! aistudio-ctl backup --out <file>
//! aistudio-ctl restore --from <file> [--replace]
//! aistudio-ctl --help
//! ```
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aistudio_config::Settings;
use aistudio_jobs::store::Store;
use aistudio_jobs::store::backup::RestoreMode;
use anyhow::Context;

const USAGE: &str = "\
usage: aistudio-ctl <command>

commands:
  grant-role <email> <user|operator|admin>   set the role of an existing account
  rotate-token-keys                          re-encrypt every stored token with the current key
  delete-account <email>                     delete an account and all its data, as its owner
                                             would (prints the confirmation code)
  backup --out <file>                        write every collection of the database to <file>
                                             (gzip, canonical Extended JSON; tokens stay sealed)
  restore --from <file> [--replace]          restore a backup into the configured database, which
                                             must hold no documents (--replace drops its
                                             collections first), then create the indexes
  help, --help, -h                           print this help

Settings are read like the api's (config/*.toml and AISTUDIO__* variables).";

/// A command against the database.
enum Command {
    GrantRole { email: String, role: String },
    RotateTokenKeys,
    DeleteAccount { email: String },
    Backup { out: PathBuf },
    Restore { from: PathBuf, mode: RestoreMode },
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
            ["delete-account", email] => Self::Run(Command::DeleteAccount {
                email: email.to_string(),
            }),
            ["backup", "--out", out] => Self::Run(Command::Backup { out: out.into() }),
            ["restore", "--from", from] => Self::Run(Command::Restore {
                from: from.into(),
                mode: RestoreMode::IntoEmpty,
            }),
            ["restore", "--from", from, "--replace"] | ["restore", "--replace", "--from", from] => {
                Self::Run(Command::Restore {
                    from: from.into(),
                    mode: RestoreMode::Replace,
                })
            }
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
        Command::DeleteAccount { email } => {
            let queue = aistudio_jobs::queue::Queue::connect(&settings.redis)?;
            aistudio_jobs::operator::delete_account(
                &store,
                &queue,
                &email,
                &settings.server.public_base_url,
            )
            .await?
        }
        Command::Backup { out } => backup(&store, &settings.mongo.database, &out).await?,
        Command::Restore { from, mode } => {
            let open = || File::open(&from).map(BufReader::new);
            let summary = store.restore(open, mode).await?;
            format!(
                "restored {} collections, {} documents into database {} from {}",
                summary.collections,
                summary.documents,
                settings.mongo.database,
                from.display()
            )
        }
    })
}

/// Writes the backup next to `out` first and renames it when complete, so a failed backup never
/// leaves a file that looks like one.
async fn backup(store: &Store, database: &str, out: &Path) -> anyhow::Result<String> {
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file = File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    let summary = match store.backup(BufWriter::new(file)).await {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
    };
    std::fs::rename(&partial, out).with_context(|| format!("renaming to {}", out.display()))?;
    Ok(format!(
        "backed up {} collections, {} documents of database {database} to {}",
        summary.collections,
        summary.documents,
        out.display()
    ))
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
