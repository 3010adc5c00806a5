//! The engineer's phone (工程师, UX.md): today's jobs as large cards with one big button
//! for the next step, the rest in a menu; one job in full with the service record (saved
//! as you go), photos, the customer's signature (or the refusal with its reason), the
//! completion and addenda. Roles engineer and partner, their own orders only.
//!
//! Every change is a plain form post answered by a redirect (reload-safe); a refusal
//! comes back as the page with the message beside the control that was used, in the
//! user's language. Widgets: docs/field-widgets.md.
//!
//! This file holds the cards and today's jobs (`/m`) and what the forms share; `order` is
//! one job in full and the answer to a step, `steps` the steps of the visit (accept,
//! decline, appointment, transition), `record` the service record, photos, signature,
//! completion and addenda.

mod charges;
mod charges_card;
mod order;
mod record;
mod steps;
#[cfg(test)]
mod tests;

pub use charges::{send_quote, sign_quote};
pub use order::order;
pub(crate) use order::{OrderState, order_page};
pub use record::{add_photo, addendum, center, complete, photo, record_draft, save_record, sign};
pub use steps::{accept, appointment, decline, transition};

use crate::AppState;
use crate::extract::Query;
use crate::i18n::Tr;
use crate::pages::service::dispatch::error_message;
use crate::pages::service::wo_fmt;
use crate::shell::{FormErrors, PageError, Shell, WebUser};
use aftersales_app::{AppError, WorkOrderView};
use aftersales_domain::service::{self, NextStep, WaitReason, WoAction, WoStatus};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A refusal, kept for the control (form) it came from.
pub struct StepError {
    /// `next`, `decline`, `wait`, `resume`, `appointment`, `record`, `signature`,
    /// `complete`, `addendum`.
    pub form: String,
    pub message: String,
    pub fields: FormErrors,
}

/// A refused field as the error summary at the top of the page names it (issue 13: after
/// a refusal the error is where the eye is, naming each field).
pub struct SummaryItem {
    /// The field's label; empty for an error of the form as a whole.
    pub label: String,
    pub message: String,
    /// Where the field is on the page (`#id`); empty when it has no control.
    pub href: String,
}

/// A field of a form as the summary names it: (field, label key, the control's id; `{n}`
/// stands for the work order's number).
type SummaryField = (&'static str, &'static str, &'static str);

/// The fields of each form, in the order the form shows them.
const SUMMARY_FIELDS: &[(&str, &[SummaryField])] = &[
    (
        "record",
        &[
            (
                "fault_cause_code",
                "engineer.fault_cause_code",
                "fault_cause_code",
            ),
            (
                "cause_at_center",
                "engineer.cause_at_center",
                "cause_at_center",
            ),
            ("diagnosis", "engineer.diagnosis", "diagnosis"),
            ("action_taken", "engineer.action_taken", "action_taken"),
            ("parts", "engineer.parts", "parts-0-name"),
            ("no_parts", "engineer.no_parts", "no_parts"),
            ("labor_hours", "engineer.labor_hours", "labor_hours"),
            ("test_run_done", "engineer.test_run_done", "test_run_done"),
            ("rating_quality", "engineer.rating_quality", "rq-1"),
            ("rating_attitude", "engineer.rating_attitude", "ra-1"),
            ("notes", "engineer.notes", "notes"),
        ],
    ),
    (
        "signature",
        &[
            ("signature_png", "engineer.signature", "signature-form"),
            ("signer_name", "engineer.signer_name", "signer_name"),
            (
                "declined_reason",
                "engineer.refused_reason",
                "declined_reason",
            ),
        ],
    ),
    (
        "appointment",
        &[
            ("starts_at", "engineer.appt_start", "appt-start-{n}"),
            ("ends_at", "engineer.appt_end", "appt-end-{n}"),
            ("reason", "engineer.appt_reason", "appt-reason-{n}"),
        ],
    ),
    (
        "wait",
        &[("wait_reason", "engineer.wait_reason", "wait-reason-{n}")],
    ),
    (
        "decline",
        &[("reason", "engineer.decline_reason", "decline-reason-{n}")],
    ),
    (
        "complete",
        &[("outcome", "engineer.outcome", "complete-form")],
    ),
    (
        "addendum",
        &[("body", "engineer.addendum", "addendum-body")],
    ),
    (
        "center",
        &[
            (
                "fault_cause_code",
                "engineer.fault_cause_code",
                "center-fault_cause_code",
            ),
            ("diagnosis", "engineer.diagnosis", "center-diagnosis"),
            (
                "action_taken",
                "engineer.action_taken",
                "center-action_taken",
            ),
        ],
    ),
];

impl StepError {
    /// Each refused field, in the order of its form, with its label and where it is; a
    /// part row's field as the part's number and the field (`parts[1].qty`: 配件 2 数量).
    pub fn summary(&self, tr: Tr, number: &str) -> Vec<SummaryItem> {
        let known = SUMMARY_FIELDS
            .iter()
            .find(|(f, _)| *f == self.form)
            .map_or(&[][..], |(_, fields)| *fields);
        let mut out = Vec::new();
        for (field, key, id) in known {
            if let Some(m) = self.fields.of(field) {
                out.push(SummaryItem {
                    label: tr.t_dyn(key),
                    message: m.to_owned(),
                    href: format!("#{}", id.replace("{n}", number)),
                });
            }
        }
        for (field, m) in &self.fields.0 {
            if known.iter().any(|(f, _, _)| *f == field.as_str()) {
                continue;
            }
            let part = field
                .strip_prefix("parts[")
                .and_then(|r| r.split_once("]."))
                .and_then(|(i, f)| i.parse::<usize>().ok().map(|i| (i, f)));
            out.push(match part {
                Some((i, f)) => SummaryItem {
                    label: format!(
                        "{} {} · {}",
                        tr.t("engineer.parts"),
                        i + 1,
                        tr.t_dyn(&match f {
                            "part_no" => "engineer.part_no".to_owned(),
                            f => format!("engineer.part_{f}"),
                        })
                    ),
                    message: m.clone(),
                    href: format!("#parts-{i}-{f}"),
                },
                None => SummaryItem {
                    label: String::new(),
                    message: m.clone(),
                    href: String::new(),
                },
            });
        }
        out
    }
}

/// The big button: a form posting the step, or a link to the part of the page to fill in.
pub struct Next {
    /// The step the form posts; `None` for a link.
    pub action: Option<WoAction>,
    pub label: String,
    pub href: Option<String>,
}

impl Next {
    /// The step's name as the form posts it and the button is marked (`data-next`); `link`
    /// for a link.
    pub fn name(&self) -> &'static str {
        self.action.map_or("link", WoAction::as_str)
    }

    /// Accepting has an address of its own; the other steps post a transition.
    pub fn is_accept(&self) -> bool {
        self.action == Some(WoAction::Accept)
    }
}

/// A wait reason as the wait form offers it, selected when it was typed before a refusal.
pub struct ReasonChoice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// One job as the phone shows it.
pub struct Card {
    pub number: String,
    pub version: i64,
    pub status: WoStatus,
    pub status_label: String,
    pub window: String,
    pub customer: String,
    pub contact: String,
    pub phone: String,
    pub tel: String,
    pub address: String,
    pub amap: String,
    pub geo: String,
    pub symptom: String,
    pub product: String,
    pub in_warranty: Option<bool>,
    pub warranty_class: String,
    pub next: Option<Next>,
    pub can_decline: bool,
    pub can_wait: bool,
    pub can_schedule: bool,
    pub has_appointment: bool,
    pub appt_date: String,
    pub appt_start: String,
    pub appt_end: String,
    /// Where a step's answer returns: `list` (/m) or `order`.
    pub back: &'static str,
    pub error: Option<StepError>,
    /// Values typed into the forms of this card before a refusal.
    pub typed: BTreeMap<String, String>,
}

impl Card {
    /// The refusal of one of this card's forms.
    pub fn err(&self, form: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.form == form)
            .map(|e| e.message.as_str())
    }

    /// A field's error in one of this card's forms.
    pub fn ferr(&self, form: &str, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.form == form)
            .and_then(|e| e.fields.of(field))
    }

    /// What was typed into a field before a refusal (else `default`).
    pub fn typed_or<'a>(&'a self, field: &str, default: &'a str) -> &'a str {
        self.typed.get(field).map_or(default, String::as_str)
    }

    /// The appointment form's `date`, `start` or `end`: as typed, else the default.
    pub fn appt_value(&self, field: &str) -> &str {
        let default = match field {
            "date" => &self.appt_date,
            "start" => &self.appt_start,
            _ => &self.appt_end,
        };
        self.typed_or(field, default)
    }

    /// The menu starts open when a refusal belongs to one of its forms.
    pub fn menu_open(&self) -> bool {
        self.error
            .as_ref()
            .is_some_and(|e| matches!(e.form.as_str(), "decline" | "wait" | "appointment"))
    }

    /// A refusal of a menu form that this state no longer shows (said beside the steps).
    pub fn menu_orphan(&self) -> Option<&str> {
        let e = self.error.as_ref()?;
        let shown = match e.form.as_str() {
            "decline" => self.can_decline,
            "wait" => self.can_wait,
            "appointment" => self.can_schedule,
            _ => true,
        };
        (!shown).then_some(e.message.as_str())
    }

    pub fn has_menu(&self) -> bool {
        self.can_decline || self.can_wait || self.can_schedule
    }

    /// The wait form's reasons (`WaitReason::ALL`), the one typed before a refusal selected.
    pub fn wait_reasons(&self, tr: &Tr) -> Vec<ReasonChoice> {
        let typed = WaitReason::parse(self.typed_or("wait_reason", ""));
        WaitReason::ALL
            .iter()
            .map(|w| ReasonChoice {
                value: w.as_str(),
                label: tr.t_dyn(&format!("wo.waiting.{}", w.as_str())),
                selected: typed == Some(*w),
            })
            .collect()
    }
}

/// The big button for the domain's next step (`service::next_step`).
fn next_step(tr: Tr, v: &WorkOrderView) -> Option<Next> {
    let locked = v.record.as_ref().is_some_and(|r| r.locked);
    let link = |key: &str, anchor: &str| Next {
        action: None,
        label: tr.t_dyn(key),
        href: Some(format!("/m/orders/{}#{anchor}", v.number)),
    };
    Some(match service::next_step(v.status, locked)? {
        NextStep::Act(a) => Next {
            action: Some(a),
            label: tr.t_dyn(&format!("engineer.next.{}", a.as_str())),
            href: None,
        },
        NextStep::Complete => link("engineer.next.complete", "complete"),
        NextStep::FillRecord => link("engineer.next.record", "record"),
    })
}

/// The appointment form's values: the current window, else the next whole hour for two
/// hours (tomorrow 09:00 late in the evening).
fn appointment_defaults(v: &WorkOrderView, now: jiff::Timestamp) -> (String, String, String) {
    let tz = wo_fmt::tz();
    if let (Some(s), Some(e)) = (v.appointment_start, v.appointment_end) {
        let (s, e) = (s.to_zoned(tz.clone()), e.to_zoned(tz));
        return (
            s.date().to_string(),
            s.strftime("%H:%M").to_string(),
            e.strftime("%H:%M").to_string(),
        );
    }
    let z = now.to_zoned(tz);
    let (day, hour) = if z.hour() >= 20 {
        (z.date().tomorrow().unwrap_or(z.date()), 9)
    } else {
        (z.date(), (z.hour() + 1).max(8))
    };
    (
        day.to_string(),
        format!("{hour:02}:00"),
        format!("{:02}:00", (hour + 2).min(23)),
    )
}

fn card_of(tr: Tr, v: &WorkOrderView, now: jiff::Timestamp, back: &'static str) -> Card {
    let today = wo_fmt::local_date(now);
    let req = &v.request;
    let has = |a: WoAction| v.actions.iter().any(|x| WoAction::parse(x) == Some(a));
    let (appt_date, appt_start, appt_end) = appointment_defaults(v, now);
    let product = match &req.unit {
        Some(u) => match &u.serial {
            Some(sn) => format!("{} · {sn}", u.product_name),
            None => u.product_name.clone(),
        },
        None => String::new(),
    };
    Card {
        number: v.number.clone(),
        version: v.version,
        status: v.status,
        status_label: wo_fmt::status_label(tr, v.status, v.waiting_reason),
        window: wo_fmt::window(tr, v.appointment_start, v.appointment_end, today),
        customer: req.customer.name.clone(),
        contact: req.contact_name.clone(),
        phone: wo_fmt::phone(&req.contact_phone),
        tel: wo_fmt::tel(&req.contact_phone),
        address: req.address.clone(),
        amap: wo_fmt::amap_url(req.latitude, req.longitude, &req.address),
        geo: wo_fmt::geo_url(req.latitude, req.longitude, &req.address),
        symptom: req.symptom.clone(),
        product,
        in_warranty: req.in_warranty,
        warranty_class: req.warranty_class.clone().unwrap_or_default(),
        next: next_step(tr, v),
        can_decline: has(WoAction::Decline),
        can_wait: has(WoAction::Wait),
        can_schedule: has(WoAction::Schedule),
        has_appointment: v.appointment_start.is_some(),
        appt_date,
        appt_start,
        appt_end,
        back,
        error: None,
        typed: BTreeMap::new(),
    }
}

// ---------------------------------------------------------------------------------------
// /m: today's jobs

#[derive(Template, WebTemplate)]
#[template(path = "service/m_home.html")]
pub struct HomePage {
    pub shell: Shell,
    /// A refusal of a card's form, said at the top of the page (the card may be far down).
    pub error: Option<String>,
    pub summary: Vec<SummaryItem>,
    pub today: Vec<Card>,
    pub unscheduled: Vec<Card>,
    pub later: Vec<Card>,
    pub done: Vec<Card>,
    pub flash: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

fn flash_of(tr: Tr, done: &str) -> Option<String> {
    let key = format!("engineer.done.{}", done.trim());
    let s = tr.t_dyn(&key);
    (!done.trim().is_empty() && s != key).then_some(s)
}

async fn home_page(
    s: &AppState,
    u: WebUser,
    flash: Option<String>,
    error: Option<(String, StepError, BTreeMap<String, String>)>,
) -> Result<HomePage, PageError> {
    let tr = u.tr();
    let orders = s.app.engineer_day(&u.ctx).await?;
    let now = s.app.now();
    let today = wo_fmt::local_date(now);
    let mut error = error;
    let (error_message, summary) = match &error {
        Some((_, e, _)) => {
            let number = orders
                .iter()
                .find(|v| error.as_ref().is_some_and(|(id, _, _)| *id == v.id))
                .map_or("", |v| v.number.as_str());
            (Some(e.message.clone()), e.summary(tr, number))
        }
        None => (None, Vec::new()),
    };
    let mut page = HomePage {
        error: error_message,
        summary,
        today: Vec::new(),
        unscheduled: Vec::new(),
        later: Vec::new(),
        done: Vec::new(),
        flash,
        shell: u.shell,
    };
    for v in &orders {
        let mut c = card_of(tr, v, now, "list");
        if error.as_ref().is_some_and(|(id, _, _)| *id == v.id)
            && let Some((_, e, typed)) = error.take()
        {
            c.error = Some(e);
            c.typed = typed;
        }
        let day = v.appointment_start.map(wo_fmt::local_date);
        if v.status.is_terminal() {
            page.done.push(c);
        } else if day.is_some_and(|d| d > today) {
            page.later.push(c);
        } else if day.is_some() {
            page.today.push(c);
        } else {
            page.unscheduled.push(c);
        }
    }
    Ok(page)
}

pub async fn home(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let flash = flash_of(u.tr(), &q.done);
    Ok(home_page(&s, u, flash, None).await?.into_response())
}

// ---------------------------------------------------------------------------------------
// What the forms share: their fields, where a step returns, a refusal for the page

type Pairs = Vec<(String, String)>;

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn opt_text(pairs: &[(String, String)], name: &str) -> Option<String> {
    Some(field(pairs, name).trim().to_owned()).filter(|s| !s.is_empty())
}

fn opt_f64(pairs: &[(String, String)], name: &str) -> Option<f64> {
    field(pairs, name).trim().parse::<f64>().ok()
}

fn version(pairs: &[(String, String)]) -> i64 {
    field(pairs, "version").trim().parse().unwrap_or(0)
}

/// Where a step returns after success.
fn back_url(pairs: &[(String, String)], number: &str, done: &str, anchor: &str) -> String {
    if field(pairs, "back") == "list" {
        format!("/m?done={done}#wo-{number}")
    } else {
        format!("/m/orders/{number}?done={done}{anchor}")
    }
}

/// The error of a step for the page: field errors by name and the sentence to show.
fn step_error(tr: Tr, form: &str, e: &AppError) -> StepError {
    StepError {
        form: form.to_owned(),
        message: error_message(tr, e),
        fields: e
            .field_errors()
            .map(|f| FormErrors::from_fields(f, tr))
            .unwrap_or_default(),
    }
}
