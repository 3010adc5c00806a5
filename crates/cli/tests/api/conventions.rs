//! The API conventions every endpoint follows: problem+json with stable codes, optimistic
//! concurrency, idempotent creation, cursor pagination, request ids, health and metrics.

use crate::both;
use crate::helpers::{TestApp, split};
use serde_json::{Value, json};
use std::collections::BTreeSet;

both!(
    a_stale_update_is_a_409_with_the_current_version,
    a_repeated_create_with_the_same_idempotency_key_makes_one_record,
    an_idempotency_key_reused_for_another_request_is_refused,
    lists_page_through_every_record_once_with_a_cursor,
    bad_input_is_a_422_listing_each_field_in_the_callers_language,
    malformed_and_non_json_bodies_are_problems_not_crashes,
    unknown_paths_and_methods_answer_problem_json,
    request_ids_are_echoed_or_made,
    health_readiness_and_metrics_answer,
);

async fn a_stale_update_is_a_409_with_the_current_version(app: TestApp) {
    let admin = app.token("admin").await;
    let id = app.unit_id("DL-JZ").await;
    let (_, unit) = app.get(&format!("/api/v1/org-units/{id}"), &admin).await;
    let v = unit["version"].as_i64().expect("version");
    let (status, first) = app
        .send(
            "PATCH",
            &format!("/api/v1/org-units/{id}"),
            &admin,
            Some(json!({"version": v, "name": "大连金州新区服务站"})),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["version"], v + 1);
    // A second editor still holds the old version.
    let (status, body) = app
        .send(
            "PATCH",
            &format!("/api/v1/org-units/{id}"),
            &admin,
            Some(json!({"version": v, "name": "覆盖"})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "stale_version");
    assert_eq!(body["current_version"], v + 1);
    let (_, now) = app.get(&format!("/api/v1/org-units/{id}"), &admin).await;
    assert_eq!(
        now["name"], "大连金州新区服务站",
        "the stale write changed nothing"
    );

    // The same for users.
    let uid = app.user_id("agent").await;
    let (_, u) = app.get(&format!("/api/v1/users/{uid}"), &admin).await;
    let uv = u["version"].as_i64().expect("version");
    let (s1, _) = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{uid}"),
            &admin,
            Some(json!({"version": uv, "display_name": "王丽"})),
        )
        .await;
    let (s2, b2) = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{uid}"),
            &admin,
            Some(json!({"version": uv, "display_name": "王"})),
        )
        .await;
    assert_eq!(
        (s1, s2, b2["code"].as_str()),
        (200, 409, Some("stale_version"))
    );
}

async fn post_with_key(app: &TestApp, token: &str, key: &str, body: &Value) -> (u16, Value) {
    let r = app
        .http
        .post(app.url("/api/v1/org-units"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("request");
    split(r).await
}

async fn a_repeated_create_with_the_same_idempotency_key_makes_one_record(app: TestApp) {
    let admin = app.token("admin").await;
    let body = json!({"parent_id": app.unit_id("AS").await, "kind": "station", "code": "AS-LS", "name": "鞍山立山服务站"});
    let key = uuid::Uuid::new_v4().to_string();
    let (s1, first) = post_with_key(&app, &admin, &key, &body).await;
    let (s2, second) = post_with_key(&app, &admin, &key, &body).await;
    assert_eq!((s1, s2), (201, 201), "{first} {second}");
    assert_eq!(first, second, "the repeat returns the first result");
    // Concurrent repeats too.
    let key2 = uuid::Uuid::new_v4().to_string();
    let body2 = json!({"parent_id": app.unit_id("AS").await, "kind": "station", "code": "AS-QS", "name": "鞍山千山服务站"});
    let (a, b, c) = tokio::join!(
        post_with_key(&app, &admin, &key2, &body2),
        post_with_key(&app, &admin, &key2, &body2),
        post_with_key(&app, &admin, &key2, &body2)
    );
    for (s, v) in [&a, &b, &c] {
        assert!(
            *s == 201 || (*s == 409 && v["code"] == "idempotency_key_in_use"),
            "{s} {v}"
        );
    }
    let (_, list) = app.get("/api/v1/org-units?limit=200", &admin).await;
    let codes: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| o["code"].as_str())
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == "AS-LS").count(), 1);
    assert_eq!(codes.iter().filter(|c| **c == "AS-QS").count(), 1);
    // Without a key, a second identical create is a new attempt (and here a duplicate code).
    let (s3, b3) = app
        .send("POST", "/api/v1/org-units", &admin, Some(body))
        .await;
    assert_eq!(
        (s3, b3["errors"][0]["code"].as_str()),
        (409, Some("code_taken"))
    );
}

async fn an_idempotency_key_reused_for_another_request_is_refused(app: TestApp) {
    let admin = app.token("admin").await;
    let parent = app.unit_id("PJ").await;
    let key = "order-2026-0001";
    let (s1, _) = post_with_key(
        &app,
        &admin,
        key,
        &json!({"parent_id": parent, "kind": "station", "code": "PJ-DW", "name": "盘锦大洼服务站"}),
    )
    .await;
    let (s2, b2) = post_with_key(&app, &admin, key, &json!({"parent_id": parent, "kind": "station", "code": "PJ-SS", "name": "盘锦双台子服务站"})).await;
    assert_eq!(
        (s1, s2, b2["code"].as_str()),
        (201, 409, Some("idempotency_key_reused"))
    );
    // Keys belong to their user: another admin may use the same key.
    let (s, _) = app
        .send("POST", "/api/v1/users", &admin, Some(json!({"username": "admin2", "display_name": "第二管理员", "role": "admin", "password": "second-admin-pw"})))
        .await;
    assert_eq!(s, 201);
    let other = app.token_with("admin2", "second-admin-pw").await;
    let (s3, b3) = post_with_key(&app, &other, key, &json!({"parent_id": parent, "kind": "station", "code": "PJ-SS", "name": "盘锦双台子服务站"})).await;
    assert_eq!(s3, 201, "{b3}");
}

async fn lists_page_through_every_record_once_with_a_cursor(app: TestApp) {
    let admin = app.token("admin").await;
    let parent = app.unit_id("YK").await;
    for i in 0..7 {
        let (s, b) = app
            .send("POST", "/api/v1/org-units", &admin, Some(json!({"parent_id": parent, "kind": "station", "code": format!("YK-T{i}"), "name": format!("测试站{i}")})))
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/org-units?limit=4&cursor={c}"),
            None => "/api/v1/org-units?limit=4".to_owned(),
        };
        let (status, page) = app.get(&path, &admin).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 4);
        seen.extend(
            items
                .iter()
                .map(|o| o["code"].as_str().expect("code").to_owned()),
        );
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no record twice");
    assert_eq!(seen.len(), 17 + 7, "every unit once");
    assert_eq!(pages, 6);
    let (status, body) = app.get("/api/v1/org-units?limit=0", &admin).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("limit"))
    );
    let (status, body) = app.get("/api/v1/org-units?cursor=%%%", &admin).await;
    assert!(status == 400 || status == 422, "{status} {body}");
}

async fn bad_input_is_a_422_listing_each_field_in_the_callers_language(app: TestApp) {
    let admin = app.token("admin").await;
    let bad = json!({"username": "AB", "display_name": "", "role": "boss", "password": "short"});
    for (lang, msg) in [
        ("en", "At least 3 characters."),
        ("zh-CN", "至少 3 个字符。"),
    ] {
        let r = app
            .http
            .post(app.url("/api/v1/users"))
            .bearer_auth(&admin)
            .header("accept-language", lang)
            .json(&bad)
            .send()
            .await
            .expect("request");
        let (status, body) = split(r).await;
        assert_eq!(status, 422);
        assert_eq!(body["code"], "validation_failed");
        let fields: BTreeSet<&str> = body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(
            fields,
            BTreeSet::from(["username", "display_name", "role", "password"])
        );
        assert_eq!(body["errors"][0]["message"], msg);
    }
    let (_, list) = app.get("/api/v1/users?q=ab", &admin).await;
    assert!(
        list["items"].as_array().expect("items").is_empty(),
        "nothing half-written"
    );
}

async fn malformed_and_non_json_bodies_are_problems_not_crashes(app: TestApp) {
    let admin = app.token("admin").await;
    let r = app
        .http
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .expect("request");
    let (s, b) = split(r).await;
    assert_eq!((s, b["code"].as_str()), (400, Some("malformed_json")));
    let r = app
        .http
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .body("username=x")
        .send()
        .await
        .expect("request");
    let (s, b) = split(r).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/users",
            &admin,
            Some(json!({"username": 5})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (422, Some("invalid_body")));
}

async fn unknown_paths_and_methods_answer_problem_json(app: TestApp) {
    let admin = app.token("admin").await;
    let r = app
        .http
        .get(app.url("/api/v1/nothing-here"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = app
        .http
        .put(app.url("/api/v1/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 405);
    assert!(
        r.headers()["allow"]
            .to_str()
            .expect("ascii")
            .contains("GET")
    );
    let (_, b) = split(r).await;
    assert_eq!(b["code"], "method_not_allowed");
    let (s, b) = app.get("/api/v1/users/not-a-uuid", &admin).await;
    assert_eq!((s, b["code"].as_str()), (404, Some("not_found")));
}

async fn request_ids_are_echoed_or_made(app: TestApp) {
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "call-123")
        .send()
        .await
        .expect("request");
    assert_eq!(r.headers()["x-request-id"], "call-123");
    let r = app
        .http
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("request");
    let id = r.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let (_, body) = split(r).await;
    assert_eq!(
        body["request_id"], id,
        "the problem names the request id that the logs carry"
    );
}

async fn health_readiness_and_metrics_answer(app: TestApp) {
    for p in ["/healthz", "/readyz"] {
        assert_eq!(
            app.http
                .get(app.url(p))
                .send()
                .await
                .expect("request")
                .status(),
            200,
            "{p}"
        );
    }
    let admin = app.token("admin").await;
    app.get("/api/v1/me", &admin).await;
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"}"),
        "{text}"
    );
    assert!(text.contains(
        "http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/auth/login\""
    ));
}
