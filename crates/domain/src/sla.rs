//! Service-level promises (R-SLA-1..4): which policy a request falls under, and each
//! milestone's clock computed from the request's event log.
//!
//! Everything here is a function of its inputs: the same events, rules, calendars and "now"
//! always give the same answer, so a clock can be recomputed at any time (after a change of
//! policy or priority, say) and explained step by step.

use crate::calendar::{Calendar, CalendarError, Pause, TraceStep};
use crate::ids::WorkOrderId;
use crate::locale::Locale;
use crate::region::RegionClass;
use crate::service::{EventKind, Priority, RequestEvent, RequestKind, WaitReason, WoStatus};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod board;
pub mod escalation;

/// The milestones of a request's promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// First contact with the customer (响应).
    Response,
    /// The engineer on site (到场).
    Arrival,
    /// The fault identified, counted from arrival (现场诊断).
    Diagnosis,
    /// The unit working again (修复).
    Resolution,
    /// A loaner in the customer's hands when the repair drags on (备用机).
    Loaner,
}

impl Milestone {
    pub const ALL: [Milestone; 5] = [
        Milestone::Response,
        Milestone::Arrival,
        Milestone::Diagnosis,
        Milestone::Resolution,
        Milestone::Loaner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::Response => "response",
            Milestone::Arrival => "arrival",
            Milestone::Diagnosis => "diagnosis",
            Milestone::Resolution => "resolution",
            Milestone::Loaner => "loaner",
        }
    }

    pub fn parse(s: &str) -> Option<Milestone> {
        Milestone::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Milestone::Response, Locale::ZhCn) => "响应",
            (Milestone::Arrival, Locale::ZhCn) => "到场",
            (Milestone::Diagnosis, Locale::ZhCn) => "现场诊断",
            (Milestone::Resolution, Locale::ZhCn) => "修复",
            (Milestone::Loaner, Locale::ZhCn) => "提供备用机",
            (Milestone::Response, Locale::En) => "Response",
            (Milestone::Arrival, Locale::En) => "On-site arrival",
            (Milestone::Diagnosis, Locale::En) => "Diagnosis on site",
            (Milestone::Resolution, Locale::En) => "Resolution",
            (Milestone::Loaner, Locale::En) => "Loaner by",
        }
    }
}

impl std::fmt::Display for Milestone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a milestone's clock stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Not started yet (diagnosis before arrival).
    Pending,
    Running,
    /// Held by a wait (for the customer, parts, a quote or payment).
    Paused,
    /// Met in time.
    Met,
    /// Past due: not met, or met late (then `met_at` is set).
    Breached,
    /// Not needed: solved without a visit, or solved before a loaner was due.
    NotRequired,
    /// The request was cancelled before the milestone was met.
    Cancelled,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Pending => "pending",
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Breached => "breached",
            ClockState::NotRequired => "not_required",
            ClockState::Cancelled => "cancelled",
        }
    }

    /// Breached and not met since: a breach still open, to acknowledge and act on.
    pub fn is_open_breach(self, met_at: Option<Timestamp>) -> bool {
        self == ClockState::Breached && met_at.is_none()
    }

    /// Still counting (a warning or a breach may still come).
    pub fn is_open(self) -> bool {
        matches!(self, ClockState::Running | ClockState::Paused)
    }
}

impl std::fmt::Display for ClockState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------
// Policies

/// One milestone's promise: a duration in a calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub milestone: Milestone,
    pub minutes: i64,
    /// The calendar's key (`7x24`, `workdays`, …).
    pub calendar: String,
}

/// A rule: the criteria it applies to (`None` = any) and its targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRule {
    pub id: String,
    pub name: String,
    pub contract_level: Option<String>,
    pub customer_tier: Option<String>,
    pub region_class: Option<RegionClass>,
    pub priority: Option<Priority>,
    pub kind: Option<RequestKind>,
    /// Breaks ties between equally specific rules: lower first.
    pub rank: i32,
    pub targets: Vec<Target>,
}

/// What is known of a request for choosing its rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub contract_level: Option<String>,
    pub customer_tier: Option<String>,
    pub region_class: Option<RegionClass>,
    pub priority: Option<Priority>,
    pub kind: Option<RequestKind>,
}

/// A criterion a rule matched on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Criterion {
    pub name: &'static str,
    pub value: String,
}

impl Criterion {
    /// The criterion as people say it: "同城", "优先级：紧急" / "same city", "priority: urgent".
    /// Free-text criteria (contract level, customer tier) keep their value.
    pub fn words(&self, locale: crate::Locale) -> String {
        let zh = locale == crate::Locale::ZhCn;
        let pick = |z: &str, e: &str| if zh { z.to_owned() } else { e.to_owned() };
        let labelled = |z: &str, e: &str, v: String| {
            if zh {
                format!("{z}：{v}")
            } else {
                format!("{e}: {v}")
            }
        };
        match self.name {
            "region_class" => match RegionClass::parse(&self.value) {
                Some(RegionClass::SameCity) => pick("同城", "same city"),
                Some(RegionClass::SameProvince) => pick("省内", "same province"),
                Some(RegionClass::OtherProvince) => pick("省外", "another province"),
                None => self.value.clone(),
            },
            "priority" => {
                let v = match Priority::parse(&self.value) {
                    Some(Priority::Low) => pick("低", "low"),
                    Some(Priority::Normal) => pick("普通", "normal"),
                    Some(Priority::High) => pick("高", "high"),
                    Some(Priority::Urgent) => pick("紧急", "urgent"),
                    None => self.value.clone(),
                };
                labelled("优先级", "priority", v)
            }
            "kind" => {
                let v = match RequestKind::parse(&self.value) {
                    Some(RequestKind::Repair) => pick("维修", "repair"),
                    Some(RequestKind::Installation) => pick("安装调试", "installation"),
                    Some(RequestKind::Maintenance) => pick("保养", "maintenance"),
                    Some(RequestKind::Inspection) => pick("巡检", "inspection"),
                    Some(RequestKind::Consultation) => pick("咨询", "consultation"),
                    Some(RequestKind::ReturnExchange) => pick("退换货", "return or exchange"),
                    Some(RequestKind::Complaint) => pick("投诉", "complaint"),
                    None => self.value.clone(),
                };
                labelled("服务类型", "kind", v)
            }
            "contract_level" => labelled("合同级别", "contract level", self.value.clone()),
            "customer_tier" => labelled("客户等级", "customer tier", self.value.clone()),
            _ => format!("{}={}", self.name, self.value),
        }
    }
}

/// The chosen rule and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Selection {
    pub rule_id: String,
    pub rule_name: String,
    pub matched: Vec<Criterion>,
    /// Other rules that also applied, less specific or ranked after it.
    pub also_applied: Vec<String>,
}

impl PolicyRule {
    /// The criteria it matched, or `None` when one of its criteria does not hold.
    pub fn matches(&self, f: &Facts) -> Option<Vec<Criterion>> {
        let mut matched = vec![];
        fn check<T: PartialEq>(
            rule: &Option<T>,
            fact: &Option<T>,
            name: &'static str,
            show: impl Fn(&T) -> String,
            out: &mut Vec<Criterion>,
        ) -> bool {
            match rule {
                None => true,
                Some(r) if fact.as_ref() == Some(r) => {
                    out.push(Criterion {
                        name,
                        value: show(r),
                    });
                    true
                }
                Some(_) => false,
            }
        }
        let ok = check(
            &self.contract_level,
            &f.contract_level,
            "contract_level",
            |s| s.clone(),
            &mut matched,
        ) && check(
            &self.customer_tier,
            &f.customer_tier,
            "customer_tier",
            |s| s.clone(),
            &mut matched,
        ) && check(
            &self.region_class,
            &f.region_class,
            "region_class",
            |r| r.as_str().to_owned(),
            &mut matched,
        ) && check(
            &self.priority,
            &f.priority,
            "priority",
            |p| p.as_str().to_owned(),
            &mut matched,
        ) && check(
            &self.kind,
            &f.kind,
            "kind",
            |k| k.as_str().to_owned(),
            &mut matched,
        );
        ok.then_some(matched)
    }
}

/// The most specific applicable rule (most criteria matched); ties go to the lower rank,
/// then the lower id. `None` when no rule applies.
pub fn select<'a>(rules: &'a [PolicyRule], facts: &Facts) -> Option<(&'a PolicyRule, Selection)> {
    let mut applicable: Vec<(&PolicyRule, Vec<Criterion>)> = rules
        .iter()
        .filter_map(|r| r.matches(facts).map(|m| (r, m)))
        .collect();
    applicable.sort_by(|(a, am), (b, bm)| {
        bm.len()
            .cmp(&am.len())
            .then(a.rank.cmp(&b.rank))
            .then(a.id.cmp(&b.id))
    });
    let mut it = applicable.into_iter();
    let (rule, matched) = it.next()?;
    Some((
        rule,
        Selection {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            matched,
            also_applied: it.map(|(r, _)| r.name.clone()).collect(),
        },
    ))
}

// ---------------------------------------------------------------------------------------
// The event log, folded

/// One entry of a request's event log, as far as the clocks care.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEvent {
    pub at: Timestamp,
    pub work_order: Option<WorkOrderId>,
    pub event: RequestEvent,
    /// Who acted (their name then).
    pub actor: String,
}

/// A pause as it was recorded: why, who, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseRecord {
    pub from: Timestamp,
    pub to: Option<Timestamp>,
    /// What the work waited for (none only for a wait recorded without its reason).
    pub reason: Option<WaitReason>,
    pub by: String,
}

/// A breach acknowledged (R-SLA-4; `sla_acknowledged`): the ladder stops climbing, and the
/// request's clocks and the board say who took it on and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub milestone: Milestone,
    pub at: Timestamp,
    /// Who acknowledged (their name then).
    pub by: String,
}

/// What the log says so far. Fold events in order with [`SlaState::apply`]; the state can
/// be kept (it serializes) and more events applied later with the same result as a fold of
/// all of them at once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaState {
    pub created: Option<Timestamp>,
    pub contacted: Option<Timestamp>,
    pub arrived: Option<Timestamp>,
    pub diagnosed: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
    pub loaner: Option<Timestamp>,
    pub cancelled: Option<Timestamp>,
    /// The visit window the customer asked for at intake (start, end), read by the
    /// arrival clock (see [`clocks`]).
    #[serde(default)]
    pub preferred: Option<(Timestamp, Option<Timestamp>)>,
    /// Breaches acknowledged, the first per milestone.
    #[serde(default)]
    pub acknowledged: Vec<Acknowledgement>,
    /// Work orders' statuses and waiting reasons.
    work_orders: BTreeMap<WorkOrderId, (WoStatus, Option<WaitReason>)>,
    pub pauses: Vec<PauseRecord>,
}

/// Events that count as contact with the customer (the response milestone).
fn is_contact(k: EventKind) -> bool {
    use EventKind as K;
    matches!(
        k,
        K::TriagedRemote
            | K::TriagedOnsite
            | K::RemoteSolved
            | K::Scheduled
            | K::Rescheduled
            | K::EnRoute
            | K::Arrived
            | K::Resolved
    )
}

/// Events that show the fault identified on site.
fn is_diagnosis(k: EventKind) -> bool {
    use EventKind as K;
    matches!(
        k,
        K::RecordSaved | K::Completed | K::TakenToDepot | K::Resolved
    )
}

impl SlaState {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a LogEvent>) -> SlaState {
        let mut s = SlaState::default();
        for e in events {
            s.apply(e);
        }
        s
    }

    fn paused_now(&self) -> Option<&PauseRecord> {
        self.pauses.last().filter(|p| p.to.is_none())
    }

    pub fn apply(&mut self, e: &LogEvent) {
        let at = e.at;
        let first = |slot: &mut Option<Timestamp>| {
            if slot.is_none() {
                *slot = Some(at);
            }
        };
        let k = e.event.kind();
        if self.created.is_none() {
            // The first event starts the clocks, whatever it is (it is `created`).
            self.created = Some(at);
        }
        if let RequestEvent::Created(crate::service::Creation::Intake {
            preferred_from: Some(from),
            preferred_to,
            ..
        }) = &e.event
        {
            self.preferred = Some((*from, *preferred_to));
        }
        if let RequestEvent::SlaAcknowledged { milestone, .. } = &e.event
            && !self.acknowledged.iter().any(|a| a.milestone == *milestone)
        {
            self.acknowledged.push(Acknowledgement {
                milestone: *milestone,
                at,
                by: e.actor.clone(),
            });
        }
        if is_contact(k) {
            first(&mut self.contacted);
        }
        if k == EventKind::Arrived {
            first(&mut self.arrived);
        }
        if self.arrived.is_some() && is_diagnosis(k) {
            first(&mut self.diagnosed);
        }
        // A loaner left by the engineer at the depot decision, or issued from the pool
        // against the request (docs/loaners.md): whichever comes first.
        if matches!(
            e.event,
            RequestEvent::TakenToDepot { loaner_left: true } | RequestEvent::LoanerIssued(_)
        ) {
            first(&mut self.loaner);
        }
        // Solved on the phone is a resolution too (that path writes `remote_solved`).
        if matches!(k, EventKind::Resolved | EventKind::RemoteSolved) {
            first(&mut self.resolved);
        }
        if k == EventKind::Cancelled && self.resolved.is_none() {
            first(&mut self.cancelled);
        }
        if let (Some(wo), Some(status)) = (e.work_order, e.event.work_order_status()) {
            let reason = match &e.event {
                RequestEvent::Waiting { wait_reason, .. } => Some(*wait_reason),
                _ => None,
            };
            self.work_orders.insert(wo, (status, reason));
        }
        // Paused while some work order waits and every open one does.
        let open: Vec<&(WoStatus, Option<WaitReason>)> = self
            .work_orders
            .values()
            .filter(|(s, _)| !s.is_terminal())
            .collect();
        let waiting = !open.is_empty()
            && open.iter().all(|(s, _)| *s == WoStatus::Waiting)
            && self.resolved.is_none()
            && self.cancelled.is_none();
        match (waiting, self.paused_now().is_some()) {
            (true, false) => {
                let reason = open.iter().find_map(|(_, r)| *r);
                self.pauses.push(PauseRecord {
                    from: at,
                    to: None,
                    reason,
                    by: e.actor.clone(),
                });
            }
            (false, true) => {
                if let Some(p) = self.pauses.last_mut() {
                    p.to = Some(at);
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------
// Clocks

/// One milestone's clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneClock {
    pub milestone: Milestone,
    pub target_minutes: i64,
    pub calendar: String,
    pub started_at: Option<Timestamp>,
    /// `None` while pending or held by a pause that has not ended.
    pub due_at: Option<Timestamp>,
    /// When the warning share of the target is used up.
    pub warn_at: Option<Timestamp>,
    pub met_at: Option<Timestamp>,
    /// Wall-clock time paused between the start and the meeting (or now).
    pub paused_seconds: i64,
    /// Working time left while a pause holds the clock.
    pub remaining_seconds: Option<i64>,
    pub state: ClockState,
    pub trace: Vec<TraceStep>,
    /// The breach of this milestone acknowledged, by whom and when.
    #[serde(default)]
    pub acknowledged: Option<Acknowledgement>,
}

/// The clocks of a request under one rule's targets at `now`. `calendar` finds a target's
/// calendar by key; `warn_percent` is the share of a target after which the owner is warned.
pub fn clocks<'c>(
    state: &SlaState,
    targets: &[Target],
    calendar: impl Fn(&str) -> Option<&'c Calendar>,
    warn_percent: u8,
    now: Timestamp,
) -> Result<Vec<MilestoneClock>, SlaError> {
    let mut out = vec![];
    for t in targets {
        let cal =
            calendar(&t.calendar).ok_or_else(|| SlaError::UnknownCalendar(t.calendar.clone()))?;
        out.push(clock(state, t, cal, warn_percent, now)?);
    }
    out.sort_by_key(|c| c.milestone);
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlaError {
    #[error("unknown calendar {0}")]
    UnknownCalendar(String),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

fn clock(
    s: &SlaState,
    t: &Target,
    cal: &Calendar,
    warn_percent: u8,
    now: Timestamp,
) -> Result<MilestoneClock, SlaError> {
    let (start, met) = match t.milestone {
        Milestone::Response => (s.created, s.contacted),
        Milestone::Arrival => (s.created, s.arrived),
        Milestone::Diagnosis => (s.arrived, s.diagnosed),
        Milestone::Resolution => (s.created, s.resolved),
        Milestone::Loaner => (s.created, s.loaner),
    };
    let mut c = MilestoneClock {
        milestone: t.milestone,
        target_minutes: t.minutes,
        calendar: t.calendar.clone(),
        started_at: start,
        due_at: None,
        warn_at: None,
        met_at: met,
        paused_seconds: 0,
        remaining_seconds: None,
        state: ClockState::Pending,
        trace: vec![],
        acknowledged: s
            .acknowledged
            .iter()
            .find(|a| a.milestone == t.milestone)
            .cloned(),
    };
    let Some(start) = start else {
        if s.resolved.is_some() || s.cancelled.is_some() {
            c.state = if s.cancelled.is_some() {
                ClockState::Cancelled
            } else {
                ClockState::NotRequired
            };
        }
        return Ok(c);
    };
    // The clock stops at the meeting, the resolution (for the milestones it makes moot) or
    // the cancellation; pauses count up to there.
    let stop = [met, s.cancelled, s.resolved].into_iter().flatten().min();
    let pauses: Vec<Pause> = s
        .pauses
        .iter()
        .filter(|p| stop.is_none_or(|stop| p.from < stop))
        .map(|p| Pause {
            from: p.from,
            to: match (p.to, stop) {
                (Some(to), Some(stop)) => Some(to.min(stop)),
                (None, Some(stop)) => Some(stop),
                (to, None) => to,
            },
            reason: p
                .reason
                .map(WaitReason::as_str)
                .unwrap_or_default()
                .to_owned(),
        })
        .collect();
    let target = SignedDuration::from_mins(t.minutes);
    let mut walk = cal.add_working_time(start, target, &pauses)?;
    let warn = cal.add_working_time(start, target * i32::from(warn_percent) / 100, &pauses)?;
    c.warn_at = warn.due;
    if t.milestone == Milestone::Arrival
        && let (Some((from, to)), Some(due)) = (s.preferred, walk.due)
    {
        match customer_window(due, from, to, warn_percent) {
            WindowEffect::Moved { due, warn } => {
                walk.due = Some(due);
                c.warn_at = Some(warn);
                walk.trace.push(TraceStep::CustomerWindow {
                    from,
                    to,
                    moved: true,
                });
            }
            WindowEffect::EndsLate => walk.trace.push(TraceStep::CustomerWindow {
                from,
                to,
                moved: false,
            }),
            WindowEffect::None => {}
        }
    }
    c.due_at = walk.due;
    c.trace = walk.trace;
    let until = stop.unwrap_or(now).max(start);
    c.paused_seconds = pauses
        .iter()
        .map(|p| {
            let a = p.from.max(start);
            let b = p.to.unwrap_or(now).min(until);
            b.duration_since(a).as_secs().max(0)
        })
        .sum();
    c.state = match (met, walk.due) {
        (Some(m), Some(due)) if m <= due => ClockState::Met,
        (Some(_), _) => ClockState::Breached,
        (None, due) => {
            let moot = match t.milestone {
                // Solved before a visit (or the loaner) was due: none needed. Solved after
                // the due time, the breach stays.
                Milestone::Arrival | Milestone::Diagnosis | Milestone::Loaner => {
                    match (s.resolved, due) {
                        (Some(r), Some(d)) => r <= d,
                        (Some(_), None) => true,
                        _ => false,
                    }
                }
                _ => false,
            };
            if moot {
                ClockState::NotRequired
            } else if let Some(cancelled) = s.cancelled {
                if due.is_some_and(|d| d < cancelled) {
                    ClockState::Breached
                } else {
                    ClockState::Cancelled
                }
            } else {
                match due {
                    Some(d) if now >= d => ClockState::Breached,
                    Some(_) => ClockState::Running,
                    None => {
                        c.remaining_seconds = Some(walk.remaining_seconds);
                        ClockState::Paused
                    }
                }
            }
        }
    };
    Ok(c)
}

/// What the visit window a customer asked for does to the arrival clock due at `due`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowEffect {
    /// The window starts after the due time: the customer is not there before it, so the
    /// promise is to arrive within it; due at its end (its start when it has no end),
    /// warned when `warn_percent` of the window has passed.
    Moved { due: Timestamp, warn: Timestamp },
    /// The window starts before the due time but ends after it: the due time stays (the
    /// visit must be early in the window); the intake and the clock's trace say so.
    EndsLate,
    /// The window ends by the due time: nothing changes.
    None,
}

/// Decision (docs/sla.md, "The customer's window", issue 13): the arrival clock keeps the
/// rule's due time unless the customer asked for a window that starts after it.
pub fn customer_window(
    due: Timestamp,
    from: Timestamp,
    to: Option<Timestamp>,
    warn_percent: u8,
) -> WindowEffect {
    if from > due {
        let end = to.filter(|t| *t > from).unwrap_or(from);
        let span = end.as_second() - from.as_second();
        let warn = Timestamp::from_second(from.as_second() + span * i64::from(warn_percent) / 100)
            .unwrap_or(from);
        WindowEffect::Moved { due: end, warn }
    } else if to.is_some_and(|t| t > due) {
        WindowEffect::EndsLate
    } else {
        WindowEffect::None
    }
}

// ---------------------------------------------------------------------------------------
// Words

/// A waiting reason in words.
pub fn wait_reason_text(reason: Option<WaitReason>, locale: Locale) -> String {
    use WaitReason as W;
    match (reason, locale) {
        (Some(W::Customer), Locale::ZhCn) => "等待客户".into(),
        (Some(W::Parts), Locale::ZhCn) => "等待配件".into(),
        (Some(W::QuotePayment), Locale::ZhCn) => "等待报价确认或付款".into(),
        (Some(W::Customer), Locale::En) => "waiting for the customer".into(),
        (Some(W::Parts), Locale::En) => "waiting for parts".into(),
        (Some(W::QuotePayment), Locale::En) => "waiting for quote approval or payment".into(),
        (None, Locale::ZhCn) => "暂停".into(),
        (None, Locale::En) => "paused".into(),
    }
}

/// A duration as "1 h 30 min" / "1小时30分钟".
pub fn duration_text(seconds: i64, locale: Locale) -> String {
    let mins = (seconds + 59) / 60;
    let (d, h, m) = (mins / 1440, mins % 1440 / 60, mins % 60);
    let mut out = String::new();
    let parts: [(i64, &str, &str); 3] = [(d, "天", " d"), (h, "小时", " h"), (m, "分钟", " min")];
    for (n, zh, en) in parts {
        if n > 0 {
            match locale {
                Locale::ZhCn => out.push_str(&format!("{n}{zh}")),
                Locale::En => {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(&format!("{n}{en}"));
                }
            }
        }
    }
    if out.is_empty() {
        out = match locale {
            Locale::ZhCn => "0分钟".into(),
            Locale::En => "0 min".into(),
        };
    }
    out
}

/// The trace as sentences a dispatcher reads, times in `cal`'s zone.
pub fn trace_text(c: &MilestoneClock, cal: &Calendar, locale: Locale) -> Vec<String> {
    let t = |ts: Timestamp| {
        ts.to_zoned(cal.tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let zh = locale == Locale::ZhCn;
    let mut lines = vec![];
    if let Some(due) = c.due_at {
        lines.push(if zh {
            format!(
                "{} 到期：目标 {}",
                t(due),
                duration_text(c.target_minutes * 60, locale)
            )
        } else {
            format!(
                "due {}: target {}",
                t(due),
                duration_text(c.target_minutes * 60, locale)
            )
        });
    }
    for step in &c.trace {
        lines.push(match step {
            TraceStep::Started {
                at,
                calendar,
                working,
                counts_from,
            } => match (zh, working, counts_from) {
                (true, true, _) | (true, false, None) => {
                    format!("{} 起算，日历“{}”", t(*at), calendar)
                }
                (true, false, Some(f)) => {
                    format!(
                        "{} 起算，日历“{}”；非工作时间，自 {} 开始计时",
                        t(*at),
                        calendar,
                        t(*f)
                    )
                }
                (false, true, _) | (false, false, None) => {
                    format!("started {} in '{}'", t(*at), calendar)
                }
                (false, false, Some(f)) => format!(
                    "started {} in '{}'; outside working time, counting from {}",
                    t(*at),
                    calendar,
                    t(*f)
                ),
            },
            TraceStep::CustomerWindow { from, to, moved } => {
                let window = match to {
                    Some(to) => format!("{}–{}", t(*from), t(*to)),
                    None => t(*from),
                };
                match (zh, moved) {
                    (true, true) => {
                        format!("客户期望上门时段 {window} 晚于时限：按客户时段计，时段内到场即达成")
                    }
                    (true, false) => {
                        format!("客户期望上门时段 {window} 结束晚于到场时限：请在到期前到场")
                    }
                    (false, true) => format!(
                        "the customer asked for {window}, after the target: due within their window"
                    ),
                    (false, false) => format!(
                        "the customer's window {window} ends after the due time: arrive before it is due"
                    ),
                }
            }
            TraceStep::MakeupCounted { date, name } => {
                if zh {
                    format!("{date} 调休上班，计入（{name}）")
                } else {
                    format!("{date} counted (make-up workday, {name})")
                }
            }
            TraceStep::HolidaysSkipped { from, to, name } => match (zh, from == to) {
                (true, true) => format!("{from} 放假，不计（{name}）"),
                (true, false) => format!("{from} 至 {to} 放假，不计（{name}）"),
                (false, true) => format!("{from} skipped ({name})"),
                (false, false) => format!("{from}..{to} skipped ({name})"),
            },
            TraceStep::RestDaysSkipped { from, to } => match (zh, from == to) {
                (true, true) => format!("{from} 休息日，不计"),
                (true, false) => format!("{from} 至 {to} 休息日，不计"),
                (false, true) => format!("{from} skipped (rest day)"),
                (false, false) => format!("{from}..{to} skipped (rest days)"),
            },
            TraceStep::Paused {
                from,
                to,
                reason,
                working_seconds,
            } => {
                let why = wait_reason_text(WaitReason::parse(reason), locale);
                match (zh, to) {
                    (true, Some(to)) => format!(
                        "{} 至 {} {}，暂停 {}（其中工作时间 {}）",
                        t(*from),
                        t(*to),
                        why,
                        duration_text(to.duration_since(*from).as_secs(), locale),
                        duration_text(*working_seconds, locale)
                    ),
                    (true, None) => format!("{} 起{}，计时暂停中", t(*from), why),
                    (false, Some(to)) => format!(
                        "paused {} {} ({} to {}; {} of working time)",
                        duration_text(to.duration_since(*from).as_secs(), locale),
                        why,
                        t(*from),
                        t(*to),
                        duration_text(*working_seconds, locale)
                    ),
                    (false, None) => format!("paused since {} {}", t(*from), why),
                }
            }
        });
    }
    if let Some(m) = c.met_at {
        lines.push(if zh {
            format!("{} 达成", t(m))
        } else {
            format!("met {}", t(m))
        });
    }
    lines
}

#[cfg(test)]
mod criterion_tests {
    use super::*;

    #[test]
    fn a_matched_criterion_reads_as_words_in_each_language() {
        let c = |name: &'static str, value: &str| Criterion {
            name,
            value: value.to_owned(),
        };
        assert_eq!(c("region_class", "same_city").words(Locale::ZhCn), "同城");
        assert_eq!(
            c("region_class", "other_province").words(Locale::En),
            "another province"
        );
        assert_eq!(c("priority", "urgent").words(Locale::ZhCn), "优先级：紧急");
        assert_eq!(c("kind", "repair").words(Locale::En), "kind: repair");
        assert_eq!(
            c("contract_level", "gold").words(Locale::ZhCn),
            "合同级别：gold"
        );
        // A value the rules could not hold stays as it was, not guessed.
        assert_eq!(c("priority", "soon").words(Locale::En), "priority: soon");
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;
    use crate::ids::UserId;
    use crate::service::{Channel, Creation};

    fn t(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    fn created(at: &str, from: Option<&str>, to: Option<&str>) -> LogEvent {
        LogEvent {
            at: t(at),
            work_order: None,
            actor: "agent".into(),
            event: RequestEvent::Created(Creation::Intake {
                number: "SR1".into(),
                channel: Channel::Portal,
                kind: RequestKind::Repair,
                priority: Priority::Normal,
                warranty_class: None,
                owner_id: UserId(uuid::Uuid::from_bytes([7; 16])),
                org_unit_id: None,
                open_requests_for_unit: vec![],
                preferred_from: from.map(t),
                preferred_to: to.map(t),
            }),
        }
    }

    fn arrival(log: &[LogEvent], now: &str) -> MilestoneClock {
        let cal = Calendar::always("7x24", jiff::tz::TimeZone::UTC);
        let targets = [Target {
            milestone: Milestone::Arrival,
            minutes: 180,
            calendar: "7x24".into(),
        }];
        let state = SlaState::from_events(log);
        clocks(&state, &targets, |_| Some(&cal), 80, t(now))
            .expect("clocks")
            .remove(0)
    }

    #[test]
    fn the_window_moves_the_due_time_only_when_it_starts_after_it() {
        let due = t("2026-12-07T13:00:00Z");
        // Starts after the due time: due at its end, warned at 80 % of the window.
        assert_eq!(
            customer_window(
                due,
                t("2026-12-08T01:00:00Z"),
                Some(t("2026-12-08T03:00:00Z")),
                80
            ),
            WindowEffect::Moved {
                due: t("2026-12-08T03:00:00Z"),
                warn: t("2026-12-08T02:36:00Z")
            }
        );
        // A start only: due at the start.
        assert_eq!(
            customer_window(due, t("2026-12-08T01:00:00Z"), None, 80),
            WindowEffect::Moved {
                due: t("2026-12-08T01:00:00Z"),
                warn: t("2026-12-08T01:00:00Z")
            }
        );
        // Starts before, ends after: the due time stays, with a warning.
        assert_eq!(
            customer_window(
                due,
                t("2026-12-07T12:00:00Z"),
                Some(t("2026-12-07T14:00:00Z")),
                80
            ),
            WindowEffect::EndsLate
        );
        // Within the target (or starting at the due time itself): nothing changes.
        assert_eq!(
            customer_window(
                due,
                t("2026-12-07T11:00:00Z"),
                Some(t("2026-12-07T13:00:00Z")),
                80
            ),
            WindowEffect::None
        );
        assert_eq!(customer_window(due, due, None, 80), WindowEffect::None);
    }

    #[test]
    fn the_arrival_clock_runs_to_the_end_of_a_later_window() {
        // Filed 10:00, 3 h target (13:00); the customer asks for tomorrow 01:00–03:00.
        let log = [created(
            "2026-12-07T10:00:00Z",
            Some("2026-12-08T01:00:00Z"),
            Some("2026-12-08T03:00:00Z"),
        )];
        // At 14:00 the rule's due time has passed, but the customer is not home yet.
        let c = arrival(&log, "2026-12-07T14:00:00Z");
        assert_eq!(c.state, ClockState::Running);
        assert_eq!(c.due_at, Some(t("2026-12-08T03:00:00Z")));
        assert!(
            c.trace
                .iter()
                .any(|s| matches!(s, TraceStep::CustomerWindow { moved: true, .. }))
        );
        let words = trace_text(
            &c,
            &Calendar::always("7x24", jiff::tz::TimeZone::UTC),
            Locale::ZhCn,
        );
        assert!(
            words.iter().any(|l| l.contains("客户期望上门时段")),
            "{words:?}"
        );
        // After the window's end it is breached.
        let c = arrival(&log, "2026-12-08T03:00:01Z");
        assert_eq!(c.state, ClockState::Breached);
        // Without a window the rule's due time holds: breached at 14:00.
        let c = arrival(
            &[created("2026-12-07T10:00:00Z", None, None)],
            "2026-12-07T14:00:00Z",
        );
        assert_eq!(c.state, ClockState::Breached);
        assert_eq!(c.due_at, Some(t("2026-12-07T13:00:00Z")));
        // A window that ends late keeps the due time and says so in the trace.
        let log = [created(
            "2026-12-07T10:00:00Z",
            Some("2026-12-07T12:00:00Z"),
            Some("2026-12-07T16:00:00Z"),
        )];
        let c = arrival(&log, "2026-12-07T11:00:00Z");
        assert_eq!(c.due_at, Some(t("2026-12-07T13:00:00Z")));
        assert!(
            c.trace
                .iter()
                .any(|s| matches!(s, TraceStep::CustomerWindow { moved: false, .. }))
        );
    }
}
