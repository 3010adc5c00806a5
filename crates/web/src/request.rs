//! What a request says about itself, read one way for the whole web layer: its cookies, its
//! language, its request id, what htmx tells about it, and the one percent decoder. A leaf:
//! it knows nothing of pages, problems or extractors built on it.

use aftersales_domain::Locale;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

pub const LANG_COOKIE: &str = "lang";
pub const SESSION_COOKIE: &str = "as_session";

/// A cookie's value from the `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language: the `lang` cookie, else `Accept-Language`, else zh-CN.
pub fn locale_of(headers: &HeaderMap) -> Locale {
    cookie(headers, LANG_COOKIE)
        .and_then(Locale::from_tag)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::negotiate)
        })
        .unwrap_or_default()
}

/// The request id the server gave the request (`X-Request-Id`).
pub fn request_id_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get(crate::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Whether the path is the API's (`/api/…`): errors there are problem+json, pages elsewhere.
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// What htmx says about a request: whether htmx sent it (`HX-Request`). htmx gets a
/// fragment where a browser gets a whole page, and a redirect as `HX-Redirect` (htmx would
/// swap a followed redirect's page into the element).
#[derive(Clone, Copy, Debug, Default)]
pub struct Htmx {
    pub request: bool,
}

impl Htmx {
    pub fn of(headers: &HeaderMap) -> Htmx {
        Htmx {
            request: headers.contains_key("hx-request"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Htmx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Htmx::of(&parts.headers))
    }
}

/// The fields of an `application/x-www-form-urlencoded` body (what browsers send), decoded,
/// in order.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| String::from_utf8_lossy(&form_decode(s.as_bytes())).into_owned();
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decodes one `application/x-www-form-urlencoded` component (`+` is a space).
pub(crate) fn form_decode(s: &[u8]) -> Vec<u8> {
    percent_decode(s, true)
}

/// Percent-decodes bytes (a malformed escape stays as it is); in a form component `+` is a
/// space, in a path or a URL it is itself. The one decoder of the web layer.
pub(crate) fn percent_decode(s: &[u8], plus_is_space: bool) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn htmx_headers_are_read_once() {
        let mut h = HeaderMap::new();
        assert!(!Htmx::of(&h).request);
        h.insert("hx-request", HeaderValue::from_static("true"));
        assert!(Htmx::of(&h).request);
    }

    #[test]
    fn cookies_and_language_come_from_the_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en;q=0.9"),
        );
        assert_eq!(locale_of(&h), Locale::En);
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; lang=zh-CN"));
        assert_eq!(cookie(&h, "a"), Some("1"));
        assert_eq!(locale_of(&h), Locale::ZhCn, "the cookie wins");
        assert_eq!(percent_decode(b"a+b%41%zz", true), b"a bA%zz");
        assert_eq!(percent_decode(b"a+b", false), b"a+b");
    }

    #[test]
    fn form_fields_are_decoded() {
        let v = form_pairs(b"a=1&_csrf=x%2By+z&b=%E4%B8%AD&&c");
        assert_eq!(v[1], ("_csrf".into(), "x+y z".into()));
        assert_eq!(v[2].1, "中");
        assert_eq!(v[3], ("c".into(), String::new()));
        assert_eq!(form_pairs(b"x=%"), [("x".to_owned(), "%".to_owned())]);
    }
}
