//! Loaner units (docs/loaners.md): the pool, one loaner with its loans and history,
//! lending one against a service request, taking it back with an inspection, back to the
//! pool after a repair or retired.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery, IdempotentJson};
use crate::problem::ApiError;
use aftersales_app::{
    IssueLoaner, LoanerDetail, LoanerQuery, LoanerStatusChange, LoanerView, NewLoaner, Page,
    ReturnLoaner,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

/// The loaners the caller may see (admins, agents and dispatchers: all; warehouse keepers
/// and managers: their unit's subtree), by serial.
#[utoipa::path(get, path = "/api/v1/loaners", tag = "loaners", params(LoanerQuery),
    responses((status = 200, description = "A page of loaners.", body = Page<LoanerView>)))]
pub async fn list(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<LoanerQuery>,
) -> Result<Json<Page<LoanerView>>, ApiError> {
    // An empty filter is the page form's "any"; on the API it is a mistake.
    crate::api::not_empty(&[
        ("status", q.status.as_deref(), "invalid_choice"),
        ("owner", q.owner.as_deref(), "invalid_id"),
    ])?;
    Ok(Json(s.app.list_loaners(&c.ctx, &q).await?))
}

/// Add a loaner to the pool, owned by a unit of the caller's scope (their own unit when
/// `owner_unit_id` is left out). A serial already in the pool is 409
/// `loaner_serial_taken`.
#[utoipa::path(post, path = "/api/v1/loaners", tag = "loaners", request_body = NewLoaner,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key (up to 200 visible ASCII characters).", min_length = 1, max_length = 200, pattern = "^[!-~]{1,200}$")),
    responses(
        (status = 201, description = "Registered (or the first result of this Idempotency-Key).", body = LoanerDetail),
        (status = 409, description = "The serial is in the pool already.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    State(s): State<AppState>,
    c: ApiCtx,
    body: IdempotentJson<NewLoaner>,
) -> Result<(StatusCode, Json<LoanerDetail>), ApiError> {
    let v = s
        .app
        .register_loaner(&c.ctx, &body.value, body.idempotency.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One loaner with its loans (newest first) and its history (oldest first).
#[utoipa::path(get, path = "/api/v1/loaners/{id}", tag = "loaners",
    params(("id" = String, Path, description = "Loaner id")),
    responses((status = 200, description = "The loaner.", body = LoanerDetail)))]
pub async fn get(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<LoanerDetail>, ApiError> {
    Ok(Json(s.app.get_loaner(&c.ctx, &id).await?))
}

/// Lend an available loaner to the customer of an open service request (number or id),
/// due back on `expected_return` (today to 365 days ahead). The request's timeline gets
/// `loaner_issued`, which meets its "loaner by" milestone. 409 `loaner_not_available`
/// when it is not in the pool, `request_not_open` when the request is resolved, closed or
/// cancelled; 422 `unknown_request` on `request`.
#[utoipa::path(post, path = "/api/v1/loaners/{id}/issue", tag = "loaners", request_body = IssueLoaner,
    params(("id" = String, Path, description = "Loaner id")),
    responses(
        (status = 200, description = "The loaner, now on loan.", body = LoanerDetail),
        (status = 409, description = "The loaner is not available, or the request is not open.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn issue(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<IssueLoaner>,
) -> Result<Json<LoanerDetail>, ApiError> {
    Ok(Json(s.app.issue_loaner(&c.ctx, &id, &body.value).await?))
}

/// Take a loaner back with its inspection: `good` returns it to the pool, `damaged` sends
/// it to repair, `unusable` retires it. The request's timeline gets `loaner_returned`.
/// 409 `loaner_not_on_loan` when it is not out.
#[utoipa::path(post, path = "/api/v1/loaners/{id}/return", tag = "loaners", request_body = ReturnLoaner,
    params(("id" = String, Path, description = "Loaner id")),
    responses(
        (status = 200, description = "The loaner, back.", body = LoanerDetail),
        (status = 409, description = "The loaner is not on loan.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn take_back(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<ReturnLoaner>,
) -> Result<Json<LoanerDetail>, ApiError> {
    Ok(Json(s.app.return_loaner(&c.ctx, &id, &body.value).await?))
}

/// Move a loaner that is not on loan: `available` once a loaner in repair is fixed (else 409
/// `loaner_not_in_repair`), `retired` to take one out of the pool for good (409
/// `loaner_not_retirable` while it is on loan or retired already).
#[utoipa::path(post, path = "/api/v1/loaners/{id}/status", tag = "loaners", request_body = LoanerStatusChange,
    params(("id" = String, Path, description = "Loaner id")),
    responses(
        (status = 200, description = "The loaner, moved.", body = LoanerDetail),
        (status = 409, description = "The loaner's status does not allow it.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_status(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<LoanerStatusChange>,
) -> Result<Json<LoanerDetail>, ApiError> {
    Ok(Json(
        s.app.set_loaner_status(&c.ctx, &id, &body.value).await?,
    ))
}
