//! The service network through the API: the regions units cover, who serves a place, and
//! engineers' skills and certifications with their history, scope and expiry list.

use crate::both;
use crate::helpers::TestApp;
use serde_json::{Value, json};

both!(
    a_units_regions_are_replaced_validated_and_audited,
    the_covering_query_ranks_district_over_city_over_province,
    a_partner_sees_only_its_own_part_of_the_ranking,
    a_certification_is_added_changed_and_removed_with_its_history,
    certification_input_is_checked_field_by_field,
    the_expiring_list_shows_what_ends_soon_in_the_callers_scope,
    certifications_follow_role_and_organization_scope,
    the_pages_change_coverage_and_certifications_within_the_same_rules,
);

/// Today in the site's time zone, as the server counts days.
fn today() -> jiff::civil::Date {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz database");
    jiff::Timestamp::now().to_zoned(tz).date()
}

fn day(offset: i64) -> String {
    today()
        .checked_add(jiff::Span::new().days(offset))
        .expect("date in range")
        .to_string()
}

async fn version_of(app: &TestApp, token: &str, unit: &str) -> i64 {
    let (s, b) = app.get(&format!("/api/v1/org-units/{unit}"), token).await;
    assert_eq!(s, 200, "{b}");
    b["version"].as_i64().expect("version")
}

/// Sets a demo unit's regions as admin, asserting success.
async fn cover(app: &TestApp, admin: &str, code: &str, regions: &[&str]) -> Value {
    let id = app.unit_id(code).await;
    let version = version_of(app, admin, &id).await;
    let (s, b) = app
        .send(
            "PUT",
            &format!("/api/v1/org-units/{id}/regions"),
            admin,
            Some(json!({"version": version, "regions": regions})),
        )
        .await;
    assert_eq!(s, 200, "{code}: {b}");
    b
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|r| r["code"].as_str().expect("code").to_owned())
        .collect()
}

/// (code, rank, match level, tied) of a covering answer.
fn ranking(b: &Value) -> Vec<(String, i64, String, bool)> {
    b["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["code"].as_str().expect("code").to_owned(),
                i["rank"].as_i64().expect("rank"),
                i["match_level"].as_str().expect("level").to_owned(),
                i["tied"].as_bool().expect("tied"),
            )
        })
        .collect()
}

fn rank(code: &str, rank: i64, level: &str, tied: bool) -> (String, i64, String, bool) {
    (code.into(), rank, level.into(), tied)
}

async fn a_units_regions_are_replaced_validated_and_audited(app: TestApp) {
    let admin = app.token("admin").await;
    let hp = app.unit_id("SY-HP").await;
    let v1 = version_of(&app, &admin, &hp).await;
    let path = format!("/api/v1/org-units/{hp}/regions");

    let (s, b) = app
        .send(
            "PUT",
            &path,
            &admin,
            Some(json!({"version": v1, "regions": ["210103", " 210102 ", "210102"]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        codes(&b["regions"]),
        vec!["210102", "210103"],
        "sorted, once"
    );
    assert_eq!(b["regions"][0]["full_name"], "辽宁省 沈阳市 和平区");
    assert_eq!(b["regions"][0]["level"], "district");
    assert_eq!(b["version"], v1 + 1, "the unit's version moves on");
    let (s, read) = app.get(&path, &admin).await;
    assert_eq!((s, &read), (200, &b));

    // A stale version changes nothing.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &admin,
            Some(json!({"version": v1, "regions": ["210000"]})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale_version")), "{b}");
    assert_eq!(b["current_version"], v1 + 1);

    // Well-formed but not in the table: a conflict with the reference data.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &admin,
            Some(json!({"version": v1 + 1, "regions": ["210102", "999999"]})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("conflict")), "{b}");
    assert_eq!(b["errors"][0]["field"], "regions[1]");
    assert_eq!(b["errors"][0]["code"], "unknown_region");

    // Malformed: invalid input.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &admin,
            Some(json!({"version": v1 + 1, "regions": ["21a102"]})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (422, Some("validation_failed")),
        "{b}"
    );
    assert_eq!(b["errors"][0]["code"], "invalid_region");
    assert_eq!(
        codes(&app.get(&path, &admin).await.1["regions"]),
        vec!["210102", "210103"]
    );

    // A warehouse serves no place.
    let wh = app.unit_id("WH").await;
    let wv = version_of(&app, &admin, &wh).await;
    let (s, b) = app
        .send(
            "PUT",
            &format!("/api/v1/org-units/{wh}/regions"),
            &admin,
            Some(json!({"version": wv, "regions": ["210100"]})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("kind_cannot_cover")),
        "{b}"
    );

    // Emptying the set is allowed, and every change is in the audit trail.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &admin,
            Some(json!({"version": v1 + 1, "regions": []})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["regions"].as_array().expect("regions").is_empty());
    let (s, audit) = app
        .get(
            &format!("/api/v1/audit?entity=org_unit&entity_id={hp}&action=set_regions"),
            &admin,
        )
        .await;
    assert_eq!(s, 200, "{audit}");
    let entries = audit["items"].as_array().expect("items");
    assert_eq!(entries.len(), 2, "{audit}");
    assert_eq!(entries[0]["before"]["regions"], json!(["210102", "210103"]));
    assert_eq!(entries[0]["after"]["regions"], json!([]));
    assert_eq!(entries[1]["before"]["regions"], json!([]));
    assert_eq!(entries[0]["actor_name"], "admin");

    // Only admins change coverage.
    let manager = app.token("manager").await;
    let (s, _) = app
        .send(
            "PUT",
            &path,
            &manager,
            Some(json!({"version": v1 + 2, "regions": []})),
        )
        .await;
    assert_eq!(s, 403);
}

async fn the_covering_query_ranks_district_over_city_over_province(app: TestApp) {
    let admin = app.token("admin").await;
    cover(&app, &admin, "HQ", &["210000"]).await;
    cover(&app, &admin, "SY", &["210100"]).await;
    cover(&app, &admin, "SY-HP", &["210102", "210103"]).await;
    cover(&app, &admin, "SY-TX", &["210106"]).await;
    // A second station on 和平区: allowed, and shown as an overlap on both.
    let hn = cover(&app, &admin, "SY-HN", &["210102", "210112"]).await;
    assert_eq!(hn["overlaps"][0]["code"], "SY-HP", "{hn}");
    assert_eq!(hn["overlaps"][0]["region"]["code"], "210102");
    let dispatcher = app.token("dispatcher").await;

    let (s, b) = app
        .get("/api/v1/org-units/covering?region=210102", &dispatcher)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["region"]["full_name"], "辽宁省 沈阳市 和平区");
    assert_eq!(
        ranking(&b),
        vec![
            rank("SY-HN", 1, "district", true),
            rank("SY-HP", 1, "district", true),
            rank("SY", 2, "city", false),
            rank("HQ", 3, "province", false),
        ]
    );
    assert_eq!(b["items"][2]["reason"]["code"], "covers_city");
    assert_eq!(b["items"][2]["matched_region"]["code"], "210100");
    assert!(
        b["items"][2]["reason"]["zh"]
            .as_str()
            .is_some_and(|z| z.contains("沈阳市") && z.contains("和平区")),
        "{b}"
    );

    // A district no station covers falls to the branch; another city to the center.
    let (_, b) = app
        .get("/api/v1/org-units/covering?region=210106", &dispatcher)
        .await;
    assert_eq!(
        ranking(&b),
        vec![
            rank("SY-TX", 1, "district", false),
            rank("SY", 2, "city", false),
            rank("HQ", 3, "province", false),
        ]
    );
    let (_, b) = app
        .get("/api/v1/org-units/covering?region=210202", &dispatcher)
        .await;
    assert_eq!(ranking(&b), vec![rank("HQ", 1, "province", false)]);
    let (_, b) = app
        .get("/api/v1/org-units/covering?region=110101", &dispatcher)
        .await;
    assert!(b["items"].as_array().expect("items").is_empty(), "{b}");

    // An inactive unit no longer answers, and the tie is gone.
    let hn_id = app.unit_id("SY-HN").await;
    let v = version_of(&app, &admin, &hn_id).await;
    let (s, _) = app
        .send(
            "PATCH",
            &format!("/api/v1/org-units/{hn_id}"),
            &admin,
            Some(json!({"version": v, "active": false})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, b) = app
        .get("/api/v1/org-units/covering?region=210102", &dispatcher)
        .await;
    assert_eq!(ranking(&b)[0], rank("SY-HP", 1, "district", false));
    assert_eq!(ranking(&b).len(), 3);
    let hp = app.unit_id("SY-HP").await;
    let (_, mine) = app
        .get(&format!("/api/v1/org-units/{hp}/regions"), &dispatcher)
        .await;
    assert!(
        mine["overlaps"].as_array().expect("overlaps").is_empty(),
        "{mine}"
    );

    // The place must be six digits, and a region of the table.
    let (s, b) = app
        .get("/api/v1/org-units/covering?region=21010", &dispatcher)
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (422, Some("invalid_region")),
        "{b}"
    );
    let (s, b) = app
        .get("/api/v1/org-units/covering?region=999999", &dispatcher)
        .await;
    assert_eq!((s, b["code"].as_str()), (404, Some("not_found")), "{b}");
    let (s, b) = app.get("/api/v1/regions?parent=210100", &dispatcher).await;
    assert_eq!(s, 200, "{b}");
    assert!(codes(&b["items"]).contains(&"210102".to_owned()));
    assert_eq!(
        app.get("/api/v1/regions?parent=999999", &dispatcher)
            .await
            .0,
        404
    );
    let (_, b) = app.get("/api/v1/regions?q=和平&limit=3", &dispatcher).await;
    assert_eq!(b["items"].as_array().expect("items").len(), 3, "{b}");
}

async fn a_partner_sees_only_its_own_part_of_the_ranking(app: TestApp) {
    let admin = app.token("admin").await;
    cover(&app, &admin, "SY", &["210100", "211200"]).await;
    cover(&app, &admin, "P-HT", &["211200", "150500"]).await;
    let partner = app.token("partner").await;
    let (s, b) = app
        .get("/api/v1/org-units/covering?region=211202", &partner)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ranking(&b), vec![rank("P-HT", 1, "city", false)]);
    let (_, all) = app
        .get("/api/v1/org-units/covering?region=211202", &admin)
        .await;
    assert_eq!(
        ranking(&all),
        vec![rank("P-HT", 1, "city", false), rank("SY", 2, "city", false)],
        "the partner is below the branch: closer to the field"
    );
    let (_, b) = app
        .get("/api/v1/org-units/covering?region=210102", &partner)
        .await;
    assert!(b["items"].as_array().expect("items").is_empty(), "{b}");
    let sy = app.unit_id("SY").await;
    let (s, _) = app
        .get(&format!("/api/v1/org-units/{sy}/regions"), &partner)
        .await;
    assert_eq!(s, 404, "another unit's coverage is not even seen");
    // The partner's city of another province.
    let (_, b) = app
        .get("/api/v1/org-units/covering?region=150502", &admin)
        .await;
    assert_eq!(ranking(&b), vec![rank("P-HT", 1, "city", false)]);
}

async fn add_cert(app: &TestApp, token: &str, user: &str, body: Value) -> (u16, Value) {
    app.send(
        "POST",
        &format!("/api/v1/users/{user}/certifications"),
        token,
        Some(body),
    )
    .await
}

async fn a_certification_is_added_changed_and_removed_with_its_history(app: TestApp) {
    let admin = app.token("admin").await;
    let engineer = app.user_id("engineer").await;
    let base = format!("/api/v1/users/{engineer}/certifications");
    let (s, c) = add_cert(
        &app,
        &admin,
        &engineer,
        json!({"product_line": "空调", "level": "certified", "number": "KT-2025-0001",
            "issued_on": "2025-01-01", "expires_on": day(10), "issuer": "厂家培训中心"}),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["valid_today"], true);
    assert_eq!(c["expiry"], "soon");
    assert_eq!(c["days_left"], 10);
    assert_eq!(c["username"], "engineer");
    assert_eq!(
        c["product_line_known"], false,
        "no product model says 空调 yet"
    );
    let id = c["id"].as_str().expect("id").to_owned();

    // A product model of that line makes it known.
    app.send(
        "POST",
        "/api/v1/warranty-policies",
        &admin,
        Some(json!({"code": "STD12", "name": "一年保修", "version": {
        "effective_from": "2020-01-01", "months": 12, "start_basis": "sale_date",
        "in_warranty": {"parts": "free", "labor": "free", "travel": "free"},
        "exclusion_charge": "cost_price"}})),
    )
    .await;
    let (s, _) = app
        .send("POST", "/api/v1/products", &admin, Some(json!({"code": "KT-2P", "name": "2匹空调", "product_line": "空调", "policy_code": "STD12"})))
        .await;
    assert_eq!(s, 201);
    let (_, list) = app.get(&base, &admin).await;
    assert_eq!(list["items"][0]["product_line_known"], true, "{list}");

    // One current record per product line.
    let (s, b) = add_cert(
        &app,
        &admin,
        &engineer,
        json!({"product_line": "空调", "level": "trainee", "issued_on": "2026-01-05"}),
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("certification_exists")),
        "{b}"
    );

    // Renewal is an edit; a stale version is refused.
    let item = format!("{base}/{id}");
    let (s, b) = app
        .send(
            "PATCH",
            &item,
            &admin,
            Some(json!({"version": 1, "expires_on": day(400), "level": "senior", "number": ""})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (b["version"].as_i64(), b["expiry"].as_str()),
        (Some(2), Some("valid"))
    );
    assert_eq!(b["level"], "senior");
    assert_eq!(b["number"], Value::Null, "an empty string clears it");
    let (s, b) = app
        .send(
            "PATCH",
            &item,
            &admin,
            Some(json!({"version": 1, "issuer": "别人"})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale_version")), "{b}");
    assert_eq!(b["current_version"], 2);

    // Removal keeps the record, marked, and a stale removal changes nothing.
    let (s, _) = app
        .send("DELETE", &format!("{item}?version=1"), &admin, None)
        .await;
    assert_eq!(s, 409);
    let (s, b) = app
        .send("DELETE", &format!("{item}?version=2"), &admin, None)
        .await;
    assert_eq!(s, 204, "{b}");
    let (_, list) = app.get(&base, &admin).await;
    assert!(
        list["items"].as_array().expect("items").is_empty(),
        "{list}"
    );
    let (_, all) = app
        .get(&format!("{base}?include_removed=true"), &admin)
        .await;
    assert_eq!(all["items"][0]["id"], id.as_str());
    assert_eq!(all["items"][0]["removed_by"], "admin");
    assert_eq!(all["items"][0]["valid_today"], false);
    let (s, b) = app
        .send(
            "PATCH",
            &item,
            &admin,
            Some(json!({"version": 3, "issuer": "x"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("certification_removed")),
        "{b}"
    );
    let (s, _) = app.send("DELETE", &item, &admin, None).await;
    assert_eq!(s, 409, "removed once");

    // Nothing was lost: the audit trail has every step with the values before and after.
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=certification&entity_id={id}"),
            &admin,
        )
        .await;
    let steps: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["action"].as_str().expect("action"))
        .collect();
    assert_eq!(steps, vec!["remove", "update", "create"], "{audit}");
    assert_eq!(audit["items"][1]["before"]["number"], "KT-2025-0001");
    assert_eq!(audit["items"][1]["before"]["level"], "certified");
    assert_eq!(audit["items"][1]["after"]["level"], "senior");
    assert_eq!(audit["items"][0]["after"]["removed_by"], "admin");

    // The line is free again for a new record.
    let (s, b) = add_cert(
        &app,
        &admin,
        &engineer,
        json!({"product_line": "空调", "level": "trainee", "issued_on": "2026-01-05"}),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        (b["valid_today"].as_bool(), b["expiry"].as_str()),
        (Some(false), Some("never"))
    );
}

async fn certification_input_is_checked_field_by_field(app: TestApp) {
    let admin = app.token("admin").await;
    let engineer = app.user_id("engineer").await;
    let (s, b) = add_cert(
        &app,
        &admin,
        &engineer,
        json!({"product_line": " ", "level": "guru", "issued_on": "2026-13-01"}),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    let mut fields: Vec<(String, String)> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().expect("field").to_owned(),
                e["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("issued_on".into(), "invalid_date".into()),
            ("level".into(), "invalid_choice".into()),
            ("product_line".into(), "required".into()),
        ]
    );
    // Every record has the day it stands from (issue, or the start of training).
    let (s, b) = add_cert(
        &app,
        &admin,
        &engineer,
        json!({"product_line": "电梯", "level": "trainee"}),
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str()),
        (422, Some("issued_on")),
        "{b}"
    );
    // Contradicting dates conflict.
    let (s, b) = add_cert(
        &app,
        &admin,
        &engineer,
        json!({"product_line": "电梯", "level": "certified", "issued_on": "2026-02-01", "expires_on": "2026-01-31"}),
    )
    .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("expires_before_issued")),
        "{b}"
    );
    // Only engineers and partner technicians hold certifications.
    let agent = app.user_id("agent").await;
    let (s, b) = add_cert(
        &app,
        &admin,
        &agent,
        json!({"product_line": "电梯", "level": "trainee", "issued_on": "2026-01-05"}),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("not_a_technician")),
        "{b}"
    );
    // English details for English clients.
    let r = app
        .http
        .post(app.url(&format!("/api/v1/users/{agent}/certifications")))
        .bearer_auth(&admin)
        .header("accept-language", "en")
        .json(&json!({"product_line": "电梯", "level": "trainee", "issued_on": "2026-01-05"}))
        .send()
        .await
        .expect("request");
    let b: Value = r.json().await.expect("json");
    assert!(
        b["detail"].as_str().is_some_and(|d| d.contains("engineer")),
        "{b}"
    );
}

/// Creates an account as admin and returns its id.
async fn new_user(app: &TestApp, admin: &str, username: &str, role: &str, unit: &str) -> String {
    let unit_id = app.unit_id(unit).await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/users",
            admin,
            Some(
                json!({"username": username, "display_name": username, "role": role,
                "org_unit_id": unit_id, "password": crate::helpers::DEMO_PASSWORD}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_str().expect("id").to_owned()
}

fn lines(b: &Value) -> Vec<(String, String)> {
    b["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            (
                c["username"].as_str().expect("username").to_owned(),
                c["product_line"].as_str().expect("line").to_owned(),
            )
        })
        .collect()
}

fn pair(u: &str, l: &str) -> (String, String) {
    (u.into(), l.into())
}

async fn the_expiring_list_shows_what_ends_soon_in_the_callers_scope(app: TestApp) {
    let admin = app.token("admin").await;
    let engineer = app.user_id("engineer").await;
    let partner = app.user_id("partner").await;
    let dl = new_user(&app, &admin, "dl.engineer", "engineer", "DL-ZS").await;
    for (user, line, last) in [
        (&engineer, "空调", day(5)),
        (&engineer, "电梯", day(60)),
        (&engineer, "水处理设备", day(-1)),
        (&partner, "空调", day(20)),
        (&dl, "空调", day(3)),
    ] {
        let (s, b) = add_cert(
            &app,
            &admin,
            user,
            json!({"product_line": line, "level": "certified", "issued_on": "2024-01-01", "expires_on": last}),
        )
        .await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, _) = add_cert(
        &app,
        &admin,
        &engineer,
        json!({"product_line": "数控机床", "level": "senior", "issued_on": "2024-01-01"}),
    )
    .await;
    assert_eq!(s, 201);

    let manager = app.token("manager").await;
    let (s, b) = app
        .get("/api/v1/certifications?expiring_within_days=30", &manager)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        lines(&b),
        vec![pair("engineer", "空调"), pair("partner", "空调")],
        "the 沈阳 subtree only, soonest first"
    );
    assert_eq!(b["items"][0]["days_left"], 5);
    let (_, b) = app
        .get(
            "/api/v1/certifications?expiring_within_days=30&include_expired=true",
            &manager,
        )
        .await;
    assert_eq!(lines(&b)[0], pair("engineer", "水处理设备"));
    assert_eq!(b["items"][0]["expiry"], "expired");

    let (_, b) = app
        .get("/api/v1/certifications?expiring_within_days=30", &admin)
        .await;
    assert_eq!(
        lines(&b),
        vec![
            pair("dl.engineer", "空调"),
            pair("engineer", "空调"),
            pair("partner", "空调")
        ]
    );
    // Without the filter: every current record, those without an expiry last; paged.
    let dispatcher = app.token("dispatcher").await;
    let (_, p1) = app.get("/api/v1/certifications?limit=4", &dispatcher).await;
    let cursor = p1["next_cursor"].as_str().expect("more").to_owned();
    let (_, p2) = app
        .get(
            &format!("/api/v1/certifications?limit=4&cursor={cursor}"),
            &dispatcher,
        )
        .await;
    let mut all = lines(&p1);
    all.extend(lines(&p2));
    assert_eq!(all.len(), 6, "{p1} {p2}");
    assert_eq!(all[0], pair("engineer", "水处理设备"));
    assert_eq!(all[5], pair("engineer", "数控机床"));
    assert_eq!(p2["next_cursor"], Value::Null);

    // An engineer's list is their own.
    let me = app.token("engineer").await;
    let (_, b) = app
        .get("/api/v1/certifications?expiring_within_days=3650", &me)
        .await;
    assert!(lines(&b).iter().all(|(u, _)| u == "engineer"), "{b}");
    assert_eq!(lines(&b).len(), 2);
    let (_, b) = app
        .get(&format!("/api/v1/certifications?user_id={dl}"), &me)
        .await;
    assert!(lines(&b).is_empty(), "{b}");

    let (s, b) = app
        .get("/api/v1/certifications?expiring_within_days=3651", &manager)
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (422, Some("out_of_range"))
    );
}

async fn certifications_follow_role_and_organization_scope(app: TestApp) {
    let admin = app.token("admin").await;
    let engineer = app.user_id("engineer").await;
    let partner = app.user_id("partner").await;
    let dl_manager_id = new_user(&app, &admin, "dl.manager", "manager", "DL").await;
    assert!(!dl_manager_id.is_empty());
    let body = json!({"product_line": "空调", "level": "certified", "issued_on": "2025-06-01", "expires_on": day(100)});

    // The 沈阳 manager keeps the records of the branch's engineer and partner technician.
    let manager = app.token("manager").await;
    let (s, b) = add_cert(&app, &manager, &engineer, body.clone()).await;
    assert_eq!(s, 201, "{b}");
    let cert = b["id"].as_str().expect("id").to_owned();
    let (s, b) = add_cert(&app, &manager, &partner, body.clone()).await;
    assert_eq!(s, 201, "{b}");

    // A manager of another subtree does not even see them.
    let other = app.token("dl.manager").await;
    let path = format!("/api/v1/users/{engineer}/certifications");
    assert_eq!(app.get(&path, &other).await.0, 404);
    assert_eq!(add_cert(&app, &other, &engineer, body.clone()).await.0, 404);
    let (s, _) = app
        .send(
            "PATCH",
            &format!("{path}/{cert}"),
            &other,
            Some(json!({"version": 1, "issuer": "x"})),
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        app.send("DELETE", &format!("{path}/{cert}"), &other, None)
            .await
            .0,
        404
    );
    let (_, b) = app.get("/api/v1/certifications", &other).await;
    assert!(lines(&b).is_empty(), "{b}");

    // An agent neither reads nor keeps certifications.
    let agent = app.token("agent").await;
    assert_eq!(app.get(&path, &agent).await.0, 403);
    let (s, b) = add_cert(&app, &agent, &engineer, body.clone()).await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")));

    // The engineer reads their own, and nobody else's, and changes nothing.
    let me = app.token("engineer").await;
    let (s, b) = app.get(&path, &me).await;
    assert_eq!(s, 200);
    assert_eq!(lines(&b), vec![pair("engineer", "空调")]);
    assert_eq!(
        app.get(&format!("/api/v1/users/{partner}/certifications"), &me)
            .await
            .0,
        404
    );
    let (s, _) = app
        .send(
            "PATCH",
            &format!("{path}/{cert}"),
            &me,
            Some(json!({"version": 1, "expires_on": "2099-12-31"})),
        )
        .await;
    assert_eq!(s, 403);

    // The partner reads its own unit's technicians only.
    let p = app.token("partner").await;
    assert_eq!(
        app.get(&format!("/api/v1/users/{partner}/certifications"), &p)
            .await
            .0,
        200
    );
    assert_eq!(app.get(&path, &p).await.0, 404);
    assert_eq!(add_cert(&app, &p, &partner, body.clone()).await.0, 403);

    // A record is reached only through its holder.
    let (s, _) = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{partner}/certifications/{cert}"),
            &admin,
            Some(json!({"version": 1, "issuer": "x"})),
        )
        .await;
    assert_eq!(s, 404);
}

async fn the_pages_change_coverage_and_certifications_within_the_same_rules(app: TestApp) {
    use crate::web::Browser;
    let hp = app.unit_id("SY-HP").await;
    let admin = Browser::new(&app, "zh-CN");
    admin.login("admin").await;
    let page = format!("/org-units/{hp}");
    let csrf = admin.csrf(&page).await;
    let version = version_of(&app, &app.token("admin").await, &hp)
        .await
        .to_string();
    // The most specific choice of the selects wins.
    let (s, _, location) = admin
        .post(
            &format!("{page}/regions/add"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("province", "210000"),
                ("city", "210100"),
                ("district", "210102"),
                ("region", ""),
            ],
        )
        .await;
    assert_eq!(
        (s, location.as_deref()),
        (303, Some(format!("{page}?saved=1").as_str()))
    );
    let (_, html, _) = admin.get(&page).await;
    assert!(html.contains("辽宁省 沈阳市 和平区"), "{html}");
    // A stale form says so and changes nothing.
    let (s, html, _) = admin
        .post(
            &format!("{page}/regions/add"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("region", "210103"),
            ],
        )
        .await;
    assert_eq!(s, 409);
    assert!(html.contains("该记录已被他人修改"), "{html}");
    assert!(!html.contains("data-code=\"210103\""), "{html}");

    // The manager of another subtree does not see the engineer's certifications page.
    let token = app.token("admin").await;
    new_user(&app, &token, "dl.manager", "manager", "DL").await;
    let engineer = app.user_id("engineer").await;
    let certs = format!("/users/{engineer}/certifications");
    let other = Browser::new(&app, "zh-CN");
    other.login("dl.manager").await;
    assert_eq!(other.get(&certs).await.0, 404);

    // The engineer reads their own page, without forms to change it.
    let me = Browser::new(&app, "en");
    me.login("engineer").await;
    let (s, html, _) = me.get(&certs).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("Certifications: ") && !html.contains("id=\"add-cert\""),
        "{html}"
    );

    // The 沈阳 manager adds one; a contradicting date comes back beside the field.
    let manager = Browser::new(&app, "zh-CN");
    manager.login("manager").await;
    let csrf = manager.csrf(&certs).await;
    let (s, html, _) = manager
        .post(
            &certs,
            &[
                ("_csrf", &csrf),
                ("product_line", "空调"),
                ("level", "certified"),
                ("issued_on", "2026-02-01"),
                ("expires_on", "2026-01-01"),
            ],
        )
        .await;
    assert_eq!(s, 409);
    assert!(html.contains("有效期至不能早于发证日期"), "{html}");
    let last = day(3);
    let (s, _, location) = manager
        .post(
            &certs,
            &[
                ("_csrf", &csrf),
                ("product_line", "空调"),
                ("level", "certified"),
                ("issued_on", "2025-02-01"),
                ("expires_on", &last),
                ("number", "KT-1"),
            ],
        )
        .await;
    assert_eq!(
        (s, location.as_deref()),
        (303, Some(format!("{certs}?added=1").as_str()))
    );
    let (_, html, _) = me.get(&certs).await;
    assert!(
        html.contains("Expires in 3 days") && html.contains("KT-1"),
        "{html}"
    );
    let (_, html, _) = manager.get("/certifications").await;
    assert!(html.contains("3 天后到期"), "{html}");

    // A record without expiry is not on the managers' 30-day list, but an engineer's own
    // list shows all of their records.
    let (s, _) = add_cert(
        &app,
        &token,
        &engineer,
        json!({"product_line": "电梯", "level": "trainee", "issued_on": "2026-01-05"}),
    )
    .await;
    assert_eq!(s, 201);
    let (_, html, _) = manager.get("/certifications").await;
    assert!(!html.contains("电梯"), "{html}");
    let (_, html, _) = me.get("/certifications").await;
    assert!(
        html.contains("电梯") && html.contains("Does not expire"),
        "{html}"
    );
}
