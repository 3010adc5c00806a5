//! Dispatch and the engineer's phone (docs/service-flow.md, "Dispatcher board" and
//! "Engineer's phone"): suggestions from real data, the board, assigning from the board
//! page, and every step of a visit through the phone pages' forms.

use crate::both;
use crate::helpers::TestApp;
use crate::web::Browser;
use serde_json::{Value, json};

both!(
    suggestions_rank_a_certified_covering_engineer_first_and_list_the_uncertified_as_excluded,
    the_board_lists_pending_orders_by_urgency_and_the_engineers_day,
    assigning_from_the_board_page_works_and_refuses_an_uncertified_engineer_beside_the_control,
    the_phone_shows_todays_orders_in_appointment_order_with_the_next_action,
    each_step_through_the_phone_pages_moves_the_order,
    a_signature_or_a_refusal_locks_the_record_and_corrections_are_addenda,
    the_phone_pages_refuse_another_engineers_order,
    a_manager_sees_no_order_of_an_engineer_outside_their_subtree,
    suggestion_and_assignment_judge_the_certificate_on_the_day_of_the_visit_alike,
);

use crate::service_flow::PNG;

fn png_data_url() -> String {
    use base64::Engine;
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(PNG)
    )
}

pub(crate) struct World {
    pub(crate) agent: String,
    pub(crate) dispatcher: String,
    pub(crate) engineer: String,
    pub(crate) engineer_id: String,
    /// 王五: certified, in 沈阳铁西 (which does not cover 和平区).
    pub(crate) wang_id: String,
    /// 赵六: in 沈阳和平 like 张伟, but not certified.
    pub(crate) zhao_id: String,
    /// 钱七: certified, in 大连 (outside the Shenyang manager's subtree).
    pub(crate) qian_id: String,
    pub(crate) customer: Value,
    pub(crate) unit: Value,
}

fn today() -> jiff::civil::Date {
    jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz"))
        .date()
}

/// `HH:MM` today, Asia/Shanghai, as an instant.
fn at_today(hm: &str) -> String {
    format!("{}T{hm}:00+08:00", today())
}

pub(crate) async fn set_regions(app: &TestApp, admin: &str, unit: &str, regions: &[&str]) {
    let id = app.unit_id(unit).await;
    let (s, cur) = app
        .get(&format!("/api/v1/org-units/{id}/regions"), admin)
        .await;
    assert_eq!(s, 200, "{cur}");
    let (s, b) = app
        .send(
            "PUT",
            &format!("/api/v1/org-units/{id}/regions"),
            admin,
            Some(json!({"version": cur["version"], "regions": regions})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn add_engineer(
    app: &TestApp,
    admin: &str,
    username: &str,
    name: &str,
    unit: &str,
) -> String {
    let (s, u) = app
        .send(
            "POST",
            "/api/v1/users",
            admin,
            Some(
                json!({"username": username, "display_name": name, "role": "engineer",
                "org_unit_id": app.unit_id(unit).await, "password": "demo-2026"}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    u["id"].as_str().expect("id").to_owned()
}

async fn certify(app: &TestApp, admin: &str, user: &str, line: &str) {
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/users/{user}/certifications"),
            admin,
            Some(json!({
            "product_line": line, "level": "certified", "number": format!("C-{user}"),
            "issued_on": today().saturating_sub(jiff::Span::new().days(100)).to_string(),
            "expires_on": today().saturating_add(jiff::Span::new().days(300)).to_string()})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

/// 空调 under a 3-year policy; a customer in 沈阳市和平区 with a unit; 沈阳和平 covers the
/// district, 沈阳铁西 another one; 张伟 (the demo engineer), 王五 and 钱七 certified for
/// 空调, 赵六 not.
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
        .send("POST", "/api/v1/customers", &agent, Some(json!({"kind": "individual", "name": "张伟民",
            "region_code": "210102", "contacts": [{"name": "张伟民", "phones": ["138 0013 8000"]}],
            "sites": [{"address": "沈阳市和平区南京北街1号", "region_code": "210102", "latitude": 41.79, "longitude": 123.40}]})))
        .await;
    assert_eq!(s, 201, "{customer}");
    let sale = today().saturating_sub(jiff::Span::new().days(300));
    let (s, unit) = app
        .send("POST", "/api/v1/units", &agent, Some(json!({"serial": "KT-0001", "product_code": "KT",
            "customer_id": customer["id"], "site_id": customer["sites"][0]["id"], "sale_date": sale.to_string()})))
        .await;
    assert_eq!(s, 201, "{unit}");
    set_regions(app, &admin, "SY-HP", &["210102"]).await;
    // The fault-cause catalog the record picks from (C-AC-CAP for 空调).
    app.app.load_demo_catalog().await.expect("catalog");
    set_regions(app, &admin, "SY-TX", &["210106"]).await;
    let engineer_id = app.user_id("engineer").await;
    let wang_id = add_engineer(app, &admin, "wangwu", "王五", "SY-TX").await;
    let zhao_id = add_engineer(app, &admin, "zhaoliu", "赵六", "SY-HP").await;
    let qian_id = add_engineer(app, &admin, "qianqi", "钱七", "DL-ZS").await;
    for u in [&engineer_id, &wang_id, &qian_id] {
        certify(app, &admin, u, "空调").await;
    }
    World {
        dispatcher: app.token("dispatcher").await,
        engineer: app.token("engineer").await,
        agent,
        engineer_id,
        wang_id,
        zhao_id,
        qian_id,
        customer,
        unit,
    }
}

/// Files a request and triages it on site: its pending work order.
pub(crate) async fn pending_order(app: &TestApp, w: &World, priority: &str) -> Value {
    file_onsite(
        app,
        &w.agent,
        json!({"customer_id": w.customer["id"], "unit_id": w.unit["id"], "kind": "repair",
        "symptom": "不制冷，外机不转", "priority": priority}),
    )
    .await
}

/// Files a request (`body`) as `agent` and triages it on site: its pending work order.
async fn file_onsite(app: &TestApp, agent: &str, body: Value) -> Value {
    let (s, r) = app
        .send("POST", "/api/v1/service-requests", agent, Some(body))
        .await;
    assert_eq!(s, 201, "{r}");
    let (s, r) = app
        .send(
            "POST",
            &format!(
                "/api/v1/service-requests/{}/triage",
                r["id"].as_str().expect("id")
            ),
            agent,
            Some(json!({"version": r["version"], "mode": "onsite"})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    r["work_orders"][0].clone()
}

async fn act(app: &TestApp, token: &str, wo: &str, step: &str, body: Value) -> Value {
    let (s, o) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{wo}/{step}"),
            token,
            Some(body),
        )
        .await;
    assert_eq!(s, 200, "{step}: {o}");
    o
}

/// A pending order dispatched to the demo engineer and accepted (with a window today when
/// given): its number.
async fn accepted_order(app: &TestApp, w: &World, window: Option<(&str, &str)>) -> String {
    let wo = pending_order(app, w, "normal").await;
    let n = wo["number"].as_str().expect("number").to_owned();
    let o = act(
        app,
        &w.dispatcher,
        &n,
        "dispatch",
        json!({"version": 1, "engineer_id": w.engineer_id}),
    )
    .await;
    let o = act(
        app,
        &w.engineer,
        &n,
        "accept",
        json!({"version": o["version"]}),
    )
    .await;
    if let Some((from, to)) = window {
        act(
            app,
            &w.engineer,
            &n,
            "appointment",
            json!({"version": o["version"],
            "starts_at": at_today(from), "ends_at": at_today(to), "customer_agreed": true}),
        )
        .await;
    }
    n
}

async fn order(app: &TestApp, token: &str, n: &str) -> Value {
    let (s, o) = app.get(&format!("/api/v1/work-orders/{n}"), token).await;
    assert_eq!(s, 200, "{o}");
    o
}

fn names(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["engineer"]["name"].as_str().expect("name"))
        .collect()
}

fn codes(reasons: &Value) -> Vec<&str> {
    reasons
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| r["code"].as_str().expect("code"))
        .collect()
}

async fn suggestions_rank_a_certified_covering_engineer_first_and_list_the_uncertified_as_excluded(
    app: TestApp,
) {
    let w = world(&app).await;
    // 王五 already holds an order today: the load is stated (not the rank: he does not
    // cover the district anyway).
    let busy = pending_order(&app, &w, "normal").await;
    act(
        &app,
        &w.dispatcher,
        busy["number"].as_str().expect("n"),
        "dispatch",
        json!({"version": 1, "engineer_id": w.wang_id}),
    )
    .await;
    let wo = pending_order(&app, &w, "high").await;
    let n = wo["number"].as_str().expect("number");
    let (s, sg) = app
        .get(
            &format!("/api/v1/work-orders/{n}/suggestions"),
            &w.dispatcher,
        )
        .await;
    assert_eq!(s, 200, "{sg}");
    assert_eq!(sg["product_line"], "空调");
    assert_eq!(sg["region"]["code"], "210102");
    assert_eq!(sg["work_day"], today().to_string());
    let items = &sg["items"];
    // The certified engineer of the covering station first, then the certified ones
    // outside the coverage (钱七 idle before 王五 with an order), then the uncertified.
    assert_eq!(names(items), ["张伟", "钱七", "王五", "赵六"], "{sg}");
    let first = &items[0];
    assert_eq!(first["rank"], 1);
    assert_eq!(first["eligible"], true);
    assert_eq!(first["coverage"], "district");
    assert_eq!(
        codes(&first["reasons"]),
        ["certified", "covers_district", "load", "position_unknown"]
    );
    assert!(
        first["reasons"][0]["zh"]
            .as_str()
            .expect("zh")
            .starts_with("持空调上岗证"),
        "{first}"
    );
    assert_eq!(first["reasons"][1]["en"], "Their unit covers the district");
    assert_eq!(items[1]["rank"], 2);
    assert_eq!(items[1]["coverage"], "none");
    assert_eq!(items[1]["reasons"][1]["code"], "outside_coverage");
    assert_eq!(items[2]["rank"], 3);
    assert_eq!(items[2]["open_orders"], 1, "{}", items[2]);
    assert_eq!(items[2]["reasons"][2]["zh"], "今日已有 1 单");
    assert_eq!(items[2]["reasons"][2]["en"], "1 job today");
    let zhao = &items[3];
    assert_eq!(zhao["engineer"]["id"], w.zhao_id.as_str());
    assert_eq!(zhao["eligible"], false);
    assert!(zhao["rank"].is_null() && zhao["score"].is_null());
    assert_eq!(codes(&zhao["exclusions"]), ["not_certified"]);
    assert_eq!(zhao["exclusions"][0]["zh"], "未持空调上岗证，不可派工");
    // The partner's technician covers 铁岭 and 通辽, not this district: not a candidate.
    assert!(
        !items
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["role"] == "partner"),
        "{sg}"
    );
    // A manager of 沈阳分公司 sees their subtree's technicians only (not 钱七 in 大连).
    let manager = app.token("manager").await;
    let (s, sg) = app
        .get(&format!("/api/v1/work-orders/{n}/suggestions"), &manager)
        .await;
    assert_eq!(s, 200, "{sg}");
    assert_eq!(names(&sg["items"]), ["张伟", "王五", "赵六"]);
    assert!(!sg.to_string().contains(&w.qian_id));
    // The engineer's position today (from an arrival elsewhere) gives a distance.
    let other = accepted_order(&app, &w, None).await;
    let o = order(&app, &w.engineer, &other).await;
    let o = act(&app, &w.engineer, &other, "transition",
        json!({"version": o["version"], "action": "depart", "latitude": 41.80, "longitude": 123.40})).await;
    assert_eq!(o["status"], "en_route");
    let (_, sg) = app
        .get(
            &format!("/api/v1/work-orders/{n}/suggestions"),
            &w.dispatcher,
        )
        .await;
    let first = &sg["items"][0];
    assert_eq!(first["engineer"]["id"], w.engineer_id.as_str());
    assert_eq!(codes(&first["reasons"])[3], "distance");
    let km = first["distance_km"].as_f64().expect("km");
    assert!((1.0..1.2).contains(&km), "about 1.1 km: {km}");
    assert_eq!(first["open_orders"], 1, "the order on its way counts");
    // Unknown orders are 404, and the engineer may not ask.
    let (s, _) = app
        .get("/api/v1/work-orders/WO000/suggestions", &w.dispatcher)
        .await;
    assert_eq!(s, 404);
    let (s, b) = app
        .get(&format!("/api/v1/work-orders/{n}/suggestions"), &w.engineer)
        .await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")));
}

async fn the_board_lists_pending_orders_by_urgency_and_the_engineers_day(app: TestApp) {
    let w = world(&app).await;
    let normal = pending_order(&app, &w, "normal").await;
    let urgent = pending_order(&app, &w, "urgent").await;
    let booked = accepted_order(&app, &w, Some(("10:00", "12:00"))).await;
    let unscheduled = accepted_order(&app, &w, None).await;
    let (s, b) = app.get("/api/v1/dispatch/board", &w.dispatcher).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["day"], today().to_string());
    let jobs = b["unassigned"].as_array().expect("jobs");
    let numbers: Vec<&str> = jobs
        .iter()
        .map(|j| j["number"].as_str().expect("n"))
        .collect();
    assert_eq!(
        numbers,
        [&urgent["number"], &normal["number"]],
        "urgent first: {b}"
    );
    let j = &jobs[0];
    assert_eq!(j["priority"], "urgent");
    assert_eq!(j["customer"]["name"], "张伟民");
    assert_eq!(j["region_code"], "210102");
    assert_eq!(j["region_name"], "辽宁省 沈阳市 和平区");
    assert_eq!(j["product_line"], "空调");
    assert_eq!(j["target_minutes"], 30);
    assert!(j["waited_minutes"].as_i64().expect("age") >= 0);
    assert!(["ok", "at_risk", "late"].contains(&j["risk"].as_str().expect("risk")));
    let zhang = b["engineers"]
        .as_array()
        .expect("engineers")
        .iter()
        .find(|e| e["engineer"]["id"] == w.engineer_id.as_str())
        .expect("张伟 on the board")
        .clone();
    assert_eq!(zhang["open_orders"], 2, "{zhang}");
    assert_eq!(zhang["booked_minutes"], 120);
    assert_eq!(zhang["product_lines"], json!(["空调"]));
    let blocks = zhang["orders"].as_array().expect("orders");
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0]["number"], booked.as_str());
    assert_eq!(blocks[0]["status"], "scheduled");
    assert_eq!(blocks[0]["reassignable"], true);
    assert_eq!(blocks[0]["customer_name"], "张伟民");
    assert_eq!(blocks[1]["number"], unscheduled.as_str());
    assert!(blocks[1]["starts_at"].is_null());
    let zhao = b["engineers"]
        .as_array()
        .expect("engineers")
        .iter()
        .find(|e| e["engineer"]["id"] == w.zhao_id.as_str())
        .expect("赵六");
    assert_eq!(zhao["product_lines"], json!([]));
    assert_eq!(
        (
            zhao["open_orders"].as_i64(),
            zhao["booked_minutes"].as_i64()
        ),
        (Some(0), Some(0))
    );
    // Another day: the booked order is not on it, the unscheduled one still is.
    let tomorrow = today().tomorrow().expect("tomorrow");
    let (_, b2) = app
        .get(
            &format!("/api/v1/dispatch/board?day={tomorrow}"),
            &w.dispatcher,
        )
        .await;
    let z2 = b2["engineers"]
        .as_array()
        .expect("engineers")
        .iter()
        .find(|e| e["engineer"]["id"] == w.engineer_id.as_str())
        .expect("张伟")
        .clone();
    assert_eq!(
        (z2["open_orders"].as_i64(), z2["booked_minutes"].as_i64()),
        (Some(1), Some(0))
    );
    // An order whose appointment was yesterday and is still open: today it counts (it is
    // overdue) without a block of its own; on another day it does not count.
    let late = accepted_order(&app, &w, None).await;
    let o = order(&app, &w.engineer, &late).await;
    let yesterday = today().yesterday().expect("yesterday");
    act(&app, &w.engineer, &late, "appointment", json!({"version": o["version"],
        "starts_at": format!("{yesterday}T10:00:00+08:00"), "ends_at": format!("{yesterday}T11:00:00+08:00"),
        "customer_agreed": true})).await;
    let engineer_on = |b: &Value| {
        b["engineers"]
            .as_array()
            .expect("engineers")
            .iter()
            .find(|e| e["engineer"]["id"] == w.engineer_id.as_str())
            .expect("张伟")
            .clone()
    };
    let (_, b3) = app.get("/api/v1/dispatch/board", &w.dispatcher).await;
    let z3 = engineer_on(&b3);
    assert_eq!(
        (z3["open_orders"].as_i64(), z3["booked_minutes"].as_i64()),
        (Some(3), Some(120)),
        "{z3}"
    );
    assert_eq!(z3["orders"].as_array().map(Vec::len), Some(2), "{z3}");
    let (_, b4) = app
        .get(
            &format!("/api/v1/dispatch/board?day={tomorrow}"),
            &w.dispatcher,
        )
        .await;
    assert_eq!(engineer_on(&b4)["open_orders"], 1);
    let (s, bad) = app
        .get("/api/v1/dispatch/board?day=someday", &w.dispatcher)
        .await;
    assert_eq!(s, 422, "{bad}");
    // The manager of 沈阳分公司 sees the orders of their subtree and not 钱七 in 大连.
    let manager = app.token("manager").await;
    let (s, bm) = app.get("/api/v1/dispatch/board", &manager).await;
    assert_eq!(s, 200, "{bm}");
    assert_eq!(bm["unassigned"].as_array().expect("jobs").len(), 2);
    assert!(!bm.to_string().contains(&w.qian_id));
    assert!(b.to_string().contains(&w.qian_id));
}

async fn assigning_from_the_board_page_works_and_refuses_an_uncertified_engineer_beside_the_control(
    app: TestApp,
) {
    let w = world(&app).await;
    let wo = pending_order(&app, &w, "high").await;
    let n = wo["number"].as_str().expect("number");
    let b = Browser::new(&app, "zh-CN");
    b.login("dispatcher").await;
    let (s, html, _) = b.get("/dispatch").await;
    assert_eq!(s, 200);
    assert!(
        html.contains(&format!("data-number=\"{n}\"")),
        "the job is listed"
    );
    assert!(html.contains("张伟民"));
    let (s, html, _) = b.get(&format!("/dispatch?job={n}")).await;
    assert_eq!(s, 200);
    // The suggestion first, highlighted, with its reasons; the excluded collapsed with why.
    let sug = &html[html.find("id=\"suggestions\"").expect("suggestions")..];
    let first = &sug[..sug.find("</form>").expect("item")];
    assert!(first.contains("张伟") && first.contains("推荐"), "{first}");
    assert!(
        first.contains("持空调上岗证") && first.contains("覆盖该区县"),
        "{first}"
    );
    let excluded = &html[html.find("id=\"excluded\"").expect("excluded")..];
    assert!(excluded.starts_with("id=\"excluded\">"), "collapsed");
    assert!(excluded.contains("赵六") && excluded.contains("未持空调上岗证，不可派工"));
    let csrf = b.csrf("/dispatch").await;
    // Sending 赵六 from the list: refused beside the list, nothing changed.
    let (s, html, _) = b
        .post(
            "/dispatch/assign",
            &[
                ("_csrf", &csrf),
                ("work_order", n),
                ("version", "1"),
                ("engineer_id", &w.zhao_id),
                ("via", "select"),
                ("day", ""),
            ],
        )
        .await;
    assert_eq!(s, 409);
    let err = &html[html
        .find("id=\"engineer_id-error\"")
        .expect("error beside the list")..];
    assert!(
        err.contains("该工程师在作业当天没有这个产品线的有效上岗资质，不能派工"),
        "{err}"
    );
    let select = &html[html.find("id=\"assign-engineer\"").expect("select")..];
    assert!(
        select[..select.find("</select>").expect("end")]
            .contains(&format!("value=\"{}\" selected", w.zhao_id)),
        "the choice stays"
    );
    assert_eq!(order(&app, &w.dispatcher, n).await["status"], "pending");
    // The same in English.
    let en = Browser::new(&app, "en");
    en.login("dispatcher").await;
    let csrf_en = en.csrf("/dispatch").await;
    let (s, html, _) = en
        .post(
            "/dispatch/assign",
            &[
                ("_csrf", &csrf_en),
                ("work_order", n),
                ("version", "1"),
                ("engineer_id", &w.zhao_id),
                ("via", "select"),
            ],
        )
        .await;
    assert_eq!(s, 409);
    assert!(html.contains("lang=\"en\""));
    let err = &html[html.find("id=\"engineer_id-error\"").expect("error")..];
    assert!(
        err.starts_with(
            "id=\"engineer_id-error\" role=\"alert\">This engineer holds no valid certification"
        ),
        "{err}"
    );
    // A stale version is said beside the button used.
    let (s, html, _) = b
        .post(
            "/dispatch/assign",
            &[
                ("_csrf", &csrf),
                ("work_order", n),
                ("version", "7"),
                ("engineer_id", &w.engineer_id),
                ("via", "row"),
            ],
        )
        .await;
    assert_eq!(s, 409);
    let row = &html[html
        .find(&format!("data-engineer=\"{}\"", w.engineer_id))
        .expect("row")..];
    let row = &row[..row.find("</ol>").expect("end of the suggestions")];
    assert!(row.contains("该记录已被他人修改"), "{row}");
    assert!(
        !html.contains("id=\"engineer_id-error\""),
        "not beside the list"
    );
    // One click on the suggestion assigns it.
    let (s, _, location) = b
        .post(
            "/dispatch/assign",
            &[
                ("_csrf", &csrf),
                ("work_order", n),
                ("version", "1"),
                ("engineer_id", &w.engineer_id),
                ("via", "row"),
                ("day", ""),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let location = location.expect("redirect");
    assert_eq!(location, format!("/dispatch?assigned={n}"));
    let (_, html, _) = b.get(&location).await;
    assert!(html.contains(&format!("{n} 已派给 张伟。")), "confirmation");
    let jobs = &html[html.find("id=\"jobs\"").expect("jobs")..];
    assert!(
        !jobs[..jobs.find("</ul>").expect("end")].contains(n),
        "no longer waiting"
    );
    let o = order(&app, &w.dispatcher, n).await;
    assert_eq!(o["status"], "dispatched");
    assert_eq!(o["engineer"]["id"], w.engineer_id.as_str());
    // Its block on 张伟's timeline offers the reassignment.
    let card = &html[html.find("id=\"eng-engineer\"").expect("card")..];
    let card = &card[..card[1..]
        .find("class=\"engineer")
        .map_or(card.len(), |i| i + 1)];
    assert!(
        card.contains(&format!("/dispatch?job={n}")) && card.contains("改派"),
        "{card}"
    );
    // Reassign to 王五 from the selected job.
    let (s, _, _) = b
        .post(
            "/dispatch/assign",
            &[
                ("_csrf", &csrf),
                ("work_order", n),
                ("version", &o["version"].to_string()),
                ("engineer_id", &w.wang_id),
                ("via", "select"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    assert_eq!(
        order(&app, &w.dispatcher, n).await["engineer"]["id"],
        w.wang_id.as_str()
    );
}

/// The byte offset of a card on the phone's list.
fn card_at(html: &str, n: &str) -> usize {
    html.find(&format!("id=\"wo-{n}\""))
        .unwrap_or_else(|| panic!("card {n}"))
}

/// The card's HTML.
fn card<'a>(html: &'a str, n: &str) -> &'a str {
    let rest = &html[card_at(html, n)..];
    &rest[..rest.find("</article>").expect("end")]
}

async fn the_phone_shows_todays_orders_in_appointment_order_with_the_next_action(app: TestApp) {
    let w = world(&app).await;
    let afternoon = accepted_order(&app, &w, Some(("15:00", "16:00"))).await;
    let morning = accepted_order(&app, &w, Some(("09:00", "11:00"))).await;
    let fresh = pending_order(&app, &w, "normal").await;
    let fresh = fresh["number"].as_str().expect("n").to_owned();
    act(
        &app,
        &w.dispatcher,
        &fresh,
        "dispatch",
        json!({"version": 1, "engineer_id": w.engineer_id}),
    )
    .await;
    // Someone else's order is not on this phone.
    let theirs = pending_order(&app, &w, "normal").await;
    act(
        &app,
        &w.dispatcher,
        theirs["number"].as_str().expect("n"),
        "dispatch",
        json!({"version": 1, "engineer_id": w.wang_id}),
    )
    .await;

    let b = Browser::new(&app, "zh-CN");
    b.login("engineer").await;
    let (s, html, _) = b.get("/m").await;
    assert_eq!(s, 200);
    assert!(
        card_at(&html, &morning) < card_at(&html, &afternoon),
        "09:00 before 15:00"
    );
    assert!(
        card_at(&html, &afternoon) < card_at(&html, &fresh),
        "unscheduled at the end"
    );
    assert!(!html.contains(theirs["number"].as_str().expect("n")));
    let m = card(&html, &morning);
    assert!(m.contains("今天 09:00–11:00"), "{m}");
    assert!(m.contains("张伟民") && m.contains("不制冷，外机不转"));
    assert!(m.contains("href=\"tel:13800138000\"") && m.contains("138 0013 8000"));
    assert!(
        m.contains("https://uri.amap.com/marker?position=123.400000,41.790000"),
        "{m}"
    );
    assert!(m.contains("geo:41.790000,123.400000"));
    assert!(m.contains("保修期内"), "warranty badge");
    assert!(m.contains("已预约"));
    // One big button: the next step; the rest in the menu.
    assert_eq!(m.matches("class=\"big next\"").count(), 1);
    assert!(m.contains("value=\"depart\" data-geo") && m.contains(">出发</button>"));
    assert!(m.contains("更多操作") && m.contains("改约") && m.contains("退回调度"));
    let f = card(&html, &fresh);
    assert!(f.contains("未预约") && f.contains(">接单</button>") && f.contains("/accept\""));
    // In English too.
    let en = Browser::new(&app, "en");
    en.login("engineer").await;
    let (_, html, _) = en.get("/m").await;
    let m = card(&html, &morning);
    assert!(
        m.contains("Today 09:00–11:00") && m.contains(">Set off</button>"),
        "{m}"
    );
    assert!(card(&html, &fresh).contains(">Accept</button>"));
}

/// Posts a phone form and expects the redirect; returns where it leads.
async fn step(b: &Browser, path: &str, form: &[(&str, &str)]) -> String {
    let (s, html, location) = b.post(path, form).await;
    assert_eq!(s, 303, "{path}: {html}");
    location.expect("location")
}

async fn each_step_through_the_phone_pages_moves_the_order(app: TestApp) {
    let w = world(&app).await;
    let wo = pending_order(&app, &w, "high").await;
    let n = wo["number"].as_str().expect("n").to_owned();
    act(
        &app,
        &w.dispatcher,
        &n,
        "dispatch",
        json!({"version": 1, "engineer_id": w.engineer_id}),
    )
    .await;
    let b = Browser::new(&app, "zh-CN");
    b.login("engineer").await;
    let csrf = b.csrf("/m").await;
    let v = |o: &Value| o["version"].to_string();
    let base = format!("/m/orders/{n}");

    let o = order(&app, &w.engineer, &n).await;
    let to = step(
        &b,
        &format!("{base}/accept"),
        &[
            ("_csrf", &csrf),
            ("version", &v(&o)),
            ("back", "list"),
            ("latitude", "41.7000"),
            ("longitude", "123.3000"),
        ],
    )
    .await;
    assert_eq!(to, format!("/m?done=accept#wo-{n}"));
    let (_, html, _) = b.get("/m?done=accept").await;
    assert!(html.contains("已接单。"));
    let o = order(&app, &w.engineer, &n).await;
    assert_eq!(o["status"], "accepted");

    // An illegal step is refused beside the big button; nothing changes.
    let (s, html, _) = b
        .post(
            &format!("{base}/transition"),
            &[
                ("_csrf", &csrf),
                ("version", &v(&o)),
                ("back", "list"),
                ("action", "arrive"),
            ],
        )
        .await;
    assert_eq!(s, 409);
    let c = card(&html, &n);
    assert!(
        c.contains(&format!("id=\"next-error-{n}\"")) && c.contains("当前状态下不能进行这一步操作"),
        "{c}"
    );
    // A change of the appointment needs its reason (said beside the field, menu open).
    let date = today().to_string();
    let to = step(
        &b,
        &format!("{base}/appointment"),
        &[
            ("_csrf", &csrf),
            ("version", &v(&o)),
            ("back", "list"),
            ("date", &date),
            ("start", "09:00"),
            ("end", "11:00"),
            ("customer_agreed", "1"),
        ],
    )
    .await;
    assert!(to.starts_with("/m?done=appointment"));
    let o = order(&app, &w.engineer, &n).await;
    assert_eq!(o["status"], "scheduled");
    assert_eq!(o["appointments"][0]["customer_agreed"], true);
    let (s, html, _) = b
        .post(
            &format!("{base}/appointment"),
            &[
                ("_csrf", &csrf),
                ("version", &v(&o)),
                ("back", "list"),
                ("date", &date),
                ("start", "13:00"),
                ("end", "14:00"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(s, 409, "a new time needs its reason");
    let c = card(&html, &n);
    assert!(
        c.contains("<details class=\"more\" open>"),
        "the menu shows the refusal"
    );
    assert!(c.contains("value=\"13:00\""), "what was typed stays");
    assert!(c.contains("必填"), "{c}");
    // A stale version is said too.
    let (s, html, _) = b
        .post(
            &format!("{base}/transition"),
            &[
                ("_csrf", &csrf),
                ("version", "1"),
                ("back", "order"),
                ("action", "depart"),
            ],
        )
        .await;
    assert_eq!(s, 409);
    assert!(html.contains("该记录已被他人修改"));

    for (action, status) in [
        ("depart", "en_route"),
        ("arrive", "arrived"),
        ("start", "in_service"),
    ] {
        let o = order(&app, &w.engineer, &n).await;
        let to = step(
            &b,
            &format!("{base}/transition"),
            &[
                ("_csrf", &csrf),
                ("version", &v(&o)),
                ("back", "order"),
                ("action", action),
                ("latitude", "41.790100"),
                ("longitude", "123.400200"),
            ],
        )
        .await;
        assert!(to.starts_with(&format!("{base}?done={action}")), "{to}");
        assert_eq!(order(&app, &w.engineer, &n).await["status"], status);
    }
    let (_, html, _) = b.get(&base).await;
    assert!(html.contains("id=\"record-form\"") && html.contains("data-autosave=\"u-"));
    assert!(html.contains(&format!(
        "data-autosave-post=\"/m/orders/{n}/record/draft\""
    )));
    assert!(
        !html.contains("id=\"signature-form\""),
        "no signature before a record"
    );

    // Completing before the record is signed is refused beside the button.
    let o = order(&app, &w.engineer, &n).await;
    let (s, _, _) = b
        .post(
            &format!("{base}/complete"),
            &[
                ("_csrf", &csrf),
                ("version", &v(&o)),
                ("back", "order"),
                ("outcome", "fixed"),
            ],
        )
        .await;
    assert_eq!(s, 409);

    // Save as you go: the sync route answers the record's new version.
    let (s, ct, body) = b
        .raw("PUT", &format!("{base}/record/draft"),
            &[("x-csrf-token", &csrf), ("content-type", "application/x-www-form-urlencoded"), ("accept", "application/json")],
            format!("_csrf={csrf}&version=0&diagnosis=%E5%90%AF%E5%8A%A8%E7%94%B5%E5%AE%B9%E6%8D%9F%E5%9D%8F").into_bytes())
        .await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
    assert!(ct.starts_with("application/json"));
    let reply: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(reply["version"], 1);
    // A stale sync is a problem the widget can show.
    let (s, ct, body) = b
        .raw(
            "PUT",
            &format!("{base}/record/draft"),
            &[
                ("x-csrf-token", &csrf),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            format!("_csrf={csrf}&version=0&diagnosis=x").into_bytes(),
        )
        .await;
    assert_eq!(s, 409);
    assert!(ct.starts_with("application/problem+json"));
    let p: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(p["code"], "stale_version");
    // A photo through the page route (the widget's raw upload with the header token).
    let (s, _, body) = b
        .raw(
            "POST",
            &format!("{base}/photos"),
            &[
                ("x-csrf-token", &csrf),
                ("content-type", "image/png"),
                ("idempotency-key", "p-1"),
            ],
            PNG.to_vec(),
        )
        .await;
    assert_eq!(s, 201, "{}", String::from_utf8_lossy(&body));
    let photo: Value = serde_json::from_slice(&body).expect("json");
    let (s, ct, bytes) = b
        .raw(
            "GET",
            &format!("{base}/photos/{}", photo["id"].as_str().expect("id")),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!((s, ct.as_str(), bytes.as_slice()), (200, "image/png", PNG));
    let (s, _, _) = b
        .raw(
            "POST",
            &format!("{base}/photos"),
            &[("x-csrf-token", &csrf), ("content-type", "image/png")],
            b"not an image".to_vec(),
        )
        .await;
    assert_eq!(s, 415);
    // Without the token the upload is refused before anything is stored.
    let (s, _, _) = b
        .raw(
            "POST",
            &format!("{base}/photos"),
            &[("content-type", "image/png")],
            PNG.to_vec(),
        )
        .await;
    assert_eq!(s, 403);

    // The record form: a part, hours, the test run, ratings 5/5.
    let record = [
        ("_csrf", csrf.as_str()),
        ("version", "1"),
        ("fault_cause_code", "C-AC-CAP"),
        ("diagnosis", "启动电容损坏"),
        ("action_taken", "更换启动电容"),
        ("parts.0.part_no", "C-35UF"),
        ("parts.0.name", "启动电容 35μF"),
        ("parts.0.qty", "1"),
        ("parts.1.part_no", ""),
        ("parts.1.name", ""),
        ("parts.1.qty", ""),
        ("labor_hours", "1.5"),
        ("test_run_done", "1"),
        ("customer_trained", "1"),
        ("rating_quality", "5"),
        ("rating_attitude", "5"),
        ("notes", ""),
    ];
    // Hours out of range first: refused beside the field, what was typed stays.
    let mut bad = record.to_vec();
    bad.retain(|(k, _)| *k != "labor_hours");
    bad.push(("labor_hours", "30"));
    let (s, html, _) = b.post(&format!("{base}/record"), &bad).await;
    assert_eq!(s, 422);
    let field = &html[html.find("id=\"labor_hours\"").expect("field")..];
    let field = &field[..field.find("</div>").expect("end")];
    assert!(field.contains("必须在 0 到 24 之间"), "{field}");
    assert!(html.contains("启动电容 35μF"));
    let to = step(&b, &format!("{base}/record"), &record).await;
    assert_eq!(to, format!("{base}?done=record#signature"));
    let (_, html, _) = b.get(&format!("{base}?done=record")).await;
    assert!(
        html.contains(&format!(
            "data-autosave-clear=\"u-{}-wo-{n}-record\"",
            w.engineer_id
        )),
        "the draft is settled"
    );
    assert!(html.contains("id=\"signature-form\"") && html.contains("data-signature-pad"));
    assert!(html.contains("name=\"record_version\" value=\"2\""));
    let o = order(&app, &w.engineer, &n).await;
    let r = &o["record"];
    assert_eq!(r["labor_minutes"], 90);
    assert_eq!(
        r["parts"],
        json!([{"part_no": "C-35UF", "name": "启动电容 35μF", "qty": 1}])
    );
    assert_eq!(
        (r["rating_quality"].as_i64(), r["rating_attitude"].as_i64()),
        (Some(5), Some(5))
    );
    assert_eq!(r["test_run_done"], true);

    // A signature for a record that changed since the customer saw it is refused.
    let (s, html, _) = b
        .post(
            &format!("{base}/signature"),
            &[
                ("_csrf", &csrf),
                ("record_version", "1"),
                ("choice", "sign"),
                ("signature_png", &png_data_url()),
                ("signer_name", "张伟民"),
            ],
        )
        .await;
    assert_eq!(s, 409);
    assert!(html.contains("服务报告在客户看过之后又有修改"));
    // Without a drawing the pad says what to do.
    let (s, html, _) = b
        .post(
            &format!("{base}/signature"),
            &[
                ("_csrf", &csrf),
                ("record_version", "2"),
                ("choice", "sign"),
                ("signature_png", ""),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"signature_png-error\"") && html.contains("请客户在框内签名"));
    let to = step(
        &b,
        &format!("{base}/signature"),
        &[
            ("_csrf", &csrf),
            ("record_version", "2"),
            ("choice", "sign"),
            ("signature_png", &png_data_url()),
            ("signer_name", "张伟民"),
        ],
    )
    .await;
    assert_eq!(to, format!("{base}?done=signed#complete"));
    let (_, html, _) = b.get(&base).await;
    assert!(html.contains("id=\"complete-form\"") && html.contains("已签名"));
    assert!(
        !html.contains("id=\"record-form\""),
        "read-only after signing"
    );
    assert!(html.contains(&format!(
        "href=\"/work-orders/{}/record\"",
        o["id"].as_str().expect("id")
    )));

    let o = order(&app, &w.engineer, &n).await;
    let to = step(
        &b,
        &format!("{base}/complete"),
        &[
            ("_csrf", &csrf),
            ("version", &v(&o)),
            ("back", "order"),
            ("outcome", "fixed"),
            ("latitude", "41.790100"),
            ("longitude", "123.400200"),
        ],
    )
    .await;
    assert_eq!(to, format!("{base}?done=complete"));
    let (_, html, _) = b.get(&to).await;
    assert!(html.contains("工单已完成。"));
    assert!(html.contains("id=\"wo-status\">已完成<"));
    assert!(html.contains("id=\"wo-outcome\">已修复"));
    let o = order(&app, &w.engineer, &n).await;
    assert_eq!(o["status"], "completed");
    assert_eq!(o["photos"].as_array().expect("photos").len(), 1);

    // The timeline: each step by the engineer, the arrival with its position.
    let (_, ev) = app
        .get(
            &format!(
                "/api/v1/service-requests/{}/events",
                o["request"]["id"].as_str().expect("r")
            ),
            &w.dispatcher,
        )
        .await;
    let items = ev["items"].as_array().expect("items");
    let by_engineer: Vec<&str> = items
        .iter()
        .filter(|e| e["actor_id"] == w.engineer_id.as_str())
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    for k in [
        "accepted",
        "scheduled",
        "en_route",
        "arrived",
        "in_service",
        "record_saved",
        "photo_added",
        "record_signed",
        "completed",
    ] {
        assert!(by_engineer.contains(&k), "{k} in {by_engineer:?}");
    }
    let arrived = items
        .iter()
        .find(|e| e["kind"] == "arrived")
        .expect("arrived");
    assert_eq!(arrived["latitude"], 41.7901);
    let accepted = items
        .iter()
        .find(|e| e["kind"] == "accepted")
        .expect("accepted");
    assert_eq!(accepted["latitude"], 41.7);
}

/// Takes an order of the demo engineer to the site with a saved record; its number.
async fn with_record(app: &TestApp, w: &World) -> String {
    let n = accepted_order(app, w, None).await;
    let mut o = order(app, &w.engineer, &n).await;
    for a in ["depart", "arrive"] {
        o = act(
            app,
            &w.engineer,
            &n,
            "transition",
            json!({"version": o["version"], "action": a}),
        )
        .await;
    }
    let (s, o) = app
        .send(
            "PUT",
            &format!("/api/v1/work-orders/{n}/record"),
            &w.engineer,
            Some(json!({"version": 0, "diagnosis": "主板故障", "fault_cause_code": "C-AC-CAP", "action_taken": "更换主板",
                "no_parts": true, "labor_minutes": 45, "test_run_done": false})),
        )
        .await;
    assert_eq!(s, 200, "{o}");
    n
}

async fn a_signature_or_a_refusal_locks_the_record_and_corrections_are_addenda(app: TestApp) {
    let w = world(&app).await;
    let b = Browser::new(&app, "zh-CN");
    b.login("engineer").await;
    let csrf = b.csrf("/m").await;

    // Declined: the reason is required, beside its field.
    let n = with_record(&app, &w).await;
    let base = format!("/m/orders/{n}");
    let (s, html, _) = b
        .post(
            &format!("{base}/signature"),
            &[
                ("_csrf", &csrf),
                ("record_version", "1"),
                ("choice", "decline"),
                ("declined_reason", " "),
            ],
        )
        .await;
    assert_eq!(s, 422);
    let f = &html[html.find("id=\"declined_reason\"").expect("field")..];
    let f = &f[..f.find("</div>").expect("end")];
    assert!(
        f.contains("id=\"declined_reason-error\"") && f.contains("请填写客户拒签的原因"),
        "{f}"
    );
    step(
        &b,
        &format!("{base}/signature"),
        &[
            ("_csrf", &csrf),
            ("record_version", "1"),
            ("choice", "decline"),
            ("declined_reason", "客户对收费有异议，拒绝签字"),
        ],
    )
    .await;
    let o = order(&app, &w.engineer, &n).await;
    assert_eq!(o["record"]["locked"], true);
    assert_eq!(
        o["record"]["signature_declined_reason"],
        "客户对收费有异议，拒绝签字"
    );
    assert_eq!(o["record"]["has_signature"], false);
    let (_, html, _) = b.get(&base).await;
    assert!(html.contains("客户拒签") && html.contains("客户对收费有异议"));
    assert!(!html.contains("id=\"record-form\"") && !html.contains("id=\"signature-form\""));
    // The record no longer changes: a save through the page is refused and says why.
    let (s, html, _) = b
        .post(
            &format!("{base}/record"),
            &[("_csrf", &csrf), ("version", "2"), ("diagnosis", "改写")],
        )
        .await;
    assert_eq!(s, 409);
    assert!(html.contains("服务报告已签字（或客户拒签），不能再修改"));
    assert_eq!(
        order(&app, &w.engineer, &n).await["record"]["diagnosis"],
        "主板故障"
    );
    // Corrections are addenda.
    let (s, html, _) = b
        .post(
            &format!("{base}/addenda"),
            &[("_csrf", &csrf), ("back", "order"), ("body", "")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"addendum-form\"") && html.contains("必填"));
    let to = step(
        &b,
        &format!("{base}/addenda"),
        &[
            ("_csrf", &csrf),
            ("back", "order"),
            ("body", "更正：更换的是电源板，不是主板。"),
        ],
    )
    .await;
    assert_eq!(to, format!("{base}?done=addendum#addenda"));
    let (_, html, _) = b.get(&base).await;
    assert!(html.contains("更正：更换的是电源板，不是主板。"));
    assert_eq!(
        order(&app, &w.engineer, &n).await["addenda"]
            .as_array()
            .expect("addenda")
            .len(),
        1
    );
    // Completed without a test run: a follow-up is due.
    let o = order(&app, &w.engineer, &n).await;
    step(
        &b,
        &format!("{base}/complete"),
        &[
            ("_csrf", &csrf),
            ("version", &o["version"].to_string()),
            ("back", "order"),
            ("outcome", "depot"),
            ("loaner_left", "1"),
        ],
    )
    .await;
    let o = order(&app, &w.engineer, &n).await;
    assert_eq!(
        (
            o["status"].as_str(),
            o["outcome"].as_str(),
            o["loaner_left"].as_bool()
        ),
        (Some("completed"), Some("depot"), Some(true))
    );

    // Signed: locked the same way.
    let n = with_record(&app, &w).await;
    let base = format!("/m/orders/{n}");
    step(
        &b,
        &format!("{base}/signature"),
        &[
            ("_csrf", &csrf),
            ("record_version", "1"),
            ("choice", "sign"),
            ("signature_png", &png_data_url()),
            ("signer_name", ""),
        ],
    )
    .await;
    let o = order(&app, &w.engineer, &n).await;
    assert_eq!(o["record"]["locked"], true);
    assert_eq!(o["record"]["has_signature"], true);
    assert_eq!(
        o["record"]["signer_name"], "张伟民",
        "the contact by default"
    );
    let (s, _, body) = b
        .raw(
            "PUT",
            &format!("{base}/record/draft"),
            &[
                ("x-csrf-token", &csrf),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            b"version=2&diagnosis=x".to_vec(),
        )
        .await;
    assert_eq!(s, 409);
    let p: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(p["code"], "record_locked");
    let (s, html, _) = b
        .post(
            &format!("{base}/signature"),
            &[
                ("_csrf", &csrf),
                ("record_version", "2"),
                ("choice", "sign"),
                ("signature_png", &png_data_url()),
            ],
        )
        .await;
    assert_eq!(s, 409, "signed once");
    assert!(html.contains("服务报告已签字"));
}

async fn the_phone_pages_refuse_another_engineers_order(app: TestApp) {
    let w = world(&app).await;
    let n = with_record(&app, &w).await;
    let base = format!("/m/orders/{n}");
    let b = Browser::new(&app, "zh-CN");
    b.login("wangwu").await;
    let csrf = b.csrf("/m").await;
    let (s, html, _) = b.get("/m").await;
    assert_eq!(s, 200);
    assert!(!html.contains(&n));
    let (s, html, _) = b.get(&base).await;
    assert_eq!(s, 404);
    assert!(html.contains("找不到该记录"));
    for (path, form) in [
        ("accept", vec![("version", "4")]),
        ("transition", vec![("version", "4"), ("action", "start")]),
        ("record", vec![("version", "1"), ("diagnosis", "x")]),
        (
            "signature",
            vec![
                ("record_version", "1"),
                ("choice", "decline"),
                ("declined_reason", "x"),
            ],
        ),
        ("complete", vec![("version", "4"), ("outcome", "fixed")]),
        ("addenda", vec![("body", "x")]),
    ] {
        let mut f = vec![("_csrf", csrf.as_str())];
        f.extend(form);
        let (s, _, _) = b.post(&format!("{base}/{path}"), &f).await;
        assert_eq!(s, 404, "{path}");
    }
    let (s, _, _) = b
        .raw(
            "POST",
            &format!("{base}/photos"),
            &[("x-csrf-token", &csrf), ("content-type", "image/png")],
            PNG.to_vec(),
        )
        .await;
    assert_eq!(s, 404);
    let o = order(&app, &w.engineer, &n).await;
    assert_eq!(o["status"], "arrived");
    assert!(o["photos"].as_array().expect("photos").is_empty());
    // A dispatcher has no phone pages.
    let d = Browser::new(&app, "zh-CN");
    d.login("dispatcher").await;
    assert_eq!(d.get("/m").await.0, 403);
    assert_eq!(d.get(&base).await.0, 403);
}

/// 钱七 (大连) holds an order of a 沈阳 customer, and 张伟 (沈阳和平) one of a 大连
/// customer, both booked today: the 沈阳 manager's board (API and page) shows neither 钱七
/// nor the 大连 order's number or customer (张伟's load still counts it); the dispatcher's
/// board shows everything.
async fn a_manager_sees_no_order_of_an_engineer_outside_their_subtree(app: TestApp) {
    let w = world(&app).await;
    let admin = app.token("admin").await;
    set_regions(&app, &admin, "DL-ZS", &["210202"]).await;
    let (s, dl) = app
        .send(
            "POST",
            "/api/v1/customers",
            &w.agent,
            Some(json!({"kind": "individual", "name": "大连孙客户",
            "region_code": "210202", "contacts": [{"name": "孙", "phones": ["139 1111 2222"]}],
            "sites": [{"address": "大连市中山区人民路1号", "region_code": "210202"}]})),
        )
        .await;
    assert_eq!(s, 201, "{dl}");
    let wo = file_onsite(
        &app,
        &w.agent,
        json!({"customer_id": dl["id"], "kind": "repair", "symptom": "不制冷", "priority": "normal"}),
    )
    .await;
    let dl_n = wo["number"].as_str().expect("number").to_owned();
    let o = act(
        &app,
        &w.dispatcher,
        &dl_n,
        "dispatch",
        json!({"version": 1, "engineer_id": w.engineer_id}),
    )
    .await;
    let o = act(
        &app,
        &w.engineer,
        &dl_n,
        "accept",
        json!({"version": o["version"]}),
    )
    .await;
    act(
        &app,
        &w.engineer,
        &dl_n,
        "appointment",
        json!({"version": o["version"],
        "starts_at": at_today("09:00"), "ends_at": at_today("10:00"), "customer_agreed": true}),
    )
    .await;
    let wo = pending_order(&app, &w, "normal").await;
    let n = wo["number"].as_str().expect("number").to_owned();
    let o = act(
        &app,
        &w.dispatcher,
        &n,
        "dispatch",
        json!({"version": 1, "engineer_id": w.qian_id}),
    )
    .await;
    let qian = app.token_with("qianqi", "demo-2026").await;
    let o = act(&app, &qian, &n, "accept", json!({"version": o["version"]})).await;
    act(
        &app,
        &qian,
        &n,
        "appointment",
        json!({"version": o["version"],
        "starts_at": at_today("14:00"), "ends_at": at_today("15:00"), "customer_agreed": true}),
    )
    .await;
    let (s, b) = app.get("/api/v1/dispatch/board", &w.dispatcher).await;
    assert_eq!(s, 200, "{b}");
    assert!(b.to_string().contains(&n), "the dispatcher sees it: {b}");
    let manager = app.token("manager").await;
    let (s, bm) = app.get("/api/v1/dispatch/board", &manager).await;
    assert_eq!(s, 200, "{bm}");
    let text = bm.to_string();
    assert!(
        !text.contains(&n),
        "order of 钱七 leaked to the manager: {bm}"
    );
    assert!(!text.contains(&w.qian_id), "{bm}");
    assert!(
        !text.contains(&dl_n),
        "大连 order leaked to the manager: {bm}"
    );
    assert!(!text.contains("大连孙客户"), "{bm}");
    assert!(b.to_string().contains(&dl_n), "the dispatcher sees it: {b}");
    let zhang = |b: &Value| {
        b["engineers"]
            .as_array()
            .expect("engineers")
            .iter()
            .find(|e| e["engineer"]["id"] == w.engineer_id.as_str())
            .expect("张伟")
            .clone()
    };
    assert_eq!(
        zhang(&bm)["booked_minutes"],
        60,
        "the hidden order still counts"
    );
    assert_eq!(zhang(&bm)["open_orders"], zhang(&b)["open_orders"]);
    let browser = Browser::new(&app, "zh-CN");
    browser.login("manager").await;
    let (s, page, _) = browser.get("/dispatch").await;
    assert_eq!(s, 200);
    assert!(!page.contains(&n), "order of 钱七 on the manager's page");
    assert!(!page.contains("钱七"), "钱七 on the manager's page");
    assert!(
        !page.contains(&dl_n) && !page.contains("大连孙客户"),
        "大连 order on the page"
    );
}

/// A certification of `line` for `user`, valid from `from` through `last`.
async fn certify_between(
    app: &TestApp,
    admin: &str,
    user: &str,
    line: &str,
    from: jiff::civil::Date,
    last: jiff::civil::Date,
) {
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/users/{user}/certifications"),
            admin,
            Some(
                json!({"product_line": line, "level": "certified", "number": format!("D-{user}"),
            "issued_on": from.to_string(), "expires_on": last.to_string()}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

/// The suggestion line of `engineer` (by id): (eligible, exclusion codes).
fn verdict(sg: &Value, engineer: &str) -> (bool, Vec<String>) {
    let line = sg["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["engineer"]["id"] == engineer)
        .unwrap_or_else(|| panic!("{engineer} not listed: {sg}"));
    (
        line["eligible"].as_bool().expect("eligible"),
        codes(&line["exclusions"])
            .into_iter()
            .map(str::to_owned)
            .collect(),
    )
}

async fn suggest(app: &TestApp, token: &str, n: &str) -> Value {
    let (s, sg) = app
        .get(&format!("/api/v1/work-orders/{n}/suggestions"), token)
        .await;
    assert_eq!(s, 200, "{sg}");
    sg
}

/// Gives order `n` (at `version`) to `engineer`: the status and the body.
async fn assign(
    app: &TestApp,
    token: &str,
    n: &str,
    version: &Value,
    engineer: &str,
) -> (u16, Value) {
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{n}/dispatch"),
            token,
            Some(json!({"version": version, "engineer_id": engineer})),
        )
        .await;
    (s, b)
}

async fn suggestion_and_assignment_judge_the_certificate_on_the_day_of_the_visit_alike(
    app: TestApp,
) {
    let w = world(&app).await;
    let admin = app.token("admin").await;
    let days = |n: i64| today().saturating_add(jiff::Span::new().days(n));
    let visit = days(20);
    // 孙八's certificate runs out the day before the visit; 周九's starts on the visit's
    // day. Both work in 沈阳和平, which covers the site.
    let sun = add_engineer(&app, &admin, "sunba", "孙八", "SY-HP").await;
    certify_between(&app, &admin, &sun, "空调", days(-100), days(19)).await;
    let zhou = add_engineer(&app, &admin, "zhoujiu", "周九", "SY-HP").await;
    certify_between(&app, &admin, &zhou, "空调", visit, days(400)).await;

    // An order held by 张伟 with the visit agreed on that day.
    let n = accepted_order(&app, &w, None).await;
    let o = order(&app, &w.engineer, &n).await;
    let o = act(
        &app,
        &w.engineer,
        &n,
        "appointment",
        json!({"version": o["version"], "starts_at": format!("{visit}T09:00:00+08:00"),
        "ends_at": format!("{visit}T11:00:00+08:00"), "customer_agreed": true}),
    )
    .await;
    assert_eq!(o["status"], "scheduled");
    let sg = suggest(&app, &w.dispatcher, &n).await;
    assert_eq!(sg["work_day"], visit.to_string());
    assert_eq!(
        verdict(&sg, &sun),
        (false, vec!["certificate_expired".to_owned()])
    );
    assert_eq!(verdict(&sg, &zhou), (true, vec![]));
    // What is not suggested is refused; what is suggested is assigned.
    let (s, b) = assign(&app, &w.dispatcher, &n, &o["version"], &sun).await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("not_certified")),
        "{b}"
    );
    let (s, b) = assign(&app, &w.dispatcher, &n, &o["version"], &zhou).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["engineer"]["id"], zhou.as_str());
    assert_eq!(
        b["appointment_start"], o["appointment_start"],
        "the visit stays"
    );

    // Without an appointment the day of the work is today: the other way round.
    let wo = pending_order(&app, &w, "normal").await;
    let m = wo["number"].as_str().expect("number");
    let sg = suggest(&app, &w.dispatcher, m).await;
    assert_eq!(sg["work_day"], today().to_string());
    assert_eq!(verdict(&sg, &sun), (true, vec![]));
    assert_eq!(
        verdict(&sg, &zhou),
        (false, vec!["certificate_not_yet_valid".to_owned()])
    );
    let (s, b) = assign(&app, &w.dispatcher, m, &json!(1), &zhou).await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("not_certified")),
        "{b}"
    );
    // A partner's technician outside the partner's territory is neither suggested nor
    // assignable.
    let partner = app.user_id("partner").await;
    assert!(!sg.to_string().contains(&partner), "{sg}");
    let (s, b) = assign(&app, &w.dispatcher, m, &json!(1), &partner).await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("outside_territory")),
        "{b}"
    );
    let (s, b) = assign(&app, &w.dispatcher, m, &json!(1), &sun).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["engineer"]["id"], sun.as_str());
}
