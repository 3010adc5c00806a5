//! Requisitions and shipments (issue 14 points 3 and 4): a requisition shipped 10 and
//! received 9 keeps the shortfall on its line, the books add up (warehouse −10, van +9,
//! transit 0) and the accuracy figure drops below 100 %; the receipt at the engineer's van
//! tells the engineer and the dispatcher; who may do what; bad input named by field. On
//! SQLite and PostgreSQL.

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::{on_site, pending_order, world};
use serde_json::{Value, json};

both!(
    shipped_ten_received_nine_is_short_by_one_and_lowers_the_accuracy,
    the_receipt_at_the_van_tells_the_engineer_and_the_dispatcher,
    a_discontinued_part_is_requested_as_its_successor,
    who_may_raise_approve_ship_and_receive,
    the_requester_withdraws_before_the_warehouse_decides,
    bad_input_is_named_by_field,
);

/// A warehouse WH-T holding 20 of RQ-P (cost 10.00), the engineer's van VAN-E and a
/// partner's van VAN-W.
async fn stocked(app: &TestApp) -> String {
    let admin = app.token("admin").await;
    for (path, body) in [
        (
            "/api/v1/parts",
            json!({"part_no": "RQ-P", "name_zh": "压缩机电容", "name_en": "Compressor capacitor",
                "category": "electrical", "uom": "pcs", "cost_fen": 1000, "list_price_fen": 2000}),
        ),
        (
            "/api/v1/stock/locations",
            json!({"code": "WH-T", "name": "总库", "kind": "warehouse", "org_unit": "WH"}),
        ),
        (
            "/api/v1/stock/locations",
            json!({"code": "VAN-E", "name": "车载库", "kind": "van", "user": "engineer"}),
        ),
        (
            "/api/v1/stock/locations",
            json!({"code": "VAN-W", "name": "服务商车载库", "kind": "van", "user": "partner"}),
        ),
        (
            "/api/v1/stock/moves",
            json!({"kind": "receipt", "part": "RQ-P", "qty": 20, "to": "WH-T", "unit_cost_fen": 1000}),
        ),
    ] {
        let (s, b) = app.send("POST", path, &admin, Some(body)).await;
        assert_eq!(s, 201, "{path}: {b}");
    }
    admin
}

async fn on_hand(app: &TestApp, token: &str, location: &str, part: &str) -> f64 {
    let (s, b) = app
        .get(
            &format!("/api/v1/stock/balances?location={location}&part={part}"),
            token,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b.as_array()
        .expect("balances")
        .iter()
        .map(|r| r["on_hand"].as_f64().expect("on hand"))
        .sum()
}

async fn raise(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, b) = app
        .send("POST", "/api/v1/requisitions", token, Some(body))
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

async fn step(app: &TestApp, token: &str, number: &str, action: &str, body: Value) -> (u16, Value) {
    app.send(
        "POST",
        &format!("/api/v1/requisitions/{number}/{action}"),
        token,
        Some(body),
    )
    .await
}

/// Raised by the engineer for VAN-E, approved and shipped (10) by the warehouse.
async fn shipped(app: &TestApp, engineer: &str, work_order: Option<&str>) -> (String, String) {
    let r = raise(
        app,
        engineer,
        json!({"requesting": "VAN-E", "priority": "urgent", "work_order": work_order,
            "lines": [{"part": "RQ-P", "qty": 10}]}),
    )
    .await;
    assert_eq!(
        (r["status"].as_str(), r["supplying"].as_str()),
        (Some("submitted"), Some("WH-T")),
        "{r}"
    );
    let number = r["number"].as_str().expect("number").to_owned();
    assert!(number.starts_with("RQ"), "{number}");
    let clerk = app.token("warehouse").await;
    let (s, b) = step(app, &clerk, &number, "approve", json!({})).await;
    assert_eq!(
        (s, b["lines"][0]["qty_approved"].as_f64()),
        (200, Some(10.0)),
        "{b}"
    );
    let (s, b) = step(
        app,
        &clerk,
        &number,
        "ship",
        json!({"carrier": "顺丰速运", "tracking_no": "SF100200300", "freight_fen": 2500}),
    )
    .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("shipped")), "{b}");
    let ship = b["shipment"]["number"]
        .as_str()
        .expect("shipment")
        .to_owned();
    assert!(ship.starts_with("SH"), "{ship}");
    (number, ship)
}

async fn accuracy(app: &TestApp, token: &str) -> Value {
    let (s, b) = app.get("/api/v1/shipments/accuracy", token).await;
    assert_eq!(s, 200, "{b}");
    b
}

async fn shipped_ten_received_nine_is_short_by_one_and_lowers_the_accuracy(app: TestApp) {
    let w = world(&app).await;
    let admin = stocked(&app).await;
    let (_, ship) = shipped(&app, &w.engineer, None).await;
    // Shipped: out of the warehouse into transit.
    assert_eq!(on_hand(&app, &admin, "WH-T", "RQ-P").await, 10.0);
    assert_eq!(on_hand(&app, &admin, "IN-TRANSIT", "RQ-P").await, 10.0);
    let before = accuracy(&app, &admin).await;
    assert_eq!(
        (before["received_lines"].as_i64(), before["percent"].clone()),
        (Some(0), Value::Null),
        "{before}"
    );

    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/shipments/{ship}/receive"),
            &w.engineer,
            Some(json!({"lines": [{"line": 1, "qty": 9}]})),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("received")), "{b}");
    let line = &b["shipment"]["lines"][0];
    assert_eq!(
        (
            line["qty_shipped"].as_f64(),
            line["qty_received"].as_f64(),
            line["discrepancy"].as_str()
        ),
        (Some(10.0), Some(9.0), Some("short")),
        "{b}"
    );
    // The books: warehouse −10, van +9, nothing left in transit.
    assert_eq!(on_hand(&app, &admin, "WH-T", "RQ-P").await, 10.0);
    assert_eq!(on_hand(&app, &admin, "VAN-E", "RQ-P").await, 9.0);
    assert_eq!(on_hand(&app, &admin, "IN-TRANSIT", "RQ-P").await, 0.0);
    let (s, moves) = app
        .get("/api/v1/stock/moves?part=RQ-P&kind=transit_loss", &admin)
        .await;
    assert_eq!(s, 200, "{moves}");
    let loss = &moves["items"][0];
    assert_eq!(
        (loss["qty"].as_f64(), loss["reference"].as_str()),
        (Some(1.0), Some(ship.as_str())),
        "{moves}"
    );
    // The figure drops below 100 %.
    let a = accuracy(&app, &w.engineer).await;
    assert_eq!(
        (a["received_lines"].as_i64(), a["accurate_lines"].as_i64()),
        (Some(1), Some(0)),
        "{a}"
    );
    assert!(a["percent"].as_f64().expect("percent") < 100.0, "{a}");
    assert_eq!(a["below_target"], true, "{a}");
    // A second shipment received in full: one line of two without discrepancy.
    let (_, ship2) = shipped(&app, &w.engineer, None).await;
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/shipments/{ship2}/receive"),
            &w.engineer,
            Some(json!({"lines": [{"line": 1, "qty": 10}]})),
        )
        .await;
    assert_eq!(b["shipment"]["lines"][0]["discrepancy"], "none", "{s} {b}");
    assert_eq!(accuracy(&app, &admin).await["percent"].as_f64(), Some(50.0));
    assert_eq!(on_hand(&app, &admin, "VAN-E", "RQ-P").await, 19.0);
    // Received once only.
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/shipments/{ship}/receive"),
            &w.engineer,
            Some(json!({"lines": [{"line": 1, "qty": 9}]})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("illegal_transition")),
        "{b}"
    );
    // Listed among the shipments, with the urgent freight on it.
    let (s, list) = app.get("/api/v1/shipments", &w.engineer).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|x| x["freight_fen"] == 2500)
    );
}

async fn the_receipt_at_the_van_tells_the_engineer_and_the_dispatcher(app: TestApp) {
    let w = world(&app).await;
    let admin = stocked(&app).await;
    let (_, wo) = on_site(&app, &w).await;
    let wo = wo["number"].as_str().expect("number").to_owned();
    let (number, ship) = shipped(&app, &w.engineer, Some(&wo)).await;
    let told = |bell: &Value| {
        bell["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|n| n["event"] == "parts_arrived")
            .map(|n| n["body"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    // Nobody is told at shipping.
    let (_, bell) = app.get("/api/v1/notifications", &w.engineer).await;
    assert!(told(&bell).is_empty(), "{bell}");
    // Received at the van (here by the admin on the engineer's behalf).
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/shipments/{ship}/receive"),
            &admin,
            Some(json!({"lines": [{"line": 1, "qty": 10}]})),
        )
        .await;
    assert_eq!(
        (s, b["work_order"].as_str()),
        (200, Some(wo.as_str())),
        "{b}"
    );
    for token in [&w.engineer, &w.dispatcher] {
        let (_, bell) = app.get("/api/v1/notifications", token).await;
        let t = told(&bell);
        assert_eq!(t.len(), 1, "{bell}");
        assert!(t[0].contains(&wo) && t[0].contains(&number), "{}", t[0]);
    }
}

async fn a_discontinued_part_is_requested_as_its_successor(app: TestApp) {
    let w = world(&app).await;
    let admin = stocked(&app).await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/parts",
            &admin,
            Some(
                json!({"part_no": "RQ-OLD", "name_zh": "旧电容", "name_en": "Old capacitor",
                "category": "electrical", "uom": "pcs", "cost_fen": 900, "list_price_fen": 1800,
                "discontinued": true, "successor": "RQ-P"}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let r = raise(
        &app,
        &w.engineer,
        json!({"requesting": "VAN-E", "lines": [{"part": "RQ-OLD", "qty": 2}]}),
    )
    .await;
    let l = &r["lines"][0];
    assert_eq!(
        (l["part"].as_str(), l["requested_part"].as_str()),
        (Some("RQ-P"), Some("RQ-OLD")),
        "{r}"
    );
    assert_eq!(r["priority"], "monthly", "{r}");
}

async fn who_may_raise_approve_ship_and_receive(app: TestApp) {
    let w = world(&app).await;
    let _admin = stocked(&app).await;
    let clerk = app.token("warehouse").await;
    let partner = app.token("partner").await;
    let body = json!({"requesting": "VAN-E", "lines": [{"part": "RQ-P", "qty": 1}]});
    // The warehouse supplies and does not ask; nobody asks for another's van.
    for (token, body) in [
        (&clerk, body.clone()),
        (&partner, body.clone()),
        (&w.agent, body.clone()),
        (
            &w.engineer,
            json!({"requesting": "VAN-W", "lines": [{"part": "RQ-P", "qty": 1}]}),
        ),
    ] {
        let (s, b) = app
            .send("POST", "/api/v1/requisitions", token, Some(body))
            .await;
        assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{b}");
    }
    // Not for someone else's job either.
    let (_, other) = pending_order(&app, &w).await;
    let (s, _) = app
        .send(
            "POST",
            "/api/v1/requisitions",
            &w.engineer,
            Some(json!({"requesting": "VAN-E", "work_order": other["number"],
                "lines": [{"part": "RQ-P", "qty": 1}]})),
        )
        .await;
    assert_eq!(s, 403);
    let r = raise(&app, &w.engineer, body).await;
    let number = r["number"].as_str().expect("number");
    // The engineer neither approves nor ships; the partner does not even see it.
    for action in ["approve", "reject", "ship"] {
        let (s, _) = step(&app, &w.engineer, number, action, json!({})).await;
        assert_eq!(s, 403, "{action}");
    }
    let (s, _) = app
        .get(&format!("/api/v1/requisitions/{number}"), &partner)
        .await;
    assert_eq!(s, 404);
    let (_, list) = app.get("/api/v1/requisitions", &partner).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    let (_, list) = app.get("/api/v1/requisitions", &w.engineer).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    // Steps out of order are refused.
    let (s, b) = step(&app, &clerk, number, "ship", json!({"carrier": "顺丰"})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("illegal_transition")),
        "{b}"
    );
    let (s, _) = step(
        &app,
        &clerk,
        number,
        "reject",
        json!({"reason": "库存不足"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, b) = step(&app, &clerk, number, "approve", json!({})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("illegal_transition")),
        "{b}"
    );
    // Only the receiver's side receives: the partner may not receive at the engineer's van.
    let (_, ship) = shipped(&app, &w.engineer, None).await;
    let (s, _) = app
        .send(
            "POST",
            &format!("/api/v1/shipments/{ship}/receive"),
            &partner,
            Some(json!({"lines": [{"line": 1, "qty": 10}]})),
        )
        .await;
    assert_eq!(s, 404);
}

async fn the_requester_withdraws_before_the_warehouse_decides(app: TestApp) {
    let w = world(&app).await;
    let admin = stocked(&app).await;
    let clerk = app.token("warehouse").await;
    let partner = app.token("partner").await;
    let body = json!({"requesting": "VAN-E", "lines": [{"part": "RQ-P", "qty": 2}]});
    let r = raise(&app, &w.engineer, body.clone()).await;
    let number = r["number"].as_str().expect("number");
    // Not the warehouse's to withdraw, and not another requester's.
    let (s, _) = step(&app, &clerk, number, "cancel", json!({})).await;
    assert_eq!(s, 403);
    let (s, _) = step(&app, &partner, number, "cancel", json!({})).await;
    assert_eq!(s, 404);
    let (s, b) = step(&app, &w.engineer, number, "cancel", json!({})).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("cancelled")), "{b}");
    // Gone from the warehouse's work: it can be neither approved nor cancelled again.
    let (s, b) = step(&app, &clerk, number, "approve", json!({})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("illegal_transition")));
    let (s, b) = step(&app, &w.engineer, number, "cancel", json!({})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("illegal_transition")));
    // Once approved, the requester can no longer withdraw it.
    let r = raise(&app, &w.engineer, body).await;
    let number = r["number"].as_str().expect("number");
    let (s, _) = step(&app, &clerk, number, "approve", json!({})).await;
    assert_eq!(s, 200);
    let (s, b) = step(&app, &w.engineer, number, "cancel", json!({})).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("illegal_transition")));
    // The withdrawal is in the audit trail with the status after it.
    let (s, log) = app
        .get("/api/v1/audit?entity=requisition&action=close", &admin)
        .await;
    assert_eq!(s, 200, "{log}");
    let items = log["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["after"]["status"], "cancelled", "{log}");
}

async fn bad_input_is_named_by_field(app: TestApp) {
    let w = world(&app).await;
    let _admin = stocked(&app).await;
    for (lines, field, code) in [
        (json!([]), "lines", "required"),
        (
            json!([{"part": "RQ-P", "qty": 0}]),
            "lines[0].qty",
            "must_be_positive",
        ),
        (
            json!([{"part": "RQ-P", "qty": 1.5}]),
            "lines[0].qty",
            "whole_number",
        ),
        (
            json!([{"part": "RQ-P", "qty": 2_000_000}]),
            "lines[0].qty",
            "out_of_range",
        ),
        (
            json!([{"part": "RQ-P", "qty": "x"}]),
            "lines[0].qty",
            "invalid_number",
        ),
        (
            json!([{"part": "NOPE", "qty": 1}]),
            "lines[0].part",
            "unknown_part",
        ),
    ] {
        let (s, b) = app
            .send(
                "POST",
                "/api/v1/requisitions",
                &w.engineer,
                Some(json!({"requesting": "VAN-E", "lines": lines})),
            )
            .await;
        assert_eq!(s, 422, "{lines}: {b}");
        assert_eq!(
            (
                b["errors"][0]["field"].as_str(),
                b["errors"][0]["code"].as_str()
            ),
            (Some(field), Some(code)),
            "{b}"
        );
    }
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/requisitions",
            &w.engineer,
            Some(json!({"requesting": "VAN-E", "priority": "soon", "lines": [{"part": "RQ-P", "qty": 1}]})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str()),
        (422, Some("priority")),
        "{b}"
    );
    // Approve more than asked, freight on a monthly order, a receipt that leaves a line out.
    let r = raise(
        &app,
        &w.engineer,
        json!({"requesting": "VAN-E", "lines": [{"part": "RQ-P", "qty": 3}]}),
    )
    .await;
    let number = r["number"].as_str().expect("number");
    let clerk = app.token("warehouse").await;
    let (s, b) = step(
        &app,
        &clerk,
        number,
        "approve",
        json!({"lines": [{"line": 1, "qty": 4}]}),
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (422, Some("more_than_requested")),
        "{b}"
    );
    let (s, b) = step(
        &app,
        &clerk,
        number,
        "approve",
        json!({"lines": [{"line": 1, "qty": 2}]}),
    )
    .await;
    assert_eq!(
        (s, b["lines"][0]["qty_approved"].as_f64()),
        (200, Some(2.0)),
        "{b}"
    );
    let (s, b) = step(
        &app,
        &clerk,
        number,
        "ship",
        json!({"carrier": "顺丰", "freight_fen": 100}),
    )
    .await;
    assert_eq!(
        (
            s,
            b["errors"][0]["field"].as_str(),
            b["errors"][0]["code"].as_str()
        ),
        (422, Some("freight_fen"), Some("only_urgent")),
        "{b}"
    );
    let (s, b) = step(&app, &clerk, number, "ship", json!({})).await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str()),
        (422, Some("carrier")),
        "{b}"
    );
    let (s, b) = step(&app, &clerk, number, "ship", json!({"carrier": "顺丰"})).await;
    assert_eq!(s, 200, "{b}");
    let ship = b["shipment"]["number"]
        .as_str()
        .expect("shipment")
        .to_owned();
    for (body, field, code) in [
        (json!({"lines": []}), "lines", "missing_line"),
        (
            json!({"lines": [{"line": 1, "qty": -1}]}),
            "lines[0].qty",
            "must_be_positive",
        ),
        (
            json!({"lines": [{"line": 2, "qty": 1}]}),
            "lines[0].line",
            "unknown_line",
        ),
    ] {
        let (s, b) = app
            .send(
                "POST",
                &format!("/api/v1/shipments/{ship}/receive"),
                &w.engineer,
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, 422, "{body}: {b}");
        assert_eq!(
            (
                b["errors"][0]["field"].as_str(),
                b["errors"][0]["code"].as_str()
            ),
            (Some(field), Some(code)),
            "{b}"
        );
    }
    // Nothing half-written: the shipment is still in transit.
    assert_eq!(on_hand(&app, &clerk, "IN-TRANSIT", "RQ-P").await, 2.0);
}
