//! The installed base through the API: policies, products, customers, units, search and the
//! warranty decision.

use crate::both;
use crate::helpers::TestApp;
use serde_json::{Value, json};

both!(
    a_unit_sold_under_a_policy_gets_the_warranty_decision_for_a_day,
    a_new_policy_version_applies_only_to_units_sold_from_its_date,
    the_search_box_finds_customers_by_phone_name_initials_and_serial,
    a_likely_duplicate_is_pointed_out_and_completeness_is_measured,
    serials_are_unique_per_maker_whatever_their_spelling,
    units_are_listed_by_serial_prefix_model_and_customer,
    a_service_contract_covers_its_units_beyond_the_warranty_and_is_listed_for_renewal,
    a_transfer_changes_the_owner_and_keeps_the_history,
);

/// 3 years free, from year 4 parts at cost and labor free; travel charged in warranty.
async fn seed_policy_and_product(app: &TestApp, admin: &str) {
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/warranty-policies",
            admin,
            Some(json!({"code": "LIFE3", "name": "三年保修，终身服务", "version": {
                "effective_from": "2020-01-01", "months": 36, "start_basis": "sale_date",
                "in_warranty": {"parts": "free", "labor": "free", "travel": "free"},
                "after": [{"from_month": 36, "coverage": {"parts": "cost_price", "labor": "free", "travel": "list_price"}}],
                "exclusion_charge": "cost_price"}})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = app
        .send("POST", "/api/v1/products", admin, Some(json!({"code": "KT-5P", "name": "5匹柜式空调", "product_line": "空调", "maintenance_interval_months": 6, "policy_code": "LIFE3"})))
        .await;
    assert_eq!(s, 201, "{b}");
}

async fn customer(app: &TestApp, token: &str, name: &str, phone: &str, address: &str) -> Value {
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/customers",
            token,
            Some(
                json!({"kind": "individual", "name": name, "region_code": "210102",
                "contacts": [{"name": name, "phones": [phone]}],
                "sites": [{"address": address, "region_code": "210102"}]}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

async fn unit(app: &TestApp, token: &str, serial: &str, customer: &Value, sale: &str) -> Value {
    let (s, b) = app
        .send("POST", "/api/v1/units", token, Some(json!({"serial": serial, "product_code": "KT-5P", "customer_id": customer["id"], "sale_date": sale})))
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

async fn a_unit_sold_under_a_policy_gets_the_warranty_decision_for_a_day(app: TestApp) {
    let admin = app.token("admin").await;
    seed_policy_and_product(&app, &admin).await;
    let agent = app.token("agent").await;
    let c = customer(
        &app,
        &agent,
        "张伟",
        "138 0013 8000",
        "沈阳市和平区南京北街1号",
    )
    .await;
    unit(&app, &agent, "KT-2023-0001", &c, "2023-03-15").await;

    // Last day in: 2026-03-14; first day out: 2026-03-15 (year 4: parts at cost, labor free).
    let (s, last_in) = app
        .get("/api/v1/units/kt20230001/warranty?on=2026-03-14", &agent)
        .await;
    assert_eq!(s, 200, "{last_in}");
    assert_eq!(last_in["decision"]["class"], "A");
    assert_eq!(last_in["decision"]["in_warranty"], true);
    assert_eq!(last_in["decision"]["end"], "2026-03-14");
    assert_eq!(last_in["decision"]["coverage"]["parts"], "free");
    assert_eq!(last_in["policy_code"], "LIFE3");
    let (_, first_out) = app
        .get("/api/v1/units/KT-2023-0001/warranty?on=2026-03-15", &agent)
        .await;
    assert_eq!(first_out["decision"]["class"], "B");
    assert_eq!(first_out["decision"]["in_warranty"], false);
    assert_eq!(first_out["decision"]["coverage"]["parts"], "cost_price");
    assert_eq!(first_out["decision"]["coverage"]["labor"], "free");
    let reasons = first_out["decision"]["reasons"]
        .as_array()
        .expect("reasons");
    assert!(
        !reasons.is_empty()
            && reasons
                .iter()
                .all(|r| r["zh"].is_string() && r["en"].is_string()),
        "{reasons:?}"
    );
    // Misuse in warranty is charged at cost.
    let (_, misuse) = app
        .get(
            "/api/v1/units/KT-2023-0001/warranty?on=2024-01-01&cause=misuse",
            &agent,
        )
        .await;
    assert_eq!(misuse["decision"]["class"], "B");
    assert_eq!(misuse["decision"]["coverage"]["parts"], "cost_price");
    // Bad input and unknown serials.
    let (s, b) = app
        .get("/api/v1/units/KT-2023-0001/warranty?on=2024-02-30", &agent)
        .await;
    assert_eq!((s, b["errors"][0]["field"].as_str()), (422, Some("on")));
    let (s, _) = app
        .get("/api/v1/units/KT-2023-0001/warranty?cause=bad_luck", &agent)
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        app.get("/api/v1/units/NOPE-1/warranty", &agent).await.0,
        404
    );
}

async fn a_new_policy_version_applies_only_to_units_sold_from_its_date(app: TestApp) {
    let admin = app.token("admin").await;
    seed_policy_and_product(&app, &admin).await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/warranty-policies/LIFE3/versions",
            &admin,
            Some(json!({"effective_from": "2025-01-01", "months": 12, "start_basis": "sale_date",
                "in_warranty": {"parts": "free", "labor": "free", "travel": "list_price"}, "exclusion_charge": "cost_price"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["versions"].as_array().expect("versions").len(), 2);
    let agent = app.token("agent").await;
    let c = customer(&app, &agent, "李娜", "13900001111", "大连市中山区人民路2号").await;
    unit(&app, &agent, "OLD-1", &c, "2024-12-31").await;
    unit(&app, &agent, "NEW-1", &c, "2025-01-01").await;
    let (_, old) = app
        .get("/api/v1/units/OLD-1/warranty?on=2026-06-01", &agent)
        .await;
    let (_, new) = app
        .get("/api/v1/units/NEW-1/warranty?on=2026-06-01", &agent)
        .await;
    assert_eq!(
        (
            old["policy_version"].as_str(),
            old["decision"]["in_warranty"].as_bool()
        ),
        (Some("2020-01-01"), Some(true))
    );
    assert_eq!(
        (
            new["policy_version"].as_str(),
            new["decision"]["in_warranty"].as_bool()
        ),
        (Some("2025-01-01"), Some(false))
    );
    let (s, b) = app
        .send("POST", "/api/v1/warranty-policies/LIFE3/versions", &admin, Some(json!({"effective_from": "2025-01-01", "months": 24, "start_basis": "sale_date",
            "in_warranty": {"parts": "free", "labor": "free", "travel": "free"}, "exclusion_charge": "cost_price"})))
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("version_exists")),
        "the past is never rewritten"
    );
}

async fn the_search_box_finds_customers_by_phone_name_initials_and_serial(app: TestApp) {
    let admin = app.token("admin").await;
    seed_policy_and_product(&app, &admin).await;
    let agent = app.token("agent").await;
    let zhang = customer(
        &app,
        &agent,
        "张伟",
        "+86 138-0013-8000",
        "沈阳市和平区南京北街1号",
    )
    .await;
    let wang = customer(
        &app,
        &agent,
        "王芳",
        "024-2345 6789",
        "沈阳市铁西区建设大路9号",
    )
    .await;
    unit(&app, &agent, "SN-7788-01", &zhang, "2024-05-01").await;
    unit(&app, &agent, "KT5P-2023-000450", &wang, "2023-06-01").await;
    let hit = |q: &str| {
        let app = &app;
        let agent = agent.clone();
        let q = q.to_owned();
        async move {
            let (s, b) = app
                .get(&format!("/api/v1/search?q={}", urlencode(&q)), &agent)
                .await;
            assert_eq!(s, 200, "{b}");
            b["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|h| {
                    (
                        h["name"].as_str().unwrap_or("").to_owned(),
                        h["matched"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        hit("0013 80").await,
        vec![("张伟".to_owned(), "phone".to_owned())]
    );
    assert_eq!(hit("8613800138000").await[0].0, "张伟");
    assert_eq!(hit("2345678").await[0].0, "王芳");
    assert_eq!(hit("张").await[0], ("张伟".to_owned(), "name".to_owned()));
    assert_eq!(hit("wf").await[0].0, "王芳", "pinyin initials");
    assert_eq!(
        hit("sn7788").await[0],
        ("张伟".to_owned(), "serial".to_owned())
    );
    assert_eq!(
        hit(zhang["number"].as_str().expect("number")).await[0].0,
        "张伟"
    );
    assert!(hit("没有这个人").await.is_empty());
    // A serial's tail, as read off a label (issue 13, defect 17): 4 characters at least.
    assert_eq!(
        hit("000450").await,
        vec![("王芳".to_owned(), "serial".to_owned())]
    );
    assert_eq!(
        hit("88-01").await,
        vec![("张伟".to_owned(), "serial".to_owned())]
    );
    assert_eq!(hit("p2023000450").await[0].0, "王芳", "any tail, any case");
    assert!(hit("450").await.is_empty(), "3 characters are too few");
    assert!(
        hit("0451").await.is_empty(),
        "a tail is the end of a serial"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn a_likely_duplicate_is_pointed_out_and_completeness_is_measured(app: TestApp) {
    let agent = app.token("agent").await;
    let first = customer(&app, &agent, "赵敏", "13700001234", "鞍山市铁东区二道街3号").await;
    assert_eq!(first["completeness"]["percent"], 100);
    assert!(
        first["likely_duplicates"]
            .as_array()
            .expect("list")
            .is_empty()
    );
    // The same number is refused until the agent confirms it is someone else
    // (tests/api/front_office.rs has the details).
    let body = |confirm: bool| {
        json!({"kind": "individual", "name": "赵敏敏", "region_code": "210102",
            "contacts": [{"name": "赵敏敏", "phones": ["137-0000-1234"]}],
            "sites": [{"address": "别处", "region_code": "210102"}], "confirm_duplicate": confirm})
    };
    let (s, b) = app
        .send("POST", "/api/v1/customers", &agent, Some(body(false)))
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["errors"][0]["code"], "duplicate_phone");
    let (s, second) = app
        .send("POST", "/api/v1/customers", &agent, Some(body(true)))
        .await;
    assert_eq!(s, 201, "{second}");
    assert_eq!(second["likely_duplicates"][0]["number"], first["number"]);
    assert_eq!(second["likely_duplicates"][0]["matched"], "phone");
    let (s, bare) = app
        .send(
            "POST",
            "/api/v1/customers",
            &agent,
            Some(json!({"kind": "company", "name": "盘锦某厂"})),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(bare["completeness"]["percent"], 0);
    let missing: Vec<&str> = bare["completeness"]["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        missing,
        vec!["phone", "contact", "address", "region", "company"]
    );
    let (s, b) = app
        .send("POST", "/api/v1/customers", &agent, Some(json!({"kind": "individual", "name": "错", "region_code": "999999", "contacts": [{"name": "x", "phones": ["abc"]}]})))
        .await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["region_code", "contacts[0].phones[0]"]);
}

async fn serials_are_unique_per_maker_whatever_their_spelling(app: TestApp) {
    let admin = app.token("admin").await;
    seed_policy_and_product(&app, &admin).await;
    let agent = app.token("agent").await;
    let c = customer(&app, &agent, "孙建国", "13612345678", "营口市站前区1号").await;
    unit(&app, &agent, "AB-100", &c, "2025-01-01").await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/units",
            &agent,
            Some(json!({"serial": "ab 100", "product_code": "KT-5P"})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("serial_taken"))
    );
    let (s, b) = app
        .send("POST", "/api/v1/units", &agent, Some(json!({"serial": "ab 100", "product_code": "KT-5P", "manufacturer": "格力", "third_party": true})))
        .await;
    assert_eq!(s, 201, "another maker may use the same serial: {b}");
    let (s, b) = app.get("/api/v1/units/AB100/warranty", &agent).await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("serial_ambiguous"))
    );
    let (_, c3) = app
        .get(
            "/api/v1/units/AB100/warranty?manufacturer=%E6%A0%BC%E5%8A%9B",
            &agent,
        )
        .await;
    assert_eq!(c3["decision"]["class"], "C");
    // A unit without a serial exists but never gets warranty service.
    let (s, nos) = app
        .send(
            "POST",
            "/api/v1/units",
            &agent,
            Some(
                json!({"product_code": "KT-5P", "customer_id": c["id"], "sale_date": "2026-01-01"}),
            ),
        )
        .await;
    assert_eq!(s, 201);
    assert!(nos["serial"].is_null());
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/units",
            &agent,
            Some(json!({"serial": "X1", "product_code": "NO-SUCH"})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("unknown_product"))
    );
}

async fn units_are_listed_by_serial_prefix_model_and_customer(app: TestApp) {
    let admin = app.token("admin").await;
    seed_policy_and_product(&app, &admin).await;
    let agent = app.token("agent").await;
    let a = customer(&app, &agent, "周敏", "13511112222", "盘锦市兴隆台区5号").await;
    let b = customer(&app, &agent, "吴强", "13533334444", "盘锦市大洼区6号").await;
    for (serial, owner) in [
        ("PJ-001", &a),
        ("PJ-002", &a),
        ("PJ-003", &b),
        ("QQ-001", &b),
    ] {
        unit(&app, &agent, serial, owner, "2025-06-01").await;
    }
    let serials = |v: &Value| {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|u| u["serial"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    let (_, by_prefix) = app.get("/api/v1/units?serial=pj", &agent).await;
    assert_eq!(serials(&by_prefix), vec!["PJ-001", "PJ-002", "PJ-003"]);
    let (_, by_owner) = app
        .get(
            &format!(
                "/api/v1/units?customer_id={}",
                b["id"].as_str().expect("id")
            ),
            &agent,
        )
        .await;
    assert_eq!(serials(&by_owner), vec!["PJ-003", "QQ-001"]);
    let (_, by_model) = app.get("/api/v1/units?product=kt-5p&limit=2", &agent).await;
    assert_eq!(serials(&by_model).len(), 2);
    assert!(by_model["next_cursor"].is_string());
    let (_, one) = app.get("/api/v1/units/pj003", &agent).await;
    assert_eq!(one["owner"]["name"], "吴强");
    assert_eq!(one["ownerships"][0]["since"], "2025-06-01");
}

async fn a_service_contract_covers_its_units_beyond_the_warranty_and_is_listed_for_renewal(
    app: TestApp,
) {
    let admin = app.token("admin").await;
    seed_policy_and_product(&app, &admin).await;
    let agent = app.token("agent").await;
    let owner = customer(&app, &agent, "郑强", "13811110000", "营口市鲅鱼圈区7号").await;
    let other = customer(&app, &agent, "冯丽", "13822220000", "营口市站前区8号").await;
    let u = unit(&app, &agent, "CT-2019-1", &owner, "2019-05-01").await;
    let foreign = unit(&app, &agent, "CT-2019-2", &other, "2019-05-01").await;
    // Out of warranty since 2022-05-01: parts at cost.
    let (_, before) = app
        .get("/api/v1/units/CT-2019-1/warranty?on=2026-06-01", &agent)
        .await;
    assert_eq!(before["decision"]["coverage"]["parts"], "cost_price");

    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date();
    let end = today.checked_add(jiff::Span::new().days(20)).expect("date");
    let body = json!({"customer_id": owner["id"], "start_date": "2026-01-01", "end_date": end.to_string(), "service_level": "gold",
        "parts": "free", "labor": "free", "inspection_plan": [{"kind": "call", "every_months": 1}, {"kind": "visit", "every_months": 3}],
        "unit_ids": [u["id"]]});
    let (s, contract) = app
        .send("POST", "/api/v1/contracts", &agent, Some(body))
        .await;
    assert_eq!(s, 201, "{contract}");
    assert!(
        contract["number"]
            .as_str()
            .expect("number")
            .starts_with("HT")
    );
    assert_eq!(
        contract["remind_on"],
        end.checked_sub(jiff::Span::new().days(30))
            .expect("date")
            .to_string()
    );

    let (_, covered) = app
        .get("/api/v1/units/CT-2019-1/warranty?on=2026-06-01", &agent)
        .await;
    assert_eq!(covered["decision"]["covered_by_contract"], true);
    assert_eq!(covered["decision"]["class"], "A");
    assert_eq!(covered["decision"]["coverage"]["parts"], "free");
    assert_eq!(
        covered["decision"]["coverage"]["travel"], "list_price",
        "items the contract leaves out follow the warranty"
    );
    let (_, before_start) = app
        .get("/api/v1/units/CT-2019-1/warranty?on=2025-12-31", &agent)
        .await;
    assert_eq!(before_start["decision"]["covered_by_contract"], false);

    let (_, soon) = app
        .get("/api/v1/contracts?expiring_within_days=30", &agent)
        .await;
    assert_eq!(soon["items"][0]["number"], contract["number"]);
    let (_, later) = app
        .get("/api/v1/contracts?expiring_within_days=10", &agent)
        .await;
    assert!(later["items"].as_array().expect("items").is_empty());

    let (s, b) = app
        .send("POST", "/api/v1/contracts", &agent, Some(json!({"customer_id": owner["id"], "start_date": "2026-01-01", "end_date": "2026-12-31",
            "service_level": "gold", "unit_ids": [foreign["id"]]})))
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("unit_of_another_customer"))
    );
    let (s, b) = app
        .send("POST", "/api/v1/contracts", &agent, Some(json!({"customer_id": owner["id"], "start_date": "2026-12-31", "end_date": "2026-01-01", "service_level": "gold"})))
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("before_start"))
    );
}

async fn a_transfer_changes_the_owner_and_keeps_the_history(app: TestApp) {
    let admin = app.token("admin").await;
    seed_policy_and_product(&app, &admin).await;
    let agent = app.token("agent").await;
    let seller = customer(&app, &agent, "韩梅", "13900002222", "大连市金州区1号").await;
    let buyer = customer(&app, &agent, "李雷", "13900003333", "大连市中山区2号").await;
    let u = unit(&app, &agent, "TR-1", &seller, "2024-01-10").await;
    let body = json!({"version": u["version"], "customer_id": buyer["id"], "since": "2025-07-01", "note": "二手转让"});
    let (s, moved) = app
        .send(
            "POST",
            "/api/v1/units/TR-1/transfer",
            &agent,
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["owner"]["name"], "李雷");
    let owners: Vec<&str> = moved["ownerships"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|o| o["since"].as_str())
        .collect();
    assert_eq!(owners, vec!["2024-01-10", "2025-07-01"]);
    // The same edit again is stale.
    let (s, b) = app
        .send("POST", "/api/v1/units/TR-1/transfer", &agent, Some(body))
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale_version")));
    let (_, units) = app
        .get(
            &format!(
                "/api/v1/units?customer_id={}",
                seller["id"].as_str().expect("id")
            ),
            &agent,
        )
        .await;
    assert!(
        units["items"].as_array().expect("items").is_empty(),
        "the seller has it no more"
    );
    let (_, trail) = app
        .get(
            &format!(
                "/api/v1/audit?entity=unit&entity_id={}&action=transfer",
                u["id"].as_str().expect("id")
            ),
            &admin,
        )
        .await;
    assert_eq!(trail["items"][0]["before"]["customer_id"], seller["id"]);
}
