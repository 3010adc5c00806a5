//! The sane ranges of every instant, date and number that comes in, and the parsers that
//! enforce them. Every edge (API, forms, imports, the alarm webhook, query parameters)
//! parses through these, so a value outside its range is a field error (422) before
//! anything is written, never a row that cannot be read back. The table of ranges is in
//! docs/decisions.md ("Bounded values").

use crate::validation::FieldError;
use jiff::Timestamp;
use jiff::civil::Date;

/// Years of the service's own instants (appointments, preferred windows, alarm times,
/// filters) and of its days (`?day=`, special days of a calendar).
pub const SERVICE_FIRST_YEAR: i16 = 2000;
pub const SERVICE_LAST_YEAR: i16 = 2100;
/// Years of recorded dates (manufacture, sale, installation, contracts, certifications,
/// policy versions): installed bases go back further than the service's own records.
pub const RECORD_FIRST_YEAR: i16 = 1990;
pub const RECORD_LAST_YEAR: i16 = 2100;
/// How far after today a date of a past event (manufacture, sale, installation…) may lie:
/// time zones and clocks that are a little ahead.
pub const FUTURE_MARGIN_DAYS: i32 = 2;
/// Offsets in use on Earth run from −12:00 to +14:00.
pub const MAX_OFFSET_SECONDS: i32 = 14 * 3600;
pub const MIN_OFFSET_SECONDS: i32 = -12 * 3600;
/// Schema patterns (OpenAPI) matching the years above at the start of a date or instant.
pub const SERVICE_YEAR_PATTERN: &str = r"^(20[0-9]{2}|2100)-";
pub const RECORD_YEAR_PATTERN: &str = r"^(199[0-9]|20[0-9]{2}|2100)-";
/// Latitude and longitude in degrees.
pub const MAX_LATITUDE: f64 = 90.0;
pub const MAX_LONGITUDE: f64 = 180.0;

/// A range of years, for field errors that name them (`year_out_of_range`, min and max).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Years {
    pub first: i16,
    pub last: i16,
}

pub const SERVICE_YEARS: Years = Years {
    first: SERVICE_FIRST_YEAR,
    last: SERVICE_LAST_YEAR,
};
pub const RECORD_YEARS: Years = Years {
    first: RECORD_FIRST_YEAR,
    last: RECORD_LAST_YEAR,
};

impl Years {
    pub fn contains(self, year: i16) -> bool {
        (self.first..=self.last).contains(&year)
    }

    fn error(self, field: &str) -> FieldError {
        FieldError::new(field, "year_out_of_range")
            .with("min", i64::from(self.first))
            .with("max", i64::from(self.last))
    }

    /// The date, if its year lies in the range.
    pub fn check_date(self, field: &str, d: Date) -> Result<Date, FieldError> {
        if self.contains(d.year()) {
            Ok(d)
        } else {
            Err(self.error(field))
        }
    }

    /// The instant, if its year (in UTC) lies in the range.
    pub fn check_instant(self, field: &str, t: Timestamp) -> Result<Timestamp, FieldError> {
        let year = t.to_zoned(jiff::tz::TimeZone::UTC).year();
        if self.contains(year) {
            Ok(t)
        } else {
            Err(self.error(field))
        }
    }
}

/// A date written `YYYY-MM-DD` (exactly; no sign, no extended years) in the given years.
pub fn parse_date_in(field: &str, raw: &str, years: Years) -> Result<Date, FieldError> {
    let s = raw.trim();
    if s.len() != 10 || !s.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(field, "invalid_date"));
    }
    let d: Date = s
        .parse()
        .map_err(|_| FieldError::new(field, "invalid_date"))?;
    years.check_date(field, d)
}

/// A day of the service (`?day=`, a special day of a calendar): years 2000–2100.
pub fn parse_service_day(field: &str, raw: &str) -> Result<Date, FieldError> {
    parse_date_in(field, raw, SERVICE_YEARS)
}

/// The date of a past event (manufacture, sale, installation…): from 1990 up to
/// `today` plus a small margin.
pub fn check_past_date(field: &str, d: Date, today: Date) -> Result<Date, FieldError> {
    let d = RECORD_YEARS.check_date(field, d)?;
    let latest = today
        .checked_add(jiff::Span::new().days(FUTURE_MARGIN_DAYS))
        .unwrap_or(today);
    if d > latest {
        return Err(FieldError::new(field, "date_in_future"));
    }
    Ok(d)
}

/// An instant of the service in RFC 3339 (`2026-11-22T09:00:00+08:00`): a real UTC offset
/// (−12:00 to +14:00) and a year (as written) from 2000 to 2100.
pub fn parse_instant(field: &str, raw: &str) -> Result<Timestamp, FieldError> {
    parse_instant_in(field, raw, SERVICE_YEARS)
}

/// An instant in RFC 3339 in the given years.
pub fn parse_instant_in(field: &str, raw: &str, years: Years) -> Result<Timestamp, FieldError> {
    let s = raw.trim();
    let invalid = || FieldError::new(field, "invalid_instant");
    // Extended years (`-001000-…`, `+002026-…`) are not RFC 3339.
    if !s.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let pieces = jiff::fmt::temporal::Pieces::parse(s).map_err(|_| invalid())?;
    let Some(offset) = pieces.to_numeric_offset() else {
        // A bare local time names no instant.
        return Err(invalid());
    };
    if !(MIN_OFFSET_SECONDS..=MAX_OFFSET_SECONDS).contains(&offset.seconds()) {
        return Err(FieldError::new(field, "invalid_offset"));
    }
    // The year as written (what a form or a schema pattern sees), not the UTC year: the
    // store holds any of these (`2000-01-01T07:00+08:00` is 1999 in UTC).
    if !years.contains(pieces.date().year()) {
        return Err(years.error(field));
    }
    s.parse().map_err(|_| invalid())
}

/// An optional instant: absent or blank means none.
pub fn parse_opt_instant(field: &str, raw: Option<&str>) -> Result<Option<Timestamp>, FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_instant(field, s).map(Some),
    }
}

/// An instant that arrived already typed (a serde `Timestamp`): years 2000–2100.
pub fn check_instant(field: &str, t: Timestamp) -> Result<Timestamp, FieldError> {
    SERVICE_YEARS.check_instant(field, t)
}

/// A whole number in `min..=max` (`out_of_range` naming both otherwise).
pub fn check_int(field: &str, v: i64, min: i64, max: i64) -> Result<i64, FieldError> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(field, "out_of_range")
            .with("min", min)
            .with("max", max))
    }
}

/// An optional whole number in `min..=max`.
pub fn check_opt_int(
    field: &str,
    v: Option<i64>,
    min: i64,
    max: i64,
) -> Result<Option<i64>, FieldError> {
    v.map(|v| check_int(field, v, min, max)).transpose()
}

fn check_degrees(field: &str, v: Option<f64>, max: f64) -> Result<Option<f64>, FieldError> {
    match v {
        None => Ok(None),
        Some(x) if x.is_finite() && x.abs() <= max => Ok(Some(x)),
        Some(_) => Err(FieldError::new(field, "out_of_range")
            .with("min", -(max as i64))
            .with("max", max as i64)),
    }
}

/// A latitude in degrees, −90 to 90.
pub fn check_latitude(field: &str, v: Option<f64>) -> Result<Option<f64>, FieldError> {
    check_degrees(field, v, MAX_LATITUDE)
}

/// A longitude in degrees, −180 to 180.
pub fn check_longitude(field: &str, v: Option<f64>) -> Result<Option<f64>, FieldError> {
    check_degrees(field, v, MAX_LONGITUDE)
}

/// Text that a database can hold: no NUL (PostgreSQL refuses U+0000 in text, SQLite would
/// store it and cut it off elsewhere).
pub fn check_storable(field: &str, s: &str) -> Result<(), FieldError> {
    if s.contains('\0') {
        Err(FieldError::new(field, "control_chars"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: std::fmt::Debug>(r: Result<T, FieldError>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(e) => e.code,
        }
    }

    #[test]
    fn instants_are_bounded_to_the_years_and_offsets_of_the_service() {
        let table = [
            ("2026-11-22T09:00:00+08:00", "ok"),
            ("2026-11-22T01:00:00Z", "ok"),
            ("2026-11-22T01:00:00.123456z", "ok"),
            ("2000-01-01T00:00:00Z", "ok"),
            ("2100-12-31T23:59:59Z", "ok"),
            ("2026-01-01T00:00:00+14:00", "ok"),
            ("2026-01-01T00:00:00-12:00", "ok"),
            ("1999-12-31T23:59:59Z", "year_out_of_range"),
            // The year as written counts (in UTC this is 1999).
            ("2000-01-01T07:00:00+08:00", "ok"),
            ("2101-01-01T07:00:00+08:00", "year_out_of_range"),
            ("2101-01-01T00:00:00Z", "year_out_of_range"),
            ("9999-12-31T23:59:59Z", "year_out_of_range"),
            ("0000-01-01T00:00:00Z", "year_out_of_range"),
            ("-001000-01-01T00:00:00Z", "invalid_instant"),
            ("+002026-01-01T00:00:00Z", "invalid_instant"),
            ("2026-01-01T00:00:00+25:00", "invalid_offset"),
            ("2026-01-01T00:00:00-14:30", "invalid_offset"),
            ("2026-01-01T00:00:00-13:00", "invalid_offset"),
            ("2026-01-01T00:00:00-12:00", "ok"),
            ("2026-01-01T00:00:00", "invalid_instant"),
            ("2026-01-01", "invalid_instant"),
            ("2026-02-30T00:00:00Z", "invalid_instant"),
            ("tomorrow", "invalid_instant"),
            ("", "invalid_instant"),
        ];
        for (raw, want) in table {
            assert_eq!(code(parse_instant("at", raw)), want, "{raw}");
        }
        let e = parse_instant("preferred_from", "1900-01-01T00:00:00Z").expect_err("1900");
        assert_eq!(e.field, "preferred_from");
        assert_eq!(e.params, vec![("min", 2000), ("max", 2100)]);
        assert_eq!(parse_opt_instant("at", Some("  ")), Ok(None));
        assert_eq!(parse_opt_instant("at", None), Ok(None));
        let t: Timestamp = "1970-01-01T00:00:00Z".parse().expect("t");
        assert_eq!(code(check_instant("at", t)), "year_out_of_range");
        assert_eq!(
            code(check_instant("at", Timestamp::MAX)),
            "year_out_of_range"
        );
        assert_eq!(
            code(check_instant("at", Timestamp::MIN)),
            "year_out_of_range"
        );
    }

    #[test]
    fn dates_are_bounded_by_their_kind() {
        let table = [
            ("2026-02-28", SERVICE_YEARS, "ok"),
            ("2000-01-01", SERVICE_YEARS, "ok"),
            ("1999-12-31", SERVICE_YEARS, "year_out_of_range"),
            ("9999-12-31", SERVICE_YEARS, "year_out_of_range"),
            ("0000-01-01", SERVICE_YEARS, "year_out_of_range"),
            ("1990-01-01", RECORD_YEARS, "ok"),
            ("1989-12-31", RECORD_YEARS, "year_out_of_range"),
            ("1900-01-01", RECORD_YEARS, "year_out_of_range"),
            ("2101-01-01", RECORD_YEARS, "year_out_of_range"),
            ("-01000-01-01", RECORD_YEARS, "invalid_date"),
            ("+2026-01-01", RECORD_YEARS, "invalid_date"),
            ("2026-02-30", RECORD_YEARS, "invalid_date"),
            ("2026/02/28", RECORD_YEARS, "invalid_date"),
        ];
        for (raw, years, want) in table {
            assert_eq!(code(parse_date_in("d", raw, years)), want, "{raw}");
        }
        assert_eq!(
            code(parse_service_day("day", "9999-12-31")),
            "year_out_of_range"
        );
        let today: Date = "2026-05-10".parse().expect("d");
        let d = |s: &str| s.parse::<Date>().expect("d");
        assert_eq!(
            code(check_past_date("sale_date", d("2026-05-12"), today)),
            "ok"
        );
        assert_eq!(
            code(check_past_date("sale_date", d("2026-05-13"), today)),
            "date_in_future"
        );
        assert_eq!(
            code(check_past_date("sale_date", d("1989-01-01"), today)),
            "year_out_of_range"
        );
        assert_eq!(
            code(check_past_date("sale_date", d("1990-01-01"), today)),
            "ok"
        );
    }

    #[test]
    fn numbers_and_coordinates_are_bounded() {
        assert_eq!(code(check_latitude("latitude", Some(90.0))), "ok");
        assert_eq!(code(check_latitude("latitude", Some(-90.0))), "ok");
        assert_eq!(
            code(check_latitude("latitude", Some(999.0))),
            "out_of_range"
        );
        assert_eq!(
            code(check_latitude("latitude", Some(f64::NAN))),
            "out_of_range"
        );
        assert_eq!(code(check_latitude("latitude", None)), "ok");
        assert_eq!(code(check_longitude("longitude", Some(180.0))), "ok");
        assert_eq!(
            code(check_longitude("longitude", Some(-180.5))),
            "out_of_range"
        );
        assert_eq!(
            code(check_longitude("longitude", Some(f64::INFINITY))),
            "out_of_range"
        );
        assert_eq!(code(check_int("qty", 0, 1, 10)), "out_of_range");
        assert_eq!(code(check_int("qty", 10, 1, 10)), "ok");
        assert_eq!(code(check_int("qty", i64::MAX, 1, 10)), "out_of_range");
        assert_eq!(code(check_opt_int("qty", None, 1, 10)), "ok");
        assert_eq!(code(check_storable("name", "a\0b")), "control_chars");
        assert_eq!(code(check_storable("name", "王\t")), "ok");
    }
}
