//! The installed base: warranty policies, product models, customers, units, search and
//! the warranty decision.

pub(crate) mod catalog;
pub(crate) mod customers;

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery, IdempotentJson};
use crate::problem::ApiError;
use aftersales_app::{
    ContractView, CustomerView, NewContract, NewCustomer, NewPolicy, NewProduct, NewUnit, Page,
    PolicyVersionDto, PolicyView, ProductView, SearchHit, UnitQuery, UnitView, WarrantyQuery,
    WarrantyView,
};
use aftersales_domain::{CustomerId, UnitId};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<PolicyView>,
    /// Always null: the list is short and comes whole.
    pub next_cursor: Option<String>,
}

/// Warranty policies with all their versions.
#[utoipa::path(get, path = "/api/v1/warranty-policies", tag = "products",
    responses((status = 200, description = "Policies by code.", body = PolicyList)))]
pub async fn list_policies(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<PolicyList>, ApiError> {
    let items = s.app.list_policies(&c.ctx).await?;
    Ok(Json(PolicyList {
        items,
        next_cursor: None,
    }))
}

/// Create a warranty policy with its first version.
#[utoipa::path(post, path = "/api/v1/warranty-policies", tag = "products", request_body = NewPolicy,
    responses((status = 201, description = "Created.", body = PolicyView)))]
pub async fn create_policy(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<NewPolicy>,
) -> Result<(StatusCode, Json<PolicyView>), ApiError> {
    let p = s.app.create_policy(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Add a version to a policy: it applies to units sold from its effective date; units sold
/// before keep the version they were sold under.
#[utoipa::path(post, path = "/api/v1/warranty-policies/{code}/versions", tag = "products", request_body = PolicyVersionDto,
    params(("code" = String, Path, description = "Policy code")),
    responses((status = 201, description = "The policy with all its versions.", body = PolicyView)))]
pub async fn add_policy_version(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
    body: AppJson<PolicyVersionDto>,
) -> Result<(StatusCode, Json<PolicyView>), ApiError> {
    let p = s.app.add_policy_version(&c.ctx, &code, &body.value).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Product models by code.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(ListQuery),
    responses((status = 200, description = "A page of product models.", body = Page<ProductView>)))]
pub async fn list_products(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<Json<Page<ProductView>>, ApiError> {
    Ok(Json(
        s.app
            .list_products(&c.ctx, q.cursor.as_deref(), q.limit)
            .await?,
    ))
}

/// Create a product model.
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = NewProduct,
    responses((status = 201, description = "Created.", body = ProductView)))]
pub async fn create_product(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<NewProduct>,
) -> Result<(StatusCode, Json<ProductView>), ApiError> {
    let p = s.app.create_product(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Customers by number.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(ListQuery),
    responses((status = 200, description = "A page of customers.", body = Page<CustomerView>)))]
pub async fn list_customers(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<Json<Page<CustomerView>>, ApiError> {
    Ok(Json(
        s.app
            .list_customers(&c.ctx, q.cursor.as_deref(), q.limit)
            .await?,
    ))
}

/// Create a customer record with contacts, phones and sites. The answer lists likely
/// duplicates (same phone, or same name and address).
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = NewCustomer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key (up to 200 visible ASCII characters).", min_length = 1, max_length = 200, pattern = "^[!-~]{1,200}$")),
    responses((status = 201, description = "Created (or the first result of this Idempotency-Key).", body = CustomerView)))]
pub async fn create_customer(
    State(s): State<AppState>,
    c: ApiCtx,
    body: IdempotentJson<NewCustomer>,
) -> Result<(StatusCode, Json<CustomerView>), ApiError> {
    let v = s
        .app
        .create_customer(&c.ctx, &body.value, body.idempotency.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One customer with contacts, sites, completeness and likely duplicates.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, description = "The customer.", body = CustomerView)))]
pub async fn get_customer(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<CustomerView>, ApiError> {
    let id: CustomerId = crate::api::parse_id(&id, "customer")?;
    Ok(Json(s.app.get_customer(&c.ctx, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A phone number (any contact's, with or without +86 and separators), a serial, a
    /// customer number, or part of a name or company (pinyin initials work too).
    #[param(max_length = 100)]
    pub q: String,
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    pub items: Vec<SearchHit>,
    /// Always null: search answers its best matches only.
    pub next_cursor: Option<String>,
}

/// The agent's search box.
#[utoipa::path(get, path = "/api/v1/search", tag = "customers", params(SearchQuery),
    responses((status = 200, description = "Best matches: phone first, then serial, then name.", body = SearchResult)))]
pub async fn search(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<SearchQuery>,
) -> Result<Json<SearchResult>, ApiError> {
    let items = s
        .app
        .search_customers(&c.ctx, &q.q, q.limit.unwrap_or(10))
        .await?;
    Ok(Json(SearchResult {
        items,
        next_cursor: None,
    }))
}

/// Units, filtered by serial prefix, product model or customer.
#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(UnitQuery),
    responses((status = 200, description = "A page of units.", body = Page<UnitView>)))]
pub async fn list_units(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<UnitQuery>,
) -> Result<Json<Page<UnitView>>, ApiError> {
    Ok(Json(s.app.list_units(&c.ctx, &q).await?))
}

/// Register a unit.
#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = NewUnit,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key (up to 200 visible ASCII characters).", min_length = 1, max_length = 200, pattern = "^[!-~]{1,200}$")),
    responses((status = 201, description = "Created (or the first result of this Idempotency-Key).", body = UnitView)))]
pub async fn create_unit(
    State(s): State<AppState>,
    c: ApiCtx,
    body: IdempotentJson<NewUnit>,
) -> Result<(StatusCode, Json<UnitView>), ApiError> {
    let v = s
        .app
        .create_unit(&c.ctx, &body.value, body.idempotency.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One unit by serial (or by id, for a unit without a serial).
#[utoipa::path(get, path = "/api/v1/units/{serial}", tag = "units",
    params(("serial" = String, Path, description = "Serial number (case and separators do not matter), or the unit id")),
    responses(
        (status = 200, description = "The unit.", body = UnitView),
        (status = 409, description = "Several makers have this serial (`serial_ambiguous`); ask by unit id.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_unit(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(serial): Path<String>,
) -> Result<Json<UnitView>, ApiError> {
    if let Ok(id) = serial.parse::<UnitId>() {
        return Ok(Json(s.app.get_unit(&c.ctx, id).await?));
    }
    Ok(Json(
        s.app.find_unit_by_serial(&c.ctx, &serial, None).await?,
    ))
}

/// The warranty decision for a unit on a service date for a reported cause: class A/B/C,
/// in or out of warranty, start and end, how parts, labor and travel are charged, and why.
#[utoipa::path(get, path = "/api/v1/units/{serial}/warranty", tag = "units", params(
        ("serial" = String, Path, description = "Serial number (case and separators do not matter)"),
        WarrantyQuery),
    responses(
        (status = 200, description = "The decision.", body = WarrantyView),
        (status = 409, description = "Several makers have this serial (`serial_ambiguous`): name the `manufacturer`.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn warranty(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(serial): Path<String>,
    AppQuery(q): AppQuery<WarrantyQuery>,
) -> Result<Json<WarrantyView>, ApiError> {
    Ok(Json(s.app.warranty_for_serial(&c.ctx, &serial, &q).await?))
}

/// Service contracts by end date; `expiring_within_days` gives the renewal reminders.
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", params(aftersales_app::ContractQuery),
    responses((status = 200, description = "A page of contracts.", body = Page<ContractView>)))]
pub async fn list_contracts(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<aftersales_app::ContractQuery>,
) -> Result<Json<Page<ContractView>>, ApiError> {
    Ok(Json(s.app.list_contracts(&c.ctx, &q).await?))
}

/// Create a service contract covering some of a customer's units.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", request_body = NewContract,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key (up to 200 visible ASCII characters).", min_length = 1, max_length = 200, pattern = "^[!-~]{1,200}$")),
    responses((status = 201, description = "Created (or the first result of this Idempotency-Key).", body = ContractView)))]
pub async fn create_contract(
    State(s): State<AppState>,
    c: ApiCtx,
    body: IdempotentJson<NewContract>,
) -> Result<(StatusCode, Json<ContractView>), ApiError> {
    let v = s
        .app
        .create_contract(&c.ctx, &body.value, body.idempotency.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One contract.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, description = "The contract.", body = ContractView)))]
pub async fn get_contract(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ContractView>, ApiError> {
    Ok(Json(s.app.get_contract(&c.ctx, &id).await?))
}

/// Move a unit to another owner (or back to stock); the ownership history keeps every owner.
#[utoipa::path(post, path = "/api/v1/units/{serial}/transfer", tag = "units", request_body = aftersales_app::UnitTransfer,
    params(("serial" = String, Path, description = "Serial number, or the unit id")),
    responses(
        (status = 200, description = "The unit with its new owner.", body = UnitView),
        (status = 409, description = "Stale `version`, or an unknown customer or site.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn transfer_unit(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(serial): Path<String>,
    body: AppJson<aftersales_app::UnitTransfer>,
) -> Result<Json<UnitView>, ApiError> {
    Ok(Json(
        s.app.transfer_unit(&c.ctx, &serial, &body.value).await?,
    ))
}
