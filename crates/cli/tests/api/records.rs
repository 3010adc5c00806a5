//! After the visit: the service record as a PDF and a printable page with its QR code, the
//! public verification page, and the daily reconciliation with call-backs (R-DSP-7, R-DSP-8).

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::{World, act, on_site, png_data_url, world};
use serde_json::{Value, json};

both!(
    a_signed_record_prints_as_a_pdf_and_its_qr_code_verifies_it,
    tampering_is_detected_and_unknown_records_are_not_verified,
    the_daily_reconciliation_lists_the_day_and_keeps_call_backs,
);

/// Fills in, signs (or declines) and completes an order on site.
async fn finish(app: &TestApp, w: &World, decline: Option<&str>) -> Value {
    let (_, o) = on_site(app, w).await;
    let id = o["id"].as_str().expect("id").to_owned();
    let (s, b) = app
        .send("PUT", &format!("/api/v1/work-orders/{id}/record"), &w.engineer, Some(json!({
            "version": 0, "fault_cause_code": "CAP", "diagnosis": "启动电容损坏", "action_taken": "更换启动电容",
            "parts": [{"part_no": "C-35UF", "name": "启动电容", "qty": 1}], "labor_minutes": 75,
            "test_run_done": true, "customer_trained": true, "rating_quality": 5, "rating_attitude": 4})))
        .await;
    assert_eq!(s, 200, "{b}");
    let sign = match decline {
        Some(why) => json!({"declined_reason": why}),
        None => json!({"signature_png": png_data_url(), "signer_name": "张伟"}),
    };
    let (s, b) = act(app, &w.engineer, &id, "signature", sign).await;
    assert_eq!(s, 200, "{b}");
    let (s, done) = act(
        app,
        &w.engineer,
        &id,
        "complete",
        json!({"version": o["version"], "outcome": "fixed"}),
    )
    .await;
    assert_eq!(s, 200, "{done}");
    done
}

async fn get_raw(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut r = app.http.get(app.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.expect("bytes").to_vec())
}

async fn a_signed_record_prints_as_a_pdf_and_its_qr_code_verifies_it(app: TestApp) {
    let w = world(&app).await;
    // Before signing there is no PDF.
    let (_, o) = on_site(&app, &w).await;
    let (s, _, body) = get_raw(
        &app,
        &format!(
            "/api/v1/work-orders/{}/record.pdf",
            o["id"].as_str().expect("id")
        ),
        Some(&w.dispatcher),
    )
    .await;
    assert_eq!(s, 409, "{}", String::from_utf8_lossy(&body));

    let done = finish(&app, &w, None).await;
    let number = done["number"].as_str().expect("number").to_owned();
    let hash = done["record"]["content_hash"]
        .as_str()
        .expect("hash")
        .to_owned();
    let (s, headers, pdf) = get_raw(
        &app,
        &format!("/api/v1/work-orders/{number}/record.pdf"),
        Some(&w.agent),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("cd")
            .contains(&format!("{number}.pdf")),
        "{:?}",
        headers["content-disposition"]
    );
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("/Subtype /Image") || text.contains("/Subtype/Image"),
        "the signature is an image in it"
    );
    assert!(text.contains("FontFile"), "the CJK font is embedded");
    // Not for those who may not see the order.
    let other = app.token("warehouse").await;
    let (s, _, _) = get_raw(
        &app,
        &format!("/api/v1/work-orders/{number}/record.pdf"),
        Some(&other),
    )
    .await;
    assert_eq!(s, 403);

    // The QR code's page: public, no sign-in.
    let (s, _, html) = get_raw(&app, &format!("/verify/{number}/{hash}"), None).await;
    let html = String::from_utf8_lossy(&html);
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("真实有效"), "genuine");
    assert!(html.contains("张伟") && html.contains(&number));
    assert!(
        !html.contains("138 0013 8000"),
        "no phone number on the public page"
    );
    // A wrong hash tells nothing about the record: the same answer as an unknown number
    // (issue 13: sequential numbers must not list who was served).
    let (s, _, html) = get_raw(&app, &format!("/verify/{number}/{}", "0".repeat(64)), None).await;
    assert_eq!(s, 404);
    let html = String::from_utf8_lossy(&html);
    assert!(html.contains("没有这份报告"), "{html}");
    for secret in ["张伟", "柜式空调", "KT-0001", "SR20"] {
        assert!(
            !html.contains(secret),
            "a wrong hash shows {secret}: {html}"
        );
    }

    // An addendum keeps the record genuine; the printable page shows both and the QR code.
    let (s, b) = act(
        &app,
        &w.engineer,
        &number,
        "addenda",
        json!({"body": "补记：客户要求三个月后回访"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, _, _) = get_raw(&app, &format!("/verify/{number}/{hash}"), None).await;
    assert_eq!(s, 200);
    let (s, b) = app
        .http
        .post(app.url(&format!("/api/v1/work-orders/{number}/photos")))
        .bearer_auth(&w.engineer)
        .body(crate::service_flow::PNG.to_vec())
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .expect("upload");
    assert!(s == 409, "no photo after signing (completed: {s}) {b:?}");
}

async fn tampering_is_detected_and_unknown_records_are_not_verified(app: TestApp) {
    let w = world(&app).await;
    let (_, o) = on_site(&app, &w).await;
    let id = o["id"].as_str().expect("id").to_owned();
    let r = app
        .http
        .post(app.url(&format!("/api/v1/work-orders/{id}/photos")))
        .bearer_auth(&w.engineer)
        .header("content-type", "image/png")
        .body(crate::service_flow::PNG.to_vec())
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 201);
    let (s, b) = app
        .send(
            "PUT",
            &format!("/api/v1/work-orders/{id}/record"),
            &w.engineer,
            Some(json!({"version": 0, "diagnosis": "x", "test_run_done": true})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, signed) = act(
        &app,
        &w.engineer,
        &id,
        "signature",
        json!({"signature_png": png_data_url()}),
    )
    .await;
    assert_eq!(s, 200, "{signed}");
    let number = signed["number"].as_str().expect("n").to_owned();
    let hash = signed["record"]["content_hash"]
        .as_str()
        .expect("hash")
        .to_owned();
    let (s, _, _) = get_raw(&app, &format!("/verify/{number}/{hash}"), None).await;
    assert_eq!(s, 200);
    // Someone removes the photo behind the application's back: the record no longer
    // matches what the customer signed.
    app.raw_execute("DELETE FROM work_order_photos")
        .await
        .expect("delete");
    let (s, _, html) = get_raw(&app, &format!("/verify/{number}/{hash}"), None).await;
    assert_eq!(s, 404);
    assert!(String::from_utf8_lossy(&html).contains("无法核验"));
    let (s, _, html) = get_raw(&app, "/verify/WO209901010001/abc", None).await;
    assert_eq!(s, 404);
    assert!(String::from_utf8_lossy(&html).contains("没有这份报告"));
    // Internal ids are not accepted in place of numbers.
    let (s, _, _) = get_raw(&app, &format!("/verify/{id}/{hash}"), None).await;
    assert_eq!(s, 404);
}

async fn the_daily_reconciliation_lists_the_day_and_keeps_call_backs(app: TestApp) {
    let w = world(&app).await;
    let mut done = Vec::new();
    for i in 0..3 {
        done.push(
            finish(&app, &w, None).await["number"]
                .as_str()
                .expect("n")
                .to_owned(),
        );
        let _ = i;
    }
    let declined = finish(&app, &w, Some("客户不在家")).await["number"]
        .as_str()
        .expect("n")
        .to_owned();
    // A visit booked for today, accepted but not reported back.
    let (_, wo) = crate::service_flow::pending_order(&app, &w).await;
    let booked = wo["id"].as_str().expect("id").to_owned();
    let (s, o) = act(
        &app,
        &w.dispatcher,
        &booked,
        "dispatch",
        json!({"version": 1, "engineer_id": w.engineer_id}),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    let (_, o) = act(
        &app,
        &w.engineer,
        &booked,
        "accept",
        json!({"version": o["version"]}),
    )
    .await;
    let (s, o) = act(
        &app,
        &w.engineer,
        &booked,
        "appointment",
        json!({"version": o["version"],
        "starts_at": jiff::Timestamp::now().to_string(),
        "ends_at": (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(90)).to_string(),
        "customer_agreed": true}),
    )
    .await;
    assert_eq!(s, 200, "{o}");

    let (s, r) = app.get("/api/v1/reconciliation", &w.dispatcher).await;
    assert_eq!(s, 200, "{r}");
    let numbers = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|l| l["number"].as_str().expect("n").to_owned())
            .collect()
    };
    let completed = numbers(&r["completed"]);
    assert_eq!(completed.len(), 4);
    for n in done.iter().chain([&declined]) {
        assert!(completed.contains(n), "{n}");
    }
    assert_eq!(numbers(&r["not_signed"]), vec![declined.clone()]);
    assert_eq!(
        numbers(&r["not_reported"]),
        [o["number"].as_str().expect("n").to_owned()]
    );
    assert_eq!(
        r["not_signed"][0]["signature_declined_reason"],
        "客户不在家"
    );
    let sample = numbers(&r["sample"]);
    assert_eq!(sample.len(), 3, "a tenth, at least three");
    assert!(sample.iter().all(|n| completed.contains(n)));
    let (_, again) = app.get("/api/v1/reconciliation", &w.dispatcher).await;
    assert_eq!(numbers(&again["sample"]), sample, "the same sample all day");

    // Call-backs: a discrepancy needs its notes; outcomes are kept and on the timeline.
    let target = &sample[0];
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{target}/callbacks"),
            &w.dispatcher,
            Some(json!({"outcome": "discrepancy"})),
        )
        .await;
    assert_eq!(s, 409, "a discrepancy needs its notes: {b}");
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{target}/callbacks"),
            &w.dispatcher,
            Some(json!({"outcome": "discrepancy", "notes": "客户说工程师只待了十分钟"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (_, r) = app.get("/api/v1/reconciliation", &w.dispatcher).await;
    let line = r["sample"]
        .as_array()
        .expect("sample")
        .iter()
        .find(|l| l["number"] == target.as_str())
        .expect("line")
        .clone();
    assert_eq!(line["callbacks"][0]["outcome"], "discrepancy");
    let (_, wo) = app
        .get(&format!("/api/v1/work-orders/{target}"), &w.dispatcher)
        .await;
    let (_, ev) = app
        .get(
            &format!(
                "/api/v1/service-requests/{}/events",
                wo["request"]["id"].as_str().expect("r")
            ),
            &w.dispatcher,
        )
        .await;
    assert!(
        ev["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["kind"] == "callback" && e["data"]["outcome"] == "discrepancy")
    );
    // Only the clerk's roles reconcile; an open order cannot be called back yet.
    let (s, _) = app.get("/api/v1/reconciliation", &w.agent).await;
    assert_eq!(s, 403);
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{booked}/callbacks"),
            &w.dispatcher,
            Some(json!({"outcome": "confirmed"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("illegal_transition")),
        "{b}"
    );
    let (s, b) = app
        .get("/api/v1/reconciliation?day=2026-13-40", &w.dispatcher)
        .await;
    assert_eq!(s, 422, "{b}");
}
