//! Refused attempts, written to the audit log: who (when known), what was attempted, from
//! which address and why, never a password, token or cookie value.
//!
//! A flood cannot fill the database: refusals with the same reason from the same address (and,
//! for a signed-in operator, the same operator) within one clock minute are one entry that
//! counts them (`aistudio_jobs::store::AuditLog::record_refusal`), and refusals expire after
//! 90 days.

use std::net::IpAddr;

use aistudio_jobs::store::{AuditEntry, AuditOutcome, User};
use axum::extract::OriginalUri;
use axum::http::{Extensions, Method, Uri};
use chrono::Utc;

use crate::error::AdminError;
use crate::state::AdminState;

/// Why the console refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The sign-in form's double-submit token was missing or wrong.
    SignInFormInvalid,
    /// Too many failed sign-ins for the account or the address.
    Locked,
    /// No account has the email.
    UnknownAccount,
    /// The password did not match.
    WrongPassword,
    /// The account is not active (being deleted).
    AccountInactive,
    /// The account has neither the operator nor the admin role.
    NoConsoleRole,
    /// The console cookie carried a session issued elsewhere (an API token, a dashboard cookie).
    WrongSessionKind,
    /// A form post without its CSRF token.
    CsrfMissing,
    /// A form post with a wrong CSRF token.
    CsrfWrong,
    /// An action by an operator whose role is read-only.
    RoleRequired,
}

impl Refusal {
    /// The reason's code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::SignInFormInvalid => "sign_in_form_invalid",
            Self::Locked => "locked",
            Self::UnknownAccount => "unknown_account",
            Self::WrongPassword => "wrong_password",
            Self::AccountInactive => "account_inactive",
            Self::NoConsoleRole => "no_console_role",
            Self::WrongSessionKind => "wrong_session_kind",
            Self::CsrfMissing => "csrf_missing",
            Self::CsrfWrong => "csrf_wrong",
            Self::RoleRequired => "role_required",
        }
    }

    /// The reason for a human reading the log.
    fn explanation(self) -> &'static str {
        match self {
            Self::SignInFormInvalid => "the sign-in form's token was missing or wrong",
            Self::Locked => "too many failed sign-ins; locked for now",
            Self::UnknownAccount => "no account has this email",
            Self::WrongPassword => "wrong password",
            Self::AccountInactive => "the account is not active",
            Self::NoConsoleRole => "the account has no console role",
            Self::WrongSessionKind => "the console cookie held a session issued for the api",
            Self::CsrfMissing => "the form's CSRF token was missing",
            Self::CsrfWrong => "the form's CSRF token was wrong",
            Self::RoleRequired => "actions need the admin role; this operator is read-only",
        }
    }
}

/// A refused attempt: what, by whom and from where.
#[derive(Debug)]
pub struct Refused<'a> {
    /// Why.
    pub refusal: Refusal,
    /// What was attempted (`sign_in`, or the request: `POST /admin/posts/{id}/retry`).
    pub action: String,
    /// The account, when known.
    pub user: Option<&'a User>,
    /// Whether the account is known from a session (then it is part of the entry's key).
    pub signed_in: bool,
    /// The client's address.
    pub address: IpAddr,
}

/// What a request attempted: its method and path (never its query or body).
pub fn attempted(method: &Method, uri: &Uri, extensions: &Extensions) -> String {
    let path = extensions
        .get::<OriginalUri>()
        .map_or_else(|| uri.path().to_string(), |u| u.0.path().to_string());
    let path: String = path.chars().take(200).collect();
    format!("{method} {path}")
}

/// Writes `refused` to the audit log (and the api's log).
pub async fn record(state: &AdminState, refused: Refused<'_>) -> Result<(), AdminError> {
    let Refused {
        refusal,
        action,
        user,
        signed_in,
        address,
    } = refused;
    let actor = match (signed_in, user) {
        (true, Some(user)) => user.id.as_str(),
        _ => "",
    };
    let key = format!("{}|{address}|{actor}", refusal.code());
    let entry = AuditEntry {
        id: String::new(),
        at: Utc::now(),
        actor_id: user.map(|u| u.id.clone()).unwrap_or_default(),
        actor_email: user.map(|u| u.email.clone()).unwrap_or_default(),
        target: user.map(|u| format!("user:{}", u.id)).unwrap_or_default(),
        action,
        outcome: AuditOutcome::Refused,
        detail: refusal.explanation().to_string(),
        address: Some(address.to_string()),
        reason: Some(refusal.code().to_string()),
        repeats: 1,
        discard_at: None,
    };
    state.store.audit_log().record_refusal(&key, &entry).await?;
    tracing::warn!(
        reason = refusal.code(),
        action = entry.action,
        actor = entry.actor_id,
        %address,
        "console attempt refused"
    );
    Ok(())
}
