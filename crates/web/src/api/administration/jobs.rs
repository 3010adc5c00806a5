//! Background jobs, for admins: the parked ones with their last error, and a retry.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{JobQuery, JobView, Page};
use axum::Json;
use axum::extract::State;

/// Background jobs: one status, or every status with the parked ones first; within a
/// status the latest due first.
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "jobs", params(JobQuery),
    responses((status = 200, description = "A page of jobs.", body = Page<JobView>)))]
pub async fn list(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<JobQuery>,
) -> Result<Json<Page<JobView>>, ApiError> {
    Ok(Json(s.app.list_jobs(&c.ctx, &q).await?))
}

/// Retry a parked job: pending again, due now, with a fresh count of attempts.
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job, pending again.", body = JobView),
        (status = 409, description = "The job is not parked (`job_not_parked`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn retry(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let id: aftersales_domain::JobId = crate::api::parse_id(&id, "job")?;
    Ok(Json(s.app.retry_job(&c.ctx, id).await?))
}
