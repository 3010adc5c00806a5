//! The installed base: customers, units, products and warranty policies, contracts,
//! transfers.

pub(crate) mod catalog;
pub(crate) mod contract_pages;
pub(crate) mod customer_form;
pub(crate) mod customers;
pub(crate) mod history;
pub(crate) mod policies;
pub(crate) mod product_pages;
pub(crate) mod record_history;
pub(crate) mod unit_transfer;
