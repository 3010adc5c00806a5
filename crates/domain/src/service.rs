//! The central flow (R-REQ-*, R-DSP-*): service requests (报修单, SR) and their work orders
//! (派工单, WO). Kinds, channels and priorities of a request; the request's status and the
//! work order's state machine; human numbers. Pure: the `app` crate applies these rules and
//! writes an event row for every change (see docs/service-flow.md).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Defines a closed set of names stored as constrained text (a CHECK in the schema).
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;

pub mod events;
pub mod record;

pub use events::{
    AlarmFacts, Appointment, Assignment, CallbackOutcome, Creation, CustomerNotice,
    EventDecodeError, EventKind, FieldStep, FollowUpReason, LadderMark, LadderStep, LoanerBack,
    LoanerLent, LoggedEvent, MilestoneDue, PaymentFacts, QuoteAnswer, QuoteFacts, RequestEvent,
    Resolution, Signing, StaffNotice, StatusChange, StoredEvent,
};

named_enum!(
    /// What a code of the service catalog names: a symptom the caller reports, or a fault
    /// cause the engineer finds.
    CodeKind {
        Symptom => "symptom",
        Cause => "cause",
    }
);

named_enum!(
    /// What the customer asks for (R-REQ-4).
    RequestKind {
        /// 维修
        Repair => "repair",
        /// 安装调试
        Installation => "installation",
        /// 保养
        Maintenance => "maintenance",
        /// 巡检
        Inspection => "inspection",
        /// 咨询
        Consultation => "consultation",
        /// 退换货
        ReturnExchange => "return_exchange",
        /// 投诉
        Complaint => "complaint",
    }
);

named_enum!(
    /// How the request came in (R-REQ-1).
    Channel {
        /// 热线电话
        Phone => "phone",
        Fax => "fax",
        Email => "email",
        /// 客户门户
        Portal => "portal",
        /// 现场报修
        Onsite => "onsite",
        /// 经销商/服务商转来
        Partner => "partner",
        Api => "api",
        /// 监控中心的设备报警
        Alarm => "alarm",
    }
);

impl Channel {
    /// The channels an agent records at the desk, in the order of [`Channel::ALL`]; the
    /// portal, the API and alarms file their requests by themselves.
    pub const AGENT_RECORDED: &'static [Channel] = &[
        Channel::Phone,
        Channel::Fax,
        Channel::Email,
        Channel::Onsite,
        Channel::Partner,
    ];

    /// The channel's name in a message (notifications are worded by the app, not the pages).
    pub fn label(self, locale: crate::Locale) -> &'static str {
        let (zh, en) = match self {
            Channel::Phone => ("电话", "phone"),
            Channel::Fax => ("传真", "fax"),
            Channel::Email => ("邮件", "e-mail"),
            Channel::Portal => ("客户门户", "customer portal"),
            Channel::Onsite => ("现场", "on site"),
            Channel::Partner => ("服务商转来", "from a partner"),
            Channel::Api => ("接口", "API"),
            Channel::Alarm => ("设备报警", "device alarm"),
        };
        match locale {
            crate::Locale::ZhCn => zh,
            crate::Locale::En => en,
        }
    }
}

named_enum!(
    /// How urgent the request is; the SLA rules use it.
    Priority {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

named_enum!(
    /// Where a request stands. One owner carries it from `open` to `closed` (R-REQ-3).
    RequestStatus {
        /// 新建: taken, not yet triaged.
        Open => "open",
        /// 处理中: being solved remotely or on site.
        InProgress => "in_progress",
        /// 已解决: the work is done; a follow-up closes it.
        Resolved => "resolved",
        /// 已关闭
        Closed => "closed",
        /// 已取消 (with a reason)
        Cancelled => "cancelled",
    }
);

named_enum!(
    /// How a request is handled (R-REQ-5): remote help first, a visit when that fails.
    Triage {
        /// 电话指导/远程诊断
        Remote => "remote",
        /// 上门服务
        Onsite => "onsite",
    }
);

named_enum!(
    /// The state of a work order (R-DSP-1..6). `waiting` holds a typed reason; the SLA issue
    /// pauses clocks on it.
    WoStatus {
        /// 待派工: created, no engineer yet (or given back).
        Pending => "pending",
        /// 已派工
        Dispatched => "dispatched",
        /// 已接单
        Accepted => "accepted",
        /// 已预约
        Scheduled => "scheduled",
        /// 在途
        EnRoute => "en_route",
        /// 已到达
        Arrived => "arrived",
        /// 维修中
        InService => "in_service",
        /// 待配件/待客户确认/待报价付款
        Waiting => "waiting",
        /// 已完成
        Completed => "completed",
        /// 已取消
        Cancelled => "cancelled",
    }
);

named_enum!(
    /// Why a work order waits.
    WaitReason {
        /// 待客户 (not at home, to confirm, to decide)
        Customer => "customer",
        /// 待配件
        Parts => "parts",
        /// 待报价确认/付款
        QuotePayment => "quote_payment",
    }
);

named_enum!(
    /// How a visit ended.
    Outcome {
        /// 已修复
        Fixed => "fixed",
        /// 拉修: the unit goes to the depot (R-DSP-5).
        Depot => "depot",
        /// 未修复 (a further visit is needed)
        NotFixed => "not_fixed",
    }
);

impl WoStatus {
    /// No further change but through a new work order.
    pub fn is_terminal(self) -> bool {
        matches!(self, WoStatus::Completed | WoStatus::Cancelled)
    }

    /// An engineer holds the order (it counts in their load).
    pub fn is_assigned(self) -> bool {
        !matches!(
            self,
            WoStatus::Pending | WoStatus::Completed | WoStatus::Cancelled
        )
    }
}

impl WoStatus {
    /// Whether `action` is a step this state allows (the state machine, [`wo_transition`]).
    pub fn allows(self, action: WoAction) -> bool {
        wo_transition(self, action, None).is_ok()
    }

    /// At the customer's site: arrived, in service, or waiting there (the service record
    /// is filled in now).
    pub fn is_on_site(self) -> bool {
        matches!(
            self,
            WoStatus::Arrived | WoStatus::InService | WoStatus::Waiting
        )
    }
}

impl RequestStatus {
    /// Open or in progress: work goes on.
    pub fn is_active(self) -> bool {
        matches!(self, RequestStatus::Open | RequestStatus::InProgress)
    }

    /// Closed or cancelled: nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, RequestStatus::Closed | RequestStatus::Cancelled)
    }

    /// Resolved or closed: the work is done (it may be reopened within the window).
    pub fn is_done(self) -> bool {
        matches!(self, RequestStatus::Resolved | RequestStatus::Closed)
    }
}

/// What the engineer's phone offers first for an order (the one big button).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// A step of the state machine, taken with one tap.
    Act(WoAction),
    /// Fill in the service record (on site, before signing).
    FillRecord,
    /// The record is signed: complete the visit.
    Complete,
}

/// The next step of an order in `status`; `record_locked`: its service record is signed
/// (or signing was declined). `None` when the engineer has nothing to do next (pending,
/// finished).
pub fn next_step(status: WoStatus, record_locked: bool) -> Option<NextStep> {
    use WoStatus as S;
    Some(match status {
        S::Dispatched => NextStep::Act(WoAction::Accept),
        S::Accepted | S::Scheduled => NextStep::Act(WoAction::Depart),
        S::EnRoute => NextStep::Act(WoAction::Arrive),
        S::Arrived => NextStep::Act(WoAction::Start),
        S::InService if record_locked => NextStep::Complete,
        S::InService => NextStep::FillRecord,
        S::Waiting => NextStep::Act(WoAction::Resume),
        S::Pending | S::Completed | S::Cancelled => return None,
    })
}

/// What someone does to a work order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WoAction {
    /// The dispatcher gives it to an engineer (again, when reassigning).
    Dispatch,
    /// The engineer takes it.
    Accept,
    /// The engineer gives it back with a reason: it returns to the dispatcher.
    Decline,
    /// An appointment window is agreed with the customer (first time, or changed).
    Schedule,
    /// 出发
    Depart,
    /// 到达
    Arrive,
    /// 开始维修
    Start,
    /// Waits, with a reason.
    Wait,
    /// Waiting ends; back to where it was.
    Resume,
    /// 完成 (the service record is filled in)
    Complete,
    Cancel,
}

impl WoAction {
    pub fn as_str(self) -> &'static str {
        match self {
            WoAction::Dispatch => "dispatch",
            WoAction::Accept => "accept",
            WoAction::Decline => "decline",
            WoAction::Schedule => "schedule",
            WoAction::Depart => "depart",
            WoAction::Arrive => "arrive",
            WoAction::Start => "start",
            WoAction::Wait => "wait",
            WoAction::Resume => "resume",
            WoAction::Complete => "complete",
            WoAction::Cancel => "cancel",
        }
    }

    pub const ALL: [WoAction; 11] = [
        WoAction::Dispatch,
        WoAction::Accept,
        WoAction::Decline,
        WoAction::Schedule,
        WoAction::Depart,
        WoAction::Arrive,
        WoAction::Start,
        WoAction::Wait,
        WoAction::Resume,
        WoAction::Complete,
        WoAction::Cancel,
    ];

    pub fn parse(s: &str) -> Option<WoAction> {
        WoAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A refused change: the action is not possible in this state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: WoStatus,
    pub action: WoAction,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} a work order that is {}",
            self.action.as_str(),
            self.from
        )
    }
}

/// The work order's state machine. `resume_to` is where a waiting order returns to (the
/// state it waited in); it is ignored for other states. Returns the new state.
pub fn wo_transition(
    from: WoStatus,
    action: WoAction,
    resume_to: Option<WoStatus>,
) -> Result<WoStatus, IllegalTransition> {
    use WoAction as A;
    use WoStatus as S;
    let illegal = Err(IllegalTransition { from, action });
    let to = match (from, action) {
        (S::Completed | S::Cancelled, _) => return illegal,
        // The dispatcher may (re)assign until the engineer is on the way.
        (S::Pending | S::Dispatched | S::Accepted | S::Scheduled, A::Dispatch) => S::Dispatched,
        (S::Dispatched, A::Accept) => S::Accepted,
        // R-DSP-2: the engineer who cannot keep the time gives the job back.
        (S::Dispatched | S::Accepted | S::Scheduled, A::Decline) => S::Pending,
        (S::Accepted | S::Scheduled, A::Schedule) => S::Scheduled,
        // A customer reached while waiting agrees a new time.
        (S::Waiting, A::Schedule) => S::Scheduled,
        // An urgent call may leave without a formal appointment.
        (S::Accepted | S::Scheduled, A::Depart) => S::EnRoute,
        (S::EnRoute, A::Arrive) => S::Arrived,
        (S::Arrived, A::Start) => S::InService,
        (S::Accepted | S::Scheduled | S::EnRoute | S::Arrived | S::InService, A::Wait) => {
            S::Waiting
        }
        (S::Waiting, A::Resume) => match resume_to {
            Some(r) if !matches!(r, S::Waiting | S::Completed | S::Cancelled | S::Pending) => r,
            _ => S::Accepted,
        },
        (S::Arrived | S::InService, A::Complete) => S::Completed,
        (_, A::Cancel) => S::Cancelled,
        _ => return illegal,
    };
    Ok(to)
}

/// The actions possible from a state, in the order an engineer meets them (for the UI's
/// "next step" button and menu).
pub fn wo_actions(from: WoStatus) -> Vec<WoAction> {
    WoAction::ALL
        .into_iter()
        .filter(|a| wo_transition(from, *a, None).is_ok())
        .collect()
}

/// What happens to a request, beyond its work orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestAction {
    /// Remote help (phone guidance or a remote session) is tried.
    TriageRemote,
    /// A visit is needed: a work order is created.
    TriageOnsite,
    /// The work is done (remote help solved it, or every visit is finished).
    Resolve,
    Close,
    Cancel,
}

/// The request's status after `action`. A request is reopened as a new, linked request, so
/// `closed` and `cancelled` are final.
pub fn request_transition(from: RequestStatus, action: RequestAction) -> Option<RequestStatus> {
    use RequestAction as A;
    use RequestStatus as S;
    match (from, action) {
        (S::Open | S::InProgress, A::TriageRemote | A::TriageOnsite) => Some(S::InProgress),
        (S::Open | S::InProgress, A::Resolve) => Some(S::Resolved),
        (S::Resolved, A::Close) => Some(S::Closed),
        (S::Open | S::InProgress | S::Resolved, A::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

/// May a request resolved (or closed) on `resolved_on` still be reopened on `today`, with
/// a window of `window_days`? The last day counts (resolved on the 1st, window 30: the 31st
/// is the last day).
pub fn may_reopen(
    resolved_on: jiff::civil::Date,
    today: jiff::civil::Date,
    window_days: i64,
) -> bool {
    match resolved_on.checked_add(jiff::Span::new().days(window_days)) {
        Ok(last) => today >= resolved_on && today <= last,
        Err(_) => false,
    }
}

/// A document number people read out: prefix, local date and a 4-digit daily sequence
/// (`SR202611300001`); past 9,999 in a day the sequence simply grows.
pub fn document_number(prefix: &str, day: jiff::civil::Date, seq: i64) -> String {
    format!("{prefix}{}{seq:04}", day.strftime("%Y%m%d"))
}

/// How long an unfinished request has been waiting, in the bands a manager reads the
/// backlog by (the home page's "backlog by age").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    /// Under a day.
    UnderDay,
    /// One to three days.
    Days1To3,
    /// Three to seven days.
    Days3To7,
    /// A week or more.
    OverWeek,
}

impl AgeBand {
    pub const ALL: [AgeBand; 4] = [
        AgeBand::UnderDay,
        AgeBand::Days1To3,
        AgeBand::Days3To7,
        AgeBand::OverWeek,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::UnderDay => "under_day",
            AgeBand::Days1To3 => "days_1_3",
            AgeBand::Days3To7 => "days_3_7",
            AgeBand::OverWeek => "over_week",
        }
    }

    /// The band of a request filed at `created` (elapsed time, not working time).
    pub fn of(created: jiff::Timestamp, now: jiff::Timestamp) -> AgeBand {
        let hours = now.duration_since(created).as_secs() / 3600;
        match hours {
            h if h < 24 => AgeBand::UnderDay,
            h if h < 72 => AgeBand::Days1To3,
            h if h < 168 => AgeBand::Days3To7,
            _ => AgeBand::OverWeek,
        }
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far ahead a customer may ask for a visit (decision, issue 13: half a year covers an
/// installation booked before a move; anything later is a typing slip).
pub const MAX_PREFERRED_DAYS_AHEAD: i64 = 180;

/// Whether the visit window a customer asks for at intake may be taken at `now`: it lies
/// ahead (a start before the current minute is `in_past`), not more than
/// [`MAX_PREFERRED_DAYS_AHEAD`] days ahead (`too_far_ahead`, with `max`), and its end is
/// after its start (`before_start`). Every problem is reported, each beside its field.
pub fn check_preferred_window(
    from: Option<jiff::Timestamp>,
    to: Option<jiff::Timestamp>,
    now: jiff::Timestamp,
) -> Result<(), crate::FieldErrors> {
    let mut errs = crate::FieldErrors::new();
    let minute = now.as_second() - now.as_second().rem_euclid(60);
    let latest = now.as_second() + MAX_PREFERRED_DAYS_AHEAD * 86_400;
    for (field, at) in [("preferred_from", from), ("preferred_to", to)] {
        let Some(at) = at else { continue };
        if at.as_second() < minute {
            errs.push(crate::FieldError::new(field, "in_past"));
        } else if at.as_second() > latest {
            errs.push(
                crate::FieldError::new(field, "too_far_ahead")
                    .with("max", MAX_PREFERRED_DAYS_AHEAD),
            );
        }
    }
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
        && !errs.0.iter().any(|e| e.field == "preferred_to")
    {
        errs.push(crate::FieldError::new("preferred_to", "before_start"));
    }
    errs.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_preferred_window_lies_ahead_within_half_a_year() {
        let t = |s: &str| s.parse::<jiff::Timestamp>().expect("instant");
        let now = t("2026-12-07T10:00:30Z");
        let codes = |r: Result<(), crate::FieldErrors>| -> Vec<(String, &'static str)> {
            r.err()
                .map(|e| e.0.into_iter().map(|f| (f.field, f.code)).collect())
                .unwrap_or_default()
        };
        // Ahead, or from the current minute on: taken.
        assert!(check_preferred_window(Some(t("2026-12-07T10:00:00Z")), None, now).is_ok());
        assert!(
            check_preferred_window(
                Some(t("2026-12-08T01:00:00Z")),
                Some(t("2026-12-08T03:00:00Z")),
                now
            )
            .is_ok()
        );
        assert!(check_preferred_window(None, None, now).is_ok());
        // A minute before the current one, or 2020: in the past, each field beside itself.
        assert_eq!(
            codes(check_preferred_window(
                Some(t("2026-12-07T09:59:00Z")),
                Some(t("2020-01-01T00:00:00Z")),
                now
            )),
            vec![
                ("preferred_from".to_owned(), "in_past"),
                ("preferred_to".to_owned(), "in_past")
            ]
        );
        // Day 180 is the last one offered; a second later is too far ahead.
        let last = jiff::Timestamp::from_second(now.as_second() + 180 * 86_400).expect("t");
        assert!(check_preferred_window(Some(last), None, now).is_ok());
        let beyond = jiff::Timestamp::from_second(last.as_second() + 1).expect("t");
        let e = check_preferred_window(Some(beyond), None, now).expect_err("too far");
        assert_eq!(e.0[0].code, "too_far_ahead");
        assert_eq!(e.0[0].field, "preferred_from");
        // An end before the start is named too.
        assert_eq!(
            codes(check_preferred_window(
                Some(t("2026-12-08T03:00:00Z")),
                Some(t("2026-12-08T01:00:00Z")),
                now
            )),
            vec![("preferred_to".to_owned(), "before_start")]
        );
    }

    const STATES: &[WoStatus] = WoStatus::ALL;

    #[test]
    fn names_round_trip() {
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse(k.as_str()), Some(*k));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
        }
        for s in STATES {
            assert_eq!(WoStatus::parse(s.as_str()), Some(*s));
        }
        for a in WoAction::ALL {
            assert_eq!(WoAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(RequestKind::parse("bogus"), None);
    }

    #[test]
    fn an_agent_records_every_channel_but_those_that_file_by_themselves() {
        let by_themselves = [Channel::Portal, Channel::Api, Channel::Alarm];
        for c in Channel::ALL {
            assert_eq!(
                Channel::AGENT_RECORDED.contains(c),
                !by_themselves.contains(c),
                "{c}"
            );
        }
        let in_order: Vec<Channel> = Channel::ALL
            .iter()
            .copied()
            .filter(|c| Channel::AGENT_RECORDED.contains(c))
            .collect();
        assert_eq!(Channel::AGENT_RECORDED, in_order.as_slice());
    }

    #[test]
    fn the_main_road_of_a_visit() {
        use WoAction as A;
        use WoStatus as S;
        let mut s = S::Pending;
        for (a, want) in [
            (A::Dispatch, S::Dispatched),
            (A::Accept, S::Accepted),
            (A::Schedule, S::Scheduled),
            (A::Schedule, S::Scheduled),
            (A::Depart, S::EnRoute),
            (A::Arrive, S::Arrived),
            (A::Start, S::InService),
            (A::Complete, S::Completed),
        ] {
            s = wo_transition(s, a, None).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s, want, "{a:?}");
        }
    }

    #[test]
    fn a_decline_returns_the_work_to_the_dispatcher() {
        for from in [
            WoStatus::Dispatched,
            WoStatus::Accepted,
            WoStatus::Scheduled,
        ] {
            assert_eq!(
                wo_transition(from, WoAction::Decline, None),
                Ok(WoStatus::Pending)
            );
        }
        // Once on the way, the engineer cannot decline: the center reassigns (cancel or wait).
        assert!(wo_transition(WoStatus::EnRoute, WoAction::Decline, None).is_err());
    }

    #[test]
    fn waiting_resumes_where_it_was_and_never_into_a_final_state() {
        use WoStatus as S;
        for from in [
            S::Accepted,
            S::Scheduled,
            S::EnRoute,
            S::Arrived,
            S::InService,
        ] {
            assert_eq!(wo_transition(from, WoAction::Wait, None), Ok(S::Waiting));
            assert_eq!(
                wo_transition(S::Waiting, WoAction::Resume, Some(from)),
                Ok(from)
            );
        }
        for bad in [S::Completed, S::Cancelled, S::Pending, S::Waiting] {
            assert_eq!(
                wo_transition(S::Waiting, WoAction::Resume, Some(bad)),
                Ok(S::Accepted)
            );
        }
        assert_eq!(
            wo_transition(S::Waiting, WoAction::Schedule, None),
            Ok(S::Scheduled)
        );
        assert!(wo_transition(S::Waiting, WoAction::Complete, None).is_err());
    }

    #[test]
    fn illegal_steps_are_refused() {
        use WoAction as A;
        use WoStatus as S;
        for (from, a) in [
            (S::Pending, A::Accept),
            (S::Pending, A::Arrive),
            (S::Dispatched, A::Depart),
            (S::Scheduled, A::Arrive),
            (S::EnRoute, A::Complete),
            (S::EnRoute, A::Dispatch),
            (S::Arrived, A::Accept),
            (S::InService, A::Resume),
        ] {
            assert_eq!(
                wo_transition(from, a, None),
                Err(IllegalTransition { from, action: a }),
                "{from} {a:?}"
            );
        }
    }

    #[test]
    fn the_next_steps_of_each_state() {
        use WoAction as A;
        use WoStatus as S;
        assert_eq!(wo_actions(S::Pending), vec![A::Dispatch, A::Cancel]);
        assert_eq!(
            wo_actions(S::Dispatched),
            vec![A::Dispatch, A::Accept, A::Decline, A::Cancel]
        );
        assert_eq!(
            wo_actions(S::Arrived),
            vec![A::Start, A::Wait, A::Complete, A::Cancel]
        );
        assert!(wo_actions(S::Completed).is_empty());
    }

    #[test]
    fn the_next_step_is_a_step_the_state_allows() {
        for s in WoStatus::ALL {
            for locked in [false, true] {
                match next_step(*s, locked) {
                    Some(NextStep::Act(a)) => assert!(wo_actions(*s).contains(&a), "{s} {a:?}"),
                    Some(NextStep::Complete) => {
                        assert!(locked && wo_actions(*s).contains(&WoAction::Complete))
                    }
                    Some(NextStep::FillRecord) => assert!(!locked && s.is_on_site()),
                    None => assert!(!s.is_assigned(), "{s}"),
                }
            }
        }
        assert_eq!(
            next_step(WoStatus::Arrived, false),
            Some(NextStep::Act(WoAction::Start))
        );
    }

    #[test]
    fn request_statuses() {
        use RequestAction as A;
        use RequestStatus as S;
        assert_eq!(
            request_transition(S::Open, A::TriageRemote),
            Some(S::InProgress)
        );
        assert_eq!(
            request_transition(S::InProgress, A::Resolve),
            Some(S::Resolved)
        );
        assert_eq!(request_transition(S::Resolved, A::Close), Some(S::Closed));
        assert_eq!(request_transition(S::Open, A::Close), None);
        assert_eq!(request_transition(S::Closed, A::Cancel), None);
        assert_eq!(request_transition(S::Cancelled, A::Resolve), None);
    }

    #[test]
    fn reopening_is_possible_until_the_last_day_of_the_window() {
        let d = |s: &str| s.parse::<jiff::civil::Date>().expect("date");
        assert!(may_reopen(d("2026-11-01"), d("2026-11-01"), 30));
        assert!(may_reopen(d("2026-11-01"), d("2026-12-01"), 30));
        assert!(!may_reopen(d("2026-11-01"), d("2026-12-02"), 30));
        assert!(!may_reopen(d("2026-11-01"), d("2026-10-31"), 30));
        assert!(!may_reopen(d("2026-11-01"), d("2026-11-02"), 0));
    }

    #[test]
    fn document_numbers() {
        let day = "2026-11-30".parse().expect("date");
        assert_eq!(document_number("SR", day, 1), "SR202611300001");
        assert_eq!(document_number("WO", day, 12345), "WO2026113012345");
    }

    fn action() -> impl Strategy<Value = WoAction> {
        prop::sample::select(WoAction::ALL.to_vec())
    }

    proptest! {
        /// Whatever happens, a finished order stays finished, and every order can always
        /// be cancelled until it is.
        #[test]
        fn terminal_states_are_final_and_cancel_is_always_open(actions in prop::collection::vec(action(), 0..40)) {
            let mut s = WoStatus::Pending;
            let mut resume = None;
            for a in actions {
                if s.is_terminal() {
                    prop_assert!(wo_transition(s, a, resume).is_err());
                    continue;
                }
                prop_assert_eq!(wo_transition(s, WoAction::Cancel, resume), Ok(WoStatus::Cancelled));
                if let Ok(next) = wo_transition(s, a, resume) {
                    if next == WoStatus::Waiting { resume = Some(s); }
                    s = next;
                }
            }
        }

        /// Completion is reached only from the site (arrived or in service).
        #[test]
        fn completion_only_from_the_site(actions in prop::collection::vec(action(), 0..40)) {
            let mut s = WoStatus::Pending;
            let mut resume = None;
            for a in actions {
                if let Ok(next) = wo_transition(s, a, resume) {
                    if next == WoStatus::Completed {
                        prop_assert!(matches!(s, WoStatus::Arrived | WoStatus::InService));
                    }
                    if next == WoStatus::Waiting { resume = Some(s); }
                    s = next;
                }
            }
        }
    }

    #[test]
    fn backlog_age_bands_split_at_one_three_and_seven_days() {
        let now: jiff::Timestamp = "2026-12-07T12:00:00Z".parse().expect("instant");
        let ago = |h: i64| now - jiff::SignedDuration::from_hours(h);
        assert_eq!(AgeBand::of(ago(0), now), AgeBand::UnderDay);
        assert_eq!(AgeBand::of(ago(23), now), AgeBand::UnderDay);
        assert_eq!(AgeBand::of(ago(24), now), AgeBand::Days1To3);
        assert_eq!(AgeBand::of(ago(71), now), AgeBand::Days1To3);
        assert_eq!(AgeBand::of(ago(72), now), AgeBand::Days3To7);
        assert_eq!(AgeBand::of(ago(167), now), AgeBand::Days3To7);
        assert_eq!(AgeBand::of(ago(168), now), AgeBand::OverWeek);
        // A clock set back (created "in the future") is the youngest band.
        assert_eq!(AgeBand::of(ago(-5), now), AgeBand::UnderDay);
    }
}
