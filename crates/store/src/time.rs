//! Instants are stored as UTC text of fixed width, so text order is time order on both
//! backends and a person reading a backup sees the time.
//!
//! Writing refuses what could not be read back (`to_db`); reading has a strict form for
//! single records (`from_db`) and a lenient one for lists (`from_db_or_warn`), so one bad
//! stored value cannot take a whole list down.

use crate::error::{StoreError, corrupt};
use jiff::Timestamp;

/// The years the stored form can hold: four digits, no sign, so text order is time order.
pub const STORABLE_YEARS: std::ops::RangeInclusive<i16> = 1..=9999;

/// `2026-11-22T06:06:18.123456Z`: always six fractional digits. An instant outside
/// `STORABLE_YEARS`, or one whose text would not read back as itself, is refused rather
/// than written.
pub fn to_db(t: Timestamp) -> Result<String, StoreError> {
    let year = t.to_zoned(jiff::tz::TimeZone::UTC).year();
    if !STORABLE_YEARS.contains(&year) {
        return Err(StoreError::Unstorable(t.to_string()));
    }
    let s = t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    // Microseconds are what the text keeps; anything finer is dropped on purpose.
    match s.parse::<Timestamp>() {
        Ok(back) if s.len() == 27 && back.as_microsecond() == t.as_microsecond() => Ok(s),
        _ => Err(StoreError::Unstorable(t.to_string())),
    }
}

pub fn from_db(column: &'static str, s: &str) -> Result<Timestamp, StoreError> {
    s.parse::<Timestamp>().map_err(|_| corrupt(column, s))
}

pub fn opt_from_db(column: &'static str, s: Option<&str>) -> Result<Option<Timestamp>, StoreError> {
    s.map(|s| from_db(column, s)).transpose()
}

/// A stored instant for a reader that must survive a bad value (a list, a board): `Err`
/// with the column's name when the text cannot be read, after logging a warning, so the
/// caller shows the value as invalid instead of failing.
pub fn from_db_or_warn(column: &'static str, s: &str) -> Result<Timestamp, &'static str> {
    from_db(column, s).map_err(|_| {
        tracing::warn!(
            column,
            value = s,
            "unreadable stored instant shown as invalid"
        );
        column
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_instants_have_a_fixed_width_and_round_trip() {
        let t: Timestamp = "2026-11-22T06:06:18Z".parse().expect("valid");
        assert_eq!(to_db(t).expect("storable"), "2026-11-22T06:06:18.000000Z");
        let t2: Timestamp = "2026-11-22T06:06:18.5+08:00".parse().expect("valid");
        let s2 = to_db(t2).expect("storable");
        assert_eq!(s2, "2026-11-21T22:06:18.500000Z");
        assert_eq!(from_db("t", &s2).expect("parse"), t2);
        assert!(s2 < to_db(t).expect("storable"));
    }

    #[test]
    fn what_cannot_be_read_back_is_never_written() {
        for raw in [
            "-001000-01-01T00:00:00Z",
            "0000-12-31T23:59:59Z",
            "-009000-01-01T00:00:00Z",
        ] {
            let t: Timestamp = raw.parse().expect("valid for jiff");
            assert!(matches!(to_db(t), Err(StoreError::Unstorable(_))), "{raw}");
        }
        for t in [Timestamp::MIN, Timestamp::MAX] {
            if let Ok(s) = to_db(t) {
                assert!(from_db("t", &s).is_ok(), "{s}");
            }
        }
        let ok: Timestamp = "0001-01-01T00:00:00Z".parse().expect("valid");
        assert_eq!(
            from_db("t", &to_db(ok).expect("storable")).expect("read"),
            ok
        );
        assert_eq!(
            from_db_or_warn("x.at", "-1000-01-01T00:00:00.000000Z"),
            Err("x.at")
        );
    }
}
