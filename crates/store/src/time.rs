//! Instants are stored as UTC text of fixed width, so text order is time order on both
//! backends and a person reading a backup sees the time.

use crate::error::{StoreError, corrupt};
use jiff::Timestamp;

/// `2026-11-22T06:06:18.123456Z`: always six fractional digits.
pub fn to_db(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn from_db(column: &'static str, s: &str) -> Result<Timestamp, StoreError> {
    s.parse::<Timestamp>().map_err(|_| corrupt(column, s))
}

pub fn opt_from_db(column: &'static str, s: Option<&str>) -> Result<Option<Timestamp>, StoreError> {
    s.map(|s| from_db(column, s)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_instants_have_a_fixed_width_and_round_trip() {
        let t: Timestamp = "2026-11-22T06:06:18Z".parse().expect("valid");
        assert_eq!(to_db(t), "2026-11-22T06:06:18.000000Z");
        let t2: Timestamp = "2026-11-22T06:06:18.5+08:00".parse().expect("valid");
        assert_eq!(to_db(t2), "2026-11-21T22:06:18.500000Z");
        assert_eq!(from_db("t", &to_db(t2)).expect("parse"), t2);
        assert!(to_db(t2) < to_db(t));
    }
}
