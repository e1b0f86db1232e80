//! Settings read from files: `AISTUDIO__SECTION__KEY_FILE=/run/secrets/name` sets `section.key`
//! to the content of that file (without its trailing line break). Secrets such as a connection
//! string holding a password then come from a mounted secret file, not from the environment
//! (which `docker inspect` and `/proc` show) nor from the image.

use std::collections::HashMap;

use crate::ConfigError;

/// What marks a variable as naming a file.
const SUFFIX: &str = "_FILE";

/// The `AISTUDIO__*` variables of `env`, each `AISTUDIO__..._FILE` one replaced by the variable
/// it stands for, holding the file's content. Setting a variable and its `_FILE` form together,
/// or naming a file that cannot be read, is refused (naming the variable and the path, never
/// what the file holds).
pub(crate) fn resolve(
    env: &HashMap<String, String>,
) -> Result<config::Map<String, String>, ConfigError> {
    let mut vars = config::Map::new();
    for (name, value) in env.iter().filter(|(k, _)| k.starts_with("AISTUDIO__")) {
        let Some(target) = name.strip_suffix(SUFFIX) else {
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
