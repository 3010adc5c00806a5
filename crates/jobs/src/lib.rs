//! Background work that runs beside the web server: housekeeping, and the worker of the
//! durable job table (docs/decisions.md "Background jobs").
//!
//! The worker claims due jobs of the kinds it has handlers for, runs each handler, and
//! marks the job done or failed (retried with backoff, parked after its last attempt).
//! Handlers must be idempotent: a job whose worker died mid-run is run again once its
//! lease runs out. The one built-in kind is [`HTTP_POST`] (webhooks: SMS and WeChat
//! gateways, partners' systems).

mod deliver;
mod http_post;
mod worker;

pub use aftersales_app::{Backoff, Job, JobStatus, NewJob};
pub use deliver::{Mailer, MessageWebhook, SmtpTls, register as register_service_handlers};
pub use http_post::{HTTP_POST, HttpPostHandler, http_post_payload};
pub use worker::{HandlerFuture, Handlers, JobError, WorkerOptions, run, run_once};

use aftersales_app::App;
use std::time::Duration;
use tokio::sync::watch;

/// Runs `app.housekeeping()` every `every` until `shutdown` turns true. A failed round is
/// logged and retried at the next tick; it never stops the server.
pub async fn housekeeping(app: App, every: Duration, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match app.housekeeping().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(removed = n, "housekeeping"),
                    Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
                }
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
    }
}
