//! Handing a job nobody here may take to another station or a partner (issue 13, defect 6):
//! the units offered (covering the place, with someone to arrange it), the reason required,
//! the order and its request moved, the event on the timeline, the receiving unit's
//! dispatcher told, the job gone from the board that handed it. On SQLite and PostgreSQL.

use crate::both;
use crate::dispatch_ui::{pending_order, set_regions, world};
use crate::helpers::TestApp;
use crate::web::Browser;
use serde_json::{Value, json};

both!(
    a_job_is_handed_to_a_station_covering_the_place_and_leaves_this_board,
    a_job_is_handed_over_from_the_board_s_next_steps,
);

/// 沈阳铁西 covers all of 沈阳 too, and gets a dispatcher of its own (`tx.dispatcher`).
async fn second_station(app: &TestApp) -> String {
    let admin = app.token("admin").await;
    set_regions(app, &admin, "SY-TX", &["210106", "210100"]).await;
    let (s, b) = app
        .send("POST", "/api/v1/users", &admin, Some(json!({"username": "tx.dispatcher", "display_name": "铁西调度",
            "role": "dispatcher", "org_unit_id": app.unit_id("SY-TX").await, "password": "tx-dispatcher-2026"})))
        .await;
    assert_eq!(s, 201, "{b}");
    app.token_with("tx.dispatcher", "tx-dispatcher-2026").await
}

fn pending_numbers(board: &Value) -> Vec<String> {
    board["unassigned"]
        .as_array()
        .expect("unassigned")
        .iter()
        .map(|j| j["number"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn a_job_is_handed_to_a_station_covering_the_place_and_leaves_this_board(app: TestApp) {
    let w = world(&app).await;
    let wo = pending_order(&app, &w, "normal").await;
    let n = wo["number"].as_str().expect("number").to_owned();
    let targets = |token: String| {
        let (app, n) = (&app, n.clone());
        async move {
            let (s, b) = app
                .get(&format!("/api/v1/work-orders/{n}/transfer-targets"), &token)
                .await;
            (s, b)
        }
    };
    // Nobody else covers 和平区 with someone to arrange it yet.
    let (s, b) = targets(w.dispatcher.clone()).await;
    assert_eq!(
        (s, b["items"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{b}"
    );
    let tx = second_station(&app).await;
    let (s, b) = targets(w.dispatcher.clone()).await;
    assert_eq!(s, 200, "{b}");
    let items = b["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{b}");
    assert_eq!(items[0]["unit"]["code"], "SY-TX");
    assert_eq!(items[0]["coverage"], "city");
    assert_eq!(items[0]["receivers"], json!(["铁西调度"]));
    let tx_id = items[0]["unit"]["id"].as_str().expect("id").to_owned();

    // Who may not hand jobs over.
    for who in ["agent", "engineer", "warehouse"] {
        let (s, _) = targets(app.token(who).await).await;
        assert_eq!(s, 403, "{who}");
        let (s, _) = app
            .send(
                "POST",
                &format!("/api/v1/work-orders/{n}/transfer"),
                &app.token(who).await,
                Some(json!({"org_unit_id": tx_id, "reason": "无认证工程师", "version": 1})),
            )
            .await;
        assert_eq!(s, 403, "{who}");
    }
    // Every field's error at once; a unit not offered is refused on its field.
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{n}/transfer"),
            &w.dispatcher,
            Some(json!({"org_unit_id": "not-an-id", "reason": "  ", "version": 1})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"reason") && fields.contains(&"org_unit_id"),
        "{b}"
    );
    let (s, b) = app
        .send("POST", &format!("/api/v1/work-orders/{n}/transfer"), &w.dispatcher,
            Some(json!({"org_unit_id": app.unit_id("SY-HN").await, "reason": "无认证工程师", "version": 1})))
        .await;
    assert_eq!(
        (
            s,
            b["errors"][0]["code"].as_str(),
            b["errors"][0]["field"].as_str()
        ),
        (409, Some("not_a_transfer_target"), Some("org_unit_id")),
        "{b}"
    );

    let (_, board) = app.get("/api/v1/dispatch/board", &w.dispatcher).await;
    assert!(pending_numbers(&board).contains(&n), "on the board before");
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{n}/transfer"),
            &w.dispatcher,
            Some(json!({"org_unit_id": tx_id, "reason": "本站无空调认证工程师", "version": 1})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["to"]["code"], "SY-TX");
    assert_eq!(b["told"], json!(["铁西调度"]));
    assert_eq!(b["work_order"]["status"], "pending");
    // A stale form is refused (the version moved).
    let (s, _) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{n}/transfer"),
            &w.dispatcher,
            Some(json!({"org_unit_id": tx_id, "reason": "again", "version": 1})),
        )
        .await;
    assert_eq!(s, 409);

    // It left the board that handed it, and is on the receiving station's.
    let (_, board) = app.get("/api/v1/dispatch/board", &w.dispatcher).await;
    assert!(
        !pending_numbers(&board).contains(&n),
        "gone from this board: {board}"
    );
    let (_, board) = app.get("/api/v1/dispatch/board", &tx).await;
    assert!(pending_numbers(&board).contains(&n), "on theirs");
    let (_, board) = app
        .get("/api/v1/dispatch/board", &app.token("admin").await)
        .await;
    assert!(
        pending_numbers(&board).contains(&n),
        "admins see every board"
    );

    // The request moved with it; the timeline says so with the reason.
    let request = b["work_order"]["request"]["number"]
        .as_str()
        .expect("request")
        .to_owned();
    let (_, r) = app
        .get(&format!("/api/v1/service-requests/{request}"), &tx)
        .await;
    assert_eq!(r["org_unit"]["code"], "SY-TX", "{r}");
    let (_, events) = app
        .get(&format!("/api/v1/service-requests/{request}/events"), &tx)
        .await;
    let moved = events["items"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "transferred")
        .cloned()
        .unwrap_or_else(|| panic!("no transferred event: {events}"));
    assert_eq!(moved["data"]["to_name"], "沈阳铁西服务站");
    assert_eq!(moved["data"]["reason"], "本站无空调认证工程师");
    assert_eq!(moved["work_order_number"], n.as_str());

    // The receiving dispatcher is told, in the bell, with a link to the job.
    let (_, bell) = app.get("/api/v1/notifications", &tx).await;
    let told = bell["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|x| x["event"] == "job_transferred")
        .cloned()
        .unwrap_or_else(|| panic!("not told: {bell}"));
    assert!(
        told["subject"].as_str().unwrap_or("").contains(&n),
        "{told}"
    );
    assert!(
        told["body"]
            .as_str()
            .unwrap_or("")
            .contains("本站无空调认证工程师"),
        "{told}"
    );
    assert!(
        told["link"]
            .as_str()
            .unwrap_or("")
            .ends_with(&format!("/dispatch?job={n}")),
        "{told}"
    );
    // Once assigned, it is no longer handed over.
    let (s, o) = app
        .send(
            "POST",
            &format!("/api/v1/work-orders/{n}/dispatch"),
            &tx,
            Some(json!({"version": b["work_order"]["version"], "engineer_id": w.engineer_id})),
        )
        .await;
    assert_eq!(s, 200, "{o}");
    let (s, _) = app
        .send("POST", &format!("/api/v1/work-orders/{n}/transfer"), &tx,
            Some(json!({"org_unit_id": app.unit_id("SY-HP").await, "reason": "退回", "version": o["version"]})))
        .await;
    assert_eq!(s, 409);
}

/// The board's "nobody may be sent" panel offers the hand-over; a reason left empty comes
/// back beside its field with the form kept; then the job leaves the board, confirmed.
async fn a_job_is_handed_over_from_the_board_s_next_steps(app: TestApp) {
    let w = world(&app).await;
    // Nobody may be sent: the certified engineers' accounts are disabled (赵六 is not
    // certified).
    let admin = app.token("admin").await;
    for id in [&w.engineer_id, &w.wang_id, &w.qian_id] {
        let (_, u) = app.get(&format!("/api/v1/users/{id}"), &admin).await;
        let (s, b) = app
            .send(
                "PATCH",
                &format!("/api/v1/users/{id}"),
                &admin,
                Some(json!({"version": u["version"], "disabled": true})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let wo = pending_order(&app, &w, "normal").await;
    let n = wo["number"].as_str().expect("number").to_owned();
    second_station(&app).await;
    let b = Browser::new(&app, "zh-CN");
    b.login("dispatcher").await;
    let (s, html, _) = b.get(&format!("/dispatch?job={n}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"next-steps\""), "nobody fits: {html}");
    assert!(html.contains("id=\"transfer-form\""), "{html}");
    assert!(
        html.contains("沈阳铁西服务站（覆盖该市，通知：铁西调度）"),
        "{html}"
    );
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("csrf")
        .to_owned();
    let tx_id = app.unit_id("SY-TX").await;
    let (s, html, _) = b
        .post(
            "/dispatch/transfer",
            &[
                ("_csrf", &csrf),
                ("work_order", &n),
                ("version", "1"),
                ("org_unit_id", &tx_id),
                ("reason", " "),
                ("day", ""),
            ],
        )
        .await;
    assert_eq!(s, 422, "{html}");
    assert!(
        html.contains("id=\"transfer-reason-error\""),
        "beside the field: {html}"
    );
    let (s, _, to) = b
        .post(
            "/dispatch/transfer",
            &[
                ("_csrf", &csrf),
                ("work_order", &n),
                ("version", "1"),
                ("org_unit_id", &tx_id),
                ("reason", "本站无人可派"),
                ("day", ""),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let to = to.expect("redirect");
    let (_, html, _) = b.get(&to).await;
    assert!(html.contains("工单已转交给 沈阳铁西服务站"), "{html}");
    assert!(
        !html.contains(&format!("job={n}\"")),
        "gone from this board"
    );
}
