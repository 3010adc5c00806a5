//! The loaner pool (docs/loaners.md): the list with a status filter and the form to add
//! a loaner; each loaner's page with its current loan, the forms to lend it against a
//! request and to take it back with an inspection, its loans and its history.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::pages::network::org::{all_units, unit_choices};
use crate::shell::{Banner, Choice, FormErrors, PageError, Pick, Shell, WebUser};
use aftersales_app::{
    AppError, IssueLoaner, LoanView, LoanerDetail, LoanerEventView, LoanerQuery,
    LoanerStatusChange, LoanerView, NewLoaner, ReturnLoaner,
};
use aftersales_domain::Permission;
use aftersales_domain::loaners::{LoanerEventKind, LoanerStatus, ReturnCondition};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// A badge's class by status (color and text, never color alone).
fn status_class(s: LoanerStatus) -> &'static str {
    match s {
        LoanerStatus::Available => "ok",
        LoanerStatus::OnLoan => "warn",
        LoanerStatus::InRepair => "danger",
        LoanerStatus::Retired => "off",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "loaners/loaners.html")]
pub struct LoanersPage {
    pub shell: Shell,
    pub rows: Vec<LoanerView>,
    pub statuses: Vec<Pick>,
    pub overdue_only: bool,
    pub next_url: Option<String>,
    pub can_manage: bool,
    pub owners: Vec<Choice>,
    pub form: RegisterForm,
    pub errors: FormErrors,
}

impl LoanersPage {
    pub fn status_text(&self, l: &LoanerView) -> String {
        self.shell
            .tr
            .t_dyn(&format!("loaners.status.{}", l.status.as_str()))
    }
    pub fn status_class(&self, l: &LoanerView) -> &'static str {
        status_class(l.status)
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RegisterForm {
    pub serial: String,
    pub model: String,
    pub owner_unit_id: String,
    /// One accessory a line.
    pub accessories: String,
    pub note: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub overdue: String,
    pub cursor: String,
}

async fn list_page(
    s: &AppState,
    u: WebUser,
    q: ListQuery,
    form: RegisterForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let overdue_only = !q.overdue.is_empty();
    let page = s
        .app
        .list_loaners(
            &u.ctx,
            &LoanerQuery {
                status: Some(q.status.clone()),
                owner: None,
                overdue: Some(overdue_only),
                cursor: Some(q.cursor.clone()),
                limit: None,
            },
        )
        .await?;
    let can_manage = u.ctx.can(Permission::LoanersManage);
    let owners = if can_manage {
        unit_choices(&all_units(s, &u).await?)
    } else {
        vec![]
    };
    let names: Vec<&'static str> = LoanerStatus::ALL.iter().map(|s| s.as_str()).collect();
    let next_url = page.next_cursor.map(|c| {
        format!(
            "/loaners?status={}&overdue={}&cursor={c}",
            q.status,
            if overdue_only { "on" } else { "" }
        )
    });
    let view = LoanersPage {
        statuses: Pick::all(tr, &names, "loaners.status", Some(q.status.as_str())),
        rows: page.items,
        overdue_only,
        next_url,
        can_manage,
        owners,
        form,
        errors,
        shell: u.shell,
    };
    Ok((status, view).into_response())
}

pub async fn list(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let form = RegisterForm {
        owner_unit_id: u
            .actor
            .org_unit_id
            .map(|o| o.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    list_page(&s, u, q, form, FormErrors::default(), StatusCode::OK).await
}

pub async fn register(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<RegisterForm>,
) -> Result<Response, PageError> {
    let input = NewLoaner {
        serial: f.serial.clone(),
        model: f.model.clone(),
        owner_unit_id: Some(f.owner_unit_id.clone()),
        accessories: f.accessories.lines().map(str::to_owned).collect(),
        note: Some(f.note.clone()),
    };
    match s.app.register_loaner(&u.ctx, &input, None).await {
        Ok(d) => Ok(crate::shell::redirect(&format!("/loaners/{}", d.loaner.id)).into_response()),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let mut errors = FormErrors::from_fields(&errs, u.tr());
            // An accessory's error (`accessories[3]`) is said beside the list.
            let acc: Vec<String> = errors
                .0
                .iter()
                .filter(|(k, _)| k.starts_with("accessories["))
                .map(|(_, v)| v.clone())
                .collect();
            if let Some(first) = acc.into_iter().next() {
                errors.0.entry("accessories".into()).or_insert(first);
            }
            list_page(
                &s,
                u,
                ListQuery::default(),
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "loaners/loaner.html")]
pub struct LoanerPage {
    pub shell: Shell,
    pub d: LoanerDetail,
    pub can_issue: bool,
    pub can_return: bool,
    /// A loaner in repair may go back to the pool.
    pub can_repair: bool,
    /// One available or in repair may be retired.
    pub can_retire: bool,
    pub conditions: Vec<Pick>,
    pub issue: IssueForm,
    pub back: ReturnForm,
    pub errors: FormErrors,
    pub alert: Option<String>,
    pub notice: Option<String>,
}

impl LoanerPage {
    pub fn status_text(&self) -> String {
        self.shell
            .tr
            .t_dyn(&format!("loaners.status.{}", self.d.loaner.status.as_str()))
    }
    pub fn status_class(&self) -> &'static str {
        status_class(self.d.loaner.status)
    }
    pub fn condition_text(&self, n: &LoanView) -> String {
        match n.condition {
            Some(c) => self
                .shell
                .tr
                .t_dyn(&format!("loaners.condition.{}", c.as_str())),
            None => String::new(),
        }
    }
    pub fn accessories_text(&self, n: &LoanView) -> String {
        match n.accessories_complete {
            Some(true) => self.shell.tr.t("loaners.accessories_complete").to_owned(),
            Some(false) => self.shell.tr.t("loaners.accessories_missing").to_owned(),
            None => String::new(),
        }
    }
    /// An entry of the history in words.
    pub fn event_text(&self, e: &LoanerEventView) -> String {
        let tr = self.shell.tr;
        let field = |k: &str| {
            e.data
                .as_ref()
                .and_then(|d| d.get(k))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let key = format!("loaners.event.{}", e.kind.as_str());
        match e.kind {
            LoanerEventKind::Registered | LoanerEventKind::Repaired | LoanerEventKind::Retired => {
                tr.t_dyn(&key)
            }
            LoanerEventKind::Issued => tr.f(
                &key,
                &[
                    ("number", &field("request_number")),
                    ("due", &field("expected_return")),
                ],
            ),
            LoanerEventKind::Returned => {
                let condition = ReturnCondition::parse(&field("condition"))
                    .map(|c| tr.t_dyn(&format!("loaners.condition.{}", c.as_str())))
                    .unwrap_or_default();
                let complete = e
                    .data
                    .as_ref()
                    .and_then(|d| d.get("accessories_complete"))
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                tr.f(
                    &key,
                    &[
                        ("number", &field("request_number")),
                        ("condition", &condition),
                        (
                            "accessories",
                            tr.t(if complete {
                                "loaners.accessories_complete"
                            } else {
                                "loaners.accessories_missing"
                            }),
                        ),
                    ],
                )
            }
            LoanerEventKind::OverdueAlerted => {
                let to: Vec<String> = e
                    .data
                    .as_ref()
                    .and_then(|d| d.get("to"))
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                tr.f(
                    &key,
                    &[
                        ("number", &field("request_number")),
                        ("to", &to.join(tr.t("requests.event.names_separator"))),
                    ],
                )
            }
        }
    }
    /// The note typed with the entry, if any.
    pub fn event_note(&self, e: &LoanerEventView) -> Option<String> {
        e.data
            .as_ref()
            .and_then(|d| d.get("note"))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct IssueForm {
    pub request: String,
    pub expected_return: String,
    pub note: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReturnForm {
    pub condition: String,
    pub accessories_complete: String,
    pub note: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    pub done: String,
}

#[allow(clippy::too_many_arguments)]
async fn loaner_page(
    s: &AppState,
    u: WebUser,
    id: &str,
    issue: IssueForm,
    back: ReturnForm,
    errors: FormErrors,
    banner: Banner,
    status: StatusCode,
) -> Result<Response, PageError> {
    let d = s.app.get_loaner(&u.ctx, id).await?;
    let tr = u.tr();
    let manage = u.ctx.can(Permission::LoanersManage);
    let names: Vec<&'static str> = ReturnCondition::ALL.iter().map(|c| c.as_str()).collect();
    let current = if back.condition.is_empty() {
        ReturnCondition::Good.as_str()
    } else {
        back.condition.as_str()
    };
    let (alert, notice) = banner.split();
    let view = LoanerPage {
        can_issue: manage && d.loaner.status.may_issue(),
        can_return: manage && d.loaner.status.may_return(),
        can_repair: manage && d.loaner.status.may_repair(),
        can_retire: manage && d.loaner.status.may_retire(),
        conditions: Pick::all(tr, &names, "loaners.condition", Some(current)),
        d,
        issue,
        back,
        errors,
        alert,
        notice,
        shell: u.shell,
    };
    Ok((status, view).into_response())
}

pub async fn loaner(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let banner = match q.done.as_str() {
        "issue" | "return" | "status" => {
            Banner::Notice(u.tr().t_dyn(&format!("loaners.done.{}", q.done)))
        }
        _ => Banner::None,
    };
    let issue = IssueForm {
        expected_return: s
            .app
            .today()
            .checked_add(jiff::Span::new().days(7))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    loaner_page(
        &s,
        u,
        &id,
        issue,
        ReturnForm::default(),
        FormErrors::default(),
        banner,
        StatusCode::OK,
    )
    .await
}

/// A refusal of the current state (409) as a sentence above the forms.
fn conflict_banner(u: &WebUser, code: &str) -> Banner {
    Banner::Alert(u.tr().t_dyn(&format!("error.{code}")))
}

pub async fn issue(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<IssueForm>,
) -> Result<Response, PageError> {
    let expected_return = crate::when::date(&f.expected_return)
        .map(|d| d.to_string())
        .unwrap_or_else(|| f.expected_return.clone());
    let input = IssueLoaner {
        request: f.request.clone(),
        expected_return,
        note: Some(f.note.clone()),
    };
    let (errors, banner) = match s.app.issue_loaner(&u.ctx, &id, &input).await {
        Ok(_) => {
            return Ok(crate::shell::redirect(&format!("/loaners/{id}?done=issue")).into_response());
        }
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            (FormErrors::from_fields(&errs, u.tr()), Banner::None)
        }
        Err(AppError::Conflict(code)) => (FormErrors::default(), conflict_banner(&u, code)),
        Err(e) => return Err(e.into()),
    };
    loaner_page(
        &s,
        u,
        &id,
        f,
        ReturnForm::default(),
        errors,
        banner,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub async fn take_back(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<ReturnForm>,
) -> Result<Response, PageError> {
    let input = ReturnLoaner {
        condition: f.condition.clone(),
        accessories_complete: !f.accessories_complete.is_empty(),
        note: Some(f.note.clone()),
    };
    let (errors, banner) = match s.app.return_loaner(&u.ctx, &id, &input).await {
        Ok(_) => {
            return Ok(
                crate::shell::redirect(&format!("/loaners/{id}?done=return")).into_response(),
            );
        }
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            (FormErrors::from_fields(&errs, u.tr()), Banner::None)
        }
        Err(AppError::Conflict(code)) => (FormErrors::default(), conflict_banner(&u, code)),
        Err(e) => return Err(e.into()),
    };
    loaner_page(
        &s,
        u,
        &id,
        IssueForm::default(),
        f,
        errors,
        banner,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct StatusForm {
    pub to: String,
    pub note: String,
}

/// Back to the pool after a repair, or retired.
pub async fn set_status(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    let input = LoanerStatusChange {
        to: f.to.clone(),
        note: Some(f.note.clone()),
    };
    let (errors, banner) = match s.app.set_loaner_status(&u.ctx, &id, &input).await {
        Ok(_) => {
            return Ok(
                crate::shell::redirect(&format!("/loaners/{id}?done=status")).into_response(),
            );
        }
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            (FormErrors::from_fields(&errs, u.tr()), Banner::None)
        }
        Err(AppError::Conflict(code)) => (FormErrors::default(), conflict_banner(&u, code)),
        Err(e) => return Err(e.into()),
    };
    loaner_page(
        &s,
        u,
        &id,
        IssueForm::default(),
        ReturnForm::default(),
        errors,
        banner,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
