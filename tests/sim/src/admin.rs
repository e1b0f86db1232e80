//! Admin and inspection endpoints under `/_sim` (JSON in, JSON out; errors as
//! `{"error": "..."}`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{GoogleUser, IgAccountSpec};
use crate::control::{self, TokenTarget};
use crate::error::SimError;
use crate::faults::{FaultId, FaultRule};
use crate::instagram::TokenKind;
use crate::meta;
use crate::settings::SettingsPatch;
use crate::shared::Shared;

type Sim = State<Arc<Shared>>;

/// Routes under `/_sim`.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/health", get(|| async { "ok" }))
        .route("/_sim/urls", get(get_urls))
        .route("/_sim/inspect", get(get_inspect))
        .route("/_sim/reset", post(post_reset))
        .route(
            "/_sim/faults",
            get(get_faults).post(post_faults).delete(delete_faults),
        )
        .route("/_sim/faults/{id}", delete(delete_fault))
        .route("/_sim/clock", get(get_clock))
        .route("/_sim/clock/advance", post(post_advance))
        .route(
            "/_sim/settings",
            get(get_settings).patch(patch_settings).post(patch_settings),
        )
        .route(
            "/_sim/instagram/accounts",
            get(get_accounts).post(post_account),
        )
        .route("/_sim/instagram/accounts/{account}/quota", post(post_quota))
        .route("/_sim/instagram/tokens", post(post_token))
        .route("/_sim/instagram/tokens/revoke", post(post_revoke))
        .route("/_sim/instagram/tokens/expire", post(post_expire))
        .route(
            "/_sim/google/users",
            get(get_google_users).post(post_google_user),
        )
        .route("/_sim/meta/signed_request", post(post_signed_request))
        .route("/_sim/smtp", get(get_smtp))
        .route("/_sim/smtp/down", post(post_smtp_down))
        .route("/_sim/smtp/up", post(post_smtp_up))
}

/// A request body that is not the expected JSON: 422 `{"error": ...}`.
struct BadBody(String);

impl IntoResponse for BadBody {
    fn into_response(self) -> Response {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": self.0})),
        )
            .into_response()
    }
}

/// Parses a JSON body (an empty body reads as `{}`).
fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, BadBody> {
    let text: &[u8] = if body.is_empty() { b"{}" } else { body };
    serde_json::from_slice(text).map_err(|e| BadBody(e.to_string()))
}

fn fail(error: &SimError) -> Response {
    let status = match error {
        SimError::NotFound(_) => StatusCode::NOT_FOUND,
        SimError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    (status, Json(json!({"error": error.to_string()}))).into_response()
}

async fn get_urls(State(shared): Sim) -> Response {
    Json(shared.urls.clone()).into_response()
}

async fn get_inspect(State(shared): Sim) -> Response {
    Json(control::inspect(&shared)).into_response()
}

async fn post_reset(State(shared): Sim) -> Response {
    match control::reset(&shared) {
        Ok(()) => Json(json!({"reset": true})).into_response(),
        Err(e) => fail(&e),
    }
}

async fn get_faults(State(shared): Sim) -> Response {
    Json(control::faults(&shared)).into_response()
}

/// One rule or a list of rules.
#[derive(Deserialize)]
#[serde(untagged)]
enum Rules {
    One(FaultRule),
    Many(Vec<FaultRule>),
}

async fn post_faults(State(shared): Sim, body: Bytes) -> Response {
    let rules: Rules = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let rules = match rules {
        Rules::One(rule) => vec![rule],
        Rules::Many(rules) => rules,
    };
    if let Some(error) = rules.iter().find_map(|rule| rule.check().err()) {
        return BadBody(error).into_response();
    }
    let ids: Vec<FaultId> = rules
        .into_iter()
        .map(|rule| control::add_fault(&shared, rule))
        .collect();
    Json(json!({ "ids": ids })).into_response()
}

async fn delete_faults(State(shared): Sim) -> Response {
    control::clear_faults(&shared);
    Json(json!({"cleared": true})).into_response()
}

async fn delete_fault(State(shared): Sim, Path(id): Path<u64>) -> Response {
    if control::remove_fault(&shared, FaultId(id)) {
        Json(json!({"removed": id})).into_response()
    } else {
        fail(&SimError::NotFound(format!("fault {id}")))
    }
}

async fn get_clock(State(shared): Sim) -> Response {
    Json(json!({"now_ms": shared.now_ms(), "offset_ms": shared.clock.offset_ms()})).into_response()
}

/// How far to move the clock; the fields add up.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Advance {
    ms: i64,
    seconds: i64,
    minutes: i64,
    hours: i64,
    days: i64,
}

async fn post_advance(State(shared): Sim, body: Bytes) -> Response {
    let by: Advance = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let ms = by.ms
        + by.seconds * 1000
        + by.minutes * 60_000
        + by.hours * 3_600_000
        + by.days * 86_400_000;
    if ms < 0 {
        return fail(&SimError::Config("the clock only moves forward".into()));
    }
    shared.clock.advance_ms(ms);
    Json(json!({"now_ms": shared.now_ms(), "offset_ms": shared.clock.offset_ms()})).into_response()
}

async fn get_settings(State(shared): Sim) -> Response {
    Json(control::settings(&shared)).into_response()
}

async fn patch_settings(State(shared): Sim, body: Bytes) -> Response {
    let patch: SettingsPatch = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    Json(control::update_settings(&shared, &patch)).into_response()
}

async fn get_accounts(State(shared): Sim) -> Response {
    Json(control::accounts(&shared)).into_response()
}

async fn post_account(State(shared): Sim, body: Bytes) -> Response {
    let spec: IgAccountSpec = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match control::add_account(&shared, &spec) {
        Ok(account) => (StatusCode::CREATED, Json(account)).into_response(),
        Err(e) => fail(&e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Quota {
    quota_total: Option<u32>,
}

async fn post_quota(State(shared): Sim, Path(account): Path<String>, body: Bytes) -> Response {
    let quota: Quota = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match control::set_quota(&shared, &account, quota.quota_total) {
        Ok(()) => {
            Json(json!({"account": account, "quota_total": quota.quota_total})).into_response()
        }
        Err(e) => fail(&e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueToken {
    account: String,
    #[serde(default = "long_lived")]
    kind: TokenKind,
}

fn long_lived() -> TokenKind {
    TokenKind::LongLived
}

async fn post_token(State(shared): Sim, body: Bytes) -> Response {
    let body: IssueToken = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match control::issue_token(&shared, &body.account, body.kind) {
        Ok(token) => (StatusCode::CREATED, Json(token)).into_response(),
        Err(e) => fail(&e),
    }
}

/// `{"token": "..."}` or `{"account": "..."}`, with an optional 190 `subcode` for revokes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    subcode: Option<i64>,
}

impl Target {
    fn target(&self) -> Result<TokenTarget, SimError> {
        match (&self.token, &self.account) {
            (Some(token), None) => Ok(TokenTarget::Token(token.clone())),
            (None, Some(account)) => Ok(TokenTarget::Account(account.clone())),
            _ => Err(SimError::Config(
                "give exactly one of token or account".into(),
            )),
        }
    }
}

async fn post_revoke(State(shared): Sim, body: Bytes) -> Response {
    let body: Target = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match body.target() {
        Ok(target) => Json(json!({"revoked": control::revoke(&shared, &target, body.subcode)}))
            .into_response(),
        Err(e) => fail(&e),
    }
}

async fn post_expire(State(shared): Sim, body: Bytes) -> Response {
    let body: Target = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match body.target() {
        Ok(target) => Json(json!({"expired": control::expire(&shared, &target)})).into_response(),
        Err(e) => fail(&e),
    }
}

async fn get_google_users(State(shared): Sim) -> Response {
    Json(control::google_users(&shared)).into_response()
}

async fn post_google_user(State(shared): Sim, body: Bytes) -> Response {
    let user: GoogleUser = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match control::add_google_user(&shared, user.clone()) {
        Ok(()) => (StatusCode::CREATED, Json(user)).into_response(),
        Err(e) => fail(&e),
    }
}

async fn get_smtp(State(shared): Sim) -> Response {
    let up = *shared.smtp_up.borrow();
    Json(json!({"listen": shared.smtp_addr, "up": up})).into_response()
}

async fn post_smtp_down(State(shared): Sim) -> Response {
    set_smtp(&shared, false)
}

async fn post_smtp_up(State(shared): Sim) -> Response {
    set_smtp(&shared, true)
}

/// Takes the SMTP sink down or up; 404 when it does not run.
fn set_smtp(shared: &Shared, up: bool) -> Response {
    if shared.smtp_addr.is_none() {
        return fail(&SimError::NotFound(
            "SMTP sink (start with --smtp-listen)".into(),
        ));
    }
    control::set_smtp_up(shared, up);
    Json(json!({"listen": shared.smtp_addr, "up": up})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    payload: Value,
    #[serde(default)]
    secret: Option<String>,
}

async fn post_signed_request(State(shared): Sim, body: Bytes) -> Response {
    let body: SignRequest = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let secret = body
        .secret
        .unwrap_or_else(|| shared.config.instagram.client_secret.clone());
    Json(json!({"signed_request": meta::signed_request(&secret, &body.payload)})).into_response()
}
