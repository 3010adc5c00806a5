//! The charges card of the engineer's phone (docs/charges.md "On the phone"): whether the
//! job is chargeable and why the start waits, the quote and its answer, a form to send a
//! quote (time estimate and cause), and the customer's confirmation signed on the phone.
//! The one-time link is shown once, right after the quote is sent, with a QR code the
//! customer scans with their own phone. The forms' handlers are in `charges.rs`.

use crate::AppState;
use crate::shell::{PageError, Pick, WebUser};
use aftersales_app::{ChargesQuery, QuoteQuery, WorkOrderView};
use aftersales_domain::charges::yuan;
use aftersales_domain::warranty::Cause;

/// What the card shows.
pub struct ChargesCard {
    /// The customer pays something for this job.
    pub chargeable: bool,
    /// Why the start waits, in words (empty when it does not).
    pub waits_for: String,
    /// The newest quote: number, version, status in words, total, valid until.
    pub quote: Option<QuoteBrief>,
    /// The customer's total as the engine prices the job now (time so far, parts issued).
    pub estimate: String,
    pub causes: Vec<Pick>,
    /// The newest quote is confirmed (no new quote is offered).
    pub confirmed: bool,
    /// Just sent: the link and its QR code (SVG).
    pub link: Option<String>,
    pub link_svg: Option<String>,
}

pub struct QuoteBrief {
    pub number: String,
    pub version: i64,
    pub status: String,
    pub total: String,
    pub valid_until: String,
    pub may_answer: bool,
    pub confirmed: bool,
}

/// The card for an order that is not finished, or `None` (finished, or not priced here:
/// no schedule in force, nothing chargeable and no quote).
pub(crate) async fn card(
    s: &AppState,
    u: &WebUser,
    v: &WorkOrderView,
    link: Option<String>,
) -> Result<Option<ChargesCard>, PageError> {
    let tr = u.tr();
    if v.status.is_terminal() {
        return Ok(None);
    }
    let c = match s
        .app
        .work_order_charges(&u.ctx, &v.number, &ChargesQuery::default())
        .await
    {
        Ok(c) => c,
        // Nothing to price with (no schedule, no rate): the card stays away; the start
        // gate says the same in its own words when it matters.
        Err(aftersales_app::AppError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let quotes = s
        .app
        .list_quotes(
            &u.ctx,
            &QuoteQuery {
                work_order: Some(v.number.clone()),
            },
        )
        .await?;
    if !c.gate.chargeable && quotes.is_empty() {
        return Ok(None);
    }
    let quote = quotes.first().map(|q| QuoteBrief {
        number: q.number.clone(),
        version: q.version,
        status: tr.t_dyn(&format!("quote_link.status_{}", q.status)),
        total: yuan(q.totals.customer_gross_fen),
        valid_until: q.valid_until.clone(),
        may_answer: q.may_answer,
        confirmed: q.status == "confirmed",
    });
    let waits_for = match c.gate.refused.as_deref() {
        Some(code) => tr.t_dyn(&format!("error.{code}")),
        None => String::new(),
    };
    let link_svg = match &link {
        Some(l) => Some(
            aftersales_documents::qr_svg(l)
                .map_err(|e| aftersales_app::AppError::Internal(format!("quote link QR: {e}")))?,
        ),
        None => None,
    };
    let names: Vec<&'static str> = Cause::ALL.iter().map(|c| c.as_str()).collect();
    let confirmed = quote.as_ref().is_some_and(|q| q.confirmed);
    Ok(Some(ChargesCard {
        chargeable: c.gate.chargeable,
        waits_for,
        quote,
        estimate: yuan(c.totals.customer_gross_fen),
        confirmed,
        causes: Pick::all(tr, &names, "warranty.cause", Some("normal_failure")),
        link,
        link_svg,
    }))
}
