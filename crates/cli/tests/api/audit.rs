//! The audit trail (R-REC-1): every write leaves a row with actor, time, entity, action and
//! before/after; the rows cannot be changed, by the code or by hand.

use crate::both;
use crate::helpers::TestApp;
use serde_json::json;

both!(
    every_write_records_who_did_what_with_before_and_after,
    audit_rows_cannot_be_updated_or_deleted_even_with_sql,
    a_failed_write_leaves_no_audit_row_and_no_record,
);

async fn every_write_records_who_did_what_with_before_and_after(app: TestApp) {
    let admin = app.token("admin").await;
    let (s, created) = app
        .send("POST", "/api/v1/users", &admin, Some(json!({"username": "li.na", "display_name": "李娜", "role": "agent", "org_unit_id": app.unit_id("HQ").await, "password": "li-na-password"})))
        .await;
    assert_eq!(s, 201);
    let id = created["id"].as_str().expect("id");
    let (s, _) = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            &admin,
            Some(json!({"version": 1, "role": "dispatcher"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, page) = app
        .get(&format!("/api/v1/audit?entity=user&entity_id={id}"), &admin)
        .await;
    assert_eq!(s, 200);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{page}");
    let (update, create) = (&items[0], &items[1]);
    assert_eq!(update["action"], "update");
    assert_eq!(update["actor_name"], "admin");
    assert_eq!(update["before"]["role"], "agent");
    assert_eq!(update["after"]["role"], "dispatcher");
    assert!(update["request_id"].is_string());
    assert_eq!(create["action"], "create");
    assert!(create["before"].is_null());
    assert_eq!(create["after"]["username"], "li.na");
    assert!(
        !create["after"].to_string().contains("argon2"),
        "no password hash in the trail"
    );
    // Filters: by actor and action.
    let (_, logins) = app
        .get("/api/v1/audit?action=login&actor=admin", &admin)
        .await;
    assert!(!logins["items"].as_array().expect("items").is_empty());
    assert!(
        logins["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|a| a["action"] == "login" && a["actor_name"] == "admin")
    );
}

async fn audit_rows_cannot_be_updated_or_deleted_even_with_sql(app: TestApp) {
    let before = app
        .raw_execute("SELECT 1 FROM audit_log")
        .await
        .expect("select");
    let _ = before;
    let upd = app
        .raw_execute("UPDATE audit_log SET action = 'forged'")
        .await;
    assert!(upd.is_err(), "UPDATE must be refused on {}", app.backend);
    let del = app.raw_execute("DELETE FROM audit_log").await;
    assert!(del.is_err(), "DELETE must be refused on {}", app.backend);
    let admin = app.token("admin").await;
    let (_, page) = app.get("/api/v1/audit?action=forged", &admin).await;
    assert!(page["items"].as_array().expect("items").is_empty());
    let (_, page) = app.get("/api/v1/audit?limit=5", &admin).await;
    assert_eq!(
        page["items"].as_array().expect("items").len(),
        5,
        "history is still there"
    );
}

async fn a_failed_write_leaves_no_audit_row_and_no_record(app: TestApp) {
    let admin = app.token("admin").await;
    let (_, before) = app
        .get("/api/v1/audit?entity=org_unit&limit=200", &admin)
        .await;
    let n = before["items"].as_array().expect("items").len();
    // A station under a station is refused by the tree rules, after validation passed.
    let (s, b) = app
        .send("POST", "/api/v1/org-units", &admin, Some(json!({"parent_id": app.unit_id("SY-HP").await, "kind": "station", "code": "SY-X", "name": "错误"})))
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("not_allowed_under_parent"))
    );
    let (_, after) = app
        .get("/api/v1/audit?entity=org_unit&limit=200", &admin)
        .await;
    assert_eq!(after["items"].as_array().expect("items").len(), n);
    assert!(
        app.app
            .find_org_unit_by_code("SY-X")
            .await
            .expect("lookup")
            .is_none()
    );
}
