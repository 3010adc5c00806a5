//! Keeping the catalog and the contracts through the API (issue 13, defect 16): one policy by
//! its code, one product model, and changing a model or a contract as a whole record with its
//! version; the refusals (stale, invalid, unknown policy, a unit of another customer, an end
//! before the start, roles that may not) write nothing; every change is in the audit trail.

use crate::both;
use crate::helpers::TestApp;
use serde_json::{Value, json};

both!(
    a_policy_is_read_by_its_code_with_every_version,
    a_product_model_is_changed_by_an_admin_and_the_trail_keeps_before_and_after,
    a_contract_is_changed_with_its_units_and_refusals_write_nothing,
    the_forms_show_every_fault_beside_its_field_and_open_only_to_those_who_may,
);

async fn policy(app: &TestApp, admin: &str, code: &str, months: i64) {
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/warranty-policies",
            admin,
            Some(
                json!({"code": code, "name": format!("{code} 保修"), "version": {
                "effective_from": "2020-01-01", "months": months, "start_basis": "sale_date",
                "in_warranty": {"parts": "free", "labor": "free", "travel": "free"},
                "after": [], "exclusion_charge": "cost_price"}}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

async fn product(app: &TestApp, admin: &str) -> Value {
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/products",
            admin,
            Some(
                json!({"code": "JS-100", "name": "净水器", "product_line": "净水",
                "maintenance_interval_months": 6, "policy_code": "Y1"}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

/// The audit entries of a record, newest first.
async fn trail(app: &TestApp, entity: &str, id: &str) -> Vec<Value> {
    let admin = app.token("admin").await;
    let (s, b) = app
        .get(
            &format!("/api/v1/audit?entity={entity}&entity_id={id}"),
            &admin,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"].as_array().expect("items").clone()
}

async fn a_policy_is_read_by_its_code_with_every_version(app: TestApp) {
    let admin = app.token("admin").await;
    policy(&app, &admin, "Y1", 12).await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/warranty-policies/Y1/versions",
            &admin,
            Some(
                json!({"effective_from": "2024-01-01", "months": 24, "start_basis": "sale_date",
                "in_warranty": {"parts": "free", "labor": "free", "travel": "list_price"},
                "exclusion_charge": "list_price", "note": "两年"}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    // Any role that reads the catalog, the code in any case.
    let partner = app.token("partner").await;
    let (s, p) = app.get("/api/v1/warranty-policies/y1", &partner).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["code"], "Y1");
    let effective: Vec<&str> = p["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["effective_from"].as_str().expect("date"))
        .collect();
    assert_eq!(effective, ["2020-01-01", "2024-01-01"], "oldest first");
    assert_eq!(p["versions"][1]["note"], "两年");
    let (s, b) = app.get("/api/v1/warranty-policies/NOPE", &partner).await;
    assert_eq!((s, b["code"].as_str()), (404, Some("not_found")));
    let customer = app.token("customer").await;
    let (s, b) = app.get("/api/v1/warranty-policies/Y1", &customer).await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")));
}

async fn a_product_model_is_changed_by_an_admin_and_the_trail_keeps_before_and_after(app: TestApp) {
    let admin = app.token("admin").await;
    policy(&app, &admin, "Y1", 12).await;
    policy(&app, &admin, "Y3", 36).await;
    let p = product(&app, &admin).await;
    let id = p["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/products/{id}");
    let (s, got) = app.get(&path, &app.token("engineer").await).await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["code"], "JS-100");

    let edit = json!({"version": 1, "name": "净水器二代", "product_line": "净水",
        "maintenance_interval_months": 12, "policy_code": "y3"});
    let (s, b) = app.send("PUT", &path, &admin, Some(edit.clone())).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["name"], "净水器二代");
    assert_eq!(b["maintenance_interval_months"], 12);
    assert_eq!(b["policy_code"], "Y3");
    assert_eq!(b["code"], "JS-100", "the code never changes");
    assert_eq!(b["version"], 2);

    // The same version again is stale; nothing changes.
    let mut stale = edit.clone();
    stale["name"] = json!("基于旧版本");
    let (s, b) = app.send("PUT", &path, &admin, Some(stale)).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale_version")));
    // Every fault at once, on its field.
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &admin,
            Some(
                json!({"version": 2, "name": " ", "product_line": "x".repeat(51),
                "maintenance_interval_months": 0}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let mut fields: Vec<&str> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["maintenance_interval_months", "name", "product_line"]
    );
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &admin,
            Some(json!({"version": 2, "name": "净水器", "product_line": "净水", "policy_code": "NOPE"})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["errors"][0]["field"], "policy_code");
    assert_eq!(b["errors"][0]["code"], "unknown_policy");
    // The front office reads models but does not keep them.
    let agent = app.token("agent").await;
    let (s, b) = app.send("PUT", &path, &agent, Some(edit.clone())).await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")));
    let missing = format!("/api/v1/products/{}", uuid::Uuid::now_v7());
    let (s, _) = app.send("PUT", &missing, &admin, Some(edit)).await;
    assert_eq!(s, 404);

    let (_, now) = app.get(&path, &admin).await;
    assert_eq!(now["version"], 2, "no refusal wrote anything");
    assert_eq!(now["name"], "净水器二代");

    let entries = trail(&app, "product", &id).await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["update", "create"]);
    assert_eq!(entries[0]["before"]["name"], "净水器");
    assert_eq!(entries[0]["before"]["policy_code"], "Y1");
    assert_eq!(entries[0]["after"]["name"], "净水器二代");
    assert_eq!(entries[0]["after"]["policy_code"], "Y3");
}

async fn a_contract_is_changed_with_its_units_and_refusals_write_nothing(app: TestApp) {
    let admin = app.token("admin").await;
    policy(&app, &admin, "Y1", 12).await;
    product(&app, &admin).await;
    let agent = app.token("agent").await;
    let mut customers = Vec::new();
    for (name, phone) in [("郑强", "13811110001"), ("冯丽", "13822220002")] {
        let (s, c) = app
            .send(
                "POST",
                "/api/v1/customers",
                &agent,
                Some(
                    json!({"kind": "individual", "name": name, "region_code": "210102",
                    "contacts": [{"name": name, "phones": [phone]}],
                    "sites": [{"address": "沈阳市和平区1号", "region_code": "210102"}]}),
                ),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        customers.push(c);
    }
    let mut units = Vec::new();
    for (serial, owner) in [("JS-1", 0), ("JS-2", 0), ("JS-3", 1)] {
        let (s, u) = app
            .send(
                "POST",
                "/api/v1/units",
                &agent,
                Some(json!({"serial": serial, "product_code": "JS-100",
                    "customer_id": customers[owner]["id"], "sale_date": "2024-05-01"})),
            )
            .await;
        assert_eq!(s, 201, "{u}");
        units.push(u["id"].as_str().expect("id").to_owned());
    }
    let (s, k) = app
        .send(
            "POST",
            "/api/v1/contracts",
            &agent,
            Some(
                json!({"customer_id": customers[0]["id"], "start_date": "2026-01-01",
                "end_date": "2026-12-31", "service_level": "gold", "unit_ids": [units[0]]}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{k}");
    let id = k["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/contracts/{id}");

    let edit = json!({"version": 1, "start_date": "2026-01-01", "end_date": "2027-06-30",
        "service_level": "silver", "labor": "free",
        "inspection_plan": [{"kind": "visit", "every_months": 6}],
        "remind_days_before": 60, "unit_ids": [units[1], units[0]], "notes": "续签半年"});
    let (s, b) = app.send("PUT", &path, &agent, Some(edit.clone())).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["number"], k["number"], "the number never changes");
    assert_eq!(b["customer_id"], k["customer_id"]);
    assert_eq!(b["end_date"], "2027-06-30");
    assert_eq!(b["service_level"], "silver");
    assert_eq!(b["labor"], "free");
    assert_eq!(b["remind_on"], "2027-05-01");
    assert_eq!(b["version"], 2);
    let mut both_units = vec![units[0].clone(), units[1].clone()];
    both_units.sort();
    assert_eq!(b["unit_ids"], json!(both_units));
    // The warranty decision follows the changed contract: the second unit is now covered.
    let (_, w) = app
        .get("/api/v1/units/JS-2/warranty?on=2027-03-01", &agent)
        .await;
    assert_eq!(w["decision"]["covered_by_contract"], true, "{w}");

    // Refusals, each writing nothing.
    let mut e = edit.clone();
    e["version"] = json!(2);
    e["unit_ids"] = json!([units[2]]);
    let (s, b) = app.send("PUT", &path, &agent, Some(e)).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["errors"][0]["code"], "unit_of_another_customer");
    let mut e = edit.clone();
    e["version"] = json!(2);
    e["end_date"] = json!("2025-12-31");
    let (s, b) = app.send("PUT", &path, &agent, Some(e)).await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("before_start"))
    );
    let (s, b) = app.send("PUT", &path, &agent, Some(edit.clone())).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale_version")));
    let (s, b) = app
        .send(
            "PUT",
            &path,
            &agent,
            Some(
                json!({"version": 2, "start_date": "2026-02-30", "end_date": "2026-12-31",
                "service_level": "", "remind_days_before": 400,
                "inspection_plan": [{"kind": "fax", "every_months": 0}]}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let mut fields: Vec<&str> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "inspection_plan[0].every_months",
            "inspection_plan[0].kind",
            "remind_days_before",
            "service_level",
            "start_date"
        ]
    );
    for role in ["engineer", "warehouse", "partner", "customer"] {
        let token = app.token(role).await;
        let (s, b) = app.send("PUT", &path, &token, Some(edit.clone())).await;
        assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{role}");
    }
    let missing = format!("/api/v1/contracts/{}", uuid::Uuid::now_v7());
    let (s, _) = app.send("PUT", &missing, &agent, Some(edit)).await;
    assert_eq!(s, 404);

    let (_, now) = app.get(&path, &agent).await;
    assert_eq!(now["version"], 2, "no refusal wrote anything");
    assert_eq!(now["unit_ids"], json!(both_units));
    assert_eq!(now["end_date"], "2027-06-30");

    let entries = trail(&app, "contract", &id).await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["update", "create"]);
    assert_eq!(entries[0]["before"]["end_date"], "2026-12-31");
    assert_eq!(entries[0]["after"]["end_date"], "2027-06-30");
    assert_eq!(entries[0]["before"]["unit_ids"], json!([units[0]]));
}

async fn the_forms_show_every_fault_beside_its_field_and_open_only_to_those_who_may(app: TestApp) {
    use crate::web::Browser;
    let admin = Browser::new(&app, "en");
    admin.login("admin").await;
    let csrf = admin.csrf("/warranty-policies/new").await;
    let (status, html, _) = admin
        .post(
            "/warranty-policies/new",
            &[
                ("_csrf", &csrf),
                ("code", "bad code"),
                ("name", ""),
                ("effective_from", "2025-02-30"),
                ("months", "twelve"),
                ("start_basis", "sale_date"),
                ("parts", "free"),
                ("labor", "free"),
                ("travel", "free"),
                ("exclusion_charge", "cost_price"),
                ("after.0.from_month", "36"),
                ("after.0.months", "0"),
                ("after.0.parts", "cost_price"),
                ("after.0.labor", "free"),
                ("after.0.travel", "free"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    for id in [
        "code-error",
        "name-error",
        "effective_from-error",
        "months-error",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} in {html}");
    }
    assert!(
        html.contains("Enter a whole number."),
        "the page's own word for a bad number"
    );
    assert!(
        html.contains("Must be between 1 and 600."),
        "the after-term's length"
    );
    assert!(html.contains("value=\"bad code\""), "the input is kept");
    assert!(
        html.contains("value=\"twelve\""),
        "the refused number is kept as typed"
    );
    let token = app.token("admin").await;
    let (_, list) = app.get("/api/v1/warranty-policies", &token).await;
    assert_eq!(list["items"], json!([]), "a refused form writes nothing");

    // The product form: a bad interval and no name at once.
    let csrf = admin.csrf("/products/new").await;
    let (status, html, _) = admin
        .post(
            "/products/new",
            &[
                ("_csrf", &csrf),
                ("code", "M-1"),
                ("name", ""),
                ("product_line", "AC"),
                ("maintenance_interval_months", "6.5"),
                ("policy_code", ""),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"name-error\""));
    assert!(html.contains("id=\"maintenance_interval_months-error\""));
    let (_, list) = app.get("/api/v1/products", &token).await;
    assert_eq!(list["items"], json!([]));

    // Controls and forms only for those who may: the front office signs contracts but does
    // not keep the catalog; an engineer reads contracts only.
    let agent = Browser::new(&app, "zh-CN");
    agent.login("agent").await;
    for path in ["/products/new", "/warranty-policies/new"] {
        let (status, _, _) = agent.get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (_, html, _) = agent.get("/products").await;
    assert!(!html.contains("id=\"new-product\""));
    let (status, html, _) = agent.get("/contracts/new").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"contract-customer\""));
    let csrf = agent.csrf("/products").await;
    let (status, _, _) = agent
        .post(
            "/products/new",
            &[
                ("_csrf", &csrf),
                ("code", "M-2"),
                ("name", "x"),
                ("product_line", "y"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    let engineer = Browser::new(&app, "zh-CN");
    engineer.login("engineer").await;
    let (status, _, _) = engineer.get("/contracts/new").await;
    assert_eq!(status, 403);
    let (_, html, _) = engineer.get("/contracts").await;
    assert!(!html.contains("id=\"new-contract\""));
}
