//! The properties every priced job keeps, over arbitrary decisions, facts and schedules
//! within bounds, and over decisions of the real resolver.

use super::*;
use aftersales_domain::charges::PayerTotal;
use aftersales_domain::parts::MAX_PRICE_FEN;
use aftersales_domain::warranty::Reason;
use proptest::prelude::*;

fn basis() -> impl Strategy<Value = ChargeBasis> {
    prop_oneof![Just(Free), Just(CostPrice), Just(ListPrice)]
}

fn reason_code() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("third_party"),
        Just("no_serial"),
        Just("exclusion"),
        Just("after_term"),
        Just("in_warranty"),
    ]
}

prop_compose! {
    fn any_decision()(
        parts in basis(),
        labor in basis(),
        travel in basis(),
        covered_by_contract in any::<bool>(),
        in_warranty in any::<bool>(),
        codes in prop::collection::vec(reason_code(), 0..3),
    ) -> WarrantyDecision {
        WarrantyDecision {
            class: WarrantyClass::B,
            in_warranty,
            start: None,
            end: None,
            coverage: Coverage { parts, labor, travel },
            covered_by_contract,
            reasons: codes.into_iter().map(|c| Reason::new(c, c, c)).collect(),
        }
    }
}

fn fen(max: i64) -> impl Strategy<Value = i64> {
    0..=max
}

fn rate(max: u32) -> impl Strategy<Value = Rate> {
    (0..=max).prop_map(Rate)
}

prop_compose! {
    fn any_schedule()(
        rate_fen in fen(1_000_000),
        cost_fen in fen(1_000_000),
        minimum_minutes in 0u32..=1_440,
        step_minutes in 1u32..=240,
        travel in (fen(1_000_000), fen(1_000_000), fen(1_000_000)),
        band_fees in prop::collection::vec((1u32..=500, fen(1_000_000)), 0..4),
        per_km_beyond_fen in fen(10_000),
        surcharges in (rate(Rate::MAX.0), rate(Rate::MAX.0), rate(Rate::MAX.0)),
        vat in rate(Rate::PPM),
        partner in prop::option::of((prop::option::of(fen(1_000_000)), prop::option::of(fen(1_000_000)))),
    ) -> FeeSchedule {
        let mut s = FeeSchedule::starter();
        s.labor.rates[0].rate_fen_per_hour = rate_fen;
        s.labor.rates[0].internal_cost_fen_per_hour = cost_fen;
        s.labor.minimum_minutes = minimum_minutes;
        s.labor.step_minutes = step_minutes;
        s.travel.same_city_fen = travel.0;
        s.travel.same_province_fen = travel.1;
        s.travel.other_province_fen = travel.2;
        // Strictly ascending bands from cumulative widths.
        let mut up_to = 0;
        s.travel.bands = band_fees
            .into_iter()
            .map(|(width, fee_fen)| {
                up_to += width;
                DistanceBand { up_to_km: up_to, fee_fen }
            })
            .collect();
        s.travel.per_km_beyond_fen = per_km_beyond_fen;
        s.surcharges.urgent = surcharges.0;
        s.surcharges.night = surcharges.1;
        s.surcharges.holiday = surcharges.2;
        s.vat = vat;
        if let Some((labor, travel)) = partner {
            s.partners.push(PartnerOverride {
                org_code: "P-1".into(),
                labor_rate_fen_per_hour: labor,
                travel_fen: travel,
            });
        }
        s.check().expect("a schedule within bounds");
        s
    }
}

fn any_travel() -> impl Strategy<Value = Travel> {
    prop_oneof![
        Just(Travel::None),
        prop::sample::select(RegionClass::ALL).prop_map(Travel::Region),
        (0u32..=3_000).prop_map(|km| Travel::Distance { km }),
    ]
}

fn any_part() -> impl Strategy<Value = PartFact> {
    // Up to a thousand units, up to 1,000,000.00 each (under MAX_PRICE_FEN).
    (
        1i64..=1_000_000,
        fen(MAX_PRICE_FEN / 10),
        fen(MAX_PRICE_FEN / 10),
    )
        .prop_map(|(q, cost, list)| part("P", Qty(q), cost, list))
}

prop_compose! {
    fn any_facts()(
        internal in any::<bool>(),
        labor_minutes in prop_oneof![Just(0u32), 1u32..=2_000],
        travel in any_travel(),
        parts in prop::collection::vec(any_part(), 0..5),
        flags in (any::<bool>(), any::<bool>(), any::<bool>()),
        freight in prop::option::of((fen(1_000_000), any::<bool>())),
        partner in prop::option::of(prop::sample::select(vec!["P-1", "p-1", "P-2"])),
    ) -> JobFacts {
        JobFacts {
            internal,
            skill: String::new(),
            labor_minutes,
            travel,
            parts,
            urgent: flags.0,
            night: flags.1,
            holiday: flags.2.then(|| "国庆节".to_owned()),
            urgent_freight: freight.map(|(fen, by_partner)| Freight { fen, by_partner }),
            partner: partner.map(str::to_owned),
        }
    }
}

/// The item of the decision a line belongs to; `None` for freight.
fn item_basis(decision: &WarrantyDecision, kind: LineKind) -> Option<ChargeBasis> {
    let c = decision.coverage;
    match kind {
        Labor | Surcharge => Some(c.labor),
        TravelLine => Some(c.travel),
        Part => Some(c.parts),
        FreightLine => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_covered_item_is_never_the_customer_s(
        s in any_schedule(),
        decision in any_decision(),
        facts in any_facts(),
    ) {
        let p = price(&s, &decision, &facts).expect("a default rate");
        for l in &p.lines {
            let basis = item_basis(&decision, l.kind);
            if let Some(b) = basis {
                prop_assert_eq!(l.basis, b, "{:?}", l);
            }
            // (a) free in the decision: never the customer's.
            if basis == Some(Free) {
                prop_assert_ne!(l.payer, Payer::Customer, "{:?}", l);
                let want = if facts.internal {
                    Payer::Internal
                } else if decision.covered_by_contract {
                    Payer::Contract
                } else {
                    Payer::Warranty
                };
                prop_assert_eq!(l.payer, want, "{:?}", l);
            }
            // A charged item is the customer's unless the work is internal.
            if matches!(basis, Some(CostPrice | ListPrice)) {
                let want = if facts.internal { Payer::Internal } else { Payer::Customer };
                prop_assert_eq!(l.payer, want, "{:?}", l);
            }
            if l.kind == FreightLine {
                prop_assert_ne!(l.payer, Payer::Customer);
            }
        }
    }

    #[test]
    fn totals_are_the_sums_of_the_lines(
        s in any_schedule(),
        decision in any_decision(),
        facts in any_facts(),
    ) {
        let p = price(&s, &decision, &facts).expect("a default rate");
        // (b) by payer, every payer with a line, in the order of Payer::ALL.
        let want: Vec<PayerTotal> = Payer::ALL
            .iter()
            .filter(|payer| p.lines.iter().any(|l| l.payer == **payer))
            .map(|&payer| PayerTotal {
                payer,
                amount_fen: p.lines.iter().filter(|l| l.payer == payer).map(|l| l.amount_fen).sum(),
            })
            .collect();
        prop_assert_eq!(&p.totals.by_payer, &want);
        let t = &p.totals;
        let customer: i64 = p.lines.iter().filter(|l| l.payer == Payer::Customer).map(|l| l.amount_fen).sum();
        prop_assert_eq!(t.customer_net_fen, customer);
        prop_assert_eq!(t.customer_gross_fen, t.customer_net_fen + t.customer_vat_fen);
        prop_assert_eq!(t.vat_rate, s.vat);
        // (c) the VAT is net × rate within half a fen: |vat·10⁶ − net·rate| ≤ ½·10⁶.
        let exact = i128::from(t.customer_net_fen) * i128::from(s.vat.0);
        let diff = (i128::from(t.customer_vat_fen) * i128::from(Rate::PPM) - exact).abs();
        prop_assert!(2 * diff <= i128::from(Rate::PPM), "vat {} of {}", t.customer_vat_fen, t.customer_net_fen);
        // (d) nothing negative.
        for l in &p.lines {
            prop_assert!(l.amount_fen >= 0 && l.unit_fen >= 0 && l.qty.0 >= 0, "{:?}", l);
        }
        prop_assert!(t.by_payer.iter().all(|x| x.amount_fen >= 0));
        prop_assert!(t.customer_net_fen >= 0 && t.customer_vat_fen >= 0);
        // The service type follows the lines.
        let has = |payer| t.by_payer.iter().any(|x| x.payer == payer && x.amount_fen > 0);
        let want_type = if facts.internal {
            ServiceType::Internal
        } else if t.customer_net_fen > 0 {
            ServiceType::Paid
        } else if has(Payer::Contract) {
            ServiceType::Contract
        } else {
            ServiceType::Free
        };
        prop_assert_eq!(p.service_type, want_type);
        prop_assert_eq!(p.chargeable(), t.customer_gross_fen > 0);
    }

    /// The same through the real resolver: whatever the unit, policy, contract, date and
    /// cause, an item the decision makes free is never the customer's.
    #[test]
    fn through_the_resolver_a_free_item_is_never_the_customer_s(
        made_by_us in any::<bool>(),
        has_serial in any::<bool>(),
        sold_days_ago in 0i64..=4_000,
        months in 0u32..=60,
        in_warranty_cov in (basis(), basis(), basis()),
        after_cov in prop::option::of((0u32..=60, basis(), basis(), basis())),
        exclusion_charge in basis(),
        contract in prop::option::of((-400i64..=400, 0i64..=800, prop::option::of(basis()), prop::option::of(basis()), prop::option::of(basis()))),
        cause in prop::sample::select(Cause::ALL.to_vec()),
        facts in any_facts(),
    ) {
        let on = d("2026-06-01");
        let unit = UnitFacts {
            made_by_us,
            has_serial,
            sale_date: Some(on.saturating_sub(jiff::Span::new().days(sold_days_ago))),
            ..UnitFacts::default()
        };
        let policy = PolicyVersion {
            effective_from: d("2000-01-01"),
            months,
            start_basis: StartBasis::SaleDate,
            in_warranty: cov(in_warranty_cov.0, in_warranty_cov.1, in_warranty_cov.2),
            after: after_cov
                .map(|(from_month, p, l, t)| AfterTerm { from_month, until_month: None, coverage: cov(p, l, t) })
                .into_iter()
                .collect(),
            exclusion_charge,
        };
        let contract = contract.map(|(start, len, parts, labor, travel)| {
            let start = on.saturating_add(jiff::Span::new().days(start));
            ContractCover {
                start,
                end: start.saturating_add(jiff::Span::new().days(len)),
                parts,
                labor,
                travel,
            }
        });
        let decision = resolve(&unit, Some(&policy), contract.as_ref(), on, cause);
        let p = price(&schedule(), &decision, &facts).expect("a default rate");
        for l in &p.lines {
            if item_basis(&decision, l.kind) == Some(Free) {
                prop_assert_ne!(l.payer, Payer::Customer, "{:?} {:?}", l, decision.coverage);
            }
        }
        prop_assert_eq!(
            p.totals.customer_net_fen,
            p.lines.iter().filter(|l| l.payer == Payer::Customer).map(|l| l.amount_fen).sum::<i64>()
        );
    }
}
