//! Payments and refunds against a work order, the invoice (发票) recorded afterwards, and
//! what a work order has been paid (docs/charges.md). Each use-case is one
//! transaction: the payment, the request's `payment_recorded` event and the audit row
//! commit together or not at all.
//!
//! Scope: a payment is seen and recorded by whoever sees its work order
//! (`load_order`: the engineer on the job, the front office and managers in their scope);
//! anyone else gets 404.

use super::provider::ProviderError;
use crate::service::requests::stored;
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::charges::{Currency, MAX_DOCUMENT_FEN, PaymentMethod};
use aftersales_domain::service::{PaymentFacts, RequestEvent};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::charges::payments::{self as store, PaymentRow};
use aftersales_store::{Conn, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// The longest payment reference, invoice number and quote number.
pub const MAX_REFERENCE_CHARS: usize = 64;
pub const MAX_INVOICE_NO_CHARS: usize = 40;
pub const MAX_REASON_CHARS: usize = 1000;

/// The kind of 发票 accounting issued. Kept here until the domain's charges vocabulary
/// takes it (stored as text with a CHECK in migration 0027).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceType {
    /// 增值税专用发票
    VatSpecial,
    /// 增值税普通发票
    VatOrdinary,
    /// 电子发票
    Electronic,
}

impl InvoiceType {
    pub const ALL: [InvoiceType; 3] = [
        InvoiceType::VatSpecial,
        InvoiceType::VatOrdinary,
        InvoiceType::Electronic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceType::VatSpecial => "vat_special",
            InvoiceType::VatOrdinary => "vat_ordinary",
            InvoiceType::Electronic => "electronic",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A payment method (the domain's `PaymentMethod`).
pub struct PaymentMethodName;

impl utoipa::PartialSchema for PaymentMethodName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::schema::text_enum(
            "cash on site, bank transfer, WeChat Pay, Alipay or a POS card.",
            PaymentMethod::ALL.iter().map(|k| k.as_str()),
        )
    }
}

impl ToSchema for PaymentMethodName {}

/// A payment (positive) or refund (negative) as lists and the receipt show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    /// The receipt number (`RC` + day + sequence).
    pub receipt_no: String,
    #[schema(format = Uuid)]
    pub work_order_id: String,
    pub work_order_number: String,
    #[schema(format = Uuid)]
    pub request_id: String,
    pub request_number: String,
    pub customer_name: String,
    pub quote_number: Option<String>,
    /// Fen; negative for a refund.
    pub amount_fen: i64,
    /// The amount in yuan for people (`1,280.50`).
    pub amount_yuan: String,
    #[schema(value_type = PaymentMethodName)]
    pub method: PaymentMethod,
    /// The bank, WeChat Pay, Alipay or POS reference (none for cash).
    pub reference: Option<String>,
    /// Why it was refunded (refunds only).
    pub reason: Option<String>,
    /// The receipt this refund returns money of.
    pub refund_of: Option<String>,
    pub collected_by_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub collected_at: Timestamp,
    pub invoice_no: Option<String>,
    pub invoice_type: Option<InvoiceType>,
    /// Whether the cash went into a hand-over.
    pub handed_over: bool,
}

pub(crate) fn payment_view(
    p: &PaymentRow,
    refund_of: Option<String>,
) -> Result<PaymentView, AppError> {
    Ok(PaymentView {
        receipt_no: p.receipt_no.clone(),
        work_order_id: p.work_order_id.clone(),
        work_order_number: p.work_order_number.clone(),
        request_id: p.request_id.clone(),
        request_number: p.request_number.clone(),
        customer_name: p.customer_name.clone(),
        quote_number: p.quote_number.clone(),
        amount_fen: p.amount_fen,
        amount_yuan: aftersales_domain::charges::yuan(p.amount_fen),
        method: stored("payments.method", &p.method, PaymentMethod::parse)?,
        reference: p.reference.clone(),
        reason: p.reason.clone(),
        refund_of,
        collected_by_name: p.collected_by_name.clone(),
        collected_at: time::from_db("payments.collected_at", &p.collected_at)?,
        invoice_no: p.invoice_no.clone(),
        invoice_type: p
            .invoice_type
            .as_deref()
            .map(|t| stored("payments.invoice_type", t, InvoiceType::parse))
            .transpose()?,
        handed_over: p.handover_id.is_some(),
    })
}

/// A whole number of fen from JSON: `1.5`, `"12"` or `true` are refused with
/// `not_an_integer`, so the field says what was wrong.
fn parse_fen(field: &str, v: &serde_json::Value) -> Result<i64, FieldError> {
    let n = v
        .as_i64()
        .ok_or_else(|| FieldError::new(field, "not_an_integer"))?;
    if n <= 0 {
        return Err(FieldError::new(field, "must_be_positive"));
    }
    if n > MAX_DOCUMENT_FEN {
        return Err(FieldError::new(field, "out_of_range")
            .with("min", 1)
            .with("max", MAX_DOCUMENT_FEN));
    }
    Ok(n)
}

fn parse_currency(v: Option<&str>) -> Result<Currency, FieldError> {
    match v {
        None => Ok(Currency::Cny),
        Some(c) => {
            Currency::parse_code(c).ok_or_else(|| FieldError::new("currency", "unknown_currency"))
        }
    }
}

fn parse_text(field: &str, v: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > max => Err(FieldError::new(field, "too_long")),
        Some(s) if s.chars().any(char::is_control) => Err(FieldError::new(field, "control_chars")),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// A payment taken against a work order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewPayment {
    /// The work order, by id or number (`WO…`).
    #[schema(min_length = 1, max_length = 60)]
    pub work_order: String,
    /// Whole fen, 1 ..= 10,000,000,000 (a refund goes through `/refund`).
    #[schema(value_type = i64, minimum = 1, maximum = 10_000_000_000_i64)]
    pub amount_fen: serde_json::Value,
    /// `CNY` only (the default); anything else is refused with `unknown_currency`.
    #[schema(max_length = 3)]
    pub currency: Option<String>,
    #[schema(value_type = PaymentMethodName)]
    pub method: String,
    /// The bank/WeChat/Alipay/POS reference; required for every method but cash.
    #[schema(max_length = 64)]
    pub reference: Option<String>,
    /// The quote this pays, if any.
    #[schema(max_length = 40)]
    pub quote_number: Option<String>,
}

pub(crate) struct ValidPayment {
    amount_fen: i64,
    method: PaymentMethod,
    reference: Option<String>,
    quote_number: Option<String>,
}

impl NewPayment {
    pub(crate) fn parse(&self) -> Result<ValidPayment, FieldErrors> {
        let mut errs = FieldErrors::new();
        let amount_fen = errs.take(parse_fen("amount_fen", &self.amount_fen));
        errs.take(parse_currency(self.currency.as_deref()));
        let method = errs.take(
            PaymentMethod::parse(self.method.trim())
                .ok_or_else(|| FieldError::new("method", "invalid_choice")),
        );
        let reference = errs.take(
            parse_text("reference", self.reference.as_deref(), MAX_REFERENCE_CHARS).and_then(|r| {
                match (method, &r) {
                    (Some(m), None) if m != PaymentMethod::Cash => {
                        Err(FieldError::new("reference", "required"))
                    }
                    _ => Ok(r),
                }
            }),
        );
        let quote_number = errs.take(parse_text(
            "quote_number",
            self.quote_number.as_deref(),
            MAX_INVOICE_NO_CHARS,
        ));
        errs.finish(|| {
            Some(ValidPayment {
                amount_fen: amount_fen?,
                method: method?,
                reference: reference?,
                quote_number: quote_number?,
            })
        })
    }
}

/// Money given back of a payment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RefundInput {
    /// Whole fen to give back, at most what is left of the payment.
    #[schema(value_type = i64, minimum = 1, maximum = 10_000_000_000_i64)]
    pub amount_fen: serde_json::Value,
    #[schema(max_length = 3)]
    pub currency: Option<String>,
    /// Why (required).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    /// The reference of the refund with the provider; the payment's own when left out.
    #[schema(max_length = 64)]
    pub reference: Option<String>,
}

/// The invoice (发票) accounting issued for a payment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceInput {
    #[schema(min_length = 1, max_length = 40)]
    pub invoice_no: String,
    /// `vat_special`, `vat_ordinary` or `electronic`.
    #[schema(value_type = InvoiceType)]
    pub invoice_type: String,
}

/// What a work order has been paid, net of refunds, in fen (the start gate's figure).
pub(crate) async fn paid_for_work_order(
    conn: &mut Conn,
    work_order_id: &str,
) -> Result<i64, AppError> {
    Ok(store::net_paid(conn, work_order_id).await?)
}

fn declined(e: ProviderError) -> AppError {
    match e {
        ProviderError::Declined => AppError::Conflict("payment_declined"),
        ProviderError::Unavailable(m) => AppError::Internal(format!("payment provider: {m}")),
    }
}

impl crate::App {
    /// Records a payment against a work order the caller sees (404 otherwise): the
    /// provider checks the reference, the receipt is numbered, the request's timeline
    /// shows `payment_recorded`.
    #[tracing::instrument(skip_all)]
    pub async fn record_payment(
        &self,
        ctx: &Ctx,
        input: &NewPayment,
    ) -> Result<PaymentView, AppError> {
        ctx.require(Permission::PaymentsRecord)?;
        let v = input.parse()?;
        let mut tx = self.db.begin().await?;
        let (w, r) = self.load_order(tx.conn(), ctx, &input.work_order).await?;
        let verified = self
            .payment_provider
            .verify(v.method, v.reference.as_deref(), v.amount_fen)
            .map_err(declined)?;
        let row = self
            .new_payment_row(&mut tx, ctx, &w.id, &r.id, v.amount_fen, v.method)
            .await?;
        let row = PaymentRow {
            quote_number: v.quote_number,
            reference: verified.reference,
            ..row
        };
        self.write_payment(&mut tx, ctx, &row, AuditAction::Create)
            .await?;
        let view = self.payment_in(tx.conn(), &row.receipt_no).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Gives back money of a payment (a negative payment with a reason, never more than
    /// is left of it): managers and admins.
    #[tracing::instrument(skip_all)]
    pub async fn refund_payment(
        &self,
        ctx: &Ctx,
        receipt_no: &str,
        input: &RefundInput,
    ) -> Result<PaymentView, AppError> {
        ctx.require(Permission::PaymentsManage)?;
        let mut errs = FieldErrors::new();
        let amount = errs.take(parse_fen("amount_fen", &input.amount_fen));
        errs.take(parse_currency(input.currency.as_deref()));
        let reason = errs.take(
            parse_text("reason", Some(&input.reason), MAX_REASON_CHARS)
                .and_then(|r| r.ok_or_else(|| FieldError::new("reason", "required"))),
        );
        let reference = errs.take(parse_text(
            "reference",
            input.reference.as_deref(),
            MAX_REFERENCE_CHARS,
        ));
        let (amount, reason, reference) = errs.finish(|| Some((amount?, reason?, reference?)))?;
        let mut tx = self.db.begin().await?;
        let paid = self.visible_payment(tx.conn(), ctx, receipt_no).await?;
        if paid.amount_fen < 0 {
            return Err(AppError::Conflict("not_a_payment"));
        }
        let refunded = store::refunded_of(tx.conn(), &paid.id).await?;
        if paid.amount_fen + refunded < amount {
            return Err(AppError::Conflict("refund_exceeds_paid"));
        }
        let method = stored("payments.method", &paid.method, PaymentMethod::parse)?;
        let reference = reference.or_else(|| paid.reference.clone());
        let row = self
            .new_payment_row(
                &mut tx,
                ctx,
                &paid.work_order_id,
                &paid.request_id,
                -amount,
                method,
            )
            .await?;
        let row = PaymentRow {
            reference,
            reason: Some(reason),
            refund_of: Some(paid.id.clone()),
            quote_number: paid.quote_number.clone(),
            ..row
        };
        self.write_payment(&mut tx, ctx, &row, AuditAction::Refund)
            .await?;
        let view = self.payment_in(tx.conn(), &row.receipt_no).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Records the invoice accounting issued for a payment, once (409 `already_invoiced`).
    #[tracing::instrument(skip_all)]
    pub async fn set_payment_invoice(
        &self,
        ctx: &Ctx,
        receipt_no: &str,
        input: &InvoiceInput,
    ) -> Result<PaymentView, AppError> {
        ctx.require(Permission::PaymentsManage)?;
        let mut errs = FieldErrors::new();
        let no = errs.take(
            parse_text("invoice_no", Some(&input.invoice_no), MAX_INVOICE_NO_CHARS)
                .and_then(|r| r.ok_or_else(|| FieldError::new("invoice_no", "required"))),
        );
        let kind = errs.take(
            InvoiceType::parse(input.invoice_type.trim())
                .ok_or_else(|| FieldError::new("invoice_type", "invalid_choice")),
        );
        let (no, kind) = errs.finish(|| Some((no?, kind?)))?;
        let mut tx = self.db.begin().await?;
        let p = self.visible_payment(tx.conn(), ctx, receipt_no).await?;
        let at = time::to_db(self.now())?;
        if !store::set_invoice(tx.conn(), &p.id, &no, kind.as_str(), &at).await? {
            return Err(AppError::Conflict("already_invoiced"));
        }
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Payment,
            &p.id,
            AuditAction::Invoice,
            None,
            Some(json!({ "receipt_no": p.receipt_no, "invoice_no": no, "invoice_type": kind.as_str() })),
        )
        .await?;
        let view = self.payment_in(tx.conn(), &p.receipt_no).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The payments and refunds of a work order the caller sees, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn work_order_payments(
        &self,
        ctx: &Ctx,
        work_order: &str,
    ) -> Result<Vec<PaymentView>, AppError> {
        ctx.require(Permission::PaymentsRecord)?;
        let mut conn = self.db.acquire().await?;
        let (w, _) = self.load_order(&mut conn, ctx, work_order).await?;
        let rows = store::of_work_order(&mut *conn, &w.id).await?;
        rows.iter()
            .map(|p| {
                let of = p
                    .refund_of
                    .as_ref()
                    .and_then(|id| rows.iter().find(|o| &o.id == id))
                    .map(|o| o.receipt_no.clone());
                payment_view(p, of)
            })
            .collect()
    }

    /// A payment by receipt number, if the caller sees its work order (404 otherwise).
    #[tracing::instrument(skip_all)]
    pub async fn payment(&self, ctx: &Ctx, receipt_no: &str) -> Result<PaymentView, AppError> {
        ctx.require(Permission::PaymentsRecord)?;
        let mut conn = self.db.acquire().await?;
        let p = self.visible_payment(&mut conn, ctx, receipt_no).await?;
        self.payment_in(&mut conn, &p.receipt_no).await
    }

    pub(crate) async fn visible_payment(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        receipt_no: &str,
    ) -> Result<PaymentRow, AppError> {
        let p = store::by_receipt(&mut *conn, receipt_no.trim())
            .await
            .map_err(|e| match e {
                aftersales_store::StoreError::NotFound => AppError::NotFound("payment"),
                e => e.into(),
            })?;
        self.load_order(conn, ctx, &p.work_order_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("payment"),
                e => e,
            })?;
        Ok(p)
    }

    async fn payment_in(&self, conn: &mut Conn, receipt_no: &str) -> Result<PaymentView, AppError> {
        let p = store::by_receipt(&mut *conn, receipt_no).await?;
        let of = match &p.refund_of {
            Some(id) => Some(
                store::of_work_order(&mut *conn, &p.work_order_id)
                    .await?
                    .into_iter()
                    .find(|o| &o.id == id)
                    .map(|o| o.receipt_no)
                    .ok_or_else(|| AppError::Internal("refund of a missing payment".into()))?,
            ),
            None => None,
        };
        payment_view(&p, of)
    }

    async fn new_payment_row(
        &self,
        tx: &mut aftersales_store::Tx,
        ctx: &Ctx,
        work_order_id: &str,
        request_id: &str,
        amount_fen: i64,
        method: PaymentMethod,
    ) -> Result<PaymentRow, AppError> {
        let receipt_no = self.next_number(tx, "RC").await?;
        let (by, by_name) = ctx.event_actor();
        Ok(PaymentRow {
            id: uuid::Uuid::now_v7().to_string(),
            receipt_no,
            work_order_id: work_order_id.to_owned(),
            request_id: request_id.to_owned(),
            quote_number: None,
            amount_fen,
            method: method.as_str().to_owned(),
            reference: None,
            reason: None,
            refund_of: None,
            collected_by: by,
            collected_by_name: by_name,
            collected_at: time::to_db(self.now())?,
            invoice_no: None,
            invoice_type: None,
            invoiced_at: None,
            handover_id: None,
            work_order_number: String::new(),
            request_number: String::new(),
            customer_name: String::new(),
        })
    }

    async fn write_payment(
        &self,
        tx: &mut aftersales_store::Tx,
        ctx: &Ctx,
        row: &PaymentRow,
        action: AuditAction,
    ) -> Result<(), AppError> {
        store::insert(tx.conn(), row).await?;
        let method = stored("payments.method", &row.method, PaymentMethod::parse)?;
        let event = RequestEvent::PaymentRecorded(PaymentFacts {
            receipt: row.receipt_no.clone(),
            amount_fen: row.amount_fen,
            method,
        });
        self.event(
            tx,
            ctx,
            &row.request_id,
            Some(&row.work_order_id),
            event,
            None,
        )
        .await?;
        self.audit(
            tx,
            ctx,
            AuditEntity::Payment,
            &row.id,
            action,
            None,
            Some(json!({
                "receipt_no": row.receipt_no,
                "work_order_id": row.work_order_id,
                "amount_fen": row.amount_fen,
                "method": row.method,
                "reference": row.reference,
                "reason": row.reason,
            })),
        )
        .await
    }
}
