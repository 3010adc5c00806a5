//! Service levels through the API on a test clock (docs/sla.md): a request's clocks from
//! its events with pauses, the rule and its reason; the escalation ladder run by the job
//! handlers, told to users in their language through the bell and a real SMTP server
//! process (scripts/smtp-sink.py), to customers by SMS through a real HTTP webhook; an
//! acknowledgement stops the ladder; calendars and special days as data admins keep.

use crate::helpers::TestApp;
use crate::jobs::Receiver;
use crate::service_flow::{act, file_request, on_site, pending_order, world};
use aftersales::Config;
use aftersales_app::ManualClock;
use aftersales_jobs::{WorkerOptions, run_once};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

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
    clocks_pause_while_waiting_and_say_why,
    the_ladder_climbs_until_acknowledged_and_speaks_each_reader_s_language,
    a_missed_resolution_opens_the_emergency_plan_once,
    calendars_and_special_days_are_data_admins_keep,
    work_that_arrives_is_told_to_those_who_take_it,
);

/// Monday 2026-03-02 10:00 in Shanghai: a working day, so due times are known.
const MONDAY_10: &str = "2026-03-02T02:00:00Z";

mod site_time_zone {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::the_site_s_time_zone_decides_its_days(false).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::the_site_s_time_zone_decides_its_days(true).await
    }
}

/// One setting (`site_time_zone`, `AppConfig::site`) decides "today" and the zone of the
/// shipped calendars: on a site in New York, Monday 10:00 in Shanghai is still Sunday
/// 1 March.
async fn the_site_s_time_zone_decides_its_days(pg: bool) {
    let clock = Arc::new(ManualClock::new(MONDAY_10.parse().expect("instant")));
    let adjust = |c: &mut Config| {
        c.embedded.clock = Some(clock);
        c.site_time_zone = "America/New_York".into();
    };
    let t = if pg {
        TestApp::postgres_with(adjust).await
    } else {
        TestApp::sqlite_with(adjust).await
    };
    let admin = t.token("admin").await;
    let (s, cals) = t.get("/api/v1/calendars", &admin).await;
    assert_eq!(s, 200, "{cals}");
    let zones: Vec<&str> = cals
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["time_zone"].as_str())
        .collect();
    assert_eq!(zones, vec!["America/New_York"; 2], "{cals}");
    let w = world(&t).await;
    let r = file_request(&t, &w).await;
    let number = r["number"].as_str().expect("number");
    assert!(number.starts_with("SR20260301"), "{number}");
    let (s, board) = t.get("/api/v1/dispatch/board", &w.dispatcher).await;
    assert_eq!(
        (s, board["day"].as_str()),
        (200, Some("2026-03-01")),
        "{board}"
    );
}

/// The real SMTP server: scripts/smtp-sink.py, one file per message.
struct Sink {
    child: std::process::Child,
    dir: PathBuf,
    port: u16,
}

impl Sink {
    fn start() -> Sink {
        use std::io::BufRead;
        let dir = crate::helpers::temp_dir();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(&dir)
            .arg("0")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start scripts/smtp-sink.py (needs python3 with aiosmtpd)");
        let out = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("sink line");
        let port = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("smtp-sink said {line:?}"));
        Sink { child, dir, port }
    }

    /// Every message so far: (recipient, decoded subject, whole text).
    fn messages(&self) -> Vec<(String, String, String)> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(f).unwrap_or_default();
                let head = |name: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                        .unwrap_or("")
                        .to_owned()
                };
                (head("X-Envelope-To"), decode_subject(&text), text.clone())
            })
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Subject header, unfolded, with RFC 2047 base64 words decoded (what lettre writes).
fn decode_subject(text: &str) -> String {
    use base64::Engine;
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .replace("\r\n ", " ");
    let raw = head
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("")
        .to_owned();
    let mut out = String::new();
    for word in raw.split(' ') {
        match word
            .strip_prefix("=?utf-8?b?")
            .or_else(|| word.strip_prefix("=?UTF-8?B?"))
            .and_then(|w| w.strip_suffix("?="))
        {
            Some(b64) => out.push_str(&String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap_or_default(),
            )),
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
    }
    out
}

struct Env {
    t: TestApp,
    clock: Arc<ManualClock>,
    sink: Sink,
    sms: Receiver,
}

impl Env {
    async fn new(pg: bool) -> Env {
        let sink = Sink::start();
        let sms = Receiver::start(Duration::ZERO).await;
        let clock = Arc::new(ManualClock::new(MONDAY_10.parse().expect("instant")));
        // The server's own mailer and webhook, at the sink and the receiver; the test runs
        // the jobs itself, at the times it sets, with the server's handlers.
        let adjust = |c: &mut Config| {
            c.embedded.clock = Some(clock.clone());
            c.jobs.enabled = false;
            c.smtp.host = Some("127.0.0.1".into());
            c.smtp.port = sink.port;
            c.smtp.tls = "none".into();
            c.smtp.from = Some("aftersales <noreply@example.com>".into());
            c.sms_webhook_url = Some(sms.url.clone());
            c.public_url = Some("https://service.example.com".into());
        };
        let t = if pg {
            TestApp::postgres_with(adjust).await
        } else {
            TestApp::sqlite_with(adjust).await
        };
        Env {
            t,
            clock,
            sink,
            sms,
        }
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

    async fn advance(&self, minutes: i64) {
        self.clock.advance(SignedDuration::from_mins(minutes));
        self.run_jobs().await;
    }

    async fn sla(&self, token: &str, number: &str, lang: &str) -> Value {
        let r = self
            .t
            .http
            .get(
                self.t
                    .url(&format!("/api/v1/service-requests/{number}/sla")),
            )
            .bearer_auth(token)
            .header("accept-language", lang)
            .send()
            .await
            .expect("sla");
        assert_eq!(r.status(), 200);
        r.json().await.expect("json")
    }

    async fn events(&self, token: &str, id: &str) -> Vec<Value> {
        let (s, b) = self
            .t
            .get(&format!("/api/v1/service-requests/{id}/events"), token)
            .await;
        assert_eq!(s, 200, "{b}");
        b["items"].as_array().cloned().unwrap_or_default()
    }
}

fn clock<'a>(sla: &'a Value, m: &str) -> &'a Value {
    sla["clocks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["milestone"] == m))
        .unwrap_or_else(|| panic!("no {m} clock in {sla}"))
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

/// Monday 10:00 + the local wall time given, as an instant (Shanghai is UTC+8).
fn sh(local: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = local.parse().expect("datetime");
    dt.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz"))
        .expect("zoned")
        .timestamp()
}

/// The world of the service-flow tests, with the engineer's certificate dated so that it
/// holds on the test clock's Monday in March 2026 too.
async fn world_on_the_test_clock(e: &Env) -> crate::service_flow::World {
    let w = world(&e.t).await;
    let (_, certs) =
        e.t.get(
            &format!("/api/v1/users/{}/certifications", w.engineer_id),
            &w.admin,
        )
        .await;
    let cert = certs["items"][0].clone();
    let (s, b) =
        e.t.send(
            "PATCH",
            &format!(
                "/api/v1/users/{}/certifications/{}",
                w.engineer_id,
                cert["id"].as_str().expect("id")
            ),
            &w.admin,
            Some(json!({"version": cert["version"], "issued_on": "2025-01-01"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    w
}

async fn clocks_pause_while_waiting_and_say_why(e: Env) {
    let w = world_on_the_test_clock(&e).await;
    let (r, o) = on_site(&e.t, &w).await;
    let number = r["number"].as_str().expect("number").to_owned();
    let s = e.sla(&w.dispatcher, &number, "en").await;
    // No unit covers the region in this world: the standard rule, and it says so.
    assert_eq!(s["rule"]["name"], "标准服务 Standard");
    assert!(
        s["rule"]["why"]
            .as_str()
            .unwrap_or("")
            .contains("default rule"),
        "{s}"
    );
    assert_eq!(clock(&s, "response")["state"], "met");
    assert_eq!(clock(&s, "arrival")["state"], "met");
    assert_eq!(clock(&s, "diagnosis")["state"], "running");
    // 12 working hours from Monday 10:00 in Mon–Fri 09:00–19:30: Tuesday 11:30.
    let res = clock(&s, "resolution");
    assert_eq!(res["state"], "running");
    assert_eq!(
        at(res["due_at"].as_str().expect("due")),
        sh("2026-03-03T11:30")
    );

    // Waiting for parts for two hours holds every clock.
    let id = o["id"].as_str().expect("id");
    let (st, o) = act(
        &e.t,
        &w.engineer,
        id,
        "transition",
        json!({"version": o["version"], "action": "wait", "wait_reason": "parts"}),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    e.advance(120).await;
    let s = e.sla(&w.dispatcher, &number, "en").await;
    let res = clock(&s, "resolution");
    assert_eq!(res["state"], "paused");
    assert_eq!(res["due_at"], Value::Null);
    assert_eq!(res["paused_seconds"], 7200);
    assert_eq!(res["remaining_seconds"], 12 * 3600);
    assert_eq!(s["pauses"][0]["reason"], "parts");
    assert_eq!(s["pauses"][0]["by"], "张伟");
    let (st, o) = act(
        &e.t,
        &w.engineer,
        id,
        "transition",
        json!({"version": o["version"], "action": "resume"}),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let s = e.sla(&w.dispatcher, &number, "en").await;
    let res = clock(&s, "resolution");
    assert_eq!(res["state"], "running");
    assert_eq!(
        at(res["due_at"].as_str().expect("due")),
        sh("2026-03-03T13:30")
    );
    let trace = res["trace"].as_array().expect("trace");
    assert!(
        trace.iter().any(|l| l
            .as_str()
            .unwrap_or("")
            .contains("paused 2 h waiting for parts")),
        "{res}"
    );
    let diag = clock(&s, "diagnosis");
    assert_eq!(
        at(diag["due_at"].as_str().expect("due")),
        sh("2026-03-02T13:00")
    );
    // In Chinese too.
    let zh = e.sla(&w.dispatcher, &number, "zh-CN").await;
    let zh_trace = clock(&zh, "resolution")["trace"].to_string();
    assert!(zh_trace.contains("等待配件"), "{zh_trace}");
    // Customers do not see the clocks; an engineer sees those of their own orders.
    let (st, _) =
        e.t.get(
            &format!("/api/v1/service-requests/{number}/sla"),
            &e.t.token("customer").await,
        )
        .await;
    assert_eq!(st, 403);
    let (st, _) =
        e.t.get(
            &format!("/api/v1/service-requests/{number}/sla"),
            &w.engineer,
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) =
        e.t.get(
            &format!("/api/v1/service-requests/{number}/sla"),
            &e.t.token("warehouse").await,
        )
        .await;
    assert_eq!(st, 403);
}

async fn the_ladder_climbs_until_acknowledged_and_speaks_each_reader_s_language(e: Env) {
    let w = world(&e.t).await;
    let admin = &w.admin;
    // The dispatcher reads English, the manager (the center head here: the ladder finds
    // managers up the tree) Chinese; both have e-mail.
    let dispatcher_id = e.t.user_id("dispatcher").await;
    let (s, b) =
        e.t.send(
            "PATCH",
            &format!("/api/v1/users/{dispatcher_id}"),
            admin,
            Some(json!({"version": 1, "locale": "en"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) =
        e.t.send(
            "PUT",
            &format!("/api/v1/users/{dispatcher_id}/contact"),
            admin,
            Some(json!({"email": "dispatcher@example.com"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let manager_id = e.t.user_id("manager").await;
    let (s, b) =
        e.t.send(
            "PUT",
            &format!("/api/v1/users/{manager_id}/contact"),
            admin,
            Some(json!({"email": "not an address"})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (422, Some("invalid_email")),
        "{b}"
    );
    let (s, _) =
        e.t.send(
            "PUT",
            &format!("/api/v1/users/{manager_id}/contact"),
            &w.dispatcher,
            Some(json!({"email": "m@example.com"})),
        )
        .await;
    assert_eq!(s, 403, "only admins set others' addresses");
    let (s, b) =
        e.t.send(
            "PUT",
            &format!("/api/v1/users/{manager_id}/contact"),
            admin,
            Some(json!({"email": "manager@example.com"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // The Shenyang branch covers the city: it is responsible, and the request is in the
    // same city (the rule for it applies).
    let (_, units) = e.t.get("/api/v1/org-units?limit=100", admin).await;
    let sy = units["items"]
        .as_array()
        .and_then(|u| u.iter().find(|x| x["code"] == "SY"))
        .cloned()
        .expect("SY");
    let (s, b) =
        e.t.send(
            "PUT",
            &format!(
                "/api/v1/org-units/{}/regions",
                sy["id"].as_str().expect("id")
            ),
            admin,
            Some(json!({"version": sy["version"], "regions": ["210100"]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    let r = file_request(&e.t, &w).await;
    let (id, number) = (
        r["id"].as_str().expect("id"),
        r["number"].as_str().expect("number"),
    );
    e.run_jobs().await;
    // The customer is told by SMS, in Chinese, with the number.
    assert!(
        e.sms
            .wait_for(Duration::from_secs(10), |h| h
                .iter()
                .any(|x| x.body["text"].as_str().unwrap_or("").contains(number)))
            .await
    );
    let sms = e.sms.hits();
    assert_eq!(sms[0].body["to"], "138 0013 8000");
    assert!(
        sms[0].body["text"]
            .as_str()
            .unwrap_or("")
            .contains("报修已受理"),
        "{:?}",
        sms[0].body
    );

    // 48 minutes: 80 % of the hour to respond; the owner (the agent) is warned.
    e.advance(48).await;
    let kinds = |ev: &[Value]| {
        ev.iter()
            .map(|x| x["kind"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    assert!(kinds(&e.events(admin, id).await).contains(&"sla_warning".to_owned()));
    let (_, bell) = e.t.get("/api/v1/notifications", &w.agent).await;
    assert_eq!(bell["items"][0]["event"], "sla_warning", "{bell}");
    assert!(
        bell["items"][0]["subject"]
            .as_str()
            .unwrap_or("")
            .contains("时效预警"),
        "{bell}"
    );

    // 61 minutes: overdue. Step 1: the dispatcher, in English.
    e.advance(13).await;
    let ev = e.events(admin, id).await;
    let breached: Vec<&Value> = ev.iter().filter(|x| x["kind"] == "sla_breached").collect();
    assert_eq!(breached.len(), 1, "{ev:?}");
    assert_eq!(breached[0]["data"]["milestone"], "response");
    assert_eq!(breached[0]["data"]["step"], 1);
    // The dispatcher's bell: the new request when it was filed (issue 13), then the breach.
    let (_, bell) = e.t.get("/api/v1/notifications", &w.dispatcher).await;
    assert_eq!(bell["unread"], 2, "{bell}");
    assert_eq!(
        bell["items"][0]["subject"],
        format!("[SLA breach] {number}: response overdue")
    );
    assert_eq!(
        bell["items"][1]["subject"],
        format!("New service request: {number}")
    );
    // Running the check again changes nothing: each step once.
    e.t.app.run_sla_check(id).await.expect("check");
    assert_eq!(
        e.events(admin, id)
            .await
            .iter()
            .filter(|x| x["kind"] == "sla_breached")
            .count(),
        1
    );

    // 30 minutes more: step 2, the manager, in Chinese.
    e.advance(30).await;
    let ev = e.events(admin, id).await;
    let step2: Vec<&Value> = ev
        .iter()
        .filter(|x| x["kind"] == "sla_escalated" && x["data"]["step"] == 2)
        .collect();
    assert_eq!(step2.len(), 1, "{ev:?}");
    // The names told, as a list; no label in some language is stored with the event.
    assert_eq!(step2[0]["data"]["to"], json!(["刘洋"]));
    assert!(step2[0]["data"].get("role").is_none(), "{:?}", step2[0]);

    // Only a breached milestone can be acknowledged, once, by the dispatch roles.
    let ack = |m: &str| json!({"milestone": m, "note": "客户电话占线，已短信联系"});
    let (s, _) =
        e.t.send(
            "POST",
            &format!("/api/v1/service-requests/{id}/sla/acknowledge"),
            &w.engineer,
            Some(ack("response")),
        )
        .await;
    assert_eq!(s, 403);
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/service-requests/{id}/sla/acknowledge"),
            &w.dispatcher,
            Some(ack("resolution")),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("not_breached")), "{b}");
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/service-requests/{id}/sla/acknowledge"),
            &w.dispatcher,
            Some(ack("response")),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/service-requests/{id}/sla/acknowledge"),
            &w.dispatcher,
            Some(ack("response")),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("already_acknowledged")),
        "{b}"
    );
    // The request's clocks and the board say who acknowledged, and when (issue 13).
    let sla = e.sla(&w.dispatcher, number, "zh-CN").await;
    let response = clock(&sla, "response");
    assert_eq!(response["acknowledged_by"], "李强", "{response}");
    assert!(response["acknowledged_at"].is_string(), "{response}");
    assert!(clock(&sla, "arrival")["acknowledged_by"].is_null());
    let (_, board) = e.t.get("/api/v1/sla/board", &w.dispatcher).await;
    let acked = board
        .as_array()
        .and_then(|b| b.iter().find(|x| x["number"] == number))
        .and_then(|row| {
            row["clocks"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["milestone"] == "response"))
                .cloned()
        })
        .unwrap_or_default();
    assert_eq!(acked["acknowledged_by"], "李强", "{board}");
    // An hour later the ladder has not climbed to step 3.
    e.advance(60).await;
    let ev = e.events(admin, id).await;
    assert!(
        !ev.iter()
            .any(|x| x["kind"] == "sla_escalated" && x["data"]["step"] == 3),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|x| x["kind"] == "sla_acknowledged" && x["actor_name"] == "李强")
    );

    // The e-mails went through the SMTP server, each in its reader's language.
    let mails = e.sink.messages();
    let to_dispatcher: Vec<_> = mails
        .iter()
        .filter(|m| m.0 == "dispatcher@example.com" && m.1.starts_with("[SLA"))
        .collect();
    assert_eq!(to_dispatcher.len(), 1, "{mails:?}");
    // The new request reached the dispatcher by e-mail too, once, in English.
    let new_request: Vec<_> = mails
        .iter()
        .filter(|m| m.0 == "dispatcher@example.com" && m.1.starts_with("New service request"))
        .collect();
    assert_eq!(new_request.len(), 1, "{mails:?}");
    assert_eq!(
        to_dispatcher[0].1,
        format!("[SLA breach] {number}: response overdue")
    );
    assert!(
        to_dispatcher[0]
            .2
            .contains("https://service.example.com/requests/"),
        "{}",
        to_dispatcher[0].2
    );
    let to_manager: Vec<_> = mails
        .iter()
        .filter(|m| m.0 == "manager@example.com")
        .collect();
    assert_eq!(to_manager.len(), 1, "{mails:?}");
    assert_eq!(to_manager[0].1, format!("【时效超时】{number} 响应已超时"));
    let s = e.sla(&w.dispatcher, number, "en").await;
    assert_eq!(s["rule"]["name"], "同城 Same city", "{s}");
    // The notification rows say they were sent.
    let (_, bell) = e.t.get("/api/v1/notifications", &w.dispatcher).await;
    let (s, b) =
        e.t.send(
            "POST",
            "/api/v1/notifications/read",
            &w.dispatcher,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, b["marked"].as_u64()),
        (200, bell["unread"].as_u64()),
        "{b}"
    );
    let (_, bell) = e.t.get("/api/v1/notifications", &w.dispatcher).await;
    assert_eq!(bell["unread"], 0);

    // The board shows the request, breached, to the dispatcher; customers get 403.
    let (s, board) = e.t.get("/api/v1/sla/board", &w.dispatcher).await;
    assert_eq!(s, 200);
    let row = board
        .as_array()
        .and_then(|b| b.iter().find(|x| x["number"] == number))
        .cloned()
        .unwrap_or_default();
    assert_eq!(row["state"], "breached", "{board}");
    let (s, _) =
        e.t.get("/api/v1/sla/board", &e.t.token("customer").await)
            .await;
    assert_eq!(s, 403);

    // The arrival (3 h in the same city) breaches too, and is not acknowledged.
    e.advance(35).await;
    let ev = e.events(admin, id).await;
    assert!(
        ev.iter()
            .any(|x| x["kind"] == "sla_breached" && x["data"]["milestone"] == "arrival"),
        "{ev:?}"
    );
    // Cancelled: its breaches stay on record, but nobody is escalated to any more (the
    // arrival's steps 2 and 3 would be due within the next two hours), and it leaves the
    // board.
    let (_, now) =
        e.t.get(&format!("/api/v1/service-requests/{id}"), admin)
            .await;
    let (s, b) =
        e.t.send(
            "POST",
            &format!("/api/v1/service-requests/{id}/cancel"),
            &w.agent,
            Some(json!({"version": now["version"], "reason": "客户已自行修好"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let before = e.events(admin, id).await.len();
    e.advance(12 * 60).await;
    let after = e.events(admin, id).await;
    assert_eq!(after.len(), before, "{:?}", &after[before..]);
    let (_, board) = e.t.get("/api/v1/sla/board", &w.dispatcher).await;
    assert!(
        !board
            .as_array()
            .is_some_and(|b| b.iter().any(|x| x["number"] == number)),
        "{board}"
    );
}

/// The resolution (12 working hours from Monday 10:00: Tuesday 11:30) missed: the
/// emergency plan is opened and a loaner proposed, once, and the owner is told.
async fn a_missed_resolution_opens_the_emergency_plan_once(e: Env) {
    let w = world(&e.t).await;
    let r = file_request(&e.t, &w).await;
    let id = r["id"].as_str().expect("id");
    let opened = |ev: &[Value]| -> Vec<(String, String)> {
        ev.iter()
            .filter(|x| x["kind"] == "emergency_plan_opened" || x["kind"] == "loaner_proposed")
            .map(|x| {
                (
                    x["kind"].as_str().unwrap_or("").to_owned(),
                    x["data"]["milestone"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    // Tuesday 11:29: not yet (tokens last a day: fresh ones after the clock moved).
    e.advance(25 * 60 + 29).await;
    let admin = e.t.token("admin").await;
    assert_eq!(opened(&e.events(&admin, id).await), vec![]);
    e.advance(1).await;
    let plan = vec![
        ("emergency_plan_opened".to_owned(), "resolution".to_owned()),
        ("loaner_proposed".to_owned(), "resolution".to_owned()),
    ];
    assert_eq!(opened(&e.events(&admin, id).await), plan);
    let (_, bell) =
        e.t.get("/api/v1/notifications", &e.t.token("agent").await)
            .await;
    assert!(
        bell["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|n| n["event"] == "emergency_plan")),
        "{bell}"
    );
    // Later checks (the ladder's further steps) do not open it again.
    e.advance(3 * 60).await;
    assert_eq!(opened(&e.events(&admin, id).await), plan);
}

async fn calendars_and_special_days_are_data_admins_keep(e: Env) {
    let admin = e.t.token("admin").await;
    let dispatcher = e.t.token("dispatcher").await;
    let (s, cals) = e.t.get("/api/v1/calendars", &dispatcher).await;
    assert_eq!(s, 200);
    let keys: Vec<&str> = cals
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["key"].as_str())
        .collect();
    assert_eq!(keys, vec!["7x24", "workdays"]);
    // The 2026 notice is loaded: 33 days off, 6 make-up workdays.
    let (_, days) = e.t.get("/api/v1/special-days?year=2026", &dispatcher).await;
    let days = days.as_array().cloned().unwrap_or_default();
    assert_eq!(days.iter().filter(|d| d["kind"] == "holiday").count(), 33);
    assert_eq!(days.iter().filter(|d| d["kind"] == "workday").count(), 6);

    // Importing a year: only admins and managers; a bad file changes nothing and names
    // every bad line.
    let import = |token: &str, name: &str, body: &'static str| {
        let req =
            e.t.http
                .post(e.t.url(&format!("/api/v1/special-days/import?file_name={name}")))
                .bearer_auth(token.to_owned())
                .header("content-type", "text/plain")
                .body(body);
        async move { crate::helpers::split(req.send().await.expect("import")).await }
    };
    let good = "date,kind,name\n2027-02-06..2027-02-14,holiday,春节\n2027-02-20,workday,春节\n";
    let (s, _) = import(&dispatcher, "cn-2027.csv", good).await;
    assert_eq!(s, 403);
    let (s, b) = import(
        &admin,
        "cn-2027.csv",
        "date,kind,name\n2027-02-30,holiday,春节\n2027-03-01,休息,x\n",
    )
    .await;
    assert_eq!(s, 422, "{b}");
    let lines: Vec<(String, i64)> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|x| (x["code"].as_str().unwrap_or("").to_owned(), 0))
        .collect();
    assert_eq!(lines.len(), 2, "{b}");
    assert!(
        b["errors"][0]["message"].as_str().unwrap_or("").len() > 3,
        "{b}"
    );
    let (_, none) = e.t.get("/api/v1/special-days?year=2027", &admin).await;
    assert_eq!(none, json!([]));
    let (s, b) = import(&admin, "cn-2027.csv", good).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (
            b["holidays"].as_u64(),
            b["workdays"].as_u64(),
            b["years"].clone()
        ),
        (Some(9), Some(1), json!([2027]))
    );
    // ICS of the same year replaces it.
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270102\r\nSUMMARY:元旦\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (s, b) = import(&admin, "cn-2027.ics", ics).await;
    assert_eq!(s, 200, "{b}");
    let (_, y) = e.t.get("/api/v1/special-days?year=2027", &admin).await;
    assert_eq!(y.as_array().map(Vec::len), Some(1), "{y}");

    // A unit's own day, beside the national schedule.
    let (_, units) = e.t.get("/api/v1/org-units?limit=100", &admin).await;
    let sy = units["items"]
        .as_array()
        .and_then(|u| u.iter().find(|x| x["code"] == "SY"))
        .cloned()
        .expect("SY");
    let sy_id = sy["id"].as_str().expect("id");
    let (s, b) =
        e.t.send(
            "PUT",
            &format!("/api/v1/special-days/2026-03-06?org_unit_id={sy_id}"),
            &admin,
            Some(json!({"kind": "holiday", "name": "沈阳站庆"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, own) =
        e.t.get(&format!("/api/v1/special-days?org_unit_id={sy_id}"), &admin)
            .await;
    assert_eq!(own.as_array().map(Vec::len), Some(1));
    // A manager keeps their own unit's days, not another unit's nor the national ones.
    let manager = e.t.token("manager").await;
    let (s, b) =
        e.t.send(
            "PUT",
            &format!("/api/v1/special-days/2026-03-09?org_unit_id={sy_id}"),
            &manager,
            Some(json!({"kind": "holiday", "name": "分公司活动"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let hq_id = e.t.unit_id("HQ").await;
    let (s, _) =
        e.t.send(
            "PUT",
            &format!("/api/v1/special-days/2026-03-09?org_unit_id={hq_id}"),
            &manager,
            Some(json!({"kind": "holiday", "name": "x"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) =
        e.t.send(
            "PUT",
            "/api/v1/special-days/2026-03-09",
            &manager,
            Some(json!({"kind": "holiday", "name": "x"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) =
        e.t.send(
            "DELETE",
            &format!("/api/v1/special-days/2026-03-09?org_unit_id={sy_id}"),
            &manager,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, b) =
        e.t.send(
            "PUT",
            "/api/v1/special-days/2026-02-30",
            &admin,
            Some(json!({"kind": "day off", "name": ""})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"].as_array().map(Vec::len), Some(3), "{b}");
    let (s, _) =
        e.t.send(
            "DELETE",
            &format!("/api/v1/special-days/2026-03-06?org_unit_id={sy_id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) =
        e.t.send(
            "DELETE",
            &format!("/api/v1/special-days/2026-03-06?org_unit_id={sy_id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(s, 404);

    // Calendars: bad hours and zones are named; a stale version is refused.
    let body = |v: i64, tz: &str, mon: &str| {
        json!({"name_zh": "工作日", "name_en": "Working days", "time_zone": tz, "always": false,
        "weekly": [[mon], [mon], [mon], [mon], [mon], [], []], "observes_holidays": true, "version": v})
    };
    let (s, b) =
        e.t.send(
            "PUT",
            "/api/v1/calendars/workdays",
            &admin,
            Some(body(1, "Mars/Olympus", "19:30-09:00")),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let codes: Vec<&str> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"unknown_time_zone") && codes.contains(&"invalid_span"),
        "{b}"
    );
    let (s, b) =
        e.t.send(
            "PUT",
            "/api/v1/calendars/workdays",
            &dispatcher,
            Some(body(1, "Asia/Shanghai", "08:30-17:30")),
        )
        .await;
    assert_eq!(s, 403, "{b}");
    let (s, b) =
        e.t.send(
            "PUT",
            "/api/v1/calendars/workdays",
            &admin,
            Some(body(1, "Asia/Shanghai", "08:30-17:30")),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["weekly"][0], json!(["08:30-17:30"]));
    let (s, b) =
        e.t.send(
            "PUT",
            "/api/v1/calendars/workdays",
            &admin,
            Some(body(1, "Asia/Shanghai", "09:00-18:00")),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale_version")), "{b}");
    // The calendars hold for the whole network: a manager, who keeps the days of their own
    // units, does not change them (nor the rules, below).
    let (s, b) =
        e.t.send(
            "PUT",
            "/api/v1/calendars/workdays",
            &manager,
            Some(body(2, "Asia/Shanghai", "08:00-17:00")),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{b}");

    // The calendar page asks the same rights of the app: a manager sees no form for a
    // calendar, a rule or the national days, but the day forms of a unit of their own;
    // a calendar posted anyway is refused. An admin sees every form.
    let page = crate::web::Browser::new(&e.t, "en");
    page.login("manager").await;
    let (s, html, _) = page.get("/admin/calendars").await;
    assert_eq!(s, 200);
    for form in [
        "data-calendar-form",
        "id=\"new-rule\"",
        "id=\"day-form\"",
        "data-delete-day",
    ] {
        assert!(!html.contains(form), "a manager sees {form}");
    }
    let (s, html, _) = page
        .get(&format!("/admin/calendars?year=2026&org_unit_id={sy_id}"))
        .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("id=\"day-form\"") && !html.contains("data-calendar-form"),
        "a manager keeps their own unit's days only"
    );
    let csrf = page.csrf("/admin/calendars").await;
    let (s, html, _) = page
        .post(
            "/admin/calendars/workdays",
            &[
                ("_csrf", csrf.as_str()),
                ("name_zh", "工作日"),
                ("name_en", "Working days"),
                ("version", "2"),
                ("always", "1"),
            ],
        )
        .await;
    assert_eq!(s, 403, "{html}");
    let admin_page = crate::web::Browser::new(&e.t, "en");
    admin_page.login("admin").await;
    let (_, html, _) = admin_page.get("/admin/calendars").await;
    for form in [
        "data-calendar-form",
        "id=\"new-rule\"",
        "id=\"day-form\"",
        "data-delete-day",
    ] {
        assert!(html.contains(form), "an admin misses {form}");
    }

    // Rules: a new one must name known calendars; then it is chosen as the most specific.
    let rule = |cal: &str| {
        json!({"name": "加急 Urgent", "priority": "high", "targets": [
        {"milestone": "response", "minutes": 30, "calendar": cal},
        {"milestone": "resolution", "minutes": 240, "calendar": "workdays"}]})
    };
    let (s, b) =
        e.t.send("POST", "/api/v1/sla/rules", &admin, Some(rule("lunar")))
            .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (422, Some("unknown_calendar")),
        "{b}"
    );
    let (s, b) =
        e.t.send("POST", "/api/v1/sla/rules", &manager, Some(rule("7x24")))
            .await;
    assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{b}");
    let (s, b) =
        e.t.send("POST", "/api/v1/sla/rules", &admin, Some(rule("7x24")))
            .await;
    assert_eq!(s, 200, "{b}");
    let w = world(&e.t).await;
    let r = file_request(&e.t, &w).await; // priority high
    let s = e
        .sla(&w.dispatcher, r["number"].as_str().expect("n"), "en")
        .await;
    assert_eq!(s["rule"]["name"], "加急 Urgent", "{s}");
    assert_eq!(s["rule"]["matched"], json!(["priority=high"]));
    assert_eq!(clock(&s, "response")["target_minutes"], 30);
    // 4 working hours from Monday 10:00 in the changed calendar (08:30–17:30): 14:00.
    assert_eq!(
        at(clock(&s, "resolution")["due_at"].as_str().expect("due")),
        sh("2026-03-02T14:00")
    );

    // The responsible unit (the owner's, HQ: nothing covers the region here) works
    // mornings only: its override moves the due time; removing it moves it back.
    let number = r["number"].as_str().expect("n");
    let hq = e.t.unit_id("HQ").await;
    let path = format!("/api/v1/calendars/workdays/overrides/{hq}");
    let mornings = json!({"weekly": [["08:00-12:00"], ["08:00-12:00"], ["08:00-12:00"], ["08:00-12:00"], ["08:00-12:00"], [], []]});
    let (s, b) =
        e.t.send("PUT", &path, &dispatcher, Some(mornings.clone()))
            .await;
    assert_eq!(s, 403, "{b}");
    let (s, b) =
        e.t.send(
            "PUT",
            &path,
            &admin,
            Some(json!({"time_zone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (422, Some("unknown_time_zone")),
        "{b}"
    );
    let (s, b) = e.t.send("PUT", &path, &admin, Some(mornings)).await;
    assert_eq!(s, 200, "{b}");
    let (_, list) =
        e.t.get("/api/v1/calendars/workdays/overrides", &dispatcher)
            .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let s = e.sla(&w.dispatcher, number, "en").await;
    // 10:00–12:00 Monday, then 08:00–10:00 Tuesday.
    assert_eq!(
        at(clock(&s, "resolution")["due_at"].as_str().expect("due")),
        sh("2026-03-03T10:00")
    );
    let (s, _) = e.t.send("DELETE", &path, &admin, None).await;
    assert_eq!(s, 204);
    let s = e.sla(&w.dispatcher, number, "en").await;
    assert_eq!(
        at(clock(&s, "resolution")["due_at"].as_str().expect("due")),
        sh("2026-03-02T14:00")
    );

    // A lower priority, with its reason: the urgent rule no longer applies and every clock
    // is recomputed from the start under the standard one.
    let prio = format!("/api/v1/service-requests/{number}/priority");
    let (s, b) =
        e.t.send(
            "POST",
            &prio,
            &w.agent,
            Some(json!({"version": r["version"], "priority": "normal"})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["field"].as_str()),
        (422, Some("note")),
        "{b}"
    );
    let (s, b) =
        e.t.send(
            "POST",
            &prio,
            &w.agent,
            Some(json!({"version": r["version"], "priority": "high", "note": "x"})),
        )
        .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (409, Some("unchanged")),
        "{b}"
    );
    let (s, b) =
        e.t.send(
            "POST",
            &prio,
            &w.engineer,
            Some(json!({"version": r["version"], "priority": "normal", "note": "x"})),
        )
        .await;
    assert_eq!(s, 403, "{b}");
    let (s, b) =
        e.t.send(
            "POST",
            &prio,
            &w.agent,
            Some(json!({"version": r["version"], "priority": "normal", "note": "客户说可以等"})),
        )
        .await;
    assert_eq!((s, b["priority"].as_str()), (200, Some("normal")), "{b}");
    let s = e.sla(&w.dispatcher, number, "en").await;
    assert_eq!(s["rule"]["name"], "标准服务 Standard", "{s}");
    assert_eq!(clock(&s, "resolution")["target_minutes"], 720);
    // A VIP customer: a rule for the tier is more specific than the standard one.
    let vip = json!({"name": "VIP", "customer_tier": "vip", "targets": [
        {"milestone": "response", "minutes": 15, "calendar": "7x24"}]});
    let (s, b) =
        e.t.send("POST", "/api/v1/sla/rules", &admin, Some(vip))
            .await;
    assert_eq!(s, 200, "{b}");
    let tier = format!(
        "/api/v1/customers/{}/tier",
        w.customer["id"].as_str().expect("id")
    );
    let (s, b) =
        e.t.send("PUT", &tier, &w.agent, Some(json!({"tier": "v i p"})))
            .await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_str()),
        (422, Some("code_chars")),
        "{b}"
    );
    let (s, b) =
        e.t.send("PUT", &tier, &w.agent, Some(json!({"tier": "VIP"})))
            .await;
    assert_eq!((s, b["tier"].as_str()), (200, Some("vip")), "{b}");
    let s = e.sla(&w.dispatcher, number, "en").await;
    assert_eq!(s["rule"]["name"], "VIP", "{s}");
    assert_eq!(s["facts"]["customer_tier"], "vip");
    assert_eq!(clock(&s, "response")["target_minutes"], 15);
    // A rule changed from a stale copy is refused; from the current one it is saved, and
    // an inactive rule no longer applies.
    let (_, rules) = e.t.get("/api/v1/sla/rules", &admin).await;
    let mut current = rules
        .as_array()
        .and_then(|r| r.iter().find(|x| x["name"] == "VIP"))
        .cloned()
        .expect("VIP rule");
    current["active"] = json!(false);
    current["version"] = json!(7);
    let (s, b) =
        e.t.send("POST", "/api/v1/sla/rules", &admin, Some(current.clone()))
            .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("stale_version")), "{b}");
    current["version"] = json!(1);
    let (s, b) =
        e.t.send("POST", "/api/v1/sla/rules", &admin, Some(current))
            .await;
    assert_eq!((s, b["version"].as_i64()), (200, Some(2)), "{b}");
    let s = e.sla(&w.dispatcher, number, "en").await;
    assert_eq!(s["rule"]["name"], "标准服务 Standard", "{s}");
    let ev = e.events(&admin, r["id"].as_str().expect("id")).await;
    let changed = ev
        .iter()
        .find(|x| x["kind"] == "priority_changed")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            changed["data"]["from"].as_str(),
            changed["data"]["to"].as_str()
        ),
        (Some("high"), Some("normal")),
        "{ev:?}"
    );
}

/// Issue 13, defect 8: a new request reaches the dispatchers' bell, a job the engineer's
/// bell and phone (a text: the bell is not seen on the road), a declined job the
/// dispatchers again; nobody is told of their own act, and the customer hears of the
/// request once.
async fn work_that_arrives_is_told_to_those_who_take_it(e: Env) {
    let w = world_on_the_test_clock(&e).await;
    let engineer_id = w.engineer_id.clone();
    // The engineer gives a mobile number on their own account.
    let (s, b) =
        e.t.send(
            "PUT",
            &format!("/api/v1/users/{engineer_id}/contact"),
            &w.engineer,
            Some(json!({"phone": "139 0000 7777"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let events = |bell: &Value| -> Vec<(String, String, String)> {
        bell["items"]
            .as_array()
            .map(|i| {
                i.iter()
                    .map(|n| {
                        (
                            n["event"].as_str().unwrap_or("").to_owned(),
                            n["subject"].as_str().unwrap_or("").to_owned(),
                            n["link"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };

    // The agent files a request: the dispatchers are told, in their language, with a
    // link to it; the agent is not.
    let (r, wo) = pending_order(&e.t, &w).await;
    let number = r["number"].as_str().expect("number");
    let (_, bell) = e.t.get("/api/v1/notifications", &w.dispatcher).await;
    let told = events(&bell);
    assert_eq!(
        told.iter().filter(|n| n.0 == "new_request").count(),
        1,
        "{bell}"
    );
    let n = told.iter().find(|n| n.0 == "new_request").expect("told");
    assert_eq!(n.1, format!("新报修：{number}"));
    assert_eq!(
        n.2,
        format!("https://service.example.com/requests/{number}")
    );
    let (_, bell) = e.t.get("/api/v1/notifications", &w.agent).await;
    assert!(events(&bell).iter().all(|n| n.0 != "new_request"), "{bell}");

    // The dispatcher puts the job on the engineer: their bell rings with a link to the job
    // on the phone, and a text goes to their phone; the dispatcher is not told.
    let id = wo["id"].as_str().expect("id");
    let wo_number = wo["number"].as_str().expect("number");
    let (s, o) = act(
        &e.t,
        &w.dispatcher,
        id,
        "dispatch",
        json!({"version": 1, "engineer_id": engineer_id}),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    let (_, bell) = e.t.get("/api/v1/notifications", &w.engineer).await;
    assert_eq!(bell["unread"], 1, "{bell}");
    let job = &events(&bell)[0];
    assert_eq!(job.0, "job_assigned");
    assert_eq!(job.1, format!("新工单：{wo_number}"));
    assert_eq!(job.2, format!("https://service.example.com/m/orders/{id}"));
    let body = bell["items"][0]["body"].as_str().unwrap_or("");
    assert!(
        body.ends_with(&job.2),
        "the message carries the link: {body}"
    );
    assert!(!body.contains('{'), "no placeholder left: {body}");
    let (_, bell) = e.t.get("/api/v1/notifications", &w.dispatcher).await;
    assert!(
        events(&bell).iter().all(|n| n.0 != "job_assigned"),
        "{bell}"
    );
    e.run_jobs().await;
    assert!(
        e.sms
            .wait_for(Duration::from_secs(10), |h| h
                .iter()
                .any(|x| x.body["to"] == "139 0000 7777"
                    && x.body["text"].as_str().unwrap_or("").contains(wo_number)))
            .await,
        "{:?}",
        e.sms.hits()
    );
    // The customer: one text that the request was received, one that an engineer comes.
    let to_customer = |needle: &str| {
        e.sms
            .hits()
            .iter()
            .filter(|x| {
                x.body["to"] == "138 0013 8000"
                    && x.body["text"].as_str().unwrap_or("").contains(needle)
            })
            .count()
    };
    assert_eq!(to_customer("报修已受理"), 1, "{:?}", e.sms.hits());
    assert_eq!(to_customer("已安排工程师"), 1, "{:?}", e.sms.hits());

    // The engineer declines: the dispatchers hear why.
    let (s, o) = act(
        &e.t,
        &w.engineer,
        id,
        "decline",
        json!({"version": o["version"], "reason": "今天在大连，赶不回沈阳"}),
    )
    .await;
    assert_eq!(s, 200, "{o}");
    let (_, bell) = e.t.get("/api/v1/notifications", &w.dispatcher).await;
    let declined: Vec<_> = events(&bell)
        .into_iter()
        .filter(|n| n.0 == "job_declined")
        .collect();
    assert_eq!(declined.len(), 1, "{bell}");
    assert_eq!(declined[0].1, format!("工单被拒：{wo_number}"));
    let body = bell["items"][0]["body"].as_str().unwrap_or("");
    assert!(body.contains("今天在大连，赶不回沈阳"), "{body}");
}
