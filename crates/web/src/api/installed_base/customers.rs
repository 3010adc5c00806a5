//! Customer records beyond creating them: editing a record, the incomplete records and the
//! share of complete ones (R-CUS-1, R-CUS-3), the owners of a phone number, and the service
//! history of a customer or a unit (R-CUS-2).

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{
    CompletenessSummary, CustomerEdit, CustomerView, IncompleteView, Page, SearchHit,
    ServiceHistory,
};
use aftersales_domain::CustomerId;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;

/// Change a customer record as a whole: fields, contacts with their phones, and sites.
/// Contacts and sites sent with their id are changed in place, those without are added, and
/// those left out are removed (a site where units are placed cannot be removed). The record
/// before and after is kept in the history.
#[utoipa::path(put, path = "/api/v1/customers/{id}", tag = "customers", request_body = CustomerEdit,
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, description = "The changed record.", body = CustomerView)))]
pub async fn update_customer(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<CustomerEdit>,
) -> Result<Json<CustomerView>, ApiError> {
    let id: CustomerId = crate::api::parse_id(&id, "customer")?;
    Ok(Json(s.app.update_customer(&c.ctx, id, &body.value).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncompleteQuery {
    /// Only records lacking this item.
    #[param(pattern = r"^(phone|contact|address|region|company)?$")]
    pub missing: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Incomplete customer records by number, with what each lacks.
#[utoipa::path(get, path = "/api/v1/customers/incomplete", tag = "customers", params(IncompleteQuery),
    responses((status = 200, description = "A page of incomplete records.", body = Page<IncompleteView>)))]
pub async fn incomplete(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<IncompleteQuery>,
) -> Result<Json<Page<IncompleteView>>, ApiError> {
    Ok(Json(
        s.app
            .list_incomplete_customers(&c.ctx, q.missing.as_deref(), q.cursor.as_deref(), q.limit)
            .await?,
    ))
}

/// The share of complete customer records against the target, and how often each item is
/// missing.
#[utoipa::path(get, path = "/api/v1/customers/completeness", tag = "customers",
    responses((status = 200, description = "Completeness of the customer records.", body = CompletenessSummary)))]
pub async fn completeness(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<CompletenessSummary>, ApiError> {
    Ok(Json(s.app.completeness_summary(&c.ctx).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByPhoneQuery {
    /// A phone number as typed (`139 0000 1234`, `+86 139-0000-1234`): compared as digits.
    #[param(max_length = 40, pattern = r"^[ +()-]*(?:[0-9][ +()-]*){5,20}$")]
    pub phone: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PhoneOwners {
    pub items: Vec<SearchHit>,
    /// Always null: a number has few owners.
    pub next_cursor: Option<String>,
}

/// The customers who already have this phone number (exactly, as digits): the check before
/// filing a new record. `POST /api/v1/customers` refuses such a number (409, field code
/// `duplicate_phone`) unless `confirm_duplicate` is true.
#[utoipa::path(get, path = "/api/v1/customers/by-phone", tag = "customers", params(ByPhoneQuery),
    responses((status = 200, description = "Owners of the number, by customer number.", body = PhoneOwners)))]
pub async fn by_phone(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<ByPhoneQuery>,
) -> Result<Json<PhoneOwners>, ApiError> {
    Ok(Json(PhoneOwners {
        items: s.app.customers_with_phone(&c.ctx, &q.phone).await?,
        next_cursor: None,
    }))
}

/// A customer's service history: their requests, newest first, each with its work orders
/// (status, engineer, appointment, outcome) and the parts used on each visit.
#[utoipa::path(get, path = "/api/v1/customers/{id}/history", tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, description = "The history, newest request first.", body = ServiceHistory)))]
pub async fn history(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ServiceHistory>, ApiError> {
    let id: CustomerId = crate::api::parse_id(&id, "customer")?;
    Ok(Json(s.app.customer_service_history(&c.ctx, id).await?))
}

/// A unit's service history: its requests, newest first, with their work orders and parts.
/// The unit by its id or its serial, as `GET /api/v1/units/{serial}`.
#[utoipa::path(get, path = "/api/v1/units/{serial}/history", tag = "units",
    params(("serial" = String, Path, description = "Unit id or serial")),
    responses((status = 200, description = "The history, newest request first.", body = ServiceHistory)))]
pub async fn unit_history(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(serial): Path<String>,
) -> Result<Json<ServiceHistory>, ApiError> {
    Ok(Json(s.app.unit_service_history(&c.ctx, &serial).await?))
}
