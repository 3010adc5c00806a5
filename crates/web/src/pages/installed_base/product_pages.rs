//! Product models as pages (issue 13, defect 16): a new model, a model's page with its
//! history, and changing a model (everything but its code).

use super::policies::{merged, typed_int};
use super::record_history::{self, HistoryLine};
use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::shell::{FormErrors, PageError, Shell, WebUser};
use aftersales_app::{AppError, NewProduct, PolicyView, ProductEdit, ProductView};
use aftersales_domain::{FieldErrors, Permission, ProductId};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/product.html")]
pub struct ProductPage {
    pub shell: Shell,
    pub p: ProductView,
    pub policy_name: Option<String>,
    pub history: Vec<HistoryLine>,
    pub can_manage: bool,
    pub saved: bool,
}

impl ProductPage {
    pub fn months(&self, m: &i64) -> String {
        self.shell.tr.f("catalog.months", &[("n", &m.to_string())])
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

fn product_id(id: &str) -> Result<ProductId, PageError> {
    id.parse().map_err(|_| AppError::NotFound("product").into())
}

pub async fn product(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let id = product_id(&id)?;
    let p = s.app.get_product(&u.ctx, id).await?;
    let policy_name = match &p.policy_code {
        Some(c) => Some(s.app.get_policy(&u.ctx, c).await?.name),
        None => None,
    };
    let entries = s.app.product_history(&u.ctx, id).await?;
    Ok(ProductPage {
        history: record_history::lines(u.tr(), "product", &entries),
        policy_name,
        p,
        can_manage: u.actor.role.can(Permission::ProductsManage),
        saved: q.saved.is_some(),
        shell: u.shell,
    }
    .into_response())
}

/// What the form holds, as typed.
#[derive(Clone, Default)]
pub struct ProductForm {
    pub version: i64,
    pub code: String,
    pub name: String,
    pub product_line: String,
    pub maintenance_interval_months: String,
    pub policy_code: String,
}

impl ProductForm {
    fn of(p: &ProductView) -> Self {
        ProductForm {
            version: p.version,
            code: p.code.clone(),
            name: p.name.clone(),
            product_line: p.product_line.clone(),
            maintenance_interval_months: p
                .maintenance_interval_months
                .map(|m| m.to_string())
                .unwrap_or_default(),
            policy_code: p.policy_code.clone().unwrap_or_default(),
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = ProductForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "version" => f.version = v.trim().parse().unwrap_or(0),
                "code" => f.code = v.clone(),
                "name" => f.name = v.clone(),
                "product_line" => f.product_line = v.clone(),
                "maintenance_interval_months" => f.maintenance_interval_months = v.clone(),
                "policy_code" => f.policy_code = v.clone(),
                _ => {}
            }
        }
        f
    }

    fn policy(&self) -> Option<String> {
        Some(self.policy_code.trim().to_owned()).filter(|c| !c.is_empty())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/product_form.html")]
pub struct ProductFormPage {
    pub shell: Shell,
    pub title: String,
    /// The record the title is about, shown beside it as data.
    pub subject: Option<String>,
    /// The model being changed; None when creating.
    pub product: Option<ProductView>,
    pub policies: Vec<PolicyView>,
    pub form: ProductForm,
    pub errors: FormErrors,
    pub alert: Option<String>,
}

impl ProductFormPage {
    pub fn action(&self) -> String {
        match &self.product {
            Some(p) => format!("/products/{}/edit", p.id),
            None => "/products/new".into(),
        }
    }
}

async fn form_page(
    s: &AppState,
    u: WebUser,
    product: Option<ProductView>,
    form: ProductForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    if !u.actor.role.can(Permission::ProductsManage) {
        return Err(AppError::Forbidden.into());
    }
    let tr = u.tr();
    let title = match &product {
        Some(_) => tr.t("products.edit_title").to_owned(),
        None => tr.t("products.new_title").to_owned(),
    };
    let subject = product.as_ref().map(|p| p.name.clone());
    let alert = (!errors.is_empty()).then(|| {
        let mut a = tr.t("error.validation_failed").to_owned();
        if let Some(v) = errors.of("version") {
            a = format!("{a} {v}");
        }
        a
    });
    let policies = s.app.list_policies(&u.ctx).await?;
    Ok((
        status,
        ProductFormPage {
            title,
            subject,
            product,
            policies,
            form,
            errors,
            alert,
            shell: u.shell,
        },
    )
        .into_response())
}

pub async fn new_product(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    form_page(
        &s,
        u,
        None,
        ProductForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create_product(
    State(s): State<AppState>,
    u: WebUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = ProductForm::from_pairs(&pairs);
    let mut own = FieldErrors::new();
    let input = NewProduct {
        code: form.code.trim().to_owned(),
        name: form.name.clone(),
        product_line: form.product_line.clone(),
        maintenance_interval_months: typed_int(
            &mut own,
            "maintenance_interval_months",
            &form.maintenance_interval_months,
            false,
        ),
        policy_code: form.policy(),
    };
    match s.app.create_product(&u.ctx, &input).await {
        Ok(p) if own.is_empty() => {
            Ok(crate::shell::redirect(&format!("/products/{}?saved=1", p.id)).into_response())
        }
        Ok(_) => Err(AppError::Internal("a refused number was accepted".into()).into()),
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            let errors = merged(&own, &e, u.tr());
            form_page(&s, u, None, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_product(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = s.app.get_product(&u.ctx, product_id(&id)?).await?;
    let form = ProductForm::of(&p);
    form_page(&s, u, Some(p), form, FormErrors::default(), StatusCode::OK).await
}

pub async fn update_product(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = product_id(&id)?;
    let existing = s.app.get_product(&u.ctx, id).await?;
    let mut form = ProductForm::from_pairs(&pairs);
    form.code = existing.code.clone();
    let mut own = FieldErrors::new();
    let input = ProductEdit {
        version: form.version,
        name: form.name.clone(),
        product_line: form.product_line.clone(),
        maintenance_interval_months: typed_int(
            &mut own,
            "maintenance_interval_months",
            &form.maintenance_interval_months,
            false,
        ),
        policy_code: form.policy(),
    };
    match s.app.update_product(&u.ctx, id, &input).await {
        Ok(p) if own.is_empty() => {
            Ok(crate::shell::redirect(&format!("/products/{}?saved=1", p.id)).into_response())
        }
        Ok(_) => Err(AppError::Internal("a refused number was accepted".into()).into()),
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            let errors = merged(&own, &e, u.tr());
            form_page(
                &s,
                u,
                Some(existing),
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::StaleVersion { .. }) => {
            // Someone saved in between: show their version and say so.
            let tr = u.tr();
            let errors = FormErrors::stale(tr);
            let current = s.app.get_product(&u.ctx, id).await?;
            let form = ProductForm::of(&current);
            form_page(&s, u, Some(current), form, errors, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
