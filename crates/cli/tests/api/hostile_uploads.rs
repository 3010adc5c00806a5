//! Hostile spreadsheets posted to the import endpoints and given to `aftersales import`: a
//! sparse sheet whose furthest cell is at the format's limit (XLSX, XLS, ODS), a shared-string
//! table declaring a huge count, a compound file whose chains loop. Each is refused with a
//! problem code, writes nothing, and leaves the server answering.

use crate::both;
use crate::helpers::{TestApp, temp_dir};
use aftersales_sheets::fixtures;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

both!(sparse_and_lying_workbooks_are_refused_and_the_server_keeps_answering);

async fn customers(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM customers")
        .fetch_one(app.app.db().pool())
        .await
        .expect("count")
}

/// Posts `bytes` as the file part; returns status, content type and body.
async fn post(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> (u16, String, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let r = app
        .http
        .post(app.url("/api/v1/imports/customers?mode=lenient"))
        .bearer_auth(token)
        .header("accept-language", "zh-CN")
        .multipart(form)
        .send()
        .await
        .expect("request");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, body) = crate::helpers::split(r).await;
    (status, ct, body)
}

async fn sparse_and_lying_workbooks_are_refused_and_the_server_keeps_answering(app: TestApp) {
    let agent = app.token("agent").await;
    let before = customers(&app).await;
    let huge_sst = fixtures::xlsx(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>"#,
        "A1:B1",
        Some((
            r#"count="2" uniqueCount="4000000000000000000""#,
            "<si><t>客户名称</t></si><si><t>手机</t></si>",
        )),
    );
    let mut looping_xls = fixtures::xls(&fixtures::biff8(
        &fixtures::XLS_CUSTOMER_CELLS,
        (0, 2, 0, 2),
    ));
    let dir_sector = u32::from_le_bytes(looping_xls[48..52].try_into().expect("4 bytes")) as usize;
    let fat = 4096 * (dir_sector + 2) + 4 * dir_sector;
    looping_xls[fat..fat + 4].copy_from_slice(&(dir_sector as u32).to_le_bytes());
    for (name, bytes, status, code) in [
        (
            "sparse.xlsx",
            fixtures::sparse_xlsx(),
            413,
            "too_many_columns",
        ),
        (
            "sparse.xls",
            fixtures::sparse_xls(),
            413,
            "too_many_columns",
        ),
        (
            "sparse.ods",
            fixtures::sparse_ods(),
            413,
            "too_many_columns",
        ),
        ("strings.xlsx", huge_sst, 422, "unreadable_file"),
        ("loop.xls", looping_xls, 422, "unreadable_file"),
        (
            "bomb.xlsx",
            fixtures::expanding_xlsx(),
            413,
            "workbook_expands",
        ),
    ] {
        let (s, ct, p) = post(&app, &agent, name, bytes).await;
        assert_eq!((s, p["code"].as_str()), (status, Some(code)), "{name}: {p}");
        assert!(ct.starts_with("application/problem+json"), "{name}: {ct}");
        let detail = p["detail"].as_str().expect("detail");
        assert!(!detail.is_empty() && !detail.contains("20 MB"), "{detail}");
        let (h, _) = app.get("/healthz", &agent).await;
        assert_eq!(h, 200, "{name}: the server still answers");
    }
    assert_eq!(customers(&app).await, before, "nothing was written");
    // The same list as an honest ODS is imported.
    let good = fixtures::ods(&format!(
        r#"<table:table table:name="客户">{}</table:table>"#,
        fixtures::ods_customer_rows()
    ));
    let (s, _, p) = post(&app, &agent, "good.ods", good).await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(customers(&app).await, before + 1, "{p}");
}

#[test]
fn the_command_line_import_refuses_a_sparse_workbook_instead_of_aborting() {
    let dir = temp_dir();
    let file = dir.join("sparse.xlsx");
    std::fs::write(&file, fixtures::sparse_xlsx()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_aftersales"))
        .args(["import", "customers", &file.to_string_lossy()])
        .current_dir(Path::new(&dir))
        .env_remove("DATABASE_URL")
        .env("AFTERSALES_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert_ne!(out.status.code(), Some(134), "{text}");
    assert!(out.status.code().is_some(), "killed by a signal: {text}");
    assert!(
        text.contains("too_many_columns") || text.contains("200"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
