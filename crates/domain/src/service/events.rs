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
use crate::charges::{ConfirmedVia, GateRefusal, PaymentMethod};
use crate::ids::{EventId, LoanId, LoanerId, OrgUnitId, RequestId, UserId, WorkOrderId};
use crate::loaners::ReturnCondition;
use crate::sla::Milestone;
use crate::warranty::WarrantyClass;
use jiff::Timestamp;
use jiff::civil::Date;
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
        /// A job nobody here may take, handed to another station or a partner covering
        /// the place (issue 13, defect 6).
        Transferred => "transferred",
        /// A loaner unit lent to the customer against this request (R-DSP-5): meets the
        /// "loaner by" milestone (docs/loaners.md).
        LoanerIssued => "loaner_issued",
        /// The loaner taken back, with its inspection.
        LoanerReturned => "loaner_returned",
        /// A quote (a new version of it) sent to the customer (R-FEE-3, docs/charges.md).
        QuoteIssued => "quote_issued",
        QuoteConfirmed => "quote_confirmed",
        QuoteDeclined => "quote_declined",
        /// A manager let paid work go on without confirmation or payment, with a reason.
        ChargesOverridden => "charges_overridden",
        /// A payment (or a refund, negative) recorded against a work order.
        PaymentRecorded => "payment_recorded",
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
            K::LoanerIssued => &["serial", "model", "expected_return"],
            K::LoanerReturned => &["serial"],
            K::QuoteIssued => &["number", "version", "total_fen", "valid_until"],
            K::QuoteConfirmed | K::QuoteDeclined => &["number", "version", "via"],
            K::PaymentRecorded => &["receipt", "amount_fen", "method"],
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
            | K::LoanerProposed
            | K::ChargesOverridden
            | K::Transferred => return None,
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
        /// The visit window the customer asked for (the arrival clock reads it, see
        /// `sla::clocks`); absent in entries written before issue 13.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_instant")]
        preferred_from: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_instant")]
        preferred_to: Option<Timestamp>,
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
    /// The work order (and its request) handed to another unit, with the reason.
    Transferred {
        from_unit: Option<OrgUnitId>,
        to_unit: OrgUnitId,
        /// The receiving unit's name then.
        to_name: String,
        reason: String,
    },
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
    LoanerIssued(LoanerLent),
    LoanerReturned(LoanerBack),
    QuoteIssued(QuoteFacts),
    QuoteConfirmed(QuoteAnswer),
    QuoteDeclined(QuoteAnswer),
    ChargesOverridden {
        /// What the gate refused when the manager let the work go on.
        refused: GateRefusal,
        reason: String,
    },
    PaymentRecorded(PaymentFacts),
}

/// A quote version as issued.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteFacts {
    pub number: String,
    pub version: i64,
    /// What the customer is asked to pay, VAT included, in fen.
    pub total_fen: i64,
    /// The last day it holds.
    pub valid_until: Date,
}

/// The customer's answer to a quote version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteAnswer {
    pub number: String,
    pub version: i64,
    pub via: ConfirmedVia,
    /// Why, when declined (what the customer said).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A payment (negative: a refund) and its receipt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentFacts {
    /// The receipt's number (RC…).
    pub receipt: String,
    pub amount_fen: i64,
    pub method: PaymentMethod,
}

/// A loaner lent against the request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoanerLent {
    pub loaner_id: LoanerId,
    pub loan_id: LoanId,
    pub serial: String,
    /// The loaner's product model then.
    pub model: String,
    /// The day of the site's calendar it is due back.
    pub expected_return: Date,
}

/// A loaner taken back, with what its inspection found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoanerBack {
    pub loaner_id: LoanerId,
    pub loan_id: LoanId,
    pub serial: String,
    pub condition: ReturnCondition,
    pub accessories_complete: bool,
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
    /// The visit's window booked with the assignment, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_instant")]
    pub appointment_start: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_instant")]
    pub appointment_end: Option<Timestamp>,
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
    /// An engineer is assigned (by name: they come to the door), with the visit's window
    /// when the dispatcher booked one with the assignment (issue 13: one notice per
    /// booking change names both).
    EngineerAssigned {
        engineer_name: String,
        window: Option<(Timestamp, Timestamp)>,
    },
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

/// What someone on staff is told of an event (the bell, and e-mail or SMS where they set
/// an address), so work that arrives does not wait for someone to look. Decided here, from
/// the event; the app finds the people and words it (`app::notifications::staff`).
#[derive(Clone, Debug, PartialEq)]
pub enum StaffNotice {
    /// A request was filed (desk, portal, API, alarm) or reopened: the dispatchers of its
    /// service unit (the nearest unit up the tree that has dispatchers) take it from here.
    NewRequest,
    /// A work order was put on an engineer: they accept or decline it on their phone.
    JobAssigned { engineer_id: UserId },
    /// A work order was taken off an engineer (reassigned to someone else).
    JobWithdrawn { engineer_id: UserId },
    /// The engineer declined the job: the dispatchers must find someone else.
    JobDeclined { reason: String },
}

impl StaffNotice {
    /// Whether the engineer's phone should also get a text: a job put on them or taken off
    /// them changes where they drive today, and the bell is not seen on the road.
    pub fn texts_the_engineer(&self) -> bool {
        matches!(
            self,
            StaffNotice::JobAssigned { .. } | StaffNotice::JobWithdrawn { .. }
        )
    }
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
            E::Transferred { .. } => K::Transferred,
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
            E::LoanerIssued(_) => K::LoanerIssued,
            E::LoanerReturned(_) => K::LoanerReturned,
            E::QuoteIssued(_) => K::QuoteIssued,
            E::QuoteConfirmed(_) => K::QuoteConfirmed,
            E::QuoteDeclined(_) => K::QuoteDeclined,
            E::ChargesOverridden { .. } => K::ChargesOverridden,
            E::PaymentRecorded(_) => K::PaymentRecorded,
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
            | E::LoanerProposed(_)
            | E::LoanerIssued(_)
            | E::LoanerReturned(_)
            | E::QuoteIssued(_)
            | E::QuoteConfirmed(_)
            | E::QuoteDeclined(_)
            | E::ChargesOverridden { .. }
            | E::PaymentRecorded(_)
            | E::Transferred { .. } => return None,
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
            E::QuoteConfirmed(a) => E::QuoteConfirmed(QuoteAnswer { note: None, ..a }),
            E::QuoteDeclined(a) => E::QuoteDeclined(QuoteAnswer { note: None, ..a }),
            // Shown as they are (their fields are all the customer's).
            e @ (E::Scheduled(_)
            | E::Rescheduled(_)
            | E::Completed { .. }
            | E::TakenToDepot { .. }
            | E::LoanerIssued(_)
            | E::LoanerReturned(_)
            | E::QuoteIssued(_)
            | E::PaymentRecorded(_)
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
            | E::LoanerProposed(_)
            | E::ChargesOverridden { .. }
            | E::Transferred { .. } => return None,
        })
    }

    /// What the customer is told of the event (SMS, the portal's bell), if anything.
    pub fn customer_notice(&self) -> Option<CustomerNotice> {
        use RequestEvent as E;
        Some(match self {
            E::Created(_) => CustomerNotice::RequestReceived,
            E::Dispatched(a) | E::Reassigned(a) => CustomerNotice::EngineerAssigned {
                engineer_name: a.engineer_name.clone(),
                window: a.appointment_start.zip(a.appointment_end),
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

    /// What staff are told of the event, if anything (see [`StaffNotice`]).
    pub fn staff_notices(&self) -> Vec<StaffNotice> {
        use RequestEvent as E;
        match self {
            E::Created(_) => vec![StaffNotice::NewRequest],
            E::Dispatched(a) => vec![StaffNotice::JobAssigned {
                engineer_id: a.engineer_id,
            }],
            E::Reassigned(a) => {
                let mut v = vec![StaffNotice::JobAssigned {
                    engineer_id: a.engineer_id,
                }];
                if let Some(from) = a.from_engineer_id.filter(|f| *f != a.engineer_id) {
                    v.push(StaffNotice::JobWithdrawn { engineer_id: from });
                }
                v
            }
            E::Declined { reason, .. } => vec![StaffNotice::JobDeclined {
                reason: reason.clone(),
            }],
            _ => vec![],
        }
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
mod tests;
