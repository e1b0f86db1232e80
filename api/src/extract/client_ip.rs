//! The client's address, for per-address rate limits.

use std::net::{IpAddr, SocketAddr};

use aistudio_jobs::client_address::client_address;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;

/// The client's IP: the peer address, or, behind a trusted proxy
/// (`server.trust_forwarded_for`), the address that proxy appended to `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        client_address(forwarded, peer, state.settings.server.trust_forwarded_for)
            .map(Self)
            .ok_or_else(|| ApiError::BadRequest("client address unknown".into()))
    }
}
