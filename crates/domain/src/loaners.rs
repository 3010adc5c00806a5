//! Loaner units (备用机/周转机, R-PRT-6, R-DSP-5, R-SLA-1; docs/loaners.md): a pool of
//! serial-numbered units owned by a unit of the network, lent to a customer against a
//! service request while their own unit is repaired, and taken back with an inspection.
//!
//! Decisions, with reasons:
//! - A loaner is `available`, `on_loan`, `in_repair` (came back damaged) or `retired`
//!   (came back unusable, or taken out of the pool). Only an available loaner is issued;
//!   only a loaner on loan is returned. Issuing and returning are the state machine's
//!   steps ([`LoanerStatus::step`]), so no caller decides a state by itself. A loaner in
//!   repair goes back to the pool when fixed; one available or in repair may be retired
//!   by hand (never one on loan: it comes back first).
//! - The condition found at the return decides where the loaner goes: good → available,
//!   damaged → in repair, unusable → retired. Missing accessories are recorded on the loan
//!   and do not by themselves keep the loaner out of the pool (the keeper writes what is
//!   missing in the note).
//! - The expected return date is a day of the site's calendar, from today to a year
//!   ahead ([`check_expected_return`]); a loan is overdue from the day after it
//!   ([`is_overdue`]): the customer has the whole expected day to bring it back.
//! - A loaner's history is its own append-only log ([`LoanerEventKind`]); the loans say
//!   who had it when, and are completed once at the return, never rewritten.

use crate::service::named_enum;
use crate::validation::FieldError;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How far ahead an expected return date may lie.
pub const MAX_LOAN_DAYS: i32 = 365;
/// Bounds of the text fields.
pub const MAX_SERIAL_CHARS: usize = 40;
pub const MAX_MODEL_CHARS: usize = 100;
pub const MAX_NOTE_CHARS: usize = 1000;
pub const MAX_ACCESSORIES: usize = 20;
pub const MAX_ACCESSORY_CHARS: usize = 60;

named_enum!(
    /// Where a loaner stands (the `loaners.status` column).
    LoanerStatus {
        /// 在库: in the pool, may be issued.
        Available => "available",
        /// 借出: with a customer.
        OnLoan => "on_loan",
        /// 维修中: came back damaged.
        InRepair => "in_repair",
        /// 报废: came back unusable, or taken out of the pool.
        Retired => "retired",
    }
);

named_enum!(
    /// The state a loaner came back in, found by the inspection at the return.
    ReturnCondition {
        Good => "good",
        Damaged => "damaged",
        Unusable => "unusable",
    }
);

named_enum!(
    /// The kinds of entries of a loaner's history (the `loaner_events.kind` column).
    LoanerEventKind {
        Registered => "registered",
        Issued => "issued",
        Returned => "returned",
        /// The owner was told the loan is overdue (once per loan).
        OverdueAlerted => "overdue_alerted",
        /// Repaired: back in the pool.
        Repaired => "repaired",
        /// Taken out of the pool by hand.
        Retired => "retired",
    }
);

/// A step of a loaner's state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanerAction {
    Issue,
    Return(ReturnCondition),
    /// A loaner in repair is fixed: back in the pool.
    Repaired,
    /// Taken out of the pool (not while it is on loan: it comes back first).
    Retire,
}

/// Why a step is refused: the stable codes of the 409 answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanerRefusal {
    /// Only an available loaner is issued.
    NotAvailable,
    /// Only a loaner on loan comes back.
    NotOnLoan,
    /// Only a loaner in repair is repaired.
    NotInRepair,
    /// A loaner on loan or retired already is not retired.
    NotRetirable,
}

impl LoanerRefusal {
    pub fn code(self) -> &'static str {
        match self {
            LoanerRefusal::NotAvailable => "loaner_not_available",
            LoanerRefusal::NotOnLoan => "loaner_not_on_loan",
            LoanerRefusal::NotInRepair => "loaner_not_in_repair",
            LoanerRefusal::NotRetirable => "loaner_not_retirable",
        }
    }
}

impl LoanerStatus {
    /// The status after `action`, or why it is refused.
    pub fn step(self, action: LoanerAction) -> Result<LoanerStatus, LoanerRefusal> {
        use LoanerStatus as S;
        match (self, action) {
            (S::Available, LoanerAction::Issue) => Ok(S::OnLoan),
            (_, LoanerAction::Issue) => Err(LoanerRefusal::NotAvailable),
            (S::OnLoan, LoanerAction::Return(c)) => Ok(match c {
                ReturnCondition::Good => S::Available,
                ReturnCondition::Damaged => S::InRepair,
                ReturnCondition::Unusable => S::Retired,
            }),
            (_, LoanerAction::Return(_)) => Err(LoanerRefusal::NotOnLoan),
            (S::InRepair, LoanerAction::Repaired) => Ok(S::Available),
            (_, LoanerAction::Repaired) => Err(LoanerRefusal::NotInRepair),
            (S::Available | S::InRepair, LoanerAction::Retire) => Ok(S::Retired),
            (_, LoanerAction::Retire) => Err(LoanerRefusal::NotRetirable),
        }
    }

    pub fn may_issue(self) -> bool {
        self.step(LoanerAction::Issue).is_ok()
    }

    pub fn may_return(self) -> bool {
        self.step(LoanerAction::Return(ReturnCondition::Good))
            .is_ok()
    }

    pub fn may_repair(self) -> bool {
        self.step(LoanerAction::Repaired).is_ok()
    }

    pub fn may_retire(self) -> bool {
        self.step(LoanerAction::Retire).is_ok()
    }
}

/// The expected return date, if it lies from `today` to [`MAX_LOAN_DAYS`] ahead (days of
/// the site's calendar).
pub fn check_expected_return(field: &str, d: Date, today: Date) -> Result<Date, FieldError> {
    if d < today {
        return Err(FieldError::new(field, "before_today"));
    }
    let last = today
        .checked_add(jiff::Span::new().days(MAX_LOAN_DAYS))
        .unwrap_or(today);
    if d > last {
        return Err(FieldError::new(field, "return_too_far").with("max", i64::from(MAX_LOAN_DAYS)));
    }
    Ok(d)
}

/// Whether a loan still out is overdue on `today` (the site's calendar): from the day
/// after the expected return date.
pub fn is_overdue(expected_return: Date, returned: bool, today: Date) -> bool {
    !returned && today > expected_return
}

/// The first day a loan is overdue on.
pub fn overdue_from(expected_return: Date) -> Date {
    expected_return.tomorrow().unwrap_or(expected_return)
}

/// A loaner's serial as stored: trimmed, upper case, spaces and hyphens dropped (as unit
/// serials are), letters and digits only.
pub fn parse_serial(field: &str, raw: &str) -> Result<String, FieldError> {
    let s: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .flat_map(char::to_uppercase)
        .collect();
    if s.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    if s.chars().count() > MAX_SERIAL_CHARS {
        return Err(FieldError::new(field, "too_long").with("max", MAX_SERIAL_CHARS as i64));
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(FieldError::new(field, "serial_chars"));
    }
    Ok(s)
}

/// A required single-line text of at most `max` characters, trimmed.
pub fn parse_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    parse_opt_text(field, Some(s), max).map(Option::unwrap_or_default)
}

/// An optional text of at most `max` characters, trimmed; empty is none.
pub fn parse_opt_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > max {
        return Err(FieldError::new(field, "too_long").with("max", max as i64));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(field, "control_chars"));
    }
    Ok(Some(s.to_owned()))
}

/// The accessories that go with a loaner (charger, remote, cables…): at most
/// [`MAX_ACCESSORIES`], each a short text; blanks dropped, duplicates refused.
pub fn parse_accessories(field: &str, items: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for (i, raw) in items.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let Some(s) = parse_opt_text(&f, Some(raw), MAX_ACCESSORY_CHARS)? else {
            continue;
        };
        if s.contains('\n') {
            return Err(FieldError::new(f, "control_chars"));
        }
        if out.iter().any(|o| o == &s) {
            return Err(FieldError::new(f, "duplicate"));
        }
        out.push(s);
    }
    if out.len() > MAX_ACCESSORIES {
        return Err(FieldError::new(field, "too_many").with("max", MAX_ACCESSORIES as i64));
    }
    Ok(out)
}

impl fmt::Display for LoanerRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn only_an_available_loaner_is_issued_and_only_one_on_loan_comes_back() {
        use LoanerStatus as S;
        assert_eq!(S::Available.step(LoanerAction::Issue), Ok(S::OnLoan));
        for s in [S::OnLoan, S::InRepair, S::Retired] {
            assert_eq!(
                s.step(LoanerAction::Issue),
                Err(LoanerRefusal::NotAvailable),
                "{s}"
            );
            assert!(!s.may_issue());
        }
        for s in [S::Available, S::InRepair, S::Retired] {
            assert_eq!(
                s.step(LoanerAction::Return(ReturnCondition::Good)),
                Err(LoanerRefusal::NotOnLoan),
                "{s}"
            );
            assert!(!s.may_return());
        }
        assert!(S::OnLoan.may_return() && S::Available.may_issue());
    }

    #[test]
    fn a_repaired_loaner_goes_back_to_the_pool_and_one_on_loan_is_not_retired() {
        use LoanerStatus as S;
        assert_eq!(S::InRepair.step(LoanerAction::Repaired), Ok(S::Available));
        for s in [S::Available, S::OnLoan, S::Retired] {
            assert_eq!(
                s.step(LoanerAction::Repaired),
                Err(LoanerRefusal::NotInRepair)
            );
        }
        assert_eq!(S::Available.step(LoanerAction::Retire), Ok(S::Retired));
        assert_eq!(S::InRepair.step(LoanerAction::Retire), Ok(S::Retired));
        for s in [S::OnLoan, S::Retired] {
            assert_eq!(
                s.step(LoanerAction::Retire),
                Err(LoanerRefusal::NotRetirable)
            );
        }
    }

    #[test]
    fn the_condition_at_the_return_decides_where_the_loaner_goes() {
        use LoanerStatus as S;
        use ReturnCondition as C;
        for (c, to) in [
            (C::Good, S::Available),
            (C::Damaged, S::InRepair),
            (C::Unusable, S::Retired),
        ] {
            assert_eq!(S::OnLoan.step(LoanerAction::Return(c)), Ok(to));
        }
    }

    #[test]
    fn the_expected_return_lies_from_today_to_a_year_ahead() {
        let today = date(2026, 3, 2);
        assert_eq!(check_expected_return("d", today, today), Ok(today));
        assert_eq!(
            check_expected_return("d", date(2026, 3, 1), today).map_err(|e| e.code),
            Err("before_today")
        );
        let last = date(2027, 3, 2);
        assert_eq!(check_expected_return("d", last, today), Ok(last));
        assert_eq!(
            check_expected_return("d", date(2027, 3, 3), today).map_err(|e| e.code),
            Err("return_too_far")
        );
    }

    #[test]
    fn a_loan_is_overdue_from_the_day_after_its_expected_return() {
        let due = date(2026, 3, 5);
        assert!(!is_overdue(due, false, date(2026, 3, 5)));
        assert!(is_overdue(due, false, date(2026, 3, 6)));
        assert!(!is_overdue(due, true, date(2026, 3, 9)));
        assert_eq!(overdue_from(due), date(2026, 3, 6));
    }

    #[test]
    fn serials_and_accessories_are_bounded() {
        assert_eq!(parse_serial("s", " ln-2026 001 "), Ok("LN2026001".into()));
        assert_eq!(parse_serial("s", "").map_err(|e| e.code), Err("required"));
        assert_eq!(
            parse_serial("s", "备用机1").map_err(|e| e.code),
            Err("serial_chars")
        );
        assert_eq!(
            parse_serial("s", &"A".repeat(41)).map_err(|e| e.code),
            Err("too_long")
        );
        assert_eq!(
            parse_accessories("a", &["遥控器".into(), " ".into(), "电源线".into()]),
            Ok(vec!["遥控器".to_owned(), "电源线".to_owned()])
        );
        assert_eq!(
            parse_accessories("a", &["x".into(), "x".into()]).map_err(|e| e.field),
            Err("a[1]".to_owned())
        );
        let many: Vec<String> = (0..21).map(|i| format!("part {i}")).collect();
        assert_eq!(
            parse_accessories("a", &many).map_err(|e| e.code),
            Err("too_many")
        );
    }

    #[test]
    fn names_round_trip() {
        for s in LoanerStatus::ALL {
            assert_eq!(LoanerStatus::parse(s.as_str()), Some(*s));
        }
        for c in ReturnCondition::ALL {
            assert_eq!(ReturnCondition::parse(c.as_str()), Some(*c));
        }
        for k in LoanerEventKind::ALL {
            assert_eq!(LoanerEventKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(LoanerStatus::parse("lost"), None);
    }
}
