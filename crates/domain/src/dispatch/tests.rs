use super::*;
use jiff::civil::date;
use proptest::prelude::*;
use uuid::Uuid;

fn code(s: &str) -> RegionCode {
    RegionCode::parse("r", s).expect("a code of the table")
}

fn uid(n: u128) -> UserId {
    UserId(Uuid::from_u128(n))
}

fn today() -> Date {
    date(2026, 11, 30)
}

fn cert(line: &str, expires: Option<Date>) -> Certification {
    Certification {
        product_line: line.into(),
        level: CertLevel::Certified,
        issued_on: Some(date(2024, 1, 1)),
        expires_on: expires,
    }
}

/// A job in 沈阳市和平区 (210102) for 空调, no position, no window.
fn job() -> Job {
    Job {
        region: code("210102"),
        product_line: Some("空调".into()),
        site: None,
        priority: Priority::Normal,
        window: None,
        today: today(),
    }
}

/// An active engineer on duty, certified for 空调 until 2027-03-01, covering the
/// district, with nothing booked.
fn eng(n: u128, name: &str) -> Candidate {
    Candidate {
        engineer: uid(n),
        name: name.into(),
        role: Role::Engineer,
        unit: OrgUnitId(Uuid::from_u128(1000 + n)),
        coverage: Coverage::Known(CoverageMatch::District),
        certifications: vec![cert("空调", Some(date(2027, 3, 1)))],
        load: Load::default(),
        position: None,
        active: true,
        on_duty: true,
    }
}

fn names(list: &[Suggestion]) -> Vec<&str> {
    list.iter().map(|s| s.name.as_str()).collect()
}

fn codes(reasons: &[Reason]) -> Vec<&'static str> {
    reasons.iter().map(|r| r.code).collect()
}

fn pt(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint::new(lat, lon).expect("in range")
}

#[test]
fn waiting_jobs_turn_at_risk_at_half_their_target_and_late_at_it() {
    use Priority as P;
    for (p, waited, want) in [
        (P::Urgent, 0, WaitRisk::Ok),
        (P::Urgent, 14, WaitRisk::Ok),
        (P::Urgent, 15, WaitRisk::AtRisk),
        (P::Urgent, 29, WaitRisk::AtRisk),
        (P::Urgent, 30, WaitRisk::Late),
        (P::High, 59, WaitRisk::Ok),
        (P::High, 60, WaitRisk::AtRisk),
        (P::High, 120, WaitRisk::Late),
        (P::Normal, 119, WaitRisk::Ok),
        (P::Normal, 240, WaitRisk::Late),
        (P::Low, 719, WaitRisk::Ok),
        (P::Low, 1440, WaitRisk::Late),
        (P::Low, i64::MAX, WaitRisk::Late),
        // A clock set back a little: nothing has waited yet.
        (P::Urgent, -5, WaitRisk::Ok),
    ] {
        assert_eq!(wait_risk(p, waited), want, "{p} {waited}");
    }
    // A more urgent job is never safer after the same wait.
    for waited in [0, 10, 30, 60, 120, 240, 600, 1440, 5000] {
        let risks: Vec<WaitRisk> = [P::Low, P::Normal, P::High, P::Urgent]
            .into_iter()
            .map(|p| wait_risk(p, waited))
            .collect();
        assert!(
            risks.windows(2).all(|w| w[0] <= w[1]),
            "{waited}: {risks:?}"
        );
    }
}

#[test]
fn certification_is_a_gate_stronger_than_every_other_rule() {
    // 乙 covers the district and is idle but holds no 空调 certificate; 甲 is busy, far
    // and outside the coverage, and still the only one suggested.
    let mut a = eng(1, "甲");
    a.coverage = Coverage::Known(CoverageMatch::None);
    a.load = Load {
        open_orders: 9,
        booked_minutes: 600,
    };
    let mut b = eng(2, "乙");
    b.certifications = vec![cert("电梯", None)];
    let out = suggest(&job(), &[b, a]);
    assert_eq!(names(&out), ["甲", "乙"]);
    assert_eq!(out[0].rank, Some(1));
    assert!(out[0].score.is_some());
    assert_eq!(out[1].rank, None);
    assert_eq!(out[1].score, None);
    assert_eq!(codes(&out[1].exclusions), ["not_certified"]);
    assert_eq!(out[1].exclusions[0].zh, "未持空调上岗证，不可派工");
    assert!(!out[1].is_eligible());
}

#[test]
fn each_reason_for_not_being_certified_has_its_code() {
    let on = today();
    let trainee = Certification {
        level: CertLevel::Trainee,
        ..cert("空调", None)
    };
    let later = Certification {
        issued_on: Some(date(2026, 12, 1)),
        ..cert("空调", None)
    };
    let expired = cert("空调", Some(date(2026, 11, 29)));
    // (certifications, exclusion code, words of the zh sentence)
    let table: Vec<(Vec<Certification>, &str, &str)> = vec![
        (vec![], "not_certified", "未持空调上岗证"),
        (vec![cert("电梯", None)], "not_certified", "未持空调上岗证"),
        (vec![trainee], "in_training", "仍在培训中"),
        (
            vec![later],
            "certificate_not_yet_valid",
            "自 2026-12-01 起生效",
        ),
        (vec![expired], "certificate_expired", "有效至 2026-11-29"),
    ];
    for (certs, want, words) in table {
        let mut c = eng(1, "甲");
        c.certifications = certs;
        let out = suggest(&job(), &[c]);
        assert_eq!(codes(&out[0].exclusions), [want], "{on}");
        assert!(
            out[0].exclusions[0].zh.contains(words),
            "{}",
            out[0].exclusions[0].zh
        );
        assert!(out[0].exclusions[0].en.contains("may not be dispatched"));
    }
}

#[test]
fn the_certificate_is_checked_on_the_day_of_the_appointment() {
    // Valid today, expired on the appointment day (and the other way round).
    let window = |d: Date| Window {
        start: d.at(9, 0, 0, 0),
        end: d.at(11, 0, 0, 0),
    };
    let mut a = eng(1, "甲");
    a.certifications = vec![cert("空调", Some(today()))];
    let mut b = eng(2, "乙");
    b.certifications = vec![Certification {
        issued_on: Some(date(2026, 12, 1)),
        ..cert("空调", None)
    }];
    let now = suggest(&job(), &[a.clone(), b.clone()]);
    assert_eq!(names(&now), ["甲", "乙"]);
    assert_eq!(now[0].reasons[0].zh, "持空调上岗证（有效至 2026-11-30）");
    let mut later = job();
    later.window = Some(window(date(2026, 12, 1)));
    assert_eq!(later.work_day(), date(2026, 12, 1));
    let then = suggest(&later, &[a, b]);
    assert_eq!(names(&then), ["乙", "甲"]);
    assert_eq!(codes(&then[1].exclusions), ["certificate_expired"]);
    // The load is worded for that day.
    assert_eq!(then[0].reasons[2].zh, "2026-12-01 尚无工单");
    assert_eq!(then[0].reasons[2].en, "No jobs on 2026-12-01");
}

fn assignee(c: &Candidate) -> Assignee<'_> {
    Assignee {
        role: c.role,
        active: c.active,
        on_duty: c.on_duty,
        coverage: c.coverage.for_place(code("210102")),
        certifications: &c.certifications,
    }
}

/// The same job on `day`, 09:00–11:00.
fn job_on(day: Date) -> Job {
    Job {
        window: Some(Window {
            start: day.at(9, 0, 0, 0),
            end: day.at(11, 0, 0, 0),
        }),
        ..job()
    }
}

#[test]
fn eligibility_judges_the_certificate_on_the_day_of_the_work_for_suggestion_and_assignment() {
    // 甲's certificate ends on 2026-12-05: fine for today and for a visit that day,
    // not for a visit on the 6th.
    let mut a = eng(1, "甲");
    a.certifications = vec![cert("空调", Some(date(2026, 12, 5)))];
    // 乙 is certified from 2026-12-10 on: not today, not on the 9th; on the 10th and
    // after.
    let mut b = eng(2, "乙");
    b.certifications = vec![Certification {
        issued_on: Some(date(2026, 12, 10)),
        ..cert("空调", None)
    }];
    let verdict = |c: &Candidate, j: &Job| eligibility(j, &assignee(c));
    assert!(verdict(&a, &job()).is_eligible());
    assert!(verdict(&a, &job_on(date(2026, 12, 5))).is_eligible());
    let late = verdict(&a, &job_on(date(2026, 12, 6)));
    assert_eq!(late.day, date(2026, 12, 6));
    assert_eq!(
        late.exclusions,
        [Ineligible::NotCertified(Standing::Expired {
            last_day: date(2026, 12, 5)
        })]
    );
    assert_eq!(
        verdict(&b, &job()).exclusions,
        [Ineligible::NotCertified(Standing::NotYetValid {
            from: date(2026, 12, 10)
        })]
    );
    assert!(!verdict(&b, &job_on(date(2026, 12, 9))).is_eligible());
    for d in [date(2026, 12, 10), date(2027, 6, 1)] {
        let v = verdict(&b, &job_on(d));
        assert!(v.is_eligible(), "{d}: {v:?}");
        assert_eq!(v.product_line.as_deref(), Some("空调"));
        assert!(matches!(v.standing, Some(Standing::Certified { .. })));
    }
    // The suggestions say the same, for the same day.
    for (j, want) in [
        (job_on(date(2026, 12, 6)), [false, false]),
        (job_on(date(2026, 12, 10)), [false, true]),
        (job(), [true, false]),
    ] {
        let out = suggest(&j, &[a.clone(), b.clone()]);
        for (c, eligible) in [&a, &b].into_iter().zip(want) {
            let line = out
                .iter()
                .find(|s| s.engineer == c.engineer)
                .expect("listed");
            assert_eq!(line.is_eligible(), eligible, "{}: {line:?}", c.name);
            assert_eq!(verdict(c, &j).is_eligible(), eligible);
        }
    }
}

#[test]
fn only_active_technicians_on_duty_and_partners_in_their_territory_may_take_a_job() {
    let ok = eng(1, "甲");
    assert!(eligibility(&job(), &assignee(&ok)).is_eligible());
    // Every reason is given, in order.
    let mut agent = eng(2, "乙");
    agent.role = Role::Agent;
    agent.active = false;
    agent.on_duty = false;
    agent.certifications.clear();
    assert_eq!(
        eligibility(&job(), &assignee(&agent)).exclusions,
        [
            Ineligible::NotTechnician,
            Ineligible::Inactive,
            Ineligible::OffDuty,
            Ineligible::NotCertified(Standing::None),
        ]
    );
    // A partner's technician works where the partner covers the place; a staff
    // engineer anywhere.
    let mut partner = eng(3, "丙");
    partner.role = Role::Partner;
    assert!(eligibility(&job(), &assignee(&partner)).is_eligible());
    partner.coverage = Coverage::Known(CoverageMatch::None);
    assert_eq!(
        eligibility(&job(), &assignee(&partner)).exclusions,
        [Ineligible::OutsideTerritory]
    );
    let mut staff = eng(4, "丁");
    staff.coverage = Coverage::Known(CoverageMatch::None);
    assert!(eligibility(&job(), &assignee(&staff)).is_eligible());
    // Outside their territory a partner is not even listed; the others are.
    let out = suggest(&job(), &[partner, staff, agent]);
    assert_eq!(names(&out), ["丁", "乙"]);
    assert_eq!(
        codes(&out[1].exclusions),
        ["not_a_technician", "inactive", "off_duty", "not_certified"]
    );
}

#[test]
fn product_lines_match_trimmed_and_without_case() {
    let mut j = job();
    j.product_line = Some(" cnc ".into());
    let mut c = eng(1, "甲");
    c.certifications = vec![cert("CNC", None)];
    let out = suggest(&j, &[c]);
    assert!(out[0].is_eligible());
    assert_eq!(out[0].reasons[0].zh, "持cnc上岗证（长期有效）");
    assert_eq!(out[0].reasons[0].en, "Certified for cnc (does not expire)");
}

#[test]
fn without_a_product_line_no_certificate_is_checked_and_that_is_said() {
    for line in [None, Some("  ".to_owned())] {
        let mut j = job();
        j.product_line = line;
        let mut c = eng(1, "甲");
        c.certifications.clear();
        let out = suggest(&j, &[c]);
        assert!(out[0].is_eligible());
        assert_eq!(out[0].reasons[0].code, "no_product_line");
    }
}

#[test]
fn senior_level_is_named() {
    let mut c = eng(1, "甲");
    c.certifications[0].level = CertLevel::Senior;
    let out = suggest(&job(), &[c]);
    assert_eq!(
        out[0].reasons[0].zh,
        "持空调上岗证（高级，有效至 2027-03-01）"
    );
    assert_eq!(
        out[0].reasons[0].en,
        "Certified for 空调 (senior, valid until 2027-03-01)"
    );
}

#[test]
fn inactive_and_off_duty_people_are_excluded_and_listed_last_by_name() {
    let mut a = eng(1, "丙");
    a.active = false;
    let mut b = eng(2, "乙");
    b.on_duty = false;
    b.certifications.clear();
    let mut c = eng(3, "甲");
    c.coverage = Coverage::Known(CoverageMatch::None);
    c.load.open_orders = 20;
    let out = suggest(&job(), &[a, b, c]);
    assert_eq!(names(&out), ["甲", "丙", "乙"]);
    assert_eq!(codes(&out[1].exclusions), ["inactive"]);
    // Every exclusion is stated, not only the first.
    assert_eq!(codes(&out[2].exclusions), ["off_duty", "not_certified"]);
    assert_eq!(out[2].exclusions[0].zh, "今日不在岗");
    assert_eq!(
        out.iter().map(|s| s.rank).collect::<Vec<_>>(),
        [Some(1), None, None]
    );
}

#[test]
fn coverage_ranks_district_then_city_then_province_then_none() {
    let list: Vec<Candidate> = [
        (1, "甲", CoverageMatch::None),
        (2, "乙", CoverageMatch::Province),
        (3, "丙", CoverageMatch::District),
        (4, "丁", CoverageMatch::City),
    ]
    .into_iter()
    .map(|(n, name, m)| Candidate {
        coverage: Coverage::Known(m),
        ..eng(n, name)
    })
    .collect();
    let out = suggest(&job(), &list);
    assert_eq!(names(&out), ["丙", "丁", "乙", "甲"]);
    assert_eq!(
        out.iter().map(|s| s.reasons[1].code).collect::<Vec<_>>(),
        [
            "covers_district",
            "covers_city",
            "covers_province",
            "outside_coverage"
        ]
    );
    assert_eq!(out[0].reasons[1].zh, "覆盖该区县");
    // Coverage beats load: the district's engineer with three jobs stays first.
    let mut busy = list.clone();
    busy[2].load.open_orders = 3;
    assert_eq!(names(&suggest(&job(), &busy))[0], "丙");
}

#[test]
fn coverage_from_regions_takes_the_most_specific_region_that_contains_the_place() {
    let table: &[(&str, &[&str], CoverageMatch)] = &[
        ("210102", &["210102"], CoverageMatch::District),
        ("210102", &["210100"], CoverageMatch::City),
        ("210102", &["210000"], CoverageMatch::Province),
        (
            "210102",
            &["210000", "210100", "210102"],
            CoverageMatch::District,
        ),
        ("210102", &["210103", "210200"], CoverageMatch::None),
        ("210102", &[], CoverageMatch::None),
        // The place may be a city: a district of it does not cover all of it.
        ("210100", &["210102"], CoverageMatch::None),
        ("210100", &["210100"], CoverageMatch::City),
        ("110101", &["110000"], CoverageMatch::Province),
    ];
    for (place, regions, want) in table {
        let regions: Vec<RegionCode> = regions.iter().map(|r| code(r)).collect();
        assert_eq!(
            coverage_match(code(place), &regions),
            *want,
            "{place} {regions:?}"
        );
        let mut j = job();
        j.region = code(place);
        let c = Candidate {
            coverage: Coverage::Regions(regions),
            ..eng(1, "甲")
        };
        assert_eq!(suggest(&j, &[c])[0].coverage, *want);
    }
}

#[test]
fn a_precomputed_match_comes_from_the_coverage_ranking() {
    use crate::coverage::{UnitCoverage, responsible_units};
    let unit = |n: u128, ancestors: &[u128], active: bool, regions: &[&str]| UnitCoverage {
        unit: OrgUnitId(Uuid::from_u128(n)),
        code: format!("U{n}"),
        ancestors: ancestors
            .iter()
            .map(|a| OrgUnitId(Uuid::from_u128(*a)))
            .collect(),
        active,
        regions: regions.iter().map(|r| code(r)).collect(),
    };
    let network = vec![
        unit(1, &[], true, &["210000"]),
        unit(2, &[1], true, &["210100"]),
        unit(3, &[1, 2], true, &["210102"]),
        unit(4, &[1, 2], false, &["210102"]),
        unit(5, &[1], true, &["210200"]),
    ];
    let ranking = responsible_units(code("210102"), &network);
    let of = |n: u128| match_in(&ranking, OrgUnitId(Uuid::from_u128(n)));
    assert_eq!(of(1), CoverageMatch::Province);
    assert_eq!(of(2), CoverageMatch::City);
    assert_eq!(of(3), CoverageMatch::District);
    assert_eq!(of(4), CoverageMatch::None, "inactive units do not answer");
    assert_eq!(of(5), CoverageMatch::None, "大连 does not cover 沈阳");
}

#[test]
fn fewer_jobs_first_then_fewer_booked_minutes() {
    let load = |orders, minutes| Load {
        open_orders: orders,
        booked_minutes: minutes,
    };
    let list = vec![
        Candidate {
            load: load(2, 60),
            ..eng(1, "甲")
        },
        Candidate {
            load: load(1, 240),
            ..eng(2, "乙")
        },
        Candidate {
            load: load(1, 90),
            ..eng(3, "丙")
        },
        Candidate {
            load: load(0, 0),
            ..eng(4, "丁")
        },
    ];
    let out = suggest(&job(), &list);
    assert_eq!(names(&out), ["丁", "丙", "乙", "甲"]);
    let load_of = |name: &str| {
        out.iter()
            .find(|s| s.name == name)
            .map(|s| s.reasons[2].clone())
            .expect("listed")
    };
    assert_eq!(load_of("丁").zh, "今日尚无工单");
    assert_eq!(load_of("丁").en, "No jobs today");
    assert_eq!(load_of("丙").zh, "今日已有 1 单，已约 1小时30分");
    assert_eq!(load_of("丙").en, "1 job today, 1 h 30 min booked");
    assert_eq!(load_of("乙").zh, "今日已有 1 单，已约 4小时");
    let three = suggest(
        &job(),
        &[Candidate {
            load: load(3, 0),
            ..eng(1, "甲")
        }],
    );
    assert_eq!(three[0].reasons[2].zh, "今日已有 3 单");
    assert_eq!(three[0].reasons[2].en, "3 jobs today");
}

#[test]
fn nearer_first_and_an_unknown_position_after_every_known_one() {
    let mut j = job();
    j.site = Some(pt(41.7968, 123.4290)); // 沈阳 center
    let list = vec![
        Candidate {
            position: None,
            ..eng(1, "甲")
        },
        Candidate {
            position: Some(pt(41.8346, 123.4290)), // ~4.2 km north
            ..eng(2, "乙")
        },
        Candidate {
            position: Some(pt(41.8000, 123.4290)), // ~0.4 km
            ..eng(3, "丙")
        },
    ];
    let out = suggest(&j, &list);
    assert_eq!(names(&out), ["丙", "乙", "甲"]);
    assert_eq!(out[1].reasons[3].zh, "距离约 4.2 km");
    assert_eq!(out[1].reasons[3].en, "About 4.2 km away");
    assert_eq!(out[2].reasons[3].code, "position_unknown");
    assert_eq!(out[2].distance_km, None);
    // Distance comes after load: the nearest with one more job is behind.
    let mut busy = list.clone();
    busy[2].load.open_orders = 1;
    assert_eq!(names(&suggest(&j, &busy)), ["乙", "甲", "丙"]);
    // Without site coordinates distance plays no part and is not mentioned.
    let out = suggest(&job(), &list);
    assert_eq!(
        names(&out),
        ["丙", "乙", "甲"],
        "by name: 丙 < 乙 < 甲 in code points"
    );
    assert!(
        out.iter()
            .all(|s| s.reasons.len() == 3 && s.distance_km.is_none())
    );
}

#[test]
fn ties_are_broken_by_name_then_by_id() {
    let list = vec![eng(3, "Wang"), eng(2, "Li"), eng(1, "Wang")];
    let out = suggest(&job(), &list);
    assert_eq!(names(&out), ["Li", "Wang", "Wang"]);
    assert_eq!(out[1].engineer, uid(1));
    assert_eq!(out[2].engineer, uid(3));
    assert_eq!(
        out.iter().map(|s| s.rank).collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3)]
    );
}

#[test]
fn priority_does_not_change_the_order() {
    let mut list = vec![eng(1, "甲"), eng(2, "乙"), eng(3, "丙")];
    list[0].load.open_orders = 2;
    list[1].coverage = Coverage::Known(CoverageMatch::City);
    let base = suggest(&job(), &list);
    for p in Priority::ALL {
        let j = Job {
            priority: *p,
            ..job()
        };
        assert_eq!(suggest(&j, &list), base, "{p}");
    }
}

#[test]
fn haversine_distances() {
    // One degree of latitude is ~111.2 km anywhere; antipodes are half the way around.
    let d = haversine_km(pt(0.0, 120.0), pt(1.0, 120.0));
    assert!((d - 111.195).abs() < 0.01, "{d}");
    let half = haversine_km(pt(0.0, 0.0), pt(0.0, 180.0));
    assert!(
        (half - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6,
        "{half}"
    );
    // 北京天安门 to 上海人民广场, about 1068 km.
    let bj_sh = haversine_km(pt(39.9087, 116.3975), pt(31.2304, 121.4737));
    assert!((1060.0..1075.0).contains(&bj_sh), "{bj_sh}");
    assert_eq!(haversine_km(pt(41.8, 123.4), pt(41.8, 123.4)), 0.0);
}

#[test]
fn positions_out_of_range_are_refused() {
    for (lat, lon) in [
        (90.1, 0.0),
        (-90.1, 0.0),
        (0.0, 180.5),
        (0.0, -181.0),
        (f64::NAN, 0.0),
        (0.0, f64::INFINITY),
    ] {
        assert_eq!(GeoPoint::new(lat, lon), None, "{lat} {lon}");
    }
    assert!(GeoPoint::new(-90.0, 180.0).is_some());
}

#[test]
fn the_score_orders_like_the_ranking() {
    let base = score(CoverageMatch::City, Load::default(), None);
    assert!(
        score(
            CoverageMatch::District,
            Load {
                open_orders: 99,
                booked_minutes: 1440
            },
            None
        ) > base
    );
    assert!(
        score(
            CoverageMatch::City,
            Load {
                open_orders: 1,
                booked_minutes: 0
            },
            Some(0.0)
        ) < base
    );
    assert!(
        score(
            CoverageMatch::City,
            Load {
                open_orders: 0,
                booked_minutes: 1
            },
            Some(0.0)
        ) < base
    );
    assert!(score(CoverageMatch::City, Load::default(), Some(20_037.5)) > base);
    assert!(
        score(CoverageMatch::City, Load::default(), Some(1.0))
            > score(CoverageMatch::City, Load::default(), Some(1.02))
    );
    assert_eq!(
        score(CoverageMatch::City, Load::default(), Some(1.0)),
        score(CoverageMatch::City, Load::default(), Some(1.004)),
        "10 m steps"
    );
    // Beyond the caps everyone ranks like the cap.
    assert_eq!(
        score(
            CoverageMatch::None,
            Load {
                open_orders: 500,
                booked_minutes: 5000
            },
            None
        ),
        score(
            CoverageMatch::None,
            Load {
                open_orders: 99,
                booked_minutes: 1440
            },
            None
        )
    );
}

// Property tests over random candidate lists.

fn candidate() -> impl Strategy<Value = Candidate> {
    let cert_state = prop::sample::select(vec![0u8, 1, 2, 3]);
    let coverage = prop::sample::select(CoverageMatch::ALL.to_vec());
    let name = prop::sample::select(vec!["甲", "乙", "Li", "Wang", "Zhang"]);
    let pos = prop::option::of((41.0f64..42.5, 122.5f64..124.5));
    (
        (any::<u16>(), name, coverage, cert_state),
        (
            0u32..12,
            0u32..700,
            pos,
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.15),
        ),
    )
        .prop_map(
            |((id, name, cov, cert_state), (orders, minutes, pos, inactive, off))| {
                let certifications = match cert_state {
                    0 => vec![cert("空调", None)],
                    1 => vec![cert("空调", Some(date(2027, 3, 1)))],
                    2 => vec![cert("空调", Some(date(2026, 1, 1)))], // expired
                    _ => vec![],
                };
                Candidate {
                    engineer: uid(u128::from(id)),
                    name: name.into(),
                    role: Role::Engineer,
                    unit: OrgUnitId(Uuid::from_u128(7)),
                    coverage: Coverage::Known(cov),
                    certifications,
                    load: Load {
                        open_orders: orders,
                        booked_minutes: minutes,
                    },
                    position: pos.map(|(a, b)| pt(a, b)),
                    active: !inactive,
                    on_duty: !off,
                }
            },
        )
}

fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
    prop::collection::vec(candidate(), 0..12).prop_map(|mut list| {
        // Unique ids, as users are.
        for (i, c) in list.iter_mut().enumerate() {
            let random = c.engineer.0.as_u128();
            c.engineer = uid((random << 8) | i as u128);
        }
        list
    })
}

fn any_job() -> impl Strategy<Value = Job> {
    (any::<bool>(), any::<bool>()).prop_map(|(site, line)| Job {
        site: site.then(|| pt(41.7968, 123.4290)),
        product_line: line.then(|| "空调".into()),
        ..job()
    })
}

fn ids(list: &[Suggestion]) -> Vec<UserId> {
    list.iter().map(|s| s.engineer).collect()
}

proptest! {
    /// Every candidate comes out exactly once.
    #[test]
    fn the_result_is_a_permutation_of_the_input(j in any_job(), list in candidates()) {
        let out = suggest(&j, &list);
        let mut got = ids(&out);
        let mut want: Vec<UserId> = list.iter().map(|c| c.engineer).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }

    /// The input's order plays no part, and the same input gives the same answer.
    #[test]
    fn deterministic_whatever_the_input_order(
        j in any_job(),
        list in candidates(),
        seed in any::<u64>(),
    ) {
        let once = suggest(&j, &list);
        prop_assert_eq!(&suggest(&j, &list), &once);
        let mut shuffled = list.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(suggest(&j, &shuffled), once);
    }

    /// The eligible come first with ranks 1..n and scores not increasing; an engineer
    /// not certified for the job's line is never among them.
    #[test]
    fn certified_above_uncertified_and_ranks_follow_scores(j in any_job(), list in candidates()) {
        let out = suggest(&j, &list);
        let eligible = out.iter().take_while(|s| s.is_eligible()).count();
        prop_assert!(out[eligible..].iter().all(|s| !s.is_eligible() && s.rank.is_none() && s.score.is_none()));
        for (i, s) in out[..eligible].iter().enumerate() {
            prop_assert_eq!(s.rank, Some(i + 1));
            let c = list.iter().find(|c| c.engineer == s.engineer).expect("from the input");
            prop_assert!(c.active && c.on_duty);
            if let Some(line) = &j.product_line {
                prop_assert!(crate::certification::is_certified(&c.certifications, line, j.work_day()));
            }
        }
        for w in out[..eligible].windows(2) {
            prop_assert!(w[0].score >= w[1].score);
            if w[0].score == w[1].score {
                prop_assert!((&w[0].name, w[0].engineer) < (&w[1].name, w[1].engineer));
            }
        }
        // Excluded are by name, then id.
        for w in out[eligible..].windows(2) {
            prop_assert!((&w[0].name, w[0].engineer) < (&w[1].name, w[1].engineer));
        }
    }

    /// More load never moves an engineer up.
    #[test]
    fn adding_load_never_moves_anyone_up(
        j in any_job(),
        list in candidates(),
        pick in any::<prop::sample::Index>(),
        more_orders in 0u32..5,
        more_minutes in 0u32..300,
    ) {
        prop_assume!(!list.is_empty());
        let i = pick.index(list.len());
        let who = list[i].engineer;
        let position = |out: &[Suggestion]| out.iter().position(|s| s.engineer == who);
        let before = position(&suggest(&j, &list));
        let mut heavier = list.clone();
        heavier[i].load.open_orders += more_orders;
        heavier[i].load.booked_minutes += more_minutes;
        let after = position(&suggest(&j, &heavier));
        prop_assert!(after >= before, "{:?} -> {:?}", before, after);
    }

    /// A better coverage match never moves an engineer down.
    #[test]
    fn better_coverage_never_moves_anyone_down(
        j in any_job(),
        list in candidates(),
        pick in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!list.is_empty());
        let i = pick.index(list.len());
        let who = list[i].engineer;
        let position = |out: &[Suggestion]| out.iter().position(|s| s.engineer == who);
        let before = position(&suggest(&j, &list));
        let mut better = list.clone();
        better[i].coverage = Coverage::Known(CoverageMatch::District);
        prop_assert!(position(&suggest(&j, &better)) <= before);
    }
}
