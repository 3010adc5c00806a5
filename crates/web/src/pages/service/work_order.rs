//! One work order for the office (`/work-orders/{id}`, the link on a request's page): who
//! goes, when, where it stands, its visit's times and appointments, its service record, and
//! what happened to it. The engineer works a job on the phone, so they are sent there.

use super::requests::{at, event_text, status_class, wo_status_label};
use crate::AppState;
use crate::extract::Path;
use crate::shell::{PageError, Shell, WebUser, redirect};
use aftersales_app::{RequestEventView, WorkOrderView};
use aftersales_domain::Permission;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

#[derive(Template, WebTemplate)]
#[template(path = "service/work_order.html")]
pub struct WorkOrderPage {
    pub shell: Shell,
    pub wo: WorkOrderView,
    /// The events of this work order, newest last.
    pub events: Vec<RequestEventView>,
    /// The caller may open the customer's page.
    pub can_read_customer: bool,
}

/// One step of the visit: its label key and when it happened.
pub struct Step {
    pub label: String,
    pub at: Option<Timestamp>,
}

impl WorkOrderPage {
    pub fn status(&self) -> String {
        wo_status_label(self.shell.tr, self.wo.status, self.wo.waiting_reason)
    }

    pub fn status_class(&self) -> String {
        status_class(&self.wo.status)
    }

    pub fn when(&self, t: &Timestamp) -> String {
        at(t)
    }

    pub fn event_text(&self, e: &RequestEventView) -> String {
        event_text(self.shell.tr, e)
    }

    pub fn outcome(&self) -> Option<String> {
        self.wo
            .outcome
            .map(|o| self.shell.tr.t_dyn(&format!("requests.outcome.{o}")))
    }

    /// The visit's steps that happened, in order.
    pub fn steps(&self) -> Vec<Step> {
        let w = &self.wo;
        [
            ("work_order.created", Some(w.created_at)),
            ("record.dispatched_at", w.dispatched_at),
            ("work_order.accepted_at", w.accepted_at),
            ("work_order.en_route_at", w.en_route_at),
            ("record.arrived_at", w.arrived_at),
            ("work_order.started_at", w.started_at),
            ("record.completed_at", w.completed_at),
            ("work_order.cancelled_at", w.cancelled_at),
        ]
        .into_iter()
        .filter(|(_, t)| t.is_some())
        .map(|(k, t)| Step {
            label: self.shell.tr.t_dyn(k),
            at: t,
        })
        .collect()
    }

    /// Where the service record stands, in words.
    pub fn record_state(&self) -> String {
        let key = match &self.wo.record {
            None => "record.no_record",
            Some(r) if r.signature_declined_reason.is_some() => "work_order.record_declined",
            Some(r) if r.locked => "work_order.record_signed",
            Some(_) => "record.draft",
        };
        self.shell.tr.t_dyn(key)
    }
}

pub async fn work_order(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    // The engineer's view of a job is the phone's (where its steps are taken).
    if u.actor.role.can(Permission::FieldWork) && !u.actor.role.can(Permission::RequestsManage) {
        return Ok(redirect(&format!(
            "/m/orders/{}",
            crate::shell::encode_component(&id)
        ))
        .into_response());
    }
    let wo = s.app.get_work_order(&u.ctx, &id).await?;
    let events = s
        .app
        .request_events(&u.ctx, &wo.request.id)
        .await?
        .into_iter()
        .filter(|e| e.work_order_id.as_deref() == Some(wo.id.as_str()))
        .collect();
    Ok(WorkOrderPage {
        can_read_customer: u.actor.role.can(Permission::CustomersRead),
        shell: u.shell,
        wo,
        events,
    }
    .into_response())
}
