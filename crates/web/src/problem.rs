//! Errors as RFC 9457 `application/problem+json`, and the one place that maps application
//! errors to HTTP status codes.

use crate::AppState;
use crate::i18n::Tr;
use crate::request::{locale_of, percent_decode, request_id_of};
use aftersales_app::AppError;
use aftersales_domain::Locale;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// A problem document. `code` is stable and meant for programs; `detail` is for people, in
/// the language of `Accept-Language` (zh-CN by default).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// With `insufficient_stock`: what is on hand, in the part's unit of measure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_hand: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One invalid field; for a refused import, one problem of one row of the file.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub code: String,
    pub message: String,
    /// The row of the file (as the spreadsheet numbers it), for import errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// The file's column header, for import errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated | AppError::InvalidCredentials | AppError::BadSignature(_) => {
            StatusCode::UNAUTHORIZED
        }
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Validation(_) | AppError::Incomplete(..) => StatusCode::UNPROCESSABLE_ENTITY,
        // A key reused for another request conflicts with what the key already stands for
        // (409, like a request still in progress with that key).
        AppError::Conflict(_)
        | AppError::FieldConflict(_)
        | AppError::StaleVersion { .. }
        | AppError::InsufficientStock { .. }
        | AppError::IdempotencyKeyReused => StatusCode::CONFLICT,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::BadFile(code) => match *code {
            "unsupported_file_type" | "unsupported_media_type" | "unsupported_image_type" => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            "file_too_large" | "workbook_expands" | "too_many_rows" | "too_many_columns" => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        },
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An application error on its way to an API client: a problem document in the request's
/// language, with the request's id. Handlers return it with `?` (`From<AppError>`); the
/// language and the request id are filled in by [`api_error_bodies`], which sees the
/// request, unless given with [`ApiError::new`].
#[derive(Debug)]
pub struct ApiError {
    error: AppError,
    /// The language and the request id, when the caller decided them.
    given: Option<(Locale, Option<String>)>,
}

impl ApiError {
    /// An error in the given language, with the given request id (or none).
    pub fn new(error: AppError, locale: Locale, request_id: Option<String>) -> Self {
        Self {
            error,
            given: Some((locale, request_id)),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        Self { error, given: None }
    }
}

/// An error answered without its problem document yet (see [`api_error_bodies`]).
#[derive(Clone)]
struct Unrendered(Arc<AppError>);

pub fn problem(status: StatusCode, code: &str, tr: Tr, request_id: Option<String>) -> Problem {
    Problem {
        kind: format!("urn:aftersales:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        code: code.to_owned(),
        detail: tr.t_error(code),
        errors: Vec::new(),
        current_version: None,
        on_hand: None,
        request_id,
    }
}

pub fn problem_response(p: Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (status, axum::Json(p)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.given {
            Some((locale, request_id)) => render(&self.error, locale, request_id),
            None => {
                let mut r = status_of(&self.error).into_response();
                r.extensions_mut().insert(Unrendered(Arc::new(self.error)));
                r
            }
        }
    }
}

/// The problem document of an application error, with its status and headers.
fn render(error: &AppError, locale: Locale, request_id: Option<String>) -> Response {
    let tr = Tr::new(locale);
    let status = status_of(error);
    let mut p = problem(status, error.code(), tr, request_id.clone());
    match error {
        AppError::Internal(cause) => {
            tracing::error!(request_id = ?request_id, cause = %cause, "internal error");
        }
        AppError::Validation(errs)
        | AppError::FieldConflict(errs)
        | AppError::Incomplete(_, errs) => {
            p.errors = errs
                .0
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    code: e.code.to_owned(),
                    message: tr.field_error(e),
                    row: None,
                    column: None,
                })
                .collect();
            if let Some(first) = p.errors.first() {
                p.detail = format!("{} {}: {}", p.detail, first.field, first.message);
            }
        }
        AppError::StaleVersion { current } => p.current_version = Some(*current),
        AppError::InsufficientStock { on_hand } => {
            p.detail = format!("{} ({on_hand})", p.detail);
            p.on_hand = Some(on_hand.clone());
        }
        _ => {}
    }
    let mut r = problem_response(p);
    if let AppError::RateLimited { retry_after_secs } = error
        && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if status == StatusCode::UNAUTHORIZED && !matches!(error, AppError::BadSignature(_)) {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

/// The answer to an unknown path under `/api`: 404 `not_found`.
pub fn not_found(req: &Request) -> Response {
    problem_response(problem(
        StatusCode::NOT_FOUND,
        "not_found",
        Tr::new(locale_of(req.headers())),
        request_id_of(req.headers()),
    ))
}

/// The answer to a path under `/api` whose escapes do not decode to UTF-8: 400
/// `invalid_path`.
pub fn invalid_path(req: &Request) -> Response {
    problem_response(problem(
        StatusCode::BAD_REQUEST,
        "invalid_path",
        Tr::new(locale_of(req.headers())),
        request_id_of(req.headers()),
    ))
}

/// Gives every [`ApiError`] its problem document, in the request's language and with its
/// request id (pages' extractors answer them too: a NUL in a form). And gives error answers
/// under `/api` that are not problem documents a problem+json body, keeping their status
/// and headers (such as `Allow`): the framework's bodiless ones (405 method not allowed, 413
/// too large, …) and its `text/plain` rejections (a body over the limit that arrived in
/// chunks, a path that is not UTF-8, …).
pub async fn api_error_bodies(State(_s): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = crate::request::is_api(req.uri().path());
    let locale = locale_of(req.headers());
    let rid = request_id_of(req.headers());
    let mut resp = next.run(req).await;
    if let Some(Unrendered(error)) = resp.extensions_mut().remove::<Unrendered>() {
        let (parts, _) = resp.into_parts();
        let mut out = render(&error, locale, rid);
        for (k, v) in parts.headers.iter() {
            if !out.headers().contains_key(k) && k != header::CONTENT_LENGTH {
                out.headers_mut().insert(k.clone(), v.clone());
            }
        }
        return out;
    }
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/problem+json") || v.starts_with("application/json")
        });
    if !is_api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let (parts, _) = resp.into_parts();
    let mut out = problem_response(problem(status, code, Tr::new(locale), rid));
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    *out.status_mut() = status;
    out
}

/// Whether the percent-decoded path is UTF-8.
pub fn path_is_utf8(path: &str) -> bool {
    !path.contains('%') || std::str::from_utf8(&percent_decode(path.as_bytes(), false)).is_ok()
}

pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    tracing::error!(cause = msg, "handler panicked");
    problem_response(problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        Tr::new(Locale::ZhCn),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aftersales_domain::{FieldErrors, Role};

    #[test]
    fn every_error_code_has_a_sentence_in_both_languages() {
        let errors = [
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::Forbidden,
            AppError::NotFound("x"),
            AppError::Validation(FieldErrors::new()),
            AppError::StaleVersion { current: 1 },
            AppError::IdempotencyKeyReused,
            AppError::RateLimited {
                retry_after_secs: 1,
            },
            AppError::Internal(String::new()),
            AppError::Conflict("cannot_demote_self"),
            AppError::BadSignature("invalid_signature"),
            AppError::BadSignature("stale_timestamp"),
            AppError::BadSignature("alarms_disabled"),
            AppError::Conflict("last_admin"),
            AppError::Conflict("idempotency_key_in_use"),
            AppError::Conflict("not_a_technician"),
            AppError::Conflict("certification_removed"),
            AppError::Conflict("job_not_parked"),
            AppError::Conflict("not_breached"),
            AppError::Conflict("already_acknowledged"),
            AppError::Conflict("loaner_not_available"),
            AppError::Conflict("loaner_not_on_loan"),
            AppError::Conflict("request_not_open"),
            AppError::Conflict("loaner_not_in_repair"),
            AppError::Conflict("loaner_not_retirable"),
            AppError::Conflict("payment_declined"),
            AppError::Conflict("refund_exceeds_paid"),
            AppError::Conflict("not_a_payment"),
            AppError::Conflict("already_invoiced"),
            AppError::Conflict("nothing_to_hand_over"),
            AppError::Conflict("already_confirmed"),
            AppError::FieldConflict(FieldErrors::new()),
            AppError::Incomplete("record_incomplete", FieldErrors::new()),
        ];
        let extra = [
            "method_not_allowed",
            "payload_too_large",
            "bad_request",
            "malformed_json",
            "invalid_body",
            "unsupported_media_type",
            "invalid_query",
            "generic",
            "csrf",
            "illegal_transition",
            "not_your_work_order",
            "record_locked",
            "record_missing",
            "record_not_signed",
            "quote_not_confirmed",
            "payment_required",
            "quote_already_answered",
            "quote_superseded",
            "quote_expired",
            "no_fee_schedule",
            "no_labor_rate",
            "nothing_to_quote",
            "work_order_closed",
            "too_many_versions",
            "override_not_needed",
            "open_work_orders",
            "reopen_window_passed",
            "unsupported_image_type",
            "invalid_path",
        ];
        for l in Locale::ALL {
            let cat = crate::i18n::catalog(l);
            for e in &errors {
                assert!(
                    cat.contains_key(&format!("error.{}", e.code())),
                    "{l:?} error.{}",
                    e.code()
                );
            }
            for c in extra {
                assert!(cat.contains_key(&format!("error.{c}")), "{l:?} error.{c}");
            }
            for r in Role::ALL {
                assert!(cat.contains_key(&format!("role.{r}")), "{l:?} role.{r}");
                assert!(
                    cat.contains_key(&format!("home.title.{r}")),
                    "{l:?} home.title.{r}"
                );
            }
            for k in aftersales_domain::OrgUnitKind::ALL {
                assert!(
                    cat.contains_key(&format!("org_kind.{}", k.as_str())),
                    "{l:?} org_kind.{}",
                    k.as_str()
                );
            }
            for code in [
                "required",
                "too_short",
                "too_long",
                "username_chars",
                "control_chars",
                "invalid_choice",
                "invalid_id",
                "username_taken",
                "unknown_org_unit",
                "customer_without_unit",
                "partner_needs_partner_unit",
                "code_chars",
                "code_taken",
                "not_allowed_under_parent",
                "invalid_cursor",
                "out_of_range",
                "year_out_of_range",
                "date_in_future",
                "invalid_offset",
                "wrong_password",
                "parent_required",
                "invalid_idempotency_key",
                "serial_chars",
                "phone_chars",
                "phone_length",
                "invalid_date",
                "invalid_region",
                "version_exists",
                "unknown_policy",
                "unknown_product",
                "unknown_customer",
                "unknown_site",
                "serial_taken",
                "serial_ambiguous",
                "unknown_region",
                "before_start",
                "unknown_unit",
                "unit_of_another_customer",
                "unknown_contact",
                "site_in_use",
                "invalid_instant",
                "not_your_customer",
                "unknown_user",
                "cannot_own_requests",
                "not_certified",
                "outside_territory",
                "off_duty",
                "not_a_technician",
                "too_large",
                "too_many",
                "invalid_image",
                "corrupt_image",
                "signature_or_reason",
                "only_with_depot",
                "certification_exists",
                "expires_before_issued",
                "kind_cannot_cover",
                "too_many",
                "unknown_serial",
                "unit_without_customer",
                "customer_record_incomplete",
                "not_a_customer_account",
            ] {
                assert!(
                    cat.contains_key(&format!("field.{code}")),
                    "{l:?} field.{code}"
                );
            }
        }
    }

    #[test]
    fn paths_must_decode_to_utf8() {
        assert!(path_is_utf8("/api/v1/users/abc"));
        assert!(path_is_utf8("/api/v1/users/%E5%BC%A0"));
        assert!(path_is_utf8("/api/v1/users/%zz"));
        assert!(!path_is_utf8("/api/v1/users/%FF"));
        assert!(!path_is_utf8("/api/v1/users/%E5%BC"));
        assert!(!path_is_utf8("/%C0%AF"));
    }

    #[test]
    fn statuses_follow_the_documented_mapping() {
        assert_eq!(
            status_of(&AppError::Unauthenticated),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(status_of(&AppError::Forbidden), StatusCode::FORBIDDEN);
        assert_eq!(
            status_of(&AppError::StaleVersion { current: 2 }),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status_of(&AppError::Validation(FieldErrors::new())),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status_of(&AppError::RateLimited {
                retry_after_secs: 3
            }),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            status_of(&AppError::Internal("x".into())),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
