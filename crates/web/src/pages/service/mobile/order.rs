//! One job in full (`/m/orders/{id}`): the card, the service record form (saved or as
//! typed), the signature, the appointments, completion and addenda; and the answer to a
//! step, back where it came from or the same page with the refusal beside the control.

use super::{
    Card, DoneQuery, StepError, back_url, card_of, field, flash_of, home_page, step_error,
};
use crate::AppState;
use crate::extract::{Path, Query};
use crate::pages::service::dispatch::is_page_error;
use crate::pages::service::wo_fmt;
use crate::shell::{PageError, Shell, WebUser};
use aftersales_app::{AppError, PartUsed, RecordInput, WorkOrderView};
use aftersales_domain::service::{CodeKind, Outcome, WoAction};
use aftersales_domain::{FieldError, FieldErrors};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

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
    /// `None`: not answered yet (the customer signs for the answer).
    pub test_run_done: Option<bool>,
    pub customer_trained: bool,
    pub rating_quality: String,
    pub rating_attitude: String,
    pub no_parts: bool,
    pub cause_at_center: bool,
}

pub(super) fn hours_of(minutes: i64) -> String {
    if minutes % 60 == 0 {
        return (minutes / 60).to_string();
    }
    let s = format!("{:.2}", minutes as f64 / 60.0);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl RecordForm {
    pub(super) fn of(v: &WorkOrderView) -> Self {
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
            test_run_done: r.test_run_done,
            customer_trained: r.customer_trained == Some(true),
            rating_quality: r.rating_quality.map(|x| x.to_string()).unwrap_or_default(),
            rating_attitude: r.rating_attitude.map(|x| x.to_string()).unwrap_or_default(),
            no_parts: r.no_parts,
            cause_at_center: r.cause_at_center,
        }
    }

    /// Reads the posted pairs; part rows as `parts.N.field`, rows left empty dropped.
    pub(super) fn from_pairs(pairs: &[(String, String)]) -> Self {
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
                // Yes (`1`) or no (`0`); nothing chosen is no answer.
                "test_run_done" => {
                    f.test_run_done = match v.trim() {
                        "1" => Some(true),
                        "0" => Some(false),
                        _ => None,
                    }
                }
                "no_parts" => f.no_parts = !v.is_empty(),
                "cause_at_center" => f.cause_at_center = !v.is_empty(),
                "customer_trained" => f.customer_trained = !v.is_empty(),
                "rating_quality" => f.rating_quality = v.clone(),
                "rating_attitude" => f.rating_attitude = v.clone(),
                _ => {
                    let Some(("parts", i, field)) = crate::shell::row_field(k, 60) else {
                        continue;
                    };
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

    /// Whether the test run was answered yes / no (for the radio buttons).
    pub fn test_run_is(&self, answer: bool) -> bool {
        self.test_run_done == Some(answer)
    }

    /// The use-case's input (offered for signature when `ready`) and the errors of the
    /// form's own fields (hours, ratings), which are left out of the input; hours typed as
    /// a decimal (`1.5`, `1,5`) become minutes.
    pub(super) fn input(&self, ready: bool) -> (RecordInput, FieldErrors) {
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
        let input = RecordInput {
            version: self.version,
            fault_cause_code: opt(&self.fault_cause_code),
            diagnosis: opt(&self.diagnosis),
            action_taken: opt(&self.action_taken),
            notes: opt(&self.notes),
            parts,
            labor_minutes: labor,
            test_run_done: self.test_run_done,
            customer_trained: Some(self.customer_trained),
            rating_quality,
            rating_attitude,
            no_parts: self.no_parts,
            cause_at_center: self.cause_at_center,
            ready,
        };
        (input, errs)
    }
}

/// The signature step's values as typed.
#[derive(Clone, Default)]
pub struct SignForm {
    pub signer_name: String,
    pub signature_png: String,
    pub declined_reason: String,
}

/// A way a visit may end (`Outcome::ALL`), as the completion form offers it.
pub struct OutcomeChoice {
    pub value: &'static str,
    pub label: String,
    /// Chosen before a refusal.
    pub checked: bool,
    /// The unit goes to the depot: the tick "loaner left" follows it.
    pub takes_loaner: bool,
}

/// A fault cause of the catalog as the picker offers it.
pub struct CauseOption {
    pub code: String,
    pub name: String,
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
    /// The catalog's fault causes for the unit's product line (the picker).
    pub causes: Vec<CauseOption>,
    /// The saved record has everything the customer signs for: it may be signed.
    pub filled: bool,
    /// Marked "completed at the center" and not completed yet: the engineer may complete it.
    pub awaits_center: bool,
    /// A refusal, said at the top of the page with each refused field named.
    pub summary: Vec<super::SummaryItem>,
    /// The job's charges and quote (docs/charges.md), when it has any.
    pub charges: Option<super::charges_card::ChargesCard>,
}

impl OrderPage {
    /// The refusal's sentence for the summary at the top of the page.
    pub fn error_summary(&self) -> Option<&str> {
        self.card.error.as_ref().map(|e| e.message.as_str())
    }

    /// The name of a fault cause code of the catalog (empty when unknown).
    pub fn cause_name(&self, code: &str) -> &str {
        self.causes
            .iter()
            .find(|c| c.code == code)
            .map_or("", |c| c.name.as_str())
    }

    /// What the center-completion form shows: as typed before a refusal, else empty.
    pub fn center_typed(&self, field: &str) -> &str {
        match &self.card.error {
            Some(e) if e.form == "center" => self.card.typed_or(field, ""),
            _ => "",
        }
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

    /// The completion form's outcomes, the one typed before a refusal checked.
    pub fn outcomes(&self) -> Vec<OutcomeChoice> {
        let typed = Outcome::parse(self.card.typed_or("outcome", ""));
        Outcome::ALL
            .iter()
            .map(|o| OutcomeChoice {
                value: o.as_str(),
                label: self.outcome_label(o),
                checked: typed == Some(*o),
                takes_loaner: *o == Outcome::Depot,
            })
            .collect()
    }

    pub fn when(&self, t: &jiff::Timestamp) -> String {
        crate::shell::fmt_time(t)
    }

    pub fn rating_label(&self, n: &str) -> String {
        self.shell.tr.f("engineer.rating_n", &[("n", n)])
    }
}

pub(crate) struct OrderState {
    pub(super) flash: Option<String>,
    pub(crate) error: Option<StepError>,
    pub(crate) typed: BTreeMap<String, String>,
    pub(super) record: Option<RecordForm>,
    pub(super) sign: Option<SignForm>,
    pub(super) clear: bool,
    /// A quote's one-time link, just issued (shown once).
    pub(super) quote_link: Option<String>,
}

impl OrderState {
    pub(crate) fn plain(flash: Option<String>) -> Self {
        OrderState {
            flash,
            error: None,
            typed: BTreeMap::new(),
            record: None,
            sign: None,
            quote_link: None,
            clear: false,
        }
    }
}

pub(crate) async fn order_page(
    s: &AppState,
    u: WebUser,
    key: &str,
    st: OrderState,
) -> Result<OrderPage, PageError> {
    let tr = u.tr();
    u.ctx.require(aftersales_domain::Permission::FieldWork)?;
    let v = s.app.get_work_order(&u.ctx, key).await?;
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
    let line = v.request.unit.as_ref().map(|u| u.product_line.clone());
    let filled = v.record.as_ref().is_some_and(|r| r.filled);
    let awaits_center = v.record.as_ref().is_some_and(|r| r.awaits_center);
    let causes = if (v.status.is_on_site() && !locked) || awaits_center {
        s.app
            .list_codes(&u.ctx, CodeKind::Cause.as_str(), line.as_deref())
            .await?
            .into_iter()
            .map(|c| CauseOption {
                name: c.name(tr.locale).to_owned(),
                code: c.code,
            })
            .collect()
    } else {
        Vec::new()
    };
    let summary = card
        .error
        .as_ref()
        .map(|e| e.summary(tr, &v.number))
        .unwrap_or_default();
    let record_labor = v
        .record
        .as_ref()
        .and_then(|r| r.labor_minutes)
        .map(|m| wo_fmt::minutes(tr, m))
        .unwrap_or_default();
    let charges = super::charges_card::card(s, &u, &v, st.quote_link).await?;
    Ok(OrderPage {
        charges,
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
        causes,
        filled,
        awaits_center,
        summary,
        card,
        v,
        shell: u.shell,
    })
}

pub async fn order(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let flash = flash_of(u.tr(), &q.done);
    let mut st = OrderState::plain(flash);
    st.clear = q.done.trim() == "record";
    Ok(order_page(&s, u, &id, st).await?.into_response())
}

/// After a step: on success back to where it came from, on refusal the same page with
/// the message beside the control (nothing was changed).
#[allow(clippy::too_many_arguments)]
pub(super) async fn after_step(
    s: &AppState,
    u: WebUser,
    key: &str,
    pairs: &[(String, String)],
    form: &str,
    done: &str,
    anchor: &str,
    res: Result<WorkOrderView, AppError>,
) -> Result<Response, PageError> {
    match res {
        Ok(v) => {
            Ok(crate::shell::redirect(&back_url(pairs, &v.number, done, anchor)).into_response())
        }
        Err(e) if is_page_error(&e) => Err(e.into()),
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
                let id = s.app.get_work_order(&u.ctx, key).await?.id;
                let page = home_page(s, u, None, Some((id, err, typed))).await?;
                Ok((status, page).into_response())
            } else {
                let mut st = OrderState::plain(None);
                st.error = Some(err);
                st.typed = typed;
                let page = order_page(s, u, key, st).await?;
                Ok((status, page).into_response())
            }
        }
    }
}
