//! Requisitions and shipments (issue 14 points 3 and 4, docs/requisitions.md): raise, read,
//! approve, reject and ship requisitions; list shipments, receive one with counted
//! quantities, and the parts-issue-accuracy figure.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{
    AccuracyView, ApproveInput, NewRequisition, ReceiveInput, RejectInput, RequisitionView,
    ShipInput, ShipmentView,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequisitionQuery {
    #[param(value_type = Option<aftersales_app::schema::RequisitionStatusName>)]
    pub status: Option<String>,
}

/// The requisitions of the locations the caller reads, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/requisitions", tag = "stock", params(RequisitionQuery),
    responses((status = 200, description = "The requisitions.", body = Vec<RequisitionView>)))]
pub async fn list_requisitions(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<RequisitionQuery>,
) -> Result<Json<Vec<RequisitionView>>, ApiError> {
    crate::api::not_empty(&[("status", q.status.as_deref(), "invalid_choice")])?;
    Ok(Json(
        s.app.list_requisitions(&c.ctx, q.status.as_deref()).await?,
    ))
}

/// Ask for parts for one's own van or store; a discontinued part's successor is taken
/// instead.
#[utoipa::path(post, path = "/api/v1/requisitions", tag = "stock", request_body = NewRequisition,
    responses(
        (status = 201, description = "Submitted.", body = RequisitionView),
        (status = 409, description = "An unknown location, part or work order.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad quantity (`lines[i].qty`), no lines, a discontinued part without successor.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_requisition(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<NewRequisition>,
) -> Result<(StatusCode, Json<RequisitionView>), ApiError> {
    let v = s.app.create_requisition(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One requisition with its lines and shipment.
#[utoipa::path(get, path = "/api/v1/requisitions/{number}", tag = "stock",
    params(("number" = String, Path, description = "Requisition number")),
    responses((status = 200, description = "The requisition.", body = RequisitionView)))]
pub async fn get_requisition(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
) -> Result<Json<RequisitionView>, ApiError> {
    Ok(Json(s.app.get_requisition(&c.ctx, &number).await?))
}

/// Approve a submitted requisition, per line the quantity granted.
#[utoipa::path(post, path = "/api/v1/requisitions/{number}/approve", tag = "stock",
    request_body = ApproveInput,
    params(("number" = String, Path, description = "Requisition number")),
    responses(
        (status = 200, description = "Approved.", body = RequisitionView),
        (status = 409, description = "Not submitted (`illegal_transition`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn approve_requisition(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<ApproveInput>,
) -> Result<Json<RequisitionView>, ApiError> {
    Ok(Json(
        s.app
            .approve_requisition(&c.ctx, &number, &body.value)
            .await?,
    ))
}

/// Reject a submitted requisition with a reason.
#[utoipa::path(post, path = "/api/v1/requisitions/{number}/reject", tag = "stock",
    request_body = RejectInput,
    params(("number" = String, Path, description = "Requisition number")),
    responses((status = 200, description = "Rejected.", body = RequisitionView)))]
pub async fn reject_requisition(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<RejectInput>,
) -> Result<Json<RequisitionView>, ApiError> {
    Ok(Json(
        s.app
            .reject_requisition(&c.ctx, &number, &body.value)
            .await?,
    ))
}

/// Withdraw a requisition the warehouse has not decided yet (its requester's side).
#[utoipa::path(post, path = "/api/v1/requisitions/{number}/cancel", tag = "stock",
    params(("number" = String, Path, description = "Requisition number")),
    responses(
        (status = 200, description = "Cancelled.", body = RequisitionView),
        (status = 404, description = "No such requisition, or not one of the caller's places.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided already (`illegal_transition`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel_requisition(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
) -> Result<Json<RequisitionView>, ApiError> {
    Ok(Json(s.app.cancel_requisition(&c.ctx, &number).await?))
}

/// Ship an approved requisition: the parts leave the supplying location into transit.
#[utoipa::path(post, path = "/api/v1/requisitions/{number}/ship", tag = "stock",
    request_body = ShipInput,
    params(("number" = String, Path, description = "Requisition number")),
    responses(
        (status = 200, description = "Shipped, with its shipment.", body = RequisitionView),
        (status = 409, description = "Not approved (`illegal_transition`) or not enough on hand (`insufficient_stock`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn ship_requisition(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<ShipInput>,
) -> Result<Json<RequisitionView>, ApiError> {
    Ok(Json(
        s.app.ship_requisition(&c.ctx, &number, &body.value).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShipmentQuery {
    /// Only shipments not yet received.
    #[serde(default)]
    pub open: bool,
}

/// The shipments of the locations the caller reads, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/shipments", tag = "stock", params(ShipmentQuery),
    responses((status = 200, description = "The shipments.", body = Vec<ShipmentView>)))]
pub async fn list_shipments(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<ShipmentQuery>,
) -> Result<Json<Vec<ShipmentView>>, ApiError> {
    Ok(Json(s.app.list_shipments(&c.ctx, q.open).await?))
}

/// The parts-issue-accuracy figure (R-PRT-5): the share of received shipment lines
/// without a discrepancy over the last 90 days.
#[utoipa::path(get, path = "/api/v1/shipments/accuracy", tag = "stock",
    responses((status = 200, description = "The figure.", body = AccuracyView)))]
pub async fn accuracy(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<AccuracyView>, ApiError> {
    Ok(Json(s.app.shipment_accuracy(&c.ctx).await?))
}

/// Receive a shipment with every line's counted quantity; a difference is kept as the
/// line's discrepancy.
#[utoipa::path(post, path = "/api/v1/shipments/{number}/receive", tag = "stock",
    request_body = ReceiveInput,
    params(("number" = String, Path, description = "Shipment number")),
    responses(
        (status = 200, description = "Received; the requisition with its shipment.", body = RequisitionView),
        (status = 409, description = "Already received (`illegal_transition`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad or missing counted quantity (`lines[i].qty`, `lines`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn receive_shipment(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<ReceiveInput>,
) -> Result<Json<RequisitionView>, ApiError> {
    Ok(Json(
        s.app.receive_shipment(&c.ctx, &number, &body.value).await?,
    ))
}
