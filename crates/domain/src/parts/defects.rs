//! Old for new (R-PRT-3) and defect analysis (R-PRT-4): the obligation to bring back the
//! defective part of a part issued free under warranty, its states, the overdue rule, the
//! production batch of a failed unit, and the quality-alert threshold.
//!
//! Decisions (docs/defects.md):
//! - **One obligation per free issue.** A part issued under warranty (parts free by the
//!   unit's warranty decision on the service date) opens one obligation for the quantity
//!   issued; a chargeable issue opens none and is recorded as chargeable.
//! - **Due** [`RETURN_DAYS`] days after the issue date (the site's date); overdue from the day
//!   after. An overdue obligation is charged once, at the part's list price times the
//!   quantity, to the responsible unit (the work order's station or partner).
//! - **Batch**: the unit's manufacture month (`2025-07`) when the installed base has it, else
//!   the serial's prefix (see [`batch_of`]).
//! - **Quality alert**: [`ALERT_THRESHOLD`] received failures of one part within
//!   [`ALERT_WINDOW_DAYS`] days raise one alert; the next one for that part only once the
//!   window holds no earlier alert of it.

use crate::Locale;
use serde::{Deserialize, Serialize};

/// Days from the issue to the return's due date (R-PRT-3; "default 30").
pub const RETURN_DAYS: i64 = 30;
/// The rolling window of the quality alert, in days.
pub const ALERT_WINDOW_DAYS: i64 = 90;
/// Failures of one part within the window that raise a quality alert.
pub const ALERT_THRESHOLD: i64 = 3;

vocabulary!(
    /// Where an old-for-new obligation stands.
    ReturnStatus {
        /// The defective part is still with the engineer (or in the unit).
        Open = "open", "待返旧件", "To hand in";
        /// Handed in: on its way to the warehouse.
        HandedIn = "handed_in", "已交回", "Handed in";
        /// Received at the warehouse with a failure code: the obligation is closed.
        Received = "received", "已入库", "Received";
    }
);

vocabulary!(
    /// How a part issued on a work order is charged, by the unit's warranty decision.
    PartCharge {
        Free = "free", "保内免费", "Free (warranty)";
        Chargeable = "chargeable", "收费", "Chargeable";
    }
);

impl ReturnStatus {
    /// The engineer may hand it in.
    pub fn can_hand_in(self) -> bool {
        self == ReturnStatus::Open
    }

    /// The warehouse may receive it.
    pub fn can_receive(self) -> bool {
        self == ReturnStatus::HandedIn
    }

    /// Still owed (not yet received): it may fall overdue.
    pub fn is_owed(self) -> bool {
        self != ReturnStatus::Received
    }
}

/// Whether an obligation due on `due` is overdue on `today`: from the day after.
pub fn is_overdue(status: ReturnStatus, due: jiff::civil::Date, today: jiff::civil::Date) -> bool {
    status.is_owed() && today > due
}

/// The charge of a part not brought back: list price times the quantity (thousandths of
/// the unit of measure), rounded to the fen.
pub fn overdue_charge_fen(list_price_fen: i64, qty_milli: i64) -> i64 {
    let v = i128::from(list_price_fen) * i128::from(qty_milli);
    i64::try_from((v + 500) / 1000).unwrap_or(i64::MAX)
}

/// The production batch of a unit: its manufacture month when known; else the serial's
/// prefix — the part before the last `-` or `/` when there is one, else the first six
/// characters (most makers put line and month first); `None` without either.
pub fn batch_of(
    manufacture_date: Option<jiff::civil::Date>,
    serial: Option<&str>,
) -> Option<String> {
    if let Some(d) = manufacture_date {
        return Some(format!("{:04}-{:02}", d.year(), d.month()));
    }
    let s = serial
        .map(str::trim)
        .filter(|s| !s.is_empty())?
        .to_uppercase();
    match s.rfind(['-', '/']) {
        Some(i) if i > 0 => Some(s[..i].to_owned()),
        _ => Some(s.chars().take(6).collect()),
    }
}

/// Whether `failures` within the window reach the threshold.
pub fn raises_alert(failures: i64) -> bool {
    failures >= ALERT_THRESHOLD
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn vocabularies_round_trip() {
        for s in ReturnStatus::ALL {
            assert_eq!(ReturnStatus::parse(s.as_str()), Some(*s));
        }
        for c in PartCharge::ALL {
            assert_eq!(PartCharge::parse(c.as_str()), Some(*c));
        }
        assert_eq!(ReturnStatus::parse("lost"), None);
    }

    #[test]
    fn overdue_from_the_day_after_the_due_date_while_owed() {
        let due = date(2026, 3, 31);
        assert!(!is_overdue(ReturnStatus::Open, due, date(2026, 3, 31)));
        assert!(is_overdue(ReturnStatus::Open, due, date(2026, 4, 1)));
        assert!(is_overdue(ReturnStatus::HandedIn, due, date(2026, 4, 1)));
        assert!(!is_overdue(ReturnStatus::Received, due, date(2026, 5, 1)));
    }

    #[test]
    fn charge_is_list_price_times_quantity() {
        assert_eq!(overdue_charge_fen(12_800, 1000), 12_800);
        assert_eq!(overdue_charge_fen(12_800, 2000), 25_600);
        assert_eq!(overdue_charge_fen(999, 1500), 1_499);
    }

    #[test]
    fn batch_is_the_manufacture_month_else_the_serial_prefix() {
        assert_eq!(
            batch_of(Some(date(2025, 7, 9)), Some("KT-2401-0001")).as_deref(),
            Some("2025-07")
        );
        assert_eq!(
            batch_of(None, Some("kt-2401-0001")).as_deref(),
            Some("KT-2401")
        );
        assert_eq!(batch_of(None, Some("AB2401XYZ")).as_deref(), Some("AB2401"));
        assert_eq!(batch_of(None, Some("  ")), None);
        assert_eq!(batch_of(None, None), None);
    }

    #[test]
    fn the_threshold_is_inclusive() {
        assert!(!raises_alert(ALERT_THRESHOLD - 1));
        assert!(raises_alert(ALERT_THRESHOLD));
    }
}
