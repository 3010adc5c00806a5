//! Extractors: who is calling (bearer token), bodies, queries and paths whose rejections
//! are problem+json and that refuse NUL, and the two ways a creating request is made safe
//! to repeat — `Idempotency-Key` on the API, the form's own key on the pages — each read
//! once here, with a fingerprint of the raw body.

use crate::AppState;
use crate::i18n::Tr;
use crate::problem::{ApiError, problem, problem_response};
use crate::request::{form_decode, form_pairs, locale_of, request_id_of};
use aftersales_app::{AppError, Ctx, Idempotency};
use aftersales_domain::{FieldError, Locale};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// An API caller authenticated by `Authorization: Bearer`.
pub struct ApiCtx {
    pub ctx: Ctx,
    pub locale: Locale,
    pub token: String,
}

impl FromRequestParts<AppState> for ApiCtx {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let locale = locale_of(&parts.headers);
        let rid = request_id_of(&parts.headers);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthenticated)?;
        let actor = s.app.authenticate_bearer(token).await?;
        Ok(ApiCtx {
            ctx: Ctx::user(actor, rid),
            locale,
            token: token.to_owned(),
        })
    }
}

/// JSON body whose rejections are problem+json: 415 without a JSON content type, 400 for
/// malformed JSON, 422 for JSON of the wrong shape.
pub struct AppJson<T> {
    pub value: T,
    /// The fingerprint of the raw body (with the method and path), for `Idempotency-Key`.
    fingerprint: String,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let locale = locale_of(req.headers());
        let rid = request_id_of(req.headers());
        if let Some(r) = not_json(req.headers()) {
            return Err(r);
        }
        let head = format!("{} {}", req.method(), req.uri().path());
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let fp = fingerprint(&head, &bytes);
        // Every body of the API is a JSON object; serde would also read a struct from an
        // array of its fields in order (`[null, null]`), which no schema allows.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            let mut p = problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                Tr::new(locale),
                rid,
            );
            p.detail = format!("{} (expected a JSON object)", p.detail);
            return Err(problem_response(p));
        }
        if let Some(field) = json_nul_field(&bytes) {
            return Err(nul_refused(field));
        }
        let rebuilt = Request::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(bytes))
            .map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
        match axum::Json::<T>::from_request(rebuilt, state).await {
            Ok(axum::Json(value)) => Ok(AppJson {
                value,
                fingerprint: fp,
            }),
            Err(rej) => {
                let (status, code) = match rej {
                    JsonRejection::JsonSyntaxError(_) => {
                        (StatusCode::BAD_REQUEST, "malformed_json")
                    }
                    JsonRejection::MissingJsonContentType(_) => {
                        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                    }
                    _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
                };
                let mut p = problem(status, code, Tr::new(locale), rid);
                p.detail = format!("{} ({})", p.detail, rej.body_text());
                Err(problem_response(p))
            }
        }
    }
}

/// A 415 problem unless the body is declared as JSON.
pub fn not_json(headers: &HeaderMap) -> Option<Response> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
    (!ok).then(|| {
        problem_response(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Tr::new(locale_of(headers)),
            request_id_of(headers),
        ))
    })
}

/// Query string whose rejections are problem+json (400).
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(r) = refuse_nul_in_uri(parts) {
            return Err(r);
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(AppQuery(v)),
            Err(rej) => {
                let rej: QueryRejection = rej;
                let mut p = problem(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    Tr::new(locale_of(&parts.headers)),
                    request_id_of(&parts.headers),
                );
                p.detail = format!("{} ({})", p.detail, rej.body_text());
                Err(problem_response(p))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// NUL refused at the door. PostgreSQL cannot store U+0000 in text and answers an error
// for any statement that binds it; SQLite would store it. Every string that comes in —
// JSON bodies, query strings, form bodies, path segments — is checked here, so both
// backends answer the same 422 naming the field, before any handler runs.

/// A 422 problem: `field` holds a control character.
fn nul_refused(field: String) -> Response {
    ApiError::from(AppError::invalid(FieldError::new(field, "control_chars"))).into_response()
}

/// The dotted path of the first string (or key) of a JSON document holding U+0000.
/// `\u0000` is the only way JSON can carry NUL, so documents without it are not parsed twice.
pub fn json_nul_field(bytes: &[u8]) -> Option<String> {
    if !bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
        let here = || {
            if path.is_empty() {
                "body".to_owned()
            } else {
                path.to_owned()
            }
        };
        match v {
            serde_json::Value::String(s) if s.contains('\0') => Some(here()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, x)| walk(x, &format!("{}[{i}]", here()))),
            serde_json::Value::Object(m) => m.iter().find_map(|(k, x)| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                // Only what can be a field of a body (snake_case names): serde ignores any
                // other key, and the value under it, so it never reaches the database.
                if k.is_empty()
                    || !k
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    None
                } else {
                    walk(x, &p)
                }
            }),
            _ => None,
        }
    }
    walk(&v, "")
}

/// The name of the first field of a urlencoded string whose name or value holds NUL.
pub fn form_nul_field(s: &[u8]) -> Option<String> {
    s.split(|b| *b == b'&').find_map(|pair| {
        let mut it = pair.splitn(2, |b| *b == b'=');
        let k = form_decode(it.next().unwrap_or_default());
        let v = form_decode(it.next().unwrap_or_default());
        (k.contains(&0) || v.contains(&0)).then(|| {
            String::from_utf8_lossy(&k)
                .replace('\0', "")
                .chars()
                .filter(|c| !c.is_control())
                .collect()
        })
    })
}

/// The refusal of a path or query string that decodes to NUL, if it does.
fn refuse_nul_in_uri(parts: &Parts) -> Option<Response> {
    let field = if form_decode(parts.uri.path().as_bytes()).contains(&0) {
        Some("path".to_owned())
    } else {
        parts.uri.query().and_then(|q| form_nul_field(q.as_bytes()))
    };
    field.map(nul_refused)
}

/// axum's `Path`, refusing a segment that decodes to NUL (422).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(r) = refuse_nul_in_uri(parts) {
            return Err(r);
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(IntoResponse::into_response)
    }
}

/// axum's `Query` for pages, refusing a parameter that decodes to NUL (422).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(r) = refuse_nul_in_uri(parts) {
            return Err(r);
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(IntoResponse::into_response)
    }
}

/// axum's `Form`, refusing a field (in the body or the query string) that decodes to NUL.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_form(req, state).await.map(|(v, _)| Form(v))
    }
}

/// The form (as [`Form`] reads it) and its raw body.
async fn read_form<T: DeserializeOwned, S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<(T, axum::body::Bytes), Response> {
    let (parts, body) = req.into_parts();
    if let Some(r) = refuse_nul_in_uri(&parts) {
        return Err(r);
    }
    let (method, uri, headers) = (
        parts.method.clone(),
        parts.uri.clone(),
        parts.headers.clone(),
    );
    let bytes = axum::body::Bytes::from_request(Request::from_parts(parts, body), state)
        .await
        .map_err(IntoResponse::into_response)?;
    if let Some(f) = form_nul_field(&bytes) {
        return Err(nul_refused(f));
    }
    let mut req = Request::new(axum::body::Body::from(bytes.clone()));
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    *req.headers_mut() = headers;
    let axum::Form(v) = axum::Form::<T>::from_request(req, state)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((v, bytes))
}

/// A JSON body of an endpoint that creates, with its `Idempotency-Key` (optional; up to
/// 200 visible ASCII characters): the body is read as [`AppJson`] reads it, then the key is
/// checked (422 `invalid_idempotency_key`) and paired with the body's fingerprint. A repeat
/// with the same key and the same request answers the first result.
pub struct IdempotentJson<T> {
    pub value: T,
    pub idempotency: Option<Idempotency>,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for IdempotentJson<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let key = idempotency_key(req.headers());
        let body = AppJson::<T>::from_request(req, state).await?;
        let key = key.map_err(|e| ApiError::from(e).into_response())?;
        Ok(IdempotentJson {
            value: body.value,
            idempotency: key.map(|key| Idempotency {
                key,
                fingerprint: body.fingerprint,
            }),
        })
    }
}

/// The `Idempotency-Key` header: absent, or a key of at most 200 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(str::trim)
        .filter(|k| {
            !k.is_empty()
                && k.len() <= Idempotency::MAX_KEY_LEN
                && k.chars().all(|c| c.is_ascii_graphic())
        })
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| {
            AppError::invalid(FieldError::new(
                "Idempotency-Key",
                "invalid_idempotency_key",
            ))
        })
}

/// The form field that carries a page form's repeat-safe key (a hidden `idem` input the
/// page fills once, kept when the form comes back with errors).
pub const FORM_KEY_FIELD: &str = "idem";

/// A page's form that creates, sent again on a double click or a resend after a lost
/// answer: the form (as [`Form`] reads it) and, when it carries its key ([`FORM_KEY_FIELD`]),
/// that key scoped by the page's path, with the fingerprint of the raw body (method, path,
/// and every field but the CSRF token), so a repeat answers the first result.
pub struct IdempotentForm<T> {
    pub value: T,
    pub idempotency: Option<Idempotency>,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for IdempotentForm<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let path = req.uri().path().to_owned();
        let head = format!("{} {path}", req.method());
        let (value, bytes) = read_form::<T, S>(req, state).await?;
        let idempotency = form_idempotency(&path, &head, &bytes);
        Ok(IdempotentForm { value, idempotency })
    }
}

fn form_idempotency(path: &str, head: &str, body: &[u8]) -> Option<Idempotency> {
    let pairs = form_pairs(body);
    let key = pairs
        .iter()
        .find(|(k, _)| k == FORM_KEY_FIELD)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())?;
    // Scope and key stay within the key's 200 characters.
    let key: String = key.chars().take(100).collect();
    let scope: String = path.trim_start_matches('/').chars().take(90).collect();
    let signed: Vec<&[u8]> = body
        .split(|b| *b == b'&')
        .filter(|pair| {
            let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
            form_decode(name) != crate::csrf::CSRF_FIELD.as_bytes()
        })
        .collect();
    Some(Idempotency {
        key: format!("{scope}:{key}"),
        fingerprint: fingerprint(head, &signed.join(&b'&')),
    })
}

/// A request fingerprint without another hash crate: FNV-1a 128 over the request's head
/// (method and path) and body. It only has to tell two requests apart, not resist an
/// attacker (the key is per user).
fn fingerprint(head: &str, body: &[u8]) -> String {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in head
        .as_bytes()
        .iter()
        .chain([0u8].iter())
        .chain(body.iter())
    {
        h ^= u128::from(*b);
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    format!("{h:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_with_the_field_that_holds_it() {
        assert_eq!(
            json_nul_field(br#"{"name": "a\u0000b"}"#).as_deref(),
            Some("name")
        );
        assert_eq!(
            json_nul_field(br#"{"sites": [{"a": "x"}, {"label": "\u0000"}]}"#).as_deref(),
            Some("sites[1].label")
        );
        assert_eq!(json_nul_field(br#""\u0000""#).as_deref(), Some("body"));
        // A key no body has (serde ignores it and its value) is left alone.
        assert_eq!(
            json_nul_field(br#"{"k\u0000": "\u0000", "Unknown": "\u0000"}"#),
            None
        );
        // An escaped backslash followed by `u0000` is six characters of text, not NUL.
        assert_eq!(json_nul_field(br#"{"name": "a\\u0000"}"#), None);
        assert_eq!(json_nul_field("{\"name\": \"王\"}".as_bytes()), None);
        assert_eq!(
            form_nul_field(b"a=1&number=SR%00").as_deref(),
            Some("number")
        );
        assert_eq!(form_nul_field(b"q=a%00b").as_deref(), Some("q"));
        assert_eq!(form_nul_field(b"k%00=1").as_deref(), Some("k"));
        assert_eq!(form_nul_field(b"q=%2500&r=%0"), None);
        assert_eq!(form_nul_field(b"q=a+b%20c"), None);
    }

    #[test]
    fn a_form_key_is_scoped_by_its_page_and_signed_by_the_body_without_the_token() {
        let a = form_idempotency("/console", "POST /console", b"_csrf=t1&idem=k1&symptom=a")
            .expect("keyed");
        assert_eq!(a.key, "console:k1");
        // The same form in another session (another token): the same request.
        let b = form_idempotency("/console", "POST /console", b"_csrf=t2&idem=k1&symptom=a")
            .expect("keyed");
        assert_eq!(a.fingerprint, b.fingerprint);
        // Any field changed, or another page: another request.
        let c = form_idempotency("/console", "POST /console", b"_csrf=t1&idem=k1&symptom=b")
            .expect("keyed");
        assert_ne!(a.fingerprint, c.fingerprint);
        let d = form_idempotency("/portal", "POST /portal", b"_csrf=t1&idem=k1&symptom=a")
            .expect("keyed");
        assert_ne!((&a.key, &a.fingerprint), (&d.key, &d.fingerprint));
        // No key, or an empty one: nothing to repeat.
        assert!(form_idempotency("/console", "POST /console", b"symptom=a").is_none());
        assert!(form_idempotency("/console", "POST /console", b"idem=+&symptom=a").is_none());
    }

    #[test]
    fn an_idempotency_key_is_visible_ascii_of_at_most_200_characters() {
        let mut h = HeaderMap::new();
        assert_eq!(idempotency_key(&h).ok(), Some(None));
        h.insert("idempotency-key", "  abc-1 ".parse().expect("value"));
        assert_eq!(idempotency_key(&h).ok(), Some(Some("abc-1".to_owned())));
        for bad in ["a b", "", &"k".repeat(201)] {
            h.insert("idempotency-key", bad.parse().expect("value"));
            assert!(idempotency_key(&h).is_err(), "{bad:?}");
        }
    }
}
