//! Values of the installed base: serial numbers, phone numbers, product and customer
//! kinds, parsed once at the edge.

use crate::validation::{FieldError, char_len};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A serial number (机身编码) as printed on the unit, and its normalized form used for
/// lookups and uniqueness: upper case, without spaces, dashes, dots or slashes, so
/// "sn-2024 0001" and "SN20240001" are the same unit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Serial {
    raw: String,
    normalized: String,
}

impl Serial {
    pub const MAX: usize = 64;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        if char_len(raw) > Self::MAX {
            return Err(FieldError::new(field, "too_long").with("max", Self::MAX as i64));
        }
        let normalized = Self::normalize(raw);
        if normalized.is_empty() || !normalized.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(field, "serial_chars"));
        }
        Ok(Self {
            raw: raw.to_owned(),
            normalized,
        })
    }

    /// The lookup form of any text: what a search for a serial compares.
    pub fn normalize(s: &str) -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '.' | '/' | '\\'))
            .flat_map(char::to_uppercase)
            .collect()
    }

    /// The shortest tail of a serial the search box looks up ("0450" finds
    /// KT5P-2023-000450): shorter tails match too many units to be a useful answer.
    pub const SEARCH_TAIL_MIN: usize = 4;

    /// What a search query is as a serial's tail (normalized), if it can be one: at least
    /// [`Self::SEARCH_TAIL_MIN`] characters, letters and digits only once normalized.
    pub fn search_tail(q: &str) -> Option<String> {
        let n = Self::normalize(q);
        (n.len() >= Self::SEARCH_TAIL_MIN && n.chars().all(|c| c.is_ascii_alphanumeric()))
            .then_some(n)
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A Chinese phone number as typed, and its digits for search: "+86 138-0013-8000",
/// "0086 13800138000" and "138 0013 8000" are all `13800138000`; landlines keep their
/// area code ("024-2345 6789" → `02423456789`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Phone {
    raw: String,
    digits: String,
}

impl Phone {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c))
        {
            return Err(FieldError::new(field, "phone_chars"));
        }
        if char_len(raw) > 40 {
            return Err(FieldError::new(field, "too_long").with("max", 40));
        }
        let digits = Self::digits_of(raw);
        if !(5..=20).contains(&digits.len()) {
            return Err(FieldError::new(field, "phone_length"));
        }
        Ok(Self {
            raw: raw.to_owned(),
            digits,
        })
    }

    /// The digits a search compares: separators dropped, a leading +86/0086/86 country
    /// code dropped before an 11-digit mobile number.
    pub fn digits_of(s: &str) -> String {
        let d: String = s.chars().filter(char::is_ascii_digit).collect();
        for prefix in ["0086", "86"] {
            if let Some(rest) = d.strip_prefix(prefix)
                && rest.len() == 11
                && rest.starts_with('1')
            {
                return rest.to_owned();
            }
        }
        d
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// Grouped for reading aloud: `138 0013 8000`; other numbers as typed.
    pub fn display(&self) -> String {
        let d = &self.digits;
        if d.len() == 11 && d.starts_with('1') {
            format!("{} {} {}", &d[..3], &d[3..7], &d[7..])
        } else {
            self.raw.clone()
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Individual,
    Company,
}

impl CustomerKind {
    pub const ALL: &'static [CustomerKind] = &[CustomerKind::Individual, CustomerKind::Company];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Individual => "individual",
            CustomerKind::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "individual" => Some(CustomerKind::Individual),
            "company" => Some(CustomerKind::Company),
            _ => None,
        }
    }
}

/// What the agent's search box matched a customer by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMatch {
    /// A phone number of one of their contacts.
    Phone,
    /// The serial number of one of their units.
    Serial,
    /// Their name, company or customer number.
    Name,
}

impl SearchMatch {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchMatch::Phone => "phone",
            SearchMatch::Serial => "serial",
            SearchMatch::Name => "name",
        }
    }
}

impl fmt::Display for SearchMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a service contract stands on a day, for the contracts list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractStanding {
    /// Starts later.
    Future,
    Active,
    /// Within its reminder period before the end (time to renew).
    Ending,
    Ended,
}

impl ContractStanding {
    /// The standing on `today`, from the first day, the last day and the reminder day
    /// (dates, or ISO date texts, which order the same).
    pub fn on<D: Ord + ?Sized>(start: &D, end: &D, remind_on: &D, today: &D) -> Self {
        if start > today {
            ContractStanding::Future
        } else if end < today {
            ContractStanding::Ended
        } else if remind_on <= today {
            ContractStanding::Ending
        } else {
            ContractStanding::Active
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContractStanding::Future => "future",
            ContractStanding::Active => "active",
            ContractStanding::Ending => "ending",
            ContractStanding::Ended => "ended",
        }
    }
}

impl fmt::Display for ContractStanding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A recurring contact a service contract promises (R-FUP-2): a call or an on-site visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    Call,
    Visit,
}

impl InspectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionKind::Call => "call",
            InspectionKind::Visit => "visit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "call" => Some(InspectionKind::Call),
            "visit" => Some(InspectionKind::Visit),
            _ => None,
        }
    }
}

/// The facts a customer record is expected to have (R-CUS-3), as found on the record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordFacts {
    pub kind_company: bool,
    pub has_phone: bool,
    pub has_contact: bool,
    pub has_address: bool,
    /// The customer's own region, or a site's.
    pub has_region: bool,
    pub has_company_name: bool,
}

/// What a complete record must hold, in the order shown to users.
pub const COMPLETENESS_ITEMS: [&str; 5] = ["phone", "contact", "address", "region", "company"];

/// How complete a record is: the share (0–100, rounded down) of the expected facts present,
/// and the codes of those missing. A person is expected to have a phone, a contact, an
/// address and a region; a company also its company name. A record is complete at 100.
pub fn completeness(f: RecordFacts) -> (i64, Vec<&'static str>) {
    let checks = [
        ("phone", f.has_phone, true),
        ("contact", f.has_contact, true),
        ("address", f.has_address, true),
        ("region", f.has_region, true),
        ("company", f.has_company_name, f.kind_company),
    ];
    let expected = checks.iter().filter(|c| c.2).count() as i64;
    let missing: Vec<&'static str> = checks
        .iter()
        .filter(|(_, present, applies)| *applies && !present)
        .map(|c| c.0)
        .collect();
    ((expected - missing.len() as i64) * 100 / expected, missing)
}

/// A required text of at most `max` characters without control characters, trimmed.
pub fn parse_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    if char_len(s) > max {
        return Err(FieldError::new(field, "too_long").with("max", max as i64));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(field, "control_chars"));
    }
    Ok(s.to_owned())
}

/// An optional text: empty means none.
pub fn parse_opt_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_text(field, s, max).map(Some),
    }
}

/// Optional free text that may span lines (notes): newlines and tabs are kept, other
/// control characters refused; empty means none.
pub fn parse_opt_notes(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if char_len(s) > max {
        return Err(FieldError::new(field, "too_long").with("max", max as i64));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(field, "control_chars"));
    }
    Ok(Some(s.to_owned()))
}

/// A calendar date written `YYYY-MM-DD`, in the years of recorded dates (1990–2100, see
/// `bounds`); callers with a narrower range check it on top.
pub fn parse_date(field: &str, raw: &str) -> Result<jiff::civil::Date, FieldError> {
    crate::bounds::parse_date_in(field, raw, crate::bounds::RECORD_YEARS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_serial_tail_is_four_letters_or_digits_at_least() {
        assert_eq!(Serial::search_tail("000450").as_deref(), Some("000450"));
        assert_eq!(Serial::search_tail(" 0-450 ").as_deref(), Some("0450"));
        assert_eq!(Serial::search_tail("p2a1").as_deref(), Some("P2A1"));
        assert_eq!(Serial::search_tail("450"), None);
        assert_eq!(Serial::search_tail("张伟张伟"), None);
        assert_eq!(Serial::search_tail("04%50"), None);
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_contract_stands_by_its_days() {
        let on =
            |today: &str| ContractStanding::on("2026-01-01", "2026-12-31", "2026-12-01", today);
        assert_eq!(on("2025-12-31"), ContractStanding::Future);
        assert_eq!(on("2026-01-01"), ContractStanding::Active);
        assert_eq!(on("2026-11-30"), ContractStanding::Active);
        assert_eq!(on("2026-12-01"), ContractStanding::Ending);
        assert_eq!(on("2026-12-31"), ContractStanding::Ending);
        assert_eq!(on("2027-01-01"), ContractStanding::Ended);
        let d = |s: &str| s.parse::<jiff::civil::Date>().expect("date");
        assert_eq!(
            ContractStanding::on(
                &d("2026-01-01"),
                &d("2026-12-31"),
                &d("2026-12-01"),
                &d("2026-06-01")
            ),
            ContractStanding::Active
        );
    }

    #[test]
    fn completeness_counts_what_applies_to_the_kind() {
        let all = RecordFacts {
            kind_company: false,
            has_phone: true,
            has_contact: true,
            has_address: true,
            has_region: true,
            has_company_name: false,
        };
        // A person needs no company name.
        assert_eq!(completeness(all), (100, vec![]));
        assert_eq!(
            completeness(RecordFacts {
                has_phone: false,
                ..all
            }),
            (75, vec!["phone"])
        );
        // A company without its company name misses one of five.
        let co = RecordFacts {
            kind_company: true,
            ..all
        };
        assert_eq!(completeness(co), (80, vec!["company"]));
        assert_eq!(
            completeness(RecordFacts {
                has_company_name: true,
                ..co
            }),
            (100, vec![])
        );
        assert_eq!(
            completeness(RecordFacts::default()),
            (0, vec!["phone", "contact", "address", "region"])
        );
        // Rounded down: 2 of 3 is never shown as complete.
        assert_eq!(
            completeness(RecordFacts {
                kind_company: true,
                has_company_name: true,
                has_region: true,
                ..RecordFacts::default()
            }),
            (40, vec!["phone", "contact", "address"])
        );
    }

    #[test]
    fn serials_are_compared_without_case_and_separators() {
        let a = Serial::parse("serial", " sn-2024 0001 ").expect("valid");
        let b = Serial::parse("serial", "SN20240001").expect("valid");
        assert_eq!(a.normalized(), b.normalized());
        assert_eq!(a.raw(), "sn-2024 0001");
        assert_eq!(
            Serial::parse("serial", "--").expect_err("empty").code,
            "serial_chars"
        );
        assert_eq!(
            Serial::parse("serial", "编号1").expect_err("chinese").code,
            "serial_chars"
        );
    }

    #[test]
    fn phones_are_searched_by_their_digits_without_the_country_code() {
        for typed in [
            "+86 138-0013-8000",
            "0086 13800138000",
            "86 138 0013 8000",
            "13800138000",
            "(138)00138000",
        ] {
            assert_eq!(
                Phone::parse("phone", typed).expect(typed).digits(),
                "13800138000",
                "{typed}"
            );
        }
        assert_eq!(
            Phone::parse("phone", "024-2345 6789")
                .expect("landline")
                .digits(),
            "02423456789"
        );
        assert_eq!(
            Phone::parse("phone", "138 0013 8000")
                .expect("ok")
                .display(),
            "138 0013 8000"
        );
        assert_eq!(
            Phone::parse("phone", "abc").expect_err("letters").code,
            "phone_chars"
        );
        assert_eq!(
            Phone::parse("phone", "12").expect_err("short").code,
            "phone_length"
        );
    }

    #[test]
    fn dates_are_iso_days() {
        assert!(parse_date("d", "2026-02-28").is_ok());
        assert_eq!(
            parse_date("d", "2026-02-30").expect_err("no such day").code,
            "invalid_date"
        );
        assert_eq!(
            parse_date("d", "2026/02/28").expect_err("slashes").code,
            "invalid_date"
        );
    }

    proptest! {
        #[test]
        fn normalizing_a_serial_twice_changes_nothing(s in "[A-Za-z0-9 ./_-]{1,40}") {
            let once = Serial::normalize(&s);
            prop_assert_eq!(Serial::normalize(&once), once.clone());
        }

        #[test]
        fn a_mobile_number_is_found_however_it_is_written(n in "1[3-9][0-9]{9}", sep in "[ -]?") {
            let typed = format!("+86{sep}{}{sep}{}{sep}{}", &n[..3], &n[3..7], &n[7..]);
            prop_assert_eq!(Phone::digits_of(&typed), n);
        }
    }
}
