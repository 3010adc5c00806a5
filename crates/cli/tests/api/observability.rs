//! A slow request in the logs names its use-case: the real binary, logging JSON, writes a
//! line when a use-case's span closes, with the use-case's name, its time, and the request
//! id of the HTTP request it served.

use crate::helpers::{ADMIN_PASSWORD, temp_dir};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_use_case_is_logged_with_its_name_time_and_request_id() {
    let dir = temp_dir();
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_aftersales"))
        .arg("serve")
        .current_dir(&dir)
        .env("AFTERSALES_BIND", "127.0.0.1:0")
        .env("AFTERSALES_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("AFTERSALES_LOG_LEVEL", "info")
        .env("AFTERSALES_LOG_FORMAT", "json")
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(log)
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
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["token"].as_str().expect("token").to_owned();
    let r = http
        .post(format!("{base}/api/v1/org-units"))
        .bearer_auth(&token)
        .header("x-request-id", "obs-req-4711")
        .json(&json!({"kind": "center", "code": "OBS", "name": "日志测试中心"}))
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    child.start_kill().expect("kill");
    let _ = child.wait().await;

    let text = std::fs::read_to_string(&log_path).expect("read log");
    let closes: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["span"]["name"] == "create_org_unit")
        .collect();
    assert_eq!(closes.len(), 1, "one close line of the use-case:\n{text}");
    let line = &closes[0];
    assert_eq!(line["fields"]["message"], "close", "{line}");
    assert!(
        line["fields"]["time.busy"].as_str().is_some(),
        "the line says how long the use-case took: {line}"
    );
    let spans = line["spans"].as_array().expect("the span list");
    assert!(
        spans
            .iter()
            .any(|s| s["name"] == "http" && s["request_id"] == "obs-req-4711"),
        "the use-case's line carries the request id of its HTTP request: {line}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
