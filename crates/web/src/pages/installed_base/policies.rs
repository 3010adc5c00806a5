//! Warranty policies as pages (issue 13, defect 16): the list, one policy with every version
//! newest first, a new policy with its first version, and a new version. A version is
//! history: it is only ever added, never edited (docs/installed-base.md).

use crate::AppState;
use crate::extract::{Form, Path};
use crate::i18n::Tr;
use crate::shell::{FormErrors, PageError, Pick, Shell, WebUser};
use aftersales_app::{
    AfterTermDto, AppError, CoverageDto, NewPolicy, PolicyVersionDto, PolicyView,
};
use aftersales_domain::warranty::{ChargeBasis, StartBasis};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A policy version in the reader's words.
#[derive(Clone, Copy)]
pub struct PolicyWords {
    pub tr: Tr,
}

impl PolicyWords {
    pub fn charge(&self, c: &str) -> String {
        self.tr.t_dyn(&format!("warranty.charge.{c}"))
    }

    pub fn basis(&self, b: &str) -> String {
        self.tr.t_dyn(&format!("catalog.basis.{b}"))
    }

    /// "36 个月" / "36 months".
    pub fn months(&self, m: &i64) -> String {
        self.tr.f("catalog.months", &[("n", &m.to_string())])
    }

    /// A stage after the warranty in words: in whole years when it falls on years
    /// ("第 4 年起", "years 4–5"), else in months.
    pub fn span(&self, from_month: i64, months: Option<i64>) -> String {
        let years = from_month % 12 == 0 && months.is_none_or(|m| m % 12 == 0);
        let (unit_from, unit_to) = if years {
            (from_month / 12 + 1, months.map(|m| (from_month + m) / 12))
        } else {
            (from_month + 1, months.map(|m| from_month + m))
        };
        let key = match (years, unit_to) {
            (true, None) => "catalog.from_year",
            (true, Some(_)) => "catalog.years",
            (false, None) => "catalog.from_month",
            (false, Some(_)) => "catalog.month_span",
        };
        self.tr.f(
            key,
            &[
                ("from", &unit_from.to_string()),
                ("to", &unit_to.unwrap_or_default().to_string()),
            ],
        )
    }

    /// "36 个月，自销售日期起算。" / "36 months, counted from the sale date."
    pub fn version_head(&self, v: &PolicyVersionDto) -> String {
        self.tr.f(
            "catalog.version_head",
            &[
                ("months", &self.months(&v.months)),
                ("basis", &self.basis(&v.start_basis)),
            ],
        )
    }

    /// "配件 免费 · 人工费 免费 · 上门费 免费".
    pub fn coverage(&self, c: &CoverageDto) -> String {
        format!(
            "{} {} · {} {} · {} {}",
            self.tr.t("warranty.parts"),
            self.charge(&c.parts),
            self.tr.t("warranty.labor"),
            self.charge(&c.labor),
            self.tr.t("warranty.travel"),
            self.charge(&c.travel),
        )
    }

    /// The after-terms of a version in words, one line each.
    pub fn after_lines(&self, v: &PolicyVersionDto) -> Vec<String> {
        v.after
            .iter()
            .map(|a| {
                format!(
                    "{}: {}",
                    self.span(a.from_month, a.months),
                    self.coverage(&a.coverage)
                )
            })
            .collect()
    }
}

/// The version in force today: the latest effective on or before it (dates are ISO text).
fn current<'a>(p: &'a PolicyView, today: &str) -> Option<&'a PolicyVersionDto> {
    p.versions
        .iter()
        .filter(|v| v.effective_from.as_str() <= today)
        .max_by(|a, b| a.effective_from.cmp(&b.effective_from))
}

pub struct PolicyRow {
    pub policy: PolicyView,
    /// The version in force today, in words.
    pub current: Option<String>,
    pub current_from: Option<String>,
    pub versions: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/policies.html")]
pub struct PoliciesPage {
    pub shell: Shell,
    pub rows: Vec<PolicyRow>,
    pub can_manage: bool,
}

pub async fn policies(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    let words = PolicyWords { tr: u.tr() };
    let today = crate::pages::installed_base::customers::today(&s).to_string();
    let rows = s
        .app
        .list_policies(&u.ctx)
        .await?
        .into_iter()
        .map(|p| {
            let cur = current(&p, &today);
            PolicyRow {
                current: cur.map(|v| {
                    format!(
                        "{} {}",
                        words.version_head(v),
                        words.coverage(&v.in_warranty)
                    )
                }),
                current_from: cur.map(|v| v.effective_from.clone()),
                versions: p.versions.len(),
                policy: p,
            }
        })
        .collect();
    Ok(PoliciesPage {
        rows,
        can_manage: u.actor.role.can(Permission::ProductsManage),
        shell: u.shell,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/policy.html")]
pub struct PolicyPage {
    pub shell: Shell,
    pub policy: PolicyView,
    /// Newest first.
    pub versions: Vec<PolicyVersionDto>,
    /// The effective date of the version in force today.
    pub current_from: Option<String>,
    pub w: PolicyWords,
    pub can_manage: bool,
    pub saved: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn policy(
    State(s): State<AppState>,
    u: WebUser,
    Path(code): Path<String>,
    crate::extract::Query(q): crate::extract::Query<SavedQuery>,
) -> Result<Response, PageError> {
    let policy = s.app.get_policy(&u.ctx, &code).await?;
    let today = crate::pages::installed_base::customers::today(&s).to_string();
    let current_from = current(&policy, &today).map(|v| v.effective_from.clone());
    let mut versions = policy.versions.clone();
    versions.reverse();
    Ok(PolicyPage {
        w: PolicyWords { tr: u.tr() },
        versions,
        current_from,
        policy,
        can_manage: u.actor.role.can(Permission::ProductsManage),
        saved: q.saved.is_some(),
        shell: u.shell,
    }
    .into_response())
}

/// An after-term row of the form, as typed.
#[derive(Clone, Default)]
pub struct AfterLine {
    pub from_month: String,
    pub months: String,
    pub parts: String,
    pub labor: String,
    pub travel: String,
}

/// The version fields of the form, as typed.
#[derive(Clone, Default)]
pub struct VersionForm {
    pub code: String,
    pub name: String,
    pub effective_from: String,
    pub months: String,
    pub start_basis: String,
    pub parts: String,
    pub labor: String,
    pub travel: String,
    pub exclusion_charge: String,
    pub note: String,
    pub after: Vec<AfterLine>,
}

/// A number typed into a form: empty is none (or `required`), anything else but a whole
/// number is `whole_number`. A refused number becomes -1, which every number rule of these
/// use-cases refuses too (their fields are all 0 or more), so the use-case still reports
/// every other field at once and writes nothing; the form shows the page's own message for
/// that field.
pub(crate) fn typed_int(
    own: &mut FieldErrors,
    field: &str,
    v: &str,
    required: bool,
) -> Option<i64> {
    let v = v.trim();
    if v.is_empty() {
        if required {
            own.push(FieldError::new(field, "required"));
            return Some(-1);
        }
        return None;
    }
    match v.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            own.push(FieldError::new(field, "whole_number"));
            Some(-1)
        }
    }
}

/// The form's errors: the page's own first (they explain a refused number), then the
/// use-case's, one message per field.
pub(crate) fn merged(own: &FieldErrors, theirs: &FieldErrors, tr: Tr) -> FormErrors {
    let mut all = own.clone();
    all.0.extend(theirs.0.iter().cloned());
    FormErrors::from_fields(&all, tr)
}

impl VersionForm {
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = VersionForm::default();
        let mut after: std::collections::BTreeMap<usize, AfterLine> = Default::default();
        for (k, v) in pairs {
            match k.as_str() {
                "code" => f.code = v.clone(),
                "name" => f.name = v.clone(),
                "effective_from" => f.effective_from = v.clone(),
                "months" => f.months = v.clone(),
                "start_basis" => f.start_basis = v.clone(),
                "parts" => f.parts = v.clone(),
                "labor" => f.labor = v.clone(),
                "travel" => f.travel = v.clone(),
                "exclusion_charge" => f.exclusion_charge = v.clone(),
                "note" => f.note = v.clone(),
                _ => {
                    let Some(("after", i, field)) = crate::shell::row_field(k, 20) else {
                        continue;
                    };
                    let a = after.entry(i).or_default();
                    match field {
                        "from_month" => a.from_month = v.clone(),
                        "months" => a.months = v.clone(),
                        "parts" => a.parts = v.clone(),
                        "labor" => a.labor = v.clone(),
                        "travel" => a.travel = v.clone(),
                        _ => {}
                    }
                }
            }
        }
        // A row with no month typed is an unused row.
        f.after = after
            .into_values()
            .filter(|a| !(a.from_month.trim().is_empty() && a.months.trim().is_empty()))
            .collect();
        f
    }

    /// A form filled from a version (the next version starts as a copy of the latest).
    fn of(v: &PolicyVersionDto) -> Self {
        VersionForm {
            effective_from: String::new(),
            months: v.months.to_string(),
            start_basis: v.start_basis.clone(),
            parts: v.in_warranty.parts.clone(),
            labor: v.in_warranty.labor.clone(),
            travel: v.in_warranty.travel.clone(),
            exclusion_charge: v.exclusion_charge.clone(),
            note: String::new(),
            after: v
                .after
                .iter()
                .map(|a| AfterLine {
                    from_month: a.from_month.to_string(),
                    months: a.months.map(|m| m.to_string()).unwrap_or_default(),
                    parts: a.coverage.parts.clone(),
                    labor: a.coverage.labor.clone(),
                    travel: a.coverage.travel.clone(),
                })
                .collect(),
            ..Default::default()
        }
    }

    fn new_form() -> Self {
        VersionForm {
            months: "12".into(),
            start_basis: StartBasis::ALL[0].as_str().into(),
            parts: ChargeBasis::Free.as_str().into(),
            labor: ChargeBasis::Free.as_str().into(),
            travel: ChargeBasis::Free.as_str().into(),
            exclusion_charge: ChargeBasis::CostPrice.as_str().into(),
            ..Default::default()
        }
    }

    /// The version as the use-cases take it; numbers the page cannot read are in `own`.
    fn dto(&self, own: &mut FieldErrors) -> PolicyVersionDto {
        let cov = |p: &str, l: &str, t: &str| CoverageDto {
            parts: p.to_owned(),
            labor: l.to_owned(),
            travel: t.to_owned(),
        };
        PolicyVersionDto {
            effective_from: self.effective_from.trim().to_owned(),
            months: typed_int(own, "version.months", &self.months, true).unwrap_or(-1),
            start_basis: self.start_basis.clone(),
            in_warranty: cov(&self.parts, &self.labor, &self.travel),
            after: self
                .after
                .iter()
                .enumerate()
                .map(|(i, a)| AfterTermDto {
                    from_month: typed_int(
                        own,
                        &format!("version.after[{i}].from_month"),
                        &a.from_month,
                        true,
                    )
                    .unwrap_or(-1),
                    months: typed_int(own, &format!("version.after[{i}].months"), &a.months, false),
                    coverage: cov(&a.parts, &a.labor, &a.travel),
                })
                .collect(),
            exclusion_charge: self.exclusion_charge.clone(),
            note: Some(self.note.trim().to_owned()).filter(|n| !n.is_empty()),
        }
    }
}

/// A charge's select box on the form.
pub struct ChargeField {
    pub name: String,
    pub id: String,
    pub label: String,
    pub picks: Vec<Pick>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/policy_form.html")]
pub struct PolicyFormPage {
    pub shell: Shell,
    pub title: String,
    /// The record the title is about, shown beside it as data.
    pub subject: Option<String>,
    /// The policy a version is added to; None for a new policy.
    pub policy: Option<PolicyView>,
    pub form: VersionForm,
    pub errors: FormErrors,
    pub alert: Option<String>,
}

impl PolicyFormPage {
    pub fn action(&self) -> String {
        match &self.policy {
            Some(p) => format!(
                "/warranty-policies/{}/versions/new",
                crate::shell::encode_component(&p.code)
            ),
            None => "/warranty-policies/new".into(),
        }
    }

    pub fn charges(&self, current: &str) -> Vec<Pick> {
        let names: Vec<_> = ChargeBasis::ALL.iter().map(|c| c.as_str()).collect();
        Pick::all(self.shell.tr, &names, "warranty.charge", Some(current))
    }

    /// Exclusions are never free (R-WAR-4).
    pub fn exclusion_charges(&self) -> Vec<Pick> {
        let names: Vec<_> = ChargeBasis::ALL
            .iter()
            .filter(|c| **c != ChargeBasis::Free)
            .map(|c| c.as_str())
            .collect();
        Pick::all(
            self.shell.tr,
            &names,
            "warranty.charge",
            Some(&self.form.exclusion_charge),
        )
    }

    pub fn bases(&self) -> Vec<Pick> {
        let names: Vec<_> = StartBasis::ALL.iter().map(|c| c.as_str()).collect();
        Pick::all(
            self.shell.tr,
            &names,
            "catalog.basis",
            Some(&self.form.start_basis),
        )
    }

    /// The error of a version field (`version.months`); a version already on that day is
    /// named without the prefix by the use-case.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .of(&format!("version.{field}"))
            .or_else(|| self.errors.of(field))
    }

    /// The error of an after-term's field (`version.after[0].coverage.parts`).
    pub fn after_err(&self, i: &usize, field: &str) -> Option<&str> {
        self.errors
            .of(&format!("version.after[{i}].{field}"))
            .or_else(|| {
                self.errors
                    .of(&format!("version.after[{i}].coverage.{field}"))
            })
    }

    /// The three charges of a coverage as select boxes: (input name, label, choices, error).
    fn charge_fields(
        &self,
        prefix: &str,
        id_prefix: &str,
        error_of: &dyn Fn(&str) -> Option<String>,
        current: [&str; 3],
    ) -> Vec<ChargeField> {
        [
            ("parts", "warranty.parts"),
            ("labor", "warranty.labor"),
            ("travel", "warranty.travel"),
        ]
        .into_iter()
        .zip(current)
        .map(|((field, label), cur)| ChargeField {
            name: format!("{prefix}{field}"),
            id: format!("{id_prefix}{field}"),
            label: self.shell.tr.t(label).to_owned(),
            picks: self.charges(cur),
            error: error_of(field),
        })
        .collect()
    }

    /// The in-warranty charges.
    pub fn in_warranty_fields(&self) -> Vec<ChargeField> {
        let f = &self.form;
        self.charge_fields(
            "",
            "",
            &|field| self.err(&format!("in_warranty.{field}")).map(str::to_owned),
            [&f.parts, &f.labor, &f.travel],
        )
    }

    /// An after-term's charges.
    pub fn after_fields(&self, i: &usize, a: &AfterLine) -> Vec<ChargeField> {
        let prefix = format!("after.{i}.");
        let id_prefix = format!("after-{i}-");
        self.charge_fields(
            &prefix,
            &id_prefix,
            &|field| self.after_err(i, field).map(str::to_owned),
            [&a.parts, &a.labor, &a.travel],
        )
    }

    /// The typed after-terms and two empty rows to fill in.
    pub fn after_rows(&self) -> Vec<AfterLine> {
        let mut v = self.form.after.clone();
        for _ in 0..2 {
            v.push(AfterLine {
                parts: ChargeBasis::CostPrice.as_str().into(),
                labor: ChargeBasis::ListPrice.as_str().into(),
                travel: ChargeBasis::ListPrice.as_str().into(),
                ..Default::default()
            });
        }
        v
    }
}

fn form_page(
    u: WebUser,
    policy: Option<PolicyView>,
    form: VersionForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    if !u.actor.role.can(Permission::ProductsManage) {
        return Err(AppError::Forbidden.into());
    }
    let tr = u.tr();
    let title = match &policy {
        Some(_) => tr.t("policies.new_version_title").to_owned(),
        None => tr.t("policies.new_title").to_owned(),
    };
    let subject = policy.as_ref().map(|p| p.name.clone());
    let alert = (!errors.is_empty()).then(|| tr.t("error.validation_failed").to_owned());
    Ok((
        status,
        PolicyFormPage {
            title,
            subject,
            policy,
            form,
            errors,
            alert,
            shell: u.shell,
        },
    )
        .into_response())
}

pub async fn new_policy(u: WebUser) -> Result<Response, PageError> {
    form_page(
        u,
        None,
        VersionForm::new_form(),
        FormErrors::default(),
        StatusCode::OK,
    )
}

pub async fn create_policy(
    State(s): State<AppState>,
    u: WebUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = VersionForm::from_pairs(&pairs);
    let mut own = FieldErrors::new();
    let input = NewPolicy {
        code: form.code.trim().to_owned(),
        name: form.name.clone(),
        version: form.dto(&mut own),
    };
    match s.app.create_policy(&u.ctx, &input).await {
        Ok(p) if own.is_empty() => Ok(crate::shell::redirect(&format!(
            "/warranty-policies/{}?saved=1",
            crate::shell::encode_component(&p.code)
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

pub async fn new_version(
    State(s): State<AppState>,
    u: WebUser,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let p = s.app.get_policy(&u.ctx, &code).await?;
    let form = p
        .versions
        .last()
        .map(VersionForm::of)
        .unwrap_or_else(VersionForm::new_form);
    form_page(u, Some(p), form, FormErrors::default(), StatusCode::OK)
}

pub async fn add_version(
    State(s): State<AppState>,
    u: WebUser,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = s.app.get_policy(&u.ctx, &code).await?;
    let form = VersionForm::from_pairs(&pairs);
    let mut own = FieldErrors::new();
    let dto = form.dto(&mut own);
    match s.app.add_policy_version(&u.ctx, &p.code, &dto).await {
        Ok(p) if own.is_empty() => Ok(crate::shell::redirect(&format!(
            "/warranty-policies/{}?saved=1",
            crate::shell::encode_component(&p.code)
        ))
        .into_response()),
        Ok(_) => Err(AppError::Internal("a refused number was accepted".into()).into()),
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            let errors = merged(&own, &e, u.tr());
            form_page(u, Some(p), form, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}
