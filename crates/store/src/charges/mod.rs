//! Charges (issue 15, docs/charges.md): fee schedule versions.

pub mod schedules;
