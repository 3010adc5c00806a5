use super::*;
use jiff::ToSpan;
use serde::de::IntoDeserializer;
use serde::de::value::Error as DeError;

use ChargeBasis::{CostPrice, Free, ListPrice};
use StartBasis::{DayAfterAcceptance, InstallationDate, SaleDate};
use WarrantyClass::{A, B};

fn d(s: &str) -> Date {
    s.parse().expect("a valid test date")
}

/// One of our units with a serial and no dates yet.
fn ours() -> UnitFacts {
    UnitFacts {
        has_serial: true,
        made_by_us: true,
        ..UnitFacts::default()
    }
}

fn sold_on(s: &str) -> UnitFacts {
    UnitFacts {
        sale_date: Some(d(s)),
        ..ours()
    }
}

fn policy(months: u32, start_basis: StartBasis) -> PolicyVersion {
    PolicyVersion {
        effective_from: d("2000-01-01"),
        months,
        start_basis,
        in_warranty: Coverage::FREE,
        after: Vec::new(),
        exclusion_charge: CostPrice,
    }
}

fn cov(parts: ChargeBasis, labor: ChargeBasis, travel: ChargeBasis) -> Coverage {
    Coverage {
        parts,
        labor,
        travel,
    }
}

fn after(from_month: u32, until_month: Option<u32>, coverage: Coverage) -> AfterTerm {
    AfterTerm {
        from_month,
        until_month,
        coverage,
    }
}

/// "Years 1–3 parts and labor free; from year 4 parts at cost price, labor free".
fn lifetime_policy() -> PolicyVersion {
    PolicyVersion {
        after: vec![after(36, None, cov(CostPrice, Free, Free))],
        ..policy(36, DayAfterAcceptance)
    }
}

/// Parts and labor free, travel as the warranty says.
fn contract(start: &str, end: &str) -> ContractCover {
    ContractCover {
        start: d(start),
        end: d(end),
        parts: Some(Free),
        labor: Some(Free),
        travel: None,
    }
}

fn resolve_normal(unit: &UnitFacts, p: &PolicyVersion, on: &str) -> WarrantyDecision {
    resolve(unit, Some(p), None, d(on), Cause::NormalFailure)
}

fn codes(decision: &WarrantyDecision) -> Vec<&'static str> {
    decision.reasons.iter().map(|r| r.code).collect()
}

fn reason<'a>(decision: &'a WarrantyDecision, code: &str) -> &'a Reason {
    decision
        .reasons
        .iter()
        .find(|r| r.code == code)
        .unwrap_or_else(|| panic!("no {code} among {:?}", codes(decision)))
}

// ---- R-WAR-2: start, end, and the days around them --------------------------------

#[test]
fn the_last_day_in_and_the_first_day_out_follow_each_start_basis() {
    let sold = sold_on("2025-03-15");
    let installed = UnitFacts {
        installation_date: Some(d("2025-04-01")),
        sale_date: Some(d("2025-03-01")),
        ..ours()
    };
    let accepted = UnitFacts {
        acceptance_date: Some(d("2025-05-10")),
        installation_date: Some(d("2025-05-01")),
        sale_date: Some(d("2025-03-01")),
        ..ours()
    };
    #[rustfmt::skip]
    let table = [
        // basis, months, unit, service date, in warranty, start, last day in
        (SaleDate, 12, sold, "2025-03-15", true, "2025-03-15", "2026-03-14"),
        (SaleDate, 12, sold, "2026-03-14", true, "2025-03-15", "2026-03-14"),
        (SaleDate, 12, sold, "2026-03-15", false, "2025-03-15", "2026-03-14"),
        (SaleDate, 24, installed, "2027-02-28", true, "2025-03-01", "2027-02-28"),
        (SaleDate, 24, installed, "2027-03-01", false, "2025-03-01", "2027-02-28"),
        (InstallationDate, 18, installed, "2026-09-30", true, "2025-04-01", "2026-09-30"),
        (InstallationDate, 18, installed, "2026-10-01", false, "2025-04-01", "2026-09-30"),
        // 验收签字次日: signed on 05-10, the warranty starts on 05-11.
        (DayAfterAcceptance, 36, accepted, "2025-05-11", true, "2025-05-11", "2028-05-10"),
        (DayAfterAcceptance, 36, accepted, "2028-05-10", true, "2025-05-11", "2028-05-10"),
        (DayAfterAcceptance, 36, accepted, "2028-05-11", false, "2025-05-11", "2028-05-10"),
    ];
    for (basis, months, unit, on, in_warranty, start, end) in table {
        let decision = resolve_normal(&unit, &policy(months, basis), on);
        let case = format!("{basis} {months} months on {on}");
        assert_eq!(decision.in_warranty, in_warranty, "{case}");
        assert_eq!(decision.start, Some(d(start)), "{case}");
        assert_eq!(decision.end, Some(d(end)), "{case}");
        let (class, code) = if in_warranty {
            (A, "in_warranty")
        } else {
            (B, "out_of_warranty")
        };
        assert_eq!(decision.class, class, "{case}");
        assert!(decision.has_reason(code), "{case}: {:?}", codes(&decision));
        assert!(!decision.has_reason("start_fallback"), "{case}");
    }
}

#[test]
fn month_arithmetic_clamps_to_the_end_of_the_month() {
    #[rustfmt::skip]
    let table = [
        // start, months, last day in
        ("2025-01-31", 1, "2025-02-27"),
        ("2024-01-31", 1, "2024-02-28"), // leap year: 02-29 is the first day out
        ("2024-02-29", 12, "2025-02-27"),
        ("2023-03-31", 11, "2024-02-28"),
        ("2025-03-31", 1, "2025-04-29"),
        ("2025-01-15", 1, "2025-02-14"),
        ("2025-12-31", 18, "2027-06-29"),
    ];
    for (start, months, end) in table {
        assert_eq!(
            warranty_end(d(start), months),
            Some(d(end)),
            "{start} + {months}"
        );
        let unit = sold_on(start);
        let p = policy(months, SaleDate);
        assert!(
            resolve_normal(&unit, &p, end).in_warranty,
            "{start}: {end} is in"
        );
        let next = d(end).tomorrow().expect("a next day");
        let out = resolve(&unit, Some(&p), None, next, Cause::NormalFailure);
        assert!(!out.in_warranty, "{start}: {next} is out");
        // The first day out is exactly month `months`, so after-terms line up with it.
        assert_eq!(months_since(d(start), next), months, "{start}: {next}");
        assert_eq!(months_since(d(start), d(end)), months - 1, "{start}: {end}");
    }
}

#[test]
fn a_unit_sold_a_year_ago_is_out_of_warranty_the_next_day() {
    let unit = sold_on("2024-06-01");
    let p = policy(12, SaleDate);
    assert!(resolve_normal(&unit, &p, "2025-05-31").in_warranty);

    let decision = resolve_normal(&unit, &p, "2025-06-01");

    assert!(!decision.in_warranty);
    assert_eq!(decision.class, B);
    assert_eq!(decision.coverage, Coverage::LIST_PRICE);
}

#[test]
fn a_missing_basis_date_falls_back_to_the_next_documented_date_and_says_so() {
    let sale = Some(d("2025-03-01"));
    let ship = Some(d("2025-02-20"));
    let made = Some(d("2025-01-10"));
    let installed = Some(d("2025-03-05"));
    let unit = |sale_date, ship_date, manufacture_date, installation_date| UnitFacts {
        sale_date,
        ship_date,
        manufacture_date,
        installation_date,
        ..ours()
    };
    #[rustfmt::skip]
    let table = [
        // basis, unit (sale, ship, made, installed), start used
        (InstallationDate, unit(sale, ship, None, None), "2025-03-01"),
        (InstallationDate, unit(None, ship, made, None), "2025-02-20"),
        // Falling back from acceptance, the installation date is used as is (no +1 day).
        (DayAfterAcceptance, unit(sale, None, None, installed), "2025-03-05"),
        (DayAfterAcceptance, unit(sale, ship, None, None), "2025-03-01"),
        (DayAfterAcceptance, unit(None, ship, None, None), "2025-02-20"),
        (SaleDate, unit(None, ship, None, None), "2025-02-20"),
        // The manufacture date (by the serial) is the last resort.
        (SaleDate, unit(None, None, made, installed), "2025-01-10"),
        (DayAfterAcceptance, unit(None, None, made, None), "2025-01-10"),
    ];
    for (basis, unit, start) in table {
        let decision = resolve_normal(&unit, &policy(12, basis), "2025-06-01");
        assert_eq!(decision.start, Some(d(start)), "{basis} {unit:?}");
        assert!(decision.has_reason("start_fallback"), "{basis} {unit:?}");
        assert!(decision.in_warranty, "{basis} {unit:?}");
    }
}

#[test]
fn the_fallback_reason_names_the_date_used() {
    let decision = resolve_normal(
        &sold_on("2025-03-01"),
        &policy(12, InstallationDate),
        "2025-06-01",
    );

    let fallback = reason(&decision, "start_fallback");
    assert_eq!(
        fallback.zh,
        "缺少安装日期，改按销售日期 2025-03-01 起算保修"
    );
    assert_eq!(
        fallback.en,
        "No installation date on record: the warranty starts from the sale date 2025-03-01"
    );
}

#[test]
fn a_unit_with_no_date_at_all_is_out_of_warranty() {
    for basis in StartBasis::ALL {
        let decision = resolve_normal(&ours(), &policy(12, basis), "2025-06-01");
        assert!(!decision.in_warranty, "{basis}");
        assert_eq!(decision.class, B);
        assert_eq!((decision.start, decision.end), (None, None));
        assert_eq!(decision.coverage, Coverage::LIST_PRICE);
        assert!(decision.has_reason("no_start_date"));
    }
}

#[test]
fn a_defect_before_the_warranty_starts_is_the_makers_and_counts_as_in_warranty() {
    let unit = UnitFacts {
        sale_date: Some(d("2025-05-01")),
        installation_date: Some(d("2025-06-01")),
        ..ours()
    };

    let decision = resolve_normal(&unit, &policy(12, InstallationDate), "2025-05-20");

    assert!(decision.in_warranty);
    assert_eq!(decision.class, A);
    assert_eq!(decision.coverage, Coverage::FREE);
    assert!(decision.has_reason("before_start"));
}

#[test]
fn the_in_warranty_reason_names_the_end_the_basis_and_the_start() {
    let decision = resolve_normal(&sold_on("2025-03-15"), &policy(12, SaleDate), "2025-10-01");

    let in_warranty = reason(&decision, "in_warranty");
    assert_eq!(
        in_warranty.zh,
        "保修期至 2026-03-14（按销售日期 2025-03-15 起算 12 个月）"
    );
    assert_eq!(
        in_warranty.en,
        "In warranty until 2026-03-14 (12 months from the sale date 2025-03-15)"
    );
    let charges = decision.reasons.last().expect("a charges reason");
    assert_eq!(charges.code, "charges");
    assert_eq!(
        charges.zh,
        "A 类，本次收费：配件免费，人工费免费，上门费免费"
    );
    assert_eq!(
        charges.en,
        "Class A; charges for this job: parts free, labor free, travel free"
    );
}

#[test]
fn in_the_period_a_normal_failure_costs_what_the_policy_says() {
    let p = PolicyVersion {
        in_warranty: cov(Free, Free, ListPrice),
        ..policy(12, SaleDate)
    };

    let decision = resolve_normal(&sold_on("2025-03-15"), &p, "2025-04-01");

    assert_eq!(decision.class, A);
    assert_eq!(decision.coverage, cov(Free, Free, ListPrice));
}

// ---- R-WAR-1: what follows the period ----------------------------------------------

#[test]
fn from_year_four_parts_are_at_cost_and_labor_stays_free() {
    let unit = UnitFacts {
        acceptance_date: Some(d("2025-05-10")),
        ..ours()
    };
    let p = lifetime_policy();
    #[rustfmt::skip]
    let table = [
        // service date, in warranty, coverage
        ("2025-05-11", true, Coverage::FREE),
        ("2028-05-10", true, Coverage::FREE),           // last day of year 3
        ("2028-05-11", false, cov(CostPrice, Free, Free)), // first day of year 4
        ("2035-01-01", false, cov(CostPrice, Free, Free)),
    ];
    for (on, in_warranty, coverage) in table {
        let decision = resolve_normal(&unit, &p, on);
        assert_eq!(decision.in_warranty, in_warranty, "{on}");
        assert_eq!(decision.coverage, coverage, "{on}");
        assert_eq!(decision.has_reason("after_term"), !in_warranty, "{on}");
    }

    let year_four = resolve_normal(&unit, &p, "2028-05-11");
    let term = reason(&year_four, "after_term");
    assert_eq!(
        term.zh,
        "自保修起始日 2025-05-11 起已满 36 个月，适用保修期后的服务条款（第 4 年起）：\
         配件按成本价收取，人工费免费，上门费免费"
    );
    assert_eq!(
        term.en,
        "36 full months since the warranty start 2025-05-11: the after-warranty term \
         (from year 4) applies: parts at cost price, labor free, travel free"
    );
}

#[test]
fn after_the_warranty_parts_are_at_cost_travel_is_charged_and_labor_is_free() {
    let p = PolicyVersion {
        after: vec![after(12, None, cov(CostPrice, Free, ListPrice))],
        ..policy(12, SaleDate)
    };
    let unit = sold_on("2025-03-15");
    assert_eq!(
        resolve_normal(&unit, &p, "2026-03-14").coverage,
        Coverage::FREE
    );

    let decision = resolve_normal(&unit, &p, "2026-03-15");

    assert_eq!(decision.class, B);
    assert_eq!(decision.coverage, cov(CostPrice, Free, ListPrice));
}

#[test]
fn a_bounded_after_term_ends_before_its_until_month_and_list_price_follows() {
    let p = PolicyVersion {
        after: vec![after(12, Some(36), cov(Free, ListPrice, ListPrice))],
        ..policy(12, SaleDate)
    };
    let unit = sold_on("2025-01-01");

    // Month 35 (2027-12-01..2027-12-31) is the last month of the term; month 36 is not.
    let last_month = resolve_normal(&unit, &p, "2027-12-31");
    let after_it = resolve_normal(&unit, &p, "2028-01-01");

    assert_eq!(last_month.coverage, cov(Free, ListPrice, ListPrice));
    assert!(
        reason(&last_month, "after_term")
            .zh
            .contains("第 2 至第 3 年")
    );
    assert_eq!(after_it.coverage, Coverage::LIST_PRICE);
    assert!(after_it.has_reason("no_after_term"));
}

#[test]
fn of_overlapping_after_terms_the_one_starting_latest_applies() {
    let p = PolicyVersion {
        after: vec![
            after(60, None, Coverage::LIST_PRICE),
            after(12, None, cov(CostPrice, Free, Free)),
        ],
        ..policy(12, SaleDate)
    };
    let unit = sold_on("2020-01-01");

    let year_five = resolve_normal(&unit, &p, "2024-12-31");
    let year_six = resolve_normal(&unit, &p, "2025-01-01");

    assert_eq!(year_five.coverage, cov(CostPrice, Free, Free));
    assert_eq!(year_six.coverage, Coverage::LIST_PRICE);
}

#[test]
fn out_of_warranty_without_an_after_term_everything_is_at_list_price() {
    let decision = resolve_normal(&sold_on("2020-01-01"), &policy(12, SaleDate), "2025-01-01");

    assert_eq!(decision.coverage, Coverage::LIST_PRICE);
    assert!(decision.has_reason("no_after_term"));
}

#[test]
fn a_zero_month_policy_has_no_period_only_its_after_terms() {
    let p = PolicyVersion {
        after: vec![after(0, None, cov(CostPrice, Free, ListPrice))],
        ..policy(0, SaleDate)
    };
    let unit = sold_on("2025-03-15");
    for on in ["2025-03-01", "2025-03-15", "2026-01-01"] {
        let decision = resolve_normal(&unit, &p, on);
        assert!(!decision.in_warranty, "{on}");
        assert_eq!(decision.end, None);
        assert_eq!(decision.coverage, cov(CostPrice, Free, ListPrice), "{on}");
    }
}

// ---- R-WAR-3 and R-WAR-4: classes and exclusions -----------------------------------

#[test]
fn each_exclusion_is_charged_at_cost_in_warranty_and_never_cheaper_out_of_it() {
    let p = PolicyVersion {
        after: vec![after(12, None, cov(CostPrice, Free, ListPrice))],
        ..policy(12, SaleDate)
    };
    let unit = sold_on("2025-03-15");
    for cause in Cause::ALL.into_iter().filter(|c| c.is_exclusion()) {
        let inside = resolve(&unit, Some(&p), None, d("2026-03-14"), cause);
        assert_eq!(inside.class, B, "{cause}");
        assert!(inside.in_warranty, "{cause}: the period still runs");
        assert_eq!(inside.coverage, Coverage::all(CostPrice), "{cause}");
        let exclusion = reason(&inside, "exclusion");
        assert!(exclusion.zh.starts_with(cause.zh()), "{}", exclusion.zh);
        assert!(exclusion.zh.contains("虽在保修期内"), "{}", exclusion.zh);
        assert!(exclusion.en.starts_with(cause.en()), "{}", exclusion.en);

        let outside = resolve(&unit, Some(&p), None, d("2026-03-15"), cause);
        assert_eq!(outside.class, B, "{cause}");
        assert!(!outside.in_warranty, "{cause}");
        // Labor is free after the warranty for a normal failure, but not for misuse.
        assert_eq!(
            outside.coverage,
            cov(CostPrice, CostPrice, ListPrice),
            "{cause}"
        );
        assert!(outside.has_reason("exclusion"), "{cause}");
    }
}

#[test]
fn the_same_failure_without_an_exclusion_is_class_a_and_free() {
    let decision = resolve_normal(&sold_on("2025-03-15"), &policy(12, SaleDate), "2026-03-14");

    assert_eq!(decision.class, A);
    assert_eq!(decision.coverage, Coverage::FREE);
    assert!(!decision.has_reason("exclusion"));
}

#[test]
fn misuse_in_warranty_is_charged_at_the_policys_exclusion_charge() {
    let p = PolicyVersion {
        exclusion_charge: ListPrice,
        ..policy(12, SaleDate)
    };

    let decision = resolve(
        &sold_on("2025-03-15"),
        Some(&p),
        None,
        d("2025-04-01"),
        Cause::Misuse,
    );

    assert_eq!(decision.coverage, Coverage::LIST_PRICE);
    assert_eq!(
        reason(&decision, "exclusion").zh,
        "使用不当不属于保修范围，虽在保修期内，\
         配件按收费标准收取，人工费按收费标准收取，上门费按收费标准收取"
    );
}

#[test]
fn a_policy_that_makes_exclusions_free_is_read_as_cost_price() {
    let p = PolicyVersion {
        exclusion_charge: Free,
        ..policy(12, SaleDate)
    };

    let decision = resolve(
        &sold_on("2025-03-15"),
        Some(&p),
        None,
        d("2025-04-01"),
        Cause::ForceMajeure,
    );

    assert_eq!(decision.coverage, Coverage::all(CostPrice));
    assert!(decision.has_reason("exclusion_charge_raised"));
}

#[test]
fn a_unit_without_a_serial_gets_no_warranty_service() {
    let unit = UnitFacts {
        has_serial: false,
        ..sold_on("2025-03-15")
    };

    let decision = resolve_normal(&unit, &policy(12, SaleDate), "2025-04-01");

    assert!(!decision.in_warranty);
    assert_eq!(decision.class, B);
    assert_eq!(decision.coverage, Coverage::LIST_PRICE);
    assert_eq!((decision.start, decision.end), (None, None));
    assert_eq!(codes(&decision), ["no_serial", "charges"]);
}

#[test]
fn a_contract_still_sets_the_charges_of_a_unit_without_a_serial() {
    let unit = UnitFacts {
        has_serial: false,
        ..sold_on("2025-03-15")
    };
    let c = contract("2025-01-01", "2025-12-31");

    let decision = resolve(
        &unit,
        Some(&policy(12, SaleDate)),
        Some(&c),
        d("2025-04-01"),
        Cause::NormalFailure,
    );

    assert!(decision.covered_by_contract);
    assert!(decision.in_warranty);
    assert_eq!(decision.class, A);
    assert_eq!(decision.coverage, cov(Free, Free, ListPrice));
    let no_serial = reason(&decision, "no_serial");
    assert!(
        no_serial.zh.contains("服务合同仍按合同约定收费"),
        "{}",
        no_serial.zh
    );
    assert!(decision.has_reason("contract"));
}

#[test]
fn a_third_party_product_is_class_c_and_charged_at_list_price_even_in_its_period() {
    let unit = UnitFacts {
        made_by_us: false,
        ..sold_on("2025-03-15")
    };
    for cause in Cause::ALL {
        let decision = resolve(
            &unit,
            Some(&policy(12, SaleDate)),
            None,
            d("2025-04-01"),
            cause,
        );
        assert_eq!(decision.class, WarrantyClass::C, "{cause}");
        assert!(!decision.in_warranty, "{cause}");
        assert_eq!(decision.coverage, Coverage::LIST_PRICE, "{cause}");
        assert!(decision.has_reason("third_party"), "{cause}");
    }
}

#[test]
fn a_contract_on_a_third_party_product_sets_its_charges_but_it_stays_class_c() {
    let unit = UnitFacts {
        made_by_us: false,
        ..ours()
    };
    let c = contract("2025-01-01", "2025-12-31");

    let decision = resolve(&unit, None, Some(&c), d("2025-04-01"), Cause::NormalFailure);

    assert_eq!(decision.class, WarrantyClass::C);
    assert!(!decision.in_warranty);
    assert!(decision.covered_by_contract);
    assert_eq!(decision.coverage, cov(Free, Free, ListPrice));
}

#[test]
fn an_oem_unit_is_our_product_and_gets_its_warranty() {
    let unit = UnitFacts {
        oem: true,
        ..sold_on("2025-03-15")
    };

    let decision = resolve_normal(&unit, &policy(12, SaleDate), "2026-03-14");

    assert_eq!(decision.class, A);
    assert!(decision.in_warranty);
}

#[test]
fn a_model_without_a_policy_is_out_of_warranty() {
    let decision = resolve(
        &sold_on("2025-03-15"),
        None,
        None,
        d("2025-04-01"),
        Cause::NormalFailure,
    );

    assert_eq!(decision.class, B);
    assert!(!decision.in_warranty);
    assert_eq!(decision.coverage, Coverage::LIST_PRICE);
    assert!(decision.has_reason("no_policy"));
}

// ---- Service contracts -------------------------------------------------------------

#[test]
fn a_contract_covers_from_its_first_day_to_its_last_day_inclusive() {
    let unit = sold_on("2020-01-01");
    let p = policy(12, SaleDate);
    let c = contract("2025-01-01", "2025-12-31");
    let by_contract = cov(Free, Free, ListPrice);
    #[rustfmt::skip]
    let table = [
        // service date, covered, class, coverage, reason
        ("2024-12-31", false, B, Coverage::LIST_PRICE, "contract_not_started"),
        ("2025-01-01", true, A, by_contract, "contract"), // starting that day
        ("2025-07-01", true, A, by_contract, "contract"),
        ("2025-12-31", true, A, by_contract, "contract"), // ending that day
        ("2026-01-01", false, B, Coverage::LIST_PRICE, "contract_expired"),
    ];
    for (on, covered, class, coverage, code) in table {
        let decision = resolve(&unit, Some(&p), Some(&c), d(on), Cause::NormalFailure);
        assert_eq!(decision.covered_by_contract, covered, "{on}");
        assert_eq!(decision.in_warranty, covered, "{on}");
        assert_eq!(decision.class, class, "{on}");
        assert_eq!(decision.coverage, coverage, "{on}");
        assert!(decision.has_reason(code), "{on}: {:?}", codes(&decision));
    }

    let active = resolve(
        &unit,
        Some(&p),
        Some(&c),
        d("2025-07-01"),
        Cause::NormalFailure,
    );
    let terms = reason(&active, "contract");
    assert_eq!(
        terms.zh,
        "服务合同有效（2025-01-01 至 2025-12-31）：配件免费，人工费免费"
    );
    assert_eq!(
        terms.en,
        "Service contract active (2025-01-01 to 2025-12-31): parts free, labor free"
    );
}

#[test]
fn a_contract_only_replaces_the_items_it_names() {
    let p = PolicyVersion {
        in_warranty: cov(Free, Free, ListPrice),
        ..policy(12, SaleDate)
    };
    let c = ContractCover {
        parts: None,
        labor: None,
        travel: Some(Free),
        ..contract("2025-01-01", "2025-12-31")
    };

    let decision = resolve(
        &sold_on("2025-03-15"),
        Some(&p),
        Some(&c),
        d("2025-04-01"),
        Cause::NormalFailure,
    );

    assert_eq!(decision.coverage, Coverage::FREE);
    assert!(decision.covered_by_contract);
}

#[test]
fn misuse_under_a_contract_is_still_class_b_but_the_contract_sets_the_charges() {
    let c = contract("2025-01-01", "2025-12-31");
    let out_of_period = sold_on("2020-01-01");

    let decision = resolve(
        &out_of_period,
        Some(&policy(12, SaleDate)),
        Some(&c),
        d("2025-04-01"),
        Cause::Misuse,
    );

    assert_eq!(decision.class, B);
    assert!(
        !decision.in_warranty,
        "a contract puts only normal failures in warranty"
    );
    assert!(decision.covered_by_contract);
    assert_eq!(decision.coverage, cov(Free, Free, ListPrice));
}

// ---- Policy versions ----------------------------------------------------------------

#[test]
fn a_policy_change_applies_to_units_sold_from_its_date_and_never_rewrites_the_past() {
    let old = PolicyVersion {
        effective_from: d("2020-01-01"),
        ..policy(12, SaleDate)
    };
    let new = PolicyVersion {
        effective_from: d("2024-07-01"),
        ..policy(24, SaleDate)
    };
    // Newest first on purpose: the order of the slice must not matter.
    let versions = [new, old];
    let unit = |sale: Option<&str>, ship: Option<&str>, made: Option<&str>| UnitFacts {
        sale_date: sale.map(d),
        ship_date: ship.map(d),
        manufacture_date: made.map(d),
        ..ours()
    };
    #[rustfmt::skip]
    let table = [
        // unit (sale, ship, manufacture), months of the version chosen
        (unit(Some("2024-06-30"), None, None), 12),
        (unit(Some("2024-07-01"), None, None), 24), // sold on the effective date
        (unit(Some("2025-01-01"), None, None), 24),
        // The sale date decides even when the unit shipped after the change.
        (unit(Some("2024-06-30"), Some("2024-07-05"), None), 12),
        (unit(None, Some("2024-07-02"), Some("2024-06-01")), 24),
        (unit(None, None, Some("2024-06-01")), 12),
        // Before every version, or with no date: the earliest version.
        (unit(Some("2019-05-01"), None, None), 12),
        (unit(None, None, None), 12),
    ];
    for (unit, months) in table {
        let chosen = select_version(&versions, &unit).expect("a version");
        assert_eq!(chosen.months, months, "{unit:?}");
    }
    assert_eq!(select_version(&[], &ours()), None);
}

#[test]
fn of_two_versions_with_the_same_date_the_later_one_listed_wins() {
    let versions = [policy(12, SaleDate), policy(18, SaleDate)];

    let dated = select_version(&versions, &sold_on("2025-01-01")).expect("a version");
    let undated = select_version(&versions, &ours()).expect("a version");

    assert_eq!(dated.months, 18);
    assert_eq!(undated.months, 18);
}

// ---- Names and edges -----------------------------------------------------------------

#[test]
fn every_enum_parses_its_own_name_and_serde_uses_the_same_name() {
    fn check<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
    where
        T: Copy + PartialEq + fmt::Debug + for<'de> Deserialize<'de>,
    {
        for &v in all {
            let name = as_str(v);
            assert_eq!(parse(name), Some(v), "{name}");
            let de = T::deserialize(IntoDeserializer::<DeError>::into_deserializer(name))
                .expect("serde knows the name");
            assert_eq!(de, v, "{name}");
        }
        assert_eq!(parse("nonsense"), None);
    }
    check(&ChargeBasis::ALL, ChargeBasis::as_str, ChargeBasis::parse);
    check(&StartBasis::ALL, StartBasis::as_str, StartBasis::parse);
    check(&Cause::ALL, Cause::as_str, Cause::parse);
    check(
        &WarrantyClass::ALL,
        WarrantyClass::as_str,
        WarrantyClass::parse,
    );
    assert_eq!(WarrantyClass::parse("a"), None);
}

#[test]
fn resolving_near_the_end_of_the_calendar_does_not_panic() {
    let unit = UnitFacts {
        acceptance_date: Some(Date::MAX),
        ..ours()
    };

    let decision = resolve_normal(&unit, &policy(600, DayAfterAcceptance), "9999-12-31");

    assert!(decision.in_warranty);
    assert_eq!(decision.end, Some(Date::MAX));
    assert_eq!(warranty_end(d("2025-01-01"), u32::MAX), Some(Date::MAX));
    // -9999-01-01 to 9999-12-31: 19,998 years and 11 months.
    assert_eq!(months_since(Date::MIN, Date::MAX), 19_998 * 12 + 11);
}

// ---- Properties ----------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::option::of;
    use proptest::prelude::*;
    use proptest::sample::select;

    fn date() -> impl Strategy<Value = Date> {
        (0i64..15_000).prop_map(|n| {
            d("2000-01-01")
                .checked_add(n.days())
                .expect("within the calendar")
        })
    }

    fn charge() -> impl Strategy<Value = ChargeBasis> {
        select(ChargeBasis::ALL.to_vec())
    }

    fn coverage() -> impl Strategy<Value = Coverage> {
        (charge(), charge(), charge()).prop_map(|(p, l, t)| cov(p, l, t))
    }

    fn cause() -> impl Strategy<Value = Cause> {
        select(Cause::ALL.to_vec())
    }

    fn exclusion() -> impl Strategy<Value = Cause> {
        select(Cause::ALL[1..].to_vec())
    }

    fn after_term() -> impl Strategy<Value = AfterTerm> {
        (0u32..120, of(1u32..80), coverage())
            .prop_map(|(from, length, c)| after(from, length.map(|l| from + l), c))
    }

    fn policy() -> impl Strategy<Value = PolicyVersion> {
        (
            date(),
            0u32..=120,
            select(StartBasis::ALL.to_vec()),
            coverage(),
            vec(after_term(), 0..3),
            charge(),
        )
            .prop_map(
                |(effective_from, months, start_basis, in_warranty, after, exclusion_charge)| {
                    PolicyVersion {
                        effective_from,
                        months,
                        start_basis,
                        in_warranty,
                        after,
                        exclusion_charge,
                    }
                },
            )
    }

    fn unit() -> impl Strategy<Value = UnitFacts> {
        let dates = (of(date()), of(date()), of(date()), of(date()), of(date()));
        (any::<bool>(), any::<bool>(), any::<bool>(), dates).prop_map(
            |(has_serial, made_by_us, oem, (made, ship, sale, installed, accepted))| UnitFacts {
                has_serial,
                made_by_us,
                oem,
                manufacture_date: made,
                ship_date: ship,
                sale_date: sale,
                installation_date: installed,
                acceptance_date: accepted,
            },
        )
    }

    fn contract() -> impl Strategy<Value = ContractCover> {
        (
            date(),
            0i64..2_000,
            of(charge()),
            of(charge()),
            of(charge()),
        )
            .prop_map(|(start, length, parts, labor, travel)| ContractCover {
                start,
                end: start.saturating_add(length.days()),
                parts,
                labor,
                travel,
            })
    }

    proptest! {
        #[test]
        fn without_a_serial_a_unit_is_never_in_warranty_from_its_period(
            unit in unit(),
            p in of(policy()),
            c in of(contract()),
            on in date(),
            cause in cause(),
        ) {
            let unit = UnitFacts { has_serial: false, ..unit };
            let decision = resolve(&unit, p.as_ref(), c.as_ref(), on, cause);
            if !c.is_some_and(|c| c.is_active(on)) {
                prop_assert!(!decision.in_warranty);
                prop_assert_ne!(decision.class, A);
            }
            prop_assert_eq!(decision.start, None);
        }

        #[test]
        fn a_later_service_date_never_turns_out_of_warranty_into_in_warranty(
            unit in unit(),
            p in policy(),
            on in date(),
            later_by in 0i64..5_000,
            cause in cause(),
        ) {
            let later = on.saturating_add(later_by.days());
            let first = resolve(&unit, Some(&p), None, on, cause);
            let second = resolve(&unit, Some(&p), None, later, cause);
            prop_assert!(first.in_warranty || !second.in_warranty);
        }

        #[test]
        fn a_longer_policy_never_ends_earlier(
            unit in unit(),
            p in policy(),
            extra in 1u32..60,
            on in date(),
            cause in cause(),
        ) {
            let longer = PolicyVersion { months: p.months + extra, ..p.clone() };
            let short = resolve(&unit, Some(&p), None, on, cause);
            let long = resolve(&unit, Some(&longer), None, on, cause);
            if let Some(short_end) = short.end {
                let long_end = long.end.expect("a longer policy has an end too");
                prop_assert!(long_end >= short_end);
            }
            prop_assert!(!short.in_warranty || long.in_warranty);
        }

        #[test]
        fn class_c_is_exactly_the_products_not_made_by_us(
            unit in unit(),
            p in of(policy()),
            c in of(contract()),
            on in date(),
            cause in cause(),
        ) {
            let decision = resolve(&unit, p.as_ref(), c.as_ref(), on, cause);
            prop_assert_eq!(decision.class == WarrantyClass::C, !unit.made_by_us);
        }

        #[test]
        fn an_exclusion_is_never_free_unless_a_contract_says_so(
            unit in unit(),
            p in of(policy()),
            c in of(contract()),
            on in date(),
            cause in exclusion(),
        ) {
            let decision = resolve(&unit, p.as_ref(), c.as_ref(), on, cause);
            let active = c.filter(|c| c.is_active(on));
            let contract_frees = |item: fn(&ContractCover) -> Option<ChargeBasis>| {
                active.as_ref().and_then(item) == Some(Free)
            };
            if !contract_frees(|c| c.parts) {
                prop_assert_ne!(decision.coverage.parts, Free);
            }
            if !contract_frees(|c| c.labor) {
                prop_assert_ne!(decision.coverage.labor, Free);
            }
            if !contract_frees(|c| c.travel) {
                prop_assert_ne!(decision.coverage.travel, Free);
            }
            prop_assert_ne!(decision.class, A);
        }

        #[test]
        fn class_a_means_in_warranty_with_a_normal_failure_on_our_product(
            unit in unit(),
            p in of(policy()),
            c in of(contract()),
            on in date(),
            cause in cause(),
        ) {
            let decision = resolve(&unit, p.as_ref(), c.as_ref(), on, cause);
            prop_assert_eq!(
                decision.class == A,
                unit.made_by_us && decision.in_warranty && cause == Cause::NormalFailure
            );
            prop_assert_eq!(decision.reasons.last().map(|r| r.code), Some("charges"));
        }

        #[test]
        fn whenever_in_warranty_a_normal_failure_is_class_a_at_the_policys_coverage(
            unit in unit(),
            p in policy(),
            on in date(),
        ) {
            let decision = resolve(&unit, Some(&p), None, on, Cause::NormalFailure);
            if decision.in_warranty {
                prop_assert_eq!(decision.coverage, p.in_warranty);
                prop_assert_eq!(decision.class, A);
                prop_assert!(on <= decision.end.expect("an end when in warranty"));
            }
        }

        #[test]
        fn the_chosen_version_is_the_latest_one_not_after_the_units_date(
            versions in vec(policy(), 1..5),
            unit in unit(),
        ) {
            let chosen = select_version(&versions, &unit).expect("a version");
            let reference = unit.sale_date.or(unit.ship_date).or(unit.manufacture_date);
            match reference {
                Some(r) if versions.iter().any(|v| v.effective_from <= r) => {
                    prop_assert!(chosen.effective_from <= r);
                    prop_assert!(versions
                        .iter()
                        .filter(|v| v.effective_from <= r)
                        .all(|v| v.effective_from <= chosen.effective_from));
                }
                _ => prop_assert!(versions
                    .iter()
                    .all(|v| v.effective_from >= chosen.effective_from)),
            }
        }
    }
}
