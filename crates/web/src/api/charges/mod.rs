//! Charges (issue 15, docs/charges.md): fee schedules.

pub(crate) mod schedules;
