//! Moving a unit to another owner (R-WAR-2: ownership transfers kept as history): find the
//! new owner as in the search box, pick their site, say since when and why.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::shell::{FormErrors, PageError, Shell, WebUser};
use aftersales_app::{AppError, CustomerView, SearchHit, UnitTransfer, UnitView};
use aftersales_domain::{CustomerId, Permission, UnitId};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "installed_base/unit_transfer.html")]
pub struct TransferPage {
    pub shell: Shell,
    pub unit: UnitView,
    pub q: String,
    pub hits: Vec<SearchHit>,
    pub searched: bool,
    /// The chosen new owner, once picked.
    pub to: Option<CustomerView>,
    pub form: TransferForm,
    pub errors: FormErrors,
}

impl TransferPage {
    pub fn site_label(&self, label: &str, index0: &usize) -> String {
        super::site_label(self.shell.tr, label, *index0)
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TransferForm {
    pub version: i64,
    pub customer_id: String,
    pub site_id: String,
    pub since: String,
    pub note: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TransferQuery {
    q: String,
    customer_id: String,
}

async fn load_unit(s: &AppState, u: &WebUser, id: &str) -> Result<(UnitId, UnitView), AppError> {
    let id: UnitId = id.parse().map_err(|_| AppError::NotFound("unit"))?;
    if !u.actor.role.can(Permission::UnitsManage) {
        return Err(AppError::Forbidden);
    }
    let unit = s.app.get_unit(&u.ctx, id).await?;
    Ok((id, unit))
}

/// The page: `lookup` is the search for the new owner (`q`) and the one picked.
async fn page(
    s: &AppState,
    u: WebUser,
    unit: UnitView,
    lookup: TransferQuery,
    form: TransferForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let q = lookup.q.trim().to_owned();
    let customer_id = lookup.customer_id;
    let hits = if q.is_empty() {
        Vec::new()
    } else {
        s.app.search_customers(&u.ctx, &q, 10).await?
    };
    let to = match customer_id.trim().parse::<CustomerId>() {
        Ok(c) => Some(s.app.get_customer(&u.ctx, c).await?),
        Err(_) => None,
    };
    let p = TransferPage {
        searched: !q.is_empty(),
        unit,
        q,
        hits,
        to,
        form,
        errors,
        shell: u.shell,
    };
    Ok((status, p).into_response())
}

pub async fn transfer_form(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<TransferQuery>,
) -> Result<Response, PageError> {
    let (_, unit) = load_unit(&s, &u, &id).await?;
    let form = TransferForm {
        version: unit.version,
        customer_id: q.customer_id.clone(),
        ..Default::default()
    };
    page(&s, u, unit, q, form, FormErrors::default(), StatusCode::OK).await
}

pub async fn transfer(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<TransferForm>,
) -> Result<Response, PageError> {
    let (uid, unit) = load_unit(&s, &u, &id).await?;
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let t = UnitTransfer {
        version: f.version,
        customer_id: opt(&f.customer_id),
        site_id: opt(&f.site_id),
        since: opt(&f.since),
        note: opt(&f.note),
    };
    match s.app.transfer_unit(&u.ctx, &uid.to_string(), &t).await {
        Ok(_) => Ok(crate::shell::redirect(&format!("/units/{uid}?saved=1")).into_response()),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            let lookup = TransferQuery {
                q: String::new(),
                customer_id: f.customer_id.clone(),
            };
            page(
                &s,
                u,
                unit,
                lookup,
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::StaleVersion { .. }) => {
            let mut errors = FormErrors::default();
            errors
                .0
                .insert("version".into(), u.tr().t("error.stale_version").to_owned());
            let lookup = TransferQuery {
                q: String::new(),
                customer_id: f.customer_id.clone(),
            };
            let form = TransferForm {
                version: unit.version,
                ..f
            };
            page(&s, u, unit, lookup, form, errors, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
