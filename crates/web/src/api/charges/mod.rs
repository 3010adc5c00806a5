//! Charges (issue 15, docs/charges.md): fee schedules, a work order's charges and its start
//! gate, quotes.

pub(crate) mod payments;
pub(crate) mod quotes;
pub(crate) mod schedules;
