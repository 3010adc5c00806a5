//! Stocktaking (issue 14 point 7, docs/parts.md "Stocktaking"): open a count sheet for a
//! location, enter counted quantities, submit, and a manager's approval or rejection.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{CountDecision, CountLinesInput, CountView, NewCount};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountQuery {
    #[param(value_type = Option<aftersales_app::schema::CountStatusName>)]
    pub status: Option<String>,
}

/// The count sheets of the locations the caller reads, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/stock/counts", tag = "stock", params(CountQuery),
    responses(
        (status = 200, description = "The counts.", body = Vec<CountView>),
        (status = 422, description = "An unknown or empty `status`.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_counts(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<CountQuery>,
) -> Result<Json<Vec<CountView>>, ApiError> {
    crate::api::not_empty(&[("status", q.status.as_deref(), "invalid_choice")])?;
    Ok(Json(s.app.list_counts(&c.ctx, q.status.as_deref()).await?))
}

/// Open a count sheet for a location: a line per balance there and per part with a reorder
/// point there. One open count per location.
#[utoipa::path(post, path = "/api/v1/stock/counts", tag = "stock", request_body = NewCount,
    responses(
        (status = 201, description = "Opened, counting.", body = CountView),
        (status = 409, description = "An unknown location, or one with an open count (`count_open`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No location, or not a place that holds stock (`location`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn open_count(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<NewCount>,
) -> Result<(StatusCode, Json<CountView>), ApiError> {
    let v = s.app.open_count(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One count sheet with its lines, differences and their value.
#[utoipa::path(get, path = "/api/v1/stock/counts/{number}", tag = "stock",
    params(("number" = String, Path, max_length = 32, description = "Count number (SC…)")),
    responses(
        (status = 200, description = "The count.", body = CountView),
        (status = 404, description = "No such count, or not in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_count(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
) -> Result<Json<CountView>, ApiError> {
    Ok(Json(s.app.get_count(&c.ctx, &number).await?))
}

/// Enter counted quantities (zero is a count); a part not on the sheet adds a line.
#[utoipa::path(put, path = "/api/v1/stock/counts/{number}/lines", tag = "stock",
    request_body = CountLinesInput,
    params(("number" = String, Path, max_length = 32, description = "Count number (SC…)")),
    responses(
        (status = 200, description = "Entered.", body = CountView),
        (status = 404, description = "No such count, or not in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not counting (`illegal_transition`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad quantity (`lines[i].qty`), part (`lines[i].part`) or condition.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn enter_counts(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<CountLinesInput>,
) -> Result<Json<CountView>, ApiError> {
    Ok(Json(
        s.app.enter_counts(&c.ctx, &number, &body.value).await?,
    ))
}

/// Submit a fully counted sheet for approval.
#[utoipa::path(post, path = "/api/v1/stock/counts/{number}/submit", tag = "stock",
    params(("number" = String, Path, max_length = 32, description = "Count number (SC…)")),
    responses(
        (status = 200, description = "Submitted.", body = CountView),
        (status = 404, description = "No such count, or not in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not counting (`illegal_transition`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Lines not counted (`lines[i].qty`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn submit_count(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
) -> Result<Json<CountView>, ApiError> {
    Ok(Json(s.app.submit_count(&c.ctx, &number).await?))
}

/// Cancel a count still being counted.
#[utoipa::path(post, path = "/api/v1/stock/counts/{number}/cancel", tag = "stock",
    params(("number" = String, Path, max_length = 32, description = "Count number (SC…)")),
    responses(
        (status = 200, description = "Cancelled.", body = CountView),
        (status = 404, description = "No such count, or not in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not counting (`illegal_transition`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel_count(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
) -> Result<Json<CountView>, ApiError> {
    Ok(Json(s.app.cancel_count(&c.ctx, &number).await?))
}

/// Approve a submitted count: each difference is posted as a `count_gain` or `count_loss`
/// move, all in one transaction.
#[utoipa::path(post, path = "/api/v1/stock/counts/{number}/approve", tag = "stock",
    request_body = CountDecision,
    params(("number" = String, Path, max_length = 32, description = "Count number (SC…)")),
    responses(
        (status = 200, description = "Approved and posted.", body = CountView),
        (status = 404, description = "No such count, or not in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not submitted (`illegal_transition`), one's own count (`own_count`), or a loss the book no longer holds (`insufficient_stock`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A note too long (`reason`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn approve_count(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<CountDecision>,
) -> Result<Json<CountView>, ApiError> {
    Ok(Json(
        s.app.approve_count(&c.ctx, &number, &body.value).await?,
    ))
}

/// Reject a submitted count back to counting, with a reason.
#[utoipa::path(post, path = "/api/v1/stock/counts/{number}/reject", tag = "stock",
    request_body = CountDecision,
    params(("number" = String, Path, max_length = 32, description = "Count number (SC…)")),
    responses(
        (status = 200, description = "Back to counting.", body = CountView),
        (status = 404, description = "No such count, or not in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not submitted (`illegal_transition`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason (`reason`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn reject_count(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<CountDecision>,
) -> Result<Json<CountView>, ApiError> {
    Ok(Json(
        s.app.reject_count(&c.ctx, &number, &body.value).await?,
    ))
}
