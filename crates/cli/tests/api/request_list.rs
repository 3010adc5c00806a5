//! The request list's SLA column (issue 13, defect 17): each request says how it stands
//! against its service levels now — on time, at risk, breached — in the API and on the page
//! (words and a color), judged from the kept clocks against "now" on a test clock.

use crate::helpers::TestApp;
use crate::service_flow::{file_request, world};
use crate::web::Browser;
use aftersales::Config;
use aftersales_app::ManualClock;
use aftersales_jobs::{WorkerOptions, run_once};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::sync::Arc;

/// Monday 2026-03-02 10:00 in Shanghai: a working day, so due times are known.
const MONDAY_10: &str = "2026-03-02T02:00:00Z";

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_list_says_how_each_request_stands_against_its_promise() {
        super::the_list_says_how_each_request_stands_against_its_promise(false).await
    }
}
mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_list_says_how_each_request_stands_against_its_promise() {
        super::the_list_says_how_each_request_stands_against_its_promise(true).await
    }
}

async fn run_jobs(t: &TestApp) {
    let opts = WorkerOptions::default();
    for _ in 0..50 {
        if run_once(&t.app, &t.handlers, &opts).await.expect("jobs") == 0 {
            return;
        }
    }
    panic!("jobs keep coming");
}

/// The `sla` of this request in the list, as the dispatcher reads it.
async fn standing(t: &TestApp, token: &str, number: &str) -> Value {
    let (s, b) = t
        .get(&format!("/api/v1/service-requests?number={number}"), token)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["items"].as_array().map(Vec::len), Some(1), "{b}");
    b["items"][0]["sla"].clone()
}

async fn the_list_says_how_each_request_stands_against_its_promise(pg: bool) {
    let clock = Arc::new(ManualClock::new(MONDAY_10.parse().expect("instant")));
    let adjust = |c: &mut Config| {
        c.embedded.clock = Some(clock.clone());
        c.jobs.enabled = false;
    };
    let t = if pg {
        TestApp::postgres_with(adjust).await
    } else {
        TestApp::sqlite_with(adjust).await
    };
    let w = world(&t).await;
    let r = file_request(&t, &w).await;
    run_jobs(&t).await;
    let number = r["number"].as_str().expect("number").to_owned();
    assert_eq!(standing(&t, &w.dispatcher, &number).await, "on_time");

    // The response clock's warning and due times, as the clocks say.
    let (s, sla) = t
        .get(
            &format!("/api/v1/service-requests/{number}/sla"),
            &w.dispatcher,
        )
        .await;
    assert_eq!(s, 200, "{sla}");
    let response = sla["clocks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["milestone"] == "response"))
        .cloned()
        .unwrap_or_else(|| panic!("no response clock in {sla}"));
    assert_eq!(response["state"], "running", "{response}");
    let instant =
        |v: &Value| -> Timestamp { v.as_str().expect("instant").parse().expect("instant") };
    let now: Timestamp = MONDAY_10.parse().expect("instant");
    let due = instant(&response["due_at"]);
    let warn = instant(&response["warn_at"]);
    assert!(now < warn && warn < due, "{response}");

    // Past the warning time (nothing recomputed: judged against now).
    clock.advance(warn.duration_since(now) + SignedDuration::from_mins(1));
    assert_eq!(standing(&t, &w.dispatcher, &number).await, "at_risk");
    let b = Browser::new(&t, "zh-CN");
    b.login("dispatcher").await;
    let (s, html, _) = b.get(&format!("/requests?number={number}")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains(r#"<span class="badge sla-warning">即将超时</span>"#),
        "words and a color: {html}"
    );

    // Past due: breached, in English too.
    clock.advance(due.duration_since(warn));
    assert_eq!(standing(&t, &w.dispatcher, &number).await, "breached");
    let b = Browser::new(&t, "en");
    b.login("dispatcher").await;
    let (s, html, _) = b.get(&format!("/requests?number={number}")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains(r#"<span class="badge sla-breached">Breached</span>"#),
        "{html}"
    );
    assert!(html.contains("<th>Service level</th>"), "{html}");
}
