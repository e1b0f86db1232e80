//! Raw queue throughput: no-op jobs through the same queue stack the workers use (apalis-redis
//! with the product's settings), with 1 or more worker processes.
//!
//! ```text
//! bench-queue run --jobs 20000 --processes 2 --concurrency 64
//! ```
//! `run` starts the worker processes (this binary in `work` mode), pushes the jobs in batches
//! while they run, waits until every job is done, and prints jobs per second (from the first
//! push to the last job done) and the workers' peak RSS.
#![forbid(unsafe_code)]

use std::io::Write;
use std::time::{Duration, Instant};

use aistudio_config::Settings;
use aistudio_jobs::queue::{Job, Queue};
use aistudio_tests::bench::{arg, rss_kib};
use anyhow::{Context, bail};
use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BackendExt, BoxDynError, Monitor, ParallelizeExt, TaskSink, WorkerBuilder};
use futures::TryStreamExt;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Noop {
    n: u64,
}

impl Job for Noop {
    const QUEUE: &'static str = "bench-noop";
}

async fn noop(_job: Noop) -> Result<(), BoxDynError> {
    Ok(())
}

async fn work(settings: Settings, concurrency: usize) -> anyhow::Result<()> {
    let queue = Queue::connect(&settings.redis)?;
    let name = aistudio_jobs::queue::worker_name("bench");
    let poll = queue.poll_interval();
    let storage = queue.consumer_storage::<Noop>(concurrency);
    Monitor::new()
        .register(move |_| {
            WorkerBuilder::new(name.clone())
                .backend(storage.clone().poll_with_interval(poll))
                .parallelize(tokio::spawn)
                .concurrency(concurrency)
                .build(noop)
        })
        .run_with_signal(async {
            aistudio_jobs::shutdown::signal().await;
            Ok(())
        })
        .await?;
    Ok(())
}

/// Jobs pushed per batch, and the most that may wait due in the scheduled set before the next
/// batch: apalis-redis promotes every due job in one Lua call and fails above ~8,000, so the
/// pusher keeps the due backlog bounded the way the dispatcher does.
const BATCH: u64 = 1_000;
const MAX_DUE: u64 = 4_000;

async fn run(settings: Settings, args: &[String]) -> anyhow::Result<()> {
    let jobs = arg(args, "--jobs", 20_000);
    let processes = arg(args, "--processes", 1);
    let concurrency = arg(args, "--concurrency", 64);
    let queue = Queue::connect(&settings.redis)?;
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for _ in 0..processes {
        children.push(
            std::process::Command::new(&exe)
                .args(["work", "--concurrency", &concurrency.to_string()])
                .spawn()
                .context("starting a worker process")?,
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let config = queue.config_for(Noop::QUEUE);
    let redis_url = aistudio_config::ExposeSecret::expose_secret(&settings.redis.url).to_string();
    let mut conn = redis::Client::open(redis_url)?
        .get_multiplexed_async_connection()
        .await?;

    let started = Instant::now();
    let mut storage = queue.storage::<Noop>();
    let mut pushed = 0;
    let mut peak_rss = 0;
    loop {
        let (due, done): (u64, u64) = redis::pipe()
            .cmd("ZCARD")
            .arg(config.scheduled_jobs_set())
            .cmd("SCARD")
            .arg(config.done_jobs_set())
            .query_async(&mut conn)
            .await?;
        if done >= jobs {
            break;
        }
        for child in &mut children {
            if let Some(status) = child.try_wait()? {
                bail!("a worker process exited ({status}) after {done} of {jobs} jobs");
            }
        }
        peak_rss = peak_rss.max(children.iter().map(|c| rss_kib(c.id())).sum());
        if started.elapsed() > Duration::from_secs(300) {
            bail!("only {done} of {jobs} jobs done after 5 minutes");
        }
        if pushed < jobs && due < MAX_DUE {
            let batch: Vec<Noop> = (pushed..(pushed + BATCH).min(jobs))
                .map(|n| Noop { n })
                .collect();
            pushed += batch.len() as u64;
            storage.push_bulk(batch).await?;
        } else {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let elapsed = started.elapsed();
    for child in &mut children {
        let _ = std::process::Command::new("kill")
            .arg(child.id().to_string())
            .status();
        let _ = child.wait();
    }
    // The benchmark's keys go again (100,000 finished jobs take a few hundred MB of Redis).
    let keys: Vec<String> = conn
        .scan_match::<_, String>(format!("{}*", queue.queue_name("")))
        .await?
        .try_collect()
        .await?;
    for chunk in keys.chunks(500) {
        let _: () = conn.unlink(chunk).await?;
    }
    writeln!(
        std::io::stdout(),
        "jobs={jobs} processes={processes} concurrency={concurrency} total={:.2}s throughput={:.0} jobs/s worker_rss_peak={} MiB (sum)",
        elapsed.as_secs_f64(),
        jobs as f64 / elapsed.as_secs_f64(),
        peak_rss / 1024
    )?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load().context("loading settings")?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("work") => work(settings, arg(&args, "--concurrency", 64) as usize).await,
        Some("run") => run(settings, &args).await,
        _ => bail!("usage: bench-queue run [--jobs N] [--processes P] [--concurrency C]"),
    }
}
