//! Charges and payment (DOMAIN.md §7, R-FEE-1..3): the fee schedule, the pricing engine,
//! quotes the customer confirms before paid work, payments and the cash engineers collect.
//! See docs/charges.md.

pub mod engine;
pub mod money;
pub mod schedule;

pub use engine::{
    Freight, JobFacts, Line, LineKind, PartFact, Payer, PayerTotal, PriceError, Priced,
    ServiceType, Totals, Travel, holiday_on, price,
};
pub use money::{Currency, MAX_DOCUMENT_FEN, Rate, apply_rate, yuan};
pub use schedule::{
    DistanceBand, FeeSchedule, LaborRate, LaborTerms, NoSerialPolicy, PartnerOverride, Surcharges,
    TravelFees,
};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

crate::service::named_enum!(
    /// Where a quote stands (R-FEE-3). Expiry is not a state: a pending quote past its
    /// `valid_until` simply cannot be confirmed any more.
    QuoteStatus {
        /// 待确认: sent, the link works.
        Pending => "pending",
        /// 已确认
        Confirmed => "confirmed",
        /// 已拒绝
        Declined => "declined",
        /// 已作废: a newer version replaced it; its link no longer works.
        Superseded => "superseded",
    }
);

crate::service::named_enum!(
    /// How the customer confirmed (or declined).
    ConfirmedVia {
        /// The one-time link sent by SMS or e-mail.
        Link => "link",
        /// Signed on the engineer's phone.
        Signature => "signature",
    }
);

crate::service::named_enum!(
    /// How a payment was made (R-FEE-3). No real gateway: each has a reference number.
    PaymentMethod {
        /// 现场现金
        Cash => "cash",
        /// 银行转账
        BankTransfer => "bank_transfer",
        WechatPay => "wechat_pay",
        Alipay => "alipay",
        /// POS 刷卡
        PosCard => "pos_card",
    }
);

/// What a customer (or staff for them) may do to a quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteAction {
    Confirm,
    Decline,
}

/// Why a quote cannot take an answer: a stable code for the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteRefusal {
    /// Already confirmed or declined (a link used twice).
    AlreadyAnswered,
    /// A newer version replaced it.
    Superseded,
    /// Past its `valid_until`.
    Expired,
}

impl QuoteRefusal {
    pub fn code(self) -> &'static str {
        match self {
            QuoteRefusal::AlreadyAnswered => "quote_already_answered",
            QuoteRefusal::Superseded => "quote_superseded",
            QuoteRefusal::Expired => "quote_expired",
        }
    }
}

/// The quote's answer: only a pending quote within its validity takes one; `valid_until`
/// is the last day it holds (inclusive, the site's local date).
pub fn answer_quote(
    status: QuoteStatus,
    valid_until: Date,
    today: Date,
    action: QuoteAction,
) -> Result<QuoteStatus, QuoteRefusal> {
    match status {
        QuoteStatus::Confirmed | QuoteStatus::Declined => Err(QuoteRefusal::AlreadyAnswered),
        QuoteStatus::Superseded => Err(QuoteRefusal::Superseded),
        QuoteStatus::Pending if today > valid_until => Err(QuoteRefusal::Expired),
        QuoteStatus::Pending => Ok(match action {
            QuoteAction::Confirm => QuoteStatus::Confirmed,
            QuoteAction::Decline => QuoteStatus::Declined,
        }),
    }
}

/// Why paid work may not start yet (R-FEE-3): the stable codes of the 409.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateRefusal {
    /// Chargeable, and no confirmed quote.
    QuoteNotConfirmed,
    /// Confirmed, the schedule says pay first, and less than the quote's total is paid.
    PaymentRequired,
}

impl GateRefusal {
    pub fn code(self) -> &'static str {
        match self {
            GateRefusal::QuoteNotConfirmed => "quote_not_confirmed",
            GateRefusal::PaymentRequired => "payment_required",
        }
    }
}

/// What the gate knows of a work order's charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateFacts {
    /// The warranty decision leaves something for the customer to pay.
    pub chargeable: bool,
    /// The gross of the newest confirmed quote, when there is one.
    pub confirmed_total_fen: Option<i64>,
    /// Paid so far, net of refunds.
    pub paid_fen: i64,
    pub pay_first: bool,
    /// A manager let the work go on (with a reason, audited).
    pub overridden: bool,
}

/// May the work enter "in service"? A job with chargeable items needs a confirmed quote
/// and, where the schedule says pay first, its total paid; a manager's override opens it.
pub fn may_start(g: GateFacts) -> Result<(), GateRefusal> {
    if !g.chargeable || g.overridden {
        return Ok(());
    }
    match g.confirmed_total_fen {
        None => Err(GateRefusal::QuoteNotConfirmed),
        Some(total) if g.pay_first && g.paid_fen < total => Err(GateRefusal::PaymentRequired),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn a_quote_takes_one_answer_while_it_holds() {
        let until = d("2026-12-10");
        let ok = answer_quote(
            QuoteStatus::Pending,
            until,
            d("2026-12-10"),
            QuoteAction::Confirm,
        );
        assert_eq!(ok, Ok(QuoteStatus::Confirmed));
        assert_eq!(
            answer_quote(
                QuoteStatus::Pending,
                until,
                d("2026-12-11"),
                QuoteAction::Confirm
            ),
            Err(QuoteRefusal::Expired)
        );
        assert_eq!(
            answer_quote(
                QuoteStatus::Confirmed,
                until,
                d("2026-12-01"),
                QuoteAction::Confirm
            ),
            Err(QuoteRefusal::AlreadyAnswered)
        );
        assert_eq!(
            answer_quote(
                QuoteStatus::Superseded,
                until,
                d("2026-12-01"),
                QuoteAction::Decline
            ),
            Err(QuoteRefusal::Superseded)
        );
    }

    #[test]
    fn the_gate_asks_for_confirmation_then_payment() {
        let g = GateFacts {
            chargeable: true,
            confirmed_total_fen: None,
            paid_fen: 0,
            pay_first: true,
            overridden: false,
        };
        assert_eq!(may_start(g), Err(GateRefusal::QuoteNotConfirmed));
        let confirmed = GateFacts {
            confirmed_total_fen: Some(10_000),
            ..g
        };
        assert_eq!(may_start(confirmed), Err(GateRefusal::PaymentRequired));
        assert_eq!(
            may_start(GateFacts {
                paid_fen: 9_999,
                ..confirmed
            }),
            Err(GateRefusal::PaymentRequired)
        );
        assert_eq!(
            may_start(GateFacts {
                paid_fen: 10_000,
                ..confirmed
            }),
            Ok(())
        );
        assert_eq!(
            may_start(GateFacts {
                pay_first: false,
                ..confirmed
            }),
            Ok(())
        );
        assert_eq!(
            may_start(GateFacts {
                overridden: true,
                ..g
            }),
            Ok(())
        );
        assert_eq!(
            may_start(GateFacts {
                chargeable: false,
                ..g
            }),
            Ok(())
        );
    }
}
