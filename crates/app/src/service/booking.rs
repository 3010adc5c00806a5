//! Booking a visit with the assignment (R-DSP-1, R-DSP-2, R-DSP-4; docs/service-flow.md,
//! "Booking a visit"): the window checked against the engineer's day before the dispatcher
//! assigns (`domain::dispatch::booking::conflicts`), the window stored as the order's
//! appointment with its history row, and the next step when nobody may take a job:
//! escalation to the managers of the order's unit.
//!
//! The engineer's working hours (decision, until shift plans exist): the `workdays`
//! calendar as it holds for the engineer's unit (the unit's overrides and special days, as
//! the SLA clocks read it). An engineer without a unit, or a site without that calendar,
//! gets no shift check.

use crate::notifications::{Param, same, users_as_recipients};
use crate::service::requests::NamedRef;
use crate::service::work_orders::OrderChange;
use crate::{AppError, Ctx};
use aftersales_domain::bounds::parse_instant;
use aftersales_domain::dispatch::GeoPoint;
use aftersales_domain::dispatch::booking::{
    self as rules, Booked, Conflict, ConflictKind, WindowError,
};
use aftersales_domain::installed_base::parse_opt_notes;
use aftersales_domain::service::WoStatus;
use aftersales_domain::{FieldError, FieldErrors, Locale, Permission, Role, UserId};
use aftersales_store::network::users as user_store;
use aftersales_store::service::{self as store, AppointmentRow, RequestRow, WorkOrderRow};
use aftersales_store::{Conn, StoreError, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The calendar read as an engineer's working hours.
pub const SHIFT_CALENDAR: &str = "workdays";

/// An engineer and a window to check before assigning.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BookingCheckInput {
    #[schema(value_type = String, format = Uuid)]
    pub engineer_id: String,
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = String, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    pub starts_at: String,
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = String, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    pub ends_at: String,
}

/// One thing the window runs into (see `domain::dispatch::booking`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConflictView {
    /// `overlap`, `travel_too_short`, `off_day`, `outside_shift`.
    #[schema(value_type = crate::schema::ConflictKindName)]
    pub kind: ConflictKind,
    /// The other booking's work order (overlap, travel).
    pub work_order: Option<String>,
    /// The other booking's window (overlap), or the day's shift (outside_shift).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<Timestamp>,
    /// Travel: whether the other booking comes after the window.
    pub after: Option<bool>,
    /// Travel: minutes between the two, and minutes needed (road, traffic, being early).
    pub gap_minutes: Option<i64>,
    pub needed_minutes: Option<i64>,
    pub distance_km: Option<f64>,
}

impl ConflictView {
    fn of(c: &Conflict) -> ConflictView {
        let mut v = ConflictView {
            kind: c.kind(),
            work_order: None,
            starts_at: None,
            ends_at: None,
            after: None,
            gap_minutes: None,
            needed_minutes: None,
            distance_km: None,
        };
        match c {
            Conflict::Overlap { number, start, end } => {
                v.work_order = Some(number.clone());
                v.starts_at = Some(*start);
                v.ends_at = Some(*end);
            }
            Conflict::TravelTooShort {
                number,
                after,
                gap_minutes,
                needed_minutes,
                km,
            } => {
                v.work_order = Some(number.clone());
                v.after = Some(*after);
                v.gap_minutes = Some(*gap_minutes);
                v.needed_minutes = Some(*needed_minutes);
                v.distance_km = Some(*km);
            }
            Conflict::OffDay => {}
            Conflict::OutsideShift {
                shift_start,
                shift_end,
            } => {
                v.starts_at = Some(*shift_start);
                v.ends_at = Some(*shift_end);
            }
        }
        v
    }
}

/// What booking the window with the engineer would run into.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookingCheckView {
    pub work_order: String,
    pub engineer: NamedRef,
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: Timestamp,
    /// Empty: nothing in the way. Otherwise the dispatcher may still assign with
    /// `confirm_conflicts`.
    pub conflicts: Vec<ConflictView>,
}

/// The next step when nobody may take a job: tell the managers.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct EscalationInput {
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

/// Who was told.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EscalationView {
    pub work_order: String,
    /// The managers told (names).
    pub told: Vec<String>,
}

/// A window, well-formed: both ends or neither.
pub(crate) fn parse_window(
    start: Option<&str>,
    end: Option<&str>,
    errs: &mut FieldErrors,
) -> Option<Option<(Timestamp, Timestamp)>> {
    fn given(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    match (given(start), given(end)) {
        (None, None) => Some(None),
        (s, e) => {
            let s = match s {
                Some(s) => errs.take(parse_instant("starts_at", s)),
                None => {
                    errs.push(FieldError::new("starts_at", "required"));
                    None
                }
            };
            let e = match e {
                Some(e) => errs.take(parse_instant("ends_at", e)),
                None => {
                    errs.push(FieldError::new("ends_at", "required"));
                    None
                }
            };
            Some(Some((s?, e?)))
        }
    }
}

/// A window's bounds as a refusal of its field.
pub(crate) fn window_error(e: WindowError) -> AppError {
    let mut f = FieldError::new(e.field(), e.code());
    if matches!(e, WindowError::TooShort | WindowError::TooLong) {
        let (min, max) = (rules::MIN_WINDOW_MINUTES, rules::MAX_WINDOW_MINUTES);
        f = f.with("min", min).with("max", max);
    }
    AppError::invalid(f)
}

fn instant(s: Option<&str>) -> Option<Timestamp> {
    s.and_then(|s| s.parse().ok())
}

fn site_of(r: &RequestRow) -> Option<GeoPoint> {
    r.latitude
        .zip(r.longitude)
        .and_then(|(a, b)| GeoPoint::new(a, b))
}

impl crate::App {
    /// What the window `[start, end)` of order `w` runs into on the engineer's day: their
    /// other open orders with an appointment, the sites' positions, their working hours.
    pub(crate) async fn booking_conflicts(
        &self,
        conn: &mut Conn,
        (w, r): (&WorkOrderRow, &RequestRow),
        engineer: &user_store::UserRecord,
        (start, end): (Timestamp, Timestamp),
    ) -> Result<Vec<Conflict>, AppError> {
        let day = self.site().date(start);
        let (from, to) = self.site().day_bounds(day)?;
        let me = engineer.id.to_string();
        let rows = store::engineer_orders(
            &mut *conn,
            Some(&me),
            &time::to_db(from)?,
            &time::to_db(to)?,
        )
        .await?;
        let mine: Vec<&WorkOrderRow> = rows
            .iter()
            .filter(|o| o.id != w.id && o.appointment_start.is_some())
            .filter(|o| WoStatus::parse(&o.status).is_some_and(WoStatus::is_assigned))
            .collect();
        let request_ids: Vec<String> = mine.iter().map(|o| o.request_id.clone()).collect();
        let sites: HashMap<String, Option<GeoPoint>> = store::requests_by_ids(conn, &request_ids)
            .await?
            .iter()
            .map(|q| (q.id.clone(), site_of(q)))
            .collect();
        let booked: Vec<Booked> = mine
            .iter()
            .filter_map(|o| {
                Some(Booked {
                    number: o.number.clone(),
                    start: instant(o.appointment_start.as_deref())?,
                    end: instant(o.appointment_end.as_deref()),
                    site: sites.get(&o.request_id).copied().flatten(),
                })
            })
            .collect();
        let unit = engineer.org_unit_id.map(|u| u.to_string());
        let working = match unit {
            Some(u) => crate::sla::calendars::calendars_for(conn, Some(&u), Locale::ZhCn)
                .await?
                .get(SHIFT_CALENDAR)
                .map(|c| c.working_intervals(day)),
            None => None,
        };
        Ok(rules::conflicts(
            (start, end),
            site_of(r),
            &booked,
            working.as_deref(),
        ))
    }

    /// Books the window given with an assignment on the open change `c` to `engineer`:
    /// bounded, checked (conflicts refuse unless `confirmed`), stored as the order's
    /// appointment with its history row. Moving an agreed window needs a reason (the
    /// assignment's note, R-DSP-2).
    pub(crate) async fn book_with_assignment(
        &self,
        ctx: &Ctx,
        c: &mut OrderChange,
        engineer: &user_store::UserRecord,
        (start, end): (Timestamp, Timestamp),
        (confirmed, customer_agreed): (bool, bool),
        reason: Option<&str>,
    ) -> Result<(), AppError> {
        let moved = c.before.appointment_start.is_some()
            && (instant(c.before.appointment_start.as_deref()) != Some(start)
                || instant(c.before.appointment_end.as_deref()) != Some(end));
        if moved && reason.is_none() {
            return Err(AppError::conflict_on("note", "required"));
        }
        let found = self
            .booking_conflicts(c.tx.conn(), (&c.before, &c.request), engineer, (start, end))
            .await?;
        if !found.is_empty() && !confirmed {
            return Err(AppError::conflict_on("starts_at", "schedule_conflict"));
        }
        c.after.appointment_start = Some(time::to_db(start)?);
        c.after.appointment_end = Some(time::to_db(end)?);
        let (by_id, by_name) = ctx.event_actor();
        store::insert_appointment(
            c.tx.conn(),
            &AppointmentRow {
                id: uuid::Uuid::now_v7().to_string(),
                work_order_id: c.before.id.clone(),
                starts_at: time::to_db(start)?,
                ends_at: time::to_db(end)?,
                reason: reason.map(str::to_owned),
                customer_agreed: i64::from(customer_agreed),
                by_id,
                by_name,
                at: time::to_db(self.now())?,
            },
        )
        .await?;
        Ok(())
    }

    /// What assigning the order to an engineer with a window would run into, before the
    /// dispatcher assigns (nothing changes). Dispatchers, managers (their subtree), admins.
    #[tracing::instrument(skip_all)]
    pub async fn check_booking(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &BookingCheckInput,
    ) -> Result<BookingCheckView, AppError> {
        ctx.require(Permission::Dispatch)?;
        let mut errs = FieldErrors::new();
        let engineer = errs.take(
            input
                .engineer_id
                .trim()
                .parse::<UserId>()
                .map_err(|_| FieldError::new("engineer_id", "invalid_id")),
        );
        let window = parse_window(
            Some(input.starts_at.as_str()),
            Some(input.ends_at.as_str()),
            &mut errs,
        );
        // A check needs a window: both times empty is "required", not "nothing to check".
        if matches!(window, Some(None)) {
            errs.push(FieldError::new("starts_at", "required"));
        }
        errs.into_result()?;
        let (Some(engineer), Some(Some((start, end)))) = (engineer, window) else {
            return Err(AppError::Internal("parsed input without its values".into()));
        };
        rules::check_window(start, end, self.now()).map_err(window_error)?;
        let mut conn = self.db.acquire().await?;
        let (w, r) = self.load_order(&mut conn, ctx, key).await?;
        let u = user_store::get(&mut *conn, engineer)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("engineer_id", "unknown_user"),
                e => e.into(),
            })?;
        let found = self
            .booking_conflicts(&mut conn, (&w, &r), &u, (start, end))
            .await?;
        Ok(BookingCheckView {
            work_order: w.number.clone(),
            engineer: NamedRef {
                id: u.id.to_string(),
                code: u.username.clone(),
                name: u.display_name.clone(),
            },
            starts_at: start,
            ends_at: end,
            conflicts: found.iter().map(ConflictView::of).collect(),
        })
    }

    /// The next step when nobody may take a job: the managers of the order's unit (the
    /// nearest unit up the tree that has one) are told in the bell and by their channels,
    /// with a link to the job on the board; the audit trail keeps it. Refused when the
    /// network has no manager above the order (`no_manager`): nobody would be told.
    #[tracing::instrument(skip_all)]
    pub async fn escalate_dispatch(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &EscalationInput,
    ) -> Result<EscalationView, AppError> {
        ctx.require(Permission::Dispatch)?;
        let note =
            parse_opt_notes("note", input.note.as_deref(), 2000).map_err(AppError::invalid)?;
        let mut tx = self.db.begin().await?;
        let (w, r) = self.load_order(tx.conn(), ctx, key).await?;
        let status = crate::service::work_orders::status_of(&w)?;
        if matches!(status, WoStatus::Completed | WoStatus::Cancelled) {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let unit = w.org_unit_id.as_deref().or(r.org_unit_id.as_deref());
        let chain = crate::network::unit_chain(tx.conn(), unit).await?;
        let mut ids = Vec::new();
        for u in chain.iter().rev() {
            let users = aftersales_store::sla::users_with_role_in_unit(
                tx.conn(),
                Role::Manager.as_str(),
                u,
            )
            .await?;
            if !users.is_empty() {
                ids = users.into_iter().map(|u| u.id).collect();
                break;
            }
        }
        if ids.is_empty() {
            return Err(AppError::Conflict("no_manager"));
        }
        let to = users_as_recipients(tx.conn(), &ids).await?;
        let (_, by) = ctx.event_actor();
        let link = format!(
            "{}/dispatch?job={}",
            self.cfg
                .public_url
                .as_deref()
                .unwrap_or("")
                .trim_end_matches('/'),
            w.number
        );
        let params: Vec<Param<'_>> = vec![
            same("number", w.number.clone()),
            same("by", by),
            same("note", note.clone().unwrap_or_default()),
            same("link", link.clone()),
        ];
        for t in &to {
            self.notify(
                &mut tx,
                t,
                "dispatch_escalated",
                Some(&r.id),
                Some(&link),
                &params,
            )
            .await?;
        }
        let told: Vec<String> = to.iter().map(|t| t.name.clone()).collect();
        self.audit(
            &mut tx,
            ctx,
            aftersales_domain::audit::AuditEntity::WorkOrder,
            &w.id,
            aftersales_domain::audit::AuditAction::Escalate,
            None,
            Some(serde_json::json!({"number": w.number, "told": told, "note": note})),
        )
        .await?;
        tx.commit().await?;
        Ok(EscalationView {
            work_order: w.number,
            told,
        })
    }
}
