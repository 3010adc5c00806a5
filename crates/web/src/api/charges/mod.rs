//! Charges (docs/charges.md): a work order's charges and its start gate, quotes.

pub(crate) mod quotes;
