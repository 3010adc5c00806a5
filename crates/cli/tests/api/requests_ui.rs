//! Requests from every channel and their pages (issue 4): the agent console, the request
//! list and page with its timeline and actions, the customer portal, device alarms and the
//! symptom/cause catalog. Every test on SQLite and PostgreSQL.

use crate::both;
use crate::helpers::{ALARM_SECRET, TestApp};
use crate::web::Browser;
use serde_json::{Value, json};

both!(
    the_console_offers_a_lines_symptoms_once_its_unit_is_chosen,
    alarms_need_a_good_signature_and_a_fresh_timestamp,
    an_alarm_files_a_request_and_its_repeat_answers_the_first_result,
    a_second_alarm_within_the_window_merges_and_after_the_window_files_anew,
    an_alarm_for_an_unknown_serial_is_a_conflict_with_a_code,
    the_catalog_lists_symptoms_and_causes_by_product_line,
    an_admin_links_a_portal_account_to_a_customer_record,
    the_console_finds_the_caller_and_refuses_engineers,
    filing_through_the_console_shows_the_number_big_with_its_warnings,
    console_errors_appear_beside_the_fields_and_nothing_is_filed,
    the_request_page_tells_the_timeline_in_words_with_actors,
    an_owner_change_through_the_page_is_recorded_and_a_stale_form_says_so,
    reopening_through_the_page_links_both_requests,
    a_customer_sees_only_their_own_in_the_portal_and_files_a_request,
    an_admin_links_the_portal_account_on_the_users_page,
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
    )
    .expect("storable");
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
}

/// The value of `name="..."`'s `value` attribute in a page (the first such input).
fn input_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no input {name}"));
    let rest = &html[at + name.len() + 15..];
    rest.split('"').next().expect("value").to_owned()
}

/// The text of the element with this id (up to the next tag).
fn text_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[at..];
    let start = rest.find('>').expect(">") + 1;
    rest[start..]
        .split('<')
        .next()
        .expect("text")
        .trim()
        .to_owned()
}

/// The console's new-request form for a customer and unit, with its token and key.
async fn console_form(b: &Browser, w: &World) -> (String, String) {
    let (status, html, _) = b
        .get(&format!(
            "/console?customer={}&unit={}",
            w.customer["id"].as_str().expect("id"),
            w.unit["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(status, 200, "{html}");
    (input_value(&html, "_csrf"), input_value(&html, "idem"))
}

async fn file_in_console(b: &Browser, w: &World, symptom: &str) -> (u16, String, Option<String>) {
    let (csrf, idem) = console_form(b, w).await;
    let day = crate::hostile_values::tomorrow();
    b.post(
        "/console",
        &[
            ("_csrf", &csrf),
            ("idem", &idem),
            ("customer_id", w.customer["id"].as_str().expect("id")),
            ("unit_id", w.unit["id"].as_str().expect("id")),
            ("kind", "repair"),
            ("channel", "phone"),
            ("priority", "high"),
            ("symptom_code", ""),
            ("symptom", symptom),
            ("contact_name", "赵铁柱"),
            ("contact_phone", "138 2468 1357"),
            (
                "site_id",
                w.customer["sites"][0]["id"].as_str().expect("site"),
            ),
            ("address", ""),
            ("preferred_from", &format!("{day}T09:00")),
            ("preferred_to", &format!("{day}T12:00")),
        ],
    )
    .await
}

/// The number in a `/console?…&filed=SR…` location.
fn filed_number(location: &str) -> String {
    location
        .split("filed=")
        .nth(1)
        .expect("filed=")
        .split('&')
        .next()
        .expect("number")
        .to_owned()
}

async fn the_console_finds_the_caller_and_refuses_engineers(app: TestApp) {
    let w = world(&app).await;
    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let (status, html, _) = b.get("/console").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"q\"") && html.contains("autofocus"),
        "search box focused"
    );
    // Part of the phone, as the caller reads it out: results while typing (htmx asks for
    // the same page and swaps #console-hits).
    let (status, html, _) = b.get("/console?q=2468%2013").await;
    assert_eq!(status, 200);
    let hits = &html[html.find("id=\"console-hits\"").expect("hits")..];
    assert!(
        hits.contains("赵铁柱") && hits.contains("class=\"hit\""),
        "{hits}"
    );
    // A serial chooses the unit too.
    let (_, html, _) = b.get("/console?q=AL-00").await;
    assert!(html.contains("&#38;serial=AL-00"), "{html}");
    // The chosen customer: units with warranty badges, the unit chosen, the form prefilled.
    let (_, html, _) = b
        .get(&format!(
            "/console?customer={}&serial=AL-00",
            w.customer["id"].as_str().expect("id")
        ))
        .await;
    assert!(html.contains("id=\"chosen-unit\""), "{html}");
    assert!(
        text_of(&html, "warranty-decision").contains("保修期内")
            || html.contains("badge ok\">保修期内")
    );
    assert!(html.contains("warranty-badge"));
    assert_eq!(input_value(&html, "contact_name"), "赵铁柱");
    assert_eq!(input_value(&html, "contact_phone"), "138 2468 1357");
    // A request number finds its customer.
    let (_, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(json!({"customer_id": w.customer["id"],
            "unit_id": w.unit["id"], "kind": "repair", "symptom": "不制冷"})),
        )
        .await;
    let number = r["number"].as_str().expect("number");
    let (_, html, _) = b.get(&format!("/console?q={number}")).await;
    let hits = &html[html.find("id=\"console-hits\"").expect("hits")..];
    assert!(hits.contains(number) && hits.contains("赵铁柱"), "{hits}");
    // The open request is pointed out before filing.
    let (_, html, _) = b
        .get(&format!(
            "/console?customer={}&unit={}",
            w.customer["id"].as_str().expect("id"),
            w.unit["id"].as_str().expect("id")
        ))
        .await;
    assert!(
        html.contains(&format!("该机身编码已有未结服务单 {number}")),
        "{html}"
    );
    // Engineers and customers do not take calls.
    for role in ["engineer", "customer", "warehouse"] {
        let e = Browser::new(&app, "zh-CN");
        e.login(role).await;
        let (status, html, _) = e.get("/console").await;
        assert_eq!(status, 403, "{role}");
        assert!(html.contains("您没有执行此操作的权限"));
    }
}

async fn filing_through_the_console_shows_the_number_big_with_its_warnings(app: TestApp) {
    let w = world(&app).await;
    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let (status, _, location) = file_in_console(&b, &w, "不制冷，外机不转").await;
    assert_eq!(status, 303);
    let location = location.expect("redirect");
    let first = filed_number(&location);
    assert!(first.starts_with("SR"), "{location}");
    let (status, html, _) = b.get(&location).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&html, "filed-number"), first);
    let (_, r) = app
        .get(&format!("/api/v1/service-requests/{first}"), &w.agent)
        .await;
    assert_eq!(r["channel"], "phone");
    assert_eq!(r["priority"], "high");
    assert_eq!(r["owner"]["code"], "agent");
    assert_eq!(
        r["address"], "沈阳市和平区南京北街9号",
        "the site's address"
    );
    assert_eq!(
        r["preferred_from"].as_str(),
        Some(format!("{}T01:00:00Z", crate::hostile_values::tomorrow()).as_str()),
        "09:00 in Shanghai"
    );
    // The same unit again: filed, with the warning to read out.
    let (status, _, location) = file_in_console(&b, &w, "又坏了").await;
    assert_eq!(status, 303);
    let location = location.expect("redirect");
    let (_, html, _) = b.get(&location).await;
    assert!(
        html.contains(&format!("该机身编码已有未结服务单 {first}")),
        "{html}"
    );
    // A second submit of the same form files nothing new.
    let (csrf, idem) = console_form(&b, &w).await;
    let form = |symptom: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("idem", idem.clone()),
            (
                "customer_id",
                w.customer["id"].as_str().expect("id").to_owned(),
            ),
            ("unit_id", w.unit["id"].as_str().expect("id").to_owned()),
            ("kind", "repair".to_owned()),
            ("symptom", symptom.to_owned()),
        ]
    };
    let f1 = form("漏水");
    let f1: Vec<(&str, &str)> = f1.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, _, l1) = b.post("/console", &f1).await;
    let (_, _, l2) = b.post("/console", &f1).await;
    assert_eq!(
        filed_number(&l1.expect("l1")),
        filed_number(&l2.expect("l2"))
    );
    // Out of warranty: a unit sold four years ago.
    let (s, old) = app
        .send(
            "POST",
            "/api/v1/units",
            &w.agent,
            Some(json!({"serial": "AL-OLD", "product_code": "KT",
            "customer_id": w.customer["id"], "sale_date": "2021-03-02"})),
        )
        .await;
    assert_eq!(s, 201, "{old}");
    let (_, html, _) = b
        .get(&format!(
            "/console?customer={}&unit={}",
            w.customer["id"].as_str().expect("id"),
            old["id"].as_str().expect("id")
        ))
        .await;
    assert!(
        html.contains("保修已过期 2024-03-01（配件：按标准价收费"),
        "{html}"
    );
    // Filed for it: the number comes with the warranty warning, from the decision stored
    // with the request.
    let csrf = input_value(&html, "_csrf");
    let idem = input_value(&html, "idem");
    let (status, _, location) = b
        .post(
            "/console",
            &[
                ("_csrf", csrf.as_str()),
                ("idem", idem.as_str()),
                ("customer_id", w.customer["id"].as_str().expect("id")),
                ("unit_id", old["id"].as_str().expect("id")),
                ("kind", "repair"),
                ("symptom", "压缩机不启动"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, html, _) = b.get(&location.expect("redirect")).await;
    assert!(html.contains("id=\"filed-number\""));
    assert!(
        html.contains("filed-warning\">保修已过期 2024-03-01（配件：按标准价收费，人工费：按标准价收费，上门费：按标准价收费）"),
        "{html}"
    );
}

async fn console_errors_appear_beside_the_fields_and_nothing_is_filed(app: TestApp) {
    let w = world(&app).await;
    for (lang, required) in [("zh-CN", "必填。"), ("en", "Required.")] {
        let b = Browser::new(&app, lang);
        b.login("agent").await;
        let (csrf, idem) = console_form(&b, &w).await;
        let (status, html, _) = b
            .post(
                "/console",
                &[
                    ("_csrf", &csrf),
                    ("idem", &idem),
                    ("customer_id", w.customer["id"].as_str().expect("id")),
                    ("unit_id", w.unit["id"].as_str().expect("id")),
                    ("kind", "repair"),
                    ("symptom", "  "),
                    ("contact_phone", "12"),
                    ("customer_request", "尽快上门"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert_eq!(text_of(&html, "symptom-error"), required);
        assert!(html.contains("id=\"contact_phone-error\""), "{html}");
        // What was typed stays.
        assert_eq!(input_value(&html, "customer_request"), "尽快上门");
        assert!(html.contains(&format!("lang=\"{lang}\"")));
    }
    assert!(
        requests_of_unit(&app, &w).await.is_empty(),
        "nothing half-written"
    );
}

async fn certify_engineer(app: &TestApp, admin: &str) {
    let user = app.user_id("engineer").await;
    let today = jiff::Zoned::now().date();
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/users/{user}/certifications"),
            admin,
            Some(json!({
            "product_line": "空调", "level": "certified", "number": "CERT-KT",
            "issued_on": today.saturating_sub(jiff::Span::new().days(100)).to_string(),
            "expires_on": today.saturating_add(jiff::Span::new().days(300)).to_string()})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

fn timeline(html: &str) -> Vec<String> {
    let start = html.find("id=\"timeline\"").expect("timeline");
    let end = start + html[start..].find("</ol>").expect("end");
    html[start..end]
        .split("<li")
        .skip(1)
        .map(|li| {
            let mut out = String::new();
            // The split leaves the rest of the <li …> tag at the start.
            let mut in_tag = true;
            for c in li.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => out.push(c),
                    _ => {}
                }
            }
            out.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

async fn the_request_page_tells_the_timeline_in_words_with_actors(app: TestApp) {
    let w = world(&app).await;
    certify_engineer(&app, &w.admin).await;
    let (_, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(json!({"customer_id": w.customer["id"],
            "unit_id": w.unit["id"], "kind": "repair", "symptom": "不制冷"})),
        )
        .await;
    let number = r["number"].as_str().expect("number").to_owned();
    let (s, r) = app
        .send(
            "POST",
            &format!("/api/v1/service-requests/{number}/triage"),
            &w.agent,
            Some(json!({"version": r["version"], "mode": "onsite", "note": "电话指导无效"})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let wo = r["work_orders"][0]["id"].as_str().expect("wo").to_owned();
    let wo_number = r["work_orders"][0]["number"]
        .as_str()
        .expect("wo")
        .to_owned();
    let dispatcher = app.token("dispatcher").await;
    let engineer = app.token("engineer").await;
    let engineer_id = app.user_id("engineer").await;
    let (s, o) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{wo}/dispatch"),
            &dispatcher,
            Some(json!({"version": 1, "engineer_id": engineer_id})),
        )
        .await;
    assert_eq!(s, 200, "{o}");
    let (s, o) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{wo}/decline"),
            &engineer,
            Some(json!({"version": o["version"], "reason": "今天在大连，赶不回来"})),
        )
        .await;
    assert_eq!(s, 200, "{o}");
    for (lang, words) in [
        (
            "zh-CN",
            [
                "受理报修",
                "安排上门服务：电话指导无效",
                "生成派工单",
                "派工给 张伟",
                "拒单：今天在大连，赶不回来",
            ],
        ),
        (
            "en",
            [
                "Filed",
                "A visit is needed: 电话指导无效",
                "Work order",
                "Dispatched to 张伟",
                "Declined: 今天在大连，赶不回来",
            ],
        ),
    ] {
        let b = Browser::new(&app, lang);
        b.login("agent").await;
        let (status, html, _) = b.get(&format!("/requests/{number}")).await;
        assert_eq!(status, 200, "{html}");
        let lines = timeline(&html);
        assert_eq!(lines.len(), 5, "{lines:?}");
        for (line, word) in lines.iter().zip(words) {
            assert!(line.contains(word), "{lang}: {line} lacks {word}");
        }
        // Local time, then the words, then who.
        let t = &lines[0];
        assert!(
            t.len() > 16
                && t.as_bytes()[4] == b'-'
                && t.as_bytes()[10] == b' '
                && t.as_bytes()[13] == b':',
            "{t}"
        );
        assert!(lines[0].ends_with("王丽"), "{}", lines[0]);
        assert!(
            lines[3].ends_with("李强") && lines[3].contains(&wo_number),
            "{}",
            lines[3]
        );
        assert!(lines[4].ends_with("张伟"), "{}", lines[4]);
        // The work order links to its page; its status in words.
        assert!(html.contains(&format!("href=\"/work-orders/{wo}\"")));
        assert!(html.contains(if lang == "en" {
            "Waiting for dispatch"
        } else {
            "待派工"
        }));
    }
    // Engineers see the request of their order (no actions); customers use the portal.
    let e = Browser::new(&app, "zh-CN");
    e.login("dispatcher").await;
    assert_eq!(e.get(&format!("/requests/{number}")).await.0, 200);
    let c = Browser::new(&app, "zh-CN");
    c.login("customer").await;
    assert_eq!(c.get(&format!("/requests/{number}")).await.0, 403);
}

async fn an_owner_change_through_the_page_is_recorded_and_a_stale_form_says_so(app: TestApp) {
    let w = world(&app).await;
    let (_, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(json!({"customer_id": w.customer["id"],
            "unit_id": w.unit["id"], "kind": "repair", "symptom": "不制冷"})),
        )
        .await;
    let number = r["number"].as_str().expect("number").to_owned();
    let dispatcher_id = app.user_id("dispatcher").await;
    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let page = format!("/requests/{number}");
    let (_, html, _) = b.get(&page).await;
    let csrf = input_value(&html, "_csrf");
    assert!(
        html.contains(&format!(
            "<option translate=\"no\" value=\"{dispatcher_id}\""
        )),
        "owner choices"
    );
    let (status, _, location) = b
        .post(
            &format!("{page}/owner"),
            &[
                ("_csrf", &csrf),
                ("version", "1"),
                ("owner_id", &dispatcher_id),
                ("note", "交给调度跟进"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, html, _) = b.get(&location.expect("redirect")).await;
    assert_eq!(text_of(&html, "owner-name"), "李强");
    assert!(html.contains("id=\"notice\""));
    let lines = timeline(&html);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("负责人改为 李强：交给调度跟进") && l.ends_with("王丽")),
        "{lines:?}"
    );
    // The same form again (version 1): the page shows the request as it is now and says so.
    let (status, html, _) = b
        .post(
            &format!("{page}/owner"),
            &[
                ("_csrf", &csrf),
                ("version", "1"),
                ("owner_id", &app.user_id("agent").await),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        text_of(&html, "form-alert").contains("已被他人修改"),
        "{html}"
    );
    assert_eq!(text_of(&html, "owner-name"), "李强");
    assert!(html.contains("name=\"version\" value=\"2\""));
    // A cancel without a reason: the error beside the field.
    let (status, html, _) = b
        .post(
            &format!("{page}/cancel"),
            &[("_csrf", &csrf), ("version", "2"), ("reason", " ")],
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(text_of(&html, "cancel-reason-error"), "必填。");
    let (_, r) = app
        .get(&format!("/api/v1/service-requests/{number}"), &w.agent)
        .await;
    assert_eq!(
        (r["status"].as_str(), r["owner"]["code"].as_str()),
        (Some("open"), Some("dispatcher"))
    );
}

async fn reopening_through_the_page_links_both_requests(app: TestApp) {
    let w = world(&app).await;
    let (_, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(json!({"customer_id": w.customer["id"],
            "unit_id": w.unit["id"], "kind": "consultation", "symptom": "咨询保养周期"})),
        )
        .await;
    let number = r["number"].as_str().expect("number").to_owned();
    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let page = format!("/requests/{number}");
    let (_, html, _) = b.get(&page).await;
    let csrf = input_value(&html, "_csrf");
    let (status, _, _) = b
        .post(
            &format!("{page}/resolve"),
            &[("_csrf", &csrf), ("version", "1"), ("note", "电话答复")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, html, _) = b.get(&page).await;
    assert!(html.contains("id=\"reopen-form\""));
    let (status, _, location) = b
        .post(
            &format!("{page}/reopen"),
            &[("_csrf", &csrf), ("version", "2"), ("note", "客户又来电")],
        )
        .await;
    assert_eq!(status, 303);
    let location = location.expect("redirect");
    assert!(
        !location.contains(&number),
        "goes to the new request: {location}"
    );
    let (_, html, _) = b.get(&location).await;
    assert!(
        text_of(&html, "reopened-from").contains(&format!("重开自 {number}")),
        "{html}"
    );
    let new_number = text_of(&html, "page-title");
    let (_, html, _) = b.get(&page).await;
    assert!(
        text_of(&html, "reopened-as").contains(&new_number),
        "{html}"
    );
    assert!(!html.contains("id=\"reopen-form\""), "reopened once");
}

async fn a_customer_sees_only_their_own_in_the_portal_and_files_a_request(app: TestApp) {
    let w = world(&app).await;
    let (_, mine) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(json!({"customer_id": w.customer["id"],
            "unit_id": w.unit["id"], "kind": "repair", "symptom": "不制冷"})),
        )
        .await;
    let (s, other) = app
        .send("POST", "/api/v1/customers", &w.agent, Some(json!({"kind": "individual", "name": "钱多多",
            "contacts": [{"name": "钱多多", "phones": ["139 1111 2222"]}], "sites": [{"address": "大连市中山区1号", "region_code": "210202"}]})))
        .await;
    assert_eq!(s, 201);
    let (s, other_unit) = app
        .send(
            "POST",
            "/api/v1/units",
            &w.agent,
            Some(json!({"serial": "OT-0001", "product_code": "KT",
            "customer_id": other["id"], "sale_date": "2025-01-01"})),
        )
        .await;
    assert_eq!(s, 201);
    let (_, theirs) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(json!({"customer_id": other["id"],
            "kind": "consultation", "symptom": "咨询"})),
        )
        .await;
    let customer_user = app.user_id("customer").await;
    let b = Browser::new(&app, "zh-CN");
    b.login("customer").await;
    // Not linked yet: told so, nothing shown.
    let (status, html, _) = b.get("/portal").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"portal-unlinked\""));
    let (s, _) = app
        .send(
            "PUT",
            &format!("/api/v1/users/{customer_user}/customer"),
            &w.admin,
            Some(json!({"customer_id": w.customer["id"]})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, html, _) = b.get("/portal").await;
    assert!(
        html.contains("AL-0001") && html.contains("保修期内"),
        "{html}"
    );
    assert!(html.contains(mine["number"].as_str().expect("n")));
    assert!(!html.contains("OT-0001") && !html.contains(theirs["number"].as_str().expect("n")));
    assert_eq!(
        b.get(&format!(
            "/portal/requests/{}",
            theirs["number"].as_str().expect("n")
        ))
        .await
        .0,
        404
    );
    assert_eq!(b.get("/console").await.0, 403);
    assert_eq!(b.get("/requests").await.0, 403);
    // File one for their unit; another's unit is refused beside the field.
    let (_, html, _) = b
        .get(&format!(
            "/portal/requests/new?unit={}",
            w.unit["id"].as_str().expect("id")
        ))
        .await;
    let csrf = input_value(&html, "_csrf");
    let idem = input_value(&html, "idem");
    let (status, html, _) = b
        .post(
            "/portal/requests/new",
            &[
                ("_csrf", &csrf),
                ("idem", "k-1"),
                ("unit_id", other_unit["id"].as_str().expect("id")),
                ("kind", "repair"),
                ("symptom", "不制冷"),
            ],
        )
        .await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("id=\"unit_id-error\""), "{html}");
    let (status, _, location) = b
        .post(
            "/portal/requests/new",
            &[
                ("_csrf", &csrf),
                ("idem", &idem),
                ("unit_id", w.unit["id"].as_str().expect("id")),
                ("kind", "repair"),
                ("symptom", "室内机漏水"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, html, _) = b.get(&location.expect("redirect")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"portal-filed\""));
    let lines = timeline(&html);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        // The customer's words (issue 13): received, with the number to quote.
        lines[0].contains("报修已受理") && lines[0].contains("SR"),
        "{lines:?}"
    );
    // The customer's timeline leaves out internal notes and who acted.
    let number = text_of(&html, "page-title");
    let (_, r) = app
        .get(&format!("/api/v1/service-requests/{number}"), &w.agent)
        .await;
    assert_eq!(r["channel"], "portal");
    let (s, _) = app
        .send(
            "POST",
            &format!("/api/v1/service-requests/{number}/triage"),
            &w.agent,
            Some(json!({"version": r["version"], "mode": "onsite", "note": "内部：客户脾气急"})),
        )
        .await;
    assert_eq!(s, 200);
    let owner_to = app.user_id("dispatcher").await;
    let (s, _) = app
        .send(
            "POST",
            &format!("/api/v1/service-requests/{number}/owner"),
            &w.agent,
            Some(json!({"version": 2, "owner_id": owner_to, "note": "内部交接"})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, html, _) = b.get(&format!("/portal/requests/{number}")).await;
    assert!(
        !html.contains("客户脾气急") && !html.contains("内部交接") && !html.contains("王丽"),
        "{html}"
    );
    assert!(timeline(&html).iter().any(|l| l.contains("安排上门服务")));
    let me = app.token("customer").await;
    let (_, events) = app
        .get(&format!("/api/v1/service-requests/{number}/events"), &me)
        .await;
    let text = events.to_string();
    assert!(
        !text.contains("客户脾气急") && !text.contains("owner_changed") && !text.contains("王丽"),
        "{text}"
    );
}

async fn an_admin_links_the_portal_account_on_the_users_page(app: TestApp) {
    let w = world(&app).await;
    let customer_user = app.user_id("customer").await;
    let b = Browser::new(&app, "zh-CN");
    b.login("admin").await;
    let (_, html, _) = b.get(&format!("/admin/users/{customer_user}")).await;
    assert!(html.contains("id=\"user-customer-link\""));
    let page = format!("/admin/users/{customer_user}/customer");
    let (status, html, _) = b.get(&format!("{page}?q=2468")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("尚未关联") && html.contains("赵铁柱"),
        "{html}"
    );
    let csrf = input_value(&html, "_csrf");
    let (status, _, location) = b
        .post(
            &page,
            &[
                ("_csrf", &csrf),
                ("customer_id", w.customer["id"].as_str().expect("id")),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, html, _) = b.get(&location.expect("redirect")).await;
    assert!(text_of(&html, "current-link").contains("该账户代表的客户档案"));
    assert!(html.contains(w.customer["number"].as_str().expect("number")));
    let agent = Browser::new(&app, "zh-CN");
    agent.login("agent").await;
    assert_eq!(agent.get(&page).await.0, 403);
}

/// Issue 13, defect 17: before a unit is chosen the console offers only the symptoms of
/// every product line; the unit's line brings its own.
async fn the_console_offers_a_lines_symptoms_once_its_unit_is_chosen(app: TestApp) {
    let w = world(&app).await;
    app.app.load_demo_catalog().await.expect("catalog");
    // A second unit: the console no longer picks the only one by itself.
    let (s, second) = app
        .send(
            "POST",
            "/api/v1/units",
            &w.agent,
            Some(json!({"serial": "AL-0002", "product_code": "KT",
                "customer_id": w.customer["id"], "site_id": w.customer["sites"][0]["id"]})),
        )
        .await;
    assert_eq!(s, 201, "{second}");
    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let customer = w.customer["id"].as_str().expect("id");
    let symptoms = |html: &str| -> String {
        let at = html.find("id=\"symptom_code\"").expect("the symptom list");
        html[at..at + html[at..].find("</select>").expect("end")].to_owned()
    };
    let (s, html, _) = b.get(&format!("/console?customer={customer}")).await;
    assert_eq!(s, 200);
    let list = symptoms(&html);
    assert!(list.contains("value=\"S-LEAK\""), "{list}");
    assert!(!list.contains("S-AC-"), "no line's own symptom yet: {list}");
    let (_, html, _) = b
        .get(&format!(
            "/console?customer={customer}&unit={}",
            w.unit["id"].as_str().expect("id")
        ))
        .await;
    let list = symptoms(&html);
    assert!(
        list.contains("value=\"S-AC-NOCOOL\"") && list.contains("value=\"S-LEAK\""),
        "{list}"
    );
    assert!(!list.contains("S-EL-"), "not another line's: {list}");
}
