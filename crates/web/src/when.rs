//! The text the date and time pickers send (assets/picker.js, docs/field-widgets.md "5."):
//! `YYYY-MM-DD`, `HH:MM` on a 24-hour clock, and `YYYY-MM-DD HH:MM`. What a person types
//! without the picker is read as kindly: `/` or `.` between the parts of a date, one-digit
//! months, days and hours, a full-width colon `：`, `HHMM`, and `T` between date and time
//! (what the former native inputs sent). Anything else is left as typed, so the use-case
//! refuses it with its own field error beside the field.

use jiff::civil::{Date, DateTime, Time};

/// A date as `YYYY-MM-DD` (None when it is not one).
pub fn date(s: &str) -> Option<Date> {
    let s = s.trim();
    let mut parts = s.split(['-', '/', '.']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || y.len() != 4
        || !(1..=2).contains(&m.len())
        || !(1..=2).contains(&d.len())
    {
        return None;
    }
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(y) || !all_digits(m) || !all_digits(d) {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

/// A time of day on a 24-hour clock: `HH:MM`, `H:MM`, `HH：MM` or `HHMM`.
pub fn time(s: &str) -> Option<Time> {
    let s = s.trim().replace('：', ":");
    let (h, m) = match s.split_once(':') {
        Some((h, m)) => (h.to_owned(), m.to_owned()),
        None if s.len() == 4 && s.is_ascii() => (s[..2].to_owned(), s[2..].to_owned()),
        None => return None,
    };
    let digits = |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(&h) || m.len() != 2 || !digits(&m) {
        return None;
    }
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Time::new(h, m, 0, 0).ok()
}

/// A date and a time: `YYYY-MM-DD HH:MM` (or with `T`, or several spaces).
pub fn date_time(s: &str) -> Option<DateTime> {
    let s = s.trim();
    let (d, t) = s.split_once(['T', 't', ' ']).map(|(d, t)| (d, t.trim()))?;
    Some(date(d)?.to_datetime(time(t)?))
}

/// A day as the pickers and the use-cases write it (`YYYY-MM-DD`), or the text as typed
/// when it is not a date (the use-case then names the error).
pub fn normalize_date(s: &str) -> String {
    date(s).map_or_else(|| s.trim().to_owned(), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pickers_text_and_what_people_type_are_read_alike() {
        assert_eq!(date("2026-12-08"), Some(jiff::civil::date(2026, 12, 8)));
        assert_eq!(date(" 2026/12/8 "), Some(jiff::civil::date(2026, 12, 8)));
        assert_eq!(date("2026.1.02"), Some(jiff::civil::date(2026, 1, 2)));
        for bad in [
            "",
            "12/08/2026",
            "2026-13-01",
            "2026-02-30",
            "26-12-08",
            "2026-12-08x",
            "2026-12",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
        assert_eq!(time("14:30"), Some(jiff::civil::time(14, 30, 0, 0)));
        assert_eq!(time("9:05"), Some(jiff::civil::time(9, 5, 0, 0)));
        assert_eq!(time("09：05"), Some(jiff::civil::time(9, 5, 0, 0)));
        assert_eq!(time("1430"), Some(jiff::civil::time(14, 30, 0, 0)));
        for bad in ["", "24:00", "12:60", "2:30 PM", "14:3", "abc", "-1:00"] {
            assert_eq!(time(bad), None, "{bad}");
        }
        let want = jiff::civil::date(2026, 12, 8).at(14, 30, 0, 0);
        assert_eq!(date_time("2026-12-08 14:30"), Some(want));
        assert_eq!(date_time("2026-12-08T14:30"), Some(want));
        assert_eq!(date_time("2026/12/8  14：30"), Some(want));
        assert_eq!(date_time("2026-12-08"), None);
        assert_eq!(date_time("12/08/2026 2:30 PM"), None);
        assert_eq!(normalize_date("2026/1/2"), "2026-01-02");
        assert_eq!(normalize_date(" nonsense "), "nonsense");
    }
}
