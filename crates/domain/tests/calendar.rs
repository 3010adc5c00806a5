//! Due times across the 2026 national schedule (国务院办公厅关于2026年部分节假日安排的通知,
//! typed in crates/domain/data/holidays/cn-2026.toml), weekends, a day's end, pauses, and zones with
//! daylight saving; and the properties every clock must keep.

use aftersales_domain::calendar::{Calendar, DayKind, Hours, Pause, Span, SpecialDays, TraceStep};
use aftersales_domain::holidays::{self, Format};
use aftersales_domain::ids::{UserId, WorkOrderId};
use aftersales_domain::locale::Locale;
use aftersales_domain::service::{
    Appointment, Assignment, Channel, Creation, FieldStep, Outcome, Priority, RequestEvent,
    RequestKind, RequestStatus, Resolution, WaitReason, WoStatus,
};
use aftersales_domain::sla::{self, ClockState, LogEvent, Milestone, SlaState, Target};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

const NOTICE_TOML: &str = include_str!("../data/holidays/cn-2026.toml");
const NOTICE_CSV: &str = include_str!("data/cn-2026.csv");
const NOTICE_ICS: &str = include_str!("data/cn-2026.ics");

fn cn2026() -> SpecialDays {
    holidays::parse_set(Format::Toml, NOTICE_TOML).expect("the notice parses")
}

fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").expect("zone")
}

fn new_york() -> TimeZone {
    TimeZone::get("America/New_York").expect("zone")
}

/// Mon–Fri 09:00–19:30 with the 2026 schedule, Asia/Shanghai.
fn workdays() -> Calendar {
    Calendar {
        name: "工作日 09:00–19:30".into(),
        tz: shanghai(),
        hours: Hours::weekly(
            &[0, 1, 2, 3, 4],
            &[Span::parse("09:00-19:30").expect("span")],
        ),
        special: cn2026(),
    }
}

/// A local wall time in `tz`.
fn local(tz: &TimeZone, s: &str) -> Timestamp {
    let dt: DateTime = s.replace(' ', "T").parse().expect("datetime");
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .expect("zoned")
        .timestamp()
}

fn sh(s: &str) -> Timestamp {
    local(&shanghai(), s)
}

fn show(tz: &TimeZone, t: Timestamp) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

fn due(cal: &Calendar, start: &str, minutes: i64, pauses: &[Pause]) -> String {
    let walk = cal
        .add_working_time(
            local(&cal.tz, start),
            SignedDuration::from_mins(minutes),
            pauses,
        )
        .expect("walk");
    show(&cal.tz, walk.due.expect("a due time"))
}

fn pause(tz: &TimeZone, from: &str, to: Option<&str>, reason: &str) -> Pause {
    Pause {
        from: local(tz, from),
        to: to.map(|t| local(tz, t)),
        reason: reason.into(),
    }
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

#[test]
fn the_notice_reads_the_same_from_toml_csv_and_ics() {
    let toml = cn2026();
    let csv = holidays::parse_set(Format::Csv, NOTICE_CSV).expect("csv");
    let ics = holidays::parse_set(Format::Ics, NOTICE_ICS).expect("ics");
    assert_eq!(toml, csv);
    assert_eq!(toml, ics);
    // 3 + 9 + 3 + 5 + 3 + 3 + 7 days off; 1 + 2 + 1 + 2 make-up workdays.
    let off = toml.iter().filter(|d| d.kind == DayKind::Holiday).count();
    let work = toml.iter().filter(|d| d.kind == DayKind::Workday).count();
    assert_eq!((off, work), (33, 6));
    let feb14 = toml.get(d("2026-02-14")).expect("listed");
    assert_eq!(
        (feb14.kind, feb14.name.as_str()),
        (DayKind::Workday, "春节")
    );
    assert_eq!(
        toml.get(d("2026-10-07")).map(|x| x.kind),
        Some(DayKind::Holiday)
    );
    assert_eq!(toml.get(d("2026-10-08")), None);
    // The export reads back as it was.
    let again = holidays::parse_set(Format::Csv, &holidays::to_csv(&toml)).expect("round trip");
    assert_eq!(again, toml);
}

#[test]
fn a_bad_file_names_each_bad_line_and_gives_nothing() {
    let bad = "date,kind,name\n2026-02-30,holiday,春节\n2026-03-01,maybe,春节\n2026-03-02,holiday,\n2026-10-01,holiday,国庆节\n2026-10-01,workday,国庆节\n";
    let problems = holidays::parse(Format::Csv, bad).expect_err("problems");
    let got: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.code)).collect();
    assert_eq!(
        got,
        vec![(2, "bad_date"), (3, "bad_kind"), (4, "missing_name")]
    );
    let dup = holidays::parse(
        Format::Csv,
        "date,kind,name\n2026-10-01,holiday,国庆节\n2026-10-01,workday,国庆节\n",
    )
    .expect_err("duplicate");
    assert_eq!((dup[0].line, dup[0].code), (3, "duplicate_date"));
    let toml = holidays::parse(
        Format::Toml,
        "[[festival]]\nname = \"春节\"\noff = \"2026-02-23..2026-02-15\"\n",
    )
    .expect_err("reversed range");
    assert_eq!((toml[0].line, toml[0].code), (2, "bad_date"));
    assert!(holidays::parse(Format::Toml, "[[festival]]\nnam = \"x\"\n").is_err());
    assert!(holidays::parse(Format::Csv, "day,what\n2026-01-01,x\n").is_err());
}

#[test]
fn the_example_of_the_issue_spring_festival_with_a_make_up_workday() {
    let cal = workdays();
    // Fri 17:00–19:30 (2.5 h) + Sat 02-14 worked (10.5 h) + 02-15..23 off + Tue 09:00–10:30.
    let start = sh("2026-02-13 17:00");
    let walk = cal
        .add_working_time(start, SignedDuration::from_mins(870), &[])
        .expect("walk");
    assert_eq!(
        show(&cal.tz, walk.due.expect("due")),
        "2026-02-24 10:30 CST"
    );
    assert_eq!(
        walk.trace,
        vec![
            TraceStep::Started {
                at: start,
                calendar: "工作日 09:00–19:30".into(),
                working: true,
                counts_from: None
            },
            TraceStep::MakeupCounted {
                date: d("2026-02-14"),
                name: "春节".into()
            },
            TraceStep::HolidaysSkipped {
                from: d("2026-02-15"),
                to: d("2026-02-23"),
                name: "春节".into()
            },
        ]
    );
    // 45 minutes waiting for parts on the make-up day: the same due time needs 45 min less.
    let p = pause(
        &cal.tz,
        "2026-02-14 10:00",
        Some("2026-02-14 10:45"),
        "parts",
    );
    assert_eq!(
        due(&cal, "2026-02-13 17:00", 825, std::slice::from_ref(&p)),
        "2026-02-24 10:30 CST"
    );
    let walk = cal
        .add_working_time(start, SignedDuration::from_mins(825), &[p])
        .expect("walk");
    assert!(walk.trace.contains(&TraceStep::Paused {
        from: sh("2026-02-14 10:00"),
        to: Some(sh("2026-02-14 10:45")),
        reason: "parts".into(),
        working_seconds: 45 * 60
    }));
}

#[test]
fn due_times_across_the_2026_schedule() {
    let cal = workdays();
    let cases: &[(&str, &str, i64, &str)] = &[
        // (what, start, minutes, due)
        (
            "a day's end",
            "2026-03-02 18:00",
            240,
            "2026-03-03 11:30 CST",
        ),
        (
            "ends exactly at closing",
            "2026-03-02 18:00",
            90,
            "2026-03-02 19:30 CST",
        ),
        (
            "one more minute is tomorrow",
            "2026-03-02 18:00",
            91,
            "2026-03-03 09:01 CST",
        ),
        ("a weekend", "2026-03-06 18:00", 240, "2026-03-09 11:30 CST"),
        (
            "started on a Saturday",
            "2026-03-07 10:00",
            60,
            "2026-03-09 10:00 CST",
        ),
        (
            "started before opening",
            "2026-03-02 07:15",
            30,
            "2026-03-02 09:30 CST",
        ),
        (
            "started after closing",
            "2026-03-02 21:00",
            30,
            "2026-03-03 09:30 CST",
        ),
        (
            "New Year: 01-01..03 off, Sunday 01-04 worked",
            "2025-12-31 18:00",
            180,
            "2026-01-04 10:30 CST",
        ),
        (
            "Qingming: 04-04..06 off",
            "2026-04-03 19:00",
            60,
            "2026-04-07 09:30 CST",
        ),
        (
            "Labour Day: 05-01..05 off, Saturday 05-09 worked",
            "2026-05-08 19:00",
            60,
            "2026-05-09 09:30 CST",
        ),
        (
            "Labour Day from Thursday",
            "2026-04-30 19:00",
            60,
            "2026-05-06 09:30 CST",
        ),
        (
            "Dragon Boat: 06-19..21 off",
            "2026-06-18 19:00",
            60,
            "2026-06-22 09:30 CST",
        ),
        (
            "Sunday 09-20 worked before National Day",
            "2026-09-18 19:00",
            60,
            "2026-09-20 09:30 CST",
        ),
        (
            "Mid-Autumn: 09-25..27 off",
            "2026-09-24 19:00",
            60,
            "2026-09-28 09:30 CST",
        ),
        (
            "National Day and Saturday 10-10 worked",
            "2026-09-29 17:00",
            35 * 60,
            "2026-10-10 10:00 CST",
        ),
        (
            "a normal Saturday is not worked",
            "2026-10-16 19:00",
            60,
            "2026-10-19 09:30 CST",
        ),
    ];
    for (what, start, minutes, want) in cases {
        assert_eq!(&due(&cal, start, *minutes, &[]), want, "{what}");
    }
}

#[test]
fn a_trace_names_rest_days_and_the_first_counting_instant() {
    let cal = workdays();
    let walk = cal
        .add_working_time(sh("2026-03-07 10:00"), SignedDuration::from_mins(60), &[])
        .expect("walk");
    assert_eq!(
        walk.trace,
        vec![
            TraceStep::Started {
                at: sh("2026-03-07 10:00"),
                calendar: cal.name.clone(),
                working: false,
                counts_from: Some(sh("2026-03-09 09:00"))
            },
            TraceStep::RestDaysSkipped {
                from: d("2026-03-07"),
                to: d("2026-03-08")
            },
        ]
    );
}

#[test]
fn pauses_inside_and_outside_working_time() {
    let cal = workdays();
    let tz = cal.tz.clone();
    // Outside working time: changes nothing.
    let night = pause(
        &tz,
        "2026-03-02 20:00",
        Some("2026-03-02 22:00"),
        "customer",
    );
    assert_eq!(
        due(&cal, "2026-03-02 18:00", 240, &[night]),
        "2026-03-03 11:30 CST"
    );
    // Inside: moves the due time by its length.
    let inside = pause(
        &tz,
        "2026-03-02 18:30",
        Some("2026-03-02 19:00"),
        "customer",
    );
    assert_eq!(
        due(&cal, "2026-03-02 18:00", 240, &[inside]),
        "2026-03-03 12:00 CST"
    );
    // Over the night: only its working part (19:00–19:30 and 09:00–10:00) counts.
    let overnight = pause(&tz, "2026-03-02 19:00", Some("2026-03-03 10:00"), "parts");
    assert_eq!(
        due(
            &cal,
            "2026-03-02 18:00",
            240,
            std::slice::from_ref(&overnight)
        ),
        "2026-03-03 13:00 CST"
    );
    // Overlapping pauses count once.
    let overlap = pause(
        &tz,
        "2026-03-03 09:30",
        Some("2026-03-03 09:45"),
        "customer",
    );
    assert_eq!(
        due(&cal, "2026-03-02 18:00", 240, &[overlap, overnight]),
        "2026-03-03 13:00 CST"
    );
    // A pause that has not ended holds the clock: no due time, 3.5 h left.
    let open = pause(&tz, "2026-03-02 18:30", None, "customer");
    let walk = cal
        .add_working_time(
            sh("2026-03-02 18:00"),
            SignedDuration::from_mins(240),
            &[open],
        )
        .expect("walk");
    assert_eq!((walk.due, walk.remaining_seconds), (None, 210 * 60));
    // A pause after the due time changes nothing and is not in the trace.
    let late = pause(&tz, "2026-03-03 12:00", None, "customer");
    let walk = cal
        .add_working_time(
            sh("2026-03-02 18:00"),
            SignedDuration::from_mins(240),
            &[late],
        )
        .expect("walk");
    assert_eq!(show(&tz, walk.due.expect("due")), "2026-03-03 11:30 CST");
    assert!(
        !walk
            .trace
            .iter()
            .any(|s| matches!(s, TraceStep::Paused { .. }))
    );
}

#[test]
fn seven_by_twenty_four_ignores_holidays() {
    let cal = Calendar::always("7×24", shanghai());
    assert_eq!(
        due(&cal, "2026-02-13 17:00", 24 * 60, &[]),
        "2026-02-14 17:00 CST"
    );
    assert_eq!(
        due(&cal, "2026-02-15 03:00", 60, &[]),
        "2026-02-15 04:00 CST"
    );
    let p = pause(
        &cal.tz,
        "2026-02-15 03:10",
        Some("2026-02-15 03:40"),
        "customer",
    );
    assert_eq!(
        due(&cal, "2026-02-15 03:00", 60, &[p]),
        "2026-02-15 04:30 CST"
    );
}

#[test]
fn daylight_saving_in_new_york() {
    let tz = new_york();
    let always = Calendar::always("24/7", tz.clone());
    // Spring forward on 2026-03-08: six hours from 22:00 read 05:00 on the wall.
    assert_eq!(
        due(&always, "2026-03-07 22:00", 360, &[]),
        "2026-03-08 05:00 EDT"
    );
    // Fall back on 2026-11-01: four hours from 23:00 read 02:00.
    assert_eq!(
        due(&always, "2026-10-31 23:00", 240, &[]),
        "2026-11-01 02:00 EST"
    );
    // A calendar of whole days: the 23-hour and the 25-hour day.
    let days = Calendar {
        name: "every day".into(),
        tz: tz.clone(),
        hours: Hours::weekly(
            &[0, 1, 2, 3, 4, 5, 6],
            &[Span::parse("00:00-24:00").expect("span")],
        ),
        special: SpecialDays::default(),
    };
    assert_eq!(
        due(&days, "2026-03-08 00:00", 23 * 60, &[]),
        "2026-03-09 00:00 EDT"
    );
    assert_eq!(
        due(&days, "2026-11-01 00:00", 24 * 60, &[]),
        "2026-11-01 23:00 EST"
    );
    // Working hours keep their wall times across the change: Friday 16:00 EST + 2 h is
    // Monday 10:00 EDT (14:00 UTC, not 15:00).
    let office = Calendar {
        name: "office".into(),
        tz: tz.clone(),
        hours: Hours::weekly(
            &[0, 1, 2, 3, 4],
            &[Span::parse("09:00-17:00").expect("span")],
        ),
        special: SpecialDays::default(),
    };
    let walk = office
        .add_working_time(
            local(&tz, "2026-03-06 16:00"),
            SignedDuration::from_mins(120),
            &[],
        )
        .expect("walk");
    let monday = walk.due.expect("due");
    assert_eq!(show(&tz, monday), "2026-03-09 10:00 EDT");
    assert_eq!(monday.to_string(), "2026-03-09T14:00:00Z");
    // A span that starts inside the skipped hour starts after the gap.
    let night = Calendar {
        name: "night".into(),
        tz: tz.clone(),
        hours: Hours::weekly(&[6], &[Span::parse("02:30-04:00").expect("span")]),
        special: SpecialDays::default(),
    };
    assert_eq!(
        due(&night, "2026-03-08 00:00", 30, &[]),
        "2026-03-08 04:00 EDT"
    );
}

#[test]
fn split_shifts_and_spans() {
    let cal = Calendar {
        name: "split".into(),
        tz: shanghai(),
        hours: Hours::weekly(
            &[0, 1, 2, 3, 4],
            &[
                Span::parse("08:30-12:00").expect("span"),
                Span::parse("13:30-17:30").expect("span"),
            ],
        ),
        special: cn2026(),
    };
    assert_eq!(
        due(&cal, "2026-03-02 11:00", 120, &[]),
        "2026-03-02 14:30 CST"
    );
    assert!(Span::parse("19:30-09:00").is_err());
    assert!(Span::parse("9-17").is_err());
    assert!(Span::parse("09:00-24:01").is_err());
    assert_eq!(
        Span::parse("9:00–17:30").expect("en dash").to_string(),
        "09:00–17:30"
    );
    let empty = Hours::weekly(&[], &[]);
    assert!(empty.validate().is_err());
    let overlapping = Hours::weekly(
        &[0],
        &[
            Span::parse("09:00-12:00").expect("a"),
            Span::parse("11:00-13:00").expect("b"),
        ],
    );
    assert!(overlapping.validate().is_err());
}

// ---------------------------------------------------------------------------------------
// Clocks from events

fn ev(at: &str, wo: Option<WorkOrderId>, event: RequestEvent) -> LogEvent {
    LogEvent {
        at: sh(at),
        work_order: wo,
        event,
        actor: "张伟".into(),
    }
}

fn wo(n: u8) -> WorkOrderId {
    WorkOrderId(uuid::Uuid::from_bytes([n; 16]))
}

fn user() -> UserId {
    UserId(uuid::Uuid::from_bytes([7; 16]))
}

fn created() -> RequestEvent {
    RequestEvent::Created(Creation::Intake {
        number: "SR202603020001".into(),
        channel: Channel::Phone,
        kind: RequestKind::Repair,
        priority: Priority::Normal,
        warranty_class: None,
        owner_id: user(),
        org_unit_id: None,
        open_requests_for_unit: vec![],
        preferred_from: None,
        preferred_to: None,
    })
}

fn triaged_onsite() -> RequestEvent {
    RequestEvent::TriagedOnsite {
        from_status: RequestStatus::Open,
        note: None,
    }
}

fn triaged_remote() -> RequestEvent {
    RequestEvent::TriagedRemote {
        from_status: RequestStatus::Open,
        note: None,
        follow_up_due_at: None,
    }
}

fn work_order_created() -> RequestEvent {
    RequestEvent::WorkOrderCreated {
        number: "WO202603020001".into(),
        org_unit_id: None,
        note: None,
    }
}

fn dispatched() -> RequestEvent {
    RequestEvent::Dispatched(Assignment {
        from_status: WoStatus::Pending,
        engineer_id: user(),
        engineer_name: "张伟".into(),
        from_engineer_id: None,
        org_unit_id: None,
        note: None,
        appointment_start: None,
        appointment_end: None,
    })
}

fn field(from: WoStatus) -> FieldStep {
    FieldStep {
        from_status: from,
        note: None,
    }
}

fn arrived() -> RequestEvent {
    RequestEvent::Arrived(field(WoStatus::EnRoute))
}

fn in_service() -> RequestEvent {
    RequestEvent::InService(field(WoStatus::Arrived))
}

fn waiting(reason: WaitReason) -> RequestEvent {
    RequestEvent::Waiting {
        from_status: WoStatus::InService,
        wait_reason: reason,
        reason: None,
    }
}

fn resumed(to: WoStatus) -> RequestEvent {
    RequestEvent::Resumed {
        from_status: WoStatus::Waiting,
        to_status: to,
        note: None,
    }
}

fn completed() -> RequestEvent {
    RequestEvent::Completed {
        from_status: WoStatus::InService,
        outcome: Outcome::Fixed,
        loaner_left: false,
        test_run_done: Some(true),
    }
}

fn resolved() -> RequestEvent {
    RequestEvent::Resolved {
        from_status: RequestStatus::InProgress,
        how: Resolution::ByHand { note: None },
    }
}

fn remote_solved() -> RequestEvent {
    RequestEvent::RemoteSolved {
        from_status: RequestStatus::InProgress,
        note: None,
    }
}

fn cancelled() -> RequestEvent {
    RequestEvent::Cancelled {
        from_status: RequestStatus::Open,
        reason: "重复".into(),
    }
}

fn rescheduled() -> RequestEvent {
    RequestEvent::Rescheduled(Appointment {
        from_status: WoStatus::Scheduled,
        starts_at: sh("2026-02-13 09:00"),
        ends_at: sh("2026-02-13 11:00"),
        previous_start: None,
        previous_end: None,
        reason: Some("改期".into()),
        customer_agreed: true,
    })
}

fn demo_targets() -> Vec<Target> {
    vec![
        Target {
            milestone: Milestone::Response,
            minutes: 60,
            calendar: "7x24".into(),
        },
        Target {
            milestone: Milestone::Arrival,
            minutes: 180,
            calendar: "7x24".into(),
        },
        Target {
            milestone: Milestone::Diagnosis,
            minutes: 60,
            calendar: "7x24".into(),
        },
        Target {
            milestone: Milestone::Resolution,
            minutes: 12 * 60,
            calendar: "workdays".into(),
        },
        Target {
            milestone: Milestone::Loaner,
            minutes: 24 * 60,
            calendar: "7x24".into(),
        },
    ]
}

fn calendars() -> (Calendar, Calendar) {
    (Calendar::always("7×24", shanghai()), workdays())
}

fn run(events: &[LogEvent], now: &str) -> Vec<sla::MilestoneClock> {
    let (always, work) = calendars();
    let state = SlaState::from_events(events);
    sla::clocks(
        &state,
        &demo_targets(),
        |k| match k {
            "7x24" => Some(&always),
            "workdays" => Some(&work),
            _ => None,
        },
        80,
        sh(now),
    )
    .expect("clocks")
}

fn by(clocks: &[sla::MilestoneClock], m: Milestone) -> &sla::MilestoneClock {
    clocks.iter().find(|c| c.milestone == m).expect("milestone")
}

#[test]
fn a_visit_with_a_wait_for_parts() {
    let events = vec![
        ev("2026-03-02 10:00", None, created()),
        ev("2026-03-02 10:40", None, triaged_onsite()),
        ev("2026-03-02 10:41", Some(wo(1)), work_order_created()),
        ev("2026-03-02 10:50", Some(wo(1)), dispatched()),
        ev("2026-03-02 12:30", Some(wo(1)), arrived()),
        ev("2026-03-02 13:00", Some(wo(1)), in_service()),
        ev("2026-03-02 13:20", Some(wo(1)), waiting(WaitReason::Parts)),
    ];
    let c = run(&events, "2026-03-02 15:00");
    let resp = by(&c, Milestone::Response);
    assert_eq!(
        (resp.state, resp.met_at),
        (ClockState::Met, Some(sh("2026-03-02 10:40")))
    );
    let arr = by(&c, Milestone::Arrival);
    assert_eq!(
        (arr.state, arr.due_at),
        (ClockState::Met, Some(sh("2026-03-02 13:00")))
    );
    // Diagnosis from arrival: 60 min, 50 of them before the wait; breached? No: paused
    // with 10 min left.
    let diag = by(&c, Milestone::Diagnosis);
    assert_eq!(
        (diag.state, diag.due_at, diag.remaining_seconds),
        (ClockState::Paused, None, Some(10 * 60))
    );
    assert_eq!(diag.paused_seconds, 100 * 60);
    // Resolution (12 working hours from Monday 10:00; paused at 13:20 with 8 h 40 min left).
    let res = by(&c, Milestone::Resolution);
    assert_eq!(
        (res.state, res.remaining_seconds),
        (ClockState::Paused, Some((12 * 60 - 200) * 60))
    );

    // Parts arrive Tuesday 09:30: every clock moves by the pause.
    let mut more = events.clone();
    more.push(ev(
        "2026-03-03 09:30",
        Some(wo(1)),
        resumed(WoStatus::InService),
    ));
    let c = run(&more, "2026-03-03 09:31");
    let diag = by(&c, Milestone::Diagnosis);
    assert_eq!(
        (diag.state, diag.due_at),
        (ClockState::Running, Some(sh("2026-03-03 09:40")))
    );
    // Resolution: 3 h 20 min counted Monday, 12 h in all: 8 h 40 min from 09:30 → 18:10.
    let res = by(&c, Milestone::Resolution);
    assert_eq!(
        (res.state, res.due_at),
        (ClockState::Running, Some(sh("2026-03-03 18:10")))
    );
    assert_eq!(res.paused_seconds, (20 * 60 + 10) * 60);
    let text = sla::trace_text(res, &workdays(), Locale::En).join("\n");
    assert!(text.contains("due 2026-03-03 18:10"), "{text}");
    assert!(text.contains("waiting for parts"), "{text}");
    let zh = sla::trace_text(res, &workdays(), Locale::ZhCn).join("\n");
    assert!(zh.contains("等待配件"), "{zh}");
    // The loaner was due 24 h after the call: Tuesday 10:00 + 20 h 10 min paused.
    assert_eq!(
        by(&c, Milestone::Loaner).due_at,
        Some(sh("2026-03-04 06:10"))
    );

    // Breach: at 19:00 the resolution is past due.
    let c = run(&more, "2026-03-03 19:00");
    assert_eq!(by(&c, Milestone::Resolution).state, ClockState::Breached);
    // Resolved at 19:05: breached, met late, and the loaner was still not due: not needed.
    more.push(ev("2026-03-03 19:05", None, resolved()));
    let c = run(&more, "2026-03-05 09:00");
    let res = by(&c, Milestone::Resolution);
    assert_eq!(
        (res.state, res.met_at),
        (ClockState::Breached, Some(sh("2026-03-03 19:05")))
    );
    assert_eq!(by(&c, Milestone::Loaner).state, ClockState::NotRequired);
}

#[test]
fn solved_on_the_phone_needs_no_visit() {
    let events = vec![
        ev("2026-03-02 10:00", None, created()),
        ev("2026-03-02 10:20", None, triaged_remote()),
        ev("2026-03-02 10:50", None, resolved()),
    ];
    let c = run(&events, "2026-03-02 20:00");
    assert_eq!(by(&c, Milestone::Response).state, ClockState::Met);
    assert_eq!(by(&c, Milestone::Arrival).state, ClockState::NotRequired);
    assert_eq!(by(&c, Milestone::Diagnosis).state, ClockState::NotRequired);
    assert_eq!(by(&c, Milestone::Resolution).state, ClockState::Met);
    assert_eq!(by(&c, Milestone::Loaner).state, ClockState::NotRequired);
}

#[test]
fn solved_remotely_is_resolved_and_a_late_resolution_keeps_the_breach() {
    // `remote_solved` is how the phone path resolves a request.
    let events = vec![
        ev("2026-03-02 10:00", None, created()),
        ev("2026-03-02 10:20", None, triaged_remote()),
        ev("2026-03-02 10:50", None, remote_solved()),
    ];
    let c = run(&events, "2026-03-05 20:00");
    assert_eq!(by(&c, Milestone::Resolution).state, ClockState::Met);
    assert_eq!(by(&c, Milestone::Arrival).state, ClockState::NotRequired);
    assert_eq!(by(&c, Milestone::Loaner).state, ClockState::NotRequired);
    // Resolved remotely after the arrival was due (24 h on 7×24): that breach stays.
    let events = vec![
        ev("2026-03-02 10:00", None, created()),
        ev("2026-03-03 11:00", None, remote_solved()),
    ];
    let c = run(&events, "2026-03-05 20:00");
    assert_eq!(by(&c, Milestone::Arrival).state, ClockState::Breached);
}

#[test]
fn cancelled_requests_stop_their_clocks() {
    let events = vec![
        ev("2026-03-02 10:00", None, created()),
        ev("2026-03-02 10:30", None, cancelled()),
    ];
    let c = run(&events, "2026-03-09 10:00");
    assert_eq!(by(&c, Milestone::Response).state, ClockState::Cancelled);
    assert_eq!(by(&c, Milestone::Resolution).state, ClockState::Cancelled);
    // Cancelled after the response was due: that breach stays.
    let events = vec![
        ev("2026-03-02 10:00", None, created()),
        ev("2026-03-02 11:30", None, cancelled()),
    ];
    let c = run(&events, "2026-03-09 10:00");
    assert_eq!(by(&c, Milestone::Response).state, ClockState::Breached);
}

#[test]
fn the_most_specific_rule_wins_and_says_why() {
    use aftersales_domain::region::RegionClass;
    use aftersales_domain::service::Priority;
    use aftersales_domain::sla::{Facts, PolicyRule};
    let rule =
        |id: &str, region: Option<RegionClass>, priority: Option<Priority>, rank| PolicyRule {
            id: id.into(),
            name: id.into(),
            contract_level: None,
            customer_tier: None,
            region_class: region,
            priority,
            kind: None,
            rank,
            targets: vec![],
        };
    let rules = vec![
        rule("default", None, None, 0),
        rule("city", Some(RegionClass::SameCity), None, 0),
        rule("urgent", None, Some(Priority::Urgent), 0),
        rule(
            "city-urgent",
            Some(RegionClass::SameCity),
            Some(Priority::Urgent),
            0,
        ),
        rule("province", Some(RegionClass::SameProvince), None, 0),
    ];
    let facts = Facts {
        region_class: Some(RegionClass::SameCity),
        priority: Some(Priority::Urgent),
        ..Facts::default()
    };
    let (r, why) = sla::select(&rules, &facts).expect("a rule");
    assert_eq!(r.id, "city-urgent");
    assert_eq!(why.matched.len(), 2);
    assert_eq!(why.also_applied, vec!["city", "urgent", "default"]);
    // Equally specific: the lower rank, then the id.
    let facts = Facts {
        region_class: Some(RegionClass::SameCity),
        priority: Some(Priority::Normal),
        ..Facts::default()
    };
    assert_eq!(sla::select(&rules, &facts).expect("a rule").0.id, "city");
    let tie = vec![
        rule("b", None, Some(Priority::Urgent), 1),
        rule("a", Some(RegionClass::OtherProvince), None, 2),
    ];
    let facts = Facts {
        region_class: Some(RegionClass::OtherProvince),
        priority: Some(Priority::Urgent),
        ..Facts::default()
    };
    assert_eq!(sla::select(&tie, &facts).expect("a rule").0.id, "b");
    assert!(sla::select(&rules[1..2], &Facts::default()).is_none());
}

// ---------------------------------------------------------------------------------------
// Properties

fn any_calendar() -> impl Strategy<Value = Calendar> {
    prop_oneof![
        Just(workdays()),
        Just(Calendar::always("7×24", shanghai())),
        Just(Calendar {
            name: "office NY".into(),
            tz: new_york(),
            hours: Hours::weekly(
                &[0, 1, 2, 3, 4, 5],
                &[
                    Span::parse("01:30-03:00").expect("span"),
                    Span::parse("09:00-17:00").expect("span"),
                ]
            ),
            special: SpecialDays::default(),
        }),
    ]
}

/// Instants in 2026 (and a little of the next year), to the minute.
fn any_instant() -> impl Strategy<Value = Timestamp> {
    (0i64..(370 * 24 * 60)).prop_map(|m| sh("2026-01-01 00:00") + SignedDuration::from_mins(m))
}

fn any_pauses() -> impl Strategy<Value = Vec<Pause>> {
    prop::collection::vec((any_instant(), 1i64..(3 * 24 * 60), any::<bool>()), 0..4).prop_map(
        |ps| {
            ps.into_iter()
                .map(|(from, len, open)| Pause {
                    from,
                    to: (!open || len % 7 != 0).then(|| from + SignedDuration::from_mins(len)),
                    reason: "customer".into(),
                })
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_longer_target_is_never_due_earlier(
        cal in any_calendar(),
        start in any_instant(),
        a in 0i64..6000,
        extra in 0i64..6000,
        pauses in any_pauses(),
    ) {
        let short = cal.add_working_time(start, SignedDuration::from_mins(a), &pauses).expect("walk");
        let long = cal.add_working_time(start, SignedDuration::from_mins(a + extra), &pauses).expect("walk");
        match (short.due, long.due) {
            (Some(s), Some(l)) => prop_assert!(s <= l),
            // Held by an open pause: the longer one is held too.
            (None, l) => prop_assert!(l.is_none()),
            (Some(_), None) => {}
        }
        if let Some(s) = short.due {
            prop_assert!(s >= start);
        }
    }

    #[test]
    fn a_pause_never_makes_a_due_time_earlier(
        cal in any_calendar(),
        start in any_instant(),
        minutes in 0i64..6000,
        pauses in any_pauses(),
        more in any_pauses(),
    ) {
        let before = cal.add_working_time(start, SignedDuration::from_mins(minutes), &pauses).expect("walk");
        let mut all = pauses.clone();
        all.extend(more);
        let after = cal.add_working_time(start, SignedDuration::from_mins(minutes), &all).expect("walk");
        if let (Some(b), Some(a)) = (before.due, after.due) {
            prop_assert!(a >= b);
        }
        if before.due.is_none() {
            prop_assert!(after.due.is_none());
        }
    }

    #[test]
    fn working_time_up_to_the_due_time_is_the_target(
        start in any_instant(),
        micros in 0i64..60_000_000,
        minutes in 1i64..3000,
    ) {
        let start = start + SignedDuration::from_micros(micros);
        // Walking to the due time in two legs lands on the same instant.
        let cal = workdays();
        let whole = cal.add_working_time(start, SignedDuration::from_mins(minutes), &[]).expect("walk");
        let half = minutes / 2;
        let first = cal.add_working_time(start, SignedDuration::from_mins(half), &[]).expect("walk");
        let second = cal
            .add_working_time(first.due.expect("due"), SignedDuration::from_mins(minutes - half), &[])
            .expect("walk");
        prop_assert_eq!(whole.due, second.due);
    }

    #[test]
    fn replaying_events_at_once_or_one_by_one_gives_the_same_clocks(
        steps in prop::collection::vec((1i64..600, 0usize..12, 0usize..2, 0usize..3), 1..25),
        now_after in 0i64..5000,
    ) {
        // `work_order` says whether the event belongs to a work order.
        let kinds: [(fn() -> RequestEvent, bool); 12] = [
            (triaged_remote, false), (triaged_onsite, false), (work_order_created, true),
            (dispatched, true), (arrived, true), (in_service, true),
            (|| waiting(WaitReason::Parts), true), (|| resumed(WoStatus::InService), true),
            (completed, true), (resolved, false), (cancelled, false), (rescheduled, true),
        ];
        let reasons = [WaitReason::Customer, WaitReason::Parts, WaitReason::QuotePayment];
        let mut at = sh("2026-02-12 16:00");
        let mut events = vec![LogEvent { at, work_order: None, event: created(), actor: "a".into() }];
        for (gap, k, w, r) in steps {
            at += SignedDuration::from_mins(gap);
            let (make, of_order) = kinds[k];
            let event = match make() {
                RequestEvent::Waiting { from_status, reason, .. } => RequestEvent::Waiting {
                    from_status,
                    wait_reason: reasons[r],
                    reason,
                },
                e => e,
            };
            events.push(LogEvent {
                at,
                work_order: of_order.then(|| wo(w as u8 + 1)),
                event,
                actor: "a".into(),
            });
        }
        let now = at + SignedDuration::from_mins(now_after);
        let (always, work) = calendars();
        let find = |k: &str| match k { "7x24" => Some(&always), "workdays" => Some(&work), _ => None };
        let at_once = SlaState::from_events(&events);
        // One by one: the state is stored (serialized) after each event and read back, the
        // clocks looked at in between.
        let mut stored = serde_json::to_string(&SlaState::default()).expect("json");
        let mut seen_met: Vec<(Milestone, Timestamp)> = vec![];
        for e in &events {
            let mut s: SlaState = serde_json::from_str(&stored).expect("json");
            s.apply(e);
            let between = sla::clocks(&s, &demo_targets(), find, 80, e.at).expect("clocks");
            for c in between {
                if let Some(m) = c.met_at { seen_met.push((c.milestone, m)); }
            }
            stored = serde_json::to_string(&s).expect("json");
        }
        let one_by_one: SlaState = serde_json::from_str(&stored).expect("json");
        prop_assert_eq!(&at_once, &one_by_one);
        let a = sla::clocks(&at_once, &demo_targets(), find, 80, now).expect("clocks");
        let b = sla::clocks(&one_by_one, &demo_targets(), find, 80, now).expect("clocks");
        prop_assert_eq!(&a, &b);
        // History is never rewritten: a milestone met on the way stays met at that instant.
        for (m, t) in seen_met {
            prop_assert_eq!(a.iter().find(|c| c.milestone == m).and_then(|c| c.met_at), Some(t));
        }
        // Pauses never overlap and close in order.
        for w in at_once.pauses.windows(2) {
            prop_assert!(w[0].to.is_some_and(|t| t <= w[1].from));
        }
    }
}
