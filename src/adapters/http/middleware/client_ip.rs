//! The client's address: the peer, or, when the peer is a trusted proxy (TRUSTED_PROXIES),
//! the last X-Forwarded-For hop that is not one. A client cannot pick its own address by
//! sending the header: only what trusted proxies appended counts.

use std::net::IpAddr;

use ipnet::IpNet;
use salvo::Request;

pub fn client_ip(req: &Request, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = req.remote_addr().ip()?;
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    let hops: Vec<IpAddr> = forwarded.flat_map(|v| v.split(',')).filter_map(|hop| hop.trim().parse().ok()).collect();
    Some(hops.into_iter().rev().find(|hop| !is_trusted(hop)).unwrap_or(peer))
}
