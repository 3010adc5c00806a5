//! Fee schedules as pages (R-FEE-2, docs/charges.md "Fee schedules"): the version in force
//! (or any version of the history) as readable tables, the history of versions, and a form
//! "new version from this one". A version is history: it is only ever added.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::i18n::Tr;
use crate::pages::installed_base::policies::merged;
use crate::shell::{FormErrors, PageError, Pick, Shell, WebUser};
use aftersales_app::{
    AppError, FeeScheduleInput, FeeScheduleVersionView, LaborInput, LaborRateInput, PartnerInput,
    SurchargesInput, TravelBandInput, TravelInput,
};
use aftersales_domain::charges::{FeeSchedule, NoSerialPolicy, Rate, yuan};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Number;

/// How many rows of a repeated group the form reads at most.
const MAX_ROWS: usize = 50;

/// A version's terms in the reader's words, for the tables.
pub struct Terms {
    /// (skill or "any other", rate, internal cost), in yuan.
    pub rates: Vec<(String, String, String)>,
    pub minimum: String,
    pub step: String,
    /// (class, fee) in yuan.
    pub travel: Vec<(String, String)>,
    /// (up to km, fee) in yuan.
    pub bands: Vec<(String, String)>,
    pub per_km_beyond: String,
    /// (name, percent).
    pub surcharges: Vec<(String, String)>,
    pub night_hours: String,
    pub vat: String,
    pub pay_first: String,
    pub no_serial: String,
    pub quote_valid_days: String,
    /// (org code, labor rate, travel fee), in yuan; "—" where the network's applies.
    pub partners: Vec<(String, String, String)>,
}

impl Terms {
    fn of(s: &FeeSchedule, tr: Tr) -> Terms {
        let y = |f: i64| format!("¥{}", yuan(f));
        let minutes = |m: u32| tr.f("fees.minutes", &[("n", &m.to_string())]);
        let none = || "—".to_owned();
        Terms {
            rates: s
                .labor
                .rates
                .iter()
                .map(|r| {
                    (
                        if r.skill.is_empty() {
                            tr.t("fees.any_skill").to_owned()
                        } else {
                            r.skill.clone()
                        },
                        y(r.rate_fen_per_hour),
                        y(r.internal_cost_fen_per_hour),
                    )
                })
                .collect(),
            minimum: minutes(s.labor.minimum_minutes),
            step: minutes(s.labor.step_minutes),
            travel: vec![
                (tr.t("fees.same_city").to_owned(), y(s.travel.same_city_fen)),
                (
                    tr.t("fees.same_province").to_owned(),
                    y(s.travel.same_province_fen),
                ),
                (
                    tr.t("fees.other_province").to_owned(),
                    y(s.travel.other_province_fen),
                ),
            ],
            bands: s
                .travel
                .bands
                .iter()
                .map(|b| (format!("≤ {} km", b.up_to_km), y(b.fee_fen)))
                .collect(),
            per_km_beyond: y(s.travel.per_km_beyond_fen),
            surcharges: vec![
                (
                    tr.t("fees.urgent").to_owned(),
                    s.surcharges.urgent.percent(),
                ),
                (tr.t("fees.night").to_owned(), s.surcharges.night.percent()),
                (
                    tr.t("fees.holiday").to_owned(),
                    s.surcharges.holiday.percent(),
                ),
            ],
            night_hours: format!(
                "{:02}:00–{:02}:00",
                s.surcharges.night_from_hour, s.surcharges.night_until_hour
            ),
            vat: s.vat.percent(),
            pay_first: tr
                .t(if s.pay_first {
                    "fees.pay_first_yes"
                } else {
                    "fees.pay_first_no"
                })
                .to_owned(),
            no_serial: tr.t_dyn(&format!("fees.no_serial.{}", s.no_serial.as_str())),
            quote_valid_days: tr.f("fees.days", &[("n", &s.quote_valid_days.to_string())]),
            partners: s
                .partners
                .iter()
                .map(|p| {
                    (
                        p.org_code.clone(),
                        p.labor_rate_fen_per_hour.map(y).unwrap_or_else(none),
                        p.travel_fen.map(y).unwrap_or_else(none),
                    )
                })
                .collect(),
        }
    }
}

/// One line of the history.
pub struct HistoryLine {
    pub id: String,
    pub number: i64,
    pub effective_from: String,
    pub created_by: String,
    pub created_at: String,
    pub note: Option<String>,
    pub in_force: bool,
    pub shown: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "charges/fee_schedules.html")]
pub struct SchedulesPage {
    pub shell: Shell,
    /// The version shown, if any exists.
    pub shown: Option<FeeScheduleVersionView>,
    pub terms: Option<Terms>,
    /// "第 3 版，自 2027-01-01 起执行" / "Version 3, in force from 2027-01-01".
    pub heading: String,
    /// Whether the version shown is the one in force today.
    pub shown_in_force: bool,
    pub history: Vec<HistoryLine>,
    pub can_manage: bool,
    pub saved: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    saved: Option<String>,
    from: Option<String>,
}

async fn schedules_page(
    s: &AppState,
    u: WebUser,
    id: Option<&str>,
    saved: bool,
) -> Result<Response, PageError> {
    let versions = s.app.list_fee_schedules(&u.ctx).await?;
    let today = s.app.today();
    let in_force = versions
        .iter()
        .filter(|v| v.effective_from <= today)
        .max_by_key(|v| (v.effective_from, v.number))
        .map(|v| v.id.clone());
    let shown = match id {
        Some(id) => Some(s.app.get_fee_schedule(&u.ctx, id).await?),
        None => in_force
            .as_ref()
            .and_then(|i| versions.iter().find(|v| &v.id == i).cloned()),
    };
    let tr = u.tr();
    let history = versions
        .iter()
        .map(|v| HistoryLine {
            id: v.id.clone(),
            number: v.number,
            effective_from: v.effective_from.to_string(),
            created_by: crate::shell::actor_words(tr, &v.created_by_name),
            created_at: crate::shell::fmt_time(v.created_at),
            note: v.note.clone(),
            in_force: in_force.as_ref() == Some(&v.id),
            shown: shown.as_ref().is_some_and(|s| s.id == v.id),
        })
        .collect();
    let heading = shown
        .as_ref()
        .map(|v| {
            tr.f(
                "fees.version_head",
                &[
                    ("n", &v.number.to_string()),
                    ("from", &v.effective_from.to_string()),
                ],
            )
        })
        .unwrap_or_default();
    Ok(SchedulesPage {
        heading,
        terms: shown.as_ref().map(|v| Terms::of(&v.terms, tr)),
        shown_in_force: shown
            .as_ref()
            .is_some_and(|v| in_force.as_ref() == Some(&v.id)),
        shown,
        history,
        can_manage: u.actor.role.can(Permission::FeeSchedulesManage),
        saved,
        shell: u.shell,
    }
    .into_response())
}

pub async fn schedules(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    schedules_page(&s, u, None, q.saved.is_some()).await
}

pub async fn schedule(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    schedules_page(&s, u, Some(&id), q.saved.is_some()).await
}

/// A row of labor rates, as typed.
#[derive(Clone, Default)]
pub struct RateRow {
    pub skill: String,
    pub rate: String,
    pub cost: String,
}

/// A distance band, as typed.
#[derive(Clone, Default)]
pub struct BandRow {
    pub up_to_km: String,
    pub fee: String,
}

/// A partner's terms, as typed.
#[derive(Clone, Default)]
pub struct PartnerRow {
    pub org_code: String,
    pub labor_rate: String,
    pub travel: String,
}

/// The form, as typed: amounts in fen, rates in percent.
#[derive(Clone, Default)]
pub struct ScheduleForm {
    pub effective_from: String,
    pub note: String,
    pub currency: String,
    pub rates: Vec<RateRow>,
    pub minimum_minutes: String,
    pub step_minutes: String,
    pub same_city: String,
    pub same_province: String,
    pub other_province: String,
    pub per_km_beyond: String,
    pub bands: Vec<BandRow>,
    pub urgent: String,
    pub night: String,
    pub holiday: String,
    pub night_from: String,
    pub night_until: String,
    pub vat: String,
    pub pay_first: bool,
    pub no_serial: String,
    pub quote_valid_days: String,
    pub partners: Vec<PartnerRow>,
}

/// A percent as the form shows it: `13`, `12.5` (the page adds the `%`).
fn percent_field(r: Rate) -> String {
    r.percent().trim_end_matches('%').to_owned()
}

/// A number typed into the form: a whole number, or a decimal the use-case refuses with
/// its own code; anything else is `whole_number` here and -1 there (refused as well, so
/// every other field is still checked and nothing is written).
fn typed_number(own: &mut FieldErrors, field: &str, v: &str) -> Number {
    let v = v.trim();
    if let Ok(n) = v.parse::<i64>() {
        return Number::from(n);
    }
    if let Some(n) = v.parse::<f64>().ok().and_then(Number::from_f64) {
        return n;
    }
    own.push(FieldError::new(
        field,
        if v.is_empty() {
            "required"
        } else {
            "whole_number"
        },
    ));
    Number::from(-1)
}

fn typed_opt_number(own: &mut FieldErrors, field: &str, v: &str) -> Option<Number> {
    (!v.trim().is_empty()).then(|| typed_number(own, field, v))
}

/// A percent typed into the form, as the use-case reads a rate.
fn typed_percent(v: &str) -> String {
    let v = v.trim().trim_end_matches('%').trim();
    if v.is_empty() {
        String::new()
    } else {
        format!("{v}%")
    }
}

impl ScheduleForm {
    fn of(v: &FeeScheduleVersionView) -> Self {
        let s = &v.terms;
        ScheduleForm {
            effective_from: String::new(),
            note: String::new(),
            currency: s.currency.as_str().to_owned(),
            rates: s
                .labor
                .rates
                .iter()
                .map(|r| RateRow {
                    skill: r.skill.clone(),
                    rate: r.rate_fen_per_hour.to_string(),
                    cost: r.internal_cost_fen_per_hour.to_string(),
                })
                .collect(),
            minimum_minutes: s.labor.minimum_minutes.to_string(),
            step_minutes: s.labor.step_minutes.to_string(),
            same_city: s.travel.same_city_fen.to_string(),
            same_province: s.travel.same_province_fen.to_string(),
            other_province: s.travel.other_province_fen.to_string(),
            per_km_beyond: s.travel.per_km_beyond_fen.to_string(),
            bands: s
                .travel
                .bands
                .iter()
                .map(|b| BandRow {
                    up_to_km: b.up_to_km.to_string(),
                    fee: b.fee_fen.to_string(),
                })
                .collect(),
            urgent: percent_field(s.surcharges.urgent),
            night: percent_field(s.surcharges.night),
            holiday: percent_field(s.surcharges.holiday),
            night_from: s.surcharges.night_from_hour.to_string(),
            night_until: s.surcharges.night_until_hour.to_string(),
            vat: percent_field(s.vat),
            pay_first: s.pay_first,
            no_serial: s.no_serial.as_str().to_owned(),
            quote_valid_days: s.quote_valid_days.to_string(),
            partners: s
                .partners
                .iter()
                .map(|p| PartnerRow {
                    org_code: p.org_code.clone(),
                    labor_rate: p
                        .labor_rate_fen_per_hour
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    travel: p.travel_fen.map(|v| v.to_string()).unwrap_or_default(),
                })
                .collect(),
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> Self {
        use std::collections::BTreeMap;
        let mut f = ScheduleForm::default();
        let mut rates: BTreeMap<usize, RateRow> = BTreeMap::new();
        let mut bands: BTreeMap<usize, BandRow> = BTreeMap::new();
        let mut partners: BTreeMap<usize, PartnerRow> = BTreeMap::new();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "effective_from" => f.effective_from = v,
                "note" => f.note = v,
                "currency" => f.currency = v,
                "minimum_minutes" => f.minimum_minutes = v,
                "step_minutes" => f.step_minutes = v,
                "same_city" => f.same_city = v,
                "same_province" => f.same_province = v,
                "other_province" => f.other_province = v,
                "per_km_beyond" => f.per_km_beyond = v,
                "urgent" => f.urgent = v,
                "night" => f.night = v,
                "holiday" => f.holiday = v,
                "night_from" => f.night_from = v,
                "night_until" => f.night_until = v,
                "vat" => f.vat = v,
                "pay_first" => f.pay_first = true,
                "no_serial" => f.no_serial = v,
                "quote_valid_days" => f.quote_valid_days = v,
                _ => match crate::shell::row_field(k, MAX_ROWS) {
                    Some(("rates", i, field)) => {
                        let r = rates.entry(i).or_default();
                        match field {
                            "skill" => r.skill = v,
                            "rate" => r.rate = v,
                            "cost" => r.cost = v,
                            _ => {}
                        }
                    }
                    Some(("bands", i, field)) => {
                        let b = bands.entry(i).or_default();
                        match field {
                            "up_to_km" => b.up_to_km = v,
                            "fee" => b.fee = v,
                            _ => {}
                        }
                    }
                    Some(("partners", i, field)) => {
                        let p = partners.entry(i).or_default();
                        match field {
                            "org_code" => p.org_code = v,
                            "labor_rate" => p.labor_rate = v,
                            "travel" => p.travel = v,
                            _ => {}
                        }
                    }
                    _ => {}
                },
            }
        }
        // A row left blank is an unused row (the default rate has an empty skill, so a
        // rate row counts when a rate is typed).
        f.rates = rates
            .into_values()
            .filter(|r| !(r.skill.trim().is_empty() && r.rate.trim().is_empty()))
            .collect();
        f.bands = bands
            .into_values()
            .filter(|b| !(b.up_to_km.trim().is_empty() && b.fee.trim().is_empty()))
            .collect();
        f.partners = partners
            .into_values()
            .filter(|p| !p.org_code.trim().is_empty())
            .collect();
        f
    }

    /// The form as the use-case takes it; numbers the page cannot read are in `own`.
    fn input(&self, own: &mut FieldErrors) -> FeeScheduleInput {
        FeeScheduleInput {
            effective_from: self.effective_from.trim().to_owned(),
            note: Some(self.note.trim().to_owned()).filter(|n| !n.is_empty()),
            currency: self.currency.clone(),
            labor: LaborInput {
                rates: self
                    .rates
                    .iter()
                    .enumerate()
                    .map(|(i, r)| LaborRateInput {
                        skill: r.skill.clone(),
                        rate_fen_per_hour: typed_number(
                            own,
                            &format!("labor.rates[{i}].rate_fen_per_hour"),
                            &r.rate,
                        ),
                        internal_cost_fen_per_hour: typed_number(
                            own,
                            &format!("labor.rates[{i}].internal_cost_fen_per_hour"),
                            &r.cost,
                        ),
                    })
                    .collect(),
                minimum_minutes: typed_number(own, "labor.minimum_minutes", &self.minimum_minutes),
                step_minutes: typed_number(own, "labor.step_minutes", &self.step_minutes),
            },
            travel: TravelInput {
                same_city_fen: typed_number(own, "travel.same_city_fen", &self.same_city),
                same_province_fen: typed_number(
                    own,
                    "travel.same_province_fen",
                    &self.same_province,
                ),
                other_province_fen: typed_number(
                    own,
                    "travel.other_province_fen",
                    &self.other_province,
                ),
                bands: self
                    .bands
                    .iter()
                    .enumerate()
                    .map(|(i, b)| TravelBandInput {
                        up_to_km: typed_number(
                            own,
                            &format!("travel.bands[{i}].up_to_km"),
                            &b.up_to_km,
                        ),
                        fee_fen: typed_number(own, &format!("travel.bands[{i}].fee_fen"), &b.fee),
                    })
                    .collect(),
                per_km_beyond_fen: typed_opt_number(
                    own,
                    "travel.per_km_beyond_fen",
                    &self.per_km_beyond,
                ),
            },
            surcharges: SurchargesInput {
                urgent: typed_percent(&self.urgent),
                night: typed_percent(&self.night),
                holiday: typed_percent(&self.holiday),
                night_from_hour: typed_number(own, "surcharges.night_from_hour", &self.night_from),
                night_until_hour: typed_number(
                    own,
                    "surcharges.night_until_hour",
                    &self.night_until,
                ),
            },
            vat: typed_percent(&self.vat),
            pay_first: self.pay_first,
            no_serial: self.no_serial.clone(),
            quote_valid_days: typed_number(own, "quote_valid_days", &self.quote_valid_days),
            partners: self
                .partners
                .iter()
                .enumerate()
                .map(|(i, p)| PartnerInput {
                    org_code: p.org_code.clone(),
                    labor_rate_fen_per_hour: typed_opt_number(
                        own,
                        &format!("partners[{i}].labor_rate_fen_per_hour"),
                        &p.labor_rate,
                    ),
                    travel_fen: typed_opt_number(
                        own,
                        &format!("partners[{i}].travel_fen"),
                        &p.travel,
                    ),
                })
                .collect(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "charges/fee_schedule_form.html")]
pub struct ScheduleFormPage {
    pub shell: Shell,
    /// "copied from version 3", when the form is a copy of a version.
    pub copied: Option<String>,
    pub form: ScheduleForm,
    pub errors: FormErrors,
    pub alert: Option<String>,
}

impl ScheduleFormPage {
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.of(field)
    }

    /// The error of a row's field (`labor.rates[0].rate_fen_per_hour`).
    pub fn row_err(&self, list: &str, i: &usize, field: &str) -> Option<&str> {
        self.errors.of(&format!("{list}[{i}].{field}"))
    }

    pub fn no_serial_picks(&self) -> Vec<Pick> {
        let names: Vec<_> = NoSerialPolicy::ALL.iter().map(|p| p.as_str()).collect();
        Pick::all(
            self.shell.tr,
            &names,
            "fees.no_serial",
            Some(&self.form.no_serial),
        )
    }

    /// The typed rows and two empty ones to fill in.
    pub fn rate_rows(&self) -> Vec<RateRow> {
        let mut v = self.form.rates.clone();
        v.extend([RateRow::default(), RateRow::default()]);
        v
    }

    pub fn band_rows(&self) -> Vec<BandRow> {
        let mut v = self.form.bands.clone();
        v.extend([BandRow::default(), BandRow::default()]);
        v
    }

    pub fn partner_rows(&self) -> Vec<PartnerRow> {
        let mut v = self.form.partners.clone();
        v.extend([PartnerRow::default(), PartnerRow::default()]);
        v
    }
}

fn form_page(
    u: WebUser,
    from: Option<FeeScheduleVersionView>,
    form: ScheduleForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    if !u.actor.role.can(Permission::FeeSchedulesManage) {
        return Err(AppError::Forbidden.into());
    }
    let tr = u.tr();
    let alert = (!errors.is_empty()).then(|| tr.t("error.validation_failed").to_owned());
    let copied = from
        .as_ref()
        .map(|v| tr.f("fees.copied_from", &[("n", &v.number.to_string())]));
    Ok((
        status,
        ScheduleFormPage {
            copied,
            form,
            errors,
            alert,
            shell: u.shell,
        },
    )
        .into_response())
}

/// The form, a copy of the version `?from=` (the version in force when absent).
pub async fn new_schedule(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    if !u.actor.role.can(Permission::FeeSchedulesManage) {
        return Err(AppError::Forbidden.into());
    }
    let from = match q.from.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(id) => Some(s.app.get_fee_schedule(&u.ctx, id).await?),
        None => match s.app.current_fee_schedule(&u.ctx, None).await {
            Ok(v) => Some(v),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
    };
    let form = match &from {
        Some(v) => ScheduleForm::of(v),
        None => ScheduleForm {
            currency: "CNY".into(),
            ..Default::default()
        },
    };
    form_page(u, from, form, FormErrors::default(), StatusCode::OK)
}

pub async fn add_schedule(
    State(s): State<AppState>,
    u: WebUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = ScheduleForm::from_pairs(&pairs);
    let mut own = FieldErrors::new();
    let input = form.input(&mut own);
    match s.app.add_fee_schedule(&u.ctx, &input).await {
        Ok(v) if own.is_empty() => Ok(crate::shell::redirect(&format!(
            "/fee-schedules/{}?saved=1",
            crate::shell::encode_component(&v.id)
        ))
        .into_response()),
        Ok(_) => Err(AppError::Internal("a refused number was accepted".into()).into()),
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            let errors = merged(&own, &e, u.tr());
            form_page(u, None, form, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}
