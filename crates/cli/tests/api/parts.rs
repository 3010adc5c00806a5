//! Spare parts and the stock ledger (issue 14): concurrent issues against one balance, a
//! random sequence of moves checked against a model of the books, bounds on quantities,
//! running balances and moving-average value, and who may post what. On SQLite and
//! PostgreSQL.

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::{on_site, pending_order, world};
use serde_json::{Value, json};
use std::collections::HashMap;

both!(
    fifty_parallel_issues_of_one_against_ten_leave_exactly_ten,
    random_moves_keep_every_balance_equal_to_its_ledger,
    quantities_are_bounded_and_named_in_the_error,
    the_ledger_carries_running_balances_and_moving_average_cost,
    engineers_issue_from_their_own_van_on_their_own_orders_only,
    readers_and_posters_are_who_the_matrix_says,
);

/// A part (counted in pieces unless `uom` says otherwise) made by the admin.
async fn part(app: &TestApp, admin: &str, no: &str, uom: &str, cost_fen: i64) {
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/parts",
            admin,
            Some(json!({"part_no": no, "name_zh": "测试备件",
            "name_en": "Test part", "category": "electrical", "uom": uom, "cost_fen": cost_fen,
            "list_price_fen": cost_fen * 2})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

async fn location(app: &TestApp, admin: &str, body: Value) {
    let (s, b) = app
        .send("POST", "/api/v1/stock/locations", admin, Some(body))
        .await;
    assert_eq!(s, 201, "{b}");
}

async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.send("POST", "/api/v1/stock/moves", token, Some(body))
        .await
}

async fn receive(app: &TestApp, token: &str, part: &str, qty: i64, to: &str, cost: i64) {
    let (s, b) = post(
        app,
        token,
        json!({"kind": "receipt", "part": part, "qty": qty, "to": to,
        "unit_cost_fen": cost}),
    )
    .await;
    assert_eq!(s, 201, "{b}");
}

/// On hand of `part` (new) at `location`, in units; 0 when there is no balance.
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
        .filter(|r| r["condition"] == "new")
        .map(|r| r["on_hand"].as_f64().expect("on hand"))
        .sum()
}

async fn fifty_parallel_issues_of_one_against_ten_leave_exactly_ten(app: TestApp) {
    let w = world(&app).await;
    let admin = app.token("admin").await;
    part(&app, &admin, "HOT-1", "pcs", 1_000).await;
    location(
        &app,
        &admin,
        json!({"code": "WH-T", "name": "总库", "kind": "warehouse", "org_unit": "WH"}),
    )
    .await;
    receive(&app, &admin, "HOT-1", 10, "WH-T", 1_000).await;
    let (_, wo) = pending_order(&app, &w).await;
    let number = wo["number"].as_str().expect("number").to_owned();
    let clerk = app.token("warehouse").await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (http, url, clerk, number) = (
                app.http.clone(),
                app.url("/api/v1/stock/moves"),
                clerk.clone(),
                number.clone(),
            );
            tokio::spawn(async move {
                let r = http
                    .post(url)
                    .bearer_auth(clerk)
                    .json(
                        &json!({"kind": "issue", "part": "HOT-1", "qty": 1, "from": "WH-T",
                        "work_order": number}),
                    )
                    .send()
                    .await
                    .expect("request");
                crate::helpers::split(r).await
            })
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        let (s, b) = t.await.expect("task");
        match s {
            201 => ok += 1,
            409 => {
                assert_eq!(b["code"], "insufficient_stock", "{b}");
                assert_eq!(b["on_hand"], "0", "{b}");
                refused += 1;
            }
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert_eq!((ok, refused), (10, 40));
    assert_eq!(on_hand(&app, &admin, "WH-T", "HOT-1").await, 0.0);
    let (s, b) = app
        .get(
            "/api/v1/stock/moves?location=WH-T&part=HOT-1&kind=issue&limit=200",
            &admin,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let issues = b["items"].as_array().expect("items");
    assert_eq!(issues.len(), 10, "{b}");
    // Each issue left one fewer, down to zero, and carried 10.00 yuan of value.
    let mut after: Vec<f64> = issues
        .iter()
        .map(|m| m["balance_after"].as_f64().expect("balance"))
        .collect();
    after.sort_by(f64::total_cmp);
    assert_eq!(after, (0..10).map(f64::from).collect::<Vec<_>>());
    assert!(issues.iter().all(|m| m["value_fen"] == 1_000), "{b}");
    assert!(issues.iter().all(|m| m["work_order"] == number.as_str()));
}

/// A tiny deterministic generator (no dependency, the same sequence on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

async fn random_moves_keep_every_balance_equal_to_its_ledger(app: TestApp) {
    let admin = app.token("admin").await;
    for p in ["RND-A", "RND-B"] {
        part(&app, &admin, p, "pcs", 500).await;
    }
    part(&app, &admin, "RND-M", "m", 120).await;
    let places = ["RND-WH", "RND-ST", "RND-PS"];
    location(
        &app,
        &admin,
        json!({"code": "RND-WH", "name": "总库", "kind": "warehouse", "org_unit": "WH"}),
    )
    .await;
    location(
        &app,
        &admin,
        json!({"code": "RND-ST", "name": "站库", "kind": "store", "org_unit": "SY-HP"}),
    )
    .await;
    location(
        &app,
        &admin,
        json!({"code": "RND-PS", "name": "服务商库", "kind": "partner_store", "org_unit": "P-HT"}),
    )
    .await;
    // The model: what each (place, part) should hold, in thousandths.
    let mut model: HashMap<(String, String), i64> = HashMap::new();
    let mut rng = Lcg(0x5eed_2026);
    let (mut written, mut refused) = (0, 0);
    for _ in 0..120 {
        let part = ["RND-A", "RND-B", "RND-M"][rng.next(3) as usize];
        let qty_milli = if part == "RND-M" {
            (rng.next(4000) + 1) as i64
        } else {
            (rng.next(6) + 1) as i64 * 1000
        };
        let qty = Value::String(if part == "RND-M" {
            format!("{}.{:03}", qty_milli / 1000, qty_milli % 1000)
        } else {
            (qty_milli / 1000).to_string()
        });
        let a = places[rng.next(3) as usize].to_owned();
        let b = places
            .iter()
            .find(|p| **p != a && rng.next(2) == 0)
            .map(|p| (*p).to_owned())
            .unwrap_or_else(|| {
                places
                    .iter()
                    .find(|p| **p != a)
                    .map(|p| (*p).to_owned())
                    .unwrap_or_default()
            });
        let (body, from, to) = match rng.next(4) {
            0 => (
                json!({"kind": "receipt", "part": part, "qty": qty, "to": a, "unit_cost_fen": 100 + rng.next(900)}),
                None,
                Some(a.clone()),
            ),
            1 => (
                json!({"kind": "scrap", "part": part, "qty": qty, "from": a, "reason": "损坏"}),
                Some(a.clone()),
                None,
            ),
            _ => (
                json!({"kind": "transfer", "part": part, "qty": qty, "from": a, "to": b}),
                Some(a.clone()),
                Some(b.clone()),
            ),
        };
        let held = from
            .as_ref()
            .map(|f| *model.get(&(f.clone(), part.to_owned())).unwrap_or(&0));
        let (s, r) = post(&app, &admin, body).await;
        if held.is_some_and(|h| h < qty_milli) {
            assert_eq!(s, 409, "{r}");
            assert_eq!(r["code"], "insufficient_stock");
            refused += 1;
            continue;
        }
        assert_eq!(s, 201, "{r}");
        written += 1;
        if let Some(f) = from {
            *model.entry((f, part.to_owned())).or_default() -= qty_milli;
        }
        if let Some(t) = to {
            *model.entry((t, part.to_owned())).or_default() += qty_milli;
        }
    }
    assert!(
        written > 30 && refused > 5,
        "{written} written, {refused} refused"
    );
    // What the API says each place holds is what the model says.
    for place in places {
        for part in ["RND-A", "RND-B", "RND-M"] {
            let want = *model
                .get(&(place.to_owned(), part.to_owned()))
                .unwrap_or(&0);
            let got = on_hand(&app, &admin, place, part).await;
            assert_eq!((got * 1000.0).round() as i64, want, "{place} {part}");
        }
    }
    // And every balance is the sum of its ledger entries, in quantity and in value, never
    // below zero.
    let sums = aftersales_store::parts::stock::ledger_sums(app.app.db().pool())
        .await
        .expect("sums");
    assert!(!sums.is_empty());
    for (l, p, c, on_hand, value, sum_qty, sum_value) in sums {
        assert_eq!(on_hand, sum_qty, "{l} {p} {c}");
        assert_eq!(value, sum_value, "{l} {p} {c}");
        assert!(on_hand >= 0 && value >= 0);
        if on_hand == 0 {
            assert_eq!(value, 0, "a fen stranded at {l} {p}");
        }
    }
    // The schema refuses what the code would never write.
    assert!(
        app.raw_execute("UPDATE stock_moves SET qty = 1")
            .await
            .is_err()
    );
    assert!(
        app.raw_execute("UPDATE stock_balances SET on_hand = -1")
            .await
            .is_err()
    );
}

async fn quantities_are_bounded_and_named_in_the_error(app: TestApp) {
    let admin = app.token("admin").await;
    part(&app, &admin, "BND-1", "pcs", 100).await;
    part(&app, &admin, "BND-M", "m", 100).await;
    location(
        &app,
        &admin,
        json!({"code": "BND-WH", "name": "总库", "kind": "warehouse", "org_unit": "WH"}),
    )
    .await;
    for (p, qty, code) in [
        ("BND-1", json!(0), "must_be_positive"),
        ("BND-1", json!(-3), "must_be_positive"),
        ("BND-1", json!(1.5), "whole_number"),
        ("BND-1", json!(1e12), "out_of_range"),
        ("BND-1", json!(2_000_000), "out_of_range"),
        ("BND-1", json!("abc"), "invalid_number"),
        ("BND-1", Value::Null, "required"),
        ("BND-M", json!(0.0001), "too_precise"),
    ] {
        let (s, b) = post(
            &app,
            &admin,
            json!({"kind": "receipt", "part": p, "qty": qty, "to": "BND-WH"}),
        )
        .await;
        assert_eq!(s, 422, "{qty}: {b}");
        assert_eq!(b["errors"][0]["field"], "qty", "{b}");
        assert_eq!(b["errors"][0]["code"], code, "{qty}: {b}");
    }
    // A metre of cable may be cut.
    let (s, b) = post(
        &app,
        &admin,
        json!({"kind": "receipt", "part": "BND-M", "qty": 12.5, "to": "BND-WH"}),
    )
    .await;
    assert_eq!((s, b["qty"].as_f64()), (201, Some(12.5)), "{b}");
    // Locations that do not fit the kind of move, an unknown part or place, a reason missing.
    for (body, field) in [
        (
            json!({"kind": "receipt", "part": "BND-1", "qty": 1, "from": "BND-WH", "to": "CUSTOMER"}),
            "from",
        ),
        (
            json!({"kind": "transfer", "part": "BND-1", "qty": 1, "from": "BND-WH", "to": "BND-WH"}),
            "to",
        ),
        (
            json!({"kind": "scrap", "part": "BND-1", "qty": 1, "from": "BND-WH"}),
            "reason",
        ),
        (
            json!({"kind": "issue", "part": "BND-1", "qty": 1, "from": "BND-WH"}),
            "work_order",
        ),
        (
            json!({"kind": "teleport", "part": "BND-1", "qty": 1}),
            "kind",
        ),
        (
            json!({"kind": "receipt", "part": "NOPE", "qty": 1, "to": "BND-WH"}),
            "part",
        ),
    ] {
        let (s, b) = post(&app, &admin, body.clone()).await;
        assert_eq!(s, 422, "{body}: {b}");
        assert_eq!(b["errors"][0]["field"], field, "{body}: {b}");
    }
    let (s, b) = post(
        &app,
        &admin,
        json!({"kind": "receipt", "part": "BND-1", "qty": 1, "to": "NOWHERE"}),
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("unknown_location")),
        "{b}"
    );
    // Nothing of the refused moves was written.
    let (s, b) = app.get("/api/v1/stock/moves?location=BND-WH", &admin).await;
    assert_eq!(s, 200);
    assert_eq!(b["items"].as_array().map(Vec::len), Some(1), "{b}");
    // A part number that is taken, and a catalog field out of its bounds.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/parts",
            &admin,
            Some(json!({"part_no": "bnd-1", "name_zh": "x",
            "name_en": "x", "category": "other", "cost_fen": 1, "list_price_fen": 1})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("part_no_taken")),
        "{b}"
    );
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/parts",
            &admin,
            Some(json!({"part_no": "BND-2", "name_zh": "x",
            "name_en": "x", "category": "other", "cost_fen": -1, "list_price_fen": 1})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str()),
        (422, Some("cost_fen")),
        "{b}"
    );
}

async fn the_ledger_carries_running_balances_and_moving_average_cost(app: TestApp) {
    let admin = app.token("admin").await;
    part(&app, &admin, "AVG-1", "pcs", 999).await;
    location(
        &app,
        &admin,
        json!({"code": "AVG-WH", "name": "总库", "kind": "warehouse", "org_unit": "WH"}),
    )
    .await;
    location(
        &app,
        &admin,
        json!({"code": "AVG-ST", "name": "站库", "kind": "store", "org_unit": "SY-HP"}),
    )
    .await;
    receive(&app, &admin, "AVG-1", 3, "AVG-WH", 1_000).await;
    receive(&app, &admin, "AVG-1", 1, "AVG-WH", 1_301).await;
    // The average is 10.7525 yuan: one carries 10.75, the last of the four what remains.
    let (s, m) = post(
        &app,
        &admin,
        json!({"kind": "transfer", "part": "AVG-1", "qty": 1, "from": "AVG-WH", "to": "AVG-ST"}),
    )
    .await;
    assert_eq!((s, m["value_fen"].as_i64()), (201, Some(1_075)), "{m}");
    let (s, m) = post(
        &app,
        &admin,
        json!({"kind": "transfer", "part": "AVG-1", "qty": 3, "from": "AVG-WH", "to": "AVG-ST"}),
    )
    .await;
    assert_eq!((s, m["value_fen"].as_i64()), (201, Some(3_226)), "{m}");
    let (s, v) = app.get("/api/v1/stock/valuation", &admin).await;
    assert_eq!(s, 200);
    let of = |code: &str| {
        v["locations"]
            .as_array()
            .expect("locations")
            .iter()
            .find(|l| l["location"] == code)
            .map(|l| l["value_fen"].as_i64().unwrap_or(-1))
    };
    assert_eq!((of("AVG-WH"), of("AVG-ST")), (None, Some(4_301)), "{v}");
    let (s, b) = app
        .get("/api/v1/stock/moves?location=AVG-WH&part=AVG-1", &admin)
        .await;
    assert_eq!(s, 200);
    let running: Vec<f64> = b["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["balance_after"].as_f64().expect("running balance"))
        .collect();
    assert_eq!(running, [0.0, 3.0, 4.0, 3.0], "{b}");
    // Paging: two at a time, newest first, nothing twice.
    let (_, p1) = app
        .get("/api/v1/stock/moves?location=AVG-WH&limit=2", &admin)
        .await;
    let cursor = p1["next_cursor"].as_str().expect("more").to_owned();
    let (_, p2) = app
        .get(
            &format!("/api/v1/stock/moves?location=AVG-WH&limit=2&cursor={cursor}"),
            &admin,
        )
        .await;
    let ids = |p: &Value| -> Vec<String> {
        p["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|m| m["id"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let (a, b2) = (ids(&p1), ids(&p2));
    assert_eq!((a.len(), b2.len()), (2, 2));
    assert!(a.iter().all(|x| !b2.contains(x)));
}

async fn engineers_issue_from_their_own_van_on_their_own_orders_only(app: TestApp) {
    let w = world(&app).await;
    let admin = app.token("admin").await;
    part(&app, &admin, "VAN-P", "pcs", 300).await;
    location(
        &app,
        &admin,
        json!({"code": "VAN-E", "name": "车载库", "kind": "van", "user": "engineer"}),
    )
    .await;
    location(
        &app,
        &admin,
        json!({"code": "VAN-W", "name": "服务商车载库", "kind": "van", "user": "partner"}),
    )
    .await;
    receive(&app, &admin, "VAN-P", 3, "VAN-E", 300).await;
    receive(&app, &admin, "VAN-P", 3, "VAN-W", 300).await;
    let (_, mine) = on_site(&app, &w).await;
    let mine = mine["number"].as_str().expect("number").to_owned();
    let (_, other) = pending_order(&app, &w).await;
    let other = other["number"].as_str().expect("number").to_owned();
    // From the own van by default, on the own order.
    let (s, b) = post(
        &app,
        &w.engineer,
        json!({"kind": "issue", "part": "VAN-P", "qty": 1, "work_order": mine}),
    )
    .await;
    assert_eq!((s, b["from"].as_str()), (201, Some("VAN-E")), "{b}");
    assert_eq!(on_hand(&app, &w.engineer, "VAN-E", "VAN-P").await, 2.0);
    // The defective part taken out of the unit goes into the van as defective stock.
    let (s, b) = post(
        &app,
        &w.engineer,
        json!({"kind": "defective_in", "part": "VAN-P", "qty": 1, "work_order": mine}),
    )
    .await;
    assert_eq!(
        (s, b["condition"].as_str(), b["to"].as_str()),
        (201, Some("defective"), Some("VAN-E")),
        "{b}"
    );
    // Not on somebody else's order, not from somebody else's van, no transfers.
    for body in [
        json!({"kind": "issue", "part": "VAN-P", "qty": 1, "work_order": other}),
        json!({"kind": "issue", "part": "VAN-P", "qty": 1, "from": "VAN-W", "work_order": mine}),
        json!({"kind": "transfer", "part": "VAN-P", "qty": 1, "from": "VAN-E", "to": "VAN-W"}),
        json!({"kind": "receipt", "part": "VAN-P", "qty": 1, "to": "VAN-E"}),
    ] {
        let (s, b) = post(&app, &w.engineer, body.clone()).await;
        assert_eq!(s, 403, "{body}: {b}");
    }
    // The engineer reads their own van, not another's.
    let (s, _) = app
        .get("/api/v1/stock/balances?location=VAN-W", &w.engineer)
        .await;
    assert_eq!(s, 404);
    let (s, b) = app.get("/api/v1/stock/locations", &w.engineer).await;
    assert_eq!(s, 200);
    let codes: Vec<&str> = b
        .as_array()
        .expect("locations")
        .iter()
        .filter_map(|l| l["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"VAN-E") && !codes.contains(&"VAN-W"),
        "{codes:?}"
    );
}

async fn readers_and_posters_are_who_the_matrix_says(app: TestApp) {
    let admin = app.token("admin").await;
    part(&app, &admin, "ACL-1", "pcs", 100).await;
    location(
        &app,
        &admin,
        json!({"code": "ACL-ST", "name": "站库", "kind": "store", "org_unit": "SY-HP"}),
    )
    .await;
    location(
        &app,
        &admin,
        json!({"code": "ACL-DL", "name": "大连站库", "kind": "store", "org_unit": "DL-ZS"}),
    )
    .await;
    receive(&app, &admin, "ACL-1", 5, "ACL-ST", 100).await;
    receive(&app, &admin, "ACL-1", 5, "ACL-DL", 100).await;
    for who in ["agent", "customer"] {
        let t = app.token(who).await;
        let (s, _) = app.get("/api/v1/stock/balances", &t).await;
        assert_eq!(s, 403, "{who}");
    }
    let customer = app.token("customer").await;
    let (s, _) = app.get("/api/v1/parts", &customer).await;
    assert_eq!(s, 403);
    // The clerk may not settle a count difference alone; the manager may, in their subtree.
    let clerk = app.token("warehouse").await;
    let gain = json!({"kind": "count_gain", "part": "ACL-1", "qty": 1, "to": "ACL-ST", "reason": "盘点多出"});
    let (s, _) = post(&app, &clerk, gain.clone()).await;
    assert_eq!(s, 403);
    let manager = app.token("manager").await;
    let (s, b) = post(&app, &manager, gain).await;
    assert_eq!(s, 201, "{b}");
    let (s, _) = post(&app, &manager, json!({"kind": "count_loss", "part": "ACL-1", "qty": 1, "from": "ACL-DL", "reason": "丢失"}))
        .await;
    assert_eq!(s, 403, "大连 is outside the Shenyang manager's subtree");
    // Nor may the manager receive or transfer: that is the warehouse's.
    let (s, _) = post(
        &app,
        &manager,
        json!({"kind": "receipt", "part": "ACL-1", "qty": 1, "to": "ACL-ST"}),
    )
    .await;
    assert_eq!(s, 403);
    // The manager reads the subtree's stock only; the written-off count names its approver
    // in the audit trail.
    let (s, b) = app.get("/api/v1/stock/balances", &manager).await;
    assert_eq!(s, 200);
    let places: Vec<&str> = b
        .as_array()
        .expect("balances")
        .iter()
        .filter_map(|r| r["location"].as_str())
        .collect();
    assert!(
        places.contains(&"ACL-ST") && !places.contains(&"ACL-DL"),
        "{places:?}"
    );
    let (s, _) = app.get("/api/v1/stock/moves", &manager).await;
    assert_eq!(
        s, 422,
        "the whole ledger is the warehouse's: name a location"
    );
    // The catalog is the warehouse's and the admins'.
    let (s, _) = app
        .send(
            "POST",
            "/api/v1/parts",
            &manager,
            Some(json!({"part_no": "ACL-2", "name_zh": "x",
            "name_en": "x", "category": "other", "cost_fen": 1, "list_price_fen": 1})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/parts",
            &clerk,
            Some(json!({"part_no": "ACL-2", "name_zh": "x",
            "name_en": "x", "category": "other", "cost_fen": 1, "list_price_fen": 1})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

fn jobs_by_hand(c: &mut aftersales::Config) {
    c.jobs.enabled = false;
}

crate::both_with!(with_jobs_by_hand, jobs_by_hand; the_move_that_goes_below_the_reorder_point_tells_the_keepers_once);

/// Runs every job that is due now, as the worker would.
async fn run_jobs(app: &TestApp) {
    let opts = aftersales_jobs::WorkerOptions::default();
    for _ in 0..50 {
        if aftersales_jobs::run_once(&app.app, &app.handlers, &opts)
            .await
            .expect("jobs")
            == 0
        {
            return;
        }
    }
    panic!("jobs keep coming");
}

async fn low_alerts(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, b) = app.get("/api/v1/notifications", token).await;
    assert_eq!(s, 200, "{b}");
    b["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|n| n["event"] == "stock_low")
        .cloned()
        .collect()
}

async fn the_move_that_goes_below_the_reorder_point_tells_the_keepers_once(app: TestApp) {
    let admin = app.token("admin").await;
    let clerk = app.token("warehouse").await;
    part(&app, &admin, "LOW-1", "pcs", 100).await;
    location(
        &app,
        &admin,
        json!({"code": "LOW-WH", "name": "总库", "kind": "warehouse", "org_unit": "WH"}),
    )
    .await;
    location(
        &app,
        &admin,
        json!({"code": "LOW-ST", "name": "站库", "kind": "store", "org_unit": "SY-HP"}),
    )
    .await;
    receive(&app, &admin, "LOW-1", 8, "LOW-WH", 100).await;
    let (s, b) = app
        .send(
            "PUT",
            "/api/v1/stock/locations/LOW-WH/reorder-points/LOW-1",
            &clerk,
            Some(json!({"reorder_point": 5, "reorder_qty": 20})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .send(
            "PUT",
            "/api/v1/stock/locations/LOW-WH/reorder-points/LOW-1",
            &clerk,
            Some(json!({"reorder_point": 5, "reorder_qty": 0})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str()),
        (422, Some("reorder_qty")),
        "{b}"
    );
    let take = |n: i64| json!({"kind": "transfer", "part": "LOW-1", "qty": n, "from": "LOW-WH", "to": "LOW-ST"});
    // 8 → 6: still above.
    assert_eq!(post(&app, &clerk, take(2)).await.0, 201);
    run_jobs(&app).await;
    assert!(low_alerts(&app, &clerk).await.is_empty());
    // 6 → 5: at the point, the keeper of 中心备件库 is told, with what is left.
    assert_eq!(post(&app, &clerk, take(1)).await.0, 201);
    run_jobs(&app).await;
    let alerts = low_alerts(&app, &clerk).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0]["subject"]
            .as_str()
            .is_some_and(|s| s.contains("LOW-1") && s.contains('5')),
        "{alerts:?}"
    );
    // Staying low tells nobody again; the balances page flags it.
    assert_eq!(post(&app, &clerk, take(2)).await.0, 201);
    run_jobs(&app).await;
    assert_eq!(low_alerts(&app, &clerk).await.len(), 1);
    let (_, low) = app.get("/api/v1/stock/balances?low=true", &clerk).await;
    assert!(
        low.as_array()
            .expect("low")
            .iter()
            .any(|r| r["location"] == "LOW-WH" && r["low"] == true),
        "{low}"
    );
    // Refilled above the point, then down again: a second alert.
    receive(&app, &admin, "LOW-1", 10, "LOW-WH", 100).await;
    assert_eq!(post(&app, &clerk, take(9)).await.0, 201);
    run_jobs(&app).await;
    assert_eq!(low_alerts(&app, &clerk).await.len(), 2);
    // Somebody else's unit is not told.
    let manager = app.token("manager").await;
    assert!(low_alerts(&app, &manager).await.is_empty());
}
