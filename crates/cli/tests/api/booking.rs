//! Booking a visit with the assignment (docs/service-flow.md, "Booking a visit"): the
//! window stored as the appointment, conflicts checked before assigning (overlap, travel
//! time, working hours), bad windows refused, the board page's booking form, and the
//! escalation to a manager when nobody may be sent.

use crate::both;
use crate::dispatch_ui::{World, pending_order, world};
use crate::helpers::TestApp;
use crate::web::Browser;
use serde_json::{Value, json};

both!(
    a_window_is_checked_then_booked_with_the_assignment_and_shows_on_the_day,
    a_bad_window_is_refused_with_every_field_error,
    only_dispatchers_check_bookings_and_escalate,
    escalating_tells_the_manager_in_the_bell,
    the_board_page_books_a_window_and_warns_of_a_conflict_first,
);

fn tz() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz")
}

/// The day after tomorrow (Asia/Shanghai): ahead whatever the time of day.
fn visit_day() -> jiff::civil::Date {
    jiff::Zoned::now()
        .with_time_zone(tz())
        .date()
        .saturating_add(jiff::Span::new().days(2))
}

/// `HH:MM` on the visit day as an instant.
fn at(hm: &str) -> String {
    format!("{}T{hm}:00+08:00", visit_day())
}

/// 沈阳和平 (张伟's unit) works every day 08:00–12:00 and 13:00–20:00 (its override of the
/// working-days calendar), so the visit day is a working day whatever its weekday.
async fn every_day_shift(app: &TestApp) {
    let admin = app.token("admin").await;
    let unit = app.unit_id("SY-HP").await;
    let day = vec!["08:00-12:00", "13:00-20:00"];
    let (s, b) = app
        .send(
            "PUT",
            &format!("/api/v1/calendars/workdays/overrides/{unit}"),
            &admin,
            Some(json!({"weekly": vec![day; 7]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn check(app: &TestApp, w: &World, n: &str, from: &str, to: &str) -> (u16, Value) {
    app.send(
        "POST",
        &format!("/api/v1/work-orders/{n}/booking-check"),
        &w.dispatcher,
        Some(json!({"engineer_id": w.engineer_id, "starts_at": at(from), "ends_at": at(to)})),
    )
    .await
}

fn kinds(v: &Value) -> Vec<&str> {
    v["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .map(|c| c["kind"].as_str().expect("kind"))
        .collect()
}

async fn post(b: &Browser, f: Vec<(&'static str, String)>) -> (u16, String, Option<String>) {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post("/dispatch/assign", &pairs).await
}

fn number(wo: &Value) -> String {
    wo["number"].as_str().expect("number").to_owned()
}

async fn a_window_is_checked_then_booked_with_the_assignment_and_shows_on_the_day(app: TestApp) {
    let w = world(&app).await;
    every_day_shift(&app).await;
    let first = number(&pending_order(&app, &w, "normal").await);
    // Free time: nothing in the way.
    let (s, v) = check(&app, &w, &first, "09:00", "11:00").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(kinds(&v), Vec::<&str>::new(), "{v}");
    assert_eq!(v["engineer"]["id"], w.engineer_id.as_str());
    let (s, o) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{first}/dispatch"),
            &w.dispatcher,
            Some(json!({"version": 1, "engineer_id": w.engineer_id,
                "starts_at": at("09:00"), "ends_at": at("11:00"), "customer_agreed": true})),
        )
        .await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o["status"], "dispatched");
    let start: jiff::Timestamp = o["appointment_start"]
        .as_str()
        .expect("start")
        .parse()
        .expect("instant");
    assert_eq!(start, at("09:00").parse::<jiff::Timestamp>().expect("t"));
    assert_eq!(o["appointments"].as_array().expect("history").len(), 1);
    assert_eq!(o["appointments"][0]["customer_agreed"], true);
    // The dispatch event keeps the window.
    let (_, ev) = app
        .get(
            &format!(
                "/api/v1/service-requests/{}/events",
                o["request"]["id"].as_str().expect("id")
            ),
            &w.dispatcher,
        )
        .await;
    let dispatched = ev["items"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "dispatched")
        .cloned()
        .expect("dispatched event");
    assert!(
        dispatched["data"]["appointment_start"].is_string(),
        "{dispatched}"
    );
    // On the board of that day, as a block of 张伟's.
    let (s, b) = app
        .get(
            &format!("/api/v1/dispatch/board?day={}", visit_day()),
            &w.dispatcher,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let mine = b["engineers"]
        .as_array()
        .expect("engineers")
        .iter()
        .find(|e| e["engineer"]["id"] == w.engineer_id.as_str())
        .expect("张伟");
    assert!(
        mine["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .any(|x| x["number"] == first.as_str() && x["starts_at"].is_string()),
        "{mine}"
    );

    // A second job overlapping it: the check says so, the assignment is refused until
    // confirmed, and nothing changes meanwhile.
    let second = number(&pending_order(&app, &w, "normal").await);
    let (s, v) = check(&app, &w, &second, "10:00", "12:00").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(kinds(&v), vec!["overlap"], "{v}");
    assert_eq!(v["conflicts"][0]["work_order"], first.as_str());
    let body = |confirm: bool| {
        json!({"version": 1, "engineer_id": w.engineer_id,
            "starts_at": at("10:00"), "ends_at": at("12:00"), "confirm_conflicts": confirm})
    };
    let path = format!("/api/v1/work-orders/{second}/dispatch");
    let (s, b) = app
        .send("POST", &path, &w.dispatcher, Some(body(false)))
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("schedule_conflict")),
        "{b}"
    );
    assert_eq!(b["errors"][0]["field"], "starts_at");
    let (_, o2) = app
        .get(&format!("/api/v1/work-orders/{second}"), &w.dispatcher)
        .await;
    assert_eq!(o2["status"], "pending");
    assert!(o2["appointment_start"].is_null());
    // Travel: the same site needs the 10 minutes of arriving early; 5 are too few.
    let (_, v) = check(&app, &w, &second, "11:05", "11:55").await;
    assert_eq!(kinds(&v), vec!["travel_too_short"], "{v}");
    assert_eq!(v["conflicts"][0]["gap_minutes"], 5);
    assert_eq!(v["conflicts"][0]["needed_minutes"], 10);
    let (_, v) = check(&app, &w, &second, "11:10", "11:55").await;
    assert_eq!(kinds(&v), Vec::<&str>::new(), "{v}");
    // Working hours: across the lunch break, after the evening's end.
    let (_, v) = check(&app, &w, &second, "11:30", "13:30").await;
    assert_eq!(kinds(&v), vec!["outside_shift"], "{v}");
    let (_, v) = check(&app, &w, &second, "19:00", "21:00").await;
    assert_eq!(kinds(&v), vec!["outside_shift"], "{v}");
    // Confirmed: assigned with its window.
    let (s, o2) = app
        .send("POST", &path, &w.dispatcher, Some(body(true)))
        .await;
    assert_eq!(s, 200, "{o2}");
    assert!(o2["appointment_start"].is_string());
    // Checking the first again (its own booking left out) still finds the second.
    let (_, v) = check(&app, &w, &first, "09:00", "11:00").await;
    assert_eq!(kinds(&v), vec!["overlap"], "{v}");
    assert_eq!(v["conflicts"][0]["work_order"], second.as_str());
}

async fn a_bad_window_is_refused_with_every_field_error(app: TestApp) {
    let w = world(&app).await;
    let n = number(&pending_order(&app, &w, "normal").await);
    let path = format!("/api/v1/work-orders/{n}/dispatch");
    let dispatch = |starts: Value, ends: Value| json!({"version": 1, "engineer_id": w.engineer_id, "starts_at": starts, "ends_at": ends});
    let yesterday = jiff::Zoned::now()
        .with_time_zone(tz())
        .date()
        .saturating_sub(jiff::Span::new().days(1));
    for (starts, ends, field, code) in [
        (at("11:00"), at("09:00"), "ends_at", "before_start"),
        (at("09:00"), at("09:00"), "ends_at", "before_start"),
        (at("09:00"), at("09:10"), "ends_at", "window_too_short"),
        (at("06:00"), at("19:00"), "ends_at", "window_too_long"),
        (
            format!("{yesterday}T09:00:00+08:00"),
            format!("{yesterday}T10:00:00+08:00"),
            "starts_at",
            "in_past",
        ),
    ] {
        for (p, body) in [
            (path.clone(), dispatch(json!(starts), json!(ends))),
            (
                format!("/api/v1/work-orders/{n}/booking-check"),
                json!({"engineer_id": w.engineer_id, "starts_at": starts, "ends_at": ends}),
            ),
        ] {
            let (s, b) = app.send("POST", &p, &w.dispatcher, Some(body)).await;
            assert_eq!(s, 422, "{p} {starts}–{ends}: {b}");
            assert_eq!(b["errors"][0]["field"], field, "{b}");
            assert_eq!(b["errors"][0]["code"], code, "{b}");
        }
    }
    // Out of the years a service instant may take; one end only; both wrong at once.
    let (s, b) = app
        .send(
            "POST",
            &path,
            &w.dispatcher,
            Some(dispatch(
                json!("1999-01-01T09:00:00+08:00"),
                json!(at("10:00")),
            )),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "starts_at");
    let (s, b) = app
        .send(
            "POST",
            &path,
            &w.dispatcher,
            Some(dispatch(json!(at("09:00")), Value::Null)),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        (
            b["errors"][0]["field"].as_str(),
            b["errors"][0]["code"].as_str()
        ),
        (Some("ends_at"), Some("required"))
    );
    let (s, b) = app
        .send(
            "POST",
            &path,
            &w.dispatcher,
            Some(dispatch(
                json!("tomorrow"),
                json!("2101-01-01T10:00:00+08:00"),
            )),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, vec!["starts_at", "ends_at"], "every error at once");
    let (_, o) = app
        .get(&format!("/api/v1/work-orders/{n}"), &w.dispatcher)
        .await;
    assert_eq!(o["status"], "pending", "nothing changed");
}

async fn only_dispatchers_check_bookings_and_escalate(app: TestApp) {
    let w = world(&app).await;
    let n = number(&pending_order(&app, &w, "normal").await);
    for token in [&w.engineer, &w.agent] {
        let (s, b) = app
            .send(
                "POST",
                &format!("/api/v1/work-orders/{n}/booking-check"),
                token,
                Some(json!({"engineer_id": w.engineer_id, "starts_at": at("09:00"), "ends_at": at("10:00")})),
            )
            .await;
        assert_eq!(s, 403, "{b}");
        let (s, b) = app
            .send(
                "POST",
                &format!("/api/v1/work-orders/{n}/escalate"),
                token,
                Some(json!({})),
            )
            .await;
        assert_eq!(s, 403, "{b}");
    }
    let manager = app.token("manager").await;
    let (_, inbox) = app.get("/api/v1/notifications", &manager).await;
    assert!(
        !inbox["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|x| x["event"] == "dispatch_escalated"),
        "nobody was told: {inbox}"
    );
}

async fn escalating_tells_the_manager_in_the_bell(app: TestApp) {
    let w = world(&app).await;
    let n = number(&pending_order(&app, &w, "urgent").await);
    let (s, v) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{n}/escalate"),
            &w.dispatcher,
            Some(json!({"note": "无人持证"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // 沈阳和平 has no manager; 沈阳分公司 above it has 刘洋.
    assert_eq!(v["told"], json!(["刘洋"]));
    let manager = app.token("manager").await;
    let (_, inbox) = app.get("/api/v1/notifications", &manager).await;
    let item = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|x| x["event"] == "dispatch_escalated")
        .cloned()
        .expect("the bell rings");
    assert_eq!(item["status"], "unread");
    assert!(
        item["subject"].as_str().expect("subject").contains(&n),
        "{item}"
    );
    assert!(
        item["body"].as_str().expect("body").contains("无人持证"),
        "{item}"
    );
    assert!(
        item["link"]
            .as_str()
            .expect("link")
            .ends_with(&format!("/dispatch?job={n}")),
        "{item}"
    );
    // An unknown order is not found.
    let (s, _) = app
        .send(
            "POST",
            "/api/v1/work-orders/WO209901010001/escalate",
            &w.dispatcher,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 404);
}

async fn the_board_page_books_a_window_and_warns_of_a_conflict_first(app: TestApp) {
    let w = world(&app).await;
    every_day_shift(&app).await;
    let first = number(&pending_order(&app, &w, "normal").await);
    let second = number(&pending_order(&app, &w, "normal").await);
    let b = Browser::new(&app, "zh-CN");
    b.login("dispatcher").await;
    let day = visit_day().to_string();
    // Selected on the visit day: the booking form, the day's links.
    let (s, html, _) = b.get(&format!("/dispatch?job={first}&day={day}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"assign-any\""), "the booking form");
    assert!(html.contains("id=\"appt-start\""));
    assert!(html.contains("id=\"next-day\""));
    let csrf = b.csrf("/dispatch").await;
    let form = |n: &str, from: &str, to: &str, action: &str, confirm: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("work_order", n.to_owned()),
            ("version", "1".to_owned()),
            ("engineer_id", w.engineer_id.clone()),
            ("via", "select".to_owned()),
            ("day", day.clone()),
            ("appt_date", day.clone()),
            ("starts_at", from.to_owned()),
            ("ends_at", to.to_owned()),
            ("action", action.to_owned()),
            ("confirm_conflicts", confirm.to_owned()),
        ]
    };
    // A time typed wrong and the end before the start: both said beside their fields.
    let (s, html, _) = post(&b, form(&first, "9点", "25:00", "assign", "")).await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"starts_at-error\""), "beside the start");
    assert!(html.contains("id=\"ends_at-error\""), "beside the end");
    assert!(html.contains("请按 24 小时制填写时间"));
    assert!(
        html.contains("value=\"9点\""),
        "the form keeps what was typed"
    );
    // Booked 09:00–11:00: back on that day's board, the block on 张伟's timeline.
    let (s, _, location) = post(&b, form(&first, "09:00", "11:00", "assign", "")).await;
    assert_eq!(s, 303);
    let location = location.expect("redirect");
    assert_eq!(location, format!("/dispatch?assigned={first}&day={day}"));
    let (_, html, _) = b.get(&location).await;
    let card = &html[html.find("id=\"eng-engineer\"").expect("card")..];
    assert!(card.contains("09:00–11:00"), "the block on the day");
    // The second, 10:00–12:00: the check warns before anything changes.
    let (s, html, _) = post(&b, form(&second, "10:00", "12:00", "check", "")).await;
    assert_eq!(s, 200);
    let warn = &html[html.find("id=\"conflicts\"").expect("conflicts shown")..];
    assert!(
        warn.contains(&format!("与 {first}（09:00–11:00）时间重叠")),
        "{warn}"
    );
    // Assigning without the confirmation is refused with the conflicts shown again.
    let (s, html, _) = post(&b, form(&second, "10:00", "12:00", "assign", "")).await;
    assert_eq!(s, 409);
    assert!(html.contains("id=\"conflicts\""));
    assert!(html.contains("id=\"confirm-conflicts\""));
    // Confirmed: assigned.
    let (s, _, _) = post(&b, form(&second, "10:00", "12:00", "assign", "1")).await;
    assert_eq!(s, 303);
    let (_, o) = app
        .get(&format!("/api/v1/work-orders/{second}"), &w.dispatcher)
        .await;
    assert_eq!(o["status"], "dispatched");
}
