//! The visit (DOMAIN.md R-DSP-4..6): depart, arrive, start, wait with a typed reason, resume,
//! cancel; completion with its outcome and what the request does next.

use super::{Who, WorkOrderView, note, position, status_of};
use crate::service::requests::request_status_of;
use crate::{AppError, Ctx};
use aftersales_domain::service::{
    FieldStep, FollowUpReason, Outcome, RequestEvent, RequestStatus, Resolution, WaitReason,
    WoAction, WoStatus,
};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::service as store;
use aftersales_store::time;
use serde::Deserialize;
use utoipa::ToSchema;

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

impl PositionInput {
    /// Where the engineer is: both coordinates in range, or neither.
    pub fn parse(&self) -> Result<Option<(f64, f64)>, FieldErrors> {
        let mut errs = FieldErrors::new();
        let pos = position(self.latitude, self.longitude, &mut errs);
        errs.finish(|| pos)
    }
}

/// A step of the visit, well-formed ([`TransitionInput::parse`]); a reason the step needs
/// but was not given is the use-case's (a conflict with the state, 409).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTransition {
    pub action: WoAction,
    /// For `wait`, when given.
    pub wait_reason: Option<WaitReason>,
    pub reason: Option<String>,
    pub position: Option<(f64, f64)>,
}

impl TransitionInput {
    pub fn parse(&self) -> Result<ValidTransition, FieldErrors> {
        use WoAction as A;
        let mut errs = FieldErrors::new();
        // The steps of the visit; the others have their own use-cases.
        let action = errs.take(
            WoAction::parse(self.action.trim())
                .filter(|a| {
                    matches!(
                        a,
                        A::Depart | A::Arrive | A::Start | A::Wait | A::Resume | A::Cancel
                    )
                })
                .ok_or_else(|| FieldError::new("action", "invalid_choice")),
        );
        let reason = note("reason", self.reason.as_deref(), &mut errs);
        let pos = position(self.latitude, self.longitude, &mut errs);
        // Read for a wait only (ignored otherwise, as the form sends it with every step).
        let wait_reason = match self.wait_reason.as_deref().map(str::trim) {
            Some(w) if action == Some(A::Wait) && !w.is_empty() => errs
                .take(
                    WaitReason::parse(w)
                        .ok_or_else(|| FieldError::new("wait_reason", "invalid_choice")),
                )
                .map(Some),
            _ => Some(None),
        };
        errs.finish(|| {
            Some(ValidTransition {
                action: action?,
                wait_reason: wait_reason?,
                reason: reason?,
                position: pos?,
            })
        })
    }
}

impl CompleteInput {
    /// The outcome and where the engineer is.
    pub fn parse(&self) -> Result<(Outcome, Option<(f64, f64)>), FieldErrors> {
        let mut errs = FieldErrors::new();
        let outcome = errs.take(
            Outcome::parse(self.outcome.trim())
                .ok_or_else(|| FieldError::new("outcome", "invalid_choice")),
        );
        let pos = position(self.latitude, self.longitude, &mut errs);
        errs.finish(|| Some((outcome?, pos?)))
    }
}

impl crate::App {
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
        let ValidTransition {
            action,
            wait_reason,
            reason,
            position: pos,
        } = input.parse()?;
        match action {
            WoAction::Cancel => {
                let Some(reason) = reason else {
                    return Err(AppError::conflict_on("reason", "required"));
                };
                let (mut tx, w, r) = self
                    .order_for_change(ctx, key, Some(input.version), Who::Dispatcher)
                    .await?;
                let from = status_of(&w)?;
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
                    RequestEvent::WorkOrderCancelled {
                        from_status: from,
                        reason,
                    },
                    None,
                )
                .await?;
                let v = self.work_order_view(tx.conn(), &after, &r).await?;
                tx.commit().await?;
                Ok(v)
            }
            WoAction::Wait => {
                let Some(why) = wait_reason else {
                    return Err(AppError::conflict_on("wait_reason", "required"));
                };
                self.field_step(
                    ctx,
                    key,
                    input.version,
                    WoAction::Wait,
                    |from, _| RequestEvent::Waiting {
                        from_status: from,
                        wait_reason: why,
                        reason,
                    },
                    pos,
                    |w, _| {
                        w.resume_status = Some(w.status.clone());
                        w.waiting_reason = Some(why.as_str().into());
                    },
                )
                .await
            }
            _ => {
                let event = move |from: WoStatus, to: WoStatus| {
                    let step = FieldStep {
                        from_status: from,
                        note: reason,
                    };
                    match action {
                        WoAction::Depart => RequestEvent::EnRoute(step),
                        WoAction::Arrive => RequestEvent::Arrived(step),
                        WoAction::Start => RequestEvent::InService(step),
                        _ => RequestEvent::Resumed {
                            from_status: from,
                            to_status: to,
                            note: step.note,
                        },
                    }
                };
                self.field_step(
                    ctx,
                    key,
                    input.version,
                    action,
                    event,
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
        let (outcome, pos) = input.parse()?;
        if input.loaner_left && outcome != Outcome::Depot {
            return Err(AppError::conflict_on("loaner_left", "only_with_depot"));
        }
        let (mut tx, w, r) = self
            .order_for_change(ctx, key, Some(input.version), Who::Field)
            .await?;
        let from = status_of(&w)?;
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
            RequestEvent::Completed {
                from_status: from,
                outcome,
                loaner_left: input.loaner_left,
                test_run_done: rec.test_run_done.map(|v| v != 0),
            },
            pos,
        )
        .await?;
        // What the request does next.
        let mut req = r.clone();
        let mut changed = false;
        if rec.test_run_done != Some(1) {
            let due = now + jiff::SignedDuration::from_hours(2);
            req.follow_up_due_at = Some(time::to_db(due)?);
            changed = true;
            self.event(
                &mut tx,
                ctx,
                &r.id,
                Some(&w.id),
                RequestEvent::FollowUpDue {
                    due_at: Some(due),
                    why: FollowUpReason::NoTestRun,
                },
                None,
            )
            .await?;
        }
        let others_open = store::work_orders_of_request(tx.conn(), &r.id)
            .await?
            .iter()
            .any(|o| o.id != w.id && WoStatus::parse(&o.status).is_none_or(|s| !s.is_terminal()));
        let request_status = request_status_of(&r)?;
        if outcome == Outcome::Fixed && !others_open && request_status == RequestStatus::InProgress
        {
            req.status = RequestStatus::Resolved.as_str().into();
            req.resolved_at = Some(time::to_db(now)?);
            changed = true;
            self.event(
                &mut tx,
                ctx,
                &r.id,
                None,
                RequestEvent::Resolved {
                    from_status: request_status,
                    how: Resolution::ByWorkOrder {
                        by_work_order: w.number.clone(),
                    },
                },
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
                RequestEvent::TakenToDepot {
                    loaner_left: input.loaner_left,
                },
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
}
