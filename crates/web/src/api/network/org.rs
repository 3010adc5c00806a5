//! The service network.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery, IdempotentJson};
use crate::problem::ApiError;
use aftersales_app::{NewOrgUnit, OrgUnitPatch, OrgUnitView, Page};
use aftersales_domain::OrgUnitId;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// List units in tree order (parents before children).
#[utoipa::path(get, path = "/api/v1/org-units", tag = "org", params(ListQuery),
    responses((status = 200, description = "A page of units.", body = Page<OrgUnitView>)))]
pub async fn list(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<Json<Page<OrgUnitView>>, ApiError> {
    Ok(Json(
        s.app
            .list_org_units(&c.ctx, q.cursor.as_deref(), q.limit)
            .await?,
    ))
}

/// Create a unit below a parent (the center has none).
#[utoipa::path(post, path = "/api/v1/org-units", tag = "org", request_body = NewOrgUnit,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key (up to 200 visible ASCII characters).", min_length = 1, max_length = 200, pattern = "^[!-~]{1,200}$")),
    responses(
        (status = 201, description = "Created (or the first result of this Idempotency-Key).", body = OrgUnitView),
        (status = 409, description = "Another request with this Idempotency-Key is in progress.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(s): State<AppState>,
    c: ApiCtx,
    body: IdempotentJson<NewOrgUnit>,
) -> Result<(StatusCode, Json<OrgUnitView>), ApiError> {
    let o = s
        .app
        .create_org_unit(&c.ctx, &body.value, body.idempotency.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// One unit.
#[utoipa::path(get, path = "/api/v1/org-units/{id}", tag = "org",
    params(("id" = String, Path, description = "Unit id")),
    responses((status = 200, description = "The unit.", body = OrgUnitView)))]
pub async fn get(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<OrgUnitView>, ApiError> {
    let id: OrgUnitId = crate::api::parse_id(&id, "org_unit")?;
    Ok(Json(s.app.get_org_unit(&c.ctx, id).await?))
}

/// Change a unit's code, name or active flag; `version` must be the one read.
#[utoipa::path(patch, path = "/api/v1/org-units/{id}", tag = "org", request_body = OrgUnitPatch,
    params(("id" = String, Path, description = "Unit id")),
    responses(
        (status = 200, description = "The changed unit.", body = OrgUnitView),
        (status = 409, description = "Stale `version`.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<OrgUnitPatch>,
) -> Result<Json<OrgUnitView>, ApiError> {
    let id: OrgUnitId = crate::api::parse_id(&id, "org_unit")?;
    Ok(Json(s.app.update_org_unit(&c.ctx, id, &body.value).await?))
}
