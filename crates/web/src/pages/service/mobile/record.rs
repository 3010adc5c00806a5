//! The service record (saved by the form, and as you go by the autosave sync), photos,
//! the customer's signature (or their refusal), the completion and addenda.

use super::order::{OrderState, RecordForm, SignForm, after_step, order_page};
use super::{Pairs, StepError, field, opt_f64, step_error, version};
use crate::AppState;
use crate::extract::{Form, Path};
use crate::pages::service::dispatch::is_page_error;
use crate::problem::ApiError;
use crate::shell::{FormErrors, PageError, WebUser};
use aftersales_app::{
    AddendumInput, AppError, CenterCompletionInput, CompleteInput, SignatureInput,
};
use aftersales_domain::Locale;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

// ---------------------------------------------------------------------------------------
// The service record: saved by the form, and as you go (autosave sync)

async fn record_refused(
    s: &AppState,
    u: WebUser,
    key: &str,
    form: RecordForm,
    e: AppError,
) -> Result<Response, PageError> {
    let status = crate::problem::status_of(&e);
    let tr = u.tr();
    let mut err = step_error(tr, "record", &e);
    // The use-case speaks of minutes; the form asks for hours.
    if let Some(m) = err.fields.0.remove("labor_minutes") {
        let out_of_range = e.field_errors().is_some_and(|f| {
            f.0.iter()
                .any(|x| x.field == "labor_minutes" && x.code == "out_of_range")
        });
        let m = if out_of_range {
            tr.t("engineer.labor_range").to_owned()
        } else {
            m
        };
        err.fields.0.entry("labor_hours".into()).or_insert(m);
    }
    if matches!(e, AppError::Validation(_) | AppError::FieldConflict(_)) {
        err.message = tr.t("error.validation_failed").to_owned();
    }
    let mut st = OrderState::plain(None);
    st.error = Some(err);
    // A stale form is shown as stored now (the typed text stays in the phone's draft).
    if !matches!(e, AppError::StaleVersion { .. }) {
        st.record = Some(form);
    }
    let page = order_page(s, u, key, st).await?;
    Ok((status, page).into_response())
}

pub async fn save_record(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let form = RecordForm::from_pairs(&p);
    // Saved from the form, the record is offered for signature: it must be filled.
    let (input, form_errs) = form.input(true);
    if !form_errs.is_empty() {
        // Every error at once: the form's own fields and what the use-case would answer.
        let e = match s.app.check_record(&u.ctx, &id, &input).await {
            Ok(()) => AppError::Validation(form_errs),
            Err(e) if is_page_error(&e) => return Err(e.into()),
            Err(e) => match e.field_errors() {
                Some(more) => {
                    let mut all = form_errs;
                    all.0.extend(more.0.iter().cloned());
                    AppError::Validation(all)
                }
                None => e,
            },
        };
        return record_refused(&s, u, &id, form, e).await;
    }
    match s.app.save_record(&u.ctx, &id, &input).await {
        Ok(v) => Ok(crate::shell::redirect(&format!(
            "/m/orders/{}?done=record#signature",
            v.number
        ))
        .into_response()),
        Err(e) if is_page_error(&e) => Err(e.into()),
        Err(e) => record_refused(&s, u, &id, form, e).await,
    }
}

fn json_error(u: &Result<WebUser, Response>, e: AppError) -> Response {
    let locale = u.as_ref().map_or(Locale::default(), |u| u.tr().locale);
    ApiError::new(e, locale, None).into_response()
}

/// Autosave sync (`PUT`, form-encoded like the form): saves the record and answers its new
/// `version` as JSON, or a problem (the widget shows its `detail`).
pub async fn record_draft(
    State(s): State<AppState>,
    u: Result<WebUser, Response>,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Response {
    let Ok(user) = &u else {
        return json_error(&u, AppError::Unauthenticated);
    };
    let (input, errs) = RecordForm::from_pairs(&p).input(false);
    if !errs.is_empty() {
        return json_error(&u, AppError::Validation(errs));
    }
    match s.app.save_record(&user.ctx, &id, &input).await {
        Ok(v) => axum::Json(serde_json::json!({
            "version": v.record.as_ref().map_or(0, |r| r.version),
            "work_order_version": v.version,
        }))
        .into_response(),
        Err(e) => json_error(&u, e),
    }
}

// ---------------------------------------------------------------------------------------
// Photos (the upload widget posts the image itself)

pub async fn add_photo(
    State(s): State<AppState>,
    u: Result<WebUser, Response>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(user) = &u else {
        return json_error(&u, AppError::Unauthenticated);
    };
    match s.app.add_photo(&user.ctx, &id, &body, None).await {
        Ok(p) => (StatusCode::CREATED, axum::Json(p)).into_response(),
        Err(e) => json_error(&u, e),
    }
}

pub async fn photo(
    State(s): State<AppState>,
    u: WebUser,
    Path((id, photo_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (ct, bytes) = s.app.photo(&u.ctx, &id, &photo_id).await?;
    Ok(crate::security::upload_response(ct, bytes, &photo_id))
}

// ---------------------------------------------------------------------------------------
// Signature (or the customer's refusal), completion, addenda

pub async fn sign(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let typed = SignForm {
        signer_name: field(&p, "signer_name").to_owned(),
        signature_png: field(&p, "signature_png").trim().to_owned(),
        declined_reason: field(&p, "declined_reason").to_owned(),
    };
    let declined = field(&p, "choice") == "decline";
    let refuse = |field_name: &str, message: String, status: StatusCode| {
        let mut fields = FormErrors::default();
        fields.0.insert(field_name.to_owned(), message.clone());
        let mut st = OrderState::plain(None);
        st.error = Some(StepError {
            form: "signature".into(),
            message,
            fields,
        });
        st.sign = Some(typed.clone());
        (st, status)
    };
    // The customer signs the record they were shown: refuse if it changed since.
    let current = s.app.get_work_order(&u.ctx, &id).await?;
    let shown: i64 = field(&p, "record_version").trim().parse().unwrap_or(-1);
    let now_version = current.record.as_ref().map(|r| r.version);
    if now_version.is_some() && now_version != Some(shown) {
        let (st, status) = refuse(
            "record_version",
            tr.t("error.record_changed").to_owned(),
            StatusCode::CONFLICT,
        );
        return Ok((status, order_page(&s, u, &id, st).await?).into_response());
    }
    let input = if declined {
        if typed.declined_reason.trim().is_empty() {
            let (st, status) = refuse(
                "declined_reason",
                tr.t("engineer.decline_reason_needed").to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            return Ok((status, order_page(&s, u, &id, st).await?).into_response());
        }
        SignatureInput {
            signature_png: None,
            signer_name: None,
            declined_reason: Some(typed.declined_reason.clone()),
        }
    } else {
        if typed.signature_png.is_empty() {
            let (st, status) = refuse(
                "signature_png",
                tr.t("engineer.signature_needed").to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            return Ok((status, order_page(&s, u, &id, st).await?).into_response());
        }
        SignatureInput {
            signature_png: Some(typed.signature_png.clone()),
            signer_name: Some(typed.signer_name.clone()).filter(|n| !n.trim().is_empty()),
            declined_reason: None,
        }
    };
    match s.app.sign_record(&u.ctx, &id, &input).await {
        Ok(v) => Ok(crate::shell::redirect(&format!(
            "/m/orders/{}?done={}#complete",
            v.number,
            if declined { "declined" } else { "signed" }
        ))
        .into_response()),
        Err(e) if is_page_error(&e) => Err(e.into()),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let mut st = OrderState::plain(None);
            st.error = Some(step_error(tr, "signature", &e));
            st.sign = Some(typed);
            let page = order_page(&s, u, &id, st).await?;
            Ok((status, page).into_response())
        }
    }
}

pub async fn complete(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let input = CompleteInput {
        version: version(&p),
        outcome: field(&p, "outcome").trim().to_owned(),
        loaner_left: !field(&p, "loaner_left").is_empty(),
        latitude: opt_f64(&p, "latitude"),
        longitude: opt_f64(&p, "longitude"),
    };
    let res = s.app.complete_work_order(&u.ctx, &id, &input).await;
    after_step(&s, u, &id, &p, "complete", "complete", "", res).await
}

/// Fault cause and action of a record marked "completed at the center", completed by the
/// engineer back at the center (the office does it from the reconciliation page).
pub async fn center(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let input = CenterCompletionInput {
        fault_cause_code: Some(field(&p, "fault_cause_code").to_owned()),
        diagnosis: Some(field(&p, "diagnosis").to_owned()),
        action_taken: Some(field(&p, "action_taken").to_owned()),
    };
    let res = s.app.complete_record_at_center(&u.ctx, &id, &input).await;
    after_step(&s, u, &id, &p, "center", "center", "#record-view", res).await
}

pub async fn addendum(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let input = AddendumInput {
        body: field(&p, "body").to_owned(),
    };
    let res = s.app.add_addendum(&u.ctx, &id, &input).await;
    after_step(&s, u, &id, &p, "addendum", "addendum", "#addenda", res).await
}
