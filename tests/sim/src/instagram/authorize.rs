//! `GET /oauth/authorize`: the Instagram Login consent screen, or a headless decision with
//! `sim_consent=allow|deny` (and `sim_account=<username or id>`; an unknown username creates
//! that account). Allow redirects to `redirect_uri?code=...&state=...#_`; deny to
//! `redirect_uri?error=access_denied&error_reason=user_denied&error_description=...&state=...`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::state::{AuthCode, KNOWN_SCOPES, PendingConsent};
use crate::config::IgAccountSpec;
use crate::faults::{Call, Endpoint, guarded};
use crate::html::{self, escape, hidden};
use crate::params::Params;
use crate::redirect::{is_web_url, redirect};
use crate::shared::{Shared, State as SimState};

/// `GET {instagram}/oauth/authorize`.
pub(crate) async fn get_authorize(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let params = match Params::read(request, 64 * 1024).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let call = Call::new(Endpoint::IgAuthorize, params.kill.clone());
    guarded(&shared, call, || async { authorize(&shared, &params) }).await
}

/// `POST {instagram}/oauth/authorize/decision`: the consent page's Allow / Deny buttons.
pub(crate) async fn post_decision(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let params = match Params::read(request, 64 * 1024).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let call = Call::new(Endpoint::IgAuthorize, params.kill.clone());
    guarded(&shared, call, || async { decide(&shared, &params) }).await
}

fn oauth_error(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error_type": "OAuthException", "code": 400, "error_message": message})),
    )
        .into_response()
}

fn authorize(shared: &Shared, params: &Params) -> Response {
    if params.get("client_id") != Some(shared.config.instagram.client_id.as_str()) {
        return oauth_error("Invalid platform app");
    }
    let Some(redirect_uri) = params.non_empty("redirect_uri") else {
        return oauth_error("Invalid redirect_uri");
    };
    if !is_web_url(redirect_uri) {
        return oauth_error("Invalid redirect_uri");
    }
    if params.get("response_type") != Some("code") {
        return oauth_error("Invalid response_type: only 'code' is supported");
    }
    let scopes: Vec<String> = params
        .get("scope")
        .unwrap_or("")
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let unknown: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !KNOWN_SCOPES.contains(s))
        .collect();
    if scopes.is_empty() || !unknown.is_empty() {
        return oauth_error(&format!("Invalid Scopes: {}", unknown.join(", ")));
    }
    let pending = PendingConsent {
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: params.get("state").map(str::to_owned),
    };
    match params.get("sim_consent") {
        Some("allow") => allow(shared, &pending, params.non_empty("sim_account")),
        Some("deny") => deny(&pending),
        Some(other) => oauth_error(&format!("sim_consent must be allow or deny, not {other}")),
        None => consent_page(shared, pending),
    }
}

fn decide(shared: &Shared, params: &Params) -> Response {
    let pending = {
        let mut state = shared.lock();
        params
            .get("request_id")
            .and_then(|id| state.ig.pending.remove(id))
    };
    let Some(pending) = pending else {
        return html::error_page(
            StatusCode::BAD_REQUEST,
            "This request has expired",
            "Start again from the app that sent you here.",
        );
    };
    match params.get("decision") {
        Some("allow") => {
            let account = params
                .non_empty("new_username")
                .or_else(|| params.non_empty("account"));
            allow(shared, &pending, account)
        }
        _ => deny(&pending),
    }
}

fn consent_page(shared: &Shared, pending: PendingConsent) -> Response {
    let (request_id, accounts) = {
        let mut guard = shared.lock();
        let state = &mut *guard;
        let id = state.ids.alnum("", 24);
        state.ig.pending.insert(id.clone(), pending.clone());
        let accounts: Vec<String> = state
            .ig
            .accounts
            .iter()
            .map(|a| a.username.clone())
            .collect();
        (id, accounts)
    };
    let scopes: String = pending
        .scopes
        .iter()
        .map(|s| {
            format!(
                "<li><code>{}</code> &mdash; {}</li>",
                escape(s),
                scope_text(s)
            )
        })
        .collect();
    let options: String = accounts
        .iter()
        .map(|u| format!("<option value=\"{0}\">@{0}</option>", escape(u)))
        .collect();
    let body = format!(
        "<h1>Instagram</h1><p>App <strong>{app}</strong> would like to access your Instagram \
         professional account.</p><p>It asks for:</p><ul>{scopes}</ul>\
         <form method=\"post\" action=\"{action}\">{hidden}\
         <p><label>Log in as <select name=\"account\">{options}</select></label></p>\
         <p><label>or as a new account <input name=\"new_username\" placeholder=\"username\"></label></p>\
         <button class=\"primary\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        app = escape(&shared.config.instagram.client_id),
        action = escape(&format!(
            "{}/oauth/authorize/decision",
            shared.urls.instagram
        )),
        hidden = hidden("request_id", &request_id),
    );
    Html(html::page("Allow access? · Instagram", &body)).into_response()
}

fn scope_text(scope: &str) -> &'static str {
    match scope {
        "instagram_business_basic" => "read your profile (username, account id) and media",
        "instagram_business_content_publish" => "publish photos, reels and stories on your behalf",
        "instagram_business_manage_messages" => "manage your messages",
        "instagram_business_manage_comments" => "manage comments on your media",
        _ => "read your insights",
    }
}

fn allow(shared: &Shared, pending: &PendingConsent, account: Option<&str>) -> Response {
    let now = shared.now_ms();
    let code = {
        let mut guard = shared.lock();
        let state = &mut *guard;
        let user_id = match pick_account(state, account, now) {
            Ok(id) => id,
            Err(message) => return oauth_error(&message),
        };
        let code = state.ids.alnum("AQ", 80);
        state.ig.codes.insert(
            code.clone(),
            AuthCode {
                user_id,
                redirect_uri: pending.redirect_uri.clone(),
                scopes: pending.scopes.clone(),
                issued_ms: now,
                used: false,
            },
        );
        code
    };
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &pending.state {
        pairs.push(("state", state));
    }
    redirect(&pending.redirect_uri, &pairs, Some("_"))
}

fn pick_account(state: &mut SimState, key: Option<&str>, now: i64) -> Result<String, String> {
    if let Some(key) = key {
        if let Some(account) = state.ig.find_account(key) {
            return Ok(account.user_id.clone());
        }
    } else if let Some(first) = state.ig.accounts.first() {
        return Ok(first.user_id.clone());
    }
    let spec = IgAccountSpec {
        username: key.unwrap_or("").to_owned(),
        ..IgAccountSpec::default()
    };
    state
        .ig
        .add_account(&mut state.ids, &spec, now)
        .map(|a| a.user_id)
        .map_err(|e| e.to_string())
}

fn deny(pending: &PendingConsent) -> Response {
    let mut pairs = vec![
        ("error", "access_denied"),
        ("error_reason", "user_denied"),
        ("error_description", "Permissions error"),
    ];
    if let Some(state) = &pending.state {
        pairs.push(("state", state));
    }
    redirect(&pending.redirect_uri, &pairs, None)
}
