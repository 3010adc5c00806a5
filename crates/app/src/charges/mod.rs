//! Charges (issue 15, DOMAIN.md §7, R-FEE-1..3; docs/charges.md): the fee schedule's
//! versions, the pricing of a work order, quotes the customer confirms (by link or
//! signature), the start gate and its overrides. The rules are the domain's
//! (`domain::charges`); here the use-cases and views.

pub(crate) mod gate;
pub(crate) mod link;
pub(crate) mod pending;
pub(crate) mod pricing;
pub(crate) mod quotes;
pub mod schedules;

pub use schedules::{
    FeeScheduleInput, FeeScheduleVersionView, LaborInput, LaborRateInput, PartnerInput,
    SurchargesInput, TravelBandInput, TravelInput,
};
