//! Charges (issue 15, DOMAIN.md §7, R-FEE-1..3; docs/charges.md): the fee schedule's
//! versions. The rules are the domain's (`domain::charges`); here the use-cases and views.

pub mod schedules;

pub use schedules::{
    FeeScheduleInput, FeeScheduleVersionView, LaborInput, LaborRateInput, PartnerInput,
    SurchargesInput, TravelBandInput, TravelInput,
};
