//! Instagram's state: accounts, tokens, authorization codes, containers, media, publishes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::container::{Container, Media, PublishRecord, StatusCode, combine};
use crate::clock::{DAY_MS, HOUR_MS};
use crate::config::IgAccountSpec;
use crate::error::SimError;
use crate::graph_error::GraphError;
use crate::ids::IdGen;

/// Lifetime of a short-lived token.
pub(crate) const SHORT_LIVED_MS: i64 = HOUR_MS;
/// Lifetime of a long-lived token.
pub(crate) const LONG_LIVED_MS: i64 = 60 * DAY_MS;
/// Lifetime of an authorization code.
pub(crate) const CODE_TTL_MS: i64 = HOUR_MS;
/// Scope needed to read the profile.
pub(crate) const SCOPE_BASIC: &str = "instagram_business_basic";
/// Scope needed to publish.
pub(crate) const SCOPE_PUBLISH: &str = "instagram_business_content_publish";
/// Scopes the consent screen knows.
pub(crate) const KNOWN_SCOPES: [&str; 5] = [
    SCOPE_BASIC,
    SCOPE_PUBLISH,
    "instagram_business_manage_messages",
    "instagram_business_manage_comments",
    "instagram_business_manage_insights",
];

/// An Instagram professional account, as the control API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgAccount {
    /// Professional account id (publishing paths, webhooks, `/me` `user_id`).
    pub user_id: String,
    /// App-scoped id (`/me` `id`, token exchange `user_id`).
    pub app_scoped_id: String,
    /// Username.
    pub username: String,
    /// Own `quota_total`, if set.
    pub quota_total: Option<u32>,
}

/// Kind of Instagram token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// One hour, from the code exchange.
    ShortLived,
    /// 60 days, from the long-lived exchange or a refresh.
    LongLived,
}

/// A token record.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub user_id: String,
    pub kind: TokenKind,
    pub scopes: Vec<String>,
    pub issued_ms: i64,
    pub expires_ms: i64,
    /// `Some(subcode)` once revoked.
    pub revoked: Option<i64>,
}

/// An authorization code.
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub issued_ms: i64,
    pub used: bool,
}

/// An authorize request waiting for the person's decision on the consent page.
#[derive(Debug, Clone)]
pub(crate) struct PendingConsent {
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
}

/// All Instagram state.
#[derive(Debug, Default)]
pub(crate) struct IgState {
    pub accounts: Vec<IgAccount>,
    pub tokens: HashMap<String, Token>,
    pub codes: HashMap<String, AuthCode>,
    pub pending: HashMap<String, PendingConsent>,
    pub containers: HashMap<String, Container>,
    pub container_order: Vec<String>,
    pub media: HashMap<String, Media>,
    pub publishes: Vec<PublishRecord>,
}

impl IgState {
    /// Creates an account, generating missing ids.
    pub(crate) fn add_account(
        &mut self,
        ids: &mut IdGen,
        spec: &IgAccountSpec,
        _now_ms: i64,
    ) -> Result<IgAccount, SimError> {
        let username = if spec.username.trim().is_empty() {
            ids.alnum("ig_user_", 6).to_lowercase()
        } else {
            spec.username.trim().to_owned()
        };
        let user_id = spec
            .user_id
            .clone()
            .unwrap_or_else(|| ids.digits("1784", 17));
        let app_scoped_id = spec
            .app_scoped_id
            .clone()
            .unwrap_or_else(|| ids.digits("2", 17));
        for existing in &self.accounts {
            let clash = existing.username == username
                || existing.user_id == user_id
                || existing.app_scoped_id == app_scoped_id
                || existing.user_id == app_scoped_id
                || existing.app_scoped_id == user_id;
            if clash {
                return Err(SimError::Conflict(format!(
                    "an Instagram account with username {username}, user_id {user_id} or \
                     app_scoped_id {app_scoped_id} already exists"
                )));
            }
        }
        let account = IgAccount {
            user_id,
            app_scoped_id,
            username,
            quota_total: spec.quota_total,
        };
        self.accounts.push(account.clone());
        Ok(account)
    }

    /// An account by username, professional id or app-scoped id.
    pub(crate) fn find_account(&self, key: &str) -> Option<&IgAccount> {
        self.accounts
            .iter()
            .find(|a| a.username == key || a.user_id == key || a.app_scoped_id == key)
    }

    /// An account by professional id.
    pub(crate) fn account(&self, user_id: &str) -> Option<&IgAccount> {
        self.accounts.iter().find(|a| a.user_id == user_id)
    }

    /// Issues a token.
    pub(crate) fn issue_token(
        &mut self,
        ids: &mut IdGen,
        user_id: &str,
        kind: TokenKind,
        scopes: Vec<String>,
        now_ms: i64,
    ) -> (String, Token) {
        let lifetime = match kind {
            TokenKind::ShortLived => SHORT_LIVED_MS,
            TokenKind::LongLived => LONG_LIVED_MS,
        };
        let mut value = ids.alnum("IGAA", 96);
        while self.tokens.contains_key(&value) {
            value = ids.alnum("IGAA", 96);
        }
        let token = Token {
            user_id: user_id.to_owned(),
            kind,
            scopes,
            issued_ms: now_ms,
            expires_ms: now_ms + lifetime,
            revoked: None,
        };
        self.tokens.insert(value.clone(), token.clone());
        (value, token)
    }

    /// Validates a presented token (190 and its subcodes on failure).
    pub(crate) fn authenticate(
        &self,
        token: Option<&str>,
        now_ms: i64,
    ) -> Result<&Token, GraphError> {
        let token = token.ok_or_else(GraphError::token_missing)?;
        let record = self
            .tokens
            .get(token)
            .ok_or_else(|| GraphError::token(467))?;
        if let Some(subcode) = record.revoked {
            return Err(GraphError::token(subcode));
        }
        if now_ms >= record.expires_ms {
            return Err(GraphError::token(463));
        }
        if self.account(&record.user_id).is_none() {
            return Err(GraphError::token(458));
        }
        Ok(record)
    }

    /// The account a path id names, which must be the token's own (`me` is accepted).
    pub(crate) fn path_account(
        &self,
        token: &Token,
        path_id: &str,
        method: &str,
    ) -> Result<&IgAccount, GraphError> {
        let own = self
            .account(&token.user_id)
            .ok_or_else(|| GraphError::token(458))?;
        if path_id == "me" || path_id == own.user_id || path_id == own.app_scoped_id {
            Ok(own)
        } else {
            Err(GraphError::object_not_found(method, path_id))
        }
    }

    /// Status of a container, including its children for carousels.
    pub(crate) fn status(&self, container: &Container, now_ms: i64) -> StatusCode {
        let (own, _) = container.own_status(now_ms);
        if container.children.is_empty() {
            return own;
        }
        let children: Vec<StatusCode> = container
            .children
            .iter()
            .filter_map(|id| self.containers.get(id))
            .map(|child| child.own_status(now_ms).0)
            .collect();
        combine(own, &children)
    }

    /// Publishes in the rolling 24 h window ending now.
    pub(crate) fn quota_usage(&self, user_id: &str, now_ms: i64) -> u32 {
        let count = self
            .publishes
            .iter()
            .filter(|p| p.user_id == user_id && p.at_ms > now_ms - DAY_MS && p.at_ms <= now_ms)
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }
}
