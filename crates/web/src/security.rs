//! Browser security headers on every response, and which `Host` the server believes.
//!
//! Every answer (pages, API, assets, errors, fallbacks) carries a Content-Security-Policy
//! that allows only this origin's own scripts, styles and connections (no inline script or
//! style: the templates keep none, see `docs/operations.md`), images also from `data:` and
//! `blob:` URLs (the signature pad, photo previews, the record's signature), and no framing;
//! plus `X-Frame-Options`, `X-Content-Type-Options`, `Referrer-Policy`,
//! `Permissions-Policy` (geolocation and camera for this origin only: the engineer's phone
//! pages use them) and `Cross-Origin-Opener-Policy`. `Strict-Transport-Security` is sent
//! only when the site is known to be served over HTTPS (`secure_cookies`, or a `public_url`
//! that starts with `https://`).

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of every HTML page, API answer and asset.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The policy of a PDF: no fetch directives (the browser's PDF viewer is a plugin that
/// `object-src 'none'` would block), still never framed elsewhere.
pub const CSP_PDF: &str = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
pub const PERMISSIONS_POLICY: &str =
    "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()";
pub const HSTS: &str = "max-age=31536000";

/// Adds the security headers to the response, whatever produced it.
pub async fn headers(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let is_pdf = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/pdf"));
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if is_pdf { CSP_PDF } else { CSP }),
        );
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if served_over_https(&s.cfg) {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    resp
}

fn served_over_https(cfg: &crate::WebConfig) -> bool {
    cfg.secure_cookies
        || cfg
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
}

/// An uploaded file served back (a photo of a visit): its checked content type, never
/// sniffed, named as a download would be, and under a policy that lets it run nothing even
/// if a browser were to open it as a document.
pub fn upload_response(content_type: String, bytes: Vec<u8>, id: &str) -> Response {
    use axum::response::IntoResponse;
    let ext = match content_type.as_str() {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "bin",
    };
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    let disposition = format!("inline; filename=\"photo-{safe}.{ext}\"");
    let mut r = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; sandbox"),
    );
    r
}

/// The site's address for absolute links (the verification link of a service record): the
/// configured `public_url`; without one, the request's `Host` only when it names this
/// machine (a loopback name, or the address the server is bound to); otherwise `None`, and
/// the link stays relative. `X-Forwarded-Host` is never believed: a proxy in front of the
/// server is configured with `public_url`.
pub fn trusted_base_url(cfg: &crate::WebConfig, headers: &HeaderMap) -> Option<String> {
    if let Some(u) = &cfg.public_url {
        return Some(u.trim_end_matches('/').to_owned());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?.trim();
    if !is_trusted_host(cfg, host) {
        tracing::debug!(
            host,
            "ignoring a Host that is not this machine's (set public_url)"
        );
        return None;
    }
    let scheme = if cfg.secure_cookies { "https" } else { "http" };
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// Whether an authority (`host[:port]`) names this machine.
pub fn is_trusted_host(cfg: &crate::WebConfig, authority: &str) -> bool {
    if authority.is_empty()
        || authority.len() > 261
        || !authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return false;
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((h, p)) => (h, p),
            None => return false,
        },
        None => match authority.rsplit_once(':') {
            Some((h, _)) => (h, &authority[h.len()..]),
            None => (authority, ""),
        },
    };
    if !port.is_empty() {
        let Some(digits) = port.strip_prefix(':') else {
            return false;
        };
        if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    let host = host.to_ascii_lowercase();
    if host == "localhost" {
        return true;
    }
    let Ok(ip) = host.parse::<std::net::IpAddr>() else {
        return false;
    };
    ip.is_loopback()
        || cfg
            .bind
            .is_some_and(|b| !b.ip().is_unspecified() && b.ip() == ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(bind: Option<&str>) -> crate::WebConfig {
        crate::WebConfig {
            bind: bind.map(|b| b.parse().expect("addr")),
            ..crate::WebConfig::default()
        }
    }

    #[test]
    fn only_this_machines_names_are_trusted_without_a_public_url() {
        let c = cfg(Some("192.168.1.5:8080"));
        for ok in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1",
            "127.0.0.1:8080",
            "[::1]:8080",
            "192.168.1.5:8080",
        ] {
            assert!(is_trusted_host(&c, ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "192.168.1.6",
            "127.0.0.1:80:80",
            "localhost:",
            "localhost:8080/x",
            "localhost@evil.example",
            "[::1",
            "",
            "127.0.0.1:999999",
        ] {
            assert!(!is_trusted_host(&c, bad), "{bad}");
        }
        // Bound to every address: only loopback names.
        assert!(!is_trusted_host(&cfg(Some("0.0.0.0:8080")), "0.0.0.0:8080"));
    }

    #[test]
    fn the_public_url_wins_and_an_untrusted_host_gives_no_base() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("evil.example"));
        assert_eq!(trusted_base_url(&cfg(None), &h), None);
        h.insert(header::HOST, HeaderValue::from_static("localhost:8080"));
        assert_eq!(
            trusted_base_url(&cfg(None), &h).as_deref(),
            Some("http://localhost:8080")
        );
        let c = crate::WebConfig {
            public_url: Some("https://service.example.com/".into()),
            ..crate::WebConfig::default()
        };
        assert_eq!(
            trusted_base_url(&c, &h).as_deref(),
            Some("https://service.example.com")
        );
    }
}
