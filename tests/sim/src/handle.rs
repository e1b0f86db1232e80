//! Starting the simulator and controlling it in-process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{GoogleUser, IgAccountSpec, SimConfig};
use crate::control::{self, IssuedToken, TokenTarget};
use crate::error::SimError;
use crate::faults::{ActiveFault, FaultId, FaultRule};
use crate::inspect::Report;
use crate::instagram::{IgAccount, TokenKind};
use crate::mail::MailMessage;
use crate::settings::{Settings, SettingsPatch};
use crate::shared::Shared;
use crate::urls::BaseUrls;
use crate::{admin, google, imgbb, instagram, mail, meta, server, smtp};

/// Entry point.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Binds `config.listen` and serves every simulated provider on it, and the SMTP sink on
    /// `config.smtp.listen` when set.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        google::google_jwks()?;
        let (listener, addr) = bind(config.listen).await?;
        let smtp = match config.smtp.listen {
            Some(listen) => Some(bind(listen).await?),
            None => None,
        };
        let root = match &config.public_base_url {
            Some(url) => url.clone(),
            None if addr.ip().is_unspecified() => format!("http://127.0.0.1:{}", addr.port()),
            None => format!("http://{addr}"),
        };
        let urls = BaseUrls::new(&root, config.google.issuer.as_deref());
        let smtp_addr = smtp.as_ref().map(|(_, addr)| *addr);
        let shared = Arc::new(Shared::new(config, urls, smtp_addr)?);
        let router: Router = Router::new()
            .merge(instagram::router())
            .merge(imgbb::router())
            .merge(google::router())
            .merge(mail::router())
            .merge(admin::router())
            .with_state(Arc::clone(&shared));
        let (shutdown, receiver) = watch::channel(false);
        let smtp_task = smtp.map(|(listener, smtp_addr)| {
            tracing::info!(%smtp_addr, "smtp sink listening");
            tokio::spawn(smtp::serve(listener, Arc::clone(&shared), receiver.clone()))
        });
        let task = tokio::spawn(server::serve(listener, router, receiver));
        tracing::info!(%addr, "simulator listening");
        Ok(SimHandle {
            shared,
            addr,
            shutdown,
            task: Some(task),
            smtp_task,
        })
    }
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), SimError> {
    let bind_error = |source| SimError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
    let local = listener.local_addr().map_err(bind_error)?;
    Ok((listener, local))
}

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    smtp_task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of every simulated service.
    pub fn urls(&self) -> &BaseUrls {
        &self.shared.urls
    }

    /// The root base URL.
    pub fn base_url(&self) -> &str {
        &self.shared.urls.root
    }

    /// Where the SMTP sink listens (`None` when `smtp.listen` was not set).
    pub fn smtp_addr(&self) -> Option<SocketAddr> {
        self.shared.smtp_addr
    }

    /// Messages the SMTP sink accepted, newest first; only those for `to` (an envelope
    /// recipient or a `To`/`Cc` address, case-insensitive) when given.
    pub fn mail(&self, to: Option<&str>) -> Vec<MailMessage> {
        control::mail(&self.shared, to)
    }

    /// The raw bytes of an accepted message.
    pub fn mail_raw(&self, id: u64) -> Option<Vec<u8>> {
        control::mail_raw(&self.shared, id)
    }

    /// Empties the inbox; returns how many messages it held.
    pub fn clear_mail(&self) -> usize {
        control::clear_mail(&self.shared)
    }

    /// Takes the SMTP sink down (`false`: new connections are closed without a greeting and
    /// open ones are closed) or brings it up again (`true`).
    pub fn set_smtp_up(&self, up: bool) {
        control::set_smtp_up(&self.shared, up);
    }

    /// The configuration it started with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Adds a fault rule.
    pub fn add_fault(&self, rule: FaultRule) -> FaultId {
        control::add_fault(&self.shared, rule)
    }

    /// Removes one fault rule; `false` if it was not active.
    pub fn remove_fault(&self, id: FaultId) -> bool {
        control::remove_fault(&self.shared, id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        control::clear_faults(&self.shared);
    }

    /// Active fault rules.
    pub fn faults(&self) -> Vec<ActiveFault> {
        control::faults(&self.shared)
    }

    /// Moves simulated time forward.
    pub fn advance_clock(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.shared.clock.advance_ms(ms);
    }

    /// Simulated now, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.shared.now_ms()
    }

    /// The inspection report.
    pub fn inspect(&self) -> Report {
        control::inspect(&self.shared)
    }

    /// Back to the configured accounts, users, settings and faults, an empty inbox and the
    /// SMTP sink up (the clock keeps its offset: simulated time never goes back).
    pub fn reset(&self) -> Result<(), SimError> {
        control::reset(&self.shared)
    }

    /// Creates an Instagram professional account.
    pub fn add_instagram_account(&self, spec: IgAccountSpec) -> Result<IgAccount, SimError> {
        control::add_account(&self.shared, &spec)
    }

    /// Instagram accounts, in creation order.
    pub fn instagram_accounts(&self) -> Vec<IgAccount> {
        control::accounts(&self.shared)
    }

    /// Issues an Instagram token with both publishing scopes without the OAuth dance
    /// (`account`: user id, app-scoped id or username).
    pub fn issue_instagram_token(
        &self,
        account: &str,
        kind: TokenKind,
    ) -> Result<IssuedToken, SimError> {
        control::issue_token(&self.shared, account, kind)
    }

    /// Revokes tokens: later calls get 190 with `subcode` (default 460). Returns how many.
    pub fn revoke_tokens(&self, target: &TokenTarget, subcode: Option<i64>) -> usize {
        control::revoke(&self.shared, target, subcode)
    }

    /// Expires tokens now: later calls get 190/463. Returns how many.
    pub fn expire_tokens(&self, target: &TokenTarget) -> usize {
        control::expire(&self.shared, target)
    }

    /// Sets (or with `None` clears) an account's own `quota_total`.
    pub fn set_quota_total(&self, account: &str, quota_total: Option<u32>) -> Result<(), SimError> {
        control::set_quota(&self.shared, account, quota_total)
    }

    /// Adds a Google user, or replaces the one with the same `sub`.
    pub fn add_google_user(&self, user: GoogleUser) -> Result<(), SimError> {
        control::add_google_user(&self.shared, user)
    }

    /// The id token claims the token endpoint would issue for `user` (`sub` or email), to be
    /// altered and signed with [`crate::sign_google_claims`] or [`crate::sign_with_rogue_key`].
    pub fn google_id_token_claims(
        &self,
        user: &str,
        nonce: Option<&str>,
    ) -> Result<Value, SimError> {
        control::google_claims(&self.shared, user, nonce)
    }

    /// A `signed_request` for `payload`, signed with the configured Instagram app secret.
    pub fn signed_request(&self, payload: &Value) -> String {
        meta::signed_request(&self.shared.config.instagram.client_secret, payload)
    }

    /// Current run-time settings.
    pub fn settings(&self) -> Settings {
        control::settings(&self.shared)
    }

    /// Changes run-time settings; returns the result.
    pub fn update_settings(&self, patch: &SettingsPatch) -> Settings {
        control::update_settings(&self.shared, patch)
    }

    /// Stops serving and waits for the accept loop to end.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(task) = self.smtp_task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
