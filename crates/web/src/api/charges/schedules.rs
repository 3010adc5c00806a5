//! Fee schedule versions (R-FEE-2, docs/charges.md "Fee schedules"): the history, one
//! version, the version in force on a day, and adding a version (admins).

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{FeeScheduleInput, FeeScheduleVersionView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CurrentQuery {
    /// The day (`YYYY-MM-DD`); today on the site's calendar when absent.
    #[param(value_type = Option<String>, format = Date, pattern = r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub on: Option<String>,
}

/// The versions of the fee schedule, newest first.
#[utoipa::path(get, path = "/api/v1/fee-schedules", tag = "charges",
    responses((status = 200, description = "The versions, newest first.", body = Vec<FeeScheduleVersionView>)))]
pub async fn list(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<Vec<FeeScheduleVersionView>>, ApiError> {
    Ok(Json(s.app.list_fee_schedules(&c.ctx).await?))
}

/// Add a version in force from `effective_from` (today or later); earlier versions stay as
/// they were. Amounts are integer fen, rates decimal strings with at most 6 decimals.
#[utoipa::path(post, path = "/api/v1/fee-schedules", tag = "charges", request_body = FeeScheduleInput,
    responses(
        (status = 201, description = "The version added.", body = FeeScheduleVersionView),
        (status = 422, description = "Invalid input, field by field (`unknown_currency`, `too_many_decimals`, `out_of_range`, `whole_number`, `in_the_past`, …).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn add(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<FeeScheduleInput>,
) -> Result<(StatusCode, Json<FeeScheduleVersionView>), ApiError> {
    let v = s.app.add_fee_schedule(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The version in force on a day: the latest `effective_from` on or before it.
#[utoipa::path(get, path = "/api/v1/fee-schedules/current", tag = "charges", params(CurrentQuery),
    responses(
        (status = 200, description = "The version in force.", body = FeeScheduleVersionView),
        (status = 404, description = "No version is in force on that day.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn current(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<CurrentQuery>,
) -> Result<Json<FeeScheduleVersionView>, ApiError> {
    super::super::not_empty(&[("on", q.on.as_deref(), "invalid_date")])?;
    Ok(Json(
        s.app.current_fee_schedule(&c.ctx, q.on.as_deref()).await?,
    ))
}

/// One version.
#[utoipa::path(get, path = "/api/v1/fee-schedules/{id}", tag = "charges",
    params(("id" = String, Path, description = "The version's id (a UUID)")),
    responses((status = 200, description = "The version.", body = FeeScheduleVersionView)))]
pub async fn get(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<FeeScheduleVersionView>, ApiError> {
    Ok(Json(s.app.get_fee_schedule(&c.ctx, &id).await?))
}
