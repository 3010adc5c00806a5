//! Charges (docs/charges.md): quotes and overrides of the charges gate.

pub mod quotes;
