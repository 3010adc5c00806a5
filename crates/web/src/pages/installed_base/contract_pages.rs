//! Service contracts as pages (issue 13, defect 16): a new contract for a customer, a
//! contract's page with its units and history, and changing a contract (everything but its
//! number and customer).

use super::policies::{merged, typed_int};
use super::record_history::{self, HistoryLine};
use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::shell::{FormErrors, PageError, Pick, Shell, WebUser};
use aftersales_app::{
    AppError, ContractEdit, ContractView, CustomerView, InspectionStep, NewContract, UnitView,
};
use aftersales_domain::installed_base::{ContractStanding, InspectionKind};
use aftersales_domain::warranty::ChargeBasis;
use aftersales_domain::{CustomerId, FieldErrors, Permission};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Where a contract stands today, in words and color.
fn standing(s: &AppState, c: &ContractView) -> ContractStanding {
    let today = crate::pages::installed_base::customers::today(s).to_string();
    // Dates are ISO text, so they compare as text.
    ContractStanding::on(
        c.start_date.as_str(),
        c.end_date.as_str(),
        c.remind_on.as_str(),
        today.as_str(),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/contract.html")]
pub struct ContractPage {
    pub shell: Shell,
    pub k: ContractView,
    pub customer: CustomerView,
    pub units: Vec<UnitView>,
    pub state: ContractStanding,
    pub history: Vec<HistoryLine>,
    pub can_manage: bool,
    pub saved: bool,
}

impl ContractPage {
    pub fn state_label(&self) -> String {
        self.shell
            .tr
            .t_dyn(&format!("contracts.state.{}", self.state))
    }

    pub fn state_class(&self) -> &'static str {
        match self.state {
            ContractStanding::Active => "ok",
            ContractStanding::Ending => "warn",
            ContractStanding::Future | ContractStanding::Ended => "off",
        }
    }

    pub fn charge_or_warranty(&self, c: &Option<String>) -> String {
        match c {
            Some(c) => self.shell.tr.t_dyn(&format!("warranty.charge.{c}")),
            None => self.shell.tr.t("contracts.as_warranty").to_owned(),
        }
    }

    pub fn plan(&self) -> String {
        let s = self
            .k
            .inspection_plan
            .iter()
            .map(|p| {
                self.shell.tr.f(
                    &format!("contracts.every.{}", p.kind),
                    &[("n", &p.every_months.to_string())],
                )
            })
            .collect::<Vec<_>>()
            .join(" · ");
        if s.is_empty() { "—".into() } else { s }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// The covered units, as the customer's units list them.
async fn covered(s: &AppState, u: &WebUser, k: &ContractView) -> Result<Vec<UnitView>, AppError> {
    Ok(s.app
        .customer_units(&u.ctx, k.customer_id)
        .await?
        .into_iter()
        .filter(|x| k.unit_ids.contains(&x.id.to_string()))
        .collect())
}

pub async fn contract(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let k = s.app.get_contract(&u.ctx, &id).await?;
    let customer = s.app.get_customer(&u.ctx, k.customer_id).await?;
    let units = covered(&s, &u, &k).await?;
    let entries = s.app.contract_history(&u.ctx, &k.id).await?;
    Ok(ContractPage {
        state: standing(&s, &k),
        history: record_history::lines(u.tr(), "contract", &entries),
        customer,
        units,
        k,
        can_manage: u.actor.role.can(Permission::UnitsManage),
        saved: q.saved.is_some(),
        shell: u.shell,
    }
    .into_response())
}

/// A step of the inspection plan, as typed.
#[derive(Clone, Default)]
pub struct PlanLine {
    pub kind: String,
    pub every_months: String,
}

/// What the form holds, as typed.
#[derive(Clone, Default)]
pub struct ContractForm {
    pub version: i64,
    pub start_date: String,
    pub end_date: String,
    pub service_level: String,
    pub parts: String,
    pub labor: String,
    pub travel: String,
    pub plan: Vec<PlanLine>,
    pub remind_days_before: String,
    pub unit_ids: Vec<String>,
    pub notes: String,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl ContractForm {
    fn of(k: &ContractView) -> Self {
        ContractForm {
            version: k.version,
            start_date: k.start_date.clone(),
            end_date: k.end_date.clone(),
            service_level: k.service_level.clone(),
            parts: k.parts.clone().unwrap_or_default(),
            labor: k.labor.clone().unwrap_or_default(),
            travel: k.travel.clone().unwrap_or_default(),
            plan: k
                .inspection_plan
                .iter()
                .map(|p| PlanLine {
                    kind: p.kind.clone(),
                    every_months: p.every_months.to_string(),
                })
                .collect(),
            remind_days_before: k.remind_days_before.to_string(),
            unit_ids: k.unit_ids.clone(),
            notes: k.notes.clone().unwrap_or_default(),
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = ContractForm::default();
        let mut plan: std::collections::BTreeMap<usize, PlanLine> = Default::default();
        for (k, v) in pairs {
            match k.as_str() {
                "version" => f.version = v.trim().parse().unwrap_or(0),
                "start_date" => f.start_date = v.clone(),
                "end_date" => f.end_date = v.clone(),
                "service_level" => f.service_level = v.clone(),
                "parts" => f.parts = v.clone(),
                "labor" => f.labor = v.clone(),
                "travel" => f.travel = v.clone(),
                "remind_days_before" => f.remind_days_before = v.clone(),
                "notes" => f.notes = v.clone(),
                "unit_ids" if f.unit_ids.len() < 500 => f.unit_ids.push(v.clone()),
                _ => {
                    let Some(("plan", i, field)) = crate::shell::row_field(k, 20) else {
                        continue;
                    };
                    let p = plan.entry(i).or_default();
                    match field {
                        "kind" => p.kind = v.clone(),
                        "every_months" => p.every_months = v.clone(),
                        _ => {}
                    }
                }
            }
        }
        // A step without a period is an unused row.
        f.plan = plan
            .into_values()
            .filter(|p| !p.every_months.trim().is_empty())
            .collect();
        f
    }

    /// The plan as the use-cases take it; numbers the page cannot read are in `own`.
    fn steps(&self, own: &mut FieldErrors) -> Vec<InspectionStep> {
        self.plan
            .iter()
            .enumerate()
            .map(|(i, p)| InspectionStep {
                kind: p.kind.clone(),
                every_months: typed_int(
                    own,
                    &format!("inspection_plan[{i}].every_months"),
                    &p.every_months,
                    true,
                )
                .unwrap_or(-1),
            })
            .collect()
    }

    fn new_contract(&self, customer_id: CustomerId, own: &mut FieldErrors) -> NewContract {
        NewContract {
            customer_id: customer_id.to_string(),
            start_date: self.start_date.trim().to_owned(),
            end_date: self.end_date.trim().to_owned(),
            service_level: self.service_level.clone(),
            parts: opt(&self.parts),
            labor: opt(&self.labor),
            travel: opt(&self.travel),
            inspection_plan: self.steps(own),
            remind_days_before: typed_int(
                own,
                "remind_days_before",
                &self.remind_days_before,
                false,
            ),
            unit_ids: self.unit_ids.clone(),
            notes: opt(&self.notes),
        }
    }

    fn edit(&self, own: &mut FieldErrors) -> ContractEdit {
        ContractEdit {
            version: self.version,
            start_date: self.start_date.trim().to_owned(),
            end_date: self.end_date.trim().to_owned(),
            service_level: self.service_level.clone(),
            parts: opt(&self.parts),
            labor: opt(&self.labor),
            travel: opt(&self.travel),
            inspection_plan: self.steps(own),
            remind_days_before: typed_int(
                own,
                "remind_days_before",
                &self.remind_days_before,
                false,
            ),
            unit_ids: self.unit_ids.clone(),
            notes: opt(&self.notes),
        }
    }
}

/// A charge's select box: "按保修政策" (empty) or a charge basis.
pub struct ChargeSelect {
    pub name: &'static str,
    pub label: String,
    pub picks: Vec<Pick>,
    pub error: Option<String>,
}

/// A unit of the customer as a box to tick.
pub struct UnitBox {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/contract_form.html")]
pub struct ContractFormPage {
    pub shell: Shell,
    pub title: String,
    /// The record the title is about, shown beside it as data.
    pub subject: Option<String>,
    /// The contract being changed; None when creating.
    pub contract: Option<ContractView>,
    pub customer: CustomerView,
    pub units: Vec<UnitView>,
    pub form: ContractForm,
    pub errors: FormErrors,
    pub alert: Option<String>,
}

impl ContractFormPage {
    pub fn action(&self) -> String {
        match &self.contract {
            Some(k) => format!("/contracts/{}/edit", k.id),
            None => "/contracts/new".into(),
        }
    }

    pub fn charges(&self) -> Vec<ChargeSelect> {
        let tr = self.shell.tr;
        let names: Vec<_> = ChargeBasis::ALL.iter().map(|c| c.as_str()).collect();
        [
            ("parts", "warranty.parts", &self.form.parts),
            ("labor", "warranty.labor", &self.form.labor),
            ("travel", "warranty.travel", &self.form.travel),
        ]
        .into_iter()
        .map(|(name, label, cur)| ChargeSelect {
            name,
            label: tr.t(label).to_owned(),
            picks: Pick::all(tr, &names, "warranty.charge", Some(cur.as_str())),
            error: self.errors.of(name).map(str::to_owned),
        })
        .collect()
    }

    pub fn kinds(&self, current: &str) -> Vec<Pick> {
        let names = [
            InspectionKind::Visit.as_str(),
            InspectionKind::Call.as_str(),
        ];
        Pick::all(self.shell.tr, &names, "contracts.kind", Some(current))
    }

    /// The typed plan and one empty row to fill in.
    pub fn plan_rows(&self) -> Vec<PlanLine> {
        let mut v = self.form.plan.clone();
        v.push(PlanLine {
            kind: InspectionKind::Visit.as_str().into(),
            every_months: String::new(),
        });
        v
    }

    pub fn plan_err(&self, i: &usize, field: &str) -> Option<&str> {
        self.errors.of(&format!("inspection_plan[{i}].{field}"))
    }

    /// The customer's units, those covered ticked.
    pub fn unit_boxes(&self) -> Vec<UnitBox> {
        self.units
            .iter()
            .map(|x| {
                let id = x.id.to_string();
                UnitBox {
                    checked: self.form.unit_ids.contains(&id),
                    label: [x.serial.clone(), Some(x.product.name.clone())]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                    id,
                }
            })
            .collect()
    }

    /// A fault on a ticked unit (`unit_ids[2]`), shown once for the list.
    pub fn units_error(&self) -> Option<String> {
        self.errors
            .0
            .iter()
            .find(|(k, _)| k.starts_with("unit_ids"))
            .map(|(_, v)| v.clone())
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    s: &AppState,
    u: WebUser,
    contract: Option<ContractView>,
    customer: CustomerView,
    form: ContractForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    if !u.actor.role.can(Permission::UnitsManage) {
        return Err(AppError::Forbidden.into());
    }
    let tr = u.tr();
    let title = match &contract {
        Some(k) => tr.f("contracts.edit_title", &[("number", &k.number)]),
        None => tr.t("contracts.new_title").to_owned(),
    };
    let subject = contract.is_none().then(|| customer.name.clone());
    let alert = (!errors.is_empty()).then(|| {
        let mut a = tr.t("error.validation_failed").to_owned();
        if let Some(v) = errors.of("version") {
            a = format!("{a} {v}");
        }
        a
    });
    let units = s.app.customer_units(&u.ctx, customer.id).await?;
    Ok((
        status,
        ContractFormPage {
            title,
            subject,
            contract,
            customer,
            units,
            form,
            errors,
            alert,
            shell: u.shell,
        },
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/contract_customer.html")]
pub struct ChooseCustomerPage {
    pub shell: Shell,
    pub customer: String,
    pub error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    /// The customer: their number (`CU000012`) or id.
    customer: String,
}

/// The customer named by a number (`CU000012`) or an id, if there is one.
async fn find_customer(
    s: &AppState,
    u: &WebUser,
    q: &str,
) -> Result<Option<CustomerView>, AppError> {
    let q = q.trim();
    if let Ok(id) = q.parse::<CustomerId>() {
        return match s.app.get_customer(&u.ctx, id).await {
            Ok(c) => Ok(Some(c)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        };
    }
    if q.chars().count() < 2 || q.chars().count() > 40 {
        return Ok(None);
    }
    let hit = s
        .app
        .search_customers(&u.ctx, q, 10)
        .await?
        .into_iter()
        .find(|h| h.number.eq_ignore_ascii_case(q));
    match hit {
        Some(h) => Ok(Some(s.app.get_customer(&u.ctx, h.customer_id).await?)),
        None => Ok(None),
    }
}

pub async fn new_contract(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    if !u.actor.role.can(Permission::UnitsManage) {
        return Err(AppError::Forbidden.into());
    }
    let typed = q.customer.trim().to_owned();
    let found = if typed.is_empty() {
        None
    } else {
        find_customer(&s, &u, &typed).await?
    };
    match found {
        Some(customer) => {
            let form = ContractForm {
                remind_days_before: "30".into(),
                ..Default::default()
            };
            form_page(
                &s,
                u,
                None,
                customer,
                form,
                FormErrors::default(),
                StatusCode::OK,
            )
            .await
        }
        None => {
            let error =
                (!typed.is_empty()).then(|| u.tr().t("contracts.customer_not_found").to_owned());
            Ok(ChooseCustomerPage {
                customer: typed,
                error,
                shell: u.shell,
            }
            .into_response())
        }
    }
}

pub async fn create_contract(
    State(s): State<AppState>,
    u: WebUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let customer_id = pairs
        .iter()
        .find(|(k, _)| k == "customer_id")
        .and_then(|(_, v)| v.trim().parse::<CustomerId>().ok())
        .ok_or(AppError::NotFound("customer"))?;
    let customer = s.app.get_customer(&u.ctx, customer_id).await?;
    let form = ContractForm::from_pairs(&pairs);
    let mut own = FieldErrors::new();
    let input = form.new_contract(customer_id, &mut own);
    match s.app.create_contract(&u.ctx, &input, None).await {
        Ok(k) if own.is_empty() => {
            Ok(crate::shell::redirect(&format!("/contracts/{}?saved=1", k.id)).into_response())
        }
        Ok(_) => Err(AppError::Internal("a refused number was accepted".into()).into()),
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            let errors = merged(&own, &e, u.tr());
            form_page(
                &s,
                u,
                None,
                customer,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_contract(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let k = s.app.get_contract(&u.ctx, &id).await?;
    let customer = s.app.get_customer(&u.ctx, k.customer_id).await?;
    let form = ContractForm::of(&k);
    form_page(
        &s,
        u,
        Some(k),
        customer,
        form,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn update_contract(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let existing = s.app.get_contract(&u.ctx, &id).await?;
    let customer = s.app.get_customer(&u.ctx, existing.customer_id).await?;
    let form = ContractForm::from_pairs(&pairs);
    let mut own = FieldErrors::new();
    let input = form.edit(&mut own);
    match s.app.update_contract(&u.ctx, &existing.id, &input).await {
        Ok(k) if own.is_empty() => {
            Ok(crate::shell::redirect(&format!("/contracts/{}?saved=1", k.id)).into_response())
        }
        Ok(_) => Err(AppError::Internal("a refused number was accepted".into()).into()),
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            let errors = merged(&own, &e, u.tr());
            form_page(
                &s,
                u,
                Some(existing),
                customer,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::StaleVersion { .. }) => {
            let tr = u.tr();
            let errors = FormErrors::stale(tr);
            let current = s.app.get_contract(&u.ctx, &existing.id).await?;
            let form = ContractForm::of(&current);
            form_page(
                &s,
                u,
                Some(current),
                customer,
                form,
                errors,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
