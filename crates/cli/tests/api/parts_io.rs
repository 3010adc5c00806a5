//! Import and export of the parts catalog and its suppliers (issue 14, point 1;
//! docs/parts.md "Import and export"): CSV and XLSX with row errors, create, update and
//! upsert, an export that imports back unchanged, and who may do it. On SQLite and
//! PostgreSQL.

use crate::both;
use crate::helpers::TestApp;
use crate::imports::{count, get_bytes, seed_product, table, upload};
use aftersales_sheets::fixtures::{xlsx, xlsx_cell};
use serde_json::Value;

both!(
    parts_and_suppliers_import_from_csv_and_xlsx_with_row_errors,
    update_changes_parts_on_file_and_refuses_what_it_cannot_change,
    exported_parts_and_suppliers_import_back_unchanged,
    only_the_parts_managers_import_and_export_the_catalog,
);

const SUPPLIERS_CSV: &str = "供应商编码,供应商名称,联系人,电话,邮箱,地址,质保期\n\
    sup-a,沈阳电机厂,王工,024-12345678,sales@motor.example,沈阳市铁西区,12个月\n\
    SUP-B,大连轴承,李工,0411-7654321,bad-mail,大连市,6\n";

/// Part rows: a good one with supplier and model, a bad cost (three decimals), one whose
/// successor is the first row, and an unknown model.
const PARTS_CSV: &str = "备件号,中文名称,英文名称,关键件类别,单位,成本（元）,售价（元）,\
    仅限原厂,序列号管理,供应商编码,适用机型,替代件\n\
    m-100,压缩机电机,Compressor motor,电机,个,120.50,\"1,280.00\",是,否,sup-a,KT-5P,\n\
    B-200,控制板,Control board,control_board,pcs,12.345,99,否,否,,,\n\
    M-101,新款电机,New motor,Motor,pcs,130,300,否,Y,SUP-A,KT-5P；KT-5P,\n\
    M-099,旧款电机,Old motor,电机,个,100,200,否,否,,NOPE-1,M-100\n";

async fn warehouse_with_catalog(app: &TestApp) -> String {
    let admin = app.token("admin").await;
    seed_product(app, &admin).await;
    let wh = app.token("warehouse").await;
    let (s, r) = upload(
        app,
        &wh,
        "/api/v1/imports/suppliers?mode=lenient",
        "suppliers.csv",
        SUPPLIERS_CSV.into(),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["created"], 1, "{r}");
    assert_eq!(r["invalid_rows"], 1, "{r}");
    let e = &r["errors"][0];
    assert_eq!(
        (e["row"].as_u64(), e["field"].as_str()),
        (Some(3), Some("email")),
        "{r}"
    );
    assert_eq!(e["column"], "邮箱");
    wh
}

async fn part(app: &TestApp, token: &str, no: &str) -> (u16, Value) {
    app.get(&format!("/api/v1/parts/{no}"), token).await
}

async fn parts_and_suppliers_import_from_csv_and_xlsx_with_row_errors(app: TestApp) {
    let wh = warehouse_with_catalog(&app).await;
    let (s, sup) = app.get("/api/v1/suppliers", &wh).await;
    assert_eq!(s, 200);
    let a = sup
        .as_array()
        .and_then(|v| v.iter().find(|x| x["code"] == "SUP-A"))
        .expect("SUP-A imported")
        .clone();
    assert_eq!(a["warranty_months"], 12);
    assert_eq!(a["email"], "sales@motor.example");

    // CSV, lenient: the good rows are written, each bad one names its row and field.
    let (s, r) = upload(
        &app,
        &wh,
        "/api/v1/imports/parts?mode=lenient",
        "parts.csv",
        PARTS_CSV.into(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["created"].as_u64(), r["invalid_rows"].as_u64()),
        (Some(2), Some(2)),
        "{r}"
    );
    let errs: Vec<(u64, &str, &str)> = r["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap_or(""),
                e["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(errs.contains(&(3, "cost", "invalid_amount")), "{errs:?}");
    assert!(errs.contains(&(5, "models", "unknown_product")), "{errs:?}");
    assert_eq!(errs.iter().filter(|e| e.0 == 5).count(), 1, "{errs:?}");
    let batch = r["batch_id"].as_str().expect("batch").to_owned();

    let (s, m) = part(&app, &wh, "M-100").await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["cost_fen"], 12050);
    assert_eq!(m["list_price_fen"], 128000);
    assert_eq!(m["category"], "motor");
    assert_eq!(m["original_only"], true);
    assert_eq!(m["supplier_code"], "SUP-A");
    assert_eq!(m["models"], serde_json::json!(["KT-5P"]));
    let (_, n) = part(&app, &wh, "M-101").await;
    assert_eq!(n["serialized"], true);
    assert_eq!(n["models"], serde_json::json!(["KT-5P"]));
    assert_eq!(
        part(&app, &wh, "B-200").await.0,
        404,
        "nothing of a bad row"
    );
    assert_eq!(
        part(&app, &wh, "M-099").await.0,
        404,
        "nothing of a bad row"
    );

    // The rejects file: the bad rows as they were, with the error beside them.
    let (s, _, csv) = get_bytes(
        &app,
        &format!("/api/v1/imports/{batch}/rejects?format=csv"),
        &wh,
        "en",
    )
    .await;
    assert_eq!(s, 200);
    let t = table(&csv);
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[0].cells[0].text, "B-200");
    let last = t.headers.len() - 1;
    assert_eq!(t.rows[0].cells[last - 1].text, "3", "the row of the file");
    let why = &t.rows[0].cells[last].text;
    assert!(
        why.starts_with("成本（元）: ") && why.contains("yuan"),
        "{why}"
    );

    // The batch and each part are audited.
    let admin = app.token("admin").await;
    let (s, audit) = app
        .get("/api/v1/audit?entity=part&action=import", &admin)
        .await;
    assert_eq!(s, 200, "{audit}");
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(2), "{audit}");
    let (_, batches) = app.get("/api/v1/audit?entity=import_batch", &admin).await;
    assert!(
        batches["items"]
            .as_array()
            .is_some_and(|v| v.iter().any(|b| b["entity_id"] == batch.as_str())),
        "{batches}"
    );

    // XLSX, strict: one bad row (a successor that is nowhere) and nothing is written.
    let header = [
        "备件号",
        "中文名称",
        "英文名称",
        "类别",
        "成本",
        "售价",
        "替代件",
    ];
    let rows = [
        ["X-1", "甲", "A", "axle", "1", "2", ""],
        ["X-2", "乙", "B", "axle", "1", "2", "NOPE"],
    ];
    let mut data = String::from("<row r=\"1\">");
    for (i, h) in header.iter().enumerate() {
        data += &xlsx_cell(&format!("{}1", (b'A' + i as u8) as char), h);
    }
    data += "</row>";
    for (n, row) in rows.iter().enumerate() {
        data += &format!("<row r=\"{}\">", n + 2);
        for (i, v) in row.iter().enumerate() {
            if !v.is_empty() {
                data += &xlsx_cell(&format!("{}{}", (b'A' + i as u8) as char, n + 2), v);
            }
        }
        data += "</row>";
    }
    let before = count(&app, "parts").await;
    let (s, p) = upload(
        &app,
        &wh,
        "/api/v1/imports/parts?mode=strict",
        "parts.xlsx",
        xlsx(&data, "A1:G3", None),
        None,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["code"], "import_rejected");
    assert_eq!(p["errors"][0]["row"], 3, "{p}");
    assert_eq!(p["errors"][0]["field"], "successor", "{p}");
    assert_eq!(p["errors"][0]["column"], "替代件", "{p}");
    assert_eq!(
        count(&app, "parts").await,
        before,
        "strict: nothing written"
    );
}

async fn update_changes_parts_on_file_and_refuses_what_it_cannot_change(app: TestApp) {
    let wh = warehouse_with_catalog(&app).await;
    let (s, r) = upload(
        &app,
        &wh,
        "/api/v1/imports/parts?mode=strict",
        "p.csv",
        "part number,name zh,name en,category,cost,list price\n\
         P-1,甲,A,axle,1,2\nP-2,乙,B,frame,3,4\n"
            .into(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    // Update: a new price and supplier for P-1, P-2's unit may not change, P-9 is unknown.
    let file = "part number,name zh,name en,category,unit,cost,list price,supplier code,discontinued,successor\n\
         P-1,甲改,A2,axle,pcs,1.5,2.5,SUP-A,yes,P-2\n\
         P-2,乙,B,frame,kg,3,4,,,\n\
         P-9,丙,C,frame,pcs,3,4,,,\n";
    let (s, r) = upload(
        &app,
        &wh,
        "/api/v1/imports/parts?mode=lenient&action=update",
        "p.csv",
        file.into(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["created"].as_u64(), r["updated"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
    let errs: Vec<(u64, String, String)> = r["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap_or("").to_owned(),
                e["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        errs.contains(&(3, "uom".into(), "unchangeable".into())),
        "{errs:?}"
    );
    assert!(
        errs.contains(&(4, "part_no".into(), "unknown_part".into())),
        "{errs:?}"
    );
    let (_, p1) = part(&app, &wh, "P-1").await;
    assert_eq!(p1["name_zh"], "甲改");
    assert_eq!(p1["cost_fen"], 150);
    assert_eq!(p1["supplier_code"], "SUP-A");
    assert_eq!(p1["discontinued"], true);
    assert_eq!(p1["successor"], "P-2");
    assert_eq!(p1["version"], 2);
    let (_, p2) = part(&app, &wh, "P-2").await;
    assert_eq!(p2["uom"], "pcs", "unchanged");
    assert_eq!(count(&app, "parts").await, 2, "update creates nothing");

    // Create refuses a number on file; upsert creates and updates.
    let (s, r) = upload(
        &app,
        &wh,
        "/api/v1/imports/parts?mode=dry_run",
        "p.csv",
        "part number,name zh,name en,category,cost,list price\nP-1,甲,A,axle,1,2\n".into(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["errors"][0]["code"], "part_no_taken", "{r}");
    let (s, r) = upload(
        &app,
        &wh,
        "/api/v1/imports/parts?mode=strict&action=upsert",
        "p.csv",
        "part number,name zh,name en,category,cost,list price\nP-1,甲三,A,axle,1,2\nP-3,丁,D,axle,1,2\n"
            .into(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["created"].as_u64(), r["updated"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(part(&app, &wh, "P-1").await.1["name_zh"], "甲三");
    // An upsert that leaves the successor column out clears it, as the form would.
    assert_eq!(part(&app, &wh, "P-1").await.1["successor"], Value::Null);
}

async fn exported_parts_and_suppliers_import_back_unchanged(app: TestApp) {
    let wh = warehouse_with_catalog(&app).await;
    let (s, r) = upload(
        &app,
        &wh,
        "/api/v1/imports/parts?mode=lenient",
        "parts.csv",
        PARTS_CSV.into(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, before) = app.get("/api/v1/parts", &wh).await;
    let (_, sup_before) = app.get("/api/v1/suppliers", &wh).await;
    for (lang, format) in [("zh-CN", "xlsx"), ("en", "csv")] {
        for (list, n) in [("parts", 2), ("suppliers", 1)] {
            let (s, _, file) = get_bytes(
                &app,
                &format!("/api/v1/exports/{list}?format={format}"),
                &wh,
                lang,
            )
            .await;
            assert_eq!(s, 200, "{list} {format}");
            assert_eq!(table(&file).rows.len(), n, "{list} {format}");
            // Every column is recognized, every row valid; as new records each is taken.
            let (s, r) = upload(
                &app,
                &wh,
                &format!("/api/v1/imports/{list}?mode=dry_run"),
                &format!("{list}.{format}"),
                file.clone(),
                None,
                lang,
            )
            .await;
            assert_eq!(s, 200, "{r}");
            assert_eq!(
                r["unknown_columns"],
                serde_json::json!([]),
                "{list} {lang} {r}"
            );
            assert_eq!(r["invalid_rows"], n, "{list} {lang} {r}");
            // Updated from their own export, nothing changes but the version.
            let (s, r) = upload(
                &app,
                &wh,
                &format!("/api/v1/imports/{list}?mode=strict&action=update"),
                &format!("{list}.{format}"),
                file,
                None,
                lang,
            )
            .await;
            assert_eq!(s, 201, "{list} {lang} {r}");
            assert_eq!(r["updated"], n, "{r}");
        }
    }
    let strip = |v: &Value| {
        let mut v = v.clone();
        let list = if v.is_array() {
            &mut v
        } else {
            &mut v["items"]
        };
        for x in list.as_array_mut().into_iter().flatten() {
            x["version"] = Value::Null;
        }
        v
    };
    let (_, after) = app.get("/api/v1/parts", &wh).await;
    let (_, sup_after) = app.get("/api/v1/suppliers", &wh).await;
    assert_eq!(strip(&after), strip(&before));
    assert_eq!(strip(&sup_after), strip(&sup_before));
    assert_eq!(after["items"][0]["version"], 3, "updated twice");
}

async fn only_the_parts_managers_import_and_export_the_catalog(app: TestApp) {
    let csv = "part number,name zh,name en,category,cost,list price\nQ-1,甲,A,axle,1,2\n";
    for role in ["agent", "engineer", "partner", "customer", "manager"] {
        let t = app.token(role).await;
        let (s, r) = upload(
            &app,
            &t,
            "/api/v1/imports/parts",
            "p.csv",
            csv.into(),
            None,
            "en",
        )
        .await;
        assert_eq!(s, 403, "{role} {r}");
        let (s, r) = upload(
            &app,
            &t,
            "/api/v1/imports/suppliers",
            "s.csv",
            csv.into(),
            None,
            "en",
        )
        .await;
        assert_eq!(s, 403, "{role} {r}");
        for list in ["parts", "suppliers"] {
            let (s, _, _) = get_bytes(&app, &format!("/api/v1/exports/{list}"), &t, "en").await;
            assert_eq!(s, 403, "{role} {list}");
        }
    }
    let wh = app.token("warehouse").await;
    // The warehouse imports the catalog, not customers.
    let (s, _) = upload(
        &app,
        &wh,
        "/api/v1/imports/customers",
        "c.csv",
        csv.into(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 403);
    // Only parts and suppliers update; an empty or unknown action is a 422.
    let admin = app.token("admin").await;
    for (path, tok) in [
        ("/api/v1/imports/products?action=update", &admin),
        ("/api/v1/imports/parts?action=", &wh),
        ("/api/v1/imports/parts?action=merge", &wh),
    ] {
        let (s, r) = upload(&app, tok, path, "p.csv", csv.into(), None, "en").await;
        assert_eq!(s, 422, "{path} {r}");
        assert_eq!(r["errors"][0]["field"], "action", "{path} {r}");
    }
    let (s, r) = upload(
        &app,
        &wh,
        "/api/v1/imports/parts?mode=strict",
        "p.csv",
        csv.into(),
        None,
        "en",
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (s, _, f) = get_bytes(&app, "/api/v1/exports/parts?format=csv", &wh, "en").await;
    assert_eq!(s, 200);
    assert_eq!(table(&f).rows[0].cells[0].text, "Q-1");
}
