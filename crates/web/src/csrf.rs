//! CSRF protection of the pages: a token bound to the session. The token of a request is
//! an HMAC, under a server key kept in the database, of the session cookie's secret — or,
//! before signing in, of a random pre-session secret in the `as_csrf` cookie (HttpOnly,
//! SameSite=Strict), so the login form is protected too. Every form carries the token in
//! `_csrf`, htmx requests in the `X-CSRF-Token` header. A state-changing request whose token
//! is not the one of its own session is refused with 403 before any handler runs. Signing
//! in changes the binding (and the login answer sets a fresh `as_csrf`), so a token seen
//! before signing in is worthless after it, and a token of one session fails for another.
//! Another site can neither read the cookies nor compute the HMAC.

use crate::AppState;
use crate::i18n::Tr;
use crate::request::{SESSION_COOKIE, cookie, form_pairs, locale_of};
use crate::shell::{CsrfToken, MessagePage, PageError, Shell};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const CSRF_COOKIE: &str = "as_csrf";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// 244 random bits from the OS (two v4 UUIDs).
fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_pairs(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// What a token is bound to: the session when the request carries a session cookie, else
/// the pre-session secret.
fn binding(session: Option<&str>, pre_session: Option<&str>) -> Option<String> {
    match (session, pre_session) {
        (Some(s), _) if !s.is_empty() => Some(format!("session:{s}")),
        (_, Some(p)) if !p.is_empty() => Some(format!("pre:{p}")),
        _ => None,
    }
}

/// A `Set-Cookie` value giving the browser a fresh pre-session secret.
pub fn fresh_pre_session_cookie(secure: bool) -> (String, String) {
    let nonce = new_token();
    let secure = if secure { "; Secure" } else { "" };
    let c = format!("{CSRF_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Strict{secure}");
    (nonce, c)
}

pub async fn layer(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let pre_session = cookie(req.headers(), CSRF_COOKIE).map(str::to_owned);
    let session = cookie(req.headers(), SESSION_COOKIE).map(str::to_owned);
    let bound_to = binding(session.as_deref(), pre_session.as_deref());
    let expected = match &bound_to {
        Some(b) => match s.app.csrf_token(b).await {
            Ok(t) => Some(t),
            Err(e) => return error_page(&req, e),
        },
        None => None,
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        let Some(expected) = expected.clone() else {
            return refuse(&req);
        };
        let header_token = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let token = match header_token {
            Some(t) => Some(t),
            None => {
                let is_form = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
                if !is_form {
                    return refuse(&req);
                }
                let (parts, body) = req.into_parts();
                let bytes: Bytes = match axum::body::to_bytes(body, 2 * 1024 * 1024).await {
                    Ok(b) => b,
                    Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
                };
                let t = form_field(&bytes, CSRF_FIELD);
                req = Request::from_parts(parts, Body::from(bytes));
                t
            }
        };
        if !token.is_some_and(|t| constant_time_eq(t.as_bytes(), expected.as_bytes())) {
            return refuse(&req);
        }
    }
    // No binding yet: a fresh pre-session secret, and the token bound to it.
    let (token, new_cookie) = match expected {
        Some(t) => (t, None),
        None => {
            let (nonce, c) = fresh_pre_session_cookie(s.cfg.secure_cookies);
            match s.app.csrf_token(&format!("pre:{nonce}")).await {
                Ok(t) => (t, Some(c)),
                Err(e) => return error_page(&req, e),
            }
        }
    };
    req.extensions_mut().insert(CsrfToken(token));
    let mut resp = next.run(req).await;
    if let Some(c) = new_cookie
        && let Ok(v) = HeaderValue::from_str(&c)
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn error_page(req: &Request, e: aftersales_app::AppError) -> Response {
    PageError::new(e, Tr::new(locale_of(req.headers()))).into_response()
}

fn refuse(req: &Request) -> Response {
    let tr = Tr::new(locale_of(req.headers()));
    tracing::warn!(path = %req.uri().path(), "CSRF token missing or wrong");
    let shell = Shell::bare(tr);
    let page = MessagePage {
        title: tr.t_dyn("status.403"),
        message: tr.t_error("csrf"),
        kind: "error",
        shell,
    };
    (StatusCode::FORBIDDEN, page).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_field_is_found_decoded() {
        assert_eq!(
            form_field(b"a=1&_csrf=x%2By+z", CSRF_FIELD).as_deref(),
            Some("x+y z")
        );
        assert_eq!(form_field(b"x=%", "x").as_deref(), Some("%"));
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        assert_ne!(new_token(), new_token());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
