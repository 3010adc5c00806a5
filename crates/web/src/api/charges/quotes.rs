//! A work order's charges (the engine's preview), the start gate's override, and quotes
//! (docs/charges.md "Quotes", "The gate").

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{
    ChargesOverrideInput, ChargesQuery, ChargesView, GateView, NewQuoteInput, QuoteAnswerInput,
    QuoteDetail, QuoteIssued, QuoteQuery, QuoteView,
};
use aftersales_domain::charges::QuoteAction;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

/// The engine's lines for the work order as it stands (the record's time, the parts
/// issued, the warranty decision for `cause`), who pays each and why, the totals with VAT,
/// and where the start gate stands. Read-only.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}/charges", tag = "charges", params(("id" = String, Path, description = "Work order id or number"), ChargesQuery),
    responses(
        (status = 200, description = "The priced lines.", body = ChargesView),
        (status = 404, description = "No such work order in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "No fee schedule in force (`no_fee_schedule`) or no labor rate (`no_labor_rate`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown cause.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn charges(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<ChargesQuery>,
) -> Result<Json<ChargesView>, ApiError> {
    crate::api::not_empty(&[("cause", q.cause.as_deref(), "invalid_choice")])?;
    Ok(Json(s.app.work_order_charges(&c.ctx, &id, &q).await?))
}

/// A manager lets paid work go on without a confirmed quote or payment, with a reason
/// (audited, on the timeline). 409 `override_not_needed` when the gate is open.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/charges/override", tag = "charges", request_body = ChargesOverrideInput,
    params(("id" = String, Path, description = "Work order id or number")),
    responses(
        (status = 200, description = "The gate, now open.", body = GateView),
        (status = 404, description = "No such work order in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The gate is open already.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn override_gate(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<ChargesOverrideInput>,
) -> Result<Json<GateView>, ApiError> {
    Ok(Json(
        s.app.override_charges(&c.ctx, &id, &body.value).await?,
    ))
}

/// The versions of a work order's quote, newest first.
#[utoipa::path(get, path = "/api/v1/quotes", tag = "charges", params(QuoteQuery),
    responses(
        (status = 200, description = "The versions.", body = Vec<QuoteView>),
        (status = 422, description = "No work order named.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work order in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<QuoteQuery>,
) -> Result<Json<Vec<QuoteView>>, ApiError> {
    Ok(Json(s.app.list_quotes(&c.ctx, &q).await?))
}

/// Price an estimate and send the customer a quote (a new version when the order has one,
/// which voids the older link). The answer carries the one-time link (`/q/{token}`), also
/// sent by SMS; only its hash is kept. 409 `nothing_to_quote` when the customer would pay
/// nothing, `work_order_closed`, `no_fee_schedule`.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "charges", request_body = NewQuoteInput,
    responses(
        (status = 201, description = "Issued.", body = QuoteIssued),
        (status = 404, description = "No such work order in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing to quote, or the order is closed.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad input: an unknown currency, cause or part, a quantity or number out of range.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<NewQuoteInput>,
) -> Result<(StatusCode, Json<QuoteIssued>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_quote(&c.ctx, &body.value).await?),
    ))
}

/// A quote by number: its newest version and all versions.
#[utoipa::path(get, path = "/api/v1/quotes/{number}", tag = "charges",
    params(("number" = String, Path, description = "Quote number (QT…)")),
    responses(
        (status = 200, description = "The quote.", body = QuoteDetail),
        (status = 404, description = "No such quote in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
) -> Result<Json<QuoteDetail>, ApiError> {
    Ok(Json(s.app.get_quote(&c.ctx, &number).await?))
}

/// The customer confirms on the engineer's phone, signing (`signer_name` required).
/// 409 `quote_already_answered`, `quote_superseded`, `quote_expired`.
#[utoipa::path(post, path = "/api/v1/quotes/{number}/confirm", tag = "charges", request_body = QuoteAnswerInput,
    params(("number" = String, Path, description = "Quote number (QT…)")),
    responses(
        (status = 200, description = "Confirmed.", body = QuoteView),
        (status = 404, description = "No such quote (or version) in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Answered already, superseded or expired.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<QuoteAnswerInput>,
) -> Result<Json<QuoteView>, ApiError> {
    Ok(Json(
        s.app
            .answer_quote_on_site(&c.ctx, &number, QuoteAction::Confirm, &body.value)
            .await?,
    ))
}

/// The customer declines (with their reason in `note`).
#[utoipa::path(post, path = "/api/v1/quotes/{number}/decline", tag = "charges", request_body = QuoteAnswerInput,
    params(("number" = String, Path, description = "Quote number (QT…)")),
    responses(
        (status = 200, description = "Declined.", body = QuoteView),
        (status = 404, description = "No such quote (or version) in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Answered already, superseded or expired.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn decline(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    body: AppJson<QuoteAnswerInput>,
) -> Result<Json<QuoteView>, ApiError> {
    Ok(Json(
        s.app
            .answer_quote_on_site(&c.ctx, &number, QuoteAction::Decline, &body.value)
            .await?,
    ))
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PdfQuery {
    /// A version (default: the newest).
    #[param(minimum = 1, maximum = 1000)]
    pub version: Option<i64>,
}

/// The quote as an A4 PDF in the customer's language.
#[utoipa::path(get, path = "/api/v1/quotes/{number}/pdf", tag = "charges",
    params(("number" = String, Path, description = "Quote number (QT…)"), PdfQuery),
    responses(
        (status = 200, description = "The quote as PDF.", content((String = "application/pdf"))),
        (status = 404, description = "No such quote (or version) in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn pdf(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(number): Path<String>,
    AppQuery(q): AppQuery<PdfQuery>,
) -> Result<Response, ApiError> {
    let company = crate::records::company_name(&s, c.locale);
    let bytes = s
        .app
        .quote_pdf(&c.ctx, &number, q.version, &company)
        .await?;
    Ok(crate::records::pdf_response(&number, bytes))
}
