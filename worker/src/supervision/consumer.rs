//! One consumer's liveness record and the rules that judge it.

use std::task::Waker;
use std::time::{Duration, Instant};

use serde::Serialize;

/// How a consumer shows it is alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    /// It is stalled after this long without progress.
    pub stall_after: Duration,
    /// Whether it holds a registration in its queue's workers set (queue consumers do, cron
    /// schedules do not).
    pub registered: bool,
}

/// A restart the watchdog asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Restart {
    /// When it was asked for.
    at: Instant,
    /// The run it was asked of; the request is carried out once that run is polled.
    of_run: Option<usize>,
    /// Whether that run has been told to fail.
    delivered: bool,
}

/// What the watchdog should do about a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// It made progress recently, or a restart is under way.
    Live,
    /// It stopped making progress: a restart was just asked for (the consumer was woken).
    Restart,
    /// A restart asked for long ago did not bring it back.
    GiveUp,
}

/// A consumer's record.
#[derive(Debug)]
pub(super) struct Consumer {
    expect: Expect,
    run_name: Option<String>,
    runs: usize,
    /// Runs started since the consumer last made progress.
    runs_since_progress: u32,
    last_poll: Option<Instant>,
    last_progress: Instant,
    waker: Option<Waker>,
    restart: Option<Restart>,
    /// When the watchdog last asked for a restart (kept after the consumer came back).
    last_restart: Option<Instant>,
    /// The watchdog's last judgement.
    stalled: bool,
}

/// A consumer's status as operators see it (`/readyz`, metrics, the presence record).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsumerStatus {
    /// The current run's apalis worker name.
    pub run_name: Option<String>,
    /// Seconds since its loop last ran (absent before the first run).
    pub last_poll_age_secs: Option<f64>,
    /// Seconds since it last made progress (a heartbeat, or a tick).
    pub progress_age_secs: f64,
    /// Seconds after which it counts as stalled.
    pub stall_after_secs: f64,
    /// Whether it is stalled now.
    pub stalled: bool,
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

impl Consumer {
    pub(super) fn new(expect: Expect, now: Instant) -> Self {
        Self {
            expect,
            run_name: None,
            runs: 0,
            runs_since_progress: 0,
            last_poll: None,
            last_progress: now,
            waker: None,
            restart: None,
            last_restart: None,
            stalled: false,
        }
    }

    /// Runs started since the last progress. Asked when the next run is built, all of them
    /// have ended: they failed without making progress.
    pub(super) fn unproductive_runs(&self) -> u32 {
        self.runs_since_progress
    }

    pub(super) fn expect(&self) -> Expect {
        self.expect
    }

    /// The current run's name once it registered (made progress): only then does its
    /// absence from the workers set mean the registration vanished.
    pub(super) fn registered_run(&self) -> Option<&str> {
        (self.runs_since_progress == 0)
            .then_some(self.run_name.as_deref())
            .flatten()
    }

    /// Its loop ran. A new run (a restart, by the watchdog or after an error) gets a full stall
    /// window from its start. Returns true once when this run must fail so the monitor
    /// restarts it.
    pub(super) fn polled(&mut self, run_name: &str, waker: &Waker, now: Instant) -> bool {
        if self.run_name.as_deref() != Some(run_name) {
            self.run_name = Some(run_name.to_string());
            self.runs += 1;
            self.runs_since_progress += 1;
            self.last_progress = self.last_progress.max(now);
        }
        self.last_poll = Some(now);
        if !self
            .waker
            .as_ref()
            .is_some_and(|stored| stored.will_wake(waker))
        {
            self.waker = Some(waker.clone());
        }
        match &mut self.restart {
            Some(restart) if restart.of_run == Some(self.runs) && !restart.delivered => {
                restart.delivered = true;
                true
            }
            _ => false,
        }
    }

    /// It made progress: whatever was wrong is over.
    pub(super) fn progressed(&mut self, now: Instant) {
        self.last_progress = now;
        self.runs_since_progress = 0;
        self.restart = None;
        self.stalled = false;
    }

    /// Asks the current run to fail (so the monitor restarts it), and wakes it so it notices.
    pub(super) fn request_restart(&mut self, now: Instant) {
        if self.restart.is_none() {
            self.last_restart = Some(now);
            self.restart = Some(Restart {
                at: now,
                of_run: Some(self.runs),
                delivered: false,
            });
        }
        if let Some(waker) = &self.waker {
            waker.wake_by_ref();
        }
    }

    /// Judges the consumer at `now`; progress is not expected before `judged_from` (while
    /// Redis was unreachable, say). A restart has `give_up` to bring the consumer back: still
    /// stalled by then, or stalled again within that time, it is beyond in-process repair.
    pub(super) fn check(
        &mut self,
        now: Instant,
        judged_from: Instant,
        give_up: Duration,
    ) -> Verdict {
        if let Some(restart) = self.restart
            && now.duration_since(restart.at) > give_up
        {
            return Verdict::GiveUp;
        }
        let quiet = now.duration_since(self.last_progress.max(judged_from));
        self.stalled = self.restart.is_some() || quiet > self.expect.stall_after;
        if !self.stalled || self.restart.is_some() {
            return Verdict::Live;
        }
        if self
            .last_restart
            .is_some_and(|at| now.duration_since(at) <= give_up)
        {
            return Verdict::GiveUp;
        }
        self.request_restart(now);
        Verdict::Restart
    }

    /// Stalled as of the watchdog's last judgement: no progress within the stall window, or a
    /// restart that has not brought it back yet.
    pub(super) fn is_stalled(&self) -> bool {
        self.stalled
    }

    pub(super) fn status(&self, now: Instant) -> ConsumerStatus {
        ConsumerStatus {
            run_name: self.run_name.clone(),
            last_poll_age_secs: self.last_poll.map(|t| secs(now.duration_since(t))),
            progress_age_secs: secs(now.duration_since(self.last_progress)),
            stall_after_secs: secs(self.expect.stall_after),
            stalled: self.is_stalled(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct CountWakes(AtomicUsize);
    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    const EXPECT: Expect = Expect {
        stall_after: Duration::from_secs(10),
        registered: true,
    };
    const GIVE_UP: Duration = Duration::from_secs(30);

    #[test]
    fn a_stalled_consumer_is_woken_told_to_restart_once_then_given_up_on() {
        let t0 = Instant::now();
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut c = Consumer::new(EXPECT, t0);
        assert!(!c.polled("w:q", &waker, t0));
        c.progressed(t0);
        let s = |n| t0 + Duration::from_secs(n);
        assert_eq!(c.check(s(10), t0, GIVE_UP), Verdict::Live);
        assert_eq!(c.check(s(11), t0, GIVE_UP), Verdict::Restart);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "woken to notice");
        assert!(c.is_stalled());
        assert_eq!(
            c.check(s(12), t0, GIVE_UP),
            Verdict::Live,
            "asked only once"
        );
        assert!(c.polled("w:q", &waker, s(12)), "the stalled run fails");
        assert!(!c.polled("w:q", &waker, s(12)), "once");
        // The restarted run gets a full window, but never makes progress.
        assert!(!c.polled("w:q:r1", &waker, s(13)));
        assert_eq!(c.check(s(40), t0, GIVE_UP), Verdict::Live);
        assert_eq!(c.check(s(42), t0, GIVE_UP), Verdict::GiveUp);
    }

    #[test]
    fn progress_after_a_restart_clears_the_stall() {
        let t0 = Instant::now();
        let waker = Waker::from(Arc::new(CountWakes(AtomicUsize::new(0))));
        let mut c = Consumer::new(EXPECT, t0);
        c.polled("w:q", &waker, t0);
        let s = |n| t0 + Duration::from_secs(n);
        assert_eq!(c.check(s(11), t0, GIVE_UP), Verdict::Restart);
        c.polled("w:q:r1", &waker, s(12));
        c.progressed(s(12));
        assert!(!c.is_stalled());
        assert_eq!(c.check(s(50), s(45), GIVE_UP), Verdict::Live);
        // Stalled again long after: restarted again.
        c.progressed(s(50));
        assert_eq!(c.check(s(61), s(45), GIVE_UP), Verdict::Restart);
    }

    #[test]
    fn stalling_again_soon_after_a_restart_gives_up() {
        let t0 = Instant::now();
        let waker = Waker::from(Arc::new(CountWakes(AtomicUsize::new(0))));
        let mut c = Consumer::new(EXPECT, t0);
        c.polled("w:q", &waker, t0);
        let s = |n| t0 + Duration::from_secs(n);
        assert_eq!(c.check(s(11), t0, GIVE_UP), Verdict::Restart);
        // The new run registers (progress), then stalls again.
        c.polled("w:q:r1", &waker, s(12));
        c.progressed(s(12));
        assert_eq!(c.check(s(20), t0, GIVE_UP), Verdict::Live);
        assert_eq!(c.check(s(24), t0, GIVE_UP), Verdict::GiveUp);
    }

    #[test]
    fn runs_that_fail_without_progress_are_counted_until_one_progresses() {
        let t0 = Instant::now();
        let waker = Waker::from(Arc::new(CountWakes(AtomicUsize::new(0))));
        let mut c = Consumer::new(EXPECT, t0);
        assert_eq!(c.unproductive_runs(), 0, "the first run starts at once");
        c.polled("w:q", &waker, t0);
        c.progressed(t0);
        assert_eq!(
            c.unproductive_runs(),
            0,
            "it failed after progress: restart at once"
        );
        c.polled("w:q:r1", &waker, t0);
        c.polled("w:q:r2", &waker, t0);
        assert_eq!(c.unproductive_runs(), 2);
        c.progressed(t0);
        assert_eq!(c.unproductive_runs(), 0);
    }

    #[test]
    fn time_without_redis_does_not_count() {
        let t0 = Instant::now();
        let mut c = Consumer::new(EXPECT, t0);
        let s = |n| t0 + Duration::from_secs(n);
        // Redis came back at 60 s: judged from then, not stalled before 70 s.
        assert_eq!(c.check(s(65), s(60), GIVE_UP), Verdict::Live);
        assert_eq!(c.check(s(71), s(60), GIVE_UP), Verdict::Restart);
    }
}
