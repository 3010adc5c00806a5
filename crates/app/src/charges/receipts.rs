//! Receipts (docs/charges.md, "Receipts"): the PDF of a payment in the reader's
//! language, and the public check of a receipt's QR code. The QR code carries
//! `/r/{receipt_no}?v=<signature>`, the signature an HMAC-SHA256 of the receipt number and
//! amount under the server's `receipts` secret (kept in `server_secrets`, like the CSRF
//! key), so a forged or altered receipt does not verify and the page reveals nothing
//! without the signature.

use super::payments::PaymentView;
use crate::{AppError, Ctx};
use aftersales_documents::{self as docs, ReceiptDoc};
use aftersales_domain::charges::{PaymentMethod, yuan};
use aftersales_domain::{Locale, Permission};
use aftersales_store::charges::payments as store;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the public verification page shows of a genuine receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptCheck {
    pub receipt_no: String,
    pub amount_fen: i64,
    pub amount_yuan: String,
    /// The day it was collected (site calendar), `YYYY-MM-DD`.
    pub date: String,
}

fn method_words(locale: Locale, m: PaymentMethod) -> &'static str {
    match (locale, m) {
        (Locale::ZhCn, PaymentMethod::Cash) => "现金",
        (Locale::ZhCn, PaymentMethod::BankTransfer) => "银行转账",
        (Locale::ZhCn, PaymentMethod::WechatPay) => "微信支付",
        (Locale::ZhCn, PaymentMethod::Alipay) => "支付宝",
        (Locale::ZhCn, PaymentMethod::PosCard) => "POS 刷卡",
        (Locale::En, PaymentMethod::Cash) => "Cash",
        (Locale::En, PaymentMethod::BankTransfer) => "Bank transfer",
        (Locale::En, PaymentMethod::WechatPay) => "WeChat Pay",
        (Locale::En, PaymentMethod::Alipay) => "Alipay",
        (Locale::En, PaymentMethod::PosCard) => "POS card",
    }
}

impl crate::App {
    /// The signature of a receipt's verification link.
    pub(crate) async fn receipt_signature(
        &self,
        receipt_no: &str,
        amount_fen: i64,
    ) -> Result<String, AppError> {
        let key = self
            .receipt_key
            .get_or_try_init(|| async {
                let mut tx = self.db.begin().await?;
                let v = aftersales_store::accounts::secrets::get_or_create(
                    tx.conn(),
                    "receipts",
                    &crate::accounts::auth::secret()?,
                    self.now(),
                )
                .await?;
                tx.commit().await?;
                Ok::<String, AppError>(v)
            })
            .await?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
            .map_err(|e| AppError::Internal(format!("hmac: {e}")))?;
        mac.update(format!("receipt:{receipt_no}:{amount_fen}").as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16]))
    }

    /// The path of a receipt's public verification page, signed.
    pub async fn receipt_verify_path(&self, p: &PaymentView) -> Result<String, AppError> {
        let v = self.receipt_signature(&p.receipt_no, p.amount_fen).await?;
        Ok(format!("/r/{}?v={v}", p.receipt_no))
    }

    /// The receipt of a payment the caller sees (404 otherwise) as a PDF in `locale`.
    #[tracing::instrument(skip_all)]
    pub async fn receipt_pdf(
        &self,
        ctx: &Ctx,
        receipt_no: &str,
        locale: Locale,
        company: &str,
    ) -> Result<Vec<u8>, AppError> {
        ctx.require(Permission::PaymentsRecord)?;
        let p = self.payment(ctx, receipt_no).await?;
        let path = self.receipt_verify_path(&p).await?;
        let base = self
            .cfg
            .public_url
            .as_deref()
            .unwrap_or("")
            .trim_end_matches('/');
        docs::receipt_pdf(&ReceiptDoc {
            lang: match locale {
                Locale::ZhCn => docs::Lang::ZhCn,
                Locale::En => docs::Lang::En,
            },
            company: company.to_owned(),
            refund: p.amount_fen < 0,
            receipt_no: p.receipt_no.clone(),
            customer: p.customer_name.clone(),
            work_order: p.work_order_number.clone(),
            request: p.request_number.clone(),
            method: method_words(locale, p.method).to_owned(),
            reference: p.reference.clone(),
            reason: p.reason.clone(),
            amount: format!("¥{}", p.amount_yuan),
            collected_by: p.collected_by_name.clone(),
            collected_at: self.site().minute_text(p.collected_at),
            verify_url: format!("{base}{path}"),
        })
        .map_err(|e| AppError::Internal(format!("receipt PDF: {e}")))
    }

    /// The public check of a receipt's QR code: the receipt's amount and day when the
    /// signature matches, else 404 (a wrong signature tells nothing about the receipt).
    #[tracing::instrument(skip_all)]
    pub async fn verify_receipt(
        &self,
        receipt_no: &str,
        signature: &str,
    ) -> Result<ReceiptCheck, AppError> {
        let no = receipt_no.trim();
        if no.len() > 40 || signature.len() > 64 {
            return Err(AppError::NotFound("receipt"));
        }
        let mut conn = self.db.acquire().await?;
        let p = store::by_receipt(&mut *conn, no)
            .await
            .map_err(|e| match e {
                aftersales_store::StoreError::NotFound => AppError::NotFound("receipt"),
                e => e.into(),
            })?;
        let expected = self.receipt_signature(&p.receipt_no, p.amount_fen).await?;
        let same = expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(AppError::NotFound("receipt"));
        }
        let at = aftersales_store::time::from_db("payments.collected_at", &p.collected_at)?;
        Ok(ReceiptCheck {
            receipt_no: p.receipt_no,
            amount_fen: p.amount_fen,
            amount_yuan: yuan(p.amount_fen),
            date: self.site().date(at).to_string(),
        })
    }
}
