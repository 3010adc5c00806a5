//! Work orders (派工单, DOMAIN.md section 5, R-DSP-*): every change is an event of the
//! request (docs/service-flow.md).
//!
//! - [`assignment`]: dispatch to a certified engineer, accept or decline (R-DSP-1, R-ORG-3);
//! - [`appointments`]: the appointment window and its history (R-DSP-2);
//! - [`visit`]: the visit's steps, waiting with a typed reason, completion (R-DSP-4..6);
//! - [`record`]: the service record with photos and the customer's signature, addenda after
//!   signing (R-DSP-7).
//!
//! Here: the views, the list, and the shared steps of a change (load for a change with who
//! may act, save, step the state machine, a field step with its event).

mod appointments;
mod assignment;
pub(crate) mod record;
mod visit;

pub use appointments::{AppointmentInput, AppointmentView};
pub(crate) use assignment::as_rule;
pub use assignment::{DeclineInput, DispatchInput};
use record::record_view;
pub use record::{
    AddendumInput, AddendumView, CenterCompletionInput, CenterCompletionView, MAX_PHOTO_BYTES,
    PartUsed, PhotoView, RecordInput, RecordView, SignatureInput,
};
pub(crate) use record::{content_hash, record_content};
pub use visit::{CompleteInput, PositionInput, TransitionInput};

use crate::service::requests::{
    NamedRef, RequestScope, RequestUnit, not_found as request_not_found, stored, stored_opt, ts,
};
use crate::{AppError, Ctx, Page, cursor};
use aftersales_domain::installed_base::parse_opt_notes;
use aftersales_domain::service::{
    self as rules, Outcome, RequestEvent, RequestStatus, WaitReason, WoAction, WoStatus,
};
use aftersales_domain::{FieldError, FieldErrors, Permission, Role, UserId};
use aftersales_store::service::{self as store, RequestRow, WorkOrderRow};
use aftersales_store::{Conn, StoreError, Tx, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the engineer needs of the request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkOrderRequest {
    pub id: String,
    pub number: String,
    #[schema(value_type = crate::schema::RequestKindName)]
    pub kind: String,
    #[schema(value_type = crate::schema::RequestStatusName)]
    pub status: RequestStatus,
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
pub struct WorkOrderView {
    pub id: String,
    /// `WO202611300001`
    pub number: String,
    #[schema(value_type = crate::schema::WoStatusName)]
    pub status: WoStatus,
    #[schema(value_type = Option<crate::schema::WaitReasonName>)]
    pub waiting_reason: Option<WaitReason>,
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
    pub outcome: Option<Outcome>,
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

/// An optional note of up to 2,000 characters.
fn note(field: &str, s: Option<&str>, errs: &mut FieldErrors) -> Option<Option<String>> {
    errs.take(parse_opt_notes(field, s, 2000))
}

/// A position given with a step: both coordinates in range, or neither.
fn position(
    lat: Option<f64>,
    lng: Option<f64>,
    errs: &mut FieldErrors,
) -> Option<Option<(f64, f64)>> {
    use aftersales_domain::bounds::{check_latitude, check_longitude};
    let a = errs.take(check_latitude("latitude", lat));
    let b = errs.take(check_longitude("longitude", lng));
    match (a?, b?) {
        (Some(_), None) => {
            errs.push(FieldError::new("longitude", "required"));
            None
        }
        (None, Some(_)) => {
            errs.push(FieldError::new("latitude", "required"));
            None
        }
        _ => Some(lat.zip(lng)),
    }
}

pub(crate) fn status_of(w: &WorkOrderRow) -> Result<WoStatus, AppError> {
    stored("work_orders.status", &w.status, WoStatus::parse)
}

/// What a waiting order waits for (parts, the customer, a quote or payment).
pub(crate) fn waiting_of(w: &WorkOrderRow) -> Result<Option<WaitReason>, AppError> {
    stored_opt(
        "work_orders.waiting_reason",
        w.waiting_reason.as_deref(),
        WaitReason::parse,
    )
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

    /// Opens a change of a work order (the first step of every transition): who may act
    /// (`who`; an engineer only on the order they hold), the order within the caller's
    /// scope, at the `version` they saw (when the change is of the order itself).
    pub(crate) async fn change_order(
        &self,
        ctx: &Ctx,
        key: &str,
        version: Option<i64>,
        who: Who,
    ) -> Result<OrderChange, AppError> {
        match who {
            Who::Field => ctx.require(Permission::FieldWork)?,
            Who::Dispatcher => ctx.require(Permission::Dispatch)?,
            Who::RequestManager => ctx.require(Permission::RequestsManage)?,
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
        Ok(OrderChange {
            from: status_of(&w)?,
            after: w.clone(),
            before: w,
            request: r,
            tx,
        })
    }

    /// Saves a change (the order's row, version bumped, when it changed: the record, its
    /// photos and addenda are not the order's row) and writes its event, in the change's
    /// transaction; more may be written there before [`Self::finish_order_change`].
    pub(crate) async fn save_order_change(
        &self,
        ctx: &Ctx,
        c: &mut OrderChange,
        event: RequestEvent,
        position: Option<(f64, f64)>,
    ) -> Result<(), AppError> {
        if c.after != c.before {
            c.after.version = c.before.version + 1;
            c.after.updated_at = time::to_db(self.now())?;
            if !store::update_work_order(c.tx.conn(), &c.after, c.before.version).await? {
                return Err(AppError::StaleVersion {
                    current: c.before.version,
                });
            }
        }
        let (request, order) = (c.request.id.clone(), c.before.id.clone());
        self.event(&mut c.tx, ctx, &request, Some(&order), event, position)
            .await
    }

    /// Answers the order (and its request) as saved and commits.
    pub(crate) async fn finish_order_change(
        &self,
        mut c: OrderChange,
    ) -> Result<WorkOrderView, AppError> {
        let v = self
            .work_order_view(c.tx.conn(), &c.after, &c.request)
            .await?;
        c.tx.commit().await?;
        Ok(v)
    }

    /// The last steps of a transition: save, write the event, answer the view, commit.
    pub(crate) async fn commit_order_change(
        &self,
        ctx: &Ctx,
        mut c: OrderChange,
        event: RequestEvent,
        position: Option<(f64, f64)>,
    ) -> Result<WorkOrderView, AppError> {
        self.save_order_change(ctx, &mut c, event, position).await?;
        self.finish_order_change(c).await
    }

    pub(crate) async fn work_order_view(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
    ) -> Result<WorkOrderView, AppError> {
        let req = self.request_view(conn, r).await?;
        let record = match store::get_record(&mut *conn, &w.id).await? {
            Some(rec) => {
                let center = store::center_completion_of(&mut *conn, &w.id).await?;
                Some(record_view(&rec, center)?)
            }
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
            status,
            waiting_reason: waiting_of(w)?,
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
            outcome: stored_opt("work_orders.outcome", w.outcome.as_deref(), Outcome::parse)?,
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

    #[tracing::instrument(skip_all)]
    pub async fn get_work_order(&self, ctx: &Ctx, key: &str) -> Result<WorkOrderView, AppError> {
        let mut conn = self.db.acquire().await?;
        let (w, r) = self.load_order(&mut conn, ctx, key).await?;
        self.work_order_view(&mut conn, &w, &r).await
    }

    #[tracing::instrument(skip_all)]
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
}

/// A work order being changed in one transaction ([`crate::App::change_order`]): the row as
/// read and as it will be saved, and its request. A transition reads: open the change,
/// check what the state and the records allow, [`OrderChange::step`] and set `after`, then
/// [`crate::App::commit_order_change`] with its event.
pub(crate) struct OrderChange {
    pub tx: Tx,
    pub before: WorkOrderRow,
    pub after: WorkOrderRow,
    pub request: RequestRow,
    /// The status as read.
    pub from: WoStatus,
}

impl OrderChange {
    /// Steps the work order's state machine (`illegal_transition` when the state refuses;
    /// a waiting order resumes where it waited); `after` takes the new status.
    pub fn step(&mut self, action: WoAction) -> Result<WoStatus, AppError> {
        let resume = stored_opt(
            "work_orders.resume_status",
            self.before.resume_status.as_deref(),
            WoStatus::parse,
        )?;
        let to = rules::wo_transition(self.from, action, resume)
            .map_err(|_| AppError::Conflict("illegal_transition"))?;
        self.after.status = to.as_str().into();
        Ok(to)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Who {
    /// The engineer holding the order.
    Field,
    /// A dispatcher (or manager, admin).
    Dispatcher,
    /// Either.
    FieldOrDispatcher,
    /// Someone who manages requests (an agent, dispatcher, manager, admin).
    RequestManager,
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("work_order"),
        e => e.into(),
    }
}
