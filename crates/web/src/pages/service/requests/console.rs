//! The agent console: who is calling (a customer found by name, phone or serial, or a
//! request by its number), what they own and what happened before, and the new request,
//! prefilled from the record and the chosen unit; a new caller's short record.

use super::{
    Pick, local_instant, opt, request_status_label, unfinished_statuses, warning_of_stored,
    warning_of_view, wo_status_label,
};
use crate::AppState;
use crate::extract::{Form, IdempotentForm, Query};
use crate::shell::{FormErrors, PageError, Shell, WebUser, encode_component};
use aftersales_app::{
    AppError, CALLER_NAME_MAX, CatalogCode, CustomerView, NewCaller, NewServiceRequest,
    RequestQuery, SearchHit, ServiceRequestView, UnitView, WarrantyView, WorkOrderLine,
};
use aftersales_domain::installed_base::{Phone, SearchMatch, Serial};
use aftersales_domain::service::{Channel, CodeKind, Priority, RequestKind, RequestStatus};
use aftersales_domain::warranty::Cause;
use aftersales_domain::{FieldErrors, Permission};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

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
    /// `1` when the agent ticked "someone else, file anyway" after a duplicate warning.
    pub confirm_duplicate: String,
}

impl NewCallerForm {
    /// The form opened from a search that found nobody: a query that reads as a phone
    /// number goes to the phone field, anything else to the name.
    fn from_search(q: &str) -> Self {
        let q = q.trim();
        if Phone::parse("phone", q).is_ok() {
            Self {
                phone: q.to_owned(),
                ..Default::default()
            }
        } else {
            Self {
                name: q.to_owned(),
                ..Default::default()
            }
        }
    }

    fn input(&self) -> NewCaller {
        NewCaller {
            name: self.name.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            region_code: self.region_code.clone(),
            confirm_duplicate: self.confirm_duplicate == "1",
        }
    }
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
    /// The new caller's form is shown (opened from a search, or refused).
    pub caller_open: bool,
    /// The customers who already have the typed phone, after a refused new caller.
    pub phone_owners: Vec<SearchHit>,
    pub can_create_customer: bool,
}

impl ConsolePage {
    pub fn q_encoded(&self) -> String {
        encode_component(&self.q)
    }

    pub fn label(&self, prefix: &str, v: &dyn std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("{prefix}.{v}"))
    }

    pub fn kinds(&self) -> Vec<Pick> {
        let chosen = RequestKind::parse(&self.form.kind);
        RequestKind::ALL
            .iter()
            .map(|k| Pick {
                value: k.as_str().to_owned(),
                label: self.label("requests.kind", k),
                selected: chosen == Some(*k),
            })
            .collect()
    }

    /// The channels an agent records (the portal, the API and alarms file by themselves).
    pub fn channels(&self) -> Vec<Pick> {
        let chosen = Channel::parse(&self.form.channel);
        Channel::AGENT_RECORDED
            .iter()
            .map(|c| Pick {
                value: c.as_str().to_owned(),
                label: self.label("requests.channel", c),
                selected: chosen == Some(*c),
            })
            .collect()
    }

    pub fn priorities(&self) -> Vec<Pick> {
        let chosen = Priority::parse(&self.form.priority);
        Priority::ALL
            .iter()
            .map(|p| Pick {
                value: p.as_str().to_owned(),
                label: self.label("requests.priority", p),
                selected: chosen == Some(*p),
            })
            .collect()
    }

    pub fn symptom_name(&self, c: &CatalogCode) -> String {
        c.name(self.shell.tr.locale).to_owned()
    }

    pub fn req_status(&self, s: &RequestStatus) -> String {
        request_status_label(self.shell.tr, *s)
    }

    pub fn wo_status(&self, w: &WorkOrderLine) -> String {
        wo_status_label(self.shell.tr, w.status, w.waiting_reason)
    }

    pub fn charge(&self, c: &str) -> String {
        self.shell.tr.t_dyn(&format!("warranty.charge.{c}"))
    }

    /// The caller's field error of the compact customer form.
    pub fn caller_error(&self, field: &str) -> Option<String> {
        self.caller_errors.of(field).map(str::to_owned)
    }

    /// The typed phone, for the search box of the console a picked owner opens.
    pub fn caller_phone_encoded(&self) -> String {
        encode_component(self.caller.phone.trim())
    }

    pub fn caller_name_max(&self) -> usize {
        CALLER_NAME_MAX
    }

    /// The form's first field to type in: the phone when the name is there, else the name.
    pub fn caller_focus_phone(&self) -> bool {
        !self.caller.name.trim().is_empty() && self.caller.phone.trim().is_empty()
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
    /// Enter pressed before the results arrived: open the first hit of `q` at once.
    open: String,
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
        // The query stays in the search box after the customer is opened.
        let mut href = format!(
            "/console?customer={}&q={}",
            h.customer_id,
            encode_component(q.trim())
        );
        if h.matched == SearchMatch::Serial {
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
    caller: Option<NewCallerForm>,
    caller_errors: FormErrors,
) -> Result<ConsolePage, PageError> {
    let tr = u.tr();
    let searched = !q.trim().is_empty();
    let hits = if searched {
        match console_hits(s, &u, &q).await {
            Ok(h) => h,
            // A search the use-case refuses as typed finds nobody.
            Err(AppError::Validation(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
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
        caller_open: caller.is_some(),
        caller: caller.unwrap_or_default(),
        caller_errors,
        phone_owners: Vec::new(),
        can_create_customer: u.actor.role.can(Permission::CustomersManage),
        shell: Shell::bare(tr),
    };
    if let Ok(cid) = customer_id.trim().parse() {
        let c = s.app.get_customer(&u.ctx, cid).await?;
        let units = s.app.customer_units(&u.ctx, cid).await?;
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
            let warranty = match s
                .app
                .warranty_for_unit(&u.ctx, unit.id, today, Cause::NormalFailure)
                .await
            {
                Ok(w) => Some(w),
                // A role that does not read the installed base sees the units without it.
                Err(AppError::Forbidden) => None,
                Err(e) => return Err(e.into()),
            };
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
        let requests = s
            .app
            .list_service_requests(
                &u.ctx,
                &RequestQuery {
                    customer_id: Some(c.id.to_string()),
                    limit: Some(20),
                    ..Default::default()
                },
            )
            .await?
            .items;
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
        page.symptoms = match s
            .app
            .list_codes(&u.ctx, CodeKind::Symptom.as_str(), line.as_deref())
            .await
        {
            // Before a unit is chosen, only the symptoms of every product line: a line's
            // own symptoms come with its unit (issue 13, defect 17).
            Ok(codes) => codes
                .into_iter()
                .filter(|c| line.is_some() || c.product_line.is_none())
                .collect(),
            // A role that does not read the catalog types the symptom in words.
            Err(AppError::Forbidden) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
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
                kind: RequestKind::Repair.as_str().into(),
                channel: Channel::Phone.as_str().into(),
                priority: Priority::Normal.as_str().into(),
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

/// The banner of the request just filed: its number, and what to tell the caller (another
/// open request for the unit, the warranty that does not cover it). `None` for a number
/// from an old link, or one the caller no longer sees.
async fn filed(s: &AppState, u: &WebUser, number: &str) -> Result<Option<Filed>, AppError> {
    let tr = u.tr();
    let r = match s.app.get_service_request(&u.ctx, number).await {
        Ok(r) => r,
        Err(AppError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut warnings = Vec::new();
    if let Some(unit) = &r.unit {
        let others = s
            .app
            .list_service_requests(
                &u.ctx,
                &RequestQuery {
                    unit_id: Some(unit.id.clone()),
                    status: Some(unfinished_statuses()),
                    limit: Some(20),
                    ..Default::default()
                },
            )
            .await?
            .items;
        for o in others.iter().filter(|o| o.id != r.id) {
            warnings.push(tr.f("console.open_request_for_unit", &[("number", &o.number)]));
        }
    }
    if let Some(w) = r.warranty.as_ref().and_then(|w| warning_of_stored(tr, w)) {
        warnings.push(w);
    }
    // The customer's window ends after the arrival due time (docs/sla.md, "The customer's
    // window"): the agent books the visit early in it.
    if u.actor.role.can(Permission::SlaRead) {
        let sla = s.app.request_sla(&u.ctx, &r.id, tr.locale).await?;
        for c in sla.clocks.iter().filter(|c| c.window_ends_after_due) {
            if let Some(due) = c.due_at {
                warnings.push(tr.f(
                    "console.window_after_due",
                    &[("due", &crate::shell::fmt_time(due))],
                ));
            }
        }
    }
    Ok(Some(Filed {
        number: r.number,
        warnings,
    }))
}

pub async fn console(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<ConsoleQuery>,
) -> Result<Response, PageError> {
    if !can_use_console(&u) {
        return Err(AppError::Forbidden.into());
    }
    if !q.open.is_empty() && !q.q.trim().is_empty() {
        match console_hits(&s, &u, &q.q).await {
            Ok(hits) => {
                if let Some(first) = hits.first() {
                    return Ok(crate::shell::redirect(&first.href).into_response());
                }
            }
            // A query the search refuses finds nobody: the page says so.
            Err(AppError::Validation(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let filed = match q.filed.trim() {
        "" => None,
        number => filed(&s, &u, number).await?,
    };
    let caller = (!q.new_caller.is_empty()).then(|| NewCallerForm::from_search(&q.q));
    let page = console_page(
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
    .await?;
    Ok(page.into_response())
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
) -> Result<Response, PageError> {
    if !can_use_console(&u) {
        return Err(AppError::Forbidden.into());
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
        Ok(r) => Ok(crate::shell::redirect(&format!(
            "/console?customer={}&filed={}",
            encode_component(&r.customer.id),
            encode_component(&r.number)
        ))
        .into_response()),
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
            let page = console_page(
                &s,
                u,
                String::new(),
                &customer,
                &unit,
                "",
                Some(f),
                errors,
                None,
                None,
                FormErrors::default(),
            )
            .await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A new caller: a short record (name, phone, address, region), then back to the console
/// with it chosen. A phone already on file comes back with its owners to pick from, and
/// a box to tick when the caller is someone else.
pub async fn new_caller(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<NewCallerForm>,
) -> Result<Response, PageError> {
    if !can_use_console(&u) {
        return Err(AppError::Forbidden.into());
    }
    match s.app.file_new_caller(&u.ctx, &f.input(), None).await {
        Ok(c) => Ok(crate::shell::redirect(&format!(
            "/console?customer={}&q={}",
            c.id,
            encode_component(f.phone.trim())
        ))
        .into_response()),
        Err(e @ (AppError::Validation(_) | AppError::FieldConflict(_))) => {
            let status = crate::problem::status_of(&e);
            let errs = e.field_errors().cloned().unwrap_or_default();
            let taken = errs.0.iter().any(|x| x.code == "duplicate_phone");
            let errors = FormErrors::from_fields(&errs, u.tr());
            let owners = if taken {
                s.app.customers_with_phone(&u.ctx, &f.phone).await?
            } else {
                Vec::new()
            };
            let mut page = console_page(
                &s,
                u,
                String::new(),
                "",
                "",
                "",
                None,
                FormErrors::default(),
                None,
                Some(f),
                errors,
            )
            .await?;
            page.phone_owners = owners;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
