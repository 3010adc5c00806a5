//! The customer's one-time link to a quote (`/q/{token}`, docs/charges.md "Quotes"): no
//! sign-in; the secret in the link is the key (only its SHA-256 is stored). The link shows
//! the quote in the customer's language and takes one answer; a newer version, an answer
//! already given or the end of the validity refuse it, each with its own code. The PDF of a
//! quote is made here too, for staff and for the link.

use super::quotes::{Answer, QuoteView};
use super::{status_of, token_hash};
use crate::{AppError, Ctx};
use aftersales_documents::{Lang, QuoteDoc, QuoteLine};
use aftersales_domain::charges::{ConfirmedVia, QuoteAction, QuoteStatus, yuan};
use aftersales_domain::installed_base::parse_opt_notes;
use aftersales_domain::{Locale, Permission};
use aftersales_store::charges::quotes::{self as store, QuoteRow};
use serde::{Deserialize, Serialize};

/// The quote as the customer's link shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicQuote {
    pub quote: QuoteView,
    /// The unit, as "model (serial)", when the request names one.
    pub unit: String,
    /// A newer version replaced this one.
    pub superseded: bool,
}

/// A token as typed in a link: 64 hex digits, else it cannot be one of ours.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

impl crate::App {
    async fn quote_by_token(
        &self,
        conn: &mut aftersales_store::Conn,
        token: &str,
    ) -> Result<QuoteRow, AppError> {
        if !well_formed(token) {
            return Err(AppError::NotFound("quote"));
        }
        store::by_token_hash(&mut *conn, &token_hash(&token.to_ascii_lowercase()))
            .await?
            .ok_or(AppError::NotFound("quote"))
    }

    async fn public_quote(
        &self,
        conn: &mut aftersales_store::Conn,
        q: &QuoteRow,
    ) -> Result<PublicQuote, AppError> {
        let w = aftersales_store::service::get_work_order(&mut *conn, &q.work_order_id).await?;
        let r = aftersales_store::service::get_request(&mut *conn, &q.request_id).await?;
        let unit = match r.unit_id.as_deref().and_then(|u| u.parse().ok()) {
            Some(id) => {
                let u = aftersales_store::installed_base::units::get(&mut *conn, id).await?;
                let p = aftersales_store::installed_base::products::get_product(
                    &mut *conn,
                    u.product_id,
                )
                .await?;
                match u.serial {
                    Some(s) => format!("{} ({s})", p.name),
                    None => p.name,
                }
            }
            None => String::new(),
        };
        Ok(PublicQuote {
            quote: self.quote_view(q, &w.number, &r.number)?,
            unit,
            superseded: status_of(q)? == QuoteStatus::Superseded,
        })
    }

    /// The quote behind a link (no sign-in). An unknown or malformed token is 404.
    #[tracing::instrument(skip_all)]
    pub async fn quote_by_link(&self, token: &str) -> Result<PublicQuote, AppError> {
        let mut conn = self.db.acquire().await?;
        let q = self.quote_by_token(&mut conn, token).await?;
        self.public_quote(&mut conn, &q).await
    }

    /// The customer's answer through the link: once, while pending and valid.
    #[tracing::instrument(skip_all)]
    pub async fn answer_by_link(
        &self,
        token: &str,
        action: QuoteAction,
        note: Option<&str>,
    ) -> Result<PublicQuote, AppError> {
        let note = parse_opt_notes("note", note, 2000).map_err(AppError::invalid)?;
        let mut tx = self.db.begin().await?;
        let q = self.quote_by_token(tx.conn(), token).await?;
        let ctx = Ctx::system("quote_link");
        let answer = Answer {
            via: ConfirmedVia::Link,
            note,
            signer: None,
            png: None,
        };
        let saved = self
            .record_answer(&mut tx, &ctx, &q, action, answer)
            .await?;
        let view = self.public_quote(tx.conn(), &saved).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The PDF of a quote version for staff (their scope), in the quote's language.
    #[tracing::instrument(skip_all)]
    pub async fn quote_pdf(
        &self,
        ctx: &Ctx,
        number: &str,
        version: Option<i64>,
        company: &str,
    ) -> Result<Vec<u8>, AppError> {
        ctx.require(Permission::ChargesRead)?;
        let mut conn = self.db.acquire().await?;
        let rows = store::by_number(&mut *conn, number.trim()).await?;
        let q = match version {
            Some(v) => rows.iter().find(|q| q.version == v),
            None => rows.first(),
        }
        .ok_or(AppError::NotFound("quote"))?;
        self.load_order(&mut conn, ctx, &q.work_order_id)
            .await
            .map_err(|_| AppError::NotFound("quote"))?;
        let p = self.public_quote(&mut conn, q).await?;
        render_quote(&p, company)
    }

    /// The PDF behind a link.
    #[tracing::instrument(skip_all)]
    pub async fn quote_pdf_by_link(&self, token: &str, company: &str) -> Result<Vec<u8>, AppError> {
        let mut conn = self.db.acquire().await?;
        let q = self.quote_by_token(&mut conn, token).await?;
        let p = self.public_quote(&mut conn, &q).await?;
        render_quote(&p, company)
    }
}

/// The quote as an A4 PDF in its own language; `company` heads it.
fn render_quote(p: &PublicQuote, company: &str) -> Result<Vec<u8>, AppError> {
    {
        let q = &p.quote;
        let locale = Locale::from_tag(&q.locale).unwrap_or(Locale::ZhCn);
        let zh = locale == Locale::ZhCn;
        let lang = if zh { Lang::ZhCn } else { Lang::En };
        let payer = |code: &str| payer_words(code, zh).to_owned();
        let mut reasons: Vec<String> = Vec::new();
        for l in &q.lines {
            let r = if zh { &l.reason_zh } else { &l.reason_en };
            if !reasons.contains(r) {
                reasons.push(r.clone());
            }
        }
        let doc = QuoteDoc {
            lang,
            company: company.to_owned(),
            number: q.number.clone(),
            version: q.version,
            issued: q.created_at.get(..10).unwrap_or(&q.created_at).to_owned(),
            valid_until: q.valid_until.clone(),
            customer: String::new(),
            request: q.request.clone(),
            work_order: q.work_order.clone(),
            unit: p.unit.clone(),
            lines: q
                .lines
                .iter()
                .map(|l| QuoteLine {
                    item: if zh { l.description_zh.clone() } else { l.description_en.clone() },
                    qty: l.qty.clone(),
                    unit_price: yuan(l.unit_fen),
                    amount: yuan(l.amount_fen),
                    payer: payer(&l.payer),
                })
                .collect(),
            net: yuan(q.totals.customer_net_fen),
            vat: format!(
                "{} ({}%)",
                yuan(q.totals.customer_vat_fen),
                vat_percent(&q.totals.vat_rate)
            ),
            gross: yuan(q.totals.customer_gross_fen),
            reasons,
            how_to_answer: match zh {
                true => "请通过短信中的链接确认或拒绝本报价，或在工程师的手机上签字确认。确认后方可开始有偿维修。".into(),
                false => "Confirm or decline this quote through the link in the text message, or sign on the engineer's phone. Paid work starts once it is confirmed.".into(),
            },
        };
        aftersales_documents::quote_pdf(&doc)
            .map_err(|e| AppError::Internal(format!("quote pdf: {e}")))
    }
}

/// Who pays, in words.
pub fn payer_words(code: &str, zh: bool) -> &'static str {
    match (code, zh) {
        ("warranty", true) => "保修",
        ("warranty", false) => "warranty",
        ("contract", true) => "服务合同",
        ("contract", false) => "contract",
        ("customer", true) => "客户",
        ("customer", false) => "customer",
        ("partner", true) => "服务商",
        ("partner", false) => "partner",
        (_, true) => "公司内部",
        (_, false) => "internal",
    }
}

/// `0.13` → `13`.
fn vat_percent(decimal: &str) -> String {
    aftersales_domain::charges::Rate::parse("vat", decimal)
        .map(|r| r.percent().trim_end_matches('%').to_owned())
        .unwrap_or_else(|_| decimal.to_owned())
}
