//! What the customer sees and is told (issue 13, defects 17 and 6): the portal refuses a
//! visit time in the past or absurdly far ahead (the API too), the request page speaks the
//! customer's words and shows the booked window and the engineer, a window booked with the
//! assignment tells the customer once (engineer and window, in their language), a customer
//! has no API tokens, and the arrival clock follows a window the customer asked for that
//! starts after the rule's due time.

use crate::both;
use crate::dispatch_ui::{World, world};
use crate::helpers::TestApp;
use crate::web::Browser;
use serde_json::{Value, json};

both!(
    a_visit_time_in_the_past_or_far_ahead_is_refused_beside_the_field,
    a_window_booked_at_dispatch_tells_the_customer_once_in_their_language,
    a_customer_has_no_api_tokens,
    the_arrival_clock_runs_to_the_end_of_a_later_window,
);

fn tz() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz")
}

/// A day `n` days ahead (Shanghai).
fn day(n: i64) -> jiff::civil::Date {
    jiff::Zoned::now()
        .with_time_zone(tz())
        .date()
        .saturating_add(jiff::Span::new().days(n))
}

/// Links the demo `customer` account to the world's customer: its token.
async fn portal_customer(app: &TestApp, w: &World) -> String {
    let user: aftersales_domain::UserId = app.user_id("customer").await.parse().expect("id");
    app.app
        .set_user_customer(
            &aftersales_app::Ctx::system("test"),
            user,
            Some(w.customer["id"].as_str().expect("id").parse().expect("cid")),
        )
        .await
        .expect("link");
    app.token("customer").await
}

fn body(w: &World, from: &str, to: Option<&str>) -> Value {
    let mut b = json!({"customer_id": w.customer["id"], "unit_id": w.unit["id"],
        "kind": "repair", "symptom": "不制冷", "preferred_from": from});
    if let Some(to) = to {
        b["preferred_to"] = json!(to);
    }
    b
}

fn codes(b: &Value) -> Vec<(String, String)> {
    b["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| {
                    (
                        x["field"].as_str().unwrap_or_default().to_owned(),
                        x["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn a_visit_time_in_the_past_or_far_ahead_is_refused_beside_the_field(app: TestApp) {
    let w = world(&app).await;
    let me = portal_customer(&app, &w).await;
    // The API: 2020, and a year ahead, each beside its field, both at once.
    let far = format!("{}T09:00:00+08:00", day(365));
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &me,
            Some(body(&w, "2020-03-01T09:00:00+08:00", Some(&far))),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        codes(&b),
        vec![
            ("preferred_from".to_owned(), "in_past".to_owned()),
            ("preferred_to".to_owned(), "too_far_ahead".to_owned())
        ],
        "{b}"
    );
    // The desk is held to the same rule.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(body(&w, "2020-03-01T09:00:00+08:00", None)),
        )
        .await;
    assert_eq!((s, codes(&b)[0].1.as_str()), (422, "in_past"), "{b}");
    // Tomorrow morning is taken.
    let from = format!("{}T09:00:00+08:00", day(1));
    let to = format!("{}T11:00:00+08:00", day(1));
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &me,
            Some(body(&w, &from, Some(&to))),
        )
        .await;
    assert_eq!(s, 201, "{b}");

    // The portal's form: the message beside the field, in Chinese, the input kept.
    let browser = Browser::new(&app, "zh-CN");
    browser.login("customer").await;
    let (s, html, _) = browser.get("/portal/requests/new").await;
    assert_eq!(s, 200, "{html}");
    let csrf = browser.csrf("/portal/requests/new").await;
    let (s, html, _) = browser
        .post(
            "/portal/requests/new",
            &[
                ("_csrf", &csrf),
                ("idem", "01900000-0000-7000-8000-000000000001"),
                ("unit_id", w.unit["id"].as_str().expect("id")),
                ("kind", "repair"),
                ("symptom", "不制冷了"),
                ("preferred_from", "2020-03-01T09:00"),
                ("preferred_to", "2020-03-01T11:00"),
            ],
        )
        .await;
    assert_eq!(s, 422, "{html}");
    let beside = html
        .split("id=\"preferred_from-error\"")
        .nth(1)
        .expect("an error beside the preferred time");
    assert!(
        beside.starts_with(">不能预约已经过去的时间。"),
        "{}",
        &beside[..80.min(beside.len())]
    );
    assert!(
        html.contains("value=\"2020-03-01T09:00\""),
        "the input is kept"
    );
    assert!(html.contains("不制冷了"), "the symptom is kept");
}

async fn a_window_booked_at_dispatch_tells_the_customer_once_in_their_language(app: TestApp) {
    let w = world(&app).await;
    let me = portal_customer(&app, &w).await;
    // The customer's account reads English.
    let admin = app.token("admin").await;
    let uid = app.user_id("customer").await;
    let (s, u) = app.get(&format!("/api/v1/users/{uid}"), &admin).await;
    assert_eq!(s, 200, "{u}");
    let (s, b) = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{uid}"),
            &admin,
            Some(json!({"version": u["version"], "locale": "en"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // Filed from the portal, sent on site by the desk.
    let (s, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &me,
            Some(
                json!({"customer_id": w.customer["id"], "unit_id": w.unit["id"],
                "kind": "repair", "symptom": "不制冷"}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let number = r["number"].as_str().expect("number").to_owned();
    let (s, r) = app
        .send(
            "POST",
            &format!(
                "/api/v1/service-requests/{}/triage",
                r["id"].as_str().expect("id")
            ),
            &w.agent,
            Some(json!({"version": r["version"], "mode": "onsite"})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let wo = r["work_orders"][0]["number"]
        .as_str()
        .expect("wo")
        .to_owned();
    let visit = day(2);
    let (s, o) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{wo}/dispatch"),
            &w.dispatcher,
            Some(json!({"version": 1, "engineer_id": w.engineer_id,
                "starts_at": format!("{visit}T09:00:00+08:00"),
                "ends_at": format!("{visit}T11:00:00+08:00"),
                "customer_agreed": true, "confirm_conflicts": true})),
        )
        .await;
    assert_eq!(s, 200, "{o}");
    let engineer = o["engineer"]["name"].as_str().expect("engineer").to_owned();

    // One notice for the booking, with the engineer and the window, in English.
    let (s, bell) = app.get("/api/v1/notifications", &me).await;
    assert_eq!(s, 200, "{bell}");
    let items = bell["items"].as_array().expect("items");
    let booked: Vec<&Value> = items
        .iter()
        .filter(|n| n["event"] == "visit_booked")
        .collect();
    assert_eq!(booked.len(), 1, "{bell}");
    let text = booked[0]["body"].as_str().expect("body");
    assert!(
        text.starts_with(&format!("Engineer {engineer} will visit")),
        "{text}"
    );
    assert!(text.contains(&format!("{visit} 09:00–11:00")), "{text}");
    assert!(text.contains(&number), "{text}");
    assert!(
        !items.iter().any(|n| n["event"] == "engineer_assigned"),
        "not told twice: {bell}"
    );

    // The portal's page: the engineer, the window, the customer's words; no work-order
    // number, no internal jargon.
    let browser = Browser::new(&app, "zh-CN");
    browser.login("customer").await;
    let (s, html, _) = browser.get(&format!("/portal/requests/{number}")).await;
    assert_eq!(s, 200, "{html}");
    let visit_card = html
        .split("class=\"card portal-visit\"")
        .nth(1)
        .expect("a visit card");
    assert!(visit_card.contains(&engineer), "{visit_card}");
    assert!(
        visit_card.contains(&format!("{visit} 09:00–11:00")),
        "{visit_card}"
    );
    assert!(
        !html.contains(&wo),
        "no work-order number on the customer's page"
    );
    assert!(!html.contains("派工单"), "no internal words");
    assert!(
        html.contains(&format!("工程师 {engineer} 将于 {visit} 09:00–11:00 上门")),
        "the timeline in the customer's words"
    );
}

async fn a_customer_has_no_api_tokens(app: TestApp) {
    let me = app.token("customer").await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/me/tokens",
            &me,
            Some(json!({"name": "mine"})),
        )
        .await;
    assert_eq!(s, 403, "{b}");
    let (s, _) = app.get("/api/v1/me/tokens", &me).await;
    assert_eq!(s, 403);
    // Staff keep theirs.
    let (s, b) = app
        .get("/api/v1/me/tokens", &app.token("agent").await)
        .await;
    assert_eq!(s, 200, "{b}");
    // Not in the customer's menu.
    let browser = Browser::new(&app, "zh-CN");
    browser.login("customer").await;
    let (_, html, _) = browser.get("/portal").await;
    assert!(
        !html.contains("href=\"/me/tokens\""),
        "no tokens in the menu"
    );
    assert!(html.contains("href=\"/me/password\""), "the menu is there");
}

async fn the_arrival_clock_runs_to_the_end_of_a_later_window(app: TestApp) {
    let w = world(&app).await;
    let arrival = |sla: &Value| {
        sla["clocks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["milestone"] == "arrival"))
            .cloned()
            .expect("arrival clock")
    };
    let instant =
        |v: &Value| -> jiff::Timestamp { v.as_str().expect("instant").parse().expect("instant") };
    // The customer can only be there in three days' time (every arrival target is 24 h
    // or less): the promise is to arrive within their window.
    let (from, to) = (
        format!("{}T14:00:00+08:00", day(3)),
        format!("{}T16:00:00+08:00", day(3)),
    );
    let (s, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(body(&w, &from, Some(&to))),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (s, sla) = app
        .get(
            &format!(
                "/api/v1/service-requests/{}/sla",
                r["number"].as_str().expect("n")
            ),
            &w.agent,
        )
        .await;
    assert_eq!(s, 200, "{sla}");
    let a = arrival(&sla);
    assert_eq!(
        instant(&a["due_at"]),
        to.parse::<jiff::Timestamp>().expect("t"),
        "{a}"
    );
    assert_eq!(a["state"], "running", "{a}");
    assert!(
        a["trace"]
            .as_array()
            .expect("trace")
            .iter()
            .any(|l| l.as_str().unwrap_or_default().contains("客户期望上门时段")),
        "{a}"
    );
    // A window that starts before the due time and ends after it keeps the due time, and
    // the console warns the agent who filed it.
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(30);
    let late = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72);
    let (s, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(body(&w, &soon.to_string(), Some(&late.to_string()))),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let n = r["number"].as_str().expect("n").to_owned();
    let (_, sla) = app
        .get(&format!("/api/v1/service-requests/{n}/sla"), &w.agent)
        .await;
    let a = arrival(&sla);
    assert!(instant(&a["due_at"]) < late, "{a}");
    assert_eq!(a["window_ends_after_due"], true, "{a}");
    let browser = Browser::new(&app, "zh-CN");
    browser.login("agent").await;
    let (s, html, _) = browser.get(&format!("/console?filed={n}")).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("客户期望的上门时段结束晚于到场时限"),
        "the intake warns"
    );
    // Without a window the rule's due time stands, long before.
    let (s, r) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(
                json!({"customer_id": w.customer["id"], "unit_id": w.unit["id"],
                "kind": "repair", "symptom": "不制冷"}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (_, sla) = app
        .get(
            &format!(
                "/api/v1/service-requests/{}/sla",
                r["number"].as_str().expect("n")
            ),
            &w.agent,
        )
        .await;
    let a = arrival(&sla);
    assert!(
        instant(&a["due_at"]) < from.parse::<jiff::Timestamp>().expect("t"),
        "{a}"
    );
}
