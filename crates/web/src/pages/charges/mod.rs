//! Charges pages (docs/charges.md): the customer's quote link.

pub(crate) mod link;
