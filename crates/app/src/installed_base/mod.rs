//! The installed base (DOMAIN.md sections 2 and 3, R-CUS-*, R-WAR-*): customer records,
//! serial-numbered units with their warranty, product models and warranty policies, and
//! service contracts.

pub(crate) mod contracts;
pub(crate) mod customers;
pub(crate) mod products;
pub(crate) mod units;
