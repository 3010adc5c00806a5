//! The import page (pick the kind, upload, see and change the column mapping, dry run, see
//! each row's errors, import strict or lenient, download the rejected rows), and the
//! download links of exports and rejected rows for signed-in users.

use crate::AppState;
use crate::extract::{Path, Query};
use crate::io::{self, FileFormat};
use crate::request::Htmx;
use crate::shell::{PageError, Shell, WebUser};
use aftersales_app::{
    AppError, AuditQuery, ContractQuery, ExportFilter, ExportList, ImportAction, ImportKind,
    ImportMode, ImportReport, UnitQuery, UserQuery,
};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use std::collections::{BTreeMap, HashMap};

pub struct KindChoice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// A field choice of a column's select box.
pub struct FieldChoice {
    pub value: String,
    pub label: String,
}

/// A column of the file and where it goes.
pub struct ColumnLine {
    pub index: usize,
    pub column: String,
    pub field: String,
    pub source: aftersales_domain::import::ColumnSource,
}

pub struct ErrorLine {
    pub row: u32,
    pub column: String,
    pub message: String,
}

/// What an upload answered.
pub struct Outcome {
    pub report: ImportReport,
    pub kind: &'static str,
    pub columns: Vec<ColumnLine>,
    pub choices: Vec<FieldChoice>,
    pub errors: Vec<ErrorLine>,
    pub more_errors: usize,
    pub missing: Vec<String>,
    pub preview_head: Vec<String>,
    pub preview_rows: Vec<(u32, Vec<String>)>,
    pub summary: String,
    pub refused: bool,
    pub dry_run: bool,
    pub created_text: Option<String>,
    pub more_text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "administration/imports.html")]
pub struct ImportPage {
    pub shell: Shell,
    pub kinds: Vec<KindChoice>,
    /// Create, update or upsert (parts and suppliers).
    pub actions: Vec<KindChoice>,
    pub outcome: Option<Outcome>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "administration/import_result.html")]
pub struct ImportResult {
    pub shell: Shell,
    pub outcome: Option<Outcome>,
    pub error: Option<String>,
}

/// Errors shown on the page at most; the rest are in the rejects file.
const SHOWN_ERRORS: usize = 500;

/// What rows do to records on file; offered when a kind that can update is allowed.
fn actions(u: &WebUser) -> Vec<KindChoice> {
    if !ImportKind::ALL
        .iter()
        .any(|k| k.updatable() && k.allowed_for(u.actor.role))
    {
        return Vec::new();
    }
    ImportAction::ALL
        .into_iter()
        .map(|a| KindChoice {
            value: a.as_str(),
            label: u.tr().t_dyn(&format!("io.action.{}", a.as_str())),
            selected: a == ImportAction::Create,
        })
        .collect()
}

fn kinds(u: &WebUser, selected: &str) -> Vec<KindChoice> {
    ImportKind::ALL
        .into_iter()
        .filter(|k| k.allowed_for(u.actor.role))
        .map(|k| KindChoice {
            value: k.as_str(),
            label: u.tr().t_dyn(&format!("io.kind.{}", k.as_str())),
            selected: k.as_str() == selected,
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct KindQuery {
    kind: String,
}

pub async fn page(
    State(_s): State<AppState>,
    u: WebUser,
    Query(q): Query<KindQuery>,
) -> Result<Response, PageError> {
    let Some(first) = ImportKind::ALL
        .into_iter()
        .find(|k| k.allowed_for(u.actor.role))
    else {
        return Err(AppError::Forbidden.into());
    };
    // A link may name the kind (the parts page does); otherwise the first allowed.
    let selected = ImportKind::parse(q.kind.trim())
        .filter(|k| k.allowed_for(u.actor.role))
        .unwrap_or(first);
    Ok(ImportPage {
        kinds: kinds(&u, selected.as_str()),
        actions: actions(&u),
        shell: u.shell,
        outcome: None,
        error: None,
    }
    .into_response())
}

fn outcome(u: &WebUser, report: ImportReport) -> Outcome {
    let tr = u.tr();
    let kind = report.kind.as_str();
    let mut choices = vec![FieldChoice {
        value: String::new(),
        label: tr.t_dyn("io.page.skip_column"),
    }];
    choices.extend(report.fields.iter().map(|f| FieldChoice {
        value: f.name.clone(),
        label: format!(
            "{}{}",
            io::field_label(tr, &f.name),
            if f.required { " *" } else { "" }
        ),
    }));
    let columns = report
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| ColumnLine {
            index: i,
            column: c.column.clone(),
            field: c.field.clone().unwrap_or_default(),
            source: c.source,
        })
        .collect();
    let errors = report
        .errors
        .iter()
        .take(SHOWN_ERRORS)
        .map(|e| ErrorLine {
            row: e.row,
            column: e
                .column
                .clone()
                .unwrap_or_else(|| io::field_label(tr, &e.field)),
            message: e.message.clone(),
        })
        .collect();
    let preview_head: Vec<String> = report
        .preview
        .first()
        .and_then(|p| p.values.as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let preview_rows = report
        .preview
        .iter()
        .take(10)
        .map(|p| {
            (
                p.row,
                preview_head
                    .iter()
                    .map(|k| match &p.values[k] {
                        serde_json::Value::Null => String::new(),
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Bool(b) => tr.t_dyn(if *b { "io.yes" } else { "io.no" }),
                        serde_json::Value::Array(a) => a
                            .iter()
                            .map(|x| {
                                x.as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| x.to_string())
                            })
                            .collect::<Vec<_>>()
                            .join(" / "),
                        other => other.to_string(),
                    })
                    .collect(),
            )
        })
        .collect();
    let refused = report.mode == ImportMode::Strict && report.batch_id.is_none();
    let summary = tr.f(
        "io.page.summary",
        &[
            ("total", &report.total_rows.to_string()),
            ("valid", &report.valid_rows.to_string()),
            ("invalid", &report.invalid_rows.to_string()),
        ],
    );
    let created_text = report
        .batch_id
        .as_ref()
        .map(|_| tr.f("io.page.created", &[("n", &report.created.to_string())]));
    let more = report.errors.len().saturating_sub(SHOWN_ERRORS);
    Outcome {
        dry_run: report.mode == ImportMode::DryRun,
        created_text,
        more_text: tr.f("io.page.more_errors", &[("n", &more.to_string())]),
        kind,
        columns,
        choices,
        more_errors: report.errors.len().saturating_sub(SHOWN_ERRORS),
        errors,
        missing: report
            .missing_fields
            .iter()
            .map(|f| io::field_label(tr, f))
            .collect(),
        preview_head: preview_head
            .iter()
            .map(|k| io::field_label(tr, k))
            .collect(),
        preview_rows,
        summary,
        refused,
        report,
    }
}

/// An upload from the page (multipart, sent by htmx with the CSRF header): the kind, the
/// mode of the button pressed, the file, and the mapping of the selects shown after the
/// previous dry run.
pub async fn upload(
    State(s): State<AppState>,
    u: WebUser,
    htmx: Htmx,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let result = async {
        let up = io::read_upload(&headers, body).await?;
        let kind = up
            .fields
            .get("kind")
            .and_then(|k| ImportKind::parse(k))
            .ok_or_else(|| {
                AppError::invalid(aftersales_domain::FieldError::new("kind", "invalid_choice"))
            })?;
        s.app.check_import(&u.ctx, kind)?;
        let mode = io::parse_mode(up.fields.get("mode").map(String::as_str))?;
        // The selects of the previous answer: col_<i> is the header, map_<i> the field.
        let mut mapping = BTreeMap::new();
        for (k, v) in &up.fields {
            if let Some(i) = k.strip_prefix("col_")
                && let Some(field) = up.fields.get(&format!("map_{i}"))
                && up.fields.get("mapped_kind").map(String::as_str) == Some(kind.as_str())
            {
                mapping.insert(v.clone(), field.clone());
            }
        }
        let sheet = up.fields.get("sheet").cloned();
        // The kinds that only create ignore the select.
        let action = match up.fields.get("action").map(|a| a.trim()) {
            Some(a) if kind.updatable() && !a.is_empty() => {
                ImportAction::parse(a).ok_or_else(|| {
                    AppError::invalid(aftersales_domain::FieldError::new(
                        "action",
                        "invalid_choice",
                    ))
                })?
            }
            _ => ImportAction::Create,
        };
        let mut req = io::request(kind, mode, up, None, sheet, mapping);
        req.action = action;
        let mut report = s.app.import(&u.ctx, &req).await?;
        io::localize(&mut report, tr);
        Ok::<_, AppError>(report)
    }
    .await;
    let (outcome, error) = match result {
        Ok(r) => (Some(outcome(&u, r)), None),
        Err(AppError::Unauthenticated) => return Err(AppError::Unauthenticated.into()),
        Err(AppError::Validation(errs)) => {
            let msg = errs
                .0
                .iter()
                .map(|e| {
                    let field = e.field.trim_start_matches("mapping.");
                    format!("{}: {}", io::field_label(tr, field), tr.field_error(e))
                })
                .collect::<Vec<_>>()
                .join("; ");
            (None, Some(msg))
        }
        Err(e @ AppError::Internal(_)) => return Err(e.into()),
        Err(e) => (None, Some(tr.t_error(e.code()))),
    };
    if htmx.request {
        let fragment = ImportResult {
            shell: u.shell,
            outcome,
            error,
        };
        return Ok(fragment.into_response());
    }
    let selected = outcome.as_ref().map(|o| o.kind).unwrap_or("customers");
    let page = ImportPage {
        kinds: kinds(&u, selected),
        actions: actions(&u),
        shell: u.shell,
        outcome,
        error,
    };
    Ok(page.into_response())
}

#[derive(serde::Deserialize)]
pub struct FormatForm {
    format: Option<String>,
}

/// The rejected rows of a lenient import.
pub async fn rejects(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Query(q): Query<FormatForm>,
) -> Result<Response, PageError> {
    let format = FileFormat::parse(q.format.as_deref())?;
    let r = s.app.import_rejects(&u.ctx, &id).await?;
    Ok(io::rejects_file(r, format, u.tr())?)
}

/// An export of a list, with the list page's filters as query parameters.
pub async fn export(
    State(s): State<AppState>,
    u: WebUser,
    Path(list): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let Some(list) = ExportList::parse(&list) else {
        return Err(AppError::NotFound("page").into());
    };
    let get = |k: &str| {
        q.get(k)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let filter = ExportFilter {
        units: UnitQuery {
            serial: get("serial"),
            product: get("product"),
            customer_id: get("customer_id"),
            ..UnitQuery::default()
        },
        contracts: ContractQuery {
            customer_id: get("customer_id"),
            ..ContractQuery::default()
        },
        users: UserQuery {
            q: get("q"),
            role: get("role"),
            include_disabled: get("include_disabled").map(|v| v == "true"),
            ..UserQuery::default()
        },
        audit: AuditQuery {
            entity: get("entity"),
            actor: get("actor"),
            action: get("action"),
            ..AuditQuery::default()
        },
    };
    u.ctx.require(list.permission())?;
    let format = FileFormat::parse(get("format").as_deref())?;
    Ok(io::export(s.app.clone(), u.ctx.clone(), list, filter, format, tr).await?)
}
