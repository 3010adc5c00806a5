//! Made the compatibility fixture of `crates/cli/tests/fixtures/compat/` (issue 12) from
//! the code of commit c538bd8, the main before the typed event log. NEVER run it on newer
//! code: the fixture's whole point is to be made by the old code and read by the new one
//! (the fixture's README says more). It refuses to overwrite the fixture.
//!
//! ```text
//! AFTERSALES_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo run -p aftersales --example compat_fixture
//! ```
//!
//! For each backend it makes a database the way `aftersales demo` does (migrations, the
//! admin, `App::load_demo`), then drives most kinds of event the service flow records at
//! c538bd8 that the demo lacks (priority and owner changes, cancellations, a failed remote
//! attempt, a decline and a second dispatch, a rescheduled appointment, waiting and
//! resuming, a depot outcome, addenda, a callback, resolving, closing and reopening, device
//! alarms and their merge, SLA breaches, escalations and an acknowledgement) through the API,
//! as people and devices would. Its clock starts at [`MADE_FROM`] and ticks one
//! second each time it is read, so events are apart and in order; before the SLA checks it
//! jumps to the afternoon so that milestones are due. Then the database is opened as the
//! test opens it (`TestApp::sqlite_existing` / `postgres_existing`, the clock standing at
//! [`read::READ_AT`]) and read back with `read::read_back`: that is the expected JSON.

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
#[path = "../tests/api/compat/read.rs"]
mod read;

use aftersales_app::{App, AppConfig, Clock, Db, DbOptions, ManualClock, PasswordCost};
use anyhow::{Context, Result, bail, ensure};
use helpers::{ADMIN_PASSWORD, ALARM_SECRET, DEMO_PASSWORD, TestApp};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// The time the demo was made at: it ticks one second each time it is read.
struct TickingClock(Mutex<Timestamp>);

impl TickingClock {
    fn jump_to(&self, t: Timestamp) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        assert!(*now <= t, "the clock is already past {t}");
        *now = t;
    }
}

impl Clock for TickingClock {
    fn now(&self) -> Timestamp {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = *t;
        *t += SignedDuration::from_secs(1);
        now
    }
}

/// The instant the demo data is made from (the clock then ticks one second a reading).
const MADE_FROM: &str = "2026-12-01T00:00:00Z";

/// Where the SLA checks run: 13:30 in Shanghai, the demo's morning requests overdue.
const SLA_CHECKS_AT: &str = "2026-12-01T05:30:00Z";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat");
    std::fs::create_dir_all(&out)?;
    let files = [
        "demo.sqlite.gz",
        "expected.sqlite.json.gz",
        "demo.postgres.sql.gz",
        "expected.postgres.json.gz",
    ];
    for f in files {
        if out.join(f).exists() {
            bail!(
                "{} exists: the fixture is made once, from commit c538bd8, and never again",
                out.join(f).display()
            );
        }
    }

    // SQLite: make, copy out (VACUUM INTO), read back as the test does.
    let work = helpers::temp_dir();
    let url = format!("sqlite://{}", work.join("made.db").display());
    let app = make(&url).await?;
    let copy = work.join("copy.db");
    app.db().backup_sqlite(&copy).await?;
    app.db().close().await;
    write_gz(&out.join("demo.sqlite.gz"), &std::fs::read(&copy)?)?;
    let dir = helpers::temp_dir();
    std::fs::copy(&copy, dir.join("aftersales.db"))?;
    let t = TestApp::sqlite_existing(dir, Some(read_clock())).await;
    let expected = read::read_back(&t.base, ADMIN_PASSWORD, DEMO_PASSWORD).await;
    drop(t);
    write_expected(&out.join("expected.sqlite.json.gz"), &expected)?;
    std::fs::remove_dir_all(&work)?;

    // PostgreSQL: make, dump as plain SQL, restore into a fresh database, read back.
    let (made_name, made_url) = helpers::fresh_pg_database().await;
    let app = make(&made_url).await?;
    app.db().close().await;
    let dump = Command::new("pg_dump")
        .args(["--no-owner", "--no-privileges", "--dbname", &made_url])
        .stderr(Stdio::inherit())
        .output()
        .context("pg_dump")?;
    ensure!(dump.status.success(), "pg_dump failed");
    helpers::drop_pg_database(made_name);
    write_gz(&out.join("demo.postgres.sql.gz"), &dump.stdout)?;
    let (name, url) = helpers::fresh_pg_database().await;
    psql_restore(&url, &dump.stdout)?;
    let t = TestApp::postgres_existing(name, Some(read_clock())).await;
    let expected = read::read_back(&t.base, ADMIN_PASSWORD, DEMO_PASSWORD).await;
    drop(t);
    write_expected(&out.join("expected.postgres.json.gz"), &expected)?;

    for f in files {
        println!("{f}: {} bytes", std::fs::metadata(out.join(f))?.len());
    }
    Ok(())
}

fn read_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        read::READ_AT.parse().expect("READ_AT is an instant"),
    ))
}

fn write_gz(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut e =
        flate2::write::GzEncoder::new(std::fs::File::create(path)?, flate2::Compression::best());
    e.write_all(bytes)?;
    e.finish()?;
    Ok(())
}

fn write_expected(path: &Path, v: &Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(v)?;
    text.push('\n');
    write_gz(path, text.as_bytes())
}

fn psql_restore(url: &str, sql: &[u8]) -> Result<()> {
    let mut child = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("psql")?;
    child.stdin.take().context("psql stdin")?.write_all(sql)?;
    ensure!(child.wait()?.success(), "psql restore failed");
    Ok(())
}

/// A database with the demo data and the extra events, on the ticking clock.
async fn make(url: &str) -> Result<App> {
    let db = Db::connect(
        url,
        &DbOptions {
            max_connections: 5,
            ..DbOptions::default()
        },
    )
    .await?;
    db.migrate().await?;
    let clock = Arc::new(TickingClock(Mutex::new(MADE_FROM.parse()?)));
    // The settings the tests use (the test's reading side opens it with them too).
    let cfg = AppConfig {
        password_cost: PasswordCost::insecure_fast(),
        alarm_secret: Some(ALARM_SECRET.into()),
        ..AppConfig::default()
    };
    let app = App::new(db, clock.clone(), cfg);
    app.ensure_admin(Some(ADMIN_PASSWORD)).await?;
    let s = app.load_demo().await?;
    println!("{url}: demo with {} requests", s.requests_created);
    scenario(&app, &clock).await?;
    Ok(app)
}

/// A client of the app's API, served on a free port for the scenario.
struct Api {
    base: String,
    http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Api {
    async fn serve(app: &App) -> Result<Api> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let router = aftersales_web::router(app.clone(), aftersales_web::WebConfig::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = aftersales_web::serve(listener, router, async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(Api {
            base,
            http: reqwest::Client::new(),
            stop: Some(tx),
        })
    }

    async fn token(&self, user: &str) -> Result<String> {
        let password = if user == "admin" {
            ADMIN_PASSWORD
        } else {
            DEMO_PASSWORD
        };
        let v = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                json!({"username": user, "password": password}),
            )
            .await?;
        Ok(v["token"].as_str().context("token")?.to_owned())
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Result<Value> {
        let m = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut b = self.http.request(m, format!("{}{path}", self.base));
        if let Some(t) = token {
            b = b.bearer_auth(t);
        }
        if !body.is_null() {
            b = b.json(&body);
        }
        let r = b.send().await?;
        let status = r.status();
        let text = r.text().await?;
        ensure!(status.is_success(), "{method} {path}: {status} {text}");
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    async fn get(&self, path: &str, token: &str) -> Result<Value> {
        self.call("GET", path, Some(token), Value::Null).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Result<Value> {
        self.call("POST", path, Some(token), body).await
    }

    async fn alarm(&self, now: Timestamp, body: Value) -> Result<Value> {
        let text = body.to_string();
        let ts = now.as_second().to_string();
        let sig = aftersales_app::alarm_signature(ALARM_SECRET, &ts, text.as_bytes());
        let r = self
            .http
            .post(format!("{}/api/v1/alarms", self.base))
            .header("content-type", "application/json")
            .header("X-Aftersales-Timestamp", ts)
            .header("X-Aftersales-Signature", format!("sha256={sig}"))
            .body(text)
            .send()
            .await?;
        let status = r.status();
        let text = r.text().await?;
        ensure!(status.is_success(), "alarm: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

fn s(v: &Value, k: &str) -> Result<String> {
    Ok(v[k]
        .as_str()
        .with_context(|| format!("{k} in {v}"))?
        .to_owned())
}

/// The events the demo lacks, each through the API as its actor would.
async fn scenario(app: &App, clock: &TickingClock) -> Result<()> {
    let api = Api::serve(app).await?;
    let admin = api.token("admin").await?;
    let agent = api.token("agent").await?;
    let dispatcher = api.token("dispatcher").await?;
    let engineer = api.token("engineer").await?;
    let engineer_id = s(&api.get("/api/v1/me", &engineer).await?, "id")?;
    let dispatcher_id = s(&api.get("/api/v1/me", &dispatcher).await?, "id")?;

    // The demo's requests, in the order they were filed.
    let mut demo = api
        .get("/api/v1/service-requests?limit=100", &admin)
        .await?["items"]
        .as_array()
        .context("items")?
        .clone();
    demo.sort_by_key(|r| r["number"].as_str().unwrap_or_default().to_owned());
    ensure!(demo.len() >= 12, "the demo filed {} requests", demo.len());
    let req = |i: usize| -> Result<(String, i64)> {
        Ok((
            s(&demo[i], "id")?,
            demo[i]["version"].as_i64().context("version")?,
        ))
    };

    // 0 (just taken): priority up, another owner, then cancelled by the customer.
    let (id, v) = req(0)?;
    let r = api
        .post(
            &format!("/api/v1/service-requests/{id}/priority"),
            &agent,
            json!({"version": v, "priority": "urgent", "note": "客户为医院机房，升级处理"}),
        )
        .await?;
    let r = api
        .post(
            &format!("/api/v1/service-requests/{id}/owner"),
            &agent,
            json!({"version": r["version"], "owner_id": dispatcher_id, "note": "转调度跟进"}),
        )
        .await?;
    api.post(
        &format!("/api/v1/service-requests/{id}/cancel"),
        &agent,
        json!({"version": r["version"], "reason": "客户已自行联系厂家处理"}),
    )
    .await?;

    // 1 (just taken): phone help fails, a visit; declined once, dispatched again,
    // rescheduled, waiting for the customer, resumed, taken to the depot.
    let (id, v) = req(1)?;
    let r = api
        .post(
            &format!("/api/v1/service-requests/{id}/triage"),
            &agent,
            json!({"version": v, "mode": "remote", "note": "电话指导检查排水管"}),
        )
        .await?;
    let r = api
        .post(
            &format!("/api/v1/service-requests/{id}/remote-outcome"),
            &agent,
            json!({"version": r["version"], "solved": false, "note": "排水管通畅，仍漏水"}),
        )
        .await?;
    let r = if r["work_orders"].as_array().is_some_and(|w| !w.is_empty()) {
        r
    } else {
        api.post(
            &format!("/api/v1/service-requests/{id}/triage"),
            &agent,
            json!({"version": r["version"], "mode": "onsite", "note": "需上门"}),
        )
        .await?
    };
    let wo = s(&r["work_orders"][0], "id")?;
    let o = api
        .get(&format!("/api/v1/work-orders/{wo}"), &dispatcher)
        .await?;
    let o = api
        .post(
            &format!("/api/v1/work-orders/{wo}/dispatch"),
            &dispatcher,
            json!({"version": o["version"], "engineer_id": engineer_id}),
        )
        .await?;
    let o = api
        .post(
            &format!("/api/v1/work-orders/{wo}/decline"),
            &engineer,
            json!({"version": o["version"], "reason": "今天在大连，赶不回来"}),
        )
        .await?;
    let o = api
        .post(
            &format!("/api/v1/work-orders/{wo}/dispatch"),
            &dispatcher,
            json!({"version": o["version"], "engineer_id": engineer_id, "note": "明天一早过去"}),
        )
        .await?;
    let o = api
        .post(
            &format!("/api/v1/work-orders/{wo}/accept"),
            &engineer,
            json!({"version": o["version"]}),
        )
        .await?;
    let at = |h: i64| {
        let t = MADE_FROM.parse::<Timestamp>().expect("instant") + SignedDuration::from_hours(h);
        t.to_string()
    };
    let o = api
        .post(
            &format!("/api/v1/work-orders/{wo}/appointment"),
            &engineer,
            json!({"version": o["version"], "starts_at": at(2), "ends_at": at(4), "customer_agreed": true}),
        )
        .await?;
    let o = api
        .post(
            &format!("/api/v1/work-orders/{wo}/appointment"),
            &engineer,
            json!({"version": o["version"], "starts_at": at(6), "ends_at": at(8),
                "reason": "客户临时出差", "customer_agreed": true}),
        )
        .await?;
    let step = |o: &Value, action: &str, extra: Value| -> Value {
        let mut b = json!({"version": o["version"], "action": action,
            "latitude": 41.8, "longitude": 123.43});
        if let (Some(m), Some(x)) = (b.as_object_mut(), extra.as_object()) {
            m.extend(x.clone());
        }
        b
    };
    let path = format!("/api/v1/work-orders/{wo}/transition");
    let o = api
        .post(&path, &engineer, step(&o, "depart", json!({})))
        .await?;
    let o = api
        .post(&path, &engineer, step(&o, "arrive", json!({})))
        .await?;
    let o = api
        .post(&path, &engineer, step(&o, "start", json!({})))
        .await?;
    let o = api
        .post(
            &path,
            &engineer,
            step(
                &o,
                "wait",
                json!({"wait_reason": "customer", "reason": "客户需确认维修费用"}),
            ),
        )
        .await?;
    let o = api
        .post(&path, &engineer, step(&o, "resume", json!({})))
        .await?;
    api.call(
        "PUT",
        &format!("/api/v1/work-orders/{wo}/record"),
        Some(&engineer),
        json!({"version": 0, "fault_cause_code": "CAP", "diagnosis": "接水盘破裂",
            "action_taken": "拆机送修", "parts": [], "labor_minutes": 45, "test_run_done": false}),
    )
    .await?;
    api.post(
        &format!("/api/v1/work-orders/{wo}/signature"),
        &engineer,
        json!({"declined_reason": "客户不在现场"}),
    )
    .await?;
    api.post(
        &format!("/api/v1/work-orders/{wo}/complete"),
        &engineer,
        json!({"version": o["version"], "outcome": "depot", "loaner_left": true}),
    )
    .await?;

    // 4 (waiting for dispatch): cancelled with its work order.
    let (id, _) = req(4)?;
    let r = api
        .get(&format!("/api/v1/service-requests/{id}"), &agent)
        .await?;
    api.post(
        &format!("/api/v1/service-requests/{id}/cancel"),
        &agent,
        json!({"version": r["version"], "reason": "客户取消报修"}),
    )
    .await?;

    // 5 (waiting for dispatch): a second visit.
    let (id, _) = req(5)?;
    let r = api
        .get(&format!("/api/v1/service-requests/{id}"), &agent)
        .await?;
    api.post(
        &format!("/api/v1/service-requests/{id}/work-orders"),
        &dispatcher,
        json!({"version": r["version"], "note": "需两名工程师"}),
    )
    .await?;

    // 9 (waiting for parts): resumed, fixed, not test-run (a follow-up falls due).
    let (id, _) = req(9)?;
    let r = api
        .get(&format!("/api/v1/service-requests/{id}"), &agent)
        .await?;
    let wo = s(&r["work_orders"][0], "id")?;
    let o = api
        .get(&format!("/api/v1/work-orders/{wo}"), &engineer)
        .await?;
    let path = format!("/api/v1/work-orders/{wo}/transition");
    let o = api
        .post(&path, &engineer, step(&o, "resume", json!({})))
        .await?;
    api.call(
        "PUT",
        &format!("/api/v1/work-orders/{wo}/record"),
        Some(&engineer),
        json!({"version": 0, "fault_cause_code": "CAP", "diagnosis": "压缩机电容老化",
            "action_taken": "更换压缩机电容", "parts": [{"part_no": "C-45UF", "name": "压缩机电容 45μF", "qty": 1}],
            "labor_minutes": 90, "test_run_done": false}),
    )
    .await?;
    api.post(
        &format!("/api/v1/work-orders/{wo}/signature"),
        &engineer,
        json!({"declined_reason": "客户委托邻居确认"}),
    )
    .await?;
    api.post(
        &format!("/api/v1/work-orders/{wo}/complete"),
        &engineer,
        json!({"version": o["version"], "outcome": "fixed"}),
    )
    .await?;

    // 10 (finished and signed): an addendum, the callback, resolved, closed, reopened.
    let (id, _) = req(10)?;
    let r = api
        .get(&format!("/api/v1/service-requests/{id}"), &agent)
        .await?;
    let wo = s(&r["work_orders"][0], "id")?;
    api.post(
        &format!("/api/v1/work-orders/{wo}/addenda"),
        &engineer,
        json!({"body": "补记：已提醒客户每季度清洗滤网"}),
    )
    .await?;
    api.post(
        &format!("/api/v1/work-orders/{wo}/callbacks"),
        &dispatcher,
        json!({"outcome": "confirmed", "notes": "客户确认已修好"}),
    )
    .await?;
    let r = api
        .get(&format!("/api/v1/service-requests/{id}"), &agent)
        .await?;
    let r = if r["status"] == "resolved" {
        r
    } else {
        api.post(
            &format!("/api/v1/service-requests/{id}/resolve"),
            &agent,
            json!({"version": r["version"], "note": "维修完成"}),
        )
        .await?
    };
    let r = api
        .post(
            &format!("/api/v1/service-requests/{id}/close"),
            &agent,
            json!({"version": r["version"], "note": "回访满意，结案"}),
        )
        .await?;
    api.post(
        &format!("/api/v1/service-requests/{id}/reopen"),
        &agent,
        json!({"version": r["version"], "note": "同一故障再次出现"}),
    )
    .await?;

    // 3 (solved by phone): resolved already or now, then closed.
    let (id, _) = req(3)?;
    let r = api
        .get(&format!("/api/v1/service-requests/{id}"), &agent)
        .await?;
    if r["status"] != "resolved" {
        api.post(
            &format!("/api/v1/service-requests/{id}/resolve"),
            &agent,
            json!({"version": r["version"], "note": "电话指导解决"}),
        )
        .await?;
    }

    // The portal customer's own request (the demo files none for them).
    let customer_user = app
        .find_user_by_username("customer")
        .await?
        .context("the demo customer account")?;
    let customer_id =
        aftersales_store::network::users::customer_of(app.db().pool(), customer_user.id)
            .await?
            .context("the portal account's customer")?;
    let units = api
        .get(&format!("/api/v1/units?customer_id={customer_id}"), &agent)
        .await?;
    let unit = &units["items"][0];
    let r = api
        .post(
            "/api/v1/service-requests",
            &agent,
            json!({"customer_id": customer_id.to_string(), "unit_id": unit["id"], "kind": "repair",
                "channel": "phone", "symptom": "开机无反应", "customer_request": "电话指导"}),
        )
        .await?;
    let r = api
        .post(
            &format!("/api/v1/service-requests/{}/triage", s(&r, "id")?),
            &agent,
            json!({"version": r["version"], "mode": "remote", "note": "指导客户检查电源"}),
        )
        .await?;
    api.post(
        &format!("/api/v1/service-requests/{}/remote-outcome", s(&r, "id")?),
        &agent,
        json!({"version": r["version"], "solved": true, "note": "插座松动，已恢复"}),
    )
    .await?;

    // A device alarm files a request; its repeat within the window merges into it.
    let serial = s(&demo[2]["unit"], "serial").or_else(|_| s(unit, "serial"))?;
    let now = clock.now();
    api.alarm(
        now,
        json!({"source": "MON-1", "alarm_id": "A-1001", "serial": serial, "code": "E4",
            "message": "排气温度过高", "occurred_at": now.to_string()}),
    )
    .await?;
    let now = clock.now();
    api.alarm(
        now,
        json!({"source": "MON-1", "alarm_id": "A-1002", "serial": serial, "code": "E4",
            "message": "排气温度过高（重复）", "occurred_at": now.to_string()}),
    )
    .await?;

    // The afternoon: the SLA checks record warnings, breaches and escalations, as the job
    // worker does; a breach is acknowledged.
    clock.jump_to(SLA_CHECKS_AT.parse()?);
    let all = api
        .get("/api/v1/service-requests?limit=100", &admin)
        .await?["items"]
        .as_array()
        .context("items")?
        .clone();
    for r in &all {
        app.run_sla_check(&s(r, "id")?).await?;
    }
    let mut acknowledged = false;
    for r in &all {
        let id = s(r, "id")?;
        let sla = api
            .get(&format!("/api/v1/service-requests/{id}/sla"), &admin)
            .await?;
        let breached = sla["clocks"]
            .as_array()
            .context("clocks")?
            .iter()
            .find(|c| c["state"] == "breached")
            .cloned();
        if let Some(c) = breached {
            api.post(
                &format!("/api/v1/service-requests/{id}/sla/acknowledge"),
                &admin,
                json!({"milestone": c["milestone"], "note": "已电话安抚客户"}),
            )
            .await?;
            acknowledged = true;
            break;
        }
    }
    ensure!(acknowledged, "no breach to acknowledge at {SLA_CHECKS_AT}");
    Ok(())
}
