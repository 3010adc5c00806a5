//! The service flow over HTTP: service requests, their timeline, triage and closure; work
//! orders from dispatch to completion, the service record, photos and the signature
//! (docs/service-flow.md).

pub(crate) mod intake;

use crate::AppState;
use crate::api::not_empty;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery, IdempotentJson};
use crate::problem::ApiError;
use aftersales_app::{
    AddendumInput, AppointmentInput, CancelInput, CompleteInput, DeclineInput, DispatchInput,
    NewServiceRequest, NewVisit, OwnerChange, Page, PhotoView, PositionInput, RecordInput,
    RemoteOutcome, RequestEventView, RequestNote, RequestQuery, ServiceRequestView, SignatureInput,
    TransitionInput, TriageInput, WorkOrderQuery, WorkOrderView,
};
use aftersales_app::{
    BoardQuery, BoardView, BookingCheckInput, BookingCheckView, CallbackInput, CallbackView,
    CenterCompletionInput, EscalationInput, EscalationView, ReconciliationQuery,
    ReconciliationView, SuggestionsView, TransferInput, TransferTarget, TransferView,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// File a service request (any channel but alarms). The answer carries the request number
/// to read out, the warranty decision of the day, and warnings such as another open request
/// for the same unit.
#[utoipa::path(post, path = "/api/v1/service-requests", tag = "service", request_body = NewServiceRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key (up to 200 visible ASCII characters).", min_length = 1, max_length = 200, pattern = "^[!-~]{1,200}$")),
    responses((status = 201, description = "Created (or the first result of this Idempotency-Key).", body = ServiceRequestView)))]
pub async fn create_request(
    State(s): State<AppState>,
    c: ApiCtx,
    body: IdempotentJson<NewServiceRequest>,
) -> Result<(StatusCode, Json<ServiceRequestView>), ApiError> {
    let v = s
        .app
        .create_service_request(&c.ctx, &body.value, body.idempotency.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Service requests the caller may see, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/service-requests", tag = "service", params(RequestQuery),
    responses((status = 200, description = "A page of requests.", body = Page<ServiceRequestView>)))]
pub async fn list_requests(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<RequestQuery>,
) -> Result<Json<Page<ServiceRequestView>>, ApiError> {
    not_empty(&[
        ("customer_id", q.customer_id.as_deref(), "invalid_id"),
        ("unit_id", q.unit_id.as_deref(), "invalid_id"),
        ("org_unit_id", q.org_unit_id.as_deref(), "invalid_id"),
        ("owner_id", q.owner_id.as_deref(), "invalid_id"),
        ("created_from", q.created_from.as_deref(), "invalid_instant"),
        ("created_to", q.created_to.as_deref(), "invalid_instant"),
    ])?;
    if q.number.as_deref().is_some_and(|n| n.chars().count() > 32) {
        return Err(ApiError::from(aftersales_app::AppError::invalid(
            aftersales_domain::FieldError::new("number", "too_long").with("max", 32),
        )));
    }
    Ok(Json(s.app.list_service_requests(&c.ctx, &q).await?))
}

/// One request, by id or number.
#[utoipa::path(get, path = "/api/v1/service-requests/{id}", tag = "service",
    params(("id" = String, Path, description = "Request id or number (`SR…`)")),
    responses((status = 200, description = "The request.", body = ServiceRequestView)))]
pub async fn get_request(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ServiceRequestView>, ApiError> {
    Ok(Json(s.app.get_service_request(&c.ctx, &id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub items: Vec<RequestEventView>,
    /// Always null: the timeline comes whole.
    pub next_cursor: Option<String>,
}

/// The request's timeline: every event of it and of its work orders with actor, time and
/// details, oldest first.
#[utoipa::path(get, path = "/api/v1/service-requests/{id}/events", tag = "service",
    params(("id" = String, Path, description = "Request id or number")),
    responses((status = 200, description = "The events.", body = EventList)))]
pub async fn request_events(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<EventList>, ApiError> {
    let items = s.app.request_events(&c.ctx, &id).await?;
    Ok(Json(EventList {
        items,
        next_cursor: None,
    }))
}

/// A request action: `POST {path}` with a JSON body, answering the changed request.
macro_rules! request_action {
    ($name:ident, $path:literal, $body:ty, $method:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "service", request_body = $body,
            params(("id" = String, Path, description = "Request id or number")),
            responses((status = 200, description = "The request after the change.", body = ServiceRequestView)))]
        pub async fn $name(
            State(s): State<AppState>,
            c: ApiCtx,
            Path(id): Path<String>,
            body: AppJson<$body>,
        ) -> Result<Json<ServiceRequestView>, ApiError> {
            Ok(Json(s.app
                .$method(&c.ctx, &id, &body.value)
                .await?))
        }
    };
}

request_action!(
    change_owner,
    "/api/v1/service-requests/{id}/owner",
    OwnerChange,
    change_request_owner,
    "Hand the request to another owner (recorded on the timeline)."
);
request_action!(
    triage,
    "/api/v1/service-requests/{id}/triage",
    TriageInput,
    triage_request,
    "Triage: remote help (a follow-up due in 2 hours) or a visit (a work order for dispatch)."
);
request_action!(
    remote_outcome,
    "/api/v1/service-requests/{id}/remote-outcome",
    RemoteOutcome,
    remote_outcome,
    "The outcome of remote help: solved resolves the request, not solved creates a work order."
);
request_action!(
    resolve,
    "/api/v1/service-requests/{id}/resolve",
    RequestNote,
    resolve_request,
    "Mark the work done (no open work order may remain)."
);
request_action!(
    close,
    "/api/v1/service-requests/{id}/close",
    RequestNote,
    close_request,
    "Close a resolved request."
);
request_action!(
    cancel,
    "/api/v1/service-requests/{id}/cancel",
    CancelInput,
    cancel_request,
    "Cancel with a reason; open work orders are cancelled with it."
);
request_action!(
    add_visit,
    "/api/v1/service-requests/{id}/work-orders",
    NewVisit,
    add_visit,
    "Another visit: a new work order waiting for dispatch."
);

/// Reopen a resolved or closed request within the reopen window: a new request linked to
/// it.
#[utoipa::path(post, path = "/api/v1/service-requests/{id}/reopen", tag = "service", request_body = RequestNote,
    params(("id" = String, Path, description = "Request id or number")),
    responses((status = 201, description = "The new, linked request.", body = ServiceRequestView)))]
pub async fn reopen(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<RequestNote>,
) -> Result<(StatusCode, Json<ServiceRequestView>), ApiError> {
    let v = s.app.reopen_request(&c.ctx, &id, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Work orders the caller may see, by number, filtered (`engineer_id=me` for one's own).
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "service", params(WorkOrderQuery),
    responses((status = 200, description = "A page of work orders.", body = Page<WorkOrderView>)))]
pub async fn list_orders(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<WorkOrderQuery>,
) -> Result<Json<Page<WorkOrderView>>, ApiError> {
    not_empty(&[
        ("org_unit_id", q.org_unit_id.as_deref(), "invalid_id"),
        ("request_id", q.request_id.as_deref(), "invalid_id"),
        ("day", q.day.as_deref(), "invalid_date"),
    ])?;
    Ok(Json(s.app.list_work_orders(&c.ctx, &q).await?))
}

/// One work order with its appointments, record, photos and addenda.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}", tag = "service",
    params(("id" = String, Path, description = "Work order id or number (`WO…`)")),
    responses((status = 200, description = "The work order.", body = WorkOrderView)))]
pub async fn get_order(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<WorkOrderView>, ApiError> {
    Ok(Json(s.app.get_work_order(&c.ctx, &id).await?))
}

/// A work order action: `POST {path}` with a JSON body, answering the changed order.
macro_rules! order_action {
    ($name:ident, $verb:ident, $path:literal, $body:ty, $method:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path($verb, path = $path, tag = "service", request_body = $body,
            params(("id" = String, Path, description = "Work order id or number")),
            responses((status = 200, description = "The work order after the change.", body = WorkOrderView)))]
        pub async fn $name(
            State(s): State<AppState>,
            c: ApiCtx,
            Path(id): Path<String>,
            body: AppJson<$body>,
        ) -> Result<Json<WorkOrderView>, ApiError> {
            Ok(Json(s.app
                .$method(&c.ctx, &id, &body.value)
                .await?))
        }
    };
}

order_action!(
    dispatch,
    post,
    "/api/v1/work-orders/{id}/dispatch",
    DispatchInput,
    dispatch_work_order,
    "Give the order to an engineer certified for the product line (again, to reassign)."
);
order_action!(
    accept,
    post,
    "/api/v1/work-orders/{id}/accept",
    PositionInput,
    accept_work_order,
    "The engineer takes the order."
);
order_action!(
    decline,
    post,
    "/api/v1/work-orders/{id}/decline",
    DeclineInput,
    decline_work_order,
    "The engineer gives the order back with a reason; it returns to the dispatcher."
);
order_action!(
    appointment,
    post,
    "/api/v1/work-orders/{id}/appointment",
    AppointmentInput,
    set_appointment,
    "Set or move the appointment window; a change keeps its reason and whether the customer agreed."
);
order_action!(
    transition,
    post,
    "/api/v1/work-orders/{id}/transition",
    TransitionInput,
    transition_work_order,
    "A step of the visit: depart, arrive, start, wait (typed reason), resume; or cancel (dispatchers, with a reason)."
);
order_action!(
    save_record,
    put,
    "/api/v1/work-orders/{id}/record",
    RecordInput,
    save_record,
    "Save the service record as it is filled in (until it is signed)."
);
order_action!(
    sign,
    post,
    "/api/v1/work-orders/{id}/signature",
    SignatureInput,
    sign_record,
    "The customer's signature (PNG), or the reason they declined; locks the record."
);
order_action!(
    complete,
    post,
    "/api/v1/work-orders/{id}/complete",
    CompleteInput,
    complete_work_order,
    "Complete the visit with its outcome (fixed, taken to the depot, not fixed)."
);
order_action!(
    center_record,
    post,
    "/api/v1/work-orders/{id}/record/center",
    CenterCompletionInput,
    complete_record_at_center,
    "Complete fault cause and action of a signed record marked \"completed at the center\" (the office or the engineer; once)."
);
order_action!(
    addendum,
    post,
    "/api/v1/work-orders/{id}/addenda",
    AddendumInput,
    add_addendum,
    "A correction after signing, kept beside the original."
);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhotoQuery {
    #[param(max_length = 200)]
    pub caption: Option<String>,
}

/// A photo of the visit: the image itself as the body (JPEG, PNG or WebP, up to 5 MiB).
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/photos", tag = "service",
    params(("id" = String, Path, description = "Work order id or number"), PhotoQuery),
    request_body(content((String = "image/jpeg"), (String = "image/png"), (String = "image/webp")), description = "The image."),
    responses(
        (status = 201, description = "Stored.", body = PhotoView),
        (status = 413, description = "Larger than the upload limit.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a JPEG, PNG or WebP image (`unsupported_image_type`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The image does not decode in full or has data after its end (`photo`: `corrupt_image`), or is too large.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_photo(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<PhotoQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<PhotoView>), ApiError> {
    let v = s
        .app
        .add_photo(&c.ctx, &id, &body, q.caption.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A photo's image.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}/photos/{photo_id}", tag = "service",
    params(("id" = String, Path, description = "Work order id or number"), ("photo_id" = String, Path, description = "Photo id")),
    responses((status = 200, description = "The image.", content((String = "image/jpeg"), (String = "image/png"), (String = "image/webp")))))]
pub async fn photo(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((id, photo_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (ct, bytes) = s.app.photo(&c.ctx, &id, &photo_id).await?;
    Ok(crate::security::upload_response(ct, bytes, &photo_id))
}

/// The signed service record as an A4 PDF (Chinese or English by `Accept-Language`), with
/// the signature and the QR code of its verification page.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}/record.pdf", tag = "service",
    params(("id" = String, Path, description = "Work order id or number")),
    responses(
        (status = 200, description = "The PDF.", content((String = "application/pdf"))),
        (status = 409, description = "No record yet, or not signed (`record_missing`, `record_not_signed`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn record_pdf(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (number, bytes) = crate::records::pdf(&s, &c.ctx, &id, c.locale, &headers).await?;
    Ok(crate::records::pdf_response(&number, bytes))
}

/// The day's reconciliation (R-DSP-8): completed visits, those not signed, those booked but
/// not reported back, and the day's random sample to call back.
#[utoipa::path(get, path = "/api/v1/reconciliation", tag = "service", params(ReconciliationQuery),
    responses((status = 200, description = "The day.", body = ReconciliationView)))]
pub async fn reconciliation(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<ReconciliationQuery>,
) -> Result<Json<ReconciliationView>, ApiError> {
    not_empty(&[("day", q.day.as_deref(), "invalid_date")])?;
    Ok(Json(s.app.reconciliation(&c.ctx, q.day.as_deref()).await?))
}

/// Record the outcome of a call-back to the customer of a completed visit.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/callbacks", tag = "service", request_body = CallbackInput,
    params(("id" = String, Path, description = "Work order id or number")),
    responses((status = 201, description = "Recorded.", body = CallbackView)))]
pub async fn callback(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<CallbackInput>,
) -> Result<(StatusCode, Json<CallbackView>), ApiError> {
    let v = s.app.record_callback(&c.ctx, &id, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Who to send: every candidate engineer and partner technician for the order, the eligible
/// best first (certified, covering, least loaded, nearest) with their reasons, then the
/// excluded by name with why (not certified on the day of the work, …).
#[utoipa::path(get, path = "/api/v1/work-orders/{id}/suggestions", tag = "service",
    params(("id" = String, Path, description = "Work order id or number")),
    responses((status = 200, description = "The candidates, ranked.", body = SuggestionsView)))]
pub async fn suggestions(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<SuggestionsView>, ApiError> {
    Ok(Json(s.app.suggest_engineers(&c.ctx, &id).await?))
}

/// What assigning the order to an engineer with a visit window would run into, before
/// assigning (nothing changes): overlapping bookings, too little travel time between
/// consecutive sites, outside the engineer's working hours. A bad window is refused
/// (`before_start`, `window_too_short`, `window_too_long`, `in_past`).
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/booking-check", tag = "service",
    request_body = BookingCheckInput,
    params(("id" = String, Path, description = "Work order id or number")),
    responses((status = 200, description = "The conflicts (empty: none).", body = BookingCheckView)))]
pub async fn booking_check(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<BookingCheckInput>,
) -> Result<Json<BookingCheckView>, ApiError> {
    Ok(Json(s.app.check_booking(&c.ctx, &id, &body.value).await?))
}

/// Nobody may take the job: tell the managers of the order's unit (bell, and their
/// channels), with a link to the job on the board. `no_manager` when there is none.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/escalate", tag = "service",
    request_body = EscalationInput,
    params(("id" = String, Path, description = "Work order id or number")),
    responses((status = 200, description = "Who was told.", body = EscalationView)))]
pub async fn escalate(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<EscalationInput>,
) -> Result<Json<EscalationView>, ApiError> {
    Ok(Json(
        s.app.escalate_dispatch(&c.ctx, &id, &body.value).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferTargetList {
    pub items: Vec<TransferTarget>,
    /// Always null: the list comes whole.
    pub next_cursor: Option<String>,
}

/// The units a job nobody here may take can be handed to: active stations and partners
/// (not the order's own unit) covering the request's region, with a dispatcher or manager
/// of their own to arrange it, best coverage first; who there would be told.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}/transfer-targets", tag = "service",
    params(("id" = String, Path, description = "Work order id or number")),
    responses((status = 200, description = "The units it may be handed to.", body = TransferTargetList)))]
pub async fn transfer_targets(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<TransferTargetList>, ApiError> {
    Ok(Json(TransferTargetList {
        items: s.app.transfer_targets(&c.ctx, &id).await?,
        next_cursor: None,
    }))
}

/// Hands a pending job to another station or partner covering the place, with the reason
/// (required): the order and its request move to that unit, leave this board, and its
/// dispatchers and managers are told. `not_a_transfer_target` (409 on `org_unit_id`) for a
/// unit not offered; `illegal_transition` once the job is assigned.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/transfer", tag = "service",
    request_body = TransferInput,
    params(("id" = String, Path, description = "Work order id or number")),
    responses((status = 200, description = "The order as handed over, and who was told.", body = TransferView)))]
pub async fn transfer(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<TransferInput>,
) -> Result<Json<TransferView>, ApiError> {
    Ok(Json(
        s.app.transfer_work_order(&c.ctx, &id, &body.value).await?,
    ))
}

/// The dispatcher's board: work orders waiting for an engineer (most urgent, then longest
/// waiting, first; with priority, age, risk, region, product line, customer, window) and
/// the engineers in scope with the day's load, certified product lines and orders.
#[utoipa::path(get, path = "/api/v1/dispatch/board", tag = "service", params(BoardQuery),
    responses((status = 200, description = "The board.", body = BoardView)))]
pub async fn board(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<BoardQuery>,
) -> Result<Json<BoardView>, ApiError> {
    not_empty(&[("day", q.day.as_deref(), "invalid_date")])?;
    Ok(Json(s.app.dispatch_board(&c.ctx, &q).await?))
}
