//! Where a delivery may go. An endpoint URL is checked when it is registered and again at every
//! attempt, after DNS: the host is resolved here, every address it resolves to must be public
//! (not loopback, private, link-local, CGNAT, multicast, broadcast, unspecified or reserved,
//! including those written as IPv4-mapped or NAT64 IPv6), and the request then connects to
//! exactly those addresses, so a second DNS answer (rebinding) cannot send it elsewhere.
//!
//! Hosts named in `webhooks.allow_hosts` (local runs and tests; empty in production) skip the
//! address rule and may use plain http; every other endpoint must use https.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

/// Longest accepted endpoint URL.
pub const MAX_URL_LEN: usize = 2000;

/// Why a URL may not be called, in words for the endpoint's owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not an absolute http(s) URL, or otherwise malformed.
    #[error("{0}")]
    Malformed(String),
    /// The host resolves to (or is) an address deliveries never reach.
    #[error("refused: {host} resolves to {address}, a {kind} address")]
    Address {
        /// The host as written.
        host: String,
        /// The address.
        address: IpAddr,
        /// What kind of address, e.g. `loopback`.
        kind: &'static str,
    },
    /// DNS gave no address, or failed.
    #[error("could not resolve {host}: {reason}")]
    Resolve {
        /// The host as written.
        host: String,
        /// What DNS said.
        reason: String,
    },
}

/// A checked endpoint URL.
#[derive(Debug, Clone)]
pub struct Target {
    /// The URL.
    pub url: Url,
    /// Its host, as written (IPv6 without brackets).
    pub host: String,
    /// Its port (the scheme's default when not written).
    pub port: u16,
    /// Whether the host is in `webhooks.allow_hosts`.
    pub allowed: bool,
}

/// Checks an endpoint URL's form: absolute, http(s), a host, no user name or password (https
/// is [`Target::require_https`]).
pub fn parse(raw: &str, allow_hosts: &[String]) -> Result<Target, Refused> {
    let bad = |m: &str| Err(Refused::Malformed(m.to_string()));
    if raw.len() > MAX_URL_LEN {
        return bad("is longer than 2000 characters");
    }
    let Ok(url) = Url::parse(raw.trim()) else {
        return bad("is not an absolute URL such as https://example.com/hooks");
    };
    if !matches!(url.scheme(), "http" | "https") {
        return bad("must be an https URL");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return bad("must not carry a user name or password");
    }
    if url.fragment().is_some() {
        return bad("must not have a #fragment");
    }
    let host = match url.host() {
        Some(Host::Domain(d)) => d.to_ascii_lowercase(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => return bad("must name a host"),
    };
    let allowed = allow_hosts.iter().any(|h| {
        h.trim_start_matches('[')
            .trim_end_matches(']')
            .eq_ignore_ascii_case(&host)
    });
    let port = url.port_or_known_default().unwrap_or(443);
    Ok(Target {
        url,
        host,
        port,
        allowed,
    })
}

impl Target {
    /// Refuses plain http unless the host is allowed.
    pub fn require_https(&self) -> Result<(), Refused> {
        if self.url.scheme() == "https" || self.allowed {
            Ok(())
        } else {
            Err(Refused::Malformed("must use https".into()))
        }
    }

    /// The host's IP address when the URL names one.
    fn literal(&self) -> Option<IpAddr> {
        match self.url.host()? {
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        }
    }

    /// Refuses an IP literal (or `localhost`) that deliveries never reach, without DNS.
    pub fn check_without_dns(&self) -> Result<(), Refused> {
        if self.allowed {
            return Ok(());
        }
        if self.host == "localhost" || self.host.ends_with(".localhost") {
            return Err(self.refuse(IpAddr::V4(Ipv4Addr::LOCALHOST), "loopback"));
        }
        match self.literal().map(|ip| (ip, forbidden(ip))) {
            Some((ip, Some(kind))) => Err(self.refuse(ip, kind)),
            _ => Ok(()),
        }
    }

    /// Resolves the host (within `timeout`) and checks every address; the addresses to
    /// connect to.
    pub async fn resolve(&self, timeout: Duration) -> Result<Vec<SocketAddr>, Refused> {
        self.check_without_dns()?;
        let addresses: Vec<SocketAddr> = match self.literal() {
            Some(ip) => vec![SocketAddr::new(ip, self.port)],
            None => {
                let lookup = tokio::net::lookup_host((self.host.as_str(), self.port));
                match tokio::time::timeout(timeout, lookup).await {
                    Ok(Ok(found)) => found.collect(),
                    Ok(Err(e)) => return Err(self.unresolved(e.to_string())),
                    Err(_) => return Err(self.unresolved("DNS did not answer in time".into())),
                }
            }
        };
        if addresses.is_empty() {
            return Err(self.unresolved("no address".into()));
        }
        if !self.allowed {
            // One forbidden address refuses them all: a mixed answer is how rebinding starts.
            for a in &addresses {
                if let Some(kind) = forbidden(a.ip()) {
                    return Err(self.refuse(a.ip(), kind));
                }
            }
        }
        Ok(addresses)
    }

    fn refuse(&self, address: IpAddr, kind: &'static str) -> Refused {
        Refused::Address {
            host: self.host.clone(),
            address,
            kind,
        }
    }

    fn unresolved(&self, reason: String) -> Refused {
        Refused::Resolve {
            host: self.host.clone(),
            reason,
        }
    }
}

/// What kind of address `ip` is when deliveries never reach it; `None` for a public address.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private",
        _ if ip.is_link_local() => "link-local",
        _ if ip.is_broadcast() => "broadcast",
        _ if ip.is_multicast() => "multicast",
        (0, _, _) => "unspecified",
        (100, 64..=127, _) => "shared (CGNAT)",
        (192, 0, 0) | (198, 18..=19, _) => "reserved",
        (240..=255, _, _) => "reserved",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return forbidden_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    Some(match segments[0] {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_unspecified() => "unspecified",
        s if s & 0xfe00 == 0xfc00 => "private (unique local)",
        s if s & 0xffc0 == 0xfe80 => "link-local",
        s if s & 0xffc0 == 0xfec0 => "site-local",
        s if s & 0xff00 == 0xff00 => "multicast",
        // The deprecated IPv4-compatible form (::a.b.c.d).
        0 if segments[..6] == [0; 6] => "reserved",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Option<&'static str> {
        forbidden(ip.parse().unwrap())
    }

    #[test]
    fn private_loopback_link_local_and_special_addresses_are_refused() {
        for (ip, expected) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.127.255.254", "shared (CGNAT)"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fc00::1", "private (unique local)"),
            ("fd12:3456::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
        ] {
            assert_eq!(kind(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn ipv4_mapped_and_nat64_ipv6_are_judged_by_their_ipv4_address() {
        assert_eq!(kind("::ffff:127.0.0.1"), Some("loopback"));
        assert_eq!(kind("::ffff:169.254.169.254"), Some("link-local"));
        assert_eq!(kind("::ffff:10.0.0.1"), Some("private"));
        assert_eq!(kind("64:ff9b::192.168.0.1"), Some("private"));
        assert_eq!(kind("::ffff:93.184.216.34"), None);
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert_eq!(kind(ip), None, "{ip}");
        }
    }

    #[test]
    fn urls_need_https_unless_their_host_is_allowed() {
        let none: Vec<String> = Vec::new();
        assert!(
            parse("https://hooks.example.com/x", &none)
                .unwrap()
                .require_https()
                .is_ok()
        );
        assert_eq!(
            parse("http://hooks.example.com/x", &none)
                .unwrap()
                .require_https()
                .unwrap_err(),
            Refused::Malformed("must use https".into())
        );
        assert!(parse("ftp://hooks.example.com", &none).is_err());
        assert!(parse("https://user:pw@hooks.example.com", &none).is_err());
        assert!(parse("not a url", &none).is_err());
        let local = vec!["127.0.0.1".to_string()];
        let target = parse("http://127.0.0.1:9999/hook", &local).unwrap();
        assert!(target.allowed);
        assert!(target.require_https().is_ok());
        assert_eq!(target.port, 9999);
    }

    #[tokio::test]
    async fn literal_and_resolved_addresses_are_checked_unless_allowed() {
        let none: Vec<String> = Vec::new();
        let t = Duration::from_secs(2);
        for url in [
            "https://127.0.0.1/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[fe80::1]/x",
            "https://localhost/x",
            "https://10.0.0.8:8443/x",
        ] {
            let target = parse(url, &none).unwrap();
            assert!(
                matches!(target.resolve(t).await, Err(Refused::Address { .. })),
                "{url}"
            );
        }
        let allowed = vec!["127.0.0.1".to_string()];
        let target = parse("http://127.0.0.1:8080/x", &allowed).unwrap();
        assert_eq!(
            target.resolve(t).await.unwrap(),
            ["127.0.0.1:8080".parse().unwrap()]
        );
    }
}
