//! Ports for the servers a test starts.
//!
//! A port found by binding to port 0 comes from the kernel's ephemeral range, the same range
//! every outgoing connection takes its local port from. Between the test releasing it and the
//! server binding it, one of the suite's many connections (to Redis, MongoDB, the api) can take
//! it, and the server then fails with "Address already in use" (seen in CI). So ports are
//! picked below that range, where no outgoing connection lands, and never twice by one process.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::ops::Range;
use std::sync::Mutex;

use rand::Rng;

/// The lowest port picked: above the well-known and most registered service ports.
const LOWEST: u16 = 10_000;

/// The first port of the kernel's ephemeral range (Linux's default when it cannot be read).
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// The ports picked from: from `LOWEST` up to the ephemeral range (at least 1,000 of them).
fn picked_range() -> Range<u16> {
    LOWEST..ephemeral_start().max(LOWEST + 1_000)
}

/// A free TCP port on loopback that no outgoing connection will take, and that this process
/// has not handed out before.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let range = picked_range();
    let mut rng = rand::rng();
    for _ in 0..10_000 {
        let port = rng.random_range(range.clone());
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.insert(port);
            return port;
        }
    }
    panic!("no free loopback port in {range:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_below_the_ephemeral_range_bindable_and_never_repeated() {
        let (range, ephemeral) = (picked_range(), ephemeral_start());
        let ports: Vec<u16> = (0..200).map(|_| free_port()).collect();
        let distinct: BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len(), "no port handed out twice");
        for port in ports {
            assert!(range.contains(&port), "{port}");
            if ephemeral >= LOWEST + 1_000 {
                assert!(port < ephemeral, "{port} is in the ephemeral range");
            }
            TcpListener::bind(("127.0.0.1", port)).expect("still free");
        }
    }
}
