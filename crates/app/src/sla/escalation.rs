//! The escalation ladder (R-SLA-4, R-SLA-1; docs/sla.md): warnings before a due time,
//! the steps after a breach, the emergency plan after a missed resolution, and what
//! customers are told as their request moves.
//!
//! Every change of a request arms a `sla.check` job for it (in the change's transaction).
//! The check recomputes the clocks from the events, asks the domain what is due and not
//! yet recorded (`domain::sla::escalation::due_now`), records each step as an event on the
//! timeline, tells the people it names, and arms the next check at the instant the domain
//! gives. Steps are keyed by milestone and step, so running a check twice does nothing
//! twice.

use crate::notifications::{Param, Recipient, same, users_as_recipients};
use crate::{AppError, Ctx};
use aftersales_domain::locale::Locale;
use aftersales_domain::sla::escalation::{self as ladder, LadderAction, LadderMark, Reach};
use aftersales_domain::sla::{ClockState, Milestone};
use aftersales_domain::{Permission, Role};
use aftersales_store::administration::jobs::{self as job_store, NewJob};
use aftersales_store::service::{self as service_store, EventRow, RequestRow};
use aftersales_store::sla as sla_store;
use aftersales_store::{Conn, StoreError, Tx, time};
use jiff::Timestamp;

/// The job kind that checks a request's clocks.
pub const SLA_CHECK: &str = "sla.check";

/// The job kind that rechecks every open request after calendars, special days, overrides
/// or rules changed.
pub const SLA_RECALC: &str = "sla.recalc";

/// Event kinds the ladder writes (they do not arm another check).
const LADDER_EVENTS: &[&str] = &[
    "sla_warning",
    "sla_breached",
    "sla_escalated",
    "sla_acknowledged",
    "emergency_plan_opened",
    "loaner_proposed",
];

fn data_of(e: &EventRow) -> serde_json::Value {
    e.data
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// What the ladder already did for a request, as its events record it (keyed by the
/// milestone and the step, not the due time: see `domain::sla::escalation`).
fn ladder_marks(events: &[EventRow]) -> Vec<LadderMark> {
    events
        .iter()
        .filter_map(|e| {
            let d = data_of(e);
            let m = d
                .get("milestone")
                .and_then(|v| v.as_str())
                .and_then(Milestone::parse)?;
            let step = || {
                d.get("step")
                    .and_then(|v| v.as_i64())
                    .and_then(|s| u8::try_from(s).ok())
            };
            match e.kind.as_str() {
                "sla_warning" => Some(LadderMark::Warned(m)),
                "sla_breached" | "sla_escalated" => Some(LadderMark::Stepped(m, step()?)),
                "sla_acknowledged" => Some(LadderMark::Acknowledged(m)),
                "emergency_plan_opened" => Some(LadderMark::EmergencyPlanOpened(m)),
                _ => None,
            }
        })
        .collect()
}

impl crate::App {
    /// After an event of a request (in its transaction): arms a check of its clocks, and
    /// tells the customer what they are told of.
    pub(crate) async fn after_event(
        &self,
        tx: &mut Tx,
        request_id: &str,
        event_id: &str,
        kind: &str,
        data: Option<&serde_json::Value>,
        actor_name: &str,
    ) -> Result<(), AppError> {
        if LADDER_EVENTS.contains(&kind) {
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
        let template = match kind {
            "created" => "request_received",
            "dispatched" | "reassigned" => "engineer_assigned",
            "scheduled" | "rescheduled" => "appointment",
            "en_route" => "engineer_on_the_way",
            "completed" => "work_completed",
            _ => return Ok(()),
        };
        let r = service_store::get_request(tx.conn(), request_id).await?;
        let field = |k: &str| {
            data.and_then(|d| d.get(k))
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        let engineer = match kind {
            "en_route" => actor_name.to_owned(),
            _ => field("engineer_name"),
        };
        let window = match (
            field("starts_at").parse::<Timestamp>(),
            field("ends_at").parse::<Timestamp>(),
        ) {
            (Ok(a), Ok(b)) => format!(
                "{}–{}",
                self.site().minute_text(a),
                self.site().local(b).strftime("%H:%M")
            ),
            _ => String::new(),
        };
        let params = [
            same("number", r.number.clone()),
            same("engineer", engineer),
            same("window", window),
        ];
        // The customer by the contact's phone (SMS), and their portal accounts' bells.
        let mut to = vec![Recipient {
            user_id: None,
            name: r.contact_name.clone(),
            locale: Locale::ZhCn,
            email: None,
            phone: Some(r.contact_phone.clone()),
        }];
        let portal = sla_store::portal_users(tx.conn(), &r.customer_id).await?;
        to.extend(users_as_recipients(tx.conn(), &portal).await?);
        let link = format!("/portal/requests/{}", r.number);
        for t in &to {
            self.notify(tx, t, template, Some(&r.id), Some(&link), &params)
                .await?;
        }
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
            || matches!(r.status.as_str(), "resolved" | "closed" | "cancelled")
        {
            tx.commit().await?;
            return Ok(());
        }
        let events = service_store::events_of_request(tx.conn(), &r.id).await?;
        let now = self.now();
        // What is due is the domain's answer; here it is recorded and told.
        let plan = ladder::due_now(
            &c.clocks,
            self.cfg.sla_ladder_minutes,
            &ladder_marks(&events),
            now,
        );
        let customer = sla_store::customer_name(tx.conn(), &r.customer_id)
            .await?
            .unwrap_or_default();
        let link = self.request_link(&r.number);
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
            let due_s = time::to_db(due)?;
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
            let data = |extra: serde_json::Value| {
                let mut d = serde_json::json!({"milestone": m.as_str(), "due_at": due_s, "label": m.label(Locale::ZhCn)});
                if let (Some(o), Some(x)) = (d.as_object_mut(), extra.as_object()) {
                    o.extend(x.clone());
                }
                d
            };
            match action {
                LadderAction::Warn { warn_at, .. } => {
                    self.event(
                        &mut tx,
                        &ctx,
                        &r.id,
                        None,
                        "sla_warning",
                        None,
                        None,
                        Some(data(serde_json::json!({"warn_at": time::to_db(*warn_at)?}))),
                        None,
                    )
                    .await?;
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
                    let kind = if step.number == 1 {
                        "sla_breached"
                    } else {
                        "sla_escalated"
                    };
                    let to = self
                        .ladder_recipients(tx.conn(), &r, step.role, step.reach)
                        .await?;
                    let names: Vec<String> = to.iter().map(|t| t.name.clone()).collect();
                    let (role_zh, role_en) = (step.label(Locale::ZhCn), step.label(Locale::En));
                    self.event(
                        &mut tx,
                        &ctx,
                        &r.id,
                        None,
                        kind,
                        None,
                        None,
                        Some(data(serde_json::json!({
                            "step": step.number, "role": role_zh, "role_en": role_en, "to": names.join("、"),
                        }))),
                        None,
                    )
                    .await?;
                    let p = params(&[
                        same("step", step.number.to_string()),
                        ("role", role_zh.to_owned(), role_en.to_owned()),
                    ]);
                    for t in &to {
                        self.notify(&mut tx, t, "sla_breached", Some(&r.id), Some(&link), &p)
                            .await?;
                    }
                }
                LadderAction::EmergencyPlan { .. } => {
                    for kind in ["emergency_plan_opened", "loaner_proposed"] {
                        self.event(
                            &mut tx,
                            &ctx,
                            &r.id,
                            None,
                            kind,
                            None,
                            None,
                            Some(data(serde_json::json!({}))),
                            None,
                        )
                        .await?;
                    }
                    // The owner and the station managers.
                    let mut to =
                        users_as_recipients(tx.conn(), std::slice::from_ref(&r.owner_id)).await?;
                    let managers = self
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
    /// it that has one (or at the root); the owner when nobody holds the role.
    async fn ladder_recipients(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
        role: Role,
        reach: Reach,
    ) -> Result<Vec<Recipient>, AppError> {
        let chain = super::unit_chain(conn, r.org_unit_id.as_deref()).await?;
        let units: Vec<&String> = match reach {
            Reach::Root => chain.first().into_iter().collect(),
            Reach::Nearest => chain.iter().rev().collect(),
        };
        for u in units {
            let users = sla_store::users_with_role_in_unit(&mut *conn, role.as_str(), u).await?;
            if !users.is_empty() {
                let ids: Vec<String> = users.into_iter().map(|u| u.id).collect();
                return users_as_recipients(conn, &ids).await;
            }
        }
        users_as_recipients(conn, std::slice::from_ref(&r.owner_id)).await
    }

    /// Acknowledges a breach of a milestone: the ladder stops climbing. Dispatchers,
    /// managers and admins, within their request scope.
    pub async fn acknowledge_breach(
        &self,
        ctx: &Ctx,
        key: &str,
        milestone: &str,
        note: Option<&str>,
    ) -> Result<(), AppError> {
        ctx.require(Permission::Dispatch)?;
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
            .find(|k| k.milestone == m && k.state == ClockState::Breached && k.met_at.is_none())
            .ok_or(AppError::Conflict("not_breached"))?;
        let due_s = clock
            .due_at
            .map(time::to_db)
            .transpose()?
            .unwrap_or_default();
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
            "sla_acknowledged",
            None,
            None,
            Some(serde_json::json!({
                "milestone": m.as_str(), "due_at": due_s, "label": m.label(Locale::ZhCn), "note": note,
            })),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
