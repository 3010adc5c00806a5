//! Money as integer fen, rates as parts per million, the one currency, and the rounding rule.
//!
//! Every amount is an `i64` of fen (分). A rate (VAT, a surcharge) is typed as a decimal
//! ("0.13", "13%") with at most 6 decimals and kept as parts per million, so 13 % is
//! `Rate(130_000)` and no float ever touches money. Rounding is **half up to the fen**
//! (half away from zero for a negative amount, as a refund mirrors a payment).

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most one line, one payment or one document may come to: a hundred million yuan.
pub const MAX_DOCUMENT_FEN: i64 = 10_000_000_000;

/// A rate in parts per million: 0 ..= 10 (1000 %).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Rate(pub u32);

impl Rate {
    pub const ZERO: Rate = Rate(0);
    pub const PPM: u32 = 1_000_000;
    /// The highest rate a schedule may hold (10 = 1000 %).
    pub const MAX: Rate = Rate(10 * Rate::PPM);

    /// A rate as typed: `0.13`, `13%`, `0.125`; at most 6 decimals (of the fraction; a
    /// percent has at most 4), 0 ..= 10. Codes: `required`, `invalid_number`,
    /// `too_many_decimals`, `out_of_range`.
    pub fn parse(field: &str, raw: &str) -> Result<Rate, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        let (digits, percent) = match s.strip_suffix('%') {
            Some(d) => (d.trim(), true),
            None => (s, false),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let is_digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !is_digits(whole) || !is_digits(frac) {
            return Err(FieldError::new(field, "invalid_number"));
        }
        // Decimals of the fraction: a percent moves the point two places.
        let max_decimals = if percent { 4 } else { 6 };
        if frac.len() > max_decimals {
            return Err(FieldError::new(field, "too_many_decimals").with("max", 6));
        }
        if whole.len() > 6 {
            return Err(FieldError::new(field, "out_of_range").with("max", 10));
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().unwrap_or(u64::MAX)
        };
        let mut frac_val: u64 = 0;
        for (i, c) in frac.chars().enumerate() {
            frac_val += u64::from(c as u8 - b'0') * 10u64.pow((max_decimals - 1 - i) as u32);
        }
        // One percent is 10,000 ppm; the fraction is already in ppm either way.
        let scale = if percent { 10_000 } else { 1_000_000 };
        let ppm = whole.saturating_mul(scale).saturating_add(frac_val);
        if ppm > u64::from(Rate::MAX.0) {
            return Err(FieldError::new(field, "out_of_range").with("max", 10));
        }
        Ok(Rate(ppm as u32))
    }

    /// Whether a stored value is in range (a stored schedule is checked when read).
    pub fn is_valid(self) -> bool {
        self <= Rate::MAX
    }

    /// The rate as a decimal fraction, as it is typed: `0.13`, `0.125`, `0`.
    pub fn decimal(self) -> String {
        let whole = self.0 / Rate::PPM;
        let frac = self.0 % Rate::PPM;
        if frac == 0 {
            return whole.to_string();
        }
        let f = format!("{frac:06}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }

    /// The rate as a percentage for people: `13%`, `12.5%`.
    pub fn percent(self) -> String {
        let hundredths_ppm = self.0; // ppm / 10_000 = percent
        let whole = hundredths_ppm / 10_000;
        let frac = hundredths_ppm % 10_000;
        if frac == 0 {
            return format!("{whole}%");
        }
        let f = format!("{frac:04}");
        format!("{whole}.{}%", f.trim_end_matches('0'))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.percent())
    }
}

/// `amount × rate`, rounded half up to the fen (half away from zero when negative).
pub fn apply_rate(amount_fen: i64, rate: Rate) -> i64 {
    let v = i128::from(amount_fen) * i128::from(rate.0);
    let half = i128::from(Rate::PPM / 2);
    let r = if v >= 0 {
        (v + half) / i128::from(Rate::PPM)
    } else {
        -((-v + half) / i128::from(Rate::PPM))
    };
    i64::try_from(r).unwrap_or(if r > 0 { i64::MAX } else { i64::MIN })
}

/// `unit_fen × numerator / denominator`, rounded half up to the fen: the amount of a
/// quantity that is a fraction (labor in minutes at an hourly rate: `rate × minutes / 60`).
pub fn prorate(unit_fen: i64, numerator: i64, denominator: i64) -> i64 {
    if denominator <= 0 {
        return 0;
    }
    let v = i128::from(unit_fen) * i128::from(numerator);
    let d = i128::from(denominator);
    let r = if v >= 0 {
        (v + d / 2) / d
    } else {
        -((-v + d / 2) / d)
    };
    i64::try_from(r).unwrap_or(if r > 0 { i64::MAX } else { i64::MIN })
}

crate::service::named_enum!(
    /// The currency of every amount. Only renminbi is kept; any other code is refused with
    /// `unknown_currency` rather than stored and summed with yuan.
    Currency {
        Cny => "CNY",
    }
);

impl Currency {
    /// A currency code as sent; `None` for anything but a known code (case-insensitive).
    pub fn parse_code(raw: &str) -> Option<Currency> {
        Currency::parse(&raw.trim().to_ascii_uppercase())
    }
}

/// Fen as yuan for people: `1,280.50`; negative with a leading minus.
pub fn yuan(fen: i64) -> String {
    let neg = fen < 0;
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{:02}", if neg { "-" } else { "" }, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_typed_and_refuse_a_seventh_decimal() {
        assert_eq!(Rate::parse("r", "0.13"), Ok(Rate(130_000)));
        assert_eq!(Rate::parse("r", "13%"), Ok(Rate(130_000)));
        assert_eq!(Rate::parse("r", " 12.5 % "), Ok(Rate(125_000)));
        assert_eq!(Rate::parse("r", "0.123456"), Ok(Rate(123_456)));
        assert_eq!(Rate::parse("r", ".5"), Ok(Rate(500_000)));
        assert_eq!(Rate::parse("r", "10"), Ok(Rate::MAX));
        assert_eq!(Rate::parse("r", "0"), Ok(Rate::ZERO));
        let code = |s: &str| Rate::parse("r", s).expect_err(s).code;
        assert_eq!(code("0.1234567"), "too_many_decimals");
        assert_eq!(code("12.34567%"), "too_many_decimals");
        assert_eq!(code("10.000001"), "out_of_range");
        assert_eq!(code("99999999999"), "out_of_range");
        assert_eq!(code("-0.1"), "invalid_number");
        assert_eq!(code("1e-3"), "invalid_number");
        assert_eq!(code("."), "invalid_number");
        assert_eq!(code("%"), "invalid_number");
        assert_eq!(code(""), "required");
    }

    #[test]
    fn rates_read_back_as_typed() {
        for s in ["0.13", "0.125", "0", "1.5", "0.000001", "10"] {
            assert_eq!(Rate::parse("r", s).expect(s).decimal(), s);
        }
        assert_eq!(Rate(130_000).percent(), "13%");
        assert_eq!(Rate(125_000).percent(), "12.5%");
        assert_eq!(Rate(1).percent(), "0.0001%");
    }

    #[test]
    fn rounding_is_half_up_to_the_fen_and_mirrors_for_refunds() {
        // 13 % of 1.50 yuan = 19.5 fen → 20; of 1.49 = 19.37 → 19.
        assert_eq!(apply_rate(150, Rate(130_000)), 20);
        assert_eq!(apply_rate(149, Rate(130_000)), 19);
        assert_eq!(apply_rate(-150, Rate(130_000)), -20);
        assert_eq!(apply_rate(0, Rate::MAX), 0);
        // 45 minutes at 80.00 an hour = 60.00; 10 minutes at 1.00 = 0.1667 → 0.17.
        assert_eq!(prorate(8_000, 45, 60), 6_000);
        assert_eq!(prorate(100, 10, 60), 17);
        assert_eq!(prorate(100, 1, 0), 0);
    }

    #[test]
    fn currencies_other_than_renminbi_are_unknown() {
        assert_eq!(Currency::parse_code(" cny "), Some(Currency::Cny));
        assert_eq!(Currency::parse_code("USD"), None);
        assert_eq!(Currency::parse_code(""), None);
    }

    #[test]
    fn yuan_groups_thousands() {
        assert_eq!(yuan(128_050), "1,280.50");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-100_000_000), "-1,000,000.00");
    }
}
