//! The record form's reading and the appointment's local times.

use super::order::{RecordForm, hours_of};
use super::steps::local_instant;

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn the_record_form_reads_rows_hours_and_ticks() {
    let f = RecordForm::from_pairs(&pairs(&[
        ("version", "3"),
        ("diagnosis", "电容坏"),
        ("parts.0.part_no", "C-35"),
        ("parts.0.name", "电容"),
        ("parts.0.qty", ""),
        ("parts.1.part_no", ""),
        ("parts.1.name", ""),
        ("parts.1.qty", ""),
        ("parts.2.name", "螺丝"),
        ("parts.2.qty", "4"),
        ("labor_hours", "1,5"),
        ("test_run_done", "1"),
        ("rating_quality", "5"),
        ("no_parts", "1"),
        ("cause_at_center", "1"),
    ]));
    assert_eq!(f.parts.len(), 2, "the empty row is dropped");
    let (i, errs) = f.input(true);
    assert!(errs.is_empty(), "{errs:?}");
    assert!(i.ready && i.no_parts && i.cause_at_center);
    assert_eq!(i.version, 3);
    assert_eq!(i.labor_minutes, Some(90));
    assert_eq!(i.parts[0].qty, 1, "a named part without a quantity is one");
    assert_eq!(i.parts[0].part_no.as_deref(), Some("C-35"));
    assert_eq!(i.parts[1].qty, 4);
    assert_eq!(i.test_run_done, Some(true));
    assert_eq!(i.customer_trained, Some(false));
    assert_eq!(i.rating_quality, Some(5));
    assert_eq!(i.rating_attitude, None);
    assert_eq!(i.fault_cause_code, None);
    let bad = RecordForm {
        labor_hours: "25".into(),
        ..RecordForm::default()
    };
    let (i, errs) = bad.input(false);
    assert_eq!(errs.0[0].field, "labor_hours");
    assert_eq!(i.labor_minutes, None, "refused hours are left out");
    assert!(!i.ready);
    // The test run: yes, no, or not answered.
    for (v, want) in [("1", Some(true)), ("0", Some(false)), ("", None)] {
        let f = RecordForm::from_pairs(&pairs(&[("test_run_done", v)]));
        assert_eq!(f.input(false).0.test_run_done, want, "{v:?}");
    }
    assert_eq!(hours_of(90), "1.5");
    assert_eq!(hours_of(45), "0.75");
    assert_eq!(hours_of(120), "2");
    assert_eq!(hours_of(20), "0.33");
}

#[test]
fn local_times_become_instants_in_the_service_zone() {
    assert_eq!(local_instant("2026-11-30", "09:00"), "2026-11-30T01:00:00Z");
    // The picker's text and what people type without it.
    assert_eq!(local_instant("2026/11/30", "9：00"), "2026-11-30T01:00:00Z");
    assert_eq!(local_instant("2026-11-30", "0900"), "2026-11-30T01:00:00Z");
    // Not a time: passed on as typed, so the use-case says "not a time", not "missing".
    assert_eq!(local_instant("2026-11-30", "9点"), "2026-11-30 9点");
    assert_eq!(local_instant("2026-11-30", "2:30 PM"), "2026-11-30 2:30 PM");
    assert_eq!(local_instant("", "09:00"), "09:00");
    assert_eq!(local_instant("2026-11-30", " "), "");
}
