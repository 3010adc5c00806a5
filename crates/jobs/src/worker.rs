//! The worker: claim, run, finish; poll, or wake when a job is armed due now.

use aftersales_app::{App, AppError, Backoff, Failed, Job};
use jiff::SignedDuration;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

/// Why an attempt failed. A `permanent` failure (a payload the handler cannot use) parks
/// the job at once; any other is retried after the backoff until the job's last attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    pub message: String,
    pub permanent: bool,
}

impl JobError {
    /// A failure that may pass (the receiver is down, answered 5xx, timed out).
    pub fn retry(message: impl Into<String>) -> JobError {
        JobError {
            message: message.into(),
            permanent: false,
        }
    }

    /// A failure that another attempt cannot fix.
    pub fn permanent(message: impl Into<String>) -> JobError {
        JobError {
            message: message.into(),
            permanent: true,
        }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        JobError::retry(e.to_string())
    }
}

/// What a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type HandlerFn = Arc<dyn Fn(App, Job) -> HandlerFuture + Send + Sync>;

/// The handlers by job kind. A worker claims only jobs of kinds it has a handler for, so a
/// node that does not know a kind (an older version during an upgrade) leaves it alone.
#[derive(Clone, Default)]
pub struct Handlers {
    map: BTreeMap<String, HandlerFn>,
}

impl Handlers {
    /// No handlers.
    pub fn new() -> Handlers {
        Handlers::default()
    }

    /// The built-in kinds: [`crate::HTTP_POST`].
    pub fn builtin() -> Handlers {
        let mut h = Handlers::new();
        let post = crate::HttpPostHandler::new();
        h.register(crate::HTTP_POST, move |_app, job| {
            let post = post.clone();
            async move { post.run(&job).await }
        });
        h
    }

    /// Sets the handler of `kind` (replacing one registered before). It gets the app and
    /// the claimed job (payload, key, attempt number) and must be idempotent: the same job
    /// may run again if a worker dies before recording the outcome.
    pub fn register<F, Fut>(&mut self, kind: &str, f: F) -> &mut Handlers
    where
        F: Fn(App, Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let f: HandlerFn = Arc::new(move |app, job| Box::pin(f(app, job)));
        self.map.insert(kind.to_owned(), f);
        self
    }

    pub fn kinds(&self) -> Vec<&str> {
        self.map.keys().map(String::as_str).collect()
    }

    fn get(&self, kind: &str) -> Option<HandlerFn> {
        self.map.get(kind).cloned()
    }
}

/// Settings of a worker.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Names this worker in `locked_by`: unique per process.
    pub worker_id: String,
    /// How often to look for due jobs when nothing wakes the worker earlier.
    pub poll_interval: Duration,
    /// How long a claimed job stays this worker's; after that another worker may take it
    /// over. A handler is cut off after half of it, so it ends well within its lease.
    pub lease: Duration,
    /// Jobs claimed (and run concurrently) at a time.
    pub batch: usize,
    pub backoff: Backoff,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            worker_id: default_worker_id(),
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(300),
            batch: 8,
            backoff: Backoff::default(),
        }
    }
}

impl WorkerOptions {
    /// How long a handler may run: half the lease.
    pub fn handler_timeout(&self) -> Duration {
        self.lease / 2
    }
}

/// `<host>-<pid>-<random>`: which process claimed a job, readable in the admin list.
fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    let rnd = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &rnd[..8])
}

/// Runs the worker until `shutdown` turns true: claims due jobs, runs them, and when fewer
/// than a batch were due waits for the poll interval or a wake-up ([`App::wake_jobs`]).
/// Errors (the database gone for a moment, no file descriptor left) are logged and retried
/// after a growing pause ([`retry_pause`]); they never stop the worker or the server. On shutdown the jobs in hand are finished first.
pub async fn run(
    app: App,
    handlers: Handlers,
    opts: WorkerOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!(
        worker = %opts.worker_id,
        kinds = ?handlers.kinds(),
        poll_ms = opts.poll_interval.as_millis() as u64,
        lease_s = opts.lease.as_secs(),
        "job worker started"
    );
    // Consecutive rounds that failed (the database unreachable, out of file descriptors,
    // out of connections): the pause grows from the poll interval up to `MAX_BACKOFF`, and
    // the failure is logged once when it starts, then every 10th time, and its end too.
    let mut failures: u32 = 0;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let n = match run_once(&app, &handlers, &opts).await {
            Ok(n) => {
                if failures > 0 {
                    tracing::info!(failures, "claiming jobs works again");
                    failures = 0;
                }
                n
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                if failures == 1 || failures.is_multiple_of(10) {
                    tracing::warn!(error = %e, failures, "claiming jobs failed; will retry");
                }
                0
            }
        };
        if n >= opts.batch.max(1) {
            continue; // more may be due
        }
        let pause = retry_pause(opts.poll_interval, failures);
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = app.jobs_woken() => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
    tracing::info!(worker = %opts.worker_id, "job worker stopped");
}

/// The longest pause between rounds after failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The pause before the next round: the poll interval, doubled per consecutive failure up
/// to [`MAX_BACKOFF`] (never shorter than the poll interval).
pub fn retry_pause(poll: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return poll;
    }
    let factor = 1u32 << failures.min(10);
    poll.saturating_mul(factor).min(MAX_BACKOFF).max(poll)
}

/// One round: claims up to a batch of due jobs, runs them concurrently and records each
/// outcome. Returns how many jobs it claimed.
pub async fn run_once(
    app: &App,
    handlers: &Handlers,
    opts: &WorkerOptions,
) -> Result<usize, AppError> {
    let kinds = handlers.kinds();
    let lease = SignedDuration::try_from(opts.lease).unwrap_or(SignedDuration::from_secs(300));
    let limit = i64::try_from(opts.batch.max(1)).unwrap_or(1);
    let jobs = app
        .claim_jobs(&opts.worker_id, &kinds, lease, limit)
        .await?;
    let n = jobs.len();
    let mut set = tokio::task::JoinSet::new();
    for job in jobs {
        let Some(handler) = handlers.get(&job.kind) else {
            continue; // claimed only kinds with handlers
        };
        let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, key = %job.key, attempt = job.attempts);
        set.spawn(run_job(app.clone(), handler, job, opts.clone()).instrument(span));
    }
    while set.join_next().await.is_some() {}
    Ok(n)
}

async fn run_job(app: App, handler: HandlerFn, job: Job, opts: WorkerOptions) {
    let started = std::time::Instant::now();
    let timeout = opts.handler_timeout();
    // The handler runs as a task of its own, so a panic is caught and a timeout aborts it.
    let mut task = tokio::spawn(handler(app.clone(), job.clone()));
    let outcome = match tokio::time::timeout(timeout, &mut task).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) if e.is_panic() => {
            let p = e.into_panic();
            let msg = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("panic");
            Err(JobError::retry(format!("handler panicked: {msg}")))
        }
        Ok(Err(e)) => Err(JobError::retry(format!("handler task failed: {e}"))),
        Err(_) => {
            task.abort();
            Err(JobError::retry(format!(
                "timed out after {} s",
                timeout.as_secs()
            )))
        }
    };
    let ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(()) => match app.complete_job(&job, &opts.worker_id).await {
            Ok(true) => tracing::info!(ms, "job done"),
            Ok(false) => tracing::warn!(
                ms,
                "job done, but its lease had run out and another worker took it over"
            ),
            Err(e) => {
                tracing::error!(ms, error = %e, "job done, but marking it failed; it will run again after its lease")
            }
        },
        Err(err) => match app
            .fail_job(
                &job,
                &opts.worker_id,
                &err.message,
                &opts.backoff,
                err.permanent,
            )
            .await
        {
            Ok(Some(Failed::Retry(at))) => {
                tracing::warn!(ms, error = %err, retry_at = %at, "job failed; will retry")
            }
            Ok(Some(Failed::Parked)) => tracing::error!(
                ms,
                error = %err,
                attempts = job.attempts,
                "job failed and is parked until an admin retries it"
            ),
            Ok(None) => tracing::warn!(
                ms,
                error = %err,
                "job failed after its lease had run out; another worker took it over"
            ),
            Err(e) => {
                tracing::error!(ms, error = %err, db_error = %e, "job failed, and recording it failed; it will run again after its lease")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_up_to_a_limit() {
        let poll = Duration::from_millis(500);
        assert_eq!(retry_pause(poll, 0), poll);
        assert_eq!(retry_pause(poll, 1), Duration::from_secs(1));
        assert_eq!(retry_pause(poll, 3), Duration::from_secs(4));
        assert_eq!(retry_pause(poll, 50), MAX_BACKOFF);
        let slow = Duration::from_secs(60);
        assert_eq!(retry_pause(slow, 5), slow);
    }
}
