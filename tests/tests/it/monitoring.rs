//! Monitoring: the alert rules (`deploy/prometheus/alerts.yml`) and the Grafana dashboard use
//! only metrics the api and the workers really export, and the api reports, per queue, the jobs
//! that are due and the consumers that are live (what `QueueUnattended` alerts on).

use std::collections::BTreeSet;
use std::time::Duration;

use aistudio_jobs::queue::PushOptions;
use aistudio_jobs::tasks::Canary;
use aistudio_tests::{Api, TestEnv, Worker, eventually, repo_root};

async fn scrape(base: &str) -> String {
    let reply = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(reply.status(), 200);
    reply.text().await.unwrap()
}

/// The metric names a scrape holds (histograms also by their base name).
fn exported(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(base) = name.strip_suffix(suffix) {
                names.insert(base.to_string());
            }
        }
        names.insert(name);
    }
    names
}

/// The `aistudio_*` metric names a PromQL expression reads.
fn metrics_in(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = expr;
    while let Some(at) = rest.find("aistudio_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.insert(name);
    }
    names
}

/// The value of the sample `series` (name and labels exactly as rendered) in a scrape.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

/// Whether the product's sources register a metric named `name` (`"name"` as a literal).
fn registered_in_sources(name: &str) -> bool {
    fn walk(dir: &std::path::Path, needle: &str) -> bool {
        std::fs::read_dir(dir).unwrap().flatten().any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, needle)
            } else {
                path.extension().is_some_and(|e| e == "rs")
                    && std::fs::read_to_string(&path).unwrap().contains(needle)
            }
        })
    }
    let needle = format!("\"{name}\"");
    ["api/src", "worker/src", "jobs/src", "admin/src"]
        .iter()
        .any(|dir| walk(&repo_root().join(dir), &needle))
}

#[tokio::test]
async fn alert_rules_and_the_dashboard_read_only_exported_metrics() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let worker = Worker::start(&env).await;
    reqwest::get(format!("{}/api/v1/me", api.url))
        .await
        .unwrap();
    // The reconciler's gauges appear once it has run (every 2 s by default).
    let worker_metrics = eventually(
        Duration::from_secs(20),
        "the reconciler's gauges",
        || async {
            let text = scrape(&worker.ops_url).await;
            sample(&text, "aistudio_posts_parked")
                .is_some()
                .then_some(text)
        },
    )
    .await;
    let mut live = exported(&worker_metrics);
    live.extend(exported(&scrape(&api.metrics_url).await));

    let rules: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo_root().join("deploy/prometheus/alerts.yml")).unwrap(),
    )
    .unwrap();
    let mut alerted = BTreeSet::new();
    for group in rules["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            alerted.extend(metrics_in(rule["expr"].as_str().unwrap()));
        }
    }
    assert!(alerted.len() >= 8, "{alerted:?}");
    let missing: Vec<_> = alerted.difference(&live).collect();
    assert!(
        missing.is_empty(),
        "alerts read metrics nobody exports: {missing:?}"
    );

    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("deploy/grafana/dashboards/aistudio.json"))
            .unwrap(),
    )
    .unwrap();
    let mut charted = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            charted.extend(metrics_in(target["expr"].as_str().unwrap()));
        }
    }
    assert!(charted.len() >= 20, "{charted:?}");
    // Some appear only once their event happened (a webhook delivery, an email): those must at
    // least be registered by the code under that name.
    let unknown: Vec<_> = charted
        .iter()
        .filter(|name| !live.contains(*name))
        .filter(|name| {
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(name);
            !registered_in_sources(base)
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "the dashboard charts unknown metrics: {unknown:?}"
    );
}

#[tokio::test]
async fn the_api_reports_due_jobs_and_live_consumers_per_queue() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    env.queue()
        .push(
            Canary {
                canary_id: "unattended".into(),
                hold_ms: 0,
            },
            PushOptions::default(),
        )
        .await
        .unwrap();
    let text = scrape(&api.metrics_url).await;
    assert_eq!(
        sample(&text, r#"aistudio_queue_due_jobs{queue="canary"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"aistudio_queue_live_consumers{queue="canary"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, r#"aistudio_queue_due_jobs{queue="publish"}"#),
        Some(0.0),
        "every queue is reported"
    );

    let _worker = Worker::start(&env).await;
    eventually(
        Duration::from_secs(30),
        "a live consumer and no due job on canary",
        || async {
            let text = scrape(&api.metrics_url).await;
            let live = sample(&text, r#"aistudio_queue_live_consumers{queue="canary"}"#)?;
            let due = sample(&text, r#"aistudio_queue_due_jobs{queue="canary"}"#)?;
            (live >= 1.0 && due == 0.0).then_some(())
        },
    )
    .await;
}
