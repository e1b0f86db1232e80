//! Control operations shared by the in-process handle and the admin HTTP endpoints.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{GoogleUser, IgAccountSpec};
use crate::error::SimError;
use crate::faults::{ActiveFault, FaultId, FaultRule};
use crate::google::id_token_claims;
use crate::inspect::{
    AccountReport, ContainerReport, PublishReport, Report, UploadReport, find_anomalies,
};
use crate::instagram::{
    IgAccount, LONG_LIVED_MS, SCOPE_BASIC, SCOPE_PUBLISH, SHORT_LIVED_MS, TokenKind,
};
use crate::mail::MailMessage;
use crate::settings::{Settings, SettingsPatch};
use crate::shared::{Shared, State};

/// Which Instagram tokens a revoke or expire applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenTarget {
    /// One token, by value.
    Token(String),
    /// Every token of an account (by user id, app-scoped id or username).
    Account(String),
}

/// A freshly issued Instagram token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    /// The token.
    pub access_token: String,
    /// Its account's professional id.
    pub user_id: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

pub(crate) fn add_fault(shared: &Shared, rule: FaultRule) -> FaultId {
    shared.lock().faults.add(rule)
}

pub(crate) fn remove_fault(shared: &Shared, id: FaultId) -> bool {
    shared.lock().faults.remove(id)
}

pub(crate) fn clear_faults(shared: &Shared) {
    shared.lock().faults.clear();
}

pub(crate) fn faults(shared: &Shared) -> Vec<ActiveFault> {
    shared.lock().faults.list()
}

pub(crate) fn reset(shared: &Shared) -> Result<(), SimError> {
    let fresh = State::fresh(&shared.config, shared.now_ms())?;
    *shared.lock() = fresh;
    set_smtp_up(shared, true);
    Ok(())
}

pub(crate) fn mail(shared: &Shared, to: Option<&str>) -> Vec<MailMessage> {
    shared.lock().mail.list(to)
}

pub(crate) fn mail_raw(shared: &Shared, id: u64) -> Option<Vec<u8>> {
    shared.lock().mail.get(id).map(|s| s.raw.as_ref().clone())
}

pub(crate) fn clear_mail(shared: &Shared) -> usize {
    shared.lock().mail.clear()
}

pub(crate) fn set_smtp_up(shared: &Shared, up: bool) {
    shared.smtp_up.send_replace(up);
}

pub(crate) fn add_account(shared: &Shared, spec: &IgAccountSpec) -> Result<IgAccount, SimError> {
    let now = shared.now_ms();
    let mut guard = shared.lock();
    let state = &mut *guard;
    state.ig.add_account(&mut state.ids, spec, now)
}

pub(crate) fn accounts(shared: &Shared) -> Vec<IgAccount> {
    shared.lock().ig.accounts.clone()
}

pub(crate) fn set_quota(
    shared: &Shared,
    account: &str,
    quota: Option<u32>,
) -> Result<(), SimError> {
    let mut state = shared.lock();
    let user_id = state
        .ig
        .find_account(account)
        .map(|a| a.user_id.clone())
        .ok_or_else(|| SimError::NotFound(format!("Instagram account {account}")))?;
    if let Some(a) = state.ig.accounts.iter_mut().find(|a| a.user_id == user_id) {
        a.quota_total = quota;
    }
    Ok(())
}

pub(crate) fn issue_token(
    shared: &Shared,
    account: &str,
    kind: TokenKind,
) -> Result<IssuedToken, SimError> {
    let now = shared.now_ms();
    let mut guard = shared.lock();
    let state = &mut *guard;
    let user_id = state
        .ig
        .find_account(account)
        .map(|a| a.user_id.clone())
        .ok_or_else(|| SimError::NotFound(format!("Instagram account {account}")))?;
    let scopes = vec![SCOPE_BASIC.to_owned(), SCOPE_PUBLISH.to_owned()];
    let (access_token, _) = state
        .ig
        .issue_token(&mut state.ids, &user_id, kind, scopes, now);
    let lifetime = match kind {
        TokenKind::ShortLived => SHORT_LIVED_MS,
        TokenKind::LongLived => LONG_LIVED_MS,
    };
    Ok(IssuedToken {
        access_token,
        user_id,
        expires_in: lifetime / 1000,
    })
}

/// Applies `change` to every token the target names; returns how many.
fn for_tokens(
    shared: &Shared,
    target: &TokenTarget,
    mut change: impl FnMut(&mut crate::instagram::TokenRecord),
) -> usize {
    let mut state = shared.lock();
    let user_id = match target {
        TokenTarget::Token(_) => None,
        TokenTarget::Account(key) => match state.ig.find_account(key) {
            Some(a) => Some(a.user_id.clone()),
            None => return 0,
        },
    };
    let mut count = 0;
    for (value, token) in state.ig.tokens.iter_mut() {
        let hit = match (target, &user_id) {
            (TokenTarget::Token(t), _) => t == value,
            (TokenTarget::Account(_), Some(id)) => &token.user_id == id,
            (TokenTarget::Account(_), None) => false,
        };
        if hit {
            change(token);
            count += 1;
        }
    }
    count
}

pub(crate) fn revoke(shared: &Shared, target: &TokenTarget, subcode: Option<i64>) -> usize {
    let subcode = subcode.unwrap_or(460);
    for_tokens(shared, target, |t| t.revoked = Some(subcode))
}

pub(crate) fn expire(shared: &Shared, target: &TokenTarget) -> usize {
    let now = shared.now_ms();
    for_tokens(shared, target, |t| t.expires_ms = t.expires_ms.min(now))
}

pub(crate) fn add_google_user(shared: &Shared, user: GoogleUser) -> Result<(), SimError> {
    shared.lock().google.add_user(user)
}

pub(crate) fn google_users(shared: &Shared) -> Vec<GoogleUser> {
    shared.lock().google.users.clone()
}

pub(crate) fn google_claims(
    shared: &Shared,
    user: &str,
    nonce: Option<&str>,
) -> Result<Value, SimError> {
    let state = shared.lock();
    let user = state
        .google
        .find_user(user)
        .ok_or_else(|| SimError::NotFound(format!("Google user {user}")))?;
    Ok(id_token_claims(
        &shared.urls.google_issuer,
        &shared.config.google.client_id,
        user,
        nonce,
        "openid email profile",
        shared.now_ms() / 1000,
    ))
}

pub(crate) fn settings(shared: &Shared) -> Settings {
    shared.lock().settings.clone()
}

pub(crate) fn update_settings(shared: &Shared, patch: &SettingsPatch) -> Settings {
    let mut state = shared.lock();
    state.settings.apply(patch);
    state.settings.clone()
}

pub(crate) fn inspect(shared: &Shared) -> Report {
    let now = shared.now_ms();
    let state = shared.lock();
    let ig = &state.ig;
    let accounts: Vec<AccountReport> = ig
        .accounts
        .iter()
        .map(|account| {
            let containers: Vec<ContainerReport> = ig
                .container_order
                .iter()
                .filter_map(|id| ig.containers.get(id))
                .filter(|c| c.user_id == account.user_id)
                .map(|c| ContainerReport {
                    id: c.id.clone(),
                    media_type: c.media_type,
                    is_carousel_item: c.is_carousel_item,
                    status_code: ig.status(c, now),
                    children: c.children.clone(),
                    created_ms: c.created_ms,
                    media_url: c.media_url.clone(),
                    caption: c.caption.clone(),
                    publish_count: c.publish_count,
                    refused_publish_attempts: c.refused_publish_attempts,
                    double_publish_attempts: c.already_published_attempts,
                    media_id: c.media_id.clone(),
                })
                .collect();
            let publishes: Vec<PublishReport> = ig
                .publishes
                .iter()
                .filter(|p| p.user_id == account.user_id)
                .map(|p| PublishReport {
                    media_id: p.media_id.clone(),
                    container_id: p.container_id.clone(),
                    at_ms: p.at_ms,
                })
                .collect();
            let (duplicate_publishes, orphan_media) = find_anomalies(&containers, &publishes);
            AccountReport {
                user_id: account.user_id.clone(),
                app_scoped_id: account.app_scoped_id.clone(),
                username: account.username.clone(),
                quota_total: account.quota_total.unwrap_or(state.settings.quota_total),
                quota_usage: ig.quota_usage(&account.user_id, now),
                containers,
                publishes,
                duplicate_publishes,
                orphan_media,
            }
        })
        .collect();
    let duplicate_publishes: Vec<String> = accounts
        .iter()
        .flat_map(|a| a.duplicate_publishes.iter().cloned())
        .collect();
    let mut orphan_media: Vec<String> = accounts
        .iter()
        .flat_map(|a| a.orphan_media.iter().cloned())
        .collect();
    orphan_media.extend(
        ig.publishes
            .iter()
            .filter(|p| ig.account(&p.user_id).is_none())
            .map(|p| p.media_id.clone()),
    );
    // Every media object must be the recorded result of its own container.
    let mut unclaimed: Vec<String> = ig
        .media
        .values()
        .filter(|m| {
            ig.containers.get(&m.container_id).is_none_or(|c| {
                c.user_id != m.user_id || c.media_id.as_deref() != Some(m.id.as_str())
            })
        })
        .map(|m| m.id.clone())
        .filter(|id| !orphan_media.contains(id))
        .collect();
    unclaimed.sort();
    orphan_media.extend(unclaimed);
    let imgbb_uploads = state
        .imgbb
        .order
        .iter()
        .filter_map(|id| state.imgbb.images.get(id))
        .map(|i| UploadReport {
            id: i.id.clone(),
            url: format!("{}/i/{}/{}", shared.urls.imgbb, i.id, i.filename),
            size: i.bytes.len(),
            uploaded_ms: i.uploaded_ms,
            expires_ms: i.expires_ms,
            live: i.live(now),
        })
        .collect();
    Report {
        now_ms: now,
        clock_offset_ms: shared.clock.offset_ms(),
        exactly_once: duplicate_publishes.is_empty() && orphan_media.is_empty(),
        accounts,
        duplicate_publishes,
        orphan_media,
        imgbb_uploads,
        calls: state
            .calls
            .iter()
            .map(|(k, v)| (k.name().to_owned(), *v))
            .collect(),
        faults_fired: state
            .faults_fired
            .iter()
            .map(|(k, v)| (k.name().to_owned(), *v))
            .collect(),
    }
}
