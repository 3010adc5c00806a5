//! Spare parts (issue 14, docs/parts.md): the catalog (`catalog`), stock locations, the
//! ledger of moves and what is on hand (`stock`).
//!
//! Who sees which stock: the warehouse and admins every location; managers and dispatchers
//! those kept by a unit of their subtree; engineers their own van and their unit's stores;
//! partners their own unit's. [`StockScope`] is that rule, asked by every read and move.

pub mod catalog;
pub mod defects;
pub mod quality;
pub mod stock;

use crate::{AppError, Ctx};
use aftersales_domain::Role;
use aftersales_domain::parts::LocationKind;
use aftersales_store::parts::stock::LocationRow;

/// Reads a stored vocabulary value; a name the CHECK should have refused is an internal error.
pub(crate) fn stored<T>(
    column: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, AppError> {
    parse(text).ok_or_else(|| AppError::Internal(format!("{column}: unknown value {text:?}")))
}

/// Which stock locations the caller may read (and, for field work, post from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StockScope {
    All,
    /// Locations kept by a unit whose path starts with this; plus a van's own engineer.
    Subtree {
        path: String,
        user_id: Option<String>,
    },
}

impl StockScope {
    pub(crate) fn of(ctx: &Ctx) -> Result<StockScope, AppError> {
        ctx.require(aftersales_domain::Permission::StockRead)?;
        let Some(a) = ctx.actor() else {
            return Ok(StockScope::All);
        };
        match a.role {
            Role::Admin | Role::Warehouse => Ok(StockScope::All),
            Role::Engineer => Ok(StockScope::Subtree {
                // An engineer sees the stores of their own unit, not of the units below it.
                path: a.org_path.clone().ok_or(AppError::Forbidden)?,
                user_id: Some(a.id.to_string()),
            }),
            _ => Ok(StockScope::Subtree {
                path: a.org_path.clone().ok_or(AppError::Forbidden)?,
                user_id: None,
            }),
        }
    }

    /// Virtual locations are seen by whoever reads stock; a van by its engineer and by the
    /// readers of the engineer's unit (except other engineers).
    pub(crate) fn allows(&self, l: &LocationRow, kind: LocationKind) -> bool {
        match self {
            StockScope::All => true,
            _ if !kind.holds_stock() || kind == LocationKind::InTransit => true,
            StockScope::Subtree { path, user_id } => {
                if let Some(me) = user_id {
                    return match kind {
                        LocationKind::Van => l.user_id.as_deref() == Some(me.as_str()),
                        _ => l.org_path.as_deref() == Some(path.as_str()),
                    };
                }
                l.org_path
                    .as_deref()
                    .is_some_and(|p| p.starts_with(path.as_str()))
            }
        }
    }
}
