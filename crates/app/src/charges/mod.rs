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
