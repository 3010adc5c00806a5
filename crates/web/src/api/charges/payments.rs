//! Payments, receipts and cash hand-over (docs/charges.md): recording a payment
//! against a work order, refunds, the invoice number, the receipt PDF, the cash each
//! engineer holds, hand-overs and their confirmation.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{
    CashHolding, HandoverConfirm, HandoverView, InvoiceInput, NewHandover, NewPayment, PaymentView,
    RefundInput,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

/// What `GET /api/v1/payments` takes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    /// The work order, by id or number (`WO…`).
    #[param(min_length = 1, max_length = 60)]
    pub work_order: String,
}

/// The payments and refunds of a work order the caller sees, oldest first.
#[utoipa::path(get, path = "/api/v1/payments", tag = "payments", params(PaymentQuery),
    responses(
        (status = 200, description = "The payments.", body = Vec<PaymentView>),
        (status = 404, description = "No such work order, or not one the caller sees.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<PaymentQuery>,
) -> Result<Json<Vec<PaymentView>>, ApiError> {
    Ok(Json(
        s.app.work_order_payments(&c.ctx, &q.work_order).await?,
    ))
}

/// Record a payment against a work order: whole fen, `CNY` only, a method and (but for
/// cash) its reference, which the payment provider checks (409 `payment_declined`). The
/// receipt is numbered `RC…`; the request's timeline gets `payment_recorded`.
#[utoipa::path(post, path = "/api/v1/payments", tag = "payments", request_body = NewPayment,
    responses(
        (status = 201, description = "Recorded.", body = PaymentView),
        (status = 404, description = "No such work order, or not one the caller sees.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The payment provider declined the reference.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn record(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<NewPayment>,
) -> Result<(StatusCode, Json<PaymentView>), ApiError> {
    let v = s.app.record_payment(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Give back money of a payment (managers and admins): a refund receipt with a negative
/// amount and the reason; never more than is left of the payment (409
/// `refund_exceeds_paid`; 409 `not_a_payment` for a refund's receipt).
#[utoipa::path(post, path = "/api/v1/payments/{receipt}/refund", tag = "payments", request_body = RefundInput,
    params(("receipt" = String, Path, description = "Receipt number (RC…)")),
    responses(
        (status = 201, description = "The refund.", body = PaymentView),
        (status = 404, description = "No such receipt the caller sees.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "More than is left of the payment, or not a payment.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn refund(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(receipt): Path<String>,
    body: AppJson<RefundInput>,
) -> Result<(StatusCode, Json<PaymentView>), ApiError> {
    let v = s.app.refund_payment(&c.ctx, &receipt, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Record the invoice (发票) accounting issued for a payment, once (409 `already_invoiced`).
#[utoipa::path(put, path = "/api/v1/payments/{receipt}/invoice", tag = "payments", request_body = InvoiceInput,
    params(("receipt" = String, Path, description = "Receipt number (RC…)")),
    responses(
        (status = 200, description = "The payment with its invoice.", body = PaymentView),
        (status = 404, description = "No such receipt the caller sees.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The payment has an invoice already.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn invoice(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(receipt): Path<String>,
    body: AppJson<InvoiceInput>,
) -> Result<Json<PaymentView>, ApiError> {
    Ok(Json(
        s.app
            .set_payment_invoice(&c.ctx, &receipt, &body.value)
            .await?,
    ))
}

/// The receipt of a payment as an A4 PDF in the reader's language, with a QR code that
/// opens the public verification page.
#[utoipa::path(get, path = "/api/v1/receipts/{receipt}/pdf", tag = "payments",
    params(("receipt" = String, Path, description = "Receipt number (RC…)")),
    responses(
        (status = 200, description = "The receipt.", content((String = "application/pdf"))),
        (status = 404, description = "No such receipt the caller sees.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn receipt_pdf(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(receipt): Path<String>,
) -> Result<Response, ApiError> {
    let company = crate::api::labels::label_print(&s, c.locale).author;
    let pdf = s
        .app
        .receipt_pdf(&c.ctx, &receipt, c.locale, &company)
        .await?;
    Ok(crate::records::pdf_response(receipt.trim(), pdf))
}

/// The cash each engineer holds (the caller's own unless they confirm hand-overs), those
/// holding cash longer than a day first and flagged `overdue`.
#[utoipa::path(get, path = "/api/v1/cash-handovers/held", tag = "payments",
    responses((status = 200, description = "Cash held, by engineer.", body = Vec<CashHolding>)))]
pub async fn held(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<Vec<CashHolding>>, ApiError> {
    Ok(Json(s.app.cash_held(&c.ctx).await?))
}

/// Hand-overs, newest first (the caller's own unless they confirm hand-overs).
#[utoipa::path(get, path = "/api/v1/cash-handovers", tag = "payments",
    responses((status = 200, description = "Hand-overs.", body = Vec<HandoverView>)))]
pub async fn handovers(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<Vec<HandoverView>>, ApiError> {
    Ok(Json(s.app.cash_handovers(&c.ctx).await?))
}

/// Hand over every cash payment the caller holds (409 `nothing_to_hand_over`).
#[utoipa::path(post, path = "/api/v1/cash-handovers", tag = "payments", request_body = NewHandover,
    responses(
        (status = 201, description = "The hand-over, waiting for its confirmation.", body = HandoverView),
        (status = 409, description = "The caller holds no cash.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn hand_over(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<NewHandover>,
) -> Result<(StatusCode, Json<HandoverView>), ApiError> {
    let v = s.app.hand_over_cash(&c.ctx, &body.value).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Confirm a hand-over with the counted sum (managers and admins), once (409
/// `already_confirmed`); the difference is recorded.
#[utoipa::path(post, path = "/api/v1/cash-handovers/{id}/confirm", tag = "payments", request_body = HandoverConfirm,
    params(("id" = String, Path, description = "Hand-over id")),
    responses(
        (status = 200, description = "Confirmed.", body = HandoverView),
        (status = 404, description = "No such hand-over.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Confirmed already.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<HandoverConfirm>,
) -> Result<Json<HandoverView>, ApiError> {
    Ok(Json(
        s.app.confirm_handover(&c.ctx, &id, &body.value).await?,
    ))
}
