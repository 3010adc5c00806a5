//! The request event log (docs/service-flow.md): every change of a service request or one
//! of its work orders is one [`RequestEvent`], a closed set of kinds ([`EventKind`]) with
//! typed payloads. A payload holds facts only — ids, statuses and reasons as enums,
//! instants, numbers and the text a person typed — never a label in some language: the
//! readers (timeline, portal, notifications) put words to them from the catalogs.
//!
//! The stored form is four columns: `kind` (text, a CHECK in both schemas), `from_status`
//! and `to_status` (the status change, when the event is one) and `data` (the payload as
//! JSON, without the statuses). [`RequestEvent::to_stored`] and [`RequestEvent::from_stored`]
//! are the one translation between the two; the serialization tests below are the only
//! place kinds are spelled as strings outside the enum.

use super::{
    Channel, Outcome, Priority, RequestKind, RequestStatus, WaitReason, WoAction, WoStatus,
};
use crate::ids::{EventId, OrgUnitId, RequestId, UserId, WorkOrderId};
use crate::sla::Milestone;
use crate::warranty::WarrantyClass;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

named_enum!(
    /// The kinds of events a request's log holds (the `kind` column).
    EventKind {
        /// 新建: filed (or filed as the reopening of another request).
        Created => "created",
        OwnerChanged => "owner_changed",
        PriorityChanged => "priority_changed",
        TriagedRemote => "triaged_remote",
        TriagedOnsite => "triaged_onsite",
        RemoteSolved => "remote_solved",
        RemoteFailed => "remote_failed",
        WorkOrderCreated => "work_order_created",
        Resolved => "resolved",
        Closed => "closed",
        WorkOrderCancelled => "work_order_cancelled",
        Cancelled => "cancelled",
        /// The request was reopened as a new, linked request.
        Reopened => "reopened",
        /// The clerk's call-back after a completed visit (R-DSP-8).
        Callback => "callback",
        AlarmReceived => "alarm_received",
        AlarmMerged => "alarm_merged",
        Dispatched => "dispatched",
        Reassigned => "reassigned",
        Accepted => "accepted",
        Declined => "declined",
        Scheduled => "scheduled",
        Rescheduled => "rescheduled",
        EnRoute => "en_route",
        Arrived => "arrived",
        InService => "in_service",
        Waiting => "waiting",
        Resumed => "resumed",
        RecordSaved => "record_saved",
        PhotoAdded => "photo_added",
        RecordSigned => "record_signed",
        SignatureDeclined => "signature_declined",
        Completed => "completed",
        FollowUpDue => "follow_up_due",
        TakenToDepot => "taken_to_depot",
        Addendum => "addendum",
        SlaWarning => "sla_warning",
        SlaBreached => "sla_breached",
        SlaEscalated => "sla_escalated",
        SlaAcknowledged => "sla_acknowledged",
        EmergencyPlanOpened => "emergency_plan_opened",
        LoanerProposed => "loaner_proposed",
    }
);

named_enum!(
    /// The outcome of the clerk's call-back (R-DSP-8).
    CallbackOutcome {
        /// The customer confirms the visit as reported.
        Confirmed => "confirmed",
        /// What the customer says differs from the report.
        Discrepancy => "discrepancy",
        Unreachable => "unreachable",
    }
);

named_enum!(
    /// Why a follow-up is due after a visit.
    FollowUpReason {
        /// The engineer did not run the unit after the repair.
        NoTestRun => "no_test_run",
    }
);

impl EventKind {
    /// The steps of the SLA escalation ladder (R-SLA-4): written by the ladder itself, they
    /// do not arm another check of the clocks.
    pub fn is_sla_ladder(self) -> bool {
        use EventKind as K;
        matches!(
            self,
            K::SlaWarning
                | K::SlaBreached
                | K::SlaEscalated
                | K::SlaAcknowledged
                | K::EmergencyPlanOpened
                | K::LoanerProposed
        )
    }

    /// What a customer sees of an event of this kind (the portal's timeline, see
    /// `app::service::portal`): `None` when they do not see it at all, else the payload
    /// fields kept (never internal notes, ids or who inside the network acted).
    pub fn customer_fields(self) -> Option<&'static [&'static str]> {
        use EventKind as K;
        Some(match self {
            K::Created => &["number", "channel", "kind", "reopens"],
            K::Dispatched | K::Reassigned => &["engineer_name"],
            K::Scheduled | K::Rescheduled => &[
                "starts_at",
                "ends_at",
                "previous_start",
                "previous_end",
                "reason",
                "customer_agreed",
            ],
            K::Waiting => &["wait_reason"],
            K::Completed => &["outcome"],
            K::Cancelled | K::WorkOrderCancelled => &["reason"],
            K::Reopened => &["as"],
            K::WorkOrderCreated => &["number"],
            K::AlarmReceived | K::AlarmMerged => &["code", "occurred_at"],
            K::TriagedRemote
            | K::TriagedOnsite
            | K::RemoteSolved
            | K::RemoteFailed
            | K::EnRoute
            | K::Arrived
            | K::InService
            | K::Resumed
            | K::TakenToDepot
            | K::Resolved
            | K::Closed => &[],
            K::OwnerChanged
            | K::PriorityChanged
            | K::Callback
            | K::Accepted
            | K::Declined
            | K::RecordSaved
            | K::PhotoAdded
            | K::RecordSigned
            | K::SignatureDeclined
            | K::FollowUpDue
            | K::Addendum
            | K::SlaWarning
            | K::SlaBreached
            | K::SlaEscalated
            | K::SlaAcknowledged
            | K::EmergencyPlanOpened
            | K::LoanerProposed => return None,
        })
    }
}

/// How a request came to be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Creation {
    /// Filed again within the reopening window: `reopens` is the earlier request's number.
    Reopen {
        number: String,
        reopens: String,
        #[serde(default)]
        note: Option<String>,
    },
    /// Taken at the desk, the portal, the API or from an alarm.
    Intake {
        number: String,
        channel: Channel,
        kind: RequestKind,
        priority: Priority,
        warranty_class: Option<WarrantyClass>,
        owner_id: UserId,
        org_unit_id: Option<OrgUnitId>,
        /// Numbers of the unit's other open requests the agent was warned of.
        #[serde(default)]
        open_requests_for_unit: Vec<String>,
    },
}

/// How a request came to be resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Resolution {
    /// Its last open work order was completed, the unit fixed.
    ByWorkOrder { by_work_order: String },
    /// By hand (solved another way), with the note.
    ByHand { note: Option<String> },
}

/// A change of a request or one of its work orders, with what the log keeps of it.
///
/// Statuses are named `from_status` / `to_status` because that is where they are stored
/// (their own columns); a status the kind implies (e.g. `arrived`) is not a field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum RequestEvent {
    Created(Creation),
    OwnerChanged {
        from: UserId,
        to: UserId,
        /// The new owner's name then.
        to_name: String,
        note: Option<String>,
    },
    PriorityChanged {
        from: Priority,
        to: Priority,
        note: Option<String>,
    },
    TriagedRemote {
        from_status: RequestStatus,
        note: Option<String>,
        #[serde(default, with = "opt_instant")]
        follow_up_due_at: Option<Timestamp>,
    },
    TriagedOnsite {
        from_status: RequestStatus,
        note: Option<String>,
    },
    RemoteSolved {
        from_status: RequestStatus,
        note: Option<String>,
    },
    RemoteFailed {
        note: Option<String>,
    },
    WorkOrderCreated {
        number: String,
        org_unit_id: Option<OrgUnitId>,
        note: Option<String>,
    },
    Resolved {
        from_status: RequestStatus,
        #[serde(flatten)]
        how: Resolution,
    },
    Closed {
        from_status: RequestStatus,
        note: Option<String>,
    },
    WorkOrderCancelled {
        from_status: WoStatus,
        reason: String,
    },
    Cancelled {
        from_status: RequestStatus,
        reason: String,
    },
    Reopened {
        /// The new request's number.
        #[serde(rename = "as")]
        as_number: String,
        note: Option<String>,
    },
    Callback {
        outcome: CallbackOutcome,
        notes: Option<String>,
    },
    AlarmReceived(AlarmFacts),
    AlarmMerged(AlarmFacts),
    Dispatched(Assignment),
    Reassigned(Assignment),
    Accepted {
        from_status: WoStatus,
    },
    Declined {
        from_status: WoStatus,
        reason: String,
    },
    Scheduled(Appointment),
    Rescheduled(Appointment),
    EnRoute(FieldStep),
    Arrived(FieldStep),
    InService(FieldStep),
    Waiting {
        from_status: WoStatus,
        wait_reason: WaitReason,
        /// What the engineer typed.
        reason: Option<String>,
    },
    Resumed {
        from_status: WoStatus,
        to_status: WoStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    RecordSaved {
        record_version: i64,
        /// How many parts the record lists.
        parts: i64,
    },
    PhotoAdded {
        photo_id: String,
        size: i64,
        sha256: String,
    },
    RecordSigned(Signing),
    SignatureDeclined(Signing),
    Completed {
        from_status: WoStatus,
        outcome: Outcome,
        loaner_left: bool,
        test_run_done: Option<bool>,
    },
    FollowUpDue {
        #[serde(default, with = "opt_instant")]
        due_at: Option<Timestamp>,
        why: FollowUpReason,
    },
    TakenToDepot {
        loaner_left: bool,
    },
    Addendum {
        body: String,
    },
    SlaWarning {
        milestone: Milestone,
        #[serde(with = "instant")]
        due_at: Timestamp,
        #[serde(with = "instant")]
        warn_at: Timestamp,
    },
    SlaBreached(LadderStep),
    SlaEscalated(LadderStep),
    SlaAcknowledged {
        milestone: Milestone,
        #[serde(default, with = "opt_instant")]
        due_at: Option<Timestamp>,
        note: Option<String>,
    },
    EmergencyPlanOpened(MilestoneDue),
    LoanerProposed(MilestoneDue),
}

/// A device alarm from the monitoring center, as received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlarmFacts {
    pub source: String,
    pub alarm_id: String,
    pub code: Option<String>,
    pub message: Option<String>,
    #[serde(default, with = "opt_instant")]
    pub occurred_at: Option<Timestamp>,
}

/// A work order given to an engineer (first time or again).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub from_status: WoStatus,
    pub engineer_id: UserId,
    /// The engineer's name then (the customer is told who comes to the door).
    pub engineer_name: String,
    pub from_engineer_id: Option<UserId>,
    pub org_unit_id: Option<OrgUnitId>,
    pub note: Option<String>,
}

impl Assignment {
    fn for_customer(self) -> Assignment {
        Assignment {
            from_engineer_id: None,
            org_unit_id: None,
            note: None,
            ..self
        }
    }
}

impl AlarmFacts {
    fn for_customer(self) -> AlarmFacts {
        AlarmFacts {
            source: String::new(),
            alarm_id: String::new(),
            message: None,
            ..self
        }
    }
}

impl FieldStep {
    fn for_customer(self) -> FieldStep {
        FieldStep { note: None, ..self }
    }
}

/// An appointment window agreed (first time) or moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Appointment {
    pub from_status: WoStatus,
    #[serde(with = "instant")]
    pub starts_at: Timestamp,
    #[serde(with = "instant")]
    pub ends_at: Timestamp,
    #[serde(default, with = "opt_instant")]
    pub previous_start: Option<Timestamp>,
    #[serde(default, with = "opt_instant")]
    pub previous_end: Option<Timestamp>,
    pub reason: Option<String>,
    pub customer_agreed: bool,
}

/// A step of the visit (depart, arrive, start) with the engineer's optional note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldStep {
    pub from_status: WoStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The service record signed, or signing declined with the reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signing {
    pub signer_name: Option<String>,
    pub reason: Option<String>,
    pub content_hash: Option<String>,
}

/// A step of the escalation ladder after a breach: step 1 tells the dispatcher, 2 the
/// station manager, 3 the service center head; `to` names who was told.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LadderStep {
    pub milestone: Milestone,
    #[serde(with = "instant")]
    pub due_at: Timestamp,
    pub step: i64,
    #[serde(default)]
    pub to: Vec<String>,
}

/// A milestone and its due time (the emergency plan after a missed resolution).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MilestoneDue {
    pub milestone: Milestone,
    #[serde(with = "instant")]
    pub due_at: Timestamp,
}

/// An entry of a request's log: the event, and who, when and where.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedEvent {
    pub id: EventId,
    pub request_id: RequestId,
    pub work_order_id: Option<WorkOrderId>,
    pub at: Timestamp,
    /// None for the system (jobs, the SLA ladder).
    pub actor_id: Option<UserId>,
    /// The actor's name then (`system:<job>` for the system).
    pub actor_name: String,
    pub event: RequestEvent,
    /// Where the engineer was (latitude, longitude), when the phone told.
    pub position: Option<(f64, f64)>,
}

impl LoggedEvent {
    /// What the SLA clocks read of the entry.
    pub fn log_event(&self) -> crate::sla::LogEvent {
        crate::sla::LogEvent {
            at: self.at,
            work_order: self.work_order_id,
            event: self.event.clone(),
            actor: self.actor_name.clone(),
        }
    }
}

/// The status change an event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusChange {
    Request {
        from: Option<RequestStatus>,
        to: RequestStatus,
    },
    WorkOrder {
        from: Option<WoStatus>,
        to: WoStatus,
    },
}

impl StatusChange {
    /// The stored `from_status`.
    pub fn from_text(self) -> Option<&'static str> {
        match self {
            StatusChange::Request { from, .. } => from.map(RequestStatus::as_str),
            StatusChange::WorkOrder { from, .. } => from.map(WoStatus::as_str),
        }
    }

    /// The stored `to_status`.
    pub fn to_text(self) -> &'static str {
        match self {
            StatusChange::Request { to, .. } => to.as_str(),
            StatusChange::WorkOrder { to, .. } => to.as_str(),
        }
    }
}

/// What the customer is told of an event, beside the portal's timeline (SMS and the
/// portal's bell). Decided here, from the event; the app words and sends it.
#[derive(Clone, Debug, PartialEq)]
pub enum CustomerNotice {
    /// The request was taken (or reopened).
    RequestReceived,
    /// An engineer is assigned (by name: they come to the door).
    EngineerAssigned { engineer_name: String },
    /// A visit window is agreed or moved.
    Appointment {
        starts_at: Timestamp,
        ends_at: Timestamp,
    },
    /// The engineer who set off (the one acting) is on the way.
    EngineerOnTheWay,
    /// The visit's work is done.
    WorkCompleted,
}

/// Which escalation-ladder entry an event is, for "was this step recorded already".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LadderMark {
    pub kind: EventKind,
    pub milestone: Milestone,
    /// The step (breach and escalation entries only).
    pub step: Option<i64>,
}

/// An event's columns as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub kind: EventKind,
    pub from_status: Option<&'static str>,
    pub to_status: Option<&'static str>,
    /// The payload as a JSON object (`None` when the event has none).
    pub data: Option<String>,
}

/// A stored event that does not read as one of the kinds with its payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventDecodeError {
    #[error("unknown event kind {0:?}")]
    UnknownKind(String),
    #[error("event {kind}: {message}")]
    Payload { kind: EventKind, message: String },
}

impl RequestEvent {
    pub fn kind(&self) -> EventKind {
        use EventKind as K;
        use RequestEvent as E;
        match self {
            E::Created(_) => K::Created,
            E::OwnerChanged { .. } => K::OwnerChanged,
            E::PriorityChanged { .. } => K::PriorityChanged,
            E::TriagedRemote { .. } => K::TriagedRemote,
            E::TriagedOnsite { .. } => K::TriagedOnsite,
            E::RemoteSolved { .. } => K::RemoteSolved,
            E::RemoteFailed { .. } => K::RemoteFailed,
            E::WorkOrderCreated { .. } => K::WorkOrderCreated,
            E::Resolved { .. } => K::Resolved,
            E::Closed { .. } => K::Closed,
            E::WorkOrderCancelled { .. } => K::WorkOrderCancelled,
            E::Cancelled { .. } => K::Cancelled,
            E::Reopened { .. } => K::Reopened,
            E::Callback { .. } => K::Callback,
            E::AlarmReceived(_) => K::AlarmReceived,
            E::AlarmMerged(_) => K::AlarmMerged,
            E::Dispatched(_) => K::Dispatched,
            E::Reassigned(_) => K::Reassigned,
            E::Accepted { .. } => K::Accepted,
            E::Declined { .. } => K::Declined,
            E::Scheduled(_) => K::Scheduled,
            E::Rescheduled(_) => K::Rescheduled,
            E::EnRoute(_) => K::EnRoute,
            E::Arrived(_) => K::Arrived,
            E::InService(_) => K::InService,
            E::Waiting { .. } => K::Waiting,
            E::Resumed { .. } => K::Resumed,
            E::RecordSaved { .. } => K::RecordSaved,
            E::PhotoAdded { .. } => K::PhotoAdded,
            E::RecordSigned(_) => K::RecordSigned,
            E::SignatureDeclined(_) => K::SignatureDeclined,
            E::Completed { .. } => K::Completed,
            E::FollowUpDue { .. } => K::FollowUpDue,
            E::TakenToDepot { .. } => K::TakenToDepot,
            E::Addendum { .. } => K::Addendum,
            E::SlaWarning { .. } => K::SlaWarning,
            E::SlaBreached(_) => K::SlaBreached,
            E::SlaEscalated(_) => K::SlaEscalated,
            E::SlaAcknowledged { .. } => K::SlaAcknowledged,
            E::EmergencyPlanOpened(_) => K::EmergencyPlanOpened,
            E::LoanerProposed(_) => K::LoanerProposed,
        }
    }

    /// The status change the event records, if it is one.
    pub fn status_change(&self) -> Option<StatusChange> {
        use RequestEvent as E;
        use RequestStatus as R;
        use WoStatus as W;
        let req = |from: &R, to: R| StatusChange::Request {
            from: Some(*from),
            to,
        };
        let wo = |from: &W, to: W| StatusChange::WorkOrder {
            from: Some(*from),
            to,
        };
        Some(match self {
            E::Created(_) => StatusChange::Request {
                from: None,
                to: R::Open,
            },
            E::TriagedRemote { from_status, .. } | E::TriagedOnsite { from_status, .. } => {
                req(from_status, R::InProgress)
            }
            E::RemoteSolved { from_status, .. } | E::Resolved { from_status, .. } => {
                req(from_status, R::Resolved)
            }
            E::Closed { from_status, .. } => req(from_status, R::Closed),
            E::Cancelled { from_status, .. } => req(from_status, R::Cancelled),
            E::WorkOrderCreated { .. } => StatusChange::WorkOrder {
                from: None,
                to: W::Pending,
            },
            E::Dispatched(a) | E::Reassigned(a) => wo(&a.from_status, W::Dispatched),
            E::Accepted { from_status } => wo(from_status, W::Accepted),
            E::Declined { from_status, .. } => wo(from_status, W::Pending),
            E::Scheduled(a) | E::Rescheduled(a) => wo(&a.from_status, W::Scheduled),
            E::EnRoute(s) => wo(&s.from_status, W::EnRoute),
            E::Arrived(s) => wo(&s.from_status, W::Arrived),
            E::InService(s) => wo(&s.from_status, W::InService),
            E::Waiting { from_status, .. } => wo(from_status, W::Waiting),
            E::Resumed {
                from_status,
                to_status,
                ..
            } => wo(from_status, *to_status),
            E::Completed { from_status, .. } => wo(from_status, W::Completed),
            E::WorkOrderCancelled { from_status, .. } => wo(from_status, W::Cancelled),
            E::OwnerChanged { .. }
            | E::PriorityChanged { .. }
            | E::RemoteFailed { .. }
            | E::Reopened { .. }
            | E::Callback { .. }
            | E::AlarmReceived(_)
            | E::AlarmMerged(_)
            | E::RecordSaved { .. }
            | E::PhotoAdded { .. }
            | E::RecordSigned(_)
            | E::SignatureDeclined(_)
            | E::FollowUpDue { .. }
            | E::TakenToDepot { .. }
            | E::Addendum { .. }
            | E::SlaWarning { .. }
            | E::SlaBreached(_)
            | E::SlaEscalated(_)
            | E::SlaAcknowledged { .. }
            | E::EmergencyPlanOpened(_)
            | E::LoanerProposed(_) => return None,
        })
    }

    /// The work order's status after the event, when it changes one.
    pub fn work_order_status(&self) -> Option<WoStatus> {
        match self.status_change()? {
            StatusChange::WorkOrder { to, .. } => Some(to),
            StatusChange::Request { .. } => None,
        }
    }

    /// The step of the state machine that wrote the event, for a work order's transitions.
    pub fn wo_action(&self) -> Option<WoAction> {
        use RequestEvent as E;
        Some(match self {
            E::Dispatched(_) | E::Reassigned(_) => WoAction::Dispatch,
            E::Accepted { .. } => WoAction::Accept,
            E::Declined { .. } => WoAction::Decline,
            E::Scheduled(_) | E::Rescheduled(_) => WoAction::Schedule,
            E::EnRoute(_) => WoAction::Depart,
            E::Arrived(_) => WoAction::Arrive,
            E::InService(_) => WoAction::Start,
            E::Waiting { .. } => WoAction::Wait,
            E::Resumed { .. } => WoAction::Resume,
            E::Completed { .. } => WoAction::Complete,
            E::WorkOrderCancelled { .. } => WoAction::Cancel,
            _ => return None,
        })
    }

    /// Whether a customer sees the event on their timeline.
    pub fn is_customer_visible(&self) -> bool {
        self.kind().customer_fields().is_some()
    }

    /// The event as a customer sees it on their timeline: `None` when they do not see it,
    /// else a copy without what stays inside the service network (notes, the engineer's
    /// typed reasons, internal ids, the alarm's text); what is left are the fields of
    /// [`EventKind::customer_fields`].
    pub fn for_customer(&self) -> Option<RequestEvent> {
        use RequestEvent as E;
        self.kind().customer_fields()?;
        Some(match self.clone() {
            E::Created(Creation::Reopen {
                number, reopens, ..
            }) => E::Created(Creation::Reopen {
                number,
                reopens,
                note: None,
            }),
            E::Created(c @ Creation::Intake { .. }) => E::Created(c),
            E::TriagedRemote { from_status, .. } => E::TriagedRemote {
                from_status,
                note: None,
                follow_up_due_at: None,
            },
            E::TriagedOnsite { from_status, .. } => E::TriagedOnsite {
                from_status,
                note: None,
            },
            E::RemoteSolved { from_status, .. } => E::RemoteSolved {
                from_status,
                note: None,
            },
            E::RemoteFailed { .. } => E::RemoteFailed { note: None },
            E::WorkOrderCreated { number, .. } => E::WorkOrderCreated {
                number,
                org_unit_id: None,
                note: None,
            },
            E::Dispatched(a) => E::Dispatched(a.for_customer()),
            E::Reassigned(a) => E::Reassigned(a.for_customer()),
            E::EnRoute(s) => E::EnRoute(s.for_customer()),
            E::Arrived(s) => E::Arrived(s.for_customer()),
            E::InService(s) => E::InService(s.for_customer()),
            E::Waiting {
                from_status,
                wait_reason,
                ..
            } => E::Waiting {
                from_status,
                wait_reason,
                reason: None,
            },
            E::Resumed {
                from_status,
                to_status,
                ..
            } => E::Resumed {
                from_status,
                to_status,
                note: None,
            },
            E::Resolved { from_status, .. } => E::Resolved {
                from_status,
                how: Resolution::ByHand { note: None },
            },
            E::Closed { from_status, .. } => E::Closed {
                from_status,
                note: None,
            },
            E::Reopened { as_number, .. } => E::Reopened {
                as_number,
                note: None,
            },
            E::AlarmReceived(a) => E::AlarmReceived(a.for_customer()),
            E::AlarmMerged(a) => E::AlarmMerged(a.for_customer()),
            // Shown as they are (their fields are all the customer's).
            e @ (E::Scheduled(_)
            | E::Rescheduled(_)
            | E::Completed { .. }
            | E::TakenToDepot { .. }
            | E::Cancelled { .. }
            | E::WorkOrderCancelled { .. }) => e,
            // Not shown (`customer_fields` said so above).
            E::OwnerChanged { .. }
            | E::PriorityChanged { .. }
            | E::Callback { .. }
            | E::Accepted { .. }
            | E::Declined { .. }
            | E::RecordSaved { .. }
            | E::PhotoAdded { .. }
            | E::RecordSigned(_)
            | E::SignatureDeclined(_)
            | E::FollowUpDue { .. }
            | E::Addendum { .. }
            | E::SlaWarning { .. }
            | E::SlaBreached(_)
            | E::SlaEscalated(_)
            | E::SlaAcknowledged { .. }
            | E::EmergencyPlanOpened(_)
            | E::LoanerProposed(_) => return None,
        })
    }

    /// What the customer is told of the event (SMS, the portal's bell), if anything.
    pub fn customer_notice(&self) -> Option<CustomerNotice> {
        use RequestEvent as E;
        Some(match self {
            E::Created(_) => CustomerNotice::RequestReceived,
            E::Dispatched(a) | E::Reassigned(a) => CustomerNotice::EngineerAssigned {
                engineer_name: a.engineer_name.clone(),
            },
            E::Scheduled(a) | E::Rescheduled(a) => CustomerNotice::Appointment {
                starts_at: a.starts_at,
                ends_at: a.ends_at,
            },
            E::EnRoute(_) => CustomerNotice::EngineerOnTheWay,
            E::Completed { .. } => CustomerNotice::WorkCompleted,
            _ => return None,
        })
    }

    /// Which ladder entry this is, for the ladder's "recorded already" (keyed by milestone
    /// and step, not by due time: a due time that moves repeats nothing).
    pub fn ladder_mark(&self) -> Option<LadderMark> {
        use RequestEvent as E;
        let (milestone, step) = match self {
            E::SlaWarning { milestone, .. } | E::SlaAcknowledged { milestone, .. } => {
                (*milestone, None)
            }
            E::SlaBreached(s) | E::SlaEscalated(s) => (s.milestone, Some(s.step)),
            E::EmergencyPlanOpened(m) | E::LoanerProposed(m) => (m.milestone, None),
            _ => return None,
        };
        Some(LadderMark {
            kind: self.kind(),
            milestone,
            step,
        })
    }

    /// The payload as the API shows it: the stored `data` object (statuses are fields of
    /// their own), `None` when the event carries nothing more.
    pub fn data(&self) -> Result<Option<Map<String, Value>>, serde_json::Error> {
        let mut v = serde_json::to_value(self)?;
        let mut data = match v.get_mut("data").map(Value::take) {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        data.remove("from_status");
        data.remove("to_status");
        Ok((!data.is_empty()).then_some(data))
    }

    /// The payload a customer sees (only the fields [`EventKind::customer_fields`] keeps);
    /// `None` when they do not see the event.
    pub fn customer_data(&self) -> Result<Option<Option<Map<String, Value>>>, serde_json::Error> {
        let Some(keep) = self.kind().customer_fields() else {
            return Ok(None);
        };
        Ok(Some(self.data()?.map(|d| {
            d.into_iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .collect()
        })))
    }

    /// The columns to store.
    pub fn to_stored(&self) -> Result<StoredEvent, serde_json::Error> {
        let change = self.status_change();
        Ok(StoredEvent {
            kind: self.kind(),
            from_status: change.and_then(StatusChange::from_text),
            to_status: change.map(StatusChange::to_text),
            data: self
                .data()?
                .map(|d| serde_json::to_string(&d))
                .transpose()?,
        })
    }

    /// Reads the stored columns back.
    pub fn from_stored(
        kind: &str,
        from_status: Option<&str>,
        to_status: Option<&str>,
        data: Option<&str>,
    ) -> Result<RequestEvent, EventDecodeError> {
        let k = EventKind::parse(kind).ok_or_else(|| EventDecodeError::UnknownKind(kind.into()))?;
        let bad = |message: String| EventDecodeError::Payload { kind: k, message };
        let mut fields = match data.map(serde_json::from_str::<Value>) {
            None | Some(Ok(Value::Null)) => Map::new(),
            Some(Ok(Value::Object(o))) => o,
            Some(Ok(other)) => return Err(bad(format!("data is not an object: {other}"))),
            Some(Err(e)) => return Err(bad(e.to_string())),
        };
        if let Some(s) = from_status {
            fields.insert("from_status".into(), Value::String(s.into()));
        }
        if let Some(s) = to_status {
            fields.insert("to_status".into(), Value::String(s.into()));
        }
        let mut tagged = Map::new();
        tagged.insert("kind".into(), Value::String(k.as_str().into()));
        tagged.insert("data".into(), Value::Object(fields));
        serde_json::from_value(Value::Object(tagged)).map_err(|e| bad(e.to_string()))
    }
}

impl fmt::Display for RequestEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().as_str())
    }
}

/// Instants in payloads as the store writes them: UTC with six fractional digits, so a
/// payload reads like its row's `at`.
mod instant {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An optional instant: absent, null or empty text is none.
mod opt_instant {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::instant::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    fn user(n: u8) -> UserId {
        UserId(uuid::Uuid::from_bytes([n; 16]))
    }

    fn org() -> OrgUnitId {
        OrgUnitId(uuid::Uuid::from_bytes([9; 16]))
    }

    fn assignment() -> Assignment {
        Assignment {
            from_status: WoStatus::Pending,
            engineer_id: user(2),
            engineer_name: "张伟".into(),
            from_engineer_id: None,
            org_unit_id: Some(org()),
            note: None,
        }
    }

    fn appointment() -> Appointment {
        Appointment {
            from_status: WoStatus::Accepted,
            starts_at: t("2026-11-23T01:00:00Z"),
            ends_at: t("2026-11-23T03:00:00Z"),
            previous_start: None,
            previous_end: None,
            reason: None,
            customer_agreed: true,
        }
    }

    fn step(from: WoStatus) -> FieldStep {
        FieldStep {
            from_status: from,
            note: None,
        }
    }

    fn alarm() -> AlarmFacts {
        AlarmFacts {
            source: "mc".into(),
            alarm_id: "A-1".into(),
            code: Some("E07".into()),
            message: None,
            occurred_at: Some(t("2026-11-22T06:00:00Z")),
        }
    }

    fn ladder(step: i64) -> LadderStep {
        LadderStep {
            milestone: Milestone::Response,
            due_at: t("2026-11-22T07:00:00Z"),
            step,
            to: vec!["刘洋".into(), "王芳".into()],
        }
    }

    fn due() -> MilestoneDue {
        MilestoneDue {
            milestone: Milestone::Resolution,
            due_at: t("2026-11-23T07:00:00Z"),
        }
    }

    fn signing() -> Signing {
        Signing {
            signer_name: Some("李明".into()),
            reason: None,
            content_hash: Some("ab".into()),
        }
    }

    /// One event of every kind.
    fn samples() -> Vec<RequestEvent> {
        use RequestEvent as E;
        use RequestStatus as R;
        use WoStatus as W;
        vec![
            E::Created(Creation::Intake {
                number: "SR202611220001".into(),
                channel: Channel::Phone,
                kind: RequestKind::Repair,
                priority: Priority::Normal,
                warranty_class: Some(WarrantyClass::A),
                owner_id: user(1),
                org_unit_id: None,
                open_requests_for_unit: vec![],
            }),
            E::Created(Creation::Reopen {
                number: "SR202611220002".into(),
                reopens: "SR202611220001".into(),
                note: Some("又坏了".into()),
            }),
            E::OwnerChanged {
                from: user(1),
                to: user(3),
                to_name: "王芳".into(),
                note: None,
            },
            E::PriorityChanged {
                from: Priority::Normal,
                to: Priority::Urgent,
                note: None,
            },
            E::TriagedRemote {
                from_status: R::Open,
                note: None,
                follow_up_due_at: Some(t("2026-11-22T10:00:00Z")),
            },
            E::TriagedOnsite {
                from_status: R::Open,
                note: None,
            },
            E::RemoteSolved {
                from_status: R::InProgress,
                note: None,
            },
            E::RemoteFailed { note: None },
            E::WorkOrderCreated {
                number: "WO202611220001".into(),
                org_unit_id: Some(org()),
                note: None,
            },
            E::Resolved {
                from_status: R::InProgress,
                how: Resolution::ByWorkOrder {
                    by_work_order: "WO202611220001".into(),
                },
            },
            E::Resolved {
                from_status: R::InProgress,
                how: Resolution::ByHand {
                    note: Some("电话解决".into()),
                },
            },
            E::Closed {
                from_status: R::Resolved,
                note: None,
            },
            E::WorkOrderCancelled {
                from_status: W::Scheduled,
                reason: "客户取消".into(),
            },
            E::Cancelled {
                from_status: R::Open,
                reason: "重复报修".into(),
            },
            E::Reopened {
                as_number: "SR202611220002".into(),
                note: None,
            },
            E::Callback {
                outcome: CallbackOutcome::Discrepancy,
                notes: Some("客户说没来".into()),
            },
            E::AlarmReceived(alarm()),
            E::AlarmMerged(alarm()),
            E::Dispatched(assignment()),
            E::Reassigned(Assignment {
                from_status: W::Accepted,
                from_engineer_id: Some(user(4)),
                ..assignment()
            }),
            E::Accepted {
                from_status: W::Dispatched,
            },
            E::Declined {
                from_status: W::Accepted,
                reason: "赶不回来".into(),
            },
            E::Scheduled(appointment()),
            E::Rescheduled(Appointment {
                from_status: W::Scheduled,
                previous_start: Some(t("2026-11-22T01:00:00Z")),
                previous_end: Some(t("2026-11-22T03:00:00Z")),
                reason: Some("客户出差".into()),
                customer_agreed: false,
                ..appointment()
            }),
            E::EnRoute(step(W::Scheduled)),
            E::Arrived(FieldStep {
                from_status: W::EnRoute,
                note: Some("门卫放行".into()),
            }),
            E::InService(step(W::Arrived)),
            E::Waiting {
                from_status: W::InService,
                wait_reason: WaitReason::Parts,
                reason: None,
            },
            E::Resumed {
                from_status: W::Waiting,
                to_status: W::InService,
                note: None,
            },
            E::RecordSaved {
                record_version: 2,
                parts: 1,
            },
            E::PhotoAdded {
                photo_id: "p1".into(),
                size: 1024,
                sha256: "cd".into(),
            },
            E::RecordSigned(signing()),
            E::SignatureDeclined(Signing {
                signer_name: None,
                reason: Some("不在家".into()),
                content_hash: Some("ef".into()),
            }),
            E::Completed {
                from_status: W::InService,
                outcome: Outcome::Fixed,
                loaner_left: false,
                test_run_done: Some(false),
            },
            E::FollowUpDue {
                due_at: Some(t("2026-11-25T02:00:00Z")),
                why: FollowUpReason::NoTestRun,
            },
            E::TakenToDepot { loaner_left: true },
            E::Addendum {
                body: "补充说明".into(),
            },
            E::SlaWarning {
                milestone: Milestone::Response,
                due_at: t("2026-11-22T07:00:00Z"),
                warn_at: t("2026-11-22T06:48:00Z"),
            },
            E::SlaBreached(ladder(1)),
            E::SlaEscalated(ladder(2)),
            E::SlaAcknowledged {
                milestone: Milestone::Arrival,
                due_at: Some(t("2026-11-22T09:00:00Z")),
                note: None,
            },
            E::EmergencyPlanOpened(due()),
            E::LoanerProposed(due()),
        ]
    }

    #[test]
    fn every_kind_has_a_sample_and_its_name_is_the_serialized_tag() {
        let kinds: BTreeSet<&str> = samples().iter().map(|e| e.kind().as_str()).collect();
        let all: BTreeSet<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(kinds, all);
        for e in samples() {
            let v = serde_json::to_value(&e).expect("json");
            assert_eq!(v["kind"], e.kind().as_str(), "{e:?}");
            assert_eq!(EventKind::parse(e.kind().as_str()), Some(e.kind()));
        }
        assert_eq!(EventKind::parse("contacted"), None);
    }

    #[test]
    fn every_event_reads_back_from_its_stored_columns() {
        for e in samples() {
            let s = e.to_stored().expect("stored");
            assert_eq!(s.kind, e.kind());
            let back = RequestEvent::from_stored(
                s.kind.as_str(),
                s.from_status,
                s.to_status,
                s.data.as_deref(),
            )
            .unwrap_or_else(|err| panic!("{e:?}: {err}"));
            assert_eq!(back, e);
            if let Some(d) = &s.data {
                assert!(
                    !d.contains("from_status") && !d.contains("to_status"),
                    "{d}"
                );
            }
        }
    }

    #[test]
    fn the_stored_form_is_the_one_of_the_log_before_typing() {
        // The kinds, statuses and payload fields as the untyped log wrote them: old rows and
        // new ones read alike.
        let s = RequestEvent::Rescheduled(Appointment {
            from_status: WoStatus::Scheduled,
            previous_start: Some(t("2026-11-22T01:00:00Z")),
            previous_end: Some(t("2026-11-22T03:00:00Z")),
            reason: Some("客户出差".into()),
            customer_agreed: false,
            ..appointment()
        })
        .to_stored()
        .expect("stored");
        assert_eq!(s.kind.as_str(), "rescheduled");
        assert_eq!(
            (s.from_status, s.to_status),
            (Some("scheduled"), Some("scheduled"))
        );
        let d: Value = serde_json::from_str(s.data.as_deref().expect("data")).expect("json");
        assert_eq!(
            d,
            serde_json::json!({
                "starts_at": "2026-11-23T01:00:00.000000Z", "ends_at": "2026-11-23T03:00:00.000000Z",
                "previous_start": "2026-11-22T01:00:00.000000Z", "previous_end": "2026-11-22T03:00:00.000000Z",
                "reason": "客户出差", "customer_agreed": false,
            })
        );
        let s = RequestEvent::Accepted {
            from_status: WoStatus::Dispatched,
        }
        .to_stored()
        .expect("stored");
        assert_eq!(
            (s.kind.as_str(), s.from_status, s.to_status, s.data),
            ("accepted", Some("dispatched"), Some("accepted"), None)
        );
        let s = RequestEvent::Waiting {
            from_status: WoStatus::Arrived,
            wait_reason: WaitReason::QuotePayment,
            reason: None,
        }
        .to_stored()
        .expect("stored");
        assert_eq!(s.to_status, Some("waiting"));
        let d: Value = serde_json::from_str(s.data.as_deref().expect("data")).expect("json");
        assert_eq!(
            d,
            serde_json::json!({"wait_reason": "quote_payment", "reason": null})
        );
    }

    #[test]
    fn rows_of_the_untyped_log_read_back() {
        // As the code before the typed log wrote them (payload keys in any order, instants
        // in the stored form, a `created` of the intake and one of a reopening).
        let e = RequestEvent::from_stored(
            "created",
            None,
            Some("open"),
            Some(r#"{"number":"SR1","channel":"portal","kind":"repair","priority":"high","warranty_class":null,"owner_id":"01010101-0101-0101-0101-010101010101","org_unit_id":null,"open_requests_for_unit":["SR0"]}"#),
        )
        .expect("created");
        assert!(matches!(
            e,
            RequestEvent::Created(Creation::Intake {
                channel: Channel::Portal,
                priority: Priority::High,
                ..
            })
        ));
        let e = RequestEvent::from_stored(
            "created",
            None,
            Some("open"),
            Some(r#"{"number":"SR2","reopens":"SR1","note":null}"#),
        )
        .expect("reopen");
        assert!(matches!(e, RequestEvent::Created(Creation::Reopen { .. })));
        let e = RequestEvent::from_stored("en_route", Some("scheduled"), Some("en_route"), None)
            .expect("en_route");
        assert_eq!(e, RequestEvent::EnRoute(step(WoStatus::Scheduled)));
        let e = RequestEvent::from_stored(
            "resumed",
            Some("waiting"),
            Some("arrived"),
            Some(r#"{"note":"配件到了"}"#),
        )
        .expect("resumed");
        assert_eq!(e.work_order_status(), Some(WoStatus::Arrived));
        // An acknowledgement whose due time was not known was stored with an empty one.
        let e = RequestEvent::from_stored(
            "sla_acknowledged",
            None,
            None,
            Some(r#"{"milestone":"response","due_at":"","note":null}"#),
        )
        .expect("ack");
        assert!(matches!(
            e,
            RequestEvent::SlaAcknowledged { due_at: None, .. }
        ));
    }

    #[test]
    fn what_does_not_read_as_an_event_is_refused() {
        assert_eq!(
            RequestEvent::from_stored("contacted", None, None, None),
            Err(EventDecodeError::UnknownKind("contacted".into()))
        );
        for (kind, from, data) in [
            (
                "waiting",
                Some("arrived"),
                Some(r#"{"wait_reason":"coffee"}"#),
            ),
            ("accepted", None, None),
            ("addendum", None, Some("[1]")),
            ("addendum", None, Some("{")),
            (
                "sla_breached",
                None,
                Some(
                    r#"{"milestone":"response","due_at":"2026-11-22T07:00:00.000000Z","step":1,"to":"刘洋"}"#,
                ),
            ),
        ] {
            assert!(
                matches!(
                    RequestEvent::from_stored(kind, from, None, data),
                    Err(EventDecodeError::Payload { .. })
                ),
                "{kind} {data:?}"
            );
        }
    }

    #[test]
    fn localized_labels_of_old_ladder_rows_are_not_part_of_the_event() {
        // Old rows carried `label`, `role` and `role_en`; migration 0013 removes them, and
        // a reader would ignore them anyway.
        let e = RequestEvent::from_stored(
            "sla_escalated",
            None,
            None,
            Some(r#"{"milestone":"arrival","due_at":"2026-11-22T07:00:00.000000Z","label":"到场","step":2,"role":"服务站经理","role_en":"station manager","to":["刘洋"]}"#),
        )
        .expect("escalated");
        let d = e.data().expect("data").expect("some");
        let keys: Vec<&str> = d.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 4, "{keys:?}");
        for k in ["milestone", "due_at", "step", "to"] {
            assert!(keys.contains(&k), "{keys:?}");
        }
    }

    #[test]
    fn statuses_are_the_state_machines() {
        for e in samples() {
            let (
                Some(action),
                Some(StatusChange::WorkOrder {
                    from: Some(from),
                    to,
                }),
            ) = (e.wo_action(), e.status_change())
            else {
                continue;
            };
            let resume = (action == WoAction::Resume).then_some(to);
            assert_eq!(
                super::super::wo_transition(from, action, resume),
                Ok(to),
                "{e:?}"
            );
        }
    }

    #[test]
    fn what_the_customer_sees() {
        let visible: BTreeSet<&str> = samples()
            .iter()
            .filter(|e| e.is_customer_visible())
            .map(|e| e.kind().as_str())
            .collect();
        for hidden in [
            EventKind::OwnerChanged,
            EventKind::Declined,
            EventKind::Addendum,
            EventKind::SlaBreached,
            EventKind::Callback,
        ] {
            assert!(!visible.contains(hidden.as_str()));
        }
        let dispatched = RequestEvent::Dispatched(Assignment {
            note: Some("内部备注".into()),
            ..assignment()
        });
        let d = dispatched
            .customer_data()
            .expect("json")
            .expect("visible")
            .expect("data");
        assert_eq!(
            serde_json::Value::Object(d),
            serde_json::json!({"engineer_name": "张伟"})
        );
        let en_route = RequestEvent::EnRoute(step(WoStatus::Scheduled));
        assert_eq!(en_route.customer_data().expect("json"), Some(None));
        let declined = RequestEvent::Declined {
            from_status: WoStatus::Accepted,
            reason: "x".into(),
        };
        assert_eq!(declined.customer_data().expect("json"), None);
    }

    #[test]
    fn the_customer_copy_keeps_only_the_customer_fields() {
        // Every free text the network writes is marked; what the copy still says is what
        // the customer's fields (and ids nobody shows) hold.
        let secret = "内部";
        let marked: Vec<RequestEvent> = samples()
            .into_iter()
            .map(|e| {
                let mut v = serde_json::to_value(&e).expect("json");
                if let Some(d) = v.get_mut("data").and_then(Value::as_object_mut) {
                    for k in [
                        "note", "reason", "message", "notes", "body", "source", "alarm_id",
                    ] {
                        if d.contains_key(k) {
                            d.insert(k.into(), Value::String(secret.into()));
                        }
                    }
                }
                serde_json::from_value(v).expect("marked")
            })
            .collect();
        for e in &marked {
            let Some(c) = e.for_customer() else {
                assert!(!e.is_customer_visible());
                continue;
            };
            assert_eq!(c.kind(), e.kind());
            let keep = e.kind().customer_fields().expect("visible");
            for (k, v) in c.data().expect("json").unwrap_or_default() {
                if v.as_str() == Some(secret) {
                    assert!(keep.contains(&k.as_str()), "{e}: {k}");
                }
            }
            // The same fields as the original's customer data (an emptied payload may read
            // as none).
            let kept = c.customer_data().expect("json").expect("visible");
            let orig = e.customer_data().expect("json").expect("visible");
            assert_eq!(kept.unwrap_or_default(), orig.unwrap_or_default(), "{e}");
        }
    }

    #[test]
    fn what_the_customer_is_told() {
        let told: Vec<(EventKind, CustomerNotice)> = samples()
            .iter()
            .filter_map(|e| e.customer_notice().map(|n| (e.kind(), n)))
            .collect();
        let kinds: Vec<EventKind> = told.iter().map(|(k, _)| *k).collect();
        use EventKind as K;
        assert_eq!(
            kinds,
            vec![
                K::Created,
                K::Created,
                K::Dispatched,
                K::Reassigned,
                K::Scheduled,
                K::Rescheduled,
                K::EnRoute,
                K::Completed
            ]
        );
        assert!(told.contains(&(
            K::Dispatched,
            CustomerNotice::EngineerAssigned {
                engineer_name: "张伟".into()
            }
        )));
    }

    #[test]
    fn ladder_entries_are_marked_by_milestone_and_step() {
        let marks: Vec<LadderMark> = samples()
            .iter()
            .filter_map(RequestEvent::ladder_mark)
            .collect();
        assert_eq!(marks.len(), 6);
        assert!(marks.iter().all(|m| m.kind.is_sla_ladder()));
        assert!(marks.contains(&LadderMark {
            kind: EventKind::SlaEscalated,
            milestone: Milestone::Response,
            step: Some(2)
        }));
        assert_eq!(
            EventKind::ALL.iter().filter(|k| k.is_sla_ladder()).count(),
            6
        );
    }
}
