//! Nothing acknowledged is lost: the real binary is killed with SIGKILL in the middle of a
//! stream of writes; after a restart every write it had answered 201 to is there.

use crate::helpers::{ADMIN_PASSWORD, drop_pg_database, fresh_pg_database, temp_dir};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

/// Starts `aftersales serve` in `dir` on a free port; returns the child and its base URL.
pub async fn start(dir: &Path, database_url: Option<&str>) -> (Child, String) {
    start_with(dir, database_url, &[]).await
}

/// [`start`] with more environment variables (settings such as `AFTERSALES_JOBS__…`).
pub async fn start_with(
    dir: &Path,
    database_url: Option<&str>,
    env: &[(&str, &str)],
) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aftersales"));
    cmd.arg("serve")
        .current_dir(dir)
        .env("AFTERSALES_BIND", "127.0.0.1:0")
        .env("AFTERSALES_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("AFTERSALES_LOG_LEVEL", "warn")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(u) = database_url {
        cmd.env("DATABASE_URL", u);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn aftersales");
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
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

pub async fn login(http: &reqwest::Client, base: &str) -> String {
    let r: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    r["token"].as_str().expect("token").to_owned()
}

pub async fn codes(http: &reqwest::Client, base: &str, token: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = http
            .get(format!("{base}/api/v1/org-units?limit=200&cursor={cursor}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        out.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|o| o["code"].as_str().expect("code").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return out,
        }
    }
}

async fn acknowledged_writes_survive_sigkill(database_url: Option<&str>) {
    let dir = temp_dir();
    let http = reqwest::Client::new();
    let (mut child, base) = start(&dir, database_url).await;
    let token = login(&http, &base).await;
    // The root of the tree for the writers to hang their units under.
    let root: Value = http
        .post(format!("{base}/api/v1/org-units"))
        .bearer_auth(&token)
        .json(&json!({"kind": "center", "code": "ROOT", "name": "崩溃测试中心"}))
        .send()
        .await
        .expect("root")
        .json()
        .await
        .expect("json");
    let root_id = root["id"].as_str().expect("id").to_owned();

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..3 {
        let (http, base, token, root_id, acked) = (
            http.clone(),
            base.clone(),
            token.clone(),
            root_id.clone(),
            acked.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in 0..100_000 {
                let code = format!("W{w}-{i}");
                let r = http
                    .post(format!("{base}/api/v1/org-units"))
                    .bearer_auth(&token)
                    .json(&json!({"parent_id": root_id, "kind": "branch", "code": code, "name": format!("分公司 {code}")}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 201 => acked.lock().await.push(code),
                    _ => return, // the server is gone
                }
            }
        }));
    }
    // Let the stream run, then kill the server without warning.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().await.len() < 60 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().expect("SIGKILL");
    let _ = child.wait().await;
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().await.clone();
    assert!(
        acked.len() >= 60,
        "the stream had not started: {} writes",
        acked.len()
    );

    let (_child2, base2) = start(&dir, database_url).await;
    let token2 = login(&http, &base2).await;
    let stored = codes(&http, &base2, &token2).await;
    let missing: Vec<&String> = acked.iter().filter(|c| !stored.contains(c)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost: {missing:?}",
        missing.len(),
        acked.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_write_after_sigkill() {
    acknowledged_writes_survive_sigkill(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_write_after_sigkill() {
    let (name, url) = fresh_pg_database().await;
    acknowledged_writes_survive_sigkill(Some(&url)).await;
    drop_pg_database(name);
}
