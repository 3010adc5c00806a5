//! Configuration: defaults < TOML file (`--config`) < `AFTERSALES_*` environment
//! (nested keys with `__`, e.g. `AFTERSALES_SMTP__PASSWORD`); `DATABASE_URL` is also read.
//! Validated at start; errors name the key. Secrets never show in `Debug` or logs.

use aftersales_app::{AppConfig, Clock, ManualClock, PasswordCost};
use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A secret value: printed as `***`.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// Where the embedded SQLite database lives (`<data_dir>/aftersales.db`).
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; unset for the embedded SQLite database.
    pub database_url: Option<Secret>,
    /// Decides the `admin` account's password whenever set.
    pub admin_password: Option<Secret>,
    /// `pretty` or `json`.
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `aftersales=debug,info` (`RUST_LOG` wins).
    pub log_level: String,
    /// Mark cookies Secure: set when users reach the site over https.
    pub secure_cookies: bool,
    /// The address people reach the site at (`https://service.example.com`), printed in
    /// links on documents (the service record's QR code); else the request's host.
    pub public_url: Option<String>,
    /// The company named on printed documents, and its contact line.
    pub company_name: Option<String>,
    pub company_contact: Option<String>,
    pub session_ttl_hours: u64,
    pub db_max_connections: u32,
    /// The secret shared with the monitoring center; device alarms are signed with it
    /// (HMAC-SHA256). Unset: `POST /api/v1/alarms` refuses every alarm.
    pub alarm_secret: Option<Secret>,
    /// Hours within which another alarm for a unit joins its open request (1–720).
    pub alarm_merge_window_hours: u64,
    /// The user name that owns requests filed by alarms (else the first active dispatcher).
    pub alarm_owner: Option<String>,
    pub smtp: SmtpConfig,
    pub jobs: JobsConfig,
    pub login: LoginConfig,
    /// Old for new and the quality alert: `return_days` (30, 1–365), `alert_window_days`
    /// (90, 1–730), `alert_threshold` (3, 1–1000).
    pub defects: aftersales_domain::parts::defects::DefectRules,
    /// Limits of the HTTP server against slow or hoarding clients.
    pub http: HttpConfig,
    /// Where SMS (and WeChat) messages go: a gateway's webhook that takes
    /// `{"id","channel","to","locale","subject","text"}` as JSON. Unset: no SMS.
    pub sms_webhook_url: Option<String>,
    /// Minutes after a breach before the dispatcher, then the station manager, then the
    /// center head are told (each after the step before), unless acknowledged.
    pub sla_ladder_minutes: [i64; 3],
    /// The site's time zone (an IANA name): where "today" is decided, a day starts and
    /// ends, and times are shown; also the zone of a calendar that names none.
    pub site_time_zone: String,
    /// Run on a test clock that only moves through `POST /api/v1/test-clock/advance`
    /// (tests and demos of deadlines). Never in production.
    pub test_clock: bool,
    /// Set only by a program that embeds the server (the integration tests).
    #[serde(skip)]
    pub embedded: Embedded,
}

/// What only a program that embeds the server sets, never a file or the environment.
#[derive(Clone, Default)]
pub struct Embedded {
    /// Run on this test clock, which the embedding program holds and moves (as with
    /// `test_clock`, but starting where it stands).
    pub clock: Option<Arc<ManualClock>>,
    /// The Argon2id cost of new password hashes (OWASP's by default; tests use a cheap one).
    pub password_cost: PasswordCost,
}

impl fmt::Debug for Embedded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Embedded")
            .field("clock", &self.clock.as_ref().map(|c| c.now()))
            .field("password_cost", &self.password_cost)
            .finish()
    }
}

/// The worker of background jobs (SLA timers, messages, webhooks).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    /// Run the worker in this process. Off: jobs wait for another process that runs one.
    pub enabled: bool,
    /// How often to look for due jobs (50–60000 ms); jobs armed due now in this process
    /// wake the worker at once.
    pub poll_interval_ms: u64,
    /// How long a claimed job is this worker's before another may take it over
    /// (10–86400 s); a handler is cut off after half of it.
    pub lease_secs: u64,
}

/// The login throttle (docs/decisions.md, "Login throttle"). Failed sign-ins are counted
/// per window, which starts with its first attempt; past a limit the answer is 429 with
/// `Retry-After` and the password is not even checked.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoginConfig {
    /// Failures allowed for one user name from one client address (1–1000).
    pub max_failures: i64,
    /// Failures allowed from one client address, whatever the user names (1–100000).
    pub max_failures_per_address: i64,
    /// Failures allowed for one user name from all addresses together (1–100000); past
    /// it, only addresses the user signed in from in the last 90 days may still try.
    pub max_failures_per_account: i64,
    /// The window's length in minutes (1–1440).
    pub window_minutes: u64,
    /// The header a reverse proxy writes the client's address into (e.g.
    /// `x-forwarded-for`; its last entry is used). Unset: the connection's peer. Set it
    /// only when clients cannot reach the server except through that proxy.
    pub client_ip_header: Option<String>,
}

/// Limits of the HTTP server (see docs/operations.md, "Security").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Seconds a client has to send a request's head in full, counted from when the
    /// connection waits for it (a new connection, or a kept-alive one between requests)
    /// (1–300).
    pub header_read_timeout_secs: u64,
    /// Seconds without a byte either way, while the server waits on the client (a stalled
    /// body, an answer not read), before the connection is closed (1–3600).
    pub idle_timeout_secs: u64,
    /// Connections served at once (1–100000); more wait in the listen backlog. Keep the
    /// process's file limit (`ulimit -n`) above this plus the database pool and ~64.
    pub max_connections: usize,
}

/// Outgoing e-mail (used by notifications).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: Option<String>,
    /// `starttls` (the default), `tls` (port 465) or `none` (a relay on a trusted network).
    pub tls: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            admin_password: None,
            log_format: "pretty".into(),
            log_level: "info".into(),
            secure_cookies: false,
            public_url: None,
            company_name: None,
            company_contact: None,
            session_ttl_hours: 12,
            db_max_connections: 10,
            alarm_secret: None,
            alarm_merge_window_hours: 24,
            alarm_owner: None,
            smtp: SmtpConfig {
                host: None,
                port: 587,
                username: None,
                password: None,
                from: None,
                tls: "starttls".into(),
            },
            jobs: JobsConfig {
                enabled: true,
                poll_interval_ms: 1000,
                lease_secs: 300,
            },
            login: LoginConfig {
                max_failures: 5,
                max_failures_per_address: 20,
                max_failures_per_account: 100,
                window_minutes: 15,
                client_ip_header: None,
            },
            defects: aftersales_domain::parts::defects::DefectRules::default(),
            http: HttpConfig {
                header_read_timeout_secs: 10,
                idle_timeout_secs: 60,
                max_connections: 1024,
            },
            sms_webhook_url: None,
            sla_ladder_minutes: [0, 30, 60],
            site_time_zone: aftersales_app::DEFAULT_SITE_TIME_ZONE.into(),
            test_clock: false,
            embedded: Embedded::default(),
        }
    }
}

impl Config {
    /// Loads and validates the configuration.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        Self::from_figment(Self::figment(file))
    }

    pub fn figment(file: Option<&Path>) -> Figment {
        let mut f = Figment::from(Serialized::defaults(Config::default()));
        if let Some(p) = file {
            f = f.merge(Toml::file_exact(p));
        }
        // The conventional DATABASE_URL, then our own prefix (which wins).
        f.merge(
            Env::raw()
                .only(&["DATABASE_URL"])
                .map(|_| "database_url".into()),
        )
        .merge(
            Env::prefixed("AFTERSALES_")
                .split("__")
                .ignore(&["TEST_PG_URL"]),
        )
    }

    pub fn from_figment(f: Figment) -> anyhow::Result<Config> {
        let c: Config = f
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration error: {e}"))?;
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.bind
            .parse::<SocketAddr>()
            .with_context(|| format!("configuration error: `bind` (AFTERSALES_BIND): '{}' is not an address like 127.0.0.1:8080", self.bind))?;
        if !matches!(self.log_format.as_str(), "pretty" | "json") {
            bail!(
                "configuration error: `log_format` (AFTERSALES_LOG_FORMAT): '{}' must be `pretty` or `json`",
                self.log_format
            );
        }
        if let Some(u) = &self.database_url {
            let u = u.expose();
            if !(u.starts_with("postgres://")
                || u.starts_with("postgresql://")
                || u.starts_with("sqlite:"))
            {
                bail!(
                    "configuration error: `database_url` (DATABASE_URL): must start with postgres:// or sqlite:"
                );
            }
        }
        if let Some(u) = &self.public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            bail!(
                "configuration error: `public_url` (AFTERSALES_PUBLIC_URL): '{u}' must start with http:// or https://"
            );
        }
        if !(1..=720).contains(&self.session_ttl_hours) {
            bail!(
                "configuration error: `session_ttl_hours`: {} must be between 1 and 720",
                self.session_ttl_hours
            );
        }
        if !(1..=200).contains(&self.db_max_connections) {
            bail!(
                "configuration error: `db_max_connections`: {} must be between 1 and 200",
                self.db_max_connections
            );
        }
        if !(1..=720).contains(&self.alarm_merge_window_hours) {
            bail!(
                "configuration error: `alarm_merge_window_hours`: {} must be between 1 and 720",
                self.alarm_merge_window_hours
            );
        }
        if self
            .alarm_secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < 16)
        {
            bail!(
                "configuration error: `alarm_secret` (AFTERSALES_ALARM_SECRET): use at least 16 characters"
            );
        }
        if !matches!(self.smtp.tls.as_str(), "none" | "starttls" | "tls") {
            bail!(
                "configuration error: `smtp.tls` (AFTERSALES_SMTP__TLS): '{}' must be none, starttls or tls",
                self.smtp.tls
            );
        }
        if self
            .sla_ladder_minutes
            .iter()
            .any(|m| !(0..=7 * 24 * 60).contains(m))
        {
            bail!(
                "configuration error: `sla_ladder_minutes` (AFTERSALES_SLA_LADDER_MINUTES): each step must be 0–10080 minutes"
            );
        }
        self.site()?;
        if let Some(u) = &self.sms_webhook_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            bail!(
                "configuration error: `sms_webhook_url` (AFTERSALES_SMS_WEBHOOK_URL): '{u}' is not an http(s) URL"
            );
        }
        if !(50..=60_000).contains(&self.jobs.poll_interval_ms) {
            bail!(
                "configuration error: `jobs.poll_interval_ms` (AFTERSALES_JOBS__POLL_INTERVAL_MS): {} must be between 50 and 60000",
                self.jobs.poll_interval_ms
            );
        }
        if !(10..=86_400).contains(&self.jobs.lease_secs) {
            bail!(
                "configuration error: `jobs.lease_secs` (AFTERSALES_JOBS__LEASE_SECS): {} must be between 10 and 86400",
                self.jobs.lease_secs
            );
        }
        for (key, env, v, max) in [
            (
                "login.max_failures",
                "AFTERSALES_LOGIN__MAX_FAILURES",
                self.login.max_failures,
                1000,
            ),
            (
                "login.max_failures_per_address",
                "AFTERSALES_LOGIN__MAX_FAILURES_PER_ADDRESS",
                self.login.max_failures_per_address,
                100_000,
            ),
            (
                "login.max_failures_per_account",
                "AFTERSALES_LOGIN__MAX_FAILURES_PER_ACCOUNT",
                self.login.max_failures_per_account,
                100_000,
            ),
        ] {
            if !(1..=max).contains(&v) {
                bail!("configuration error: `{key}` ({env}): {v} must be between 1 and {max}");
            }
        }
        if !(1..=1440).contains(&self.login.window_minutes) {
            bail!(
                "configuration error: `login.window_minutes` (AFTERSALES_LOGIN__WINDOW_MINUTES): {} must be between 1 and 1440",
                self.login.window_minutes
            );
        }
        if let Some(h) = &self.login.client_ip_header
            && header_name_is_invalid(h)
        {
            bail!(
                "configuration error: `login.client_ip_header` (AFTERSALES_LOGIN__CLIENT_IP_HEADER): '{h}' is not a header name"
            );
        }
        if let Err((key, v, min, max)) = self.defects.check() {
            bail!(
                "configuration error: `defects.{key}` (AFTERSALES_DEFECTS__{}): {v} must be between {min} and {max}",
                key.to_uppercase()
            );
        }
        if !(1..=300).contains(&self.http.header_read_timeout_secs) {
            bail!(
                "configuration error: `http.header_read_timeout_secs` (AFTERSALES_HTTP__HEADER_READ_TIMEOUT_SECS): {} must be between 1 and 300",
                self.http.header_read_timeout_secs
            );
        }
        if !(1..=3600).contains(&self.http.idle_timeout_secs) {
            bail!(
                "configuration error: `http.idle_timeout_secs` (AFTERSALES_HTTP__IDLE_TIMEOUT_SECS): {} must be between 1 and 3600",
                self.http.idle_timeout_secs
            );
        }
        if !(1..=100_000).contains(&self.http.max_connections) {
            bail!(
                "configuration error: `http.max_connections` (AFTERSALES_HTTP__MAX_CONNECTIONS): {} must be between 1 and 100000",
                self.http.max_connections
            );
        }
        tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .with_context(|| format!("configuration error: `log_level` (AFTERSALES_LOG_LEVEL): '{}' is not a valid filter", self.log_level))?;
        Ok(())
    }

    /// The settings of the application layer that this configuration decides (an unknown
    /// site time zone is refused, as [`Config::load`] does).
    pub fn app_config(&self) -> anyhow::Result<AppConfig> {
        let site = self.site()?;
        Ok(AppConfig {
            web_session_ttl: Duration::from_secs(self.session_ttl_hours * 3600),
            password_cost: self.embedded.password_cost,
            alarm_secret: self.alarm_secret.as_ref().map(|s| s.expose().to_owned()),
            alarm_merge_window: Duration::from_secs(self.alarm_merge_window_hours * 3600),
            alarm_owner: self.alarm_owner.clone(),
            email_enabled: self.smtp.host.is_some() && self.smtp.from.is_some(),
            sms_enabled: self.sms_webhook_url.is_some(),
            sla_ladder_minutes: self.sla_ladder_minutes,
            public_url: self.public_url.clone(),
            login_max_failures: self.login.max_failures,
            login_max_failures_per_address: self.login.max_failures_per_address,
            login_max_failures_per_account: self.login.max_failures_per_account,
            login_window: Duration::from_secs(self.login.window_minutes * 60),
            defects: self.defects,
            site,
            ..AppConfig::default()
        })
    }

    /// The site's time zone; an unknown one is a configuration error naming the key.
    pub fn site(&self) -> anyhow::Result<aftersales_app::Site> {
        aftersales_app::Site::new(&self.site_time_zone).map_err(|e| {
            anyhow::anyhow!(
                "configuration error: `site_time_zone` (AFTERSALES_SITE_TIME_ZONE): {e}"
            )
        })
    }

    /// The database URL to use: the configured one, else the embedded SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.expose().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("aftersales.db").display()),
        }
    }
}

/// Whether `h` cannot be an HTTP header name (token characters only).
fn header_name_is_invalid(h: &str) -> bool {
    h.is_empty()
        || !h
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A database URL fit for a log line: the password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
// figment's Jail closures return its large error type; that is the crate's API.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn environment_overrides_the_file_which_overrides_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "a.toml",
                "bind = \"127.0.0.1:9000\"\nlog_format = \"json\"\n[smtp]\nport = 25\n",
            )?;
            jail.set_env("AFTERSALES_BIND", "127.0.0.1:9100");
            jail.set_env("AFTERSALES_SMTP__PASSWORD", "hunter22");
            let c = Config::load(Some(Path::new("a.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.bind, "127.0.0.1:9100");
            assert_eq!(c.log_format, "json");
            assert_eq!(c.smtp.port, 25);
            assert_eq!(c.session_ttl_hours, 12);
            assert_eq!(
                c.smtp.password.as_ref().map(Secret::expose),
                Some("hunter22")
            );
            Ok(())
        });
    }

    #[test]
    fn a_bad_value_is_reported_with_its_key() {
        Jail::expect_with(|jail| {
            jail.set_env("AFTERSALES_BIND", "nowhere");
            let e = Config::load(None).expect_err("must fail").to_string();
            assert!(e.contains("`bind`") && e.contains("nowhere"), "{e}");
            jail.set_env("AFTERSALES_BIND", "127.0.0.1:1");
            jail.set_env("AFTERSALES_SESSION_TTL_HOURS", "lots");
            let e = Config::load(None).expect_err("must fail").to_string();
            assert!(e.to_lowercase().contains("session_ttl_hours"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn alarm_settings_come_from_the_file_and_are_checked() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                "alarm_merge_window_hours = 6\nalarm_owner = \"dispatcher\"\n",
            )?;
            let c = Config::load(Some(Path::new("c.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.alarm_merge_window_hours, 6);
            assert_eq!(c.alarm_owner.as_deref(), Some("dispatcher"));
            assert!(c.alarm_secret.is_none());
            jail.set_env("AFTERSALES_ALARM_MERGE_WINDOW_HOURS", "0");
            let e = Config::load(None).expect_err("must fail").to_string();
            assert!(e.contains("alarm_merge_window_hours"), "{e}");
            jail.set_env("AFTERSALES_ALARM_MERGE_WINDOW_HOURS", "24");
            jail.set_env("AFTERSALES_ALARM_SECRET", "short");
            let e = Config::load(None).expect_err("must fail").to_string();
            assert!(e.contains("alarm_secret") && !e.contains("short"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn defect_rules_come_from_the_file_and_environment_and_are_checked() {
        Jail::expect_with(|jail| {
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.defects.return_days, 30);
            jail.create_file("d.toml", "[defects]\nreturn_days = 45\n")?;
            jail.set_env("AFTERSALES_DEFECTS__ALERT_THRESHOLD", "5");
            let c = Config::load(Some(Path::new("d.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(
                (
                    c.defects.return_days,
                    c.defects.alert_window_days,
                    c.defects.alert_threshold
                ),
                (45, 90, 5)
            );
            assert_eq!(
                c.app_config().map_err(|e| e.to_string())?.defects,
                c.defects
            );
            jail.set_env("AFTERSALES_DEFECTS__ALERT_WINDOW_DAYS", "0");
            let e = Config::load(None).expect_err("must fail").to_string();
            assert!(e.contains("defects.alert_window_days"), "{e}");
            jail.create_file("typo.toml", "[defects]\nreturn_dayz = 45\n")?;
            jail.set_env("AFTERSALES_DEFECTS__ALERT_WINDOW_DAYS", "90");
            assert!(Config::load(Some(Path::new("typo.toml"))).is_err());
            Ok(())
        });
    }

    #[test]
    fn job_worker_settings_come_from_the_file_and_environment_and_are_checked() {
        Jail::expect_with(|jail| {
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert!(c.jobs.enabled);
            assert_eq!((c.jobs.poll_interval_ms, c.jobs.lease_secs), (1000, 300));
            jail.create_file("j.toml", "[jobs]\nenabled = false\nlease_secs = 60\n")?;
            jail.set_env("AFTERSALES_JOBS__POLL_INTERVAL_MS", "200");
            let c = Config::load(Some(Path::new("j.toml"))).map_err(|e| e.to_string())?;
            assert!(!c.jobs.enabled);
            assert_eq!((c.jobs.poll_interval_ms, c.jobs.lease_secs), (200, 60));
            jail.set_env("AFTERSALES_JOBS__LEASE_SECS", "1");
            let e = Config::load(None).expect_err("must fail").to_string();
            assert!(e.contains("jobs.lease_secs"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn login_throttle_settings_come_from_the_file_and_environment_and_are_checked() {
        Jail::expect_with(|jail| {
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(
                (
                    c.login.max_failures,
                    c.login.max_failures_per_address,
                    c.login.max_failures_per_account,
                    c.login.window_minutes
                ),
                (5, 20, 100, 15)
            );
            jail.create_file(
                "l.toml",
                "[login]\nmax_failures = 3\nclient_ip_header = \"x-forwarded-for\"\n",
            )?;
            jail.set_env("AFTERSALES_LOGIN__WINDOW_MINUTES", "30");
            let c = Config::load(Some(Path::new("l.toml"))).map_err(|e| e.to_string())?;
            assert_eq!((c.login.max_failures, c.login.window_minutes), (3, 30));
            assert_eq!(c.login.client_ip_header.as_deref(), Some("x-forwarded-for"));
            jail.set_env("AFTERSALES_LOGIN__MAX_FAILURES_PER_ADDRESS", "0");
            let e = Config::load(None).expect_err("must fail").to_string();
            assert!(e.contains("login.max_failures_per_address"), "{e}");
            jail.set_env("AFTERSALES_LOGIN__MAX_FAILURES_PER_ADDRESS", "20");
            jail.set_env("AFTERSALES_LOGIN__CLIENT_IP_HEADER", "x forwarded");
            let e = Config::load(None).expect_err("must fail").to_string();
            assert!(e.contains("login.client_ip_header"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn http_limits_come_from_the_file_and_environment_and_are_checked() {
        Jail::expect_with(|jail| {
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(
                (
                    c.http.header_read_timeout_secs,
                    c.http.idle_timeout_secs,
                    c.http.max_connections
                ),
                (10, 60, 1024)
            );
            jail.create_file("h.toml", "[http]\nmax_connections = 200\n")?;
            jail.set_env("AFTERSALES_HTTP__HEADER_READ_TIMEOUT_SECS", "5");
            let c = Config::load(Some(Path::new("h.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.http.max_connections, 200);
            assert_eq!(c.http.header_read_timeout_secs, 5);
            assert_eq!(c.http.idle_timeout_secs, 60);
            jail.set_env("AFTERSALES_HTTP__MAX_CONNECTIONS", "0");
            let e = Config::load(None).expect_err("must fail").to_string();
            assert!(e.contains("http.max_connections"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn the_site_time_zone_comes_from_the_file_and_environment_and_is_checked() {
        Jail::expect_with(|jail| {
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.site_time_zone, aftersales_app::DEFAULT_SITE_TIME_ZONE);
            jail.create_file("z.toml", "site_time_zone = \"Asia/Urumqi\"\n")?;
            let c = Config::load(Some(Path::new("z.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.site_time_zone, "Asia/Urumqi");
            jail.set_env("AFTERSALES_SITE_TIME_ZONE", "Mars/Olympus");
            let e = Config::load(Some(Path::new("z.toml")))
                .expect_err("an unknown zone stops the start")
                .to_string();
            assert!(
                e.contains("`site_time_zone`")
                    && e.contains("AFTERSALES_SITE_TIME_ZONE")
                    && e.contains("Mars/Olympus"),
                "{e}"
            );
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused_by_name() {
        Jail::expect_with(|jail| {
            jail.create_file("b.toml", "bindd = \"x\"\n")?;
            let e = Config::load(Some(Path::new("b.toml")))
                .expect_err("must fail")
                .to_string();
            assert!(e.contains("bindd"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        Jail::expect_with(|jail| {
            jail.set_env("DATABASE_URL", "postgres://app:s3cr3t-db@db.example/prod");
            jail.set_env("AFTERSALES_ADMIN_PASSWORD", "s3cr3t-admin");
            jail.set_env("AFTERSALES_SMTP__PASSWORD", "s3cr3t-smtp");
            jail.set_env("AFTERSALES_ALARM_SECRET", "s3cr3t-alarm-0123456789");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            let dbg = format!("{c:?}");
            assert_eq!(
                c.alarm_secret.as_ref().map(Secret::expose),
                Some("s3cr3t-alarm-0123456789")
            );
            assert!(!dbg.contains("s3cr3t"), "{dbg}");
            assert_eq!(c.database_url(), "postgres://app:s3cr3t-db@db.example/prod");
            assert_eq!(
                redact_url(&c.database_url()),
                "postgres://app:***@db.example/prod"
            );
            Ok(())
        });
    }
}
