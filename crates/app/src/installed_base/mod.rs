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

use crate::AppError;
use aftersales_domain::warranty::{ChargeBasis, ContractCover};
use aftersales_store::installed_base::contracts::ContractRecord;
use jiff::civil::Date;

/// The domain's view of a stored contract (units read it for the warranty decision). A
/// stored date or charge basis that does not read back is an error, never a contract that
/// covers nothing.
pub(crate) fn cover(c: &ContractRecord) -> Result<ContractCover, AppError> {
    let unreadable = |column: &str, v: &str| {
        AppError::Internal(format!(
            "contract {}: stored {column} {v:?} unreadable",
            c.id
        ))
    };
    let date = |column: &str, v: &str| v.parse::<Date>().map_err(|_| unreadable(column, v));
    let p = |column: &str, s: &Option<String>| {
        s.as_deref()
            .map(|v| ChargeBasis::parse(v).ok_or_else(|| unreadable(column, v)))
            .transpose()
    };
    Ok(ContractCover {
        start: date("start_date", &c.start_date)?,
        end: date("end_date", &c.end_date)?,
        parts: p("parts", &c.parts)?,
        labor: p("labor", &c.labor)?,
        travel: p("travel", &c.travel)?,
    })
}
