//! Which address a request came from, for per-address limits and the audit log.

use std::net::IpAddr;

/// The client's address: with `trust_forwarded_for` (the server sits behind a proxy it trusts),
/// the address that proxy appended last to `X-Forwarded-For`, if it is one; otherwise the peer's.
pub fn client_address(
    forwarded_for: Option<&str>,
    peer: Option<IpAddr>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    let forwarded = forwarded_for
        .filter(|_| trust_forwarded_for)
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    forwarded.or(peer)
}

#[cfg(test)]
mod tests {
    use super::client_address;

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let peer = Some("10.0.0.9".parse().unwrap());
        let header = Some("203.0.113.7, 198.51.100.2");
        assert_eq!(client_address(header, peer, false), peer);
        assert_eq!(
            client_address(header, peer, true),
            Some("198.51.100.2".parse().unwrap())
        );
        assert_eq!(client_address(Some("not an address"), peer, true), peer);
        assert_eq!(client_address(None, None, true), None);
    }
}
