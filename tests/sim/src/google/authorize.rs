//! `GET /o/oauth2/v2/auth`: a consent page where a person picks a Google user, or headless
//! with `sim_user=<sub or email>` (allow) or `sim_consent=deny`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{Challenge, Code, Grant};
use crate::faults::{Call, Endpoint, guarded};
use crate::html::{self, escape, hidden};
use crate::params::Params;
use crate::redirect::{is_web_url, redirect};
use crate::shared::Shared;

/// `GET {google}/o/oauth2/v2/auth`.
pub(crate) async fn get_authorize(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let params = match Params::read(request, 64 * 1024).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let call = Call::new(Endpoint::GoogleAuthorize, params.kill.clone());
    guarded(&shared, call, || async { authorize(&shared, &params) }).await
}

/// `POST {google}/o/oauth2/v2/auth/decision`: the consent page's choice.
pub(crate) async fn post_decision(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let params = match Params::read(request, 64 * 1024).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let call = Call::new(Endpoint::GoogleAuthorize, params.kill.clone());
    guarded(&shared, call, || async {
        let grant = {
            let mut state = shared.lock();
            params
                .get("request_id")
                .and_then(|id| state.google.pending.remove(id))
        };
        let Some(grant) = grant else {
            return html::error_page(
                StatusCode::BAD_REQUEST,
                "This request has expired",
                "Start again from the app that sent you here.",
            );
        };
        match params.non_empty("user") {
            Some(user) if params.get("decision") != Some("deny") => allow(&shared, &grant, user),
            _ => deny(&grant),
        }
    })
    .await
}

fn page_error(title: &str, message: &str) -> Response {
    html::error_page(StatusCode::BAD_REQUEST, title, message)
}

fn authorize(shared: &Shared, params: &Params) -> Response {
    let cfg = &shared.config.google;
    if params.get("client_id") != Some(cfg.client_id.as_str()) {
        return page_error(
            "Error 401: invalid_client",
            "The OAuth client was not found.",
        );
    }
    let Some(redirect_uri) = params.non_empty("redirect_uri").filter(|u| is_web_url(u)) else {
        return page_error(
            "Error 400: invalid_request",
            "Missing or invalid redirect_uri.",
        );
    };
    if !cfg.allowed_redirect_uris.is_empty()
        && !cfg.allowed_redirect_uris.iter().any(|u| u == redirect_uri)
    {
        return page_error(
            "Error 400: redirect_uri_mismatch",
            "The redirect URI in the request does not match the ones authorized for the OAuth client.",
        );
    }
    let state = params.get("state").map(str::to_owned);
    let fail = |error: &str| {
        let mut pairs = vec![("error", error)];
        if let Some(s) = &state {
            pairs.push(("state", s));
        }
        redirect(redirect_uri, &pairs, None)
    };
    if params.get("response_type") != Some("code") {
        return fail("unsupported_response_type");
    }
    let scope = params
        .get("scope")
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if scope.is_empty() {
        return fail("invalid_scope");
    }
    let challenge = match (
        params.non_empty("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (None, _) => None,
        (Some(value), Some("S256")) => Some(Challenge {
            value: value.to_owned(),
            s256: true,
        }),
        (Some(value), None | Some("plain")) => Some(Challenge {
            value: value.to_owned(),
            s256: false,
        }),
        (Some(_), Some(_)) => return fail("invalid_request"),
    };
    let grant = Grant {
        redirect_uri: redirect_uri.to_owned(),
        scope,
        state,
        nonce: params.get("nonce").map(str::to_owned),
        challenge,
    };
    if params.get("sim_consent") == Some("deny") {
        return deny(&grant);
    }
    match params.non_empty("sim_user") {
        Some(user) => allow(shared, &grant, user),
        None => consent_page(shared, grant),
    }
}

fn allow(shared: &Shared, grant: &Grant, user_key: &str) -> Response {
    let now = shared.now_ms();
    let code = {
        let mut guard = shared.lock();
        let state = &mut *guard;
        let Some(user) = state.google.find_user(user_key) else {
            return page_error(
                "Unknown user",
                &format!("No simulated Google user {user_key}."),
            );
        };
        let sub = user.sub.clone();
        let code = state.ids.alnum("4/0A", 60);
        state.google.codes.insert(
            code.clone(),
            Code {
                sub,
                grant: grant.clone(),
                issued_ms: now,
                used: false,
            },
        );
        code
    };
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(state) = &grant.state {
        pairs.push(("state", state));
    }
    pairs.push(("code", &code));
    pairs.push(("scope", &grant.scope));
    pairs.push(("authuser", "0"));
    pairs.push(("prompt", "consent"));
    pairs.push(("iss", &shared.urls.google_issuer));
    redirect(&grant.redirect_uri, &pairs, None)
}

fn deny(grant: &Grant) -> Response {
    let mut pairs = vec![("error", "access_denied")];
    if let Some(state) = &grant.state {
        pairs.push(("state", state));
    }
    redirect(&grant.redirect_uri, &pairs, None)
}

fn consent_page(shared: &Shared, grant: Grant) -> Response {
    let (request_id, users) = {
        let mut guard = shared.lock();
        let state = &mut *guard;
        let id = state.ids.alnum("", 24);
        state.google.pending.insert(id.clone(), grant.clone());
        (id, state.google.users.clone())
    };
    let buttons: String = users
        .iter()
        .map(|u| {
            format!(
                "<p><button class=\"primary\" type=\"submit\" name=\"user\" value=\"{}\">{} &lt;{}&gt;{}</button></p>",
                escape(&u.sub),
                escape(&u.name),
                escape(&u.email),
                if u.email_verified { "" } else { " (email not verified)" },
            )
        })
        .collect();
    let scopes: String = grant
        .scope
        .split(' ')
        .map(|s| format!("<li><code>{}</code></li>", escape(s)))
        .collect();
    let body = format!(
        "<h1>Sign in with Google</h1><p>Choose an account to continue to \
         <strong>{client}</strong>. It will receive:</p><ul>{scopes}</ul>\
         <form method=\"post\" action=\"{action}\">{hidden}{buttons}\
         <p><button type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button></p></form>",
        client = escape(&shared.config.google.client_id),
        action = escape(&format!("{}/o/oauth2/v2/auth/decision", shared.urls.google)),
        hidden = hidden("request_id", &request_id),
    );
    Html(html::page("Sign in - Google Accounts", &body)).into_response()
}
