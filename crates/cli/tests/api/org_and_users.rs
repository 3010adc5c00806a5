//! Organization scope and account rules.

use crate::both;
use crate::helpers::TestApp;
use serde_json::json;

both!(
    a_manager_sees_only_the_users_of_their_own_subtree,
    a_partner_sees_only_its_own_unit,
    the_last_admin_cannot_be_disabled_or_demoted,
    role_and_unit_must_fit_together,
    a_reset_password_ends_the_users_sessions,
);

async fn a_manager_sees_only_the_users_of_their_own_subtree(app: TestApp) {
    // The demo manager belongs to the 沈阳 branch; the engineer to a station below it.
    let manager = app.token("manager").await;
    let (s, page) = app.get("/api/v1/users", &manager).await;
    assert_eq!(s, 200);
    let names: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["engineer", "manager", "partner"],
        "own branch, its stations and its partner only"
    );
    let outside = app.user_id("agent").await;
    let (s, b) = app.get(&format!("/api/v1/users/{outside}"), &manager).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (404, Some("not_found")),
        "outside the scope is not even seen"
    );
    let inside = app.user_id("engineer").await;
    assert_eq!(
        app.get(&format!("/api/v1/users/{inside}"), &manager)
            .await
            .0,
        200
    );
}

async fn a_partner_sees_only_its_own_unit(app: TestApp) {
    let partner = app.token("partner").await;
    let (s, page) = app.get("/api/v1/org-units", &partner).await;
    assert_eq!(s, 200);
    let codes: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| o["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["P-HT"]);
    let hq = app.unit_id("HQ").await;
    assert_eq!(
        app.get(&format!("/api/v1/org-units/{hq}"), &partner)
            .await
            .0,
        404
    );
    let agent = app.token("agent").await;
    let (_, all) = app.get("/api/v1/org-units?limit=200", &agent).await;
    assert_eq!(all["items"].as_array().expect("items").len(), 17);
}

async fn the_last_admin_cannot_be_disabled_or_demoted(app: TestApp) {
    let admin = app.token("admin").await;
    let me = app.user_id("admin").await;
    let (s, b) = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{me}"),
            &admin,
            Some(json!({"version": 1, "disabled": true})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("cannot_demote_self")));
    // A second admin may not remove the only other one once it is the last.
    let (s, _) = app
        .send("POST", "/api/v1/users", &admin, Some(json!({"username": "root2", "display_name": "备用管理员", "role": "admin", "password": "root2-password"})))
        .await;
    assert_eq!(s, 201);
    let other = app.token_with("root2", "root2-password").await;
    let (_, a) = app.get(&format!("/api/v1/users/{me}"), &other).await;
    let (s, _) = app.send("PATCH", &format!("/api/v1/users/{me}"), &other, Some(json!({"version": a["version"], "role": "agent", "org_unit_id": app.unit_id("HQ").await}))).await;
    assert_eq!(s, 200, "two admins: one may be demoted");
    let root2 = app.user_id("root2").await;
    let (_, r2) = app.get(&format!("/api/v1/users/{root2}"), &other).await;
    let (s, b) = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{root2}"),
            &other,
            Some(json!({"version": r2["version"], "disabled": true})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("cannot_demote_self")));
}

async fn role_and_unit_must_fit_together(app: TestApp) {
    let admin = app.token("admin").await;
    let (s, b) = app
        .send("POST", "/api/v1/users", &admin, Some(json!({"username": "partner2", "display_name": "服务商二", "role": "partner", "org_unit_id": app.unit_id("SY").await, "password": "partner2-pass-2026"})))
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("partner_needs_partner_unit"))
    );
    let (s, b) = app
        .send("POST", "/api/v1/users", &admin, Some(json!({"username": "customer2", "display_name": "客户二", "role": "customer", "org_unit_id": app.unit_id("SY").await, "password": "customer2-pass-2026"})))
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("customer_without_unit"))
    );
    let (s, b) = app
        .send("POST", "/api/v1/users", &admin, Some(json!({"username": "agent", "display_name": "重名", "role": "agent", "password": "agent-again-1"})))
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("username_taken"))
    );
}

async fn a_reset_password_ends_the_users_sessions(app: TestApp) {
    let agent = app.token("agent").await;
    let admin = app.token("admin").await;
    let id = app.user_id("agent").await;
    let (s, _) = app
        .send(
            "POST",
            &format!("/api/v1/users/{id}/password"),
            &admin,
            Some(json!({"password": "fresh-password-1"})),
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(app.get("/api/v1/me", &agent).await.0, 401);
    app.token_with("agent", "fresh-password-1").await;
}
