//! `TestApp`: a fresh database (a temporary SQLite file, or a new PostgreSQL database on the
//! server at `AFTERSALES_TEST_PG_URL`), the server built by `Server::build` exactly as the
//! binary builds it (router, job worker, mailer, webhook, housekeeping, defaults) and served
//! on 127.0.0.1:0, the demo network and one user per role loaded, and typed helpers for
//! requests.

use aftersales::{Config, Embedded, Secret, Server};
use aftersales_app::{App, PasswordCost};
use serde_json::{Value, json};
use std::path::PathBuf;

pub const ADMIN_PASSWORD: &str = "Admin-pass-2026";
pub const DEMO_PASSWORD: &str = "demo-2026";
/// The secret device alarms are signed with in tests.
pub const ALARM_SECRET: &str = "test-alarm-secret-2026";

/// Runs each listed `async fn(TestApp)` as two tests: on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::TestApp::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::TestApp::postgres().await).await
                }
            )*
        }
    };
}

/// Runs each listed `async fn(TestApp)` on both backends, with the tests' configuration
/// adjusted by the named `fn(&mut Config)`, in a module of the given name.
#[macro_export]
macro_rules! both_with {
    ($module:ident, $adjust:ident; $($name:ident),* $(,)?) => {
        mod $module {
            mod sqlite {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::super::$name(
                            $crate::helpers::TestApp::sqlite_with(super::super::$adjust).await,
                        )
                        .await
                    }
                )*
            }
            mod postgres {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::super::$name(
                            $crate::helpers::TestApp::postgres_with(super::super::$adjust).await,
                        )
                        .await
                    }
                )*
            }
        }
    };
}

/// The PostgreSQL server for tests. Never skipped: without a server the tests fail.
pub fn pg_admin_url() -> String {
    std::env::var("AFTERSALES_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates an empty PostgreSQL database and returns (its name, its URL).
pub async fn fresh_pg_database() -> (String, String) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let admin = pg_admin_url();
    let name = format!("as_test_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL for tests is not reachable at {admin}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .expect("create database");
    let _ = c.close().await;
    let url = pg_database_url(&name);
    (name, url)
}

/// The URL of the database `name` on the test server.
pub fn pg_database_url(name: &str) -> String {
    let admin = pg_admin_url();
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .expect("url has a database");
    format!("{base}/{name}")
}

pub fn drop_pg_database(name: String) {
    // Runs on its own thread and runtime: Drop cannot await.
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            use sqlx::Connection;
            if let Ok(mut c) = sqlx::AnyConnection::connect(&pg_admin_url()).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
                let _ = c.close().await;
            }
        });
    })
    .join();
}

pub fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("aftersales-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

pub struct TestApp {
    pub base: String,
    pub app: App,
    /// The database's URL (for a second pool or process on the same database).
    pub url: String,
    /// A client without cookies and without following redirects.
    pub http: reqwest::Client,
    pub backend: &'static str,
    /// The job handlers the server was built with, for a test that runs the jobs itself
    /// (with `jobs.enabled` off).
    pub handlers: aftersales_jobs::Handlers,
    pg_db: Option<String>,
    dir: Option<PathBuf>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::sqlite_with(|_| {}).await
    }

    pub async fn postgres() -> TestApp {
        Self::postgres_with(|_| {}).await
    }

    /// On SQLite, with the tests' configuration ([`TestApp::config`]) changed by `adjust`
    /// (a test clock, other limits, the worker off, …).
    pub async fn sqlite_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = temp_dir();
        let url = format!("sqlite://{}", dir.join("aftersales.db").display());
        Self::start(&url, "sqlite", None, Some(dir), adjust).await
    }

    pub async fn postgres_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let (name, url) = fresh_pg_database().await;
        Self::start(&url, "postgres", Some(name), None, adjust).await
    }

    /// The configuration of a test server on the database at `url`: the defaults of the
    /// binary, with the tests' admin password and alarm secret, a cheap password hash and a
    /// small pool.
    pub fn config(url: &str) -> Config {
        Config {
            database_url: Some(Secret::new(url)),
            admin_password: Some(Secret::new(ADMIN_PASSWORD)),
            alarm_secret: Some(Secret::new(ALARM_SECRET)),
            db_max_connections: 5,
            embedded: Embedded {
                password_cost: PasswordCost::insecure_fast(),
                ..Embedded::default()
            },
            ..Config::default()
        }
    }

    /// Opens the SQLite file `dir/aftersales.db` made earlier (a copy of a fixture) as the
    /// binary opens a database at start: migrations, the admin's password, the demo network
    /// (what exists stays). The directory is removed on drop.
    pub async fn sqlite_existing(
        dir: PathBuf,
        clock: Option<std::sync::Arc<aftersales_app::ManualClock>>,
    ) -> TestApp {
        let url = format!("sqlite://{}", dir.join("aftersales.db").display());
        Self::start(&url, "sqlite", None, Some(dir), |c| {
            c.embedded.clock = clock
        })
        .await
    }

    /// Opens the existing PostgreSQL database `name` on the test server (e.g. restored from
    /// a dump) the same way; it is dropped on drop.
    pub async fn postgres_existing(
        name: String,
        clock: Option<std::sync::Arc<aftersales_app::ManualClock>>,
    ) -> TestApp {
        let url = pg_database_url(&name);
        Self::start(&url, "postgres", Some(name), None, |c| {
            c.embedded.clock = clock
        })
        .await
    }

    async fn start(
        url: &str,
        backend: &'static str,
        pg_db: Option<String>,
        dir: Option<PathBuf>,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = Self::config(url);
        adjust(&mut config);
        let server = Server::build(config).await.expect("server");
        let app = server.app().clone();
        let handlers = server.handlers().clone();
        // The network and one user per role; each test brings its own installed base.
        app.load_demo_network().await.expect("demo");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = server
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await;
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            base,
            app,
            url: url.to_owned(),
            http,
            backend,
            handlers,
            pg_db,
            dir,
            stop: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A bearer token from `POST /api/v1/auth/login`.
    pub async fn token(&self, username: &str) -> String {
        let password = if username == "admin" {
            ADMIN_PASSWORD
        } else {
            DEMO_PASSWORD
        };
        self.token_with(username, password).await
    }

    pub async fn token_with(&self, username: &str, password: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(r.status(), 200, "login of {username}");
        r.json::<Value>().await.expect("json")["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        split(r).await
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut b = self.http.request(m, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            b = b.json(&body);
        }
        split(b.send().await.expect("request")).await
    }

    /// The id of a demo unit by code.
    pub async fn unit_id(&self, code: &str) -> String {
        self.app
            .find_org_unit_by_code(code)
            .await
            .expect("lookup")
            .expect("unit exists")
            .id
            .to_string()
    }

    pub async fn user_id(&self, username: &str) -> String {
        self.app
            .find_user_by_username(username)
            .await
            .expect("lookup")
            .expect("user exists")
            .id
            .to_string()
    }

    /// Runs raw SQL against the test database (to prove what the schema refuses).
    pub async fn raw_execute(&self, sql: &'static str) -> Result<u64, sqlx::Error> {
        sqlx::query(sql)
            .execute(self.app.db().pool())
            .await
            .map(|r| r.rows_affected())
    }
}

/// Status and JSON body (Null when the body is empty or not JSON).
pub async fn split(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(name) = self.pg_db.take() {
            drop_pg_database(name);
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
