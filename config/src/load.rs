//! Layered loading: embedded defaults, environment file, explicit file, environment variables.

use std::collections::HashMap;
use std::path::PathBuf;

use config::{Config, Environment as EnvSource, File, FileFormat};

use crate::{ConfigError, Settings, env_files, validate};

/// The defaults every deployment starts from; documented key by key in docs/configuration.md.
pub const DEFAULTS: &str = include_str!("../files/default.toml");

/// Where settings come from. [`Sources::from_process`] reads the real process environment;
/// tests build one by hand so they never touch global state.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Folder holding `<environment>.toml` files (`AISTUDIO_CONFIG_DIR`, default `config/files`).
    pub config_dir: Option<PathBuf>,
    /// An extra file layered last before the environment (`AISTUDIO_CONFIG_FILE`).
    pub config_file: Option<PathBuf>,
    /// Environment variables (only `AISTUDIO__*` ones are used for keys; `AISTUDIO__*_FILE` ones
    /// name a file holding the value).
    pub env: HashMap<String, String>,
}

impl Sources {
    /// Sources as given by this process's environment.
    pub fn from_process() -> Self {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self {
            config_dir: Some(
                env.get("AISTUDIO_CONFIG_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from("config/files")),
            ),
            config_file: env.get("AISTUDIO_CONFIG_FILE").map(PathBuf::from),
            env,
        }
    }

    fn environment_name(&self) -> Result<String, ConfigError> {
        let layered = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(self.env_source()?)
            .build()
            .map_err(|e| ConfigError::Read(e.to_string()))?;
        layered
            .get_string("environment")
            .map_err(|e| ConfigError::Read(e.to_string()))
    }

    fn env_source(&self) -> Result<EnvSource, ConfigError> {
        Ok(EnvSource::with_prefix("AISTUDIO")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(Some(env_files::resolve(&self.env)?)))
    }
}

impl Settings {
    /// Loads and validates settings from the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(&Sources::from_process())
    }

    /// Loads and validates settings from the given sources.
    pub fn load_from(sources: &Sources) -> Result<Self, ConfigError> {
        let environment = sources.environment_name()?;
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(dir) = &sources.config_dir {
            let base = dir.join(&environment);
            builder = builder.add_source(File::with_name(&base.to_string_lossy()).required(false));
        }
        if let Some(file) = &sources.config_file {
            builder = builder.add_source(File::from(file.clone()).required(true));
        }
        let settings: Settings = builder
            .add_source(sources.env_source()?)
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError::Read(e.to_string()))?;
        validate::check(&settings)?;
        Ok(settings)
    }
}
