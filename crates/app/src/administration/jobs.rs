//! Durable background jobs (docs/decisions.md "Background jobs"): what the worker in
//! `crates/jobs` claims and finishes, and what admins see of it — the parked jobs with
//! their last error, and a retry.
//!
//! Use-cases that arm a job as part of a change (an SLA timer, a message in the outbox)
//! call `aftersales_store::administration::jobs::arm` with their own transaction, so the job commits with
//! the change or not at all, and then [`App::wake_jobs`] when it is due at once.

use crate::{AppError, Ctx, Page, cursor};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::{FieldError, JobId, Permission};
use aftersales_store::administration::jobs as store;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

pub use aftersales_store::administration::jobs::{
    Backoff, DEFAULT_MAX_ATTEMPTS, Failed, Job, JobStatus, MAX_ERROR_CHARS, NewJob,
};

impl crate::App {
    /// Arms a job on its own (not as part of another change): false when a job of this key
    /// exists already. A job due now wakes the worker of this process.
    #[tracing::instrument(skip_all)]
    pub async fn arm_job(&self, job: &NewJob) -> Result<bool, AppError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let created = store::arm(tx.conn(), job, now).await?;
        tx.commit().await?;
        if created && job.due_at <= now {
            self.wake_jobs();
        }
        Ok(created)
    }

    /// Tells this process's worker to look for due jobs now rather than at its next poll.
    pub fn wake_jobs(&self) {
        self.jobs_wake.notify_one();
    }

    /// Resolves when [`App::wake_jobs`] was called (at most one call is remembered).
    #[tracing::instrument(skip_all)]
    pub async fn jobs_woken(&self) {
        self.jobs_wake.notified().await;
    }

    /// The worker's claim: up to `limit` due jobs of these kinds, held by `worker` for
    /// `lease` (see `aftersales_store::administration::jobs::claim`).
    #[tracing::instrument(skip_all)]
    pub async fn claim_jobs(
        &self,
        worker: &str,
        kinds: &[&str],
        lease: SignedDuration,
        limit: i64,
    ) -> Result<Vec<Job>, AppError> {
        Ok(store::claim(&self.db, worker, kinds, self.now(), lease, limit).await?)
    }

    /// Marks a claimed job done; false when the claim was lost (its lease ran out and
    /// another worker took the job over).
    #[tracing::instrument(skip_all)]
    pub async fn complete_job(&self, job: &Job, worker: &str) -> Result<bool, AppError> {
        let mut tx = self.db.begin().await?;
        let ok = store::complete(tx.conn(), job, worker, self.now()).await?;
        tx.commit().await?;
        Ok(ok)
    }

    /// Records a failed attempt of a claimed job: retried after the backoff, or parked.
    /// `None` when the claim was lost.
    #[tracing::instrument(skip_all)]
    pub async fn fail_job(
        &self,
        job: &Job,
        worker: &str,
        error: &str,
        backoff: &Backoff,
        permanent: bool,
    ) -> Result<Option<Failed>, AppError> {
        let mut tx = self.db.begin().await?;
        let r = store::fail(
            tx.conn(),
            job,
            worker,
            self.now(),
            error,
            backoff,
            permanent,
        )
        .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Jobs for admins: one status, or all with the parked ones first.
    #[tracing::instrument(skip_all)]
    pub async fn list_jobs(&self, ctx: &Ctx, q: &JobQuery) -> Result<Page<JobView>, AppError> {
        ctx.require(Permission::JobsManage)?;
        let status =
            match q.status.as_deref().filter(|s| !s.is_empty()) {
                None => None,
                Some(s) => Some(JobStatus::parse(s).ok_or_else(|| {
                    AppError::invalid(FieldError::new("status", "invalid_choice"))
                })?),
            };
        let limit = cursor::limit(q.limit)?;
        let after = cursor::decode(q.cursor.as_deref())?;
        let mut conn = self.db.acquire().await?;
        let page = store::list(&mut conn, status, after.as_deref(), limit).await?;
        Ok(Page {
            items: page.items.into_iter().map(JobView::from).collect(),
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    /// How many jobs are in each status, parked first (statuses without jobs show 0).
    #[tracing::instrument(skip_all)]
    pub async fn job_counts(&self, ctx: &Ctx) -> Result<Vec<JobCount>, AppError> {
        ctx.require(Permission::JobsManage)?;
        let counts = store::counts(self.db.pool()).await?;
        Ok(JobStatus::ALL
            .iter()
            .map(|s| JobCount {
                status: *s,
                count: counts.iter().find(|(x, _)| x == s).map_or(0, |(_, n)| *n),
            })
            .collect())
    }

    /// Puts a parked job back in the queue, due now with a fresh count of attempts.
    /// Unknown id: `not_found`; a job that is not parked: `job_not_parked`.
    #[tracing::instrument(skip_all)]
    pub async fn retry_job(&self, ctx: &Ctx, id: JobId) -> Result<JobView, AppError> {
        ctx.require(Permission::JobsManage)?;
        let JobId(id) = id;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = store::get(tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound("job"))?;
        if !store::retry(tx.conn(), id, now).await? {
            return Err(AppError::Conflict("job_not_parked"));
        }
        let after = store::get(tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound("job"))?;
        let snapshot = |j: &Job| {
            serde_json::json!({
                "kind": j.kind, "key": j.key, "status": j.status.as_str(),
                "attempts": j.attempts, "last_error": j.last_error,
            })
        };
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Job,
            &id.to_string(),
            AuditAction::Retry,
            Some(snapshot(&before)),
            Some(snapshot(&after)),
        )
        .await?;
        tx.commit().await?;
        self.wake_jobs();
        Ok(JobView::from(after))
    }
}

/// Filters of the job list.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// One status; without it every status, parked first.
    #[param(pattern = r"^(pending|running|done|parked)?$")]
    pub status: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A background job as admins see it (without its payload, which may carry credentials
/// of the receiving service).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobView {
    #[schema(value_type = String, format = Uuid)]
    pub id: JobId,
    /// What the job does, e.g. `http.post`.
    pub kind: String,
    /// The logical job: one job per key.
    pub key: String,
    /// `pending`, `running`, `done` or `parked`.
    #[schema(value_type = crate::schema::JobStatusName)]
    pub status: JobStatus,
    /// When it is (or was last) due.
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    pub attempts: i64,
    pub max_attempts: i64,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
    /// The worker of the current or last attempt.
    pub locked_by: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub locked_until: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        JobView {
            id: JobId(j.id),
            kind: j.kind,
            key: j.key,
            status: j.status,
            due_at: j.due_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            locked_by: j.locked_by,
            locked_until: j.locked_until,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

/// How many jobs are in one status.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobCount {
    #[schema(value_type = crate::schema::JobStatusName)]
    pub status: JobStatus,
    pub count: i64,
}
