//! Old for new and defect analysis (issue 14 points 4-6, docs/defects.md): a free issue
//! opens an obligation and a chargeable one does not; hand-in and receipt close it and the
//! report counts it; an overdue obligation is charged once on the test clock; who may do
//! what. On SQLite and PostgreSQL.

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::{World, on_site, world};
use aftersales_app::ManualClock;
use aftersales_jobs::{WorkerOptions, run_once};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;

both!(
    a_free_issue_opens_an_obligation_and_a_chargeable_one_does_not,
    hand_in_and_receipt_close_the_obligation_and_the_report_counts_it,
    who_may_hand_in_receive_and_read_the_report,
);

mod overdue {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::an_overdue_obligation_is_charged_once(false, 30).await
    }

    /// The term is the site's (`defects.return_days`), not a constant.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_with_a_term_of_twelve_days() {
        super::an_overdue_obligation_is_charged_once(false, 12).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::an_overdue_obligation_is_charged_once(true, 30).await
    }
}

/// A part at 3.00 yuan cost, 6.00 list price; the engineer's van holding 3; a warehouse.
async fn stocked(app: &TestApp) -> String {
    let admin = app.token("admin").await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/parts",
            &admin,
            Some(
                json!({"part_no": "FAN-1", "name_zh": "风扇电机", "name_en": "Fan motor",
            "category": "motor", "uom": "pcs", "cost_fen": 300, "list_price_fen": 600}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    for body in [
        json!({"code": "VAN-E", "name": "车载库", "kind": "van", "user": "engineer"}),
        json!({"code": "WH-D", "name": "总库", "kind": "warehouse", "org_unit": "WH"}),
    ] {
        let (s, b) = app
            .send("POST", "/api/v1/stock/locations", &admin, Some(body))
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/moves",
            &admin,
            Some(json!({"kind": "receipt", "part": "FAN-1", "qty": 3, "to": "VAN-E"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    admin
}

/// Gets the engineer on site on a new order of `w`'s unit and issues one FAN-1 from the van.
async fn issue_on_site(app: &TestApp, w: &World) -> String {
    let (_, wo) = on_site(app, w).await;
    let number = wo["number"].as_str().expect("number").to_owned();
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/moves",
            &w.engineer,
            Some(json!({"kind": "issue", "part": "FAN-1", "qty": 1, "work_order": number})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    number
}

async fn obligations(app: &TestApp, token: &str, wo: &str) -> Vec<Value> {
    let (s, b) = app
        .get(&format!("/api/v1/defect-returns?work_order={wo}"), token)
        .await;
    assert_eq!(s, 200, "{b}");
    b.as_array().expect("list").clone()
}

/// `w` with its unit replaced by one sold six years ago (out of the 3-year warranty).
async fn out_of_warranty(app: &TestApp, w: &World) -> World {
    let sale = jiff::Zoned::now()
        .date()
        .saturating_sub(jiff::Span::new().years(6));
    let (s, unit) = app
        .send("POST", "/api/v1/units", &w.agent, Some(json!({"serial": "KT-OLD-9", "product_code": "KT",
            "customer_id": w.customer["id"], "site_id": w.customer["sites"][0]["id"], "sale_date": sale.to_string()})))
        .await;
    assert_eq!(s, 201, "{unit}");
    World {
        admin: w.admin.clone(),
        agent: w.agent.clone(),
        dispatcher: w.dispatcher.clone(),
        engineer: w.engineer.clone(),
        engineer_id: w.engineer_id.clone(),
        customer: w.customer.clone(),
        unit,
    }
}

async fn a_free_issue_opens_an_obligation_and_a_chargeable_one_does_not(app: TestApp) {
    let w = world(&app).await;
    stocked(&app).await;
    let wo = issue_on_site(&app, &w).await;
    let list = obligations(&app, &w.engineer, &wo).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let o = &list[0];
    assert_eq!(o["status"], "open");
    assert_eq!(o["part"], "FAN-1");
    assert_eq!(o["van"], "VAN-E");
    assert_eq!(o["overdue"], false);
    let due = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz"))
        .date()
        .saturating_add(jiff::Span::new().days(30));
    assert_eq!(o["due_on"], due.to_string());
    // Out of warranty: the issue is recorded as chargeable and opens nothing.
    let old = out_of_warranty(&app, &w).await;
    let wo2 = issue_on_site(&app, &old).await;
    assert!(obligations(&app, &w.engineer, &wo2).await.is_empty());
    let charges: Vec<(String, String)> = sqlx::query_as(
        "SELECT w.number, i.charge FROM part_issues i JOIN work_orders w ON w.id = i.work_order_id ORDER BY i.at",
    )
    .fetch_all(app.app.db().pool())
    .await
    .expect("issues");
    assert_eq!(
        charges,
        vec![(wo, "free".to_owned()), (wo2, "chargeable".to_owned())]
    );
}

async fn failure_code(app: &TestApp, token: &str, code: &str, category: Option<&str>) {
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/failure-codes",
            token,
            Some(
                json!({"code": code, "name_zh": "绕组烧毁", "name_en": "Winding burnt",
            "category": category}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

async fn hand_in_and_receipt_close_the_obligation_and_the_report_counts_it(app: TestApp) {
    let w = world(&app).await;
    stocked(&app).await;
    let warehouse = app.token("warehouse").await;
    let manager = app.token("manager").await;
    failure_code(&app, &warehouse, "M-BURNT", Some("motor")).await;
    failure_code(&app, &warehouse, "B-CRACK", Some("control_board")).await;
    let wo = issue_on_site(&app, &w).await;
    let number = obligations(&app, &w.engineer, &wo).await[0]["number"]
        .as_str()
        .expect("number")
        .to_owned();
    // Receiving before the hand-in is refused.
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/defect-returns/{number}/receive"),
            &warehouse,
            Some(json!({"failure_code": "M-BURNT", "location": "WH-D"})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("not_handed_in")), "{b}");
    // The hand-in takes the part back into the van and ships it: nothing defective stays.
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/defect-returns/{number}/hand-in"),
            &w.engineer,
            Some(json!({})),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("handed_in")), "{b}");
    let (s, b) = app
        .get(
            "/api/v1/stock/balances?location=IN-TRANSIT&part=FAN-1",
            &warehouse,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let in_transit: f64 = b
        .as_array()
        .expect("balances")
        .iter()
        .filter(|r| r["condition"] == "defective")
        .map(|r| r["on_hand"].as_f64().expect("qty"))
        .sum();
    assert_eq!(in_transit, 1.0, "{b}");
    // Twice is refused.
    let (s, _) = app
        .send(
            "POST",
            &format!("/api/v1/defect-returns/{number}/hand-in"),
            &w.engineer,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 409);
    // A code of another category is refused; the right one closes the obligation.
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/defect-returns/{number}/receive"),
            &warehouse,
            Some(json!({"failure_code": "B-CRACK", "location": "WH-D"})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("conflict")), "{b}");
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/defect-returns/{number}/receive"),
            &warehouse,
            Some(json!({"failure_code": "m-burnt", "location": "WH-D"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "received");
    assert_eq!(b["failure_code"], "M-BURNT");
    assert_eq!(b["batch"], "KT");
    let (s, b) = app
        .get(
            "/api/v1/stock/balances?location=WH-D&part=FAN-1",
            &warehouse,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b[0]["condition"], "defective", "{b}");
    assert_eq!(b[0]["on_hand"], 1.0, "{b}");
    // The report counts it by part, model, batch and month.
    let (s, r) = app.get("/api/v1/defect-returns/report", &manager).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["total"], 1, "{r}");
    let row = &r["rows"][0];
    assert_eq!(
        (
            &row["part"],
            &row["model"],
            &row["batch"],
            &row["failure_code"]
        ),
        (
            &json!("FAN-1"),
            &json!("KT"),
            &json!("KT"),
            &json!("M-BURNT")
        ),
        "{r}"
    );
    let (_, r) = app
        .get("/api/v1/defect-returns/report?part=NOPE-9", &manager)
        .await;
    assert_eq!(r["total"], 0, "{r}");
    let (s, r) = app
        .get("/api/v1/defect-returns/report?from=2026-13", &manager)
        .await;
    assert_eq!(
        (s, r["errors"][0]["field"].as_str()),
        (422, Some("from")),
        "{r}"
    );
}

async fn who_may_hand_in_receive_and_read_the_report(app: TestApp) {
    let w = world(&app).await;
    stocked(&app).await;
    let warehouse = app.token("warehouse").await;
    let partner = app.token("partner").await;
    failure_code(&app, &warehouse, "M-X", None).await;
    let wo = issue_on_site(&app, &w).await;
    let number = obligations(&app, &w.engineer, &wo).await[0]["number"]
        .as_str()
        .expect("number")
        .to_owned();
    // The warehouse sees it and may not hand it in; another technician does not see it.
    assert_eq!(obligations(&app, &warehouse, &wo).await.len(), 1);
    assert!(obligations(&app, &partner, &wo).await.is_empty());
    let hand_in = format!("/api/v1/defect-returns/{number}/hand-in");
    let (s, _) = app
        .send("POST", &hand_in, &warehouse, Some(json!({})))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app.send("POST", &hand_in, &partner, Some(json!({}))).await;
    assert_eq!(s, 404);
    // The engineer may not receive, nor read the report, nor keep the catalog.
    let (s, _) = app
        .send(
            "POST",
            &format!("/api/v1/defect-returns/{number}/receive"),
            &w.engineer,
            Some(json!({"failure_code": "M-X"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app.get("/api/v1/defect-returns/report", &w.engineer).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .send(
            "POST",
            "/api/v1/failure-codes",
            &w.engineer,
            Some(json!({"code": "E-1", "name_zh": "x", "name_en": "x"})),
        )
        .await;
    assert_eq!(s, 403);
    // A bad code is a 422 naming the field; a taken one a 409.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/failure-codes",
            &warehouse,
            Some(json!({"code": "bad code", "name_zh": "x", "name_en": "x"})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str()),
        (422, Some("code")),
        "{b}"
    );
    let (s, _) = app
        .send(
            "POST",
            "/api/v1/failure-codes",
            &warehouse,
            Some(json!({"code": "m-x", "name_zh": "x", "name_en": "x"})),
        )
        .await;
    assert_eq!(s, 409);
    // The catalog is kept: renamed, then retired; a retired code is no longer offered.
    let put = |token: String, code: &'static str, body: Value| {
        let app = &app;
        async move {
            app.send(
                "PUT",
                &format!("/api/v1/failure-codes/{code}"),
                &token,
                Some(body),
            )
            .await
        }
    };
    let (s, _) = put(
        w.engineer.clone(),
        "M-X",
        json!({"name_zh": "y", "name_en": "y", "active": false}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, b) = put(
        warehouse.clone(),
        "M-X",
        json!({"name_zh": " ", "name_en": "y", "category": "nope", "active": true}),
    )
    .await;
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!((s, fields), (422, vec!["name_zh", "category"]), "{b}");
    let (s, _) = put(
        warehouse.clone(),
        "NO-SUCH",
        json!({"name_zh": "y", "name_en": "y", "active": true}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, b) = put(
        warehouse.clone(),
        "m-x",
        json!({"name_zh": "电机烧毁", "name_en": "Motor burnt out", "active": false}),
    )
    .await;
    assert_eq!(
        (s, b["name_en"].as_str(), &b["active"]),
        (200, Some("Motor burnt out"), &json!(false)),
        "{b}"
    );
    let (_, active) = app.get("/api/v1/failure-codes", &warehouse).await;
    assert!(
        !active.to_string().contains("\"M-X\""),
        "retired codes are not offered: {active}"
    );
    let (_, all) = app.get("/api/v1/failure-codes?all=true", &warehouse).await;
    let mx = all
        .as_array()
        .and_then(|a| a.iter().find(|c| c["code"] == "M-X"))
        .expect("kept");
    assert_eq!(mx["active"], json!(false));
    let (s, b) = app
        .send("POST", &hand_in, &w.engineer, Some(json!({})))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/defect-returns/{number}/receive"),
            &warehouse,
            Some(json!({"failure_code": "M-X"})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("unknown_failure_code")),
        "{b}"
    );
}

async fn run_jobs(app: &TestApp) {
    let opts = WorkerOptions::default();
    for _ in 0..50 {
        if run_once(&app.app, &app.handlers, &opts)
            .await
            .expect("jobs")
            == 0
        {
            return;
        }
    }
    panic!("jobs keep coming");
}

async fn an_overdue_obligation_is_charged_once(pg: bool, term_days: i64) {
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let adjust = |c: &mut aftersales::Config| {
        c.embedded.clock = Some(clock.clone());
        c.jobs.enabled = false;
        c.defects.return_days = term_days;
    };
    let app = if pg {
        TestApp::postgres_with(adjust).await
    } else {
        TestApp::sqlite_with(adjust).await
    };
    let w = world(&app).await;
    stocked(&app).await;
    let wo = issue_on_site(&app, &w).await;
    // The whole term on, still within it.
    clock.advance(SignedDuration::from_hours(24 * term_days));
    run_jobs(&app).await;
    // Signed in again: a session does not last a month.
    let warehouse = app.token("warehouse").await;
    let o = &obligations(&app, &warehouse, &wo).await[0];
    assert_eq!(
        (&o["overdue"], &o["charged_fen"]),
        (&json!(false), &Value::Null),
        "{o}"
    );
    // The day after the due date: charged at the list price, once.
    clock.advance(SignedDuration::from_hours(24 * 2));
    run_jobs(&app).await;
    let warehouse = app.token("warehouse").await;
    let o = &obligations(&app, &warehouse, &wo).await[0];
    assert_eq!(
        (&o["overdue"], &o["charged_fen"]),
        (&json!(true), &json!(600)),
        "{o}"
    );
    clock.advance(SignedDuration::from_hours(24 * 5));
    run_jobs(&app).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM defect_charges")
        .fetch_one(app.app.db().pool())
        .await
        .expect("count");
    assert_eq!(n, 1);
    let charges: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'defect_return' AND action = 'charge' AND entity_id = $1",
    )
    .bind(o["id"].as_str().expect("id"))
    .fetch_one(app.app.db().pool())
    .await
    .expect("count");
    assert_eq!(charges, 1);
}
