//! The escalation ladder (R-SLA-4, R-SLA-1; docs/sla.md): warnings before a due time,
//! the steps after a breach, the emergency plan after a missed resolution, and what
//! customers are told as their request moves.
//!
//! Every change of a request arms a `sla.check` job for it (in the change's transaction).
//! The check recomputes the clocks from the events, does what is due and not yet
//! recorded, and arms the next check at the next instant something could be due. Each
//! step is an event on the timeline, keyed by milestone, due time and step, so running a
//! check twice does nothing twice.

use crate::notifications::{Param, Recipient, same, users_as_recipients};
use crate::{AppError, Ctx, Principal};
use aftersales_domain::locale::Locale;
use aftersales_domain::sla::{ClockState, Milestone};
use aftersales_domain::{Permission, Role};
use aftersales_store::administration::jobs::{self as job_store, NewJob};
use aftersales_store::service::{self as service_store, EventRow, RequestRow};
use aftersales_store::sla as sla_store;
use aftersales_store::{Conn, StoreError, Tx, time};
use jiff::{SignedDuration, Timestamp};

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

/// Who each step of the ladder tells: the role and whether it is looked for in the
/// responsible unit (and up) or at the root of the network.
const STEPS: [(&str, &str, &str, bool); 3] = [
    ("dispatcher", "调度员", "dispatcher", false),
    ("manager", "服务站经理", "station manager", false),
    ("manager", "服务中心负责人", "service center head", true),
];

fn data_of(e: &EventRow) -> serde_json::Value {
    e.data
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// Whether an event of `kind` for this milestone (and step) was recorded. Keyed by the
/// milestone, not its due time: a due time that moves (a pause, a new priority) neither
/// repeats a warning or a step nor loses an acknowledgement.
fn recorded(events: &[EventRow], kind: &str, milestone: Milestone, step: Option<i64>) -> bool {
    events.iter().any(|e| {
        if e.kind != kind {
            return false;
        }
        let d = data_of(e);
        d.get("milestone").and_then(|v| v.as_str()) == Some(milestone.as_str())
            && step.is_none_or(|s| d.get("step").and_then(|v| v.as_i64()) == Some(s))
    })
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
        let customer = sla_store::customer_name(tx.conn(), &r.customer_id)
            .await?
            .unwrap_or_default();
        let link = self.request_link(&r.number);
        let ladder = self.cfg.sla_ladder_minutes;
        let mut next: Vec<Timestamp> = vec![];
        for k in &c.clocks {
            let Some(due) = k.due_at else { continue };
            let due_s = time::to_db(due)?;
            let m = k.milestone;
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
            match k.state {
                ClockState::Running => {
                    if let Some(w) = k.warn_at {
                        if w <= now {
                            if !recorded(&events, "sla_warning", m, None) {
                                self.event(
                                    &mut tx,
                                    &ctx,
                                    &r.id,
                                    None,
                                    "sla_warning",
                                    None,
                                    None,
                                    Some(data(serde_json::json!({"warn_at": time::to_db(w)?}))),
                                    None,
                                )
                                .await?;
                                let owner = users_as_recipients(
                                    tx.conn(),
                                    std::slice::from_ref(&r.owner_id),
                                )
                                .await?;
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
                        } else {
                            next.push(w);
                        }
                    }
                    next.push(due);
                }
                ClockState::Breached if k.met_at.is_none() => {
                    let acknowledged = recorded(&events, "sla_acknowledged", m, None);
                    let mut at = due;
                    for (i, (role, role_zh, role_en, at_root)) in STEPS.iter().enumerate() {
                        let step = i as i64 + 1;
                        at += SignedDuration::from_mins(ladder[i].max(0));
                        if i > 0 && acknowledged {
                            break;
                        }
                        if at > now {
                            next.push(at);
                            break;
                        }
                        let kind = if step == 1 {
                            "sla_breached"
                        } else {
                            "sla_escalated"
                        };
                        if recorded(&events, kind, m, Some(step)) {
                            continue;
                        }
                        let to = self
                            .ladder_recipients(tx.conn(), &r, role, *at_root)
                            .await?;
                        let names: Vec<String> = to.iter().map(|t| t.name.clone()).collect();
                        self.event(
                            &mut tx,
                            &ctx,
                            &r.id,
                            None,
                            kind,
                            None,
                            None,
                            Some(data(serde_json::json!({
                                "step": step, "role": role_zh, "role_en": role_en, "to": names.join("、"),
                            }))),
                            None,
                        )
                        .await?;
                        let p = params(&[
                            same("step", step.to_string()),
                            ("role", (*role_zh).to_owned(), (*role_en).to_owned()),
                        ]);
                        for t in &to {
                            self.notify(&mut tx, t, "sla_breached", Some(&r.id), Some(&link), &p)
                                .await?;
                        }
                    }
                    if m == Milestone::Resolution
                        && !recorded(&events, "emergency_plan_opened", m, None)
                    {
                        self.event(
                            &mut tx,
                            &ctx,
                            &r.id,
                            None,
                            "emergency_plan_opened",
                            None,
                            None,
                            Some(data(serde_json::json!({}))),
                            None,
                        )
                        .await?;
                        self.event(
                            &mut tx,
                            &ctx,
                            &r.id,
                            None,
                            "loaner_proposed",
                            None,
                            None,
                            Some(data(serde_json::json!({}))),
                            None,
                        )
                        .await?;
                        let mut to =
                            users_as_recipients(tx.conn(), std::slice::from_ref(&r.owner_id))
                                .await?;
                        to.extend(
                            self.ladder_recipients(tx.conn(), &r, "manager", false)
                                .await?,
                        );
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
                _ => {}
            }
        }
        if let Some(at) = next.into_iter().filter(|t| *t > now).min() {
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
        role: &str,
        at_root: bool,
    ) -> Result<Vec<Recipient>, AppError> {
        let chain = super::unit_chain(conn, r.org_unit_id.as_deref()).await?;
        let units: Vec<&String> = if at_root {
            chain.first().into_iter().collect()
        } else {
            chain.iter().rev().collect()
        };
        for u in units {
            let users = sla_store::users_with_role_in_unit(&mut *conn, role, u).await?;
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
            .find(|k| k.milestone == m && k.state == ClockState::Breached && k.met_at.is_none())
            .ok_or(AppError::Conflict("not_breached"))?;
        let due_s = clock
            .due_at
            .map(time::to_db)
            .transpose()?
            .unwrap_or_default();
        let mut tx = self.db.begin().await?;
        let events = service_store::events_of_request(tx.conn(), &r.id).await?;
        if recorded(&events, "sla_acknowledged", m, None) {
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
