//! A request's timeline in words, and the instants the templates show.

use crate::i18n::Tr;
use crate::shell::fmt_time;
use aftersales_app::RequestEventView;
use aftersales_domain::service::{Creation, EventKind, Resolution};
use aftersales_domain::sla::Milestone;

/// An event of the timeline in words, in the page's language: "派工给 张伟",
/// "改约：客户临时出差（客户同意）", "拒单：…". Words come from the catalogs
/// (`requests.event.*`); the event holds facts only. A customer's view holds the customer's
/// copy of the event (`RequestEvent::for_customer`), so their page never shows a note.
pub fn event_text(tr: Tr, e: &RequestEventView) -> String {
    use aftersales_domain::service::RequestEvent as E;
    let kind = e.event.kind();
    let key = format!("requests.event.{}", kind.as_str());
    let time = |t: Option<jiff::Timestamp>| t.map(fmt_time).unwrap_or_default();
    let with_note = |base: String, note: Option<&str>| -> String {
        match note.filter(|n| !n.is_empty()) {
            None => base,
            Some(n) => tr.f("requests.event.with_note", &[("text", &base), ("note", n)]),
        }
    };
    // A kind the catalog has no sentence for reads as its name.
    let plain = || {
        let t = tr.t_dyn(&key);
        if t == key {
            kind.as_str().to_owned()
        } else {
            t
        }
    };
    let sla =
        |milestone: Milestone, due: Option<jiff::Timestamp>, step: Option<i64>, to: &[String]| {
            let step = step.map(|s| s.to_string()).unwrap_or_default();
            tr.f(
                &key,
                &[
                    (
                        "milestone",
                        &tr.t_dyn(&format!("sla.milestone.{}", milestone.as_str())),
                    ),
                    ("due", &time(due)),
                    ("step", &step),
                    ("role", &tr.t_dyn(&format!("sla.role.step{step}"))),
                    ("to", &to.join(tr.t("requests.event.names_separator"))),
                ],
            )
        };
    let text = match &e.event {
        E::Created(c) => {
            let (number, channel, reopens, note) = match c {
                Creation::Intake {
                    number, channel, ..
                } => (number, Some(*channel), None, None),
                Creation::Reopen {
                    number,
                    reopens,
                    note,
                } => (number, None, Some(reopens), note.as_deref()),
            };
            let mut t = tr.f("requests.event.created", &[("number", number)]);
            if let Some(channel) = channel {
                let c = tr.t_dyn(&format!("requests.channel.{}", channel.as_str()));
                t = tr.f(
                    "requests.event.with_channel",
                    &[("text", &t), ("channel", &c)],
                );
            }
            if let Some(reopens) = reopens {
                let more = tr.f("requests.reopened_from", &[("number", reopens)]);
                t = tr.f("requests.event.and", &[("text", &t), ("more", &more)]);
            }
            with_note(t, note)
        }
        E::PriorityChanged { from, to, note } => with_note(
            tr.f(
                "requests.event.priority_changed",
                &[
                    (
                        "from",
                        &tr.t_dyn(&format!("requests.priority.{}", from.as_str())),
                    ),
                    (
                        "to",
                        &tr.t_dyn(&format!("requests.priority.{}", to.as_str())),
                    ),
                ],
            ),
            note.as_deref(),
        ),
        E::Transferred {
            to_name, reason, ..
        } => with_note(
            tr.f("requests.event.transferred", &[("name", to_name)]),
            Some(reason.as_str()),
        ),
        E::OwnerChanged { to_name, note, .. } => with_note(
            tr.f("requests.event.owner_changed", &[("name", to_name)]),
            note.as_deref(),
        ),
        E::TriagedRemote {
            note,
            follow_up_due_at,
            ..
        } => with_note(
            tr.f(
                "requests.event.triaged_remote",
                &[("due", &time(*follow_up_due_at))],
            ),
            note.as_deref(),
        ),
        E::WorkOrderCreated { number, note, .. } => with_note(
            tr.f("requests.event.work_order_created", &[("number", number)]),
            note.as_deref(),
        ),
        E::Dispatched(a) | E::Reassigned(a) => {
            with_note(tr.f(&key, &[("name", &a.engineer_name)]), a.note.as_deref())
        }
        E::Declined { reason, .. }
        | E::Cancelled { reason, .. }
        | E::WorkOrderCancelled { reason, .. } => with_note(tr.t_dyn(&key), Some(reason)),
        E::SignatureDeclined(s) => with_note(tr.t_dyn(&key), s.reason.as_deref()),
        E::Scheduled(a) | E::Rescheduled(a) => {
            let agreed = tr.t_dyn(if a.customer_agreed {
                "requests.event.agreed"
            } else {
                "requests.event.not_agreed"
            });
            let window = format!("{} – {}", fmt_time(a.starts_at), fmt_time(a.ends_at));
            match a.reason.as_deref().filter(|r| !r.is_empty()) {
                None => tr.f(&key, &[("window", &window), ("agreed", &agreed)]),
                Some(reason) => tr.f(
                    "requests.event.rescheduled_reason",
                    &[("reason", reason), ("agreed", &agreed), ("window", &window)],
                ),
            }
        }
        E::Waiting {
            wait_reason,
            reason,
            ..
        } => with_note(
            crate::pages::service::wo_fmt::status_label(
                tr,
                aftersales_domain::service::WoStatus::Waiting,
                Some(*wait_reason),
            ),
            reason.as_deref(),
        ),
        E::RecordSigned(s) => tr.f(
            "requests.event.record_signed",
            &[("name", s.signer_name.as_deref().unwrap_or_default())],
        ),
        E::Completed { outcome, .. } => tr.f(
            "requests.event.completed",
            &[(
                "outcome",
                &tr.t_dyn(&format!("requests.outcome.{}", outcome.as_str())),
            )],
        ),
        E::FollowUpDue { due_at, .. } => {
            tr.f("requests.event.follow_up_due", &[("due", &time(*due_at))])
        }
        E::Reopened { as_number, note } => with_note(
            tr.f("requests.event.reopened", &[("number", as_number)]),
            note.as_deref(),
        ),
        E::AlarmReceived(a) | E::AlarmMerged(a) => with_note(
            tr.f(&key, &[("code", a.code.as_deref().unwrap_or_default())]),
            a.message.as_deref(),
        ),
        E::Addendum { body } => with_note(tr.t_dyn(&key), Some(body)),
        E::SlaWarning {
            milestone, due_at, ..
        } => sla(*milestone, Some(*due_at), None, &[]),
        E::SlaBreached(l) | E::SlaEscalated(l) => {
            sla(l.milestone, Some(l.due_at), Some(l.step), &l.to)
        }
        E::SlaAcknowledged {
            milestone,
            due_at,
            note,
        } => with_note(sla(*milestone, *due_at, None, &[]), note.as_deref()),
        E::EmergencyPlanOpened(m) => sla(m.milestone, Some(m.due_at), None, &[]),
        E::LoanerIssued(l) => tr.f(
            &key,
            &[
                ("serial", &l.serial),
                ("model", &l.model),
                ("due", &l.expected_return.to_string()),
            ],
        ),
        E::LoanerReturned(l) => tr.f(
            &key,
            &[
                ("serial", &l.serial),
                (
                    "condition",
                    &tr.t_dyn(&format!("loaners.condition.{}", l.condition.as_str())),
                ),
                (
                    "accessories",
                    tr.t(if l.accessories_complete {
                        "loaners.accessories_complete"
                    } else {
                        "loaners.accessories_missing"
                    }),
                ),
            ],
        ),
        E::QuoteIssued(q) => tr.f(
            &key,
            &[
                ("number", &q.number),
                ("version", &q.version.to_string()),
                ("total", &aftersales_domain::charges::yuan(q.total_fen)),
                ("until", &q.valid_until.to_string()),
            ],
        ),
        E::QuoteConfirmed(a) | E::QuoteDeclined(a) => with_note(
            tr.f(
                &key,
                &[
                    ("number", &a.number),
                    ("version", &a.version.to_string()),
                    ("via", &tr.t_dyn(&format!("charges.via.{}", a.via.as_str()))),
                ],
            ),
            a.note.as_deref(),
        ),
        E::ChargesOverridden { refused, reason } => with_note(
            tr.f(
                &key,
                &[(
                    "refused",
                    &tr.t_dyn(&format!("charges.gate.{}", refused.code())),
                )],
            ),
            Some(reason.as_str()),
        ),
        E::PaymentRecorded(p) => tr.f(
            &key,
            &[
                ("receipt", &p.receipt),
                ("amount", &aftersales_domain::charges::yuan(p.amount_fen)),
                (
                    "method",
                    &tr.t_dyn(&format!("charges.method.{}", p.method.as_str())),
                ),
            ],
        ),
        E::Resolved { how, .. } => with_note(
            plain(),
            match how {
                Resolution::ByHand { note } => note.as_deref(),
                Resolution::ByWorkOrder { .. } => None,
            },
        ),
        E::TriagedOnsite { note, .. }
        | E::RemoteSolved { note, .. }
        | E::RemoteFailed { note }
        | E::Closed { note, .. }
        | E::Resumed { note, .. } => with_note(plain(), note.as_deref()),
        E::EnRoute(s) | E::Arrived(s) | E::InService(s) => with_note(plain(), s.note.as_deref()),
        E::Accepted { .. }
        | E::RecordSaved { .. }
        | E::PhotoAdded { .. }
        | E::Callback { .. }
        | E::TakenToDepot { .. }
        | E::LoanerProposed(_) => plain(),
    };
    let text = match &e.work_order_number {
        Some(n) if kind != EventKind::WorkOrderCreated => format!("{n} · {text}"),
        _ => text,
    };
    match (e.latitude, e.longitude) {
        (Some(a), Some(b)) => tr.f(
            "requests.event.with_location",
            &[("text", &text), ("at", &format!("{a:.5}, {b:.5}"))],
        ),
        _ => text,
    }
}

/// An instant however the template holds it (by value or through references).
pub trait Instant {
    fn instant(&self) -> jiff::Timestamp;
}

impl Instant for jiff::Timestamp {
    fn instant(&self) -> jiff::Timestamp {
        *self
    }
}

impl<T: Instant + ?Sized> Instant for &T {
    fn instant(&self) -> jiff::Timestamp {
        (**self).instant()
    }
}

/// `2026-11-22 14:30` (the site's zone), for the templates.
/// An event of a customer's timeline in the customer's words (the portal, issue 13): what
/// happened to their request, never a work-order number, an internal note or who inside
/// the network acted; the engineer by name and the agreed window where the event has them.
/// Words from `portal.event.*`.
pub fn customer_event_text(tr: Tr, e: &RequestEventView) -> String {
    use aftersales_domain::service::RequestEvent as E;
    let kind = e.event.kind();
    let key = format!("portal.event.{}", kind.as_str());
    let window = |a: jiff::Timestamp, b: jiff::Timestamp| {
        let (a, b) = (fmt_time(a), fmt_time(b));
        // The same day: "2026-12-08 09:00–11:00".
        match (a.split_once(' '), b.split_once(' ')) {
            (Some((da, _)), Some((db, tb))) if da == db => format!("{a}–{tb}"),
            _ => format!("{a} – {b}"),
        }
    };
    match &e.event {
        E::Created(Creation::Reopen { number, .. })
        | E::Created(Creation::Intake { number, .. }) => tr.f(&key, &[("number", number)]),
        E::Dispatched(a) | E::Reassigned(a) => match a.appointment_start.zip(a.appointment_end) {
            Some((from, to)) => tr.f(
                "portal.event.booked",
                &[("name", &a.engineer_name), ("window", &window(from, to))],
            ),
            None => tr.f(&key, &[("name", &a.engineer_name)]),
        },
        E::Scheduled(a) | E::Rescheduled(a) => {
            tr.f(&key, &[("window", &window(a.starts_at, a.ends_at))])
        }
        E::Waiting { wait_reason, .. } => {
            tr.t_dyn(&format!("portal.event.waiting_{}", wait_reason.as_str()))
        }
        E::Cancelled { reason, .. } => tr.f(&key, &[("reason", reason)]),
        E::Reopened { as_number, .. } => tr.f(&key, &[("number", as_number)]),
        E::AlarmReceived(a) | E::AlarmMerged(a) => {
            tr.f(&key, &[("code", a.code.as_deref().unwrap_or("—"))])
        }
        E::LoanerIssued(l) => tr.f(
            &key,
            &[
                ("serial", &l.serial),
                ("due", &l.expected_return.to_string()),
            ],
        ),
        E::LoanerReturned(l) => tr.f(&key, &[("serial", &l.serial)]),
        E::QuoteIssued(q) => tr.f(
            &key,
            &[
                ("total", &aftersales_domain::charges::yuan(q.total_fen)),
                ("until", &q.valid_until.to_string()),
            ],
        ),
        E::PaymentRecorded(p) => tr.f(
            &key,
            &[
                ("receipt", &p.receipt),
                ("amount", &aftersales_domain::charges::yuan(p.amount_fen)),
            ],
        ),
        _ => tr.t_dyn(&key),
    }
}

/// "已确认：王经理，2026-12-07 14:30": who acknowledged an SLA breach, and when.
pub fn ack_text(tr: &Tr, by: &str, at: &jiff::Timestamp) -> String {
    tr.f(
        "sla.acknowledged_by",
        &[("name", by), ("at", &fmt_time(*at))],
    )
}

pub fn at(t: impl Instant) -> String {
    fmt_time(t.instant())
}
