use super::*;

#[test]
fn vocabularies_round_trip_through_their_names() {
    for v in PartCategory::ALL {
        assert_eq!(PartCategory::parse(v.as_str()), Some(*v));
    }
    for v in Uom::ALL {
        assert_eq!(Uom::parse(v.as_str()), Some(*v));
    }
    for v in Condition::ALL {
        assert_eq!(Condition::parse(v.as_str()), Some(*v));
    }
    for v in LocationKind::ALL {
        assert_eq!(LocationKind::parse(v.as_str()), Some(*v));
    }
    for v in MoveKind::ALL {
        assert_eq!(MoveKind::parse(v.as_str()), Some(*v));
    }
    assert_eq!(MoveKind::parse("Issue"), None);
}

#[test]
fn quantities_parse_as_people_write_them() {
    let q = |s: &str, u: Uom| Qty::parse("qty", s, u);
    assert_eq!(q("12", Uom::Piece), Ok(Qty(12_000)));
    assert_eq!(q(" 007 ", Uom::Piece), Ok(Qty(7_000)));
    assert_eq!(q("2.0", Uom::Piece), Ok(Qty(2_000)));
    assert_eq!(q("1.5", Uom::Metre), Ok(Qty(1_500)));
    assert_eq!(q("0.125", Uom::Kilogram), Ok(Qty(125)));
    assert_eq!(q("1000000", Uom::Piece), Ok(Qty(1_000_000_000)));
    let code = |s: &str, u: Uom| q(s, u).expect_err(s).code;
    assert_eq!(code("1.5", Uom::Piece), "whole_number");
    assert_eq!(code("0.0001", Uom::Metre), "too_precise");
    assert_eq!(code("0", Uom::Piece), "must_be_positive");
    assert_eq!(code("-3", Uom::Piece), "must_be_positive");
    assert_eq!(code("1000001", Uom::Piece), "out_of_range");
    assert_eq!(code("99999999999999999999", Uom::Piece), "out_of_range");
    assert_eq!(code("1e3", Uom::Piece), "invalid_number");
    assert_eq!(code("", Uom::Piece), "required");
    assert_eq!(code(".", Uom::Metre), "invalid_number");
    assert_eq!(code("NaN", Uom::Metre), "invalid_number");
}

#[test]
fn levels_take_zero_but_nothing_below() {
    let level = |s: &str| Qty::parse_level("counted", s, Uom::Piece);
    assert_eq!(level("0"), Ok(Qty::ZERO));
    assert_eq!(level("-0"), Ok(Qty::ZERO));
    assert_eq!(level("3"), Ok(Qty(3_000)));
    assert_eq!(level("-1").expect_err("-1").code, "must_be_positive");
    assert_eq!(level("1.5").expect_err("1.5").code, "whole_number");
    let json = |v: serde_json::Value| Qty::parse_json_level("reorder_point", &v, Uom::Metre);
    assert_eq!(json(serde_json::json!(0)), Ok(Qty::ZERO));
    assert_eq!(json(serde_json::json!("0.000")), Ok(Qty::ZERO));
    assert_eq!(json(serde_json::json!(0.5)), Ok(Qty(500)));
    assert_eq!(
        Qty::parse_json("qty", &serde_json::json!("0"), Uom::Piece)
            .expect_err("a move of nothing")
            .code,
        "must_be_positive"
    );
}

#[test]
fn quantities_read_from_json_numbers_and_strings() {
    let j = |v: serde_json::Value| Qty::parse_json("qty", &v, Uom::Piece);
    assert_eq!(j(serde_json::json!(3)), Ok(Qty(3_000)));
    assert_eq!(j(serde_json::json!("3")), Ok(Qty(3_000)));
    assert_eq!(
        j(serde_json::json!(2.5)).expect_err("fraction").code,
        "whole_number"
    );
    assert_eq!(
        j(serde_json::json!(true)).expect_err("bool").code,
        "invalid_number"
    );
    assert_eq!(
        j(serde_json::Value::Null).expect_err("null").code,
        "required"
    );
}

#[test]
fn quantities_display_without_trailing_zeros() {
    assert_eq!(Qty(12_000).display(), "12");
    assert_eq!(Qty(1_500).display(), "1.5");
    assert_eq!(Qty(125).display(), "0.125");
    assert_eq!(Qty(-2_250).display(), "-2.25");
}

#[test]
fn each_kind_of_move_joins_its_own_locations() {
    use LocationKind as L;
    let ok =
        |k: MoveKind, f, t| k.check(f, t, Condition::New, k.needs_work_order(), k.needs_reason());
    assert!(ok(MoveKind::Receipt, L::Supplier, L::Warehouse).is_ok());
    assert_eq!(
        ok(MoveKind::Receipt, L::Warehouse, L::Store)
            .expect_err("from")
            .field,
        "from"
    );
    assert!(ok(MoveKind::TransferOut, L::Warehouse, L::InTransit).is_ok());
    assert_eq!(
        ok(MoveKind::TransferOut, L::Warehouse, L::Van)
            .expect_err("to")
            .field,
        "to"
    );
    assert!(ok(MoveKind::TransferIn, L::InTransit, L::Van).is_ok());
    assert!(ok(MoveKind::Issue, L::Van, L::Customer).is_ok());
    assert!(ok(MoveKind::Issue, L::Customer, L::Customer).is_err());
    assert!(ok(MoveKind::Scrap, L::Store, L::Scrap).is_ok());
    assert!(ok(MoveKind::CountLoss, L::PartnerStore, L::Adjustment).is_ok());
    assert!(ok(MoveKind::CountGain, L::Adjustment, L::Van).is_ok());
    // Transit is not a place a part is handed over at the counter.
    assert!(ok(MoveKind::Transfer, L::InTransit, L::Van).is_err());
}

#[test]
fn moves_carry_the_references_their_kind_needs() {
    use LocationKind as L;
    let e = MoveKind::Issue
        .check(L::Van, L::Customer, Condition::New, false, false)
        .expect_err("no work order");
    assert_eq!((e.field.as_str(), e.code), ("work_order", "required"));
    let e = MoveKind::Receipt
        .check(L::Supplier, L::Warehouse, Condition::New, true, false)
        .expect_err("work order on a receipt");
    assert_eq!((e.field.as_str(), e.code), ("work_order", "not_allowed"));
    let e = MoveKind::CountLoss
        .check(L::Store, L::Adjustment, Condition::New, false, false)
        .expect_err("no reason");
    assert_eq!((e.field.as_str(), e.code), ("reason", "required"));
    // Nobody fits a defective part, and a part taken out of a unit is defective.
    assert!(
        MoveKind::Issue
            .check(L::Van, L::Customer, Condition::Defective, true, false)
            .is_err()
    );
    assert!(
        MoveKind::DefectiveIn
            .check(L::Customer, L::Van, Condition::New, true, false)
            .is_err()
    );
    assert!(
        MoveKind::DefectiveIn
            .check(L::Customer, L::Van, Condition::Defective, true, false)
            .is_ok()
    );
}

#[test]
fn moving_average_carries_every_fen_out_with_the_last_unit() {
    // Three received at 10.00 and one at 13.01: the average is 10.7525.
    let b = Balance::default()
        .add(Qty::units(3), 3_000)
        .add(Qty::units(1), 1_301);
    assert_eq!(b.unit_cost_fen(), 1_075);
    let out1 = b.outflow_value(Qty::units(1)).expect("on hand");
    assert_eq!(out1, 1_075); // 1075.25 rounds to 1075
    let b = b.take(Qty::units(1), out1);
    let out2 = b.outflow_value(Qty::units(2)).expect("on hand");
    let b = b.take(Qty::units(2), out2);
    let last = b.outflow_value(Qty::units(1)).expect("on hand");
    assert_eq!(out1 + out2 + last, 4_301);
    assert_eq!(b.take(Qty::units(1), last), Balance::default());
}

#[test]
fn an_outflow_beyond_the_balance_is_refused_with_what_is_on_hand() {
    let b = Balance::default().add(Qty::units(2), 500);
    assert_eq!(
        b.outflow_value(Qty::units(3)),
        Err(Insufficient {
            on_hand: Qty::units(2)
        })
    );
    assert!(Balance::default().outflow_value(Qty::units(1)).is_err());
}

#[test]
fn values_round_half_up_to_the_fen() {
    assert_eq!(value_of(Qty(1_500), 333), 500); // 499.5
    assert_eq!(value_of(Qty::units(2), 1_999), 3_998);
    assert_eq!(value_of(Qty(1), 1), 0);
}

#[test]
fn part_numbers_are_bounded_and_upper_case() {
    assert_eq!(parse_part_no("pn", " mtr-100/a "), Ok("MTR-100/A".into()));
    assert_eq!(parse_part_no("pn", "").expect_err("empty").code, "required");
    assert_eq!(
        parse_part_no("pn", "电机").expect_err("cjk").code,
        "invalid_chars"
    );
    assert_eq!(
        parse_part_no("pn", &"A".repeat(41)).expect_err("long").code,
        "too_long"
    );
}

proptest::proptest! {
    /// Whatever sequence of in- and outflows, the value never goes negative and reaches
    /// zero exactly when the quantity does.
    #[test]
    fn valuation_never_strands_a_fen(ops in proptest::collection::vec((proptest::bool::ANY, 1i64..50, 0i64..100_000), 1..60)) {
        let mut b = Balance::default();
        for (inflow, units, fen) in ops {
            let q = Qty::units(units);
            if inflow {
                b = b.add(q, value_of(q, fen));
            } else if let Ok(v) = b.outflow_value(q) {
                b = b.take(q, v);
            }
            proptest::prop_assert!(b.on_hand.0 >= 0);
            proptest::prop_assert!(b.value_fen >= 0);
            if b.on_hand.0 == 0 {
                proptest::prop_assert_eq!(b.value_fen, 0);
            }
        }
    }
}

#[test]
fn only_the_move_that_goes_below_the_reorder_point_alerts() {
    let q = Qty::units;
    assert!(crosses_reorder_point(q(6), q(5), q(5)));
    assert!(crosses_reorder_point(q(9), q(0), q(5)));
    assert!(!crosses_reorder_point(q(5), q(4), q(5)), "already low");
    assert!(!crosses_reorder_point(q(9), q(6), q(5)), "still above");
}

#[test]
fn yuan_in_a_file_reads_back_to_the_same_fen() {
    for fen in [0, 5, 50, 128_005, MAX_PRICE_FEN] {
        assert_eq!(parse_yuan(&yuan_plain(fen)), Some(fen), "{fen}");
    }
    assert_eq!(yuan_plain(128_005), "1280.05");
    assert_eq!(parse_yuan("1.234"), None);
}

#[test]
fn categories_and_units_read_by_name_or_words() {
    assert_eq!(PartCategory::parse_words("电机"), Some(PartCategory::Motor));
    assert_eq!(
        PartCategory::parse_words(" Control board "),
        Some(PartCategory::ControlBoard)
    );
    assert_eq!(
        PartCategory::parse_words("MOTOR"),
        Some(PartCategory::Motor)
    );
    assert_eq!(Uom::parse_words("个"), Some(Uom::Piece));
    assert_eq!(Uom::parse_words("L"), Some(Uom::Litre));
    assert_eq!(PartCategory::parse_words("engine"), None);
}
