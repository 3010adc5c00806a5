//! The list of requests with its filters (status, owner, service unit, created between,
//! number, one customer's or one unit's).

use super::{
    Pick, can_list, day_bound, opt, request_status_label, unfinished_statuses, wo_status_label,
};
use crate::AppState;
use crate::extract::Query;
use crate::shell::{FormErrors, PageError, Shell, WebUser, encode_component};
use aftersales_app::{AppError, OrgUnitView, RequestQuery, ServiceRequestView, WorkOrderLine};
use aftersales_domain::service::{Priority, RequestStatus};
use aftersales_domain::sla::board::SlaStanding;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListForm {
    pub status: String,
    /// `me` or empty (any owner).
    pub owner: String,
    pub org_unit_id: String,
    pub from: String,
    pub to: String,
    pub number: String,
    /// One customer's requests (the customer page links here).
    pub customer: String,
    /// One unit's requests (the unit page links here).
    pub unit: String,
    pub cursor: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "service/requests.html")]
pub struct RequestsPage {
    pub shell: Shell,
    pub f: ListForm,
    pub items: Vec<ServiceRequestView>,
    pub org_units: Vec<crate::shell::Choice>,
    pub next_url: Option<String>,
    pub errors: FormErrors,
    /// The customer the list is narrowed to: (name and number, their page), when the reader
    /// may see the record.
    pub customer: Option<(String, String)>,
}

impl RequestsPage {
    pub fn req_status(&self, s: &RequestStatus) -> String {
        request_status_label(self.shell.tr, *s)
    }

    pub fn wo_status(&self, w: &WorkOrderLine) -> String {
        wo_status_label(self.shell.tr, w.status, w.waiting_reason)
    }

    pub fn kind(&self, k: &str) -> String {
        self.shell.tr.t_dyn(&format!("requests.kind.{k}"))
    }

    pub fn priority(&self, p: &str) -> String {
        self.shell.tr.t_dyn(&format!("requests.priority.{p}"))
    }

    /// The SLA column's words: how the request stands now.
    pub fn sla(&self, s: &SlaStanding) -> &'static str {
        self.shell.tr.t(match s {
            SlaStanding::OnTime => "requests.sla_standing.on_time",
            SlaStanding::AtRisk => "requests.sla_standing.at_risk",
            SlaStanding::Breached => "requests.sla_standing.breached",
        })
    }

    /// The SLA column's badge: green on time, amber at risk, red breached (with the words,
    /// never the color alone).
    pub fn sla_class(&self, s: &SlaStanding) -> &'static str {
        match s {
            SlaStanding::OnTime => "badge sla-running",
            SlaStanding::AtRisk => "badge sla-warning",
            SlaStanding::Breached => "badge sla-breached",
        }
    }

    /// The priority's badge: the two that ask for haste stand out, normal is plain.
    pub fn priority_class(&self, p: &str) -> &'static str {
        match Priority::parse(p) {
            Some(Priority::Urgent) => "badge prio-urgent",
            Some(Priority::High) => "badge prio-high",
            Some(Priority::Low) => "badge prio-low",
            Some(Priority::Normal) | None => "badge",
        }
    }

    /// The status filter's choices (value, words): each status, then the unfinished ones
    /// together (open and in progress).
    pub fn statuses(&self) -> Vec<Pick> {
        let chosen = RequestStatus::parse(&self.f.status);
        let mut out: Vec<Pick> = RequestStatus::ALL
            .iter()
            .map(|st| Pick {
                value: st.as_str().to_owned(),
                label: self.req_status(st),
                selected: chosen == Some(*st),
            })
            .collect();
        let unfinished = unfinished_statuses();
        out.push(Pick {
            selected: self.f.status == unfinished,
            value: unfinished,
            label: self.shell.tr.t("requests.unfinished").to_owned(),
        });
        out
    }
}

pub async fn list(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<ListForm>,
) -> Result<Response, PageError> {
    if !can_list(&u) {
        return Err(AppError::Forbidden.into());
    }
    let q = RequestQuery {
        status: opt(&f.status),
        owner_id: (f.owner == "me").then(|| u.actor.id.to_string()),
        org_unit_id: opt(&f.org_unit_id),
        number: opt(&f.number),
        customer_id: opt(&f.customer),
        unit_id: opt(&f.unit),
        created_from: day_bound(&f.from, false),
        created_to: day_bound(&f.to, true),
        cursor: opt(&f.cursor),
        limit: Some(50),
    };
    let (items, next, errors) = match s.app.list_service_requests(&u.ctx, &q).await {
        Ok(p) => (p.items, p.next_cursor, FormErrors::default()),
        Err(AppError::Validation(errs)) => {
            (Vec::new(), None, FormErrors::from_fields(&errs, u.tr()))
        }
        Err(e) => return Err(e.into()),
    };
    let org_units: Vec<OrgUnitView> = match crate::pages::network::org::all_units(&s, &u).await {
        Ok(units) => units,
        // A partner without a unit of their own filters by none.
        Err(AppError::Forbidden) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let next_url = next.map(|c| {
        format!(
            "/requests?status={}&owner={}&org_unit_id={}&from={}&to={}&number={}&customer={}&unit={}&cursor={c}",
            encode_component(&f.status),
            encode_component(&f.owner),
            encode_component(&f.org_unit_id),
            encode_component(&f.from),
            encode_component(&f.to),
            encode_component(&f.number),
            encode_component(&f.customer),
            encode_component(&f.unit),
        )
    });
    let customer = match f.customer.trim().parse() {
        Ok(id) => match s.app.get_customer(&u.ctx, id).await {
            Ok(c) => Some((
                format!("{} {}", c.name, c.number),
                format!("/customers/{}", c.id),
            )),
            // The list itself says what the reader may see; the name is a courtesy.
            Err(AppError::Forbidden | AppError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    };
    Ok(RequestsPage {
        org_units: crate::pages::network::org::unit_choices(&org_units),
        f,
        items,
        next_url,
        errors,
        customer,
        shell: u.shell,
    }
    .into_response())
}
