//! Loaner units through the API (docs/loaners.md), on SQLite and PostgreSQL, each on a test
//! clock: the pool, lending against a request (which meets its "loaner by" milestone),
//! refusals of the wrong state, the return with its inspection, the history, who may do
//! what, bounded input, and the overdue alert reaching the owner exactly once.

use crate::helpers::TestApp;
use crate::service_flow::{World, file_request, world};
use aftersales_app::ManualClock;
use aftersales_jobs::{WorkerOptions, run_once};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;

/// Runs each listed `async fn(Env)` on SQLite and on PostgreSQL, each on a test clock.
macro_rules! clocked {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Env::new(false).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Env::new(true).await).await
                }
            )*
        }
    };
}

clocked!(
    a_loaner_lent_against_a_request_meets_its_loaner_milestone_and_comes_back_inspected,
    only_the_keepers_of_the_pool_lend_and_each_sees_their_own_units_loaners,
    bad_input_is_refused_naming_the_field,
    an_overdue_loan_alerts_its_owner_exactly_once,
);

/// Monday 2026-03-02 10:00 in Shanghai.
const MONDAY_10: &str = "2026-03-02T02:00:00Z";

struct Env {
    t: TestApp,
    clock: Arc<ManualClock>,
}

impl Env {
    async fn new(pg: bool) -> Env {
        let clock = Arc::new(ManualClock::new(MONDAY_10.parse().expect("instant")));
        let adjust = |c: &mut aftersales::Config| {
            c.embedded.clock = Some(clock.clone());
            c.jobs.enabled = false;
        };
        let t = if pg {
            TestApp::postgres_with(adjust).await
        } else {
            TestApp::sqlite_with(adjust).await
        };
        Env { t, clock }
    }

    /// Runs every job that is due now, as the worker would, until none is left.
    async fn run_jobs(&self) {
        let opts = WorkerOptions::default();
        for _ in 0..50 {
            if run_once(&self.t.app, &self.t.handlers, &opts)
                .await
                .expect("jobs")
                == 0
            {
                return;
            }
        }
        panic!("jobs keep coming");
    }

    async fn jump_to(&self, t: &str) {
        let to: Timestamp = t.parse().expect("instant");
        let now = aftersales_app::Clock::now(&*self.clock);
        self.clock.advance(to.duration_since(now));
        self.run_jobs().await;
    }

    async fn register(&self, token: &str, serial: &str) -> Value {
        let (s, b) = self
            .t
            .send(
                "POST",
                "/api/v1/loaners",
                token,
                Some(json!({"serial": serial, "model": "KFR-35GW 挂机",
                    "accessories": ["遥控器", "电源线"], "note": "九成新"})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b
    }

    async fn issue(&self, token: &str, loaner: &Value, request: &str, due: &str) -> (u16, Value) {
        self.t
            .send(
                "POST",
                &format!(
                    "/api/v1/loaners/{}/issue",
                    loaner["id"].as_str().expect("id")
                ),
                token,
                Some(json!({"request": request, "expected_return": due, "note": "客户急用"})),
            )
            .await
    }

    async fn loaner_clock(&self, token: &str, number: &str) -> Value {
        let (s, b) = self
            .t
            .get(&format!("/api/v1/service-requests/{number}/sla"), token)
            .await;
        assert_eq!(s, 200, "{b}");
        b["clocks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["milestone"] == "loaner"))
            .cloned()
            .unwrap_or_else(|| panic!("no loaner clock in {b}"))
    }
}

fn kinds(events: &Value) -> Vec<String> {
    events["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn a_loaner_lent_against_a_request_meets_its_loaner_milestone_and_comes_back_inspected(
    e: Env,
) {
    let w: World = world(&e.t).await;
    let r = file_request(&e.t, &w).await;
    let number = r["number"].as_str().expect("number").to_owned();
    let warehouse = e.t.token("warehouse").await;
    let l = e.register(&warehouse, " ln-2026 001 ").await;
    assert_eq!(l["serial"], "LN2026001");
    assert_eq!(l["status"], "available");
    assert_eq!(l["accessories"], json!(["遥控器", "电源线"]));
    let before = e.loaner_clock(&w.dispatcher, &number).await;
    assert_ne!(before["state"], "met", "{before}");

    // A second loaner of the same serial is refused.
    let (s, b) =
        e.t.send(
            "POST",
            "/api/v1/loaners",
            &warehouse,
            Some(json!({"serial": "LN-2026-001", "model": "x"})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["errors"][0]["field"], "serial", "{b}");

    e.clock.advance(SignedDuration::from_mins(90));
    let (s, b) = e
        .issue(&warehouse, &l, &number.to_lowercase(), "2026-03-09")
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "on_loan");
    assert_eq!(b["current_loan"]["request_number"], number.as_str());
    assert_eq!(b["current_loan"]["expected_return"], "2026-03-09");
    assert_eq!(b["current_loan"]["customer_name"], "张伟");

    // The request's timeline says so, and its "loaner by" milestone is met at that moment.
    let (s, ev) =
        e.t.get(
            &format!(
                "/api/v1/service-requests/{}/events",
                r["id"].as_str().expect("id")
            ),
            &w.dispatcher,
        )
        .await;
    assert_eq!(s, 200, "{ev}");
    assert!(kinds(&ev).contains(&"loaner_issued".to_owned()), "{ev}");
    let after = e.loaner_clock(&w.dispatcher, &number).await;
    assert_eq!(after["state"], "met", "{after}");
    let met: Timestamp = after["met_at"]
        .as_str()
        .expect("met")
        .parse()
        .expect("instant");
    assert_eq!(
        met,
        "2026-03-02T03:30:00Z".parse::<Timestamp>().expect("t"),
        "{after}"
    );

    // Lent once: a second lending of it is refused, whoever asks.
    let other = file_request(&e.t, &w).await;
    let (s, b) = e
        .issue(
            &w.dispatcher,
            &l,
            other["number"].as_str().expect("number"),
            "2026-03-09",
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "loaner_not_available");

    // Back damaged, one accessory missing: to repair, and the loan completed once.
    let id = l["id"].as_str().expect("id");
    let (s, b) = e
        .t
        .send(
            "POST",
            &format!("/api/v1/loaners/{id}/return"),
            &warehouse,
            Some(json!({"condition": "damaged", "accessories_complete": false, "note": "外壳有裂纹，缺遥控器"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "in_repair");
    assert_eq!(b["current_loan"], Value::Null);
    assert_eq!(b["loans"][0]["condition"], "damaged");
    assert_eq!(b["loans"][0]["accessories_complete"], false);
    assert_eq!(b["loans"][0]["inspection_note"], "外壳有裂纹，缺遥控器");
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/loaners/{id}/return"),
            &warehouse,
            Some(json!({"condition": "good", "accessories_complete": true})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "loaner_not_on_loan");
    // In repair, it is not lent either.
    let (s, b) = e.issue(&warehouse, &l, &number, "2026-03-09").await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("loaner_not_available")),
        "{b}"
    );

    // The history, oldest first, and the request's timeline with the return.
    let (s, d) = e.t.get(&format!("/api/v1/loaners/{id}"), &warehouse).await;
    assert_eq!(s, 200, "{d}");
    let history: Vec<&str> = d["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(history, ["registered", "issued", "returned"]);
    assert_eq!(d["history"][1]["data"]["request_number"], number.as_str());
    assert_eq!(d["history"][1]["actor_name"], "赵敏");
    let (_, ev) =
        e.t.get(
            &format!(
                "/api/v1/service-requests/{}/events",
                r["id"].as_str().expect("id")
            ),
            &w.dispatcher,
        )
        .await;
    let k = kinds(&ev);
    assert_eq!(
        k.iter()
            .filter(|k| k.starts_with("loaner_"))
            .collect::<Vec<_>>(),
        ["loaner_issued", "loaner_returned"],
        "{ev}"
    );
    let returned = ev["items"]
        .as_array()
        .and_then(|i| i.iter().find(|x| x["kind"] == "loaner_returned"))
        .cloned()
        .expect("returned");
    assert_eq!(returned["data"]["condition"], "damaged", "{returned}");
    // Repaired: back in the pool and lent again; retired by hand it stays out.
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/loaners/{id}/status"),
            &warehouse,
            Some(json!({"to": "retired"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "retired");
    for (to, code) in [
        ("available", "loaner_not_in_repair"),
        ("retired", "loaner_not_retirable"),
    ] {
        let (s, b) =
            e.t.send(
                "POST",
                &format!("/api/v1/loaners/{id}/status"),
                &warehouse,
                Some(json!({"to": to})),
            )
            .await;
        assert_eq!((s, b["code"].as_str()), (409, Some(code)), "{to}: {b}");
    }
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/loaners/{id}/status"),
            &warehouse,
            Some(json!({"to": "on_loan"})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "to", "{b}");
    let fixed = e.register(&warehouse, "LN2026002").await;
    let fid = fixed["id"].as_str().expect("id");
    let (s, b) = e.issue(&warehouse, &fixed, &number, "2026-03-09").await;
    assert_eq!(s, 200, "{b}");
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/loaners/{fid}/status"),
            &warehouse,
            Some(json!({"to": "retired"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("loaner_not_retirable")),
        "{b}"
    );
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/loaners/{fid}/return"),
            &warehouse,
            Some(json!({"condition": "damaged", "accessories_complete": true})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/loaners/{fid}/status"),
            &warehouse,
            Some(json!({"to": "available", "note": "更换外壳"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "available");
    let kinds_of = |d: &Value| -> Vec<String> {
        d["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|h| h["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        kinds_of(&b),
        ["registered", "issued", "returned", "repaired"]
    );
    let (s, b) = e.issue(&warehouse, &fixed, &number, "2026-03-09").await;
    assert_eq!(s, 200, "{b}");
    // The list filters by status.
    for (status, n) in [
        ("retired", 1),
        ("on_loan", 1),
        ("available", 0),
        ("in_repair", 0),
    ] {
        let (_, list) =
            e.t.get(&format!("/api/v1/loaners?status={status}"), &warehouse)
                .await;
        assert_eq!(
            list["items"].as_array().map(Vec::len),
            Some(n),
            "{status}: {list}"
        );
    }
}

async fn only_the_keepers_of_the_pool_lend_and_each_sees_their_own_units_loaners(e: Env) {
    let w = world(&e.t).await;
    let r = file_request(&e.t, &w).await;
    let number = r["number"].as_str().expect("number");
    let warehouse = e.t.token("warehouse").await;
    let l = e.register(&warehouse, "LN100").await;
    let id = l["id"].as_str().expect("id");
    for role in ["engineer", "customer", "partner"] {
        let t = e.t.token(role).await;
        let (s, b) = e.t.get("/api/v1/loaners", &t).await;
        assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{role}");
        let (s, b) = e.issue(&t, &l, number, "2026-03-09").await;
        assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{role}");
        let (s, _) =
            e.t.send(
                "POST",
                &format!("/api/v1/loaners/{id}/return"),
                &t,
                Some(json!({"condition": "good", "accessories_complete": true})),
            )
            .await;
        assert_eq!(s, 403, "{role}");
    }
    // The agent reads the pool (to promise a loaner on the phone) but does not lend.
    let (s, b) = e.t.get(&format!("/api/v1/loaners/{id}"), &w.agent).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = e.issue(&w.agent, &l, number, "2026-03-09").await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{b}");
    // The manager of 沈阳分公司 does not see the central warehouse's loaner: it does not
    // exist for them.
    let manager = e.t.token("manager").await;
    let (s, _) = e.t.get(&format!("/api/v1/loaners/{id}"), &manager).await;
    assert_eq!(s, 404);
    let (s, _) = e.issue(&manager, &l, number, "2026-03-09").await;
    assert_eq!(s, 404);
    let (_, list) = e.t.get("/api/v1/loaners", &manager).await;
    assert_eq!(list["items"], json!([]), "{list}");
    // They keep their own subtree's pool: a loaner of 沈阳分公司, not one of the warehouse.
    let sy = e.t.unit_id("SY").await;
    let wh = e.t.unit_id("WH").await;
    let (s, b) =
        e.t.send(
            "POST",
            "/api/v1/loaners",
            &manager,
            Some(json!({"serial": "LN200", "model": "KFR-26", "owner_unit_id": wh})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "owner_unit_id", "{b}");
    let (s, b) =
        e.t.send(
            "POST",
            "/api/v1/loaners",
            &manager,
            Some(json!({"serial": "LN200", "model": "KFR-26"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["owner_unit_id"], sy.as_str());
    // The dispatcher sees and lends either.
    let (_, list) = e.t.get("/api/v1/loaners", &w.dispatcher).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");
    let (s, b) = e.issue(&w.dispatcher, &b, number, "2026-03-02").await;
    assert_eq!(s, 200, "{b}");
    // Every change is in the audit trail.
    let admin = e.t.token("admin").await;
    let (s, trail) = e.t.get("/api/v1/audit?entity=loaner", &admin).await;
    assert_eq!(s, 200, "{trail}");
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "create").count(),
        2,
        "{trail}"
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "issue").count(),
        1,
        "{trail}"
    );
}

async fn bad_input_is_refused_naming_the_field(e: Env) {
    let w = world(&e.t).await;
    let r = file_request(&e.t, &w).await;
    let number = r["number"].as_str().expect("number");
    let warehouse = e.t.token("warehouse").await;
    let l = e.register(&warehouse, "LN300").await;
    for (request, due, field, code) in [
        (number, "2026-03-01", "expected_return", "before_today"),
        (number, "2027-03-03", "expected_return", "return_too_far"),
        (number, "2026-02-30", "expected_return", "invalid_date"),
        (number, "3026-03-05", "expected_return", "year_out_of_range"),
        (
            "SR20990101-9999",
            "2026-03-09",
            "request",
            "unknown_request",
        ),
        ("", "2026-03-09", "request", "required"),
    ] {
        let (s, b) = e.issue(&warehouse, &l, request, due).await;
        assert_eq!(s, 422, "{request} {due}: {b}");
        assert_eq!(b["errors"][0]["field"], field, "{b}");
        assert_eq!(b["errors"][0]["code"], code, "{b}");
    }
    // The last day of the year ahead is still fine; nothing was lent before.
    let (s, b) = e.issue(&warehouse, &l, number, "2027-03-02").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["history"].as_array().map(Vec::len), Some(2), "{b}");
    let id = l["id"].as_str().expect("id");
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/loaners/{id}/return"),
            &warehouse,
            Some(json!({"condition": "like new", "accessories_complete": true})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "condition", "{b}");
    let long = "x".repeat(1001);
    for (body, field) in [
        (json!({"serial": "", "model": "m"}), "serial"),
        (json!({"serial": "备用1", "model": "m"}), "serial"),
        (json!({"serial": "LN301", "model": ""}), "model"),
        (
            json!({"serial": "LN301", "model": "m", "note": long}),
            "note",
        ),
        (
            json!({"serial": "LN301", "model": "m", "accessories": ["a", "a"]}),
            "accessories[1]",
        ),
    ] {
        let (s, b) =
            e.t.send("POST", "/api/v1/loaners", &warehouse, Some(body.clone()))
                .await;
        assert_eq!(s, 422, "{body}: {b}");
        assert_eq!(b["errors"][0]["field"], field, "{b}");
    }
    let (s, b) = e.t.get("/api/v1/loaners?status=lost", &warehouse).await;
    assert_eq!(s, 422, "{b}");
}

async fn an_overdue_loan_alerts_its_owner_exactly_once(e: Env) {
    let w = world(&e.t).await;
    let r = file_request(&e.t, &w).await;
    let number = r["number"].as_str().expect("number");
    let warehouse = e.t.token("warehouse").await;
    let l = e.register(&warehouse, "LN400").await;
    let (s, b) = e.issue(&w.dispatcher, &l, number, "2026-03-04").await;
    assert_eq!(s, 200, "{b}");
    let id = l["id"].as_str().expect("id");
    let alerts = |bell: &Value| {
        bell["items"]
            .as_array()
            .map(|i| i.iter().filter(|n| n["event"] == "loaner_overdue").count())
            .unwrap_or(0)
    };
    // The whole expected day is the customer's: 23:59 on it (Shanghai) is not overdue.
    e.jump_to("2026-03-04T15:59:00Z").await;
    // API sign-ins last a day: sign in again after each jump of the clock.
    let warehouse = e.t.token("warehouse").await;
    let (_, bell) = e.t.get("/api/v1/notifications", &warehouse).await;
    assert_eq!(alerts(&bell), 0, "{bell}");
    let (_, d) = e.t.get(&format!("/api/v1/loaners/{id}"), &warehouse).await;
    assert_eq!(d["overdue"], false, "{d}");
    // From midnight on, it is, and the keeper of the owning warehouse is told.
    e.jump_to("2026-03-04T16:01:00Z").await;
    let warehouse = e.t.token("warehouse").await;
    let (_, bell) = e.t.get("/api/v1/notifications", &warehouse).await;
    assert_eq!(alerts(&bell), 1, "{bell}");
    let n = bell["items"]
        .as_array()
        .and_then(|i| i.iter().find(|n| n["event"] == "loaner_overdue"))
        .cloned()
        .expect("alert");
    assert!(
        n["subject"].as_str().unwrap_or_default().contains("LN400"),
        "{n}"
    );
    assert!(
        n["body"].as_str().unwrap_or_default().contains(number),
        "{n}"
    );
    // Nobody outside the owning unit is told (the dispatcher lent it).
    let dispatcher = e.t.token("dispatcher").await;
    let (_, bell) = e.t.get("/api/v1/notifications", &dispatcher).await;
    assert_eq!(alerts(&bell), 0, "{bell}");
    // Days later, and with the jobs run again: still once.
    e.jump_to("2026-03-09T02:00:00Z").await;
    e.run_jobs().await;
    let warehouse = e.t.token("warehouse").await;
    let (_, bell) = e.t.get("/api/v1/notifications", &warehouse).await;
    assert_eq!(alerts(&bell), 1, "{bell}");
    let (_, d) = e.t.get(&format!("/api/v1/loaners/{id}"), &warehouse).await;
    assert_eq!(d["overdue"], true, "{d}");
    assert!(
        d["current_loan"]["overdue_alert_sent_at"].is_string(),
        "{d}"
    );
    let alerted = d["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["kind"] == "overdue_alerted")
        .count();
    assert_eq!(alerted, 1, "{d}");
    let (_, list) = e.t.get("/api/v1/loaners?overdue=true", &warehouse).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");

    // A loan back before its day is never alerted.
    let l2 = e.register(&warehouse, "LN401").await;
    let (s, b) = e.issue(&warehouse, &l2, number, "2026-03-10").await;
    assert_eq!(s, 200, "{b}");
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/loaners/{}/return", l2["id"].as_str().expect("id")),
            &warehouse,
            Some(json!({"condition": "good", "accessories_complete": true})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "available");
    e.jump_to("2026-03-12T02:00:00Z").await;
    let warehouse = e.t.token("warehouse").await;
    let (_, bell) = e.t.get("/api/v1/notifications", &warehouse).await;
    assert_eq!(alerts(&bell), 1, "{bell}");
}
