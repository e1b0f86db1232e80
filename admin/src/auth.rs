//! Operators' sign-in and the extractors that guard every page.
//!
//! The console has its own session cookie (`aistudio_admin`, `Path=/admin`, HttpOnly,
//! `SameSite=Strict`, `Secure` per `security.cookie_secure`), backed by the same `sessions`
//! collection as the dashboard but holding only console sessions (kind `console`, at most
//! 12 h): a dashboard cookie or API token put in it is refused. The user's role is read again
//! on every request, so a role taken away takes effect at once: `operator` reads, `admin` also
//! acts, `user` is refused. Every refusal is written to the audit log (`refusals`).

use std::net::IpAddr;

use aistudio_jobs::crypto::password;
use aistudio_jobs::store::{
    AuditOutcome, CONSOLE_MAX_LIFETIME, Role, SessionKind, User, UserStatus, random_value,
};
use axum::extract::{Form, FromRequest, FromRequestParts, OriginalUri, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::audit;
use crate::client_address::ClientAddress;
use crate::csrf;
use crate::error::AdminError;
use crate::html::{self, esc};
use crate::refusals::{self, Refusal, Refused};
use crate::state::AdminState;

/// The console's session cookie.
pub const ADMIN_COOKIE: &str = "aistudio_admin";
/// The sign-in form's double-submit cookie.
const LOGIN_COOKIE: &str = "aistudio_admin_login";

/// A signed-in operator (role `operator` or `admin`).
#[derive(Debug, Clone)]
pub struct Operator {
    /// The account, as read on this request.
    pub user: User,
    /// The session token (from the cookie; never rendered).
    pub token: String,
    /// This session's CSRF token.
    pub csrf: String,
    /// The client's address on this request.
    pub address: IpAddr,
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

/// Who the console cookie of a request belongs to.
enum CookieHolder {
    /// No cookie, or no valid session of an active account.
    Anonymous,
    /// An operator or admin with a console session.
    Operator(Operator),
    /// A valid session of an active account that the console refuses.
    Refused(Refusal, User),
}

/// The holder of the console cookie in `headers`: a console session of an active account
/// with a console role.
async fn holder_of(
    headers: &HeaderMap,
    address: IpAddr,
    state: &AdminState,
) -> Result<CookieHolder, AdminError> {
    let Some(token) = cookie(headers, ADMIN_COOKIE) else {
        return Ok(CookieHolder::Anonymous);
    };
    let Some(session) = state.store.sessions().find_valid(&token).await? else {
        return Ok(CookieHolder::Anonymous);
    };
    let Some(user) = state.store.users().by_id(&session.user_id).await? else {
        return Ok(CookieHolder::Anonymous);
    };
    if user.status != UserStatus::Active {
        return Ok(CookieHolder::Anonymous);
    }
    if session.kind() != SessionKind::Console {
        return Ok(CookieHolder::Refused(Refusal::WrongSessionKind, user));
    }
    if user.role == Role::User {
        return Ok(CookieHolder::Refused(Refusal::NoConsoleRole, user));
    }
    Ok(CookieHolder::Operator(Operator {
        csrf: csrf::token_for(&token),
        user,
        token,
        address,
    }))
}

fn no_console_role() -> AdminError {
    AdminError::Forbidden("This account has no access to the admin console.".into())
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
        let ClientAddress(address) = ClientAddress::of(parts, state);
        match holder_of(&parts.headers, address, state).await? {
            CookieHolder::Operator(operator) => Ok(operator),
            CookieHolder::Anonymous => Err(AuthRejection::SignIn(requested_path(parts))),
            CookieHolder::Refused(refusal, user) => {
                refusals::record(
                    state,
                    Refused {
                        refusal,
                        action: refusals::attempted(&parts.method, &parts.uri, &parts.extensions),
                        user: Some(&user),
                        signed_in: true,
                        address,
                    },
                )
                .await?;
                Err(match refusal {
                    Refusal::NoConsoleRole => AuthRejection::Error(no_console_role()),
                    _ => AuthRejection::SignIn(requested_path(parts)),
                })
            }
        }
    }
}

/// A signed-in operator with the `admin` role (pages that lead to an action).
#[derive(Debug, Clone)]
pub struct AdminOnly(pub Operator);

/// `operator` if they may act; else the refusal of `action` is audited.
async fn require_admin(
    state: &AdminState,
    operator: Operator,
    action: String,
) -> Result<Operator, AuthRejection> {
    if operator.can_act() {
        return Ok(operator);
    }
    refusals::record(
        state,
        Refused {
            refusal: Refusal::RoleRequired,
            action,
            user: Some(&operator.user),
            signed_in: true,
            address: operator.address,
        },
    )
    .await?;
    Err(AuthRejection::Error(AdminError::Forbidden(
        "Your role is read-only (operator): actions need the admin role.".into(),
    )))
}

impl FromRequestParts<AdminState> for AdminOnly {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, AuthRejection> {
        let operator = Operator::from_request_parts(parts, state).await?;
        let action = refusals::attempted(&parts.method, &parts.uri, &parts.extensions);
        Ok(Self(require_admin(state, operator, action).await?))
    }
}

/// A form post by a signed-in operator whose CSRF token checked out.
#[derive(Debug, Clone)]
pub struct SignedForm {
    /// Who posted it.
    pub operator: Operator,
    /// The form's fields, in order.
    pub fields: Vec<(String, String)>,
    /// What the post attempts (its method and path), for the audit log.
    action: String,
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
        let action = refusals::attempted(&parts.method, &parts.uri, &parts.extensions);
        let request = Request::from_parts(parts, body);
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|e| AdminError::BadRequest(e.body_text()))?;
        let given = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str());
        if !csrf::matches(&operator.csrf, given) {
            let refusal = if given.is_empty() {
                Refusal::CsrfMissing
            } else {
                Refusal::CsrfWrong
            };
            refusals::record(
                state,
                Refused {
                    refusal,
                    action,
                    user: Some(&operator.user),
                    signed_in: true,
                    address: operator.address,
                },
            )
            .await?;
            return Err(AuthRejection::Error(AdminError::Forbidden(
                "The form's security token is missing or wrong (reload the page and try \
                 again). Nothing was changed."
                    .into(),
            )));
        }
        Ok(Self {
            operator,
            fields,
            action,
        })
    }
}

/// A form post by an admin (role checked, CSRF token checked).
#[derive(Debug, Clone)]
pub struct AdminForm(pub SignedForm);

impl FromRequest<AdminState> for AdminForm {
    type Rejection = AuthRejection;

    async fn from_request(request: Request, state: &AdminState) -> Result<Self, AuthRejection> {
        let form = SignedForm::from_request(request, state).await?;
        require_admin(state, form.operator.clone(), form.action.clone()).await?;
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
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AdminError> {
    let next = safe_next(query.next.as_deref());
    if let Ok(CookieHolder::Operator(_)) = holder_of(&headers, address, &state).await {
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

/// Writes a refused sign-in to the audit log (`user` when the email is an account's).
async fn refuse_sign_in(
    state: &AdminState,
    refusal: Refusal,
    user: Option<&User>,
    address: IpAddr,
) -> Result<(), AdminError> {
    let refused = Refused {
        refusal,
        action: "sign_in".into(),
        user,
        signed_in: false,
        address,
    };
    refusals::record(state, refused).await
}

/// Signs an operator in (email and password, with the api's brute-force limits); every
/// refusal is audited.
pub async fn create_session(
    State(state): State<AdminState>,
    ClientAddress(ip): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AdminError> {
    let next = safe_next(form.next.as_deref());
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !csrf::matches(&expected, &form.login_csrf) {
        refuse_sign_in(&state, Refusal::SignInFormInvalid, None, ip).await?;
        return Err(AdminError::Forbidden(
            "The sign-in form expired or did not come from this site; reload it and try again."
                .into(),
        ));
    }
    let email = form.email.trim().to_lowercase();
    let user = state.store.users().by_email(&email).await?;
    let limiter = &state.limiter;
    if let Some(wait) = limiter.blocked_for(&email, ip).await? {
        refuse_sign_in(&state, Refusal::Locked, user.as_ref(), ip).await?;
        let message = format!("Too many failed attempts; try again in {wait} seconds.");
        return Ok(login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &email,
            Some(&message),
        ));
    }
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let valid = password::verify(&form.password, stored).await;
    let refusal = match &user {
        None => Some(Refusal::UnknownAccount),
        Some(_) if !valid => Some(Refusal::WrongPassword),
        Some(u) if u.status != UserStatus::Active => Some(Refusal::AccountInactive),
        Some(_) => None,
    };
    let user = match (user, refusal) {
        (Some(user), None) => user,
        (user, refusal) => {
            limiter.record_failure(&email, ip).await?;
            let refusal = refusal.unwrap_or(Refusal::UnknownAccount);
            refuse_sign_in(&state, refusal, user.as_ref(), ip).await?;
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
        refuse_sign_in(&state, Refusal::NoConsoleRole, Some(&user), ip).await?;
        return Err(no_console_role());
    }
    let ttl = chrono::Duration::hours(state.settings.security.session_ttl_hours as i64)
        .min(CONSOLE_MAX_LIFETIME);
    let token = state
        .store
        .sessions()
        .create(&user.id, SessionKind::Console, ttl)
        .await?;
    let operator = Operator {
        csrf: csrf::token_for(&token),
        user,
        token,
        address: ip,
    };
    audit::record(
        &state,
        &operator,
        "sign_in",
        &format!("user:{}", operator.user.id),
        AuditOutcome::Done,
        "",
    )
    .await?;
    let secure = state.settings.security.cookie_secure;
    let mut response = Redirect::to(&next).into_response();
    let cookies = response.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        set_cookie(
            ADMIN_COOKIE,
            &operator.token,
            ttl.num_seconds().max(0) as u64,
            secure,
        ),
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
        &form.operator,
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
