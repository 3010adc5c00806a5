//! Spare parts and their stock (R-PRT-1..6): the catalog's closed vocabularies, quantities,
//! the kinds of stock move with the locations each may join, and moving-average valuation.
//!
//! Stock is an append-only ledger of moves. A move takes a quantity of one part in one
//! condition from one location to another; a location that holds stock (a warehouse, a
//! store, a van, goods in transit) keeps a balance, a virtual one (the supplier, the
//! customer, scrap, the count difference) is only a source or a sink. Every rule that
//! decides whether a move may be written is a pure function here; the store applies the
//! move and its balances in one transaction.
//!
//! Decisions taken where the sources are silent (docs/parts.md):
//! - **Defective parts are stock** of the condition `defective`, held in real locations (the
//!   engineer's van, goods in transit, the warehouse), so a defective part that never comes
//!   back is a balance somebody holds, not a line in a spreadsheet.
//! - **New and refurbished** stock of the same part are kept apart by the same condition.
//! - **Quantities** are kept in thousandths of the unit of measure, so cable by the metre and
//!   oil by the litre take up to three decimals; a counted unit (piece, set, pair) takes
//!   whole numbers only.
//! - **Valuation** is moving-average cost per location, part and condition, fixed when a
//!   move is written: an outflow carries the average of what was on hand (the last unit
//!   carries all that remains, so no fen is ever stranded), an inflow adds its own value.
//!   Nothing later is ever re-valued.

use crate::{FieldError, Locale};
use serde::{Deserialize, Serialize};

/// Generates a closed vocabulary: `ALL`, `as_str`, `parse` and the words of each value.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            /// The value by its name or by its words in either language, case and
            /// surrounding blanks aside (as a spreadsheet someone typed holds it).
            pub fn parse_words(s: &str) -> Option<$name> {
                let s = s.trim();
                $name::ALL.iter().copied().find(|v| {
                    v.as_str().eq_ignore_ascii_case(s)
                        || Locale::ALL.iter().any(|l| v.words(*l).eq_ignore_ascii_case(s))
                })
            }

            /// The value in the reader's words.
            pub fn words(self, locale: Locale) -> &'static str {
                match (self, locale) {
                    $(($name::$variant, Locale::ZhCn) => $zh,
                      ($name::$variant, Locale::En) => $en,)+
                }
            }
        }
    };
}

pub mod requisitions;
pub mod stocktakes;

vocabulary!(
    /// The key-part category of a part (R-PRT-4: failures are analysed by it).
    PartCategory {
        Motor = "motor", "电机", "Motor";
        Compressor = "compressor", "压缩机", "Compressor";
        Axle = "axle", "车桥", "Axle";
        Frame = "frame", "车架", "Frame";
        ControlBoard = "control_board", "控制板", "Control board";
        Sensor = "sensor", "传感器", "Sensor";
        Electrical = "electrical", "电气件", "Electrical";
        Mechanical = "mechanical", "机械件", "Mechanical";
        Consumable = "consumable", "易耗品", "Consumable";
        Other = "other", "其他", "Other";
    }
);

vocabulary!(
    /// The unit a part is counted or measured in.
    Uom {
        Piece = "pcs", "个", "pcs";
        Set = "set", "套", "set";
        Pair = "pair", "对", "pair";
        Metre = "m", "米", "m";
        Kilogram = "kg", "千克", "kg";
        Litre = "l", "升", "L";
    }
);

impl Uom {
    /// Counted units take whole numbers only; measured ones up to three decimals.
    pub fn counted(self) -> bool {
        matches!(self, Uom::Piece | Uom::Set | Uom::Pair)
    }
}

vocabulary!(
    /// The condition stock is kept in: the same part new, refurbished (修理好的更换件) or
    /// defective (taken out of a unit, on its way back) is three different balances.
    Condition {
        New = "new", "全新", "New";
        Refurbished = "refurbished", "翻新", "Refurbished";
        Defective = "defective", "故障件", "Defective";
    }
);

vocabulary!(
    /// What a stock location is.
    LocationKind {
        /// The central warehouse (总库).
        Warehouse = "warehouse", "中心仓库", "Central warehouse";
        /// A branch's or a station's store.
        Store = "store", "网点库", "Branch or station store";
        /// A service partner's store.
        PartnerStore = "partner_store", "服务商库", "Partner store";
        /// An engineer's van (车载库).
        Van = "van", "工程师车载库", "Engineer's van";
        /// Goods shipped and not yet received.
        InTransit = "in_transit", "在途", "In transit";
        /// Where purchased parts come from.
        Supplier = "supplier", "供应商", "Supplier";
        /// Parts fitted into customers' units.
        Customer = "customer", "客户", "Customer";
        /// Parts written off.
        Scrap = "scrap", "报废", "Scrap";
        /// The other side of a stock-count difference.
        Adjustment = "adjustment", "盘点差异", "Count difference";
    }
);

impl LocationKind {
    /// Holds a balance that may never go below zero.
    pub fn holds_stock(self) -> bool {
        matches!(
            self,
            LocationKind::Warehouse
                | LocationKind::Store
                | LocationKind::PartnerStore
                | LocationKind::Van
                | LocationKind::InTransit
        )
    }

    /// A physical place people keep parts in (not in transit, not virtual).
    pub fn is_physical(self) -> bool {
        self.holds_stock() && self != LocationKind::InTransit
    }

    /// The virtual locations, one of each, created with the schema under these codes.
    pub fn virtual_code(self) -> Option<&'static str> {
        match self {
            LocationKind::InTransit => Some("IN-TRANSIT"),
            LocationKind::Supplier => Some("SUPPLIER"),
            LocationKind::Customer => Some("CUSTOMER"),
            LocationKind::Scrap => Some("SCRAP"),
            LocationKind::Adjustment => Some("ADJUSTMENT"),
            _ => None,
        }
    }
}

vocabulary!(
    /// The kinds of stock move. Each joins the locations of [`MoveKind::route`].
    MoveKind {
        /// Received from a supplier (采购入库).
        Receipt = "receipt", "采购入库", "Receipt";
        /// Handed over directly between two places (e.g. at the warehouse's counter).
        Transfer = "transfer", "调拨", "Transfer";
        /// Shipped: from a place into transit.
        TransferOut = "transfer_out", "发出", "Shipped";
        /// Received from transit.
        TransferIn = "transfer_in", "收货", "Received";
        /// Fitted into a customer's unit on a work order (领用).
        Issue = "issue", "工单领用", "Issued to a work order";
        /// An unused part back from a work order.
        Return = "return", "工单退回", "Returned from a work order";
        /// The defective part taken out of the unit (旧件回收).
        DefectiveIn = "defective_in", "旧件回收", "Defective part taken back";
        /// Written off (报废).
        Scrap = "scrap", "报废", "Scrapped";
        /// A stock count found more than the books (盘盈).
        CountGain = "count_gain", "盘盈", "Count gain";
        /// A stock count found less than the books (盘亏).
        CountLoss = "count_loss", "盘亏", "Count loss";
        /// Shipped and not received: the shortfall of a shipment's line, written off transit
        /// against the shipment (运输短少).
        TransitLoss = "transit_loss", "运输短少", "Short on receipt";
        /// Received beyond what was shipped: the surplus of a shipment's line (运输多收).
        TransitGain = "transit_gain", "运输多收", "Over on receipt";
    }
);

/// Which kind of location a move may start or end at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// A warehouse, store, partner store or van.
    Physical,
    /// This very kind (one virtual location of it).
    Exactly(LocationKind),
}

impl Side {
    pub fn admits(self, kind: LocationKind) -> bool {
        match self {
            Side::Physical => kind.is_physical(),
            Side::Exactly(k) => k == kind,
        }
    }
}

impl MoveKind {
    /// Where a move of this kind comes from and goes to.
    pub fn route(self) -> (Side, Side) {
        use LocationKind as L;
        use Side::{Exactly, Physical};
        match self {
            MoveKind::Receipt => (Exactly(L::Supplier), Physical),
            MoveKind::Transfer => (Physical, Physical),
            MoveKind::TransferOut => (Physical, Exactly(L::InTransit)),
            MoveKind::TransferIn => (Exactly(L::InTransit), Physical),
            MoveKind::Issue => (Physical, Exactly(L::Customer)),
            MoveKind::Return | MoveKind::DefectiveIn => (Exactly(L::Customer), Physical),
            MoveKind::Scrap => (Physical, Exactly(L::Scrap)),
            MoveKind::CountGain => (Exactly(L::Adjustment), Physical),
            MoveKind::CountLoss => (Physical, Exactly(L::Adjustment)),
            MoveKind::TransitLoss => (Exactly(L::InTransit), Exactly(L::Adjustment)),
            MoveKind::TransitGain => (Exactly(L::Adjustment), Exactly(L::InTransit)),
        }
    }

    /// Moves on a work order name it.
    pub fn needs_work_order(self) -> bool {
        matches!(
            self,
            MoveKind::Issue | MoveKind::Return | MoveKind::DefectiveIn
        )
    }

    /// Count differences and write-offs say why, and are approved by a manager.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            MoveKind::Scrap
                | MoveKind::CountGain
                | MoveKind::CountLoss
                | MoveKind::TransitLoss
                | MoveKind::TransitGain
        )
    }

    /// Count differences are approved by someone other than the warehouse clerk.
    pub fn needs_approval(self) -> bool {
        matches!(self, MoveKind::CountGain | MoveKind::CountLoss)
    }

    /// Conditions a move of this kind may not carry: nobody fits or buys a defective part.
    pub fn refuses(self, c: Condition) -> bool {
        match self {
            MoveKind::Issue | MoveKind::Receipt | MoveKind::Return => c == Condition::Defective,
            MoveKind::DefectiveIn => c != Condition::Defective,
            _ => false,
        }
    }

    /// Checks the locations, the condition and the references of a move of this kind.
    pub fn check(
        self,
        from: LocationKind,
        to: LocationKind,
        condition: Condition,
        has_work_order: bool,
        has_reason: bool,
    ) -> Result<(), FieldError> {
        let (f, t) = self.route();
        if !f.admits(from) {
            return Err(FieldError::new("from", "invalid_location"));
        }
        if !t.admits(to) {
            return Err(FieldError::new("to", "invalid_location"));
        }
        if self.refuses(condition) {
            return Err(FieldError::new("condition", "invalid_choice"));
        }
        if self.needs_work_order() && !has_work_order {
            return Err(FieldError::new("work_order", "required"));
        }
        if !self.needs_work_order() && has_work_order {
            return Err(FieldError::new("work_order", "not_allowed"));
        }
        if self.needs_reason() && !has_reason {
            return Err(FieldError::new("reason", "required"));
        }
        Ok(())
    }
}

/// A quantity in thousandths of its unit of measure (1 piece = 1000).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Qty(pub i64);

impl Qty {
    pub const SCALE: i64 = 1000;
    /// The most one move may carry: a million units.
    pub const MAX_UNITS: i64 = 1_000_000;
    pub const ZERO: Qty = Qty(0);

    pub fn units(n: i64) -> Qty {
        Qty(n.saturating_mul(Qty::SCALE))
    }

    /// A quantity of a move as typed or sent: positive, at most [`Qty::MAX_UNITS`], whole
    /// for a counted unit and with at most three decimals otherwise.
    pub fn parse(field: &str, raw: &str, uom: Uom) -> Result<Qty, FieldError> {
        Qty::read(field, raw, uom, false)
    }

    /// A level rather than a move: like [`Qty::parse`], but zero is allowed (a reorder point
    /// that alerts when empty, a shelf counted empty).
    pub fn parse_level(field: &str, raw: &str, uom: Uom) -> Result<Qty, FieldError> {
        Qty::read(field, raw, uom, true)
    }

    fn read(field: &str, raw: &str, uom: Uom, zero_ok: bool) -> Result<Qty, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() && frac.is_empty() || !digits(whole) || !digits(frac) {
            return Err(FieldError::new(field, "invalid_number"));
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 3 {
            return Err(FieldError::new(field, "too_precise").with("decimals", 3));
        }
        if uom.counted() && !frac.is_empty() {
            return Err(FieldError::new(field, "whole_number"));
        }
        let whole = whole.trim_start_matches('0');
        let too_large = || {
            FieldError::new(field, "out_of_range")
                .with("min", 0)
                .with("max", Qty::MAX_UNITS)
        };
        if whole.len() > 7 {
            return Err(too_large());
        }
        let w: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| too_large())?
        };
        let mut f: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse()
                .map_err(|_| FieldError::new(field, "invalid_number"))?
        };
        for _ in frac.len()..3 {
            f *= 10;
        }
        let q = w * Qty::SCALE + f;
        if neg && q != 0 || q == 0 && !zero_ok {
            return Err(FieldError::new(field, "must_be_positive"));
        }
        if q > Qty::MAX_UNITS * Qty::SCALE {
            return Err(too_large());
        }
        Ok(Qty(q))
    }

    /// Reads a JSON number the way it was written (`12`, `1.5`) through [`Qty::parse`].
    pub fn parse_json(field: &str, v: &serde_json::Value, uom: Uom) -> Result<Qty, FieldError> {
        Qty::read_json(field, v, uom, false)
    }

    /// A level from JSON through [`Qty::parse_level`] (zero allowed).
    pub fn parse_json_level(
        field: &str,
        v: &serde_json::Value,
        uom: Uom,
    ) -> Result<Qty, FieldError> {
        Qty::read_json(field, v, uom, true)
    }

    fn read_json(
        field: &str,
        v: &serde_json::Value,
        uom: Uom,
        zero_ok: bool,
    ) -> Result<Qty, FieldError> {
        match v {
            serde_json::Value::Number(n) => Qty::read(field, &n.to_string(), uom, zero_ok),
            serde_json::Value::String(s) => Qty::read(field, s, uom, zero_ok),
            serde_json::Value::Null => Err(FieldError::new(field, "required")),
            _ => Err(FieldError::new(field, "invalid_number")),
        }
    }

    /// The quantity as people write it: `12`, `1.5`, `0.125`.
    pub fn display(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let (w, f) = (a / 1000, a % 1000);
        if f == 0 {
            format!("{sign}{w}")
        } else {
            let frac = format!("{f:03}");
            format!("{sign}{w}.{}", frac.trim_end_matches('0'))
        }
    }

    /// As a JSON number (a float is exact enough: at most three decimals of a million).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / Qty::SCALE as f64
    }
}

/// The value of `qty` at `unit_fen` per unit of measure, rounded half up to the fen.
pub fn value_of(qty: Qty, unit_fen: i64) -> i64 {
    let v = i128::from(qty.0) * i128::from(unit_fen);
    let r = (v + i128::from(Qty::SCALE / 2)).div_euclid(i128::from(Qty::SCALE));
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// A balance of one part in one condition at one location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Balance {
    pub on_hand: Qty,
    /// What it cost, in fen.
    pub value_fen: i64,
}

/// Refused: the move would take the balance below zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insufficient {
    pub on_hand: Qty,
}

impl Balance {
    /// The value an outflow of `qty` carries at the moving average: the last unit carries
    /// whatever remains, so the balance's value reaches zero with its quantity.
    pub fn outflow_value(self, qty: Qty) -> Result<i64, Insufficient> {
        if qty > self.on_hand || qty.0 <= 0 {
            return Err(Insufficient {
                on_hand: self.on_hand,
            });
        }
        if qty == self.on_hand {
            return Ok(self.value_fen);
        }
        let v = i128::from(self.value_fen) * i128::from(qty.0);
        let share = (v + i128::from(self.on_hand.0) / 2) / i128::from(self.on_hand.0);
        Ok(i64::try_from(share)
            .unwrap_or(self.value_fen)
            .min(self.value_fen))
    }

    pub fn take(self, qty: Qty, value_fen: i64) -> Balance {
        Balance {
            on_hand: Qty(self.on_hand.0 - qty.0),
            value_fen: self.value_fen - value_fen,
        }
    }

    pub fn add(self, qty: Qty, value_fen: i64) -> Balance {
        Balance {
            on_hand: Qty(self.on_hand.0.saturating_add(qty.0)),
            value_fen: self.value_fen.saturating_add(value_fen),
        }
    }

    /// The average cost of one unit of measure, in fen (0 when nothing is on hand).
    pub fn unit_cost_fen(self) -> i64 {
        if self.on_hand.0 <= 0 {
            0
        } else {
            let v = i128::from(self.value_fen) * i128::from(Qty::SCALE);
            i64::try_from(v / i128::from(self.on_hand.0)).unwrap_or(0)
        }
    }
}

/// An outflow that takes a balance from above its reorder point to at or below it: the one
/// move that raises a low-stock alert (later outflows while it stays low raise none).
pub fn crosses_reorder_point(before: Qty, after: Qty, point: Qty) -> bool {
    before > point && after <= point
}

/// The most a price or cost may be: ten million yuan, in fen.
pub const MAX_PRICE_FEN: i64 = 1_000_000_000;

/// A part number: 1–40 letters, digits, `-`, `_`, `.` or `/`, kept upper case.
pub fn parse_part_no(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    if s.chars().count() > 40 {
        return Err(FieldError::new(field, "too_long").with("max", 40));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return Err(FieldError::new(field, "invalid_chars"));
    }
    Ok(s.to_ascii_uppercase())
}

/// A price or cost in fen: 0 ..= [`MAX_PRICE_FEN`].
pub fn check_fen(field: &str, v: i64) -> Result<i64, FieldError> {
    crate::bounds::check_int(field, v, 0, MAX_PRICE_FEN)
}

/// Yuan as typed (`12`, `12.5`, `1,280.00`) into fen: at most two decimals, 0 or more;
/// `None` when it is not such a number (the caller says so beside the field).
pub fn parse_yuan(raw: &str) -> Option<i64> {
    let s: String = raw
        .trim()
        .trim_start_matches('¥')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let (w, f) = s.split_once('.').unwrap_or((&s, ""));
    if w.is_empty() && f.is_empty() {
        return None;
    }
    if !w.chars().all(|c| c.is_ascii_digit()) || !f.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if f.len() > 2 {
        return None;
    }
    let whole: i64 = if w.is_empty() { 0 } else { w.parse().ok()? };
    let frac: i64 = format!("{f:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

/// Fen as yuan with two decimals and nothing else (`1280.05`), as a file holds it for
/// [`parse_yuan`] to read back.
pub fn yuan_plain(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

pub mod defects;

#[cfg(test)]
mod tests;
