//! Charges as pages (issue 15, docs/charges.md): fee schedules, the customer's quote link.

pub(crate) mod link;
pub(crate) mod payments;
pub(crate) mod schedules;
