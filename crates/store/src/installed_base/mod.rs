//! The installed base: customers, units, product models and policies, contracts.

pub mod contracts;
pub mod customers;
pub mod products;
pub mod units;
