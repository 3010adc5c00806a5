//! The binary's commands as an operator uses them: user management, backup of a live
//! database, migrations, configuration errors, graceful shutdown.

use crate::helpers::{ADMIN_PASSWORD, temp_dir};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn aftersales(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aftersales"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("AFTERSALES_LOG_LEVEL", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn user_add_passwd_and_disable_work_from_the_command_line() {
    let dir = temp_dir();
    assert!(aftersales(&dir, &["demo"], None).status.success());
    let out = aftersales(
        &dir,
        &[
            "user",
            "add",
            "zhou.min",
            "--role",
            "engineer",
            "--org",
            "DL-ZS",
            "--display-name",
            "周敏",
            "--password-stdin",
        ],
        Some("zhou-min-pass\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("created user zhou.min (engineer)"));

    let bad = aftersales(&dir, &["user", "add", "x", "--role", "boss"], None);
    assert!(!bad.status.success());
    let msg = text(&bad);
    assert!(
        msg.contains("username: too_short") && msg.contains("role: invalid_choice"),
        "{msg}"
    );

    let out = aftersales(&dir, &["user", "passwd", "zhou.min"], None);
    assert!(out.status.success(), "{}", text(&out));
    let generated = text(&out)
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("printed")
        .to_owned();
    assert!(generated.len() >= 12);

    let out = aftersales(&dir, &["user", "disable", "zhou.min"], None);
    assert!(out.status.success(), "{}", text(&out));
    let missing = aftersales(&dir, &["user", "disable", "nobody"], None);
    assert!(!missing.status.success() && text(&missing).contains("no user nobody"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_configuration_value_stops_the_start_with_the_key_named() {
    let dir = temp_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_aftersales"))
        .args(["serve"])
        .current_dir(&dir)
        .env("AFTERSALES_LOG_FORMAT", "xml")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let msg = text(&out);
    assert!(msg.contains("log_format") && msg.contains("xml"), "{msg}");
    assert!(
        !dir.join("data").exists(),
        "nothing is created before the configuration is valid"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn migrate_creates_the_embedded_database() {
    let dir = temp_dir();
    let out = aftersales(&dir, &["migrate"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.join("data/aftersales.db").exists());
    let again = aftersales(&dir, &["migrate"], None);
    assert!(
        again.status.success(),
        "migrations are idempotent: {}",
        text(&again)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_live_database_and_the_copy_serves() {
    let dir = temp_dir();
    let (mut child, base) = crate::crash::start(&dir, None).await;
    let http = reqwest::Client::new();
    let token = crate::crash::login(&http, &base).await;
    let r = http
        .post(format!("{base}/api/v1/org-units"))
        .bearer_auth(&token)
        .json(&json!({"kind": "center", "code": "BK", "name": "备份测试中心"}))
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    // The server keeps running while the backup is taken.
    let out = aftersales(&dir, &["backup", "--to", "copy.db"], None);
    assert!(out.status.success(), "{}", text(&out));
    let again = aftersales(&dir, &["backup", "--to", "copy.db"], None);
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );
    assert_eq!(
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .expect("ready")
            .status(),
        200
    );
    child.start_kill().expect("kill");
    let _ = child.wait().await;

    // Serve the copy from another directory: the unit is there.
    let restore = temp_dir();
    std::fs::create_dir_all(restore.join("data")).expect("dir");
    std::fs::copy(dir.join("copy.db"), restore.join("data/aftersales.db")).expect("copy");
    let (mut child2, base2) = crate::crash::start(&restore, None).await;
    let token2 = crate::crash::login(&http, &base2).await;
    let codes = crate::crash::codes(&http, &base2, &token2).await;
    assert!(codes.contains(&"BK".to_owned()), "{codes:?}");
    child2.start_kill().expect("kill");
    let _ = child2.wait().await;
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(restore);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_with_a_clean_exit() {
    let dir = temp_dir();
    let (mut child, base) = crate::crash::start(&dir, None).await;
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
    assert!(login["token"].is_string());
    let pid = child.id().expect("pid");
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("exits in time")
        .expect("wait");
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_of_a_postgresql_database_is_a_pg_dump_archive() {
    let (name, url) = crate::helpers::fresh_pg_database().await;
    let dir = temp_dir();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_aftersales"))
            .args(args)
            .current_dir(&dir)
            .env("DATABASE_URL", &url)
            .env("AFTERSALES_LOG_LEVEL", "warn")
            .output()
            .expect("run")
    };
    let out = run(&["demo"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["backup", "--to", "pg.dump"]);
    assert!(out.status.success(), "{}", text(&out));
    let list = Command::new("pg_restore")
        .arg("--list")
        .arg(dir.join("pg.dump"))
        .output()
        .expect("pg_restore");
    let toc = String::from_utf8_lossy(&list.stdout);
    assert!(
        toc.contains("TABLE DATA public audit_log") && toc.contains("TABLE DATA public org_units"),
        "{toc}"
    );
    let _ = std::fs::remove_dir_all(dir);
    crate::helpers::drop_pg_database(name);
}

#[test]
fn import_checks_then_imports_a_file_and_writes_the_rejected_rows() {
    let dir = temp_dir();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/imports/customers-libreoffice.xlsx");
    let file = fixture.to_string_lossy().into_owned();
    let out = aftersales(&dir, &["import", "customers", &file], None);
    assert!(out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(msg.contains("row 5, 手机 (phone): phone_chars"), "{msg}");
    assert!(
        msg.contains("8 rows: 4 valid, 4 with errors; 0 created"),
        "{msg}"
    );
    let strict = aftersales(&dir, &["import", "customers", &file, "--strict"], None);
    assert!(!strict.status.success(), "{}", text(&strict));
    assert!(text(&strict).contains("nothing was imported"));
    let out = aftersales(
        &dir,
        &[
            "import",
            "customers",
            &file,
            "--lenient",
            "--rejects",
            "rejects.csv",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("4 created"), "{}", text(&out));
    let rejects = std::fs::read_to_string(dir.join("rejects.csv")).expect("rejects written");
    assert_eq!(rejects.lines().count(), 5, "header and 4 rows: {rejects}");
    assert!(rejects.contains("赵强"), "{rejects}");
    let _ = std::fs::remove_dir_all(dir);
}
