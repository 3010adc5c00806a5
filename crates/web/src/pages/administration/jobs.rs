//! Background jobs, for admins: how many are in each status, the jobs of one status (the
//! parked ones by default) with their last error, and a retry button for parked ones.

use crate::AppState;
use crate::extract::{Path, Query};
use crate::shell::{PageError, Shell, WebUser};
use aftersales_app::{AppError, JobCount, JobQuery, JobStatus, JobView};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "administration/jobs.html")]
pub struct JobsPage {
    pub shell: Shell,
    pub counts: Vec<JobCount>,
    /// The status shown ("" for all).
    pub status: String,
    pub items: Vec<JobView>,
    pub next_url: Option<String>,
    pub notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct JobsForm {
    /// Absent: parked. Empty: every status.
    status: Option<String>,
    cursor: String,
    /// Set after a retry: the id of the job put back.
    retried: String,
}

pub async fn jobs(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<JobsForm>,
) -> Result<Response, PageError> {
    let status = f
        .status
        .unwrap_or_else(|| JobStatus::Parked.as_str().to_owned());
    let counts = s.app.job_counts(&u.ctx).await?;
    let q = JobQuery {
        status: Some(status.clone()),
        cursor: Some(f.cursor),
        limit: None,
    };
    let page = s.app.list_jobs(&u.ctx, &q).await?;
    let next_url = page.next_cursor.map(|c| {
        format!(
            "/admin/jobs?status={}&cursor={c}",
            crate::shell::encode_component(&status)
        )
    });
    let notice = (!f.retried.is_empty()).then(|| u.tr().t_dyn("jobs.retried"));
    Ok(JobsPage {
        shell: u.shell,
        counts,
        status,
        items: page.items,
        next_url,
        notice,
    }
    .into_response())
}

pub async fn retry(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse() else {
        return Err(AppError::NotFound("job").into());
    };
    match s.app.retry_job(&u.ctx, id).await {
        Ok(j) => {
            Ok(crate::shell::redirect(&format!("/admin/jobs?retried={}", j.id)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

impl JobsPage {
    pub fn status_label(&self, status: &JobStatus) -> String {
        self.shell.tr.t_dyn(&format!("jobs.status.{status}"))
    }

    /// The status whose jobs are shown.
    pub fn is_shown(&self, status: &JobStatus) -> bool {
        self.status == status.as_str()
    }

    /// The badge's color class of a status (with its name beside it).
    pub fn badge(&self, status: &JobStatus) -> &'static str {
        match status {
            JobStatus::Parked => " danger",
            JobStatus::Done => " ok",
            JobStatus::Pending | JobStatus::Running => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use aftersales_app::JobStatus;
    use aftersales_domain::Locale;

    #[test]
    fn every_job_status_has_a_name_in_both_languages() {
        for l in Locale::ALL {
            let cat = crate::i18n::catalog(l);
            for s in JobStatus::ALL {
                assert!(
                    cat.contains_key(&format!("jobs.status.{}", s.as_str())),
                    "{l:?} jobs.status.{}",
                    s.as_str()
                );
            }
        }
    }
}
