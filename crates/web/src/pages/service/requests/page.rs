//! One request: its facts, work orders, clocks and timeline, and the actions the caller
//! may take (owner, priority, triage, remote outcome, visit, resolve, close, reopen,
//! cancel, acknowledging a breach).

use super::{
    Pick, can_list, event_text, opt, request_status_label, warning_of_stored, wo_status_label,
};
use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::shell::{FormErrors, PageError, Shell, WebUser, encode_component};
use aftersales_app::{
    AppError, CancelInput, NamedRef, NewVisit, OwnerChange, RemoteOutcome, RequestEventView,
    RequestNote, ServiceRequestView, TriageInput, WorkOrderLine,
};
use aftersales_domain::service::{Priority, RequestEvent, RequestStatus, Triage};
use aftersales_domain::{FieldErrors, Permission};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "service/request.html")]
pub struct RequestPage {
    pub shell: Shell,
    pub r: ServiceRequestView,
    pub events: Vec<RequestEventView>,
    /// The request this one was reopened as, if any.
    pub reopened_as: Option<String>,
    pub owners: Vec<NamedRef>,
    pub can_manage: bool,
    pub can_dispatch: bool,
    pub errors: FormErrors,
    pub alert: Option<String>,
    pub notice: Option<String>,
    /// The action whose form the errors belong to.
    pub failed: String,
    /// The clocks of the request's promise (staff only).
    pub sla: Option<aftersales_app::RequestSla>,
    /// Loaners out now against the request, with their serials (docs/loaners.md).
    pub loaners: Vec<(aftersales_app::LoanView, String)>,
    /// Whether the loaners' pages open for the caller.
    pub can_read_loaners: bool,
}

impl RequestPage {
    /// A clock's state as a word.
    pub fn clock_state(&self, state: impl std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("sla.state.{state}"))
    }

    pub fn req_status(&self, s: &RequestStatus) -> String {
        request_status_label(self.shell.tr, *s)
    }

    pub fn wo_status(&self, w: &WorkOrderLine) -> String {
        wo_status_label(self.shell.tr, w.status, w.waiting_reason)
    }

    pub fn label(&self, prefix: &str, v: &dyn std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("{prefix}.{v}"))
    }

    /// The priorities to change to, the request's own selected.
    pub fn priorities(&self) -> Vec<Pick> {
        let current = Priority::parse(&self.r.priority);
        Priority::ALL
            .iter()
            .map(|p| Pick {
                value: p.as_str().to_owned(),
                label: self.label("requests.priority", p),
                selected: current == Some(*p),
            })
            .collect()
    }

    pub fn event_text(&self, e: &RequestEventView) -> String {
        event_text(self.shell.tr, e)
    }

    pub fn warranty_warning(&self) -> Option<String> {
        self.r
            .warranty
            .as_ref()
            .and_then(|w| warning_of_stored(self.shell.tr, w))
    }

    /// The error of a field of one action's form.
    pub fn err(&self, action: &str, field: &str) -> Option<String> {
        (self.failed == action)
            .then(|| self.errors.of(field).map(str::to_owned))
            .flatten()
    }

    pub fn open_orders(&self) -> bool {
        self.r.work_orders.iter().any(|w| !w.status.is_terminal())
    }

    /// Closed or cancelled: nothing more happens to it.
    pub fn is_final(&self) -> bool {
        self.r.status.is_final()
    }

    /// Open or in progress.
    pub fn is_active(&self) -> bool {
        self.r.status.is_active()
    }

    /// Resolved or closed: it may be reopened within the window.
    pub fn is_done(&self) -> bool {
        self.r.status.is_done()
    }

    /// Open (not triaged yet): it may be triaged.
    pub fn is_open(&self) -> bool {
        self.r.status == RequestStatus::Open
    }

    /// Being helped remotely: the remote attempt's outcome is awaited.
    pub fn awaits_remote_outcome(&self) -> bool {
        self.r.status == RequestStatus::InProgress && self.r.triage == Some(Triage::Remote)
    }

    /// Resolved: it may be closed.
    pub fn is_resolved(&self) -> bool {
        self.r.status == RequestStatus::Resolved
    }

    pub fn reopened_from_text(&self, number: &str) -> String {
        self.shell
            .tr
            .f("requests.reopened_from", &[("number", number)])
    }

    pub fn reopened_as_text(&self, number: &str) -> String {
        self.shell
            .tr
            .f("requests.event.reopened", &[("number", number)])
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

async fn request_page(
    s: &AppState,
    u: WebUser,
    key: &str,
    failed: &str,
    errors: FormErrors,
    alert: Option<String>,
    notice: Option<String>,
) -> Result<RequestPage, PageError> {
    let r = s.app.get_service_request(&u.ctx, key).await?;
    let events = s.app.request_events(&u.ctx, &r.id).await?;
    let reopened_as = events.iter().rev().find_map(|e| match &e.event {
        RequestEvent::Reopened { as_number, .. } => Some(as_number.clone()),
        _ => None,
    });
    let can_manage = u.actor.role.can(Permission::RequestsManage);
    let owners = if can_manage {
        s.app.request_owner_candidates(&u.ctx).await?
    } else {
        Vec::new()
    };
    let sla = match s.app.request_sla(&u.ctx, &r.id, u.tr().locale).await {
        Ok(sla) => Some(sla),
        // A role that does not read the clocks sees the request without them.
        Err(AppError::Forbidden) => None,
        Err(e) => return Err(e.into()),
    };
    let loaners = s.app.loaners_on_request(&u.ctx, &r.id).await?;
    Ok(RequestPage {
        loaners,
        can_read_loaners: u.actor.role.can(Permission::LoanersRead),
        r,
        events,
        reopened_as,
        owners,
        can_manage,
        sla,
        can_dispatch: u.actor.role.can(Permission::Dispatch),
        errors,
        alert,
        notice,
        failed: failed.to_owned(),
        shell: u.shell,
    })
}

pub async fn request(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    if !can_list(&u) {
        return Err(AppError::Forbidden.into());
    }
    let tr = u.tr();
    let notice = match q.done.as_str() {
        "" => None,
        d => Some(tr.t_dyn(&format!("requests.done.{d}"))).filter(|t| !t.starts_with("requests.")),
    };
    let page = request_page(&s, u, &id, "", FormErrors::default(), None, notice).await?;
    Ok(page.into_response())
}

/// Every action's form: a version and the fields of that action.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    version: String,
    note: String,
    owner_id: String,
    mode: String,
    solved: String,
    reason: String,
    org_unit_id: String,
    milestone: String,
    priority: String,
}

pub async fn action(
    State(s): State<AppState>,
    u: WebUser,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<ActionForm>,
) -> Result<Response, PageError> {
    let version: i64 = f.version.trim().parse().unwrap_or(0);
    let note = opt(&f.note);
    let ctx = &u.ctx;
    let app = &s.app;
    let result = match action.as_str() {
        "owner" => {
            app.change_request_owner(
                ctx,
                &id,
                &OwnerChange {
                    version,
                    owner_id: f.owner_id.clone(),
                    note,
                },
            )
            .await
        }
        "triage" => {
            app.triage_request(
                ctx,
                &id,
                &TriageInput {
                    version,
                    mode: f.mode.clone(),
                    note,
                },
            )
            .await
        }
        "remote-outcome" => {
            app.remote_outcome(
                ctx,
                &id,
                &RemoteOutcome {
                    version,
                    solved: f.solved == "yes",
                    note,
                },
            )
            .await
        }
        "resolve" => {
            app.resolve_request(ctx, &id, &RequestNote { version, note })
                .await
        }
        "close" => {
            app.close_request(ctx, &id, &RequestNote { version, note })
                .await
        }
        "cancel" => {
            app.cancel_request(
                ctx,
                &id,
                &CancelInput {
                    version,
                    reason: f.reason.clone(),
                },
            )
            .await
        }
        "reopen" => {
            app.reopen_request(ctx, &id, &RequestNote { version, note })
                .await
        }
        "visit" => {
            app.add_visit(
                ctx,
                &id,
                &NewVisit {
                    version,
                    org_unit_id: opt(&f.org_unit_id),
                    note,
                },
            )
            .await
        }
        "priority" => {
            app.change_request_priority(
                ctx,
                &id,
                &aftersales_app::PriorityChange {
                    version,
                    priority: f.priority.clone(),
                    note,
                },
            )
            .await
        }
        "sla-ack" => match app
            .acknowledge_breach(ctx, &id, &f.milestone, note.as_deref())
            .await
        {
            Ok(()) => app.get_service_request(ctx, &id).await,
            Err(e) => Err(e),
        },
        _ => Err(AppError::NotFound("page")),
    };
    let tr = u.tr();
    match result {
        Ok(r) => Ok(crate::shell::redirect(&format!(
            "/requests/{}?done={}",
            encode_component(&r.number),
            encode_component(&action)
        ))
        .into_response()),
        Err(e @ (AppError::Validation(_) | AppError::FieldConflict(_))) => {
            let errs = e.field_errors().cloned().unwrap_or_else(FieldErrors::new);
            let errors = FormErrors::from_fields(&errs, tr);
            let status = crate::problem::status_of(&e);
            let page = request_page(
                &s,
                u,
                &id,
                &action,
                errors,
                Some(tr.t_error(e.code())),
                None,
            )
            .await?;
            Ok((status, page).into_response())
        }
        // Someone changed it in between: show it as it is now and say so.
        Err(e @ (AppError::StaleVersion { .. } | AppError::Conflict(_))) => {
            let status = crate::problem::status_of(&e);
            let page = request_page(
                &s,
                u,
                &id,
                &action,
                FormErrors::default(),
                Some(tr.t_error(e.code())),
                None,
            )
            .await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
