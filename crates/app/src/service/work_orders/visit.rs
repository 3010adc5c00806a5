//! The visit (DOMAIN.md R-DSP-4..6): depart, arrive, start, wait with a typed reason, resume,
//! cancel; completion with its outcome and what the request does next.

use super::{OrderChange, Who, WorkOrderView, note, position, status_of};
use crate::service::requests::request_status_of;
use crate::{AppError, Ctx};
use aftersales_domain::service::{
    self as rules, FieldStep, FollowUpReason, Outcome, RequestAction, RequestEvent, RequestStatus,
    Resolution, WaitReason, WoAction, WoStatus,
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
    #[tracing::instrument(skip_all)]
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
        // A cancellation is the dispatcher's; the other steps the engineer's who holds it.
        let who = match action {
            WoAction::Cancel => Who::Dispatcher,
            _ => Who::Field,
        };
        if action == WoAction::Cancel && reason.is_none() {
            return Err(AppError::conflict_on("reason", "required"));
        }
        if action == WoAction::Wait && wait_reason.is_none() {
            return Err(AppError::conflict_on("wait_reason", "required"));
        }
        let mut c = self
            .change_order(ctx, key, Some(input.version), who)
            .await?;
        let to = c.step(action)?;
        // Paid work starts once its quote is confirmed (and paid, where the schedule says
        // pay first): entering "in service" by a start or a resume (docs/charges.md).
        if to == WoStatus::InService {
            self.check_start_gate(c.tx.conn(), &c.before, &c.request)
                .await?;
        }
        let now = time::to_db(self.now())?;
        let from = c.from;
        let step = FieldStep {
            from_status: from,
            note: reason.clone(),
        };
        let (event, pos) = match (action, wait_reason) {
            (WoAction::Cancel, _) => {
                c.after.cancelled_at = Some(now);
                let reason = reason.unwrap_or_default();
                let event = RequestEvent::WorkOrderCancelled {
                    from_status: from,
                    reason,
                };
                (event, None)
            }
            (WoAction::Wait, Some(why)) => {
                // Where the wait will resume: the state it waits in.
                c.after.resume_status = Some(c.before.status.clone());
                c.after.waiting_reason = Some(why.as_str().into());
                let event = RequestEvent::Waiting {
                    from_status: from,
                    wait_reason: why,
                    reason,
                };
                (event, pos)
            }
            (WoAction::Depart, _) => {
                c.after.en_route_at = Some(now);
                (RequestEvent::EnRoute(step), pos)
            }
            (WoAction::Arrive, _) => {
                c.after.arrived_at = Some(now);
                (RequestEvent::Arrived(step), pos)
            }
            (WoAction::Start, _) => {
                c.after.started_at = Some(now);
                (RequestEvent::InService(step), pos)
            }
            _ => {
                c.after.waiting_reason = None;
                c.after.resume_status = None;
                let event = RequestEvent::Resumed {
                    from_status: from,
                    to_status: to,
                    note: step.note,
                };
                (event, pos)
            }
        };
        self.commit_order_change(ctx, c, event, pos).await
    }

    /// Completes the visit. The record must be signed (or signing declined). Without a test
    /// run a follow-up is due 2 hours later (R-DSP-6); a fixed unit with no other open order
    /// resolves the request; a unit taken to the depot keeps it in progress (R-DSP-5).
    #[tracing::instrument(skip_all)]
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
        let mut c = self
            .change_order(ctx, key, Some(input.version), Who::Field)
            .await?;
        c.step(WoAction::Complete)?;
        let Some(rec) = store::get_record(c.tx.conn(), &c.before.id).await? else {
            return Err(AppError::Conflict("record_missing"));
        };
        if rec.signed_at.is_none() && rec.signature_declined_reason.is_none() {
            return Err(AppError::Conflict("record_not_signed"));
        }
        c.after.outcome = Some(outcome.as_str().into());
        c.after.loaner_left = i64::from(input.loaner_left);
        c.after.completed_at = Some(time::to_db(self.now())?);
        let test_run_done = rec.test_run_done.map(|v| v != 0);
        let event = RequestEvent::Completed {
            from_status: c.from,
            outcome,
            loaner_left: input.loaner_left,
            test_run_done,
        };
        self.save_order_change(ctx, &mut c, event, pos).await?;
        // The service type and what each payer bore, priced as the order stands
        // (docs/charges.md "Service type and cost").
        self.record_costs(c.tx.conn(), &c.after, &c.request).await?;
        self.after_visit(ctx, &mut c, outcome, input.loaner_left, test_run_done)
            .await?;
        self.finish_order_change(c).await
    }

    /// What the request does after a completed visit: without a test run a follow-up is
    /// due 2 hours later (R-DSP-6); a fixed unit with no other open order resolves it; a
    /// unit taken to the depot keeps it in progress (R-DSP-5).
    async fn after_visit(
        &self,
        ctx: &Ctx,
        c: &mut OrderChange,
        outcome: Outcome,
        loaner_left: bool,
        test_run_done: Option<bool>,
    ) -> Result<(), AppError> {
        let now = self.now();
        let (r, w) = (c.request.clone(), c.before.clone());
        let mut events = Vec::new();
        if test_run_done != Some(true) {
            let due = now + jiff::SignedDuration::from_hours(2);
            c.request.follow_up_due_at = Some(time::to_db(due)?);
            let due = RequestEvent::FollowUpDue {
                due_at: Some(due),
                why: FollowUpReason::NoTestRun,
            };
            events.push((Some(w.id.as_str()), due));
        }
        let mut others_open = false;
        for o in store::work_orders_of_request(c.tx.conn(), &r.id).await? {
            others_open |= o.id != w.id && !status_of(&o)?.is_terminal();
        }
        let from = request_status_of(&r)?;
        if outcome == Outcome::Fixed && !others_open && from == RequestStatus::InProgress {
            let to = rules::request_transition(from, RequestAction::Resolve)
                .ok_or(AppError::Conflict("illegal_transition"))?;
            c.request.status = to.as_str().into();
            c.request.resolved_at = Some(time::to_db(now)?);
            let resolved = RequestEvent::Resolved {
                from_status: from,
                how: Resolution::ByWorkOrder {
                    by_work_order: w.number.clone(),
                },
            };
            events.push((None, resolved));
        }
        if outcome == Outcome::Depot {
            events.push((
                Some(w.id.as_str()),
                RequestEvent::TakenToDepot { loaner_left },
            ));
        }
        for (order, event) in events {
            self.event(&mut c.tx, ctx, &r.id, order, event, None)
                .await?;
        }
        if c.request != r {
            c.request.version = r.version + 1;
            c.request.updated_at = time::to_db(now)?;
            if !store::update_request(c.tx.conn(), &c.request, r.version).await? {
                return Err(AppError::StaleVersion { current: w.version });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(action: &str, wait: Option<&str>, lat: Option<f64>) -> TransitionInput {
        TransitionInput {
            version: 1,
            action: action.into(),
            wait_reason: wait.map(str::to_owned),
            latitude: lat,
            ..Default::default()
        }
    }

    fn errors(i: TransitionInput) -> Vec<(String, &'static str)> {
        i.parse()
            .expect_err("invalid")
            .0
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn a_visit_step_parses_the_steps_of_the_visit_only() {
        let ok = step(" depart ", Some("nonsense"), None)
            .parse()
            .expect("valid");
        assert_eq!(ok.action, WoAction::Depart);
        // The wait reason is read for a wait only.
        assert_eq!(ok.wait_reason, None);
        let wait = step("wait", Some("parts"), None).parse().expect("valid");
        assert_eq!(wait.wait_reason, Some(WaitReason::Parts));
        // Without a reason the wait is refused by the use-case (409), not here.
        assert_eq!(
            step("wait", Some(" "), None)
                .parse()
                .expect("valid")
                .wait_reason,
            None
        );
        for action in ["dispatch", "complete", "fly"] {
            assert_eq!(
                errors(step(action, None, None)),
                [("action".to_owned(), "invalid_choice")]
            );
        }
        assert_eq!(
            errors(step("wait", Some("lunch"), Some(41.8))),
            [
                ("longitude".to_owned(), "required"),
                ("wait_reason".to_owned(), "invalid_choice")
            ]
        );
    }
}
