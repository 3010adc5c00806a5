//! Durable background jobs: claims are exclusive across pools and processes, failures are
//! retried with backoff and then parked with their error for admins to see and retry, and
//! a job armed before a SIGKILL fires exactly once after the restart. Webhooks (`http.post`)
//! go to a real HTTP receiver in the test that counts POSTs per `Idempotency-Key`.

use crate::crash::start_with;
use crate::helpers::{TestApp, drop_pg_database, fresh_pg_database, temp_dir};
use crate::service_flow::{file_request, world};
use crate::web::Browser;
use crate::{both, both_with};
use aftersales::Config;
use aftersales_app::{App, AppConfig, Clock, Db, DbOptions, ManualClock};
use aftersales_jobs::{HTTP_POST, Handlers, NewJob, WorkerOptions, http_post_payload, run_once};
use aftersales_store::administration::jobs as store;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One POST the receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub key: String,
    pub token: Option<String>,
    pub body: Value,
}

/// A webhook receiver on 127.0.0.1: answers every POST with the status it is set to
/// (after `delay`), and remembers each one.
pub(crate) struct Receiver {
    pub url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    answer: Arc<AtomicU16>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Receiver {
    pub async fn start(delay: Duration) -> Receiver {
        use axum::http::{HeaderMap, StatusCode};
        let hits = Arc::new(Mutex::new(Vec::<Hit>::new()));
        let answer = Arc::new(AtomicU16::new(200));
        let (h, a) = (hits.clone(), answer.clone());
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (h, a) = (h.clone(), a.clone());
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    h.lock().expect("hits").push(Hit {
                        key: header("idempotency-key").unwrap_or_default(),
                        token: header("x-token"),
                        body: serde_json::from_str(&body).unwrap_or(Value::Null),
                    });
                    tokio::time::sleep(delay).await;
                    let status = StatusCode::from_u16(a.load(Ordering::SeqCst))
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    let text = if status.is_success() {
                        "ok"
                    } else {
                        "down for maintenance"
                    };
                    (status, text)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Receiver {
            url,
            hits,
            answer,
            stop: Some(tx),
        }
    }

    fn answer_with(&self, status: u16) {
        self.answer.store(status, Ordering::SeqCst);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }

    /// POSTs per Idempotency-Key.
    fn per_key(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for h in self.hits() {
            *m.entry(h.key).or_insert(0) += 1;
        }
        m
    }

    /// Waits until `ok` holds of the POSTs so far, or `limit` passes; then says whether it held.
    pub async fn wait_for(&self, limit: Duration, ok: impl Fn(&[Hit]) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if ok(&self.hits()) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

both!(
    claims_from_separate_pools_never_overlap,
    the_jobs_page_shows_parked_jobs_with_their_error_and_retries_them,
);

/// The test runs the worker itself, on a clock it moves: the server's own stays off.
fn without_the_servers_worker(c: &mut Config) {
    c.jobs.enabled = false;
}

both_with!(
    worker_off,
    without_the_servers_worker;
    a_failing_webhook_is_retried_with_backoff_then_parked_and_an_admin_retries_it,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_servers_own_worker_runs_what_the_api_enqueued() {
    the_servers_own_worker_runs_what_the_api_enqueued(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_servers_own_worker_runs_what_the_api_enqueued() {
    the_servers_own_worker_runs_what_the_api_enqueued(true).await;
}

/// The test server is the one `Server::build` makes for the binary, worker and webhook
/// included: the SMS that filing a request through the API enqueues for the customer goes
/// out through the configured webhook, and the job is done, with nothing in the test
/// running a job.
async fn the_servers_own_worker_runs_what_the_api_enqueued(pg: bool) {
    let sms = Receiver::start(Duration::ZERO).await;
    let adjust = |c: &mut Config| c.sms_webhook_url = Some(sms.url.clone());
    let app = if pg {
        TestApp::postgres_with(adjust).await
    } else {
        TestApp::sqlite_with(adjust).await
    };
    let w = world(&app).await;
    let r = file_request(&app, &w).await;
    let number = r["number"].as_str().expect("number");
    assert!(
        sms.wait_for(Duration::from_secs(20), |h| h
            .iter()
            .any(|x| x.body["text"].as_str().unwrap_or("").contains(number)))
            .await,
        "on {}: the server's worker did not send the SMS the API enqueued",
        app.backend
    );
    let admin = app.token("admin").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, done) = app.get("/api/v1/admin/jobs?status=done", &admin).await;
        let delivered = done["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|j| j["kind"] == "notify.deliver" && j["attempts"] == 1);
        if delivered {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "on {}: the delivery is not recorded as done: {done}",
            app.backend
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Three pools (on PostgreSQL: three sets of connections, as three servers would have)
/// claim 120 due jobs at once; every job is claimed by exactly one of them.
async fn claims_from_separate_pools_never_overlap(app: TestApp) {
    let now = app.app.now();
    let mut tx = app.app.db().begin().await.expect("begin");
    for i in 0..120 {
        let job = NewJob::new("test.claim", format!("claim:{i}"), json!({ "i": i }), now);
        assert!(store::arm(tx.conn(), &job, now).await.expect("arm"));
    }
    tx.commit().await.expect("commit");
    let lease = SignedDuration::from_secs(300);
    let mut tasks = Vec::new();
    for w in 0..3 {
        let url = app.url.clone();
        tasks.push(tokio::spawn(async move {
            let db = Db::connect(
                &url,
                &DbOptions {
                    max_connections: 2,
                    ..DbOptions::default()
                },
            )
            .await
            .expect("connect");
            let worker = format!("w{w}");
            let mut got = Vec::new();
            loop {
                let jobs = store::claim(&db, &worker, &["test.claim"], now, lease, 4)
                    .await
                    .expect("claim");
                if jobs.is_empty() {
                    break;
                }
                for j in jobs {
                    assert_eq!(j.locked_by.as_deref(), Some(worker.as_str()));
                    assert_eq!(j.attempts, 1, "{} claimed before", j.key);
                    got.push(j.key);
                }
            }
            db.close().await;
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("claimer"));
    }
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(
        (all.len(), distinct.len()),
        (120, 120),
        "on {}: some job was claimed twice or never",
        app.backend
    );
    let counts = store::counts(app.app.db().pool()).await.expect("counts");
    assert_eq!(counts, [(store::JobStatus::Running, 120)]);
}

async fn job_by_key(app: &TestApp, token: &str, status: &str, key: &str) -> Option<Value> {
    let (code, page) = app
        .get(&format!("/api/v1/admin/jobs?status={status}"), token)
        .await;
    assert_eq!(code, 200, "{page}");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|j| j["key"] == key)
        .cloned()
}

/// A webhook whose receiver answers 503: retried after 30 s and 60 s (not earlier),
/// parked after its third attempt with the answer as its error, which admins (and only
/// admins) see; a retry puts it back and it is delivered.
async fn a_failing_webhook_is_retried_with_backoff_then_parked_and_an_admin_retries_it(
    app: TestApp,
) {
    let rx = Receiver::start(Duration::ZERO).await;
    rx.answer_with(503);
    // The worker runs here on a clock the test moves.
    // Whole microseconds, as the database stores instants.
    let start = Timestamp::from_microsecond(app.app.now().as_microsecond()).expect("instant");
    let clock = Arc::new(ManualClock::new(start));
    let worker_app = App::new(app.app.db().clone(), clock.clone(), AppConfig::default());
    let handlers = Handlers::builtin();
    let opts = WorkerOptions {
        worker_id: "test-worker".into(),
        ..WorkerOptions::default()
    };
    let key = format!("sms:{}:accepted", uuid::Uuid::now_v7());
    let sms = json!({"to": "13800000000", "text": "您的报修已受理"});
    let job = NewJob::new(
        HTTP_POST,
        key.clone(),
        http_post_payload(&rx.url, sms.clone(), &[("X-Token", "t0k3n")]),
        worker_app.now(),
    )
    .max_attempts(3);
    assert!(worker_app.arm_job(&job).await.expect("arm"));
    assert!(
        !worker_app.arm_job(&job).await.expect("arm again"),
        "one job per key"
    );
    let admin = app.token("admin").await;
    let round = || run_once(&worker_app, &handlers, &opts);

    assert_eq!(round().await.expect("run"), 1);
    assert_eq!(rx.per_key().get(&key), Some(&1));
    let j = job_by_key(&app, &admin, "pending", &key)
        .await
        .expect("pending again after a failure");
    assert_eq!(j["attempts"], 1);
    assert_eq!(
        j["last_error"],
        "HTTP 503 Service Unavailable: down for maintenance"
    );
    let due: Timestamp = j["due_at"].as_str().expect("due").parse().expect("instant");
    assert_eq!(due, clock.now() + SignedDuration::from_secs(30));

    // Not before its backoff has passed.
    clock.advance(SignedDuration::from_secs(29));
    assert_eq!(round().await.expect("run"), 0);
    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(round().await.expect("run"), 1);
    let j = job_by_key(&app, &admin, "pending", &key)
        .await
        .expect("pending");
    assert_eq!(j["attempts"], 2);
    // The second wait is twice the first.
    clock.advance(SignedDuration::from_secs(59));
    assert_eq!(round().await.expect("run"), 0);
    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(round().await.expect("run"), 1);
    // Out of attempts: parked, and it stays parked.
    clock.advance(SignedDuration::from_hours(3));
    assert_eq!(round().await.expect("run"), 0);
    assert_eq!(rx.per_key().get(&key), Some(&3));

    let j = job_by_key(&app, &admin, "parked", &key)
        .await
        .expect("parked");
    assert_eq!(
        (&j["status"], &j["attempts"], &j["max_attempts"], &j["kind"]),
        (&json!("parked"), &json!(3), &json!(3), &json!("http.post"))
    );
    assert_eq!(
        j["last_error"],
        "HTTP 503 Service Unavailable: down for maintenance"
    );
    assert!(j["finished_at"].is_string(), "{j}");
    assert!(
        j.get("payload").is_none(),
        "the payload may hold credentials"
    );
    // Without a status the parked jobs come first.
    let (_, all) = app.get("/api/v1/admin/jobs", &admin).await;
    assert_eq!(all["items"][0]["key"], key.as_str(), "{all}");

    // Only admins.
    let id = j["id"].as_str().expect("id").to_owned();
    for role in ["agent", "dispatcher", "manager", "engineer", "customer"] {
        let t = app.token(role).await;
        let (code, body) = app.get("/api/v1/admin/jobs?status=parked", &t).await;
        assert_eq!((code, &body["code"]), (403, &json!("forbidden")), "{role}");
        let (code, body) = app
            .send("POST", &format!("/api/v1/admin/jobs/{id}/retry"), &t, None)
            .await;
        assert_eq!((code, &body["code"]), (403, &json!("forbidden")), "{role}");
    }
    let (code, body) = app.get("/api/v1/admin/jobs?status=lost", &admin).await;
    assert_eq!(code, 422, "{body}");

    // The admin retries it once the receiver is back.
    rx.answer_with(200);
    let (code, body) = app
        .send(
            "POST",
            &format!("/api/v1/admin/jobs/{id}/retry"),
            &admin,
            None,
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        (&body["status"], &body["attempts"]),
        (&json!("pending"), &json!(0))
    );
    let (code, body) = app
        .send(
            "POST",
            &format!("/api/v1/admin/jobs/{id}/retry"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        (code, &body["code"]),
        (409, &json!("job_not_parked")),
        "{body}"
    );
    let unknown = uuid::Uuid::now_v7();
    let (code, body) = app
        .send(
            "POST",
            &format!("/api/v1/admin/jobs/{unknown}/retry"),
            &admin,
            None,
        )
        .await;
    assert_eq!((code, &body["code"]), (404, &json!("not_found")), "{body}");
    let (code, _) = app
        .send("POST", "/api/v1/admin/jobs/not-an-id/retry", &admin, None)
        .await;
    assert_eq!(code, 404);

    assert_eq!(round().await.expect("run"), 1);
    let j = job_by_key(&app, &admin, "done", &key).await.expect("done");
    assert_eq!(j["attempts"], 1);
    // Every attempt carried the job's key, the body and the configured header.
    let hits = rx.hits();
    assert_eq!(hits.len(), 4);
    for h in &hits {
        assert_eq!(
            (h.key.as_str(), h.token.as_deref(), &h.body),
            (key.as_str(), Some("t0k3n"), &sms)
        );
    }
    // Done stays done.
    clock.advance(SignedDuration::from_hours(1));
    assert_eq!(round().await.expect("run"), 0);
    assert_eq!(rx.hits().len(), 4);
    // The retry is in the audit trail.
    let (_, audit) = app.get("/api/v1/audit?entity=job", &admin).await;
    let items = audit["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{audit}");
    assert_eq!(
        (
            &items[0]["action"],
            &items[0]["entity_id"],
            &items[0]["actor_name"]
        ),
        (&json!("retry"), &json!(id), &json!("admin"))
    );
}

async fn the_jobs_page_shows_parked_jobs_with_their_error_and_retries_them(app: TestApp) {
    let now = app.app.now();
    let job = NewJob::new("test.page", "page:1", json!({}), now);
    assert!(
        store::arm(app.app.db().pool(), &job, now)
            .await
            .expect("arm")
    );
    let lease = SignedDuration::from_secs(60);
    let claimed = store::claim(app.app.db(), "w", &["test.page"], now, lease, 1)
        .await
        .expect("claim");
    let j = claimed.first().expect("claimed");
    let failed = store::fail(
        app.app.db().pool(),
        j,
        "w",
        now,
        "<b>receiver refused</b>",
        &store::Backoff::default(),
        true,
    )
    .await
    .expect("fail");
    assert_eq!(failed, Some(store::Failed::Parked));

    let b = Browser::new(&app, "zh-CN");
    b.login("admin").await;
    let (status, html, _) = b.get("/admin/jobs").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("后台任务") && html.contains("page:1"),
        "{html}"
    );
    let at = html.find("receiver refused").expect("the error is shown");
    assert!(
        html[..at].ends_with("&#60;b&#62;") || html[..at].ends_with("&lt;b&gt;"),
        "the error is shown as text, not markup: {}",
        &html[at.saturating_sub(40)..at + 40]
    );
    assert!(html.contains(&format!("/admin/jobs/{}/retry", j.id)));
    let csrf = b.csrf("/admin/jobs").await;
    let (status, _, location) = b
        .post(&format!("/admin/jobs/{}/retry", j.id), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    let location = location.expect("redirect");
    let (_, html, _) = b.get(&location).await;
    assert!(html.contains("任务已重新排队"), "{html}");
    assert!(!html.contains("page:1"), "no longer parked");
    let (_, html, _) = b.get("/admin/jobs?status=pending").await;
    assert!(html.contains("page:1"));

    let en = Browser::new(&app, "en");
    en.login("admin").await;
    let (_, html, _) = en.get("/admin/jobs?status=").await;
    assert!(
        html.contains("Background jobs") && html.contains("Waiting"),
        "{html}"
    );

    // Another role cannot retry through the page either.
    let agent = Browser::new(&app, "zh-CN");
    agent.login("agent").await;
    let csrf = agent.csrf("/me/password").await;
    let (status, _, _) = agent
        .post(&format!("/admin/jobs/{}/retry", j.id), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, 403);
}

/// The server's own settings for these tests: a short poll, so a due job goes out fast.
const FAST_POLL: &[(&str, &str)] = &[("AFTERSALES_JOBS__POLL_INTERVAL_MS", "100")];

async fn open(url: &str) -> Db {
    Db::connect(
        url,
        &DbOptions {
            max_connections: 2,
            ..DbOptions::default()
        },
    )
    .await
    .expect("connect")
}

/// A webhook armed a few seconds ahead, the server killed with SIGKILL before it is due:
/// after the restart the receiver gets it exactly once.
async fn armed_before_sigkill_fires_once_after_restart(database_url: Option<&str>) {
    let rx = Receiver::start(Duration::ZERO).await;
    let dir = temp_dir();
    let (mut child, _) = start_with(&dir, database_url, FAST_POLL).await;
    // The server's database (migrated by it), opened beside it.
    let url = database_url.map(str::to_owned).unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            dir.join("data").join("aftersales.db").display()
        )
    });
    let db = open(&url).await;
    let key = format!("wechat:{}:dispatched", uuid::Uuid::now_v7());
    let now = Timestamp::now();
    let due = now + SignedDuration::from_secs(3);
    let job = NewJob::new(
        HTTP_POST,
        key.clone(),
        http_post_payload(&rx.url, json!({"msg": "工程师已出发"}), &[]),
        due,
    );
    assert!(store::arm(db.pool(), &job, now).await.expect("arm"));
    child.start_kill().expect("SIGKILL");
    let _ = child.wait().await;
    assert!(
        Timestamp::now() < due,
        "the server must die before the job is due"
    );
    assert!(rx.hits().is_empty(), "nothing sent before it was due");

    let (_child2, _) = start_with(&dir, database_url, FAST_POLL).await;
    assert!(
        rx.wait_for(Duration::from_secs(30), |h| !h.is_empty())
            .await,
        "the job never fired after the restart"
    );
    assert!(Timestamp::now() >= due, "fired before it was due");
    // Several more polls: no second delivery.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rx.per_key(), BTreeMap::from([(key.clone(), 1)]));
    let stored = store::find_by_key(db.pool(), &key)
        .await
        .expect("find")
        .expect("job");
    assert_eq!(
        (stored.status, stored.attempts),
        (store::JobStatus::Done, 1)
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_fires_a_job_armed_before_sigkill_exactly_once_after_restart() {
    armed_before_sigkill_fires_once_after_restart(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_fires_a_job_armed_before_sigkill_exactly_once_after_restart() {
    let (name, url) = fresh_pg_database().await;
    armed_before_sigkill_fires_once_after_restart(Some(&url)).await;
    drop_pg_database(name);
}

/// Two servers on one PostgreSQL database, 40 webhooks due at once: each is delivered
/// exactly once, and both servers took part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_servers_deliver_each_job_exactly_once() {
    let (name, url) = fresh_pg_database().await;
    // A slow receiver, so that neither server can take every job before the other looks.
    let rx = Receiver::start(Duration::from_millis(300)).await;
    let (dir_a, dir_b) = (temp_dir(), temp_dir());
    let (_a, _) = start_with(&dir_a, Some(&url), FAST_POLL).await;
    let (_b, _) = start_with(&dir_b, Some(&url), FAST_POLL).await;
    let db = open(&url).await;
    let now = Timestamp::now();
    let keys: Vec<String> = (0..40).map(|i| format!("notify:{i}:sms")).collect();
    let mut tx = db.begin().await.expect("begin");
    for k in &keys {
        let payload = http_post_payload(&rx.url, json!({ "key": k }), &[]);
        let job = NewJob::new(HTTP_POST, k.clone(), payload, now);
        assert!(store::arm(tx.conn(), &job, now).await.expect("arm"));
    }
    tx.commit().await.expect("commit");
    let all_there = rx
        .wait_for(Duration::from_secs(60), |h| {
            h.iter().map(|x| &x.key).collect::<BTreeSet<_>>().len() == keys.len()
        })
        .await;
    // Several more polls of both servers: no repeats.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let per_key = rx.per_key();
    assert!(all_there, "not every job was delivered: {per_key:?}");
    let repeated: Vec<_> = per_key.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    assert_eq!(
        per_key.keys().cloned().collect::<Vec<_>>(),
        keys.iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    for h in rx.hits() {
        assert_eq!(
            h.body["key"],
            h.key.as_str(),
            "each POST carries its own job's body"
        );
    }
    let mut conn = db.acquire().await.expect("conn");
    let done = store::list(&mut conn, Some(store::JobStatus::Done), None, 200)
        .await
        .expect("list");
    assert_eq!(done.items.len(), 40);
    let workers: BTreeSet<_> = done
        .items
        .iter()
        .filter_map(|j| j.locked_by.clone())
        .collect();
    assert_eq!(workers.len(), 2, "both servers took part: {workers:?}");
    drop(conn);
    db.close().await;
    drop_pg_database(name);
    let _ = std::fs::remove_dir_all(dir_a);
    let _ = std::fs::remove_dir_all(dir_b);
}
