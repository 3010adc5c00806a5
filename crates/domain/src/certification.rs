//! Engineers' skills and certifications per product line (R-ORG-3): only trained,
//! certified people may be dispatched; partner technicians work only after the
//! manufacturer's training (上岗).
//!
//! Rules, in one place:
//! - A record is for one person and one product line (the text of
//!   `product_models.product_line`, e.g. 空调), compared trimmed and without case.
//! - Levels: `trainee` (in training: a skill on record, never enough for dispatch),
//!   `certified` and `senior` (both count).
//! - A counting record is valid from `issued_on` through `expires_on`, both inclusive:
//!   the expiry date is the last valid day. No `expires_on` means it does not expire.
//! - A partner technician's record is, by construction, the manufacturer's 上岗 training:
//!   only the manufacturer's admins and managers record certifications, never partners.

use crate::installed_base::{parse_opt_text, parse_text};
use crate::validation::FieldError;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertLevel {
    /// 培训中: a skill on record, not yet certified.
    Trainee,
    /// 持证: trained and certified.
    Certified,
    /// 高级: certified at the senior level.
    Senior,
}

impl CertLevel {
    pub const ALL: [CertLevel; 3] = [CertLevel::Trainee, CertLevel::Certified, CertLevel::Senior];

    pub fn as_str(self) -> &'static str {
        match self {
            CertLevel::Trainee => "trainee",
            CertLevel::Certified => "certified",
            CertLevel::Senior => "senior",
        }
    }

    pub fn parse(s: &str) -> Option<CertLevel> {
        Self::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }

    /// Whether this level allows dispatch (when the record is valid on the day).
    pub fn counts(self) -> bool {
        !matches!(self, CertLevel::Trainee)
    }
}

/// What the rules need of one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certification {
    pub product_line: String,
    pub level: CertLevel,
    pub issued_on: Option<Date>,
    /// The last valid day; `None`: does not expire.
    pub expires_on: Option<Date>,
}

/// Product lines are compared trimmed and without case (`空调` = ` 空调 `, `CNC` = `cnc`).
pub fn same_product_line(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Where a person stands for one product line on one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Certified that day; `until` is the last valid day of the longest-running record.
    Certified {
        level: CertLevel,
        until: Option<Date>,
    },
    /// Certified only from a later day.
    NotYetValid { from: Date },
    /// Was certified; the latest record's last valid day has passed.
    Expired { last_day: Date },
    /// In training only.
    TraineeOnly,
    /// Nothing on record for this product line.
    None,
}

impl Standing {
    pub fn code(self) -> &'static str {
        match self {
            Standing::Certified { .. } => "certified",
            Standing::NotYetValid { .. } => "not_yet_valid",
            Standing::Expired { .. } => "expired",
            Standing::TraineeOnly => "trainee_only",
            Standing::None => "none",
        }
    }
}

fn valid_on(c: &Certification, on: Date) -> bool {
    c.issued_on.is_none_or(|from| from <= on) && c.expires_on.is_none_or(|last| on <= last)
}

/// The person's standing for `product_line` on `on`, from all their records.
pub fn standing(certs: &[Certification], product_line: &str, on: Date) -> Standing {
    let line: Vec<&Certification> = certs
        .iter()
        .filter(|c| same_product_line(&c.product_line, product_line))
        .collect();
    let counting = || line.iter().filter(|c| c.level.counts());
    // The best valid record: the highest level, then the one that runs longest.
    if let Some(best) = counting().filter(|c| valid_on(c, on)).max_by_key(|c| {
        (
            c.level,
            c.expires_on.is_none(),
            c.expires_on.unwrap_or(Date::MIN),
        )
    }) {
        return Standing::Certified {
            level: best.level,
            until: best.expires_on,
        };
    }
    if let Some(from) = counting()
        .filter_map(|c| c.issued_on.filter(|d| *d > on))
        .min()
    {
        return Standing::NotYetValid { from };
    }
    if let Some(last_day) = counting().filter_map(|c| c.expires_on).max() {
        return Standing::Expired { last_day };
    }
    if line.is_empty() {
        Standing::None
    } else {
        Standing::TraineeOnly
    }
}

/// Whether the person may be dispatched for `product_line` on `on` (R-ORG-3).
pub fn is_certified(certs: &[Certification], product_line: &str, on: Date) -> bool {
    matches!(
        standing(certs, product_line, on),
        Standing::Certified { .. }
    )
}

/// How near a record is to its end, for highlighting and for the managers' list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// No expiry date.
    Never,
    /// More than the warning window left.
    Valid { days_left: i64 },
    /// The last valid day is within the warning window (today included).
    Soon { days_left: i64 },
    /// The last valid day has passed.
    Expired { days_ago: i64 },
}

impl Expiry {
    /// Which of the four it is, without the days.
    pub fn state(self) -> ExpiryState {
        match self {
            Expiry::Never => ExpiryState::Never,
            Expiry::Valid { .. } => ExpiryState::Valid,
            Expiry::Soon { .. } => ExpiryState::Soon,
            Expiry::Expired { .. } => ExpiryState::Expired,
        }
    }

    pub fn code(self) -> &'static str {
        self.state().as_str()
    }
}

/// [`Expiry`] without its days, as the API names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryState {
    Never,
    Valid,
    Soon,
    Expired,
}

impl ExpiryState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryState::Never => "never",
            ExpiryState::Valid => "valid",
            ExpiryState::Soon => "soon",
            ExpiryState::Expired => "expired",
        }
    }
}

impl std::fmt::Display for ExpiryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The warning window of the pages: expiring within this many days is highlighted.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Where a record with `expires_on` stands `today`: `days_left` is 0 on the last valid day.
pub fn expiry(expires_on: Option<Date>, today: Date, warn_days: i64) -> Expiry {
    let Some(last) = expires_on else {
        return Expiry::Never;
    };
    // Between two civil dates the span is in whole days (jiff's default largest unit).
    let days = today
        .until(last)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(0);
    if days < 0 {
        Expiry::Expired { days_ago: -days }
    } else if days <= warn_days {
        Expiry::Soon { days_left: days }
    } else {
        Expiry::Valid { days_left: days }
    }
}

/// The parsed input of one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificationInput {
    pub product_line: String,
    pub level: CertLevel,
    pub number: Option<String>,
    pub issued_on: Option<Date>,
    pub expires_on: Option<Date>,
    pub issuer: Option<String>,
}

pub fn parse_product_line(field: &str, raw: &str) -> Result<String, FieldError> {
    parse_text(field, raw, 50)
}

pub fn parse_level(field: &str, raw: &str) -> Result<CertLevel, FieldError> {
    CertLevel::parse(raw).ok_or_else(|| FieldError::new(field, "invalid_choice"))
}

/// A certificate number (证书编号): up to 64 characters, optional.
pub fn parse_number(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    parse_opt_text(field, raw, 64)
}

/// The trainer or issuing body (培训/发证单位), optional.
pub fn parse_issuer(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    parse_opt_text(field, raw, 100)
}

/// What the fields of a record must say together, as (field, code) of the first problem:
/// a counting level needs the day it was issued; it cannot expire before it was issued.
/// The first is missing input (422), the second contradicting dates (409, like contracts).
pub fn check_dates(input: &CertificationInput) -> Result<(), DateProblem> {
    if input.level.counts() && input.issued_on.is_none() {
        return Err(DateProblem::IssuedOnRequired);
    }
    if let (Some(from), Some(last)) = (input.issued_on, input.expires_on)
        && last < from
    {
        return Err(DateProblem::ExpiresBeforeIssued);
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateProblem {
    IssuedOnRequired,
    ExpiresBeforeIssued,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cert(line: &str, level: CertLevel, from: Option<Date>, last: Option<Date>) -> Certification {
        Certification {
            product_line: line.into(),
            level,
            issued_on: from,
            expires_on: last,
        }
    }

    #[test]
    fn validity_is_inclusive_of_the_issue_day_and_the_expiry_day() {
        use CertLevel::*;
        let issued = date(2025, 3, 1);
        let last = date(2026, 2, 28);
        let certs = [cert("空调", Certified, Some(issued), Some(last))];
        // (day, product line, certified?)
        let table: &[(Date, &str, bool)] = &[
            (date(2025, 2, 28), "空调", false), // the day before issue
            (issued, "空调", true),             // the issue day
            (date(2025, 9, 1), "空调", true),
            (last, "空调", true), // the expiry day is the last valid day
            (date(2026, 3, 1), "空调", false), // the day after
            (date(2025, 9, 1), "电梯", false), // another product line
            (date(2025, 9, 1), " 空调 ", true), // trimmed
        ];
        for (day, line, expected) in table {
            assert_eq!(is_certified(&certs, line, *day), *expected, "{day} {line}");
        }
    }

    #[test]
    fn standing_tells_why_someone_is_not_certified() {
        use CertLevel::*;
        let on = date(2026, 6, 1);
        let table: &[(&[Certification], Standing)] = &[
            (&[], Standing::None),
            (
                &[cert("电梯", Senior, Some(date(2020, 1, 1)), None)],
                Standing::None,
            ),
            (
                &[cert("空调", Trainee, Some(date(2026, 1, 1)), None)],
                Standing::TraineeOnly,
            ),
            (
                &[cert("空调", Certified, Some(date(2026, 6, 2)), None)],
                Standing::NotYetValid {
                    from: date(2026, 6, 2),
                },
            ),
            (
                &[
                    cert(
                        "空调",
                        Certified,
                        Some(date(2024, 1, 1)),
                        Some(date(2025, 12, 31)),
                    ),
                    cert(
                        "空调",
                        Certified,
                        Some(date(2023, 1, 1)),
                        Some(date(2024, 12, 31)),
                    ),
                ],
                Standing::Expired {
                    last_day: date(2025, 12, 31),
                },
            ),
            (
                &[cert(
                    "空调",
                    Certified,
                    Some(date(2026, 1, 1)),
                    Some(date(2026, 6, 1)),
                )],
                Standing::Certified {
                    level: Certified,
                    until: Some(date(2026, 6, 1)),
                },
            ),
            // A trainee record next to an expired certificate: the expiry is the story.
            (
                &[
                    cert("空调", Trainee, None, None),
                    cert(
                        "空调",
                        Certified,
                        Some(date(2024, 1, 1)),
                        Some(date(2025, 1, 1)),
                    ),
                ],
                Standing::Expired {
                    last_day: date(2025, 1, 1),
                },
            ),
            // The best valid record wins: senior over certified, no expiry over an expiry.
            (
                &[
                    cert("空调", Certified, Some(date(2026, 1, 1)), None),
                    cert(
                        "空调",
                        Senior,
                        Some(date(2026, 1, 1)),
                        Some(date(2027, 1, 1)),
                    ),
                ],
                Standing::Certified {
                    level: Senior,
                    until: Some(date(2027, 1, 1)),
                },
            ),
            (&[cert("CNC", Certified, None, None)], Standing::None),
        ];
        for (certs, expected) in table {
            assert_eq!(standing(certs, "空调", on), *expected, "{certs:?}");
        }
        assert_eq!(
            standing(&[cert("CNC", Certified, None, None)], "cnc", on).code(),
            "certified",
            "case does not matter"
        );
    }

    #[test]
    fn a_trainee_is_never_certified_whatever_the_dates() {
        let certs = [cert(
            "空调",
            CertLevel::Trainee,
            Some(date(2020, 1, 1)),
            Some(date(2030, 1, 1)),
        )];
        assert!(!is_certified(&certs, "空调", date(2025, 1, 1)));
    }

    #[test]
    fn expiry_counts_days_to_the_last_valid_day() {
        let today = date(2026, 6, 1);
        let table: &[(Option<Date>, Expiry)] = &[
            (None, Expiry::Never),
            (Some(date(2026, 6, 1)), Expiry::Soon { days_left: 0 }),
            (Some(date(2026, 7, 1)), Expiry::Soon { days_left: 30 }),
            (Some(date(2026, 7, 2)), Expiry::Valid { days_left: 31 }),
            (Some(date(2026, 5, 31)), Expiry::Expired { days_ago: 1 }),
            (Some(date(2024, 6, 1)), Expiry::Expired { days_ago: 730 }),
            (Some(date(2028, 6, 1)), Expiry::Valid { days_left: 731 }),
        ];
        for (last, expected) in table {
            assert_eq!(expiry(*last, today, 30), *expected, "{last:?}");
        }
        assert_eq!(Expiry::Soon { days_left: 3 }.code(), "soon");
        assert_eq!(
            serde_json::to_value(Expiry::Expired { days_ago: 2 }.state()).expect("name"),
            serde_json::json!("expired")
        );
    }

    #[test]
    fn a_counting_level_needs_an_issue_day_and_cannot_expire_before_it() {
        let base = CertificationInput {
            product_line: "空调".into(),
            level: CertLevel::Certified,
            number: None,
            issued_on: Some(date(2026, 1, 1)),
            expires_on: Some(date(2026, 1, 1)),
            issuer: None,
        };
        assert_eq!(check_dates(&base), Ok(()), "one valid day is enough");
        let without = CertificationInput {
            issued_on: None,
            ..base.clone()
        };
        assert_eq!(check_dates(&without), Err(DateProblem::IssuedOnRequired));
        let trainee = CertificationInput {
            level: CertLevel::Trainee,
            ..without
        };
        assert_eq!(check_dates(&trainee), Ok(()));
        let backwards = CertificationInput {
            expires_on: Some(date(2025, 12, 31)),
            ..base
        };
        assert_eq!(
            check_dates(&backwards),
            Err(DateProblem::ExpiresBeforeIssued)
        );
    }

    #[test]
    fn levels_round_trip_and_only_certified_levels_count() {
        for l in CertLevel::ALL {
            assert_eq!(CertLevel::parse(l.as_str()), Some(l));
        }
        assert_eq!(CertLevel::parse("expert"), None);
        assert!(!CertLevel::Trainee.counts());
        assert!(CertLevel::Certified.counts() && CertLevel::Senior.counts());
        assert!(CertLevel::Senior > CertLevel::Certified);
    }
}
