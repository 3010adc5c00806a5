//! The front office's road (issue 13, defects 2 and 7): a new caller's number lands in the
//! phone field and a number already on file is refused until confirmed (console, form and
//! API alike); a customer's and a unit's service history with visits and parts, newest
//! first; the request list narrowed to one customer; who may read which.

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::{World, on_site, world};
use crate::web::Browser;
use serde_json::{Value, json};

both!(
    a_phone_on_file_is_refused_until_confirmed_and_its_owners_are_listed,
    a_new_callers_number_goes_to_the_phone_and_a_duplicate_is_flagged_in_the_console,
    the_history_lists_requests_newest_first_with_their_visits_and_parts,
    the_request_list_and_the_pages_are_narrowed_to_one_customer,
    roles_that_may_not_read_customers_get_no_history_nor_owners,
);

async fn count_owners(app: &TestApp, token: &str, phone: &str) -> Vec<Value> {
    let (s, b) = app
        .get(
            &format!("/api/v1/customers/by-phone?phone={}", enc(phone)),
            token,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"].as_array().expect("items").clone()
}

fn enc(s: &str) -> String {
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

async fn a_phone_on_file_is_refused_until_confirmed_and_its_owners_are_listed(app: TestApp) {
    let agent = app.token("agent").await;
    let person = |name: &str, phone: &str| {
        json!({"kind": "individual", "name": name,
            "contacts": [{"name": name, "phones": ["024-2345 6789", phone]}]})
    };
    let (s, first) = app
        .send(
            "POST",
            "/api/v1/customers",
            &agent,
            Some(person("钱学军", "139 0000 1234")),
        )
        .await;
    assert_eq!(s, 201, "{first}");
    // The owners of the number, however it is spaced or prefixed.
    let owners = count_owners(&app, &agent, "+86 139-0000-1234").await;
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(owners[0]["number"], first["number"]);
    assert_eq!(owners[0]["phone"], "139 0000 1234");
    assert!(count_owners(&app, &agent, "139 0000 1235").await.is_empty());
    // A part of the number is not the number.
    assert!(count_owners(&app, &agent, "0000 1234").await.is_empty());
    let (s, b) = app
        .get("/api/v1/customers/by-phone?phone=abc", &agent)
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["code"], "phone_chars");

    // The same numbers on a new record: refused, each phone named, nothing written.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/customers",
            &agent,
            Some(person("钱雪君", "13900001234")),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "conflict");
    let fields: Vec<(&str, &str)> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or(""),
                e["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("contacts[0].phones[0]", "duplicate_phone"),
            ("contacts[0].phones[1]", "duplicate_phone")
        ]
    );
    assert!(
        b["detail"].as_str().is_some_and(|d| d.contains("已登记")),
        "{b}"
    );
    assert_eq!(count_owners(&app, &agent, "13900001234").await.len(), 1);
    // Bad input is reported before the duplicate: one round, every fault.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/customers",
            &agent,
            Some(json!({"kind": "individual", "name": "",
                "contacts": [{"name": "钱", "phones": ["13900001234"]}]})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "name");
    // Confirmed: filed, and the answer still points at the other record.
    let mut confirmed = person("钱雪君", "139 0000 1234");
    confirmed["confirm_duplicate"] = json!(true);
    let (s, second) = app
        .send("POST", "/api/v1/customers", &agent, Some(confirmed))
        .await;
    assert_eq!(s, 201, "{second}");
    assert_eq!(second["likely_duplicates"][0]["number"], first["number"]);
    let owners = count_owners(&app, &agent, "139 0000 1234").await;
    let numbers: Vec<&Value> = owners.iter().map(|o| &o["number"]).collect();
    assert_eq!(numbers, [&first["number"], &second["number"]]);
    // A new number is no duplicate.
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/customers",
            &agent,
            Some(json!({"kind": "individual", "name": "孙丽",
                "contacts": [{"name": "孙丽", "phones": ["137 1111 0000"]}]})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

/// The value of the input with this id.
fn value_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let tag = &html[at..at + html[at..].find('>').expect(">")];
    match tag.find("value=\"") {
        Some(v) => tag[v + 7..].split('"').next().unwrap_or("").to_owned(),
        None => String::new(),
    }
}

async fn a_new_callers_number_goes_to_the_phone_and_a_duplicate_is_flagged_in_the_console(
    app: TestApp,
) {
    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    // A number nobody has: one "new customer" control, then the form with the number in
    // the phone field and the name empty.
    let (s, html, _) = b.get("/console?q=139%200000%201234").await;
    assert_eq!(s, 200);
    assert_eq!(html.matches("新客户：建档").count(), 1, "{html}");
    assert!(!html.contains("id=\"new-caller-form\""), "the form waits");
    let (s, html, _) = b.get("/console?new_caller=1&q=139%200000%201234").await;
    assert_eq!(s, 200);
    assert_eq!(value_of(&html, "caller-phone"), "139 0000 1234");
    assert_eq!(value_of(&html, "caller-name"), "");
    assert!(!html.contains("id=\"new-caller-link\""), "one control");
    assert!(
        html.contains("maxlength=\"50\""),
        "the name's limit is the server's"
    );
    // A name typed in the search goes to the name.
    let (_, html, _) = b.get("/console?new_caller=1&q=%E6%9D%8E%E5%9B%9B").await;
    assert_eq!(value_of(&html, "caller-name"), "李四");
    assert_eq!(value_of(&html, "caller-phone"), "");

    // The phone is required; every fault at once, the input kept.
    let csrf = b.csrf("/console").await;
    let (s, html, _) = b
        .post(
            "/console/customers",
            &[
                ("_csrf", &csrf),
                ("name", &"张".repeat(51)),
                ("phone", ""),
                ("address", "沈阳市和平区1号"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"caller-phone-error\""), "{html}");
    assert!(html.contains("id=\"caller-name-error\""), "{html}");
    assert_eq!(value_of(&html, "caller-address"), "沈阳市和平区1号");
    let (s, _, loc) = b
        .post(
            "/console/customers",
            &[
                ("_csrf", &csrf),
                ("name", "王小明"),
                ("phone", "139 0000 1234"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let loc = loc.expect("redirect");
    assert!(loc.starts_with("/console?customer="), "{loc}");
    let (_, html, _) = b.get(&loc).await;
    assert_eq!(
        value_of(&html, "q"),
        "139 0000 1234",
        "the search box keeps the number"
    );
    assert!(html.contains("王小明"));
    // The next call finds him by his number; Enter before the results arrive opens him.
    let (_, html, _) = b.get("/console?q=13900001234").await;
    let hits = &html[html.find("id=\"console-hits\"").expect("hits")..];
    assert!(hits.contains("王小明"), "{hits}");
    let (s, _, open) = b.get("/console?open=1&q=139-0000-1234").await;
    assert_eq!(s, 303);
    assert!(
        open.as_deref()
            .is_some_and(|l| loc.starts_with(l.split("&q=").next().unwrap_or("?"))),
        "{open:?} vs {loc}"
    );
    let (s, _, _) = b.get("/console?open=1&q=137%209999%200000").await;
    assert_eq!(s, 200, "nobody: the page with the new-caller control");

    // The same number, spaced otherwise: flagged with the owner to use, nothing filed.
    let (s, html, _) = b
        .post(
            "/console/customers",
            &[
                ("_csrf", &csrf),
                ("name", "王晓明"),
                ("phone", "139-0000-1234"),
            ],
        )
        .await;
    assert_eq!(s, 409);
    assert!(html.contains("id=\"duplicate-phone\""), "{html}");
    assert!(html.contains("id=\"caller-phone-error\""));
    assert!(html.contains("王小明") && html.contains("使用此客户"));
    assert!(html.contains("id=\"confirm-duplicate\""));
    assert_eq!(value_of(&html, "caller-name"), "王晓明", "input kept");
    let agent = app.token("agent").await;
    assert_eq!(count_owners(&app, &agent, "13900001234").await.len(), 1);
    // Ticked: a second record, deliberately.
    let (s, _, _) = b
        .post(
            "/console/customers",
            &[
                ("_csrf", &csrf),
                ("name", "王晓明"),
                ("phone", "139-0000-1234"),
                ("confirm_duplicate", "1"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    assert_eq!(count_owners(&app, &agent, "13900001234").await.len(), 2);

    // The full customer form refuses it the same way and offers the same confirmation.
    let csrf = b.csrf("/customers/new").await;
    let form = [
        ("_csrf", csrf.as_str()),
        ("kind", "individual"),
        ("name", "王大明"),
        ("contacts.0.name", "王大明"),
        ("contacts.0.phones", "139 0000 1234"),
    ];
    let (s, html, _) = b.post("/customers/new", &form).await;
    assert_eq!(s, 422);
    assert!(html.contains("该号码已登记在其他客户名下"), "{html}");
    assert!(html.contains("id=\"confirm-duplicate\""));
    let mut confirmed = form.to_vec();
    confirmed.push(("confirm_duplicate", "1"));
    let (s, _, _) = b.post("/customers/new", &confirmed).await;
    assert_eq!(s, 303);
    assert_eq!(count_owners(&app, &agent, "13900001234").await.len(), 3);
}

/// Two requests of the world's customer: the first visited, with a part on its record;
/// the second newer, not yet triaged. (first request, its order, second request)
async fn two_requests(app: &TestApp, w: &World) -> (Value, Value, Value) {
    let (r1, o) = on_site(app, w).await;
    let wo = o["id"].as_str().expect("id").to_owned();
    let (s, o) = app
        .send("PUT", &format!("/api/v1/work-orders/{wo}/record"), &w.engineer, Some(json!({
            "version": 0, "diagnosis": "启动电容损坏", "action_taken": "更换启动电容",
            "parts": [{"part_no": "C-35UF", "name": "启动电容 35μF", "qty": 2}], "labor_minutes": 45,
            "test_run_done": true, "customer_trained": true})))
        .await;
    assert_eq!(s, 200, "{o}");
    let (s, r2) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(
                json!({"customer_id": w.customer["id"], "kind": "maintenance",
                "symptom": "年度保养"}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{r2}");
    (r1, o, r2)
}

async fn the_history_lists_requests_newest_first_with_their_visits_and_parts(app: TestApp) {
    let w = world(&app).await;
    let (r1, o, r2) = two_requests(&app, &w).await;
    let cid = w.customer["id"].as_str().expect("id");
    let (s, h) = app
        .get(&format!("/api/v1/customers/{cid}/history"), &w.agent)
        .await;
    assert_eq!(s, 200, "{h}");
    let numbers: Vec<&Value> = h["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| &e["request"]["number"])
        .collect();
    assert_eq!(numbers, [&r2["number"], &r1["number"]], "newest first");
    assert_eq!(h["more"], false);
    let visit = &h["items"][1]["visits"][0];
    assert_eq!(visit["order"]["number"], o["number"]);
    assert_eq!(visit["order"]["status"], "in_service");
    assert_eq!(visit["order"]["engineer"]["id"], json!(w.engineer_id));
    assert_eq!(
        visit["parts"],
        json!([{"part_no": "C-35UF", "name": "启动电容 35μF", "qty": 2}])
    );
    assert_eq!(h["items"][0]["visits"], json!([]));
    // The unit's history: only the request about the unit.
    let uid = w.unit["id"].as_str().expect("id");
    let (s, h) = app
        .get(&format!("/api/v1/units/{uid}/history"), &w.dispatcher)
        .await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["items"].as_array().expect("items").len(), 1);
    assert_eq!(h["items"][0]["request"]["number"], r1["number"]);
    // The engineer sees the requests with an order of theirs only.
    let (s, h) = app
        .get(&format!("/api/v1/customers/{cid}/history"), &w.engineer)
        .await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["items"].as_array().expect("items").len(), 1);
    // By serial too.
    let (s, h) = app.get("/api/v1/units/KT-0001/history", &w.agent).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["items"][0]["request"]["number"], r1["number"]);
    // Unknown records are 404, malformed ids too.
    let (s, _) = app
        .get(
            "/api/v1/customers/00000000-0000-7000-8000-000000000000/history",
            &w.agent,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .get(
            "/api/v1/units/00000000-0000-7000-8000-000000000000/history",
            &w.agent,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app.get("/api/v1/customers/nope/history", &w.agent).await;
    assert_eq!(s, 404);
    let (s, _) = app.get("/api/v1/units/NO-SUCH/history", &w.agent).await;
    assert_eq!(s, 404);

    // The pages: both requests on the customer's, with the visit, the engineer and the part.
    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let (s, html, _) = b.get(&format!("/customers/{cid}")).await;
    assert_eq!(s, 200);
    let section = &html[html.find("id=\"service-history\"").expect("history")..];
    let (p1, p2) = (
        section
            .find(r1["number"].as_str().expect("n"))
            .expect("first"),
        section
            .find(r2["number"].as_str().expect("n"))
            .expect("second"),
    );
    assert!(p2 < p1, "newest first");
    assert!(section.contains(&format!(
        "href=\"/requests/{}\"",
        r1["number"].as_str().expect("n")
    )));
    assert!(section.contains(o["number"].as_str().expect("wo")));
    assert!(section.contains("启动电容 35μF ×2"), "{section}");
    assert!(section.contains("维修中") || section.contains("st-in_service"));
    assert!(html.contains(&format!("href=\"/requests?customer={cid}\"")));
    let (s, html, _) = b.get(&format!("/units/{uid}")).await;
    assert_eq!(s, 200);
    let section = &html[html.find("id=\"service-history\"").expect("history")..];
    assert!(section.contains(r1["number"].as_str().expect("n")));
    assert!(!section.contains(r2["number"].as_str().expect("n")));
}

async fn the_request_list_and_the_pages_are_narrowed_to_one_customer(app: TestApp) {
    let w = world(&app).await;
    let (s, other) = app
        .send("POST", "/api/v1/customers", &w.agent, Some(json!({"kind": "individual", "name": "周其他",
            "contacts": [{"name": "周其他", "phones": ["137 2222 3333"]}], "sites": [{"address": "大连市中山区1号", "region_code": "210202"}]})))
        .await;
    assert_eq!(s, 201, "{other}");
    let (s, mine) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(json!({"customer_id": w.customer["id"],
            "unit_id": w.unit["id"], "kind": "repair", "symptom": "不制冷"})),
        )
        .await;
    assert_eq!(s, 201, "{mine}");
    let (s, theirs) = app
        .send(
            "POST",
            "/api/v1/service-requests",
            &w.agent,
            Some(json!({"customer_id": other["id"],
            "kind": "repair", "symptom": "漏水"})),
        )
        .await;
    assert_eq!(s, 201, "{theirs}");
    let cid = w.customer["id"].as_str().expect("id");
    let (s, list) = app
        .get(
            &format!("/api/v1/service-requests?customer_id={cid}"),
            &w.agent,
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let numbers: Vec<&Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| &r["number"])
        .collect();
    assert_eq!(numbers, [&mine["number"]]);

    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let (s, html, _) = b.get(&format!("/requests?customer={cid}")).await;
    assert_eq!(s, 200);
    let table = &html[html.find("id=\"requests\"").expect("table")..];
    assert!(table.contains(mine["number"].as_str().expect("n")));
    assert!(!table.contains(theirs["number"].as_str().expect("n")));
    assert!(table.contains("不制冷"), "the symptom column");
    assert!(table.contains("class=\"nowrap\""), "numbers do not wrap");
    assert!(
        html.contains("id=\"customer-filter\"") && html.contains("张伟"),
        "{html}"
    );
    assert!(
        html.contains(&format!("name=\"customer\" value=\"{cid}\"")),
        "kept by the filters"
    );
    let (_, html, _) = b.get("/requests").await;
    let table = &html[html.find("id=\"requests\"").expect("table")..];
    assert!(table.contains(theirs["number"].as_str().expect("n")));
    // A malformed customer id is said beside the list, not a crash.
    let (s, html, _) = b.get("/requests?customer=nope").await;
    assert_eq!(s, 200);
    assert!(html.contains("field-error"), "{html}");
}

async fn roles_that_may_not_read_customers_get_no_history_nor_owners(app: TestApp) {
    let w = world(&app).await;
    let cid = w.customer["id"].as_str().expect("id");
    let uid = w.unit["id"].as_str().expect("id");
    // A customer's account, a partner and the warehouse: no history of anyone's (the
    // warehouse reads customer records but no requests).
    for role in ["customer", "partner", "warehouse"] {
        let t = app.token(role).await;
        for path in [
            format!("/api/v1/customers/{cid}/history"),
            format!("/api/v1/units/{uid}/history"),
        ] {
            let (s, b) = app.get(&path, &t).await;
            assert_eq!(s, 403, "{role} {path}: {b}");
            assert_eq!(b["code"], "forbidden");
        }
    }
    let t = app.token("customer").await;
    let (s, _) = app
        .get("/api/v1/customers/by-phone?phone=13800138000", &t)
        .await;
    assert_eq!(s, 403);
    let (s, b) = app
        .send(
            "POST",
            "/api/v1/customers",
            &t,
            Some(json!({"kind": "individual", "name": "某",
            "contacts": [{"name": "某", "phones": ["138 0013 8000"]}], "confirm_duplicate": true})),
        )
        .await;
    assert_eq!(s, 403, "{b}");
    // The warehouse opens the customer's page without the history section.
    let b = Browser::new(&app, "zh-CN");
    b.login("warehouse").await;
    let (s, html, _) = b.get(&format!("/customers/{cid}")).await;
    assert_eq!(s, 200);
    assert!(!html.contains("id=\"service-history\""));
    // Engineers do not file new callers.
    let b = Browser::new(&app, "zh-CN");
    b.login("engineer").await;
    let csrf = b.csrf("/me/password").await;
    let (s, _, _) = b
        .post(
            "/console/customers",
            &[("_csrf", &csrf), ("name", "某"), ("phone", "137 0000 9999")],
        )
        .await;
    assert_eq!(s, 403);
}
