//! Requests from every channel and their pages (issue 4): the agent console, the request
//! list and page with its timeline and actions, the customer portal, device alarms and the
//! symptom/cause catalog. Every test on SQLite and PostgreSQL.

use crate::both;
use crate::helpers::{ALARM_SECRET, TestApp};
use crate::web::Browser;
use serde_json::{Value, json};

both!(
    alarms_need_a_good_signature_and_a_fresh_timestamp,
    an_alarm_files_a_request_and_its_repeat_answers_the_first_result,
    a_second_alarm_within_the_window_merges_and_after_the_window_files_anew,
    an_alarm_for_an_unknown_serial_is_a_conflict_with_a_code,
    the_catalog_lists_symptoms_and_causes_by_product_line,
    an_admin_links_a_portal_account_to_a_customer_record,
);

/// A customer with a unit (serial `AL-0001`, an air conditioner sold 300 days ago under a
/// 3-year policy).
pub(crate) struct World {
    pub admin: String,
    pub agent: String,
    pub customer: Value,
    pub unit: Value,
}

pub(crate) async fn world(app: &TestApp) -> World {
    let admin = app.token("admin").await;
    let (s, b) = app
        .send("POST", "/api/v1/warranty-policies", &admin, Some(json!({"code": "P3", "name": "三年保修",
            "version": {"effective_from": "2020-01-01", "months": 36, "start_basis": "sale_date",
            "in_warranty": {"parts": "free", "labor": "free", "travel": "free"}, "after": [], "exclusion_charge": "cost_price"}})))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = app
        .send("POST", "/api/v1/products", &admin, Some(json!({"code": "KT", "name": "柜式空调", "product_line": "空调", "policy_code": "P3"})))
        .await;
    assert_eq!(s, 201, "{b}");
    let agent = app.token("agent").await;
    let (s, customer) = app
        .send("POST", "/api/v1/customers", &agent, Some(json!({"kind": "individual", "name": "赵铁柱",
            "region_code": "210102", "contacts": [{"name": "赵铁柱", "phones": ["138 2468 1357"]}],
            "sites": [{"label": "家", "address": "沈阳市和平区南京北街9号", "region_code": "210102"}]})))
        .await;
    assert_eq!(s, 201, "{customer}");
    let sale = jiff::Zoned::now()
        .date()
        .saturating_sub(jiff::Span::new().days(300));
    let (s, unit) = app
        .send("POST", "/api/v1/units", &agent, Some(json!({"serial": "AL-0001", "product_code": "KT",
            "customer_id": customer["id"], "site_id": customer["sites"][0]["id"], "sale_date": sale.to_string()})))
        .await;
    assert_eq!(s, 201, "{unit}");
    World {
        admin,
        agent,
        customer,
        unit,
    }
}

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Posts an alarm body with the given timestamp and signature headers.
async fn post_alarm(
    app: &TestApp,
    body: &str,
    ts: Option<String>,
    sig: Option<String>,
) -> (u16, Value) {
    let mut b = app
        .http
        .post(app.url("/api/v1/alarms"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = ts {
        b = b.header("X-Aftersales-Timestamp", t);
    }
    if let Some(s) = sig {
        b = b.header("X-Aftersales-Signature", s);
    }
    crate::helpers::split(b.send().await.expect("request")).await
}

/// Posts a correctly signed alarm.
async fn signed_alarm(app: &TestApp, body: &Value) -> (u16, Value) {
    let text = body.to_string();
    let ts = now_secs().to_string();
    let sig = aftersales_app::alarm_signature(ALARM_SECRET, &ts, text.as_bytes());
    post_alarm(app, &text, Some(ts), Some(format!("sha256={sig}"))).await
}

fn alarm(id: &str, serial: &str) -> Value {
    json!({"source": "MON-1", "alarm_id": id, "serial": serial, "code": "E4",
        "message": "排气温度过高", "occurred_at": "2026-11-22T06:00:00Z"})
}

async fn requests_of_unit(app: &TestApp, w: &World) -> Vec<Value> {
    let (s, b) = app
        .get(
            &format!(
                "/api/v1/service-requests?unit_id={}",
                w.unit["id"].as_str().expect("id")
            ),
            &w.agent,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"].as_array().expect("items").clone()
}

async fn alarms_need_a_good_signature_and_a_fresh_timestamp(app: TestApp) {
    let w = world(&app).await;
    let body = alarm("A-1", "AL-0001").to_string();
    let ts = now_secs().to_string();
    // No headers at all, a signature with another secret, a body changed after signing.
    let (s, b) = post_alarm(&app, &body, None, None).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (401, Some("invalid_signature")),
        "{b}"
    );
    let wrong = aftersales_app::alarm_signature("another-secret-entirely", &ts, body.as_bytes());
    let (s, b) = post_alarm(
        &app,
        &body,
        Some(ts.clone()),
        Some(format!("sha256={wrong}")),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (401, Some("invalid_signature")),
        "{b}"
    );
    let good = aftersales_app::alarm_signature(ALARM_SECRET, &ts, body.as_bytes());
    let tampered = body.replace("AL-0001", "AL-0002");
    let (s, _) = post_alarm(
        &app,
        &tampered,
        Some(ts.clone()),
        Some(format!("sha256={good}")),
    )
    .await;
    assert_eq!(s, 401);
    let (s, _) = post_alarm(&app, &body, Some(ts.clone()), Some(good.clone())).await;
    assert_eq!(s, 401, "the sha256= prefix is part of the header");
    // Correctly signed, but 301 seconds old (and 301 seconds ahead).
    for off in [-301, 301] {
        let old = (now_secs() + off).to_string();
        let sig = aftersales_app::alarm_signature(ALARM_SECRET, &old, body.as_bytes());
        let (s, b) = post_alarm(&app, &body, Some(old), Some(format!("sha256={sig}"))).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (401, Some("stale_timestamp")),
            "{b}"
        );
        assert_eq!(b["status"], 401);
    }
    assert!(requests_of_unit(&app, &w).await.is_empty(), "nothing filed");
    // A little skew is fine.
    let near = (now_secs() - 120).to_string();
    let sig = aftersales_app::alarm_signature(ALARM_SECRET, &near, body.as_bytes());
    let (s, b) = post_alarm(&app, &body, Some(near), Some(format!("sha256={sig}"))).await;
    assert_eq!(s, 201, "{b}");
}

async fn an_alarm_files_a_request_and_its_repeat_answers_the_first_result(app: TestApp) {
    let w = world(&app).await;
    let (s, first) = signed_alarm(&app, &alarm("A-7", "al 0001")).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["merged"], false);
    let number = first["request_number"].as_str().expect("number");
    assert!(number.starts_with("SR"), "{first}");
    let (s, again) = signed_alarm(&app, &alarm("A-7", "al 0001")).await;
    assert_eq!(s, 201, "{again}");
    assert_eq!(again, first, "a repeat answers the first result");
    let list = requests_of_unit(&app, &w).await;
    assert_eq!(list.len(), 1, "one request for two deliveries");
    let r = &list[0];
    assert_eq!(
        (
            r["kind"].as_str(),
            r["channel"].as_str(),
            r["priority"].as_str()
        ),
        (Some("repair"), Some("alarm"), Some("high"))
    );
    assert_eq!(
        r["owner"]["code"], "dispatcher",
        "the first active dispatcher owns it"
    );
    assert_eq!(r["external_ref"], "MON-1:A-7");
    assert!(
        r["symptom"].as_str().expect("symptom").contains("E4"),
        "{r}"
    );
    assert_eq!(r["warranty_class"], "A");
    let (_, events) = app
        .get(
            &format!("/api/v1/service-requests/{number}/events"),
            &w.agent,
        )
        .await;
    let kinds: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["created", "alarm_received"]);
    assert_eq!(events["items"][0]["actor_name"], "system:alarm");
}

async fn a_second_alarm_within_the_window_merges_and_after_the_window_files_anew(app: TestApp) {
    let w = world(&app).await;
    let (s, first) = signed_alarm(&app, &alarm("B-1", "AL-0001")).await;
    assert_eq!(s, 201, "{first}");
    let (s, second) = signed_alarm(&app, &alarm("B-2", "AL-0001")).await;
    assert_eq!(s, 200, "{second}");
    assert_eq!(second["merged"], true);
    assert_eq!(second["request_id"], first["request_id"]);
    assert_eq!(requests_of_unit(&app, &w).await.len(), 1);
    let id = first["request_id"].as_str().expect("id");
    let (_, events) = app
        .get(&format!("/api/v1/service-requests/{id}/events"), &w.agent)
        .await;
    let merged: Vec<&Value> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["kind"] == "alarm_merged")
        .collect();
    assert_eq!(merged.len(), 1, "{events}");
    assert_eq!(merged[0]["data"]["alarm_id"], "B-2");

    // 25 hours later (the request and its alarms moved back): a new request.
    let back = aftersales_store::time::to_db(
        jiff::Timestamp::now() - jiff::SignedDuration::from_hours(25),
    );
    let pool = app.app.db().pool();
    sqlx::query("UPDATE service_requests SET created_at = $1 WHERE id = $2")
        .bind(back.clone())
        .bind(id.to_owned())
        .execute(pool)
        .await
        .expect("backdate request");
    sqlx::query("UPDATE alarms SET received_at = $1 WHERE request_id = $2")
        .bind(back)
        .bind(id.to_owned())
        .execute(pool)
        .await
        .expect("backdate alarms");
    let (s, third) = signed_alarm(&app, &alarm("B-3", "AL-0001")).await;
    assert_eq!(s, 201, "{third}");
    assert_eq!(third["merged"], false);
    assert_ne!(third["request_id"], first["request_id"]);
    assert_eq!(requests_of_unit(&app, &w).await.len(), 2);
    // The new request carries the warning that another one is still open.
    let (_, created) = app
        .get(
            &format!(
                "/api/v1/service-requests/{}/events",
                third["request_id"].as_str().expect("id")
            ),
            &w.agent,
        )
        .await;
    assert_eq!(
        created["items"][0]["data"]["open_requests_for_unit"][0],
        first["request_number"]
    );
}

async fn an_alarm_for_an_unknown_serial_is_a_conflict_with_a_code(app: TestApp) {
    let _w = world(&app).await;
    let (s, b) = signed_alarm(&app, &alarm("C-1", "NO-SUCH-9")).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("conflict")), "{b}");
    assert_eq!(b["errors"][0]["field"], "serial");
    assert_eq!(b["errors"][0]["code"], "unknown_serial");
    // Signed, but not the agreed shape.
    let (s, b) = signed_alarm(
        &app,
        &json!({"source": "MON-1", "alarm_id": "", "serial": "AL-0001"}),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "alarm_id");
}

async fn the_catalog_lists_symptoms_and_causes_by_product_line(app: TestApp) {
    assert!(app.app.load_demo_catalog().await.expect("seed") >= 30);
    assert_eq!(app.app.load_demo_catalog().await.expect("again"), 0);
    let engineer = app.token("engineer").await;
    let (s, all) = app
        .get("/api/v1/catalog/codes?kind=symptom", &engineer)
        .await;
    assert_eq!(s, 200, "{all}");
    let all = all["items"].as_array().expect("items").clone();
    assert!(all.len() >= 15);
    assert!(all.iter().all(|c| c["kind"] == "symptom"));
    let (s, ac) = app
        .get(
            "/api/v1/catalog/codes?kind=symptom&product_line=空调",
            &engineer,
        )
        .await;
    assert_eq!(s, 200);
    let ac = ac["items"].as_array().expect("items").clone();
    assert!(ac.iter().any(|c| c["code"] == "S-AC-NOCOOL"
        && c["name_zh"] == "不制冷"
        && c["name_en"] == "Not cooling"));
    assert!(
        ac.iter()
            .any(|c| c["code"] == "S-NOPOWER" && c["product_line"].is_null()),
        "codes for every line come too"
    );
    assert!(!ac.iter().any(|c| c["product_line"] == "电梯"));
    let (s, causes) = app
        .get(
            "/api/v1/catalog/codes?kind=cause&product_line=电梯",
            &engineer,
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        causes["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["code"] == "C-EL-DOORLOCK")
    );
    let (s, b) = app.get("/api/v1/catalog/codes?kind=fault", &engineer).await;
    assert_eq!((s, b["errors"][0]["field"].as_str()), (422, Some("kind")));
    let customer = app.token("customer").await;
    assert_eq!(
        app.get("/api/v1/catalog/codes?kind=symptom", &customer)
            .await
            .0,
        403
    );
}

async fn an_admin_links_a_portal_account_to_a_customer_record(app: TestApp) {
    let w = world(&app).await;
    let customer_user = app.user_id("customer").await;
    let engineer = app.user_id("engineer").await;
    let path = format!("/api/v1/users/{customer_user}/customer");
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &w.admin,
            Some(json!({"customer_id": w.customer["id"]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["customer"]["code"], w.customer["number"]);
    // The portal account now files for that record.
    let me = app.token("customer").await;
    let (s, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &me,
            Some(json!({"customer_id": w.customer["id"],
            "unit_id": w.unit["id"], "kind": "repair", "symptom": "不制冷", "channel": "phone"})),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["channel"], "portal");
    let (s, b) = app
        .send(
            "PUT",
            &format!("/api/v1/users/{engineer}/customer"),
            &w.admin,
            Some(json!({"customer_id": w.customer["id"]})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("not_a_customer_account")),
        "{b}"
    );
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &w.admin,
            Some(json!({"customer_id": uuid::Uuid::now_v7().to_string()})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("unknown_customer")),
        "{b}"
    );
    let (s, b) = app
        .send("PUT", &path, &w.admin, Some(json!({"customer_id": null})))
        .await;
    assert_eq!((s, b["customer"].is_null()), (200, true), "{b}");
    let (s, _) = app
        .send(
            "PUT",
            &path,
            &w.agent,
            Some(json!({"customer_id": w.customer["id"]})),
        )
        .await;
    assert_eq!(s, 403);
    let _ = Browser::new(&app, "zh-CN");
}
