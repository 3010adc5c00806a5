//! Spare parts and stock pages (issue 14, point 10): the warehouse console (`/stock`, with
//! the move form and the ledger of a part at a location), the parts catalog (`/parts`) and
//! the engineer's van on the phone (`/m/van`, the issue from the van on a work order).
//!
//! What the pages share lives here: quantities and money as people read them, the words of
//! a balance row. The files of the area import this module, never each other.

pub mod catalog;
pub mod defects;
pub mod labels;
pub mod requisitions;
pub mod stock;
pub mod stocktakes;
pub mod van;

use crate::i18n::Tr;
use aftersales_app::BalanceView;
use aftersales_domain::parts::Qty;

/// A quantity of a view (f64 with at most three decimals) as people write it: `12`, `1.5`.
pub fn qty_text(x: f64) -> String {
    Qty((x * 1000.0).round() as i64).display()
}

/// An amount in fen as yuan: `¥1,280.00` (UX.md), a minus sign before the symbol.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    let whole = (a / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", a % 100)
}

pub use aftersales_domain::parts::parse_yuan;

/// A balance as a row of a table: every word in the reader's language.
pub struct BalanceRow {
    pub location: String,
    pub location_name: String,
    pub part: String,
    pub name: String,
    pub condition: &'static str,
    pub on_hand: String,
    pub uom: &'static str,
    pub value: String,
    pub low: bool,
    /// `/stock/ledger?location=…&part=…`.
    pub ledger_href: String,
}

impl BalanceRow {
    pub fn of(b: &BalanceView, tr: Tr) -> Self {
        let l = tr.locale;
        BalanceRow {
            ledger_href: format!(
                "/stock/ledger?location={}&part={}",
                crate::shell::encode_component(&b.location),
                crate::shell::encode_component(&b.part)
            ),
            location: b.location.clone(),
            location_name: b.location_name.clone(),
            part: b.part.clone(),
            name: part_name(l, &b.name_zh, &b.name_en),
            condition: b.condition.words(l),
            on_hand: qty_text(b.on_hand),
            uom: b.uom.words(l),
            value: yuan(b.value_fen),
            low: b.low,
        }
    }
}

/// A part's name in the reader's language (the other one when that is empty).
pub fn part_name(l: aftersales_domain::Locale, zh: &str, en: &str) -> String {
    let (first, other) = match l {
        aftersales_domain::Locale::ZhCn => (zh, en),
        aftersales_domain::Locale::En => (en, zh),
    };
    if first.trim().is_empty() {
        other.to_owned()
    } else {
        first.to_owned()
    }
}

/// An instant of a view (RFC 3339) in the site's zone, `2026-11-22 14:30`.
pub fn at_text(at: &str) -> String {
    match at.parse::<jiff::Timestamp>() {
        Ok(t) => crate::shell::fmt_time(t),
        Err(_) => at.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_groups_thousands_and_keeps_fen() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(128_000), "¥1,280.00");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(-505), "-¥5.05");
    }

    #[test]
    fn yuan_as_typed() {
        assert_eq!(parse_yuan("12"), Some(1200));
        assert_eq!(parse_yuan("12.5"), Some(1250));
        assert_eq!(parse_yuan("¥1,280.05"), Some(128_005));
        assert_eq!(parse_yuan(".5"), Some(50));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("-1"), None);
        assert_eq!(parse_yuan("abc"), None);
        assert_eq!(parse_yuan(""), None);
    }

    #[test]
    fn quantities_as_written() {
        assert_eq!(qty_text(6.0), "6");
        assert_eq!(qty_text(1.5), "1.5");
        assert_eq!(qty_text(0.125), "0.125");
    }
}
