//! Payments, receipts and cash hand-over through the API (docs/charges.md), on
//! SQLite and PostgreSQL: a payment on the engineer's order with its event and receipt,
//! refunds bounded by what was paid, the invoice set once, the receipt PDF and its public
//! verification, bad input, who may do what, and the cash hand-over confirmed by a manager.

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::{World, act, pending_order, world};
use serde_json::{Value, json};

both!(
    a_payment_is_numbered_on_the_timeline_and_refunds_never_exceed_it,
    bad_input_is_refused_and_nothing_is_written,
    customers_and_the_warehouse_cannot_record_and_engineers_cannot_confirm,
    cash_is_handed_over_and_confirmed_with_the_difference,
);

/// A work order dispatched to the engineer.
async fn engineers_order(app: &TestApp, w: &World) -> (Value, String) {
    let (r, wo) = pending_order(app, w).await;
    let id = wo["id"].as_str().expect("id").to_owned();
    let (s, o) = act(
        app,
        &w.dispatcher,
        &id,
        "dispatch",
        json!({"version": 1, "engineer_id": w.engineer_id}),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    (r, o["number"].as_str().expect("number").to_owned())
}

async fn pay(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.send("POST", "/api/v1/payments", token, Some(body))
        .await
}

async fn a_payment_is_numbered_on_the_timeline_and_refunds_never_exceed_it(app: TestApp) {
    let w = world(&app).await;
    let (r, wo) = engineers_order(&app, &w).await;
    let (s, p) = pay(
        &app,
        &w.engineer,
        json!({"work_order": wo, "amount_fen": 128050, "currency": "cny", "method": "wechat_pay",
            "reference": "4200001234"}),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    let receipt = p["receipt_no"].as_str().expect("receipt").to_owned();
    assert!(receipt.starts_with("RC"), "{p}");
    assert_eq!(p["amount_yuan"], "1,280.50");
    assert_eq!(p["work_order_number"], wo.as_str());
    assert_eq!(
        p["collected_by_name"].as_str().map(|n| !n.is_empty()),
        Some(true)
    );

    // The request's timeline shows it.
    let (s, ev) = app
        .get(
            &format!(
                "/api/v1/service-requests/{}/events",
                r["id"].as_str().expect("id")
            ),
            &w.dispatcher,
        )
        .await;
    assert_eq!(s, 200, "{ev}");
    assert!(ev.to_string().contains("payment_recorded"), "{ev}");

    // A declined reference writes nothing.
    let (s, b) = pay(
        &app,
        &w.engineer,
        json!({"work_order": wo, "amount_fen": 100, "method": "pos_card", "reference": "DECLINED-1"}),
    )
    .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "payment_declined");

    // A manager or admin who sees the order refunds part, then cannot refund more than
    // is left.
    let manager = w.admin.clone();
    let (s, f) = app
        .send(
            "POST",
            &format!("/api/v1/payments/{receipt}/refund"),
            &manager,
            Some(json!({"amount_fen": 50, "reason": "多收了运费"})),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    assert_eq!(f["amount_fen"], -50);
    assert_eq!(f["refund_of"], receipt.as_str());
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/payments/{receipt}/refund"),
            &manager,
            Some(json!({"amount_fen": 128001, "reason": "全退"})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "refund_exceeds_paid");
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/payments/{receipt}/refund"),
            &manager,
            Some(json!({"amount_fen": 10, "reason": " "})),
        )
        .await;
    assert_eq!(s, 422, "{b}");

    // The invoice is recorded once.
    let path = format!("/api/v1/payments/{receipt}/invoice");
    let inv = json!({"invoice_no": "No 04412345", "invoice_type": "vat_ordinary"});
    let (s, b) = app.send("PUT", &path, &manager, Some(inv.clone())).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["invoice_type"], "vat_ordinary");
    let (s, b) = app.send("PUT", &path, &manager, Some(inv)).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "already_invoiced");

    // The list nets to what was paid less the refund.
    let (s, list) = app
        .get(&format!("/api/v1/payments?work_order={wo}"), &w.engineer)
        .await;
    assert_eq!(s, 200, "{list}");
    let sum: i64 = list
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["amount_fen"].as_i64().expect("fen"))
        .sum();
    assert_eq!(sum, 128000, "{list}");

    // The receipt PDF reads back with the amount; its QR link verifies publicly.
    let resp = app
        .http
        .get(app.url(&format!("/api/v1/receipts/{receipt}/pdf")))
        .bearer_auth(&w.engineer)
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("pdf");
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.expect("bytes");
    let doc = lopdf::Document::load_mem(&bytes).expect("pdf");
    let text: String = doc
        .get_pages()
        .keys()
        .map(|n| doc.extract_text(&[*n]).expect("text"))
        .collect();
    assert!(text.contains("1,280.50"), "{text}");
    assert!(text.contains(&receipt), "{text}");
    // The URL is printed under the QR code, wrapped: read it back without the breaks.
    let flat: String = text.split_whitespace().collect();
    let at = flat
        .find("/r/RC")
        .unwrap_or_else(|| panic!("no link in {text}"));
    let link: String = flat[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/?=_-".contains(*c))
        .collect();
    {
        let page = app.http.get(app.url(&link)).send().await.expect("page");
        assert_eq!(page.status(), 200, "{link}");
        let html = page.text().await.expect("html");
        assert!(html.contains("1,280.50"), "{html}");
    }
    let forged = app
        .http
        .get(app.url(&format!("/r/{receipt}?v=AAAAAAAAAAAAAAAAAAAAAA")))
        .send()
        .await
        .expect("page");
    assert_eq!(forged.status(), 404);
}

async fn bad_input_is_refused_and_nothing_is_written(app: TestApp) {
    let w = world(&app).await;
    let (_, wo) = engineers_order(&app, &w).await;
    for (body, field, code) in [
        (
            json!({"work_order": wo, "amount_fen": -100, "method": "cash"}),
            "amount_fen",
            "must_be_positive",
        ),
        (
            json!({"work_order": wo, "amount_fen": 1.5, "method": "cash"}),
            "amount_fen",
            "not_an_integer",
        ),
        (
            json!({"work_order": wo, "amount_fen": "100", "method": "cash"}),
            "amount_fen",
            "not_an_integer",
        ),
        (
            json!({"work_order": wo, "amount_fen": 100, "currency": "USD", "method": "cash"}),
            "currency",
            "unknown_currency",
        ),
        (
            json!({"work_order": wo, "amount_fen": 100, "method": "barter"}),
            "method",
            "invalid_choice",
        ),
        (
            json!({"work_order": wo, "amount_fen": 100, "method": "alipay"}),
            "reference",
            "required",
        ),
        (
            json!({"work_order": wo, "amount_fen": 10_000_000_001_i64, "method": "cash"}),
            "amount_fen",
            "out_of_range",
        ),
    ] {
        let (s, b) = pay(&app, &w.engineer, body.clone()).await;
        assert_eq!(s, 422, "{body}: {b}");
        let errs = b["errors"].as_array().expect("errors");
        assert!(
            errs.iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body}: {b}"
        );
    }
    // A work order the caller does not see is not found.
    let other = app.token("partner").await;
    let (s, b) = pay(
        &app,
        &other,
        json!({"work_order": wo, "amount_fen": 100, "method": "cash"}),
    )
    .await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = pay(
        &app,
        &w.engineer,
        json!({"work_order": "WO000000000000", "amount_fen": 100, "method": "cash"}),
    )
    .await;
    assert_eq!(s, 404, "{b}");
    let (s, list) = app
        .get(&format!("/api/v1/payments?work_order={wo}"), &w.engineer)
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list, json!([]));
}

async fn customers_and_the_warehouse_cannot_record_and_engineers_cannot_confirm(app: TestApp) {
    let w = world(&app).await;
    let (_, wo) = engineers_order(&app, &w).await;
    for role in ["customer", "warehouse"] {
        let t = app.token(role).await;
        let (s, b) = pay(
            &app,
            &t,
            json!({"work_order": wo, "amount_fen": 100, "method": "cash"}),
        )
        .await;
        assert_eq!(s, 403, "{role}: {b}");
    }
    let (s, p) = pay(
        &app,
        &w.engineer,
        json!({"work_order": wo, "amount_fen": 100, "method": "cash"}),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    let (s, h) = app
        .send(
            "POST",
            "/api/v1/cash-handovers",
            &w.engineer,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 201, "{h}");
    let (s, b) = app
        .send(
            "POST",
            &format!(
                "/api/v1/cash-handovers/{}/confirm",
                h["id"].as_str().expect("id")
            ),
            &w.engineer,
            Some(json!({"counted_fen": 100})),
        )
        .await;
    assert_eq!(s, 403, "{b}");
    // Nor refund.
    let (s, b) = app
        .send(
            "POST",
            &format!(
                "/api/v1/payments/{}/refund",
                p["receipt_no"].as_str().expect("no")
            ),
            &w.engineer,
            Some(json!({"amount_fen": 10, "reason": "x"})),
        )
        .await;
    assert_eq!(s, 403, "{b}");
}

async fn cash_is_handed_over_and_confirmed_with_the_difference(app: TestApp) {
    let w = world(&app).await;
    let (_, wo) = engineers_order(&app, &w).await;
    for fen in [20000, 5050] {
        let (s, p) = pay(
            &app,
            &w.engineer,
            json!({"work_order": wo, "amount_fen": fen, "method": "cash"}),
        )
        .await;
        assert_eq!(s, 201, "{p}");
    }
    // Not cash: not held.
    let (s, p) = pay(&app, &w.engineer, json!({"work_order": wo, "amount_fen": 999, "method": "bank_transfer", "reference": "BT-778899"})).await;
    assert_eq!(s, 201, "{p}");
    let manager = app.token("manager").await;
    let (s, held) = app.get("/api/v1/cash-handovers/held", &manager).await;
    assert_eq!(s, 200, "{held}");
    let mine = held
        .as_array()
        .expect("list")
        .iter()
        .find(|h| h["engineer_id"] == w.engineer_id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{held}"));
    assert_eq!(mine["total_fen"], 25050);
    assert_eq!(mine["overdue"], false);
    assert_eq!(mine["payments"].as_array().map(Vec::len), Some(2));

    let (s, h) = app
        .send(
            "POST",
            "/api/v1/cash-handovers",
            &w.engineer,
            Some(json!({"note": "交站长"})),
        )
        .await;
    assert_eq!(s, 201, "{h}");
    assert_eq!(h["expected_fen"], 25050);
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/cash-handovers",
            &w.engineer,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "nothing_to_hand_over");
    let (s, held) = app.get("/api/v1/cash-handovers/held", &w.engineer).await;
    assert_eq!(s, 200, "{held}");
    assert_eq!(held, json!([]));

    let path = format!(
        "/api/v1/cash-handovers/{}/confirm",
        h["id"].as_str().expect("id")
    );
    let (s, b) = app
        .send("POST", &path, &manager, Some(json!({"counted_fen": 1.5})))
        .await;
    assert_eq!(s, 422, "{b}");
    let (s, c) = app
        .send(
            "POST",
            &path,
            &manager,
            Some(json!({"counted_fen": 25000, "note": "少五角"})),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["difference_fen"], -50);
    assert_eq!(c["counted_fen"], 25000);
    let (s, b) = app
        .send("POST", &path, &manager, Some(json!({"counted_fen": 25050})))
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "already_confirmed");
    let (s, list) = app.get("/api/v1/cash-handovers", &w.engineer).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list[0]["difference_fen"], -50, "{list}");
}
