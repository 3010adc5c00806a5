//! The service record on paper and for verification (R-DSP-7): the printable page with its
//! QR code, the PDF, the public page the QR code opens; and the information clerk's daily
//! reconciliation with random call-backs (R-DSP-8).

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::i18n::Tr;
use crate::request::locale_of;
use crate::shell::{FormErrors, PageError, Shell, WebUser};
use aftersales_app::{
    AppError, CallbackInput, CenterCompletionInput, ReconciliationView, RecordVerification,
    WorkOrderView,
};
use aftersales_domain::service::{CallbackOutcome, CodeKind};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "service/record_print.html")]
pub struct RecordPage {
    pub shell: Shell,
    pub wo: WorkOrderView,
    /// The QR code (SVG markup) when the record is signed.
    pub qr: Option<String>,
    pub verify_url: Option<String>,
    /// The signature as a data URL.
    pub signature: Option<String>,
}

impl RecordPage {
    pub fn t(&self, t: &Option<jiff::Timestamp>) -> String {
        t.map(crate::shell::fmt_time).unwrap_or_else(|| "—".into())
    }

    pub fn minutes(&self, m: &i64) -> String {
        crate::records::duration_text(self.shell.tr, *m)
    }

    pub fn kind(&self) -> String {
        self.shell
            .tr
            .t_dyn(&format!("record.kind.{}", self.wo.request.kind))
    }

    pub fn status(&self) -> String {
        super::wo_fmt::status_label(self.shell.tr, self.wo.status, self.wo.waiting_reason)
    }

    pub fn stars(&self, r: &Option<i64>) -> String {
        match r {
            Some(n) => format!(
                "{}{} {n}/5",
                "★".repeat(*n as usize),
                "☆".repeat(5 - *n as usize)
            ),
            None => "—".into(),
        }
    }

    pub fn yes_no(&self, v: &Option<bool>) -> String {
        match v {
            Some(true) => self.shell.tr.t("common.yes").to_owned(),
            Some(false) => self.shell.tr.t("common.no").to_owned(),
            None => "—".into(),
        }
    }
}

pub async fn record_page(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let wo = s.app.get_work_order(&u.ctx, &id).await?;
    let (qr, verify_url) = match wo.record.as_ref().and_then(|r| r.content_hash.clone()) {
        Some(hash) => {
            let url = crate::records::verify_url(
                &crate::records::base_url(&s, &headers),
                &wo.number,
                &hash,
            );
            (aftersales_documents::qr_svg(&url).ok(), Some(url))
        }
        None => (None, None),
    };
    let signature = s.app.record_signature(&u.ctx, &wo.id).await?.map(|png| {
        format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png)
        )
    });
    Ok(RecordPage {
        shell: u.shell,
        wo,
        qr,
        verify_url,
        signature,
    }
    .into_response())
}

pub async fn record_pdf(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (number, bytes) = crate::records::pdf(&s, &u.ctx, &id, u.shell.tr.locale, &headers).await?;
    Ok(crate::records::pdf_response(&number, bytes))
}

#[derive(Template, WebTemplate)]
#[template(path = "service/verify.html")]
pub struct VerifyPage {
    pub shell: Shell,
    pub v: Option<RecordVerification>,
    pub number: String,
}

impl VerifyPage {
    pub fn t(&self, t: &Option<jiff::Timestamp>) -> String {
        t.map(crate::shell::fmt_time).unwrap_or_else(|| "—".into())
    }
}

/// The page the record's QR code opens: public, no sign-in; it says whether the record is
/// genuine and what it is about, nothing more.
pub async fn verify(
    State(s): State<AppState>,
    Path((number, hash)): Path<(String, String)>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let tr = Tr::new(locale_of(&parts.headers));
    let shell = Shell::new(&parts, None);
    let ok = number.len() <= 40 && hash.len() <= 128;
    let v = if ok {
        match s.app.verify_record(&number, &hash).await {
            Ok(v) => Some(v),
            Err(AppError::NotFound(_)) => None,
            Err(e) => {
                tracing::error!(error = %e, "record verification failed");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    tr.t("error.internal").to_owned(),
                )
                    .into_response();
            }
        }
    } else {
        None
    };
    let status = if v.as_ref().is_some_and(|v| v.genuine) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    (status, VerifyPage { shell, v, number }).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "service/reconciliation.html")]
pub struct ReconciliationPage {
    pub shell: Shell,
    pub r: ReconciliationView,
    pub errors: FormErrors,
    /// The order a form error belongs to.
    pub error_for: String,
    pub saved: bool,
    /// What was typed into the refused form (of `error_for`).
    pub typed: std::collections::BTreeMap<String, String>,
    /// Every fault cause of the catalog (the center-completion picker; the server checks
    /// the code against the unit's product line).
    pub causes: Vec<aftersales_app::CatalogCode>,
}

impl ReconciliationPage {
    pub fn t(&self, t: &Option<jiff::Timestamp>) -> String {
        t.map(crate::shell::fmt_time).unwrap_or_else(|| "—".into())
    }

    pub fn outcome(&self, o: &CallbackOutcome) -> String {
        self.shell.tr.t_dyn(&format!("recon.outcome.{o}"))
    }

    /// A field of the refused form of order `id`, as typed.
    pub fn typed_for(&self, id: &str, field: &str) -> &str {
        if self.error_for == id {
            self.typed.get(field).map_or("", String::as_str)
        } else {
            ""
        }
    }

    /// A field's error in the form of order `id`.
    pub fn error_of(&self, id: &str, field: &str) -> Option<&str> {
        if self.error_for == id {
            self.errors.of(field)
        } else {
            None
        }
    }

    /// A cause's name in the reader's language.
    pub fn cause_label(&self, c: &aftersales_app::CatalogCode) -> String {
        format!("{} · {}", c.name(self.shell.tr.locale), c.code)
    }

    /// Signed before the reconciled day: its completion is overdue.
    pub fn overdue(&self, t: &Option<jiff::Timestamp>) -> bool {
        t.is_some_and(|t| crate::site::get().date(t).to_string() < self.r.day)
    }

    /// The call-back outcomes to choose from.
    pub fn outcomes(&self) -> &'static [CallbackOutcome] {
        CallbackOutcome::ALL
    }

    /// The badge's color beside the outcome's words.
    pub fn outcome_class(&self, o: &CallbackOutcome) -> &'static str {
        match o {
            CallbackOutcome::Confirmed => "ok",
            CallbackOutcome::Discrepancy => "danger",
            CallbackOutcome::Unreachable => "off",
        }
    }

    pub fn status(&self, l: &aftersales_app::ReconLine) -> String {
        super::wo_fmt::status_label(self.shell.tr, l.status, l.waiting_reason)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReconQuery {
    day: String,
    saved: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn recon_page(
    s: &AppState,
    u: WebUser,
    day: &str,
    errors: FormErrors,
    error_for: String,
    saved: bool,
    status: StatusCode,
    typed: std::collections::BTreeMap<String, String>,
) -> Result<Response, PageError> {
    let r = s.app.reconciliation(&u.ctx, Some(day)).await?;
    let causes = if r.center_pending.is_empty() {
        Vec::new()
    } else {
        s.app
            .list_codes(&u.ctx, CodeKind::Cause.as_str(), None)
            .await?
    };
    let page = ReconciliationPage {
        shell: u.shell,
        r,
        errors,
        error_for,
        saved,
        typed,
        causes,
    };
    Ok((status, page).into_response())
}

pub async fn reconciliation(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<ReconQuery>,
) -> Result<Response, PageError> {
    recon_page(
        &s,
        u,
        &q.day,
        FormErrors::default(),
        String::new(),
        q.saved.is_some(),
        StatusCode::OK,
        Default::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CallbackForm {
    outcome: String,
    notes: String,
    day: String,
}

pub async fn callback(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<CallbackForm>,
) -> Result<Response, PageError> {
    let input = CallbackInput {
        outcome: f.outcome.clone(),
        notes: Some(f.notes.clone()).filter(|n| !n.trim().is_empty()),
    };
    match s.app.record_callback(&u.ctx, &id, &input).await {
        Ok(_) => Ok(crate::shell::redirect(&format!(
            "/reconciliation?day={}&saved=1#wo-{id}",
            crate::shell::encode_component(&f.day)
        ))
        .into_response()),
        Err(AppError::Validation(errs) | AppError::FieldConflict(errs)) => {
            let errors = FormErrors::from_fields(&errs, u.tr());
            recon_page(
                &s,
                u,
                &f.day,
                errors,
                id,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
                Default::default(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CenterForm {
    fault_cause_code: String,
    diagnosis: String,
    action_taken: String,
    day: String,
}

/// The office completes fault cause and action of a record marked "completed at the
/// center" (reference 003); refused, the page comes back with every error beside its field
/// and what was typed.
pub async fn center(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<CenterForm>,
) -> Result<Response, PageError> {
    let input = CenterCompletionInput {
        fault_cause_code: Some(f.fault_cause_code.clone()),
        diagnosis: Some(f.diagnosis.clone()),
        action_taken: Some(f.action_taken.clone()),
    };
    match s.app.complete_record_at_center(&u.ctx, &id, &input).await {
        Ok(_) => Ok(crate::shell::redirect(&format!(
            "/reconciliation?day={}&saved=1",
            crate::shell::encode_component(&f.day)
        ))
        .into_response()),
        Err(e) if crate::pages::service::dispatch::is_page_error(&e) => Err(e.into()),
        Err(e) => {
            let tr = u.tr();
            let mut errors = e
                .field_errors()
                .map(|f| FormErrors::from_fields(f, tr))
                .unwrap_or_default();
            if errors.is_empty() {
                // A refusal of the record's state (already completed, not signed): said
                // beside the form.
                errors.0.insert("form".into(), tr.t_error(e.code()));
            }
            let typed = [
                ("fault_cause_code", &f.fault_cause_code),
                ("diagnosis", &f.diagnosis),
                ("action_taken", &f.action_taken),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
            // The id of the order as the page lists it.
            let wo = s.app.get_work_order(&u.ctx, &id).await?;
            recon_page(
                &s,
                u,
                &f.day,
                errors,
                wo.id,
                false,
                crate::problem::status_of(&e),
                typed,
            )
            .await
        }
    }
}
