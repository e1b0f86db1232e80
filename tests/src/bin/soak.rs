//! `soak`: the chaos soak (`aistudio_tests::chaos::soak`), run by `scripts/soak`.
//!
//! `SOAK_SECS` (default 1200): how long posts come due, one per second, under faults.
//! `SOAK_SEED`: seeds the faults (default: from the clock; printed, so a run can be repeated).
//! Prints the report; exits 1 when a target is missed.

use std::io::Write;
use std::time::Duration;

use aistudio_tests::chaos::soak::{SoakOptions, run};

fn env_u64(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(value) => Ok(value.parse()?),
        Err(_) => Ok(default),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let options = SoakOptions {
        duration: Duration::from_secs(env_u64("SOAK_SECS", 1200)?),
        per_second: 1,
        workers: 3,
        chaos_every: Duration::from_secs(30),
        longest_stop: Duration::from_secs(30),
        busy_for: Duration::from_secs(30),
        drain: Duration::from_secs(300),
        seed: env_u64("SOAK_SEED", clock.as_secs())?,
    };
    eprintln!(
        "soak: {} s of posts, {} workers, a fault every ~{} s, seed {}",
        options.duration.as_secs(),
        options.workers,
        options.chaos_every.as_secs(),
        options.seed
    );
    let report = run(&options, |line| eprintln!("soak: {line}")).await;
    let missed = report.missed_targets();
    let mut out = std::io::stdout();
    writeln!(out, "{report}")?;
    if missed.is_empty() {
        writeln!(
            out,
            "targets met: 0 lost, 0 duplicates, no consumer stalled over 30 s, p99 lateness <= 15 s"
        )?;
        Ok(())
    } else {
        writeln!(out, "targets missed: {}", missed.join("; "))?;
        std::process::exit(1);
    }
}
