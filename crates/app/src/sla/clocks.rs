//! A request's clocks (docs/sla.md, "Clocks"): computed from its event log, the rule that
//! fits its facts and the calendars, at "now"; and the last computation kept for the board.

use super::calendars::calendars_for;
use super::internal;
use super::rules::rule_of;
use crate::network::unit_chain;
use crate::{AppError, Ctx};
use aftersales_domain::calendar::Calendar;
use aftersales_domain::locale::Locale;
use aftersales_domain::region::{RegionClass, RegionCode, region_class};
use aftersales_domain::service::{LoggedEvent, Priority, RequestKind, RequestStatus};
use aftersales_domain::sla::{
    self as rules, ClockState, Facts, LogEvent, Milestone, MilestoneClock, PolicyRule, SlaState,
    board::KeptClock,
};
use aftersales_domain::{OrgUnitId, Permission};
use aftersales_store::service::{self as service_store, RequestRow};
use aftersales_store::sla as store;
use aftersales_store::{Conn, network::coverage as coverage_store, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The share of a target after which the owner is warned (R-SLA-4).
pub const WARN_PERCENT: u8 = 80;

// ---------------------------------------------------------------------------------------
// Views

/// One milestone's clock as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClockView {
    /// `response`, `arrival`, `diagnosis`, `resolution` or `loaner`.
    #[schema(value_type = crate::schema::MilestoneName)]
    pub milestone: Milestone,
    pub label: String,
    pub target_minutes: i64,
    /// The calendar's key.
    pub calendar: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    /// Null while pending or held by a pause.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    /// When 80 % of the target is used up (the owner's warning).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub warn_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub met_at: Option<Timestamp>,
    pub paused_seconds: i64,
    /// Working time left while a pause holds the clock.
    pub remaining_seconds: Option<i64>,
    /// `pending`, `running`, `paused`, `met`, `breached`, `not_required` or `cancelled`.
    #[schema(value_type = crate::schema::ClockStateName)]
    pub state: ClockState,
    /// Why the due time is where it is, in the caller's language.
    pub trace: Vec<String>,
    /// When the breach was acknowledged, and by whom (null until then).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    /// Arrival: the window the customer asked for ends after the due time (the visit must
    /// be early in it; the intake warns).
    pub window_ends_after_due: bool,
}

impl ClockView {
    /// A breach not met since.
    pub fn is_open_breach(&self) -> bool {
        self.state.is_open_breach(self.met_at)
    }

    /// An open breach nobody acknowledged yet: the dispatcher may acknowledge it.
    pub fn can_acknowledge(&self) -> bool {
        self.is_open_breach() && self.acknowledged_at.is_none()
    }
}

/// The rule a request falls under, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleChoice {
    pub id: String,
    pub name: String,
    /// The criteria it matched (`priority=urgent`, …); more criteria, more specific.
    pub matched: Vec<String>,
    /// Other rules that also applied and lost.
    pub also_applied: Vec<String>,
    /// The same in one sentence.
    pub why: String,
}

/// What the rule was chosen by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FactsView {
    pub contract_level: Option<String>,
    pub customer_tier: Option<String>,
    /// `same_city`, `same_province`, `other_province`; null when the request or its unit
    /// has no region.
    pub region_class: Option<String>,
    pub priority: String,
    pub kind: String,
}

/// A pause of the clocks as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PauseView {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub to: Option<Timestamp>,
    pub reason: String,
    pub reason_text: String,
    pub by: String,
}

/// A request's promise: the rule, its facts, each milestone's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequestSla {
    pub request_id: String,
    pub number: String,
    pub rule: Option<RuleChoice>,
    pub facts: FactsView,
    pub clocks: Vec<ClockView>,
    pub pauses: Vec<PauseView>,
    #[schema(value_type = String, format = DateTime)]
    pub computed_at: Timestamp,
}

/// What was computed for a request, before it is put into words.
pub(crate) struct Computed {
    pub rule: Option<(PolicyRule, rules::Selection)>,
    pub facts: Facts,
    pub state: SlaState,
    pub clocks: Vec<MilestoneClock>,
    pub calendars: HashMap<String, Calendar>,
}

fn closeness(c: RegionClass) -> u8 {
    match c {
        RegionClass::SameCity => 0,
        RegionClass::SameProvince => 1,
        RegionClass::OtherProvince => 2,
    }
}

/// How far the request's place is from its responsible unit: the closest of the regions
/// the unit covers (or, when it covers none, the nearest unit above it that does).
pub(crate) async fn region_class_for(
    conn: &mut Conn,
    r: &RequestRow,
    chain: &[String],
) -> Result<Option<RegionClass>, AppError> {
    let Some(place) = r
        .region_code
        .as_deref()
        .and_then(|c| c.parse::<u32>().ok())
        .and_then(RegionCode::from_u32)
    else {
        return Ok(None);
    };
    for unit in chain.iter().rev() {
        let Ok(id) = unit.parse::<OrgUnitId>() else {
            continue;
        };
        let codes = coverage_store::regions_of(&mut *conn, id).await?;
        let best = codes
            .iter()
            .filter_map(|c| c.parse::<u32>().ok().and_then(RegionCode::from_u32))
            .map(|c| region_class(place, c))
            .min_by_key(|c| closeness(*c));
        if best.is_some() {
            return Ok(best);
        }
    }
    Ok(None)
}

impl crate::App {
    /// Computes a request's clocks at `now` from its events.
    pub(crate) async fn compute_sla(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
        locale: Locale,
        now: Timestamp,
    ) -> Result<Computed, AppError> {
        let chain = unit_chain(conn, r.org_unit_id.as_deref()).await?;
        let calendars = calendars_for(conn, r.org_unit_id.as_deref(), locale).await?;
        let created = time::from_db("service_requests.created_at", &r.created_at)?;
        let day = self.site().date(created).to_string();
        let contract_level = match &r.unit_id {
            Some(u) => store::contract_level_of_unit(&mut *conn, u, &day).await?,
            None => None,
        };
        let facts = Facts {
            contract_level,
            customer_tier: store::customer_tier(&mut *conn, &r.customer_id).await?,
            region_class: region_class_for(conn, r, &chain).await?,
            priority: Priority::parse(&r.priority),
            kind: RequestKind::parse(&r.kind),
        };
        let all_rules: Vec<PolicyRule> = store::rules(&mut *conn, true)
            .await?
            .iter()
            .map(rule_of)
            .collect::<Result<_, _>>()?;
        let events = service_store::events_of_request(&mut *conn, &r.id).await?;
        let log: Vec<LogEvent> = events.iter().map(LoggedEvent::log_event).collect();
        let state = SlaState::from_events(&log);
        let rule = rules::select(&all_rules, &facts).map(|(r, s)| (r.clone(), s));
        let clocks = match &rule {
            Some((policy, _)) => rules::clocks(
                &state,
                &policy.targets,
                |k| calendars.get(k),
                WARN_PERCENT,
                now,
            )
            .map_err(|e| internal("clocks", e))?,
            None => vec![],
        };
        Ok(Computed {
            rule,
            facts,
            state,
            clocks,
            calendars,
        })
    }

    /// `GET /service-requests/{id}/sla`: the rule, the facts and each milestone's clock
    /// with its trace. Staff within their request scope; customers do not see the clocks.
    #[tracing::instrument(skip_all)]
    pub async fn request_sla(
        &self,
        ctx: &Ctx,
        key: &str,
        locale: Locale,
    ) -> Result<RequestSla, AppError> {
        ctx.require(Permission::SlaRead)?;
        let scope = self.request_scope(ctx).await?;
        let mut conn = self.db.acquire().await?;
        let r = service_store::get_request(&mut *conn, key.trim())
            .await
            .map_err(crate::service::requests::not_found)?;
        self.check_request_scope(&mut conn, &scope, &r).await?;
        let now = self.now();
        let c = self.compute_sla(&mut conn, &r, locale, now).await?;
        Ok(sla_view(&r, &c, locale, now))
    }

    /// Recomputes a request's clocks and keeps them for the board. Returns the computation.
    pub(crate) async fn refresh_sla_status(
        &self,
        conn: &mut Conn,
        r: &RequestRow,
    ) -> Result<Computed, AppError> {
        let now = self.now();
        let c = self.compute_sla(conn, r, Locale::ZhCn, now).await?;
        let open_request = RequestStatus::parse(&r.status).is_some_and(RequestStatus::is_active);
        let live: Vec<&MilestoneClock> = c
            .clocks
            .iter()
            .filter(|k| k.state.is_open() || k.state.is_open_breach(k.met_at))
            .collect();
        // The board's order: the earliest due time among the clocks not met, so an overdue
        // one (due in the past) comes first.
        let next = live
            .iter()
            .filter(|k| matches!(k.state, ClockState::Running | ClockState::Breached))
            .filter_map(|k| k.due_at.map(|d| (d, k.milestone)))
            .min();
        let worst = live
            .iter()
            .map(|k| k.state)
            .max_by_key(|s| match s {
                ClockState::Breached => 3,
                ClockState::Running => 2,
                ClockState::Paused => 1,
                _ => 0,
            })
            .unwrap_or(if c.rule.is_some() {
                ClockState::Met
            } else {
                ClockState::NotRequired
            });
        let kept: Vec<KeptClock> = c
            .clocks
            .iter()
            .map(|k| -> Result<KeptClock, AppError> {
                // Only instants the store can keep are kept (the years it bounds).
                for t in [k.due_at, k.warn_at, k.met_at].into_iter().flatten() {
                    time::to_db(t)?;
                }
                Ok(KeptClock {
                    milestone: k.milestone,
                    state: k.state,
                    due_at: k.due_at,
                    warn_at: k.warn_at,
                    met_at: k.met_at,
                    acknowledged: k.acknowledged.clone(),
                })
            })
            .collect::<Result<_, _>>()?;
        let clocks = serde_json::to_string(&kept).map_err(|e| internal("sla_status.clocks", e))?;
        store::upsert_status(
            &mut *conn,
            &store::StatusRow {
                request_id: r.id.clone(),
                rule_id: c.rule.as_ref().map(|(p, _)| p.id.clone()),
                next_due_at: next.map(|(d, _)| time::to_db(d)).transpose()?,
                next_milestone: next.map(|(_, m)| m.as_str().to_owned()),
                state: worst.as_str().to_owned(),
                open: i64::from(open_request && !live.is_empty()),
                clocks,
                computed_at: time::to_db(now)?,
            },
        )
        .await?;
        Ok(c)
    }
}

pub(crate) fn criterion_text(name: &str, value: &str) -> String {
    format!("{name}={value}")
}

fn sla_view(r: &RequestRow, c: &Computed, locale: Locale, now: Timestamp) -> RequestSla {
    let zh = locale == Locale::ZhCn;
    let rule = c.rule.as_ref().map(|(p, s)| {
        let matched: Vec<String> = s
            .matched
            .iter()
            .map(|m| criterion_text(m.name, &m.value))
            .collect();
        // Why, in words; the rule's name (data, in whatever language it was given) is shown
        // beside it.
        let words: Vec<String> = s.matched.iter().map(|m| m.words(locale)).collect();
        let why = match (zh, words.is_empty()) {
            (true, true) => "默认规则（没有更具体的规则）".to_owned(),
            (true, false) => format!("最具体的规则，符合：{}", words.join("、")),
            (false, true) => "the default rule (no more specific rule applies)".to_owned(),
            (false, false) => format!("the most specific rule: {}", words.join(", ")),
        };
        RuleChoice {
            id: p.id.clone(),
            name: p.name.clone(),
            matched,
            also_applied: s.also_applied.clone(),
            why,
        }
    });
    let clocks = c
        .clocks
        .iter()
        .map(|k| {
            let trace = c
                .calendars
                .get(&k.calendar)
                .map(|cal| rules::trace_text(k, cal, locale))
                .unwrap_or_default();
            ClockView {
                milestone: k.milestone,
                label: k.milestone.label(locale).to_owned(),
                target_minutes: k.target_minutes,
                calendar: k.calendar.clone(),
                started_at: k.started_at,
                due_at: k.due_at,
                warn_at: k.warn_at,
                met_at: k.met_at,
                paused_seconds: k.paused_seconds,
                remaining_seconds: k.remaining_seconds,
                state: k.state,
                trace,
                acknowledged_at: k.acknowledged.as_ref().map(|a| a.at),
                acknowledged_by: k.acknowledged.as_ref().map(|a| a.by.clone()),
                window_ends_after_due: k.trace.iter().any(|t| {
                    matches!(
                        t,
                        aftersales_domain::calendar::TraceStep::CustomerWindow { moved: false, .. }
                    )
                }),
            }
        })
        .collect();
    RequestSla {
        request_id: r.id.clone(),
        number: r.number.clone(),
        rule,
        facts: FactsView {
            contract_level: c.facts.contract_level.clone(),
            customer_tier: c.facts.customer_tier.clone(),
            region_class: c.facts.region_class.map(|r| r.as_str().to_owned()),
            priority: r.priority.clone(),
            kind: r.kind.clone(),
        },
        clocks,
        pauses: c
            .state
            .pauses
            .iter()
            .map(|p| PauseView {
                from: p.from,
                to: p.to,
                reason: p.reason.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                reason_text: rules::wait_reason_text(p.reason, locale),
                by: p.by.clone(),
            })
            .collect(),
        computed_at: now,
    }
}
