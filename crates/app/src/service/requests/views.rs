//! A request as its page and the API show it, the list within the caller's scope, and the
//! timeline of its events.

use super::{Lenient, RequestScope, not_found, parse_instant, request_status_of, stored_opt, ts};
use crate::service::work_orders::{status_of, waiting_of};
use crate::{AppError, Ctx, Page, cursor};
use aftersales_domain::service::{
    EventKind, Outcome, RequestEvent, RequestStatus, Triage, WaitReason, WoStatus,
};
use aftersales_domain::sla::board::{KeptClock, SlaStanding};
use aftersales_domain::{CustomerId, FieldError, FieldErrors, OrgUnitId, Role, UnitId, UserId};
use aftersales_store::service::{self as store, RequestRow, WorkOrderRow};
use aftersales_store::{
    Conn, installed_base::customers as customer_store, network::org as org_store,
};
use aftersales_store::{installed_base::units as unit_store, network::users as user_store, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NamedRef {
    pub id: String,
    /// A number (`CU000123`), a code (`SY-HP`) or a user name.
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequestUnit {
    pub id: String,
    pub serial: Option<String>,
    pub product_code: String,
    pub product_name: String,
    pub product_line: String,
}

/// Something the agent should know about the request just taken.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntakeWarning {
    /// `open_request_for_unit`.
    pub code: String,
    /// The other request's number.
    pub number: String,
}

/// A work order as its request lists it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkOrderLine {
    pub id: String,
    pub number: String,
    #[schema(value_type = crate::schema::WoStatusName)]
    pub status: WoStatus,
    /// What a waiting order waits for.
    #[schema(value_type = Option<crate::schema::WaitReasonName>)]
    pub waiting_reason: Option<WaitReason>,
    pub engineer: Option<NamedRef>,
    pub org_unit: Option<NamedRef>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub appointment_start: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub appointment_end: Option<Timestamp>,
    #[schema(value_type = Option<crate::schema::OutcomeName>)]
    pub outcome: Option<Outcome>,
    /// Fields whose stored value could not be read, shown as null. Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_fields: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceRequestView {
    pub id: String,
    /// `SR202611300001`: the number read out to the caller.
    pub number: String,
    pub customer: NamedRef,
    pub unit: Option<RequestUnit>,
    #[schema(value_type = crate::schema::RequestKindName)]
    pub kind: String,
    #[schema(value_type = crate::schema::ChannelName)]
    pub channel: String,
    #[schema(value_type = crate::schema::PriorityName)]
    pub priority: String,
    #[schema(value_type = crate::schema::RequestStatusName)]
    pub status: RequestStatus,
    /// `remote` or `onsite` once triaged.
    #[schema(value_type = Option<crate::schema::TriageName>)]
    pub triage: Option<Triage>,
    pub symptom_code: Option<String>,
    pub symptom: String,
    pub customer_request: Option<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub site_id: Option<String>,
    pub address: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub preferred_from: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub preferred_to: Option<Timestamp>,
    /// `A`, `B` or `C` as decided at intake (none without a unit).
    pub warranty_class: Option<String>,
    pub in_warranty: Option<bool>,
    /// The whole warranty decision at intake (as `GET /units/{serial}/warranty` answers).
    #[schema(value_type = Option<Object>)]
    pub warranty: Option<serde_json::Value>,
    pub org_unit: Option<NamedRef>,
    pub owner: NamedRef,
    /// The request this one reopens.
    pub reopened_from: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub follow_up_due_at: Option<Timestamp>,
    pub external_ref: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    pub work_orders: Vec<WorkOrderLine>,
    /// How it stands against its service levels now: `on_time`, `at_risk` (a clock past its
    /// warning time) or `breached` (a milestone missed); null without a clock that counts.
    #[schema(value_type = Option<crate::schema::SlaStandingName>)]
    pub sla: Option<SlaStanding>,
    /// Only in the answer to creating it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<IntakeWarning>,
    /// Fields whose stored value could not be read (a damaged database): shown as null
    /// here, so the request can still be listed, opened and corrected. Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_fields: Vec<String>,
    pub version: i64,
}

/// An event of a request's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestEventView {
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor_id: Option<String>,
    pub actor_name: String,
    /// e.g. `created`, `owner_changed`, `triaged_remote`, `dispatched`, `declined`,
    /// `rescheduled`, `arrived`, `record_signed`, `completed`, `resolved`, `closed`.
    #[schema(value_type = crate::schema::EventKindName)]
    pub kind: EventKind,
    pub work_order_id: Option<String>,
    pub work_order_number: Option<String>,
    #[schema(value_type = Option<crate::schema::EventStatusName>)]
    pub from_status: Option<&'static str>,
    #[schema(value_type = Option<crate::schema::EventStatusName>)]
    pub to_status: Option<&'static str>,
    /// The event's facts (its kind says which; statuses are the fields above).
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The event itself, for the pages' words (a customer's view holds the customer's copy).
    #[serde(skip)]
    pub event: RequestEvent,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// One status, or several separated by commas.
    #[param(
        pattern = r"^((open|in_progress|resolved|closed|cancelled)(,(open|in_progress|resolved|closed|cancelled))*)?$"
    )]
    pub status: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub customer_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub unit_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<String>,
    /// Exactly this request number.
    #[param(max_length = 32)]
    pub number: Option<String>,
    /// Created at or after this instant (RFC 3339).
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[param(value_type = Option<String>, format = DateTime, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub created_from: Option<String>,
    /// Created before this instant.
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[param(value_type = Option<String>, format = DateTime, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub created_to: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

impl crate::App {
    /// A request as its page and the API show it.
    pub(crate) async fn request_view(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
    ) -> Result<ServiceRequestView, AppError> {
        let sla = self
            .sla_standings(conn, std::slice::from_ref(&r.id))
            .await?
            .remove(&r.id);
        self.request_view_with(conn, r, sla).await
    }

    /// How these requests stand against their service levels now, in one query (the
    /// list's SLA column): requests without a clock that counts are absent.
    pub(crate) async fn sla_standings(
        &self,
        conn: &mut Conn,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, SlaStanding>, AppError> {
        let now = self.now();
        let mut out = std::collections::HashMap::new();
        for (id, clocks) in aftersales_store::sla::clocks_of_requests(conn, ids).await? {
            let kept: Vec<KeptClock> = serde_json::from_str(&clocks)
                .map_err(|e| AppError::Internal(format!("sla_status.clocks of {id}: {e}")))?;
            if let Some(s) = SlaStanding::of(&kept, now) {
                out.insert(id, s);
            }
        }
        Ok(out)
    }

    /// A request as its page and the API show it, its SLA standing known.
    pub(crate) async fn request_view_with(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
        sla: Option<SlaStanding>,
    ) -> Result<ServiceRequestView, AppError> {
        let customer_id: CustomerId = r
            .customer_id
            .parse()
            .map_err(|_| AppError::Internal("customer id".into()))?;
        let c = customer_store::get(&mut *conn, customer_id).await?;
        let unit = match r.unit_id.as_deref().map(str::parse::<UnitId>) {
            Some(Ok(u)) => {
                let u = unit_store::get(&mut *conn, u).await?;
                let p = aftersales_store::installed_base::products::get_product(
                    &mut *conn,
                    u.product_id,
                )
                .await?;
                Some(RequestUnit {
                    id: u.id.to_string(),
                    serial: u.serial,
                    product_code: p.code,
                    product_name: p.name,
                    product_line: p.product_line,
                })
            }
            _ => None,
        };
        let owner = self.user_ref(conn, &r.owner_id).await?;
        let org_unit = match r.org_unit_id.as_deref() {
            Some(o) => self.org_ref(conn, o).await?,
            None => None,
        };
        let mut work_orders = Vec::new();
        for w in store::work_orders_of_request(&mut *conn, &r.id).await? {
            work_orders.push(self.work_order_line(conn, &w).await?);
        }
        let reopened_from = match r.reopened_from.as_deref() {
            Some(id) => Some(store::get_request(&mut *conn, id).await?.number),
            None => None,
        };
        let mut bad = Lenient::default();
        Ok(ServiceRequestView {
            id: r.id.clone(),
            number: r.number.clone(),
            customer: NamedRef {
                id: c.id.to_string(),
                code: c.number,
                name: c.name,
            },
            unit,
            kind: r.kind.clone(),
            channel: r.channel.clone(),
            priority: r.priority.clone(),
            status: request_status_of(r)?,
            triage: stored_opt(
                "service_requests.triage",
                r.triage.as_deref(),
                Triage::parse,
            )?,
            symptom_code: r.symptom_code.clone(),
            symptom: r.symptom.clone(),
            customer_request: r.customer_request.clone(),
            contact_name: r.contact_name.clone(),
            contact_phone: r.contact_phone.clone(),
            site_id: r.site_id.clone(),
            address: r.address.clone(),
            region_name: r
                .region_code
                .as_deref()
                .and_then(|c| aftersales_domain::region::RegionCode::parse("r", c).ok())
                .map(|c| c.full_name()),
            region_code: r.region_code.clone(),
            latitude: r.latitude,
            longitude: r.longitude,
            preferred_from: bad.opt(
                "service_requests.preferred_from",
                r.preferred_from.as_deref(),
            ),
            preferred_to: bad.opt("service_requests.preferred_to", r.preferred_to.as_deref()),
            warranty_class: r.warranty_class.clone(),
            in_warranty: r.in_warranty.map(|v| v != 0),
            warranty: bad.json("service_requests.warranty_json", r.warranty_json.as_deref()),
            org_unit,
            owner,
            reopened_from,
            follow_up_due_at: bad.opt(
                "service_requests.follow_up_due_at",
                r.follow_up_due_at.as_deref(),
            ),
            external_ref: r.external_ref.clone(),
            created_at: ts("service_requests.created_at", &r.created_at)?,
            updated_at: ts("service_requests.updated_at", &r.updated_at)?,
            resolved_at: bad.opt("service_requests.resolved_at", r.resolved_at.as_deref()),
            closed_at: bad.opt("service_requests.closed_at", r.closed_at.as_deref()),
            work_orders,
            sla,
            warnings: Vec::new(),
            invalid_fields: bad.0,
            version: r.version,
        })
    }

    pub(crate) async fn work_order_line(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
    ) -> Result<WorkOrderLine, AppError> {
        let mut bad = Lenient::default();
        Ok(WorkOrderLine {
            id: w.id.clone(),
            number: w.number.clone(),
            status: status_of(w)?,
            waiting_reason: waiting_of(w)?,
            engineer: match w.engineer_id.as_deref() {
                Some(e) => Some(self.user_ref(conn, e).await?),
                None => None,
            },
            org_unit: match w.org_unit_id.as_deref() {
                Some(o) => self.org_ref(conn, o).await?,
                None => None,
            },
            appointment_start: bad.opt(
                "work_orders.appointment_start",
                w.appointment_start.as_deref(),
            ),
            appointment_end: bad.opt("work_orders.appointment_end", w.appointment_end.as_deref()),
            outcome: stored_opt("work_orders.outcome", w.outcome.as_deref(), Outcome::parse)?,
            invalid_fields: bad.0,
        })
    }

    pub(crate) async fn user_ref(&self, conn: &mut Conn, id: &str) -> Result<NamedRef, AppError> {
        let uid: UserId = id
            .parse()
            .map_err(|_| AppError::Internal("user id".into()))?;
        let u = user_store::get(&mut *conn, uid).await?;
        Ok(NamedRef {
            id: id.to_owned(),
            code: u.username,
            name: u.display_name,
        })
    }

    pub(crate) async fn org_ref(
        &self,
        conn: &mut Conn,
        id: &str,
    ) -> Result<Option<NamedRef>, AppError> {
        let Ok(oid) = id.parse::<OrgUnitId>() else {
            return Ok(None);
        };
        let o = org_store::get(&mut *conn, oid).await?;
        Ok(Some(NamedRef {
            id: id.to_owned(),
            code: o.code,
            name: o.name,
        }))
    }

    /// A request by id or number, within the caller's scope.
    #[tracing::instrument(skip_all)]
    pub async fn get_service_request(
        &self,
        ctx: &Ctx,
        key: &str,
    ) -> Result<ServiceRequestView, AppError> {
        let scope = self.request_scope(ctx).await?;
        let mut conn = self.db.acquire().await?;
        let r = store::get_request(&mut *conn, key.trim())
            .await
            .map_err(not_found)?;
        self.check_request_scope(&mut conn, &scope, &r).await?;
        self.request_view(&mut conn, &r).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_service_requests(
        &self,
        ctx: &Ctx,
        q: &RequestQuery,
    ) -> Result<Page<ServiceRequestView>, AppError> {
        let scope = self.request_scope(ctx).await?;
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        let mut errs = FieldErrors::new();
        let statuses = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let mut v = Vec::new();
                for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match RequestStatus::parse(part) {
                        Some(st) => v.push(st.as_str().to_owned()),
                        None => errs.push(FieldError::new("status", "invalid_choice")),
                    }
                }
                Some(v)
            }
        };
        let id = |field: &str, v: &Option<String>, errs: &mut FieldErrors| -> Option<String> {
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
        let mut f = store::RequestFilter {
            statuses,
            customer_id: id("customer_id", &q.customer_id, &mut errs),
            unit_id: id("unit_id", &q.unit_id, &mut errs),
            org_unit_id: id("org_unit_id", &q.org_unit_id, &mut errs),
            owner_id: id("owner_id", &q.owner_id, &mut errs),
            number: q
                .number
                .as_deref()
                .map(|s| s.trim().to_uppercase())
                .filter(|s| !s.is_empty()),
            ..Default::default()
        };
        if let Some(Some(t)) = parse_instant("created_from", q.created_from.as_deref(), &mut errs) {
            f.created_from = Some(time::to_db(t)?);
        }
        if let Some(Some(t)) = parse_instant("created_to", q.created_to.as_deref(), &mut errs) {
            f.created_to = Some(time::to_db(t)?);
        }
        errs.into_result()?;
        match scope {
            RequestScope::All => {}
            RequestScope::Subtree(p) => f.org_path_prefix = Some(p),
            RequestScope::Engineer(e) => f.engineer_id = Some(e),
            RequestScope::Customer(c) => {
                if f.customer_id.as_deref().is_some_and(|x| x != c) {
                    return Ok(Page {
                        items: Vec::new(),
                        next_cursor: None,
                    });
                }
                f.customer_id = Some(c);
            }
        }
        let page = store::list_requests(self.db.pool(), &f, after.as_deref(), limit).await?;
        let mut conn = self.db.acquire().await?;
        let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
        let mut sla = self.sla_standings(&mut conn, &ids).await?;
        let mut items = Vec::new();
        for r in &page.items {
            items.push(
                self.request_view_with(&mut conn, r, sla.remove(&r.id))
                    .await?,
            );
        }
        Ok(Page {
            items,
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    /// The request's timeline: every event of it and of its work orders, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn request_events(
        &self,
        ctx: &Ctx,
        key: &str,
    ) -> Result<Vec<RequestEventView>, AppError> {
        let scope = self.request_scope(ctx).await?;
        let mut conn = self.db.acquire().await?;
        let r = store::get_request(&mut *conn, key.trim())
            .await
            .map_err(not_found)?;
        self.check_request_scope(&mut conn, &scope, &r).await?;
        let numbers: std::collections::HashMap<String, String> =
            store::work_orders_of_request(&mut *conn, &r.id)
                .await?
                .into_iter()
                .map(|w| (w.id, w.number))
                .collect();
        let for_customer = ctx.actor().is_some_and(|a| a.role == Role::Customer);
        let json = |e: serde_json::Error| AppError::Internal(format!("an event's data: {e}"));
        let mut out = Vec::new();
        for e in store::events_of_request(&mut *conn, &r.id).await? {
            // A customer sees their own version of the timeline (see `portal`): only the
            // events they are shown, without notes, internal ids or who acted.
            let (event, data) = if for_customer {
                match (
                    e.event.for_customer(),
                    e.event.customer_data().map_err(json)?,
                ) {
                    (Some(event), Some(data)) => (event, data),
                    _ => continue,
                }
            } else {
                (e.event.clone(), e.event.data().map_err(json)?)
            };
            let change = e.event.status_change();
            let work_order_id = e.work_order_id.map(|w| w.to_string());
            out.push(RequestEventView {
                id: e.id.to_string(),
                at: e.at,
                actor_id: if for_customer {
                    None
                } else {
                    e.actor_id.map(|a| a.to_string())
                },
                actor_name: if for_customer {
                    String::new()
                } else {
                    e.actor_name
                },
                kind: e.event.kind(),
                work_order_number: work_order_id.as_ref().and_then(|w| numbers.get(w).cloned()),
                work_order_id,
                from_status: change.and_then(|c| c.from_text()),
                to_status: change.map(|c| c.to_text()),
                data: data.map(serde_json::Value::Object),
                latitude: e.position.filter(|_| !for_customer).map(|p| p.0),
                longitude: e.position.filter(|_| !for_customer).map(|p| p.1),
                event,
            });
        }
        Ok(out)
    }
}
