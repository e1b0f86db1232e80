//! Settings read from files: `AISTUDIO__SECTION__KEY_FILE=/run/secrets/name` sets `section.key`
//! to the content of that file (without its trailing line break). Secrets such as a connection
//! string holding a password then come from a mounted secret file, not from the environment
//! (which `docker inspect` and `/proc` show) nor from the image.

use std::collections::HashMap;

use crate::ConfigError;

/// What marks a variable as naming a file.
const SUFFIX: &str = "_FILE";

/// Settings whose own name ends in `_file` (they hold a path): their variables are taken as
/// they are, not as naming a file that holds `server.tls.cert`.
const PATH_SETTINGS: [&str; 2] = [
    "AISTUDIO__SERVER__TLS__CERT_FILE",
    "AISTUDIO__SERVER__TLS__KEY_FILE",
];

/// The `AISTUDIO__*` variables of `env`, each `AISTUDIO__..._FILE` one replaced by the variable
/// it stands for, holding the file's content. Setting a variable and its `_FILE` form together,
/// or naming a file that cannot be read, is refused (naming the variable and the path, never
/// what the file holds).
pub(crate) fn resolve(
    env: &HashMap<String, String>,
) -> Result<config::Map<String, String>, ConfigError> {
    let mut vars = config::Map::new();
    for (name, value) in env.iter().filter(|(k, _)| k.starts_with("AISTUDIO__")) {
        let target = name
            .strip_suffix(SUFFIX)
            .filter(|_| !PATH_SETTINGS.contains(&name.as_str()));
        let Some(target) = target else {
            vars.insert(name.clone(), value.clone());
            continue;
        };
        if env.contains_key(target) {
            return Err(ConfigError::Read(format!(
                "both {target} and {name} are set; keep one"
            )));
        }
        let content = std::fs::read_to_string(value)
            .map_err(|e| ConfigError::Read(format!("{name}: cannot read {value}: {e}")))?;
        vars.insert(
            target.to_string(),
            content.trim_end_matches(['\n', '\r']).to_string(),
        );
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use config::{Config, File, FileFormat, Value, ValueKind};

    use super::PATH_SETTINGS;
    use crate::load::DEFAULTS;

    /// The variable names of every default key ending in `_file`.
    fn file_keys(prefix: &str, value: Value, found: &mut Vec<String>) {
        if let ValueKind::Table(table) = value.kind {
            for (key, inner) in table {
                file_keys(&format!("{prefix}__{}", key.to_uppercase()), inner, found);
            }
        } else if prefix.ends_with("_FILE") {
            found.push(prefix.to_string());
        }
    }

    #[test]
    fn every_setting_named_file_is_taken_as_a_path() {
        let defaults = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()
            .unwrap();
        let mut found = Vec::new();
        let root: config::Map<String, Value> = defaults.try_deserialize().unwrap();
        for (key, value) in root {
            file_keys(
                &format!("AISTUDIO__{}", key.to_uppercase()),
                value,
                &mut found,
            );
        }
        found.sort();
        assert_eq!(found, PATH_SETTINGS);
    }
}
