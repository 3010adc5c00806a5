//! Imports and exports through the API: dry run, strict, lenient, mappings, bad files,
//! permissions, files made by LibreOffice, and exports read back.

use crate::both;
use crate::helpers::TestApp;
use aftersales_sheets::{Format, Table, read as read_sheet, sniff};
use serde_json::{Value, json};

both!(
    a_dry_run_reports_each_bad_row_by_row_and_column_and_writes_nothing,
    a_strict_import_with_one_bad_row_leaves_the_database_unchanged,
    a_lenient_import_writes_the_good_rows_and_returns_the_bad_ones_as_a_file,
    a_mapping_overrides_the_headers_and_a_missing_required_column_is_named,
    units_find_their_owner_by_phone_or_number_and_taken_serials_are_refused,
    products_are_imported_by_admins_only,
    files_that_are_not_spreadsheets_get_a_problem_code,
    roles_without_the_right_are_refused_imports_and_exports,
    exports_read_back_equal_the_api_lists,
    files_made_by_libreoffice_are_imported,
);

const CUSTOMERS_CSV: &str = "客户名称,手机,地址,行政区划代码,生日\n\
张三,13800000001,沈阳市和平区一号,210102,1990-01-01\n\
李四,138 0000 0002/024-2345 6789,沈阳市和平区二号,210102,\n\
王五,12,沈阳市和平区三号,210102,\n\
,13800000004,沈阳市和平区四号,210102,\n\
赵六,13800000001,沈阳市和平区五号,210102,\n";

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/imports")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Uploads `bytes` as the multipart `file` part (with an optional mapping part).
pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    mapping: Option<Value>,
    lang: &str,
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    if let Some(m) = mapping {
        form = form.text("mapping", m.to_string());
    }
    let r = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("accept-language", lang)
        .multipart(form)
        .send()
        .await
        .expect("request");
    crate::helpers::split(r).await
}

pub(crate) async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(app.app.db().pool())
        .await
        .expect("count")
}

/// Row counts of every table an import writes.
async fn footprint(app: &TestApp) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in [
        "customers",
        "customer_contacts",
        "customer_phones",
        "customer_sites",
        "units",
        "unit_ownerships",
        "product_models",
        "audit_log",
        "import_batches",
    ] {
        out.push((t.to_owned(), count(app, t).await));
    }
    let counter: Option<i64> =
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'customer'")
            .fetch_optional(app.app.db().pool())
            .await
            .expect("counter");
    out.push(("counter".into(), counter.unwrap_or(0)));
    out
}

pub(crate) async fn get_bytes(
    app: &TestApp,
    path: &str,
    token: &str,
    lang: &str,
) -> (u16, String, Vec<u8>) {
    let r = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .header("accept-language", lang)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ct, r.bytes().await.expect("body").to_vec())
}

pub(crate) fn table(bytes: &[u8]) -> Table {
    let f = sniff(bytes).expect("a spreadsheet");
    read_sheet(bytes, f, None).expect("readable")
}

fn col(t: &Table, header: &str) -> usize {
    t.headers
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header} in {:?}", t.headers))
}

/// (row, column, code) of a report's or problem's errors.
fn errors(v: &Value) -> Vec<(u64, String, String)> {
    v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("row"),
                e["column"].as_str().unwrap_or("").to_owned(),
                e["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

async fn a_dry_run_reports_each_bad_row_by_row_and_column_and_writes_nothing(app: TestApp) {
    let agent = app.token("agent").await;
    let before = footprint(&app).await;
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=dry_run",
        "客户.csv",
        CUSTOMERS_CSV.as_bytes().to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["mode"], "dry_run");
    assert_eq!(r["batch_id"], Value::Null);
    assert_eq!(
        (
            r["total_rows"].as_u64(),
            r["valid_rows"].as_u64(),
            r["invalid_rows"].as_u64()
        ),
        (Some(5), Some(2), Some(3)),
        "{r}"
    );
    assert_eq!(r["created"], 0);
    assert_eq!(r["file"]["format"], "csv");
    assert_eq!(r["unknown_columns"], json!(["生日"]));
    assert_eq!(
        errors(&r),
        vec![
            (4, "手机".into(), "phone_length".into()),
            (5, "客户名称".into(), "required".into()),
            (6, "手机".into(), "duplicate_in_file".into()),
        ]
    );
    let msgs: Vec<&str> = r["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["message"].as_str().expect("message"))
        .collect();
    assert!(msgs[2].contains("第 2 行"), "{msgs:?}");
    // The preview shows the rows as they would be stored.
    assert_eq!(r["preview"][1]["row"], 3);
    assert_eq!(
        r["preview"][1]["values"]["phones"],
        json!(["138 0000 0002", "024-2345 6789"])
    );
    assert_eq!(r["preview"][1]["values"]["kind"], "individual");
    assert_eq!(footprint(&app).await, before, "a dry run writes nothing");

    // The same report in English.
    let (_, en) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers",
        "customers.csv",
        CUSTOMERS_CSV.as_bytes().to_vec(),
        None,
        "en",
    )
    .await;
    assert_eq!(en["mode"], "dry_run", "dry run is the default");
    assert!(
        en["errors"][2]["message"]
            .as_str()
            .expect("message")
            .contains("repeats row 2"),
        "{en}"
    );
    // A phone already on file makes a row a likely duplicate, pointing at the record.
    app.send(
        "POST",
        "/api/v1/customers",
        &agent,
        Some(json!({"kind": "individual", "name": "老客户", "contacts": [{"name": "老客户", "phones": ["13800000001"]}]})),
    )
    .await;
    let (_, again) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers",
        "客户.csv",
        CUSTOMERS_CSV.as_bytes().to_vec(),
        None,
        "zh-CN",
    )
    .await;
    let first = &again["errors"][0];
    assert_eq!(
        (
            first["row"].as_u64(),
            first["code"].as_str(),
            first["hint"].as_str()
        ),
        (Some(2), Some("likely_duplicate"), Some("CU000001")),
        "{again}"
    );
}

async fn a_strict_import_with_one_bad_row_leaves_the_database_unchanged(app: TestApp) {
    let agent = app.token("agent").await;
    let before = footprint(&app).await;
    let (s, p) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=strict",
        "客户.csv",
        CUSTOMERS_CSV.as_bytes().to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["code"], "import_rejected");
    assert_eq!(errors(&p).len(), 3, "{p}");
    assert_eq!(p["errors"][0]["row"], 4);
    assert_eq!(p["errors"][0]["column"], "手机");
    assert!(p["detail"].as_str().expect("detail").contains('3'), "{p}");
    assert_eq!(
        footprint(&app).await,
        before,
        "strict with a bad row writes nothing"
    );

    // The good rows alone go in, all of them, with numbers in file order.
    let good: String = CUSTOMERS_CSV
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=strict",
        "客户.csv",
        good.into_bytes(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["created"], 2);
    assert_eq!(r["preview"][0]["values"]["number"], "CU000001");
    assert_eq!(count(&app, "customers").await, 2);
    assert_eq!(count(&app, "customer_phones").await, 3);
    let (_, list) = app.get("/api/v1/customers", &agent).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["张三", "李四"]);
    let li = &list["items"][1];
    assert_eq!(li["sites"][0]["address"], "沈阳市和平区二号");
    assert_eq!(li["sites"][0]["region_code"], "210102");
    assert_eq!(
        li["contacts"][0]["name"], "李四",
        "the contact is named after the customer"
    );
    // Audited: one row per record and one for the batch.
    let admin = app.token("admin").await;
    let (_, audit) = app.get("/api/v1/audit?action=import", &admin).await;
    assert_eq!(
        audit["items"].as_array().expect("items").len(),
        2,
        "{audit}"
    );
    assert_eq!(audit["items"][0]["after"]["batch"], r["batch_id"]);
    let (_, batch) = app.get("/api/v1/audit?entity=import_batch", &admin).await;
    assert_eq!(batch["items"][0]["after"]["created"], 2, "{batch}");
    // Importing the same file again creates nothing twice.
    let again: String = CUSTOMERS_CSV
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    let (s, p) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=strict",
        "客户.csv",
        again.into_bytes(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(
        (s, p["errors"][0]["code"].as_str()),
        (422, Some("likely_duplicate"))
    );
    assert_eq!(count(&app, "customers").await, 2);
}

async fn a_lenient_import_writes_the_good_rows_and_returns_the_bad_ones_as_a_file(app: TestApp) {
    let agent = app.token("agent").await;
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=lenient",
        "客户.csv",
        CUSTOMERS_CSV.as_bytes().to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["created"].as_u64(), r["invalid_rows"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(count(&app, "customers").await, 2);
    let batch = r["batch_id"].as_str().expect("batch").to_owned();

    let (s, ct, csv) = get_bytes(
        &app,
        &format!("/api/v1/imports/{batch}/rejects?format=csv"),
        &agent,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a BOM for Excel"
    );
    let t = table(&csv);
    assert_eq!(
        t.headers,
        vec![
            "客户名称",
            "手机",
            "地址",
            "行政区划代码",
            "生日",
            "原行号",
            "导入错误"
        ]
    );
    let rows: Vec<(String, String, String)> = t
        .rows
        .iter()
        .map(|r| {
            (
                r.cells[1].text.clone(),
                r.cells[5].text.clone(),
                r.cells[6].text.clone(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), ("12", "4"));
    assert!(rows[0].2.starts_with("手机: "), "{rows:?}");
    assert_eq!(rows[1].1, "5");
    assert!(rows[2].2.contains("第 2 行"), "{rows:?}");

    // The same rows as XLSX, in English.
    let (s, ct, xlsx) = get_bytes(
        &app,
        &format!("/api/v1/imports/{batch}/rejects?format=xlsx"),
        &agent,
        "en",
    )
    .await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("application/vnd.openxmlformats"), "{ct}");
    let x = table(&xlsx);
    assert_eq!(x.format, Format::Xlsx);
    assert_eq!(x.headers[6], "Import errors");
    assert_eq!(x.rows.len(), 3);
    assert_eq!(x.rows[0].cells[1].text, "12", "phone as text");

    // Fixed in the file and imported again: the error columns are ignored.
    let fixed = String::from_utf8(csv[3..].to_vec())
        .expect("utf-8")
        .replacen(",12,", ",13800000003,", 1)
        .replacen("\r\n,13800000004", "\r\n钱七,13800000004", 1);
    let (s, r2) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=lenient",
        "rejects.csv",
        fixed.into_bytes(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201, "{r2}");
    assert_eq!(r2["created"], 2, "{r2}");
    assert_eq!(r2["unknown_columns"], json!(["生日"]));
    assert_eq!(
        errors(&r2),
        vec![(4, "手机".into(), "likely_duplicate".into())]
    );
    // Someone else's batch is not found; an admin may read it.
    let other = app.token("dispatcher").await;
    let (s, _, _) = get_bytes(
        &app,
        &format!("/api/v1/imports/{batch}/rejects"),
        &other,
        "en",
    )
    .await;
    assert_eq!(s, 404);
    let admin = app.token("admin").await;
    let (s, _, _) = get_bytes(
        &app,
        &format!("/api/v1/imports/{batch}/rejects"),
        &admin,
        "en",
    )
    .await;
    assert_eq!(s, 200);
}

async fn a_mapping_overrides_the_headers_and_a_missing_required_column_is_named(app: TestApp) {
    let agent = app.token("agent").await;
    let csv = "甲,乙,丙\n孙悟空,13900000001,花果山\n猪八戒,13900000002,高老庄\n";
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers",
        "x.csv",
        csv.as_bytes().to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["missing_fields"], json!(["name"]));
    assert_eq!(r["valid_rows"], 0);
    let (s, p) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=strict",
        "x.csv",
        csv.as_bytes().to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(
        (s, p["errors"][0]["code"].as_str()),
        (422, Some("column_missing")),
        "{p}"
    );
    let mapping = json!({"甲": "name", "乙": "phone", "丙": "address"});
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=strict",
        "x.csv",
        csv.as_bytes().to_vec(),
        Some(mapping),
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["columns"][1]["field"], "phone");
    assert_eq!(r["columns"][1]["source"], "mapping");
    let (_, list) = app.get("/api/v1/customers", &agent).await;
    assert_eq!(list["items"][1]["sites"][0]["address"], "高老庄");
    // A mapping can also skip a recognized column, and is checked.
    let (s, p) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers",
        "y.csv",
        CUSTOMERS_CSV.as_bytes().to_vec(),
        Some(json!({"手机": null, "不存在": "name"})),
        "en",
    )
    .await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (422, Some("mapping.不存在")),
        "{p}"
    );
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mapping=%7B%22%E6%89%8B%E6%9C%BA%22%3Anull%7D",
        "y.csv",
        CUSTOMERS_CSV.as_bytes().to_vec(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["columns"][1]["field"], Value::Null);
    assert_eq!(
        r["invalid_rows"], 1,
        "only the nameless row fails without phones: {r}"
    );
    // Raw bodies work too (text/csv).
    let resp = app
        .http
        .post(app.url("/api/v1/imports/customers?mode=dry_run&file_name=raw.csv"))
        .bearer_auth(&agent)
        .header("content-type", "text/csv")
        .body(CUSTOMERS_CSV)
        .send()
        .await
        .expect("request");
    let (s, r) = crate::helpers::split(resp).await;
    assert_eq!((s, r["total_rows"].as_u64()), (200, Some(5)), "{r}");
}

pub(crate) async fn seed_product(app: &TestApp, admin: &str) {
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/warranty-policies",
            admin,
            Some(json!({"code": "Y3", "name": "三年保修", "version": {
                "effective_from": "2020-01-01", "months": 36, "start_basis": "sale_date",
                "in_warranty": {"parts": "free", "labor": "free", "travel": "free"},
                "exclusion_charge": "cost_price"}})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = app
        .send("POST", "/api/v1/products", admin, Some(json!({"code": "KT-5P", "name": "5匹柜式空调", "product_line": "空调", "policy_code": "Y3"})))
        .await;
    assert_eq!(s, 201, "{b}");
}

async fn units_find_their_owner_by_phone_or_number_and_taken_serials_are_refused(app: TestApp) {
    let admin = app.token("admin").await;
    seed_product(&app, &admin).await;
    let agent = app.token("agent").await;
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=strict",
        "c.csv",
        "姓名,电话,地址\n张三,13800000001,一号\n李四,13800000002,二号\n王五,13800000002,三号\n"
            .as_bytes()
            .to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(
        (s, r["errors"][0]["code"].as_str()),
        (422, Some("duplicate_in_file"))
    );
    let (s, _) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=strict",
        "c.csv",
        "姓名,电话,地址\n张三,13800000001,一号\n李四,13800000002,二号\n"
            .as_bytes()
            .to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201);
    app.send(
        "POST",
        "/api/v1/units",
        &agent,
        Some(json!({"serial": "SN-OLD-1", "product_code": "KT-5P"})),
    )
    .await;
    let csv = "机身编码,型号,客户编号,客户电话,销售日期,安装日期,OEM,第三方\n\
        SN-0001,kt-5p,,138 0000 0001,2023/3/15,20230320,是,\n\
        SN-0002,KT-5P,CU000002,,2023年4月1日,,否,否\n\
        sn old 1,KT-5P,,,2023-05-01,,,\n\
        SN-0003,KT-9X,,,2023-05-01,,,\n\
        SN-0004,KT-5P,CU000099,,2023-05-01,,,\n\
        SN-0005,KT-5P,CU000001,13800000002,2023-05-01,,,\n\
        SN-0006,KT-5P,,,2023-02-30,,也许,\n\
        SN0001,KT-5P,,,2023-05-01,,,\n";
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/units?mode=lenient",
        "u.csv",
        csv.as_bytes().to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        errors(&r),
        vec![
            (4, "机身编码".into(), "serial_taken".into()),
            (5, "型号".into(), "unknown_product".into()),
            (6, "客户编号".into(), "unknown_customer".into()),
            (7, "客户电话".into(), "customer_mismatch".into()),
            (8, "OEM".into(), "invalid_flag".into()),
            (8, "销售日期".into(), "invalid_date".into()),
            (9, "机身编码".into(), "duplicate_in_file".into()),
        ],
        "{r}"
    );
    assert_eq!(r["created"], 2);
    let (s, u) = app.get("/api/v1/units/SN-0001", &agent).await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["owner"]["number"], "CU000001");
    assert_eq!(u["sale_date"], "2023-03-15");
    assert_eq!(u["installation_date"], "2023-03-20");
    assert_eq!(u["oem"], true);
    assert!(u["site_id"].is_string(), "placed at the owner's site: {u}");
    assert_eq!(u["ownerships"][0]["since"], "2023-03-15");
    let (_, w) = app
        .get("/api/v1/units/SN-0002/warranty?on=2024-01-01", &agent)
        .await;
    assert_eq!(w["decision"]["in_warranty"], true, "{w}");
    assert_eq!(w["policy_code"], "Y3");
}

async fn products_are_imported_by_admins_only(app: TestApp) {
    let admin = app.token("admin").await;
    seed_product(&app, &admin).await;
    let csv = "产品编码,产品名称,产品线,保养周期（月）,保修政策\n\
        KT-3P,3匹空调,空调,6,Y3\n\
        DT-01,乘客电梯,电梯,1.0,\n\
        KT-5P,重复,空调,,\n\
        XX-1,未知政策,空调,半年,NOPE\n";
    let agent = app.token("agent").await;
    let (s, p) = upload(
        &app,
        &agent,
        "/api/v1/imports/products",
        "p.csv",
        csv.as_bytes().to_vec(),
        None,
        "en",
    )
    .await;
    assert_eq!((s, p["code"].as_str()), (403, Some("forbidden")));
    let (s, r) = upload(
        &app,
        &admin,
        "/api/v1/imports/products?mode=lenient",
        "p.csv",
        csv.as_bytes().to_vec(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        errors(&r),
        vec![
            (4, "产品编码".into(), "code_taken".into()),
            (5, "保养周期（月）".into(), "invalid_number".into()),
        ]
    );
    assert_eq!(r["created"], 2);
    let (_, list) = app.get("/api/v1/products", &admin).await;
    let dt = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["code"] == "DT-01")
        .expect("imported");
    assert_eq!(dt["maintenance_interval_months"], 1);
    // The unknown policy is found once the number is fixed.
    let (_, r) = upload(
        &app,
        &admin,
        "/api/v1/imports/products",
        "p.csv",
        "code,name,product_line,policy_code\nXX-1,未知政策,空调,NOPE\n"
            .as_bytes()
            .to_vec(),
        None,
        "en",
    )
    .await;
    assert_eq!(
        errors(&r),
        vec![(2, "policy_code".into(), "unknown_policy".into())]
    );
}

async fn files_that_are_not_spreadsheets_get_a_problem_code(app: TestApp) {
    let agent = app.token("agent").await;
    let path = "/api/v1/imports/customers?mode=strict";
    for (bytes, status, code) in [
        (
            b"%PDF-1.7\n%\xE2\xE3\n".to_vec(),
            415,
            "unsupported_file_type",
        ),
        (
            vec![0x89, b'P', b'N', b'G', 0, 0, 0, 13],
            415,
            "unsupported_file_type",
        ),
        (Vec::new(), 422, "empty_file"),
        (b"name,phone\n".to_vec(), 422, "no_data_rows"),
        (
            b"PK\x03\x04not really a workbook".to_vec(),
            422,
            "unreadable_file",
        ),
    ] {
        let (s, p) = upload(&app, &agent, path, "f.bin", bytes, None, "en").await;
        assert_eq!((s, p["code"].as_str()), (status, Some(code)), "{p}");
        assert!(!p["detail"].as_str().expect("detail").is_empty());
    }
    let (s, p) = upload(
        &app,
        &agent,
        path,
        "f.pdf",
        b"%PDF-1.4".to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 415);
    assert!(p["detail"].as_str().expect("detail").contains("CSV"), "{p}");
    // JSON is not a file.
    let (s, p) = app
        .send("POST", path, &agent, Some(json!({"rows": []})))
        .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (415, Some("unsupported_media_type")),
        "{p}"
    );
    // Too large for the upload limit (20 MiB): refused from the declared length, before a
    // byte of the body is read (a raw request, so no client races the early answer).
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.base.trim_start_matches("http://").to_owned();
        let mut sock = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {agent}\r\n\
             Content-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            21 * 1024 * 1024
        );
        sock.write_all(head.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            sock.read_to_end(&mut answer),
        )
        .await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("payload_too_large"), "{answer}");
    }
    // A bad mode and a bad mapping are field errors.
    let (s, p) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=later",
        "a.csv",
        CUSTOMERS_CSV.into(),
        None,
        "en",
    )
    .await;
    assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("mode")));
    let (s, p) = upload(
        &app,
        &agent,
        path,
        "a.csv",
        CUSTOMERS_CSV.into(),
        Some(json!("oops")),
        "en",
    )
    .await;
    assert_eq!(
        (s, p["errors"][0]["code"].as_str()),
        (422, Some("invalid_mapping"))
    );
    assert_eq!(count(&app, "customers").await, 0);
}

async fn roles_without_the_right_are_refused_imports_and_exports(app: TestApp) {
    for role in ["customer", "engineer", "warehouse", "partner"] {
        let t = app.token(role).await;
        let (s, p) = upload(
            &app,
            &t,
            "/api/v1/imports/customers?mode=lenient",
            "c.csv",
            CUSTOMERS_CSV.as_bytes().to_vec(),
            None,
            "en",
        )
        .await;
        assert_eq!((s, p["code"].as_str()), (403, Some("forbidden")), "{role}");
    }
    assert_eq!(count(&app, "customers").await, 0);
    let engineer = app.token("engineer").await;
    let (s, _, _) = get_bytes(
        &app,
        "/api/v1/exports/customers?format=csv",
        &engineer,
        "en",
    )
    .await;
    assert_eq!(s, 200, "engineers read customers, so they may export them");
    let customer = app.token("customer").await;
    let (s, _, body) = get_bytes(&app, "/api/v1/exports/customers", &customer, "en").await;
    assert_eq!(s, 403);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("problem")["code"],
        "forbidden"
    );
    let (s, _, _) = get_bytes(&app, "/api/v1/exports/audit", &engineer, "en").await;
    assert_eq!(s, 403);
    let manager = app.token("manager").await;
    let (s, _, _) = get_bytes(&app, "/api/v1/exports/users?format=xlsx", &manager, "en").await;
    assert_eq!(s, 200);
    let (s, _, body) = get_bytes(&app, "/api/v1/exports/users?format=pdf", &manager, "en").await;
    assert_eq!(s, 422);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("problem")["errors"][0]["field"],
        "format"
    );
}

async fn exports_read_back_equal_the_api_lists(app: TestApp) {
    let admin = app.token("admin").await;
    seed_product(&app, &admin).await;
    let agent = app.token("agent").await;
    let (s, _) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=lenient",
        "c.csv",
        CUSTOMERS_CSV.as_bytes().to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201);
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/units?mode=strict",
        "u.csv",
        "机身编码,型号,客户电话,销售日期\n00012345,KT-5P,13800000001,2023-03-15\nKT-9,KT-5P,,2024-01-02\n"
            .as_bytes()
            .to_vec(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, list) = app.get("/api/v1/customers", &agent).await;
    let items = list["items"].as_array().expect("items");

    // XLSX, read back with calamine.
    let (s, ct, x) = get_bytes(
        &app,
        "/api/v1/exports/customers?format=xlsx",
        &agent,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("application/vnd.openxmlformats"), "{ct}");
    let t = table(&x);
    assert_eq!(t.sheet.as_deref(), Some("客户"));
    assert_eq!(t.rows.len(), items.len());
    let (num, name, phone, created) = (
        col(&t, "客户编号"),
        col(&t, "名称"),
        col(&t, "电话"),
        col(&t, "创建时间"),
    );
    for (row, c) in t.rows.iter().zip(items) {
        assert_eq!(row.cells[num].text, c["number"].as_str().expect("number"));
        assert_eq!(row.cells[name].text, c["name"].as_str().expect("name"));
        let phones: Vec<&str> = c["contacts"][0]["phones"]
            .as_array()
            .expect("phones")
            .iter()
            .map(|p| p["number"].as_str().expect("number"))
            .collect();
        assert_eq!(row.cells[phone].text, phones.join(" / "));
        assert_eq!(
            row.cells[phone].kind,
            aftersales_sheets::CellKind::Text,
            "phones are text"
        );
        assert_eq!(
            row.cells[created].kind,
            aftersales_sheets::CellKind::Date,
            "instants are dates"
        );
    }

    // CSV in English, with the same rows.
    let (s, ct, csv) = get_bytes(&app, "/api/v1/exports/customers?format=csv", &agent, "en").await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let t = table(&csv);
    assert_eq!(t.headers[0], "Customer number");
    assert_eq!(t.rows.len(), items.len());
    assert_eq!(t.rows[0].cells[col(&t, "Type")].text, "Individual");

    // Units with the filters of the list; serials stay text, dates are dates.
    let (_, units) = app.get("/api/v1/units?serial=0001", &agent).await;
    assert_eq!(units["items"].as_array().expect("items").len(), 1);
    let (s, _, x) = get_bytes(
        &app,
        "/api/v1/exports/units?format=xlsx&serial=0001",
        &agent,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 200);
    let t = table(&x);
    assert_eq!(t.rows.len(), 1);
    let serial = &t.rows[0].cells[col(&t, "机身编码")];
    assert_eq!(
        (serial.text.as_str(), serial.kind),
        ("00012345", aftersales_sheets::CellKind::Text)
    );
    let sale = &t.rows[0].cells[col(&t, "销售日期")];
    assert_eq!(
        (sale.text.as_str(), sale.kind),
        ("2023-03-15", aftersales_sheets::CellKind::Date)
    );
    assert_eq!(t.rows[0].cells[col(&t, "客户编号")].text, "CU000001");
    let (_, _, all) = get_bytes(&app, "/api/v1/exports/units?format=csv", &agent, "zh-CN").await;
    assert_eq!(table(&all).rows.len(), 2);

    // What we export, we import again: a dry run of the exported customers finds every
    // row already on file, and nothing else wrong.
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers",
        "export.xlsx",
        {
            let (_, _, x) = get_bytes(
                &app,
                "/api/v1/exports/customers?format=xlsx",
                &agent,
                "zh-CN",
            )
            .await;
            x
        },
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert!(
        r["missing_fields"].as_array().expect("missing").is_empty(),
        "{r}"
    );
    assert!(
        r["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .all(|e| e["code"] == "likely_duplicate"),
        "{r}"
    );

    // Every other list exports too.
    for list in [
        "products",
        "warranty-policies",
        "contracts",
        "org-units",
        "users",
        "audit",
    ] {
        let (s, _, x) = get_bytes(&app, &format!("/api/v1/exports/{list}"), &admin, "zh-CN").await;
        assert_eq!(s, 200, "{list}");
        let f = sniff(&x).expect("xlsx");
        assert_eq!(f, Format::Xlsx);
        let _ = read_sheet(&x, f, None);
    }
    let (_, _, x) = get_bytes(
        &app,
        "/api/v1/exports/org-units?format=csv",
        &admin,
        "zh-CN",
    )
    .await;
    let (_, orgs) = app.get("/api/v1/org-units?limit=200", &admin).await;
    assert_eq!(
        table(&x).rows.len(),
        orgs["items"].as_array().expect("items").len()
    );
    let (_, _, x) = get_bytes(
        &app,
        "/api/v1/exports/audit?format=csv&action=import",
        &admin,
        "zh-CN",
    )
    .await;
    assert_eq!(table(&x).rows.len(), 4, "2 customers and 2 units imported");
}

async fn files_made_by_libreoffice_are_imported(app: TestApp) {
    let admin = app.token("admin").await;
    seed_product(&app, &admin).await;
    let agent = app.token("agent").await;
    let expected_customer_errors = vec![
        (5, "手机".to_owned(), "phone_chars".to_owned()),
        (6, "客户名称".to_owned(), "required".to_owned()),
        (7, "手机".to_owned(), "duplicate_in_file".to_owned()),
        (9, "行政区划代码".to_owned(), "unknown_region".to_owned()),
    ];
    // The same file as CSV (GBK, as Chinese Excel saves it), XLSX and XLS made by LibreOffice.
    for name in [
        "customers-gbk.csv",
        "customers-libreoffice.xls",
        "customers-libreoffice.xlsx",
    ] {
        let (s, r) = upload(
            &app,
            &agent,
            "/api/v1/imports/customers",
            name,
            fixture(name),
            None,
            "zh-CN",
        )
        .await;
        assert_eq!(s, 200, "{name}: {r}");
        assert_eq!(errors(&r), expected_customer_errors, "{name}: {r}");
        assert_eq!(r["valid_rows"], 4, "{name}");
        // Numbers LibreOffice stored as numbers come out as the digits people typed.
        assert_eq!(
            r["preview"][0]["values"]["phones"],
            json!(["13800138000"]),
            "{name}"
        );
        assert_eq!(r["preview"][0]["values"]["region_code"], "210102", "{name}");
        assert_eq!(
            r["preview"][3]["values"]["phones"],
            json!(["04163456789"]),
            "{name}: the landline's 0"
        );
    }
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/customers?mode=lenient",
        "customers-libreoffice.xlsx",
        fixture("customers-libreoffice.xlsx"),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!((s, r["created"].as_u64()), (201, Some(4)), "{r}");
    assert_eq!(r["file"]["format"], "xlsx");
    let (s, r) = upload(
        &app,
        &agent,
        "/api/v1/imports/units?mode=lenient",
        "units-libreoffice.xlsx",
        fixture("units-libreoffice.xlsx"),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        errors(&r),
        vec![
            (4, "型号".into(), "unknown_product".into()),
            (5, "机身编码".into(), "duplicate_in_file".into()),
            (6, "客户电话".into(), "unknown_customer".into()),
            (7, "销售日期".into(), "invalid_date".into()),
        ],
        "{r}"
    );
    assert_eq!(r["created"], 3);
    let (_, u) = app.get("/api/v1/units/KT-2023-0001", &agent).await;
    assert_eq!(
        (u["sale_date"].as_str(), u["installation_date"].as_str()),
        (Some("2023-03-15"), Some("2023-03-20"))
    );
    assert_eq!(u["owner"]["name"], "张伟");
    let (s, u) = app.get("/api/v1/units/1234567890123", &agent).await;
    assert_eq!(
        (s, u["serial"].as_str()),
        (200, Some("1234567890123")),
        "no .0: {u}"
    );
    let (_, u) = app.get("/api/v1/units/KT-2023-0002", &agent).await;
    assert_eq!(u["oem"], true);
}
