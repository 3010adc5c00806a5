//! The customer's quote page behind the one-time link (`/q/{token}`, no sign-in;
//! docs/charges.md "Quotes"): the quote in plain words on a phone, confirm or decline once,
//! and its PDF. A link that is unknown answers 404 with the same page, saying so.

use crate::AppState;
use crate::extract::Path;
use crate::i18n::Tr;
use crate::request::{form_pairs, locale_of};
use crate::shell::Shell;
use aftersales_app::{AppError, PublicQuote, payer_words};
use aftersales_domain::Locale;
use aftersales_domain::charges::{QuoteAction, yuan};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// One line as the customer reads it.
pub struct Row {
    pub item: String,
    pub qty: String,
    pub amount: String,
    pub payer: String,
    pub reason: String,
    /// The customer pays this line.
    pub theirs: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "charges/quote_link.html")]
pub struct QuoteLinkPage {
    pub shell: Shell,
    pub q: Option<PublicQuote>,
    pub rows: Vec<Row>,
    pub net: String,
    pub vat: String,
    pub gross: String,
    /// The VAT rate as a percentage (`13%`).
    pub vat_rate: String,
    pub token: String,
    /// The sentence of a refusal (answered already, expired…), or of the answer just given.
    pub message: Option<String>,
    pub error: bool,
}

fn rows(tr: Tr, q: &PublicQuote) -> Vec<Row> {
    let zh = tr.locale == Locale::ZhCn;
    q.quote
        .lines
        .iter()
        .map(|l| Row {
            item: if zh {
                l.description_zh.clone()
            } else {
                l.description_en.clone()
            },
            qty: l.qty.clone(),
            amount: yuan(l.amount_fen),
            payer: payer_words(&l.payer, zh).to_owned(),
            reason: if zh {
                l.reason_zh.clone()
            } else {
                l.reason_en.clone()
            },
            theirs: l.payer == "customer",
        })
        .collect()
}

fn page(
    shell: Shell,
    token: &str,
    q: Option<PublicQuote>,
    message: Option<String>,
    error: bool,
) -> QuoteLinkPage {
    let tr = shell.tr;
    let vat_rate = q
        .as_ref()
        .and_then(|q| aftersales_domain::charges::Rate::parse("vat", &q.quote.totals.vat_rate).ok())
        .map(|r| r.percent())
        .unwrap_or_default();
    let (rows, net, vat, gross) = match &q {
        Some(q) => (
            rows(tr, q),
            yuan(q.quote.totals.customer_net_fen),
            yuan(q.quote.totals.customer_vat_fen),
            yuan(q.quote.totals.customer_gross_fen),
        ),
        None => (Vec::new(), String::new(), String::new(), String::new()),
    };
    QuoteLinkPage {
        shell,
        q,
        rows,
        net,
        vat,
        gross,
        vat_rate,
        token: token.to_owned(),
        message,
        error,
    }
}

/// A link that leads nowhere (404) or a fault of ours (500, logged): the page says the
/// link cannot be used, nothing more.
fn failed(e: &AppError) -> Option<StatusCode> {
    match e {
        AppError::NotFound(_) => Some(StatusCode::NOT_FOUND),
        AppError::Internal(msg) => {
            tracing::error!(error = %msg, "quote link failed");
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        }
        _ => None,
    }
}

pub async fn show(
    State(s): State<AppState>,
    Path(token): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let shell = Shell::new(&parts, None);
    let tr = Tr::new(locale_of(&parts.headers));
    match s.app.quote_by_link(&token).await {
        Ok(q) => page(shell, &token, Some(q), None, false).into_response(),
        Err(e) => {
            let status = failed(&e).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let msg = tr.t("quote_link.unknown").to_owned();
            (status, page(shell, &token, None, Some(msg), true)).into_response()
        }
    }
}

/// The customer's answer: `confirm` or `decline` (with an optional note).
pub async fn answer(
    State(s): State<AppState>,
    Path((token, action)): Path<(String, String)>,
    req: axum::extract::Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let shell = Shell::new(&parts, None);
    let tr = shell.tr;
    let action = match action.as_str() {
        "confirm" => QuoteAction::Confirm,
        "decline" => QuoteAction::Decline,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let bytes: Bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let pairs = form_pairs(&bytes);
    let note = pairs
        .iter()
        .find(|(k, _)| k == "note")
        .map(|(_, v)| v.clone());
    match s.app.answer_by_link(&token, action, note.as_deref()).await {
        Ok(q) => {
            let key = match action {
                QuoteAction::Confirm => "quote_link.confirmed",
                QuoteAction::Decline => "quote_link.declined",
            };
            page(shell, &token, Some(q), Some(tr.t(key).to_owned()), false).into_response()
        }
        Err(e) => {
            if let Some(status) = failed(&e) {
                let msg = tr.t("quote_link.unknown").to_owned();
                return (status, page(shell, &token, None, Some(msg), true)).into_response();
            }
            let msg = tr.t_dyn(&format!("error.{}", e.code())).to_string();
            let q = s.app.quote_by_link(&token).await.ok();
            (
                crate::problem::status_of(&e),
                page(shell, &token, q, Some(msg), true),
            )
                .into_response()
        }
    }
}

/// The quote's PDF behind the link.
pub async fn pdf(
    State(s): State<AppState>,
    Path(token): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let locale = locale_of(&parts.headers);
    let company = crate::records::company_name(&s, locale);
    match s.app.quote_pdf_by_link(&token, &company).await {
        Ok(bytes) => crate::records::pdf_response("quote", bytes),
        Err(AppError::NotFound(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "quote pdf failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
