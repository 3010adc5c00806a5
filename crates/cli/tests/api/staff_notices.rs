//! Staff told when work arrives and leaves (issue 13, defect 8; docs/service-flow.md,
//! "Who is told"): a job taken off one engineer and given to another tells both, each in
//! the language of their own profile, and nobody is told of their own act.

use crate::both;
use crate::dispatch_ui::{pending_order, world};
use crate::helpers::TestApp;
use crate::service_flow::act;
use serde_json::{Value, json};

both!(a_job_given_to_another_engineer_tells_both_each_in_their_language,);

/// The bell's items as (event, subject, body, locale).
fn items(bell: &Value) -> Vec<(String, String, String, String)> {
    bell["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .map(|n| {
                    let s = |k: &str| n[k].as_str().unwrap_or_default().to_owned();
                    (s("event"), s("subject"), s("body"), s("locale"))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn a_job_given_to_another_engineer_tells_both_each_in_their_language(app: TestApp) {
    let w = world(&app).await;
    let admin = app.token("admin").await;
    // 李四 reads English: a second engineer of 沈阳和平, certified for 空调.
    let (s, u) = app
        .send(
            "POST",
            "/api/v1/users",
            &admin,
            Some(json!({"username": "lisi", "display_name": "李四", "role": "engineer",
                "org_unit_id": app.unit_id("SY-HP").await, "password": "demo-2026", "locale": "en"})),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    let lisi_id = u["id"].as_str().expect("id").to_owned();
    let today = jiff::Zoned::now().date();
    let (s, b) = app
        .send(
            "POST",
            &format!("/api/v1/users/{lisi_id}/certifications"),
            &admin,
            Some(
                json!({"product_line": "空调", "level": "certified", "number": "C-LISI",
                "issued_on": today.saturating_sub(jiff::Span::new().days(100)).to_string(),
                "expires_on": today.saturating_add(jiff::Span::new().days(300)).to_string()}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let lisi = app.token("lisi").await;

    let wo = pending_order(&app, &w, "normal").await;
    let id = wo["id"].as_str().expect("id");
    let n = wo["number"].as_str().expect("number");
    let (s, o) = act(
        &app,
        &w.dispatcher,
        id,
        "dispatch",
        json!({"version": 1, "engineer_id": w.engineer_id}),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    // Before the change of mind, 李四 has heard nothing.
    let (_, bell) = app.get("/api/v1/notifications", &lisi).await;
    assert_eq!(bell["unread"], 0, "{bell}");

    // The dispatcher gives the job to 李四.
    let (s, o) = act(
        &app,
        &w.dispatcher,
        id,
        "dispatch",
        json!({"version": o["version"], "engineer_id": lisi_id}),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o["engineer"]["id"], lisi_id.as_str(), "{o}");

    // 张伟 (zh-CN) hears it is no longer his, in Chinese, once.
    let (_, bell) = app.get("/api/v1/notifications", &w.engineer).await;
    let zhang = items(&bell);
    let withdrawn: Vec<_> = zhang.iter().filter(|x| x.0 == "job_withdrawn").collect();
    assert_eq!(withdrawn.len(), 1, "{bell}");
    assert_eq!(withdrawn[0].1, format!("工单已改派：{n}"));
    assert!(withdrawn[0].2.contains("无需再前往"), "{}", withdrawn[0].2);
    assert_eq!(withdrawn[0].3, "zh-CN");
    assert_eq!(zhang.iter().filter(|x| x.0 == "job_assigned").count(), 1);

    // 李四 (en) hears of the new job, in English, with no placeholder left.
    let (_, bell) = app.get("/api/v1/notifications", &lisi).await;
    let li = items(&bell);
    assert_eq!(li.len(), 1, "{bell}");
    assert_eq!(li[0].0, "job_assigned");
    assert_eq!(li[0].1, format!("New job: {n}"));
    assert!(
        li[0]
            .2
            .contains("Please accept or decline it on your phone"),
        "{}",
        li[0].2
    );
    assert!(!li[0].2.contains('{'), "{}", li[0].2);
    assert_eq!(li[0].3, "en");

    // The dispatcher, who acted, is told of neither.
    let (_, bell) = app.get("/api/v1/notifications", &w.dispatcher).await;
    assert!(
        items(&bell)
            .iter()
            .all(|x| x.0 != "job_withdrawn" && x.0 != "job_assigned"),
        "{bell}"
    );
}
