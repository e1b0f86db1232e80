//! The client's address, for the sign-in limits and the audit log.

use std::net::{IpAddr, SocketAddr};

use aistudio_jobs::client_address::client_address;
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
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Self(
            client_address(forwarded, peer, state.settings.server.trust_forwarded_for)
                .unwrap_or(IpAddr::from([0, 0, 0, 0])),
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
