//! Service requests (报修单, R-REQ-*): intake from every channel with the warranty decision
//! stored, one owner from intake to closure, triage (remote help or a visit), resolution,
//! closure, reopening as a linked request, cancellation; every change an event
//! (docs/service-flow.md).
//!
//! Over 1,200 lines: one use-case per intent of the request's life; issue 12 splits the
//! service area into a folder (intake, triage, lifecycle, queries) together with the typed
//! event log that every one of them writes, so the split happens once with that change.

use crate::{AppError, Ctx, Idempotency, Page, Principal, cursor};
use aftersales_domain::installed_base::{parse_opt_notes, parse_opt_text};
use aftersales_domain::service::{
    self as rules, Channel, Priority, RequestAction, RequestKind, RequestStatus, Triage,
};
use aftersales_domain::warranty::Cause;
use aftersales_domain::{
    CustomerId, FieldError, FieldErrors, OrgUnitId, Permission, Role, UnitId, UserId,
};
use aftersales_store::service::{self as store, EventRow, RequestRow, WorkOrderRow};
use aftersales_store::{
    Conn, StoreError, Tx, installed_base::customers as customer_store, network::org as org_store,
};
use aftersales_store::{installed_base::units as unit_store, network::users as user_store, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new request, as the agent console, the portal and API clients send it. Contact,
/// address and region default to the customer's (and the unit's site).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewServiceRequest {
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: String,
    /// The unit concerned, if any (by id).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub unit_id: Option<String>,
    #[schema(value_type = crate::schema::RequestKindName)]
    pub kind: String,
    /// `phone` when absent (the portal always records `portal`).
    #[schema(value_type = Option<crate::schema::ChannelName>)]
    pub channel: Option<String>,
    /// `normal` when absent.
    #[schema(value_type = Option<crate::schema::PriorityName>)]
    pub priority: Option<String>,
    #[schema(max_length = 32, pattern = r"^[A-Za-z0-9_.-]*$")]
    pub symptom_code: Option<String>,
    /// The fault as the customer describes it (故障现象).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub symptom: String,
    /// What the customer asks for.
    #[schema(
        max_length = 1000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub customer_request: Option<String>,
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub contact_name: Option<String>,
    #[schema(inline, value_type = Option<crate::schema::PhoneText>)]
    pub contact_phone: Option<String>,
    /// One of the customer's sites; else the unit's, else the customer's first.
    #[schema(max_length = 64)]
    pub site_id: Option<String>,
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub address: Option<String>,
    #[schema(pattern = r"^([0-9]{6})?$")]
    pub region_code: Option<String>,
    /// The window the customer prefers (RFC 3339 instants).
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = Option<String>, format = DateTime, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub preferred_from: Option<String>,
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = Option<String>, format = DateTime, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub preferred_to: Option<String>,
    /// The owner; the caller when they may own requests, else the intake desk.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<String>,
    /// The responsible unit; by default the one covering the region most specifically.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    /// The caller's own reference (an alarm id, a ticket in another system).
    #[schema(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub external_ref: Option<String>,
}

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
    pub status: String,
    pub engineer: Option<NamedRef>,
    pub org_unit: Option<NamedRef>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub appointment_start: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub appointment_end: Option<Timestamp>,
    pub outcome: Option<String>,
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
    pub status: String,
    /// `remote` or `onsite` once triaged.
    pub triage: Option<String>,
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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequestEventView {
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor_id: Option<String>,
    pub actor_name: String,
    /// e.g. `created`, `owner_changed`, `triaged_remote`, `dispatched`, `declined`,
    /// `rescheduled`, `arrived`, `record_signed`, `completed`, `resolved`, `closed`.
    pub kind: String,
    pub work_order_id: Option<String>,
    pub work_order_number: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
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

/// A version and a note: the body of most request actions.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RequestNote {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OwnerChange {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(value_type = String, format = Uuid)]
    pub owner_id: String,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

/// A new priority for a request, with the reason (R-SLA-3: its clocks are recomputed).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PriorityChange {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(value_type = crate::schema::PriorityName)]
    pub priority: String,
    /// Why (required).
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TriageInput {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// `remote` (phone guidance or a remote session) or `onsite` (a visit).
    #[schema(value_type = crate::schema::TriageName)]
    pub mode: String,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RemoteOutcome {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// Whether remote help solved it; if not, a work order is created.
    pub solved: bool,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CancelInput {
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
pub struct NewVisit {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// The unit to do it; the request's responsible unit when absent.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

/// Which requests a caller sees (R-ORG-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestScope {
    All,
    /// Requests whose responsible unit lies below this path.
    Subtree(String),
    /// Requests with a work order assigned to this engineer.
    Engineer(String),
    /// One customer's requests.
    Customer(String),
}

fn text_note(field: &str, s: Option<&str>, errs: &mut FieldErrors) -> Option<Option<String>> {
    errs.take(parse_opt_notes(field, s, 2000))
}

fn parse_instant(
    field: &str,
    s: Option<&str>,
    errs: &mut FieldErrors,
) -> Option<Option<Timestamp>> {
    errs.take(aftersales_domain::bounds::parse_opt_instant(field, s))
}

fn opt_id<T: std::str::FromStr>(
    field: &str,
    s: Option<&str>,
    errs: &mut FieldErrors,
) -> Option<Option<T>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(s) => errs
            .take(
                s.parse::<T>()
                    .map_err(|_| FieldError::new(field, "invalid_id")),
            )
            .map(Some),
    }
}

pub(crate) fn ts(column: &'static str, s: &str) -> Result<Timestamp, AppError> {
    Ok(time::from_db(column, s)?)
}

pub(crate) fn opt_ts(column: &'static str, s: Option<&str>) -> Result<Option<Timestamp>, AppError> {
    Ok(time::opt_from_db(column, s)?)
}

/// Optional stored instants read for a view that must not fail on a damaged value: an
/// unreadable one is logged, shown as absent, and its field named in `invalid_fields`.
#[derive(Default)]
pub(crate) struct Lenient(pub Vec<String>);

impl Lenient {
    pub fn opt(&mut self, column: &'static str, s: Option<&str>) -> Option<Timestamp> {
        match time::from_db_or_warn(column, s?) {
            Ok(t) => Some(t),
            Err(c) => {
                self.0
                    .push(c.rsplit_once('.').map_or(c, |(_, f)| f).to_owned());
                None
            }
        }
    }
}

impl crate::App {
    /// The caller's scope over requests.
    pub(crate) async fn request_scope(&self, ctx: &Ctx) -> Result<RequestScope, AppError> {
        ctx.require(Permission::RequestsRead)?;
        let a = match &ctx.principal {
            Principal::System(_) => return Ok(RequestScope::All),
            Principal::User(a) => a,
        };
        Ok(match a.role {
            Role::Admin | Role::Agent | Role::Dispatcher => RequestScope::All,
            Role::Manager | Role::Partner => {
                RequestScope::Subtree(a.org_path.clone().ok_or(AppError::Forbidden)?)
            }
            Role::Engineer => RequestScope::Engineer(a.id.to_string()),
            // A customer account not (yet) linked to a record sees nothing.
            Role::Customer => RequestScope::Customer(
                user_store::customer_of(self.db.pool(), a.id)
                    .await?
                    .unwrap_or_default(),
            ),
            Role::Warehouse => return Err(AppError::Forbidden),
        })
    }

    /// Whether a request lies in a scope; outside it, a request does not exist (404).
    pub(crate) async fn check_request_scope(
        &self,
        conn: &mut Conn,
        scope: &RequestScope,
        r: &RequestRow,
    ) -> Result<(), AppError> {
        let visible = match scope {
            RequestScope::All => true,
            RequestScope::Customer(c) => &r.customer_id == c,
            RequestScope::Subtree(prefix) => {
                match r.org_unit_id.as_deref().map(str::parse::<OrgUnitId>) {
                    Some(Ok(o)) => org_store::get(&mut *conn, o)
                        .await
                        .map(|u| u.path.starts_with(prefix.as_str()))
                        .unwrap_or(false),
                    _ => false,
                }
            }
            RequestScope::Engineer(me) => store::work_orders_of_request(&mut *conn, &r.id)
                .await?
                .iter()
                .any(|w| w.engineer_id.as_deref() == Some(me.as_str())),
        };
        if visible {
            Ok(())
        } else {
            Err(AppError::NotFound("service_request"))
        }
    }

    /// Appends one event to a request's log, in the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn event(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        request_id: &str,
        work_order_id: Option<&str>,
        kind: &str,
        from: Option<&str>,
        to: Option<&str>,
        data: Option<serde_json::Value>,
        position: Option<(f64, f64)>,
    ) -> Result<(), AppError> {
        let (actor_id, actor_name) = match &ctx.principal {
            Principal::User(a) => (Some(a.id.to_string()), a.display_name.clone()),
            Principal::System(n) => (None, format!("system:{n}")),
        };
        let id = uuid::Uuid::now_v7().to_string();
        store::append_event(
            tx.conn(),
            &EventRow {
                id: id.clone(),
                request_id: request_id.to_owned(),
                work_order_id: work_order_id.map(str::to_owned),
                at: time::to_db(self.now())?,
                actor_id,
                actor_name: actor_name.clone(),
                kind: kind.to_owned(),
                from_status: from.map(str::to_owned),
                to_status: to.map(str::to_owned),
                data: data.as_ref().map(|d| d.to_string()),
                latitude: position.map(|p| p.0),
                longitude: position.map(|p| p.1),
            },
        )
        .await?;
        self.after_event(tx, request_id, &id, kind, data.as_ref(), &actor_name)
            .await
    }

    /// The next document number of `prefix` for today (local day), in the transaction.
    pub(crate) async fn next_number(&self, tx: &mut Tx, prefix: &str) -> Result<String, AppError> {
        let day = self.today();
        let n = aftersales_store::counters::next(
            tx.conn(),
            &format!("{prefix}{}", day.strftime("%Y%m%d")),
        )
        .await?;
        Ok(rules::document_number(prefix, day, n))
    }

    /// The user who takes requests nobody on the desk filed (portal, alarms): the first
    /// active agent, else dispatcher, else admin.
    pub(crate) async fn intake_owner(&self) -> Result<String, AppError> {
        for role in ["agent", "dispatcher", "admin"] {
            if let Some((id, _, _)) = user_store::active_with_role(self.db.pool(), role)
                .await?
                .into_iter()
                .next()
            {
                return Ok(id);
            }
        }
        Err(AppError::Internal("no active user may own requests".into()))
    }

    pub async fn create_service_request(
        &self,
        ctx: &Ctx,
        input: &NewServiceRequest,
        idem: Option<&Idempotency>,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsCreate)?;
        if let Some(v) = self.idem_replay(ctx, idem).await? {
            return Ok(v);
        }
        let role = ctx.actor().map(|a| a.role);
        let mut errs = FieldErrors::new();
        let customer_id = errs.take(
            input
                .customer_id
                .trim()
                .parse::<CustomerId>()
                .map_err(|_| FieldError::new("customer_id", "invalid_id")),
        );
        let unit_id = opt_id::<UnitId>("unit_id", input.unit_id.as_deref(), &mut errs);
        let kind = errs.take(
            RequestKind::parse(input.kind.trim())
                .ok_or_else(|| FieldError::new("kind", "invalid_choice")),
        );
        let channel = match input
            .channel
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(Channel::Phone),
            Some(c) => errs.take(
                Channel::parse(c).ok_or_else(|| FieldError::new("channel", "invalid_choice")),
            ),
        };
        let priority = match input
            .priority
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(Priority::Normal),
            Some(p) => errs.take(
                Priority::parse(p).ok_or_else(|| FieldError::new("priority", "invalid_choice")),
            ),
        };
        let symptom_code = errs.take(parse_opt_text(
            "symptom_code",
            input.symptom_code.as_deref(),
            32,
        ));
        let symptom = errs.take(
            parse_opt_notes("symptom", Some(&input.symptom), 2000)
                .and_then(|s| s.ok_or_else(|| FieldError::new("symptom", "required"))),
        );
        let customer_request = errs.take(parse_opt_notes(
            "customer_request",
            input.customer_request.as_deref(),
            1000,
        ));
        let contact_name = errs.take(parse_opt_text(
            "contact_name",
            input.contact_name.as_deref(),
            50,
        ));
        let contact_phone = match input
            .contact_phone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(None),
            Some(p) => errs
                .take(aftersales_domain::installed_base::Phone::parse(
                    "contact_phone",
                    p,
                ))
                .map(|p| Some(p.raw().to_owned())),
        };
        let address = errs.take(parse_opt_text("address", input.address.as_deref(), 200));
        let region_code = match input
            .region_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(None),
            Some(c) => errs
                .take(aftersales_domain::region::RegionCode::parse(
                    "region_code",
                    c,
                ))
                .map(|r| Some(r.to_string())),
        };
        let preferred_from =
            parse_instant("preferred_from", input.preferred_from.as_deref(), &mut errs);
        let preferred_to = parse_instant("preferred_to", input.preferred_to.as_deref(), &mut errs);
        let owner_id = opt_id::<UserId>("owner_id", input.owner_id.as_deref(), &mut errs);
        let org_unit_id =
            opt_id::<OrgUnitId>("org_unit_id", input.org_unit_id.as_deref(), &mut errs);
        let external_ref = errs.take(parse_opt_text(
            "external_ref",
            input.external_ref.as_deref(),
            100,
        ));
        errs.clone().into_result()?;
        // Each field is fine on its own; together they contradict each other (409, as
        // contradictory contract dates).
        if let (Some(Some(f)), Some(Some(t))) = (preferred_from, preferred_to)
            && t <= f
        {
            return Err(AppError::conflict_on("preferred_to", "before_start"));
        }
        let (
            Some(customer_id),
            Some(unit_id),
            Some(kind),
            Some(mut channel),
            Some(priority),
            Some(symptom_code),
            Some(symptom),
            Some(customer_request),
            Some(contact_name),
            Some(contact_phone),
            Some(address),
            Some(region_code),
            Some(preferred_from),
            Some(preferred_to),
            Some(owner_id),
            Some(org_unit_id),
            Some(external_ref),
        ) = (
            customer_id,
            unit_id,
            kind,
            channel,
            priority,
            symptom_code,
            symptom,
            customer_request,
            contact_name,
            contact_phone,
            address,
            region_code,
            preferred_from,
            preferred_to,
            owner_id,
            org_unit_id,
            external_ref,
        )
        else {
            return Err(AppError::Validation(errs));
        };

        // Who may file for whom: a customer only for themself, from the portal.
        if role == Some(Role::Customer) {
            let RequestScope::Customer(own) = self.request_scope(ctx).await? else {
                return Err(AppError::Forbidden);
            };
            if own != customer_id.to_string() {
                return Err(AppError::conflict_on("customer_id", "not_your_customer"));
            }
            channel = Channel::Portal;
        }

        let pool = self.db.pool();
        let customer = customer_store::get(pool, customer_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("customer_id", "unknown_customer"),
                e => e.into(),
            })?;
        let sites = customer_store::sites(pool, customer_id).await?;
        let unit = match unit_id {
            Some(u) => {
                let rec = unit_store::get(pool, u).await.map_err(|e| match e {
                    StoreError::NotFound => AppError::conflict_on("unit_id", "unknown_unit"),
                    e => e.into(),
                })?;
                if rec.customer_id != Some(customer_id) {
                    return Err(AppError::conflict_on("unit_id", "unit_of_another_customer"));
                }
                Some(rec)
            }
            None => None,
        };
        let site_id = input
            .site_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let site = match site_id {
            Some(s) => Some(
                sites
                    .iter()
                    .find(|x| x.id == s)
                    .ok_or_else(|| AppError::conflict_on("site_id", "unknown_site"))?,
            ),
            None => unit
                .as_ref()
                .and_then(|u| u.site_id.as_deref())
                .and_then(|s| sites.iter().find(|x| x.id == s))
                .or(sites.first()),
        };
        let contacts = customer_store::contacts(pool, customer_id).await?;
        let phones = customer_store::phones(pool, customer_id).await?;
        let contact_name = contact_name
            .or_else(|| contacts.first().map(|c| c.name.clone()))
            .unwrap_or_else(|| customer.name.clone());
        let Some(contact_phone) =
            contact_phone.or_else(|| phones.first().map(|p| p.number.clone()))
        else {
            // The customer's record has no phone to default to: a conflict with the data.
            return Err(AppError::conflict_on("contact_phone", "required"));
        };
        let Some(address) = address.or_else(|| site.map(|s| s.address.clone())) else {
            return Err(AppError::conflict_on("address", "required"));
        };
        let region_code = region_code
            .or_else(|| site.and_then(|s| s.region_code.clone()))
            .or_else(|| customer.region_code.clone());

        // The warranty decision of the day, stored with the request (R-WAR-3).
        let now = self.now();
        let today = self.site().date(now);
        let warranty = match &unit {
            Some(u) => Some(self.warranty_of(u, today, Cause::NormalFailure).await?),
            None => None,
        };

        // The owner and the responsible unit.
        let owner = match owner_id {
            Some(o) => {
                let u = user_store::get(pool, o).await.map_err(|e| match e {
                    StoreError::NotFound => AppError::conflict_on("owner_id", "unknown_user"),
                    e => e.into(),
                })?;
                if u.disabled || !u.role.can(Permission::RequestsManage) {
                    return Err(AppError::conflict_on("owner_id", "cannot_own_requests"));
                }
                o.to_string()
            }
            None => match ctx.actor() {
                Some(a) if a.role.can(Permission::RequestsManage) => a.id.to_string(),
                _ => self.intake_owner().await?,
            },
        };
        let org_unit = match org_unit_id {
            Some(o) => {
                org_store::get(pool, o).await.map_err(|e| match e {
                    StoreError::NotFound => {
                        AppError::conflict_on("org_unit_id", "unknown_org_unit")
                    }
                    e => e.into(),
                })?;
                Some(o.to_string())
            }
            None => {
                let by_region = match &region_code {
                    Some(rc) => self
                        .covering_units(&Ctx::system("intake"), rc)
                        .await
                        .ok()
                        .and_then(|c| c.items.first().map(|i| i.org_unit_id.to_string())),
                    None => None,
                };
                match by_region {
                    Some(o) => Some(o),
                    None => user_store::get(
                        pool,
                        owner
                            .parse()
                            .map_err(|_| AppError::Internal("owner id".into()))?,
                    )
                    .await?
                    .org_unit_id
                    .map(|o| o.to_string()),
                }
            }
        };

        let open = match &unit {
            Some(u) => store::open_requests_for_unit(pool, &u.id.to_string()).await?,
            None => Vec::new(),
        };
        let warnings: Vec<IntakeWarning> = open
            .iter()
            .map(|r| IntakeWarning {
                code: "open_request_for_unit".into(),
                number: r.number.clone(),
            })
            .collect();

        let id = uuid::Uuid::now_v7().to_string();
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            let number = self.next_number(&mut tx, "SR").await?;
            let row = RequestRow {
                id: id.clone(),
                number,
                customer_id: customer_id.to_string(),
                unit_id: unit.as_ref().map(|u| u.id.to_string()),
                kind: kind.as_str().into(),
                channel: channel.as_str().into(),
                priority: priority.as_str().into(),
                status: RequestStatus::Open.as_str().into(),
                triage: None,
                symptom_code: symptom_code.clone(),
                symptom: symptom.clone(),
                customer_request: customer_request.clone(),
                contact_name: contact_name.clone(),
                contact_phone: contact_phone.clone(),
                site_id: site.map(|s| s.id.clone()),
                address: address.clone(),
                region_code: region_code.clone(),
                latitude: site.and_then(|s| s.latitude),
                longitude: site.and_then(|s| s.longitude),
                preferred_from: preferred_from.map(time::to_db).transpose()?,
                preferred_to: preferred_to.map(time::to_db).transpose()?,
                warranty_class: warranty.as_ref().map(|w| w.decision.class.as_str().to_owned()),
                in_warranty: warranty.as_ref().map(|w| i64::from(w.decision.in_warranty)),
                warranty_json: warranty.as_ref().and_then(|w| serde_json::to_string(w).ok()),
                org_unit_id: org_unit.clone(),
                owner_id: owner.clone(),
                reopened_from: None,
                follow_up_due_at: None,
                external_ref: external_ref.clone(),
                created_by: ctx.actor().map(|a| a.id.to_string()),
                created_at: time::to_db(now)?,
                updated_at: time::to_db(now)?,
                resolved_at: None,
                closed_at: None,
                version: 1,
            };
            store::insert_request(tx.conn(), &row).await?;
            self.event(
                &mut tx,
                ctx,
                &row.id,
                None,
                "created",
                None,
                Some(RequestStatus::Open.as_str()),
                Some(serde_json::json!({
                    "number": row.number, "channel": row.channel, "kind": row.kind,
                    "priority": row.priority, "warranty_class": row.warranty_class,
                    "owner_id": row.owner_id, "org_unit_id": row.org_unit_id,
                    "open_requests_for_unit": warnings.iter().map(|w| &w.number).collect::<Vec<_>>(),
                })),
                None,
            )
            .await?;
            // The answer is read inside the transaction only when it is stored for replays;
            // otherwise after the commit, so the writer lock (SQLite) is held for the
            // writes alone.
            if idem.is_some() {
                let mut view = self.request_view(tx.conn(), &row).await?;
                view.warnings = warnings.clone();
                self.idem_complete(&mut tx, ctx, idem, &view).await?;
                tx.commit().await?;
                return Ok(view);
            }
            tx.commit().await?;
            let mut conn = self.db.acquire().await?;
            let mut view = self.request_view(&mut conn, &row).await?;
            view.warnings = warnings.clone();
            Ok(view)
        }
        .await;
        match r {
            Ok(v) => Ok(v),
            Err(e) => self.idem_replay_after_race(ctx, idem, e).await,
        }
    }

    /// A request as its page and the API show it.
    pub(crate) async fn request_view(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
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
            status: r.status.clone(),
            triage: r.triage.clone(),
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
            warranty: r
                .warranty_json
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
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
            status: w.status.clone(),
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
            outcome: w.outcome.clone(),
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
        let mut items = Vec::new();
        for r in &page.items {
            items.push(self.request_view(&mut conn, r).await?);
        }
        Ok(Page {
            items,
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    /// The request's timeline: every event of it and of its work orders, oldest first.
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
        let events = store::events_of_request(&mut *conn, &r.id)
            .await?
            .into_iter()
            .map(|e| {
                Ok(RequestEventView {
                    at: ts("request_events.at", &e.at)?,
                    work_order_number: e
                        .work_order_id
                        .as_ref()
                        .and_then(|w| numbers.get(w).cloned()),
                    id: e.id,
                    actor_id: e.actor_id,
                    actor_name: e.actor_name,
                    kind: e.kind,
                    work_order_id: e.work_order_id,
                    from_status: e.from_status,
                    to_status: e.to_status,
                    data: e.data.as_deref().and_then(|d| serde_json::from_str(d).ok()),
                    latitude: e.latitude,
                    longitude: e.longitude,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        // A customer sees their own version of the timeline (see `portal`).
        Ok(if for_customer {
            events
                .into_iter()
                .filter_map(crate::service::portal::customer_safe)
                .collect()
        } else {
            events
        })
    }

    /// Loads a request for a change by someone who may manage requests, checking scope and
    /// version. Returns the open transaction and the row.
    async fn request_for_change(
        &self,
        ctx: &Ctx,
        key: &str,
        version: Option<i64>,
    ) -> Result<(Tx, RequestRow), AppError> {
        ctx.require(Permission::RequestsManage)?;
        let scope = self.request_scope(ctx).await?;
        let mut tx = self.db.begin().await?;
        let r = store::get_request(tx.conn(), key.trim())
            .await
            .map_err(not_found)?;
        self.check_request_scope(tx.conn(), &scope, &r).await?;
        if let Some(v) = version
            && v != r.version
        {
            return Err(AppError::StaleVersion { current: r.version });
        }
        Ok((tx, r))
    }

    /// Writes the changed row (version bumped) or reports a stale version.
    async fn save_request(
        &self,
        tx: &mut Tx,
        before: &RequestRow,
        after: &mut RequestRow,
    ) -> Result<(), AppError> {
        after.version = before.version + 1;
        after.updated_at = time::to_db(self.now())?;
        if !store::update_request(tx.conn(), after, before.version).await? {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        Ok(())
    }

    fn step(r: &RequestRow, action: RequestAction) -> Result<RequestStatus, AppError> {
        let from =
            RequestStatus::parse(&r.status).ok_or_else(|| AppError::Internal("status".into()))?;
        rules::request_transition(from, action).ok_or(AppError::Conflict("illegal_transition"))
    }

    /// Hands a request to another owner: an explicit, recorded act (R-REQ-3).
    pub async fn change_request_owner(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &OwnerChange,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let mut errs = FieldErrors::new();
        let owner = errs.take(
            input
                .owner_id
                .trim()
                .parse::<UserId>()
                .map_err(|_| FieldError::new("owner_id", "invalid_id")),
        );
        let note = text_note("note", input.note.as_deref(), &mut errs);
        errs.clone().into_result()?;
        let (Some(owner), Some(note)) = (owner, note) else {
            return Err(AppError::Validation(errs));
        };
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        if matches!(r.status.as_str(), "closed" | "cancelled") {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let u = user_store::get(tx.conn(), owner)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("owner_id", "unknown_user"),
                e => e.into(),
            })?;
        if u.disabled || !u.role.can(Permission::RequestsManage) {
            return Err(AppError::conflict_on("owner_id", "cannot_own_requests"));
        }
        let mut after = r.clone();
        after.owner_id = owner.to_string();
        self.save_request(&mut tx, &r, &mut after).await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            "owner_changed",
            None,
            None,
            Some(serde_json::json!({"from": r.owner_id, "to": after.owner_id, "to_name": u.display_name, "note": note})),
            None,
        )
        .await?;
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Changes a request's priority, with the reason: the SLA rule is chosen again and every
    /// clock recomputed from the start (pauses stay, they are events); its open work orders
    /// take the new priority.
    pub async fn change_request_priority(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &PriorityChange,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let mut errs = FieldErrors::new();
        let priority = errs.take(
            Priority::parse(input.priority.trim())
                .ok_or_else(|| FieldError::new("priority", "invalid_choice")),
        );
        let note = text_note("note", input.note.as_deref(), &mut errs);
        if matches!(note, Some(None)) {
            errs.push(FieldError::new("note", "required"));
        }
        errs.clone().into_result()?;
        let (Some(priority), Some(Some(note))) = (priority, note) else {
            return Err(AppError::Validation(errs));
        };
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        if matches!(r.status.as_str(), "resolved" | "closed" | "cancelled") {
            return Err(AppError::Conflict("illegal_transition"));
        }
        if r.priority == priority.as_str() {
            return Err(AppError::conflict_on("priority", "unchanged"));
        }
        let mut after = r.clone();
        after.priority = priority.as_str().to_owned();
        self.save_request(&mut tx, &r, &mut after).await?;
        store::set_open_orders_priority(tx.conn(), &r.id, priority.as_str(), &after.updated_at)
            .await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            "priority_changed",
            None,
            None,
            Some(serde_json::json!({"from": r.priority, "to": after.priority, "note": note})),
            None,
        )
        .await?;
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Triage (R-REQ-5): remote help first (a follow-up is due in 2 hours), or a visit (a
    /// work order waiting for dispatch).
    pub async fn triage_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &TriageInput,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let mut errs = FieldErrors::new();
        let mode = errs.take(
            Triage::parse(input.mode.trim())
                .ok_or_else(|| FieldError::new("mode", "invalid_choice")),
        );
        let note = text_note("note", input.note.as_deref(), &mut errs);
        errs.clone().into_result()?;
        let (Some(mode), Some(note)) = (mode, note) else {
            return Err(AppError::Validation(errs));
        };
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        let action = match mode {
            Triage::Remote => RequestAction::TriageRemote,
            Triage::Onsite => RequestAction::TriageOnsite,
        };
        let to = Self::step(&r, action)?;
        let mut after = r.clone();
        after.status = to.as_str().into();
        after.triage = Some(mode.as_str().into());
        let now = self.now();
        match mode {
            Triage::Remote => {
                after.follow_up_due_at =
                    Some(time::to_db(now + jiff::SignedDuration::from_hours(2))?);
                self.save_request(&mut tx, &r, &mut after).await?;
                self.event(
                    &mut tx,
                    ctx,
                    &r.id,
                    None,
                    "triaged_remote",
                    Some(&r.status),
                    Some(to.as_str()),
                    Some(serde_json::json!({"note": note, "follow_up_due_at": after.follow_up_due_at})),
                    None,
                )
                .await?;
            }
            Triage::Onsite => {
                self.save_request(&mut tx, &r, &mut after).await?;
                self.event(
                    &mut tx,
                    ctx,
                    &r.id,
                    None,
                    "triaged_onsite",
                    Some(&r.status),
                    Some(to.as_str()),
                    Some(serde_json::json!({"note": note})),
                    None,
                )
                .await?;
                self.open_work_order(
                    &mut tx,
                    ctx,
                    &after,
                    after.org_unit_id.clone(),
                    note.as_deref(),
                )
                .await?;
            }
        }
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The outcome of remote help: solved resolves the request; not solved sends someone.
    pub async fn remote_outcome(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RemoteOutcome,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let mut errs = FieldErrors::new();
        let note = text_note("note", input.note.as_deref(), &mut errs);
        errs.clone().into_result()?;
        let Some(note) = note else {
            return Err(AppError::Validation(errs));
        };
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        if r.triage.as_deref() != Some("remote") || r.status != "in_progress" {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let mut after = r.clone();
        if input.solved {
            let to = Self::step(&r, RequestAction::Resolve)?;
            after.status = to.as_str().into();
            after.resolved_at = Some(time::to_db(self.now())?);
            self.save_request(&mut tx, &r, &mut after).await?;
            self.event(
                &mut tx,
                ctx,
                &r.id,
                None,
                "remote_solved",
                Some(&r.status),
                Some(to.as_str()),
                Some(serde_json::json!({"note": note})),
                None,
            )
            .await?;
        } else {
            after.triage = Some(Triage::Onsite.as_str().into());
            self.save_request(&mut tx, &r, &mut after).await?;
            self.event(
                &mut tx,
                ctx,
                &r.id,
                None,
                "remote_failed",
                None,
                None,
                Some(serde_json::json!({"note": note})),
                None,
            )
            .await?;
            self.open_work_order(
                &mut tx,
                ctx,
                &after,
                after.org_unit_id.clone(),
                note.as_deref(),
            )
            .await?;
        }
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Creates a work order for a request, `pending` in `org_unit`, in the transaction.
    pub(crate) async fn open_work_order(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        r: &RequestRow,
        org_unit: Option<String>,
        note: Option<&str>,
    ) -> Result<WorkOrderRow, AppError> {
        let now = time::to_db(self.now())?;
        let number = self.next_number(tx, "WO").await?;
        let w = WorkOrderRow {
            id: uuid::Uuid::now_v7().to_string(),
            number,
            request_id: r.id.clone(),
            org_unit_id: org_unit.or_else(|| r.org_unit_id.clone()),
            engineer_id: None,
            status: "pending".into(),
            waiting_reason: None,
            resume_status: None,
            priority: r.priority.clone(),
            appointment_start: None,
            appointment_end: None,
            outcome: None,
            loaner_left: 0,
            created_at: now.clone(),
            dispatched_at: None,
            accepted_at: None,
            en_route_at: None,
            arrived_at: None,
            started_at: None,
            completed_at: None,
            cancelled_at: None,
            updated_at: now,
            version: 1,
        };
        store::insert_work_order(tx.conn(), &w).await?;
        self.event(
            tx,
            ctx,
            &r.id,
            Some(&w.id),
            "work_order_created",
            None,
            Some("pending"),
            Some(
                serde_json::json!({"number": w.number, "org_unit_id": w.org_unit_id, "note": note}),
            ),
            None,
        )
        .await?;
        Ok(w)
    }

    /// Another visit for a request already in progress.
    pub async fn add_visit(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &NewVisit,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::Dispatch)?;
        let mut errs = FieldErrors::new();
        let org = opt_id::<OrgUnitId>("org_unit_id", input.org_unit_id.as_deref(), &mut errs);
        let note = text_note("note", input.note.as_deref(), &mut errs);
        errs.clone().into_result()?;
        let (Some(org), Some(note)) = (org, note) else {
            return Err(AppError::Validation(errs));
        };
        let scope = self.request_scope(ctx).await?;
        let mut tx = self.db.begin().await?;
        let r = store::get_request(tx.conn(), key.trim())
            .await
            .map_err(not_found)?;
        self.check_request_scope(tx.conn(), &scope, &r).await?;
        if r.version != input.version {
            return Err(AppError::StaleVersion { current: r.version });
        }
        if let Some(o) = org {
            org_store::get(tx.conn(), o).await.map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("org_unit_id", "unknown_org_unit"),
                e => e.into(),
            })?;
        }
        let mut after = r.clone();
        match r.status.as_str() {
            "open" => {
                after.status = "in_progress".into();
                after.triage = Some("onsite".into());
            }
            "in_progress" => {}
            _ => return Err(AppError::Conflict("illegal_transition")),
        }
        self.save_request(&mut tx, &r, &mut after).await?;
        self.open_work_order(
            &mut tx,
            ctx,
            &after,
            org.map(|o| o.to_string()),
            note.as_deref(),
        )
        .await?;
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Marks the work done by hand (no open work order may remain).
    pub async fn resolve_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RequestNote,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let mut errs = FieldErrors::new();
        let note = text_note("note", input.note.as_deref(), &mut errs);
        errs.clone().into_result()?;
        let Some(note) = note else {
            return Err(AppError::Validation(errs));
        };
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        let to = Self::step(&r, RequestAction::Resolve)?;
        if store::work_orders_of_request(tx.conn(), &r.id)
            .await?
            .iter()
            .any(|w| !matches!(w.status.as_str(), "completed" | "cancelled"))
        {
            return Err(AppError::Conflict("open_work_orders"));
        }
        let mut after = r.clone();
        after.status = to.as_str().into();
        after.resolved_at = Some(time::to_db(self.now())?);
        self.save_request(&mut tx, &r, &mut after).await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            "resolved",
            Some(&r.status),
            Some(to.as_str()),
            Some(serde_json::json!({"note": note})),
            None,
        )
        .await?;
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    pub async fn close_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RequestNote,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let mut errs = FieldErrors::new();
        let note = text_note("note", input.note.as_deref(), &mut errs);
        errs.clone().into_result()?;
        let Some(note) = note else {
            return Err(AppError::Validation(errs));
        };
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        let to = Self::step(&r, RequestAction::Close)?;
        let mut after = r.clone();
        after.status = to.as_str().into();
        after.closed_at = Some(time::to_db(self.now())?);
        self.save_request(&mut tx, &r, &mut after).await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            "closed",
            Some(&r.status),
            Some(to.as_str()),
            Some(serde_json::json!({"note": note})),
            None,
        )
        .await?;
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Cancels a request with a reason, and its open work orders with it.
    pub async fn cancel_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &CancelInput,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let reason = required_notes("reason", &input.reason)?;
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        let to = Self::step(&r, RequestAction::Cancel)?;
        let now = time::to_db(self.now())?;
        for w in store::work_orders_of_request(tx.conn(), &r.id).await? {
            if matches!(w.status.as_str(), "completed" | "cancelled") {
                continue;
            }
            let mut after = w.clone();
            after.status = "cancelled".into();
            after.cancelled_at = Some(now.clone());
            after.updated_at = now.clone();
            after.version = w.version + 1;
            if !store::update_work_order(tx.conn(), &after, w.version).await? {
                return Err(AppError::StaleVersion { current: r.version });
            }
            self.event(
                &mut tx,
                ctx,
                &r.id,
                Some(&w.id),
                "work_order_cancelled",
                Some(&w.status),
                Some("cancelled"),
                Some(serde_json::json!({"reason": reason})),
                None,
            )
            .await?;
        }
        let mut after = r.clone();
        after.status = to.as_str().into();
        self.save_request(&mut tx, &r, &mut after).await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            "cancelled",
            Some(&r.status),
            Some(to.as_str()),
            Some(serde_json::json!({"reason": reason})),
            None,
        )
        .await?;
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Reopens a resolved (or closed) request within the window, as a new request linked to
    /// it (R-KPI-1 counts repeat repairs by this link).
    pub async fn reopen_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RequestNote,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let mut errs = FieldErrors::new();
        let note = text_note("note", input.note.as_deref(), &mut errs);
        errs.clone().into_result()?;
        let Some(note) = note else {
            return Err(AppError::Validation(errs));
        };
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        let Some(resolved_at) = r.resolved_at.as_deref() else {
            return Err(AppError::Conflict("illegal_transition"));
        };
        if !matches!(r.status.as_str(), "resolved" | "closed") {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let now = self.now();
        let resolved_on = self
            .site()
            .date(ts("service_requests.resolved_at", resolved_at)?);
        if !rules::may_reopen(
            resolved_on,
            self.site().date(now),
            self.cfg.reopen_window_days,
        ) {
            return Err(AppError::Conflict("reopen_window_passed"));
        }
        let owner = match ctx.actor() {
            Some(a) => a.id.to_string(),
            None => r.owner_id.clone(),
        };
        let number = self.next_number(&mut tx, "SR").await?;
        let row = RequestRow {
            id: uuid::Uuid::now_v7().to_string(),
            number,
            status: "open".into(),
            triage: None,
            owner_id: owner,
            reopened_from: Some(r.id.clone()),
            follow_up_due_at: None,
            created_by: ctx.actor().map(|a| a.id.to_string()),
            created_at: time::to_db(now)?,
            updated_at: time::to_db(now)?,
            resolved_at: None,
            closed_at: None,
            version: 1,
            ..r.clone()
        };
        store::insert_request(tx.conn(), &row).await?;
        self.event(
            &mut tx,
            ctx,
            &row.id,
            None,
            "created",
            None,
            Some("open"),
            Some(serde_json::json!({"number": row.number, "reopens": r.number, "note": note})),
            None,
        )
        .await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            "reopened",
            None,
            None,
            Some(serde_json::json!({"as": row.number, "note": note})),
            None,
        )
        .await?;
        let v = self.request_view(tx.conn(), &row).await?;
        tx.commit().await?;
        Ok(v)
    }
}

/// A required text that may span lines (a reason, an addendum): like the notes, but not
/// empty.
pub(crate) fn required_notes(field: &str, s: &str) -> Result<String, AppError> {
    parse_opt_notes(field, Some(s), 2000)
        .map_err(AppError::invalid)?
        .ok_or_else(|| AppError::invalid(FieldError::new(field, "required")))
}

pub(crate) fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("service_request"),
        e => e.into(),
    }
}
