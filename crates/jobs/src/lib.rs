//! Background work that runs beside the web server. For now: housekeeping (expired
//! sessions, old failed-login counts, idempotency keys). The durable, restart-safe job
//! table for SLA timers and notifications builds on this crate.

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
