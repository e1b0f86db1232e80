//! Scheduling precision: N posts due at the same second, published by W worker processes
//! against the simulator; prints the time until all are published, publish lateness p50/p99/max,
//! duplicates (must be 0) and the workers' peak RSS.
//!
//! ```text
//! bench-publish --posts 1000 --workers 2 [--latency-ms 100]
//! ```
//! Needs the local services (`scripts/services start`) and the workspace binaries built in the
//! same profile as this one.
#![forbid(unsafe_code)]

use std::io::Write;
use std::time::{Duration, Instant};

use aistudio_sim::{Effect, Endpoint, FaultRule};
use aistudio_tests::bench::{arg, rss_kib};
use aistudio_tests::{Studio, Worker};
use anyhow::bail;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let posts = arg(&args, "--posts", 1000) as usize;
    let workers = arg(&args, "--workers", 2) as usize;
    let latency = arg(&args, "--latency-ms", 0);
    let lead = arg(&args, "--lead-secs", 20 + posts as u64 / 100);

    let s = Studio::start(|env| {
        env.set("AISTUDIO__LOG__LEVEL", "warn")
            .set("AISTUDIO__WORKER__CONCURRENCY", "64");
    })
    .await;
    s.sim.set_quota_total("acme", Some(100_000))?;
    if latency > 0 {
        for endpoint in [
            Endpoint::MediaCreate,
            Endpoint::ContainerStatus,
            Endpoint::MediaPublish,
            Endpoint::Permalink,
            Endpoint::PublishingLimit,
            Endpoint::ImgbbUpload,
        ] {
            s.sim
                .add_fault(FaultRule::always(endpoint, Effect::Latency { ms: latency }));
        }
    }
    let due = chrono::Utc::now() + chrono::Duration::seconds(lead as i64);
    let due = due - chrono::Duration::nanoseconds(due.timestamp_subsec_nanos() as i64);
    let ids = s.insert_scheduled(posts, due).await;
    let mut running = Vec::new();
    for _ in 0..workers {
        running.push(Worker::start(&s.env).await);
    }
    let store = s.env.store().await;
    let mut peak_rss = 0;
    let until = (due - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until).await;
    let started = Instant::now();
    loop {
        let published = store
            .posts()
            .count_in(aistudio_jobs::store::PostStatus::Published)
            .await?;
        peak_rss = peak_rss.max(
            running
                .iter()
                .map(|w| rss_kib(w.process.pid()))
                .sum::<u64>(),
        );
        if published as usize >= posts {
            break;
        }
        if started.elapsed() > Duration::from_secs(3600) {
            bail!("only {published} of {posts} published after an hour");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let all_published = started.elapsed();
    let mut lateness = Vec::new();
    for id in &ids {
        let post = store.posts().by_id(id).await?.expect("post");
        if let Some(at) = post.published_at {
            lateness.push((at - due).num_milliseconds() as f64 / 1000.0);
        }
    }
    lateness.sort_by(f64::total_cmp);
    let report = s.sim.inspect();
    let duplicates = report.duplicate_publishes.len() + report.orphan_media.len();
    writeln!(
        std::io::stdout(),
        "posts={posts} workers={workers} latency_ms={latency} all_published_after={:.1}s lateness_p50={:.2}s p99={:.2}s max={:.2}s duplicates={duplicates} worker_rss_peak={} MiB (sum of {workers})",
        all_published.as_secs_f64(),
        percentile(&lateness, 50.0),
        percentile(&lateness, 99.0),
        lateness.last().copied().unwrap_or(0.0),
        peak_rss / 1024,
    )?;
    Ok(())
}
