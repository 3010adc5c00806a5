//! Keeping customer records (R-CUS-1, R-CUS-3): editing a record with its contacts, phones
//! and sites, the history it leaves, search after an edit, and the incomplete records.

use crate::both;
use crate::helpers::TestApp;
use serde_json::{Value, json};

both!(
    an_edit_changes_contacts_and_sites_keeps_ids_and_leaves_a_history,
    a_site_with_units_cannot_be_removed_and_nothing_is_half_written,
    stale_foreign_and_invalid_edits_are_refused,
    search_follows_an_edit_of_phones_and_names,
    incomplete_records_are_listed_counted_and_leave_the_list_when_completed,
    the_demo_has_contracts_around_today_and_loads_once,
    imported_records_carry_their_completeness,
    coordinates_may_be_absent_then_present,
);

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, b) = app
        .send("POST", "/api/v1/customers", token, Some(body))
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

fn two_of_each() -> Value {
    json!({"kind": "company", "name": "王建国", "company": "沈阳鑫达物业", "region_code": "210102",
        "contacts": [
            {"name": "王建国", "title": "经理", "phones": ["138 0013 8000"]},
            {"name": "李娜", "phones": ["024-2345 6789"]}],
        "sites": [
            {"label": "总部", "address": "沈阳市和平区南京北街1号", "region_code": "210102"},
            {"label": "仓库", "address": "沈阳市皇姑区黄河大街9号", "region_code": "210105"}]})
}

/// The record as an edit body: every contact and site with its id.
fn as_edit(c: &Value) -> Value {
    json!({
        "version": c["version"], "kind": c["kind"], "name": c["name"], "company": c["company"],
        "region_code": c["region_code"], "notes": c["notes"],
        "contacts": c["contacts"].as_array().expect("contacts").iter().map(|k| json!({
            "id": k["id"], "name": k["name"], "title": k["title"],
            "phones": k["phones"].as_array().expect("phones").iter().map(|p| p["number"].clone()).collect::<Vec<_>>()
        })).collect::<Vec<_>>(),
        "sites": c["sites"].as_array().expect("sites").iter().map(|s| json!({
            "id": s["id"], "label": s["label"], "address": s["address"], "region_code": s["region_code"]
        })).collect::<Vec<_>>(),
    })
}

async fn seed_product(app: &TestApp) {
    let admin = app.token("admin").await;
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/warranty-policies",
            &admin,
            Some(json!({"code": "P1Y", "name": "一年保修", "version": {
                "effective_from": "2020-01-01", "months": 12, "start_basis": "sale_date",
                "in_warranty": {"parts": "free", "labor": "free", "travel": "free"},
                "after": [], "exclusion_charge": "cost_price"}})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/products",
            &admin,
            Some(json!({"code": "JSQ", "name": "净水器", "product_line": "净水", "policy_code": "P1Y"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

async fn an_edit_changes_contacts_and_sites_keeps_ids_and_leaves_a_history(app: TestApp) {
    let agent = app.token("agent").await;
    let c = create(&app, &agent, two_of_each()).await;
    let id = c["id"].as_str().expect("id").to_owned();
    let first_contact = c["contacts"][0]["id"].clone();
    let first_site = c["sites"][0]["id"].clone();
    let second_site = c["sites"][1]["id"].clone();

    // A new phone for the first contact, the second contact gone, a new one added; the
    // first site moved, the second kept as it was, a third added.
    let mut e = as_edit(&c);
    e["name"] = json!("王建军");
    e["contacts"][0]["phones"] = json!(["139 0000 1111", "138 0013 8000"]);
    e["contacts"] = json!([e["contacts"][0].clone(), {"name": "赵敏", "title": "前台", "phones": ["186 1234 5678"]}]);
    e["sites"][0]["address"] = json!("沈阳市和平区南京北街100号");
    e["sites"] = json!([e["sites"][0].clone(), e["sites"][1].clone(), {"address": "沈阳市铁西区建设大路5号", "region_code": "210106"}]);
    let (s, after) = app
        .send("PUT", &format!("/api/v1/customers/{id}"), &agent, Some(e))
        .await;
    assert_eq!(s, 200, "{after}");
    assert_eq!(after["version"], 2);
    assert_eq!(after["number"], c["number"], "the number never changes");
    assert_eq!(after["name"], "王建军");
    let contacts = after["contacts"].as_array().expect("contacts");
    assert_eq!(contacts.len(), 2);
    assert_eq!(
        contacts[0]["id"], first_contact,
        "a kept contact keeps its id"
    );
    let numbers: Vec<&str> = contacts[0]["phones"]
        .as_array()
        .expect("phones")
        .iter()
        .map(|p| p["number"].as_str().expect("number"))
        .collect();
    assert_eq!(numbers, ["139 0000 1111", "138 0013 8000"]);
    assert_eq!(contacts[1]["name"], "赵敏");
    assert!(!contacts.iter().any(|k| k["name"] == "李娜"));
    let sites = after["sites"].as_array().expect("sites");
    assert_eq!(sites.len(), 3);
    assert_eq!(sites[0]["id"], first_site);
    assert_eq!(sites[0]["address"], "沈阳市和平区南京北街100号");
    assert_eq!(sites[1]["id"], second_site);
    assert_eq!(sites[2]["region_name"], "辽宁省 沈阳市 铁西区");

    // The history keeps the record as it was, and as it became.
    let admin = app.token("admin").await;
    let (s, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={id}&action=update"),
            &admin,
        )
        .await;
    assert_eq!(s, 200, "{audit}");
    let entry = &audit["items"][0];
    assert_eq!(entry["before"]["name"], "王建国");
    assert_eq!(entry["after"]["name"], "王建军");
    let before_contacts = entry["before"]["contacts"].to_string();
    assert!(
        before_contacts.contains("李娜") && before_contacts.contains("024-2345 6789"),
        "{before_contacts}"
    );
    assert!(entry["before"]["sites"].to_string().contains("南京北街1号"));
}

async fn a_site_with_units_cannot_be_removed_and_nothing_is_half_written(app: TestApp) {
    seed_product(&app).await;
    let agent = app.token("agent").await;
    let c = create(&app, &agent, two_of_each()).await;
    let id = c["id"].as_str().expect("id").to_owned();
    let (s, u) = app
        .send(
            "POST",
            "/api/v1/units",
            &agent,
            Some(json!({"serial": "JSQ-0001", "product_code": "JSQ",
            "customer_id": id, "site_id": c["sites"][1]["id"], "sale_date": "2025-05-01"})),
        )
        .await;
    assert_eq!(s, 201, "{u}");

    // Drop the warehouse site (a unit is there) while also renaming: refused as a whole.
    let mut e = as_edit(&c);
    e["name"] = json!("改了名字");
    e["sites"] = json!([e["sites"][0].clone()]);
    let (s, b) = app
        .send("PUT", &format!("/api/v1/customers/{id}"), &agent, Some(e))
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["errors"][0]["field"], "sites", "{b}");
    assert_eq!(b["errors"][0]["code"], "site_in_use", "{b}");
    let (_, now) = app.get(&format!("/api/v1/customers/{id}"), &agent).await;
    assert_eq!(now["version"], 1);
    assert_eq!(now["name"], "王建国");
    assert_eq!(now["sites"].as_array().expect("sites").len(), 2);
    assert_eq!(now["contacts"], c["contacts"]);

    // Moving the unit first, then the site may go; the unit is untouched by the edit.
    let (s, u2) = app
        .send(
            "POST",
            "/api/v1/units/JSQ-0001/transfer",
            &agent,
            Some(
                json!({"version": u["version"], "customer_id": id, "site_id": c["sites"][0]["id"]}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{u2}");
    let mut e = as_edit(&c);
    e["sites"] = json!([e["sites"][0].clone()]);
    let (s, b) = app
        .send("PUT", &format!("/api/v1/customers/{id}"), &agent, Some(e))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["sites"].as_array().expect("sites").len(), 1);
}

async fn stale_foreign_and_invalid_edits_are_refused(app: TestApp) {
    let agent = app.token("agent").await;
    let c = create(&app, &agent, two_of_each()).await;
    let other = create(
        &app,
        &agent,
        json!({"kind": "individual", "name": "路人甲", "contacts": [{"name": "路人甲", "phones": ["13512345678"]}]}),
    )
    .await;
    let id = c["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/customers/{id}");

    let mut e = as_edit(&c);
    e["notes"] = json!("第一次修改");
    let (s, b) = app.send("PUT", &path, &agent, Some(e.clone())).await;
    assert_eq!(s, 200, "{b}");
    // The same version again is stale: a 409 with the current version.
    e["notes"] = json!("基于旧版本的修改");
    let (s, b) = app.send("PUT", &path, &agent, Some(e)).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "stale_version");
    let (_, now) = app.get(&path, &agent).await;
    assert_eq!(now["notes"], "第一次修改");

    // Another customer's contact id is not this record's.
    let mut e = as_edit(&now);
    e["contacts"][1]["id"] = other["contacts"][0]["id"].clone();
    let (s, b) = app.send("PUT", &path, &agent, Some(e)).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["errors"][0]["field"], "contacts[1].id");
    assert_eq!(b["errors"][0]["code"], "unknown_contact");

    // A bad phone is reported on its field, in the caller's language.
    let mut e = as_edit(&now);
    e["contacts"][0]["phones"] = json!(["138 0013 8000", "not a phone"]);
    let r = app
        .http
        .put(app.url(&path))
        .bearer_auth(&agent)
        .header("accept-language", "en")
        .json(&e)
        .send()
        .await
        .expect("request");
    let (s, b) = crate::helpers::split(r).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "contacts[0].phones[1]");
    assert_eq!(b["errors"][0]["code"], "phone_chars");

    // Someone who may only read records may not change them.
    let engineer = app.token("engineer").await;
    let (s, b) = app.send("PUT", &path, &engineer, Some(as_edit(&now))).await;
    assert_eq!(s, 403, "{b}");
    let (_, still) = app.get(&path, &agent).await;
    assert_eq!(still["version"], now["version"]);
}

async fn search(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let (s, b) = app
        .get(&format!("/api/v1/search?q={}", urlencode(q)), token)
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|h| h["number"].as_str().expect("number").to_owned())
        .collect()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn search_follows_an_edit_of_phones_and_names(app: TestApp) {
    let agent = app.token("agent").await;
    let c = create(&app, &agent, two_of_each()).await;
    let number = c["number"].as_str().expect("number").to_owned();
    assert_eq!(search(&app, &agent, "0013 80").await, vec![number.clone()]);
    assert_eq!(search(&app, &agent, "鑫达").await, vec![number.clone()]);
    assert_eq!(search(&app, &agent, "23456789").await, vec![number.clone()]);

    let mut e = as_edit(&c);
    e["name"] = json!("孙悟空");
    e["company"] = json!("花果山水帘洞");
    e["contacts"] =
        json!([{"id": c["contacts"][0]["id"], "name": "孙悟空", "phones": ["+86 177 7777 0001"]}]);
    let (s, b) = app
        .send(
            "PUT",
            &format!("/api/v1/customers/{}", c["id"].as_str().expect("id")),
            &agent,
            Some(e),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // The old phones and names no longer lead here; the new ones do.
    assert!(search(&app, &agent, "0013 80").await.is_empty());
    assert!(search(&app, &agent, "23456789").await.is_empty());
    assert!(search(&app, &agent, "鑫达").await.is_empty());
    assert_eq!(
        search(&app, &agent, "7777 0001").await,
        vec![number.clone()]
    );
    assert_eq!(search(&app, &agent, "水帘洞").await, vec![number.clone()]);
    assert_eq!(search(&app, &agent, "swk").await, vec![number.clone()]);
}

async fn incomplete_records_are_listed_counted_and_leave_the_list_when_completed(app: TestApp) {
    let agent = app.token("agent").await;
    let full = create(&app, &agent, two_of_each()).await;
    let no_phone = create(
        &app,
        &agent,
        json!({"kind": "individual", "name": "钱多多", "contacts": [{"name": "钱多多"}],
            "sites": [{"address": "大连市中山区人民路1号", "region_code": "210202"}]}),
    )
    .await;
    let bare_company = create(
        &app,
        &agent,
        json!({"kind": "company", "name": "某公司", "contacts": [{"name": "某人", "phones": ["13900001234"]}]}),
    )
    .await;
    assert_eq!(full["completeness"]["percent"], 100);
    assert_eq!(no_phone["completeness"]["percent"], 75);
    assert_eq!(
        bare_company["completeness"]["missing"],
        json!(["address", "region", "company"])
    );

    let numbers = |b: &Value| -> Vec<String> {
        b["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["number"].as_str().expect("number").to_owned())
            .collect()
    };
    let (s, b) = app.get("/api/v1/customers/incomplete", &agent).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        numbers(&b),
        [no_phone["number"].clone(), bare_company["number"].clone()]
            .map(|v| v.as_str().expect("n").to_owned())
    );
    assert_eq!(b["items"][0]["completeness"]["missing"], json!(["phone"]));
    let (_, b) = app
        .get("/api/v1/customers/incomplete?missing=company", &agent)
        .await;
    assert_eq!(numbers(&b), [bare_company["number"].as_str().expect("n")]);
    let (s, b) = app
        .get("/api/v1/customers/incomplete?missing=fax", &agent)
        .await;
    assert_eq!(s, 422, "{b}");

    let (s, sum) = app.get("/api/v1/customers/completeness", &agent).await;
    assert_eq!(s, 200, "{sum}");
    assert_eq!(sum["total"], 3);
    assert_eq!(sum["complete"], 1);
    assert_eq!(sum["complete_percent"], 33.3);
    assert_eq!(sum["target_percent"], 85.0);
    let missing: Vec<(String, i64)> = sum["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .map(|m| {
            (
                m["item"].as_str().expect("item").to_owned(),
                m["count"].as_i64().expect("count"),
            )
        })
        .collect();
    assert_eq!(
        missing,
        [
            ("phone", 1),
            ("contact", 0),
            ("address", 1),
            ("region", 1),
            ("company", 1)
        ]
        .map(|(i, n)| (i.to_owned(), n))
    );

    // Completing the record takes it off the list and into the share.
    let mut e = as_edit(&no_phone);
    e["contacts"][0]["phones"] = json!(["13700001111"]);
    let (s, b) = app
        .send(
            "PUT",
            &format!("/api/v1/customers/{}", no_phone["id"].as_str().expect("id")),
            &agent,
            Some(e),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["completeness"]["percent"], 100);
    let (_, b) = app.get("/api/v1/customers/incomplete", &agent).await;
    assert_eq!(numbers(&b), [bare_company["number"].as_str().expect("n")]);
    let (_, sum) = app.get("/api/v1/customers/completeness", &agent).await;
    assert_eq!(sum["complete"], 2);
}

async fn the_demo_has_contracts_around_today_and_loads_once(app: TestApp) {
    app.app.load_demo().await.expect("demo");
    app.app.load_demo().await.expect("demo again");
    let agent = app.token("agent").await;
    let (s, all) = app.get("/api/v1/contracts?limit=200", &agent).await;
    assert_eq!(s, 200, "{all}");
    let items = all["items"].as_array().expect("items");
    assert_eq!(items.len(), 10, "ten contracts, loaded once");
    assert!(
        items
            .iter()
            .all(|c| !c["unit_ids"].as_array().expect("units").is_empty())
    );
    let (_, soon) = app
        .get("/api/v1/contracts?expiring_within_days=30", &agent)
        .await;
    assert_eq!(soon["items"].as_array().expect("items").len(), 1, "{soon}");
    // And service requests in every state, loaded once.
    let (_, reqs) = app.get("/api/v1/service-requests?limit=200", &agent).await;
    let statuses: Vec<&str> = reqs["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["status"].as_str().expect("s"))
        .collect();
    assert_eq!(statuses.len(), 12, "{statuses:?}");
    for s in ["open", "in_progress", "resolved"] {
        assert!(statuses.contains(&s), "{s} in {statuses:?}");
    }
    let dispatcher = app.token("dispatcher").await;
    let (_, done) = app.get("/api/v1/reconciliation", &dispatcher).await;
    assert_eq!(done["completed"].as_array().expect("c").len(), 2, "{done}");
    assert_eq!(done["not_signed"].as_array().expect("n").len(), 1);
    // The demo also has incomplete records to work through.
    let (_, sum) = app.get("/api/v1/customers/completeness", &agent).await;
    assert_eq!(sum["total"], 200);
    assert!(sum["complete"].as_i64().expect("n") < 200, "{sum}");
}

async fn imported_records_carry_their_completeness(app: TestApp) {
    let agent = app.token("agent").await;
    let csv = "客户名称,联系人,电话,地址,行政区划代码\n\
               郑一,郑一,13512340001,沈阳市和平区一号路1号,210102\n\
               郑二,郑二,,沈阳市和平区二号路2号,210102\n\
               郑三,郑三,13512340003,沈阳市和平区三号路3号,\n";
    let resp = app
        .http
        .post(app.url("/api/v1/imports/customers?mode=strict&file_name=c.csv"))
        .bearer_auth(&agent)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("request");
    let (s, r) = crate::helpers::split(resp).await;
    assert_eq!((s, r["created"].as_i64()), (201, Some(3)), "{r}");
    let (_, b) = app.get("/api/v1/customers/incomplete", &agent).await;
    let got: Vec<(String, Value)> = b["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["name"].as_str().expect("name").to_owned(),
                i["completeness"]["missing"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("郑二".to_owned(), json!(["phone"])),
            ("郑三".to_owned(), json!(["region"]))
        ]
    );
    let (_, sum) = app.get("/api/v1/customers/completeness", &agent).await;
    assert_eq!(
        (sum["total"].as_i64(), sum["complete"].as_i64()),
        (Some(3), Some(1))
    );
}

/// Regression: sqlx's `Any` driver declares a NULL double as `float4` to PostgreSQL, so a
/// statement first run without coordinates failed later with them ("incorrect binary data
/// format"). Coordinates now travel as text with a cast.
async fn coordinates_may_be_absent_then_present(app: TestApp) {
    let agent = app.token("agent").await;
    for (i, coords) in [None, None, Some((41.79, 123.4)), None, Some((38.91, 121.6))]
        .into_iter()
        .enumerate()
    {
        let mut site = json!({"address": format!("测试路{i}号"), "region_code": "210102"});
        if let Some((lat, lng)) = coords {
            site["latitude"] = json!(lat);
            site["longitude"] = json!(lng);
        }
        let c = create(
            &app,
            &agent,
            json!({"kind": "individual", "name": format!("坐标{i}"), "contacts": [{"name": "x", "phones": [format!("1390000{i:04}")]}], "sites": [site]}),
        )
        .await;
        assert_eq!(
            c["sites"][0]["latitude"],
            coords.map_or(Value::Null, |c| json!(c.0))
        );
        // And the other way round in an edit.
        let mut e = as_edit(&c);
        e["sites"][0]["latitude"] = coords.map_or(json!(40.0), |_| Value::Null);
        e["sites"][0]["longitude"] = coords.map_or(json!(120.0), |_| Value::Null);
        let (s, b) = app
            .send(
                "PUT",
                &format!("/api/v1/customers/{}", c["id"].as_str().expect("id")),
                &agent,
                Some(e),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
}
