//! Old for new (R-PRT-3) and defect analysis (R-PRT-4): the obligation to bring back the
//! defective part of a part issued free under warranty, its states, the overdue rule, the
//! production batch of a failed unit, and the quality-alert threshold.
//!
//! Decisions (docs/defects.md):
//! - **One obligation per free issue.** A part issued under warranty (parts free by the
//!   unit's warranty decision on the service date) opens one obligation for the quantity
//!   issued; a chargeable issue opens none and is recorded as chargeable.
//! - **Due** [`DefectRules::return_days`] days after the issue date (the site's date); overdue from the day
//!   after. An overdue obligation is charged once, at the part's list price times the
//!   quantity, to the responsible unit (the work order's station or partner).
//! - **Batch**: the unit's manufacture month (`2025-07`) when the installed base has it, else
//!   the serial's prefix (see [`batch_of`]).
//! - **Quality alert**: [`DefectRules::alert_threshold`] received failures of one part
//!   within [`DefectRules::alert_window_days`] days raise one alert; the next one for that part only once the
//!   window holds no earlier alert of it.

use crate::Locale;
use serde::{Deserialize, Serialize};

/// The site's numbers of old for new and the quality alert (configuration `defects.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefectRules {
    /// Days from the issue to the return's due date (R-PRT-3; "default 30"), 1–365.
    pub return_days: i64,
    /// The rolling window of the quality alert, in days, 1–730.
    pub alert_window_days: i64,
    /// Failures of one part within the window that raise a quality alert, 1–1000.
    pub alert_threshold: i64,
}

impl Default for DefectRules {
    fn default() -> Self {
        DefectRules {
            return_days: 30,
            alert_window_days: 90,
            alert_threshold: 3,
        }
    }
}

impl DefectRules {
    /// Each number with its key and bounds; the first out of bounds is named.
    pub fn check(&self) -> Result<(), (&'static str, i64, i64, i64)> {
        for (key, v, max) in [
            ("return_days", self.return_days, 365),
            ("alert_window_days", self.alert_window_days, 730),
            ("alert_threshold", self.alert_threshold, 1000),
        ] {
            if !(1..=max).contains(&v) {
                return Err((key, v, 1, max));
            }
        }
        Ok(())
    }

    /// Whether `failures` within the window reach the threshold.
    pub fn raises_alert(&self, failures: i64) -> bool {
        failures >= self.alert_threshold
    }
}

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
        let r = DefectRules::default();
        assert!(!r.raises_alert(2));
        assert!(r.raises_alert(3));
        let r = DefectRules {
            alert_threshold: 1,
            ..r
        };
        assert!(r.raises_alert(1));
        assert!(!r.raises_alert(0));
    }

    #[test]
    fn the_numbers_are_bounded() {
        assert_eq!(DefectRules::default().check(), Ok(()));
        let r = DefectRules {
            return_days: 0,
            ..DefectRules::default()
        };
        assert_eq!(r.check(), Err(("return_days", 0, 1, 365)));
        let r = DefectRules {
            alert_threshold: 1001,
            ..DefectRules::default()
        };
        assert_eq!(r.check(), Err(("alert_threshold", 1001, 1, 1000)));
    }
}
