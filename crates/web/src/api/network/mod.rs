//! The service network, part 2: the regions units cover, who serves a place, the GB/T 2260
//! table for pickers, and engineers' skills and certifications.

pub(crate) mod org;
pub(crate) mod users;

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery, IdempotentJson};
use crate::problem::ApiError;
use aftersales_app::{
    CertificationPatch, CertificationQuery, CertificationView, CoveragePut, CoverageView,
    CoveringView, NewCertification, Page, RegionView,
};
use aftersales_domain::{CertificationId, OrgUnitId, UserId};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// The regions below this one (a province's cities, a city's districts); without it
    /// and without `q`, the provinces.
    #[param(pattern = r"^([0-9]{6})?$")]
    pub parent: Option<String>,
    /// Part of a name (e.g. `和平`) or the start of a code (e.g. `2101`).
    #[param(max_length = 50)]
    pub q: Option<String>,
    /// At most this many search results (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionList {
    pub items: Vec<RegionView>,
    /// Always null: the list comes whole.
    pub next_cursor: Option<String>,
}

/// The GB/T 2260 regions shipped with the product: the provinces, the regions below one,
/// or those matching a name or code.
#[utoipa::path(get, path = "/api/v1/regions", tag = "org", params(RegionQuery),
    responses(
        (status = 200, description = "Regions by code (search: best matches first).", body = RegionList),
        (status = 404, description = "`parent` is well-formed but not a region of the table.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn regions(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<RegionQuery>,
) -> Result<Json<RegionList>, ApiError> {
    let limit = match q.limit {
        None => 20,
        Some(n @ 1..=200) => n as usize,
        Some(_) => {
            return Err(ApiError::from(aftersales_app::AppError::invalid(
                aftersales_domain::FieldError::new("limit", "out_of_range")
                    .with("min", 1)
                    .with("max", 200),
            )));
        }
    };
    let items = s
        .app
        .regions(&c.ctx, q.parent.as_deref(), q.q.as_deref(), limit)?;
    Ok(Json(RegionList {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoveringQuery {
    /// The place: a district, city or province code.
    #[param(pattern = r"^[0-9]{6}$", example = "210102")]
    pub region: String,
}

/// Which active units serve a place, most responsible first: a district match before a
/// city match before a province match; at equal specificity the deeper unit (a station
/// before its branch); still equal units are tied. Each with its reason.
#[utoipa::path(get, path = "/api/v1/org-units/covering", tag = "org", params(CoveringQuery),
    responses(
        (status = 200, description = "The ranked units.", body = CoveringView),
        (status = 404, description = "`region` is well-formed but not a region of the table.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn covering(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<CoveringQuery>,
) -> Result<Json<CoveringView>, ApiError> {
    Ok(Json(s.app.covering_units(&c.ctx, &q.region).await?))
}

/// The regions a unit covers, and its overlaps with units elsewhere in the tree.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/regions", tag = "org",
    params(("id" = String, Path, description = "Unit id")),
    responses((status = 200, description = "The unit's coverage.", body = CoverageView)))]
pub async fn get_regions(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<CoverageView>, ApiError> {
    let id: OrgUnitId = crate::api::parse_id(&id, "org_unit")?;
    Ok(Json(s.app.unit_coverage(&c.ctx, id).await?))
}

/// Replace the regions a unit covers. `version` is the unit's version; the change bumps it.
/// A malformed code is a 422; a well-formed code the table does not have is a 409
/// `unknown_region`. Overlaps with other units are allowed and reported.
#[utoipa::path(put, path = "/api/v1/org-units/{id}/regions", tag = "org", request_body = CoveragePut,
    params(("id" = String, Path, description = "Unit id")),
    responses(
        (status = 200, description = "The unit's coverage now.", body = CoverageView),
        (status = 409, description = "Stale `version`, an unknown region, or a warehouse (which covers no region).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_regions(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<CoveragePut>,
) -> Result<Json<CoverageView>, ApiError> {
    let id: OrgUnitId = crate::api::parse_id(&id, "org_unit")?;
    Ok(Json(s.app.set_unit_regions(&c.ctx, id, &body.value).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserCertQuery {
    /// Also the removed records (history).
    pub include_removed: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificationList {
    pub items: Vec<CertificationView>,
    /// Always null: a person's records come whole.
    pub next_cursor: Option<String>,
}

/// A person's skills and certifications by product line.
#[utoipa::path(get, path = "/api/v1/users/{id}/certifications", tag = "users",
    params(("id" = String, Path, description = "User id"), UserCertQuery),
    responses((status = 200, description = "Current records first, by product line.", body = CertificationList)))]
pub async fn list_user_certs(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<UserCertQuery>,
) -> Result<Json<CertificationList>, ApiError> {
    let id: UserId = crate::api::parse_id(&id, "user")?;
    let items = s
        .app
        .user_certifications(&c.ctx, id, q.include_removed.unwrap_or(false))
        .await?;
    Ok(Json(CertificationList {
        items,
        next_cursor: None,
    }))
}

/// Record a skill or certification for an engineer or a partner technician. One current
/// record per product line (409 `certification_exists`); `certified` and `senior` need
/// `issued_on`; an unknown product line is kept, with `product_line_known: false`.
#[utoipa::path(post, path = "/api/v1/users/{id}/certifications", tag = "users", request_body = NewCertification,
    params(("id" = String, Path, description = "User id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key (up to 200 visible ASCII characters).", min_length = 1, max_length = 200, pattern = "^[!-~]{1,200}$")),
    responses(
        (status = 201, description = "Created (or the first result of this Idempotency-Key).", body = CertificationView),
        (status = 409, description = "A current record for this product line exists, the dates contradict, or the user is not an engineer or partner technician.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_cert(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: IdempotentJson<NewCertification>,
) -> Result<(StatusCode, Json<CertificationView>), ApiError> {
    let id: UserId = crate::api::parse_id(&id, "user")?;
    let v = s
        .app
        .add_certification(&c.ctx, id, &body.value, body.idempotency.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Change a record; `version` must be the one read. The audit trail keeps the old values.
#[utoipa::path(patch, path = "/api/v1/users/{id}/certifications/{cert_id}", tag = "users", request_body = CertificationPatch,
    params(("id" = String, Path, description = "User id"), ("cert_id" = String, Path, description = "Certification id")),
    responses(
        (status = 200, description = "The changed record.", body = CertificationView),
        (status = 409, description = "Stale `version`, a removed record, contradicting dates, or a product line already on record.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_cert(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((id, cert_id)): Path<(String, String)>,
    body: AppJson<CertificationPatch>,
) -> Result<Json<CertificationView>, ApiError> {
    let id: UserId = crate::api::parse_id(&id, "user")?;
    let cert_id: CertificationId = crate::api::parse_id(&cert_id, "certification")?;
    Ok(Json(
        s.app
            .update_certification(&c.ctx, id, cert_id, &body.value)
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveQuery {
    /// The version read; when given, a stale one is refused with 409.
    #[param(minimum = 1)]
    pub version: Option<i64>,
}

/// Remove a record. It is kept, marked removed (see `include_removed`), and audited.
#[utoipa::path(delete, path = "/api/v1/users/{id}/certifications/{cert_id}", tag = "users",
    params(("id" = String, Path, description = "User id"), ("cert_id" = String, Path, description = "Certification id"), RemoveQuery),
    responses(
        (status = 204, description = "Removed."),
        (status = 409, description = "Stale `version`, or already removed.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove_cert(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((id, cert_id)): Path<(String, String)>,
    AppQuery(q): AppQuery<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    let id: UserId = crate::api::parse_id(&id, "user")?;
    let cert_id: CertificationId = crate::api::parse_id(&cert_id, "certification")?;
    s.app
        .remove_certification(&c.ctx, id, cert_id, q.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Current records in the caller's scope by expiry date (those without one last). With
/// `expiring_within_days=30`: what expires in the next 30 days, for managers.
#[utoipa::path(get, path = "/api/v1/certifications", tag = "users", params(CertificationQuery),
    responses((status = 200, description = "A page of records.", body = Page<CertificationView>)))]
pub async fn list_certs(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<CertificationQuery>,
) -> Result<Json<Page<CertificationView>>, ApiError> {
    Ok(Json(s.app.list_certifications(&c.ctx, &q).await?))
}
