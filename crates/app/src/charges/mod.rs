//! Charges (DOMAIN.md §7, R-FEE-3; docs/charges.md): payments and receipts against work
//! orders, the payment-provider interface, and the cash engineers hand over.

pub mod handovers;
pub mod payments;
pub mod provider;
pub mod receipts;
