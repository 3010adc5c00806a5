//! Spare parts (issue 14, docs/parts.md): the catalog (`catalog`), stock locations, the
//! ledger of moves and what is on hand (`stock`).
//!
//! Who sees which stock: the warehouse and admins every location; managers and dispatchers
//! those kept by a unit of their subtree; engineers their own van and their unit's stores;
//! partners their own unit's. [`StockScope`] is that rule, asked by every read and move.

pub mod balances;
pub mod catalog;
pub mod defects;
pub mod labels;
pub mod low_stock;
pub mod quality;
pub mod requisitions;
pub mod stock;
pub mod stocktakes;

use crate::{AppError, Ctx};
use aftersales_domain::Role;
use aftersales_domain::parts::{Condition, LocationKind, MoveKind, Qty, Uom};
use aftersales_store::parts::stock::LocationRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A move as sent: `POST /api/v1/stock/moves`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewMove {
    #[schema(value_type = crate::schema::MoveKindName)]
    pub kind: String,
    /// The part number.
    #[schema(max_length = 40)]
    pub part: String,
    /// `new` unless said; a defective part taken back is `defective`.
    #[schema(value_type = Option<crate::schema::ConditionName>)]
    pub condition: Option<String>,
    /// How many, in the part's unit of measure: whole for counted units, at most three
    /// decimals otherwise; more than 0 and at most 1,000,000.
    #[schema(value_type = f64, minimum = 0.001, maximum = 1000000)]
    pub qty: serde_json::Value,
    /// The location's code; the virtual end of a move (supplier, customer, scrap, count
    /// difference, in transit) may be left out. An engineer's issue comes from their van.
    #[schema(max_length = 32)]
    pub from: Option<String>,
    #[schema(max_length = 32)]
    pub to: Option<String>,
    /// A receipt's cost per unit of measure in fen (the part's cost when absent).
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub unit_cost_fen: Option<i64>,
    /// The serial number, for a serial-numbered part (then the quantity is 1).
    #[schema(max_length = 64)]
    pub serial: Option<String>,
    /// The work order's number (issue, return, defective part taken back).
    #[schema(max_length = 32)]
    pub work_order: Option<String>,
    /// A delivery note, a shipment, a count sheet.
    #[schema(max_length = 64)]
    pub reference: Option<String>,
    /// Why (scrap and count differences).
    #[schema(max_length = 200)]
    pub reason: Option<String>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// A move of the ledger.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MoveView {
    pub id: String,
    pub at: String,
    #[schema(value_type = crate::schema::MoveKindName)]
    pub kind: MoveKind,
    pub part: String,
    #[schema(value_type = crate::schema::UomName)]
    pub uom: Uom,
    #[schema(value_type = crate::schema::ConditionName)]
    pub condition: Condition,
    pub qty: f64,
    pub from: String,
    pub to: String,
    /// What the quantity cost, in fen, fixed when the move was written.
    pub value_fen: i64,
    pub serial: Option<String>,
    pub work_order: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub actor_name: String,
    pub note: Option<String>,
    /// With a location asked: the balance there after this move.
    pub balance_after: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LocationView {
    pub id: String,
    pub code: String,
    pub name: String,
    #[schema(value_type = crate::schema::LocationKindName)]
    pub kind: LocationKind,
    /// The keeping unit's id.
    pub org_unit_id: Option<String>,
    /// A van's engineer's id.
    pub user_id: Option<String>,
    pub active: bool,
}

pub(crate) fn kind_of(l: &LocationRow) -> Result<LocationKind, AppError> {
    stored("stock_locations.kind", &l.kind, LocationKind::parse)
}

pub(crate) fn location_view(l: LocationRow) -> Result<LocationView, AppError> {
    Ok(LocationView {
        kind: kind_of(&l)?,
        id: l.id,
        code: l.code,
        name: l.name,
        org_unit_id: l.org_unit_id,
        user_id: l.user_id,
        active: l.active != 0,
    })
}

pub(crate) fn qty_f64(q: i64) -> f64 {
    Qty(q).as_f64()
}

pub(crate) fn upper(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_uppercase)
}

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
