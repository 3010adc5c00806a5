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
use aftersales_domain::audit::AuditEntity;
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

/// A record's own entries in the audit trail, newest first (at most 100): what a product's or
/// a contract's page shows as its history.
pub(crate) async fn record_history(
    db: &aftersales_store::Db,
    entity: AuditEntity,
    id: &str,
) -> Result<Vec<crate::AuditView>, AppError> {
    use aftersales_store::administration::audit as audit_store;
    let f = audit_store::AuditFilter {
        entity: Some(entity),
        entity_id: Some(id.to_owned()),
        ..Default::default()
    };
    let mut items = audit_store::list(db.pool(), &f, None, 100).await?.items;
    items.sort_by_key(|a| std::cmp::Reverse(a.id));
    Ok(items.into_iter().map(crate::AuditView::from).collect())
}
