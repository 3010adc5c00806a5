//! Appointments (DOMAIN.md R-DSP-2): the window set or moved, a change of an agreed window
//! with its reason and whether the customer agreed; the history stays.

use super::{Who, WorkOrderView};
use crate::service::requests::opt_ts;
use crate::{AppError, Ctx};
use aftersales_domain::bounds::parse_instant;
use aftersales_domain::installed_base::parse_opt_notes;
use aftersales_domain::service::{Appointment, RequestEvent, WoAction, WoStatus};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::service::{self as store, AppointmentRow};
use aftersales_store::time;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// An appointment window, well-formed ([`AppointmentInput::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAppointment {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: Option<String>,
}

impl AppointmentInput {
    /// The window's instants and the reason, each on its own (that the end follows the
    /// start is a conflict of the two, the use-case's).
    pub fn parse(&self) -> Result<ValidAppointment, FieldErrors> {
        let mut errs = FieldErrors::new();
        let start = errs.take(parse_instant("starts_at", &self.starts_at));
        let end = errs.take(parse_instant("ends_at", &self.ends_at));
        let reason = errs.take(parse_opt_notes("reason", self.reason.as_deref(), 2000));
        errs.finish(|| {
            Some(ValidAppointment {
                starts_at: start?,
                ends_at: end?,
                reason: reason?,
            })
        })
    }
}

impl crate::App {
    /// Sets or moves the appointment window. A change of an agreed window keeps its reason
    /// and whether the customer agreed (R-DSP-2); the history stays.
    #[tracing::instrument(skip_all)]
    pub async fn set_appointment(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &AppointmentInput,
    ) -> Result<WorkOrderView, AppError> {
        if ctx.require(Permission::FieldWork).is_err() {
            ctx.require(Permission::Dispatch)?;
        }
        let ValidAppointment {
            starts_at: start,
            ends_at: end,
            reason,
        } = input.parse()?;
        let mut c = self
            .change_order(ctx, key, Some(input.version), Who::FieldOrDispatcher)
            .await?;
        c.step(WoAction::Schedule)?;
        let first = c.before.appointment_start.is_none();
        // Both conflicts at once (issue 13): the end follows the start, and moving an agreed
        // window needs its reason (R-DSP-2).
        let mut conflicts = FieldErrors::new();
        if end <= start {
            conflicts.push(FieldError::new("ends_at", "before_start"));
        }
        if !first && reason.is_none() {
            conflicts.push(FieldError::new("reason", "required"));
        }
        if !conflicts.is_empty() {
            return Err(AppError::FieldConflict(conflicts));
        }
        c.after.appointment_start = Some(time::to_db(start)?);
        c.after.appointment_end = Some(time::to_db(end)?);
        if c.from == WoStatus::Waiting {
            c.after.waiting_reason = None;
            c.after.resume_status = None;
        }
        let (by_id, by_name) = ctx.event_actor();
        let row = AppointmentRow {
            id: uuid::Uuid::now_v7().to_string(),
            work_order_id: c.before.id.clone(),
            starts_at: time::to_db(start)?,
            ends_at: time::to_db(end)?,
            reason: reason.clone(),
            customer_agreed: i64::from(input.customer_agreed),
            by_id,
            by_name,
            at: time::to_db(self.now())?,
        };
        store::insert_appointment(c.tx.conn(), &row).await?;
        let window = Appointment {
            from_status: c.from,
            starts_at: start,
            ends_at: end,
            previous_start: opt_ts(
                "work_orders.appointment_start",
                c.before.appointment_start.as_deref(),
            )?,
            previous_end: opt_ts(
                "work_orders.appointment_end",
                c.before.appointment_end.as_deref(),
            )?,
            reason,
            customer_agreed: input.customer_agreed,
        };
        let event = if first {
            RequestEvent::Scheduled(window)
        } else {
            RequestEvent::Rescheduled(window)
        };
        self.commit_order_change(ctx, c, event, None).await
    }
}
