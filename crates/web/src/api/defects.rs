//! Old for new and defect analysis (issue 14 points 5-6, docs/defects.md): the obligations
//! to bring defective parts back, their hand-in and receipt, the failure-code catalog and
//! the defect report.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{
    DefectReceiveInput, DefectReport, DefectReportQuery, DefectReturnQuery, DefectReturnView,
    FailureCodeInput, FailureCodeUpdate, FailureCodeView, HandInInput,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

/// The obligations the caller may see: engineers their own, the warehouse and admins all,
/// managers and dispatchers their subtree's.
#[utoipa::path(get, path = "/api/v1/defect-returns", tag = "parts", params(DefectReturnQuery),
    responses((status = 200, description = "Obligations, newest first.", body = Vec<DefectReturnView>)))]
pub async fn list(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<DefectReturnQuery>,
) -> Result<Json<Vec<DefectReturnView>>, ApiError> {
    Ok(Json(s.app.defect_returns(&c.ctx, &q).await?))
}

/// The engineer hands in the defective part (van → in transit).
#[utoipa::path(post, path = "/api/v1/defect-returns/{number}/hand-in", tag = "parts",
    request_body = HandInInput,
    params(("number" = String, Path, description = "The obligation's number")),
    responses(
        (status = 200, description = "Handed in.", body = DefectReturnView),
        (status = 409, description = "Not open (`not_open`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn hand_in(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<HandInInput>,
) -> Result<Json<DefectReturnView>, ApiError> {
    Ok(Json(
        s.app.hand_in_defect(&c.ctx, &number, &body.value).await?,
    ))
}

/// The warehouse receives it with a failure code: the obligation closes.
#[utoipa::path(post, path = "/api/v1/defect-returns/{number}/receive", tag = "parts",
    request_body = DefectReceiveInput,
    params(("number" = String, Path, description = "The obligation's number")),
    responses(
        (status = 200, description = "Received.", body = DefectReturnView),
        (status = 409, description = "Not handed in (`not_handed_in`), an unknown failure code.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn receive(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<DefectReceiveInput>,
) -> Result<Json<DefectReturnView>, ApiError> {
    Ok(Json(
        s.app.receive_defect(&c.ctx, &number, &body.value).await?,
    ))
}

/// Failures received by part, model, batch, failure code and month, with quality alerts.
#[utoipa::path(get, path = "/api/v1/defect-returns/report", tag = "parts", params(DefectReportQuery),
    responses((status = 200, description = "The defect report.", body = DefectReport)))]
pub async fn report(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<DefectReportQuery>,
) -> Result<Json<DefectReport>, ApiError> {
    Ok(Json(s.app.defect_report(&c.ctx, &q).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FailureCodesQuery {
    /// Retired codes too.
    #[serde(default)]
    pub all: bool,
}

/// The failure-code catalog: the active codes, or every code with `all=true`.
#[utoipa::path(get, path = "/api/v1/failure-codes", tag = "parts", params(FailureCodesQuery),
    responses((status = 200, description = "Failure codes by code.", body = Vec<FailureCodeView>)))]
pub async fn failure_codes(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<FailureCodesQuery>,
) -> Result<Json<Vec<FailureCodeView>>, ApiError> {
    Ok(Json(s.app.failure_codes(&c.ctx, q.all).await?))
}

/// Rename a failure code, change its category, retire or restore it (the code stays).
#[utoipa::path(put, path = "/api/v1/failure-codes/{code}", tag = "parts",
    request_body = FailureCodeUpdate,
    params(("code" = String, Path, description = "The failure code")),
    responses(
        (status = 200, description = "Saved.", body = FailureCodeView),
        (status = 404, description = "No such failure code.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing or too long name, an unknown category.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_failure_code(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
    body: AppJson<FailureCodeUpdate>,
) -> Result<Json<FailureCodeView>, ApiError> {
    Ok(Json(
        s.app
            .update_failure_code(&c.ctx, &code, &body.value)
            .await?,
    ))
}

/// Add a failure code.
#[utoipa::path(post, path = "/api/v1/failure-codes", tag = "parts", request_body = FailureCodeInput,
    responses(
        (status = 201, description = "Created.", body = FailureCodeView),
        (status = 409, description = "A taken code (`code_taken`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_failure_code(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<FailureCodeInput>,
) -> Result<(StatusCode, Json<FailureCodeView>), ApiError> {
    let v = s.app.create_failure_code(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}
