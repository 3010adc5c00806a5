//! Spare parts: the catalog and the stock ledger (docs/parts.md).

pub mod catalog;
pub mod defects;
pub mod requisitions;
pub mod stock;
pub mod stocktakes;
