//! The service record as a document: the work order's data put in the reader's language and
//! the site's time zone, for the printable page and the PDF (crates/documents), with the
//! verification link the QR code carries.

use crate::AppState;
use crate::i18n::Tr;
use aftersales_app::{AppError, Ctx, WorkOrderView};
use aftersales_documents as docs;
use aftersales_domain::Locale;
use axum::http::HeaderMap;

/// The site's address for links on documents: the configured public URL, else the host the
/// request came to when it names this machine, else nothing (the link stays relative).
pub fn base_url(s: &AppState, headers: &HeaderMap) -> String {
    crate::security::trusted_base_url(&s.cfg, headers).unwrap_or_default()
}

pub fn verify_url(base: &str, number: &str, hash: &str) -> String {
    format!("{base}/verify/{number}/{hash}")
}

fn local(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| crate::site::get().minute_text(t))
        .unwrap_or_default()
}

/// "2小时15分" / "2 h 15 min".
pub fn duration_text(tr: Tr, minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (tr.locale == aftersales_domain::Locale::En, h, m) {
        (true, 0, m) => format!("{m} min"),
        (true, h, 0) => format!("{h} h"),
        (true, h, m) => format!("{h} h {m} min"),
        (false, 0, m) => format!("{m}分钟"),
        (false, h, 0) => format!("{h}小时"),
        (false, h, m) => format!("{h}小时{m}分"),
    }
}

/// The document of a signed (or signing-declined) record. Refused while unsigned.
pub async fn document(
    s: &AppState,
    ctx: &Ctx,
    wo: &WorkOrderView,
    locale: Locale,
    base: &str,
) -> Result<docs::ServiceRecordDoc, AppError> {
    let tr = Tr::new(locale);
    let Some(rec) = &wo.record else {
        return Err(AppError::Conflict("record_missing"));
    };
    if !rec.locked {
        return Err(AppError::Conflict("record_not_signed"));
    }
    let hash = rec.content_hash.clone().unwrap_or_default();
    let signature = match (
        &rec.signature_declined_reason,
        s.app.record_signature(ctx, &wo.id).await?,
    ) {
        (Some(reason), _) => docs::Signature::Declined {
            reason: reason.clone(),
        },
        (None, Some(png)) => docs::Signature::Signed {
            png,
            signer: rec.signer_name.clone().unwrap_or_default(),
            signed_at: local(rec.signed_at),
        },
        (None, None) => docs::Signature::Declined {
            reason: String::new(),
        },
    };
    let unit = wo.request.unit.clone();
    let warranty_status = match wo.request.in_warranty {
        Some(true) => tr.t("warranty.in").to_owned(),
        Some(false) => tr.t("warranty.out").to_owned(),
        None => String::new(),
    };
    let parts_basis = match wo.request.in_warranty {
        Some(true) => tr.t("record.parts_in_warranty").to_owned(),
        _ => tr.t("record.parts_charged").to_owned(),
    };
    Ok(docs::ServiceRecordDoc {
        lang: if locale == Locale::En {
            docs::Lang::En
        } else {
            docs::Lang::ZhCn
        },
        company: docs::Company {
            name: company_name(s, locale),
            contact_line: s.cfg.company_contact.clone(),
        },
        record_number: wo.number.clone(),
        request_number: wo.request.number.clone(),
        service_kind: tr.t_dyn(&format!("record.kind.{}", wo.request.kind)),
        dispatched_at: local(wo.dispatched_at),
        arrived_at: local(wo.arrived_at),
        completed_at: local(wo.completed_at),
        customer: docs::Customer {
            name: wo.request.customer.name.clone(),
            number: wo.request.customer.code.clone(),
            contact_person: wo.request.contact_name.clone(),
            phone: crate::pages::service::wo_fmt::phone(&wo.request.contact_phone),
            address: wo.request.address.clone(),
        },
        unit: docs::Unit {
            model_name: unit
                .as_ref()
                .map(|u| u.product_name.clone())
                .unwrap_or_default(),
            model_code: unit
                .as_ref()
                .map(|u| u.product_code.clone())
                .unwrap_or_default(),
            serial: unit.and_then(|u| u.serial).unwrap_or_default(),
            warranty_class: wo.request.warranty_class.clone().unwrap_or_default(),
            warranty_status,
        },
        engineers: wo.engineer.iter().map(|e| e.name.clone()).collect(),
        fault_symptom: wo.request.symptom.clone(),
        // The customer's copy: fault cause and action marked "completed at the center" are
        // left off (reference 003), whatever the center completes later.
        fault_cause: if rec.cause_at_center {
            docs::FaultCause {
                code: String::new(),
                text: tr.t("engineer.at_center_copy").to_owned(),
            }
        } else {
            docs::FaultCause {
                code: rec.fault_cause_code.clone().unwrap_or_default(),
                text: rec.diagnosis.clone().unwrap_or_default(),
            }
        },
        action_taken: if rec.cause_at_center {
            tr.t("engineer.at_center_copy").to_owned()
        } else {
            rec.action_taken.clone().unwrap_or_default()
        },
        notes: rec.notes.clone().unwrap_or_default(),
        parts: rec
            .parts
            .iter()
            .map(|p| docs::PartRow {
                part_number: p.part_no.clone().unwrap_or_default(),
                name: p.name.clone(),
                quantity: p.qty.to_string(),
                charge_basis: parts_basis.clone(),
            })
            .collect(),
        labor_hours: rec
            .labor_minutes
            .map(|m| duration_text(tr, m))
            .unwrap_or_default(),
        charges: Vec::new(),
        charges_total: None,
        test_run: if rec.test_run_done == Some(true) {
            docs::TestRun::Done
        } else {
            docs::TestRun::FollowUp {
                due: local(
                    rec.follow_up_due_at.or(wo
                        .completed_at
                        .map(|c| c + jiff::SignedDuration::from_hours(2))),
                ),
            }
        },
        customer_trained: rec.customer_trained == Some(true),
        quality_rating: rec.rating_quality.and_then(|r| u8::try_from(r).ok()),
        attitude_rating: rec.rating_attitude.and_then(|r| u8::try_from(r).ok()),
        signature,
        verify_url: verify_url(base, &wo.number, &hash),
        content_hash: hash,
        addenda: wo
            .addenda
            .iter()
            .map(|a| docs::Addendum {
                at: crate::site::get().minute_text(a.at),
                by: a.by_name.clone(),
                text: a.body.clone(),
            })
            .collect(),
    })
}

/// The PDF of a work order's service record.
pub async fn pdf(
    s: &AppState,
    ctx: &Ctx,
    key: &str,
    locale: Locale,
    headers: &HeaderMap,
) -> Result<(String, Vec<u8>), AppError> {
    let wo = s.app.get_work_order(ctx, key).await?;
    let doc = document(s, ctx, &wo, locale, &base_url(s, headers)).await?;
    let bytes = docs::service_record_pdf(&doc)
        .map_err(|e| AppError::Internal(format!("service record PDF: {e}")))?;
    Ok((wo.number, bytes))
}

/// The company heading documents: the configured name, else the product's name.
pub fn company_name(s: &AppState, locale: Locale) -> String {
    s.cfg
        .company_name
        .clone()
        .unwrap_or_else(|| crate::i18n::Tr::new(locale).t("app.name").to_owned())
}

/// A PDF as a download named after the record.
pub fn pdf_response(number: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{number}.pdf\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
