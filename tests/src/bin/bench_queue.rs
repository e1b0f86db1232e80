//! Raw queue throughput: no-op jobs through the same queue stack the workers use (apalis-redis
//! with the product's settings), with 1 or more worker processes.
//!
//! ```text
//! bench-queue run --jobs 20000 --processes 2 --concurrency 64 [--consumers 1] [--due-at-once]
//! ```
//! `run` starts the worker processes (this binary in `work` mode), waits until every job is
//! done, and prints jobs per second and the workers' peak RSS. By default it pushes the jobs in
//! batches while the workers run and counts from the first push to the last job done. With
//! `--due-at-once` it first pushes every job scheduled for the same whole second, then counts
//! from that second to the last job done. Either way it checks that each job ran exactly once:
//! every job is in the done set, and the workers ran as many jobs as were pushed. It also prints
//! the CPU Redis used over the counted time (`INFO cpu`), per job and as a share of one core:
//! whether the run was bound by Redis or by the round trips between Redis and the workers.
//! `--consumers N` splits each process's slots evenly (rounded down) over N consumers of the
//! queue (the product runs one per queue per process).
#![forbid(unsafe_code)]

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aistudio_config::Settings;
use aistudio_jobs::queue::{Job, Queue};
use aistudio_tests::bench::{arg, cpu_secs, redis_cpu_secs, rss_kib};
use anyhow::{Context, bail};
use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{
    BackendExt, BoxDynError, Monitor, ParallelizeExt, TaskBuilder, TaskSink, WorkerBuilder,
};
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

/// Jobs this worker process ran, added to `<queue>:ran` in Redis when it stops.
static RAN: AtomicU64 = AtomicU64::new(0);

async fn noop(_job: Noop) -> Result<(), BoxDynError> {
    RAN.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

async fn work(settings: Settings, args: &[String]) -> anyhow::Result<()> {
    let concurrency = arg(args, "--concurrency", 64) as usize;
    let consumers = arg(args, "--consumers", 1).max(1) as usize;
    let queue = Queue::connect(&settings.redis)?;
    let poll = queue.poll_interval();
    let slots = (concurrency / consumers).max(1);
    let mut monitor = Monitor::new();
    for _ in 0..consumers {
        let name = aistudio_jobs::queue::worker_name("bench");
        let storage = queue.consumer_storage::<Noop>(slots);
        monitor = monitor.register(move |_| {
            WorkerBuilder::new(name.clone())
                .backend(storage.clone().poll_with_interval(poll))
                .parallelize(tokio::spawn)
                .concurrency(slots)
                .build(noop)
        });
    }
    monitor
        .run_with_signal(async {
            aistudio_jobs::shutdown::signal().await;
            Ok(())
        })
        .await?;
    let redis_url = aistudio_config::ExposeSecret::expose_secret(&settings.redis.url).to_string();
    let mut conn = redis::Client::open(redis_url)?
        .get_multiplexed_async_connection()
        .await?;
    let _: u64 = conn
        .incr(ran_key(&queue), RAN.load(Ordering::Relaxed))
        .await?;
    Ok(())
}

/// CPU seconds Redis has used since it started.
async fn redis_cpu(conn: &mut redis::aio::MultiplexedConnection) -> anyhow::Result<f64> {
    let info: String = redis::cmd("INFO").arg("cpu").query_async(conn).await?;
    redis_cpu_secs(&info).context("INFO cpu without used_cpu_sys and used_cpu_user")
}

fn ran_key(queue: &Queue) -> String {
    format!("{}:ran", queue.queue_name(Noop::QUEUE))
}

/// The worker processes; killed if the run stops early.
struct Workers(Vec<std::process::Child>);

impl Workers {
    /// Stops every worker (SIGTERM: running jobs finish) and waits for it.
    fn stop(&mut self) {
        for mut child in self.0.drain(..) {
            let _ = std::process::Command::new("kill")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Jobs pushed per batch, and (streaming) the most that may wait due in the scheduled set before
/// the next batch, as the dispatcher keeps its backlog bounded.
const BATCH: u64 = 1_000;
const MAX_DUE: u64 = 4_000;

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

async fn run(settings: Settings, args: &[String]) -> anyhow::Result<()> {
    let jobs = arg(args, "--jobs", 20_000);
    let processes = arg(args, "--processes", 1);
    let concurrency = arg(args, "--concurrency", 64);
    let consumers = arg(args, "--consumers", 1).max(1);
    let due_at_once = args.iter().any(|a| a == "--due-at-once");
    let queue = Queue::connect(&settings.redis)?;
    let exe = std::env::current_exe()?;
    let mut children = Workers(Vec::new());
    for _ in 0..processes {
        children.0.push(
            std::process::Command::new(&exe)
                .args(["work", "--concurrency", &concurrency.to_string()])
                .args(["--consumers", &consumers.to_string()])
                // Their logs go to stderr: stdout carries only the result line.
                .stdout(std::io::stderr())
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

    let mut storage = queue.storage::<Noop>();
    let mut pushed = 0;
    let started = if due_at_once {
        // Every job for one whole second, far enough ahead that the pushes finish before it.
        let due = unix_now().as_secs() + 2 + jobs / 20_000;
        for start in (0..jobs).step_by(BATCH as usize) {
            let batch = (start..(start + BATCH).min(jobs))
                .map(|n| TaskBuilder::new(Noop { n }).run_at_timestamp(due).build());
            storage.push_all(futures::stream::iter(batch)).await?;
        }
        let scheduled: u64 = conn.zcount(config.scheduled_jobs_set(), due, due).await?;
        if scheduled != jobs || unix_now().as_secs() >= due {
            bail!("{scheduled} of {jobs} jobs scheduled for {due} before it came");
        }
        pushed = jobs;
        let wait = Duration::from_secs(due).saturating_sub(unix_now());
        tokio::time::sleep(wait).await;
        Instant::now()
    } else {
        Instant::now()
    };
    let redis_cpu_before = redis_cpu(&mut conn).await?;
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
        for child in &mut children.0 {
            if let Some(status) = child.try_wait()? {
                bail!("a worker process exited ({status}) after {done} of {jobs} jobs");
            }
        }
        peak_rss = peak_rss.max(children.0.iter().map(|c| rss_kib(c.id())).sum());
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
    let redis_cpu = redis_cpu(&mut conn).await? - redis_cpu_before;
    let worker_cpu: f64 = children.0.iter().map(|c| cpu_secs(c.id())).sum();
    children.stop();
    let ran: Option<u64> = conn.get(ran_key(&queue)).await?;
    let ran = ran.unwrap_or(0);
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
        "jobs={jobs} processes={processes} concurrency={concurrency} consumers={consumers} mode={} total={:.2}s throughput={:.0} jobs/s ran={ran} worker_cpu={worker_cpu:.2}s worker_rss_peak={} MiB (sum) redis_cpu={redis_cpu:.2}s redis_busy={:.0}% redis_us_per_job={:.1}",
        if due_at_once {
            "due-at-once"
        } else {
            "streaming"
        },
        elapsed.as_secs_f64(),
        jobs as f64 / elapsed.as_secs_f64(),
        peak_rss / 1024,
        redis_cpu / elapsed.as_secs_f64() * 100.0,
        redis_cpu / jobs as f64 * 1e6
    )?;
    if ran != jobs {
        bail!("the workers ran {ran} jobs for {jobs} pushed");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load().context("loading settings")?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("work") => work(settings, &args).await,
        Some("run") => run(settings, &args).await,
        _ => bail!(
            "usage: bench-queue run [--jobs N] [--processes P] [--concurrency C] [--consumers N] [--due-at-once]"
        ),
    }
}
