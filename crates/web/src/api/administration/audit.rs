//! The audit trail, for admins.

use crate::AppState;
use crate::extract::{ApiCtx, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{AuditQuery, AuditView, Page};
use axum::Json;
use axum::extract::State;

/// Audit entries, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "A page of audit entries.", body = Page<AuditView>)))]
pub async fn list(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<AuditQuery>,
) -> Result<Json<Page<AuditView>>, ApiError> {
    Ok(Json(s.app.list_audit(&c.ctx, &q).await?))
}
