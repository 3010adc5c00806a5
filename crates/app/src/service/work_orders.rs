//! Work orders (派工单, R-DSP-*): dispatch to a certified engineer, accept or decline,
//! appointments with their history, the visit's steps, waiting with a typed reason, the
//! service record with photos and the customer's signature, completion, and addenda after
//! signing. Every change is an event of the request (docs/service-flow.md).
//!
//! Over 1,200 lines: dispatch, the visit's steps and the service record; issue 12 splits
//! the area by these concepts together with the work-order state machine it moves into the
//! domain.

use crate::service::requests::{
    NamedRef, RequestScope, RequestUnit, not_found as request_not_found, opt_ts, ts,
};
use crate::{AppError, Ctx, Page, Principal, cursor};
use aftersales_domain::bounds::parse_instant;
use aftersales_domain::certification::{self as cert_rules, Certification};
use aftersales_domain::installed_base::{parse_opt_notes, parse_opt_text, parse_text};
use aftersales_domain::service::{self as rules, Outcome, WaitReason, WoAction, WoStatus};
use aftersales_domain::{FieldError, FieldErrors, OrgUnitId, Permission, Role, UserId};
use aftersales_store::service::{
    self as store, AppointmentRow, RecordRow, RequestRow, WorkOrderRow,
};
use aftersales_store::{
    Conn, StoreError, Tx, network::certifications as cert_store, network::users as user_store, time,
};
use base64::Engine;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The largest photo accepted, and how many a work order keeps.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_PHOTOS: usize = 20;
/// The largest signature image accepted.
pub const MAX_SIGNATURE_BYTES: usize = 1024 * 1024;

/// What the engineer needs of the request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkOrderRequest {
    pub id: String,
    pub number: String,
    #[schema(value_type = crate::schema::RequestKindName)]
    pub kind: String,
    #[schema(value_type = crate::schema::RequestStatusName)]
    pub status: String,
    pub symptom: String,
    pub symptom_code: Option<String>,
    pub customer: NamedRef,
    pub contact_name: String,
    pub contact_phone: String,
    pub address: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub unit: Option<RequestUnit>,
    pub warranty_class: Option<String>,
    pub in_warranty: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppointmentView {
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: Timestamp,
    /// Why it was set or moved (required for a change).
    pub reason: Option<String>,
    pub customer_agreed: bool,
    pub by_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// A part used on the visit (the parts issue connects it to stock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PartUsed {
    #[schema(max_length = 64, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub part_no: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1, maximum = 999)]
    pub qty: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordView {
    pub fault_cause_code: Option<String>,
    pub diagnosis: Option<String>,
    pub action_taken: Option<String>,
    pub notes: Option<String>,
    pub parts: Vec<PartUsed>,
    pub labor_minutes: Option<i64>,
    pub test_run_done: Option<bool>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub follow_up_due_at: Option<Timestamp>,
    pub customer_trained: Option<bool>,
    pub rating_quality: Option<i64>,
    pub rating_attitude: Option<i64>,
    /// Signed, or signing declined: the record no longer changes.
    pub locked: bool,
    pub has_signature: bool,
    pub signer_name: Option<String>,
    pub signature_declined_reason: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub signed_at: Option<Timestamp>,
    /// SHA-256 of the record as signed (hex); the QR code's verification link carries it.
    pub content_hash: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PhotoView {
    pub id: String,
    pub content_type: String,
    pub size: i64,
    pub caption: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddendumView {
    pub body: String,
    pub by_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkOrderView {
    pub id: String,
    /// `WO202611300001`
    pub number: String,
    #[schema(value_type = crate::schema::WoStatusName)]
    pub status: String,
    #[schema(value_type = Option<crate::schema::WaitReasonName>)]
    pub waiting_reason: Option<String>,
    #[schema(value_type = crate::schema::PriorityName)]
    pub priority: String,
    pub request: WorkOrderRequest,
    pub org_unit: Option<NamedRef>,
    pub engineer: Option<NamedRef>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub appointment_start: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub appointment_end: Option<Timestamp>,
    #[schema(value_type = Option<crate::schema::OutcomeName>)]
    pub outcome: Option<String>,
    pub loaner_left: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub dispatched_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub accepted_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub en_route_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub arrived_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// The steps the state allows next (`dispatch`, `accept`, `decline`, `schedule`,
    /// `depart`, `arrive`, `start`, `wait`, `resume`, `complete`, `cancel`); whether the
    /// caller may take them depends on their role.
    pub actions: Vec<String>,
    pub appointments: Vec<AppointmentView>,
    pub record: Option<RecordView>,
    pub photos: Vec<PhotoView>,
    pub addenda: Vec<AddendumView>,
    /// Fields whose stored value could not be read (a damaged database): shown as null,
    /// so the order can still be listed and opened. Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_fields: Vec<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkOrderQuery {
    /// One status, or several separated by commas.
    #[param(
        pattern = r"^((pending|dispatched|accepted|scheduled|en_route|arrived|in_service|waiting|completed|cancelled)(,(pending|dispatched|accepted|scheduled|en_route|arrived|in_service|waiting|completed|cancelled))*)?$"
    )]
    pub status: Option<String>,
    /// An engineer's id, or `me`.
    #[param(
        max_length = 36,
        pattern = r"^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub engineer_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub request_id: Option<String>,
    /// Orders with an appointment on this local day (`YYYY-MM-DD`, in the site's time zone).
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[param(value_type = Option<String>, format = Date, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub day: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DispatchInput {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(value_type = String, format = Uuid)]
    pub engineer_id: String,
    /// Move the order to this unit too (else it stays in its unit).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

/// A version and, when the browser gave it, where the engineer is.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PositionInput {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DeclineInput {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AppointmentInput {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = String, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    pub starts_at: String,
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = String, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    pub ends_at: String,
    /// Required when an agreed window changes (R-DSP-2).
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: Option<String>,
    /// Whether the customer agreed to this window.
    pub customer_agreed: bool,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TransitionInput {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(value_type = crate::schema::TransitionName)]
    pub action: String,
    /// For `wait`: customer, parts or quote_payment.
    #[schema(value_type = Option<crate::schema::WaitReasonName>)]
    pub wait_reason: Option<String>,
    /// Why (required for `cancel`; a note otherwise).
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

/// The service record as the engineer fills it in; saved any number of times until signed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RecordInput {
    /// The record's version as read; 0 for the first save.
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 0)]
    pub version: i64,
    #[schema(max_length = 32, pattern = r"^[A-Za-z0-9_.-]*$")]
    pub fault_cause_code: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub diagnosis: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub action_taken: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub notes: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub parts: Vec<PartUsed>,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 1440)]
    pub labor_minutes: Option<i64>,
    pub test_run_done: Option<bool>,
    pub customer_trained: Option<bool>,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 1, maximum = 5)]
    pub rating_quality: Option<i64>,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 1, maximum = 5)]
    pub rating_attitude: Option<i64>,
}

/// The customer's signature (a PNG, as a `data:image/png;base64,…` URL or plain base64),
/// or the reason they declined to sign. Never both.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SignatureInput {
    #[schema(max_length = 1500000)]
    pub signature_png: Option<String>,
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub signer_name: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub declined_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CompleteInput {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(value_type = crate::schema::OutcomeName)]
    pub outcome: String,
    /// With `depot`: a loaner unit was left with the customer (R-DSP-5).
    #[serde(default)]
    pub loaner_left: bool,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AddendumInput {
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub body: String,
}

fn note(field: &str, s: Option<&str>) -> Result<Option<String>, AppError> {
    parse_opt_notes(field, s, 2000).map_err(AppError::invalid)
}

/// A position given with a step: both coordinates in range, or neither.
fn position(lat: Option<f64>, lng: Option<f64>) -> Result<Option<(f64, f64)>, AppError> {
    use aftersales_domain::bounds::{check_latitude, check_longitude};
    let mut errs = FieldErrors::new();
    let a = errs.take(check_latitude("latitude", lat));
    let b = errs.take(check_longitude("longitude", lng));
    match (a, b) {
        (Some(Some(_)), Some(None)) => errs.push(FieldError::new("longitude", "required")),
        (Some(None), Some(Some(_))) => errs.push(FieldError::new("latitude", "required")),
        _ => {}
    }
    errs.into_result()?;
    Ok(lat.zip(lng))
}

fn status_of(w: &WorkOrderRow) -> Result<WoStatus, AppError> {
    WoStatus::parse(&w.status)
        .ok_or_else(|| AppError::Internal(format!("work order status {}", w.status)))
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The canonical content of a record, hashed at signing and at verification.
pub(crate) fn record_content(
    wo_number: &str,
    r: &RecordRow,
    photo_hashes: &[String],
) -> serde_json::Value {
    serde_json::json!({
        "work_order": wo_number,
        "fault_cause_code": r.fault_cause_code,
        "diagnosis": r.diagnosis,
        "action_taken": r.action_taken,
        "notes": r.notes,
        "parts": serde_json::from_str::<serde_json::Value>(&r.parts_json).unwrap_or(serde_json::Value::Null),
        "labor_minutes": r.labor_minutes,
        "test_run_done": r.test_run_done,
        "customer_trained": r.customer_trained,
        "rating_quality": r.rating_quality,
        "rating_attitude": r.rating_attitude,
        "photos": photo_hashes,
        "signature_sha256": r.signature_png.as_deref().map(hex_sha256),
        "signer_name": r.signer_name,
        "signature_declined_reason": r.signature_declined_reason,
        "signed_at": r.signed_at,
    })
}

pub(crate) fn content_hash(content: &serde_json::Value) -> String {
    hex_sha256(content.to_string().as_bytes())
}

impl crate::App {
    /// A work order (by id or number) and its request, within the caller's request scope.
    pub(crate) async fn load_order(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        key: &str,
    ) -> Result<(WorkOrderRow, RequestRow), AppError> {
        let scope = self.request_scope(ctx).await?;
        let w = store::get_work_order(&mut *conn, key.trim())
            .await
            .map_err(not_found)?;
        let r = store::get_request(&mut *conn, &w.request_id)
            .await
            .map_err(request_not_found)?;
        match &scope {
            // An engineer sees the orders that are theirs, not every order of a request.
            RequestScope::Engineer(me) if w.engineer_id.as_deref() != Some(me.as_str()) => {
                return Err(AppError::NotFound("work_order"));
            }
            // A partner technician dispatched to a request of another unit works their
            // own order like an engineer (the dispatcher chose them for their territory).
            RequestScope::Subtree(_)
                if ctx.actor().is_some_and(|a| {
                    a.role == Role::Partner
                        && w.engineer_id.as_deref() == Some(a.id.to_string().as_str())
                }) => {}
            _ => self
                .check_request_scope(conn, &scope, &r)
                .await
                .map_err(|_| AppError::NotFound("work_order"))?,
        }
        Ok((w, r))
    }

    /// Opens a transaction on a work order for a change, checks the version and who may act:
    /// `field` actions only by the engineer holding it, others by dispatchers.
    async fn order_for_change(
        &self,
        ctx: &Ctx,
        key: &str,
        version: Option<i64>,
        who: Who,
    ) -> Result<(Tx, WorkOrderRow, RequestRow), AppError> {
        match who {
            Who::Field => ctx.require(Permission::FieldWork)?,
            Who::Dispatcher => ctx.require(Permission::Dispatch)?,
            Who::FieldOrDispatcher => {
                if ctx.require(Permission::FieldWork).is_err() {
                    ctx.require(Permission::Dispatch)?;
                }
            }
        }
        let mut tx = self.db.begin().await?;
        let (w, r) = self.load_order(tx.conn(), ctx, key).await?;
        let me = ctx.actor().map(|a| a.id.to_string());
        let is_field = ctx
            .actor()
            .is_some_and(|a| a.role.can(Permission::FieldWork));
        if is_field && matches!(who, Who::Field | Who::FieldOrDispatcher) && w.engineer_id != me {
            return Err(AppError::Conflict("not_your_work_order"));
        }
        if let Some(v) = version
            && v != w.version
        {
            return Err(AppError::StaleVersion { current: w.version });
        }
        Ok((tx, w, r))
    }

    async fn save_order(
        &self,
        tx: &mut Tx,
        before: &WorkOrderRow,
        after: &mut WorkOrderRow,
    ) -> Result<(), AppError> {
        after.version = before.version + 1;
        after.updated_at = time::to_db(self.now())?;
        if !store::update_work_order(tx.conn(), after, before.version).await? {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        Ok(())
    }

    fn wo_step(w: &WorkOrderRow, action: WoAction) -> Result<WoStatus, AppError> {
        let from = status_of(w)?;
        let resume = w.resume_status.as_deref().and_then(WoStatus::parse);
        rules::wo_transition(from, action, resume)
            .map_err(|_| AppError::Conflict("illegal_transition"))
    }

    pub(crate) async fn work_order_view(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
    ) -> Result<WorkOrderView, AppError> {
        let req = self.request_view(conn, r).await?;
        let record = match store::get_record(&mut *conn, &w.id).await? {
            Some(rec) => Some(record_view(&rec)?),
            None => None,
        };
        let appointments = store::appointments_of(&mut *conn, &w.id)
            .await?
            .into_iter()
            .map(|a| {
                Ok(AppointmentView {
                    starts_at: ts("appointments.starts_at", &a.starts_at)?,
                    ends_at: ts("appointments.ends_at", &a.ends_at)?,
                    reason: a.reason,
                    customer_agreed: a.customer_agreed != 0,
                    by_name: a.by_name,
                    at: ts("appointments.at", &a.at)?,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let photos = store::photos_of(&mut *conn, &w.id)
            .await?
            .into_iter()
            .map(|p| {
                Ok(PhotoView {
                    at: ts("work_order_photos.at", &p.at)?,
                    id: p.id,
                    content_type: p.content_type,
                    size: p.size,
                    caption: p.caption,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let addenda = store::addenda_of(&mut *conn, &w.id)
            .await?
            .into_iter()
            .map(|a| {
                Ok(AddendumView {
                    at: ts("record_addenda.at", &a.at)?,
                    body: a.body,
                    by_name: a.by_name,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let status = status_of(w)?;
        let mut bad = crate::service::requests::Lenient::default();
        Ok(WorkOrderView {
            id: w.id.clone(),
            number: w.number.clone(),
            status: w.status.clone(),
            waiting_reason: w.waiting_reason.clone(),
            priority: w.priority.clone(),
            request: WorkOrderRequest {
                id: req.id,
                number: req.number,
                kind: req.kind,
                status: req.status,
                symptom: req.symptom,
                symptom_code: req.symptom_code,
                customer: req.customer,
                contact_name: req.contact_name,
                contact_phone: req.contact_phone,
                address: req.address,
                region_code: req.region_code,
                region_name: req.region_name,
                latitude: req.latitude,
                longitude: req.longitude,
                unit: req.unit,
                warranty_class: req.warranty_class,
                in_warranty: req.in_warranty,
            },
            org_unit: match w.org_unit_id.as_deref() {
                Some(o) => self.org_ref(conn, o).await?,
                None => None,
            },
            engineer: match w.engineer_id.as_deref() {
                Some(e) => Some(self.user_ref(conn, e).await?),
                None => None,
            },
            appointment_start: bad.opt(
                "work_orders.appointment_start",
                w.appointment_start.as_deref(),
            ),
            appointment_end: bad.opt("work_orders.appointment_end", w.appointment_end.as_deref()),
            outcome: w.outcome.clone(),
            loaner_left: w.loaner_left != 0,
            created_at: ts("work_orders.created_at", &w.created_at)?,
            dispatched_at: bad.opt("work_orders.dispatched_at", w.dispatched_at.as_deref()),
            accepted_at: bad.opt("work_orders.accepted_at", w.accepted_at.as_deref()),
            en_route_at: bad.opt("work_orders.en_route_at", w.en_route_at.as_deref()),
            arrived_at: bad.opt("work_orders.arrived_at", w.arrived_at.as_deref()),
            started_at: bad.opt("work_orders.started_at", w.started_at.as_deref()),
            completed_at: bad.opt("work_orders.completed_at", w.completed_at.as_deref()),
            cancelled_at: bad.opt("work_orders.cancelled_at", w.cancelled_at.as_deref()),
            updated_at: ts("work_orders.updated_at", &w.updated_at)?,
            actions: rules::wo_actions(status)
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            appointments,
            record,
            photos,
            addenda,
            invalid_fields: bad.0,
            version: w.version,
        })
    }

    pub async fn get_work_order(&self, ctx: &Ctx, key: &str) -> Result<WorkOrderView, AppError> {
        let mut conn = self.db.acquire().await?;
        let (w, r) = self.load_order(&mut conn, ctx, key).await?;
        self.work_order_view(&mut conn, &w, &r).await
    }

    pub async fn list_work_orders(
        &self,
        ctx: &Ctx,
        q: &WorkOrderQuery,
    ) -> Result<Page<WorkOrderView>, AppError> {
        let scope = self.request_scope(ctx).await?;
        if ctx.actor().is_some_and(|a| a.role == Role::Customer) {
            return Err(AppError::Forbidden);
        }
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        let mut errs = FieldErrors::new();
        let statuses = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let mut v = Vec::new();
                for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match WoStatus::parse(part) {
                        Some(st) => v.push(st.as_str().to_owned()),
                        None => errs.push(FieldError::new("status", "invalid_choice")),
                    }
                }
                Some(v)
            }
        };
        let me = ctx.actor().map(|a| a.id.to_string());
        let engineer = match q
            .engineer_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some("me") => me.clone(),
            Some(s) => match s.parse::<UserId>() {
                Ok(u) => Some(u.to_string()),
                Err(_) => {
                    errs.push(FieldError::new("engineer_id", "invalid_id"));
                    None
                }
            },
        };
        let uuid_of = |field: &str, v: &Option<String>, errs: &mut FieldErrors| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .and_then(|s| match uuid::Uuid::parse_str(s) {
                    Ok(u) => Some(u.to_string()),
                    Err(_) => {
                        errs.push(FieldError::new(field, "invalid_id"));
                        None
                    }
                })
        };
        let mut f = store::WorkOrderFilter {
            statuses,
            engineer_id: engineer,
            org_unit_id: uuid_of("org_unit_id", &q.org_unit_id, &mut errs),
            request_id: uuid_of("request_id", &q.request_id, &mut errs),
            ..Default::default()
        };
        if let Some(d) = q.day.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            match aftersales_domain::bounds::parse_service_day("day", d) {
                Ok(day) => {
                    let (from, to) = self.site().day_bounds(day)?;
                    f.appointment_from = Some(time::to_db(from)?);
                    f.appointment_to = Some(time::to_db(to)?);
                }
                Err(e) => errs.push(e),
            }
        }
        errs.into_result()?;
        match scope {
            RequestScope::All => {}
            RequestScope::Subtree(p) => {
                // A partner's technicians see their own orders; a manager the subtree's.
                if ctx.actor().is_some_and(|a| a.role == Role::Partner) {
                    if f.engineer_id.is_some() && f.engineer_id != me {
                        return Ok(Page {
                            items: Vec::new(),
                            next_cursor: None,
                        });
                    }
                    f.engineer_id = me;
                } else {
                    f.org_path_prefix = Some(p);
                }
            }
            RequestScope::Engineer(e) => {
                if f.engineer_id.as_deref().is_some_and(|x| x != e) {
                    return Ok(Page {
                        items: Vec::new(),
                        next_cursor: None,
                    });
                }
                f.engineer_id = Some(e);
            }
            RequestScope::Customer(_) => return Err(AppError::Forbidden),
        }
        let page = store::list_work_orders(self.db.pool(), &f, after.as_deref(), limit).await?;
        let mut conn = self.db.acquire().await?;
        let mut items = Vec::new();
        for w in &page.items {
            let r = store::get_request(&mut *conn, &w.request_id).await?;
            items.push(self.work_order_view(&mut conn, w, &r).await?);
        }
        Ok(Page {
            items,
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    /// The engineer's certifications as the rules read them (see [`as_rule`]).
    pub(crate) async fn certifications_of(
        &self,
        conn: &mut Conn,
        user: UserId,
    ) -> Result<Vec<Certification>, AppError> {
        Ok(cert_store::for_user(&mut *conn, user, false)
            .await?
            .into_iter()
            .map(as_rule)
            .collect())
    }

    /// Gives the order to an engineer (again, to reassign). Only an active engineer or
    /// partner technician certified for the unit's product line on the day (R-ORG-3).
    pub async fn dispatch_work_order(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &DispatchInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::Dispatch)?;
        let mut errs = FieldErrors::new();
        let engineer = errs.take(
            input
                .engineer_id
                .trim()
                .parse::<UserId>()
                .map_err(|_| FieldError::new("engineer_id", "invalid_id")),
        );
        let org = match input
            .org_unit_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(None),
            Some(s) => errs
                .take(
                    s.parse::<OrgUnitId>()
                        .map_err(|_| FieldError::new("org_unit_id", "invalid_id")),
                )
                .map(Some),
        };
        let note_text = errs.take(parse_opt_notes("note", input.note.as_deref(), 2000));
        errs.clone().into_result()?;
        let (Some(engineer), Some(org), Some(note_text)) = (engineer, org, note_text) else {
            return Err(AppError::Validation(errs));
        };
        let (mut tx, w, r) = self
            .order_for_change(ctx, key, Some(input.version), Who::Dispatcher)
            .await?;
        let to = Self::wo_step(&w, WoAction::Dispatch)?;
        let u = user_store::get(tx.conn(), engineer)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("engineer_id", "unknown_user"),
                e => e.into(),
            })?;
        if u.disabled || !matches!(u.role, Role::Engineer | Role::Partner) {
            return Err(AppError::conflict_on("engineer_id", "not_a_technician"));
        }
        let line = match r.unit_id.as_deref() {
            Some(_) => self
                .request_view(tx.conn(), &r)
                .await?
                .unit
                .map(|u| u.product_line),
            None => None,
        };
        if let Some(line) = &line {
            let certs = self.certifications_of(tx.conn(), engineer).await?;
            if !cert_rules::is_certified(&certs, line, self.today()) {
                return Err(AppError::conflict_on("engineer_id", "not_certified"));
            }
        }
        if let Some(o) = org {
            aftersales_store::network::org::get(tx.conn(), o)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => {
                        AppError::conflict_on("org_unit_id", "unknown_org_unit")
                    }
                    e => e.into(),
                })?;
        }
        let mut after = w.clone();
        after.status = to.as_str().into();
        after.engineer_id = Some(engineer.to_string());
        if let Some(o) = org {
            after.org_unit_id = Some(o.to_string());
        } else if after.org_unit_id.is_none() {
            after.org_unit_id = u.org_unit_id.map(|o| o.to_string());
        }
        after.dispatched_at = Some(time::to_db(self.now())?);
        after.accepted_at = None;
        self.save_order(&mut tx, &w, &mut after).await?;
        let kind = if w.engineer_id.is_some() {
            "reassigned"
        } else {
            "dispatched"
        };
        self.event(
            &mut tx,
            ctx,
            &r.id,
            Some(&w.id),
            kind,
            Some(&w.status),
            Some(to.as_str()),
            Some(serde_json::json!({"engineer_id": after.engineer_id, "engineer_name": u.display_name, "from_engineer_id": w.engineer_id, "org_unit_id": after.org_unit_id, "note": note_text})),
            None,
        )
        .await?;
        let v = self.work_order_view(tx.conn(), &after, &r).await?;
        tx.commit().await?;
        Ok(v)
    }

    pub async fn accept_work_order(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &PositionInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let pos = position(input.latitude, input.longitude)?;
        self.field_step(
            ctx,
            key,
            input.version,
            WoAction::Accept,
            "accepted",
            None,
            pos,
            |w, now| {
                w.accepted_at = Some(now.to_owned());
            },
        )
        .await
    }

    /// The engineer gives the order back with a reason; it returns to the dispatcher.
    pub async fn decline_work_order(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &DeclineInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let reason = crate::service::requests::required_notes("reason", &input.reason)?;
        self.field_step(
            ctx,
            key,
            input.version,
            WoAction::Decline,
            "declined",
            Some(serde_json::json!({"reason": reason})),
            None,
            |w, _| {
                w.engineer_id = None;
                w.dispatched_at = None;
                w.accepted_at = None;
                w.appointment_start = None;
                w.appointment_end = None;
            },
        )
        .await
    }

    /// One state step taken by the engineer holding the order, with its event.
    #[allow(clippy::too_many_arguments)]
    async fn field_step(
        &self,
        ctx: &Ctx,
        key: &str,
        version: i64,
        action: WoAction,
        kind: &str,
        data: Option<serde_json::Value>,
        pos: Option<(f64, f64)>,
        change: impl FnOnce(&mut WorkOrderRow, &str),
    ) -> Result<WorkOrderView, AppError> {
        let (mut tx, w, r) = self
            .order_for_change(ctx, key, Some(version), Who::Field)
            .await?;
        let to = Self::wo_step(&w, action)?;
        let now = time::to_db(self.now())?;
        // The change sees the state before the step (e.g. where a wait will resume).
        let mut after = w.clone();
        change(&mut after, &now);
        after.status = to.as_str().into();
        self.save_order(&mut tx, &w, &mut after).await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            Some(&w.id),
            kind,
            Some(&w.status),
            Some(to.as_str()),
            data,
            pos,
        )
        .await?;
        let v = self.work_order_view(tx.conn(), &after, &r).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Sets or moves the appointment window. A change of an agreed window keeps its reason
    /// and whether the customer agreed (R-DSP-2); the history stays.
    pub async fn set_appointment(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &AppointmentInput,
    ) -> Result<WorkOrderView, AppError> {
        if ctx.require(Permission::FieldWork).is_err() {
            ctx.require(Permission::Dispatch)?;
        }
        let mut errs = FieldErrors::new();
        let start = errs.take(parse_instant("starts_at", &input.starts_at));
        let end = errs.take(parse_instant("ends_at", &input.ends_at));
        let reason = errs.take(parse_opt_notes("reason", input.reason.as_deref(), 2000));
        errs.clone().into_result()?;
        let (Some(start), Some(end), Some(reason)) = (start, end, reason) else {
            return Err(AppError::Validation(errs));
        };
        if end <= start {
            return Err(AppError::conflict_on("ends_at", "before_start"));
        }
        let (mut tx, w, r) = self
            .order_for_change(ctx, key, Some(input.version), Who::FieldOrDispatcher)
            .await?;
        let to = Self::wo_step(&w, WoAction::Schedule)?;
        let first = w.appointment_start.is_none();
        // Moving an agreed window needs its reason (R-DSP-2): required by the state.
        if !first && reason.is_none() {
            return Err(AppError::conflict_on("reason", "required"));
        }
        let mut after = w.clone();
        after.status = to.as_str().into();
        after.appointment_start = Some(time::to_db(start)?);
        after.appointment_end = Some(time::to_db(end)?);
        if w.status == "waiting" {
            after.waiting_reason = None;
            after.resume_status = None;
        }
        self.save_order(&mut tx, &w, &mut after).await?;
        let (by_id, by_name) = match &ctx.principal {
            Principal::User(a) => (Some(a.id.to_string()), a.display_name.clone()),
            Principal::System(n) => (None, format!("system:{n}")),
        };
        store::insert_appointment(
            tx.conn(),
            &AppointmentRow {
                id: uuid::Uuid::now_v7().to_string(),
                work_order_id: w.id.clone(),
                starts_at: time::to_db(start)?,
                ends_at: time::to_db(end)?,
                reason: reason.clone(),
                customer_agreed: i64::from(input.customer_agreed),
                by_id,
                by_name,
                at: time::to_db(self.now())?,
            },
        )
        .await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            Some(&w.id),
            if first { "scheduled" } else { "rescheduled" },
            Some(&w.status),
            Some(to.as_str()),
            Some(serde_json::json!({
                "starts_at": after.appointment_start, "ends_at": after.appointment_end,
                "previous_start": w.appointment_start, "previous_end": w.appointment_end,
                "reason": reason, "customer_agreed": input.customer_agreed,
            })),
            None,
        )
        .await?;
        let v = self.work_order_view(tx.conn(), &after, &r).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The visit's steps: depart, arrive, start, wait (typed reason), resume, and cancel
    /// (by a dispatcher, with a reason).
    pub async fn transition_work_order(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &TransitionInput,
    ) -> Result<WorkOrderView, AppError> {
        if ctx.require(Permission::FieldWork).is_err() {
            ctx.require(Permission::Dispatch)?;
        }
        let action = match input.action.trim() {
            "depart" => WoAction::Depart,
            "arrive" => WoAction::Arrive,
            "start" => WoAction::Start,
            "wait" => WoAction::Wait,
            "resume" => WoAction::Resume,
            "cancel" => WoAction::Cancel,
            _ => {
                return Err(AppError::invalid(FieldError::new(
                    "action",
                    "invalid_choice",
                )));
            }
        };
        let reason = note("reason", input.reason.as_deref())?;
        let pos = position(input.latitude, input.longitude)?;
        match action {
            WoAction::Cancel => {
                let Some(reason) = reason else {
                    return Err(AppError::conflict_on("reason", "required"));
                };
                let (mut tx, w, r) = self
                    .order_for_change(ctx, key, Some(input.version), Who::Dispatcher)
                    .await?;
                let to = Self::wo_step(&w, WoAction::Cancel)?;
                let mut after = w.clone();
                after.status = to.as_str().into();
                after.cancelled_at = Some(time::to_db(self.now())?);
                self.save_order(&mut tx, &w, &mut after).await?;
                self.event(
                    &mut tx,
                    ctx,
                    &r.id,
                    Some(&w.id),
                    "work_order_cancelled",
                    Some(&w.status),
                    Some(to.as_str()),
                    Some(serde_json::json!({"reason": reason})),
                    None,
                )
                .await?;
                let v = self.work_order_view(tx.conn(), &after, &r).await?;
                tx.commit().await?;
                Ok(v)
            }
            WoAction::Wait => {
                let why = match input
                    .wait_reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    Some(s) => WaitReason::parse(s).ok_or_else(|| {
                        AppError::invalid(FieldError::new("wait_reason", "invalid_choice"))
                    })?,
                    None => return Err(AppError::conflict_on("wait_reason", "required")),
                };
                let data = serde_json::json!({"wait_reason": why.as_str(), "reason": reason});
                self.field_step(
                    ctx,
                    key,
                    input.version,
                    WoAction::Wait,
                    "waiting",
                    Some(data),
                    pos,
                    |w, _| {
                        w.resume_status = Some(w.status.clone());
                        w.waiting_reason = Some(why.as_str().into());
                    },
                )
                .await
            }
            _ => {
                let kind = match action {
                    WoAction::Depart => "en_route",
                    WoAction::Arrive => "arrived",
                    WoAction::Start => "in_service",
                    _ => "resumed",
                };
                let data = reason.map(|r| serde_json::json!({"note": r}));
                self.field_step(
                    ctx,
                    key,
                    input.version,
                    action,
                    kind,
                    data,
                    pos,
                    |w, now| match action {
                        WoAction::Depart => w.en_route_at = Some(now.to_owned()),
                        WoAction::Arrive => w.arrived_at = Some(now.to_owned()),
                        WoAction::Start => w.started_at = Some(now.to_owned()),
                        _ => {
                            w.waiting_reason = None;
                            w.resume_status = None;
                        }
                    },
                )
                .await
            }
        }
    }

    /// Saves the service record as the engineer fills it in (on site, before signing).
    pub async fn save_record(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RecordInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let mut errs = FieldErrors::new();
        let cause = errs.take(parse_opt_text(
            "fault_cause_code",
            input.fault_cause_code.as_deref(),
            32,
        ));
        let diagnosis = errs.take(parse_opt_notes(
            "diagnosis",
            input.diagnosis.as_deref(),
            2000,
        ));
        let action_taken = errs.take(parse_opt_notes(
            "action_taken",
            input.action_taken.as_deref(),
            2000,
        ));
        let notes = errs.take(parse_opt_notes("notes", input.notes.as_deref(), 2000));
        if input.parts.len() > 50 {
            errs.push(FieldError::new("parts", "too_many").with("max", 50));
        }
        let mut parts = Vec::new();
        for (i, p) in input.parts.iter().enumerate() {
            let name = errs.take(parse_text(&format!("parts[{i}].name"), &p.name, 100));
            let no = errs.take(parse_opt_text(
                &format!("parts[{i}].part_no"),
                p.part_no.as_deref(),
                64,
            ));
            if !(1..=999).contains(&p.qty) {
                errs.push(
                    FieldError::new(format!("parts[{i}].qty"), "out_of_range")
                        .with("min", 1)
                        .with("max", 999),
                );
            }
            if let (Some(name), Some(no)) = (name, no) {
                parts.push(PartUsed {
                    part_no: no,
                    name,
                    qty: p.qty,
                });
            }
        }
        if input
            .labor_minutes
            .is_some_and(|m| !(0..=1440).contains(&m))
        {
            errs.push(
                FieldError::new("labor_minutes", "out_of_range")
                    .with("min", 0)
                    .with("max", 1440),
            );
        }
        for (field, v) in [
            ("rating_quality", input.rating_quality),
            ("rating_attitude", input.rating_attitude),
        ] {
            if v.is_some_and(|r| !(1..=5).contains(&r)) {
                errs.push(
                    FieldError::new(field, "out_of_range")
                        .with("min", 1)
                        .with("max", 5),
                );
            }
        }
        errs.clone().into_result()?;
        let (Some(cause), Some(diagnosis), Some(action_taken), Some(notes)) =
            (cause, diagnosis, action_taken, notes)
        else {
            return Err(AppError::Validation(errs));
        };
        let (mut tx, w, r) = self.order_for_change(ctx, key, None, Who::Field).await?;
        if !matches!(w.status.as_str(), "arrived" | "in_service" | "waiting") {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let existing = store::get_record(tx.conn(), &w.id).await?;
        let current = existing.as_ref().map_or(0, |x| x.version);
        if current != input.version {
            return Err(AppError::StaleVersion { current });
        }
        if existing
            .as_ref()
            .is_some_and(|x| x.signed_at.is_some() || x.signature_declined_reason.is_some())
        {
            return Err(AppError::Conflict("record_locked"));
        }
        let row = RecordRow {
            work_order_id: w.id.clone(),
            fault_cause_code: cause,
            diagnosis,
            action_taken,
            notes,
            parts_json: serde_json::to_string(&parts)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            labor_minutes: input.labor_minutes,
            test_run_done: input.test_run_done.map(i64::from),
            follow_up_due_at: None,
            customer_trained: input.customer_trained.map(i64::from),
            rating_quality: input.rating_quality,
            rating_attitude: input.rating_attitude,
            signature_png: None,
            signer_name: None,
            signature_declined_reason: None,
            signed_at: None,
            content_hash: None,
            version: current + 1,
            updated_at: time::to_db(self.now())?,
        };
        match existing {
            None => store::insert_record(tx.conn(), &row).await?,
            Some(_) => {
                if !store::update_record(tx.conn(), &row, current).await? {
                    return Err(AppError::StaleVersion { current });
                }
            }
        }
        self.event(
            &mut tx,
            ctx,
            &r.id,
            Some(&w.id),
            "record_saved",
            None,
            None,
            Some(serde_json::json!({"record_version": row.version, "parts": parts.len()})),
            None,
        )
        .await?;
        let v = self.work_order_view(tx.conn(), &w, &r).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Adds a photo (JPEG, PNG or WebP, by content) to an order not yet completed.
    pub async fn add_photo(
        &self,
        ctx: &Ctx,
        key: &str,
        bytes: &[u8],
        caption: Option<&str>,
    ) -> Result<PhotoView, AppError> {
        ctx.require(Permission::FieldWork)?;
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(AppError::invalid(
                FieldError::new("photo", "too_large").with("max", MAX_PHOTO_BYTES as i64),
            ));
        }
        // Decoded in full (off the async threads): what is kept is an image and nothing
        // else, so it can be served back as one.
        let owned = bytes.to_vec();
        let checked =
            tokio::task::spawn_blocking(move || crate::service::images::check_photo(&owned))
                .await
                .map_err(|e| AppError::Internal(format!("checking a photo: {e}")))?;
        let (content_type, kept) = match checked {
            Ok(t) => t,
            Err(crate::service::images::ImageProblem::UnknownType) => {
                return Err(AppError::BadFile("unsupported_image_type"));
            }
            Err(crate::service::images::ImageProblem::Corrupt) => {
                return Err(AppError::invalid(FieldError::new("photo", "corrupt_image")));
            }
        };
        let bytes = &bytes[..kept];
        let caption = parse_opt_text("caption", caption, 200).map_err(AppError::invalid)?;
        let (mut tx, w, r) = self.order_for_change(ctx, key, None, Who::Field).await?;
        if status_of(&w)?.is_terminal() {
            return Err(AppError::Conflict("illegal_transition"));
        }
        // Photos are part of the signed record: none are added after signing.
        if store::get_record(tx.conn(), &w.id)
            .await?
            .is_some_and(|r| r.signed_at.is_some())
        {
            return Err(AppError::Conflict("record_locked"));
        }
        if store::photos_of(tx.conn(), &w.id).await?.len() >= MAX_PHOTOS {
            return Err(AppError::conflict_on("photo", "too_many"));
        }
        let meta = store::PhotoMeta {
            id: uuid::Uuid::now_v7().to_string(),
            work_order_id: w.id.clone(),
            content_type: content_type.into(),
            size: bytes.len() as i64,
            caption,
            by_id: ctx.actor().map(|a| a.id.to_string()),
            at: time::to_db(self.now())?,
        };
        store::insert_photo(tx.conn(), &meta, bytes).await?;
        self.event(&mut tx, ctx, &r.id, Some(&w.id), "photo_added", None, None, Some(serde_json::json!({"photo_id": meta.id, "size": meta.size, "sha256": hex_sha256(bytes)})), None)
            .await?;
        tx.commit().await?;
        Ok(PhotoView {
            at: ts("work_order_photos.at", &meta.at)?,
            id: meta.id,
            content_type: meta.content_type,
            size: meta.size,
            caption: meta.caption,
        })
    }

    /// A photo's bytes, for those who may see the order.
    pub async fn photo(
        &self,
        ctx: &Ctx,
        key: &str,
        photo_id: &str,
    ) -> Result<(String, Vec<u8>), AppError> {
        let mut conn = self.db.acquire().await?;
        let (w, _) = self.load_order(&mut conn, ctx, key).await?;
        store::photo_bytes(&mut *conn, &w.id, photo_id.trim())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::NotFound("photo"),
                e => e.into(),
            })
    }

    /// The customer signs the saved record on the engineer's screen, or declines with a
    /// reason (a signature is never forced, R-DSP-7). Either way the record is locked and
    /// its content hash fixed.
    pub async fn sign_record(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &SignatureInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let declined = note("declined_reason", input.declined_reason.as_deref())?;
        let signer = parse_opt_text("signer_name", input.signer_name.as_deref(), 50)
            .map_err(AppError::invalid)?;
        let png = match input
            .signature_png
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => {
                let b64 = s.strip_prefix("data:image/png;base64,").unwrap_or(s);
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|_| {
                        AppError::invalid(FieldError::new("signature_png", "invalid_image"))
                    })?;
                if bytes.len() > MAX_SIGNATURE_BYTES {
                    return Err(AppError::invalid(
                        FieldError::new("signature_png", "too_large")
                            .with("max", MAX_SIGNATURE_BYTES as i64),
                    ));
                }
                if crate::service::images::image_type(&bytes) != Some("image/png")
                    || !crate::service::images::png_ok(&bytes, 4000, 4000 * 4000)
                {
                    return Err(AppError::invalid(FieldError::new(
                        "signature_png",
                        "invalid_image",
                    )));
                }
                Some(bytes)
            }
        };
        match (&png, &declined) {
            (Some(_), Some(_)) => {
                return Err(AppError::conflict_on(
                    "declined_reason",
                    "signature_or_reason",
                ));
            }
            (None, None) => {
                return Err(AppError::conflict_on("signature_png", "required"));
            }
            _ => {}
        }
        let (mut tx, w, r) = self.order_for_change(ctx, key, None, Who::Field).await?;
        if !matches!(w.status.as_str(), "arrived" | "in_service" | "waiting") {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let Some(rec) = store::get_record(tx.conn(), &w.id).await? else {
            return Err(AppError::Conflict("record_missing"));
        };
        if rec.signed_at.is_some() || rec.signature_declined_reason.is_some() {
            return Err(AppError::Conflict("record_locked"));
        }
        let mut after = rec.clone();
        after.signature_png = png;
        after.signer_name =
            signer.or_else(|| (after.signature_png.is_some()).then(|| r.contact_name.clone()));
        after.signature_declined_reason = declined.clone();
        after.signed_at = Some(time::to_db(self.now())?);
        let photo_hashes = self.photo_hashes(tx.conn(), &w.id).await?;
        after.content_hash = Some(content_hash(&record_content(
            &w.number,
            &after,
            &photo_hashes,
        )));
        after.version = rec.version + 1;
        after.updated_at = time::to_db(self.now())?;
        if !store::update_record(tx.conn(), &after, rec.version).await? {
            return Err(AppError::StaleVersion {
                current: rec.version,
            });
        }
        let kind = if declined.is_some() {
            "signature_declined"
        } else {
            "record_signed"
        };
        self.event(&mut tx, ctx, &r.id, Some(&w.id), kind, None, None, Some(serde_json::json!({"signer_name": after.signer_name, "reason": declined, "content_hash": after.content_hash})), None)
            .await?;
        let v = self.work_order_view(tx.conn(), &w, &r).await?;
        tx.commit().await?;
        Ok(v)
    }

    pub(crate) async fn photo_hashes(
        &self,
        conn: &mut Conn,
        work_order_id: &str,
    ) -> Result<Vec<String>, AppError> {
        let mut out = Vec::new();
        for p in store::photos_of(&mut *conn, work_order_id).await? {
            let (_, bytes) = store::photo_bytes(&mut *conn, work_order_id, &p.id).await?;
            out.push(hex_sha256(&bytes));
        }
        Ok(out)
    }

    /// Completes the visit. The record must be signed (or signing declined). Without a test
    /// run a follow-up is due 2 hours later (R-DSP-6); a fixed unit with no other open order
    /// resolves the request; a unit taken to the depot keeps it in progress (R-DSP-5).
    pub async fn complete_work_order(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &CompleteInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let outcome = Outcome::parse(input.outcome.trim())
            .ok_or_else(|| AppError::invalid(FieldError::new("outcome", "invalid_choice")))?;
        if input.loaner_left && outcome != Outcome::Depot {
            return Err(AppError::conflict_on("loaner_left", "only_with_depot"));
        }
        let pos = position(input.latitude, input.longitude)?;
        let (mut tx, w, r) = self
            .order_for_change(ctx, key, Some(input.version), Who::Field)
            .await?;
        let to = Self::wo_step(&w, WoAction::Complete)?;
        let Some(rec) = store::get_record(tx.conn(), &w.id).await? else {
            return Err(AppError::Conflict("record_missing"));
        };
        if rec.signed_at.is_none() && rec.signature_declined_reason.is_none() {
            return Err(AppError::Conflict("record_not_signed"));
        }
        let now = self.now();
        let mut after = w.clone();
        after.status = to.as_str().into();
        after.outcome = Some(outcome.as_str().into());
        after.loaner_left = i64::from(input.loaner_left);
        after.completed_at = Some(time::to_db(now)?);
        self.save_order(&mut tx, &w, &mut after).await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            Some(&w.id),
            "completed",
            Some(&w.status),
            Some(to.as_str()),
            Some(serde_json::json!({"outcome": outcome.as_str(), "loaner_left": input.loaner_left, "test_run_done": rec.test_run_done.map(|v| v != 0)})),
            pos,
        )
        .await?;
        // What the request does next.
        let mut req = r.clone();
        let mut changed = false;
        if rec.test_run_done != Some(1) {
            req.follow_up_due_at = Some(time::to_db(now + jiff::SignedDuration::from_hours(2))?);
            changed = true;
            self.event(
                &mut tx,
                ctx,
                &r.id,
                Some(&w.id),
                "follow_up_due",
                None,
                None,
                Some(serde_json::json!({"due_at": req.follow_up_due_at, "why": "no_test_run"})),
                None,
            )
            .await?;
        }
        let others_open = store::work_orders_of_request(tx.conn(), &r.id)
            .await?
            .iter()
            .any(|o| o.id != w.id && !matches!(o.status.as_str(), "completed" | "cancelled"));
        if outcome == Outcome::Fixed && !others_open && r.status == "in_progress" {
            req.status = "resolved".into();
            req.resolved_at = Some(time::to_db(now)?);
            changed = true;
            self.event(
                &mut tx,
                ctx,
                &r.id,
                None,
                "resolved",
                Some(&r.status),
                Some("resolved"),
                Some(serde_json::json!({"by_work_order": w.number})),
                None,
            )
            .await?;
        }
        if outcome == Outcome::Depot {
            self.event(
                &mut tx,
                ctx,
                &r.id,
                Some(&w.id),
                "taken_to_depot",
                None,
                None,
                Some(serde_json::json!({"loaner_left": input.loaner_left})),
                None,
            )
            .await?;
        }
        if changed {
            req.version = r.version + 1;
            req.updated_at = time::to_db(now)?;
            if !store::update_request(tx.conn(), &req, r.version).await? {
                return Err(AppError::StaleVersion { current: w.version });
            }
        }
        let v = self.work_order_view(tx.conn(), &after, &req).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// A correction after signing, kept beside the original (which never changes).
    pub async fn add_addendum(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &AddendumInput,
    ) -> Result<WorkOrderView, AppError> {
        if ctx.require(Permission::FieldWork).is_err() {
            ctx.require(Permission::RequestsManage)?;
        }
        let body = crate::service::requests::required_notes("body", &input.body)?;
        let manager = ctx.require(Permission::RequestsManage).is_ok();
        let who = if manager { Who::Dispatcher } else { Who::Field };
        // Those who manage requests may add one too; they are checked by scope below.
        let (mut tx, w, r) = if manager {
            let mut tx = self.db.begin().await?;
            let (w, r) = self.load_order(tx.conn(), ctx, key).await?;
            (tx, w, r)
        } else {
            self.order_for_change(ctx, key, None, who).await?
        };
        let Some(rec) = store::get_record(tx.conn(), &w.id).await? else {
            return Err(AppError::Conflict("record_missing"));
        };
        if rec.signed_at.is_none() && rec.signature_declined_reason.is_none() {
            return Err(AppError::Conflict("record_not_signed"));
        }
        let (by_id, by_name) = match &ctx.principal {
            Principal::User(a) => (Some(a.id.to_string()), a.display_name.clone()),
            Principal::System(n) => (None, format!("system:{n}")),
        };
        store::insert_addendum(
            tx.conn(),
            &store::AddendumRow {
                id: uuid::Uuid::now_v7().to_string(),
                work_order_id: w.id.clone(),
                body: body.clone(),
                by_id,
                by_name,
                at: time::to_db(self.now())?,
            },
        )
        .await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            Some(&w.id),
            "addendum",
            None,
            None,
            Some(serde_json::json!({"body": body})),
            None,
        )
        .await?;
        let v = self.work_order_view(tx.conn(), &w, &r).await?;
        tx.commit().await?;
        Ok(v)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// The engineer holding the order.
    Field,
    /// A dispatcher (or manager, admin).
    Dispatcher,
    /// Either.
    FieldOrDispatcher,
}

fn record_view(r: &RecordRow) -> Result<RecordView, AppError> {
    Ok(RecordView {
        fault_cause_code: r.fault_cause_code.clone(),
        diagnosis: r.diagnosis.clone(),
        action_taken: r.action_taken.clone(),
        notes: r.notes.clone(),
        parts: serde_json::from_str(&r.parts_json).unwrap_or_default(),
        labor_minutes: r.labor_minutes,
        test_run_done: r.test_run_done.map(|v| v != 0),
        follow_up_due_at: opt_ts(
            "service_records.follow_up_due_at",
            r.follow_up_due_at.as_deref(),
        )?,
        customer_trained: r.customer_trained.map(|v| v != 0),
        rating_quality: r.rating_quality,
        rating_attitude: r.rating_attitude,
        locked: r.signed_at.is_some() || r.signature_declined_reason.is_some(),
        has_signature: r.signature_png.is_some(),
        signer_name: r.signer_name.clone(),
        signature_declined_reason: r.signature_declined_reason.clone(),
        signed_at: opt_ts("service_records.signed_at", r.signed_at.as_deref())?,
        content_hash: r.content_hash.clone(),
        version: r.version,
    })
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("work_order"),
        e => e.into(),
    }
}

/// A held certification as the rules read it.
pub(crate) fn as_rule(h: cert_store::HeldCertification) -> Certification {
    Certification {
        product_line: h.cert.product_line,
        level: h.cert.level,
        issued_on: h.cert.issued_on,
        expires_on: h.cert.expires_on,
    }
}
