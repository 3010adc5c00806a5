//! Intake beyond the agent: device alarms from the monitoring center (signed, no bearer
//! token), the symptom and fault-cause catalog, and the link of a portal account to its
//! customer record (docs/service-flow.md).

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery, not_json};
use crate::i18n::Tr;
use crate::problem::{ApiError, problem, problem_response};
use crate::request::{locale_of, request_id_of};
use aftersales_app::{
    AlarmInput, AlarmResult, CatalogCode, CodeQuery, Ctx, UserCustomerInput, UserCustomerLink,
};
use aftersales_domain::UserId;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// A device alarm from the monitoring center. Not signed in with a token: the body is
/// signed with the shared secret. `X-Aftersales-Timestamp` is the Unix time in seconds
/// (at most 5 minutes off), `X-Aftersales-Signature` is `sha256=` and the hex
/// HMAC-SHA256 of `"{timestamp}.{raw body}"`. A repeat of the same `source` and
/// `alarm_id` answers the first result; an alarm for a unit whose open request was filed
/// or heard from an alarm within the merge window (24 h by default) attaches to it (200);
/// otherwise a request is filed (201: repair, channel alarm, priority high).
#[utoipa::path(post, path = "/api/v1/alarms", tag = "service", request_body = AlarmInput,
    params(
        ("X-Aftersales-Timestamp" = String, Header, description = "Unix time in seconds when the request was signed.", pattern = "^[0-9]{1,12}$"),
        ("X-Aftersales-Signature" = String, Header, description = "`sha256=` and the hex HMAC-SHA256 of `{timestamp}.{raw body}` with the shared secret.", pattern = "^sha256=[0-9a-f]{64}$"),
    ),
    responses(
        (status = 201, description = "A request was filed for the alarm (or the first result of this alarm).", body = AlarmResult),
        (status = 200, description = "Attached to the unit's open request (or the first result of this alarm).", body = AlarmResult),
        (status = 401, description = "Missing or wrong signature (`invalid_signature`), a timestamp more than 5 minutes off (`stale_timestamp`), or no secret configured (`alarms_disabled`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "No unit with this serial (`unknown_serial`), several makers' (`serial_ambiguous`), a unit in stock (`unit_without_customer`), or a customer record lacking a phone or address (`customer_record_incomplete`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn alarm(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let locale = locale_of(&headers);
    let rid = request_id_of(&headers);
    let err = |e: aftersales_app::AppError| ApiError::from(e).into_response();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // The signature first: an unsigned caller learns nothing else.
    if let Err(e) = s.app.verify_alarm_signature(
        header("x-aftersales-timestamp"),
        header("x-aftersales-signature"),
        &body,
    ) {
        return err(e);
    }
    if let Some(r) = not_json(&headers) {
        return r;
    }
    let input: AlarmInput = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let code = if e.is_syntax() || e.is_eof() {
                (StatusCode::BAD_REQUEST, "malformed_json")
            } else {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            };
            let mut p = problem(code.0, code.1, Tr::new(locale), rid.clone());
            p.detail = format!("{} ({e})", p.detail);
            return problem_response(p);
        }
    };
    let ctx = Ctx {
        request_id: rid.clone(),
        ..Ctx::system("alarm")
    };
    match s.app.receive_alarm(&ctx, &input).await {
        Ok((r, created)) => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(r)).into_response()
        }
        Err(e) => err(e),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeList {
    pub items: Vec<CatalogCode>,
    /// Always null: the catalog comes whole.
    pub next_cursor: Option<String>,
}

/// Symptom (故障现象) or fault-cause (故障原因) codes: for one product line (with those for
/// every line), or all of them; by code.
#[utoipa::path(get, path = "/api/v1/catalog/codes", tag = "service", params(CodeQuery),
    responses((status = 200, description = "The codes.", body = CodeList)))]
pub async fn codes(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<CodeQuery>,
) -> Result<Json<CodeList>, ApiError> {
    let items = s
        .app
        .list_codes(&c.ctx, &q.kind, q.product_line.as_deref())
        .await?;
    Ok(Json(CodeList {
        items,
        next_cursor: None,
    }))
}

/// Link a customer-role account to the customer record it acts for in the portal (null
/// unlinks it). Audited.
#[utoipa::path(put, path = "/api/v1/users/{id}/customer", tag = "users", request_body = UserCustomerInput,
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The link as it now is.", body = UserCustomerLink),
        (status = 409, description = "Not a customer account (`not_a_customer_account`) or no such customer (`unknown_customer`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn link_customer(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<UserCustomerInput>,
) -> Result<Json<UserCustomerLink>, ApiError> {
    let id: UserId = crate::api::parse_id(&id, "user")?;
    Ok(Json(
        s.app.link_user_customer(&c.ctx, id, &body.value).await?,
    ))
}
