//! Raw queue throughput: no-op jobs through the same queue stack the workers use (apalis-redis
//! with the product's settings), with 1 or more worker processes.
//!
//! ```text
//! bench-queue run --jobs 20000 --processes 2 --concurrency 64
//! ```
//! `run` starts the worker processes (this binary in `work` mode), pushes the jobs in bulk,
//! waits until every job is done, and prints jobs per second and the workers' RSS.
#![forbid(unsafe_code)]

use std::io::Write;
use std::time::{Duration, Instant};

use aistudio_config::Settings;
use aistudio_jobs::queue::{Job, Queue};
use aistudio_tests::bench::{arg, rss_kib};
use anyhow::{Context, bail};
use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BackendExt, BoxDynError, Monitor, ParallelizeExt, TaskSink, WorkerBuilder};
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
    let storage = queue.storage::<Noop>();
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
    let mut n = 0;
    while n < jobs {
        let batch: Vec<Noop> = (n..(n + 1000).min(jobs)).map(|n| Noop { n }).collect();
        n += batch.len() as u64;
        storage.push_bulk(batch).await?;
    }
    let pushed = started.elapsed();
    let mut peak_rss = 0;
    loop {
        let done: u64 = redis::cmd("SCARD")
            .arg(config.done_jobs_set())
            .query_async(&mut conn)
            .await?;
        let rss: u64 = children.iter().map(|c| rss_kib(c.id())).sum();
        peak_rss = peak_rss.max(rss);
        if done >= jobs {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("only {done} of {jobs} jobs done after 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    for child in &mut children {
        let _ = std::process::Command::new("kill")
            .arg(child.id().to_string())
            .status();
        let _ = child.wait();
    }
    let mut out = std::io::stdout();
    writeln!(
        out,
        "jobs={jobs} processes={processes} concurrency={concurrency} push={:.2}s total={:.2}s throughput={:.0} jobs/s worker_rss_peak={} MiB (sum)",
        pushed.as_secs_f64(),
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
