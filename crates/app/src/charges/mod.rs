//! Charges (DOMAIN.md §7; docs/charges.md): the pricing of a work order, quotes the
//! customer confirms (by link or signature), the start gate and its overrides.

pub(crate) mod gate;
pub(crate) mod link;
pub(crate) mod pending;
pub(crate) mod pricing;
pub(crate) mod quotes;
