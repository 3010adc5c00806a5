//! Stocktaking (issue 14 point 7, docs/parts.md "Stocktaking"): a count sheet's differences
//! are posted as count_gain / count_loss at approval and the balance then equals what was
//! counted; a move posted after the count is kept; who may open, count and approve; bad
//! input named by field. On SQLite and PostgreSQL.

use crate::both;
use crate::helpers::TestApp;
use serde_json::{Value, json};

both!(
    approval_posts_the_differences_and_the_balance_is_the_count,
    a_move_posted_meanwhile_is_not_lost,
    who_may_open_count_and_approve,
    bad_input_is_named_by_field,
);

/// Parts SC-A (pcs, 10 on hand at ST-HP), SC-B (m, only a reorder point there), SC-C (3 on
/// hand); the station store ST-HP kept by SY-HP (in the manager's subtree) and WH-C kept
/// by the warehouse (outside it).
async fn stocked(app: &TestApp) -> String {
    let admin = app.token("admin").await;
    for (method, path, body) in [
        (
            "POST",
            "/api/v1/parts",
            json!({"part_no": "SC-A", "name_zh": "电容", "name_en": "Capacitor",
                "category": "electrical", "uom": "pcs", "cost_fen": 1000, "list_price_fen": 2000}),
        ),
        (
            "POST",
            "/api/v1/parts",
            json!({"part_no": "SC-B", "name_zh": "铜管", "name_en": "Copper pipe",
                "category": "mechanical", "uom": "m", "cost_fen": 500, "list_price_fen": 900}),
        ),
        (
            "POST",
            "/api/v1/parts",
            json!({"part_no": "SC-C", "name_zh": "滤网", "name_en": "Filter",
                "category": "consumable", "uom": "pcs", "cost_fen": 200, "list_price_fen": 400}),
        ),
        (
            "POST",
            "/api/v1/stock/locations",
            json!({"code": "ST-HP", "name": "和平站库", "kind": "store", "org_unit": "SY-HP"}),
        ),
        (
            "POST",
            "/api/v1/stock/locations",
            json!({"code": "WH-C", "name": "总库", "kind": "warehouse", "org_unit": "WH"}),
        ),
        (
            "POST",
            "/api/v1/stock/moves",
            json!({"kind": "receipt", "part": "SC-A", "qty": 10, "to": "ST-HP", "unit_cost_fen": 1000}),
        ),
        (
            "POST",
            "/api/v1/stock/moves",
            json!({"kind": "receipt", "part": "SC-C", "qty": 3, "to": "ST-HP", "unit_cost_fen": 200}),
        ),
        (
            "POST",
            "/api/v1/stock/moves",
            json!({"kind": "receipt", "part": "SC-A", "qty": 5, "to": "WH-C", "unit_cost_fen": 1000}),
        ),
        (
            "PUT",
            "/api/v1/stock/locations/ST-HP/reorder-points/SC-B",
            json!({"reorder_point": 5, "reorder_qty": 10}),
        ),
    ] {
        let (s, b) = app.send(method, path, &admin, Some(body)).await;
        assert!(s == 201 || s == 200, "{path}: {s} {b}");
    }
    admin
}

async fn on_hand(app: &TestApp, location: &str, part: &str) -> f64 {
    let admin = app.token("admin").await;
    let (s, b) = app
        .get(
            &format!("/api/v1/stock/balances?location={location}&part={part}"),
            &admin,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b.as_array()
        .expect("balances")
        .iter()
        .map(|r| r["on_hand"].as_f64().expect("on hand"))
        .sum()
}

async fn open(app: &TestApp, token: &str, location: &str) -> String {
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/counts",
            token,
            Some(json!({"location": location})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["status"], "counting");
    b["number"].as_str().expect("number").to_owned()
}

async fn enter(app: &TestApp, token: &str, number: &str, lines: Value) -> (u16, Value) {
    app.send(
        "PUT",
        &format!("/api/v1/stock/counts/{number}/lines"),
        token,
        Some(json!({ "lines": lines })),
    )
    .await
}

async fn step(
    app: &TestApp,
    token: &str,
    number: &str,
    what: &str,
    body: Option<Value>,
) -> (u16, Value) {
    app.send(
        "POST",
        &format!("/api/v1/stock/counts/{number}/{what}"),
        token,
        body,
    )
    .await
}

async fn count_moves(app: &TestApp, number: &str) -> Vec<Value> {
    let admin = app.token("admin").await;
    let (s, b) = app.get("/api/v1/stock/moves?location=ST-HP", &admin).await;
    assert_eq!(s, 200, "{b}");
    b["items"]
        .as_array()
        .expect("moves")
        .iter()
        .filter(|m| m["reference"] == number)
        .cloned()
        .collect()
}

async fn approval_posts_the_differences_and_the_balance_is_the_count(app: TestApp) {
    stocked(&app).await;
    let clerk = app.token("warehouse").await;
    let manager = app.token("manager").await;
    let number = open(&app, &clerk, "ST-HP").await;
    assert!(number.starts_with("SC"), "{number}");
    let (_, sheet) = app
        .get(&format!("/api/v1/stock/counts/{number}"), &clerk)
        .await;
    let parts: Vec<&str> = sheet["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["part"].as_str().expect("part"))
        .collect();
    // Every balance there and the part with only a reorder point there.
    assert_eq!(parts, ["SC-A", "SC-B", "SC-C"], "{sheet}");
    let (s, b) = enter(
        &app,
        &clerk,
        &number,
        json!([{"part": "SC-A", "qty": 8}, {"part": "SC-B", "qty": "2.5"}, {"part": "SC-C", "qty": 0}]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["lines_counted"], 3);
    assert_eq!(b["lines"][0]["difference"], -2.0);
    assert_eq!(b["lines"][0]["difference_value_fen"], -2000);
    assert_eq!(b["lines"][1]["difference"], 2.5);
    assert_eq!(b["lines"][2]["difference"], -3.0);
    // Nothing is posted before approval.
    assert_eq!(on_hand(&app, "ST-HP", "SC-A").await, 10.0);
    let (s, b) = step(&app, &clerk, &number, "submit", None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "submitted");
    let (s, b) = step(&app, &manager, &number, "approve", Some(json!({}))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "approved");
    assert_eq!(b["decided_by_name"], "刘洋");
    assert_eq!(on_hand(&app, "ST-HP", "SC-A").await, 8.0);
    assert_eq!(on_hand(&app, "ST-HP", "SC-B").await, 2.5);
    assert_eq!(on_hand(&app, "ST-HP", "SC-C").await, 0.0);
    let mut moves: Vec<(String, String, f64)> = count_moves(&app, &number)
        .await
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().expect("kind").to_owned(),
                m["part"].as_str().expect("part").to_owned(),
                m["qty"].as_f64().expect("qty"),
            )
        })
        .collect();
    moves.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        moves,
        [
            ("count_loss".to_owned(), "SC-A".to_owned(), 2.0),
            ("count_gain".to_owned(), "SC-B".to_owned(), 2.5),
            ("count_loss".to_owned(), "SC-C".to_owned(), 3.0),
        ]
    );
    // Approved is final.
    let (s, b) = step(&app, &manager, &number, "approve", Some(json!({}))).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "illegal_transition");
    // And the location may be counted again.
    open(&app, &clerk, "ST-HP").await;
}

async fn a_move_posted_meanwhile_is_not_lost(app: TestApp) {
    let admin = stocked(&app).await;
    let clerk = app.token("warehouse").await;
    let manager = app.token("manager").await;
    let number = open(&app, &clerk, "ST-HP").await;
    // Received while the sheet is open but before the shelf is counted: the count sees it.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/moves",
            &admin,
            Some(json!({"kind": "receipt", "part": "SC-A", "qty": 4, "to": "ST-HP"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    // 14 on the books, 13 on the shelf: one lost.
    let (s, b) = enter(
        &app,
        &clerk,
        &number,
        json!([{"part": "SC-A", "qty": 13}, {"part": "SC-B", "qty": 0}, {"part": "SC-C", "qty": 3}]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["lines"][0]["book"], 14.0);
    assert_eq!(b["lines"][0]["difference"], -1.0);
    let (s, b) = step(&app, &clerk, &number, "submit", None).await;
    assert_eq!(s, 200, "{b}");
    // Two go out after the count, before approval: kept, not overwritten by the count.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/moves",
            &admin,
            Some(json!({"kind": "transfer", "part": "SC-A", "qty": 2, "from": "ST-HP", "to": "WH-C"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = step(&app, &manager, &number, "approve", Some(json!({}))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(on_hand(&app, "ST-HP", "SC-A").await, 11.0);
    assert_eq!(on_hand(&app, "WH-C", "SC-A").await, 7.0);
    let moves = count_moves(&app, &number).await;
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(moves[0]["kind"], "count_loss");
    assert_eq!(moves[0]["qty"], 1.0);
}

async fn who_may_open_count_and_approve(app: TestApp) {
    stocked(&app).await;
    let clerk = app.token("warehouse").await;
    let manager = app.token("manager").await;
    let engineer = app.token("engineer").await;
    // Only the warehouse (and admins) open and count.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/counts",
            &manager,
            Some(json!({"location": "ST-HP"})),
        )
        .await;
    assert_eq!(s, 403, "{b}");
    let number = open(&app, &clerk, "ST-HP").await;
    let (s, _) = enter(&app, &manager, &number, json!([{"part": "SC-A", "qty": 1}])).await;
    assert_eq!(s, 403);
    let (s, b) = enter(
        &app,
        &clerk,
        &number,
        json!([{"part": "SC-A", "qty": 10}, {"part": "SC-B", "qty": 0}, {"part": "SC-C", "qty": 3}]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, _) = step(&app, &manager, &number, "submit", None).await;
    assert_eq!(s, 403);
    let (s, b) = step(&app, &clerk, &number, "submit", None).await;
    assert_eq!(s, 200, "{b}");
    // Neither the engineer nor the clerk approves.
    for t in [&engineer, &clerk] {
        let (s, b) = step(&app, t, &number, "approve", Some(json!({}))).await;
        assert_eq!(s, 403, "{b}");
        assert_eq!(b["code"], "forbidden");
    }
    // A manager approves only in their own subtree: the warehouse's count is not theirs.
    let wh = open(&app, &clerk, "WH-C").await;
    let (s, _) = step(&app, &manager, &wh, "approve", Some(json!({}))).await;
    assert_eq!(s, 404);
    let (s, b) = app.get("/api/v1/stock/counts", &manager).await;
    assert_eq!(s, 200);
    let seen: Vec<&str> = b
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["number"].as_str().expect("number"))
        .collect();
    assert!(
        seen.contains(&number.as_str()) && !seen.contains(&wh.as_str()),
        "{seen:?}"
    );
    // A reject sends it back to counting with the reason.
    let (s, b) = step(
        &app,
        &manager,
        &number,
        "reject",
        Some(json!({"reason": "再数一遍"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "counting");
    assert_eq!(b["decision_note"], "再数一遍");
    // An admin who submitted may approve their own count; the approval records the admin.
    let admin = app.token("admin").await;
    let (s, b) = step(&app, &admin, &number, "submit", None).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = step(&app, &admin, &number, "approve", Some(json!({}))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "approved");
}

async fn bad_input_is_named_by_field(app: TestApp) {
    stocked(&app).await;
    let clerk = app.token("warehouse").await;
    let manager = app.token("manager").await;
    let number = open(&app, &clerk, "ST-HP").await;
    // One open count per location.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/counts",
            &clerk,
            Some(json!({"location": "ST-HP"})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["errors"][0]["field"], "location");
    assert_eq!(b["errors"][0]["code"], "count_open");
    for (qty, code) in [
        (json!(-1), "must_be_positive"),
        (json!(1.5), "whole_number"),
        (json!("x"), "invalid_number"),
        (json!(2_000_000), "out_of_range"),
        (json!(null), "required"),
    ] {
        let (s, b) = enter(
            &app,
            &clerk,
            &number,
            json!([{"part": "SC-C", "qty": 1}, {"part": "SC-A", "qty": qty}]),
        )
        .await;
        assert_eq!(s, 422, "{qty}: {b}");
        assert_eq!(b["errors"][0]["field"], "lines[1].qty", "{b}");
        assert_eq!(b["errors"][0]["code"], code, "{b}");
    }
    // Nothing half-written: the good line of a refused request was not taken.
    let (_, sheet) = app
        .get(&format!("/api/v1/stock/counts/{number}"), &clerk)
        .await;
    assert_eq!(sheet["lines_counted"], 0, "{sheet}");
    let (s, b) = enter(&app, &clerk, &number, json!([{"part": "NOPE", "qty": 1}])).await;
    assert_eq!(s, 422);
    assert_eq!(b["errors"][0]["field"], "lines[0].part");
    let (s, b) = enter(
        &app,
        &clerk,
        &number,
        json!([{"part": "SC-A", "qty": 1, "condition": "used"}]),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(b["errors"][0]["field"], "lines[0].condition");
    // Not all counted: submit names the lines missing.
    let (s, b) = enter(&app, &clerk, &number, json!([{"part": "SC-A", "qty": 10}])).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = step(&app, &clerk, &number, "submit", None).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "lines[1].qty");
    // Approving a count still being counted; rejecting without a reason.
    let (s, b) = step(&app, &manager, &number, "approve", Some(json!({}))).await;
    assert_eq!(s, 409, "{b}");
    let (s, b) = enter(
        &app,
        &clerk,
        &number,
        json!([{"part": "SC-B", "qty": 0}, {"part": "SC-C", "qty": 3}]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, _) = step(&app, &clerk, &number, "submit", None).await;
    assert_eq!(s, 200);
    let (s, b) = step(&app, &manager, &number, "reject", Some(json!({}))).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "reason");
    // A submitted count takes no more counts.
    let (s, b) = enter(&app, &clerk, &number, json!([{"part": "SC-A", "qty": 1}])).await;
    assert_eq!(s, 409, "{b}");
    // An empty status filter and an unknown count.
    let (s, _) = app.get("/api/v1/stock/counts?status=", &clerk).await;
    assert_eq!(s, 422);
    let (s, _) = app.get("/api/v1/stock/counts/SC0", &clerk).await;
    assert_eq!(s, 404);
    // A virtual location is not counted.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/counts",
            &clerk,
            Some(json!({"location": "SCRAP"})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
}
