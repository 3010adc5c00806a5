//! The client's address, for the login throttle: the peer of the connection, or — when the
//! server sits behind a reverse proxy and `WebConfig::client_ip_header` names the header the
//! proxy sets (e.g. `X-Forwarded-For`) — the last address in that header, which is the one
//! the proxy saw. Only set that header when the server cannot be reached except through
//! the proxy: a client that talks to the server directly could write any address there.

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};

pub fn client_ip(parts: &Parts, header: Option<&str>) -> Option<IpAddr> {
    if let Some(h) = header.filter(|h| !h.is_empty()) {
        let from_proxy = parts
            .headers
            .get_all(h)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| parse_addr(a.trim()))
            .next_back();
        if from_proxy.is_some() {
            return from_proxy;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_addr(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    #[test]
    fn the_proxy_header_is_read_only_when_configured_and_its_last_entry_wins() {
        let req = Request::builder()
            .header("x-forwarded-for", "6.6.6.6, 10.0.0.7")
            .body(())
            .expect("request");
        let (mut parts, ()) = req.into_parts();
        parts
            .extensions
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
        assert_eq!(client_ip(&parts, None), Some(IpAddr::from([127, 0, 0, 1])));
        assert_eq!(
            client_ip(&parts, Some("x-forwarded-for")),
            Some(IpAddr::from([10, 0, 0, 7]))
        );
        assert_eq!(parse_addr("[2001:db8::1]:80"), "2001:db8::1".parse().ok());
    }
}
