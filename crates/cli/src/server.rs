//! [`Server`]: the application, its web router and the background work beside it, built
//! from one [`Config`].

use crate::config::{Config, redact_url};
use aftersales_app::{App, AppError, Db, DbOptions, SystemClock};
use aftersales_jobs::{Handlers, Mailer, MessageWebhook, SmtpTls, WorkerOptions};
use anyhow::Context;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often expired sessions, idempotency keys and old jobs are removed.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);

/// Opens the database the configuration names, applies the migrations and builds the
/// application on it (on a test clock when configured so).
pub async fn open_app(cfg: &Config) -> anyhow::Result<App> {
    let url = cfg.database_url();
    let opts = DbOptions {
        max_connections: cfg.db_max_connections,
        ..DbOptions::default()
    };
    let db = Db::connect(&url, &opts)
        .await
        .with_context(|| format!("cannot open database {}", redact_url(&url)))?;
    db.migrate().await.context("migration failed")?;
    tracing::info!(database = %redact_url(&url), "database ready");
    let app_cfg = cfg.app_config()?;
    if let Some(clock) = &cfg.embedded.clock {
        return Ok(App::with_test_clock(db, clock.clone(), app_cfg));
    }
    if cfg.test_clock {
        tracing::warn!(
            "running on a TEST CLOCK: time moves only through POST /api/v1/test-clock/advance"
        );
        let clock = Arc::new(aftersales_app::ManualClock::from_system_time());
        return Ok(App::with_test_clock(db, clock, app_cfg));
    }
    Ok(App::new(db, Arc::new(SystemClock), app_cfg))
}

/// The server, built and ready to serve: the application with the administrator account
/// and the SLA defaults in place, and the handlers of the background jobs (the service's
/// own, delivering through the configured mailer and SMS webhook, and the built-in ones).
pub struct Server {
    app: App,
    config: Config,
    handlers: Handlers,
    generated_admin_password: Option<String>,
}

impl Server {
    /// Builds the server from its configuration; nothing is served or run yet
    /// ([`Server::run`], [`Server::serve`]).
    pub async fn build(config: Config) -> anyhow::Result<Server> {
        let app = open_app(&config).await?;
        let admin_password = config.admin_password.as_ref().map(|s| s.expose());
        let generated_admin_password = app.ensure_admin(admin_password).await.map_err(describe)?;
        app.ensure_sla_defaults().await.map_err(describe)?;
        let handlers = handlers(&config)?;
        Ok(Server {
            app,
            config,
            handlers,
            generated_admin_password,
        })
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The handlers of the job kinds this server runs (for a test that steps the worker
    /// itself with `jobs.enabled` off).
    pub fn handlers(&self) -> &Handlers {
        &self.handlers
    }

    /// The password of the `admin` account when this start created it and none was
    /// configured: to be shown once.
    pub fn generated_admin_password(&self) -> Option<&str> {
        self.generated_admin_password.as_deref()
    }

    /// Listens on the configured address (`bind`) and serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let listener = TcpListener::bind(&self.config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", self.config.bind))?;
        let addr = listener.local_addr()?;
        println!("aftersales listening on http://{addr}");
        self.serve(listener, shutdown).await
    }

    /// Serves on `listener` until `shutdown` resolves, with housekeeping and (unless
    /// `jobs.enabled` is off) the job worker running beside; then finishes the requests in
    /// flight, lets the background work finish what it holds, and closes the database.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Server {
            app,
            config: cfg,
            handlers,
            ..
        } = self;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "listening");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let housekeeping = tokio::spawn(aftersales_jobs::housekeeping(
            app.clone(),
            HOUSEKEEPING_EVERY,
            stop_rx.clone(),
        ));
        let worker = cfg.jobs.enabled.then(|| {
            let opts = WorkerOptions {
                poll_interval: Duration::from_millis(cfg.jobs.poll_interval_ms),
                lease: Duration::from_secs(cfg.jobs.lease_secs),
                ..WorkerOptions::default()
            };
            tokio::spawn(aftersales_jobs::run(app.clone(), handlers, opts, stop_rx))
        });
        if cfg.public_url.is_none() {
            tracing::warn!(
                "public_url is not set: links on documents (the service record's verification link) use the request's Host only when it names this machine, else they stay relative; set public_url (AFTERSALES_PUBLIC_URL) in production"
            );
        }
        let router = aftersales_web::router(
            app.clone(),
            aftersales_web::WebConfig {
                secure_cookies: cfg.secure_cookies,
                public_url: cfg.public_url.clone(),
                bind: Some(addr),
                company_name: cfg.company_name.clone(),
                company_contact: cfg.company_contact.clone(),
                client_ip_header: cfg.login.client_ip_header.clone(),
            },
        );
        let limits = aftersales_web::ServeOptions {
            header_read_timeout: Duration::from_secs(cfg.http.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(cfg.http.idle_timeout_secs),
            max_connections: cfg.http.max_connections,
        };
        tracing::info!(
            header_read_timeout_s = cfg.http.header_read_timeout_secs,
            idle_timeout_s = cfg.http.idle_timeout_secs,
            max_connections = cfg.http.max_connections,
            "HTTP limits"
        );
        aftersales_web::serve_with(listener, router, limits, shutdown).await?;
        // Background work stops after the requests in flight: no new jobs are claimed, the
        // ones in hand finish and are recorded.
        let _ = stop_tx.send(true);
        let _ = housekeeping.await;
        if let Some(w) = worker {
            let _ = w.await;
        }
        app.db().close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The job handlers: the built-in kinds and the service's, which deliver messages through
/// the configured SMTP server and SMS webhook.
fn handlers(cfg: &Config) -> anyhow::Result<Handlers> {
    let mailer = match (&cfg.smtp.host, &cfg.smtp.from) {
        (Some(host), Some(from)) => Some(
            Mailer::new(
                host,
                cfg.smtp.port,
                SmtpTls::parse(&cfg.smtp.tls).unwrap_or(SmtpTls::StartTls),
                cfg.smtp.username.clone().map(|u| {
                    (
                        u,
                        cfg.smtp
                            .password
                            .as_ref()
                            .map(|p| p.expose().to_owned())
                            .unwrap_or_default(),
                    )
                }),
                from,
            )
            .map_err(|e| anyhow::anyhow!("configuration error: smtp: {e}"))?,
        ),
        _ => None,
    };
    let webhook = match &cfg.sms_webhook_url {
        Some(u) => {
            Some(MessageWebhook::new(u).map_err(|e| anyhow::anyhow!("configuration error: {e}"))?)
        }
        None => None,
    };
    let mut handlers = Handlers::builtin();
    aftersales_jobs::register_service_handlers(&mut handlers, mailer, webhook);
    Ok(handlers)
}

/// Turns an application error into a message for the terminal (field errors spelled out).
pub fn describe(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(errs) => {
            let parts: Vec<String> = errs
                .0
                .iter()
                .map(|f| format!("{}: {}", f.field, f.code))
                .collect();
            anyhow::anyhow!("invalid input: {}", parts.join(", "))
        }
        other => anyhow::anyhow!("{other} ({})", other.code()),
    }
}
