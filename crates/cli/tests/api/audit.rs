//! The audit trail (R-REC-1): every write leaves a row with actor, time, entity, action and
//! before/after; the rows cannot be changed, by the code or by hand. The audit page reads it
//! as sentences in the reader's language, with the service event log merged in (issue 13).

use crate::both;
use crate::helpers::TestApp;
use crate::web::Browser;
use serde_json::json;

both!(
    every_write_records_who_did_what_with_before_and_after,
    audit_rows_cannot_be_updated_or_deleted_even_with_sql,
    a_failed_write_leaves_no_audit_row_and_no_record,
    the_schema_refuses_a_kind_or_action_outside_the_vocabulary,
    the_api_answers_an_unknown_kind_with_an_empty_page,
    a_customer_edit_reads_as_a_sentence_with_its_changed_fields,
    sign_ins_are_hidden_unless_asked_for,
    request_and_work_order_changes_appear_with_their_numbers,
    the_trail_is_for_admins_and_managers_only,
    a_manager_reads_the_trail_of_their_own_subtree_only,
);

async fn every_write_records_who_did_what_with_before_and_after(app: TestApp) {
    let admin = app.token("admin").await;
    let (s, created) = app
        .send("POST", "/api/v1/users", &admin, Some(json!({"username": "li.na", "display_name": "李娜", "role": "agent", "org_unit_id": app.unit_id("HQ").await, "password": "li-na-password"})))
        .await;
    assert_eq!(s, 201);
    let id = created["id"].as_str().expect("id");
    let (s, _) = app
        .send(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            &admin,
            Some(json!({"version": 1, "role": "dispatcher"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, page) = app
        .get(&format!("/api/v1/audit?entity=user&entity_id={id}"), &admin)
        .await;
    assert_eq!(s, 200);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{page}");
    let (update, create) = (&items[0], &items[1]);
    assert_eq!(update["action"], "update");
    assert_eq!(update["actor_name"], "admin");
    assert_eq!(update["before"]["role"], "agent");
    assert_eq!(update["after"]["role"], "dispatcher");
    assert!(update["request_id"].is_string());
    assert_eq!(create["action"], "create");
    assert!(create["before"].is_null());
    assert_eq!(create["after"]["username"], "li.na");
    assert!(
        !create["after"].to_string().contains("argon2"),
        "no password hash in the trail"
    );
    // Filters: by actor and action.
    let (_, logins) = app
        .get("/api/v1/audit?action=login&actor=admin", &admin)
        .await;
    assert!(!logins["items"].as_array().expect("items").is_empty());
    assert!(
        logins["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|a| a["action"] == "login" && a["actor_name"] == "admin")
    );
}

async fn audit_rows_cannot_be_updated_or_deleted_even_with_sql(app: TestApp) {
    let before = app
        .raw_execute("SELECT 1 FROM audit_log")
        .await
        .expect("select");
    let _ = before;
    let upd = app
        .raw_execute("UPDATE audit_log SET action = 'forged'")
        .await;
    assert!(upd.is_err(), "UPDATE must be refused on {}", app.backend);
    let del = app.raw_execute("DELETE FROM audit_log").await;
    assert!(del.is_err(), "DELETE must be refused on {}", app.backend);
    let admin = app.token("admin").await;
    let (_, page) = app.get("/api/v1/audit?action=forged", &admin).await;
    assert!(page["items"].as_array().expect("items").is_empty());
    let (_, page) = app.get("/api/v1/audit?limit=5", &admin).await;
    assert_eq!(
        page["items"].as_array().expect("items").len(),
        5,
        "history is still there"
    );
}

async fn a_failed_write_leaves_no_audit_row_and_no_record(app: TestApp) {
    let admin = app.token("admin").await;
    let (_, before) = app
        .get("/api/v1/audit?entity=org_unit&limit=200", &admin)
        .await;
    let n = before["items"].as_array().expect("items").len();
    // A station under a station is refused by the tree rules, after validation passed.
    let (s, b) = app
        .send("POST", "/api/v1/org-units", &admin, Some(json!({"parent_id": app.unit_id("SY-HP").await, "kind": "station", "code": "SY-X", "name": "错误"})))
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("not_allowed_under_parent"))
    );
    let (_, after) = app
        .get("/api/v1/audit?entity=org_unit&limit=200", &admin)
        .await;
    assert_eq!(after["items"].as_array().expect("items").len(), n);
    assert!(
        app.app
            .find_org_unit_by_code("SY-X")
            .await
            .expect("lookup")
            .is_none()
    );
}

async fn the_schema_refuses_a_kind_or_action_outside_the_vocabulary(app: TestApp) {
    let good = app
        .raw_execute(
            "INSERT INTO audit_log (id, at, actor_name, entity, entity_id, action) \
             VALUES ('00000000-0000-7000-8000-000000000001', '2026-01-01T00:00:00.000000Z', 'x', 'customer', 'c', 'update')",
        )
        .await;
    assert!(good.is_ok(), "{good:?}");
    let kind = app
        .raw_execute(
            "INSERT INTO audit_log (id, at, actor_name, entity, entity_id, action) \
             VALUES ('00000000-0000-7000-8000-000000000002', '2026-01-01T00:00:00.000000Z', 'x', 'customers', 'c', 'update')",
        )
        .await;
    assert!(
        kind.is_err(),
        "an unknown kind is refused on {}",
        app.backend
    );
    let action = app
        .raw_execute(
            "INSERT INTO audit_log (id, at, actor_name, entity, entity_id, action) \
             VALUES ('00000000-0000-7000-8000-000000000003', '2026-01-01T00:00:00.000000Z', 'x', 'customer', 'c', 'edit')",
        )
        .await;
    assert!(
        action.is_err(),
        "an unknown action is refused on {}",
        app.backend
    );
}

async fn the_api_answers_an_unknown_kind_with_an_empty_page(app: TestApp) {
    let admin = app.token("admin").await;
    let (s, page) = app.get("/api/v1/audit?entity=forged", &admin).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["items"], json!([]));
    // The names read as they always did.
    let (s, page) = app
        .get("/api/v1/audit?entity=user&action=login", &admin)
        .await;
    assert_eq!(s, 200, "{page}");
    let first = &page["items"][0];
    assert_eq!(
        (first["entity"].as_str(), first["action"].as_str()),
        (Some("user"), Some("login"))
    );
}

/// A customer created and renamed by the agent, as the admin's audit page says it.
async fn renamed_customer(app: &TestApp) -> serde_json::Value {
    let agent = app.token("agent").await;
    let (s, c) = app
        .send(
            "POST",
            "/api/v1/customers",
            &agent,
            Some(json!({"kind": "individual", "name": "王建国",
            "region_code": "210102", "contacts": [{"name": "王建国", "phones": ["138 0013 8000"]}],
            "sites": [{"address": "沈阳市和平区南京北街1号", "region_code": "210102"}]})),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().expect("id");
    let (s, c) = app
        .send("PUT", &format!("/api/v1/customers/{id}"), &agent, Some(json!({
            "version": c["version"], "kind": "company", "name": "王建华", "company": "沈阳鑫达物业",
            "region_code": "210102",
            "contacts": [{"id": c["contacts"][0]["id"], "name": "王建国", "phones": ["138 0013 8000"]}],
            "sites": [{"id": c["sites"][0]["id"], "address": "沈阳市和平区南京北街1号", "region_code": "210102"}]})))
        .await;
    assert_eq!(s, 200, "{c}");
    c
}

/// The text of the page's entries, tags removed.
fn entries(html: &str) -> Vec<String> {
    let Some(start) = html.find("id=\"audit-trail\"") else {
        panic!("no trail in {html}");
    };
    let list = &html[start
        ..html[start..]
            .find("</ol>")
            .map_or(html.len(), |e| start + e)];
    list.split("<li class=\"audit-entry\">")
        .skip(1)
        .map(|li| {
            let mut text = String::new();
            let mut in_tag = false;
            for ch in li.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

async fn a_customer_edit_reads_as_a_sentence_with_its_changed_fields(app: TestApp) {
    let c = renamed_customer(&app).await;
    let (id, number) = (
        c["id"].as_str().expect("id"),
        c["number"].as_str().expect("number"),
    );
    let b = Browser::new(&app, "zh-CN");
    b.login("admin").await;
    let (s, html) = {
        let (s, html, _) = b.get("/admin/audit?kind=customer").await;
        (s, html)
    };
    assert_eq!(s, 200);
    let list = entries(&html);
    let edit = list.first().expect("an entry");
    assert!(
        edit.contains(&format!("王丽 修改了客户 {number} 王建华")),
        "who did what to which record: {edit}"
    );
    assert!(edit.contains("名称：王建国 → 王建华"), "{edit}");
    assert!(
        edit.contains("类型：个人 → 单位"),
        "the kind in words: {edit}"
    );
    assert!(edit.contains("单位名称：— → 沈阳鑫达物业"), "{edit}");
    assert!(!edit.contains(id), "no id in the text: {edit}");
    assert!(
        !edit.contains('{') && !edit.contains('"'),
        "no JSON: {edit}"
    );
    assert!(
        html.contains(&format!(
            "<a class=\"audit-record\" href=\"/customers/{id}\" translate=\"no\">"
        )),
        "the record is a link"
    );
    // Records are named as they are now: the creation names the customer by its new name.
    let create = &list[1];
    assert!(
        create.contains(&format!("新建了客户 {number} 王建华")),
        "{create}"
    );
    // The same entry in English: the words English, the names as written.
    let en = Browser::new(&app, "en");
    en.login("admin").await;
    let (_, html, _) = en.get("/admin/audit?kind=customer").await;
    let edit = entries(&html).remove(0);
    assert!(
        edit.contains(&format!("updated customer {number} 王建华")),
        "{edit}"
    );
    assert!(
        edit.contains("Kind: individual → company") || edit.contains("Kind: Individual → Company"),
        "{edit}"
    );
}

async fn sign_ins_are_hidden_unless_asked_for(app: TestApp) {
    let b = Browser::new(&app, "zh-CN");
    b.login("admin").await;
    renamed_customer(&app).await;
    let (_, html, _) = b.get("/admin/audit").await;
    let shown = entries(&html);
    assert!(!shown.is_empty());
    assert!(
        shown.iter().all(|e| !e.contains("登录了系统")),
        "sign-ins hidden by default: {shown:?}"
    );
    assert!(html.contains("id=\"hide_sign_ins\" name=\"hide_sign_ins\" value=\"1\" checked"));
    let (_, html, _) = b.get("/admin/audit?filtered=1").await;
    let all = entries(&html);
    assert!(
        all.iter()
            .any(|e| e.contains("系统管理员 登录了系统") && !e.contains("字段")),
        "shown when the box is cleared: {all:?}"
    );
    assert!(!html.contains("name=\"hide_sign_ins\" value=\"1\" checked"));
    let (_, html, _) = b.get("/admin/audit?filtered=1&hide_sign_ins=1").await;
    assert!(entries(&html).iter().all(|e| !e.contains("登录了系统")));
}

async fn request_and_work_order_changes_appear_with_their_numbers(app: TestApp) {
    let w = crate::dispatch_ui::world(&app).await;
    let wo = crate::dispatch_ui::pending_order(&app, &w, "normal").await;
    let n = wo["number"].as_str().expect("number");
    let (s, o) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{n}/dispatch"),
            &w.dispatcher,
            Some(json!({"version": 1, "engineer_id": w.engineer_id})),
        )
        .await;
    assert_eq!(s, 200, "{o}");
    let b = Browser::new(&app, "zh-CN");
    b.login("admin").await;
    let (_, html, _) = b.get("/admin/audit?kind=service_request").await;
    let requests = entries(&html);
    let filed = requests
        .iter()
        .find(|e| e.contains("受理报修"))
        .unwrap_or_else(|| panic!("the intake is listed: {requests:?}"));
    assert!(filed.contains("王丽 受理报修"), "{filed}");
    assert!(
        filed.contains("服务单") && filed.contains("张伟民"),
        "{filed}"
    );
    assert!(
        requests.iter().all(|e| !e.contains(n)),
        "work orders not under requests"
    );
    let (_, html, _) = b.get("/admin/audit?kind=work_order").await;
    let orders = entries(&html);
    let dispatched = orders
        .iter()
        .find(|e| e.contains("派工给 张伟"))
        .unwrap_or_else(|| panic!("the dispatch is listed: {orders:?}"));
    assert!(
        dispatched.contains("李强 ") && dispatched.contains(n),
        "{dispatched}"
    );
    assert!(html.contains("<a class=\"audit-record\" href=\"/requests/"));
    // Unfiltered, the trail holds both logs, newest first.
    let (_, html, _) = b.get("/admin/audit").await;
    let all = entries(&html);
    assert!(
        all[0].contains("派工给"),
        "the dispatch is the newest: {all:?}"
    );
    assert!(
        all.iter()
            .any(|e| e.contains("修改了") || e.contains("新建了"))
    );
}

async fn the_trail_is_for_admins_and_managers_only(app: TestApp) {
    for who in [
        "agent",
        "dispatcher",
        "engineer",
        "warehouse",
        "partner",
        "customer",
    ] {
        let b = Browser::new(&app, "zh-CN");
        b.login(who).await;
        let (s, _, _) = b.get("/admin/audit").await;
        assert_eq!(s, 403, "{who}");
    }
    // The audit API (the rows as written, every kind) stays the admins'.
    let (s, _) = app.get("/api/v1/audit", &app.token("manager").await).await;
    assert_eq!(s, 403);
}

/// Issue 13, defect 11: the manager of 沈阳分公司 reads the trail of the records of their
/// subtree (the request filed for 沈阳和平服务站, its work order, its customer), in words,
/// with links; never sign-ins, users nor what holds network-wide; a manager of another
/// branch reads none of it.
async fn a_manager_reads_the_trail_of_their_own_subtree_only(app: TestApp) {
    let w = crate::dispatch_ui::world(&app).await;
    let wo = crate::dispatch_ui::pending_order(&app, &w, "normal").await;
    let n = wo["number"].as_str().expect("number").to_owned();
    let (s, o) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{n}/dispatch"),
            &w.dispatcher,
            Some(json!({"version": 1, "engineer_id": w.engineer_id})),
        )
        .await;
    assert_eq!(s, 200, "{o}");
    let request_number = o["request"]["number"].as_str().expect("request").to_owned();
    let (_, r) = app
        .get(
            &format!("/api/v1/service-requests/{request_number}"),
            &w.dispatcher,
        )
        .await;
    assert_eq!(r["org_unit"]["code"], "SY-HP", "{r}");
    let admin = app.token("admin").await;
    let (s, b) = app
        .send("POST", "/api/v1/users", &admin, Some(json!({"username": "dl.manager", "display_name": "大连主管",
            "role": "manager", "org_unit_id": app.unit_id("DL").await, "password": "dl-manager-2026"})))
        .await;
    assert_eq!(s, 201, "{b}");
    // A customer of no request of theirs: outside every subtree.
    let (s, c) = app
        .send(
            "POST",
            "/api/v1/customers",
            &w.agent,
            Some(json!({"kind": "individual", "name": "王建华",
            "region_code": "210102", "contacts": [{"name": "王建华", "phones": ["139 0000 5678"]}],
            "sites": [{"address": "沈阳市和平区南京北街3号", "region_code": "210102"}]})),
        )
        .await;
    assert_eq!(s, 201, "{c}");

    let sy = Browser::new(&app, "zh-CN");
    sy.login("manager").await;
    let (_, nav, _) = sy.get("/requests").await;
    assert!(
        nav.contains("href=\"/admin/audit\""),
        "the menu leads there"
    );
    let (s, html, _) = sy.get("/admin/audit?filtered=1").await;
    assert_eq!(s, 200);
    let all = entries(&html);
    assert!(
        all.iter()
            .any(|e| e.contains("受理报修") && e.contains(&request_number)),
        "the request filed for their station: {all:?}"
    );
    assert!(
        all.iter().any(|e| e.contains("派工给") && e.contains(&n)),
        "its work order: {all:?}"
    );
    assert!(
        all.iter()
            .any(|e| e.contains("新建了客户") && e.contains("张伟民")),
        "the customer of a request of theirs: {all:?}"
    );
    assert!(
        all.iter()
            .all(|e| !e.contains("登录了系统") && !e.contains("王建华") && !e.contains("大连主管")),
        "no sign-ins (even when asked), no other customer, no user administration: {all:?}"
    );
    assert!(
        !html.contains("id=\"export-links\""),
        "the export reads the whole trail"
    );
    assert!(
        !html.contains("<option value=\"user\""),
        "no kind they cannot read"
    );
    assert!(html.contains("<option value=\"customer\""));
    let (_, html, _) = sy.get("/admin/audit?kind=user").await;
    assert!(entries(&html).is_empty(), "users are not theirs to read");

    let dl = Browser::new(&app, "zh-CN");
    dl.login_with("dl.manager", "dl-manager-2026").await;
    let (s, html, _) = dl.get("/admin/audit?filtered=1").await;
    assert_eq!(s, 200);
    let theirs = entries(&html);
    assert!(
        theirs
            .iter()
            .all(|e| !e.contains(&request_number) && !e.contains(&n) && !e.contains("张伟民")),
        "another branch's records are not theirs: {theirs:?}"
    );
    // The admin still reads it all.
    let a = Browser::new(&app, "zh-CN");
    a.login("admin").await;
    let (_, html, _) = a.get("/admin/audit?filtered=1").await;
    let every = entries(&html);
    assert!(every.iter().any(|e| e.contains("王建华")), "{every:?}");
    assert!(html.contains("id=\"export-links\""));
}
