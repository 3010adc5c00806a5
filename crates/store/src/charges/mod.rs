//! Charges (docs/charges.md): payments, receipts and the cash engineers hand over.

pub mod handovers;
pub mod payments;
