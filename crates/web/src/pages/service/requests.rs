//! The front office's request pages (docs/service-flow.md "Pages"): the agent console
//! (who is calling, what they own and what happened before, the new request), the list of
//! requests with filters, and a request's page with its work orders, timeline in words and
//! the actions the caller may take.
//!
//! Over 1,200 lines: the console, the list and the request page share their row and
//! timeline helpers. Not split yet: the move into a `requests/` folder (console, list, page,
//! timeline) is left for the next session of issue 12, which lands it with its own browser
//! run; the typed event log and the idempotent forms that rewrote these helpers landed first.

use crate::AppState;
use crate::extract::{Form, IdempotentForm, Path, Query};
use crate::i18n::Tr;
use crate::shell::{FormErrors, PageError, Shell, WebUser, encode_component, fmt_time};
use aftersales_app::{
    AppError, CancelInput, CatalogCode, CustomerView, NamedRef, NewContact, NewCustomer,
    NewServiceRequest, NewSite, NewVisit, OrgUnitView, OwnerChange, RemoteOutcome,
    RequestEventView, RequestNote, RequestQuery, ServiceRequestView, TriageInput, UnitView,
    WarrantyView, WorkOrderLine,
};
use aftersales_domain::installed_base::Serial;
use aftersales_domain::service::{
    Creation, EventKind, RequestEvent, RequestStatus, Resolution, Triage, WaitReason, WoStatus,
};
use aftersales_domain::sla::Milestone;
use aftersales_domain::warranty::Cause;
use aftersales_domain::{FieldErrors, Permission, Role};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------
// Words and colors shared by the pages

/// The request status as service centers say it (新建, 处理中, …).
pub fn request_status_label(tr: Tr, status: RequestStatus) -> String {
    tr.t_dyn(&format!("requests.status.{}", status.as_str()))
}

/// The work order status as service centers say it; waiting says what for (待配件,
/// 待客户确认, 待报价付款).
pub fn wo_status_label(tr: Tr, status: WoStatus, waiting: Option<WaitReason>) -> String {
    match (status, waiting) {
        (WoStatus::Waiting, Some(w)) => {
            tr.t_dyn(&format!("requests.wo_status.waiting_{}", w.as_str()))
        }
        _ => tr.t_dyn(&format!("requests.wo_status.{}", status.as_str())),
    }
}

/// The CSS class of a status badge (a request's or a work order's): one color per status
/// (with the name beside it, never the color alone).
pub fn status_class(status: &impl std::fmt::Display) -> String {
    format!("badge st st-{status}")
}

/// "保修已过期 2026-03-01（配件:按成本价收费, 人工费:免费, 上门费:按标准价收费）".
fn warranty_warning(
    tr: Tr,
    in_warranty: bool,
    end: Option<String>,
    parts: &str,
    labor: &str,
    travel: &str,
) -> Option<String> {
    if in_warranty {
        return None;
    }
    let terms = format!(
        "{}:{}, {}:{}, {}:{}",
        tr.t("warranty.parts"),
        tr.t_dyn(&format!("warranty.charge.{parts}")),
        tr.t("warranty.labor"),
        tr.t_dyn(&format!("warranty.charge.{labor}")),
        tr.t("warranty.travel"),
        tr.t_dyn(&format!("warranty.charge.{travel}")),
    );
    Some(match end {
        Some(end) => tr.f(
            "console.warranty_expired",
            &[("end", &end), ("terms", &terms)],
        ),
        None => tr.f("console.warranty_none", &[("terms", &terms)]),
    })
}

fn warning_of_view(tr: Tr, w: &WarrantyView) -> Option<String> {
    let c = &w.decision.coverage;
    warranty_warning(
        tr,
        w.decision.in_warranty,
        w.decision.end.map(|d| d.to_string()),
        c.parts.as_str(),
        c.labor.as_str(),
        c.travel.as_str(),
    )
}

/// The same warning from the decision stored with a request (JSON of the warranty view).
fn warning_of_stored(tr: Tr, v: &serde_json::Value) -> Option<String> {
    let d = v.get("decision")?;
    let text = |p: &str| {
        d.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or("list_price")
            .to_owned()
    };
    warranty_warning(
        tr,
        d.get("in_warranty")?.as_bool()?,
        d.get("end").and_then(|e| e.as_str()).map(str::to_owned),
        &text("/coverage/parts"),
        &text("/coverage/labor"),
        &text("/coverage/travel"),
    )
}

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
            tr.t_dyn(&format!(
                "requests.wo_status.waiting_{}",
                wait_reason.as_str()
            )),
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
pub fn at(t: impl Instant) -> String {
    fmt_time(t.instant())
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A `datetime-local` value (the site's wall time) as an RFC 3339 instant; anything
/// else goes through as typed (the use-case says what is wrong with it).
pub(super) fn local_instant(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let tz = crate::site::get().tz().clone();
    match s.parse::<jiff::civil::DateTime>() {
        Ok(dt) => dt
            .to_zoned(tz)
            .ok()
            .map(|z| z.timestamp().to_string())
            .or_else(|| Some(s.to_owned())),
        Err(_) => Some(s.to_owned()),
    }
}

/// A local day's start (or the next day's start) as an RFC 3339 instant.
fn day_bound(s: &str, next: bool) -> Option<String> {
    let d = s.trim().parse::<jiff::civil::Date>().ok()?;
    let d = if next { d.tomorrow().ok()? } else { d };
    let tz = crate::site::get().tz().clone();
    d.to_zoned(tz).ok().map(|z| z.timestamp().to_string())
}

// ---------------------------------------------------------------------------------------
// The agent console

/// One line of "who is calling": a customer, or a request found by its number.
pub struct ConsoleHit {
    pub href: String,
    pub title: String,
    pub detail: String,
    pub matched: String,
}

/// A unit of the caller with today's warranty decision.
pub struct ConsoleUnit {
    pub unit: UnitView,
    pub warranty: Option<WarrantyView>,
    pub href: String,
    pub chosen: bool,
}

/// The request just filed: the number to read out and what to tell the caller.
pub struct Filed {
    pub number: String,
    pub warnings: Vec<String>,
}

/// The new request as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RequestForm {
    pub customer_id: String,
    pub unit_id: String,
    pub kind: String,
    pub channel: String,
    pub priority: String,
    pub symptom_code: String,
    pub symptom: String,
    pub customer_request: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub site_id: String,
    pub address: String,
    pub preferred_from: String,
    pub preferred_to: String,
    /// A key made when the form was shown: a second submit files nothing new.
    pub idem: String,
}

/// A new caller's record, kept short: name, phone, address and region.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewCallerForm {
    pub name: String,
    pub phone: String,
    pub address: String,
    pub region_code: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "service/console.html")]
pub struct ConsolePage {
    pub shell: Shell,
    pub q: String,
    pub hits: Vec<ConsoleHit>,
    pub searched: bool,
    pub customer: Option<CustomerView>,
    pub units: Vec<ConsoleUnit>,
    pub chosen: Option<ConsoleUnit>,
    pub unit_warnings: Vec<String>,
    pub open_requests: Vec<ServiceRequestView>,
    pub recent: Vec<ServiceRequestView>,
    pub symptoms: Vec<CatalogCode>,
    pub form: RequestForm,
    pub errors: FormErrors,
    pub alert: Option<String>,
    pub filed: Option<Filed>,
    pub caller: NewCallerForm,
    pub caller_errors: FormErrors,
    pub can_create_customer: bool,
}

impl ConsolePage {
    pub fn q_encoded(&self) -> String {
        encode_component(&self.q)
    }

    pub fn label(&self, prefix: &str, v: &dyn std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("{prefix}.{v}"))
    }

    pub fn kinds(&self) -> Vec<(String, String)> {
        aftersales_domain::service::RequestKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), self.label("requests.kind", k)))
            .collect()
    }

    /// The channels an agent records (the portal, the API and alarms file by themselves).
    pub fn channels(&self) -> Vec<(String, String)> {
        ["phone", "fax", "email", "onsite", "partner"]
            .iter()
            .map(|c| ((*c).to_owned(), self.label("requests.channel", c)))
            .collect()
    }

    pub fn priorities(&self) -> Vec<(String, String)> {
        aftersales_domain::service::Priority::ALL
            .iter()
            .map(|p| (p.as_str().to_owned(), self.label("requests.priority", p)))
            .collect()
    }

    pub fn symptom_name(&self, c: &CatalogCode) -> String {
        c.name(self.shell.tr.locale).to_owned()
    }

    pub fn req_status(&self, s: &RequestStatus) -> String {
        request_status_label(self.shell.tr, *s)
    }

    pub fn wo_status(&self, w: &WorkOrderLine) -> String {
        wo_status_label(self.shell.tr, w.status, None)
    }

    pub fn charge(&self, c: &str) -> String {
        self.shell.tr.t_dyn(&format!("warranty.charge.{c}"))
    }

    /// The caller's field error of the compact customer form (the use-case names the
    /// contact's phone `contacts[0].phones[0]`, the site's address `sites[0].address`).
    pub fn caller_error(&self, field: &str) -> Option<String> {
        let keys: &[&str] = match field {
            "name" => &["name", "contacts[0].name"],
            "phone" => &["contacts[0].phones[0]", "contacts[0].phones"],
            "address" => &["sites[0].address", "sites"],
            "region_code" => &["sites[0].region_code", "region_code"],
            _ => &[],
        };
        keys.iter()
            .find_map(|k| self.caller_errors.of(k).map(str::to_owned))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConsoleQuery {
    q: String,
    customer: String,
    unit: String,
    /// A serial typed in the search: the matching unit is chosen.
    serial: String,
    filed: String,
    new_caller: String,
}

/// The console files requests for any customer: the permission of that use-case.
fn can_use_console(u: &WebUser) -> bool {
    u.actor.role.can(Permission::RequestsIntake)
}

async fn console_hits(s: &AppState, u: &WebUser, q: &str) -> Result<Vec<ConsoleHit>, AppError> {
    let tr = u.tr();
    let mut out = Vec::new();
    let upper = q.trim().to_uppercase();
    if upper.starts_with("SR") && upper.len() > 2 && upper[2..].chars().all(|c| c.is_ascii_digit())
    {
        match s.app.get_service_request(&u.ctx, &upper).await {
            Ok(r) => out.push(ConsoleHit {
                href: format!(
                    "/console?customer={}&unit={}",
                    r.customer.id,
                    r.unit.as_ref().map(|x| x.id.as_str()).unwrap_or("")
                ),
                title: format!("{} {}", r.customer.name, r.customer.code),
                detail: format!(
                    "{} {} · {}",
                    tr.t("console.request_hit"),
                    r.number,
                    request_status_label(tr, r.status)
                ),
                matched: tr.t("console.matched_request").to_owned(),
            }),
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let hits = s.app.search_customers(&u.ctx, q, 10).await?;
    for h in hits {
        let mut href = format!("/console?customer={}", h.customer_id);
        if h.matched == aftersales_domain::installed_base::SearchMatch::Serial {
            href.push_str(&format!("&serial={}", encode_component(q.trim())));
        }
        out.push(ConsoleHit {
            href,
            title: format!("{} {}", h.name, h.number),
            detail: [h.company.clone(), h.phone.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            matched: tr.t_dyn(&format!("customers.matched.{}", h.matched)),
        });
    }
    Ok(out)
}

/// Builds the console for a query, a chosen customer and unit.
#[allow(clippy::too_many_arguments)]
async fn console_page(
    s: &AppState,
    u: WebUser,
    q: String,
    customer_id: &str,
    unit_id: &str,
    serial: &str,
    form: Option<RequestForm>,
    errors: FormErrors,
    filed: Option<Filed>,
    caller: NewCallerForm,
    caller_errors: FormErrors,
) -> Result<ConsolePage, (AppError, WebUser)> {
    let tr = u.tr();
    let searched = !q.trim().is_empty();
    let hits = if searched {
        match console_hits(s, &u, &q).await {
            Ok(h) => h,
            Err(AppError::Validation(_)) => Vec::new(),
            Err(e) => return Err((e, u)),
        }
    } else {
        Vec::new()
    };
    let mut page = ConsolePage {
        q,
        hits,
        searched,
        customer: None,
        units: Vec::new(),
        chosen: None,
        unit_warnings: Vec::new(),
        open_requests: Vec::new(),
        recent: Vec::new(),
        symptoms: Vec::new(),
        form: form.clone().unwrap_or_default(),
        alert: (!errors.is_empty()).then(|| tr.t("error.validation_failed").to_owned()),
        errors,
        filed,
        caller,
        caller_errors,
        can_create_customer: u.actor.role.can(Permission::CustomersManage),
        shell: Shell::bare(tr),
    };
    if let Ok(cid) = customer_id.trim().parse() {
        let c = match s.app.get_customer(&u.ctx, cid).await {
            Ok(c) => c,
            Err(e) => return Err((e, u)),
        };
        let units = match s.app.customer_units(&u.ctx, cid).await {
            Ok(x) => x,
            Err(e) => return Err((e, u)),
        };
        let today = crate::pages::installed_base::customers::today(s);
        let wanted_serial = Serial::normalize(serial);
        let chosen_id = if !unit_id.trim().is_empty() {
            Some(unit_id.trim().to_owned())
        } else if !wanted_serial.is_empty() {
            units
                .iter()
                .find(|x| {
                    x.serial
                        .as_deref()
                        .is_some_and(|sn| Serial::normalize(sn).starts_with(&wanted_serial))
                })
                .map(|x| x.id.to_string())
        } else if units.len() == 1 {
            Some(units[0].id.to_string())
        } else {
            None
        };
        for unit in units {
            let warranty = s
                .app
                .warranty_for_unit(&u.ctx, unit.id, today, Cause::NormalFailure)
                .await
                .ok();
            let chosen = chosen_id.as_deref() == Some(unit.id.to_string().as_str());
            let line = ConsoleUnit {
                href: format!("/console?customer={}&unit={}", c.id, unit.id),
                unit,
                warranty,
                chosen,
            };
            if chosen {
                page.chosen = Some(ConsoleUnit {
                    href: line.href.clone(),
                    unit: line.unit.clone(),
                    warranty: line.warranty.clone(),
                    chosen: true,
                });
            }
            page.units.push(line);
        }
        let requests = match s
            .app
            .list_service_requests(
                &u.ctx,
                &RequestQuery {
                    customer_id: Some(c.id.to_string()),
                    limit: Some(20),
                    ..Default::default()
                },
            )
            .await
        {
            Ok(p) => p.items,
            Err(e) => return Err((e, u)),
        };
        let (open, closed): (Vec<_>, Vec<_>) =
            requests.into_iter().partition(|r| r.status.is_active());
        page.open_requests = open;
        page.recent = closed.into_iter().take(5).collect();
        if let Some(ch) = &page.chosen {
            for r in &page.open_requests {
                if r.unit.as_ref().map(|x| x.id.as_str()) == Some(ch.unit.id.to_string().as_str()) {
                    page.unit_warnings
                        .push(tr.f("console.open_request_for_unit", &[("number", &r.number)]));
                }
            }
            if let Some(w) = ch.warranty.as_ref().and_then(|w| warning_of_view(tr, w)) {
                page.unit_warnings.push(w);
            }
        }
        let line = page
            .chosen
            .as_ref()
            .map(|x| x.unit.product.product_line.clone());
        page.symptoms = s
            .app
            .list_codes(&u.ctx, "symptom", line.as_deref())
            .await
            .unwrap_or_default();
        if form.is_none() {
            // Prefilled from the record and the chosen unit (R-REQ-2).
            let first = c.contacts.first();
            page.form = RequestForm {
                customer_id: c.id.to_string(),
                unit_id: page
                    .chosen
                    .as_ref()
                    .map(|x| x.unit.id.to_string())
                    .unwrap_or_default(),
                kind: "repair".into(),
                channel: "phone".into(),
                priority: "normal".into(),
                contact_name: first.map(|k| k.name.clone()).unwrap_or_default(),
                contact_phone: first
                    .and_then(|k| k.phones.first())
                    .map(|p| p.display.clone())
                    .unwrap_or_default(),
                site_id: page
                    .chosen
                    .as_ref()
                    .and_then(|x| x.unit.site_id.clone())
                    .or_else(|| c.sites.first().map(|x| x.id.clone()))
                    .unwrap_or_default(),
                ..Default::default()
            };
        }
        page.customer = Some(c);
    }
    if page.form.idem.is_empty() {
        page.form.idem = uuid::Uuid::now_v7().to_string();
    }
    page.shell = u.shell;
    Ok(page)
}

pub async fn console(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<ConsoleQuery>,
) -> Response {
    if !can_use_console(&u) {
        return PageError::for_user(AppError::Forbidden, u).into_response();
    }
    let tr = u.tr();
    let filed = if q.filed.trim().is_empty() {
        None
    } else {
        match s.app.get_service_request(&u.ctx, q.filed.trim()).await {
            Ok(r) => {
                let mut warnings = Vec::new();
                if let Some(unit) = &r.unit {
                    let others = match s
                        .app
                        .list_service_requests(
                            &u.ctx,
                            &RequestQuery {
                                unit_id: Some(unit.id.clone()),
                                status: Some("open,in_progress".into()),
                                limit: Some(20),
                                ..Default::default()
                            },
                        )
                        .await
                    {
                        Ok(p) => p.items,
                        Err(e) => return PageError::for_user(e, u).into_response(),
                    };
                    for o in others.iter().filter(|o| o.id != r.id) {
                        warnings
                            .push(tr.f("console.open_request_for_unit", &[("number", &o.number)]));
                    }
                }
                if let Some(w) = r.warranty.as_ref().and_then(|w| warning_of_stored(tr, w)) {
                    warnings.push(w);
                }
                Some(Filed {
                    number: r.number,
                    warnings,
                })
            }
            // A number from an old link, or one the caller no longer sees: no banner.
            Err(AppError::NotFound(_)) => None,
            Err(e) => return PageError::for_user(e, u).into_response(),
        }
    };
    let caller = NewCallerForm {
        name: if q.new_caller.is_empty() {
            String::new()
        } else {
            q.q.clone()
        },
        ..Default::default()
    };
    match console_page(
        &s,
        u,
        q.q,
        &q.customer,
        &q.unit,
        &q.serial,
        None,
        FormErrors::default(),
        filed,
        caller,
        FormErrors::default(),
    )
    .await
    {
        Ok(p) => p.into_response(),
        Err((e, u)) => PageError::for_user(e, u).into_response(),
    }
}

/// Files the request typed in the console; the number is shown big on the console
/// (after a redirect, so a reload files nothing).
pub async fn file_request(
    State(s): State<AppState>,
    u: WebUser,
    IdempotentForm {
        value: f,
        idempotency: idem,
    }: IdempotentForm<RequestForm>,
) -> Response {
    if !can_use_console(&u) {
        return PageError::for_user(AppError::Forbidden, u).into_response();
    }
    let input = NewServiceRequest {
        customer_id: f.customer_id.trim().to_owned(),
        unit_id: opt(&f.unit_id),
        kind: f.kind.clone(),
        channel: opt(&f.channel),
        priority: opt(&f.priority),
        symptom_code: opt(&f.symptom_code),
        symptom: f.symptom.clone(),
        customer_request: opt(&f.customer_request),
        contact_name: opt(&f.contact_name),
        contact_phone: opt(&f.contact_phone),
        site_id: opt(&f.site_id),
        address: opt(&f.address),
        region_code: None,
        preferred_from: local_instant(&f.preferred_from),
        preferred_to: local_instant(&f.preferred_to),
        owner_id: None,
        org_unit_id: None,
        external_ref: None,
    };
    match s
        .app
        .create_service_request(&u.ctx, &input, idem.as_ref())
        .await
    {
        Ok(r) => crate::shell::redirect(&format!(
            "/console?customer={}&filed={}",
            encode_component(&r.customer.id),
            encode_component(&r.number)
        ))
        .into_response(),
        Err(e @ (AppError::Validation(_) | AppError::FieldConflict(_))) => {
            let errs = e.field_errors().cloned().unwrap_or_else(FieldErrors::new);
            let mut errors = FormErrors::from_fields(&errs, u.tr());
            if errors.is_empty() {
                errors
                    .0
                    .insert("symptom".into(), u.tr().t_error(e.code()).to_owned());
            }
            let status = crate::problem::status_of(&e);
            let customer = f.customer_id.clone();
            let unit = f.unit_id.clone();
            match console_page(
                &s,
                u,
                String::new(),
                &customer,
                &unit,
                "",
                Some(f),
                errors,
                None,
                NewCallerForm::default(),
                FormErrors::default(),
            )
            .await
            {
                Ok(p) => (status, p).into_response(),
                Err((e, u)) => PageError::for_user(e, u).into_response(),
            }
        }
        Err(e) => PageError::for_user(e, u).into_response(),
    }
}

/// A new caller: a short record (name, phone, address, region), then back to the console
/// with it chosen.
pub async fn new_caller(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<NewCallerForm>,
) -> Response {
    if !can_use_console(&u) {
        return PageError::for_user(AppError::Forbidden, u).into_response();
    }
    let input = NewCustomer {
        kind: "individual".into(),
        name: f.name.clone(),
        company: None,
        region_code: opt(&f.region_code),
        notes: None,
        contacts: vec![NewContact {
            name: f.name.clone(),
            title: None,
            phones: opt(&f.phone).into_iter().collect(),
        }],
        sites: if f.address.trim().is_empty() && f.region_code.trim().is_empty() {
            Vec::new()
        } else {
            vec![NewSite {
                label: None,
                address: f.address.clone(),
                region_code: opt(&f.region_code),
                latitude: None,
                longitude: None,
            }]
        },
    };
    match s.app.create_customer(&u.ctx, &input, None).await {
        Ok(c) => crate::shell::redirect(&format!("/console?customer={}", c.id)).into_response(),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            match console_page(
                &s,
                u,
                String::new(),
                "",
                "",
                "",
                None,
                FormErrors::default(),
                None,
                f,
                errors,
            )
            .await
            {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err((e, u)) => PageError::for_user(e, u).into_response(),
            }
        }
        Err(e) => PageError::for_user(e, u).into_response(),
    }
}

// ---------------------------------------------------------------------------------------
// The list of requests

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListForm {
    pub status: String,
    /// `me` or empty (any owner).
    pub owner: String,
    pub org_unit_id: String,
    pub from: String,
    pub to: String,
    pub number: String,
    pub cursor: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "service/requests.html")]
pub struct RequestsPage {
    pub shell: Shell,
    pub f: ListForm,
    pub items: Vec<ServiceRequestView>,
    pub org_units: Vec<crate::shell::Choice>,
    pub next_url: Option<String>,
    pub errors: FormErrors,
}

impl RequestsPage {
    pub fn req_status(&self, s: &RequestStatus) -> String {
        request_status_label(self.shell.tr, *s)
    }

    pub fn wo_status(&self, w: &WorkOrderLine) -> String {
        wo_status_label(self.shell.tr, w.status, None)
    }

    pub fn kind(&self, k: &str) -> String {
        self.shell.tr.t_dyn(&format!("requests.kind.{k}"))
    }

    /// The status filter's choices (value, words): each status, then the unfinished ones
    /// together (open and in progress).
    pub fn statuses(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = RequestStatus::ALL
            .iter()
            .map(|st| (st.as_str().to_owned(), self.req_status(st)))
            .collect();
        let unfinished: Vec<&str> = RequestStatus::ALL
            .iter()
            .filter(|s| s.is_active())
            .map(|s| s.as_str())
            .collect();
        out.push((
            unfinished.join(","),
            self.shell.tr.t("requests.unfinished").to_owned(),
        ));
        out
    }
}

fn can_list(u: &WebUser) -> bool {
    u.actor.role.can(Permission::RequestsRead) && u.actor.role != Role::Customer
}

pub async fn list(State(s): State<AppState>, u: WebUser, Query(f): Query<ListForm>) -> Response {
    if !can_list(&u) {
        return PageError::for_user(AppError::Forbidden, u).into_response();
    }
    let q = RequestQuery {
        status: opt(&f.status),
        owner_id: (f.owner == "me").then(|| u.actor.id.to_string()),
        org_unit_id: opt(&f.org_unit_id),
        number: opt(&f.number),
        created_from: day_bound(&f.from, false),
        created_to: day_bound(&f.to, true),
        cursor: opt(&f.cursor),
        limit: Some(50),
        ..Default::default()
    };
    let (items, next, errors) = match s.app.list_service_requests(&u.ctx, &q).await {
        Ok(p) => (p.items, p.next_cursor, FormErrors::default()),
        Err(AppError::Validation(errs)) => {
            (Vec::new(), None, FormErrors::from_fields(&errs, u.tr()))
        }
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let org_units: Vec<OrgUnitView> = crate::pages::network::org::all_units(&s, &u)
        .await
        .unwrap_or_default();
    let next_url = next.map(|c| {
        format!(
            "/requests?status={}&owner={}&org_unit_id={}&from={}&to={}&number={}&cursor={c}",
            encode_component(&f.status),
            encode_component(&f.owner),
            encode_component(&f.org_unit_id),
            encode_component(&f.from),
            encode_component(&f.to),
            encode_component(&f.number),
        )
    });
    RequestsPage {
        org_units: crate::pages::network::org::unit_choices(&org_units),
        f,
        items,
        next_url,
        errors,
        shell: u.shell,
    }
    .into_response()
}

// ---------------------------------------------------------------------------------------
// One request

#[derive(Template, WebTemplate)]
#[template(path = "service/request.html")]
pub struct RequestPage {
    pub shell: Shell,
    pub r: ServiceRequestView,
    pub events: Vec<RequestEventView>,
    /// The request this one was reopened as, if any.
    pub reopened_as: Option<String>,
    pub owners: Vec<NamedRef>,
    pub can_manage: bool,
    pub can_dispatch: bool,
    pub errors: FormErrors,
    pub alert: Option<String>,
    pub notice: Option<String>,
    /// The action whose form the errors belong to.
    pub failed: String,
    /// The clocks of the request's promise (staff only).
    pub sla: Option<aftersales_app::RequestSla>,
}

impl RequestPage {
    /// A clock's state as a word.
    pub fn clock_state(&self, state: impl std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("sla.state.{state}"))
    }

    pub fn req_status(&self, s: &RequestStatus) -> String {
        request_status_label(self.shell.tr, *s)
    }

    pub fn wo_status(&self, w: &WorkOrderLine) -> String {
        wo_status_label(self.shell.tr, w.status, None)
    }

    pub fn label(&self, prefix: &str, v: &dyn std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("{prefix}.{v}"))
    }

    pub fn event_text(&self, e: &RequestEventView) -> String {
        event_text(self.shell.tr, e)
    }

    pub fn warranty_warning(&self) -> Option<String> {
        self.r
            .warranty
            .as_ref()
            .and_then(|w| warning_of_stored(self.shell.tr, w))
    }

    /// The error of a field of one action's form.
    pub fn err(&self, action: &str, field: &str) -> Option<String> {
        (self.failed == action)
            .then(|| self.errors.of(field).map(str::to_owned))
            .flatten()
    }

    pub fn open_orders(&self) -> bool {
        self.r.work_orders.iter().any(|w| !w.status.is_terminal())
    }

    /// Closed or cancelled: nothing more happens to it.
    pub fn is_final(&self) -> bool {
        self.r.status.is_final()
    }

    /// Open or in progress.
    pub fn is_active(&self) -> bool {
        self.r.status.is_active()
    }

    /// Resolved or closed: it may be reopened within the window.
    pub fn is_done(&self) -> bool {
        self.r.status.is_done()
    }

    /// Open (not triaged yet): it may be triaged.
    pub fn is_open(&self) -> bool {
        self.r.status == RequestStatus::Open
    }

    /// Being helped remotely: the remote attempt's outcome is awaited.
    pub fn awaits_remote_outcome(&self) -> bool {
        self.r.status == RequestStatus::InProgress && self.r.triage == Some(Triage::Remote)
    }

    /// Resolved: it may be closed.
    pub fn is_resolved(&self) -> bool {
        self.r.status == RequestStatus::Resolved
    }

    pub fn reopened_from_text(&self, number: &str) -> String {
        self.shell
            .tr
            .f("requests.reopened_from", &[("number", number)])
    }

    pub fn reopened_as_text(&self, number: &str) -> String {
        self.shell
            .tr
            .f("requests.event.reopened", &[("number", number)])
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

async fn request_page(
    s: &AppState,
    u: WebUser,
    key: &str,
    failed: &str,
    errors: FormErrors,
    alert: Option<String>,
    notice: Option<String>,
) -> Response {
    let r = match s.app.get_service_request(&u.ctx, key).await {
        Ok(r) => r,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let events = match s.app.request_events(&u.ctx, &r.id).await {
        Ok(e) => e,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let reopened_as = events.iter().rev().find_map(|e| match &e.event {
        RequestEvent::Reopened { as_number, .. } => Some(as_number.clone()),
        _ => None,
    });
    let can_manage = u.actor.role.can(Permission::RequestsManage);
    let owners = if can_manage {
        s.app
            .request_owner_candidates(&u.ctx)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let sla = s.app.request_sla(&u.ctx, &r.id, u.tr().locale).await.ok();
    RequestPage {
        r,
        events,
        reopened_as,
        owners,
        can_manage,
        sla,
        can_dispatch: u.actor.role.can(Permission::Dispatch),
        errors,
        alert,
        notice,
        failed: failed.to_owned(),
        shell: u.shell,
    }
    .into_response()
}

pub async fn request(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    if !can_list(&u) {
        return PageError::for_user(AppError::Forbidden, u).into_response();
    }
    let tr = u.tr();
    let notice = match q.done.as_str() {
        "" => None,
        d => Some(tr.t_dyn(&format!("requests.done.{d}"))).filter(|t| !t.starts_with("requests.")),
    };
    request_page(&s, u, &id, "", FormErrors::default(), None, notice).await
}

/// Every action's form: a version and the fields of that action.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    version: String,
    note: String,
    owner_id: String,
    mode: String,
    solved: String,
    reason: String,
    org_unit_id: String,
    milestone: String,
    priority: String,
}

pub async fn action(
    State(s): State<AppState>,
    u: WebUser,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<ActionForm>,
) -> Response {
    let version: i64 = f.version.trim().parse().unwrap_or(0);
    let note = opt(&f.note);
    let ctx = &u.ctx;
    let app = &s.app;
    let result = match action.as_str() {
        "owner" => {
            app.change_request_owner(
                ctx,
                &id,
                &OwnerChange {
                    version,
                    owner_id: f.owner_id.clone(),
                    note,
                },
            )
            .await
        }
        "triage" => {
            app.triage_request(
                ctx,
                &id,
                &TriageInput {
                    version,
                    mode: f.mode.clone(),
                    note,
                },
            )
            .await
        }
        "remote-outcome" => {
            app.remote_outcome(
                ctx,
                &id,
                &RemoteOutcome {
                    version,
                    solved: f.solved == "yes",
                    note,
                },
            )
            .await
        }
        "resolve" => {
            app.resolve_request(ctx, &id, &RequestNote { version, note })
                .await
        }
        "close" => {
            app.close_request(ctx, &id, &RequestNote { version, note })
                .await
        }
        "cancel" => {
            app.cancel_request(
                ctx,
                &id,
                &CancelInput {
                    version,
                    reason: f.reason.clone(),
                },
            )
            .await
        }
        "reopen" => {
            app.reopen_request(ctx, &id, &RequestNote { version, note })
                .await
        }
        "visit" => {
            app.add_visit(
                ctx,
                &id,
                &NewVisit {
                    version,
                    org_unit_id: opt(&f.org_unit_id),
                    note,
                },
            )
            .await
        }
        "priority" => {
            app.change_request_priority(
                ctx,
                &id,
                &aftersales_app::PriorityChange {
                    version,
                    priority: f.priority.clone(),
                    note,
                },
            )
            .await
        }
        "sla-ack" => match app
            .acknowledge_breach(ctx, &id, &f.milestone, note.as_deref())
            .await
        {
            Ok(()) => app.get_service_request(ctx, &id).await,
            Err(e) => Err(e),
        },
        _ => Err(AppError::NotFound("page")),
    };
    let tr = u.tr();
    match result {
        Ok(r) => crate::shell::redirect(&format!(
            "/requests/{}?done={}",
            encode_component(&r.number),
            encode_component(&action)
        ))
        .into_response(),
        Err(e @ (AppError::Validation(_) | AppError::FieldConflict(_))) => {
            let errs = e.field_errors().cloned().unwrap_or_else(FieldErrors::new);
            let errors = FormErrors::from_fields(&errs, tr);
            let status = crate::problem::status_of(&e);
            let page = request_page(
                &s,
                u,
                &id,
                &action,
                errors,
                Some(tr.t_error(e.code())),
                None,
            )
            .await;
            (status, page).into_response()
        }
        // Someone changed it in between: show it as it is now and say so.
        Err(e @ (AppError::StaleVersion { .. } | AppError::Conflict(_))) => {
            let status = crate::problem::status_of(&e);
            let page = request_page(
                &s,
                u,
                &id,
                &action,
                FormErrors::default(),
                Some(tr.t_error(e.code())),
                None,
            )
            .await;
            (status, page).into_response()
        }
        Err(e) => PageError::for_user(e, u).into_response(),
    }
}
