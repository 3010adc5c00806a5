//! Keeping customer records (R-CUS-1, R-CUS-3): the form that creates and edits a record
//! with its contacts and sites, and the list of incomplete records.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::shell::{FormErrors, PageError, Pick, Shell, WebUser};
use aftersales_app::{
    AppError, CompletenessSummary, ContactEdit, CustomerEdit, CustomerView, IncompleteView,
    NewContact, NewCustomer, NewSite, SiteEdit,
};
use aftersales_domain::Permission;
use aftersales_domain::installed_base::CustomerKind;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// A contact as the form shows it: phones as one line, separated by commas.
#[derive(Clone, Default)]
pub struct ContactLine {
    pub id: String,
    pub name: String,
    pub title: String,
    pub phones: String,
}

#[derive(Clone, Default)]
pub struct SiteLine {
    pub id: String,
    pub label: String,
    pub address: String,
    pub region_code: String,
}

/// What the form holds, as typed.
#[derive(Clone, Default)]
pub struct CustomerForm {
    pub version: i64,
    pub kind: String,
    pub name: String,
    pub company: String,
    pub region_code: String,
    pub notes: String,
    pub contacts: Vec<ContactLine>,
    pub sites: Vec<SiteLine>,
    /// A new record is filed although a phone of it is already on file (ticked after the
    /// refusal that offered it).
    pub confirm_duplicate: bool,
    /// The last submit was refused for a phone already on file: offer the confirmation.
    pub offer_confirm: bool,
}

impl CustomerForm {
    fn of(v: &CustomerView) -> Self {
        CustomerForm {
            version: v.version,
            kind: v.kind.clone(),
            name: v.name.clone(),
            company: v.company.clone().unwrap_or_default(),
            region_code: v.region_code.clone().unwrap_or_default(),
            notes: v.notes.clone().unwrap_or_default(),
            contacts: v
                .contacts
                .iter()
                .map(|c| ContactLine {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    title: c.title.clone().unwrap_or_default(),
                    phones: c
                        .phones
                        .iter()
                        .map(|p| p.number.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            sites: v
                .sites
                .iter()
                .map(|s| SiteLine {
                    id: s.id.clone(),
                    label: s.label.clone(),
                    address: s.address.clone(),
                    region_code: s.region_code.clone().unwrap_or_default(),
                })
                .collect(),
            confirm_duplicate: false,
            offer_confirm: false,
        }
    }

    /// Reads the posted pairs: plain fields by name, contacts and sites as
    /// `contacts.N.field` and `sites.N.field`. Rows left entirely empty are dropped.
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = CustomerForm::default();
        let mut contacts: std::collections::BTreeMap<usize, ContactLine> = Default::default();
        let mut sites: std::collections::BTreeMap<usize, SiteLine> = Default::default();
        for (k, v) in pairs {
            match k.as_str() {
                "version" => f.version = v.trim().parse().unwrap_or(0),
                "kind" => f.kind = v.clone(),
                "name" => f.name = v.clone(),
                "company" => f.company = v.clone(),
                "region_code" => f.region_code = v.clone(),
                "notes" => f.notes = v.clone(),
                "confirm_duplicate" => f.confirm_duplicate = v == "1",
                _ => {
                    let Some((list, i, field)) = crate::shell::row_field(k, 50) else {
                        continue;
                    };
                    match list {
                        "contacts" => {
                            let c = contacts.entry(i).or_default();
                            match field {
                                "id" => c.id = v.clone(),
                                "name" => c.name = v.clone(),
                                "title" => c.title = v.clone(),
                                "phones" => c.phones = v.clone(),
                                _ => {}
                            }
                        }
                        "sites" => {
                            let s = sites.entry(i).or_default();
                            match field {
                                "id" => s.id = v.clone(),
                                "label" => s.label = v.clone(),
                                "address" => s.address = v.clone(),
                                "region_code" => s.region_code = v.clone(),
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        f.contacts = contacts
            .into_values()
            .filter(|c| {
                !(c.name.trim().is_empty()
                    && c.title.trim().is_empty()
                    && c.phones.trim().is_empty())
            })
            .collect();
        f.sites = sites
            .into_values()
            .filter(|s| {
                !(s.label.trim().is_empty()
                    && s.address.trim().is_empty()
                    && s.region_code.trim().is_empty())
            })
            .collect();
        f
    }

    fn opt(s: &str) -> Option<String> {
        Some(s.trim().to_owned()).filter(|s| !s.is_empty())
    }

    fn phones(s: &str) -> Vec<String> {
        s.split([',', '，', ';', '；', '、', '/'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn new_customer(&self) -> NewCustomer {
        NewCustomer {
            kind: self.kind.clone(),
            name: self.name.clone(),
            company: Self::opt(&self.company),
            region_code: Self::opt(&self.region_code),
            notes: Self::opt(&self.notes),
            contacts: self
                .contacts
                .iter()
                .map(|c| NewContact {
                    name: c.name.clone(),
                    title: Self::opt(&c.title),
                    phones: Self::phones(&c.phones),
                })
                .collect(),
            sites: self
                .sites
                .iter()
                .map(|s| NewSite {
                    label: Self::opt(&s.label),
                    address: s.address.clone(),
                    region_code: Self::opt(&s.region_code),
                    latitude: None,
                    longitude: None,
                })
                .collect(),
            confirm_duplicate: self.confirm_duplicate,
        }
    }

    fn edit(&self, existing: &CustomerView) -> CustomerEdit {
        CustomerEdit {
            version: self.version,
            kind: self.kind.clone(),
            name: self.name.clone(),
            company: Self::opt(&self.company),
            region_code: Self::opt(&self.region_code),
            notes: Self::opt(&self.notes),
            contacts: self
                .contacts
                .iter()
                .map(|c| ContactEdit {
                    id: Self::opt(&c.id),
                    name: c.name.clone(),
                    title: Self::opt(&c.title),
                    phones: Self::phones(&c.phones),
                })
                .collect(),
            // The form does not show coordinates: a kept site keeps its own.
            sites: self
                .sites
                .iter()
                .map(|s| {
                    let old = existing.sites.iter().find(|o| o.id == s.id.trim());
                    SiteEdit {
                        id: Self::opt(&s.id),
                        label: Self::opt(&s.label),
                        address: s.address.clone(),
                        region_code: Self::opt(&s.region_code),
                        latitude: old.and_then(|o| o.latitude),
                        longitude: old.and_then(|o| o.longitude),
                    }
                })
                .collect(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/customer_form.html")]
pub struct CustomerFormPage {
    pub shell: Shell,
    pub title: String,
    /// The record being edited; None when creating.
    pub customer: Option<CustomerView>,
    pub form: CustomerForm,
    pub errors: FormErrors,
    pub alert: Option<String>,
}

impl CustomerFormPage {
    /// The kinds of customer to choose from, the form's own selected.
    pub fn kinds(&self) -> Vec<Pick> {
        let names: Vec<_> = CustomerKind::ALL.iter().map(|k| k.as_str()).collect();
        Pick::all(
            self.shell.tr,
            &names,
            "customers.kind",
            Some(&self.form.kind),
        )
    }

    /// The error of a contact's or site's field, as the use-case names it
    /// (`contacts[0].name`, or any of `contacts[0].phones[n]` for the phones line).
    pub fn row_error(&self, list: &str, i: &usize, field: &str) -> Option<String> {
        let key = format!("{list}[{i}].{field}");
        if let Some(e) = self.errors.of(&key) {
            return Some(e.to_owned());
        }
        let prefix = format!("{key}[");
        self.errors
            .0
            .iter()
            .find(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v.clone())
    }

    /// Rows to show: those typed, plus one empty row to fill in.
    pub fn contact_rows(&self) -> Vec<ContactLine> {
        let mut v = self.form.contacts.clone();
        v.push(ContactLine::default());
        v
    }

    pub fn site_rows(&self) -> Vec<SiteLine> {
        let mut v = self.form.sites.clone();
        v.push(SiteLine::default());
        v
    }

    pub fn action(&self) -> String {
        match &self.customer {
            Some(c) => format!("/customers/{}/edit", c.id),
            None => "/customers/new".into(),
        }
    }
}

fn form_page(
    u: WebUser,
    customer: Option<CustomerView>,
    form: CustomerForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let tr = u.tr();
    if !u.actor.role.can(Permission::CustomersManage) {
        return Err(AppError::Forbidden.into());
    }
    let title = match &customer {
        Some(c) => tr.f("customers.edit_title", &[("name", &c.name)]),
        None => tr.t("customers.new_title").to_owned(),
    };
    let alert = (!errors.is_empty()).then(|| tr.t("error.validation_failed").to_owned());
    let page = CustomerFormPage {
        title,
        customer,
        form,
        errors,
        alert,
        shell: u.shell,
    };
    Ok((status, page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    /// Prefills: what the agent typed in the search box.
    name: String,
    phone: String,
}

pub async fn new_customer(u: WebUser, Query(q): Query<NewQuery>) -> Result<Response, PageError> {
    let form = CustomerForm {
        kind: CustomerKind::Individual.as_str().into(),
        name: q.name.clone(),
        contacts: if q.phone.trim().is_empty() && q.name.trim().is_empty() {
            Vec::new()
        } else {
            vec![ContactLine {
                name: q.name,
                phones: q.phone,
                ..Default::default()
            }]
        },
        ..Default::default()
    };
    form_page(u, None, form, FormErrors::default(), StatusCode::OK)
}

pub async fn create_customer(
    State(s): State<AppState>,
    u: WebUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut form = CustomerForm::from_pairs(&pairs);
    match s
        .app
        .create_customer(&u.ctx, &form.new_customer(), None)
        .await
    {
        Ok(c) => {
            Ok(crate::shell::redirect(&format!("/customers/{}?saved=1", c.id)).into_response())
        }
        Err(e @ (AppError::Validation(_) | AppError::FieldConflict(_))) => {
            let errs = e.field_errors().cloned().unwrap_or_default();
            form.offer_confirm = errs.0.iter().any(|x| x.code == "duplicate_phone");
            let errors = FormErrors::from_fields(&errs, u.tr());
            form_page(u, None, form, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_customer(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("customer").into());
    };
    let c = s.app.get_customer(&u.ctx, id).await?;
    let form = CustomerForm::of(&c);
    form_page(u, Some(c), form, FormErrors::default(), StatusCode::OK)
}

pub async fn update_customer(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("customer").into());
    };
    let existing = s.app.get_customer(&u.ctx, id).await?;
    let form = CustomerForm::from_pairs(&pairs);
    match s
        .app
        .update_customer(&u.ctx, id, &form.edit(&existing))
        .await
    {
        Ok(c) => {
            Ok(crate::shell::redirect(&format!("/customers/{}?saved=1", c.id)).into_response())
        }
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            form_page(
                u,
                Some(existing),
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(AppError::StaleVersion { .. }) => {
            // Someone saved in between: show their version, say so, keep nothing silently.
            let tr = u.tr();
            let errors = FormErrors::stale(tr);
            let current = s.app.get_customer(&u.ctx, id).await?;
            let form = CustomerForm::of(&current);
            form_page(u, Some(current), form, errors, StatusCode::CONFLICT)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/customers_incomplete.html")]
pub struct IncompletePage {
    pub shell: Shell,
    pub summary: CompletenessSummary,
    pub rows: Vec<IncompleteView>,
    pub missing: String,
    pub next_url: Option<String>,
    pub can_manage: bool,
}

impl IncompletePage {
    pub fn missing_label(&self, m: &str) -> String {
        self.shell.tr.t_dyn(&format!("customers.missing.{m}"))
    }

    pub fn item_label(&self, m: &str) -> String {
        self.shell.tr.t_dyn(&format!("customers.item.{m}"))
    }

    /// Whether the share of complete records meets the target.
    pub fn on_target(&self) -> bool {
        self.summary.complete_percent >= self.summary.target_percent
    }

    pub fn pct(&self, v: &f64) -> String {
        format!("{v:.1}%")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IncompleteForm {
    missing: String,
    cursor: String,
}

pub async fn incomplete(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<IncompleteForm>,
) -> Result<Response, PageError> {
    let missing = Some(f.missing.trim()).filter(|m| !m.is_empty());
    let summary = s.app.completeness_summary(&u.ctx).await?;
    let page = s
        .app
        .list_incomplete_customers(&u.ctx, missing, Some(f.cursor.as_str()), Some(50))
        .await?;
    let next_url = page.next_cursor.as_deref().map(|c| {
        format!(
            "/customers/incomplete?missing={}&cursor={c}",
            crate::shell::encode_component(missing.unwrap_or(""))
        )
    });
    Ok(IncompletePage {
        summary,
        rows: page.items,
        missing: missing.unwrap_or("").to_owned(),
        next_url,
        can_manage: u.actor.role.can(Permission::CustomersManage),
        shell: u.shell,
    }
    .into_response())
}
