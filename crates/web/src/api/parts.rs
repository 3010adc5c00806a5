//! Spare parts and stock (issue 14, docs/parts.md): the catalog, suppliers, stock locations,
//! the ledger of moves and what is on hand.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{
    BalanceQuery, BalanceView, LedgerQuery, LocationView, MoveView, NewLocation, NewMove, Page,
    PartInput, PartView, ReorderInput, ReorderView, SupplierInput, SupplierView, Valuation,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartsQuery {
    /// Part number or name contains this.
    #[param(max_length = 100)]
    pub q: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Parts by part number, a page at a time.
#[utoipa::path(get, path = "/api/v1/parts", tag = "parts", params(PartsQuery),
    responses((status = 200, description = "A page of parts.", body = Page<PartView>)))]
pub async fn list_parts(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<PartsQuery>,
) -> Result<Json<Page<PartView>>, ApiError> {
    Ok(Json(
        s.app
            .list_parts(&c.ctx, q.q.as_deref(), q.cursor.as_deref(), q.limit)
            .await?,
    ))
}

/// Add a part to the catalog.
#[utoipa::path(post, path = "/api/v1/parts", tag = "parts", request_body = PartInput,
    responses(
        (status = 201, description = "Created.", body = PartView),
        (status = 409, description = "A taken part number (`part_no_taken`), an unknown supplier, successor or model.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_part(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<PartInput>,
) -> Result<(StatusCode, Json<PartView>), ApiError> {
    let p = s.app.create_part(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// One part.
#[utoipa::path(get, path = "/api/v1/parts/{part_no}", tag = "parts",
    params(("part_no" = String, Path, description = "Part number")),
    responses((status = 200, description = "The part.", body = PartView)))]
pub async fn get_part(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(part_no): Path<String>,
) -> Result<Json<PartView>, ApiError> {
    Ok(Json(s.app.get_part(&c.ctx, &part_no).await?))
}

/// Change a part as a whole, with the `version` it is based on; its number, unit of
/// measure and serial tracking never change.
#[utoipa::path(put, path = "/api/v1/parts/{part_no}", tag = "parts", request_body = PartInput,
    params(("part_no" = String, Path, description = "Part number")),
    responses(
        (status = 200, description = "The changed part.", body = PartView),
        (status = 409, description = "Stale `version` (`stale_version`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_part(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(part_no): Path<String>,
    body: AppJson<PartInput>,
) -> Result<Json<PartView>, ApiError> {
    Ok(Json(
        s.app.update_part(&c.ctx, &part_no, &body.value).await?,
    ))
}

/// Every supplier, by code.
#[utoipa::path(get, path = "/api/v1/suppliers", tag = "parts",
    responses((status = 200, description = "The suppliers.", body = Vec<SupplierView>)))]
pub async fn list_suppliers(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<Vec<SupplierView>>, ApiError> {
    Ok(Json(s.app.list_suppliers(&c.ctx).await?))
}

/// Add a supplier.
#[utoipa::path(post, path = "/api/v1/suppliers", tag = "parts", request_body = SupplierInput,
    responses((status = 201, description = "Created.", body = SupplierView)))]
pub async fn create_supplier(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<SupplierInput>,
) -> Result<(StatusCode, Json<SupplierView>), ApiError> {
    let v = s.app.create_supplier(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Change a supplier's name, contact and warranty terms, with the `version` it is based on.
#[utoipa::path(put, path = "/api/v1/suppliers/{code}", tag = "parts", request_body = SupplierInput,
    params(("code" = String, Path, description = "Supplier code")),
    responses((status = 200, description = "The changed supplier.", body = SupplierView)))]
pub async fn update_supplier(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
    body: AppJson<SupplierInput>,
) -> Result<Json<SupplierView>, ApiError> {
    Ok(Json(
        s.app.update_supplier(&c.ctx, &code, &body.value).await?,
    ))
}

/// The stock locations the caller may read: real ones in their scope and the virtual ends
/// of moves.
#[utoipa::path(get, path = "/api/v1/stock/locations", tag = "stock",
    responses((status = 200, description = "The locations.", body = Vec<LocationView>)))]
pub async fn list_locations(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<Vec<LocationView>>, ApiError> {
    Ok(Json(s.app.stock_locations(&c.ctx).await?))
}

/// Add a warehouse, a store, a partner's store or an engineer's van.
#[utoipa::path(post, path = "/api/v1/stock/locations", tag = "stock", request_body = NewLocation,
    responses((status = 201, description = "Created.", body = LocationView)))]
pub async fn create_location(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<NewLocation>,
) -> Result<(StatusCode, Json<LocationView>), ApiError> {
    let v = s.app.create_stock_location(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BalanceParams {
    /// A location's code.
    #[param(max_length = 32)]
    pub location: Option<String>,
    /// A part number.
    #[param(max_length = 40)]
    pub part: Option<String>,
    /// Only balances at or below their reorder point.
    pub low: Option<bool>,
}

/// What is on hand, by location, part and condition, with its value at cost.
#[utoipa::path(get, path = "/api/v1/stock/balances", tag = "stock", params(BalanceParams),
    responses(
        (status = 200, description = "The balances above zero.", body = Vec<BalanceView>),
        (status = 404, description = "No such location or part, or not one the caller reads.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn balances(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<BalanceParams>,
) -> Result<Json<Vec<BalanceView>>, ApiError> {
    let q = BalanceQuery {
        location: q.location,
        part: q.part,
        low: q.low.unwrap_or(false),
    };
    Ok(Json(s.app.stock_balances(&c.ctx, &q).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerParams {
    /// A location's code: its moves with the running balance there (required unless the
    /// caller reads every location).
    #[param(max_length = 32)]
    pub location: Option<String>,
    #[param(max_length = 40)]
    pub part: Option<String>,
    #[param(value_type = Option<aftersales_app::schema::MoveKindName>)]
    pub kind: Option<String>,
    /// A work order's number.
    #[param(min_length = 1, max_length = 32)]
    pub work_order: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The ledger of moves, newest first.
#[utoipa::path(get, path = "/api/v1/stock/moves", tag = "stock", params(LedgerParams),
    responses(
        (status = 200, description = "A page of moves.", body = Page<MoveView>),
        (status = 404, description = "No such location or part, or not one the caller reads.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn ledger(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<LedgerParams>,
) -> Result<Json<Page<MoveView>>, ApiError> {
    crate::api::not_empty(&[
        ("kind", q.kind.as_deref(), "invalid_choice"),
        ("work_order", q.work_order.as_deref(), "required"),
    ])?;
    let q = LedgerQuery {
        location: q.location,
        part: q.part,
        kind: q.kind,
        work_order: q.work_order,
        cursor: q.cursor,
        limit: q.limit,
    };
    Ok(Json(s.app.stock_ledger(&c.ctx, &q).await?))
}

/// Post a move: a receipt, a transfer, an issue to a work order, a return, a defective part
/// taken back, a write-off or a count difference. Never changed afterwards: a correction
/// is another move.
#[utoipa::path(post, path = "/api/v1/stock/moves", tag = "stock", request_body = NewMove,
    responses(
        (status = 201, description = "Written, with the balance after it at the location it left (or reached).", body = MoveView),
        (status = 409, description = "Not enough on hand (`insufficient_stock`, with `on_hand`), or an unknown location, part or work order.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A quantity that is zero, negative, fractional for a counted part or too large, or a location that does not fit the kind of move.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn post_move(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<NewMove>,
) -> Result<(StatusCode, Json<MoveView>), ApiError> {
    let v = s.app.post_move(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Stock at cost per location and in total.
#[utoipa::path(get, path = "/api/v1/stock/valuation", tag = "stock",
    responses((status = 200, description = "The valuation.", body = Valuation)))]
pub async fn valuation(State(s): State<AppState>, c: ApiCtx) -> Result<Json<Valuation>, ApiError> {
    Ok(Json(s.app.stock_valuation(&c.ctx).await?))
}

/// Set a part's reorder point and quantity at a location: an outflow that takes new stock
/// to or below the point tells the location's keepers once (a job).
#[utoipa::path(put, path = "/api/v1/stock/locations/{code}/reorder-points/{part_no}", tag = "stock",
    request_body = ReorderInput,
    params(("code" = String, Path, description = "Location code"), ("part_no" = String, Path, description = "Part number")),
    responses((status = 200, description = "The reorder point.", body = ReorderView)))]
pub async fn set_reorder_point(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((code, part_no)): Path<(String, String)>,
    body: AppJson<ReorderInput>,
) -> Result<Json<ReorderView>, ApiError> {
    Ok(Json(
        s.app
            .set_reorder_point(&c.ctx, &code, &part_no, &body.value)
            .await?,
    ))
}
