//! Old for new and defect analysis pages (issue 14 points 5-6, docs/defects.md): the
//! engineer's defective parts to hand in on the phone (`/m/defects`, 待返旧件), the
//! warehouse's defective returns with the receive form (`/defect-returns`), and the defect
//! report with quality alerts (`/quality`).

use super::{qty_text, yuan};
use crate::AppState;
use crate::extract::{Form, Path};
use crate::i18n::Tr;
use crate::shell::{FormErrors, PageError, Shell, WebUser, redirect};
use aftersales_app::{
    AppError, DefectReceiveInput, DefectReportQuery, DefectReturnQuery, DefectReturnView,
    FailureCodeInput, FailureCodeUpdate, FailureCodeView, HandInInput,
};
use aftersales_domain::Permission;
use aftersales_domain::parts::PartCategory;
use aftersales_domain::parts::defects::ReturnStatus;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// An obligation as a card or a row: every word in the reader's language, the flags
/// computed here.
pub struct ReturnRow {
    pub number: String,
    pub part: String,
    pub name: String,
    pub qty: String,
    pub work_order: String,
    pub engineer: String,
    pub unit: String,
    pub due_on: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub overdue: bool,
    pub charged: Option<String>,
    pub failure_code: String,
    pub batch: String,
    pub can_hand_in: bool,
    pub can_receive: bool,
}

fn status_class(s: ReturnStatus) -> &'static str {
    match s {
        ReturnStatus::Open => "warn",
        ReturnStatus::HandedIn => "info",
        ReturnStatus::Received => "ok",
    }
}

impl ReturnRow {
    fn of(v: &DefectReturnView, tr: Tr) -> ReturnRow {
        ReturnRow {
            number: v.number.clone(),
            part: v.part.clone(),
            name: match tr.locale {
                aftersales_domain::Locale::ZhCn => v.part_name_zh.clone(),
                aftersales_domain::Locale::En => v.part_name_en.clone(),
            },
            qty: qty_text(v.qty),
            work_order: v.work_order.clone(),
            engineer: v.engineer_name.clone().unwrap_or_default(),
            unit: v.responsible_unit.clone().unwrap_or_default(),
            due_on: v.due_on.clone(),
            status: v.status.words(tr.locale),
            status_class: status_class(v.status),
            overdue: v.overdue,
            charged: v.charged_fen.map(yuan),
            failure_code: v.failure_code.clone().unwrap_or_default(),
            batch: v.batch.clone().unwrap_or_default(),
            can_hand_in: v.status.can_hand_in(),
            can_receive: v.status.can_receive(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    pub done: Option<String>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/m_defects.html")]
pub struct MobilePage {
    pub shell: Shell,
    pub open: Vec<ReturnRow>,
    pub rest: Vec<ReturnRow>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// The engineer's own obligations: those to hand in first.
pub async fn mobile(
    State(s): State<AppState>,
    u: WebUser,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::FieldWork)?;
    let tr = u.tr();
    let all = s
        .app
        .defect_returns(&u.ctx, &DefectReturnQuery::default())
        .await?;
    let (open, rest): (Vec<_>, Vec<_>) = all
        .iter()
        .map(|v| ReturnRow::of(v, tr))
        .partition(|r| r.can_hand_in);
    let p = MobilePage {
        open,
        rest,
        notice: d
            .done
            .is_some()
            .then(|| tr.t("defects.handed_in").to_owned()),
        error: d
            .error
            .is_some()
            .then(|| tr.t("defects.refused").to_owned()),
        shell: u.shell,
    };
    Ok(p.into_response())
}

pub async fn hand_in(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::FieldWork)?;
    match s
        .app
        .hand_in_defect(&u.ctx, &number, &HandInInput::default())
        .await
    {
        Ok(_) => Ok(redirect("/m/defects?done=1").into_response()),
        Err(
            AppError::Conflict(_)
            | AppError::FieldConflict(_)
            | AppError::Validation(_)
            | AppError::InsufficientStock { .. },
        ) => Ok(redirect("/m/defects?error=1").into_response()),
        Err(e) => Err(e.into()),
    }
}

/// A failure code as an option of the receive form.
pub struct CodeOption {
    pub code: String,
    pub words: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/defect_returns.html")]
pub struct WarehousePage {
    pub shell: Shell,
    pub rows: Vec<ReturnRow>,
    pub codes: Vec<CodeOption>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// The warehouse's defective returns, newest first, with the receive form on those handed in.
pub async fn warehouse(
    State(s): State<AppState>,
    u: WebUser,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::StockMove)?;
    let tr = u.tr();
    let rows = s
        .app
        .defect_returns(&u.ctx, &DefectReturnQuery::default())
        .await?
        .iter()
        .map(|v| ReturnRow::of(v, tr))
        .collect();
    let codes = s
        .app
        .failure_codes(&u.ctx, false)
        .await?
        .into_iter()
        .map(|c| CodeOption {
            words: format!(
                "{} {}",
                c.code,
                match tr.locale {
                    aftersales_domain::Locale::ZhCn => c.name_zh,
                    aftersales_domain::Locale::En => c.name_en,
                }
            ),
            code: c.code,
        })
        .collect();
    let p = WarehousePage {
        rows,
        codes,
        notice: d
            .done
            .is_some()
            .then(|| tr.t("defects.received").to_owned()),
        error: d
            .error
            .is_some()
            .then(|| tr.t("defects.receive_refused").to_owned()),
        shell: u.shell,
    };
    Ok(p.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReceiveForm {
    pub failure_code: String,
}

pub async fn receive(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Form(f): Form<ReceiveForm>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::StockMove)?;
    let input = DefectReceiveInput {
        failure_code: f.failure_code,
        location: None,
    };
    match s.app.receive_defect(&u.ctx, &number, &input).await {
        Ok(_) => Ok(redirect("/defect-returns?done=1").into_response()),
        Err(
            AppError::Conflict(_)
            | AppError::FieldConflict(_)
            | AppError::Validation(_)
            | AppError::InsufficientStock { .. },
        ) => Ok(redirect("/defect-returns?error=1").into_response()),
        Err(e) => Err(e.into()),
    }
}

pub struct ReportRow {
    pub part: String,
    pub name: String,
    pub model: String,
    pub batch: String,
    pub month: String,
    pub failure_code: String,
    pub failures: i64,
}

pub struct AlertRow {
    pub part: String,
    pub name: String,
    pub failures: i64,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/quality.html")]
pub struct QualityPage {
    pub shell: Shell,
    pub rows: Vec<ReportRow>,
    pub total: i64,
    pub alerts: Vec<AlertRow>,
    pub from: String,
    pub to: String,
    pub part: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QualityQuery {
    pub from: String,
    pub to: String,
    pub part: String,
}

/// The defect report by part, model, batch and month, and the quality alerts.
pub async fn quality(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<QualityQuery>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::QualityRead)?;
    let tr = u.tr();
    let some = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let rq = DefectReportQuery {
        from: some(&q.from),
        to: some(&q.to),
        part: some(&q.part),
        model: None,
        batch: None,
    };
    let report = match s.app.defect_report(&u.ctx, &rq).await {
        Ok(r) => r,
        // A month that does not read: the whole report, the filter shown as typed.
        Err(AppError::Validation(_)) => {
            s.app
                .defect_report(&u.ctx, &DefectReportQuery::default())
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    let zh = tr.locale == aftersales_domain::Locale::ZhCn;
    let p = QualityPage {
        rows: report
            .rows
            .into_iter()
            .map(|r| ReportRow {
                name: if zh { r.part_name_zh } else { r.part_name_en },
                part: r.part,
                model: r.model.unwrap_or_default(),
                batch: r.batch.unwrap_or_default(),
                month: r.month,
                failure_code: r.failure_code.unwrap_or_default(),
                failures: r.failures,
            })
            .collect(),
        total: report.total,
        alerts: report
            .alerts
            .into_iter()
            .map(|a| AlertRow {
                name: if zh { a.part_name_zh } else { a.part_name_en },
                part: a.part,
                failures: a.failures,
                at: a.at.chars().take(10).collect(),
            })
            .collect(),
        from: q.from,
        to: q.to,
        part: q.part,
        shell: u.shell,
    };
    Ok(p.into_response())
}

/// A failure code on its page, with the edit form's values.
pub struct CodeRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
    pub category_words: &'static str,
    pub active: bool,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/failure_codes.html")]
pub struct CodesPage {
    pub shell: Shell,
    pub rows: Vec<CodeRow>,
    pub categories: Vec<(&'static str, &'static str)>,
    pub can_manage: bool,
    pub new: CodeForm,
    pub new_errors: FormErrors,
    pub done: bool,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CodeForm {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
    pub active: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodesQuery {
    pub done: String,
}

/// The page again, with a refusal beside the form it came from (`Some(code)`: that row's).
async fn codes_page(
    s: &AppState,
    u: WebUser,
    failed: Option<(Option<String>, CodeForm, FormErrors)>,
    done: bool,
) -> Result<CodesPage, PageError> {
    let l = u.tr().locale;
    let codes = s.app.failure_codes(&u.ctx, true).await?;
    let (failed_code, failed_form, mut failed_errors) = match failed {
        Some((c, f, e)) => (c, Some(f), Some(e)),
        None => (None, None, None),
    };
    let rows = codes
        .into_iter()
        .map(|c| {
            let mine = failed_code.as_deref() == Some(c.code.as_str());
            let typed = failed_form.as_ref().filter(|_| mine);
            CodeRow {
                name_zh: typed.map_or(c.name_zh.clone(), |f| f.name_zh.clone()),
                name_en: typed.map_or(c.name_en.clone(), |f| f.name_en.clone()),
                category: typed.map_or(
                    c.category
                        .map(|k| k.as_str().to_owned())
                        .unwrap_or_default(),
                    |f| f.category.clone(),
                ),
                category_words: c.category.map(|k| k.words(l)).unwrap_or(""),
                active: typed.map_or(c.active, |f| !f.active.is_empty()),
                errors: if mine {
                    failed_errors.take().unwrap_or_default()
                } else {
                    FormErrors::default()
                },
                code: c.code,
            }
        })
        .collect();
    let (new, new_errors) = match (failed_code, failed_form) {
        (None, Some(f)) => (f, failed_errors.unwrap_or_default()),
        _ => (CodeForm::default(), FormErrors::default()),
    };
    Ok(CodesPage {
        categories: PartCategory::ALL
            .iter()
            .map(|c| (c.as_str(), c.words(l)))
            .collect(),
        can_manage: u.ctx.can(Permission::PartsManage),
        shell: u.shell,
        rows,
        new,
        new_errors,
        done,
    })
}

/// `GET /failure-codes`: the catalog, retired codes included, with add and edit forms for
/// the warehouse.
pub async fn codes(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<CodesQuery>,
) -> Result<Response, PageError> {
    Ok(codes_page(&s, u, None, !q.done.is_empty())
        .await?
        .into_response())
}

async fn code_answer(
    s: &AppState,
    u: WebUser,
    code: Option<String>,
    form: CodeForm,
    result: Result<FailureCodeView, AppError>,
) -> Result<Response, PageError> {
    let errors = match result {
        Ok(_) => return Ok(redirect("/failure-codes?done=1").into_response()),
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            FormErrors::from_fields(&e, u.tr())
        }
        Err(e) => return Err(e.into()),
    };
    let page = codes_page(s, u, Some((code, form, errors)), false).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `POST /failure-codes`: adds one.
pub async fn create_code(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<CodeForm>,
) -> Result<Response, PageError> {
    let input = FailureCodeInput {
        code: f.code.clone(),
        name_zh: f.name_zh.clone(),
        name_en: f.name_en.clone(),
        category: Some(f.category.clone()),
    };
    let r = s.app.create_failure_code(&u.ctx, &input).await;
    code_answer(&s, u, None, f, r).await
}

/// `POST /failure-codes/{code}`: renames, recategorizes, retires or restores one.
pub async fn update_code(
    State(s): State<AppState>,
    u: WebUser,
    Path(code): Path<String>,
    Form(f): Form<CodeForm>,
) -> Result<Response, PageError> {
    let input = FailureCodeUpdate {
        name_zh: f.name_zh.clone(),
        name_en: f.name_en.clone(),
        category: Some(f.category.clone()),
        active: !f.active.is_empty(),
    };
    let r = s.app.update_failure_code(&u.ctx, &code, &input).await;
    code_answer(&s, u, Some(code.trim().to_uppercase()), f, r).await
}
