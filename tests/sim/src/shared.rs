//! State shared by every request: configuration, clock, and one mutex around all mutable
//! state. Critical sections are short and never span an `.await`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::SimClock;
use crate::config::SimConfig;
use crate::error::SimError;
use crate::faults::{Endpoint, FaultBook};
use crate::google::GoogleState;
use crate::ids::IdGen;
use crate::imgbb::ImgbbState;
use crate::instagram::IgState;
use crate::mail::Inbox;
use crate::settings::Settings;
use crate::urls::BaseUrls;

/// Immutable context plus the state mutex.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: SimConfig,
    pub urls: BaseUrls,
    pub clock: SimClock,
    pub hang: Duration,
    pub http: reqwest::Client,
    /// Where the SMTP sink listens, when it runs.
    pub smtp_addr: Option<SocketAddr>,
    /// Whether the SMTP sink is up; `false` closes its connections (see `smtp::serve`).
    pub smtp_up: watch::Sender<bool>,
    state: Mutex<State>,
}

/// All mutable state.
#[derive(Debug)]
pub(crate) struct State {
    pub ids: IdGen,
    pub settings: Settings,
    pub ig: IgState,
    pub imgbb: ImgbbState,
    pub google: GoogleState,
    pub mail: Inbox,
    pub faults: FaultBook,
    pub calls: BTreeMap<Endpoint, u64>,
    pub faults_fired: BTreeMap<Endpoint, u64>,
}

impl State {
    /// The state the config describes.
    pub(crate) fn fresh(config: &SimConfig, now_ms: i64) -> Result<Self, SimError> {
        let mut ids = IdGen::new(config.seed);
        let mut ig = IgState::default();
        for spec in &config.instagram.accounts {
            ig.add_account(&mut ids, spec, now_ms)?;
        }
        let mut google = GoogleState::default();
        for user in &config.google.users {
            google.add_user(user.clone())?;
        }
        let mut faults = FaultBook::default();
        for rule in &config.faults {
            rule.check().map_err(SimError::Config)?;
            faults.add(rule.clone());
        }
        Ok(Self {
            ids,
            settings: Settings::from_config(config),
            ig,
            imgbb: ImgbbState::default(),
            google,
            mail: Inbox::default(),
            faults,
            calls: BTreeMap::new(),
            faults_fired: BTreeMap::new(),
        })
    }
}

impl Shared {
    pub(crate) fn new(
        config: SimConfig,
        urls: BaseUrls,
        smtp_addr: Option<SocketAddr>,
    ) -> Result<Self, SimError> {
        let clock = SimClock::default();
        let state = State::fresh(&config, clock.now_ms())?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(
                config.instagram.media_fetch_timeout_ms,
            ))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| SimError::Http(e.to_string()))?;
        Ok(Self {
            hang: Duration::from_millis(config.hang_ms),
            config,
            urls,
            clock,
            http,
            smtp_addr,
            smtp_up: watch::Sender::new(true),
            state: Mutex::new(state),
        })
    }

    /// Locks the state (a panic elsewhere does not make it unusable).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Simulated now, in milliseconds since the epoch.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
