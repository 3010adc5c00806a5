//! Hostile values (issue 11, defects 2 and 7): absurd instants, dates and numbers are
//! refused with a 422 naming the field before anything is written; NUL never reaches the
//! database (cursors, JSON, query strings, path segments, imported cells); and a list read
//! survives a corrupt stored instant. Every check runs on SQLite and PostgreSQL alike.

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::{World, act, file_request, pending_order, world};
use serde_json::{Value, json};

both!(
    absurd_instants_of_a_request_are_refused_and_the_list_stays_readable,
    a_portal_customer_cannot_store_an_absurd_instant,
    day_parameters_are_bounded,
    absurd_numbers_and_dates_are_refused_and_nothing_is_written,
    a_cursor_holding_nul_is_refused_on_every_list,
    nul_in_json_query_or_path_is_refused_and_nothing_is_written,
    an_imported_cell_holding_nul_is_a_row_error,
    a_list_survives_a_corrupt_stored_instant,
);

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(app.app.db().pool())
        .await
        .expect("count")
}

/// The (field, code) pairs of a 422 problem.
fn fields(b: &Value) -> Vec<(String, String)> {
    b["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_owned(),
                        e["code"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_refused(what: &str, s: u16, b: &Value, field: &str, code: &str) {
    assert_eq!(s, 422, "{what}: {b}");
    assert_eq!(b["code"], "validation_failed", "{what}: {b}");
    assert!(
        fields(b).contains(&(field.to_owned(), code.to_owned())),
        "{what}: expected {field}/{code} in {b}"
    );
}

/// Tomorrow in Shanghai: a preferred window must lie ahead (issue 13).
pub(crate) fn tomorrow() -> jiff::civil::Date {
    jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz"))
        .date()
        .tomorrow()
        .expect("a tomorrow")
}

fn request_body(w: &World, preferred_from: &str) -> Value {
    json!({"customer_id": w.customer["id"], "unit_id": w.unit["id"], "kind": "repair",
        "symptom": "不制冷", "preferred_from": preferred_from})
}

async fn absurd_instants_of_a_request_are_refused_and_the_list_stays_readable(app: TestApp) {
    let w = world(&app).await;
    file_request(&app, &w).await;
    let before = count(&app, "service_requests").await;
    for (raw, code) in [
        ("-001000-01-01T00:00:00Z", "invalid_instant"),
        ("+002026-01-01T00:00:00Z", "invalid_instant"),
        ("0000-01-01T00:00:00Z", "year_out_of_range"),
        ("1900-01-01T00:00:00Z", "year_out_of_range"),
        ("9999-12-31T23:59:59Z", "year_out_of_range"),
        ("2026-11-23T09:00:00+25:00", "invalid_offset"),
    ] {
        let (s, b) = app
            .send(
                "POST",
                "/api/v1/service-requests",
                &w.agent,
                Some(request_body(&w, raw)),
            )
            .await;
        assert_refused(raw, s, &b, "preferred_from", code);
    }
    // The same bounds hold for the end of the window, and for the list's filters.
    let mut body = request_body(&w, &format!("{}T09:00:00+08:00", tomorrow()));
    body["preferred_to"] = json!("-000001-01-01T00:00:00Z");
    let (s, b) = app
        .send("POST", "/api/v1/service-requests", &w.agent, Some(body))
        .await;
    assert_refused("preferred_to", s, &b, "preferred_to", "invalid_instant");
    let (s, b) = app
        .get(
            "/api/v1/service-requests?created_from=9999-12-31T00:00:00Z",
            &w.agent,
        )
        .await;
    assert_refused("created_from", s, &b, "created_from", "year_out_of_range");
    assert_eq!(
        count(&app, "service_requests").await,
        before,
        "nothing written"
    );
    for token in [&w.agent, &w.admin, &w.dispatcher] {
        let (s, b) = app.get("/api/v1/service-requests", token).await;
        assert_eq!(s, 200, "{b}");
    }
    // A sane window is still taken.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(request_body(&w, &format!("{}T09:00:00+08:00", tomorrow()))),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["preferred_from"].as_str(),
        Some(format!("{}T01:00:00Z", tomorrow()).as_str())
    );

    // An appointment and an alarm's time are bounded the same way.
    let (_, wo) = pending_order(&app, &w).await;
    let id = wo["id"].as_str().expect("id");
    let (s, b) = act(&app, &w.dispatcher, id, "appointment",
        json!({"version": 1, "starts_at": "-001000-01-01T09:00:00Z", "ends_at": "2026-11-23T11:00:00+08:00", "customer_agreed": true})).await;
    assert_refused("starts_at", s, &b, "starts_at", "invalid_instant");
}

async fn a_portal_customer_cannot_store_an_absurd_instant(app: TestApp) {
    let w = world(&app).await;
    let customer_user: aftersales_domain::UserId =
        app.user_id("customer").await.parse().expect("id");
    app.app
        .set_user_customer(
            &aftersales_app::Ctx::system("test"),
            customer_user,
            Some(w.customer["id"].as_str().expect("id").parse().expect("cid")),
        )
        .await
        .expect("link");
    let me = app.token("customer").await;
    let before = count(&app, "service_requests").await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &me,
            Some(request_body(&w, "-001000-01-01T00:00:00Z")),
        )
        .await;
    assert_refused("portal", s, &b, "preferred_from", "invalid_instant");
    assert_eq!(count(&app, "service_requests").await, before);
    let (s, b) = app.get("/api/v1/service-requests", &me).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get("/api/v1/service-requests", &w.agent).await;
    assert_eq!(s, 200, "{b}");
}

async fn day_parameters_are_bounded(app: TestApp) {
    let admin = app.token("admin").await;
    let dispatcher = app.token("dispatcher").await;
    for (path, token) in [
        ("/api/v1/reconciliation?day=9999-12-31", &admin),
        ("/api/v1/reconciliation?day=0000-01-01", &admin),
        ("/api/v1/work-orders?day=9999-12-31", &admin),
        ("/api/v1/work-orders?day=1999-12-31", &dispatcher),
        ("/api/v1/dispatch/board?day=9999-12-31", &dispatcher),
    ] {
        let (s, b) = app.get(path, token).await;
        assert_refused(path, s, &b, "day", "year_out_of_range");
    }
    let (s, b) = app.get("/api/v1/work-orders?day=2026-11-23", &admin).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get("/api/v1/special-days?year=9999", &admin).await;
    assert_refused("year", s, &b, "year", "out_of_range");
    let (s, b) = app
        .get("/api/v1/audit?from=-001000-01-01T00:00:00Z", &admin)
        .await;
    assert!(s == 422 || s == 400, "audit from: {s} {b}");
}

async fn absurd_numbers_and_dates_are_refused_and_nothing_is_written(app: TestApp) {
    let w = world(&app).await;

    // A position with a latitude of 999 (and no longitude) on a step of the order.
    let (_, wo) = pending_order(&app, &w).await;
    let id = wo["id"].as_str().expect("id").to_owned();
    let (s, o) = act(
        &app,
        &w.dispatcher,
        &id,
        "dispatch",
        json!({"version": 1, "engineer_id": w.engineer_id}),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    let events = count(&app, "request_events").await;
    let (s, b) = act(
        &app,
        &w.engineer,
        &id,
        "accept",
        json!({"version": o["version"], "latitude": 999.0}),
    )
    .await;
    assert_refused("latitude", s, &b, "latitude", "out_of_range");
    let (s, b) = act(
        &app,
        &w.engineer,
        &id,
        "accept",
        json!({"version": o["version"], "latitude": 41.8, "longitude": -999.0}),
    )
    .await;
    assert_refused("longitude", s, &b, "longitude", "out_of_range");
    assert_eq!(
        count(&app, "request_events").await,
        events,
        "nothing written"
    );

    // A customer's site.
    let customers = count(&app, "customers").await;
    let (s, b) = app
        .send("POST", "/api/v1/customers", &w.agent, Some(json!({"kind": "individual", "name": "李雷",
            "contacts": [{"name": "李雷", "phones": ["139 0000 1111"]}],
            "sites": [{"address": "沈阳市和平区1号", "region_code": "210102", "latitude": 999, "longitude": 123.4}]})))
        .await;
    assert_refused("site latitude", s, &b, "sites[0].latitude", "out_of_range");
    assert_eq!(count(&app, "customers").await, customers);

    // A contract from 1900 to 9999.
    let contracts = count(&app, "service_contracts").await;
    let (s, b) = app
        .send("POST", "/api/v1/contracts", &w.agent, Some(json!({"customer_id": w.customer["id"],
            "start_date": "1900-01-01", "end_date": "9999-12-31", "service_level": "gold", "unit_ids": [w.unit["id"]]})))
        .await;
    assert_refused("contract start", s, &b, "start_date", "year_out_of_range");
    assert_refused("contract end", s, &b, "end_date", "year_out_of_range");
    assert_eq!(count(&app, "service_contracts").await, contracts);

    // Special days outside the years an admin manages.
    let days = count(&app, "special_days").await;
    for day in ["0000-01-01", "9999-12-31", "1999-10-01"] {
        let (s, b) = app
            .send(
                "PUT",
                &format!("/api/v1/special-days/{day}"),
                &w.admin,
                Some(json!({"kind": "holiday", "name": "国庆节"})),
            )
            .await;
        assert_refused(day, s, &b, "day", "year_out_of_range");
    }
    assert_eq!(count(&app, "special_days").await, days);

    // A unit sold in 2090, made in 1900.
    let units = count(&app, "units").await;
    let (s, b) = app
        .send("POST", "/api/v1/units", &w.agent, Some(json!({"serial": "KT-0777", "product_code": "KT",
            "customer_id": w.customer["id"], "sale_date": "2090-01-01", "manufacture_date": "1900-01-01"})))
        .await;
    assert_refused("sale_date", s, &b, "sale_date", "date_in_future");
    assert_refused(
        "manufacture_date",
        s,
        &b,
        "manufacture_date",
        "year_out_of_range",
    );
    assert_eq!(count(&app, "units").await, units);

    // A device alarm from the year -1000 (signed correctly, so only the value is wrong).
    let alarms = count(&app, "alarms").await;
    let body = json!({"source": "iot", "alarm_id": "A-1", "serial": "KT-0001",
        "occurred_at": "-001000-01-01T00:00:00Z"})
    .to_string();
    let (s, b) = post_alarm(&app, &body).await;
    assert_refused("occurred_at", s, &b, "occurred_at", "invalid_instant");
    assert_eq!(count(&app, "alarms").await, alarms);
}

/// Posts a device alarm signed with the tests' secret.
async fn post_alarm(app: &TestApp, body: &str) -> (u16, Value) {
    let now = jiff::Timestamp::now().as_second().to_string();
    let sig = aftersales_app::alarm_signature(crate::helpers::ALARM_SECRET, &now, body.as_bytes());
    let r = app
        .http
        .post(app.url("/api/v1/alarms"))
        .header("content-type", "application/json")
        .header("x-aftersales-timestamp", now)
        .header("x-aftersales-signature", format!("sha256={sig}"))
        .body(body.to_owned())
        .send()
        .await
        .expect("alarm");
    crate::helpers::split(r).await
}

async fn a_cursor_holding_nul_is_refused_on_every_list(app: TestApp) {
    let admin = app.token("admin").await;
    let (s, doc) = app.get("/api/openapi.json", &admin).await;
    assert_eq!(s, 200);
    // Every list that takes a cursor, as the API document names them.
    let mut lists = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let takes_cursor = item["get"]["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "cursor"));
        if takes_cursor && !path.contains('{') {
            lists.push(path.clone());
        }
    }
    assert!(lists.len() >= 8, "{lists:?}");
    // The document tells the bounds of the dates it takes (for clients and the fuzzer).
    let text = doc.to_string();
    for pattern in [
        aftersales_domain::bounds::SERVICE_YEAR_PATTERN,
        aftersales_domain::bounds::RECORD_YEAR_PATTERN,
    ] {
        assert!(text.contains(pattern), "{pattern}");
    }
    let preferred =
        &doc["components"]["schemas"]["NewServiceRequest"]["properties"]["preferred_from"];
    assert!(preferred.to_string().contains("2000–2100"), "{preferred}");
    for path in &lists {
        // Cursors that spell NUL are positions like any other (NUL never reaches the
        // database, which PostgreSQL would answer with an error); other characters are not.
        for cursor in ["AA", "AAAA", "MjAyNnwA"] {
            let (s, b) = app.get(&format!("{path}?cursor={cursor}"), &admin).await;
            assert_eq!(s, 200, "{path}?cursor={cursor}: {b}");
        }
        let (s, b) = app.get(&format!("{path}?cursor=no%21"), &admin).await;
        assert_refused(path, s, &b, "cursor", "invalid_cursor");
        let (s, b) = app.get(path, &admin).await;
        assert_eq!(s, 200, "{path}: {b}");
    }
}

async fn nul_in_json_query_or_path_is_refused_and_nothing_is_written(app: TestApp) {
    let agent = app.token("agent").await;
    let admin = app.token("admin").await;
    let customers = count(&app, "customers").await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/customers",
            &agent,
            Some(json!({"kind": "individual", "name": "张\u{0}伟",
            "contacts": [{"name": "张伟", "phones": ["138 0013 8000"]}],
            "sites": [{"address": "沈阳市和平区南京北街1号", "region_code": "210102"}]})),
        )
        .await;
    assert_refused("json name", s, &b, "name", "control_chars");
    // Deeper in the document, and in a field no rule of its own looks at.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/customers",
            &agent,
            Some(json!({"kind": "individual", "name": "张伟",
            "contacts": [{"name": "张伟", "phones": ["138 0013 8000"]}],
            "sites": [{"address": "沈阳市", "region_code": "210102", "label": "\u{0}"}]})),
        )
        .await;
    assert_refused("json site", s, &b, "sites[0].label", "control_chars");
    assert_eq!(count(&app, "customers").await, customers);
    let users = count(&app, "users").await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/users",
            &admin,
            Some(json!({"username": "nul", "display_name": "a\u{0}b",
            "password": "Long-enough-2026", "role": "agent"})),
        )
        .await;
    assert_refused("user", s, &b, "display_name", "control_chars");
    assert_eq!(count(&app, "users").await, users);

    // Query strings and path segments.
    for (path, field) in [
        ("/api/v1/service-requests?number=SR%00", "number"),
        ("/api/v1/search?q=%00", "q"),
        ("/api/v1/users?q=a%00b", "q"),
        ("/api/v1/service-requests/SR%00", "path"),
        ("/api/v1/units/KT%00", "path"),
        ("/api/v1/customers/%00", "path"),
    ] {
        let (s, b) = app.get(path, &admin).await;
        assert_refused(path, s, &b, field, "control_chars");
    }
}

async fn an_imported_cell_holding_nul_is_a_row_error(app: TestApp) {
    let _ = world(&app).await;
    let agent = app.token("agent").await;
    let units = count(&app, "units").await;
    // UTF-16 (as Excel saves "Unicode text") is how a NUL reaches a cell: its bytes are
    // full of zeros anyway, so the file is taken as text.
    let csv = "序列号,型号\nKT-0100,KT\nKT-0101,K\u{0}T\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(csv.encode_utf16().flat_map(u16::to_le_bytes));
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("units.csv"),
    );
    let r = app
        .http
        .post(app.url("/api/v1/imports/units?mode=dry_run"))
        .bearer_auth(&agent)
        .multipart(form)
        .send()
        .await
        .expect("import");
    let (s, b) = crate::helpers::split(r).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["invalid_rows"], 1, "{b}");
    let e = &b["errors"][0];
    assert_eq!(
        (e["row"].as_u64(), e["field"].as_str(), e["code"].as_str()),
        (Some(3), Some("product_code"), Some("control_chars")),
        "{b}"
    );
    assert_eq!(count(&app, "units").await, units);
}

async fn a_list_survives_a_corrupt_stored_instant(app: TestApp) {
    let w = world(&app).await;
    let r = file_request(&app, &w).await;
    let other = file_request(&app, &w).await;
    // A value no reader can parse, as an older version (or a hand edit) could leave it.
    sqlx::query(
        "UPDATE service_requests SET preferred_from = '-1000-01-01T00:00:00.000000Z' WHERE id = $1",
    )
    .bind(r["id"].as_str().expect("id"))
    .execute(app.app.db().pool())
    .await
    .expect("corrupt it");
    let (s, list) = app.get("/api/v1/service-requests", &w.agent).await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().expect("items");
    let bad = items
        .iter()
        .find(|x| x["id"] == r["id"])
        .expect("still listed");
    assert_eq!(bad["preferred_from"], Value::Null);
    assert_eq!(bad["invalid_fields"], json!(["preferred_from"]));
    let good = items
        .iter()
        .find(|x| x["id"] == other["id"])
        .expect("listed");
    assert_eq!(good.get("invalid_fields"), None, "{good}");
    // The request itself still opens (and says what it could not read), on the API and
    // on its page; the console's list answers too.
    let (s, one) = app
        .get(
            &format!("/api/v1/service-requests/{}", r["id"].as_str().expect("id")),
            &w.agent,
        )
        .await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["invalid_fields"], json!(["preferred_from"]));
}
