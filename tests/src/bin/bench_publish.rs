//! Scheduling precision: N posts of one kind (image by default) due at the same second, published by W worker processes
//! (release builds, default settings) against the simulator. Prints the time from the due
//! second until Instagram saw the last publish, publish lateness p50/p99 as Instagram saw it,
//! duplicates (must be 0), how many settled posts recorded Instagram's publish time (whole
//! seconds, as its `timestamp` gives it) as `published_at`, the most workflows in flight at
//! once (container created, not yet published), the most publishing jobs waiting in Redis,
//! each worker's peak RSS, and the CPU
//! share (100% = one core) the workers, the simulator (this process), the MongoDB server and
//! Redis used from the posts' storing to the last publish, and the MongoDB commands the
//! workers sent per published post, by command name (their idle rate, measured before the posts
//! were stored, taken off).
//!
//! ```text
//! bench-publish --posts 1000 --workers 2 [--kind image|carousel|reel|story] [--concurrency 64]
//!               [--latency-ms 100] [--max-secs 3600]
//! ```
//! `--latency-ms` adds that much latency to every Instagram and ImgBB call; after `--max-secs`
//! the run reports what was published so far. Needs the local services
//! (`scripts/services start`); `scripts/bench-publish` runs the documented set.
#![forbid(unsafe_code)]

use std::io::Write;
use std::time::{Duration, Instant};

use aistudio_jobs::domain::PostKind;
use aistudio_jobs::store::PostStatus;
use aistudio_jobs::workflow::dispatcher::backlog;
use aistudio_sim::{Effect, Endpoint, FaultRule};
use aistudio_tests::bench::{arg, arg_str, cpu_secs, find_server, percentile, rss_kib};
use aistudio_tests::mongo_commands::CommandCounts;
use aistudio_tests::{FAST_WORKFLOW, ScheduledPost, Studio, Worker};
use anyhow::bail;

/// Every call a publishing workflow makes.
const WORKFLOW_CALLS: [Endpoint; 6] = [
    Endpoint::ImgbbUpload,
    Endpoint::MediaCreate,
    Endpoint::ContainerStatus,
    Endpoint::MediaPublish,
    Endpoint::Permalink,
    Endpoint::PublishingLimit,
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let posts = arg(&args, "--posts", 1000) as usize;
    let workers = arg(&args, "--workers", 2) as usize;
    let concurrency = arg(&args, "--concurrency", 64);
    let latency = arg(&args, "--latency-ms", 0);
    let max_secs = arg(&args, "--max-secs", 3600);
    let kind = match arg_str(&args, "--kind", "image") {
        "image" => PostKind::Image,
        "carousel" => PostKind::Carousel,
        "reel" => PostKind::Reel,
        "story" => PostKind::Story,
        other => bail!("--kind {other}: image, carousel, reel or story"),
    };

    // The product's default workflow timings, not the tests' fast ones.
    let s = Studio::start(|env| {
        for (key, _) in FAST_WORKFLOW {
            env.unset(key);
        }
        env.set("AISTUDIO__LOG__LEVEL", "warn")
            .set("AISTUDIO__WORKER__CONCURRENCY", concurrency.to_string());
    })
    .await;
    s.sim.set_quota_total("acme", Some(u32::MAX))?;
    for endpoint in WORKFLOW_CALLS.into_iter().filter(|_| latency > 0) {
        s.sim
            .add_fault(FaultRule::always(endpoint, Effect::Latency { ms: latency }));
    }

    let store = s.env.store().await;
    // The workers start first: the commands they send idle (dispatcher, reconciler, presence)
    // are measured, to be taken off what publishing cost.
    let mut running = Vec::new();
    for _ in 0..workers {
        running.push(Worker::start(&s.env).await);
    }
    let ops: Vec<String> = running.iter().map(|w| w.ops_url.clone()).collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_from = (Instant::now(), CommandCounts::scrape(&ops).await?);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let idle_to = (Instant::now(), CommandCounts::scrape(&ops).await?);
    let idle_per_sec = idle_to
        .1
        .since(&idle_from.1, &CommandCounts::default())
        .scaled(1.0 / idle_to.0.duration_since(idle_from.0).as_secs_f64());
    // The due second leaves time to store the posts (about 20 ms each here) and start the
    // workers; --lead-secs overrides it.
    let lead = arg(&args, "--lead-secs", 15 + posts as u64 / 50);
    let due = chrono::Utc::now() + chrono::Duration::seconds(lead as i64);
    let due = due - chrono::Duration::nanoseconds(i64::from(due.timestamp_subsec_nanos()));
    let media = |i: usize| match kind {
        PostKind::Carousel => vec![s.image.clone(), s.image2.clone()],
        PostKind::Reel => vec![s.video.clone()],
        _ if i % 2 == 0 => vec![s.image.clone()],
        _ => vec![s.image2.clone()],
    };
    let scheduled: Vec<ScheduledPost> = (0..posts)
        .map(|i| ScheduledPost {
            kind,
            media: media(i),
            caption: format!("bulk post {i}"),
            at: due,
        })
        .collect();
    let ids = s.insert_posts(&scheduled).await;
    if chrono::Utc::now() > due - chrono::Duration::seconds(2) {
        bail!("storing {posts} posts outlasted the lead time; raise --lead-secs");
    }
    let mongo = find_server("secantusd", &s.env.mongo_url);
    let redis = find_server("redis-server", &s.env.redis_url);
    let pids: Vec<u32> = running.iter().map(|w| w.process.pid()).collect();
    let cpu_used = || {
        [
            pids.iter().map(|p| cpu_secs(*p)).sum::<f64>(),
            cpu_secs(std::process::id()),
            mongo.map_or(0.0, cpu_secs),
            redis.map_or(0.0, cpu_secs),
        ]
    };
    // CPU is measured from here (the workers started; posts are prepared ahead of the due time)
    // to the last publish.
    let measuring = Instant::now();
    let cpu_before = cpu_used();
    let mut peak_rss = vec![0; workers];
    tokio::time::sleep((due - chrono::Utc::now()).to_std().unwrap_or_default()).await;
    let started = Instant::now();
    // Instagram saw every publish (or --max-secs passed)...
    let queue = s.env.queue();
    let (mut peak_backlog, mut peak_in_flight) = (0, 0);
    let complete = loop {
        let report = s.sim.inspect();
        let containers: usize = report.accounts.iter().map(|a| a.containers.len()).sum();
        let published: usize = report.accounts.iter().map(|a| a.publishes.len()).sum();
        if published >= posts {
            break true;
        }
        if started.elapsed() > Duration::from_secs(max_secs) {
            break false;
        }
        peak_in_flight = peak_in_flight.max(containers.saturating_sub(published));
        peak_backlog = peak_backlog.max(backlog(&queue).await?);
        for (peak, pid) in peak_rss.iter_mut().zip(&pids) {
            *peak = (*peak).max(rss_kib(*pid));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let measured = measuring.elapsed().as_secs_f64();
    let cpu_after = cpu_used();
    // ...and every post says so.
    while complete && (store.posts().count_in_status(PostStatus::Published).await? as usize) < posts
    {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // ...and, once each post's record is final, records Instagram's time as `published_at`.
    let settling = Instant::now();
    let records = loop {
        let records = store.posts().by_ids(&ids).await?;
        let settled = records.iter().filter(|p| p.settled_at.is_some()).count();
        if !complete || settled == posts || settling.elapsed() > Duration::from_secs(120) {
            break records;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let instagram_second: std::collections::HashMap<String, i64> = s
        .sim
        .inspect()
        .accounts
        .iter()
        .flat_map(|a| &a.publishes)
        .map(|p| (p.media_id.clone(), p.at_ms.div_euclid(1000) * 1000))
        .collect();
    let counted_for = idle_to.0.elapsed().as_secs_f64();
    let per_post = CommandCounts::scrape(&ops)
        .await?
        .since(&idle_to.1, &idle_per_sec.scaled(counted_for))
        .scaled(1.0 / posts.max(1) as f64);
    let settled: Vec<_> = records.iter().filter(|p| p.settled_at.is_some()).collect();
    let matching = settled
        .iter()
        .filter(|p| {
            let recorded = p.published_at.map(|t| t.timestamp_millis());
            let instagram = p.ig_media_id.as_ref().and_then(|m| instagram_second.get(m));
            recorded.is_some() && recorded == instagram.copied()
        })
        .count();
    let used: Vec<String> = cpu_after
        .iter()
        .zip(cpu_before)
        .map(|(after, before)| format!("{:.0}%", 100.0 * (after - before) / measured))
        .collect();

    let report = s.sim.inspect();
    let mut lateness: Vec<f64> = report
        .accounts
        .iter()
        .flat_map(|a| &a.publishes)
        .map(|p| (p.at_ms - due.timestamp_millis()) as f64 / 1000.0)
        .collect();
    lateness.sort_by(f64::total_cmp);
    let duplicates = report.duplicate_publishes.len() + report.orphan_media.len();
    let rss: Vec<String> = peak_rss.iter().map(|k| (k / 1024).to_string()).collect();
    let finished = if complete {
        format!("{:.1}s", lateness.last().copied().unwrap_or(0.0))
    } else {
        format!("not within {max_secs}s")
    };
    writeln!(
        std::io::stdout(),
        "posts={posts} kind={} workers={workers} concurrency={concurrency} latency_ms={latency} \
         published={} all_published_after={finished} lateness_p50={:.2}s p99={:.2}s \
         duplicates={duplicates} published_at_is_instagrams={matching}/{} \
         peak_in_flight={peak_in_flight} peak_redis_backlog={peak_backlog} \
         worker_rss_peak_mib=[{}] cpu(workers,simulator,mongo,redis)=[{}] \
         mongo_commands_per_post={per_post}",
        kind.as_str(),
        lateness.len(),
        percentile(&lateness, 50.0),
        percentile(&lateness, 99.0),
        settled.len(),
        rss.join(","),
        used.join(","),
    )?;
    Ok(())
}
