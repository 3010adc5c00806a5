//! Labels (docs/labels.md) through the API, on SQLite and PostgreSQL: part, bin and loaner
//! label sheets come back as PDFs that carry the codes, in the reader's language; who may
//! print what; bad parameters are 422 naming the field, unknown things 404.

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::world;
use serde_json::{Value, json};

both!(
    parts_bins_and_loaners_print_as_label_pdfs,
    bad_label_requests_are_refused_naming_the_field,
);

async fn get_pdf(app: &TestApp, path: &str, token: &str, lang: &str) -> (u16, String, Vec<u8>) {
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
    (status, ct, r.bytes().await.expect("bytes").to_vec())
}

/// The text of a PDF, and how many QR codes (XObjects drawn) it has in all.
fn read(pdf: &[u8]) -> (String, usize) {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF lopdf reads");
    let mut text = String::new();
    let mut codes = 0;
    for (n, id) in doc.get_pages() {
        text.push_str(&doc.extract_text(&[n]).expect("text"));
        let content = doc.get_page_content(id);
        codes += lopdf::content::Content::decode(&content)
            .expect("content")
            .operations
            .iter()
            .filter(|op| op.operator == "Do")
            .count();
    }
    (text, codes)
}

async fn setup(app: &TestApp) -> String {
    world(app).await;
    let admin = app.token("admin").await;
    for (no, zh, en) in [
        ("LB-1", "室外风机电容", "Fan capacitor"),
        ("LB-2", "四通阀", "Reversing valve"),
    ] {
        let (s, b) = app
            .send(
                "POST",
                "/api/v1/parts",
                &admin,
                Some(json!({"part_no": no, "name_zh": zh, "name_en": en,
                    "category": "electrical", "uom": "pcs", "cost_fen": 100,
                    "list_price_fen": 200})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/locations",
            &admin,
            Some(json!({"code": "WH-L", "name": "标签测试库", "kind": "warehouse", "org_unit": "WH"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/stock/moves",
            &admin,
            Some(
                json!({"kind": "receipt", "part": "LB-1", "qty": 5, "to": "WH-L",
                "unit_cost_fen": 100}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    admin
}

async fn parts_bins_and_loaners_print_as_label_pdfs(app: TestApp) {
    setup(&app).await;
    let engineer = app.token("engineer").await;
    let (s, ct, pdf) = get_pdf(
        &app,
        "/api/v1/parts/labels?part=LB-1&part=lb-2&copies=2",
        &engineer,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(ct, "application/pdf");
    let (text, codes) = read(&pdf);
    assert_eq!(codes, 4, "two copies of two parts");
    assert!(text.contains("LB-1") && text.contains("LB-2") && text.contains("四通阀"));
    assert!(text.contains("备件"), "{text}");
    // In English for an English reader.
    let (s, _, pdf) = get_pdf(&app, "/api/v1/parts/labels?part=LB-2", &engineer, "en").await;
    assert_eq!(s, 200);
    let (text, codes) = read(&pdf);
    assert_eq!(codes, 1);
    assert!(
        text.contains("Reversing valve") && text.contains("Part"),
        "{text}"
    );
    assert!(!text.contains("四通阀"));

    // The bin label and one per part held there (LB-2 has none there).
    let warehouse = app.token("warehouse").await;
    let (s, _, pdf) = get_pdf(
        &app,
        "/api/v1/stock/locations/wh-l/labels?bin=a-03",
        &warehouse,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&pdf));
    let (text, codes) = read(&pdf);
    assert_eq!(codes, 2);
    assert!(text.contains("WH-L/A-03") && text.contains("库位") && text.contains("LB-1"));
    assert!(!text.contains("LB-2"));
    let (s, _, pdf) = get_pdf(
        &app,
        "/api/v1/stock/locations/WH-L/labels?parts=false",
        &warehouse,
        "zh-CN",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(read(&pdf).1, 1, "only the bin label");

    // Loaners: chosen ones, or every one in scope; none in scope is nothing to print.
    let (s, b) = app.get("/api/v1/loaners/labels", &warehouse).await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("no_loaners")),
        "{b}"
    );
    let (s, l) = app
        .send(
            "POST",
            "/api/v1/loaners",
            &warehouse,
            Some(json!({"serial": "LNLABEL01", "model": "KFR-35GW 挂机"})),
        )
        .await;
    assert_eq!(s, 201, "{l}");
    let id = l["id"].as_str().expect("id");
    let (s, ct, pdf) = get_pdf(
        &app,
        &format!("/api/v1/loaners/labels?id={id}"),
        &warehouse,
        "zh-CN",
    )
    .await;
    assert_eq!((s, ct.as_str()), (200, "application/pdf"));
    let (text, codes) = read(&pdf);
    assert_eq!(codes, 1);
    assert!(
        text.contains("LNLABEL01") && text.contains("备用机"),
        "{text}"
    );
    let (s, _, pdf) = get_pdf(&app, "/api/v1/loaners/labels", &warehouse, "zh-CN").await;
    assert_eq!(s, 200);
    assert!(read(&pdf).0.contains("LNLABEL01"));
}

async fn problem(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    app.get(path, token).await
}

fn field(b: &Value) -> &str {
    b["errors"][0]["field"].as_str().unwrap_or("")
}

async fn bad_label_requests_are_refused_naming_the_field(app: TestApp) {
    setup(&app).await;
    let engineer = app.token("engineer").await;
    let warehouse = app.token("warehouse").await;
    for (path, f) in [
        ("/api/v1/parts/labels", "part"),
        ("/api/v1/parts/labels?part=", "part"),
        ("/api/v1/parts/labels?part=LB-1&copies=0", "copies"),
        ("/api/v1/parts/labels?part=LB-1&copies=25", "copies"),
        ("/api/v1/parts/labels?part=LB-1&copies=abc", "copies"),
        ("/api/v1/parts/labels?part=LB-1&copies=1&copies=2", "copies"),
        (
            "/api/v1/parts/labels?copies=24&part=A&part=B&part=C&part=D&part=E&part=F&part=G\
             &part=H&part=I&part=J&part=K",
            "copies",
        ),
    ] {
        let (s, b) = problem(&app, path, &engineer).await;
        assert_eq!((s, field(&b)), (422, f), "{path}: {b}");
    }
    let long = "X".repeat(65);
    let (s, b) = problem(
        &app,
        &format!("/api/v1/parts/labels?part={long}"),
        &engineer,
    )
    .await;
    assert_eq!((s, field(&b)), (422, "part"), "{b}");
    let (s, b) = problem(&app, "/api/v1/parts/labels?part=LB-1&part=NOPE", &engineer).await;
    assert_eq!(s, 404, "{b}");

    for (path, f) in [
        ("/api/v1/stock/locations/WH-L/labels?bin=", "bin"),
        ("/api/v1/stock/locations/WH-L/labels?bin=A%2003", "bin"),
        ("/api/v1/stock/locations/WH-L/labels?parts=maybe", "parts"),
    ] {
        let (s, b) = problem(&app, path, &warehouse).await;
        assert_eq!((s, field(&b)), (422, f), "{path}: {b}");
    }
    let (s, _) = problem(&app, "/api/v1/stock/locations/NOPE/labels", &warehouse).await;
    assert_eq!(s, 404);

    let (s, b) = problem(&app, "/api/v1/loaners/labels?id=nope", &warehouse).await;
    assert_eq!((s, field(&b)), (422, "id"), "{b}");
    let (s, b) = problem(&app, "/api/v1/loaners/labels?id=", &warehouse).await;
    assert_eq!((s, field(&b)), (422, "id"), "{b}");
    let (s, _) = problem(
        &app,
        &format!("/api/v1/loaners/labels?id={}", uuid::Uuid::now_v7()),
        &warehouse,
    )
    .await;
    assert_eq!(s, 404);

    // Denied: the permission is checked before anything is read.
    let customer = app.token("customer").await;
    let agent = app.token("agent").await;
    for (path, token) in [
        ("/api/v1/parts/labels?part=LB-1", &customer),
        ("/api/v1/parts/labels?copies=abc", &customer),
        ("/api/v1/stock/locations/WH-L/labels", &agent),
        ("/api/v1/loaners/labels", &engineer),
    ] {
        let (s, b) = problem(&app, path, token).await;
        assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{path}");
    }
}
