//! Signing in, bearer tokens, personal tokens, throttling.

use crate::both;
use crate::helpers::{TestApp, split};
use serde_json::json;

both!(
    me_without_a_token_is_a_401_problem_with_a_code,
    me_with_a_login_token_returns_the_caller,
    a_wrong_password_is_a_401_in_the_callers_language,
    repeated_failed_logins_are_throttled_even_for_the_right_password,
    a_personal_token_works_until_it_is_revoked,
    logout_ends_the_login_token,
    disabling_a_user_ends_their_tokens_at_once,
    changing_ones_password_needs_the_current_one,
);

async fn me_without_a_token_is_a_401_problem_with_a_code(app: TestApp) {
    let r = app
        .http
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers().contains_key("x-request-id"));
    let (_, body) = split(r).await;
    assert_eq!(body["code"], "unauthenticated");
    assert_eq!(body["status"], 401);
    assert_eq!(body["detail"], "请先登录，或令牌已失效。");

    let (status, body) = app.get("/api/v1/me", "ast_not-a-real-token").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
}

async fn me_with_a_login_token_returns_the_caller(app: TestApp) {
    let token = app.token("engineer").await;
    assert!(token.starts_with("ast_"));
    let (status, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "engineer");
    assert_eq!(me["role"], "engineer");
    assert_eq!(me["org_unit_id"], app.unit_id("SY-HP").await);
    assert!(
        me.get("password_hash").is_none(),
        "never expose the hash: {me}"
    );
}

async fn a_wrong_password_is_a_401_in_the_callers_language(app: TestApp) {
    for (lang, detail) in [
        ("en-US,en;q=0.9", "Wrong username or password."),
        ("zh-CN", "用户名或密码错误。"),
    ] {
        let r = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .header("accept-language", lang)
            .json(&json!({"username": "agent", "password": "not-the-password"}))
            .send()
            .await
            .expect("request");
        let (status, body) = split(r).await;
        assert_eq!(status, 401);
        assert_eq!(body["code"], "invalid_credentials");
        assert_eq!(body["detail"], detail);
    }
    // An unknown user looks exactly the same.
    let (status, body) = app
        .send(
            "POST",
            "/api/v1/auth/login",
            "",
            Some(json!({"username": "nobody", "password": "whatever1"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
}

async fn repeated_failed_logins_are_throttled_even_for_the_right_password(app: TestApp) {
    for _ in 0..5 {
        let (status, _) = app
            .send(
                "POST",
                "/api/v1/auth/login",
                "",
                Some(json!({"username": "dispatcher", "password": "wrong-one"})),
            )
            .await;
        assert_eq!(status, 401);
    }
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "dispatcher", "password": "demo-2026"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");
    let (_, body) = split(r).await;
    assert_eq!(body["code"], "too_many_attempts");
    // Another user is not affected.
    app.token("agent").await;
}

async fn a_personal_token_works_until_it_is_revoked(app: TestApp) {
    let login = app.token("warehouse").await;
    let (status, created) = app
        .send(
            "POST",
            "/api/v1/me/tokens",
            &login,
            Some(json!({"name": "ERP sync", "expires_in_days": 30})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("asp_"));
    let (status, me) = app.get("/api/v1/me", &secret).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("warehouse")));

    let (_, list) = app.get("/api/v1/me/tokens", &login).await;
    assert_eq!(list["items"][0]["name"], "ERP sync");
    assert!(
        list["items"][0].get("secret").is_none(),
        "the secret is shown only at creation"
    );

    let id = created["id"].as_str().expect("id");
    let (status, revoked) = app
        .send("DELETE", &format!("/api/v1/me/tokens/{id}"), &login, None)
        .await;
    assert_eq!(status, 200);
    assert!(revoked["revoked_at"].is_string());
    let (status, _) = app.get("/api/v1/me", &secret).await;
    assert_eq!(status, 401);

    // Someone else's token is not found for another user.
    let (_, other) = app
        .send(
            "POST",
            "/api/v1/me/tokens",
            &login,
            Some(json!({"name": "second"})),
        )
        .await;
    let agent = app.token("agent").await;
    let (status, _) = app
        .send(
            "DELETE",
            &format!("/api/v1/me/tokens/{}", other["id"].as_str().expect("id")),
            &agent,
            None,
        )
        .await;
    assert_eq!(status, 404);
}

async fn logout_ends_the_login_token(app: TestApp) {
    let token = app.token("agent").await;
    let (status, _) = app.send("POST", "/api/v1/auth/logout", &token, None).await;
    assert_eq!(status, 204);
    let (status, _) = app.get("/api/v1/me", &token).await;
    assert_eq!(status, 401);
}

async fn disabling_a_user_ends_their_tokens_at_once(app: TestApp) {
    let engineer = app.token("engineer").await;
    let (_, personal) = app
        .send(
            "POST",
            "/api/v1/me/tokens",
            &engineer,
            Some(json!({"name": "phone"})),
        )
        .await;
    let personal = personal["secret"].as_str().expect("secret").to_owned();
    let admin = app.token("admin").await;
    let id = app.user_id("engineer").await;
    let (_, u) = app.get(&format!("/api/v1/users/{id}"), &admin).await;
    let (status, _) = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            &admin,
            Some(json!({"version": u["version"], "disabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.get("/api/v1/me", &engineer).await.0, 401);
    assert_eq!(app.get("/api/v1/me", &personal).await.0, 401);
    let (status, _) = app
        .send(
            "POST",
            "/api/v1/auth/login",
            "",
            Some(json!({"username": "engineer", "password": "demo-2026"})),
        )
        .await;
    assert_eq!(status, 401, "a disabled account cannot sign in");
}

async fn changing_ones_password_needs_the_current_one(app: TestApp) {
    let token = app.token("manager").await;
    let (status, body) = app
        .send(
            "POST",
            "/api/v1/me/password",
            &token,
            Some(json!({"current_password": "nope-nope", "new_password": "brand-new-pass"})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["errors"][0]["field"], "current_password");
    assert_eq!(body["errors"][0]["code"], "wrong_password");
    let (status, _) = app
        .send(
            "POST",
            "/api/v1/me/password",
            &token,
            Some(json!({"current_password": "demo-2026", "new_password": "brand-new-pass"})),
        )
        .await;
    assert_eq!(status, 204);
    app.token_with("manager", "brand-new-pass").await;
}
