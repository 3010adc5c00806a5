//! Service levels (R-ORG-4, R-SLA-1..4; docs/sla.md): a request's clocks from its event
//! log under the rule that fits it, the calendars they count in, and their admin.
//!
//! Nothing about a clock is stored as truth: `request_sla` computes it afresh from the
//! events, the rules and the calendars. `sla_status` keeps the last computation of each
//! request only so the SLA board can sort thousands of requests by their next due time.
//!
//! Over 1,200 lines: calendars, rules, clocks, the board and notifications' recipients;
//! issue 12 splits the SLA area into a folder (calendars, rules, clocks, board) with the typed
//! event log the clocks read.

pub(crate) mod escalation;

use crate::{AppError, Ctx, Principal};
use aftersales_domain::calendar::{Calendar, DayKind, Hours, Span, SpecialDay, SpecialDays};
use aftersales_domain::holidays::{self, Format};
use aftersales_domain::locale::Locale;
use aftersales_domain::region::{RegionClass, RegionCode, region_class};
use aftersales_domain::service::{Priority, RequestKind};
use aftersales_domain::sla::{
    self as rules, ClockState, Facts, LogEvent, Milestone, MilestoneClock, PolicyRule, SlaState,
    Target,
};
use aftersales_domain::{FieldError, FieldErrors, OrgUnitId, Permission, Role};
use aftersales_store::service::{self as service_store, EventRow, RequestRow};
use aftersales_store::sla::{self as store, CalendarRow, RuleRow, SpecialDayRow};
use aftersales_store::{
    Conn, network::coverage as coverage_store, network::org as org_store, time,
};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The zone of a calendar that names none.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// The share of a target after which the owner is warned (R-SLA-4).
pub const WARN_PERCENT: u8 = 80;

// ---------------------------------------------------------------------------------------
// Views

/// One milestone's clock as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClockView {
    /// `response`, `arrival`, `diagnosis`, `resolution` or `loaner`.
    pub milestone: String,
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
    pub state: String,
    /// Why the due time is where it is, in the caller's language.
    pub trace: Vec<String>,
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

// ---------------------------------------------------------------------------------------
// Computing

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what}: {e}"))
}

fn zone(name: &str) -> Result<TimeZone, AppError> {
    TimeZone::get(name).map_err(|e| internal("time zone", e))
}

fn parse_hours(json: &str) -> Result<Hours, AppError> {
    serde_json::from_str(json).map_err(|e| internal("calendar hours", e))
}

/// The ids of a unit and the units above it, the root first.
pub(crate) async fn unit_chain(
    conn: &mut Conn,
    unit: Option<&str>,
) -> Result<Vec<String>, AppError> {
    let Some(id) = unit.and_then(|u| u.parse::<OrgUnitId>().ok()) else {
        return Ok(vec![]);
    };
    match org_store::get(&mut *conn, id).await {
        Ok(o) => Ok(o
            .path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()),
        Err(aftersales_store::StoreError::NotFound) => Ok(vec![]),
        Err(e) => Err(e.into()),
    }
}

fn special_day(r: &SpecialDayRow) -> Result<SpecialDay, AppError> {
    Ok(SpecialDay {
        date: r.day.parse().map_err(|e| internal("special day", e))?,
        kind: DayKind::parse(&r.kind).ok_or_else(|| internal("special day kind", &r.kind))?,
        name: r.name.clone(),
    })
}

/// The calendars as they hold for a unit: its own (or its nearest parent's) time zone and
/// hours, the national special days overlaid with those of the units down to it.
pub(crate) async fn calendars_for(
    conn: &mut Conn,
    unit: Option<&str>,
    locale: Locale,
) -> Result<HashMap<String, Calendar>, AppError> {
    let chain = unit_chain(conn, unit).await?;
    let rows = store::calendars(&mut *conn).await?;
    let mut scopes = vec![String::new()];
    scopes.extend(chain.iter().cloned());
    let days = store::special_days(&mut *conn, &scopes).await?;
    let mut special = SpecialDays::default();
    for scope in &scopes {
        let of_scope: Vec<SpecialDay> = days
            .iter()
            .filter(|d| &d.scope == scope)
            .map(special_day)
            .collect::<Result<_, _>>()?;
        special.overlay(&SpecialDays::new(of_scope).map_err(|e| internal("special days", e))?);
    }
    let overrides = store::overrides_of_units(&mut *conn, &chain).await?;
    let mut out = HashMap::new();
    for r in rows {
        // The nearest unit that sets a zone gives the zone, the nearest that sets hours the
        // hours (each field on its own).
        let nearest = |field: fn(&store::OverrideRow) -> Option<String>| {
            chain.iter().rev().find_map(|u| {
                overrides
                    .iter()
                    .find(|o| &o.org_unit_id == u && o.calendar_key == r.key)
                    .and_then(field)
            })
        };
        let tz_name = nearest(|o| o.time_zone.clone()).unwrap_or_else(|| r.time_zone.clone());
        let hours = match nearest(|o| o.hours.clone()) {
            Some(h) => parse_hours(&h)?,
            None => parse_hours(&r.hours)?,
        };
        let name = match locale {
            Locale::ZhCn => r.name_zh.clone(),
            Locale::En => r.name_en.clone(),
        };
        out.insert(
            r.key.clone(),
            Calendar {
                name,
                tz: zone(&tz_name)?,
                hours,
                special: if r.observes_holidays != 0 {
                    special.clone()
                } else {
                    SpecialDays::default()
                },
            },
        );
    }
    Ok(out)
}

pub(crate) fn rule_of(r: &RuleRow) -> Result<PolicyRule, AppError> {
    Ok(PolicyRule {
        id: r.id.clone(),
        name: r.name.clone(),
        contract_level: r.contract_level.clone(),
        customer_tier: r.customer_tier.clone(),
        region_class: r.region_class.as_deref().and_then(region_class_of),
        priority: r.priority.as_deref().and_then(Priority::parse),
        kind: r.kind.as_deref().and_then(RequestKind::parse),
        rank: r.rank as i32,
        targets: serde_json::from_str(&r.targets).map_err(|e| internal("rule targets", e))?,
    })
}

pub(crate) fn region_class_of(s: &str) -> Option<RegionClass> {
    match s {
        "same_city" => Some(RegionClass::SameCity),
        "same_province" => Some(RegionClass::SameProvince),
        "other_province" => Some(RegionClass::OtherProvince),
        _ => None,
    }
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
async fn region_class_for(
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

pub(crate) fn log_event(e: &EventRow) -> Result<LogEvent, AppError> {
    let data: Option<serde_json::Value> =
        e.data.as_deref().and_then(|d| serde_json::from_str(d).ok());
    let field = |k: &str| data.as_ref().and_then(|d| d.get(k));
    Ok(LogEvent {
        at: time::from_db("request_events.at", &e.at)?,
        kind: e.kind.clone(),
        work_order: e.work_order_id.clone(),
        to_status: e.to_status.clone(),
        wait_reason: field("wait_reason")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        loaner: field("loaner_left")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        actor: e.actor_name.clone(),
    })
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
        let day = created
            .to_zoned(zone(DEFAULT_TIME_ZONE)?)
            .date()
            .to_string();
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
        let log: Vec<LogEvent> = events.iter().map(log_event).collect::<Result<_, _>>()?;
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
    pub async fn request_sla(
        &self,
        ctx: &Ctx,
        key: &str,
        locale: Locale,
    ) -> Result<RequestSla, AppError> {
        staff_reads(ctx)?;
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
        let open_request = !matches!(r.status.as_str(), "resolved" | "closed" | "cancelled");
        let live: Vec<&MilestoneClock> = c
            .clocks
            .iter()
            .filter(|k| {
                k.state.is_open() || (k.state == ClockState::Breached && k.met_at.is_none())
            })
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
        let clocks: Vec<serde_json::Value> = c
            .clocks
            .iter()
            .map(|k| -> Result<serde_json::Value, AppError> {
                Ok(serde_json::json!({
                    "milestone": k.milestone.as_str(),
                    "state": k.state.as_str(),
                    "due_at": k.due_at.map(time::to_db).transpose()?,
                    "warn_at": k.warn_at.map(time::to_db).transpose()?,
                    "met_at": k.met_at.map(time::to_db).transpose()?,
                }))
            })
            .collect::<Result<_, _>>()?;
        store::upsert_status(
            &mut *conn,
            &store::StatusRow {
                request_id: r.id.clone(),
                rule_id: c.rule.as_ref().map(|(p, _)| p.id.clone()),
                next_due_at: next.map(|(d, _)| time::to_db(d)).transpose()?,
                next_milestone: next.map(|(_, m)| m.as_str().to_owned()),
                state: worst.as_str().to_owned(),
                open: i64::from(open_request && !live.is_empty()),
                clocks: serde_json::Value::Array(clocks).to_string(),
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
        let why = match (zh, matched.is_empty()) {
            (true, true) => format!("适用默认规则“{}”（无更具体的规则）", p.name),
            (true, false) => format!("规则“{}”最具体：符合 {}", p.name, matched.join("、")),
            (false, true) => format!("default rule '{}' (no more specific rule applies)", p.name),
            (false, false) => format!(
                "rule '{}' is the most specific: {}",
                p.name,
                matched.join(", ")
            ),
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
                milestone: k.milestone.as_str().to_owned(),
                label: k.milestone.label(locale).to_owned(),
                target_minutes: k.target_minutes,
                calendar: k.calendar.clone(),
                started_at: k.started_at,
                due_at: k.due_at,
                warn_at: k.warn_at,
                met_at: k.met_at,
                paused_seconds: k.paused_seconds,
                remaining_seconds: k.remaining_seconds,
                state: k.state.as_str().to_owned(),
                trace,
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
                reason: p.reason.clone(),
                reason_text: rules::wait_reason_text(&p.reason, locale),
                by: p.by.clone(),
            })
            .collect(),
        computed_at: now,
    }
}

// ---------------------------------------------------------------------------------------
// Calendars and special days (admin)

/// A calendar as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CalendarView {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub time_zone: String,
    /// True: 7×24.
    pub always: bool,
    /// Monday first: each day's spans as `HH:MM-HH:MM`.
    pub weekly: Vec<Vec<String>>,
    pub observes_holidays: bool,
    pub version: i64,
}

/// A holiday or make-up workday.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecialDayView {
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    /// `holiday` or `workday` (调休上班).
    pub kind: String,
    pub name: String,
    /// The org unit whose own day it is; null for the national schedule.
    pub org_unit_id: Option<String>,
}

/// A change of a calendar.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CalendarInput {
    pub name_zh: String,
    pub name_en: String,
    pub time_zone: Option<String>,
    pub always: bool,
    /// Monday first, seven entries, each a list of `HH:MM-HH:MM` (ignored when `always`).
    #[serde(default)]
    pub weekly: Vec<Vec<String>>,
    pub observes_holidays: bool,
    pub version: i64,
}

/// What an import of a schedule did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecialDaysImport {
    /// The years whose days were replaced.
    pub years: Vec<i32>,
    pub holidays: usize,
    pub workdays: usize,
}

fn calendar_view(r: &CalendarRow) -> Result<CalendarView, AppError> {
    let hours = parse_hours(&r.hours)?;
    let (always, weekly) = match hours {
        Hours::Always => (true, vec![]),
        Hours::Weekly { days } => (
            false,
            days.iter()
                .map(|d| d.iter().map(|s| s.to_string().replace('–', "-")).collect())
                .collect(),
        ),
    };
    Ok(CalendarView {
        key: r.key.clone(),
        name_zh: r.name_zh.clone(),
        name_en: r.name_en.clone(),
        time_zone: r.time_zone.clone(),
        always,
        weekly,
        observes_holidays: r.observes_holidays != 0,
        version: r.version,
    })
}

/// Checks a scope: none (national) or an existing org unit.
async fn scope_of(conn: &mut Conn, unit: Option<&str>) -> Result<String, AppError> {
    match unit.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(String::new()),
        Some(u) => {
            let id: OrgUnitId = u
                .parse()
                .map_err(|_| AppError::invalid(FieldError::new("org_unit_id", "invalid_id")))?;
            match org_store::get(&mut *conn, id).await {
                Ok(_) => Ok(id.to_string()),
                // As a record outside one's scope: not found (the days of a unit that does
                // not exist do not exist either).
                Err(aftersales_store::StoreError::NotFound) => Err(AppError::NotFound("org_unit")),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Managers keep the SLA data of their own part of the network only: a unit's own days
/// and overrides within their subtree. The national schedule, the calendars and the rules
/// are the admins'.
async fn check_sla_scope(ctx: &Ctx, conn: &mut Conn, scope: &str) -> Result<(), AppError> {
    let Principal::User(a) = &ctx.principal else {
        return Ok(());
    };
    if a.role == Role::Admin {
        return Ok(());
    }
    let Some(mine) = a.org_path.as_deref() else {
        return Err(AppError::Forbidden);
    };
    let Ok(id) = scope.parse::<OrgUnitId>() else {
        return Err(AppError::Forbidden);
    };
    match org_store::get(&mut *conn, id).await {
        Ok(o) if o.path.starts_with(mine) => Ok(()),
        Ok(_) => Err(AppError::Forbidden),
        Err(e) => Err(e.into()),
    }
}

impl crate::App {
    /// The scope of an SLA data change ('' national, else the unit's id), checked against
    /// the caller before anything else (a manager's unit must lie in their subtree).
    async fn sla_scope(&self, ctx: &Ctx, org_unit: Option<&str>) -> Result<String, AppError> {
        let mut conn = self.db.acquire().await?;
        let scope = match scope_of(&mut conn, org_unit).await {
            Ok(s) => s,
            // A manager naming a unit that does not exist may not learn that it does not.
            Err(e) if matches!(&ctx.principal, Principal::User(a) if a.role != Role::Admin) => {
                let _ = e;
                return Err(AppError::Forbidden);
            }
            Err(e) => return Err(e),
        };
        check_sla_scope(ctx, &mut conn, &scope).await?;
        Ok(scope)
    }
}

/// Staff read the SLA data (calendars, days, rules, clocks); customers do not.
fn staff_reads(ctx: &Ctx) -> Result<(), AppError> {
    ctx.require(Permission::RequestsRead)?;
    match &ctx.principal {
        Principal::User(a) if a.role == Role::Customer => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// Only admins change what holds for the whole network.
fn admins_only(ctx: &Ctx) -> Result<(), AppError> {
    match &ctx.principal {
        Principal::User(a) if a.role != Role::Admin => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

fn special_day_view(r: &SpecialDayRow) -> Result<SpecialDayView, AppError> {
    Ok(SpecialDayView {
        day: r.day.parse().map_err(|e| internal("special day", e))?,
        kind: r.kind.clone(),
        name: r.name.clone(),
        org_unit_id: (!r.scope.is_empty()).then(|| r.scope.clone()),
    })
}

impl crate::App {
    /// Every calendar. Staff read them (a dispatcher reads a trace against them).
    pub async fn list_calendars(&self, ctx: &Ctx) -> Result<Vec<CalendarView>, AppError> {
        staff_reads(ctx)?;
        let mut conn = self.db.acquire().await?;
        store::calendars(&mut *conn)
            .await?
            .iter()
            .map(calendar_view)
            .collect()
    }

    /// Changes a calendar's names, zone, hours or holiday setting (admins and managers).
    pub async fn update_calendar(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &CalendarInput,
    ) -> Result<CalendarView, AppError> {
        ctx.require(Permission::SlaManage)?;
        admins_only(ctx)?;
        let mut errs = FieldErrors::new();
        let name_zh = input.name_zh.trim();
        let name_en = input.name_en.trim();
        if name_zh.is_empty() {
            errs.push(FieldError::new("name_zh", "required"));
        }
        if name_en.is_empty() {
            errs.push(FieldError::new("name_en", "required"));
        }
        let tz = input
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_TIME_ZONE)
            .to_owned();
        if TimeZone::get(&tz).is_err() {
            errs.push(FieldError::new("time_zone", "unknown_time_zone"));
        }
        let hours = if input.always {
            Some(Hours::Always)
        } else {
            parse_weekly(&input.weekly, &mut errs)
        };
        errs.into_result().map_err(AppError::Validation)?;
        let hours = hours.ok_or_else(|| internal("hours", "missing"))?;
        let mut tx = self.db.begin().await?;
        let before = store::calendar(tx.conn(), key)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        if before.version != input.version {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        let after = CalendarRow {
            name_zh: name_zh.to_owned(),
            name_en: name_en.to_owned(),
            time_zone: tz,
            hours: serde_json::to_string(&hours).map_err(|e| internal("hours", e))?,
            observes_holidays: i64::from(input.observes_holidays),
            updated_at: time::to_db(self.now())?,
            ..before.clone()
        };
        if !store::update_calendar(tx.conn(), &after).await? {
            return Err(AppError::StaleVersion {
                current: before.version + 1,
            });
        }
        let view_before = calendar_view(&before)?;
        let mut view_after = calendar_view(&after)?;
        view_after.version = before.version + 1;
        self.audit(
            &mut tx,
            ctx,
            "calendar",
            key,
            "update",
            serde_json::to_value(&view_before).ok(),
            serde_json::to_value(&view_after).ok(),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(view_after)
    }

    /// The special days of a year: the national ones, or a unit's own.
    pub async fn special_days(
        &self,
        ctx: &Ctx,
        org_unit: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<SpecialDayView>, AppError> {
        staff_reads(ctx)?;
        if let Some(y) = year {
            use aftersales_domain::bounds::{SERVICE_FIRST_YEAR, SERVICE_LAST_YEAR};
            aftersales_domain::bounds::check_int(
                "year",
                i64::from(y),
                i64::from(SERVICE_FIRST_YEAR),
                i64::from(SERVICE_LAST_YEAR),
            )
            .map_err(AppError::invalid)?;
        }
        let mut conn = self.db.acquire().await?;
        let scope = scope_of(&mut conn, org_unit).await?;
        let rows = store::special_days(&mut *conn, &[scope]).await?;
        rows.iter()
            .filter(|r| year.is_none_or(|y| r.day.starts_with(&format!("{y:04}-"))))
            .map(special_day_view)
            .collect()
    }

    /// Loads a schedule file (TOML, CSV or ICS): the years it covers are replaced in the
    /// scope; a file with any problem changes nothing.
    pub async fn import_special_days(
        &self,
        ctx: &Ctx,
        org_unit: Option<&str>,
        file_name: &str,
        content: &[u8],
    ) -> Result<SpecialDaysImport, AppError> {
        ctx.require(Permission::SlaManage)?;
        self.sla_scope(ctx, org_unit).await?;
        let text = std::str::from_utf8(content).map_err(|_| AppError::BadFile("not_utf8"))?;
        if text.trim().is_empty() {
            return Err(AppError::BadFile("empty_file"));
        }
        let days = holidays::parse(Format::guess(file_name, text), text).map_err(|problems| {
            AppError::Validation(FieldErrors(
                problems
                    .iter()
                    .map(|p| FieldError::new("file", p.code).with("line", p.line as i64))
                    .collect(),
            ))
        })?;
        if days.is_empty() {
            return Err(AppError::BadFile("empty_file"));
        }
        // The notice's year is the one most of its days fall in; only that year is
        // replaced. Days it lists in a neighbouring year (a notice may start with the last
        // days of December) are added or changed, the rest of that year stays.
        let mut per_year: std::collections::BTreeMap<i32, usize> = Default::default();
        for d in &days {
            *per_year.entry(i32::from(d.date.year())).or_default() += 1;
        }
        let main_year = per_year
            .iter()
            .max_by_key(|(y, n)| (**n, -**y))
            .map(|(y, _)| *y)
            .unwrap_or_default();
        let years = vec![main_year];
        let mut tx = self.db.begin().await?;
        let scope = scope_of_tx(&mut tx, org_unit).await?;
        let now = time::to_db(self.now())?;
        let by = ctx.audit_actor().1;
        for y in &years {
            store::delete_special_days_of_year(tx.conn(), &scope, *y).await?;
        }
        for d in &days {
            store::upsert_special_day(
                tx.conn(),
                &SpecialDayRow {
                    scope: scope.clone(),
                    day: d.date.to_string(),
                    kind: d.kind.as_str().to_owned(),
                    name: d.name.clone(),
                    updated_by: Some(by.clone()),
                    updated_at: now.clone(),
                },
            )
            .await?;
        }
        let result = SpecialDaysImport {
            years: years.clone(),
            holidays: days.iter().filter(|d| d.kind == DayKind::Holiday).count(),
            workdays: days.iter().filter(|d| d.kind == DayKind::Workday).count(),
        };
        self.audit(
            &mut tx,
            ctx,
            "special_days",
            if scope.is_empty() { "national" } else { &scope },
            "import",
            None,
            Some(serde_json::json!({"file": file_name, "years": years, "holidays": result.holidays, "workdays": result.workdays})),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// Adds or changes one special day.
    pub async fn put_special_day(
        &self,
        ctx: &Ctx,
        org_unit: Option<&str>,
        day: &str,
        kind: &str,
        name: &str,
    ) -> Result<SpecialDayView, AppError> {
        ctx.require(Permission::SlaManage)?;
        self.sla_scope(ctx, org_unit).await?;
        let mut errs = FieldErrors::new();
        let date: Option<Date> =
            errs.take(aftersales_domain::bounds::parse_service_day("day", day));
        let kind = DayKind::parse(kind);
        if kind.is_none() {
            errs.push(FieldError::new("kind", "invalid_choice"));
        }
        let name = name.trim();
        if name.is_empty() {
            errs.push(FieldError::new("name", "required"));
        } else if name.chars().count() > 50 {
            errs.push(FieldError::new("name", "too_long").with("max", 50));
        }
        errs.into_result().map_err(AppError::Validation)?;
        let (Some(date), Some(kind)) = (date, kind) else {
            return Err(internal("special day", "unchecked"));
        };
        let mut tx = self.db.begin().await?;
        let scope = scope_of_tx(&mut tx, org_unit).await?;
        let row = SpecialDayRow {
            scope: scope.clone(),
            day: date.to_string(),
            kind: kind.as_str().to_owned(),
            name: name.to_owned(),
            updated_by: Some(ctx.audit_actor().1),
            updated_at: time::to_db(self.now())?,
        };
        store::upsert_special_day(tx.conn(), &row).await?;
        let view = special_day_view(&row)?;
        self.audit(
            &mut tx,
            ctx,
            "special_day",
            &format!(
                "{}:{}",
                if scope.is_empty() { "national" } else { &scope },
                row.day
            ),
            "put",
            None,
            serde_json::to_value(&view).ok(),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn delete_special_day(
        &self,
        ctx: &Ctx,
        org_unit: Option<&str>,
        day: &str,
    ) -> Result<(), AppError> {
        ctx.require(Permission::SlaManage)?;
        self.sla_scope(ctx, org_unit).await?;
        let mut tx = self.db.begin().await?;
        let scope = scope_of_tx(&mut tx, org_unit).await?;
        if !store::delete_special_day(tx.conn(), &scope, day.trim()).await? {
            return Err(AppError::NotFound("special_day"));
        }
        self.audit(
            &mut tx,
            ctx,
            "special_day",
            &format!(
                "{}:{}",
                if scope.is_empty() { "national" } else { &scope },
                day.trim()
            ),
            "delete",
            None,
            None,
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn scope_of_tx(
    tx: &mut aftersales_store::Tx,
    unit: Option<&str>,
) -> Result<String, AppError> {
    scope_of(tx.conn(), unit).await
}

fn parse_weekly(days: &[Vec<String>], errs: &mut FieldErrors) -> Option<Hours> {
    if days.len() != 7 {
        errs.push(FieldError::new("weekly", "invalid_choice"));
        return None;
    }
    let mut out: [Vec<Span>; 7] = Default::default();
    let mut ok = true;
    for (i, d) in days.iter().enumerate() {
        for s in d.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            match Span::parse(s) {
                Ok(span) => out[i].push(span),
                Err(_) => {
                    errs.push(FieldError::new(format!("weekly.{i}"), "invalid_span"));
                    ok = false;
                }
            }
        }
        out[i].sort_by_key(|s| s.start);
    }
    let hours = Hours::Weekly { days: out };
    if ok && let Err(e) = hours.validate() {
        errs.push(FieldError::new(
            "weekly",
            match e {
                aftersales_domain::calendar::CalendarError::NoWorkingTime => "no_working_time",
                _ => "overlapping_spans",
            },
        ));
        ok = false;
    }
    ok.then_some(hours)
}

// ---------------------------------------------------------------------------------------
// Rules (admin)

/// One target of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TargetView {
    pub milestone: String,
    pub minutes: i64,
    pub calendar: String,
}

/// A rule as the API shows it and takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleView {
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub contract_level: Option<String>,
    pub customer_tier: Option<String>,
    pub region_class: Option<String>,
    pub priority: Option<String>,
    pub kind: Option<String>,
    #[serde(default)]
    pub rank: i64,
    pub targets: Vec<TargetView>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub version: i64,
}

fn yes() -> bool {
    true
}

fn rule_view(r: &RuleRow) -> Result<RuleView, AppError> {
    let targets: Vec<Target> =
        serde_json::from_str(&r.targets).map_err(|e| internal("rule targets", e))?;
    Ok(RuleView {
        id: r.id.clone(),
        name: r.name.clone(),
        contract_level: r.contract_level.clone(),
        customer_tier: r.customer_tier.clone(),
        region_class: r.region_class.clone(),
        priority: r.priority.clone(),
        kind: r.kind.clone(),
        rank: r.rank,
        targets: targets
            .iter()
            .map(|t| TargetView {
                milestone: t.milestone.as_str().to_owned(),
                minutes: t.minutes,
                calendar: t.calendar.clone(),
            })
            .collect(),
        active: r.active != 0,
        version: r.version,
    })
}

impl crate::App {
    pub async fn list_sla_rules(&self, ctx: &Ctx) -> Result<Vec<RuleView>, AppError> {
        staff_reads(ctx)?;
        let mut conn = self.db.acquire().await?;
        store::rules(&mut *conn, false)
            .await?
            .iter()
            .map(rule_view)
            .collect()
    }

    /// Creates a rule (`input.id` empty) or changes one (with its version).
    pub async fn save_sla_rule(&self, ctx: &Ctx, input: &RuleView) -> Result<RuleView, AppError> {
        ctx.require(Permission::SlaManage)?;
        admins_only(ctx)?;
        let mut conn = self.db.acquire().await?;
        let calendars: Vec<String> = store::calendars(&mut *conn)
            .await?
            .into_iter()
            .map(|c| c.key)
            .collect();
        drop(conn);
        let mut errs = FieldErrors::new();
        let name = input.name.trim();
        if name.is_empty() {
            errs.push(FieldError::new("name", "required"));
        }
        let opt = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let region = opt(&input.region_class);
        if region
            .as_deref()
            .is_some_and(|r| region_class_of(r).is_none())
        {
            errs.push(FieldError::new("region_class", "invalid_choice"));
        }
        let priority = opt(&input.priority);
        if priority
            .as_deref()
            .is_some_and(|p| Priority::parse(p).is_none())
        {
            errs.push(FieldError::new("priority", "invalid_choice"));
        }
        let kind = opt(&input.kind);
        if kind
            .as_deref()
            .is_some_and(|k| RequestKind::parse(k).is_none())
        {
            errs.push(FieldError::new("kind", "invalid_choice"));
        }
        errs.take(aftersales_domain::bounds::check_int(
            "rank", input.rank, 0, 10_000,
        ));
        let mut targets = vec![];
        for (i, t) in input.targets.iter().enumerate() {
            let Some(m) = Milestone::parse(t.milestone.trim()) else {
                errs.push(FieldError::new(
                    format!("targets.{i}.milestone"),
                    "invalid_choice",
                ));
                continue;
            };
            if !(1..=60 * 24 * 90).contains(&t.minutes) {
                errs.push(
                    FieldError::new(format!("targets.{i}.minutes"), "out_of_range")
                        .with("min", 1)
                        .with("max", 60 * 24 * 90),
                );
            }
            if !calendars.contains(&t.calendar) {
                errs.push(FieldError::new(
                    format!("targets.{i}.calendar"),
                    "unknown_calendar",
                ));
            }
            if targets.iter().any(|x: &Target| x.milestone == m) {
                errs.push(FieldError::new(
                    format!("targets.{i}.milestone"),
                    "duplicate",
                ));
            }
            targets.push(Target {
                milestone: m,
                minutes: t.minutes,
                calendar: t.calendar.clone(),
            });
        }
        if input.targets.is_empty() {
            errs.push(FieldError::new("targets", "required"));
        }
        errs.into_result().map_err(AppError::Validation)?;
        let now = time::to_db(self.now())?;
        let mut row = RuleRow {
            id: input.id.trim().to_owned(),
            name: name.to_owned(),
            contract_level: opt(&input.contract_level),
            customer_tier: opt(&input.customer_tier),
            region_class: region,
            priority,
            kind,
            rank: input.rank,
            targets: serde_json::to_string(&targets).map_err(|e| internal("targets", e))?,
            active: i64::from(input.active),
            version: input.version,
            created_at: now.clone(),
            updated_at: now,
        };
        let mut tx = self.db.begin().await?;
        let before = if row.id.is_empty() {
            row.id = uuid::Uuid::now_v7().to_string();
            store::insert_rule(tx.conn(), &row).await?;
            row.version = 1;
            None
        } else {
            let before = store::rule(tx.conn(), &row.id)
                .await?
                .ok_or(AppError::NotFound("sla_rule"))?;
            if !store::update_rule(tx.conn(), &row).await? {
                return Err(AppError::StaleVersion {
                    current: before.version,
                });
            }
            row.version = before.version + 1;
            row.created_at = before.created_at.clone();
            Some(rule_view(&before)?)
        };
        let view = rule_view(&row)?;
        self.audit(
            &mut tx,
            ctx,
            "sla_rule",
            &row.id,
            if before.is_some() { "update" } else { "create" },
            before.and_then(|b| serde_json::to_value(b).ok()),
            serde_json::to_value(&view).ok(),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(view)
    }
}

// ---------------------------------------------------------------------------------------
// Defaults

/// The national schedule shipped with the product (the 2026 notice).
const NATIONAL_2026: &str = include_str!("../../../domain/data/holidays/cn-2026.toml");

/// The promises of the source documents (R-SLA-1) as rules: respond within 1 hour; arrive
/// within 3 hours in the city (1 hour when urgent), 12 hours in the province, 24 hours
/// outside it; resolve within 12 working hours, else a loaner by 24.
/// One default rule: id, name, region class, priority, minutes to arrive.
type DefaultRule = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    i64,
);

const DEFAULT_RULES: [DefaultRule; 5] = [
    ("default-standard", "标准服务 Standard", None, None, 24 * 60),
    (
        "default-same-city",
        "同城 Same city",
        Some("same_city"),
        None,
        3 * 60,
    ),
    (
        "default-same-city-urgent",
        "同城紧急 Urgent in the city",
        Some("same_city"),
        Some("urgent"),
        60,
    ),
    (
        "default-same-province",
        "省内 Same province",
        Some("same_province"),
        None,
        12 * 60,
    ),
    (
        "default-other-province",
        "省外 Other province",
        Some("other_province"),
        None,
        24 * 60,
    ),
];

impl crate::App {
    /// On an empty database: the two standard calendars (the 7×24 hotline and working
    /// days 09:00–19:30), the national schedule of 2026 and the default rules. What exists
    /// stays; safe to run at every start.
    pub async fn ensure_sla_defaults(&self) -> Result<(), AppError> {
        let ctx = Ctx::system("bootstrap");
        let mut tx = self.db.begin().await?;
        let now = time::to_db(self.now())?;
        if store::calendars(tx.conn()).await?.is_empty() {
            let weekly = Hours::weekly(
                &[0, 1, 2, 3, 4],
                &[Span::new(9 * 60, 19 * 60 + 30).map_err(|e| internal("span", e))?],
            );
            // A 7×24 calendar ignores special days; say so in its row too.
            for (key, zh, en, hours, holidays) in [
                ("7x24", "7×24 全天候", "24/7", Hours::Always, 0),
                (
                    "workdays",
                    "工作日 09:00–19:30",
                    "Working days 09:00–19:30",
                    weekly,
                    1,
                ),
            ] {
                store::insert_calendar(
                    tx.conn(),
                    &CalendarRow {
                        key: key.into(),
                        name_zh: zh.into(),
                        name_en: en.into(),
                        time_zone: DEFAULT_TIME_ZONE.into(),
                        hours: serde_json::to_string(&hours).map_err(|e| internal("hours", e))?,
                        observes_holidays: holidays,
                        version: 1,
                        created_at: now.clone(),
                        updated_at: now.clone(),
                    },
                )
                .await?;
            }
            let days = holidays::parse(Format::Toml, NATIONAL_2026)
                .map_err(|p| internal("national schedule", format!("{p:?}")))?;
            for d in days {
                store::upsert_special_day(
                    tx.conn(),
                    &SpecialDayRow {
                        scope: String::new(),
                        day: d.date.to_string(),
                        kind: d.kind.as_str().into(),
                        name: d.name,
                        updated_by: Some("system:bootstrap".into()),
                        updated_at: now.clone(),
                    },
                )
                .await?;
            }
            self.audit(&mut tx, &ctx, "calendar", "defaults", "create", None, None)
                .await?;
        }
        if store::rules(tx.conn(), false).await?.is_empty() {
            for (id, name, region, priority, arrival) in DEFAULT_RULES {
                let t = |m: Milestone, minutes: i64, cal: &str| Target {
                    milestone: m,
                    minutes,
                    calendar: cal.into(),
                };
                let targets = vec![
                    t(Milestone::Response, 60, "7x24"),
                    t(Milestone::Arrival, arrival, "7x24"),
                    t(Milestone::Diagnosis, 60, "7x24"),
                    t(Milestone::Resolution, 12 * 60, "workdays"),
                    t(Milestone::Loaner, 24 * 60, "workdays"),
                ];
                store::insert_rule(
                    tx.conn(),
                    &RuleRow {
                        id: id.into(),
                        name: name.into(),
                        contract_level: None,
                        customer_tier: None,
                        region_class: region.map(Into::into),
                        priority: priority.map(Into::into),
                        kind: None,
                        rank: 0,
                        targets: serde_json::to_string(&targets)
                            .map_err(|e| internal("targets", e))?,
                        active: 1,
                        version: 1,
                        created_at: now.clone(),
                        updated_at: now.clone(),
                    },
                )
                .await?;
            }
            self.audit(&mut tx, &ctx, "sla_rule", "defaults", "create", None, None)
                .await?;
        }
        // Open requests filed before there were clocks get their first check.
        let now_ts = self.now();
        for id in store::open_requests_without_status(tx.conn()).await? {
            aftersales_store::administration::jobs::arm(
                tx.conn(),
                &aftersales_store::administration::jobs::NewJob::new(
                    crate::sla::escalation::SLA_CHECK,
                    format!("sla:{id}:first"),
                    serde_json::json!({ "request_id": id }),
                    now_ts,
                ),
                now_ts,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The SLA board

/// Filters of the SLA board.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlaBoardQuery {
    /// Only this unit and the units below it.
    #[param(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    /// Only requests with an open work order of this engineer.
    #[param(value_type = Option<String>, format = Uuid)]
    pub engineer_id: Option<String>,
    /// Only requests with this milestone open (`response`, `arrival`, …).
    #[param(value_type = Option<crate::schema::MilestoneName>)]
    pub milestone: Option<String>,
    /// At most this many rows (default 200).
    pub limit: Option<i64>,
}

/// One milestone on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardClock {
    pub milestone: String,
    pub label: String,
    pub state: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
}

/// One open request on the SLA board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlaBoardRow {
    pub request_id: String,
    pub number: String,
    pub customer_name: String,
    pub priority: String,
    pub org_unit_name: Option<String>,
    pub owner_name: String,
    pub engineer_id: Option<String>,
    pub engineer_name: Option<String>,
    /// The open milestone due first.
    pub next_milestone: Option<String>,
    pub next_label: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_due_at: Option<Timestamp>,
    /// Seconds from now to that due time (negative once past).
    pub seconds_left: Option<i64>,
    /// The worst state now: `breached`, `warning` (past 80 %), `running` or `paused`.
    pub state: String,
    pub clocks: Vec<BoardClock>,
}

impl crate::App {
    /// Open requests by time to their next breach. Staff within their request scope (an
    /// engineer sees the requests of their own orders).
    pub async fn sla_board(
        &self,
        ctx: &Ctx,
        q: &SlaBoardQuery,
        locale: Locale,
    ) -> Result<Vec<SlaBoardRow>, AppError> {
        let scope = self.request_scope(ctx).await?;
        let mut conn = self.db.acquire().await?;
        let id_of = |field: &'static str, v: Option<&str>| -> Result<Option<String>, AppError> {
            match v.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse::<uuid::Uuid>()
                    .map(|u| Some(u.to_string()))
                    .map_err(|_| AppError::invalid(FieldError::new(field, "invalid_id"))),
            }
        };
        let org_unit = id_of("org_unit_id", q.org_unit_id.as_deref())?;
        let mut f = store::BoardFilter {
            org_units: None,
            engineer_id: id_of("engineer_id", q.engineer_id.as_deref())?,
            limit: q.limit.unwrap_or(200).clamp(1, 1000),
        };
        let all_units = org_store::all(&mut *conn).await?;
        let under = |path: &str| -> Vec<String> {
            all_units
                .iter()
                .filter(|o| o.path.starts_with(path))
                .map(|o| o.id.to_string())
                .collect()
        };
        match &scope {
            crate::service::requests::RequestScope::All => {}
            crate::service::requests::RequestScope::Subtree(p) => f.org_units = Some(under(p)),
            crate::service::requests::RequestScope::Engineer(id) => {
                f.engineer_id = Some(id.clone())
            }
            crate::service::requests::RequestScope::Customer(_) => return Err(AppError::Forbidden),
        }
        if let Some(u) = org_unit {
            // A filter by a unit that does not exist matches nothing, as the lists' filters.
            let mine = all_units
                .iter()
                .find(|o| o.id.to_string() == u)
                .map_or_else(Vec::new, |unit| under(&unit.path));
            f.org_units = Some(match f.org_units {
                Some(allowed) => mine.into_iter().filter(|m| allowed.contains(m)).collect(),
                None => mine,
            });
        }
        let milestone = match q.milestone.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(m) => Some(Milestone::parse(m.trim()).ok_or_else(|| {
                AppError::invalid(FieldError::new("milestone", "invalid_choice"))
            })?),
            None => None,
        };
        // The milestone and "live clocks" filters are applied below: fetch enough rows.
        let wanted = f.limit;
        f.limit = if milestone.is_some() {
            1000
        } else {
            (wanted * 2).min(1000)
        };
        let rows = store::board(&mut *conn, &f).await?;
        let now = self.now();
        let mut out = vec![];
        for r in rows {
            let clocks: Vec<serde_json::Value> =
                serde_json::from_str(&r.clocks).unwrap_or_default();
            let ts = |v: &serde_json::Value, k: &str| {
                v.get(k)
                    .and_then(|x| x.as_str())
                    .and_then(|s| s.parse::<Timestamp>().ok())
            };
            let mut board_clocks = vec![];
            let mut worst = 0u8;
            for c in &clocks {
                let Some(m) = c
                    .get("milestone")
                    .and_then(|v| v.as_str())
                    .and_then(Milestone::parse)
                else {
                    continue;
                };
                let stored = c.get("state").and_then(|v| v.as_str()).unwrap_or("");
                let met = c.get("met_at").is_some_and(|v| !v.is_null());
                let due = ts(c, "due_at");
                // The state now: a running clock past its due time is breached, past its
                // warning share a warning, whatever the last computation said.
                let state = match stored {
                    "running" if due.is_some_and(|d| d <= now) => "breached",
                    "running" if ts(c, "warn_at").is_some_and(|w| w <= now) => "warning",
                    "breached" if met => continue,
                    "running" | "paused" | "breached" => stored,
                    _ => continue,
                };
                worst = worst.max(match state {
                    "breached" => 4,
                    "warning" => 3,
                    "running" => 2,
                    _ => 1,
                });
                board_clocks.push(BoardClock {
                    milestone: m.as_str().to_owned(),
                    label: m.label(locale).to_owned(),
                    state: state.to_owned(),
                    due_at: due,
                });
            }
            if board_clocks.is_empty() {
                continue;
            }
            if let Some(m) = milestone
                && !board_clocks.iter().any(|c| c.milestone == m.as_str())
            {
                continue;
            }
            let next_due_at = r
                .next_due_at
                .as_deref()
                .and_then(|s| s.parse::<Timestamp>().ok());
            let next = r.next_milestone.as_deref().and_then(Milestone::parse);
            out.push(SlaBoardRow {
                request_id: r.request_id,
                number: r.number,
                customer_name: r.customer_name,
                priority: r.priority,
                org_unit_name: r.org_unit_name,
                owner_name: r.owner_name,
                engineer_id: r.engineer_id,
                engineer_name: r.engineer_name,
                next_milestone: next.map(|m| m.as_str().to_owned()),
                next_label: next.map(|m| m.label(locale).to_owned()),
                seconds_left: next_due_at.map(|d| d.duration_since(now).as_secs()),
                next_due_at,
                state: ["paused", "paused", "running", "warning", "breached"][worst as usize]
                    .to_owned(),
                clocks: board_clocks,
            });
        }
        out.truncate(usize::try_from(wanted).unwrap_or(200));
        Ok(out)
    }
}

impl crate::App {
    /// The units a user may pick in the SLA pages' filters: (id, name indented by depth),
    /// in tree order. Empty for those who may not read the network.
    pub async fn org_unit_choices(&self, ctx: &Ctx) -> Result<Vec<(String, String)>, AppError> {
        if ctx.require(Permission::OrgRead).is_err() {
            return Ok(vec![]);
        }
        let mut conn = self.db.acquire().await?;
        Ok(org_store::all(&mut *conn)
            .await?
            .into_iter()
            .map(|o| {
                let depth = o.path.matches('/').count().saturating_sub(2);
                (
                    o.id.to_string(),
                    format!("{}{}", "　".repeat(depth), o.name),
                )
            })
            .collect())
    }
}

// ---------------------------------------------------------------------------------------
// Per-unit calendar overrides (admin)

/// A unit's own time zone or hours for a calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OverrideView {
    pub calendar: String,
    pub org_unit_id: String,
    /// Null: the calendar's own zone.
    pub time_zone: Option<String>,
    /// Null: the calendar's own hours; else true for 7×24.
    pub always: Option<bool>,
    /// Monday first, when the unit has weekly hours of its own.
    pub weekly: Option<Vec<Vec<String>>>,
}

/// What a unit changes of a calendar: a zone, hours (`always` or `weekly`), or both.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OverrideInput {
    pub time_zone: Option<String>,
    pub always: Option<bool>,
    pub weekly: Option<Vec<Vec<String>>>,
}

fn override_view(o: &store::OverrideRow) -> Result<OverrideView, AppError> {
    let hours = o.hours.as_deref().map(parse_hours).transpose()?;
    Ok(OverrideView {
        calendar: o.calendar_key.clone(),
        org_unit_id: o.org_unit_id.clone(),
        time_zone: o.time_zone.clone(),
        always: hours.as_ref().map(|h| matches!(h, Hours::Always)),
        weekly: match hours {
            Some(Hours::Weekly { days }) => Some(
                days.iter()
                    .map(|d| d.iter().map(|s| s.to_string().replace('–', "-")).collect())
                    .collect(),
            ),
            _ => None,
        },
    })
}

impl crate::App {
    /// Every unit's overrides of a calendar.
    pub async fn calendar_overrides(
        &self,
        ctx: &Ctx,
        key: &str,
    ) -> Result<Vec<OverrideView>, AppError> {
        staff_reads(ctx)?;
        let mut conn = self.db.acquire().await?;
        store::all_overrides(&mut *conn)
            .await?
            .iter()
            .filter(|o| o.calendar_key == key)
            .map(override_view)
            .collect()
    }

    /// Sets a unit's own zone or hours for a calendar (admins and managers).
    pub async fn put_calendar_override(
        &self,
        ctx: &Ctx,
        key: &str,
        org_unit: &str,
        input: &OverrideInput,
    ) -> Result<OverrideView, AppError> {
        ctx.require(Permission::SlaManage)?;
        self.sla_scope(ctx, Some(org_unit)).await?;
        let mut errs = FieldErrors::new();
        let tz = input
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if tz.is_some_and(|t| TimeZone::get(t).is_err()) {
            errs.push(FieldError::new("time_zone", "unknown_time_zone"));
        }
        let hours = match (input.always, &input.weekly) {
            (Some(true), _) => Some(Hours::Always),
            (_, Some(w)) => parse_weekly(w, &mut errs),
            _ => None,
        };
        if tz.is_none() && hours.is_none() && errs.is_empty() {
            errs.push(FieldError::new("time_zone", "required"));
        }
        errs.into_result().map_err(AppError::Validation)?;
        let mut tx = self.db.begin().await?;
        if store::calendar(tx.conn(), key).await?.is_none() {
            return Err(AppError::NotFound("calendar"));
        }
        let unit = scope_of_tx(&mut tx, Some(org_unit)).await?;
        let row = store::OverrideRow {
            org_unit_id: unit.clone(),
            calendar_key: key.to_owned(),
            time_zone: tz.map(str::to_owned),
            hours: hours
                .map(|h| serde_json::to_string(&h))
                .transpose()
                .map_err(|e| internal("hours", e))?,
            updated_at: time::to_db(self.now())?,
        };
        store::upsert_override(tx.conn(), &row).await?;
        let view = override_view(&row)?;
        self.audit(
            &mut tx,
            ctx,
            "calendar_override",
            &format!("{key}:{unit}"),
            "put",
            None,
            serde_json::to_value(&view).ok(),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn delete_calendar_override(
        &self,
        ctx: &Ctx,
        key: &str,
        org_unit: &str,
    ) -> Result<(), AppError> {
        ctx.require(Permission::SlaManage)?;
        self.sla_scope(ctx, Some(org_unit)).await?;
        let mut tx = self.db.begin().await?;
        if !store::delete_override(tx.conn(), org_unit.trim(), key).await? {
            return Err(AppError::NotFound("calendar_override"));
        }
        self.audit(
            &mut tx,
            ctx,
            "calendar_override",
            &format!("{key}:{}", org_unit.trim()),
            "delete",
            None,
            None,
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Customer tiers

/// A customer's tier for the SLA rules (e.g. `vip`, `key`, `standard`); empty clears it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TierInput {
    pub tier: Option<String>,
}

impl crate::App {
    /// Sets a customer's tier (the front office that keeps customer records). Open
    /// requests of the customer are rechecked: their rule may change.
    pub async fn set_customer_tier(
        &self,
        ctx: &Ctx,
        customer_id: &str,
        input: &TierInput,
    ) -> Result<TierInput, AppError> {
        ctx.require(Permission::CustomersManage)?;
        let tier = input
            .tier
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase);
        if let Some(t) = &tier
            && (t.chars().count() > 30
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            return Err(AppError::invalid(FieldError::new("tier", "code_chars")));
        }
        let mut tx = self.db.begin().await?;
        if !store::set_customer_tier(tx.conn(), customer_id.trim(), tier.as_deref()).await? {
            return Err(AppError::NotFound("customer"));
        }
        self.audit(
            &mut tx,
            ctx,
            "customer",
            customer_id.trim(),
            "set_tier",
            None,
            Some(serde_json::json!({ "tier": tier })),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(TierInput { tier })
    }
}
