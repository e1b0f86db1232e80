//! MongoDB commands that processes (workers, the api) sent, by command name and collection,
//! read from their `/metrics` (`aistudio_mongo_commands_total{command,collection}`, from the
//! driver's command monitoring).

use std::collections::BTreeMap;

/// Commands by name and collection (`find.posts`), summed over processes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandCounts(pub BTreeMap<String, f64>);

impl CommandCounts {
    /// Parses one Prometheus text exposition.
    pub fn parse(metrics: &str) -> Self {
        let mut counts = BTreeMap::new();
        for line in metrics.lines() {
            let Some(rest) = line.strip_prefix("aistudio_mongo_commands_total{") else {
                continue;
            };
            let Some((labels, value)) = rest.split_once("} ") else {
                continue;
            };
            let label = |name: &str| {
                labels
                    .split(',')
                    .find_map(|l| l.strip_prefix(&format!("{name}=\"")))
                    .map_or("", |v| v.trim_end_matches('"'))
            };
            let key = match label("collection") {
                "" => label("command").to_string(),
                collection => format!("{}.{collection}", label("command")),
            };
            if let Ok(value) = value.trim().parse::<f64>() {
                *counts.entry(key).or_default() += value;
            }
        }
        Self(counts)
    }

    /// Scrapes and sums the `/metrics` of these operations listeners.
    pub async fn scrape(ops_urls: &[String]) -> anyhow::Result<Self> {
        let mut total = Self::default();
        for url in ops_urls {
            let text = reqwest::get(format!("{url}/metrics")).await?.text().await?;
            for (name, value) in Self::parse(&text).0 {
                *total.0.entry(name).or_default() += value;
            }
        }
        Ok(total)
    }

    /// `self - earlier - idle`, per name, never below zero.
    pub fn since(&self, earlier: &Self, idle: &Self) -> Self {
        let mut counts = BTreeMap::new();
        for (name, value) in &self.0 {
            let before = earlier.0.get(name).copied().unwrap_or(0.0);
            let background = idle.0.get(name).copied().unwrap_or(0.0);
            counts.insert(name.clone(), (value - before - background).max(0.0));
        }
        Self(counts)
    }

    /// Every count times `factor`.
    pub fn scaled(&self, factor: f64) -> Self {
        Self(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v * factor))
                .collect(),
        )
    }

    /// All commands.
    pub fn total(&self) -> f64 {
        self.0.values().sum()
    }
}

impl std::fmt::Display for CommandCounts {
    /// `12.0 {find: 5.0, update: 6.0, ...}`, names with a count of at least 0.05.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .filter(|(_, v)| **v >= 0.05)
            .map(|(k, v)| format!("{k}:{v:.1}"))
            .collect();
        write!(f, "{:.1}{{{}}}", self.total(), parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::CommandCounts;

    #[test]
    fn counts_are_read_by_command_and_differenced() {
        let text = "# TYPE aistudio_mongo_commands_total counter\n\
            aistudio_mongo_commands_total{command=\"find\",collection=\"posts\"} 6\n\
            aistudio_mongo_commands_total{command=\"find\",collection=\"posts\"} 4\n\
            aistudio_mongo_commands_total{command=\"update\",collection=\"\"} 4\n\
            aistudio_other_total 3\n";
        let before = CommandCounts::parse(text);
        assert_eq!(before.total(), 14.0);
        let after = CommandCounts::parse(
            "aistudio_mongo_commands_total{command=\"find\",collection=\"posts\"} 30\n\
             aistudio_mongo_commands_total{command=\"update\",collection=\"\"} 4\n\
             aistudio_mongo_commands_total{command=\"insert\",collection=\"events\"} 2\n",
        );
        let idle = CommandCounts::parse(
            "aistudio_mongo_commands_total{command=\"find\",collection=\"posts\"} 4\n",
        );
        let used = after.since(&before, &idle);
        assert_eq!(used.0["find.posts"], 16.0);
        assert_eq!(used.0["update"], 0.0);
        assert_eq!(used.0["insert.events"], 2.0);
        assert_eq!(
            used.scaled(0.5).to_string(),
            "9.0{find.posts:8.0,insert.events:1.0}"
        );
    }
}
