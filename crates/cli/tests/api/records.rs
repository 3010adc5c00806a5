//! After the visit: the service record as a PDF and a printable page with its QR code, the
//! public verification page, and the daily reconciliation with call-backs (R-DSP-7, R-DSP-8).

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::{World, act, on_site, png_data_url, world};
use crate::web::Browser;
use serde_json::{Value, json};

both!(
    a_signed_record_prints_as_a_pdf_and_its_qr_code_verifies_it,
    tampering_is_detected_and_unknown_records_are_not_verified,
    the_daily_reconciliation_lists_the_day_and_keeps_call_backs,
    a_blank_record_is_never_put_to_the_customer_and_every_gap_is_named_at_once,
    fault_cause_and_action_completed_at_the_center_stay_off_the_customers_copy_until_completed,
);

/// Fills in, signs (or declines) and completes an order on site.
async fn finish(app: &TestApp, w: &World, decline: Option<&str>) -> Value {
    let (_, o) = on_site(app, w).await;
    let id = o["id"].as_str().expect("id").to_owned();
    let (s, b) = app
        .send("PUT", &format!("/api/v1/work-orders/{id}/record"), &w.engineer, Some(json!({
            "version": 0, "fault_cause_code": "C-AC-CAP", "diagnosis": "启动电容损坏", "action_taken": "更换启动电容",
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
            Some(json!({"version": 0, "diagnosis": "x", "fault_cause_code": "C-AC-CAP", "action_taken": "更换电容",
                "no_parts": true, "labor_minutes": 30, "test_run_done": true})),
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

/// The fields named by a problem's errors, with their codes, sorted.
fn error_codes(b: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = b["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = v
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    v.sort();
    v
}

async fn a_blank_record_is_never_put_to_the_customer_and_every_gap_is_named_at_once(app: TestApp) {
    let w = world(&app).await;
    let (_, o) = on_site(&app, &w).await;
    let id = o["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/work-orders/{id}/record");
    // Offered for signature blank: every gap at once, with a stable code.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &w.engineer,
            Some(json!({"version": 0, "ready": true})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (422, Some("record_incomplete")),
        "{b}"
    );
    let blank = pairs(&[
        ("fault_cause_code", "cause_or_center"),
        ("action_taken", "action_or_center"),
        ("parts", "parts_or_none"),
        ("labor_minutes", "required"),
        ("test_run_done", "answer_required"),
    ]);
    assert_eq!(error_codes(&b), blank, "{b}");
    // A draft may be partial (saved as the engineer goes) but is not offered for signature.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &w.engineer,
            Some(json!({"version": 0, "diagnosis": "外机不转"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["record"]["filled"], false);
    for sign in [
        json!({"signature_png": png_data_url()}),
        json!({"declined_reason": "客户不在"}),
    ] {
        let (s, b) = act(&app, &w.engineer, &id, "signature", sign).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (422, Some("record_incomplete")),
            "{b}"
        );
        assert_eq!(error_codes(&b), blank, "{b}");
    }
    // Malformed fields, a code not in the catalog and the gaps, all in one answer.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &w.engineer,
            Some(json!({"version": 1, "ready": true,
            "fault_cause_code": "<script>x</script>", "labor_minutes": 999 * 60,
            "parts": [{"name": "电容", "qty": 1}], "no_parts": true})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (422, Some("validation_failed")),
        "{b}"
    );
    assert_eq!(
        error_codes(&b),
        pairs(&[
            ("fault_cause_code", "not_in_catalog"),
            ("labor_minutes", "out_of_range"),
            ("action_taken", "action_or_center"),
            ("no_parts", "parts_and_no_parts"),
            ("test_run_done", "answer_required"),
        ]),
        "{b}"
    );
    // A cause of another product line (lifts) is not offered for an air conditioner.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &w.engineer,
            Some(json!({"version": 1, "fault_cause_code": "C-EL-DOORLOCK"})),
        )
        .await;
    assert_eq!(
        error_codes(&b),
        pairs(&[("fault_cause_code", "not_in_catalog")]),
        "{s} {b}"
    );
    let (s, b) = act(
        &app,
        &w.engineer,
        &id,
        "complete",
        json!({"version": o["version"], "outcome": "fixed"}),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("record_not_signed")),
        "{b}"
    );
    // Filled: a cause of every line, the action, "no parts", the hours, the test-run answer.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &w.engineer,
            Some(json!({"version": 1, "ready": true,
            "fault_cause_code": "C-WEAR", "action_taken": "清洗滤网", "no_parts": true,
            "labor_minutes": 40, "test_run_done": false})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["record"]["filled"], true);
    assert_eq!(b["record"]["no_parts"], true);
    let (s, b) = act(
        &app,
        &w.engineer,
        &id,
        "signature",
        json!({"signature_png": png_data_url()}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
}

async fn fault_cause_and_action_completed_at_the_center_stay_off_the_customers_copy_until_completed(
    app: TestApp,
) {
    let w = world(&app).await;
    let (_, o) = on_site(&app, &w).await;
    let id = o["id"].as_str().expect("id").to_owned();
    // Cause and action left for the center; the rest is filled.
    let (s, b) = app
        .send(
            "PUT",
            &format!("/api/v1/work-orders/{id}/record"),
            &w.engineer,
            Some(json!({
            "version": 0, "ready": true, "cause_at_center": true, "diagnosis": "内部：用户私改线路",
            "parts": [{"name": "保险管", "qty": 2}], "labor_minutes": 50, "test_run_done": true})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (
            b["record"]["filled"].as_bool(),
            b["record"]["awaits_center"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let (s, signed) = act(
        &app,
        &w.engineer,
        &id,
        "signature",
        json!({"signature_png": png_data_url(), "signer_name": "张伟"}),
    )
    .await;
    assert_eq!(s, 200, "{signed}");
    let number = signed["number"].as_str().expect("number").to_owned();
    let hash = signed["record"]["content_hash"]
        .as_str()
        .expect("hash")
        .to_owned();
    let (s, b) = act(
        &app,
        &w.engineer,
        &id,
        "complete",
        json!({"version": o["version"], "outcome": "fixed"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    // The customer's copy leaves them off: the printable page says so, the PDF is made.
    let browser = Browser::new(&app, "zh-CN");
    browser.login("dispatcher").await;
    let (s, html, _) = browser.get(&format!("/work-orders/{id}/record")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("id=\"cause-at-center\"") && html.contains("回服务中心后填写"),
        "{html}"
    );
    assert!(
        !html.contains("用户私改线路"),
        "the diagnosis is not on the customer's copy"
    );
    let (s, _, pdf) = get_raw(
        &app,
        &format!("/api/v1/work-orders/{number}/record.pdf"),
        Some(&w.dispatcher),
    )
    .await;
    assert_eq!(s, 200);
    let text = pdf_text(&pdf);
    assert!(text.contains("回服务中心后填写"), "{text}");
    assert!(
        !text.contains("用户私改线路") && !text.contains("C-AC-CAP"),
        "the PDF leaves the cause and action off: {text}"
    );

    // The day's reconciliation lists it until the center completes it.
    let (s, r) = app.get("/api/v1/reconciliation", &w.dispatcher).await;
    assert_eq!(s, 200, "{r}");
    let pending: Vec<&str> = r["center_pending"]
        .as_array()
        .expect("center_pending")
        .iter()
        .filter_map(|l| l["number"].as_str())
        .collect();
    assert_eq!(pending, [number.as_str()], "{r}");
    let (s, html, _) = browser.get("/reconciliation").await;
    assert_eq!(s, 200);
    assert!(
        html.contains(&format!("data-number=\"{number}\"")),
        "the page lists it"
    );

    // Who may complete it: not the agent (403); every error of the form at once.
    let (s, b) = center(
        &app,
        &id,
        &w.agent,
        json!({"fault_cause_code": "C-AC-CAP", "action_taken": "x"}),
    )
    .await;
    assert_eq!(s, 403, "{b}");
    let (s, b) = center(
        &app,
        &id,
        &w.dispatcher,
        json!({"fault_cause_code": "NOPE"}),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        error_codes(&b),
        pairs(&[
            ("fault_cause_code", "not_in_catalog"),
            ("action_taken", "required")
        ]),
        "{b}"
    );
    // The office's form on the reconciliation page: refused beside the fields, what was
    // typed kept; then completed.
    let csrf = browser.csrf("/reconciliation").await;
    let path = format!("/reconciliation/{id}/center");
    let (s, html, _) = browser
        .post(
            &path,
            &[
                ("_csrf", &csrf),
                ("fault_cause_code", "C-AC-CAP"),
                ("diagnosis", "线路被改"),
                ("action_taken", " "),
            ],
        )
        .await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("id=\"error-summary\""), "said at the top");
    assert!(
        html.contains(">线路被改</textarea>"),
        "what was typed stays"
    );
    assert!(html.contains("必填"), "the action is required");
    let (s, b) = center(
        &app,
        &id,
        &w.dispatcher,
        json!({"fault_cause_code": "C-AC-CAP",
        "diagnosis": "用户私改线路导致电容击穿", "action_taken": "恢复原线路，更换电容"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["record"]["center"]["fault_cause_code"], "C-AC-CAP");
    assert_eq!(b["record"]["awaits_center"], false);
    assert_eq!(
        b["record"]["content_hash"],
        hash.as_str(),
        "the signed record is unchanged"
    );
    let (s, _, _) = get_raw(&app, &format!("/verify/{number}/{hash}"), None).await;
    assert_eq!(s, 200, "still genuine");
    let (_, html, _) = browser.get(&format!("/work-orders/{id}/record")).await;
    assert!(
        !html.contains("恢复原线路"),
        "the completion stays off the customer's copy"
    );
    let (_, _, pdf) = get_raw(
        &app,
        &format!("/api/v1/work-orders/{number}/record.pdf"),
        Some(&w.dispatcher),
    )
    .await;
    let text = pdf_text(&pdf);
    assert!(
        text.contains("回服务中心后填写") && !text.contains("恢复原线路") && !text.contains("击穿"),
        "the PDF too: {text}"
    );
    let (_, r) = app.get("/api/v1/reconciliation", &w.dispatcher).await;
    assert_eq!(r["center_pending"], json!([]), "{r}");
    // Once.
    let (s, b) = center(
        &app,
        &id,
        &w.dispatcher,
        json!({"fault_cause_code": "C-AC-CAP", "action_taken": "again"}),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("completed_at_center")),
        "{b}"
    );
    // A record not marked for the center has nothing to complete.
    let done = finish(&app, &w, None).await;
    let (s, b) = act(
        &app,
        &w.dispatcher,
        done["id"].as_str().expect("id"),
        "record/center",
        json!({"fault_cause_code": "C-AC-CAP", "action_taken": "x"}),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("not_for_the_center")),
        "{b}"
    );
}

/// Completes fault cause and action of a record at the center.
async fn center(app: &TestApp, id: &str, token: &str, body: Value) -> (u16, Value) {
    act(app, token, id, "record/center", body).await
}

/// The text of every page of a PDF, read back through its fonts' /ToUnicode maps by an
/// independent parser.
fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF lopdf can read");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text extracted")
}
