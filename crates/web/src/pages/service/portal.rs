//! The customer portal (R-ORG-2): a customer's units with today's warranty, their requests
//! with status and a customer-safe timeline (see `aftersales_app` `portal`), and a short
//! form to file a request for one of their units (channel `portal`).

use crate::AppState;
use crate::extract::{Form, IdempotentForm, Path, Query};
use crate::shell::{FormErrors, PageError, Shell, WebUser, encode_component};
use aftersales_app::{
    AppError, NewServiceRequest, PortalOverview, PortalUnit, RequestEventView, ServiceRequestView,
    WorkOrderLine,
};
use aftersales_domain::Role;
use aftersales_domain::service::RequestStatus;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

fn is_customer(u: &WebUser) -> bool {
    u.actor.role == Role::Customer
}

#[derive(Template, WebTemplate)]
#[template(path = "service/portal.html")]
pub struct PortalPage {
    pub shell: Shell,
    pub o: PortalOverview,
}

impl PortalPage {
    pub fn req_status(&self, s: &RequestStatus) -> String {
        crate::pages::service::requests::request_status_label(self.shell.tr, *s)
    }
}

pub async fn home(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    if !is_customer(&u) {
        return Err(AppError::Forbidden.into());
    }
    let o = s.app.portal_overview(&u.ctx).await?;
    Ok(PortalPage { o, shell: u.shell }.into_response())
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PortalForm {
    pub unit_id: String,
    pub kind: String,
    pub symptom: String,
    pub customer_request: String,
    pub contact_phone: String,
    pub preferred_from: String,
    pub preferred_to: String,
    pub idem: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "service/portal_new.html")]
pub struct PortalNewPage {
    pub shell: Shell,
    pub units: Vec<PortalUnit>,
    pub form: PortalForm,
    pub errors: FormErrors,
    pub alert: Option<String>,
    pub linked: bool,
}

impl PortalNewPage {
    /// What a customer asks for from the portal.
    pub fn kinds(&self) -> Vec<(String, String)> {
        ["repair", "maintenance", "installation", "consultation"]
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    self.shell.tr.t_dyn(&format!("requests.kind.{k}")),
                )
            })
            .collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    unit: String,
}

async fn new_page(
    s: &AppState,
    u: WebUser,
    form: PortalForm,
    errors: FormErrors,
    status: axum::http::StatusCode,
) -> Result<Response, PageError> {
    let o = s.app.portal_overview(&u.ctx).await?;
    let tr = u.tr();
    let mut form = form;
    if form.idem.is_empty() {
        form.idem = uuid::Uuid::now_v7().to_string();
    }
    let page = PortalNewPage {
        linked: o.customer.is_some(),
        units: o.units,
        form,
        alert: (!errors.is_empty()).then(|| tr.t("error.validation_failed").to_owned()),
        errors,
        shell: u.shell,
    };
    Ok((status, page).into_response())
}

pub async fn new_request(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    if !is_customer(&u) {
        return Err(AppError::Forbidden.into());
    }
    let form = PortalForm {
        unit_id: q.unit,
        kind: "repair".into(),
        ..Default::default()
    };
    new_page(
        &s,
        u,
        form,
        FormErrors::default(),
        axum::http::StatusCode::OK,
    )
    .await
}

pub async fn file_request(
    State(s): State<AppState>,
    u: WebUser,
    IdempotentForm {
        value: f,
        idempotency: idem,
    }: IdempotentForm<PortalForm>,
) -> Result<Response, PageError> {
    if !is_customer(&u) {
        return Err(AppError::Forbidden.into());
    }
    let Some(customer) = s.app.portal_customer(&u.ctx).await? else {
        return Err(AppError::Forbidden.into());
    };
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let input = NewServiceRequest {
        customer_id: customer.to_string(),
        unit_id: opt(&f.unit_id),
        kind: f.kind.clone(),
        channel: Some("portal".into()),
        symptom: f.symptom.clone(),
        customer_request: opt(&f.customer_request),
        contact_phone: opt(&f.contact_phone),
        preferred_from: crate::pages::service::requests::local_instant(&f.preferred_from),
        preferred_to: crate::pages::service::requests::local_instant(&f.preferred_to),
        ..Default::default()
    };
    match s
        .app
        .create_service_request(&u.ctx, &input, idem.as_ref())
        .await
    {
        Ok(r) => Ok(crate::shell::redirect(&format!(
            "/portal/requests/{}?filed=1",
            encode_component(&r.number)
        ))
        .into_response()),
        Err(e @ (AppError::Validation(_) | AppError::FieldConflict(_))) => {
            let errs = e.field_errors().cloned().unwrap_or_default();
            let errors = FormErrors::from_fields(&errs, u.tr());
            let status = crate::problem::status_of(&e);
            new_page(&s, u, f, errors, status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "service/portal_request.html")]
pub struct PortalRequestPage {
    pub shell: Shell,
    pub r: ServiceRequestView,
    pub events: Vec<RequestEventView>,
    pub filed: bool,
}

impl PortalRequestPage {
    pub fn req_status(&self, s: &RequestStatus) -> String {
        crate::pages::service::requests::request_status_label(self.shell.tr, *s)
    }

    pub fn wo_status(&self, w: &WorkOrderLine) -> String {
        crate::pages::service::requests::wo_status_label(self.shell.tr, w.status, w.waiting_reason)
    }

    /// The event in the customer's words (no work-order numbers, no notes).
    pub fn event_text(&self, e: &RequestEventView) -> String {
        crate::pages::service::requests::customer_event_text(self.shell.tr, e)
    }

    /// The open visits (not cancelled), the newest last.
    pub fn visits(&self) -> Vec<&WorkOrderLine> {
        self.r
            .work_orders
            .iter()
            .filter(|w| w.status != aftersales_domain::service::WoStatus::Cancelled)
            .collect()
    }

    /// A visit's agreed window, "2026-12-08 09:00–11:00".
    pub fn window(&self, w: &WorkOrderLine) -> Option<String> {
        let (a, b) = w.appointment_start.zip(w.appointment_end)?;
        Some(span_text(a, Some(b)))
    }

    /// The window the customer asked for, when they gave one.
    pub fn preferred(&self) -> Option<String> {
        Some(span_text(self.r.preferred_from?, self.r.preferred_to))
    }

    pub fn kind(&self, k: &str) -> String {
        self.shell.tr.t_dyn(&format!("requests.kind.{k}"))
    }
}

/// "2026-12-08 09:00–11:00" (one day), "2026-12-08 09:00 – 2026-12-09 11:00" (two).
fn span_text(a: jiff::Timestamp, b: Option<jiff::Timestamp>) -> String {
    let a = crate::pages::service::requests::at(a);
    let Some(b) = b else { return a };
    let b = crate::pages::service::requests::at(b);
    match (a.split_once(' '), b.split_once(' ')) {
        (Some((da, _)), Some((db, tb))) if da == db => format!("{a}–{tb}"),
        _ => format!("{a} – {b}"),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FiledQuery {
    filed: String,
}

pub async fn request(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<FiledQuery>,
) -> Result<Response, PageError> {
    if !is_customer(&u) {
        return Err(AppError::Forbidden.into());
    }
    let r = s.app.get_service_request(&u.ctx, &id).await?;
    let events = s.app.request_events(&u.ctx, &r.id).await?;
    Ok(PortalRequestPage {
        r,
        events,
        filed: !q.filed.is_empty(),
        shell: u.shell,
    }
    .into_response())
}

// ---------------------------------------------------------------------------------------
// Admins: which customer record a portal account acts for

#[derive(Template, WebTemplate)]
#[template(path = "service/user_customer.html")]
pub struct UserCustomerPage {
    pub shell: Shell,
    pub user: aftersales_app::UserView,
    pub link: aftersales_app::UserCustomerLink,
    pub q: String,
    pub hits: Vec<aftersales_app::SearchHit>,
    pub searched: bool,
    pub error: Option<String>,
    pub saved: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkQuery {
    q: String,
    saved: String,
}

async fn link_page(
    s: &AppState,
    u: WebUser,
    id: &str,
    q: String,
    error: Option<String>,
    saved: bool,
) -> Result<Response, PageError> {
    let Ok(uid) = id.parse() else {
        return Err(AppError::NotFound("user").into());
    };
    if !u.actor.role.can(aftersales_domain::Permission::UsersManage) {
        return Err(AppError::Forbidden.into());
    }
    let user = s.app.get_user(&u.ctx, uid).await?;
    let link = s.app.user_customer(&u.ctx, uid).await?;
    let searched = !q.trim().is_empty();
    let hits = if searched {
        s.app
            .search_customers(&u.ctx, q.trim(), 20)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        axum::http::StatusCode::CONFLICT
    } else {
        axum::http::StatusCode::OK
    };
    let page = UserCustomerPage {
        user,
        link,
        q,
        hits,
        searched,
        error,
        saved,
        shell: u.shell,
    };
    Ok((status, page).into_response())
}

pub async fn admin_link_page(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, PageError> {
    link_page(&s, u, &id, q.q, None, !q.saved.is_empty()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkForm {
    customer_id: String,
}

pub async fn admin_link(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<LinkForm>,
) -> Result<Response, PageError> {
    let Ok(uid) = id.parse() else {
        return Err(AppError::NotFound("user").into());
    };
    let input = aftersales_app::UserCustomerInput {
        customer_id: Some(f.customer_id.trim().to_owned()).filter(|c| !c.is_empty()),
    };
    match s.app.link_user_customer(&u.ctx, uid, &input).await {
        Ok(_) => Ok(
            crate::shell::redirect(&format!("/admin/users/{id}/customer?saved=1")).into_response(),
        ),
        Err(e @ (AppError::Validation(_) | AppError::FieldConflict(_))) => {
            let tr = u.tr();
            let msg = e
                .field_errors()
                .and_then(|f| f.0.first())
                .map(|fe| tr.field_error(fe))
                .unwrap_or_else(|| tr.t_error(e.code()));
            link_page(&s, u, &id, String::new(), Some(msg), false).await
        }
        Err(e) => Err(e.into()),
    }
}
