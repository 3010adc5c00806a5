//! Charges (issue 15, DOMAIN.md §7, R-FEE-1..3; docs/charges.md): the fee schedule's
//! versions, the pricing of a work order, quotes the customer confirms (by link or
//! signature), the start gate and its overrides, payments and receipts against work
//! orders with the payment-provider interface, and the cash engineers hand over. The rules
//! are the domain's (`domain::charges`); here the use-cases and views.

pub(crate) mod gate;
pub mod handovers;
pub(crate) mod link;
pub mod payments;
pub(crate) mod pricing;
pub mod provider;
pub(crate) mod quotes;
pub mod receipts;
pub mod schedules;

pub use schedules::{
    FeeScheduleInput, FeeScheduleVersionView, LaborInput, LaborRateInput, PartnerInput,
    SurchargesInput, TravelBandInput, TravelInput,
};

use crate::AppError;
use aftersales_domain::FieldError;
use aftersales_domain::charges::QuoteStatus;
use aftersales_domain::warranty::Cause;
use aftersales_store::charges::quotes::QuoteRow;
use sha2::{Digest, Sha256};

pub(crate) fn cause_of(q: &QuoteRow) -> Result<Cause, AppError> {
    crate::service::requests::stored("quotes.cause", &q.cause, Cause::parse)
}

pub(crate) fn status_of(q: &QuoteRow) -> Result<QuoteStatus, AppError> {
    crate::service::requests::stored("quotes.status", &q.status, QuoteStatus::parse)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A signature pad's PNG, when given (see the service record's rules).
pub(crate) fn signature_bytes(raw: Option<&str>) -> Result<Option<Vec<u8>>, FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => crate::service::work_orders::record::signature_png(s).map(Some),
    }
}
