//! Operators' sign-in and the extractors that guard every page.
//!
//! The console has its own session cookie (`aistudio_admin`, `Path=/admin`, HttpOnly,
//! `SameSite=Strict`, `Secure` per `security.cookie_secure`), backed by the same `sessions`
//! collection as the dashboard. The user's role is read again on every request, so a role
//! taken away takes effect at once: `operator` reads, `admin` also acts, `user` is refused.

use std::net::{IpAddr, SocketAddr};

use aistudio_jobs::crypto::password;
use aistudio_jobs::store::{AuditOutcome, Role, User, UserStatus, random_value};
use axum::extract::{
    ConnectInfo, Form, FromRequest, FromRequestParts, OriginalUri, Query, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::audit;
use crate::csrf;
use crate::error::AdminError;
use crate::html::{self, esc};
use crate::state::AdminState;

/// The console's session cookie.
pub const ADMIN_COOKIE: &str = "aistudio_admin";
/// The sign-in form's double-submit cookie.
const LOGIN_COOKIE: &str = "aistudio_admin_login";
/// Longest console session, whatever the dashboard's session lifetime.
const MAX_SESSION_HOURS: u64 = 12;

/// A signed-in operator (role `operator` or `admin`).
#[derive(Debug, Clone)]
pub struct Operator {
    /// The account, as read on this request.
    pub user: User,
    /// The session token (from the cookie; never rendered).
    pub token: String,
    /// This session's CSRF token.
    pub csrf: String,
}

impl Operator {
    /// Whether this operator may act (role `admin`).
    pub fn can_act(&self) -> bool {
        self.user.role == Role::Admin
    }
}

/// Why a request did not get an operator.
#[derive(Debug)]
pub enum AuthRejection {
    /// Not signed in: to the sign-in page, then back.
    SignIn(String),
    /// Signed in without the role, or a failure.
    Error(AdminError),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn(next) => {
                Redirect::to(&format!("/admin/login?next={}", html::url(&next))).into_response()
            }
            Self::Error(e) => e.into_response(),
        }
    }
}

impl From<AdminError> for AuthRejection {
    fn from(e: AdminError) -> Self {
        Self::Error(e)
    }
}

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are base64url")
}

/// The operator of the session cookie, if it is valid and the account still has a console role.
async fn operator_of(
    headers: &HeaderMap,
    state: &AdminState,
) -> Result<Option<Operator>, AdminError> {
    let Some(token) = cookie(headers, ADMIN_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = state.store.sessions().find_valid(&token).await? else {
        return Ok(None);
    };
    let Some(user) = state.store.users().by_id(&session.user_id).await? else {
        return Ok(None);
    };
    if user.status != UserStatus::Active {
        return Ok(None);
    }
    if user.role == Role::User {
        return Err(AdminError::Forbidden(
            "This account has no access to the admin console.".into(),
        ));
    }
    Ok(Some(Operator {
        csrf: csrf::token_for(&token),
        user,
        token,
    }))
}

fn requested_path(parts: &Parts) -> String {
    parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| {
            u.0.path_and_query()
                .map_or("/admin", |p| p.as_str())
                .to_string()
        })
        .unwrap_or_else(|| "/admin".into())
}

impl FromRequestParts<AdminState> for Operator {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, AuthRejection> {
        match operator_of(&parts.headers, state).await? {
            Some(operator) => Ok(operator),
            None => Err(AuthRejection::SignIn(requested_path(parts))),
        }
    }
}

/// A signed-in operator with the `admin` role (pages that lead to an action).
#[derive(Debug, Clone)]
pub struct AdminOnly(pub Operator);

fn require_admin(operator: Operator) -> Result<Operator, AuthRejection> {
    if operator.can_act() {
        Ok(operator)
    } else {
        Err(AuthRejection::Error(AdminError::Forbidden(
            "Your role is read-only (operator): actions need the admin role.".into(),
        )))
    }
}

impl FromRequestParts<AdminState> for AdminOnly {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, AuthRejection> {
        let operator = Operator::from_request_parts(parts, state).await?;
        Ok(Self(require_admin(operator)?))
    }
}

/// A form post by a signed-in operator whose CSRF token checked out.
#[derive(Debug, Clone)]
pub struct SignedForm {
    /// Who posted it.
    pub operator: Operator,
    /// The form's fields, in order.
    pub fields: Vec<(String, String)>,
}

impl SignedForm {
    /// The first value of field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl FromRequest<AdminState> for SignedForm {
    type Rejection = AuthRejection;

    async fn from_request(request: Request, state: &AdminState) -> Result<Self, AuthRejection> {
        let (mut parts, body) = request.into_parts();
        let operator = Operator::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|e| AdminError::BadRequest(e.body_text()))?;
        let given = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str());
        if !csrf::matches(&operator.csrf, given) {
            return Err(AuthRejection::Error(AdminError::Forbidden(
                "The form's security token is missing or wrong (reload the page and try \
                 again). Nothing was changed."
                    .into(),
            )));
        }
        Ok(Self { operator, fields })
    }
}

/// A form post by an admin (role checked, CSRF token checked).
#[derive(Debug, Clone)]
pub struct AdminForm(pub SignedForm);

impl FromRequest<AdminState> for AdminForm {
    type Rejection = AuthRejection;

    async fn from_request(request: Request, state: &AdminState) -> Result<Self, AuthRejection> {
        let form = SignedForm::from_request(request, state).await?;
        require_admin(form.operator.clone())?;
        Ok(Self(form))
    }
}

/// Where to go after signing in: only console paths.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/admin" || n.starts_with("/admin/") || n.starts_with("/admin?"))
                && !n.contains('\\') =>
        {
            n.into()
        }
        _ => "/admin".into(),
    }
}

/// Query of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn login_page(
    state: &AdminState,
    status: StatusCode,
    next: &str,
    email: &str,
    message: Option<&str>,
) -> Response {
    let login_token = random_value();
    let alert = message.map_or(String::new(), |m| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", esc(m))
    });
    let body = format!(
        "<section class=\"login\"><h1>AIStudio admin</h1><p>Sign in with your AIStudio account \
         (operator or admin role).</p>{alert}\
         <form method=\"post\" action=\"/admin/login\">\
         <input type=\"hidden\" name=\"login_csrf\" value=\"{login_token}\">\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label for=\"email\">Email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required autofocus value=\"{email}\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">Sign in</button></form></section>",
        next = esc(next),
        email = esc(email),
    );
    let cookie = set_cookie(
        LOGIN_COOKIE,
        &login_token,
        1800,
        state.settings.security.cookie_secure,
    );
    (
        status,
        [(header::SET_COOKIE, cookie)],
        html::bare_page("Sign in", &body),
    )
        .into_response()
}

/// The sign-in page (signed-in operators go straight on).
pub async fn show_login(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AdminError> {
    let next = safe_next(query.next.as_deref());
    if operator_of(&headers, &state).await.ok().flatten().is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    Ok(login_page(&state, StatusCode::OK, &next, "", None))
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    login_csrf: String,
    next: Option<String>,
}

/// The connection's peer address, when the server records it.
#[derive(Debug, Clone, Copy)]
pub struct Peer(Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

fn client_ip(state: &AdminState, headers: &HeaderMap, peer: Option<SocketAddr>) -> IpAddr {
    if state.settings.server.trust_forwarded_for
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip;
    }
    peer.map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip())
}

/// Signs an operator in (email and password, with the api's brute-force limits).
pub async fn create_session(
    State(state): State<AdminState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AdminError> {
    let next = safe_next(form.next.as_deref());
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !csrf::matches(&expected, &form.login_csrf) {
        return Err(AdminError::Forbidden(
            "The sign-in form expired or did not come from this site; reload it and try again."
                .into(),
        ));
    }
    let email = form.email.trim().to_lowercase();
    let ip = client_ip(&state, &headers, peer);
    let limiter = &state.limiter;
    if let Some(wait) = limiter.blocked_for(&email, ip).await? {
        let message = format!("Too many failed attempts; try again in {wait} seconds.");
        return Ok(login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &email,
            Some(&message),
        ));
    }
    let user = state.store.users().by_email(&email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let valid = password::verify(&form.password, stored).await;
    let user = match user {
        Some(user) if valid && user.status == UserStatus::Active => user,
        _ => {
            limiter.record_failure(&email, ip).await?;
            return Ok(login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                &next,
                &email,
                Some("Email or password is incorrect."),
            ));
        }
    };
    limiter.record_success(&email, ip).await?;
    if user.role == Role::User {
        return Err(AdminError::Forbidden(
            "This account has no access to the admin console.".into(),
        ));
    }
    let hours = state
        .settings
        .security
        .session_ttl_hours
        .min(MAX_SESSION_HOURS);
    let token = state
        .store
        .sessions()
        .create(&user.id, chrono::Duration::hours(hours as i64))
        .await?;
    audit::record(
        &state,
        &user,
        "sign_in",
        &format!("user:{}", user.id),
        AuditOutcome::Done,
        "",
    )
    .await?;
    let secure = state.settings.security.cookie_secure;
    let mut response = Redirect::to(&next).into_response();
    let cookies = response.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        set_cookie(ADMIN_COOKIE, &token, hours * 3600, secure),
    );
    cookies.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0, secure));
    Ok(response)
}

/// Signs out: revokes the session and clears the cookie.
pub async fn delete_session(
    State(state): State<AdminState>,
    form: SignedForm,
) -> Result<Response, AdminError> {
    state.store.sessions().revoke(&form.operator.token).await?;
    let user = &form.operator.user;
    audit::record(
        &state,
        user,
        "sign_out",
        &format!("user:{}", user.id),
        AuditOutcome::Done,
        "",
    )
    .await?;
    let mut response = Redirect::to("/admin/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(ADMIN_COOKIE, "", 0, state.settings.security.cookie_secure),
    );
    Ok(response)
}
