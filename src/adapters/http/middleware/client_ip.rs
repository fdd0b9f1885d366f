//! The client's address: the peer, or, when the peer is a trusted proxy (TRUSTED_PROXIES),
//! the last X-Forwarded-For hop that is not one. A client cannot pick its own address by
//! sending the header: hops are read from the right, and only those appended by trusted
//! proxies are skipped. A hop that cannot be read there (`unknown`, garbage) stops the
//! walk and the peer is used. Addresses are compared in canonical form (an IPv4-mapped
//! IPv6 address is its IPv4 address).

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use salvo::Request;

pub fn client_ip(req: &Request, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.remote_addr().ip()?.to_canonical();
    let headers = req.headers().get_all("x-forwarded-for").iter().map(|v| v.to_str().ok());
    let hops: Vec<Option<&str>> = headers
        .flat_map(|v| -> Vec<Option<&str>> { v.map_or(vec![None], |v| v.split(',').map(Some).collect()) })
        .collect();
    Some(walk(peer, hops.into_iter().rev(), trusted))
}

/// From the peer leftwards: the first address that is not a trusted proxy.
fn walk<'a>(peer: IpAddr, hops_from_right: impl Iterator<Item = Option<&'a str>>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    for hop in hops_from_right {
        let Some(ip) = hop.and_then(parse_hop) else { return peer };
        if !is_trusted(&ip) {
            return ip;
        }
    }
    peer
}

/// `203.0.113.7`, `2001:db8::1`, or with a port (`203.0.113.7:4711`, `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn from(peer: &str, header: &str, trusted: &[&str]) -> IpAddr {
        let trusted: Vec<IpNet> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        walk(ip(peer), header.split(',').rev().map(Some), &trusted)
    }

    #[test]
    fn only_what_trusted_proxies_appended_is_believed() {
        let proxies = ["10.0.0.0/8"];
        assert_eq!(from("198.51.100.9", "203.0.113.7", &proxies), ip("198.51.100.9"), "an untrusted peer");
        assert_eq!(from("10.0.0.2", "203.0.113.7", &proxies), ip("203.0.113.7"));
        assert_eq!(from("10.0.0.2", "1.2.3.4, 203.0.113.7, 10.0.0.5", &proxies), ip("203.0.113.7"), "chained");
        assert_eq!(from("10.0.0.2", "1.2.3.4, 203.0.113.7:4711", &proxies), ip("203.0.113.7"), "with a port");
        assert_eq!(from("10.0.0.2", "1.2.3.4, unknown", &proxies), ip("10.0.0.2"), "unreadable: the peer");
        assert_eq!(from("10.0.0.2", "10.0.0.3", &proxies), ip("10.0.0.2"), "all proxies: the peer");
        assert_eq!(from("10.0.0.2", "::ffff:203.0.113.7", &proxies), ip("203.0.113.7"), "canonical form");
    }
}
