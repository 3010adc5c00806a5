//! Charges (docs/charges.md): the fee schedule's versions, quotes and overrides of the
//! charges gate.

pub mod quotes;
pub mod schedules;
