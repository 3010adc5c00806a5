//! The escalation ladder (R-SLA-4, R-SLA-1; docs/sla.md): warnings before a due time,
//! the steps after a breach, and the emergency plan after a missed resolution. (What
//! customers are told as their request moves: `notifications::customer`.)
//!
//! Every change of a request arms a `sla.check` job for it (in the change's transaction).
//! The check recomputes the clocks from the events, does what is due and not yet
//! recorded, and arms the next check at the next instant something could be due. Each
//! step is an event on the timeline, keyed by milestone, due time and step, so running a
//! check twice does nothing twice.

use crate::notifications::{Param, Recipient, same, users_as_recipients};
use crate::{AppError, Ctx, Principal};
use aftersales_domain::locale::Locale;
use aftersales_domain::service::events::{LadderStep, MilestoneDue};
use aftersales_domain::service::{EventKind, LoggedEvent, RequestEvent, RequestStatus};
use aftersales_domain::sla::Milestone;
use aftersales_domain::sla::escalation::{self as ladder, LadderAction, LadderMark, Reach};
use aftersales_domain::{Permission, Role};
use aftersales_store::administration::jobs::{self as job_store, NewJob};
use aftersales_store::service::{self as service_store, RequestRow};
use aftersales_store::sla as sla_store;
use aftersales_store::{Conn, StoreError, Tx, time};

/// The job kind that checks a request's clocks.
pub const SLA_CHECK: &str = "sla.check";

/// The job kind that rechecks every open request after calendars, special days, overrides
/// or rules changed.
pub const SLA_RECALC: &str = "sla.recalc";

/// Who a ladder step told, in words (zh-CN, English): the role and its people, or — when
/// nobody holds the role — that the owner was told instead (issue 13: never a role nobody
/// holds).
fn told_words((zh, en): (&str, &str), names: &[&str], nobody: bool) -> (String, String) {
    if nobody {
        (
            format!("{zh}（本级无人，已通知负责人 {}）", names.join("、")),
            format!(
                "{en} (nobody holds it; told the owner, {})",
                names.join(", ")
            ),
        )
    } else {
        (
            format!("{zh} {}", names.join("、")),
            format!("{en} {}", names.join(", ")),
        )
    }
}

/// What the ladder already did for a request, as its events record it (keyed by the
/// milestone and the step, not the due time: a due time that moves, a pause or a new
/// priority, neither repeats a warning or a step nor loses an acknowledgement; see
/// `domain::sla::escalation`).
fn ladder_marks(events: &[LoggedEvent]) -> Vec<LadderMark> {
    events
        .iter()
        .filter_map(|e| {
            let mark = e.event.ladder_mark()?;
            let m = mark.milestone;
            match mark.kind {
                EventKind::SlaWarning => Some(LadderMark::Warned(m)),
                EventKind::SlaBreached | EventKind::SlaEscalated => {
                    let step = u8::try_from(mark.step?).ok()?;
                    Some(LadderMark::Stepped(m, step))
                }
                EventKind::SlaAcknowledged => Some(LadderMark::Acknowledged(m)),
                EventKind::EmergencyPlanOpened => Some(LadderMark::EmergencyPlanOpened(m)),
                _ => None,
            }
        })
        .collect()
}

impl crate::App {
    /// After an event of a request (in its transaction): arms a check of its clocks (the
    /// ladder's own entries arm none).
    pub(crate) async fn after_event(
        &self,
        tx: &mut Tx,
        request_id: &str,
        event_id: &str,
        event: &RequestEvent,
    ) -> Result<(), AppError> {
        if event.kind().is_sla_ladder() {
            return Ok(());
        }
        let now = self.now();
        job_store::arm(
            tx.conn(),
            &NewJob::new(
                SLA_CHECK,
                format!("sla:{request_id}:event:{event_id}"),
                serde_json::json!({ "request_id": request_id }),
                now,
            ),
            now,
        )
        .await?;
        Ok(())
    }

    /// Arms a recheck of every open request, in the caller's transaction (after a change of
    /// calendars, special days, overrides or rules: due times may have moved).
    pub(crate) async fn arm_recalc(&self, tx: &mut Tx) -> Result<(), AppError> {
        let now = self.now();
        let marker = uuid::Uuid::now_v7().to_string();
        job_store::arm(
            tx.conn(),
            &NewJob::new(
                SLA_RECALC,
                format!("sla:recalc:{marker}"),
                serde_json::json!({ "marker": marker }),
                now,
            ),
            now,
        )
        .await?;
        Ok(())
    }

    /// The `sla.recalc` job: a check of each open request, armed in batches.
    #[tracing::instrument(skip_all)]
    pub async fn run_sla_recalc(&self, marker: &str) -> Result<(), AppError> {
        let mut conn = self.db.acquire().await?;
        let ids = sla_store::open_request_ids(&mut *conn).await?;
        drop(conn);
        let now = self.now();
        for chunk in ids.chunks(500) {
            let mut tx = self.db.begin().await?;
            for id in chunk {
                job_store::arm(
                    tx.conn(),
                    &NewJob::new(
                        SLA_CHECK,
                        format!("sla:{id}:recalc:{marker}"),
                        serde_json::json!({ "request_id": id }),
                        now,
                    ),
                    now,
                )
                .await?;
            }
            tx.commit().await?;
        }
        self.wake_jobs();
        Ok(())
    }

    /// The `sla.check` job: recompute, do what is due, arm the next check.
    #[tracing::instrument(skip_all)]
    pub async fn run_sla_check(&self, request_id: &str) -> Result<(), AppError> {
        let ctx = Ctx::system("sla");
        let mut tx = self.db.begin().await?;
        let r = match service_store::get_request(tx.conn(), request_id).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        // One check of a request at a time: on PostgreSQL the row lock orders concurrent
        // checks (SQLite's single writer already does), so each step is recorded once.
        sla_store::lock_request(tx.conn(), &r.id, self.db.backend()).await?;
        let c = self.refresh_sla_status(tx.conn(), &r).await?;
        // A resolved or cancelled request keeps its clocks for the record; nobody is warned
        // or escalated to about it any more.
        if c.state.resolved.is_some()
            || c.state.cancelled.is_some()
            || RequestStatus::parse(&r.status).is_some_and(|s| !s.is_active())
        {
            tx.commit().await?;
            return Ok(());
        }
        let events = service_store::events_of_request(tx.conn(), &r.id).await?;
        let now = self.now();
        let customer = sla_store::customer_name(tx.conn(), &r.customer_id)
            .await?
            .unwrap_or_default();
        let link = self.request_link(&r.number);
        // What is due is the domain's answer; here it is recorded and told.
        let plan = ladder::due_now(
            &c.clocks,
            self.cfg.sla_ladder_minutes,
            &ladder_marks(&events),
            now,
        );
        for action in &plan.actions {
            let (m, due) = match action {
                LadderAction::Warn {
                    milestone, due_at, ..
                }
                | LadderAction::Step {
                    milestone, due_at, ..
                }
                | LadderAction::EmergencyPlan { milestone, due_at } => (*milestone, *due_at),
            };
            let params = |extra: &[Param<'static>]| {
                let mut p: Vec<Param<'static>> = vec![
                    same("number", r.number.clone()),
                    same("customer", customer.clone()),
                    (
                        "milestone",
                        m.label(Locale::ZhCn).to_owned(),
                        m.label(Locale::En).to_lowercase(),
                    ),
                    same("due", self.site().minute_text(due)),
                    same("link", link.clone()),
                ];
                p.extend_from_slice(extra);
                p
            };
            match action {
                LadderAction::Warn { warn_at, .. } => {
                    let event = RequestEvent::SlaWarning {
                        milestone: m,
                        due_at: due,
                        warn_at: *warn_at,
                    };
                    self.event(&mut tx, &ctx, &r.id, None, event, None).await?;
                    let owner =
                        users_as_recipients(tx.conn(), std::slice::from_ref(&r.owner_id)).await?;
                    for o in &owner {
                        self.notify(
                            &mut tx,
                            o,
                            "sla_warning",
                            Some(&r.id),
                            Some(&link),
                            &params(&[]),
                        )
                        .await?;
                    }
                }
                LadderAction::Step { step, .. } => {
                    let (to, nobody) = self
                        .ladder_recipients(tx.conn(), &r, step.role, step.reach)
                        .await?;
                    let entry = LadderStep {
                        milestone: m,
                        due_at: due,
                        step: i64::from(step.number),
                        to: to.iter().map(|t| t.name.clone()).collect(),
                    };
                    let event = if step.number == 1 {
                        RequestEvent::SlaBreached(entry)
                    } else {
                        RequestEvent::SlaEscalated(entry)
                    };
                    self.event(&mut tx, &ctx, &r.id, None, event, None).await?;
                    let names: Vec<&str> = to.iter().map(|t| t.name.as_str()).collect();
                    let (zh, en) = told_words(
                        (step.label(Locale::ZhCn), step.label(Locale::En)),
                        &names,
                        nobody,
                    );
                    let role = ("role", zh, en);
                    let p = params(&[same("step", step.number.to_string()), role]);
                    for t in &to {
                        self.notify(&mut tx, t, "sla_breached", Some(&r.id), Some(&link), &p)
                            .await?;
                    }
                }
                LadderAction::EmergencyPlan { .. } => {
                    let plan = MilestoneDue {
                        milestone: m,
                        due_at: due,
                    };
                    for event in [
                        RequestEvent::EmergencyPlanOpened(plan.clone()),
                        RequestEvent::LoanerProposed(plan),
                    ] {
                        self.event(&mut tx, &ctx, &r.id, None, event, None).await?;
                    }
                    // The owner and the station managers.
                    let mut to =
                        users_as_recipients(tx.conn(), std::slice::from_ref(&r.owner_id)).await?;
                    let (managers, _) = self
                        .ladder_recipients(tx.conn(), &r, Role::Manager, Reach::Nearest)
                        .await?;
                    to.extend(managers);
                    to.sort_by(|a, b| a.user_id.cmp(&b.user_id));
                    to.dedup_by(|a, b| a.user_id == b.user_id);
                    for t in &to {
                        self.notify(
                            &mut tx,
                            t,
                            "emergency_plan",
                            Some(&r.id),
                            Some(&link),
                            &params(&[]),
                        )
                        .await?;
                    }
                }
            }
        }
        if let Some(at) = plan.next_check {
            // Re-armed even if a job of this key exists (parked after failures): the
            // instant must not be lost.
            job_store::rearm(
                tx.conn(),
                &NewJob::new(
                    SLA_CHECK,
                    format!("sla:{}:at:{}", r.id, time::to_db(at)?),
                    serde_json::json!({ "request_id": r.id }),
                    at,
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The users a step tells: the role in the responsible unit or the nearest unit above
    /// it that has one (or at the root); the owner when nobody holds the role, and then
    /// `true` (the message says so instead of naming a role nobody holds).
    async fn ladder_recipients(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
        role: Role,
        reach: Reach,
    ) -> Result<(Vec<Recipient>, bool), AppError> {
        let chain = crate::network::unit_chain(conn, r.org_unit_id.as_deref()).await?;
        let units: Vec<&String> = match reach {
            Reach::Root => chain.first().into_iter().collect(),
            Reach::Nearest => chain.iter().rev().collect(),
        };
        for u in units {
            let users = sla_store::users_with_role_in_unit(&mut *conn, role.as_str(), u).await?;
            if !users.is_empty() {
                let ids: Vec<String> = users.into_iter().map(|u| u.id).collect();
                return Ok((users_as_recipients(conn, &ids).await?, false));
            }
        }
        let owner = users_as_recipients(conn, std::slice::from_ref(&r.owner_id)).await?;
        Ok((owner, true))
    }

    /// Acknowledges a breach of a milestone: the ladder stops climbing. Dispatchers,
    /// managers and admins, within their request scope.
    #[tracing::instrument(skip_all)]
    pub async fn acknowledge_breach(
        &self,
        ctx: &Ctx,
        key: &str,
        milestone: &str,
        note: Option<&str>,
    ) -> Result<(), AppError> {
        ctx.require(Permission::Dispatch)?;
        if matches!(&ctx.principal, Principal::User(a) if a.role == Role::Customer) {
            return Err(AppError::Forbidden);
        }
        let m = Milestone::parse(milestone.trim()).ok_or_else(|| {
            AppError::invalid(aftersales_domain::FieldError::new(
                "milestone",
                "invalid_choice",
            ))
        })?;
        let scope = self.request_scope(ctx).await?;
        let mut conn = self.db.acquire().await?;
        let r = service_store::get_request(&mut *conn, key.trim())
            .await
            .map_err(crate::service::requests::not_found)?;
        self.check_request_scope(&mut conn, &scope, &r).await?;
        let c = self
            .compute_sla(&mut conn, &r, Locale::ZhCn, self.now())
            .await?;
        drop(conn);
        let clock = c
            .clocks
            .iter()
            .find(|k| k.milestone == m && k.state.is_open_breach(k.met_at))
            .ok_or(AppError::Conflict("not_breached"))?;
        let due_at = clock.due_at;
        let mut tx = self.db.begin().await?;
        let events = service_store::events_of_request(tx.conn(), &r.id).await?;
        if ladder_marks(&events).contains(&LadderMark::Acknowledged(m)) {
            return Err(AppError::Conflict("already_acknowledged"));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            RequestEvent::SlaAcknowledged {
                milestone: m,
                due_at,
                note: note.map(str::to_owned),
            },
            None,
        )
        .await?;
        // The ladder's entries arm no check: the board follows the acknowledgement now.
        self.refresh_sla_status(tx.conn(), &r).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_step_says_who_was_actually_told() {
        let role = ("服务站经理", "station manager");
        assert_eq!(
            super::told_words(role, &["刘洋"], false),
            (
                "服务站经理 刘洋".to_owned(),
                "station manager 刘洋".to_owned()
            )
        );
        let (zh, en) = super::told_words(role, &["王丽"], true);
        assert_eq!(zh, "服务站经理（本级无人，已通知负责人 王丽）");
        assert_eq!(
            en,
            "station manager (nobody holds it; told the owner, 王丽)"
        );
    }
}
