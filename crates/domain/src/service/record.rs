//! What a filled service record is (R-DSP-7; issue 13): the record is never put to the
//! customer empty. What the customer signs for must be there — the work done (fault cause
//! and action), the labour hours, whether the test run was done, and the parts used or an
//! explicit "no parts".
//!
//! The one exception of the sources (reference 003: 如故障原因及维修措施需对用户适当隐瞒，则这两栏
//! 可以不填，回到服务中心后再填写): the engineer may mark fault cause and action as "completed
//! at the center". They are then left off the customer's copy and completed the same day by
//! the office or the engineer; the daily reconciliation lists every record still missing them.

use crate::{FieldError, FieldErrors};

/// Labour on one visit: at least a minute, at most a day (1,440 minutes).
pub const LABOR_MINUTES_MIN: i64 = 1;
pub const LABOR_MINUTES_MAX: i64 = 1440;

/// The facts of a record that decide whether it is filled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordFill<'a> {
    pub fault_cause_code: Option<&'a str>,
    pub action_taken: Option<&'a str>,
    /// How many parts are listed.
    pub parts: usize,
    /// The engineer says no part was used.
    pub no_parts: bool,
    pub labor_minutes: Option<i64>,
    /// `None`: not answered yet.
    pub test_run_done: Option<bool>,
    /// Fault cause and action are completed at the center (reference 003).
    pub cause_at_center: bool,
}

fn blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

/// Every gap that keeps a record from the customer's signature, all at once (none: filled).
/// Field names are the record's (`fault_cause_code`, `action_taken`, `parts`, `no_parts`,
/// `labor_minutes`, `test_run_done`).
pub fn record_gaps(r: &RecordFill<'_>) -> FieldErrors {
    let mut errs = FieldErrors::new();
    if !r.cause_at_center {
        if blank(r.fault_cause_code) {
            errs.push(FieldError::new("fault_cause_code", "cause_or_center"));
        }
        if blank(r.action_taken) {
            errs.push(FieldError::new("action_taken", "action_or_center"));
        }
    }
    match (r.parts, r.no_parts) {
        (0, false) => errs.push(FieldError::new("parts", "parts_or_none")),
        (n, true) if n > 0 => errs.push(FieldError::new("no_parts", "parts_and_no_parts")),
        _ => {}
    }
    match r.labor_minutes {
        None => errs.push(FieldError::new("labor_minutes", "required")),
        Some(m) if !(LABOR_MINUTES_MIN..=LABOR_MINUTES_MAX).contains(&m) => errs.push(
            FieldError::new("labor_minutes", "out_of_range")
                .with("min", LABOR_MINUTES_MIN)
                .with("max", LABOR_MINUTES_MAX),
        ),
        Some(_) => {}
    }
    if r.test_run_done.is_none() {
        errs.push(FieldError::new("test_run_done", "answer_required"));
    }
    errs
}

/// Whether the record is filled (no gaps).
pub fn record_filled(r: &RecordFill<'_>) -> bool {
    record_gaps(r).is_empty()
}

/// Whether fault cause and action still wait for the center: marked so, and not completed.
pub fn awaits_center(cause_at_center: bool, completed_at_center: bool) -> bool {
    cause_at_center && !completed_at_center
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(r: &RecordFill<'_>) -> Vec<(String, &'static str)> {
        record_gaps(r)
            .0
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    fn filled() -> RecordFill<'static> {
        RecordFill {
            fault_cause_code: Some("C-AC-CAP"),
            action_taken: Some("更换启动电容"),
            parts: 1,
            no_parts: false,
            labor_minutes: Some(90),
            test_run_done: Some(false),
            cause_at_center: false,
        }
    }

    #[test]
    fn a_blank_record_names_every_gap_at_once() {
        assert_eq!(
            codes(&RecordFill::default()),
            [
                ("fault_cause_code".to_owned(), "cause_or_center"),
                ("action_taken".to_owned(), "action_or_center"),
                ("parts".to_owned(), "parts_or_none"),
                ("labor_minutes".to_owned(), "required"),
                ("test_run_done".to_owned(), "answer_required"),
            ]
        );
        assert!(!record_filled(&RecordFill::default()));
    }

    #[test]
    fn a_filled_record_has_no_gaps_and_a_test_run_not_done_is_an_answer() {
        assert!(record_filled(&filled()));
        let none = RecordFill {
            parts: 0,
            no_parts: true,
            test_run_done: Some(true),
            ..filled()
        };
        assert!(record_filled(&none));
    }

    #[test]
    fn blank_text_and_out_of_bounds_hours_are_gaps() {
        let r = RecordFill {
            fault_cause_code: Some("  "),
            action_taken: Some("\n"),
            labor_minutes: Some(0),
            ..filled()
        };
        assert_eq!(
            codes(&r),
            [
                ("fault_cause_code".to_owned(), "cause_or_center"),
                ("action_taken".to_owned(), "action_or_center"),
                ("labor_minutes".to_owned(), "out_of_range"),
            ]
        );
        let long = RecordFill {
            labor_minutes: Some(LABOR_MINUTES_MAX + 1),
            ..filled()
        };
        assert_eq!(codes(&long), [("labor_minutes".to_owned(), "out_of_range")]);
    }

    #[test]
    fn parts_and_no_parts_contradict() {
        let r = RecordFill {
            no_parts: true,
            ..filled()
        };
        assert_eq!(codes(&r), [("no_parts".to_owned(), "parts_and_no_parts")]);
    }

    #[test]
    fn cause_and_action_may_wait_for_the_center_but_nothing_else() {
        let r = RecordFill {
            fault_cause_code: None,
            action_taken: None,
            cause_at_center: true,
            ..filled()
        };
        assert!(record_filled(&r));
        let r = RecordFill {
            cause_at_center: true,
            ..RecordFill::default()
        };
        assert_eq!(
            codes(&r),
            [
                ("parts".to_owned(), "parts_or_none"),
                ("labor_minutes".to_owned(), "required"),
                ("test_run_done".to_owned(), "answer_required"),
            ]
        );
        assert!(awaits_center(true, false));
        assert!(!awaits_center(true, true));
        assert!(!awaits_center(false, false));
    }
}
