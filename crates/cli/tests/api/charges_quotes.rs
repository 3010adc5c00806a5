//! Quotes and the start gate through the API and the customer's link (docs/charges.md), on
//! SQLite and PostgreSQL, on a test clock: paid work is refused "in service" with a 409
//! problem+json until its quote is confirmed (and paid where the schedule says so); a
//! manager's override is audited; a link answers once; an expired quote is refused; bad
//! input and other people's orders are refused without writing anything.

use crate::helpers::TestApp;
use crate::service_flow::{World, act, world};
use crate::web::Browser;
use aftersales_app::ManualClock;
use serde_json::{Value, json};
use std::sync::Arc;

macro_rules! clocked {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Env::new(false).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Env::new(true).await).await
                }
            )*
        }
    };
}

clocked!(
    paid_work_waits_for_the_confirmed_quote_then_for_payment_or_a_managers_override,
    the_whole_payment_opens_the_gate,
    a_link_answers_once_and_an_expired_quote_cannot_be_confirmed,
    bad_quotes_and_other_peoples_orders_are_refused_and_nothing_is_written,
);

struct Env {
    t: TestApp,
    clock: Arc<ManualClock>,
}

impl Env {
    async fn new(pg: bool) -> Env {
        let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
        let adjust = |c: &mut aftersales::Config| {
            c.embedded.clock = Some(clock.clone());
            c.jobs.enabled = false;
        };
        let t = if pg {
            TestApp::postgres_with(adjust).await
        } else {
            TestApp::sqlite_with(adjust).await
        };
        Env { t, clock }
    }
}

/// A unit of the world's customer sold in 2019 under the 3-year policy: out of warranty,
/// everything at list price.
async fn old_unit(app: &TestApp, w: &World, serial: &str) -> Value {
    let (s, unit) = app
        .send("POST", "/api/v1/units", &w.agent, Some(json!({"serial": serial, "product_code": "KT",
            "customer_id": w.customer["id"], "site_id": w.customer["sites"][0]["id"], "sale_date": "2019-03-01"})))
        .await;
    assert_eq!(s, 201, "{unit}");
    unit
}

/// A request for `unit`, triaged on site, dispatched, accepted, and the engineer arrived:
/// the order as it is then.
async fn arrived(app: &TestApp, w: &World, unit: &Value) -> Value {
    let (s, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(json!({
            "customer_id": w.customer["id"], "unit_id": unit["id"], "kind": "repair",
            "symptom": "不制冷", "priority": "normal"})),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (s, r) = app
        .send(
            "POST",
            &format!(
                "/api/v1/service-requests/{}/triage",
                r["number"].as_str().expect("n")
            ),
            &w.agent,
            Some(json!({"version": r["version"], "mode": "onsite"})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let id = r["work_orders"][0]["id"].as_str().expect("id").to_owned();
    let (s, o) = act(
        app,
        &w.dispatcher,
        &id,
        "dispatch",
        json!({"version": 1, "engineer_id": w.engineer_id}),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    let (s, mut o) = act(
        app,
        &w.engineer,
        &id,
        "accept",
        json!({"version": o["version"]}),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    for step in ["depart", "arrive"] {
        let (s, next) = act(
            app,
            &w.engineer,
            &id,
            "transition",
            json!({"version": o["version"], "action": step}),
        )
        .await;
        assert_eq!(s, 200, "{step}: {next}");
        o = next;
    }
    o
}

async fn start(app: &TestApp, w: &World, o: &Value) -> (u16, Value) {
    act(
        app,
        &w.engineer,
        o["id"].as_str().expect("id"),
        "transition",
        json!({"version": o["version"], "action": "start"}),
    )
    .await
}

fn token_of(link: &str) -> String {
    let t = link.rsplit('/').next().expect("token").to_owned();
    assert_eq!(t.len(), 64, "{link}");
    t
}

async fn paid_work_waits_for_the_confirmed_quote_then_for_payment_or_a_managers_override(e: Env) {
    let app = &e.t;
    let w = world(app).await;
    let unit = old_unit(app, &w, "KT-OLD-1").await;
    let o = arrived(app, &w, &unit).await;
    let wo = o["number"].as_str().expect("number").to_owned();

    // Chargeable and unconfirmed: 409 with the stable code and a sentence.
    let (s, p) = start(app, &w, &o).await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(p["code"], "quote_not_confirmed", "{p}");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("报价")),
        "{p}"
    );
    let (s, raw_ct) = {
        let r = app
            .http
            .post(app.url(&format!("/api/v1/work-orders/{wo}/transition")))
            .bearer_auth(&w.engineer)
            .json(&json!({"version": o["version"], "action": "start"}))
            .send()
            .await
            .expect("send");
        (
            r.status().as_u16(),
            r.headers()["content-type"].to_str().expect("ct").to_owned(),
        )
    };
    assert_eq!((s, raw_ct.as_str()), (409, "application/problem+json"));

    // The preview: out of warranty, the customer pays the travel; the gate says why.
    let (s, c) = app
        .get(&format!("/api/v1/work-orders/{wo}/charges"), &w.engineer)
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["warranty_class"], "B", "{c}");
    assert_eq!(c["gate"]["chargeable"], true);
    assert_eq!(c["gate"]["refused"], "quote_not_confirmed");
    let travel = c["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["kind"] == "travel")
        .expect("travel line");
    assert_eq!(travel["payer"], "customer", "{c}");
    assert_eq!(travel["reason_code"], "out_of_warranty", "{c}");

    // The engineer quotes 70 minutes: charged as 90 (per started half hour) at 120.00 an
    // hour = 180.00, plus travel; VAT 13 % on the sum, half up.
    let (s, q) = app
        .send(
            "POST",
            "/api/v1/quotes",
            &w.engineer,
            Some(json!({
        "work_order": wo, "labor_minutes": 70, "currency": "CNY"})),
        )
        .await;
    assert_eq!(s, 201, "{q}");
    let labor = q["quote"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["kind"] == "labor")
        .expect("labor");
    assert_eq!(labor["amount_fen"], 18_000, "{q}");
    assert_eq!(labor["qty"], "1.5");
    let t = &q["quote"]["totals"];
    let net = t["customer_net_fen"].as_i64().expect("net");
    let lines_sum: i64 = q["quote"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter(|l| l["payer"] == "customer")
        .map(|l| l["amount_fen"].as_i64().expect("fen"))
        .sum();
    assert_eq!(net, lines_sum);
    assert_eq!(t["customer_vat_fen"].as_i64(), Some((net * 13 + 50) / 100));
    assert_eq!(
        t["customer_gross_fen"].as_i64(),
        Some(net + (net * 13 + 50) / 100)
    );
    let number = q["quote"]["number"].as_str().expect("number").to_owned();
    assert!(number.starts_with("QT"), "{number}");
    let token = token_of(q["link"].as_str().expect("link"));

    // Still refused until the customer answers.
    let (s, p) = start(app, &w, &o).await;
    assert_eq!((s, p["code"].as_str()), (409, Some("quote_not_confirmed")));

    // The customer confirms through the link, without signing in.
    let b = Browser::new(app, "zh-CN");
    let (s, html, _) = b.get(&format!("/q/{token}")).await;
    assert_eq!(s, 200);
    assert!(html.contains(&number), "the page names the quote");
    let csrf = b.csrf(&format!("/q/{token}")).await;
    let (s, html, _) = b
        .post(&format!("/q/{token}/confirm"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("报价已确认"), "{html}");
    let (_, d) = app
        .get(&format!("/api/v1/quotes/{number}"), &w.engineer)
        .await;
    assert_eq!(d["quote"]["status"], "confirmed", "{d}");
    assert_eq!(d["quote"]["answered_via"], "link");

    // Confirmed, but the schedule says pay first: payment_required.
    let (s, p) = start(app, &w, &o).await;
    assert_eq!(
        (s, p["code"].as_str()),
        (409, Some("payment_required")),
        "{p}"
    );

    // Part of the total paid is not enough; the whole of it opens the gate (below, on
    // another order, the override does).
    let gross = t["customer_gross_fen"].as_i64().expect("gross");
    let (s, pay) = app
        .send(
            "POST",
            "/api/v1/payments",
            &w.engineer,
            Some(json!({
        "work_order": wo, "amount_fen": gross - 1, "method": "cash", "quote_number": number})),
        )
        .await;
    assert_eq!(s, 201, "{pay}");
    let (s, p) = start(app, &w, &o).await;
    assert_eq!(
        (s, p["code"].as_str()),
        (409, Some("payment_required")),
        "{p}"
    );
    let (s, c) = app
        .get(&format!("/api/v1/work-orders/{wo}/charges"), &w.engineer)
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["gate"]["paid_fen"].as_i64(), Some(gross - 1));
    assert_eq!(c["gate"]["confirmed_total_fen"].as_i64(), Some(gross));

    // An engineer may not override; a manager does, with a reason, audited and on the
    // timeline.
    let (s, _) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{wo}/charges/override"),
            &w.engineer,
            Some(json!({"reason": "客户承诺当天转账"})),
        )
        .await;
    assert_eq!(s, 403);
    let manager = app.token("manager").await;
    let (s, p) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{wo}/charges/override"),
            &manager,
            Some(json!({"reason": " "})),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    let (s, g) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{wo}/charges/override"),
            &manager,
            Some(json!({"reason": "客户承诺当天转账"})),
        )
        .await;
    if s == 404 {
        // The demo manager's subtree may not hold the order's unit: the admin overrides.
        let (s2, g2) = app
            .send(
                "POST",
                &format!("/api/v1/work-orders/{wo}/charges/override"),
                &w.admin,
                Some(json!({"reason": "客户承诺当天转账"})),
            )
            .await;
        assert_eq!(s2, 200, "{g2}");
    } else {
        assert_eq!(s, 200, "{g}");
        assert_eq!(g["overridden"], true);
    }
    let (s, p) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{wo}/charges/override"),
            &w.admin,
            Some(json!({"reason": "again"})),
        )
        .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (409, Some("override_not_needed")),
        "{p}"
    );
    let (s, audit) = app.get("/api/v1/audit?action=override", &w.admin).await;
    assert_eq!(s, 200, "{audit}");
    assert!(
        audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|a| a["after"]["reason"] == "客户承诺当天转账"),
        "{audit}"
    );
    let (s, next) = start(app, &w, &o).await;
    assert_eq!(s, 200, "{next}");
    assert_eq!(next["status"], "in_service");
    let sr = o["request"]["number"].as_str().expect("request number");
    let (s, ev) = app
        .get(&format!("/api/v1/service-requests/{sr}/events"), &w.agent)
        .await;
    assert_eq!(s, 200, "{ev}");
    let kinds: Vec<&str> = ev["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in [
        "quote_issued",
        "quote_confirmed",
        "charges_overridden",
        "in_service",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }

    // The quote's PDF is a PDF.
    let r = app
        .http
        .get(app.url(&format!("/api/v1/quotes/{number}/pdf")))
        .bearer_auth(&w.engineer)
        .send()
        .await
        .expect("pdf");
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().await.expect("bytes").starts_with(b"%PDF"));
}

async fn a_link_answers_once_and_an_expired_quote_cannot_be_confirmed(e: Env) {
    let app = &e.t;
    let w = world(app).await;
    let unit = old_unit(app, &w, "KT-OLD-2").await;
    let o = arrived(app, &w, &unit).await;
    let wo = o["number"].as_str().expect("number").to_owned();
    let (s, q) = app
        .send(
            "POST",
            "/api/v1/quotes",
            &w.engineer,
            Some(json!({"work_order": wo, "labor_minutes": 30})),
        )
        .await;
    assert_eq!(s, 201, "{q}");
    let first = token_of(q["link"].as_str().expect("link"));
    // A new version voids the older link.
    let (s, q2) = app
        .send(
            "POST",
            "/api/v1/quotes",
            &w.engineer,
            Some(json!({"work_order": wo, "labor_minutes": 45})),
        )
        .await;
    assert_eq!(s, 201, "{q2}");
    assert_eq!(q2["quote"]["version"], 2);
    assert_eq!(q2["quote"]["number"], q["quote"]["number"]);
    let second = token_of(q2["link"].as_str().expect("link"));
    let b = Browser::new(app, "en");
    let csrf = b.csrf(&format!("/q/{second}")).await;
    let (s, html, _) = b
        .post(&format!("/q/{first}/confirm"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(s, 409, "the superseded link: {html}");
    assert!(html.contains("newer version"), "{html}");
    let (s, _, _) = b
        .post(&format!("/q/{second}/confirm"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(s, 200);
    // Used twice: refused the second time, the answer unchanged.
    let (s, html, _) = b
        .post(&format!("/q/{second}/decline"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(s, 409, "{html}");
    assert!(html.contains("already been answered"), "{html}");
    let (_, d) = app
        .get(
            &format!(
                "/api/v1/quotes/{}",
                q2["quote"]["number"].as_str().expect("n")
            ),
            &w.engineer,
        )
        .await;
    assert_eq!(d["quote"]["status"], "confirmed");
    assert_eq!(d["versions"][1]["status"], "superseded");
    // An unknown or malformed link is 404.
    let (s, _, _) = b.get(&format!("/q/{}", "0".repeat(64))).await;
    assert_eq!(s, 404);
    let (s, _, _) = b.get("/q/not-a-token").await;
    assert_eq!(s, 404);

    // Another order's quote, left for 8 days: past its 7 days, it cannot be confirmed.
    let unit3 = old_unit(app, &w, "KT-OLD-3").await;
    let o3 = arrived(app, &w, &unit3).await;
    let wo3 = o3["number"].as_str().expect("number").to_owned();
    let (s, q3) = app
        .send(
            "POST",
            "/api/v1/quotes",
            &w.engineer,
            Some(json!({"work_order": wo3, "labor_minutes": 60})),
        )
        .await;
    assert_eq!(s, 201, "{q3}");
    e.clock.advance(jiff::SignedDuration::from_hours(8 * 24));
    // Tokens expire over 8 days: sign in again.
    let engineer = app.token("engineer").await;
    let n3 = q3["quote"]["number"].as_str().expect("n").to_owned();
    let (s, p) = app
        .send(
            "POST",
            &format!("/api/v1/quotes/{n3}/confirm"),
            &engineer,
            Some(json!({"version": 1, "signer_name": "张伟"})),
        )
        .await;
    assert_eq!((s, p["code"].as_str()), (409, Some("quote_expired")), "{p}");
    let t3 = token_of(q3["link"].as_str().expect("link"));
    let (s, html, _) = b
        .post(&format!("/q/{t3}/confirm"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(s, 409, "{html}");
    let (_, d) = app.get(&format!("/api/v1/quotes/{n3}"), &engineer).await;
    assert_eq!(d["quote"]["status"], "pending");
    assert_eq!(d["quote"]["expired"], true);
    assert_eq!(d["quote"]["may_answer"], false);
}

async fn bad_quotes_and_other_peoples_orders_are_refused_and_nothing_is_written(e: Env) {
    let app = &e.t;
    let w = world(app).await;
    let unit = old_unit(app, &w, "KT-OLD-4").await;
    let o = arrived(app, &w, &unit).await;
    let wo = o["number"].as_str().expect("number").to_owned();
    for (body, field, code) in [
        (json!({"work_order": wo, "labor_minutes": 1.5}), None, None),
        (
            json!({"work_order": wo, "labor_minutes": -10}),
            Some("labor_minutes"),
            Some("out_of_range"),
        ),
        (
            json!({"work_order": wo, "currency": "USD"}),
            Some("currency"),
            Some("unknown_currency"),
        ),
        (
            json!({"work_order": wo, "cause": "aliens"}),
            Some("cause"),
            Some("invalid_choice"),
        ),
        (
            json!({"work_order": wo, "parts": [{"part_no": "NO-SUCH", "qty": "1"}]}),
            Some("parts[0].part_no"),
            Some("not_found"),
        ),
        (
            json!({"work_order": wo, "distance_km": 0}),
            Some("distance_km"),
            Some("out_of_range"),
        ),
    ] {
        let (s, p) = app
            .send("POST", "/api/v1/quotes", &w.engineer, Some(body.clone()))
            .await;
        assert_eq!(s, 422, "{body}: {p}");
        if let (Some(f), Some(c)) = (field, code) {
            assert!(
                p["errors"]
                    .as_array()
                    .expect("errors")
                    .iter()
                    .any(|x| x["field"] == f && x["code"] == c),
                "{body}: {p}"
            );
        }
    }
    let (s, list) = app
        .get(&format!("/api/v1/quotes?work_order={wo}"), &w.engineer)
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "nothing written: {list}"
    );
    // A customer has no quotes to make; the warehouse none to read.
    let customer = app.token("customer").await;
    let (s, _) = app
        .send(
            "POST",
            "/api/v1/quotes",
            &customer,
            Some(json!({"work_order": wo})),
        )
        .await;
    assert_eq!(s, 403);
    let warehouse = app.token("warehouse").await;
    let (s, _) = app
        .get(&format!("/api/v1/work-orders/{wo}/charges"), &warehouse)
        .await;
    assert_eq!(s, 403);
    // A partner technician outside the order's unit does not see it: 404, not a quote.
    let partner = app.token("partner").await;
    let (s, p) = app
        .send(
            "POST",
            "/api/v1/quotes",
            &partner,
            Some(json!({"work_order": wo, "labor_minutes": 30})),
        )
        .await;
    assert_eq!(s, 404, "{p}");
    let (s, _) = app
        .get(&format!("/api/v1/work-orders/{wo}/charges"), &partner)
        .await;
    assert_eq!(s, 404);
    // A unit of ours without a serial gets no service (the starter schedule's policy):
    // intake refuses it, naming the unit, and files nothing.
    let (s, bare) = app
        .send("POST", "/api/v1/units", &w.agent, Some(json!({"product_code": "KT",
            "customer_id": w.customer["id"], "site_id": w.customer["sites"][0]["id"], "sale_date": "2025-03-01"})))
        .await;
    assert_eq!(s, 201, "{bare}");
    let (s, p) = app
        .send("POST", "/api/v1/service-requests", &w.agent, Some(json!({
            "customer_id": w.customer["id"], "unit_id": bare["id"], "kind": "repair", "symptom": "不制冷"})))
        .await;
    assert_eq!(s, 409, "{p}");
    assert!(
        p["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|x| x["field"] == "unit_id" && x["code"] == "no_serial_no_service"),
        "{p}"
    );
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("机身编码")),
        "{p}"
    );

    // An in-warranty job has nothing to quote.
    let (_, wo_free) = crate::service_flow::pending_order(app, &w).await;
    let (s, p) = app
        .send(
            "POST",
            "/api/v1/quotes",
            &w.agent,
            Some(json!({"work_order": wo_free["number"], "labor_minutes": 30})),
        )
        .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (409, Some("nothing_to_quote")),
        "{p}"
    );
}

async fn the_whole_payment_opens_the_gate(e: Env) {
    let app = &e.t;
    let w = world(app).await;
    let unit = old_unit(app, &w, "KT-OLD-5").await;
    let o = arrived(app, &w, &unit).await;
    let wo = o["number"].as_str().expect("number").to_owned();
    let (s, q) = app
        .send(
            "POST",
            "/api/v1/quotes",
            &w.engineer,
            Some(json!({"work_order": wo, "labor_minutes": 45})),
        )
        .await;
    assert_eq!(s, 201, "{q}");
    let number = q["quote"]["number"].as_str().expect("n").to_owned();
    // Signed on the phone: the signer's name is required.
    let (s, p) = app
        .send(
            "POST",
            &format!("/api/v1/quotes/{number}/confirm"),
            &w.engineer,
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    let (s, c) = app
        .send("POST", &format!("/api/v1/quotes/{number}/confirm"), &w.engineer,
            Some(json!({"version": 1, "signer_name": "张伟", "signature_png": crate::service_flow::png_data_url()})))
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["status"].as_str(), c["answered_via"].as_str()),
        (Some("confirmed"), Some("signature"))
    );
    let gross = q["quote"]["totals"]["customer_gross_fen"]
        .as_i64()
        .expect("gross");
    let (s, pay) = app
        .send("POST", "/api/v1/payments", &w.engineer, Some(json!({
            "work_order": wo, "amount_fen": gross, "method": "wechat_pay", "reference": "4200001234202612071234567890"})))
        .await;
    assert_eq!(s, 201, "{pay}");
    let (s, next) = start(app, &w, &o).await;
    assert_eq!(s, 200, "{next}");
    assert_eq!(next["status"], "in_service");
}
