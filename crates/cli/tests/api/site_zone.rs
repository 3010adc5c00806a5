//! The site's time zone reaches the pages (`site_time_zone`, docs/configuration.md): the real
//! binary started in a zone other than the default shows the times of a request's page in
//! that zone. The pages' stateless formatters read a process-wide copy of the zone, set once
//! by the binary at start (`aftersales_web::site`), so this test runs its own process rather
//! than an in-process test server, whose process keeps the default.

use crate::compat::read::{page_get, signed_in};
use crate::helpers::{ADMIN_PASSWORD, temp_dir};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_times_in_the_configured_site_zone() {
    let dir = temp_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_aftersales"))
        .arg("serve")
        .current_dir(&dir)
        .env("AFTERSALES_BIND", "127.0.0.1:0")
        .env("AFTERSALES_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("AFTERSALES_SITE_TIME_ZONE", "America/Sao_Paulo")
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn aftersales");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix("aftersales listening on ") {
                return url.trim().to_owned();
            }
        }
        panic!("server exited before listening");
    })
    .await
    .expect("server start timed out");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let http = reqwest::Client::new();
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut r = http.post(format!("{base}{path}")).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        async move {
            let r = r.send().await.expect("request");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.expect("json"))
        }
    };
    let (_, login) = post(
        "/api/v1/auth/login",
        None,
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    )
    .await;
    let token = login["token"].as_str().expect("token").to_owned();
    let (s, customer) = post(
        "/api/v1/customers",
        Some(&token),
        json!({"kind": "individual", "name": "时区测试",
            "contacts": [{"name": "时区测试", "phones": ["13800138000"]}]}),
    )
    .await;
    assert_eq!(s, 201, "{customer}");
    let (s, request) = post(
        "/api/v1/service-requests",
        Some(&token),
        json!({"customer_id": customer["id"], "kind": "repair", "symptom": "不制冷", "address": "某地"}),
    )
    .await;
    assert_eq!(s, 201, "{request}");

    let created: jiff::Timestamp = request["created_at"]
        .as_str()
        .expect("created_at")
        .parse()
        .expect("an instant");
    let shown = |zone: &str| {
        created
            .to_zoned(jiff::tz::TimeZone::get(zone).expect("zone"))
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let number = request["number"].as_str().expect("number");
    let pages = signed_in(&base, "zh-CN", "admin", ADMIN_PASSWORD).await;
    let (status, html) = page_get(&pages, &base, &format!("/requests/{number}"), "zh-CN").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&shown("America/Sao_Paulo")),
        "the page shows {} (São Paulo), not only UTC or Shanghai:\n{html}",
        shown("America/Sao_Paulo")
    );
    assert!(
        !html.contains(&shown("Asia/Shanghai")),
        "no time in the default zone"
    );
    child.start_kill().expect("kill");
    let _ = child.wait().await;
}
