//! Charges (docs/charges.md): the fee schedule's versions, quotes and overrides of the
//! charges gate, payments and receipts, the cash engineers hand over.

pub mod handovers;
pub mod payments;
pub mod quotes;
pub mod schedules;
