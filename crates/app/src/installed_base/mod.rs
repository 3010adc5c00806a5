//! The installed base (DOMAIN.md sections 2 and 3, R-CUS-*, R-WAR-*): customer records,
//! serial-numbered units with their warranty, product models and warranty policies, and
//! service contracts.
//!
//! This file holds what the area's files share (a contract as the warranty decision sees
//! it) and imports none of them.

pub(crate) mod contracts;
pub(crate) mod customers;
pub(crate) mod products;
pub(crate) mod units;

use aftersales_domain::warranty::{ChargeBasis, ContractCover};
use aftersales_store::installed_base::contracts::ContractRecord;

/// The domain's view of a stored contract (units read it for the warranty decision).
pub(crate) fn cover(c: &ContractRecord) -> Option<ContractCover> {
    let p = |s: &Option<String>| s.as_deref().and_then(ChargeBasis::parse);
    Some(ContractCover {
        start: c.start_date.parse().ok()?,
        end: c.end_date.parse().ok()?,
        parts: p(&c.parts),
        labor: p(&c.labor),
        travel: p(&c.travel),
    })
}
