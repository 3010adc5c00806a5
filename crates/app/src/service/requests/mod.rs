//! Service requests (报修单, DOMAIN.md section 4, R-REQ-*): intake from every channel with
//! the warranty decision stored, one owner from intake to closure, triage (remote help or a
//! visit), resolution, closure, reopening as a linked request, cancellation; every change an
//! event (docs/service-flow.md).
//!
//! - [`intake`]: a new request from any channel (R-REQ-1, R-REQ-2);
//! - [`triage`]: who owns it and how urgent it is, remote help or a visit (R-REQ-3, R-REQ-5);
//! - [`closure`]: resolved, closed, cancelled, reopened;
//! - [`views`]: a request as its page and the API show it, the list, the timeline.
//!
//! Here: who sees which requests, the event log writer, document numbers, and the shared
//! steps of a change (load for a change, save, step the state machine).

mod closure;
mod intake;
mod triage;
mod views;

pub use closure::{CancelInput, RequestNote};
pub use intake::NewServiceRequest;
pub use triage::{NewVisit, OwnerChange, PriorityChange, RemoteOutcome, TriageInput};
pub use views::{
    IntakeWarning, NamedRef, RequestEventView, RequestQuery, RequestUnit, ServiceRequestView,
    WorkOrderLine,
};

use crate::{AppError, Ctx, Principal};
use aftersales_domain::installed_base::parse_opt_notes;
use aftersales_domain::service::{
    self as rules, LoggedEvent, RequestAction, RequestEvent, RequestStatus,
};
use aftersales_domain::{EventId, FieldError, FieldErrors, OrgUnitId, Permission, Role};
use aftersales_store::service::{self as store, RequestRow};
use aftersales_store::{Conn, StoreError, Tx, network::org as org_store};
use aftersales_store::{network::users as user_store, time};
use jiff::Timestamp;

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
                self.invalid(c);
                None
            }
        }
    }

    /// A stored JSON document; an unreadable one is logged and named like an instant.
    pub fn json<T: serde::de::DeserializeOwned>(
        &mut self,
        column: &'static str,
        s: Option<&str>,
    ) -> Option<T> {
        match serde_json::from_str(s?) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(column, error = %e, "unreadable stored JSON shown as invalid");
                self.invalid(column);
                None
            }
        }
    }

    fn invalid(&mut self, column: &'static str) {
        self.0.push(
            column
                .rsplit_once('.')
                .map_or(column, |(_, f)| f)
                .to_owned(),
        );
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
                    Some(Ok(o)) => match org_store::get(&mut *conn, o).await {
                        Ok(u) => u.path.starts_with(prefix.as_str()),
                        // A unit since removed lies in nobody's subtree.
                        Err(StoreError::NotFound) => false,
                        Err(e) => return Err(e.into()),
                    },
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

    /// Appends one event to a request's log, in the caller's transaction, with what follows
    /// from it there: the customer told what concerns them (`notifications::customer`), staff
    /// told of work that arrives (`notifications::staff`), and
    /// a check of the SLA clocks armed. `position`: where the engineer's phone was.
    pub(crate) async fn event(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        request_id: &str,
        work_order_id: Option<&str>,
        event: RequestEvent,
        position: Option<(f64, f64)>,
    ) -> Result<(), AppError> {
        let (actor_id, actor_name) = match &ctx.principal {
            Principal::User(a) => (Some(a.id), a.display_name.clone()),
            Principal::System(n) => (None, aftersales_domain::user::system_actor_name(n)),
        };
        let logged = LoggedEvent {
            id: EventId::new(),
            request_id: stored_id("service_requests.id", request_id)?,
            work_order_id: work_order_id
                .map(|w| stored_id("work_orders.id", w))
                .transpose()?,
            at: self.now(),
            actor_id,
            actor_name,
            event,
            position,
        };
        store::append_event(tx.conn(), &logged).await?;
        self.tell_customer(tx, request_id, &logged.event, &logged.actor_name)
            .await?;
        self.tell_staff(
            tx,
            request_id,
            work_order_id,
            &logged.event,
            logged.actor_id,
            &logged.actor_name,
        )
        .await?;
        self.after_event(tx, request_id, &logged.id.to_string(), &logged.event)
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

    /// Opens a change of a request (the first step of every transition): the caller holds
    /// `permission`, the request lies in their scope, and they saw its current `version`.
    pub(crate) async fn change_request(
        &self,
        ctx: &Ctx,
        permission: Permission,
        key: &str,
        version: i64,
    ) -> Result<RequestChange, AppError> {
        ctx.require(permission)?;
        let scope = self.request_scope(ctx).await?;
        let mut tx = self.db.begin().await?;
        let r = store::get_request(tx.conn(), key.trim())
            .await
            .map_err(not_found)?;
        self.check_request_scope(tx.conn(), &scope, &r).await?;
        if version != r.version {
            return Err(AppError::StaleVersion { current: r.version });
        }
        Ok(RequestChange {
            from: request_status_of(&r)?,
            after: r.clone(),
            before: r,
            tx,
        })
    }

    /// Saves a change (the row, version bumped) and writes its event, in the change's
    /// transaction; more may be written there before [`Self::finish_request_change`].
    pub(crate) async fn save_request_change(
        &self,
        ctx: &Ctx,
        c: &mut RequestChange,
        event: RequestEvent,
    ) -> Result<(), AppError> {
        self.save_request_row(c).await?;
        self.event(&mut c.tx, ctx, &c.before.id, None, event, None)
            .await
    }

    /// Writes the changed row, version bumped (a stale version is 409).
    pub(crate) async fn save_request_row(&self, c: &mut RequestChange) -> Result<(), AppError> {
        c.after.version = c.before.version + 1;
        c.after.updated_at = time::to_db(self.now())?;
        if !store::update_request(c.tx.conn(), &c.after, c.before.version).await? {
            return Err(AppError::StaleVersion {
                current: c.before.version,
            });
        }
        Ok(())
    }

    /// Answers the request as saved and commits.
    pub(crate) async fn finish_request_change(
        &self,
        mut c: RequestChange,
    ) -> Result<ServiceRequestView, AppError> {
        let v = self.request_view(c.tx.conn(), &c.after).await?;
        c.tx.commit().await?;
        Ok(v)
    }

    /// The last steps of a transition: save, write the event, answer the view, commit.
    pub(crate) async fn commit_request_change(
        &self,
        ctx: &Ctx,
        mut c: RequestChange,
        event: RequestEvent,
    ) -> Result<ServiceRequestView, AppError> {
        self.save_request_change(ctx, &mut c, event).await?;
        self.finish_request_change(c).await
    }
}

/// A request being changed in one transaction ([`crate::App::change_request`]): the row as
/// read and as it will be saved. A transition reads: open the change, check what the state
/// and the records allow, [`RequestChange::step`] and set `after`, then
/// [`crate::App::commit_request_change`] with its event.
pub(crate) struct RequestChange {
    pub tx: Tx,
    pub before: RequestRow,
    pub after: RequestRow,
    /// The status as read.
    pub from: RequestStatus,
}

impl RequestChange {
    /// Steps the request's state machine (`illegal_transition` when the state refuses);
    /// `after` takes the new status.
    pub fn step(&mut self, action: RequestAction) -> Result<RequestStatus, AppError> {
        let to = rules::request_transition(self.from, action)
            .ok_or(AppError::Conflict("illegal_transition"))?;
        self.after.status = to.as_str().into();
        Ok(to)
    }
}

/// A stored name of a closed vocabulary read back as the domain's enum (the schema's CHECK
/// keeps it one of the names; anything else is a damaged database).
pub(crate) fn stored<T>(
    column: &'static str,
    v: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, AppError> {
    parse(v).ok_or_else(|| AppError::Internal(format!("{column} holds {v:?}")))
}

/// A stored id read back as the domain's id type.
pub(crate) fn stored_id<T: std::str::FromStr>(
    column: &'static str,
    v: &str,
) -> Result<T, AppError> {
    v.parse()
        .map_err(|_| AppError::Internal(format!("{column} holds {v:?}, not an id")))
}

/// An optional stored name (see [`stored`]).
pub(crate) fn stored_opt<T>(
    column: &'static str,
    v: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, AppError> {
    v.map(|v| stored(column, v, parse)).transpose()
}

/// A request row's status (the schema's CHECK keeps it one of the names).
pub(crate) fn request_status_of(r: &RequestRow) -> Result<RequestStatus, AppError> {
    stored("service_requests.status", &r.status, RequestStatus::parse)
}

/// A required text that may span lines (a reason, an addendum): like the notes, but not
/// empty.
pub(crate) fn required_notes(field: &str, s: &str) -> Result<String, FieldErrors> {
    Ok(parse_opt_notes(field, Some(s), 2000)?.ok_or_else(|| FieldError::new(field, "required"))?)
}

pub(crate) fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("service_request"),
        e => e.into(),
    }
}
