//! The installed base: customers, units, products, contracts, transfers.

pub(crate) mod catalog;
pub(crate) mod customer_form;
pub(crate) mod customers;
pub(crate) mod history;
pub(crate) mod unit_transfer;
