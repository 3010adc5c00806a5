//! Assignment (DOMAIN.md R-DSP-1, R-ORG-3): the order given to an active engineer or partner
//! technician certified for the unit's product line; accepted, or declined with a reason.

use super::{OrderChange, PositionInput, Who, WorkOrderView, note};
use crate::service::booking::{parse_window, window_error};
use crate::service::requests::{required_notes, stored_id};
use crate::{AppError, Ctx};
use aftersales_domain::certification::Certification;
use aftersales_domain::dispatch::{self as dispatch_rules, Assignee, Ineligible, booking};
use aftersales_domain::service::{Assignment, RequestEvent, WoAction};
use aftersales_domain::{FieldError, FieldErrors, OrgUnitId, Permission, UserId};
use aftersales_store::network::users::{self as user_store, UserRecord};
use aftersales_store::{Conn, StoreError, network::certifications as cert_store, time};
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::ToSchema;

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
    /// The visit's window, booked with the assignment as the order's appointment (both
    /// ends or neither; without them the appointment stays as it is). Years 2000–2100
    /// (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[schema(value_type = Option<String>, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    pub starts_at: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    pub ends_at: Option<String>,
    /// Assign although the window runs into something (`schedule_conflict` otherwise;
    /// see `POST /api/v1/work-orders/{id}/booking-check`).
    #[serde(default)]
    pub confirm_conflicts: bool,
    /// The customer agreed to the window.
    #[serde(default)]
    pub customer_agreed: bool,
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

/// An assignment, well-formed ([`DispatchInput::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidDispatch {
    pub engineer: UserId,
    pub org_unit: Option<OrgUnitId>,
    pub note: Option<String>,
    /// The window to book with it.
    pub window: Option<(Timestamp, Timestamp)>,
}

impl DispatchInput {
    pub fn parse(&self) -> Result<ValidDispatch, FieldErrors> {
        let mut errs = FieldErrors::new();
        let engineer = errs.take(
            self.engineer_id
                .trim()
                .parse::<UserId>()
                .map_err(|_| FieldError::new("engineer_id", "invalid_id")),
        );
        let org = match self
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
        let note = note("note", self.note.as_deref(), &mut errs);
        let window = parse_window(
            self.starts_at.as_deref(),
            self.ends_at.as_deref(),
            &mut errs,
        );
        errs.finish(|| {
            Some(ValidDispatch {
                engineer: engineer?,
                org_unit: org?,
                note: note?,
                window: window?,
            })
        })
    }
}

impl DeclineInput {
    /// Why the engineer gives the order back (required).
    pub fn parse(&self) -> Result<String, FieldErrors> {
        required_notes("reason", &self.reason)
    }
}

impl crate::App {
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

    /// Gives the order to an engineer (again, to reassign): only someone the suggestions
    /// would offer, on the day of the work (`domain::dispatch::eligibility`, R-ORG-3).
    #[tracing::instrument(skip_all)]
    pub async fn dispatch_work_order(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &DispatchInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::Dispatch)?;
        let ValidDispatch {
            engineer,
            org_unit: org,
            note: note_text,
            window,
        } = input.parse()?;
        if let Some((start, end)) = window {
            booking::check_window(start, end, self.now()).map_err(window_error)?;
        }
        let mut c = self
            .change_order(ctx, key, Some(input.version), Who::Dispatcher)
            .await?;
        c.step(WoAction::Dispatch)?;
        let u = self.assignee(&mut c, engineer).await?;
        if let Some(w) = window {
            let flags = (input.confirm_conflicts, input.customer_agreed);
            self.book_with_assignment(ctx, &mut c, &u, w, flags, note_text.as_deref())
                .await?;
        }
        if let Some(o) = org {
            aftersales_store::network::org::get(c.tx.conn(), o)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => {
                        AppError::conflict_on("org_unit_id", "unknown_org_unit")
                    }
                    e => e.into(),
                })?;
        }
        let before = &c.before;
        let after = &mut c.after;
        after.engineer_id = Some(engineer.to_string());
        if let Some(o) = org {
            after.org_unit_id = Some(o.to_string());
        } else if after.org_unit_id.is_none() {
            after.org_unit_id = u.org_unit_id.map(|o| o.to_string());
        }
        after.dispatched_at = Some(time::to_db(self.now())?);
        after.accepted_at = None;
        let assignment = Assignment {
            from_status: c.from,
            engineer_id: engineer,
            engineer_name: u.display_name,
            from_engineer_id: before
                .engineer_id
                .as_deref()
                .map(|e| stored_id("work_orders.engineer_id", e))
                .transpose()?,
            org_unit_id: after
                .org_unit_id
                .as_deref()
                .map(|o| stored_id("work_orders.org_unit_id", o))
                .transpose()?,
            note: note_text,
            appointment_start: window.map(|w| w.0),
            appointment_end: window.map(|w| w.1),
        };
        let event = if before.engineer_id.is_some() {
            RequestEvent::Reassigned(assignment)
        } else {
            RequestEvent::Dispatched(assignment)
        };
        self.commit_order_change(ctx, c, event, None).await
    }

    /// The engineer the order is given to, if they may take it: the rule of the
    /// suggestions, on the day of the work (the appointment's day, else today).
    async fn assignee(
        &self,
        c: &mut OrderChange,
        engineer: UserId,
    ) -> Result<UserRecord, AppError> {
        let u = user_store::get(c.tx.conn(), engineer)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("engineer_id", "unknown_user"),
                e => e.into(),
            })?;
        let job = self
            .dispatch_job(c.tx.conn(), &c.before, &c.request)
            .await?;
        let certifications = self.certifications_of(c.tx.conn(), engineer).await?;
        let verdict = dispatch_rules::eligibility(
            &job.job,
            &Assignee {
                role: u.role,
                active: !u.disabled,
                on_duty: true,
                coverage: job.coverage_of(u.org_unit_id),
                certifications: &certifications,
            },
        );
        match verdict.exclusions.first() {
            None => Ok(u),
            Some(why) => Err(AppError::conflict_on(
                "engineer_id",
                match why {
                    Ineligible::NotTechnician | Ineligible::Inactive => "not_a_technician",
                    Ineligible::OffDuty => "off_duty",
                    Ineligible::OutsideTerritory => "outside_territory",
                    Ineligible::NotCertified(_) => "not_certified",
                },
            )),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn accept_work_order(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &PositionInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let pos = input.parse()?;
        let mut c = self
            .change_order(ctx, key, Some(input.version), Who::Field)
            .await?;
        c.step(WoAction::Accept)?;
        c.after.accepted_at = Some(time::to_db(self.now())?);
        let event = RequestEvent::Accepted {
            from_status: c.from,
        };
        self.commit_order_change(ctx, c, event, pos).await
    }

    /// The engineer gives the order back with a reason; it returns to the dispatcher.
    #[tracing::instrument(skip_all)]
    pub async fn decline_work_order(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &DeclineInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let reason = input.parse()?;
        let mut c = self
            .change_order(ctx, key, Some(input.version), Who::Field)
            .await?;
        c.step(WoAction::Decline)?;
        let after = &mut c.after;
        after.engineer_id = None;
        after.dispatched_at = None;
        after.accepted_at = None;
        after.appointment_start = None;
        after.appointment_end = None;
        let event = RequestEvent::Declined {
            from_status: c.from,
            reason,
        };
        self.commit_order_change(ctx, c, event, None).await
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
