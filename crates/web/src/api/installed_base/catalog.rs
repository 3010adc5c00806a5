//! Keeping the catalog and the contracts (issue 13, defect 16): one warranty policy, one
//! product model, and changing a product model or a contract as a whole record with its
//! version (the house's update convention, as customers: `PUT` with `version`).

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson};
use crate::problem::ApiError;
use aftersales_app::{ContractEdit, ContractView, PolicyView, ProductEdit, ProductView};
use aftersales_domain::ProductId;
use axum::Json;
use axum::extract::State;

/// One warranty policy with every version, oldest first.
#[utoipa::path(get, path = "/api/v1/warranty-policies/{code}", tag = "products",
    params(("code" = String, Path, description = "Policy code")),
    responses((status = 200, description = "The policy.", body = PolicyView)))]
pub async fn get_policy(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
) -> Result<Json<PolicyView>, ApiError> {
    Ok(Json(s.app.get_policy(&c.ctx, &code).await?))
}

/// One product model.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = String, Path, description = "Product model id")),
    responses((status = 200, description = "The product model.", body = ProductView)))]
pub async fn get_product(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ProductView>, ApiError> {
    let id: ProductId = crate::api::parse_id(&id, "product")?;
    Ok(Json(s.app.get_product(&c.ctx, id).await?))
}

/// Change a product model as a whole (name, product line, maintenance interval, policy);
/// its code never changes. The model before and after is kept in the audit trail.
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "products", request_body = ProductEdit,
    params(("id" = String, Path, description = "Product model id")),
    responses(
        (status = 200, description = "The changed model.", body = ProductView),
        (status = 409, description = "Stale `version` (`stale_version`), or an unknown policy (`unknown_policy`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_product(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<ProductEdit>,
) -> Result<Json<ProductView>, ApiError> {
    let id: ProductId = crate::api::parse_id(&id, "product")?;
    Ok(Json(s.app.update_product(&c.ctx, id, &body.value).await?))
}

/// Change a service contract as a whole (period, level, coverage, plan, reminder, covered
/// units, notes); its number and customer never change. The contract before and after is
/// kept in the audit trail.
#[utoipa::path(put, path = "/api/v1/contracts/{id}", tag = "contracts", request_body = ContractEdit,
    params(("id" = String, Path, description = "Contract id")),
    responses(
        (status = 200, description = "The changed contract.", body = ContractView),
        (status = 409, description = "Stale `version` (`stale_version`), an end before the start (`before_start`), or a unit not the customer's.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_contract(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<ContractEdit>,
) -> Result<Json<ContractView>, ApiError> {
    Ok(Json(s.app.update_contract(&c.ctx, &id, &body.value).await?))
}
