//! The engineer's phone (工程师, UX.md): today's jobs as large cards with one big button
//! for the next step, the rest in a menu; one job in full with the service record (saved
//! as you go), photos, the customer's signature (or the refusal with its reason), the
//! completion and addenda. Roles engineer and partner, their own orders only.
//!
//! Every change is a plain form post answered by a redirect (reload-safe); a refusal
//! comes back as the page with the message beside the control that was used, in the
//! user's language. Widgets: docs/field-widgets.md.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::i18n::Tr;
use crate::pages::service::dispatch::{error_message, is_page_error};
use crate::pages::service::wo_fmt;
use crate::problem::ApiError;
use crate::shell::{FormErrors, PageError, Shell, WebUser};
use aftersales_app::{
    AddendumInput, AppError, AppointmentInput, CompleteInput, DeclineInput, PartUsed,
    PositionInput, RecordInput, SignatureInput, TransitionInput, WorkOrderView,
};
use aftersales_domain::service::{self, NextStep, Outcome, WoAction, WoStatus};
use aftersales_domain::{FieldError, FieldErrors, Locale};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
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

/// The big button: a form posting the step, or a link to the part of the page to fill in.
pub struct Next {
    pub action: String,
    pub label: String,
    pub href: Option<String>,
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
}

/// The big button for the domain's next step (`service::next_step`).
fn next_step(tr: Tr, v: &WorkOrderView) -> Option<Next> {
    let locked = v.record.as_ref().is_some_and(|r| r.locked);
    let link = |key: &str, anchor: &str| Next {
        action: "link".into(),
        label: tr.t_dyn(key),
        href: Some(format!("/m/orders/{}#{anchor}", v.number)),
    };
    Some(match service::next_step(v.status, locked)? {
        NextStep::Act(a) => Next {
            action: a.as_str().to_owned(),
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
    let has = |a: &str| v.actions.iter().any(|x| x == a);
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
        can_decline: has("decline"),
        can_wait: has("wait"),
        can_schedule: has("schedule"),
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
    status: StatusCode,
) -> Response {
    let tr = u.tr();
    let orders = match s.app.engineer_day(&u.ctx).await {
        Ok(o) => o,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let now = s.app.now();
    let today = wo_fmt::local_date(now);
    let mut error = error;
    let mut page = HomePage {
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
    (status, page).into_response()
}

pub async fn home(State(s): State<AppState>, u: WebUser, Query(q): Query<DoneQuery>) -> Response {
    let flash = flash_of(u.tr(), &q.done);
    home_page(&s, u, flash, None, StatusCode::OK).await
}

// ---------------------------------------------------------------------------------------
// /m/orders/{id}: one job in full

#[derive(Clone, Default)]
pub struct PartLine {
    pub part_no: String,
    pub name: String,
    pub qty: String,
}

/// The service record form as saved or as typed.
#[derive(Clone, Default)]
pub struct RecordForm {
    pub version: i64,
    pub fault_cause_code: String,
    pub diagnosis: String,
    pub action_taken: String,
    pub notes: String,
    pub parts: Vec<PartLine>,
    pub labor_hours: String,
    pub test_run_done: bool,
    pub customer_trained: bool,
    pub rating_quality: String,
    pub rating_attitude: String,
}

fn hours_of(minutes: i64) -> String {
    if minutes % 60 == 0 {
        return (minutes / 60).to_string();
    }
    let s = format!("{:.2}", minutes as f64 / 60.0);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl RecordForm {
    fn of(v: &WorkOrderView) -> Self {
        let Some(r) = &v.record else {
            return RecordForm::default();
        };
        RecordForm {
            version: r.version,
            fault_cause_code: r.fault_cause_code.clone().unwrap_or_default(),
            diagnosis: r.diagnosis.clone().unwrap_or_default(),
            action_taken: r.action_taken.clone().unwrap_or_default(),
            notes: r.notes.clone().unwrap_or_default(),
            parts: r
                .parts
                .iter()
                .map(|p| PartLine {
                    part_no: p.part_no.clone().unwrap_or_default(),
                    name: p.name.clone(),
                    qty: p.qty.to_string(),
                })
                .collect(),
            labor_hours: r.labor_minutes.map(hours_of).unwrap_or_default(),
            test_run_done: r.test_run_done == Some(true),
            customer_trained: r.customer_trained == Some(true),
            rating_quality: r.rating_quality.map(|x| x.to_string()).unwrap_or_default(),
            rating_attitude: r.rating_attitude.map(|x| x.to_string()).unwrap_or_default(),
        }
    }

    /// Reads the posted pairs; part rows as `parts.N.field`, rows left empty dropped.
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = RecordForm::default();
        let mut parts: BTreeMap<usize, PartLine> = BTreeMap::new();
        for (k, v) in pairs {
            match k.as_str() {
                "version" => f.version = v.trim().parse().unwrap_or(-1),
                "fault_cause_code" => f.fault_cause_code = v.clone(),
                "diagnosis" => f.diagnosis = v.clone(),
                "action_taken" => f.action_taken = v.clone(),
                "notes" => f.notes = v.clone(),
                "labor_hours" => f.labor_hours = v.clone(),
                "test_run_done" => f.test_run_done = !v.is_empty(),
                "customer_trained" => f.customer_trained = !v.is_empty(),
                "rating_quality" => f.rating_quality = v.clone(),
                "rating_attitude" => f.rating_attitude = v.clone(),
                _ => {
                    let mut it = k.splitn(3, '.');
                    let (Some("parts"), Some(i), Some(field)) = (it.next(), it.next(), it.next())
                    else {
                        continue;
                    };
                    let Ok(i) = i.parse::<usize>() else { continue };
                    if i > 60 {
                        continue;
                    }
                    let p = parts.entry(i).or_default();
                    match field {
                        "part_no" => p.part_no = v.clone(),
                        "name" => p.name = v.clone(),
                        "qty" => p.qty = v.clone(),
                        _ => {}
                    }
                }
            }
        }
        f.parts = parts
            .into_values()
            .filter(|p| {
                !(p.part_no.trim().is_empty()
                    && p.name.trim().is_empty()
                    && p.qty.trim().is_empty())
            })
            .collect();
        f
    }

    /// The use-case's input; hours typed as a decimal (`1.5`, `1,5`) become minutes.
    fn input(&self) -> Result<RecordInput, FieldErrors> {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut errs = FieldErrors::new();
        let labor = match self.labor_hours.trim().replace(',', ".") {
            h if h.is_empty() => None,
            h => match h.parse::<f64>() {
                Ok(x) if x.is_finite() && (0.0..=24.0).contains(&x) => {
                    Some((x * 60.0).round() as i64)
                }
                _ => {
                    errs.push(
                        FieldError::new("labor_hours", "out_of_range")
                            .with("min", 0)
                            .with("max", 24),
                    );
                    None
                }
            },
        };
        let rating = |field: &str, s: &str, errs: &mut FieldErrors| match s.trim() {
            "" => None,
            x => match x.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errs.push(
                        FieldError::new(field, "out_of_range")
                            .with("min", 1)
                            .with("max", 5),
                    );
                    None
                }
            },
        };
        let rating_quality = rating("rating_quality", &self.rating_quality, &mut errs);
        let rating_attitude = rating("rating_attitude", &self.rating_attitude, &mut errs);
        let parts = self
            .parts
            .iter()
            .map(|p| PartUsed {
                part_no: opt(&p.part_no),
                name: p.name.clone(),
                // A part named without a quantity is one part.
                qty: match p.qty.trim() {
                    "" => 1,
                    q => q.parse().unwrap_or(0),
                },
            })
            .collect();
        errs.into_result()?;
        Ok(RecordInput {
            version: self.version,
            fault_cause_code: opt(&self.fault_cause_code),
            diagnosis: opt(&self.diagnosis),
            action_taken: opt(&self.action_taken),
            notes: opt(&self.notes),
            parts,
            labor_minutes: labor,
            test_run_done: Some(self.test_run_done),
            customer_trained: Some(self.customer_trained),
            rating_quality,
            rating_attitude,
        })
    }
}

/// The signature step's values as typed.
#[derive(Clone, Default)]
pub struct SignForm {
    pub signer_name: String,
    pub signature_png: String,
    pub declined_reason: String,
}

pub struct Appt {
    pub window: String,
    pub reason: String,
    pub agreed: bool,
    pub by: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "service/m_order.html")]
pub struct OrderPage {
    pub shell: Shell,
    pub card: Card,
    pub v: WorkOrderView,
    pub record: RecordForm,
    pub sign: SignForm,
    pub appointments: Vec<Appt>,
    pub flash: Option<String>,
    pub autosave_key: String,
    /// The draft this page settles (after the record was saved).
    pub clear_key: Option<String>,
    pub on_site: bool,
    /// The visit may be completed in this state (arrived or in service).
    pub can_complete: bool,
    pub locked: bool,
    pub has_record: bool,
    pub record_labor: String,
    pub ratings: Vec<String>,
}

impl OrderPage {
    /// A refusal of a part of the page this state does not show (e.g. a record saved
    /// after the visit ended): said at the top instead.
    pub fn orphan_error(&self) -> Option<&str> {
        let e = self.card.error.as_ref()?;
        let on_site_open = self.on_site && !self.locked;
        let shown = match e.form.as_str() {
            "record" => on_site_open || self.locked,
            "signature" => (on_site_open && self.has_record) || self.locked,
            "complete" => self.locked && self.can_complete,
            "addendum" => self.locked,
            _ => true,
        };
        (!shown).then_some(e.message.as_str())
    }

    pub fn part_rows(&self) -> Vec<PartLine> {
        let mut v = self.record.parts.clone();
        v.push(PartLine::default());
        v
    }

    /// A part row's error (`parts[0].name`).
    pub fn part_error(&self, i: &usize, field: &str) -> Option<&str> {
        self.card.ferr("record", &format!("parts[{i}].{field}"))
    }

    pub fn photo_url(&self, id: &str) -> String {
        format!("/m/orders/{}/photos/{id}", self.v.number)
    }

    pub fn yes_no(&self, b: &Option<bool>) -> String {
        match b {
            Some(true) => self.shell.tr.t("engineer.yes").to_owned(),
            Some(false) => self.shell.tr.t("engineer.no").to_owned(),
            None => "—".to_owned(),
        }
    }

    pub fn outcome_label(&self, o: &Outcome) -> String {
        self.shell.tr.t_dyn(&format!("wo.outcome.{}", o.as_str()))
    }

    pub fn when(&self, t: &jiff::Timestamp) -> String {
        crate::shell::fmt_time(t)
    }

    pub fn rating_label(&self, n: &str) -> String {
        self.shell.tr.f("engineer.rating_n", &[("n", n)])
    }
}

struct OrderState {
    flash: Option<String>,
    error: Option<StepError>,
    typed: BTreeMap<String, String>,
    record: Option<RecordForm>,
    sign: Option<SignForm>,
    clear: bool,
}

impl OrderState {
    fn plain(flash: Option<String>) -> Self {
        OrderState {
            flash,
            error: None,
            typed: BTreeMap::new(),
            record: None,
            sign: None,
            clear: false,
        }
    }
}

async fn order_page(
    s: &AppState,
    u: WebUser,
    key: &str,
    st: OrderState,
    status: StatusCode,
) -> Response {
    let tr = u.tr();
    if let Err(e) = u.ctx.require(aftersales_domain::Permission::FieldWork) {
        return PageError::for_user(e, u).into_response();
    }
    let v = match s.app.get_work_order(&u.ctx, key).await {
        Ok(v) => v,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let now = s.app.now();
    let mut card = card_of(tr, &v, now, "order");
    card.error = st.error;
    card.typed = st.typed;
    let autosave_key = format!("u-{}-wo-{}-record", u.actor.id, v.number);
    let locked = v.record.as_ref().is_some_and(|r| r.locked);
    let appointments = v
        .appointments
        .iter()
        .map(|a| Appt {
            window: wo_fmt::window(
                tr,
                Some(a.starts_at),
                Some(a.ends_at),
                wo_fmt::local_date(now),
            ),
            reason: a.reason.clone().unwrap_or_default(),
            agreed: a.customer_agreed,
            by: a.by_name.clone(),
            at: crate::shell::fmt_time(a.at),
        })
        .collect();
    let record_labor = v
        .record
        .as_ref()
        .and_then(|r| r.labor_minutes)
        .map(|m| wo_fmt::minutes(tr, m))
        .unwrap_or_default();
    let page = OrderPage {
        record: st.record.unwrap_or_else(|| RecordForm::of(&v)),
        sign: st.sign.unwrap_or_else(|| SignForm {
            signer_name: v.request.contact_name.clone(),
            ..Default::default()
        }),
        appointments,
        flash: st.flash,
        clear_key: st.clear.then(|| autosave_key.clone()),
        autosave_key,
        on_site: v.status.is_on_site(),
        can_complete: v.status.allows(WoAction::Complete),
        locked,
        has_record: v.record.is_some(),
        record_labor,
        ratings: (1..=5).map(|n| n.to_string()).collect(),
        card,
        v,
        shell: u.shell,
    };
    (status, page).into_response()
}

pub async fn order(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let flash = flash_of(u.tr(), &q.done);
    let mut st = OrderState::plain(flash);
    st.clear = q.done.trim() == "record";
    order_page(&s, u, &id, st, StatusCode::OK).await
}

// ---------------------------------------------------------------------------------------
// Steps: accept, decline, appointment, transition (depart, arrive, start, wait, resume)

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

/// After a step: on success back to where it came from, on refusal the same page with
/// the message beside the control (nothing was changed).
#[allow(clippy::too_many_arguments)]
async fn after_step(
    s: &AppState,
    u: WebUser,
    key: &str,
    pairs: &[(String, String)],
    form: &str,
    done: &str,
    anchor: &str,
    res: Result<WorkOrderView, AppError>,
) -> Response {
    match res {
        Ok(v) => crate::shell::redirect(&back_url(pairs, &v.number, done, anchor)).into_response(),
        Err(e) if is_page_error(&e) => PageError::for_user(e, u).into_response(),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let err = step_error(u.tr(), form, &e);
            let typed: BTreeMap<String, String> = pairs
                .iter()
                .filter(|(k, _)| k != "_csrf" && k != "version")
                .cloned()
                .collect();
            if field(pairs, "back") == "list" {
                // The card is found by id: resolve a number first.
                let id = match s.app.get_work_order(&u.ctx, key).await {
                    Ok(v) => v.id,
                    Err(e) => return PageError::for_user(e, u).into_response(),
                };
                home_page(s, u, None, Some((id, err, typed)), status).await
            } else {
                let mut st = OrderState::plain(None);
                st.error = Some(err);
                st.typed = typed;
                order_page(s, u, key, st, status).await
            }
        }
    }
}

pub async fn accept(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let input = PositionInput {
        version: version(&p),
        latitude: opt_f64(&p, "latitude"),
        longitude: opt_f64(&p, "longitude"),
    };
    let res = s.app.accept_work_order(&u.ctx, &id, &input).await;
    after_step(&s, u, &id, &p, "next", "accept", "", res).await
}

pub async fn decline(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let input = DeclineInput {
        version: version(&p),
        reason: field(&p, "reason").to_owned(),
    };
    let res = s.app.decline_work_order(&u.ctx, &id, &input).await;
    // A declined order is no longer the engineer's: always back to the list.
    match res {
        Ok(v) => {
            crate::shell::redirect(&format!("/m?done=decline&number={}", v.number)).into_response()
        }
        Err(e) => after_step(&s, u, &id, &p, "decline", "decline", "", Err(e)).await,
    }
}

/// `2026-11-30` and `09:00` in the service's zone as an instant; empty when unreadable
/// (the use-case then names the field).
fn local_instant(date: &str, hm: &str) -> String {
    let (Ok(d), Ok(t)) = (
        date.trim().parse::<jiff::civil::Date>(),
        hm.trim().parse::<jiff::civil::Time>(),
    ) else {
        return String::new();
    };
    d.to_datetime(t)
        .to_zoned(wo_fmt::tz())
        .map(|z| z.timestamp().to_string())
        .unwrap_or_default()
}

pub async fn appointment(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let date = field(&p, "date");
    let input = AppointmentInput {
        version: version(&p),
        starts_at: local_instant(date, field(&p, "start")),
        ends_at: local_instant(date, field(&p, "end")),
        reason: opt_text(&p, "reason"),
        customer_agreed: !field(&p, "customer_agreed").is_empty(),
    };
    let res = s.app.set_appointment(&u.ctx, &id, &input).await;
    after_step(&s, u, &id, &p, "appointment", "appointment", "", res).await
}

pub async fn transition(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let action = field(&p, "action").trim().to_owned();
    let input = TransitionInput {
        version: version(&p),
        action: action.clone(),
        wait_reason: opt_text(&p, "wait_reason"),
        reason: opt_text(&p, "reason"),
        latitude: opt_f64(&p, "latitude"),
        longitude: opt_f64(&p, "longitude"),
    };
    let res = s.app.transition_work_order(&u.ctx, &id, &input).await;
    let form = match action.as_str() {
        "wait" => "wait",
        _ => "next",
    };
    let anchor = if action == "start" { "#record" } else { "" };
    after_step(&s, u, &id, &p, form, &action, anchor, res).await
}

// ---------------------------------------------------------------------------------------
// The service record: saved by the form, and as you go (autosave sync)

async fn record_refused(
    s: &AppState,
    u: WebUser,
    key: &str,
    form: RecordForm,
    e: AppError,
) -> Response {
    let status = crate::problem::status_of(&e);
    let tr = u.tr();
    let mut err = step_error(tr, "record", &e);
    // The use-case speaks of minutes; the form asks for hours.
    if let Some(m) = err.fields.0.remove("labor_minutes") {
        err.fields.0.entry("labor_hours".into()).or_insert(m);
    }
    if matches!(e, AppError::Validation(_) | AppError::FieldConflict(_)) {
        err.message = tr.t("error.validation_failed").to_owned();
    }
    let mut st = OrderState::plain(None);
    st.error = Some(err);
    // A stale form is shown as stored now (the typed text stays in the phone's draft).
    if !matches!(e, AppError::StaleVersion { .. }) {
        st.record = Some(form);
    }
    order_page(s, u, key, st, status).await
}

pub async fn save_record(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let form = RecordForm::from_pairs(&p);
    let input = match form.input() {
        Ok(i) => i,
        Err(errs) => return record_refused(&s, u, &id, form, AppError::Validation(errs)).await,
    };
    match s.app.save_record(&u.ctx, &id, &input).await {
        Ok(v) => crate::shell::redirect(&format!("/m/orders/{}?done=record#signature", v.number))
            .into_response(),
        Err(e) if is_page_error(&e) => PageError::for_user(e, u).into_response(),
        Err(e) => record_refused(&s, u, &id, form, e).await,
    }
}

fn json_error(u: &Result<WebUser, Response>, e: AppError) -> Response {
    let locale = u.as_ref().map_or(Locale::default(), |u| u.tr().locale);
    ApiError::new(e, locale, None).into_response()
}

/// Autosave sync (`PUT`, form-encoded like the form): saves the record and answers its new
/// `version` as JSON, or a problem (the widget shows its `detail`).
pub async fn record_draft(
    State(s): State<AppState>,
    u: Result<WebUser, Response>,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let Ok(user) = &u else {
        return json_error(&u, AppError::Unauthenticated);
    };
    let input = match RecordForm::from_pairs(&p).input() {
        Ok(i) => i,
        Err(errs) => return json_error(&u, AppError::Validation(errs)),
    };
    match s.app.save_record(&user.ctx, &id, &input).await {
        Ok(v) => axum::Json(serde_json::json!({
            "version": v.record.as_ref().map_or(0, |r| r.version),
            "work_order_version": v.version,
        }))
        .into_response(),
        Err(e) => json_error(&u, e),
    }
}

// ---------------------------------------------------------------------------------------
// Photos (the upload widget posts the image itself)

pub async fn add_photo(
    State(s): State<AppState>,
    u: Result<WebUser, Response>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(user) = &u else {
        return json_error(&u, AppError::Unauthenticated);
    };
    match s.app.add_photo(&user.ctx, &id, &body, None).await {
        Ok(p) => (StatusCode::CREATED, axum::Json(p)).into_response(),
        Err(e) => json_error(&u, e),
    }
}

pub async fn photo(
    State(s): State<AppState>,
    u: WebUser,
    Path((id, photo_id)): Path<(String, String)>,
) -> Response {
    match s.app.photo(&u.ctx, &id, &photo_id).await {
        Ok((ct, bytes)) => crate::security::upload_response(ct, bytes, &photo_id),
        Err(e) => PageError::for_user(e, u).into_response(),
    }
}

// ---------------------------------------------------------------------------------------
// Signature (or the customer's refusal), completion, addenda

pub async fn sign(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let tr = u.tr();
    let typed = SignForm {
        signer_name: field(&p, "signer_name").to_owned(),
        signature_png: field(&p, "signature_png").trim().to_owned(),
        declined_reason: field(&p, "declined_reason").to_owned(),
    };
    let declined = field(&p, "choice") == "decline";
    let refuse = |field_name: &str, message: String, status: StatusCode| {
        let mut fields = FormErrors::default();
        fields.0.insert(field_name.to_owned(), message.clone());
        let mut st = OrderState::plain(None);
        st.error = Some(StepError {
            form: "signature".into(),
            message,
            fields,
        });
        st.sign = Some(typed.clone());
        (st, status)
    };
    // The customer signs the record they were shown: refuse if it changed since.
    let current = match s.app.get_work_order(&u.ctx, &id).await {
        Ok(v) => v,
        Err(e) => return PageError::for_user(e, u).into_response(),
    };
    let shown: i64 = field(&p, "record_version").trim().parse().unwrap_or(-1);
    let now_version = current.record.as_ref().map(|r| r.version);
    if now_version.is_some() && now_version != Some(shown) {
        let (st, status) = refuse(
            "record_version",
            tr.t("error.record_changed").to_owned(),
            StatusCode::CONFLICT,
        );
        return order_page(&s, u, &id, st, status).await;
    }
    let input = if declined {
        if typed.declined_reason.trim().is_empty() {
            let (st, status) = refuse(
                "declined_reason",
                tr.t("engineer.decline_reason_needed").to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            return order_page(&s, u, &id, st, status).await;
        }
        SignatureInput {
            signature_png: None,
            signer_name: None,
            declined_reason: Some(typed.declined_reason.clone()),
        }
    } else {
        if typed.signature_png.is_empty() {
            let (st, status) = refuse(
                "signature_png",
                tr.t("engineer.signature_needed").to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            return order_page(&s, u, &id, st, status).await;
        }
        SignatureInput {
            signature_png: Some(typed.signature_png.clone()),
            signer_name: Some(typed.signer_name.clone()).filter(|n| !n.trim().is_empty()),
            declined_reason: None,
        }
    };
    match s.app.sign_record(&u.ctx, &id, &input).await {
        Ok(v) => crate::shell::redirect(&format!(
            "/m/orders/{}?done={}#complete",
            v.number,
            if declined { "declined" } else { "signed" }
        ))
        .into_response(),
        Err(e) if is_page_error(&e) => PageError::for_user(e, u).into_response(),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let mut st = OrderState::plain(None);
            st.error = Some(step_error(tr, "signature", &e));
            st.sign = Some(typed);
            order_page(&s, u, &id, st, status).await
        }
    }
}

pub async fn complete(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let input = CompleteInput {
        version: version(&p),
        outcome: field(&p, "outcome").trim().to_owned(),
        loaner_left: !field(&p, "loaner_left").is_empty(),
        latitude: opt_f64(&p, "latitude"),
        longitude: opt_f64(&p, "longitude"),
    };
    let res = s.app.complete_work_order(&u.ctx, &id, &input).await;
    after_step(&s, u, &id, &p, "complete", "complete", "", res).await
}

pub async fn addendum(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let input = AddendumInput {
        body: field(&p, "body").to_owned(),
    };
    let res = s.app.add_addendum(&u.ctx, &id, &input).await;
    after_step(&s, u, &id, &p, "addendum", "addendum", "#addenda", res).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn the_record_form_reads_rows_hours_and_ticks() {
        let f = RecordForm::from_pairs(&pairs(&[
            ("version", "3"),
            ("diagnosis", "电容坏"),
            ("parts.0.part_no", "C-35"),
            ("parts.0.name", "电容"),
            ("parts.0.qty", ""),
            ("parts.1.part_no", ""),
            ("parts.1.name", ""),
            ("parts.1.qty", ""),
            ("parts.2.name", "螺丝"),
            ("parts.2.qty", "4"),
            ("labor_hours", "1,5"),
            ("test_run_done", "1"),
            ("rating_quality", "5"),
        ]));
        assert_eq!(f.parts.len(), 2, "the empty row is dropped");
        let i = f.input().expect("valid");
        assert_eq!(i.version, 3);
        assert_eq!(i.labor_minutes, Some(90));
        assert_eq!(i.parts[0].qty, 1, "a named part without a quantity is one");
        assert_eq!(i.parts[0].part_no.as_deref(), Some("C-35"));
        assert_eq!(i.parts[1].qty, 4);
        assert_eq!(i.test_run_done, Some(true));
        assert_eq!(i.customer_trained, Some(false));
        assert_eq!(i.rating_quality, Some(5));
        assert_eq!(i.rating_attitude, None);
        assert_eq!(i.fault_cause_code, None);
        let bad = RecordForm {
            labor_hours: "25".into(),
            ..RecordForm::default()
        };
        let errs = bad.input().expect_err("over a day");
        assert_eq!(errs.0[0].field, "labor_hours");
        assert_eq!(hours_of(90), "1.5");
        assert_eq!(hours_of(45), "0.75");
        assert_eq!(hours_of(120), "2");
        assert_eq!(hours_of(20), "0.33");
    }

    #[test]
    fn local_times_become_instants_in_the_service_zone() {
        assert_eq!(local_instant("2026-11-30", "09:00"), "2026-11-30T01:00:00Z");
        assert_eq!(local_instant("2026-11-30", "9点"), "");
        assert_eq!(local_instant("", "09:00"), "");
    }
}
