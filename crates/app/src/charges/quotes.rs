//! Quotes (报价单, R-FEE-3; docs/charges.md "Quotes"): paid work is priced by the engine from
//! an estimate (time, parts, distance) and sent to the customer, who confirms or declines
//! through a one-time link (`link.rs`) or by signing on the engineer's phone. A change makes
//! a new version under the same number and voids the older link.

use super::pricing::{LineView, TotalsView, Work, line_views, parse_cause, price, totals_view};
use super::{cause_of, status_of, token_hash};
use crate::notifications::{Recipient, same};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::charges::{
    ConfirmedVia, Currency, PartFact, QuoteAction, QuoteStatus, answer_quote,
};
use aftersales_domain::installed_base::parse_opt_notes;
use aftersales_domain::parts::{Qty, Uom, parse_part_no};
use aftersales_domain::service::{QuoteAnswer, QuoteFacts, RequestEvent};
use aftersales_domain::warranty::Cause;
use aftersales_domain::{FieldError, FieldErrors, Locale, Permission};
use aftersales_store::charges::quotes::{self as store, QuoteRow};
use aftersales_store::time;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// The most lines of planned parts a quote takes.
pub const MAX_QUOTE_PARTS: usize = 50;

/// A part the estimate plans to fit.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PlannedPartInput {
    #[schema(min_length = 1, max_length = 40, pattern = r"^\s*[A-Za-z0-9_./-]+\s*$")]
    pub part_no: String,
    /// In the part's unit of measure, as a decimal (`2`, `1.5`).
    #[schema(min_length = 1, max_length = 20, example = "1")]
    pub qty: String,
}

/// A new quote (or a new version of the order's quote).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewQuoteInput {
    /// The work order's id or number.
    #[schema(min_length = 1, max_length = 64)]
    pub work_order: String,
    /// The cause as found (default: a normal failure); an exclusion is charged.
    #[schema(value_type = Option<crate::schema::CauseName>)]
    pub cause: Option<String>,
    /// Estimated labor in minutes (0–6000); without it, the record's time so far.
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 6000)]
    pub labor_minutes: Option<i64>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub parts: Vec<PlannedPartInput>,
    /// The distance to the site in km, when known (else the region class).
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 1, maximum = 10000)]
    pub distance_km: Option<i64>,
    /// Only `CNY`.
    #[schema(example = "CNY")]
    pub currency: Option<String>,
    /// The customer's language for the link page and the PDF (default zh-CN).
    #[schema(value_type = Option<crate::schema::LocaleName>)]
    pub locale: Option<String>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A well-formed new quote; the parts are checked against the catalog by the use-case.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidQuote {
    pub work_order: String,
    pub cause: Cause,
    pub labor_minutes: Option<u32>,
    pub parts: Vec<(String, String)>,
    pub distance_km: Option<u32>,
    pub locale: Locale,
    pub note: Option<String>,
}

impl NewQuoteInput {
    pub fn parse(&self) -> Result<ValidQuote, FieldErrors> {
        let mut errs = FieldErrors::new();
        let work_order = self.work_order.trim();
        if work_order.is_empty() {
            errs.push(FieldError::new("work_order", "required"));
        }
        let cause = errs.take(
            parse_cause(self.cause.as_deref())
                .map_err(|_| FieldError::new("cause", "invalid_choice")),
        );
        let bounded = |field: &str, v: Option<i64>, min: i64, max: i64| {
            v.map(|v| aftersales_domain::bounds::check_int(field, v, min, max).map(|v| v as u32))
                .transpose()
        };
        let labor_minutes = errs.take(bounded("labor_minutes", self.labor_minutes, 0, 6000));
        let distance_km = errs.take(bounded("distance_km", self.distance_km, 1, 10_000));
        if let Some(c) = self.currency.as_deref()
            && Currency::parse_code(c).is_none()
        {
            errs.push(FieldError::new("currency", "unknown_currency"));
        }
        let locale = match self.locale.as_deref().map(str::trim) {
            None | Some("") => Some(Locale::ZhCn),
            Some(l) => errs.take(
                Locale::from_tag(l).ok_or_else(|| FieldError::new("locale", "invalid_choice")),
            ),
        };
        let note = errs.take(parse_opt_notes("note", self.note.as_deref(), 2000));
        if self.parts.len() > MAX_QUOTE_PARTS {
            errs.push(FieldError::new("parts", "too_many").with("max", MAX_QUOTE_PARTS as i64));
        }
        let mut parts = Vec::new();
        for (i, p) in self.parts.iter().take(MAX_QUOTE_PARTS).enumerate() {
            if let Some(no) = errs.take(parse_part_no(&format!("parts[{i}].part_no"), &p.part_no)) {
                parts.push((no, p.qty.trim().to_owned()));
            }
        }
        errs.finish(|| {
            Some(ValidQuote {
                work_order: work_order.to_owned(),
                cause: cause?,
                labor_minutes: labor_minutes?,
                parts,
                distance_km: distance_km?,
                locale: locale?,
                note: note?,
            })
        })
    }
}

/// One version of a quote, as staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuoteView {
    pub number: String,
    pub version: i64,
    pub work_order: String,
    pub request: String,
    /// pending, confirmed, declined or superseded.
    #[schema(value_type = String, example = "pending")]
    pub status: String,
    #[schema(value_type = String, example = "normal_failure")]
    pub cause: String,
    pub lines: Vec<LineView>,
    pub totals: TotalsView,
    /// The last day it holds (the site's date).
    pub valid_until: String,
    /// Past `valid_until` while still pending: it cannot be confirmed any more.
    pub expired: bool,
    /// Pending and not expired: it takes an answer.
    pub may_answer: bool,
    #[schema(value_type = String, example = "zh-CN")]
    pub locale: String,
    pub note: Option<String>,
    pub created_by_name: String,
    pub created_at: String,
    pub answered_at: Option<String>,
    /// link or signature.
    #[schema(value_type = Option<String>)]
    pub answered_via: Option<String>,
    pub answer_note: Option<String>,
    pub signer_name: Option<String>,
}

/// A quote: its newest version and every version, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuoteDetail {
    pub quote: QuoteView,
    pub versions: Vec<QuoteView>,
}

/// A quote just issued, with its one-time link (shown once: only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuoteIssued {
    pub quote: QuoteView,
    /// `/q/{token}` (absolute when the site's public URL is configured).
    pub link: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuoteQuery {
    /// The work order's id or number: its quote's versions, newest first.
    /// Required (422 `required` without it, after the permission is checked).
    #[param(required = true, min_length = 1, max_length = 64)]
    pub work_order: Option<String>,
}

/// The customer's answer given on the engineer's phone (or recorded by staff).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct QuoteAnswerInput {
    /// The version answered (the one the customer saw).
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1, maximum = 1000)]
    pub version: i64,
    /// Who signed (required to confirm on the phone).
    #[schema(max_length = 100)]
    pub signer_name: Option<String>,
    /// The signature pad's PNG as a data URL or base64 (at most 300 kB).
    #[schema(max_length = 409600)]
    pub signature_png: Option<String>,
    /// Why, when declining.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

impl crate::App {
    pub(crate) fn quote_view(
        &self,
        q: &QuoteRow,
        wo: &str,
        sr: &str,
    ) -> Result<QuoteView, AppError> {
        let lines: Vec<LineView> = serde_json::from_str(&q.lines_json)
            .map_err(|e| AppError::Internal(format!("quote {}: lines unreadable: {e}", q.id)))?;
        let totals: TotalsView = serde_json::from_str(&q.facts_json)
            .ok()
            .and_then(|v: serde_json::Value| serde_json::from_value(v["totals"].clone()).ok())
            .ok_or_else(|| AppError::Internal(format!("quote {}: totals unreadable", q.id)))?;
        let status = status_of(q)?;
        let until: jiff::civil::Date = q
            .valid_until
            .parse()
            .map_err(|e| AppError::Internal(format!("quote {}: valid_until: {e}", q.id)))?;
        let expired = status == QuoteStatus::Pending && self.today() > until;
        Ok(QuoteView {
            number: q.number.clone(),
            version: q.version,
            work_order: wo.to_owned(),
            request: sr.to_owned(),
            status: status.as_str().into(),
            cause: cause_of(q)?.as_str().into(),
            lines,
            totals,
            valid_until: q.valid_until.clone(),
            expired,
            may_answer: status == QuoteStatus::Pending && !expired,
            locale: q.locale.clone(),
            note: q.note.clone(),
            created_by_name: q.created_by_name.clone(),
            created_at: q.created_at.clone(),
            answered_at: q.answered_at.clone(),
            answered_via: q.answered_via.clone(),
            answer_note: q.answer_note.clone(),
            signer_name: q.signer_name.clone(),
        })
    }

    /// Prices the estimate and sends the customer a quote (a new version when the order has
    /// one): numbered, valid for the schedule's days, with a one-time link by SMS.
    #[tracing::instrument(skip_all)]
    pub async fn create_quote(
        &self,
        ctx: &Ctx,
        input: &NewQuoteInput,
    ) -> Result<QuoteIssued, AppError> {
        ctx.require(Permission::QuotesManage)?;
        let v = input.parse()?;
        let mut tx = self.db.begin().await?;
        let (w, r) = self.load_order(tx.conn(), ctx, &v.work_order).await?;
        if crate::service::work_orders::status_of(&w)?.is_terminal() {
            return Err(AppError::Conflict("work_order_closed"));
        }
        let parts = self.planned_parts(tx.conn(), &v.parts).await?;
        let labor = match v.labor_minutes {
            Some(m) => m,
            None => aftersales_store::service::get_record(tx.conn(), &w.id)
                .await?
                .and_then(|rec| rec.labor_minutes)
                .map_or(0, |m| u32::try_from(m.clamp(0, 6000)).unwrap_or(0)),
        };
        let work = Work {
            labor_minutes: labor,
            parts,
            distance_km: v.distance_km,
        };
        let p = self.pricing_of(tx.conn(), &w, &r, v.cause, work).await?;
        let priced = price(&p)?;
        if !priced.chargeable() {
            return Err(AppError::Conflict("nothing_to_quote"));
        }
        let older = store::of_work_order(tx.conn(), &w.id).await?;
        let (number, version) = match older.first() {
            Some(q) => (q.number.clone(), q.version + 1),
            None => (self.next_number(&mut tx, "QT").await?, 1),
        };
        if version > 1000 {
            return Err(AppError::Conflict("too_many_versions"));
        }
        store::supersede_pending(tx.conn(), &w.id).await?;
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| AppError::Internal(format!("random: {e}")))?;
        let token = hex::encode(raw);
        let valid_until = self
            .today()
            .checked_add(jiff::Span::new().days(i64::from(p.schedule.quote_valid_days)))
            .map_err(|e| AppError::Internal(format!("valid until: {e}")))?;
        let totals = totals_view(&priced);
        let facts = json!({
            "warranty_class": p.decision.class.as_str(),
            "coverage": p.decision.coverage,
            "labor_minutes": labor,
            "distance_km": v.distance_km,
            "parts": v.parts,
            "urgent": p.facts.urgent,
            "night": p.facts.night,
            "holiday": p.facts.holiday,
            "partner": p.facts.partner,
            "skill": p.facts.skill,
            "totals": totals,
        });
        let (by, by_name) = ctx.event_actor();
        let row = QuoteRow {
            id: uuid::Uuid::now_v7().to_string(),
            number: number.clone(),
            version,
            work_order_id: w.id.clone(),
            request_id: r.id.clone(),
            status: QuoteStatus::Pending.as_str().into(),
            cause: v.cause.as_str().into(),
            schedule_id: Some(p.schedule_id.clone()),
            facts_json: facts.to_string(),
            lines_json: serde_json::to_string(&line_views(&priced))
                .map_err(|e| AppError::Internal(format!("quote lines: {e}")))?,
            net_fen: priced.totals.customer_net_fen,
            vat_rate_ppm: i64::from(priced.totals.vat_rate.0),
            vat_fen: priced.totals.customer_vat_fen,
            gross_fen: priced.totals.customer_gross_fen,
            service_type: priced.service_type.as_str().into(),
            valid_until: valid_until.to_string(),
            locale: v.locale.as_str().into(),
            token_hash: Some(token_hash(&token)),
            note: v.note.clone(),
            created_by: by,
            created_by_name: by_name,
            created_at: time::to_db(self.now())?,
            answered_at: None,
            answered_via: None,
            answer_note: None,
            signer_name: None,
            signature_png: None,
        };
        store::insert(tx.conn(), &row).await?;
        let event = RequestEvent::QuoteIssued(QuoteFacts {
            number: number.clone(),
            version,
            total_fen: row.gross_fen,
            valid_until,
        });
        self.event(&mut tx, ctx, &r.id, Some(&w.id), event, None)
            .await?;
        let view = self.quote_view(&row, &w.number, &r.number)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Quote,
            &number,
            AuditAction::Create,
            None,
            Some(crate::administration::audit::audit_value(&view)?),
        )
        .await?;
        let link = match self.cfg.public_url.as_deref() {
            Some(base) => format!("{}/q/{token}", base.trim_end_matches('/')),
            None => format!("/q/{token}"),
        };
        let to = Recipient {
            user_id: None,
            name: r.contact_name.clone(),
            locale: v.locale,
            email: None,
            phone: Some(r.contact_phone.clone()),
            texts: true,
        };
        let params = [
            same("number", number.clone()),
            same("total", aftersales_domain::charges::yuan(row.gross_fen)),
            same("until", valid_until.to_string()),
            same("url", link.clone()),
        ];
        self.notify(
            &mut tx,
            &to,
            "quote_sent",
            Some(&r.id),
            Some(&link),
            &params,
        )
        .await?;
        tx.commit().await?;
        Ok(QuoteIssued { quote: view, link })
    }

    /// The planned parts with the catalog's names and prices; an unknown part or a
    /// quantity its unit of measure refuses is the field's error.
    async fn planned_parts(
        &self,
        conn: &mut aftersales_store::Conn,
        parts: &[(String, String)],
    ) -> Result<Vec<PartFact>, AppError> {
        let mut errs = FieldErrors::new();
        let mut out = Vec::new();
        for (i, (no, qty)) in parts.iter().enumerate() {
            let Some(p) = aftersales_store::parts::catalog::find_part(&mut *conn, no).await? else {
                errs.push(FieldError::new(format!("parts[{i}].part_no"), "not_found"));
                continue;
            };
            let uom = crate::service::requests::stored("parts.uom", &p.uom, Uom::parse)?;
            if let Some(q) = errs.take(Qty::parse(&format!("parts[{i}].qty"), qty, uom)) {
                out.push(PartFact {
                    part_no: p.part_no,
                    name_zh: p.name_zh,
                    name_en: p.name_en,
                    qty: q,
                    cost_fen: p.cost_fen,
                    list_fen: p.list_price_fen,
                });
            }
        }
        errs.into_result()?;
        Ok(out)
    }

    /// A quote by number: its newest version, within the caller's scope (else 404).
    #[tracing::instrument(skip_all)]
    pub async fn get_quote(&self, ctx: &Ctx, number: &str) -> Result<QuoteDetail, AppError> {
        ctx.require(Permission::ChargesRead)?;
        let mut conn = self.db.acquire().await?;
        let rows = store::by_number(&mut *conn, number.trim()).await?;
        let Some(first) = rows.first() else {
            return Err(AppError::NotFound("quote"));
        };
        let (w, r) = self
            .load_order(&mut conn, ctx, &first.work_order_id)
            .await
            .map_err(|_| AppError::NotFound("quote"))?;
        let versions = rows
            .iter()
            .map(|q| self.quote_view(q, &w.number, &r.number))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(QuoteDetail {
            quote: versions[0].clone(),
            versions,
        })
    }

    /// The versions of a work order's quote, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn list_quotes(&self, ctx: &Ctx, q: &QuoteQuery) -> Result<Vec<QuoteView>, AppError> {
        ctx.require(Permission::ChargesRead)?;
        let key = q.work_order.as_deref().unwrap_or_default().trim();
        if key.is_empty() {
            return Err(AppError::invalid(FieldError::new("work_order", "required")));
        }
        let mut conn = self.db.acquire().await?;
        let (w, r) = self.load_order(&mut conn, ctx, key).await?;
        store::of_work_order(&mut *conn, &w.id)
            .await?
            .iter()
            .map(|q| self.quote_view(q, &w.number, &r.number))
            .collect()
    }

    /// The customer's answer given on the engineer's phone: confirming needs the signer's
    /// name (and takes the signature pad's PNG); declining takes the customer's reason.
    #[tracing::instrument(skip_all)]
    pub async fn answer_quote_on_site(
        &self,
        ctx: &Ctx,
        number: &str,
        action: QuoteAction,
        input: &QuoteAnswerInput,
    ) -> Result<QuoteView, AppError> {
        ctx.require(Permission::QuotesManage)?;
        let mut errs = FieldErrors::new();
        let signer = errs.take(parse_opt_notes(
            "signer_name",
            input.signer_name.as_deref(),
            100,
        ));
        let note = errs.take(parse_opt_notes("note", input.note.as_deref(), 2000));
        let png = errs.take(super::signature_bytes(input.signature_png.as_deref()));
        errs.into_result()?;
        let (signer, note, png) = (signer.flatten(), note.flatten(), png.flatten());
        if action == QuoteAction::Confirm && signer.is_none() {
            return Err(AppError::invalid(FieldError::new(
                "signer_name",
                "required",
            )));
        }
        let mut tx = self.db.begin().await?;
        let rows = store::by_number(tx.conn(), number.trim()).await?;
        let Some(q) = rows.iter().find(|q| q.version == input.version) else {
            return Err(AppError::NotFound("quote"));
        };
        let (w, r) = self
            .load_order(tx.conn(), ctx, &q.work_order_id)
            .await
            .map_err(|_| AppError::NotFound("quote"))?;
        let answer = Answer {
            via: ConfirmedVia::Signature,
            note,
            signer,
            png,
        };
        let saved = self.record_answer(&mut tx, ctx, q, action, answer).await?;
        let view = self.quote_view(&saved, &w.number, &r.number)?;
        tx.commit().await?;
        Ok(view)
    }

    /// Writes an answer to a pending version (the state rule is the domain's), its event
    /// and its audit entry, in `tx`. A version answered in the meantime is refused.
    pub(crate) async fn record_answer(
        &self,
        tx: &mut aftersales_store::Tx,
        ctx: &Ctx,
        q: &QuoteRow,
        action: QuoteAction,
        a: Answer,
    ) -> Result<QuoteRow, AppError> {
        let until: jiff::civil::Date = q
            .valid_until
            .parse()
            .map_err(|e| AppError::Internal(format!("quote {}: valid_until: {e}", q.id)))?;
        let to = answer_quote(status_of(q)?, until, self.today(), action)
            .map_err(|e| AppError::Conflict(e.code()))?;
        let now = time::to_db(self.now())?;
        let done = store::answer(
            tx.conn(),
            &q.id,
            to.as_str(),
            &now,
            a.via.as_str(),
            a.note.as_deref(),
            a.signer.as_deref(),
            a.png.as_deref(),
        )
        .await?;
        if !done {
            return Err(AppError::Conflict("quote_already_answered"));
        }
        let facts = QuoteAnswer {
            number: q.number.clone(),
            version: q.version,
            via: a.via,
            note: a.note.clone(),
        };
        let (event, audit) = match action {
            QuoteAction::Confirm => (RequestEvent::QuoteConfirmed(facts), AuditAction::Confirm),
            QuoteAction::Decline => (RequestEvent::QuoteDeclined(facts), AuditAction::Decline),
        };
        self.event(tx, ctx, &q.request_id, Some(&q.work_order_id), event, None)
            .await?;
        self.audit(
            tx,
            ctx,
            AuditEntity::Quote,
            &q.number,
            audit,
            Some(json!({"version": q.version, "status": q.status})),
            Some(
                json!({"version": q.version, "status": to.as_str(), "via": a.via.as_str(),
                "signer_name": a.signer, "note": a.note}),
            ),
        )
        .await?;
        Ok(QuoteRow {
            status: to.as_str().into(),
            answered_at: Some(now),
            answered_via: Some(a.via.as_str().into()),
            answer_note: a.note,
            signer_name: a.signer,
            signature_png: a.png,
            ..q.clone()
        })
    }
}

/// An answer as given.
pub(crate) struct Answer {
    pub via: ConfirmedVia,
    pub note: Option<String>,
    pub signer: Option<String>,
    pub png: Option<Vec<u8>>,
}
