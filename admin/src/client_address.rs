//! The client's address, for the sign-in limits and the audit log.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AdminState;

/// The client's IP: the peer address, or, behind a trusted proxy
/// (`server.trust_forwarded_for`), the address that proxy appended to `X-Forwarded-For`;
/// `0.0.0.0` when the server does not record peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The address of the request with these parts.
    pub fn of(parts: &Parts, state: &AdminState) -> Self {
        if state.settings.server.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return Self(ip);
        }
        Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip()),
        )
    }
}

impl FromRequestParts<AdminState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts, state))
    }
}
