//! The pricing engine (R-FEE-1..2) over decisions of the real warranty resolver: one table
//! case per policy of the sources, surcharges on the 2026 holidays, partner overrides, the
//! labor rounding, VAT per document and a multi-line quote, every amount checked to the fen
//! and worked out by hand beside it; then the properties every priced job keeps
//! (`charges/props.rs`).

use aftersales_domain::calendar::SpecialDays;
use aftersales_domain::charges::engine::{billed_minutes, travel_fee};
use aftersales_domain::charges::{
    DistanceBand, FeeSchedule, Freight, JobFacts, LaborRate, Line, LineKind, PartFact,
    PartnerOverride, Payer, Priced, Rate, ServiceType, Travel, holiday_on, price,
};
use aftersales_domain::holidays::{self, Format};
use aftersales_domain::parts::Qty;
use aftersales_domain::region::RegionClass;
use aftersales_domain::warranty::{
    AfterTerm, Cause, ChargeBasis, ContractCover, Coverage, PolicyVersion, StartBasis, UnitFacts,
    WarrantyClass, WarrantyDecision, resolve,
};
use jiff::civil::Date;

use ChargeBasis::{CostPrice, Free, ListPrice};

const NOTICE_TOML: &str = include_str!("../data/holidays/cn-2026.toml");

fn d(s: &str) -> Date {
    s.parse().expect("a valid test date")
}

fn cn2026() -> SpecialDays {
    holidays::parse_set(Format::Toml, NOTICE_TOML).expect("the notice parses")
}

// ---- the fixtures: a schedule, policies, units, a job -------------------------------

/// The starter schedule: labor 120.00/h (internal cost 60.00/h), at least 60 min, per
/// started 30 min; travel 50/150/300 yuan; urgent +50 %, night +30 %, holiday +100 %;
/// VAT 13 %.
fn schedule() -> FeeSchedule {
    FeeSchedule::starter()
}

fn cov(parts: ChargeBasis, labor: ChargeBasis, travel: ChargeBasis) -> Coverage {
    Coverage {
        parts,
        labor,
        travel,
    }
}

/// 12 months from the sale date, everything free, exclusions at cost, no after-terms.
fn standard_policy() -> PolicyVersion {
    PolicyVersion {
        effective_from: d("2000-01-01"),
        months: 12,
        start_basis: StartBasis::SaleDate,
        in_warranty: Coverage::FREE,
        after: Vec::new(),
        exclusion_charge: CostPrice,
    }
}

/// Years 1–3 free; from year 4 (month 36) parts at cost, labor free (第四年起收取材料成本费、免人工).
fn lifetime_policy() -> PolicyVersion {
    PolicyVersion {
        months: 36,
        after: vec![AfterTerm {
            from_month: 36,
            until_month: None,
            coverage: cov(CostPrice, Free, Free),
        }],
        ..standard_policy()
    }
}

/// After the first year: parts at cost, travel charged, labor free
/// (收取零部件成本费和远程上门费、免收人工费).
fn parts_and_travel_policy() -> PolicyVersion {
    PolicyVersion {
        after: vec![AfterTerm {
            from_month: 12,
            until_month: None,
            coverage: cov(CostPrice, Free, ListPrice),
        }],
        ..standard_policy()
    }
}

fn sold_on(s: &str) -> UnitFacts {
    UnitFacts {
        has_serial: true,
        made_by_us: true,
        sale_date: Some(d(s)),
        ..UnitFacts::default()
    }
}

fn decide(unit: UnitFacts, policy: PolicyVersion, on: &str, cause: Cause) -> WarrantyDecision {
    resolve(&unit, Some(&policy), None, d(on), cause)
}

/// A unit sold 2026-01-10, serviced 2026-06-01: in its first year.
fn in_warranty() -> WarrantyDecision {
    decide(
        sold_on("2026-01-10"),
        standard_policy(),
        "2026-06-01",
        Cause::NormalFailure,
    )
}

/// Sold 2020-01-10, no after-term: everything at list price.
fn out_of_warranty() -> WarrantyDecision {
    decide(
        sold_on("2020-01-10"),
        standard_policy(),
        "2026-06-01",
        Cause::NormalFailure,
    )
}

fn part(no: &str, qty: Qty, cost_fen: i64, list_fen: i64) -> PartFact {
    PartFact {
        part_no: no.into(),
        name_zh: format!("配件 {no}"),
        name_en: format!("Part {no}"),
        qty,
        cost_fen,
        list_fen,
    }
}

/// 90 minutes of labor, a same-city visit, one part (cost 30.00, list 45.00).
fn job() -> JobFacts {
    JobFacts {
        internal: false,
        skill: String::new(),
        labor_minutes: 90,
        travel: Travel::Region(RegionClass::SameCity),
        parts: vec![part("PCB-01", Qty::units(1), 3_000, 4_500)],
        urgent: false,
        night: false,
        holiday: None,
        urgent_freight: None,
        partner: None,
    }
}

fn priced(decision: &WarrantyDecision, facts: &JobFacts) -> Priced {
    price(&schedule(), decision, facts).expect("priced")
}

fn line(p: &Priced, kind: LineKind) -> &Line {
    p.lines
        .iter()
        .find(|l| l.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} line among {:?}", p.lines))
}

/// (kind, amount, payer, reason code) of each line, in order.
fn summary(p: &Priced) -> Vec<(LineKind, i64, Payer, &'static str)> {
    p.lines
        .iter()
        .map(|l| (l.kind, l.amount_fen, l.payer, l.reason.code))
        .collect()
}

fn by_payer(p: &Priced) -> Vec<(Payer, i64)> {
    p.totals
        .by_payer
        .iter()
        .map(|t| (t.payer, t.amount_fen))
        .collect()
}

/// Customer net, VAT and gross.
fn customer(p: &Priced) -> (i64, i64, i64) {
    let t = &p.totals;
    (t.customer_net_fen, t.customer_vat_fen, t.customer_gross_fen)
}

use LineKind::{Freight as FreightLine, Labor, Part, Surcharge, Travel as TravelLine};

// ---- one case per policy ------------------------------------------------------------

#[test]
fn in_warranty_everything_is_free_and_the_warranty_pays_its_cost() {
    let decision = in_warranty();
    assert!(decision.in_warranty);
    assert_eq!(decision.coverage, Coverage::FREE);
    let p = priced(&decision, &job());
    // Free lines carry their cost: labor 90 min at the internal 60.00/h = 90.00;
    // travel 50.00; the part at cost 30.00. Warranty 90 + 50 + 30 = 170.00.
    assert_eq!(
        summary(&p),
        [
            (Labor, 9_000, Payer::Warranty, "in_warranty"),
            (TravelLine, 5_000, Payer::Warranty, "in_warranty"),
            (Part, 3_000, Payer::Warranty, "in_warranty"),
        ]
    );
    assert_eq!(line(&p, Labor).unit_fen, 6_000);
    assert_eq!(by_payer(&p), [(Payer::Warranty, 17_000)]);
    assert_eq!(customer(&p), (0, 0, 0));
    assert_eq!(p.service_type, ServiceType::Free);
    assert!(!p.chargeable());
}

#[test]
fn misuse_in_warranty_is_charged_at_cost() {
    let decision = decide(
        sold_on("2026-01-10"),
        standard_policy(),
        "2026-06-01",
        Cause::Misuse,
    );
    assert_eq!(decision.coverage, Coverage::all(CostPrice));
    let p = priced(&decision, &job());
    // Labor 90 min at the internal cost 60.00/h = 90.00; travel fee 50.00; part at cost
    // 30.00. Net 170.00; VAT 13 % = 22.10; gross 192.10.
    assert_eq!(
        summary(&p),
        [
            (Labor, 9_000, Payer::Customer, "exclusion"),
            (TravelLine, 5_000, Payer::Customer, "exclusion"),
            (Part, 3_000, Payer::Customer, "exclusion"),
        ]
    );
    assert_eq!(line(&p, Part).unit_fen, 3_000);
    assert_eq!(by_payer(&p), [(Payer::Customer, 17_000)]);
    assert_eq!(customer(&p), (17_000, 2_210, 19_210));
    assert_eq!(p.service_type, ServiceType::Paid);
    assert!(p.chargeable());
}

#[test]
fn from_year_four_parts_are_at_cost_and_labor_is_free() {
    // Sold 2022-03-01; on 2026-06-01 that is 51 full months, past the 36-month period.
    let decision = decide(
        sold_on("2022-03-01"),
        lifetime_policy(),
        "2026-06-01",
        Cause::NormalFailure,
    );
    assert!(!decision.in_warranty);
    assert_eq!(decision.coverage, cov(CostPrice, Free, Free));
    let p = priced(&decision, &job());
    // Labor free (its cost 90.00, the warranty's); travel free (50.00, the warranty's);
    // the part at cost 30.00 to the customer: VAT 3.90, gross 33.90.
    assert_eq!(
        summary(&p),
        [
            (Labor, 9_000, Payer::Warranty, "after_term"),
            (TravelLine, 5_000, Payer::Warranty, "after_term"),
            (Part, 3_000, Payer::Customer, "out_of_warranty"),
        ]
    );
    assert_eq!(
        by_payer(&p),
        [(Payer::Warranty, 14_000), (Payer::Customer, 3_000)]
    );
    assert_eq!(customer(&p), (3_000, 390, 3_390));
    assert_eq!(p.service_type, ServiceType::Paid);
}

#[test]
fn out_of_warranty_parts_at_cost_travel_charged_labor_free() {
    let decision = decide(
        sold_on("2024-01-01"),
        parts_and_travel_policy(),
        "2026-06-01",
        Cause::NormalFailure,
    );
    assert_eq!(decision.coverage, cov(CostPrice, Free, ListPrice));
    let p = priced(&decision, &job());
    // Labor free (cost 90.00, warranty); travel at its fee 50.00 and the part at cost
    // 30.00 to the customer: net 80.00, VAT 10.40, gross 90.40.
    assert_eq!(
        summary(&p),
        [
            (Labor, 9_000, Payer::Warranty, "after_term"),
            (TravelLine, 5_000, Payer::Customer, "out_of_warranty"),
            (Part, 3_000, Payer::Customer, "out_of_warranty"),
        ]
    );
    assert_eq!(
        by_payer(&p),
        [(Payer::Warranty, 9_000), (Payer::Customer, 8_000)]
    );
    assert_eq!(customer(&p), (8_000, 1_040, 9_040));
}

#[test]
fn a_third_party_product_is_charged_at_list_price() {
    let unit = UnitFacts {
        made_by_us: false,
        ..sold_on("2026-01-10")
    };
    let decision = decide(unit, standard_policy(), "2026-06-01", Cause::NormalFailure);
    assert_eq!(decision.class, WarrantyClass::C);
    let p = priced(&decision, &job());
    // Labor 90 min at 120.00/h = 180.00; travel 50.00; the part at list 45.00.
    // Net 275.00; VAT 13 % = 35.75; gross 310.75.
    assert_eq!(
        summary(&p),
        [
            (Labor, 18_000, Payer::Customer, "third_party"),
            (TravelLine, 5_000, Payer::Customer, "third_party"),
            (Part, 4_500, Payer::Customer, "third_party"),
        ]
    );
    assert_eq!(line(&p, Labor).unit_fen, 12_000);
    assert_eq!(line(&p, Part).unit_fen, 4_500);
    assert_eq!(customer(&p), (27_500, 3_575, 31_075));
    assert!(line(&p, Labor).reason.en.contains("class C"));
}

#[test]
fn a_unit_without_a_serial_is_charged_at_list_price() {
    let unit = UnitFacts {
        has_serial: false,
        ..sold_on("2026-01-10")
    };
    // In its first year by the date, but without a serial there is no warranty.
    let decision = decide(unit, standard_policy(), "2026-06-01", Cause::NormalFailure);
    assert!(!decision.in_warranty);
    let p = priced(&decision, &job());
    // As for a third-party product: 180.00 + 50.00 + 45.00 = 275.00; VAT 35.75.
    assert_eq!(
        summary(&p),
        [
            (Labor, 18_000, Payer::Customer, "no_serial"),
            (TravelLine, 5_000, Payer::Customer, "no_serial"),
            (Part, 4_500, Payer::Customer, "no_serial"),
        ]
    );
    assert_eq!(customer(&p), (27_500, 3_575, 31_075));
}

/// Labor and travel free under the contract; parts as the warranty says.
fn labor_and_travel_contract() -> ContractCover {
    ContractCover {
        start: d("2026-01-01"),
        end: d("2026-12-31"),
        parts: None,
        labor: Some(Free),
        travel: Some(Free),
    }
}

#[test]
fn an_active_contract_pays_the_labor_and_travel_it_covers() {
    // Out of warranty (sold 2020), but under a contract for 2026.
    let decision = resolve(
        &sold_on("2020-01-10"),
        Some(&standard_policy()),
        Some(&labor_and_travel_contract()),
        d("2026-06-01"),
        Cause::NormalFailure,
    );
    assert!(decision.covered_by_contract);
    assert_eq!(decision.coverage, cov(ListPrice, Free, Free));

    // No parts: labor's cost 90.00 and travel 50.00, both the contract's.
    let facts = JobFacts {
        parts: Vec::new(),
        ..job()
    };
    let p = priced(&decision, &facts);
    assert_eq!(
        summary(&p),
        [
            (Labor, 9_000, Payer::Contract, "contract"),
            (TravelLine, 5_000, Payer::Contract, "contract"),
        ]
    );
    assert_eq!(by_payer(&p), [(Payer::Contract, 14_000)]);
    assert_eq!(customer(&p), (0, 0, 0));
    assert_eq!(p.service_type, ServiceType::Contract);

    // With the part: the contract leaves parts at list price (45.00, VAT 5.85).
    let p = priced(&decision, &job());
    assert_eq!(
        line(&p, Part).reason.code,
        "contract_terms",
        "{:?}",
        line(&p, Part)
    );
    assert_eq!(line(&p, Part).payer, Payer::Customer);
    assert_eq!(
        by_payer(&p),
        [(Payer::Contract, 14_000), (Payer::Customer, 4_500)]
    );
    assert_eq!(customer(&p), (4_500, 585, 5_085));
    assert_eq!(p.service_type, ServiceType::Paid);
}

#[test]
fn urgent_freight_is_paid_by_the_unit_that_asked() {
    let freight = |by_partner| JobFacts {
        urgent_freight: Some(Freight {
            fen: 2_500,
            by_partner,
        }),
        ..job()
    };
    // In warranty: 90.00 + 50.00 + 30.00 = 170.00 for the warranty, freight 25.00 apart.
    let p = priced(&in_warranty(), &freight(true));
    assert_eq!(
        summary(&p)[3],
        (FreightLine, 2_500, Payer::Partner, "urgent_freight")
    );
    assert_eq!(
        by_payer(&p),
        [(Payer::Warranty, 17_000), (Payer::Partner, 2_500)]
    );
    assert_eq!(customer(&p), (0, 0, 0));

    let p = priced(&in_warranty(), &freight(false));
    assert_eq!(
        summary(&p)[3],
        (FreightLine, 2_500, Payer::Internal, "urgent_freight")
    );
    assert_eq!(
        by_payer(&p),
        [(Payer::Warranty, 17_000), (Payer::Internal, 2_500)]
    );
    // The freight is not the customer's even when the customer pays the rest: list price
    // 275.00 (VAT 35.75) for the customer, 25.00 for the partner, no VAT on it.
    let p = priced(&out_of_warranty(), &freight(true));
    assert_eq!(
        by_payer(&p),
        [(Payer::Customer, 27_500), (Payer::Partner, 2_500)]
    );
    assert_eq!(customer(&p), (27_500, 3_575, 31_075));
}

#[test]
fn internal_work_is_the_company_s_every_line() {
    let facts = JobFacts {
        internal: true,
        ..job()
    };
    // List-price decision, but internal: labor 180.00 + travel 50.00 + part 45.00.
    let p = priced(&out_of_warranty(), &facts);
    assert!(p.lines.iter().all(|l| l.payer == Payer::Internal));
    assert_eq!(by_payer(&p), [(Payer::Internal, 27_500)]);
    assert_eq!(customer(&p), (0, 0, 0));
    assert_eq!(p.service_type, ServiceType::Internal);
}

// ---- surcharges on the 2026 holidays --------------------------------------------

#[test]
fn the_2026_schedule_names_the_holidays_and_not_the_make_up_workdays() {
    let days = cn2026();
    #[rustfmt::skip]
    let table = [
        ("2026-10-02", Some("国庆节")), // 10-01..10-07 off
        ("2026-10-07", Some("国庆节")),
        ("2026-09-27", Some("中秋节")), // 09-25..09-27 off (a Sunday in the break)
        ("2026-02-17", Some("春节")),
        ("2026-09-28", None),          // a Monday after the break
        ("2026-09-20", None),          // 国庆节 make-up workday (a Sunday)
        ("2026-10-10", None),          // 国庆节 make-up workday (a Saturday)
        ("2026-02-14", None),          // 春节 make-up workday (a Saturday)
        ("2026-06-06", None),          // a plain Saturday
    ];
    for (date, want) in table {
        assert_eq!(holiday_on(&days, d(date)).as_deref(), want, "{date}");
    }
}

fn on_day(date: &str) -> JobFacts {
    JobFacts {
        holiday: holiday_on(&cn2026(), d(date)),
        ..job()
    }
}

#[test]
fn a_holiday_doubles_the_labor_and_a_make_up_workday_does_not() {
    // Out of warranty, 2026-10-02: labor 180.00; holiday +100 % = 180.00; travel 50.00;
    // part 45.00. Net 455.00; VAT 59.15; gross 514.15.
    let p = priced(&out_of_warranty(), &on_day("2026-10-02"));
    assert_eq!(
        summary(&p),
        [
            (Labor, 18_000, Payer::Customer, "out_of_warranty"),
            (Surcharge, 18_000, Payer::Customer, "out_of_warranty"),
            (TravelLine, 5_000, Payer::Customer, "out_of_warranty"),
            (Part, 4_500, Payer::Customer, "out_of_warranty"),
        ]
    );
    let s = line(&p, Surcharge);
    assert_eq!(s.code, "holiday");
    assert!(s.description_zh.contains("国庆节"), "{}", s.description_zh);
    assert!(s.description_en.contains("100%"), "{}", s.description_en);
    assert_eq!(customer(&p), (45_500, 5_915, 51_415));

    // A make-up workday, a plain workday: no surcharge line, 275.00 as usual.
    for date in ["2026-02-14", "2026-10-10", "2026-09-28"] {
        let p = priced(&out_of_warranty(), &on_day(date));
        assert!(p.lines.iter().all(|l| l.kind != Surcharge), "{date}");
        assert_eq!(customer(&p).0, 27_500, "{date}");
    }

    // In warranty on a holiday: the surcharge rides on the free labor (its cost 90.00,
    // +100 % = 90.00), the warranty's; the customer still owes nothing.
    let p = priced(&in_warranty(), &on_day("2026-10-02"));
    let s = line(&p, Surcharge);
    assert_eq!(
        (s.amount_fen, s.payer, s.basis),
        (9_000, Payer::Warranty, Free)
    );
    assert_eq!(by_payer(&p), [(Payer::Warranty, 26_000)]);
    assert_eq!(customer(&p), (0, 0, 0));
}

#[test]
fn urgent_and_night_surcharges_are_shares_of_the_labor() {
    let facts = JobFacts {
        urgent: true,
        night: true,
        ..job()
    };
    // Labor 180.00; urgent 50 % = 90.00; night 30 % = 54.00; travel 50.00; part 45.00.
    // Net 180 + 90 + 54 + 50 + 45 = 419.00; VAT 13 % = 54.47; gross 473.47.
    let p = priced(&out_of_warranty(), &facts);
    let surcharges: Vec<(&str, i64)> = p
        .lines
        .iter()
        .filter(|l| l.kind == Surcharge)
        .map(|l| (l.code.as_str(), l.amount_fen))
        .collect();
    assert_eq!(surcharges, [("urgent", 9_000), ("night", 5_400)]);
    assert_eq!(customer(&p), (41_900, 5_447, 47_347));

    // A rate of 0 % gives no line at all.
    let mut s = schedule();
    s.surcharges.night = Rate::ZERO;
    let p = price(&s, &out_of_warranty(), &facts).expect("priced");
    assert_eq!(p.lines.iter().filter(|l| l.kind == Surcharge).count(), 1);

    // Surcharges round half up on their own: labor 10 min → 60 min at 123.45/h = 123.45;
    // urgent 50 % = 61.725 → 61.73; night 30 % = 37.035 → 37.04.
    let mut s = schedule();
    s.labor.rates[0].rate_fen_per_hour = 12_345;
    let facts = JobFacts {
        labor_minutes: 10,
        travel: Travel::None,
        parts: Vec::new(),
        ..facts
    };
    let p = price(&s, &out_of_warranty(), &facts).expect("priced");
    assert_eq!(
        p.lines.iter().map(|l| l.amount_fen).collect::<Vec<_>>(),
        [12_345, 6_173, 3_704]
    );
}

// ---- labor rounding, partner overrides, travel --------------------------------------

#[test]
fn labor_is_charged_per_started_half_hour_with_a_one_hour_minimum() {
    let s = schedule();
    #[rustfmt::skip]
    let table = [
        // worked, billed, amount at 120.00/h (= 2.00 a minute), hours (thousandths)
        (0, 0, None, 0),
        (1, 60, Some(12_000), 1_000),     // the minimum
        (10, 60, Some(12_000), 1_000),    // the minimum
        (60, 60, Some(12_000), 1_000),
        (61, 90, Some(18_000), 1_500),    // a started half hour
        (70, 90, Some(18_000), 1_500),
        (90, 90, Some(18_000), 1_500),
        (91, 120, Some(24_000), 2_000),
        (200, 210, Some(42_000), 3_500),
    ];
    for (worked, billed, amount, hours) in table {
        assert_eq!(billed_minutes(&s, worked), billed, "{worked} min");
        let facts = JobFacts {
            labor_minutes: worked,
            ..job()
        };
        let p = priced(&out_of_warranty(), &facts);
        let labor = p.lines.iter().find(|l| l.kind == Labor);
        assert_eq!(labor.map(|l| l.amount_fen), amount, "{worked} min");
        if let Some(l) = labor {
            assert_eq!(l.qty, Qty(hours), "{worked} min");
        }
    }
    // A 15-minute step and no minimum: 20 min → 30 min at 99.99/h = 49.995 → 50.00;
    // 5 min → 15 min = 24.9975 → 25.00 (half up).
    let mut s = schedule();
    s.labor.step_minutes = 15;
    s.labor.minimum_minutes = 0;
    s.labor.rates[0].rate_fen_per_hour = 9_999;
    for (worked, amount, hours) in [(20, 5_000, 500), (5, 2_500, 250)] {
        let facts = JobFacts {
            labor_minutes: worked,
            ..job()
        };
        let p = price(&s, &out_of_warranty(), &facts).expect("priced");
        assert_eq!(
            (line(&p, Labor).amount_fen, line(&p, Labor).qty),
            (amount, Qty(hours))
        );
    }
}

#[test]
fn a_partner_s_overrides_replace_the_hourly_rate_and_the_travel_fee() {
    let mut s = schedule();
    s.travel.bands = vec![
        DistanceBand {
            up_to_km: 20,
            fee_fen: 5_000,
        },
        DistanceBand {
            up_to_km: 50,
            fee_fen: 8_000,
        },
    ];
    s.travel.per_km_beyond_fen = 150;
    s.partners.push(PartnerOverride {
        org_code: "P-HZ".into(),
        labor_rate_fen_per_hour: Some(10_000),
        travel_fen: Some(6_600),
    });
    s.partners.push(PartnerOverride {
        org_code: "P-NB".into(),
        labor_rate_fen_per_hour: None,
        travel_fen: Some(4_000),
    });
    let facts = |partner: Option<&str>, km| JobFacts {
        partner: partner.map(str::to_owned),
        travel: Travel::Distance { km },
        parts: Vec::new(),
        ..job()
    };
    let run = |f: &JobFacts| price(&s, &out_of_warranty(), f).expect("priced");
    #[rustfmt::skip]
    let table = [
        // partner, km, labor (90 min), travel code, travel fee
        (None, 35, 18_000, "35km", 8_000),          // 120.00/h; band ≤ 50 km
        (None, 20, 18_000, "20km", 5_000),          // a band's end is inclusive
        (None, 80, 18_000, "80km", 12_500),         // 80.00 + 30 km × 1.50
        (Some("P-HZ"), 80, 15_000, "partner", 6_600), // 100.00/h; flat 66.00
        (Some("p-hz"), 5, 15_000, "partner", 6_600),  // codes match in any case
        (Some("P-NB"), 35, 18_000, "partner", 4_000), // travel only
        (Some("P-XX"), 35, 18_000, "35km", 8_000),    // no override: the network's
    ];
    for (partner, km, labor, code, fee) in table {
        let p = run(&facts(partner, km));
        let t = line(&p, TravelLine);
        assert_eq!(line(&p, Labor).amount_fen, labor, "{partner:?} {km}");
        assert_eq!(
            (t.code.as_str(), t.amount_fen),
            (code, fee),
            "{partner:?} {km}"
        );
        assert_eq!(customer(&p).0, labor + fee, "{partner:?} {km}");
    }
    // The partner's rate is what the customer pays; free labor still costs the network's
    // internal rate (90 min at 60.00/h).
    let p = price(&s, &in_warranty(), &facts(Some("P-HZ"), 5)).expect("priced");
    assert_eq!(line(&p, Labor).amount_fen, 9_000);
    // No visit, no travel line, whoever the partner.
    let none = JobFacts {
        travel: Travel::None,
        ..facts(Some("P-HZ"), 0)
    };
    assert_eq!(travel_fee(&s, Travel::None, Some("P-HZ")), None);
    assert!(run(&none).lines.iter().all(|l| l.kind != TravelLine));
}

// ---- VAT per document ---------------------------------------------------------------

fn parts_only(parts: Vec<PartFact>) -> JobFacts {
    JobFacts {
        labor_minutes: 0,
        travel: Travel::None,
        parts,
        ..job()
    }
}

#[test]
fn vat_is_rounded_half_up_once_per_document() {
    #[rustfmt::skip]
    let table = [
        // list price of each of three parts, net, VAT per document, what per-line would give
        // 3 × 1.50: per line 0.195 → 0.20 each = 0.60; per document 4.50 × 13 % = 0.585 → 0.59.
        (150, 450, 59, 60),
        // 3 × 1.49: per line 0.1937 → 0.19 each = 0.57; per document 0.5811 → 0.58.
        (149, 447, 58, 57),
        // 3 × 0.50: per line 0.065 → 0.07 each = 0.21; per document 0.195 → 0.20.
        (50, 150, 20, 21),
    ];
    for (unit, net, vat, per_line) in table {
        let parts = ["A", "B", "C"]
            .iter()
            .map(|no| part(no, Qty::units(1), unit, unit))
            .collect();
        let p = priced(&out_of_warranty(), &parts_only(parts));
        let line_vats: i64 = p
            .lines
            .iter()
            .map(|l| aftersales_domain::charges::apply_rate(l.amount_fen, Rate(130_000)))
            .sum();
        assert_eq!(line_vats, per_line, "{unit}");
        assert_ne!(vat, per_line);
        assert_eq!(customer(&p), (net, vat, net + vat), "{unit}");
    }
    // Exactly half a fen rounds up: 0.50 × 13 % = 0.065 → 0.07 (not to even, 0.06).
    let p = priced(
        &out_of_warranty(),
        &parts_only(vec![part("A", Qty::units(1), 50, 50)]),
    );
    assert_eq!(customer(&p), (50, 7, 57));
    // A VAT of 0 %: gross is net.
    let mut s = schedule();
    s.vat = Rate::ZERO;
    let p = price(&s, &out_of_warranty(), &job()).expect("priced");
    assert_eq!(customer(&p), (27_500, 0, 27_500));
}

// ---- a multi-line quote -----------------------------------------------------------

#[test]
fn a_multi_line_quote_adds_up_to_the_fen() {
    let mut s = schedule();
    s.labor.rates.push(LaborRate {
        skill: "空调".into(),
        rate_fen_per_hour: 15_000,
        internal_cost_fen_per_hour: 7_000,
    });
    s.travel.bands = vec![
        DistanceBand {
            up_to_km: 20,
            fee_fen: 5_000,
        },
        DistanceBand {
            up_to_km: 50,
            fee_fen: 8_000,
        },
    ];
    let facts = JobFacts {
        skill: "空调".into(),
        labor_minutes: 100,
        travel: Travel::Distance { km: 35 },
        parts: vec![
            part("CMP-9", Qty::units(1), 60_000, 85_000),
            part("CAP-45", Qty::units(3), 800, 1_250),
            part("R32", Qty(1_255), 4_000, 6_890),
        ],
        ..job()
    };
    let p = price(&s, &out_of_warranty(), &facts).expect("priced");
    let rows: Vec<(LineKind, &str, Qty, i64, i64)> = p
        .lines
        .iter()
        .map(|l| (l.kind, l.code.as_str(), l.qty, l.unit_fen, l.amount_fen))
        .collect();
    assert_eq!(
        rows,
        [
            // 100 min → 120 min (2 h) at 150.00/h = 300.00
            (Labor, "空调", Qty(2_000), 15_000, 30_000),
            // 35 km: the band up to 50 km
            (TravelLine, "35km", Qty::units(1), 8_000, 8_000),
            // 1 × 850.00
            (Part, "CMP-9", Qty::units(1), 85_000, 85_000),
            // 3 × 12.50 = 37.50
            (Part, "CAP-45", Qty::units(3), 1_250, 3_750),
            // 1.255 kg × 68.90 = 86.4695 → 86.47
            (Part, "R32", Qty(1_255), 6_890, 8_647),
        ]
    );
    assert!(p.lines.iter().all(|l| l.payer == Payer::Customer));
    assert!(p.lines.iter().all(|l| l.reason.code == "out_of_warranty"));
    // Net 300.00 + 80.00 + 850.00 + 37.50 + 86.47 = 1,353.97;
    // VAT 13 % = 176.0161 → 176.02; gross 1,529.99.
    assert_eq!(by_payer(&p), [(Payer::Customer, 135_397)]);
    assert_eq!(customer(&p), (135_397, 17_602, 152_999));
    assert_eq!(p.totals.vat_rate, Rate(130_000));
    assert_eq!(p.service_type, ServiceType::Paid);
}

#[path = "charges/props.rs"]
mod props;
